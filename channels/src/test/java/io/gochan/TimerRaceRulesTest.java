package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule G2 (docs/spec/context-timers.md) where Go's documentation is most precise and races are
 * likeliest: {@code Stop} and {@code Reset} racing the timer's own firing, on the system scheduler
 * (its real timer thread), as a Go oracle would probe them. No ordering by sleeping: each round lets
 * the fire and the stop race freely and checks an invariant that holds whichever wins.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerRaceRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);
    static final int ROUNDS = 2_000;

    /** A delay around "now", so that the fire lands before, during or after the stop. */
    private static Duration jitter() {
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 50_000));
    }

    private static void spin() {
        for (int i = ThreadLocalRandom.current().nextInt(2_000); i > 0; i--) {
            Thread.onSpinWait();
        }
    }

    /**
     * Go 1.23: a one-shot timer nobody receives from is "pending" until stopped, whether it fired (its
     * value waits and is discarded) or not: Stop returns true every time, then false, and nothing can
     * be received afterwards. The same for Reset.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_stopOrResetOfAnUnreceivedTimerAlwaysReportsItPending(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < ROUNDS; round++) {
                    Timer t = Timers.newTimer(jitter());
                    spin();
                    if (round % 2 == 0) {
                        assertThat(t.stop()).as("round %d: first stop", round).isTrue();
                    } else {
                        assertThat(t.reset(Duration.ofHours(1))).as("round %d: reset", round).isTrue();
                        assertThat(t.stop()).as("round %d: stop after reset", round).isTrue();
                    }
                    assertThat(t.stop()).as("round %d: second stop", round).isFalse();
                    assertThat(t.c().tryReceive().notReady()).as("round %d: no stale value", round).isTrue();
                    assertThat(t.hasPendingValue()).isFalse();
                }
            });
        }
    }

    /**
     * With a receiver waiting, exactly one of the two happens: the receiver gets the value, or stop
     * (reset) reports that it prevented the delivery — never both, never neither. Both outcomes must be met
     * (the race was run): on a loaded machine the timer thread can be kept off a core through all
     * {@link #ROUNDS} rounds (every round then prevented), so the rounds go on until both were met, at most
     * {@code 10 * ROUNDS}, the rule checked in every round; a race never met still fails, at that bound.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_stopOrResetRacingAReceiverPreventsExactlyTheDeliveriesItReports(Kind kind) throws Exception {
        Chan<Object[]> jobs = Chan.make();
        Chan<Boolean> results = Chan.make();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> jobs.range(job -> {
                Timer t = (Timer) job[0];
                CancellableContext ctx = (CancellableContext) job[1];
                boolean got;
                try {
                    Instant v = t.c().receive(ctx);
                    got = v != null;
                } catch (CancellationException stopped) {
                    got = false;
                }
                results.send(got);
            }));
            threads.start(() -> {
                int prevented = 0;
                int round = 0;
                for (; round < ROUNDS || ((prevented == 0 || prevented == round) && round < 10 * ROUNDS); round++) {
                    Timer t = Timers.newTimer(jitter());
                    CancellableContext ctx = Context.withCancel(Context.background());
                    jobs.send(new Object[] {t, ctx});
                    spin();
                    boolean stopped = round % 2 == 0 ? t.stop() : t.reset(Duration.ofHours(1));
                    ctx.cancel();
                    boolean got = results.receive();
                    assertThat(stopped).as("round %d: stop/reset returned %s, receiver got %s", round, stopped, got)
                            .isNotEqualTo(got);
                    prevented += stopped ? 1 : 0;
                    t.stop();
                    assertThat(t.c().tryReceive().notReady()).as("round %d: nothing left", round).isTrue();
                }
                jobs.close();
                assertThat(prevented).as("rounds of each outcome in %d rounds (the race was run)", round)
                        .isBetween(1, round - 1);
            });
        }
    }

    /**
     * Many threads resetting one timer at once: however the resets interleave with each other and with
     * the firings, once the last reset has returned exactly one value of its schedule arrives — none
     * lost, none duplicated, none stale.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_concurrentResetsLoseAndDuplicateNothing(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        Timer t = Timers.newTimer(Duration.ofHours(1));
        AtomicInteger drained = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 4; i++) {
                threads.start(() -> {
                    go.await();
                    for (int r = 0; r < ROUNDS; r++) {
                        t.reset(jitter());
                        if (r % 7 == 0) {
                            t.stop();
                        }
                        if (t.c().tryReceive().ok()) {
                            drained.incrementAndGet(); // a value of some schedule: allowed while resets go on
                        }
                    }
                });
            }
            go.countDown();
        }
        t.reset(Duration.ofMillis(1));
        assertThat(t.c().receive(LONG).ok()).as("the last schedule delivers").isTrue();
        assertThat(t.c().receive(Duration.ofMillis(200)).ok()).as("and only once").isFalse();
        assertThat(t.stop()).isFalse();
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * A ticker's stop and reset with a receiver hammering the channel: once they return no tick of the
     * old schedule arrives, and a stopped ticker leaves nothing scheduled.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_tickerStopAndResetLeaveNoOldTick(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        for (int round = 0; round < 50; round++) {
            Timer ticker = Timers.newTicker(Duration.ofNanos(1_000));
            AtomicInteger ticks = new AtomicInteger();
            CancellableContext ctx = Context.withCancel(Context.background());
            try (Threads threads = new Threads(kind)) {
                threads.start(() -> {
                    try {
                        for (;;) {
                            ticker.c().receive(ctx);
                            ticks.incrementAndGet();
                        }
                    } catch (CancellationException done) {
                        // ends the receiver
                    }
                });
                Threads.awaitTrue(() -> ticks.get() >= 3, "a few ticks");
                if (round % 2 == 0) {
                    assertThat(ticker.stop()).as("a running ticker is pending").isTrue();
                } else {
                    assertThat(ticker.reset(Duration.ofHours(1))).isTrue();
                }
                ctx.cancel();
            }
            assertThat(ticker.c().tryReceive().notReady()).as("round %d: no old tick", round).isTrue();
            ticker.stop();
            assertThat(ticker.stop()).isFalse();
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * Go's AfterFunc timer: Stop returning true means the function never runs; false means it runs
     * (exactly once), however Stop races the expiry.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_afterFuncRunsExactlyWhenStopReturnsFalse(Kind kind) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger notStopped = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < ROUNDS; round++) {
                    Timer t = Timers.afterFunc(jitter(), runs::incrementAndGet);
                    spin();
                    if (!t.stop()) {
                        notStopped.incrementAndGet();
                    }
                    assertThat(t.stop()).isFalse();
                }
            });
        }
        Threads.awaitTrue(() -> runs.get() >= notStopped.get(), "every unstopped function ran");
        // NoNewGoroutines waits for every function's goroutine to end: none can run after this one.
        assertThat(runs.get()).isEqualTo(notStopped.get());
    }

    /**
     * Go's Reset of an AfterFunc timer: true while it was pending (the function runs once, on the new
     * schedule); false once it expired (the function runs again).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_resetOfAnAfterFuncTimerRunsItOncePerExpiry(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Chan<Integer> ran = Chan.make(10);
                Timer t = Timers.afterFunc(Duration.ofHours(1), () -> ran.send(1));
                assertThat(t.reset(Duration.ZERO)).as("was pending").isTrue();
                assertThat(ran.receive(LONG).ok()).isTrue();
                assertThat(t.reset(Duration.ZERO)).as("had expired").isFalse();
                assertThat(ran.receive(LONG).ok()).isTrue();
                assertThat(ran.receive(Duration.ofMillis(100)).ok()).as("once per expiry").isFalse();
                assertThat(t.stop()).isFalse();
            });
        }
    }

    /**
     * A firing held up on its channel's lock (handed to a delivery thread, TM4) is still the old
     * schedule's: a stop or reset made before it gets the lock reports it prevented and voids it, so
     * nothing stale arrives after they return, and a reset's new schedule delivers exactly once.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_TM4_aDeliveryHeldUpOnTheLockIsVoidedByStopAndReset(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < 20; round++) {
                    Timer t = Timers.newTimer(Duration.ofHours(1));
                    io.gochan.spi.ChannelCore core = io.gochan.spi.ChannelCores.of(t.c());
                    // A receiver waits, so the round takes the timer (TM29); it leaves before the stop or reset.
                    try (TimerWatcher watcher = new TimerWatcher(kind, t)) {
                        core.lock(); // as a receiver descheduled inside the channel's critical section would
                        try {
                            t.reset(Duration.ZERO);
                            // The timer thread has taken the firing out of the heap; it cannot deliver while we hold the lock.
                            Threads.awaitTrue(() -> t.toString().contains("not scheduled"), "the firing to be taken");
                            watcher.leave();
                            if (round % 2 == 0) {
                                assertThat(t.stop()).as("round %d: the held-up firing was prevented", round).isTrue();
                            } else {
                                assertThat(t.reset(Duration.ofMillis(1))).as("round %d: reset prevented it", round).isTrue();
                            }
                        } finally {
                            core.unlock();
                        }
                    }
                    if (round % 2 == 1) {
                        assertThat(t.c().receive(LONG).ok()).as("round %d: the new schedule delivers", round).isTrue();
                    }
                    assertThat(t.c().receive(Duration.ofMillis(50)).ok()).as("round %d: nothing stale", round).isFalse();
                    assertThat(t.stop()).isFalse();
                }
            });
        }
    }
}
