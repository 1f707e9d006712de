package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Timers and contexts under load and races, on the system scheduler: many threads on one timer, a
 * timer re-armed from its own function, a burst of timers, many deadlines at once, and trees cancelled
 * from several threads. No ordering by sleeping, and time only as a generous bound; every round checks
 * an invariant that holds whichever thread wins.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerContextPressureTest {

    private static Duration jitter(long maxNanos) {
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, maxNanos));
    }

    /**
     * Go 1.23: of several {@code Stop}s racing a timer's firing, with nobody receiving, exactly one
     * reports that it prevented the delivery (a fired, unreceived value counts: it is discarded), and
     * nothing is received afterwards; with a receiver looking too, exactly one of all of them gets it.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_concurrentStopsRacingTheFiringPreventOrReceiveExactlyOnce(Kind kind) throws Exception {
        int stoppers = 3;
        for (int round = 0; round < 300; round++) {
            Timer t = Timers.newTimer(jitter(200_000));
            boolean withReceiver = round % 2 == 1;
            CyclicBarrier barrier = new CyclicBarrier(stoppers + (withReceiver ? 1 : 0));
            AtomicInteger outcomes = new AtomicInteger();
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < stoppers; i++) {
                    threads.start(() -> {
                        barrier.await();
                        if (t.stop()) {
                            outcomes.incrementAndGet();
                        }
                    });
                }
                if (withReceiver) {
                    threads.start(() -> {
                        barrier.await();
                        for (int i = 0; i < 1_000; i++) {
                            if (t.c().tryReceive().ok()) {
                                outcomes.incrementAndGet();
                                return;
                            }
                        }
                    });
                }
            }
            assertThat(outcomes.get()).as("round %d: stops that prevented it plus receives", round).isEqualTo(1);
            assertThat(t.c().tryReceive().notReady()).as("round %d: nothing left", round).isTrue();
            assertThat(t.stop()).isFalse();
        }
    }

    /**
     * Go's {@code time.AfterFunc} re-armed from inside its own function: each reset from the function
     * (the timer has expired, so it returns false) makes it run exactly once more; a stop afterwards
     * leaves nothing scheduled.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_anAfterFuncTimerResetFromItsOwnFunctionRunsOncePerReset(Kind kind) throws Exception {
        int resets = 50;
        int before = Timers.pendingTasks();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                AtomicReference<Timer> self = new AtomicReference<>();
                AtomicInteger runs = new AtomicInteger();
                ConcurrentLinkedQueue<Boolean> resetResults = new ConcurrentLinkedQueue<>();
                Chan<Integer> finished = Chan.make(1);
                Timer t = Timers.afterFunc(Duration.ZERO, () -> {
                    while (self.get() == null) {
                        Thread.onSpinWait(); // the first run can start before afterFunc returned
                    }
                    int n = runs.incrementAndGet();
                    if (n <= resets) {
                        resetResults.add(self.get().reset(jitter(100_000)));
                    } else {
                        finished.send(n);
                    }
                });
                self.set(t);
                assertThat(finished.receive(Duration.ofSeconds(30)).value()).isEqualTo(resets + 1);
                // The last reset's run can finish before the run that reset it has recorded what reset returned.
                Threads.awaitTrue(() -> resetResults.size() == resets, "the last run's reset result");
                assertThat(resetResults).hasSize(resets).containsOnly(false);
                assertThat(t.stop()).as("expired, not re-armed").isFalse();
                assertThat(runs.get()).isEqualTo(resets + 1);
            });
        }
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "nothing left scheduled");
    }

    /**
     * A burst of 100,000 timers (one-shots, tickers, afterFunc) scheduled and stopped from several
     * threads leaves nothing scheduled; the heap gives back what it took (TM2's bound: what remains
     * is what is live).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM2_aBurstOfStoppedTimersLeavesNothingScheduled(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        int perThread = 25_000;
        try (Threads threads = new Threads(kind)) {
            for (int th = 0; th < 4; th++) {
                threads.start(() -> {
                    List<Timer> live = new ArrayList<>(1_000);
                    for (int i = 0; i < perThread; i++) {
                        Timer t = switch (i % 3) {
                            case 0 -> Timers.newTimer(Duration.ofMillis(1 + i % 500));
                            case 1 -> Timers.newTicker(Duration.ofMillis(1 + i % 500));
                            default -> Timers.afterFunc(Duration.ofHours(1), () -> { });
                        };
                        live.add(t);
                        if (live.size() == 1_000) {
                            for (Timer x : live) {
                                x.stop();
                            }
                            live.clear();
                        }
                    }
                    for (Timer x : live) {
                        x.stop();
                    }
                });
            }
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * Many contexts whose deadlines fire at about the same time, under load, while another thread
     * cancels some of them: each is done exactly once, with one consistent outcome (a deadline's error
     * with the deadline's cause, or the cancel's with its cause), each afterFunc runs exactly once, and
     * no deadline timer is left.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX1_CX6_CX8_manyDeadlinesFiringUnderLoadEachCancelOnce(Kind kind) throws Exception {
        int n = 5_000;
        int before = Timers.pendingTasks();
        RuntimeException deadlineCause = new RuntimeException("deadline");
        RuntimeException cancelCause = new RuntimeException("cancel");
        List<CancellableContext> contexts = new ArrayList<>(n);
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            CancellableContext ctx = Context.withTimeout(Context.background(), jitter(5_000_000), deadlineCause);
            Context.afterFunc(ctx, runs::incrementAndGet);
            contexts.add(ctx);
        }
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < n; i += 3) {
                    contexts.get(i).cancel(cancelCause);
                }
            });
            threads.start(() -> {
                for (CancellableContext ctx : contexts) {
                    assertThat(ctx.done().receive(Duration.ofSeconds(30)).closed()).isTrue();
                }
            });
        }
        for (CancellableContext ctx : contexts) {
            Throwable cause = ctx.cause();
            if (cause == deadlineCause) {
                assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
            } else {
                assertThat(cause).isSameAs(cancelCause);
                assertThat(ctx.err()).isInstanceOf(ContextCanceledException.class);
            }
            assertThat(ctx.err().getCause()).isSameAs(cause);
        }
        Threads.awaitTrue(() -> runs.get() >= n, "every afterFunc ran");
        assertThat(runs.get()).isEqualTo(n);
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * A tree both deep (a chain of 5,000) and wide (200 children per level on the first levels, with
     * deadlines and afterFuncs) cancelled at random nodes from four threads at once: afterwards every
     * node is done, each with the outcome of itself or of an ancestor, a node's outcome is its parent's
     * unless it was cancelled before the parent, every afterFunc ran once, nothing is registered
     * anywhere and no deadline timer is left.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX4_CX8_aDeepAndWideTreeCancelledFromSeveralThreadsEndsWhole(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        for (int round = 0; round < 5; round++) {
            CancellableContext root = Context.withCancel(Context.background());
            List<Contexts.CancelContext> nodes = new ArrayList<>();
            List<Context> parents = new ArrayList<>();
            nodes.add((Contexts.CancelContext) root);
            parents.add(null);
            Context chainTip = root;
            for (int i = 0; i < 5_000; i++) {
                CancellableContext c = i % 7 == 0
                        ? Context.withTimeout(Context.withValue(chainTip, ContextKey.of("k"), i), Duration.ofHours(1))
                        : Context.withCancel(chainTip);
                nodes.add((Contexts.CancelContext) c);
                parents.add(chainTip);
                chainTip = c;
            }
            for (int i = 0; i < 2_000; i++) {
                Contexts.CancelContext p = nodes.get(i % 10);
                CancellableContext c = Context.withTimeout(p, Duration.ofHours(1));
                nodes.add((Contexts.CancelContext) c);
                parents.add(p);
            }
            AtomicInteger runs = new AtomicInteger();
            for (int i = 0; i < nodes.size(); i += 50) {
                Context.afterFunc(nodes.get(i), runs::incrementAndGet);
            }
            int funcs = (nodes.size() + 49) / 50;
            CyclicBarrier barrier = new CyclicBarrier(4);
            try (Threads threads = new Threads(kind)) {
                for (int th = 0; th < 4; th++) {
                    int seed = th;
                    threads.start(() -> {
                        barrier.await();
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        for (int k = 0; k < 20; k++) {
                            nodes.get(r.nextInt(nodes.size())).cancel(new RuntimeException("t" + seed));
                        }
                        nodes.get(0).cancel(new RuntimeException("root by t" + seed));
                        // Seen whole: the root's err is set, so every descendant's is (CX4).
                        for (Contexts.CancelContext c : nodes) {
                            assertThat(c.err()).isNotNull();
                        }
                    });
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                Contexts.CancelContext c = nodes.get(i);
                assertThat(c.childCount()).as("node %d registers nothing", i).isZero();
                Context p = parents.get(i);
                if (p != null && c.cause() != p.cause()) {
                    // Its own cancellation came first: its parent's came later, from one of the threads.
                    assertThat(c.cause().getMessage()).startsWith("t");
                }
                assertThat(c.err().getCause()).isSameAs(c.cause());
            }
            Threads.awaitTrue(() -> runs.get() >= funcs, "every afterFunc ran");
            assertThat(runs.get()).isEqualTo(funcs);
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * A receive with a context on a timer's channel racing the context's cancel and the timer's firing:
     * exactly one of the two wins, and nothing is lost or duplicated. If the cancel won, the value is
     * still the timer's (a later receive gets it, and stop after that reports nothing to prevent); if
     * the receive won, nothing is left and stop reports false.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH4_TM7_aReceiveWithAContextOnATimerRacingCancelLosesNothing(Kind kind) throws Exception {
        for (int round = 0; round < 500; round++) {
            Timer t = Timers.newTimer(jitter(100_000));
            CancellableContext ctx = Context.withCancel(Context.background());
            AtomicInteger received = new AtomicInteger();
            AtomicInteger cancelled = new AtomicInteger();
            CyclicBarrier barrier = new CyclicBarrier(2);
            try (Threads threads = new Threads(kind)) {
                threads.start(() -> {
                    barrier.await();
                    try {
                        t.c().receive(ctx);
                        received.incrementAndGet();
                    } catch (ContextCanceledException e) {
                        cancelled.incrementAndGet();
                    }
                });
                threads.start(() -> {
                    barrier.await();
                    for (int i = ThreadLocalRandom.current().nextInt(3_000); i > 0; i--) {
                        Thread.onSpinWait();
                    }
                    ctx.cancel();
                });
            }
            assertThat(received.get() + cancelled.get()).isEqualTo(1);
            if (cancelled.get() == 1) {
                assertThat(t.c().receive(Duration.ofSeconds(30)).ok()).as("round %d: the value stayed", round).isTrue();
            }
            assertThat(t.c().tryReceive().notReady()).as("round %d: delivered once", round).isTrue();
            assertThat(t.stop()).as("round %d: nothing left to prevent", round).isFalse();
        }
    }

    /**
     * A ticker received from by two threads with contexts whose deadlines race its ticks, while a third
     * resets its period over and over: every receive ends with a tick or with its deadline (none hangs,
     * none gets anything else), and after the final stop nothing is received.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_CH4_aTickerResetWhileReceiversWaitWithDeadlinesDeliversNoOldTick(Kind kind) throws Exception {
        Timer ticker = Timers.newTicker(Duration.ofMillis(1));
        java.util.concurrent.atomic.AtomicLong resetAt = new java.util.concurrent.atomic.AtomicLong();
        try (Threads threads = new Threads(kind)) {
            for (int r = 0; r < 2; r++) {
                threads.start(() -> {
                    for (int i = 0; i < 300; i++) {
                        try (CancellableContext ctx = Context.withTimeout(Context.background(), jitter(2_000_000))) {
                            java.time.Instant v = ticker.c().receive(ctx);
                            assertThat(v).isNotNull();
                        } catch (DeadlineExceededException expected) {
                            // the deadline won
                        }
                    }
                });
            }
            threads.start(() -> {
                for (int i = 0; i < 300; i++) {
                    ticker.reset(Duration.ofNanos(500_000 + ThreadLocalRandom.current().nextLong(1_000_000)));
                }
            });
        }
        ticker.stop();
        assertThat(ticker.c().receive(Duration.ofMillis(20)).notReady()).isTrue();
    }

    /**
     * Senders and receivers with contexts on a buffered channel (a plain buffer, the lock-free ring, a
     * large growing buffer), while their contexts are cancelled at random moments: a value whose send
     * returned is received exactly once or is still in the channel; a value whose send threw is never
     * received; nothing is received twice.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 64, 5_000})
    void CH4_sendsAndReceivesWithContextsOnBufferedChannelsRacingCancelLoseNothing(int capacity) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        java.util.Set<Integer> sent = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.Set<Integer> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
        int perSender = 3_000;
        try (Threads threads = new Threads(Kind.VIRTUAL)) {
            for (int s = 0; s < 2; s++) {
                int base = s * perSender;
                threads.start(() -> {
                    for (int i = 0; i < perSender; i++) {
                        // A deadline too, so that no sender waits forever once the receivers are gone.
                        CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(5));
                        if (i % 4 == 0) {
                            Go.go(ctx::cancel);
                        }
                        try {
                            ch.send(base + i, ctx);
                            sent.add(base + i);
                        } catch (java.util.concurrent.CancellationException e) {
                            refused.add(base + i);
                        }
                        ctx.cancel();
                    }
                });
            }
            for (int r = 0; r < 2; r++) {
                threads.start(() -> {
                    for (int i = 0; i < perSender; i++) {
                        try (CancellableContext ctx = Context.withTimeout(Context.background(), jitter(200_000))) {
                            received.add(ch.receive(ctx));
                        } catch (DeadlineExceededException e) {
                            // gave up this time
                        }
                    }
                });
            }
        }
        for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
            received.add(r.value());
        }
        assertThat(sent.size() + refused.size()).isEqualTo(2 * perSender);
        assertThat(received).doesNotHaveDuplicates();
        assertThat(new java.util.HashSet<>(received)).isEqualTo(sent);
        assertThat(Threads.waiters(ch)).isZero();
    }

    /**
     * Go 1.23: after {@code Reset} returns, no value of the old schedule is received, also when the new
     * schedule is due at once and a look runs it (TM7): the value received after {@code reset(0)} is
     * the new schedule's (its time is not before the reset), never the one the old schedule left
     * waiting, and exactly one comes. Likewise with a ticker reset while a tick waits.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_TM7_aResetToNowNeverHandsOutTheOldValue(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < 200; round++) {
                    boolean ticker = round % 2 == 1;
                    Timer t = ticker ? Timers.newTicker(Duration.ofNanos(1_000)) : Timers.newTimer(Duration.ZERO);
                    Threads.awaitTrue(t::hasPendingValue, "the first value waits");
                    long gap = System.nanoTime() + 3_000_000; // a time gap (not an ordering): old and new values differ
                    while (System.nanoTime() < gap) {
                        Thread.onSpinWait();
                    }
                    java.time.Instant before = Timers.now().minusMillis(1); // clock resolution
                    assertThat(ticker ? t.reset(Duration.ofHours(1)) : t.reset(Duration.ZERO)).as("round %d", round).isTrue();
                    if (ticker) {
                        assertThat(t.c().tryReceive().notReady()).as("round %d: no old tick", round).isTrue();
                        t.stop();
                        continue;
                    }
                    java.time.Instant v = t.c().receive(Duration.ofSeconds(30)).value();
                    assertThat(v).as("round %d: the new schedule's value", round).isAfterOrEqualTo(before);
                    assertThat(t.c().tryReceive().notReady()).as("round %d: one value", round).isTrue();
                }
            });
        }
    }
}
