package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bubbles held to Go's {@code testing/synctest} (Go 1.25 and later): its package doc examples and the tests of
 * {@code internal/synctest} and {@code testing/synctest} that no other Bubble test mirrors, each named in its method's
 * comment with the rule it checks (docs/spec/bubbles.md). Written as session 47's parity audit; none found a defect
 * but the one BB51 fixed ({@code EndedBubbleTimerRulesTest}), and they stay as regression tests.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleSynctestParityRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    /** Go's package doc TestTime: the goroutine's 1 s sleep ends, and it runs, before the root's 2 s sleep returns. */
    @Test
    void BB3_aSleeperOfAnEarlierInstantRunsBeforeALaterSleepReturns() throws Exception {
        Bubble.run(() -> {
            AtomicReference<Instant> seen = new AtomicReference<>();
            Go.go(() -> {
                Timers.sleep(Duration.ofSeconds(1));
                seen.set(Timers.now());
            });
            Timers.sleep(Duration.ofSeconds(2));
            assertThat(seen.get()).isEqualTo(EPOCH.plusSeconds(1));
            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(2));
        });
    }

    /** Go's TestMonotonicClock: a sleep until an instant of the real clock reaches it exactly, then time adds up. */
    @Test
    void BB3_aSleepUntilARealInstantReachesItExactly() throws Exception {
        Instant start = Instant.now();
        Bubble.run(() -> {
            Timers.sleep(Duration.between(Timers.now(), start));
            assertThat(Timers.now()).isEqualTo(start);
            Timers.sleep(Duration.ofSeconds(1));
            assertThat(Duration.between(start, Timers.now())).isEqualTo(Duration.ofSeconds(1));
        });
    }

    /** Go's TestSimpleWait, TestGoroutineWait and TestWait (a chain of 100 goroutines handing a count on). */
    @Test
    void BB10_awaitAloneReturnsAndWaitsForAChainOfGoroutinesToEnd() throws Exception {
        Bubble.run(() -> {
            Bubble.await();
            Go.go(() -> { });
            Bubble.await();
            assertThat(Goroutines.live()).as("the goroutine has left").isEmpty();
            AtomicBoolean done = new AtomicBoolean();
            Chan<Integer> ch = Chan.make();
            class Link {
                void run() throws InterruptedException {
                    int count = ch.receive();
                    if (count == 0) {
                        done.set(true);
                    } else {
                        Go.go(this::run);
                        ch.send(count - 1);
                    }
                }
            }
            Go.go(new Link()::run);
            ch.send(100);
            Bubble.await();
            assertThat(done).isTrue();
        });
    }

    /** Go's TestTimerReset: a timer reset after it fired, and reset again while pending, fires on the virtual clock. */
    @Test
    void BB3_aTimerResetAfterFiringAndWhilePendingFiresAtItsLastReset() throws Exception {
        Bubble.run(() -> {
            Timer tm = Timers.newTimer(Duration.ofSeconds(1));
            assertThat(tm.c().receive()).isEqualTo(EPOCH.plusSeconds(1));
            tm.reset(Duration.ofSeconds(2));
            assertThat(tm.c().receive()).isEqualTo(EPOCH.plusSeconds(3));
            tm.reset(Duration.ofSeconds(3));
            Timers.sleep(Duration.ofSeconds(1));
            tm.reset(Duration.ofSeconds(3));
            assertThat(tm.c().receive()).isEqualTo(EPOCH.plusSeconds(7));
        });
    }

    /** Go's TestTimeAfter: a goroutine started by an afterFunc task belongs to the bubble and sleeps on its clock. */
    @Test
    void BB1_aGoroutineStartedByAnAfterFuncTaskIsAMember() throws Exception {
        Bubble.run(() -> {
            AtomicInteger i = new AtomicInteger();
            Timers.afterFunc(Duration.ofSeconds(1), () -> {
                i.incrementAndGet();
                Go.go(() -> {
                    Timers.sleep(Duration.ofSeconds(1));
                    i.incrementAndGet();
                });
            });
            Timers.sleep(Duration.ofSeconds(3));
            Bubble.await();
            assertThat(i).hasValue(2);
        });
    }

    /**
     * Go's TestTimerFromOutsideBubble: a timer of no bubble, received in the bubble, fires on the real clock (the wait
     * is not durable); once run returns it has fired.
     */
    @Test
    void BB2_aTimerMadeOutsideFiresOnTheRealClockForAMember() throws Exception {
        Timer tm = Timers.newTimer(Duration.ofMillis(10));
        Bubble.run(() -> {
            tm.c().receive();
            assertThat(Timers.now()).as("the bubble's clock did not move for it").isEqualTo(EPOCH);
        });
        assertThat(tm.stop()).as("it fired before run returned").isFalse();
    }

    /** Go's TestSleepNondeterminism: of two goroutines sleeping to one instant, either may run first. */
    @Test
    void BB37_sleepersOfOneInstantWakeInEitherOrder() throws Exception {
        Bubble.run(() -> {
            boolean seen1 = false;
            boolean seen2 = false;
            for (int round = 0; round < 1000 && !(seen1 && seen2); round++) {
                AtomicInteger first = new AtomicInteger();
                Go.go(() -> {
                    Timers.sleep(Duration.ofNanos(1));
                    first.compareAndSet(0, 1);
                });
                Go.go(() -> {
                    Timers.sleep(Duration.ofNanos(1));
                    first.compareAndSet(0, 2);
                });
                Timers.sleep(Duration.ofNanos(1));
                Bubble.await();
                seen1 |= first.get() == 1;
                seen2 |= first.get() == 2;
            }
            assertThat(seen1 && seen2).as("both orders seen: first=%s second=%s", seen1, seen2).isTrue();
        });
    }

    /** Go's TestChannelFromOutsideBubble (read value, write value, read closed): a member uses an outside channel. */
    @Test
    void BB2_aMemberSendsAndReceivesOnAChannelOfNoBubble() throws Exception {
        Chan<Integer> ch = Chan.make();
        try (Threads outside = new Threads(Threads.Kind.PLATFORM)) {
            outside.start(() -> {
                ch.send(1);
                assertThat(ch.receive()).isEqualTo(2);
                ch.close();
            });
            Bubble.run(() -> {
                assertThat(ch.receive()).isEqualTo(1);
                ch.send(2);
                assertThat(ch.receiveOk().ok()).isFalse();
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        }
    }

    /** Go's package doc example of context.AfterFunc, on the bubble's context. */
    @Test
    void BB17_aContextsAfterFuncRunsInTheBubbleOnlyOnceCancelled() throws Exception {
        Bubble.run(() -> {
            CancellableContext ctx = Context.withCancel(Bubble.context());
            AtomicBoolean called = new AtomicBoolean();
            Context.afterFunc(ctx, () -> called.set(true));
            Bubble.await();
            assertThat(called).as("before the cancel").isFalse();
            ctx.cancel();
            Bubble.await();
            assertThat(called).as("after the cancel and an await").isTrue();
        });
    }

    /** Go's package doc example of context.WithTimeout: 1 ns before its deadline it is not done, at it it is. */
    @Test
    void BB4_aContextTimeoutIsNotDoneOneNanosecondEarly() throws Exception {
        Bubble.run(() -> {
            Duration timeout = Duration.ofSeconds(5);
            CancellableContext ctx = Context.withTimeout(Bubble.context(), timeout);
            Timers.sleep(timeout.minusNanos(1));
            Bubble.await();
            assertThat(ctx.err()).isNull();
            Timers.sleep(Duration.ofNanos(1));
            Bubble.await();
            assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
            ctx.cancel();
        });
    }

    /** testing/synctest's TestContext: a wait on the bubble's context is durable, and run waits for its end. */
    @Test
    void BB40_aGoroutineWaitingOnTheBubblesContextIsDurablyBlockedAndEndsWithTheBody() throws Exception {
        AtomicReference<String> state = new AtomicReference<>("not started");
        Bubble.run(() -> {
            Go.go(() -> {
                state.set("waiting on context");
                Bubble.context().done().receiveOk();
                state.set("done");
            });
            Bubble.await();
            assertThat(state.get()).isEqualTo("waiting on context");
        });
        assertThat(state.get()).isEqualTo("done");
    }

    /** testing/synctest's TestCleanup: a cleanup closes, in the bubble, the channel a goroutine waits on. */
    @Test
    void BB41_aCleanupReleasesAGoroutineBeforeTheEndWait() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        Bubble.run(() -> {
            Chan<Void> ch = Chan.make();
            Bubble.cleanup(ch::close);
            Go.go(() -> {
                ch.receiveOk();
                done.set(true);
            });
        });
        assertThat(done).isTrue();
    }

    /** Go's TestDeadlockRoot (select {}): a receive on a nil channel is durable, so alone it is a deadlock. */
    @Test
    void BB5_aNilChannelReceiveAloneIsADeadlock() {
        assertThatThrownBy(() -> Bubble.run(() -> Chan.<Integer>nil().receive())).isInstanceOf(BubbleDeadlockException.class);
    }

    /**
     * Go's TestHappensBefore, last part: run waits for goroutines of goroutines that outlive their parents (with no
     * sleep: the clock stops when the body returns, BB39, so a sleeping grandchild would be a deadlock, as in Go).
     */
    @Test
    void BB7_runWaitsForGrandchildrenOfEndedGoroutines() throws Exception {
        AtomicInteger v = new AtomicInteger();
        Bubble.run(() -> {
            for (int i = 0; i < 2; i++) {
                Go.go(() -> Go.go(v::incrementAndGet));
            }
        });
        assertThat(v).hasValue(2);
    }

    /**
     * testing/synctest's TestSkip: a body that aborts (JUnit's assumption failure, Go's t.Skip) while a goroutine waits
     * is rethrown unchanged once that goroutine has been stopped (BB7).
     */
    @Test
    void BB7_anAbortedBodyIsRethrownUnchanged() {
        org.opentest4j.TestAbortedException abort = new org.opentest4j.TestAbortedException("skip");
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> Bubble.run(() -> {
            Chan<Integer> never = Chan.make();
            Go.go(() -> never.receive());
            Bubble.await();
            throw abort;
        }));
        assertThat(thrown).isSameAs(abort);
        assertThat(thrown.getSuppressed()).isEmpty();
    }

    /**
     * Go keeps a bubble's channel timers in its heap whether or not anyone waits on them (fake timers are always
     * heaped): with the root blocked for ever, the clock still jumps to an unread timer; then, none left, a deadlock.
     */
    @Test
    void BB5_anUnreadTimerMovesTheClockBeforeTheDeadlock() {
        assertThatThrownBy(() -> Bubble.run(() -> {
            Timer unread = Timers.newTimer(Duration.ofHours(1));
            Chan.<Integer>make().receive();
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("at 2000-01-01T01:00:00Z");
    }

    /**
     * An unread ticker with the root blocked for ever: once a tick is dropped the ticker dozes (TM6), so nothing is
     * pending and the bubble reports the deadlock at that instant. Go keeps a bubble's timers heaped and would move
     * the clock tick after tick; here the bubble fails (a difference BB28 lists). Bounded: it runs on a thread joined with a limit.
     */
    @Test
    void BB28_TM6_anUnreadTickerDozesSoARootBlockedForEverIsADeadlock() throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        AtomicReference<Thread> root = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                Bubble.run(() -> {
                    root.set(Thread.currentThread());
                    Timer ticker = Timers.newTicker(Duration.ofSeconds(1));
                    Chan.<Integer>make().receive();
                });
                outcome.set(new AssertionError("returned"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        boolean ended = t.join(Duration.ofSeconds(10));
        if (!ended) {
            root.get().interrupt();
            t.join();
        }
        assertThat(ended).as("ended by itself: %s", outcome.get()).isTrue();
        assertThat(outcome.get()).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("at 2000-01-01T00:00:02Z");
    }

    /** A receive bound to the bubble's context, on a bubble channel, is durable (BB2, BB40). */
    @Test
    void BB40_aReceiveBoundToTheBubblesContextIsDurable() throws Exception {
        Bubble.run(() -> {
            Chan<Integer> ch = Chan.make();
            AtomicBoolean started = new AtomicBoolean();
            Go.go(() -> {
                started.set(true);
                ch.receive(Bubble.context());
            });
            Bubble.await();
            assertThat(started).isTrue();
            ch.send(1);
        });
    }

    /**
     * Go's doc: a goroutine that an event from outside the bubble can wake is not durably blocked. A receive on a bubble
     * channel bound to a context made outside (a select with the outside context's done case) is such a wait: await
     * does not return until the outside cancel has ended it.
     */
    @Test
    void BB2_aReceiveBoundToAnOutsideContextIsNotDurable() throws Exception {
        CancellableContext outside = Context.withCancel(Context.background());
        AtomicReference<Thread> member = new AtomicReference<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        try (Threads canceller = new Threads(Threads.Kind.PLATFORM)) {
            canceller.start(() -> {
                Threads.awaitTrue(() -> member.get() != null && member.get().getState() == Thread.State.WAITING,
                        "the member waits on its channel and the outside context");
                cancelled.set(true);
                outside.cancel();
            });
            Bubble.run(() -> {
                Chan<Integer> ch = Chan.make();
                AtomicReference<Throwable> ended = new AtomicReference<>();
                Go.go(() -> {
                    member.set(Thread.currentThread());
                    try {
                        ch.receive(outside);
                    } catch (java.util.concurrent.CancellationException e) {
                        ended.set(e);
                    }
                });
                Bubble.await();
                assertThat(cancelled).as("await returned only after the outside cancel").isTrue();
                assertThat(ended.get()).isInstanceOf(ContextCanceledException.class);
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        }
    }

    /** A goroutine, not the root, may await: it returns once the root is durably blocked. */
    @Test
    void BB10_aGoroutineMayAwait() throws Exception {
        Bubble.run(() -> {
            Chan<String> ch = Chan.make();
            Go.go(() -> {
                Bubble.await();
                ch.send("root is blocked at " + Timers.now());
            });
            assertThat(ch.receive()).isEqualTo("root is blocked at " + EPOCH);
        });
    }
}
