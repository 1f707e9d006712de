package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A parity audit of bubbles against Go 1.25's {@code testing/synctest}: probes of what the other
 * Bubble tests do not pin (ADR 0013). Each cites the rule it holds the code to; all but the BB22 ones
 * found no defect and stay as regression tests.
 */
class BubbleParityProbeTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    /** BB3, BB4: inside, Timers.now() and a context's deadline are virtual; Instant.now() is the wall clock. */
    @Test
    void BB4_onlyTheBubblesClockApiIsVirtualAndAContextsDeadlineIsOnIt() throws Exception {
        Bubble.run(() -> {
            assertThat(Instant.now()).as("Instant.now() is not virtual (BB4)").isAfter(EPOCH.plus(Duration.ofDays(3650)));
            assertThat(Timers.now()).isEqualTo(EPOCH);
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMinutes(5));
            assertThat(ctx.deadline()).contains(EPOCH.plus(Duration.ofMinutes(5)));
            ctx.done().receiveOk();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(5)));
            assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
        });
    }

    /** BB3 with TM3: a slow receiver of a bubble's ticker gets the one pending tick, then the grid resumes. */
    @Test
    void BB3_aTickerWithASlowReceiverDropsTicksOnTheVirtualGrid() throws Exception {
        Bubble.run(() -> {
            Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
            Timers.sleep(Duration.ofSeconds(330)); // 5.5 periods
            assertThat(ticker.c().receive()).as("the one pending tick, stamped when it fired").isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(330));
            assertThat(ticker.c().receive()).as("the next point of the grid, no burst").isEqualTo(EPOCH.plus(Duration.ofMinutes(6)));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(7)));
            ticker.stop();
        });
    }

    /** BB5, BB3: a stopped ticker is not pending: with it only, a blocked bubble is a deadlock at once. */
    @Test
    void BB5_aStoppedTickerIsNotPending() {
        assertThatThrownBy(() -> Bubble.run(() -> {
            Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
            ticker.c().receive();
            assertThat(ticker.stop()).isTrue();
            Chan.<Integer>make().receive();
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("at 2000-01-01T00:01:00Z");
    }

    /**
     * BB2, BB5: a member waiting on a channel made outside the bubble, with no timer pending and every
     * other member durably blocked, is not a deadlock: a thread outside may still wake it.
     */
    @Test
    void BB5_aMemberOnAnOutsideChannelIsNoDeadlockWithoutATimer() throws Exception {
        Chan<String> outside = Chan.make();
        AtomicReference<Thread> waiting = new AtomicReference<>();
        AtomicReference<Thread> root = new AtomicReference<>();
        try (Threads sender = new Threads(Threads.Kind.PLATFORM)) {
            sendFromOutsideWhen(sender, outside, () -> parked(waiting, Thread.State.WAITING) && parked(root, Thread.State.WAITING),
                    "the member waits on the outside channel, the root on the bubble's");
            Bubble.run(() -> {
                root.set(Thread.currentThread());
                Chan<String> got = Chan.make();
                Go.go("waits-outside", () -> {
                    waiting.set(Thread.currentThread());
                    got.send(outside.receive());
                });
                assertThat(got.receive()).isEqualTo("from outside");
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        }
    }

    /** BB2, BB4: a timed receive on a channel made outside is not durable: its timeout waits for it. */
    @Test
    void BB2_aTimedReceiveOnAnOutsideChannelDoesNotLetTheClockJump() throws Exception {
        Chan<String> outside = Chan.make();
        AtomicReference<Thread> root = new AtomicReference<>();
        try (Threads sender = new Threads(Threads.Kind.PLATFORM)) {
            sendFromOutsideWhen(sender, outside, () -> parked(root, Thread.State.TIMED_WAITING, Thread.State.WAITING), "the root waits on the outside channel");
            Bubble.run(() -> {
                root.set(Thread.currentThread());
                Received<String> r = outside.receive(Duration.ofHours(1));
                assertThat(r.ok()).as("the value, not a virtual timeout").isTrue();
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        }
    }

    /** BB10, BB2: Bubble.await() does not return while another member waits on an outside channel. */
    @Test
    void BB10_awaitWaitsForAMemberOnAnOutsideChannel() throws Exception {
        Chan<String> outside = Chan.make();
        AtomicReference<Thread> waiting = new AtomicReference<>();
        AtomicReference<Thread> root = new AtomicReference<>();
        try (Threads sender = new Threads(Threads.Kind.PLATFORM)) {
            sendFromOutsideWhen(sender, outside, () -> parked(waiting, Thread.State.WAITING) && parked(root, Thread.State.WAITING),
                    "the member waits outside, the root in await()");
            Bubble.run(() -> {
                AtomicReference<String> seen = new AtomicReference<>();
                Chan<Integer> park = Chan.make();
                Go.go("waits-outside", () -> {
                    waiting.set(Thread.currentThread());
                    seen.set(outside.receive());
                    park.receive();
                });
                root.set(Thread.currentThread());
                Bubble.await();
                assertThat(seen.get()).as("await returned only once the member blocked durably").isEqualTo("from outside");
                park.send(1);
            });
        }
    }

    /** BB8: a goroutine of the bubble (not only its root) cannot start a bubble. */
    @Test
    void BB8_aGoroutineOfABubbleCannotNestOne() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Bubble.run(() -> {
            Goroutine g = Go.go("nester", () -> {
                try {
                    Bubble.run(() -> {});
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            g.join();
        });
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest");
    }

    /** BB1, BB8: a plain thread started inside a bubble is no member: it may run a bubble of its own. */
    @Test
    void BB1_aPlainThreadStartedInABubbleMayRunItsOwn() throws Exception {
        AtomicReference<Instant> inner = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Bubble.run(() -> {
            Timers.sleep(Duration.ofHours(3));
            CountDownLatch done = new CountDownLatch(1);
            Thread.ofPlatform().start(() -> {
                try {
                    Bubble.run(() -> {
                        Timers.sleep(Duration.ofMinutes(1));
                        inner.set(Timers.now());
                    });
                } catch (Throwable t) {
                    failed.set(t);
                } finally {
                    done.countDown();
                }
            });
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(3)));
        });
        assertThat(failed.get()).isNull();
        assertThat(inner.get()).as("its own clock from 2000").isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
    }

    /** BB4, BB3: a reset ticker runs on its new period from the reset's virtual instant. */
    @Test
    void BB3_aResetTickerTicksOnItsNewPeriodFromTheReset() throws Exception {
        Bubble.run(() -> {
            Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
            Timers.sleep(Duration.ofSeconds(30));
            ticker.reset(Duration.ofMinutes(10));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plusSeconds(90 + 600));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plusSeconds(90 + 1200));
            ticker.stop();
        });
    }

    /** BB4, BB17: an afterFunc stopped before its instant never runs, and the clock does not wait for it. */
    @Test
    void BB4_aStoppedAfterFuncNeverRuns() throws Exception {
        AtomicReference<Instant> ran = new AtomicReference<>();
        Bubble.run(() -> {
            Timer f = Timers.afterFunc(Duration.ofHours(1), () -> ran.set(Timers.now()));
            Timers.sleep(Duration.ofMinutes(59));
            assertThat(f.stop()).isTrue();
            Timers.sleep(Duration.ofHours(2));
        });
        assertThat(ran.get()).isNull();
    }

    /** BB16: a wait group whose goroutines run a bubble's timers: await returns at the last one's instant. */
    @Test
    void BB16_aTimedWaitGroupAwaitTimesOutOnTheVirtualClock() throws Exception {
        Bubble.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Go.go("late", () -> {
                Timers.sleep(Duration.ofHours(5));
                wg.done();
            });
            assertThat(wg.await(Duration.ofHours(1))).isFalse();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            wg.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(5)));
        });
    }

    /** G2 on the bubble's clock (BB3): reset of a fired, unreceived timer drops the stale value. */
    @Test
    void BB3_aResetOfAFiredTimerDropsItsStaleValue() throws Exception {
        Bubble.run(() -> {
            Timer t = Timers.newTimer(Duration.ofMinutes(1));
            Timers.sleep(Duration.ofMinutes(2));
            t.reset(Duration.ofMinutes(1));
            assertThat(t.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(3)));
        });
    }

    /** BB3: long sleeps add up on the virtual clock without overflow within its range. */
    @Test
    void BB3_sleepsOfCenturiesAddUp() throws Exception {
        Bubble.run(() -> {
            Timers.sleep(Duration.ofDays(365L * 100));
            Timers.sleep(Duration.ofDays(365L * 100));
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofDays(365L * 200)));
        });
    }

    /**
     * BB22: a timer made in a bubble, reset after the bubble ended (here the leaked handle of a test
     * body), is refused: the bubble's clock no longer moves, and before BB22 the reset armed a timer that
     * never fired, so a receive on it hung silently. Go's runtime fails such a reset too.
     */
    @Test
    void BB22_resettingABubblesTimerAfterTheBubbleEndedIsRefused() throws Exception {
        AtomicReference<Timer> escaped = new AtomicReference<>();
        Bubble.run(() -> escaped.set(Timers.newTimer(Duration.ofHours(1))));
        assertThatThrownBy(() -> escaped.get().reset(Duration.ofMillis(10)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("BB22");
        assertThat(escaped.get().stop()).as("stop stays harmless: it arms nothing").isTrue();
    }

    /** BB22: a thread outside a running bubble (not a member) cannot reset the bubble's timer or ticker. */
    @Test
    void BB22_resettingABubblesTimerFromOutsideWhileItRunsIsRefused() throws Exception {
        AtomicReference<Throwable> timerReset = new AtomicReference<>();
        AtomicReference<Throwable> tickerReset = new AtomicReference<>();
        Bubble.run(() -> {
            Timer timer = Timers.newTimer(Duration.ofHours(1));
            Timer ticker = Timers.newTicker(Duration.ofHours(1));
            Thread outsider = Thread.ofPlatform().start(() -> {
                try {
                    timer.reset(Duration.ofMillis(1));
                } catch (Throwable t) {
                    timerReset.set(t);
                }
                try {
                    ticker.reset(Duration.ofMillis(1));
                } catch (Throwable t) {
                    tickerReset.set(t);
                }
            });
            assertThat(outsider.join(Duration.ofSeconds(30))).isTrue(); // not durable: time waits
            // The members' own resets still work, on the virtual clock.
            timer.reset(Duration.ofMinutes(1));
            assertThat(timer.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
            ticker.stop();
        });
        assertThat(timerReset.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB22");
        assertThat(tickerReset.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB22");
    }

    /** BB22: a member of another bubble (its own clock) cannot reset this bubble's timer. */
    @Test
    void BB22_resettingATimerOfAnotherBubbleIsRefused() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Bubble.run(() -> {
            Timer mine = Timers.newTimer(Duration.ofHours(1));
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    Bubble.run(() -> {
                        try {
                            mine.reset(Duration.ofMinutes(1));
                        } catch (IllegalStateException e) {
                            thrown.set(e);
                        }
                    });
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            assertThat(other.join(Duration.ofSeconds(30))).isTrue(); // not durable: time waits
            assertThat(mine.stop()).isTrue();
        });
        assertThat(failed.get()).isNull();
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB22");
    }

    /** Starts {@code sender}: once {@code ready} holds, it sends "from outside" on {@code outside}. */
    private static void sendFromOutsideWhen(Threads sender, Chan<String> outside, java.util.function.BooleanSupplier ready,
            String what) {
        sender.start(() -> {
            Threads.awaitTrue(ready, what);
            outside.send("from outside");
        });
    }

    /** Whether the thread in {@code t} has started and is in one of {@code states}. */
    private static boolean parked(AtomicReference<Thread> t, Thread.State... states) {
        Thread thread = t.get();
        return thread != null && java.util.Arrays.asList(states).contains(thread.getState());
    }
}
