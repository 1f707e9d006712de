package io.gochan;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The code examples of the README and of this module's javadoc, each copied verbatim between the
 * {@code // example} markers of one test method, with the variables it needs declared before it and
 * its behaviour asserted after it. {@code ExamplesMatchDocsTest} (module {@code leak-check}) fails if
 * a documented example is not found here word for word, so the documentation cannot drift.
 */
class DocumentedExamplesTest {
    private Set<Goroutine> before;

    @BeforeEach
    void rememberLiveGoroutines() {
        before = new HashSet<>(Goroutines.live());
    }

    /** Every goroutine an example started has ended, and every timer it made left no task behind. */
    @AfterEach
    void examplesLeaveNothingRunning() {
        Threads.awaitTrue(() -> Goroutines.live().stream().allMatch(before::contains), "the examples' goroutines to end");
        Threads.awaitTrue(() -> Timers.pendingTasks() == 0, "no pending timer task");
    }

    @Test
    void chanJavadoc() throws Exception {
        String printed = capturingSystemOut(() -> {
            // example: Chan
            Chan<String> ch = Chan.make(16);
            Go.go(() -> { ch.send("hello"); ch.close(); });
            for (String s : ch) System.out.println(s);   // prints hello, then the loop ends
            // end
        });
        assertThat(printed).isEqualTo("hello" + System.lineSeparator());
    }

    @Test
    void goJavadoc() throws Exception {
        // example: Go
        Chan<Integer> results = Chan.make();
        Go.go("worker", () -> results.send(compute()));
        int r = results.receive();
        // end
        assertThat(r).isEqualTo(42);
    }

    @Test
    void goroutineOwnerJavadoc() throws Exception {
        long before = Goroutines.startedCount();
        // example: GoroutineOwner
        try (GoroutineOwner pool = Goroutines.owner("worker-pool")) {
            Chan<Integer> done = Chan.make();
            pool.go("worker", () -> done.send(1));
            done.receive();
        }
        // end
        // At least the worker: the count is the JVM's, and the library may start one of its own meanwhile (the report
        // of a dropped future's failure the collector just found, TM22); done.receive() proved the worker ran.
        assertThat(Goroutines.startedCount()).isGreaterThan(before);
    }

    @Test
    void timersJavadoc() throws Exception {
        Instant start = Instant.now();
        // example: Timers
        Received<Instant> r = Timers.after(Duration.ofSeconds(1)).receiveOk();   // waits about a second
        // end
        assertThat(r.ok()).isTrue();
        assertThat(r.value()).isAfterOrEqualTo(start.plusSeconds(1));
    }

    @Test
    void timerJavadoc() throws Exception {
        java.util.List<Instant> ticks = new java.util.ArrayList<>();
        // example: Timer
        try (Timer ticker = Timers.newTicker(Duration.ofMillis(100))) {   // stopped when the block ends
            for (int i = 0; i < 3; i++) {
                ticks.add(ticker.c().receive());
            }
        }
        // end
        assertThat(ticks).hasSize(3).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void readmeChannels() throws Exception {
        Chan<Integer> out = Chan.make(16);
        // example: README, Channels
        Chan<String> ch = Chan.make();          // unbuffered: send waits for its receiver
        Chan<Integer> jobs = Chan.make(16);     // buffered, FIFO, 16 slots

        jobs.send(42);                          // blocks while full; throws ChannelClosedException if closed
        boolean sent = jobs.trySend(7);         // never blocks
        int v = jobs.receive();                 // blocks while empty; ChannelClosedException once closed and drained
        Received<Integer> r = jobs.receiveOk(); // Go's v, ok := <-jobs : r.ok() / r.closed()
        Received<Integer> t = jobs.receive(Duration.ofMillis(50)); // t.notReady() if the time ran out
        jobs.close();                           // receivers drain what is buffered, then see "closed"
        for (int job : jobs) { /* ends after the last value of a closed channel */ }
        jobs.range(job -> out.send(job * 2));   // the same, with a body that may block or throw

        SendChan<Integer> producerSide = jobs.sendOnly();       // Go's chan<- int
        ReceiveChan<Integer> consumerSide = jobs.receiveOnly(); // Go's <-chan int
        Chan<Integer> never = Chan.nil();                        // Go's nil channel
        // end
        assertThat(ch.cap()).isZero();
        assertThat(sent).isTrue();
        assertThat(v).isEqualTo(42);
        assertThat(r.ok()).isTrue();
        assertThat(r.value()).isEqualTo(7);
        assertThat(t.notReady()).isTrue();
        assertThat(jobs.receiveOk().closed()).isTrue();
        assertThat(out.len()).isZero();
        assertThat(consumerSide.tryReceive().closed()).isTrue();
        assertThat(producerSide.cap()).isEqualTo(16);
        assertThat(never.tryReceive().notReady()).isTrue();
    }

    @Test
    void bubbleJavadoc() throws Exception {
        String printed = capturingSystemOut(() -> {
            // example: Bubble
            Bubble.run(() -> {
                CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofHours(1));
                ctx.done().receiveOk();               // returns at once: the clock jumps an hour
                System.out.println(Timers.now());     // prints 2000-01-01T01:00:00Z
            });
            // end
        });
        assertThat(printed).isEqualTo("2000-01-01T01:00:00Z" + System.lineSeparator());
    }

    @Test
    void readmeVirtualTime() throws Exception {
        // example: README, Virtual time
        Bubble.run(() -> {
            Map<String, String> cache = new ConcurrentHashMap<>();
            cache.put("k", "v");
            Timers.afterFunc(Duration.ofMinutes(5), () -> cache.remove("k"));   // the entry's expiry
            Timers.sleep(Duration.ofMinutes(5).minusNanos(1));    // no real time passes
            Bubble.await();                                       // every other goroutine is blocked
            assertThat(cache).containsKey("k");
            Timers.sleep(Duration.ofNanos(1));                    // the clock reaches the expiry
            Bubble.await();                                       // the afterFunc goroutine has run
            assertThat(cache).doesNotContainKey("k");
            assertThat(Timers.now()).isEqualTo(Instant.parse("2000-01-01T00:05:00Z"));
        });
        // end
    }

    @Test
    void readmeGoroutinesTimersContextWaitGroup() throws Exception {
        Chan<Integer> results = Chan.make(1);
        // example: README, Goroutines, timers, context, wait group
        Goroutine g = Go.go("worker", () -> results.send(compute()));   // a virtual thread, named
        Goroutines.live();   Goroutines.dump();                          // what is running, blocked on what

        Timer timer = Timers.newTimer(Duration.ofSeconds(1));            // timer.c(), stop(), reset(d)
        ReceiveChan<Instant> tick = Timers.after(Duration.ofMillis(10)); // Go's time.After
        Timer ticker = Timers.newTicker(Duration.ofMillis(100));

        try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(2))) {
            // ctx.done() closes on cancel or deadline; ctx.err() says which; children are cancelled with it
        }

        WaitGroup wg = new WaitGroup();  wg.add(1);  Go.go(() -> { try { work(); } finally { wg.done(); } });  wg.await();
        // end
        assertThat(results.receive()).isEqualTo(42);
        assertThat(g.join(Duration.ofSeconds(20))).isTrue();
        assertThat(g.name()).isEqualTo("worker");
        assertThat(tick.receive(Duration.ofSeconds(20)).ok()).isTrue();
        assertThat(ticker.c().receive(Duration.ofSeconds(20)).ok()).isTrue();
        timer.stop();
        ticker.stop();
        assertThat(worked).isEqualTo(1);
        assertThat(wg.count()).isZero();
    }

    /** Three pages fetched by a group; every fetch's result arrives, and await returns normally. */
    @Test
    void errGroupJavadoc() throws Exception {
        java.util.List<String> urls = java.util.List.of("a", "b", "c");
        Chan<String> pages = Chan.make(urls.size());
        try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(20))) {
            // example: ErrGroup
            try (ErrGroup g = ErrGroup.withContext(ctx)) {
                for (String url : urls) {
                    g.go(() -> pages.send(fetch(g.context(), url)));
                }
                g.await();   // the first failure, as itself; the others are in its getSuppressed()
            }
            // end
        }
        Set<String> got = new HashSet<>();
        for (int i = 0; i < urls.size(); i++) {
            got.add(pages.receive());
        }
        assertThat(got).containsExactlyInAnyOrder("page a", "page b", "page c");
    }

    private static String fetch(Context ctx, String url) {
        if (ctx.isDone()) {
            throw ctx.err();
        }
        return "page " + url;
    }

    private int worked;

    private void work() {
        worked++; // visible to the test thread after wg.await() (G4)
    }

    private static int compute() {
        return 42;
    }

    private interface Body {
        void run() throws Exception;
    }

    private static String capturingSystemOut(Body body) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
