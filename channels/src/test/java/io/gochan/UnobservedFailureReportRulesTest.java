package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule TM22 (docs/spec/context-timers.md): the cleaner that finds futures and error groups dropped with a failure nobody
 * observed (GF2) serves the whole JVM, so the report, which runs the caller's uncaught-exception handler, runs on a
 * goroutine of its own: a handler that blocks holds up that report alone. The handles are dropped and collected for
 * real ({@code System.gc()} until the cleaner has acted, with a generous bound); the blocking is forced with latches.
 */
@ExtendWith(NoNewGoroutines.class)
class UnobservedFailureReportRulesTest {

    /**
     * TM22: while the handler blocks in the report of one dropped future's failure, the failures of a future and of a
     * group dropped later are reported all the same; the blocked report ends once released. Before, the report ran on
     * the cleaner's one thread: the later failures waited behind the blocked handler (for ever, if it never returned),
     * and so did the cleanup of every future and group dropped meanwhile, whose outcomes stayed reachable.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void TM22_aHandlerThatBlocksInOneUnobservedFailuresReportHoldsUpNoOther() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> reported = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {
            String message = t.getMessage();
            if (message == null || !message.startsWith("tm22-")) {
                return; // another class's failure, collected late: not this test's
            }
            if (message.equals("tm22-blocks")) {
                entered.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never released the handler (test)");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            reported.add(message);
        });
        try {
            dropFailedFuture("tm22-blocks");
            assertThat(gcUntil(() -> entered.getCount() == 0, Duration.ofSeconds(30)))
                    .as("the first dropped future's failure reached the handler").isTrue();

            dropFailedFuture("tm22-future");
            dropFailedGroup("tm22-group");
            assertThat(gcUntil(() -> reported.containsAll(List.of("tm22-future", "tm22-group")), Duration.ofSeconds(10)))
                    .as("the later failures were reported while the first report blocked (reported: %s)", reported)
                    .isTrue();
        } finally {
            release.countDown();
            Threads.awaitTrue(() -> reported.contains("tm22-blocks"), "the blocked report to end once released");
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /** A future whose failure is decided, its handle dropped on return without a join: only the cleaner reports it. */
    private static void dropFailedFuture(String message) throws InterruptedException {
        GoFuture<Object> f = Go.future(() -> {
            throw new IOException(message);
        });
        f.done().receiveOk(); // done: the outcome is recorded before the handle goes (a receive observes nothing, GF2)
    }

    /** A group whose first failure is recorded, the group dropped on return without await() or close(). */
    private static void dropFailedGroup(String message) throws InterruptedException {
        ErrGroup g = ErrGroup.create();
        g.go(() -> {
            throw new IOException(message);
        });
        g.context().done().receiveOk(); // the first failure is recorded: it cancelled the context (EG3)
    }

    /** Collects garbage until {@code done} holds; false if it does not within {@code bound}. */
    private static boolean gcUntil(BooleanSupplier done, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            System.gc();
            Timers.after(Duration.ofMillis(10)).receive(); // a pause for the cleaner's thread, not an ordering
        }
        return true;
    }
}
