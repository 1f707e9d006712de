package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Adversarial probes of Go's timer and context promises: every schedule of a timer ends exactly once
 * (received, or reported prevented by the stop/reset that ended it) however stops, resets, looks and
 * hand-offs interleave; no tick of a ticker's old period after its reset or stop; children and
 * afterFunc registrations made while a tree is cancelled from the root and the middle; timers and
 * deadlines across collections.
 */
@ExtendWith(NoNewGoroutines.class)
@org.junit.jupiter.api.Timeout(value = 180, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails the class, never holds the build
class TimerContextAdversarialTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    private static Duration jitter(long maxNanos) {
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(-1_000, maxNanos));
    }

    /**
     * Takes and releases the channel's lock in a loop, so the timer thread finds it busy (hand-offs, TM9).
     * It leaves the lock free ten times as long as it holds it and yields now and then: the channel's lock
     * is not fair, and a thread that only re-took it would starve every other (a property of the lock, not
     * of the timers). Its pause is {@link Threads#letOthersRun}, never a bare yield: yielding
     * spinners starve the virtual threads that the timer thread wakes.
     */
    private static void hammer(ChannelCore core, AtomicBoolean stop) {
        for (int k = 0; !stop.get(); k++) {
            core.lock();
            try {
                for (int i = 0; i < 500; i++) { // longer than the timer thread's tries: it hands off
                    Thread.onSpinWait();
                }
            } finally {
                core.unlock();
            }
            for (int i = 0; i < 5_000; i++) {
                Thread.onSpinWait();
            }
            if (k % 4 == 0) {
                Threads.letOthersRun();
            }
        }
    }

    /**
     * Go 1.23: a stop or reset reports true exactly when it ended a schedule whose value nobody had
     * received (a fired, unreceived value counts: it is discarded). So with several resetters, stoppers
     * and receivers (blocking, timed and non-blocking ones, which run a due timer: TM7) on one timer,
     * and the lock hammered so that deliveries are handed off, every schedule is accounted for exactly
     * once: values received plus calls that returned true equal the schedules made.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_TM7_everyScheduleEndsOnceReceivedOrReportedPrevented(Kind kind) throws Exception {
        for (int round = 0; round < 20; round++) {
            Timer t = Timers.newTimer(jitter(50_000));
            ChannelCore core = ChannelCores.of(t.c());
            AtomicLong schedules = new AtomicLong(1);
            AtomicLong prevented = new AtomicLong();
            AtomicLong received = new AtomicLong();
            AtomicBoolean over = new AtomicBoolean();
            int changers = 3;
            CountDownLatch changed = new CountDownLatch(changers);
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < changers; i++) {
                    int which = i;
                    threads.start(() -> {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        for (int k = 0; k < 400; k++) {
                            if (which == 0 && r.nextInt(4) == 0) {
                                if (t.stop()) {
                                    prevented.incrementAndGet();
                                }
                            } else {
                                // Counted before the call: a receiver may see the new schedule's value
                                // before reset returns.
                                schedules.incrementAndGet();
                                if (t.reset(jitter(30_000))) {
                                    prevented.incrementAndGet();
                                }
                            }
                            if (r.nextInt(8) == 0) {
                                for (int s = r.nextInt(2_000); s > 0; s--) {
                                    Thread.onSpinWait();
                                }
                            }
                        }
                        changed.countDown();
                    });
                }
                for (int i = 0; i < 2; i++) {
                    int which = i;
                    threads.start(() -> {
                        for (int k = 0; !over.get(); k++) {
                            Received<Instant> v = which == 0 ? t.c().tryReceive() : t.c().receive(Duration.ofNanos(20_000));
                            if (v.ok()) {
                                received.incrementAndGet();
                            }
                            if (k % 64 == 0) {
                                Threads.letOthersRun(); // a spinner leaves the CPU to the others now and then
                            }
                        }
                    });
                }
                threads.start(() -> hammer(core, over));
                try {
                    assertThat(changed.await(60, TimeUnit.SECONDS)).isTrue();
                } finally {
                    over.set(true); // a failure ends the spinners too: left running, they would hold the carriers
                }
            }
            if (t.stop()) {
                prevented.incrementAndGet();
            }
            assertThat(t.c().tryReceive().notReady()).as("round %d: nothing after the last stop", round).isTrue();
            assertThat(received.get() + prevented.get())
                    .as("round %d: received %d + prevented %d = schedules %d", round, received.get(), prevented.get(), schedules.get())
                    .isEqualTo(schedules.get());
        }
    }

    /**
     * Many fast tickers, each with receivers looking at its channel (TM7) and a thread hammering its
     * lock (hand-offs, TM9): the channel never holds more than one tick, and once {@code reset} to an
     * hour or {@code stop} has returned, no receive that starts afterwards gets a tick.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_TM3_TM9_tickersResetOrStoppedUnderContentionDeliverNoOldTick(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        for (int round = 0; round < 10; round++) {
            int n = 16;
            List<Timer> tickers = new ArrayList<>();
            List<AtomicBoolean> ended = new ArrayList<>();
            List<AtomicInteger> ticks = new ArrayList<>();
            AtomicInteger stale = new AtomicInteger();
            AtomicInteger overfull = new AtomicInteger();
            AtomicBoolean over = new AtomicBoolean();
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < n; i++) {
                    Timer t = Timers.newTicker(Duration.ofNanos(5_000 + 5_000L * (i % 4)));
                    ChannelCore core = ChannelCores.of(t.c());
                    AtomicBoolean done = new AtomicBoolean();
                    AtomicInteger count = new AtomicInteger();
                    tickers.add(t);
                    ended.add(done);
                    ticks.add(count);
                    int which = i;
                    threads.start(() -> {
                        for (int k = 0; !over.get(); k++) {
                            if (k % 64 == 0) {
                                Threads.letOthersRun(); // a spinner leaves the CPU to the others now and then
                            }
                            boolean after = done.get(); // read before the receive starts
                            Received<Instant> v = which % 2 == 0 ? t.c().tryReceive() : t.c().receive(Duration.ofNanos(50_000));
                            if (v.ok()) {
                                count.incrementAndGet();
                                if (after) {
                                    stale.incrementAndGet();
                                }
                            }
                            if (core.len() > 1) {
                                overfull.incrementAndGet();
                            }
                        }
                    });
                    if (i % 4 == 0) {
                        threads.start(() -> hammer(core, over));
                    }
                }
                try {
                    stopOrResetEachAndLookAgain(round, tickers, ended, ticks, stale);
                } finally {
                    over.set(true); // a failure ends the spinners too: left running, they would hold the carriers
                }
            }
            for (Timer t : tickers) {
                t.stop();
            }
            assertThat(stale.get()).as("round %d: ticks received after stop/reset returned", round).isZero();
            assertThat(overfull.get()).as("round %d: a ticker's channel held more than one tick", round).isZero();
        }
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "nothing left scheduled");
    }

    /** G2_TM3_TM9's main part: a few ticks each, then stop or reset each, then look for stale ticks. */
    private static void stopOrResetEachAndLookAgain(int round, List<Timer> tickers, List<AtomicBoolean> ended,
            List<AtomicInteger> ticks, AtomicInteger stale) {
        int n = tickers.size();
        for (int i = 0; i < n; i++) {
            AtomicInteger count = ticks.get(i);
            Threads.awaitTrue(() -> count.get() >= 3, "a few ticks");
        }
        for (int i = 0; i < n; i++) {
            Timer t = tickers.get(i);
            if ((i + round) % 2 == 0) {
                assertThat(t.stop()).as("a running ticker is pending").isTrue();
            } else {
                assertThat(t.reset(Duration.ofHours(1))).isTrue();
            }
            ended.get(i).set(true);
        }
        // Receivers keep looking for a while after every stop and reset returned.
        for (int i = 0; i < n; i++) {
            Timer t = tickers.get(i);
            for (int k = 0; k < 200; k++) {
                if (t.c().tryReceive().ok()) {
                    stale.incrementAndGet();
                }
            }
        }
    }

    /**
     * A tree (a chain 2,000 deep, 2,000 wide at the top) while threads keep making children (cancel,
     * timeout, through value contexts) and afterFunc registrations (stopped at once, racing) at random
     * nodes, and one thread cancels the middle and another the root: every context made is done, with its
     * own outcome or an ancestor's; a child made on a node already done carries that node's error and
     * cause as themselves; afterFuncs ran exactly when their stop returned false; nothing is registered
     * anywhere; no deadline is left scheduled.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX4_CX5_CX8_childrenMadeWhileRootAndMiddleAreCancelledEndWhole(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        for (int round = 0; round < 4; round++) {
            CancellableContext root = Context.withCancel(Context.background());
            List<Contexts.CancelContext> nodes = new ArrayList<>();
            nodes.add((Contexts.CancelContext) root);
            Context tip = root;
            for (int i = 0; i < 2_000; i++) {
                CancellableContext c = Context.withCancel(i % 5 == 0 ? Context.withValue(tip, ContextKey.of("k"), i) : tip);
                nodes.add((Contexts.CancelContext) c);
                tip = c;
            }
            for (int i = 0; i < 2_000; i++) {
                nodes.add((Contexts.CancelContext) Context.withTimeout(nodes.get(i % 3), Duration.ofHours(1)));
            }
            List<Contexts.CancelContext> snapshot = List.copyOf(nodes);
            ConcurrentLinkedQueue<Contexts.CancelContext> made = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Contexts.CancelContext[]> madeOnDone = new ConcurrentLinkedQueue<>(); // {child, parent}
            AtomicInteger funcsRan = new AtomicInteger();
            AtomicInteger stopFalse = new AtomicInteger();
            int makers = 3;
            CyclicBarrier barrier = new CyclicBarrier(makers + 2);
            try (Threads threads = new Threads(kind)) {
                for (int m = 0; m < makers; m++) {
                    threads.start(() -> {
                        barrier.await();
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        for (int k = 0; k < 1_500; k++) {
                            Contexts.CancelContext p = snapshot.get(r.nextInt(snapshot.size()));
                            boolean wasDone = p.isDone();
                            switch (r.nextInt(3)) {
                                case 0 -> {
                                    Contexts.CancelContext c = (Contexts.CancelContext) Context.withCancel(p);
                                    made.add(c);
                                    if (wasDone) {
                                        madeOnDone.add(new Contexts.CancelContext[] {c, p});
                                    }
                                }
                                case 1 -> made.add((Contexts.CancelContext) Context.withTimeout(
                                        Context.withValue(p, ContextKey.of("v"), k), Duration.ofHours(1)));
                                default -> {
                                    AfterFunc a = Context.afterFunc(p, funcsRan::incrementAndGet);
                                    if (!a.stop()) {
                                        stopFalse.incrementAndGet();
                                    }
                                }
                            }
                        }
                    });
                }
                threads.start(() -> {
                    barrier.await();
                    snapshot.get(1_000).cancel(new RuntimeException("middle"));
                });
                threads.start(() -> {
                    barrier.await();
                    root.cancel(new RuntimeException("root"));
                });
            }
            List<Contexts.CancelContext> all = new ArrayList<>(snapshot);
            all.addAll(made);
            for (Contexts.CancelContext c : all) {
                assertThat(c.err()).as("round %d: every context is done", round).isNotNull();
                assertThat(c.cause().getMessage()).isIn("root", "middle");
                assertThat(c.childCount()).as("round %d: %s registers nothing", round, c).isZero();
            }
            for (Contexts.CancelContext[] pair : madeOnDone) {
                assertThat(pair[0].err()).as("a child made on a done parent has its error").isSameAs(pair[1].err());
                assertThat(pair[0].cause()).as("and its cause").isSameAs(pair[1].cause());
            }
            Threads.awaitTrue(() -> funcsRan.get() >= stopFalse.get(), "the afterFuncs whose stop failed ran");
            assertThat(funcsRan.get()).as("round %d: afterFuncs ran exactly when stop returned false", round).isEqualTo(stopFalse.get());
        }
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "no deadline left scheduled");
    }

    /**
     * Collections while timers are pending: stopped timers and tickers nobody references are collected;
     * pending timers that only their blocked receivers reference, afterFunc timers and context deadlines
     * nobody references all still fire.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM2_TM8_CX11_collectionsTakeStoppedTimersAndKeepPendingOnes(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        List<WeakReference<Object>> stopped = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            Timer t = i % 2 == 0 ? Timers.newTimer(Duration.ofMinutes(10)) : Timers.newTicker(Duration.ofNanos(1_000 + i));
            stopped.add(new WeakReference<>(t));
            stopped.add(new WeakReference<>(t.c()));
            t.stop();
        }
        int n = 500;
        CountDownLatch fired = new CountDownLatch(3 * n);
        CountDownLatch waiting = new CountDownLatch(n);
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < n; i++) {
                long ms = 20 + i % 50;
                threads.start(() -> {
                    ReceiveChan<Instant> c = Timers.after(Duration.ofMillis(ms));
                    waiting.countDown();
                    if (c.receive(LONG).ok()) {
                        fired.countDown();
                    }
                });
                Timers.afterFunc(Duration.ofMillis(ms), fired::countDown);
                CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(ms));
                Context.afterFunc(ctx, fired::countDown);
            }
            assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            assertThat(fired.await(30, TimeUnit.SECONDS)).as("pending timers fired across collections (%d left)", fired.getCount()).isTrue();
        }
        Threads.awaitTrue(() -> {
            System.gc();
            return stopped.stream().allMatch(r -> r.get() == null);
        }, "every stopped timer collected");
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "nothing left scheduled");
    }

    /**
     * Thousands of timers, tickers, stops racing expiries, afterFunc timers and deadlines on a single
     * carrier thread (only a child JVM can have that: the scheduler's parallelism is read once), while a
     * goroutine polls a context on that carrier until its deadline (CX11) and collections run: every
     * timer fires or is stopped exactly once, no stale value, nothing left scheduled. The child is waited
     * for with a bound and destroyed afterwards.
     */
    @org.junit.jupiter.api.Test
    void G2_CX11_TM9_thousandsOfTimersAndDeadlinesOnOneCarrier(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), OneCarrierTimerProbe.class.getName());
        java.nio.file.Path log = dir.resolve("child.log");
        // To a file, not a pipe: a hung child then fails the bounded wait instead of blocking a read.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            String text = java.nio.file.Files.readString(log);
            assertThat(ended).as("child JVM ended within 120 s%n%s", text).isTrue();
            assertThat(p.exitValue()).as("exit of the one-carrier probe%n%s", text).isZero();
            assertThat(text).contains("probe ok");
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
