package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A parity check of bubbles against what Go 1.24/1.25's {@code testing/synctest} promises (its package
 * doc and {@code internal/synctest}'s tests), for the promises no other Bubble test pinned: wait groups
 * reused across bubbles (BB26) and refused by a second bubble while above zero (BB42), timers already due and timers left at the end (BB27), what differs on
 * purpose (BB28), and a thousand sleepers, tickers and deadlines at once (BB3, BB4).
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleSyncParityTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    private static void inBubble(Threads.Kind kind, Task body) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(body));
        }
    }

    /**
     * Go's TestWaitGroupMovedBetweenBubblesAfterWait: a wait group whose counter is back at zero is bound
     * again by the next bubble that adds to it, so waiting on it there is durable and the clock moves.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB26_aWaitGroupAtZeroIsReusedInTheNextBubble(Threads.Kind kind) throws Exception {
        WaitGroup wg = new WaitGroup();
        for (int round = 0; round < 3; round++) {
            inBubble(kind, () -> {
                wg.go(() -> Timers.sleep(Duration.ofHours(1)));
                wg.await();
                assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            });
        }
    }

    /** A wait group first used outside any bubble, back at zero, is bound by its next add in a bubble. */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB26_aWaitGroupFirstUsedOutsideIsBoundByAnAddAtZeroInABubble(Threads.Kind kind) throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(2);
        wg.done();
        wg.done();
        inBubble(kind, () -> {
            wg.add(1);
            Go.go(() -> {
                Timers.sleep(Duration.ofMinutes(5));
                wg.done();
            });
            wg.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(5)));
        });
    }

    /**
     * Go's TestWaitGroupMovedBetweenBubblesWithNonZeroCount: a wait group left above zero by a bubble that has
     * ended is not taken into the next bubble: its add (and go) fails naming both bubbles, the count unchanged
     * and nothing started; once done from outside, back at zero, the next bubble binds it again (BB26).
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB42_aWaitGroupLeftAboveZeroByAnEndedBubbleIsRefusedByAnother(Threads.Kind kind) throws Exception {
        WaitGroup wg = new WaitGroup();
        inBubble(kind, () -> wg.add(1)); // the bubble ends with the counter at 1
        AtomicReference<Throwable> refused = new AtomicReference<>();
        AtomicBoolean started = new AtomicBoolean();
        inBubble(kind, () -> {
            refused.set(catchThrowable(() -> wg.add(1)));
            assertThatThrownBy(() -> wg.go(() -> started.set(true))).isInstanceOf(IllegalStateException.class);
            assertThat(wg.count()).as("nothing lost or added").isEqualTo(1);
        });
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("WaitGroup.add called from multiple virtual-time bubbles")
                .hasMessageContaining("(BB42");
        Matcher names = Pattern.compile("belongs to bubble #(\\d+) .*the caller is in bubble #(\\d+) ")
                .matcher(refused.get().getMessage());
        assertThat(names.find()).as("both bubbles named: %s", refused.get().getMessage()).isTrue();
        assertThat(names.group(1)).isNotEqualTo(names.group(2));
        assertThat(started).isFalse();
        wg.done(); // a caller of no bubble is not refused
        inBubble(kind, () -> {
            wg.go(() -> Timers.sleep(Duration.ofMinutes(1)));
            wg.await(); // bound again at zero: durable, the clock moves (BB26)
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
        });
    }

    /**
     * Go's TestAfterFuncRunsImmediately: an afterFunc due at the clock's instant (zero or negative
     * delay, a reset to zero) runs without waiting for the bubble to be idle, here while the root waits
     * on a latch (not durable) for it; the clock does not move for it.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB27_anAfterFuncDueNowRunsWhileTheBubbleIsBusy(Threads.Kind kind) throws Exception {
        inBubble(kind, () -> {
            Timers.sleep(Duration.ofHours(2));
            Instant at = EPOCH.plus(Duration.ofHours(2));
            List<Duration> delays = List.of(Duration.ZERO, Duration.ofSeconds(-5));
            for (Duration delay : delays) {
                CountDownLatch ran = new CountDownLatch(1);
                AtomicReference<Instant> ranAt = new AtomicReference<>();
                Timers.afterFunc(delay, () -> {
                    ranAt.set(Timers.now());
                    ran.countDown();
                });
                assertThat(ran.await(30, TimeUnit.SECONDS)).as("afterFunc(%s) ran while the root ran", delay).isTrue();
                assertThat(ranAt.get()).isEqualTo(at);
            }
            CountDownLatch ran = new CountDownLatch(1);
            Timer t = Timers.afterFunc(Duration.ofDays(1), ran::countDown);
            t.reset(Duration.ZERO);
            assertThat(ran.await(30, TimeUnit.SECONDS)).as("an afterFunc reset to zero ran at once").isTrue();
            assertThat(Timers.now()).isEqualTo(at);
        });
    }

    /**
     * Go's TestHappensBefore: {@link Bubble#await()} right after an afterFunc due now returns only once the
     * task ran and what it started blocked: the due task is run before the await is released.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB27_awaitAfterAnAfterFuncDueNowSeesItsWork(Threads.Kind kind) throws Exception {
        inBubble(kind, () -> {
            for (int round = 0; round < 200; round++) {
                AtomicBoolean ran = new AtomicBoolean();
                AtomicBoolean started = new AtomicBoolean();
                Chan<Integer> gate = Chan.make();
                Timers.afterFunc(Duration.ZERO, () -> {
                    ran.set(true);
                    Go.go(() -> {
                        started.set(true);
                        gate.receiveOk();
                    });
                });
                Bubble.await();
                assertThat(ran).as("round %d: the task ran before await returned", round).isTrue();
                assertThat(started).as("round %d: its goroutine ran until it blocked", round).isTrue();
                gate.close();
                Bubble.await();
            }
            assertThat(Timers.now()).isEqualTo(EPOCH);
        });
    }

    /**
     * Go's TestTimerRunsImmediately and TestTimerRanInPast: a look that does not wait finds a zero timer's
     * value, and a value stamped with the due instant of a timer that fired while the root slept; a
     * sleep of zero or less returns at once.
     */
    @Test
    void BB27_aTimerDueNowOrInThePastIsReadyToALook() throws Exception {
        Bubble.run(() -> {
            Received<Instant> now = Timers.newTimer(Duration.ZERO).c().tryReceive();
            assertThat(now.ok()).isTrue();
            assertThat(now.value()).isEqualTo(EPOCH);
            Timer late = Timers.newTimer(Duration.ofSeconds(1));
            Timers.sleep(Duration.ofSeconds(2));
            Received<Instant> past = late.c().tryReceive();
            assertThat(past.ok()).isTrue();
            assertThat(past.value()).isEqualTo(EPOCH.plusSeconds(1));
            Timers.sleep(Duration.ZERO);
            Timers.sleep(Duration.ofSeconds(-5));
            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(2));
        });
    }

    /** Go's TestTimerAfterBubbleExit: a timer still pending when the bubble ends never fires. */
    @Test
    void BB27_aTimerPendingWhenTheBubbleEndsNeverFires() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        AtomicReference<Timer> timer = new AtomicReference<>();
        Bubble.run(() -> timer.set(Timers.afterFunc(Duration.ofSeconds(1), () -> ran.set(true))));
        assertThat(ran).isFalse();
        assertThat(timer.get().stop()).as("still armed, never run").isTrue();
    }

    /**
     * Go's sync.Cond.Wait is durable; a JDK {@link Condition} is not (BB28): anyone may signal it, and
     * no hook tells a bubble who waits on it. A member in {@code await()} counts as running: the clock
     * stands still until a thread outside signals it.
     */
    @Test
    void BB28_aConditionWaitIsNotDurable() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        Condition cond = lock.newCondition();
        AtomicReference<Instant> wokeAt = new AtomicReference<>();
        AtomicReference<Goroutine> sleeper = new AtomicReference<>();
        AtomicReference<BubbleState> bubble = new AtomicReference<>();
        AtomicBoolean signalled = new AtomicBoolean();
        Thread signaller = Thread.ofPlatform().start(() -> {
            // Once the sleeper is durably blocked and the root waits on the condition, the bubble would be
            // idle if a condition wait were durable: the clock would move to the sleeper's hour.
            Threads.awaitTrue(() -> bubble.get() != null && sleeper.get() != null
                    && sleeperBlockedOrGone(bubble.get(), sleeper.get()), "sleeper blocked");
            Threads.awaitTrue(() -> {
                lock.lock();
                try {
                    return lock.hasWaiters(cond);
                } finally {
                    lock.unlock();
                }
            }, "root waits on the condition");
            lock.lock();
            try {
                signalled.set(true);
                cond.signalAll();
            } finally {
                lock.unlock();
            }
        });
        Bubble.run(() -> {
            bubble.set(Bubbles.current().bubble);
            sleeper.set(Go.go(() -> Timers.sleep(Duration.ofHours(1))));
            lock.lock();
            try {
                while (!signalled.get()) {
                    cond.await();
                }
                wokeAt.set(Timers.now());
            } finally {
                lock.unlock();
            }
            sleeper.get().join(); // its hour passes while the body waits (after the body, the clock stops: BB39)
        });
        assertThat(signaller.join(Duration.ofSeconds(60))).isTrue();
        assertThat(wokeAt.get()).as("the clock stood still while the root waited on the condition").isEqualTo(EPOCH);
    }

    /**
     * Under pressure: 1,000 goroutines each wait a random virtual duration of up to a year, a third by a
     * sleep, a third on a context's deadline, a third for the third tick of a ticker. Each wakes at
     * exactly its own instant, the clock ends exactly at the last wake-up, the run takes seconds of real
     * time and leaves nothing running.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB3_BB4_aThousandSleepersTickersAndDeadlinesEachWakeAtTheirOwnInstant(Threads.Kind kind) throws Exception {
        int n = 1_000;
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        long year = Duration.ofDays(365).toNanos();
        long[] wait = new long[n];
        long last = 0;
        for (int i = 0; i < n; i++) {
            // A multiple of 3 ns, so that a ticker of a third of it ticks the third time exactly at it.
            wait[i] = 3 * (1 + (long) (random.nextDouble() * (year / 3 - 1)));
            last = Math.max(last, wait[i]);
        }
        long lastWake = last;
        AtomicReferenceArray<Instant> woke = new AtomicReferenceArray<>(n);
        AtomicReference<Instant> end = new AtomicReference<>();
        long realStart = System.nanoTime();
        inBubble(kind, () -> {
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < n; i++) {
                int k = i;
                Duration d = Duration.ofNanos(wait[k]);
                wg.go(() -> {
                    switch (k % 3) {
                        case 0 -> Timers.sleep(d);
                        case 1 -> {
                            try (CancellableContext ctx = Context.withTimeout(Context.background(), d)) {
                                ctx.done().receiveOk();
                                assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
                            }
                        }
                        default -> {
                            Timer ticker = Timers.newTicker(d.dividedBy(3));
                            for (int tick = 1; tick <= 3; tick++) {
                                assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(d.dividedBy(3).multipliedBy(tick)));
                            }
                            ticker.stop();
                        }
                    }
                    woke.set(k, Timers.now());
                });
            }
            wg.await();
            end.set(Timers.now());
        });
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!EPOCH.plusNanos(wait[i]).equals(woke.get(i))) {
                wrong.add(i + ": woke at " + woke.get(i) + ", due " + EPOCH.plusNanos(wait[i]));
            }
        }
        assertThat(wrong).as("seed %d", seed).isEmpty();
        assertThat(end.get()).as("the clock ends at the last wake-up (seed %d)", seed).isEqualTo(EPOCH.plusNanos(lastWake));
        // A generous bound, not a speed requirement: a year of real time would be the failure.
        assertThat(Duration.ofNanos(System.nanoTime() - realStart)).isLessThan(Duration.ofMinutes(1));
    }

    /** Whether {@code g} is durably blocked in {@code bubble}, or has left it (its clock moved). */
    private static boolean sleeperBlockedOrGone(BubbleState bubble, Goroutine g) {
        for (BubbleState.Member m : bubble.membersSnapshot()) {
            if (m.goroutine == g) {
                return bubble.durablyBlockedOn(m) != null;
            }
        }
        return true;
    }
}
