package io.gochan.select;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.DeadlineExceededException;
import io.gochan.Go;
import io.gochan.Received;
import io.gochan.GoFuture;
import io.gochan.ErrGroup;
import io.gochan.Goroutine;
import io.gochan.OverflowPolicy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.nio.file.StandardOpenOption.APPEND;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The select examples of the README and of the javadoc of {@link Select}, {@link SelectStatement}
 * and {@link Context}, each copied verbatim between the {@code // example} markers of a test method,
 * with the variables it needs declared before it and its behaviour asserted after it.
 * {@code ExamplesMatchDocsTest} (module {@code leak-check}) fails if a documented example is not found
 * here word for word.
 */
@NoGoroutineLeaks
class DocumentedExamplesTest {
    private static final Duration LONG = Duration.ofSeconds(20);

    private final List<Integer> handled = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile boolean stop;
    private volatile CancellationException gaveUpWith;

    @Test
    void selectJavadoc() throws Exception {
        Chan<Integer> results = Chan.make(1);
        Chan<Integer> requests = Chan.make();   // nobody receives: the send case is never ready
        Integer job = 1;
        results.send(5);
        // example: Select
        String r = Select.<String>cases()
                .receive(results, v -> "got " + v)
                .send(requests, job, () -> "sent")
                .timeout(Duration.ofSeconds(1), () -> "timed out")
                .select();
        // end
        assertThat(r).isEqualTo("got 5");
        assertThat(requests.len()).isZero();
    }

    /** Jobs arrive, then the context is cancelled: the loop handles every job and stops. */
    @Test
    void selectStatementJavadoc() throws Exception {
        Chan<Integer> jobs = Chan.make();
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            Goroutine producer = Go.go("producer", () -> {
                for (int i = 1; i <= 3; i++) {
                    jobs.send(i);   // unbuffered: returns once the loop has taken it
                }
                ctx.cancel();
            });
            // example: SelectStatement
            SelectStatement loop = Select.statement()
                    .receive(jobs, job -> process(job))
                    .done(ctx, () -> stop = true);
            while (!stop) loop.run();
            // end
            assertThat(producer.join(LONG)).isTrue();
        }
        assertThat(handled).containsExactly(1, 2, 3);
    }

    /** A result is there before the deadline: it is used. */
    @Test
    void contextJavadoc_aResultInTime() throws Exception {
        Chan<Integer> results = Chan.make(1);
        results.send(9);
        // example: Context
        try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(2))) {
            Select.statement().receive(results, r -> use(r)).done(ctx, () -> giveUp(ctx.err())).run();
        }
        // end
        assertThat(handled).containsExactly(9);
        assertThat(gaveUpWith).isNull();
    }

    /** No result within the deadline (2 s): the context's done channel closes and the loop gives up. */
    @Test
    void contextJavadoc_theDeadlinePasses() throws Exception {
        Chan<Integer> results = Chan.make();
        // example: Context
        try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(2))) {
            Select.statement().receive(results, r -> use(r)).done(ctx, () -> giveUp(ctx.err())).run();
        }
        // end
        assertThat(handled).isEmpty();
        assertThat(gaveUpWith).isInstanceOf(DeadlineExceededException.class);
    }

    /** Jobs arrive, then quit is closed (Go's idiom): every job is handled and the loop ends. */
    @Test
    void readmeSelect() throws Exception {
        Chan<Integer> results = Chan.make(1);
        Chan<Integer> requests = Chan.make();
        Integer request = 1;
        Chan<Integer> jobs = Chan.make();
        Chan<Object> quit = Chan.make();
        results.send(5);
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            Goroutine producer = Go.go("producer", () -> {
                jobs.send(10);
                jobs.send(20);
                quit.close();
            });
            // example: README, Select
            String r = Select.onReceive(results, v -> "result " + v)   // result type inferred
                    .done(ctx, () -> "cancelled")                         // Go's case <-ctx.Done()
                    .send(requests, request, () -> "sent")
                    .timeout(Duration.ofSeconds(1), () -> "timed out")
                    .select();

            SelectStatement loop = Select.statement()          // statement form, built once, run many times
                    .receive(jobs, job -> handle(job))
                    .receiveOk(quit, x -> running = false);   // fires on a value and on close(quit)
            while (running) loop.run();
            // end
            assertThat(producer.join(LONG)).isTrue();
            assertThat(r).isEqualTo("result 5");
        }
        assertThat(handled).containsExactly(10, 20);
    }

    /** A handler that throws IOException; a line is appended, then the cancelled context ends the loop. */
    @Test
    void selectionJavadoc() throws Exception {
        Chan<String> lines = Chan.make(1);
        lines.send("first");
        java.nio.file.Path log = java.nio.file.Files.createTempFile("selection", ".log");
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            // example: Selection
            boolean more = Select.onReceive(lines, line -> { Files.writeString(log, line + "\n", APPEND); return true; })
                    .done(ctx, () -> false)
                    .select();   // throws InterruptedException, IOException
            // end
            assertThat(more).isTrue();
            assertThat(Files.readString(log)).isEqualTo("first\n");
            ctx.cancel();
            assertThat(Select.onReceive(lines, line -> true).done(ctx, () -> false).select()).isFalse();
        } finally {
            Files.delete(log);
        }
    }

    /** The README's structured section: a pool of fetches, a fan-in of two futures, a stream until closed. */
    @Test
    void readmeErrorGroupsResultsCancellableOperations() throws Exception {
        List<String> urls = List.of("a", "bb", "ccc", "dddd", "eeeee", "ffffff");
        Chan<String> events = Chan.make(4);
        events.send("e1");
        events.send("e2");
        events.close();
        Chan<String> replies = Chan.make(1);
        replies.send("pong");
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            // example: README, Error groups, results, cancellable operations
            // Worker pool: at most 4 fetches at once; the first failure cancels the others and is thrown as itself.
            int total = 0;
            try (CancellableContext deadline = Context.withTimeout(ctx, Duration.ofSeconds(5));
                 ErrGroup g = ErrGroup.withContext(deadline)) {
                g.setLimit(4);
                Chan<Integer> sizes = Chan.make(urls.size());
                for (String url : urls) {
                    g.go(() -> sizes.send(fetch(g.context(), url).length(), g.context()));
                }
                g.await();                      // every fetch ended; IOException, TimeoutException... as themselves
                sizes.close();
                for (int size : sizes) total += size;
            }

            // Fan-in: two results computed concurrently; join returns the value or rethrows the failure.
            GoFuture<String> user = Go.future(() -> fetch(ctx, "user"));
            GoFuture<String> cart = Go.future(() -> fetch(ctx, "cart"));
            String page = user.join() + cart.join();

            // Streams: receive until closed, but stop when the request is cancelled (throws ctx.err()).
            for (Received<String> r; !(r = events.receiveOk(ctx)).closed(); ) handle(r.value());
            String reply = Select.onReceive(replies, v -> v).done(ctx, () -> "cancelled").select();
            // end
            assertThat(total).isEqualTo(6 * "page ".length() + 21);
            assertThat(page).isEqualTo("page userpage cart");
            assertThat(events.tryReceive().closed()).as("the stream was read until it closed").isTrue();
            assertThat(reply).isEqualTo("pong");
        }
        assertThat(handledEvents).containsExactly("e1", "e2");
    }

    /** The README's overflow section: conflated, drop-oldest with a callback, unlimited, a future's done(). */
    @Test
    void readmeConflatedDropOldestAndUnlimitedChannels() throws Exception {
        Chan<String> events = Chan.make();
        // example: README, Conflated, drop-oldest and unlimited channels
        // Only the newest value matters (progress, a reloaded config): sends never wait.
        Chan<Integer> progress = Chan.conflated();
        for (int pct = 0; pct <= 100; pct += 10) progress.send(pct);   // older values are dropped
        int latest = progress.receive();                                // 100

        // A bounded buffer that sheds its oldest values and says which (to release or count them).
        List<String> shed = new ArrayList<>();
        Chan<String> recent = Chan.make(2, OverflowPolicy.DROP_OLDEST, shed::add);
        for (String e : List.of("a", "b", "c")) recent.send(e);        // shed is [a]; recent holds b, c

        // Producers that never wait (memory is the bound); cap() reports Chan.UNLIMITED.
        Chan<String> log = Chan.unlimited();
        log.send("started");

        // Wait for a future next to other channels: done() is only ever closed, so use a receiveOk case.
        GoFuture<String> job = Go.future(() -> "report");
        String first = Select.<String>cases().receive(events, e -> e).receiveOk(job.done(), d -> "job done").select();
        // end
        assertThat(latest).isEqualTo(100);
        assertThat(shed).containsExactly("a");
        assertThat(recent.receive()).isEqualTo("b");
        assertThat(recent.receive()).isEqualTo("c");
        assertThat(log.cap()).isEqualTo(Chan.UNLIMITED);
        assertThat(log.receive()).isEqualTo("started");
        assertThat(first).isEqualTo("job done");
        assertThat(job.join()).isEqualTo("report");
    }

    private final List<String> handledEvents = new CopyOnWriteArrayList<>();

    private void handle(String event) {
        handledEvents.add(event);
    }

    private static String fetch(Context ctx, String url) throws java.io.IOException {
        if (ctx.isDone()) {
            throw new java.io.IOException("cancelled: " + ctx.cause());
        }
        return "page " + url;
    }

    private void process(int job) {
        handled.add(job);
    }

    private void handle(int job) {
        handled.add(job);
    }

    private void use(int result) {
        handled.add(result);
    }

    private void giveUp(CancellationException why) {
        gaveUpWith = why;
    }
}
