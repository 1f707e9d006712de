package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Bubble;
import io.gochan.BubbleDeadlockException;
import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.DeadlineExceededException;
import io.gochan.Go;
import io.gochan.Goroutines;
import io.gochan.ReceiveChan;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Audit probes of select inside virtual-time bubbles (ADR 0013, amendment of 2026-12-04): timeouts and timers
 * at one instant, done cases, far timeouts, disabled cases, mixed channels, closes and interrupts from outside.
 * BB24 and (session 34) BB37 found defects; the others stay as regression tests.
 */
class BubbleSelectAuditProbeTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
        assertThat(Goroutines.live()).isEmpty();
    }

    /** A timer case and the select's timeout due at one instant: exactly one fires there, and no tick is lost. */
    @Test
    void BB21_aTimerCaseAndTheTimeoutDueAtOneInstantFireOnceLosingNoTick() throws Exception {
        int[] outcomes = new int[2];
        for (int round = 0; round < 300; round++) {
            Bubble.run(() -> {
                ReceiveChan<Instant> t = Timers.after(Duration.ofMinutes(1));
                String r = Select.<String>cases().receive(t, v -> "timer").timeout(Duration.ofMinutes(1), () -> "timeout").select();
                assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
                if (r.equals("timeout")) {
                    outcomes[1]++;
                    assertThat(t.tryReceive().ok()).as("the tick due now is there for a look").isTrue();
                } else {
                    outcomes[0]++;
                }
            });
        }
        assertThat(outcomes[0] + outcomes[1]).isEqualTo(300);
    }

    /** A done case of a context whose deadline is virtual fires at exactly its deadline, before a later timer. */
    @Test
    void BB4_aDoneCaseFiresAtItsContextsVirtualDeadline() throws Exception {
        Bubble.run(() -> {
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofHours(1));
            ReceiveChan<Instant> later = Timers.after(Duration.ofHours(2));
            String r = Select.<String>cases().receive(later, v -> "timer").done(ctx, () -> "done").select();
            assertThat(r).isEqualTo("done");
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
            assertThatThrownBy(() -> Select.<String>cases().done(ctx).receive(later, v -> "timer").select())
                    .isInstanceOf(DeadlineExceededException.class);
        });
    }

    /** A select timeout further than the bubble's last instant is due at that instant (BB23), not "never". */
    @Test
    void BB23_aSelectTimeoutBeyondTheBubblesTimeFiresAtItsEnd() throws Exception {
        for (Duration far : List.of(ChronoUnit.FOREVER.getDuration(), Duration.ofNanos(Long.MAX_VALUE))) {
            Bubble.run(() -> {
                Timers.sleep(Duration.ofHours(1)); // a clock that is not at its origin
                Chan<String> nobody = Chan.make();
                String r = Select.<String>cases().receive(nobody, v -> v).timeout(far, () -> "timeout").select();
                assertThat(r).isEqualTo("timeout");
            });
            Bubble.run(() -> {
                Chan<String> nobody = Chan.make();
                String r = Select.<String>cases().receive(nobody, v -> v).timeout(far, () -> "timeout").select();
                assertThat(r).isEqualTo("timeout");
            });
        }
    }

    /** A select of disabled cases only, with a timeout: durable, the clock jumps; without one, a deadlock. */
    @Test
    void BB5_aSelectOfDisabledCasesIsDurableWithATimeoutAndADeadlockWithout() throws Exception {
        Bubble.run(() -> {
            String r = Select.<String>cases().receive(Chan.<String>nil(), v -> v).timeout(Duration.ofDays(3), () -> "t").select();
            assertThat(r).isEqualTo("t");
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofDays(3)));
        });
        assertThatThrownBy(() -> Bubble.run(() -> Select.<String>cases().receive(Chan.<String>nil(), v -> v).select()))
                .isInstanceOf(BubbleDeadlockException.class);
    }

    /** A send case whose receiver sleeps: durable, the clock moves to the receiver's wake-up. */
    @Test
    void BB2_aSendCaseWaitsDurably() throws Exception {
        Bubble.run(() -> {
            Chan<Integer> ch = Chan.make();
            Go.go(() -> {
                Timers.sleep(Duration.ofMinutes(5));
                assertThat(ch.receive()).isEqualTo(7);
            });
            String r = Select.<String>cases().send(ch, 7, () -> "sent").timeout(Duration.ofMinutes(10), () -> "t").select();
            assertThat(r).isEqualTo("sent");
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(5)));
        });
    }

    /** Bubble and outside channels in one select: not durable until the outside one delivers, then timers go on. */
    @Test
    void BB2_aSelectWithAnOutsideChannelHoldsTheClockUntilItIsServed() throws Exception {
        Chan<String> outside = Chan.make(1);
        Bubble.run(() -> {
            Chan<String> inner = Chan.make();
            Timer tk = Timers.newTicker(Duration.ofSeconds(1));
            CountDownLatch started = new CountDownLatch(1);
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    started.await();
                    outside.send("x");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            started.countDown();
            String r = Select.<String>cases().receive(inner, v -> v).receive(outside, v -> v).select();
            assertThat(r).isEqualTo("x");
            assertThat(Timers.now()).isEqualTo(EPOCH);
            assertThat(tk.c().receive()).isEqualTo(EPOCH.plusSeconds(1));
            tk.stop();
            assertThat(sender.join(Duration.ofSeconds(30))).isTrue();
        });
    }

    /**
     * BB20, BB43: bubble goroutines wait in selects on a channel of the bubble and on the done channel of a context made
     * in the bubble under one made outside. A close of the bubble's channel from outside is refused (BB43: until
     * 2026-12-06 this test closed it from outside to wake them); the cancel of the outside parent, which closes the
     * child's done channel from outside (BB28), wakes every select at the same instant.
     */
    @Test
    void BB20_BB43_aCancelFromOutsideWakesEverySelectAtTheSameInstantAndACloseFromOutsideIsRefused() throws Exception {
        AtomicReference<Chan<Integer>> shared = new AtomicReference<>();
        AtomicReference<Throwable> refused = new AtomicReference<>();
        CancellableContext parent = Context.withCancel(Context.background());
        CountDownLatch made = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        Thread canceller = Thread.ofPlatform().start(() -> {
            try {
                made.await();
                try {
                    shared.get().close();
                } catch (IllegalStateException e) {
                    refused.set(e);
                }
                parent.cancel();
                cancelled.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Bubble.run(() -> {
            Chan<Integer> ch = Chan.make();
            Context child = Context.withCancel(parent);
            Chan<String> results = Chan.make(8);
            for (int i = 0; i < 8; i++) {
                Go.go(() -> {
                    String r = Select.<String>cases().receiveOk(ch, v -> v.ok() ? "value" : "closed")
                            .receiveOk(child.done(), v -> "cancelled")
                            .timeout(Duration.ofHours(1), () -> "timeout").select();
                    results.send(r + "@" + Timers.now());
                });
            }
            Bubble.await(); // all eight wait in their selects
            shared.set(ch);
            made.countDown();
            assertThat(cancelled.await(30, TimeUnit.SECONDS)).isTrue(); // not durable: the clock waits
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                got.add(results.receive());
            }
            assertThat(got).containsOnly("cancelled@" + EPOCH);
        });
        assertThat(canceller.join(Duration.ofSeconds(30))).isTrue();
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("(BB43)");
    }

    /** BB20: a member interrupted by a thread outside while in a timed select leaves it at the same instant. */
    @Test
    void BB20_anInterruptedSelectEndsWithoutMovingTheClock() throws Exception {
        for (int round = 0; round < 50; round++) {
            Bubble.run(() -> {
                Chan<Integer> never = Chan.make();
                Chan<Instant> at = Chan.make(1);
                Thread[] thread = new Thread[1];
                CountDownLatch running = new CountDownLatch(1);
                Go.go(() -> {
                    thread[0] = Thread.currentThread();
                    running.countDown();
                    try {
                        Select.<String>cases().receive(never, v -> "v").timeout(Duration.ofHours(1), () -> "t").select();
                        at.send(Instant.MAX);
                    } catch (InterruptedException e) {
                        at.send(Timers.now());
                    }
                });
                running.await();
                io.gochan.Bubble.await(); // the goroutine waits in its select
                Thread outside = Thread.ofPlatform().start(() -> thread[0].interrupt());
                outside.join();
                assertThat(at.receive()).isEqualTo(EPOCH);
            });
        }
    }

    /**
     * BB24: a select in a goroutine of one bubble with a case on a channel of another running bubble (beside
     * one of its own and a timeout) is refused, as a select of a thread of no bubble is (BB6). Before, it
     * waited unseen by the other bubble, and its timeout never came: its own clock stood still for it.
     */
    @Test
    void BB24_aSelectOnAnotherBubblesChannelIsRefused() throws Exception {
        AtomicReference<Chan<Integer>> theirs = new AtomicReference<>();
        CountDownLatch made = new CountDownLatch(1);
        CountDownLatch used = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                Bubble.run(() -> {
                    theirs.set(Chan.make());
                    made.countDown();
                    assertThat(used.await(30, TimeUnit.SECONDS)).isTrue();
                    assertThat(theirs.get().tryReceive().ok()).isFalse();
                });
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        try {
            Bubble.run(() -> {
                assertThat(made.await(30, TimeUnit.SECONDS)).isTrue();
                Chan<Integer> mine = Chan.make();
                CountDownLatch finished = new CountDownLatch(1);
                Thread[] thread = new Thread[1];
                Go.go(() -> {
                    thread[0] = Thread.currentThread();
                    try {
                        String r = Select.<String>cases().receive(mine, v -> "mine").send(theirs.get(), 7, () -> "sent")
                                .timeout(Duration.ofMinutes(1), () -> "timeout").select();
                        outcome.set(new AssertionError("no refusal, got " + r));
                    } catch (Throwable t) {
                        outcome.set(t);
                    } finally {
                        finished.countDown();
                    }
                    // The refused select left nothing behind on its own channel: a later handoff works.
                    Go.go(() -> mine.send(5));
                    assertThat(Select.<Integer>cases().receive(mine, v -> v).select()).isEqualTo(5);
                });
                if (!finished.await(10, TimeUnit.SECONDS)) {
                    thread[0].interrupt();
                    assertThat(finished.await(30, TimeUnit.SECONDS)).isTrue();
                    outcome.set(new AssertionError("it waited on the other bubble's channel"));
                }
            });
        } finally {
            used.countDown();
        }
        assertThat(other.join(Duration.ofSeconds(60))).isTrue();
        assertThat(failed.get()).isNull();
        assertThat(outcome.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("another bubble");
    }

    /**
     * Rule BB37: a bubble fires the timers due at one instant in a random order, as Go's synctest does (its
     * {@code TestTimerNondeterminism}), so a select waiting on two of them takes either. Before, the bubble's heap gave
     * the same order every time: the first timer made won all 1,000 rounds.
     */
    @Test
    void BB37_aSelectOnTwoTimersOfOneInstantTakesEitherAcrossRounds() throws Exception {
        Map<String, Integer> won = new TreeMap<>();
        Bubble.run(() -> {
            // Go's test: up to 1,000 rounds, until each has won once (neither losing all 1,000 fair rounds: 2^-999).
            for (int round = 1; round <= 1000 && won.size() < 2; round++) {
                Timer first = Timers.newTimer(Duration.ofNanos(1));
                Timer second = Timers.newTimer(Duration.ofNanos(1));
                String w = Select.<String>cases().receive(first.c(), v -> "first").receive(second.c(), v -> "second").select();
                won.merge(w, 1, Integer::sum);
                assertThat(Timers.now()).isEqualTo(EPOCH.plusNanos(round));
                first.stop();
                second.stop();
                Bubble.await();
            }
        });
        assertThat(won).containsOnlyKeys("first", "second");
    }
}
