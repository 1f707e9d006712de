package io.gochan.examples;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.ErrGroup;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.WaitGroup;
import io.gochan.select.Select;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A worker pool: jobs in on one channel, results out on another, stopped by close or by a context. */
public final class WorkerPool {
    private WorkerPool() {}

    /**
     * Squares 1..{@code jobs} on {@code workers} goroutines.
     *
     * @param jobs how many numbers
     * @param workers how many goroutines
     * @return the squares, in the order the workers finished them
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<Integer> squares(int jobs, int workers) throws InterruptedException {
        Chan<Integer> in = Chan.make();
        Chan<Integer> out = Chan.make(jobs);
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            WaitGroup wg = new WaitGroup();
            for (int w = 0; w < workers; w++) {
                wg.add(1);
                Go.go("worker-" + w, () -> {
                    try {
                        boolean more = true;
                        while (more) {
                            // receiveOk on ctx.done(): a plain receive would throw once it is closed.
                            more = Select.<Boolean>cases()
                                    .receiveOk(in, r -> {
                                        if (r.closed()) {
                                            return false;
                                        }
                                        out.send(r.value() * r.value());
                                        return true;
                                    })
                                    .receiveOk(ctx.done(), cancelled -> false)
                                    .select();
                        }
                    } finally {
                        wg.done();
                    }
                });
            }
            for (int i = 1; i <= jobs; i++) {
                in.send(i);
            }
            in.close();
            wg.await();
        }
        out.close();
        List<Integer> results = new ArrayList<>();
        for (int v : out) {
            results.add(v);
        }
        return results;
    }

    /**
     * A producer that sends until its context is cancelled; the consumer takes {@code wanted} values
     * and cancels it.
     *
     * @param wanted how many values to take
     * @return the values taken
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<Integer> takeThenCancel(int wanted) throws InterruptedException {
        Chan<Integer> numbers = Chan.make();
        List<Integer> taken = new ArrayList<>();
        Goroutine producer;
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            producer = Go.go("producer", () -> {
                for (int i = 0; ; i++) {
                    boolean sent = Select.<Boolean>cases()
                            .send(numbers, i, () -> true)
                            .receiveOk(ctx.done(), cancelled -> false)
                            .select();
                    if (!sent) {
                        return;
                    }
                }
            });
            for (int i = 0; i < wanted; i++) {
                taken.add(numbers.receive());
            }
        } // close() cancels: the producer's select takes the done case
        if (!producer.join(Duration.ofSeconds(10))) {
            throw new AssertionError("the producer did not stop after cancel");
        }
        return taken;
    }

    /**
     * The README's error-group worker pool: the lengths of {@code words}, at most {@code limit} at
     * once, summed.
     *
     * @param words the inputs
     * @param limit how many goroutines at once
     * @return the sum of the lengths
     * @throws Exception the first failure of a goroutine, as itself
     */
    // ErrGroup.close() throws the group's first failure as itself (throws Exception), so javac's
    // -Xlint:try warns about the try-with-resources; this pom compiles with -Xlint:all -Werror, as a
    // strict user would, and suppresses it the way README.md says.
    @SuppressWarnings("try")
    public static int totalLength(List<String> words, int limit) throws Exception {
        int total = 0;
        try (CancellableContext deadline = Context.withTimeout(Context.background(), Duration.ofSeconds(10));
             ErrGroup g = ErrGroup.withContext(deadline)) {
            g.setLimit(limit);
            Chan<Integer> sizes = Chan.make(words.size());
            for (String word : words) {
                g.go(() -> sizes.send(word.length(), g.context()));
            }
            g.await();
            sizes.close();
            for (int size : sizes) {
                total += size;
            }
        }
        return total;
    }
}
