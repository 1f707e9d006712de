package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A probe of the testing harness's bubbles (session 31) against Go 1.25's {@code testing/synctest}, for what the other
 * Bubble tests do not combine: two concurrent {@code Bubble.await()} calls, goroutines ending as the clock moves, a timed
 * receive against sends at either side of its timeout, context timeouts in waits and children, a ticker reset, stopped
 * and reset again, groups and futures, an interrupt of the root while a ticker and a sleeper race the clock, an
 * afterFunc that throws, a goroutine ticking while the body joins it (after the body it would be a deadlock, BB39).
 * No defect found.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleHarnessProbeTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
        assertThat(Goroutines.live()).isEmpty();
    }

    @Test
    void BB10_aSecondAwaitWhileOneWaitsIsRefusedAndTheFirstIsReleasedOnce() throws Exception {
        Chan<Object> release = Chan.make(); // made outside: a member waiting on it is not durably blocked (BB2)
        AtomicReference<Throwable> second = new AtomicReference<>();
        Bubble.run(() -> {
            Thread root = Thread.currentThread();
            Go.go("outside-waiter", () -> release.receive()); // holds the first await until the second was refused
            Go.go("second-awaiter", () -> {
                Threads.awaitTrue(() -> "Bubble.await()".equals(LockSupport.getBlocker(root)), "root in await");
                try {
                    Bubble.await();
                } catch (Throwable t) {
                    second.set(t);
                }
                release.send(1);
            });
            Bubble.await();
            assertThat(Timers.now()).isEqualTo(EPOCH);
        });
        assertThat(second.get()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void BB3_BB7_goroutinesEndingAsTheClockMovesLeaveItExact() throws Exception {
        Bubble.run(() -> {
            for (int i = 1; i <= 300; i++) {
                Goroutine g = Go.go(() -> Timers.sleep(Duration.ofMillis(1)));
                Timers.sleep(Duration.ofMillis(1));
                g.join();
                assertThat(Timers.now()).isEqualTo(EPOCH.plusMillis(i));
            }
        });
    }

    @Test
    void BB4_aTimedReceiveAgainstASendJustBeforeAndJustAfterItsTimeout() throws Exception {
        Bubble.run(() -> {
            Chan<Integer> ch = Chan.make();
            Go.go(() -> {
                Timers.sleep(Duration.ofMillis(999));
                ch.send(1);
            });
            Received<Integer> r = ch.receive(Duration.ofSeconds(1));
            assertThat(r.ok()).isTrue();
            assertThat(Timers.now()).isEqualTo(EPOCH.plusMillis(999));
            Go.go(() -> {
                Timers.sleep(Duration.ofMillis(1001));
                ch.send(2);
            });
            assertThat(ch.receive(Duration.ofSeconds(1)).ok()).isFalse();
            assertThat(Timers.now()).isEqualTo(EPOCH.plusMillis(1999));
            assertThat(ch.receive()).isEqualTo(2);
            assertThat(Timers.now()).isEqualTo(EPOCH.plusMillis(2000));
        });
    }

    @Test
    void BB4_aContextTimeoutIsOnTheVirtualClockInWaitsAndChildren() throws Exception {
        Bubble.run(() -> {
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofHours(1));
            assertThat(ctx.deadline()).contains(EPOCH.plus(Duration.ofHours(1)));
            Chan<Integer> never = Chan.make();
            assertThatThrownBy(() -> never.receive(ctx)).isInstanceOf(DeadlineExceededException.class);
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            CancellableContext child = Context.withTimeout(ctx, Duration.ofHours(5));
            assertThat(child.err()).isInstanceOf(DeadlineExceededException.class);
            CancellableContext ctx2 = Context.withTimeout(Context.background(), Duration.ofMinutes(30));
            Go.go(() -> {
                ctx2.done().receiveOk();
            });
            Timer t = Timers.newTimer(Duration.ofHours(1));
            t.c().receive();
            assertThat(ctx2.err()).isInstanceOf(DeadlineExceededException.class);
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(2)));
            ctx.cancel();
            ctx2.cancel();
            child.cancel();
        });
    }

    @Test
    void BB3_aTickerResetStoppedAndResetAgainKeepsToTheVirtualClock() throws Exception {
        Bubble.run(() -> {
            Timer ticker = Timers.newTicker(Duration.ofHours(1));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            Timers.sleep(Duration.ofMinutes(90)); // 2:30, tick of 2:00 pending
            ticker.reset(Duration.ofMinutes(10)); // drops the pending tick (Go 1.23)
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(160)));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(170)));
            assertThat(ticker.stop()).isTrue();
            Timers.sleep(Duration.ofHours(5));
            assertThat(ticker.c().tryReceive().notReady()).isTrue();
            ticker.reset(Duration.ofMinutes(1));
            assertThat(ticker.c().receive()).isEqualTo(Timers.now());
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(170 + 300 + 1)));
            ticker.stop();
        });
    }

    @Test
    void BB16_BB19_waitGroupsErrGroupsAndFuturesWaitDurably() throws Exception {
        Bubble.run(() -> {
            WaitGroup wg = new WaitGroup();
            for (int i = 1; i <= 5; i++) {
                int h = i;
                wg.go(() -> Timers.sleep(Duration.ofHours(h)));
            }
            wg.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(5)));
            ErrGroup eg = ErrGroup.withContext(Context.withTimeout(Context.background(), Duration.ofHours(1)));
            AtomicInteger ended = new AtomicInteger();
            for (int i = 0; i < 3; i++) {
                eg.go(() -> {
                    try {
                        Timers.sleep(Duration.ofHours(10));
                    } finally {
                        ended.incrementAndGet();
                    }
                });
            }
            eg.go(() -> {
                Timers.sleep(Duration.ofMinutes(30));
                throw new IllegalStateException("boom");
            });
            assertThatThrownBy(eg::await).hasMessage("boom");
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(15)));
            GoFuture<Instant> f = Go.future(() -> {
                Timers.sleep(Duration.ofMinutes(7));
                return Timers.now();
            });
            assertThat(f.join()).isEqualTo(EPOCH.plus(Duration.ofHours(15)).plus(Duration.ofMinutes(7)));
        });
    }

    @Test
    void BB15_BB18_anInterruptOfTheRootWhileTheClockRacesEndsTheBubbleWhole() throws Exception {
        for (int round = 0; round < 30; round++) {
            CountDownLatch running = new CountDownLatch(1);
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    Bubble.run(() -> {
                        Timer tick = Timers.newTicker(Duration.ofMillis(1));
                        Go.go(() -> {
                            while (true) {
                                tick.c().receive();
                            }
                        });
                        Go.go(() -> {
                            while (true) {
                                Timers.sleep(Duration.ofNanos(777));
                            }
                        });
                        running.countDown();
                        while (true) {
                            Timers.sleep(Duration.ofMillis(3));
                        }
                    });
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            running.await();
            // Not an ordering: each round lets the bubble run a little longer before the interrupt, so that it lands in
            // a different phase (a look, a round of the driver, a wake-up).
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50L * round));
            t.interrupt();
            assertThat(t.join(Duration.ofSeconds(30))).isTrue();
            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        }
    }

    @Test
    void BB17_anAfterFuncThatThrowsFailsTheBubbleAtItsVirtualInstant() throws Exception {
        assertThatThrownBy(() -> Bubble.run(() -> {
            Timers.afterFunc(Duration.ofHours(1), () -> {
                throw new IllegalArgumentException("in afterFunc at " + Timers.now());
            });
            Timers.sleep(Duration.ofHours(3));
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2000-01-01T01:00:00Z");
    }

    @Test
    void BB7_aGoroutineTickingWhileTheBodyJoinsItRunsToItsEnd() throws Exception {
        List<Instant> seen = new CopyOnWriteArrayList<>();
        Bubble.run(() -> {
            Goroutine ticking = Go.go(() -> {
                Timer tk = Timers.newTicker(Duration.ofMinutes(1));
                for (int i = 0; i < 5; i++) {
                    seen.add(tk.c().receive());
                }
                tk.stop();
            });
            // The body waits: once it returned the clock would stop (BB39) and the ticker's loop be a deadlock.
            ticking.join();
        });
        assertThat(seen).hasSize(5).last().isEqualTo(EPOCH.plus(Duration.ofMinutes(5)));
    }
}
