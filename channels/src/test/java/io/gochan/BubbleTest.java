package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Virtual-time bubbles (Go's testing/synctest): rules BB1–BB10, BB15, BB16, ADR 0013. */
class BubbleTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    /** Every test: no goroutine left behind, and the park hook gone once no bubble runs (BB9). */
    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    /** Runs {@code body} in a bubble on a thread of the given kind, rethrowing what it threw. */
    private static void inBubble(Threads.Kind kind, Task body) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(body));
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB3_clockStartsIn2000AndAnHourOfSleepTakesNoTime(Threads.Kind kind) throws Exception {
        long realStart = System.nanoTime();
        inBubble(kind, () -> {
            assertThat(Timers.now()).isEqualTo(EPOCH);
            Timers.sleep(Duration.ofHours(1));
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
        });
        // A generous bound, not a speed requirement: an hour of real time would be the failure.
        assertThat(Duration.ofNanos(System.nanoTime() - realStart)).isLessThan(Duration.ofMinutes(1));
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB3_anHourlyTickerTicksOnItsGridInVirtualTime(Threads.Kind kind) throws Exception {
        inBubble(kind, () -> {
            Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
            List<Instant> ticks = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                ticks.add(ticker.c().receive());
            }
            ticker.stop();
            for (int i = 0; i < 60; i++) {
                assertThat(ticks.get(i)).isEqualTo(EPOCH.plus(Duration.ofMinutes(i + 1)));
            }
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
        });
    }

    /** Go's synctest example for context.WithTimeout: done exactly at the deadline, not a nanosecond before. */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB4_contextWithTimeoutIsDoneExactlyAtItsDeadline(Threads.Kind kind) throws Exception {
        inBubble(kind, () -> {
            Duration timeout = Duration.ofSeconds(5);
            CancellableContext ctx = Context.withTimeout(Context.background(), timeout);
            assertThat(ctx.deadline()).contains(EPOCH.plus(timeout));
            Timers.sleep(timeout.minusNanos(1));
            Bubble.await();
            assertThat(ctx.err()).as("before the deadline").isNull();
            Timers.sleep(Duration.ofNanos(1));
            Bubble.await();
            assertThat(ctx.err()).as("at the deadline").isInstanceOf(DeadlineExceededException.class);
        });
    }

    /** Go's synctest example for context.AfterFunc, with a cancel that runs a function in a goroutine. */
    @Test
    void BB10_awaitSeesWhatAGoroutineDidBeforeBlocking() throws Exception {
        Bubble.run(() -> {
            CancellableContext ctx = Context.withCancel(Context.background());
            AtomicReference<Boolean> called = new AtomicReference<>(false);
            Go.go("after-func", () -> {
                ctx.done().receiveOk();
                called.set(true);
            });
            Bubble.await();
            assertThat(called.get()).as("before cancel").isFalse();
            ctx.cancel();
            Bubble.await();
            assertThat(called.get()).as("after cancel").isTrue();
        });
    }

    @Test
    void BB4_afterFuncRunsInTheBubbleAtItsVirtualTime() throws Exception {
        Bubble.run(() -> {
            Chan<Instant> ran = Chan.make();
            Timers.afterFunc(Duration.ofMinutes(90), () -> {
                assertThat(Bubble.inBubble()).as("the function's goroutine is in the bubble").isTrue();
                ran.send(Timers.now());
            });
            assertThat(ran.receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(90)));
        });
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB4_timedSendAndReceiveTimeOutOnTheVirtualClock(Threads.Kind kind) throws Exception {
        inBubble(kind, () -> {
            Chan<Integer> ch = Chan.make();
            assertThat(ch.receive(Duration.ofSeconds(3)).ok()).isFalse();
            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(3));
            assertThat(ch.send(1, Duration.ofDays(2))).isFalse();
            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(3).plus(Duration.ofDays(2)));
        });
    }

    /** A timer-driven cache, as in Go's synctest blog post: entries expire exactly at their TTL. */
    @Test
    void BB4_cacheEntriesExpireAtTheirVirtualTtl() throws Exception {
        final class ExpiringCache {
            private final Map<String, String> entries = new ConcurrentHashMap<>();

            void put(String k, String v, Duration ttl) {
                entries.put(k, v);
                Timers.afterFunc(ttl, () -> entries.remove(k, v));
            }

            String get(String k) {
                return entries.get(k);
            }
        }
        Bubble.run(() -> {
            ExpiringCache cache = new ExpiringCache();
            cache.put("k", "v", Duration.ofMinutes(5));
            Timers.sleep(Duration.ofMinutes(5).minusNanos(1));
            Bubble.await();
            assertThat(cache.get("k")).isEqualTo("v");
            Timers.sleep(Duration.ofNanos(1));
            Bubble.await();
            assertThat(cache.get("k")).isNull();
        });
    }

    @Test
    void BB1_goroutinesOfGoroutinesBelongToTheBubble() throws Exception {
        Bubble.run(() -> {
            Chan<Boolean> result = Chan.make();
            Go.go("child", () -> Go.go("grandchild", () -> result.send(Bubble.inBubble())));
            assertThat(result.receive()).isTrue();
        });
        assertThat(Bubble.inBubble()).isFalse();
    }

    @Test
    void BB2_waitGroupWaitIsDurableAndTimeJumpsToTheLastSleeper() throws Exception {
        Bubble.run(() -> {
            WaitGroup wg = new WaitGroup();
            for (int i = 1; i <= 3; i++) {
                Duration d = Duration.ofSeconds(10L * i);
                wg.add(1);
                Go.go(() -> {
                    Timers.sleep(d);
                    wg.done();
                });
            }
            wg.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(30));
        });
    }

    /**
     * A goroutine waiting on a channel made outside the bubble is not durably blocked: time waits
     * for it, so the bubble's timer cannot fire before the outside value arrives.
     */
    @Test
    void BB2_aChannelMadeOutsideTheBubbleIsNotDurable() throws Exception {
        Chan<String> outside = Chan.make();
        AtomicReference<Thread> waiting = new AtomicReference<>();
        try (Threads sender = new Threads(Threads.Kind.PLATFORM)) {
            sender.start(() -> {
                Threads.awaitTrue(() -> waiting.get() != null && waiting.get().getState() == Thread.State.WAITING,
                        "the bubble's goroutine waits on the outside channel");
                outside.send("from outside");
            });
            Bubble.run(() -> {
                Chan<String> got = Chan.make(1);
                Go.go("waits-outside", () -> {
                    waiting.set(Thread.currentThread());
                    got.send(outside.receive());
                });
                Received<Instant> fired = Timers.after(Duration.ofSeconds(1)).receive(Duration.ofDays(1)) ;
                assertThat(got.tryReceive().ok()).as("the outside value came before the timer").isTrue();
                assertThat(fired.value()).isEqualTo(EPOCH.plusSeconds(1));
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB5_allAsleepWithNoTimerIsADeadlockWithADump(Threads.Kind kind) throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                try {
                    Bubble.run(() -> {
                        Chan<Integer> never = Chan.make();
                        Go.go("stuck-receiver", never::receive);
                        Timers.sleep(Duration.ofSeconds(2));
                        never.receive(); // nobody will ever send
                    });
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
        }
        assertThat(thrown.get()).isInstanceOf(BubbleDeadlockException.class)
                .hasMessageContaining("deadlock")
                .hasMessageContaining("\"stuck-receiver\"")
                .hasMessageContaining("receive from chan(cap=0")
                .hasMessageContaining("bubble root")
                .hasMessageContaining("2000-01-01T00:00:02Z");
    }

    // BB7's "time moves while run waits for its goroutines" is gone: the clock stops when the body returns (BB39,
    // BubbleStoppedClockRulesTest).

    @Test
    void BB7_aGoroutineBlockedForeverWhenTheBodyReturnsFailsTheBubble() {
        assertThatThrownBy(() -> Bubble.run(() -> Go.go("leaked", () -> Chan.<Integer>make().receive())))
                .isInstanceOf(BubbleDeadlockException.class)
                .hasMessageContaining("\"leaked\"")
                .hasMessageContaining("the end of the bubble's other goroutines");
    }

    @Test
    void BB6_aBubbleChannelBlockedOnFromOutsideIsAnError() throws Exception {
        AtomicReference<Throwable> outsider = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<Integer> inner = Chan.make();
            CountDownLatch done = new CountDownLatch(1);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    inner.receive();
                } catch (Throwable t) {
                    outsider.set(t);
                } finally {
                    done.countDown();
                }
            });
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue(); // a latch: not durable, time waits
        });
        assertThat(outsider.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB6");
    }

    @Test
    void BB8_bubblesDoNotNest() throws Exception {
        Bubble.run(() -> assertThatThrownBy(() -> Bubble.run(() -> {}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest"));
    }

    @Test
    void BB10_awaitOutsideABubbleIsAnError() {
        assertThatThrownBy(Bubble::await).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void BB7_aFailingBodyInterruptsTheGoroutinesAndIsRethrown() {
        assertThatThrownBy(() -> Bubble.run(() -> {
            Go.go("waiting", () -> Chan.<Integer>make().receive());
            throw new IllegalArgumentException("body failed");
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("body failed");
    }

    @Test
    void BB9_outsideABubbleTimersUseTheSystemClock() throws Exception {
        assertThat(ParkHook.active()).isNull();
        assertThat(Duration.between(Timers.now(), Instant.now()).abs()).isLessThan(Duration.ofMinutes(1));
        Bubble.run(() -> assertThat(ParkHook.active()).isNotNull());
        assertThat(ParkHook.active()).isNull();
    }

    /**
     * Rule BB15: the root, waiting for a goroutine that waits on a channel made outside the bubble (in
     * real time, BB2), is interrupted (as JUnit's {@code @Timeout} does): the goroutine is interrupted
     * and {@code run} throws InterruptedException. Before the fix the root ignored the interrupt and
     * waited for ever.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB15_anInterruptWhileWaitingForTheGoroutinesStopsThem(Threads.Kind kind) throws Exception {
        Chan<String> outside = Chan.make(); // nobody sends: its receiver is never durably blocked
        AtomicReference<Thread> waiter = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch bodyReturned = new CountDownLatch(1);
        try (Threads threads = new Threads(kind)) {
            Thread root = threads.start(() -> {
                try {
                    Bubble.run(() -> {
                        Go.go("waits-outside", () -> {
                            waiter.set(Thread.currentThread());
                            outside.receive();
                        });
                        bodyReturned.countDown();
                    });
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            assertThat(bodyReturned.await(30, TimeUnit.SECONDS)).isTrue();
            Threads.awaitReceivers(outside, 1);
            root.interrupt(); // while it waits for the end, or just before: either way the same outcome
        }
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class).hasMessageContaining("BB15");
        assertThat(waiter.get().join(Duration.ofSeconds(30))).as("the goroutine was stopped").isTrue();
    }

    /**
     * Rule BB16: a wait group whose first add was made outside the bubble may be released from
     * outside, so waiting on it is not durable: no deadlock is declared, time waits for the outside
     * done(). Before the fix any WaitGroup.await() was durable and the bubble failed at once.
     */
    @Test
    void BB16_aWaitGroupAddedOutsideTheBubbleIsNotDurable() throws Exception {
        WaitGroup outsideWork = new WaitGroup();
        outsideWork.add(1);
        AtomicReference<BubbleState.Member> root = new AtomicReference<>();
        AtomicReference<Object> blockedOn = new AtomicReference<>("not looked at");
        try (Threads outside = new Threads(Threads.Kind.PLATFORM)) {
            outside.start(() -> {
                Threads.awaitTrue(() -> root.get() != null
                        && LockSupport.getBlocker(root.get().thread) instanceof AbstractQueuedSynchronizer.ConditionObject,
                        "the bubble's root waits in the outside wait group");
                blockedOn.set(root.get().bubble.durablyBlockedOn(root.get()));
                outsideWork.done();
            });
            Bubble.run(() -> {
                root.set(Bubbles.current());
                outsideWork.await(); // the only member and no timer: durable would be a deadlock
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        }
        assertThat(blockedOn.get()).as("what the root counted as durably blocked on").isNull();
    }

    /** Rule BB16: a wait group first added to inside the bubble blocks durably: time jumps past it. */
    @Test
    void BB16_aWaitGroupAddedInsideTheBubbleIsDurable() throws Exception {
        Bubble.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.go(() -> Timers.sleep(Duration.ofHours(3)));
            wg.await();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(3)));
        });
        assertThatThrownBy(() -> Bubble.run(() -> {
            WaitGroup never = new WaitGroup();
            never.add(1);
            Go.go("never-done", never::await);
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("\"never-done\"")
                .hasMessageContaining("WaitGroup[count=1]");
    }

    /** BB3: timers due at the same instant all fire at exactly that instant; earlier ones first. */
    @Test
    void BB3_equalDeadlinesFireTogetherAndEarlierOnesFirst() throws Exception {
        Bubble.run(() -> {
            ReceiveChan<Instant> a = Timers.after(Duration.ofMinutes(10));
            ReceiveChan<Instant> b = Timers.after(Duration.ofMinutes(10));
            ReceiveChan<Instant> early = Timers.after(Duration.ofMinutes(3));
            assertThat(a.receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
            assertThat(early.tryReceive().value()).as("fired before, at its own instant")
                    .isEqualTo(EPOCH.plus(Duration.ofMinutes(3)));
            assertThat(b.tryReceive().value()).as("fired with a").isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
        });
    }

    /** BB3, BB5: a timer reset inside the bubble fires at its new instant; a stopped one is not pending. */
    @Test
    void BB3_aResetTimerFiresAtItsNewInstantAndAStoppedOneIsNotPending() throws Exception {
        Bubble.run(() -> {
            Timer t = Timers.newTimer(Duration.ofHours(1));
            t.reset(Duration.ofMinutes(10));
            assertThat(t.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
            t.reset(Duration.ofHours(2));
            assertThat(t.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(130)));
        });
        assertThatThrownBy(() -> Bubble.run(() -> {
            Timer stopped = Timers.newTimer(Duration.ofHours(1));
            assertThat(stopped.stop()).isTrue();
            Chan.<Integer>make().receive(); // only the stopped timer: nothing can wake this
        })).isInstanceOf(BubbleDeadlockException.class)
                .hasMessageContaining("at 2000-01-01T00:00:00Z"); // the clock did not jump to the stopped timer
    }

    /** BB4: nested context deadlines: the earlier parent deadline ends the child, at exactly that instant. */
    @Test
    void BB4_aParentDeadlineEndsALaterChildAtTheParentsInstant() throws Exception {
        Bubble.run(() -> {
            CancellableContext parent = Context.withTimeout(Context.background(), Duration.ofHours(1));
            CancellableContext child = Context.withTimeout(parent, Duration.ofHours(2));
            child.done().receiveOk();
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            assertThat(child.err()).isInstanceOf(DeadlineExceededException.class);
            child.cancel();
            parent.cancel();
        });
    }

    /**
     * BB10: await returns while the others sleep (durably blocked), before their timers fire: time
     * does not move during await.
     */
    @Test
    void BB10_awaitReturnsWhileOthersSleepAndTimeHasNotMoved() throws Exception {
        Bubble.run(() -> {
            java.util.concurrent.atomic.AtomicBoolean woke = new java.util.concurrent.atomic.AtomicBoolean();
            Go.go("sleeper", () -> {
                Timers.sleep(Duration.ofMinutes(1));
                woke.set(true);
            });
            Bubble.await();
            assertThat(woke).isFalse();
            assertThat(Timers.now()).isEqualTo(EPOCH);
            Timers.sleep(Duration.ofMinutes(1));
            Bubble.await();
            assertThat(woke).isTrue();
        });
    }

    /** BB7: a goroutine that outlives the body while sleeping is waited for; its timer still fires. */
    @Test
    void BB7_aBodyThatThrowsWhileAGoroutineSleepsRethrowsItAndLeavesNothing() {
        assertThatThrownBy(() -> Bubble.run(() -> {
            Go.go("sleeper", () -> Timers.sleep(Duration.ofDays(1)));
            throw new java.io.IOException("body failed");
        })).isInstanceOf(java.io.IOException.class).hasMessage("body failed").hasNoSuppressedExceptions();
    }

    /**
     * BB5: a deadlock is reported as BubbleDeadlockException even when the body ends with what the
     * bubble's interrupt turned into: a channel iterator's ChannelInterruptedException, or an
     * InterruptedException the body wrapped. Before the fix run threw those, the deadlock suppressed.
     */
    @Test
    void BB5_aDeadlockIsReportedWhateverTheBodyMadeOfItsInterrupt() {
        assertThatThrownBy(() -> Bubble.run(() -> {
            for (Integer ignored : Chan.<Integer>make()) {
                throw new AssertionError("nothing is ever sent");
            }
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("deadlock");
        assertThat(Thread.currentThread().isInterrupted()).as("the bubble's own interrupt is not left set").isFalse();
        assertThatThrownBy(() -> Bubble.run(() -> {
            try {
                Chan.<Integer>make().receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("wrapped", e);
            }
        })).isInstanceOf(BubbleDeadlockException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).anySatisfy(s -> assertThat(s).hasMessage("wrapped")));
    }

    /**
     * BB2, BB5: a member interrupted while durably blocked is about to run, though its waiter is not
     * claimed yet: it is not durably blocked, so no deadlock is declared (and time does not jump) before
     * it has handled the interrupt. Before the fix the driver could look in that moment and fail the
     * bubble with a false deadlock (found by BB17's tests).
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB5_aMemberInterruptedWhileDurablyBlockedIsNotADeadlock(Threads.Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 300; i++) {
                    Bubble.run(() -> {
                        Chan<Integer> never = Chan.make();
                        Goroutine receiver = Go.go("receiver", () -> {
                            try {
                                never.receive();
                            } catch (InterruptedException expected) {
                                // stopped by the body: ends normally
                            }
                        });
                        Bubble.await();
                        receiver.interrupt();
                    });
                }
            });
        }
    }

    /**
     * BB2, BB5: as above, for a member interrupted in a wait group's await() (then a condition wait, whose
     * interrupt status the JDK cleared before the member could leave its record; it parks since BB20,
     * whose certain form of this race is BubbleWakeRulesTest). On the code before the
     * deadlock dump was taken out of the bubble's lock this failed with a false deadlock, or hung (the
     * dump's WaitGroup.toString against the member leaving await()); the driver now keeps a deadlock
     * only if nothing moved while it wrote the dump.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB5_aMemberInterruptedInAWaitGroupWaitIsNotADeadlock(Threads.Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 500; i++) {
                    Bubble.run(() -> {
                        WaitGroup never = new WaitGroup();
                        never.add(1);
                        Chan<Integer> stopped = Chan.make();
                        Goroutine waiter = Go.go("waiter", () -> {
                            try {
                                never.await();
                            } catch (InterruptedException expected) {
                                stopped.send(1);
                            }
                        });
                        Bubble.await();
                        waiter.interrupt();
                        stopped.receive();
                    });
                }
            });
        }
    }

    /**
     * BB6: once its bubble has ended, a channel made in it is an ordinary channel, whether or not
     * another bubble runs meanwhile. Before the fix, blocking on it threw IllegalStateException only
     * while some unrelated bubble ran (a parallel test), and worked otherwise.
     */
    @Test
    void BB6_aChannelOfAnEndedBubbleIsOrdinaryEvenWhileAnotherBubbleRuns() throws Exception {
        AtomicReference<Chan<String>> made = new AtomicReference<>();
        Bubble.run(() -> made.set(Chan.make()));
        CountDownLatch otherRuns = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Threads threads = new Threads(Threads.Kind.PLATFORM)) {
            threads.start(() -> Bubble.run(() -> {
                otherRuns.countDown();
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue(); // a latch: not durable, time waits
            }));
            assertThat(otherRuns.await(30, TimeUnit.SECONDS)).isTrue();
            threads.start(() -> {
                Threads.awaitReceivers(made.get(), 1);
                made.get().send("after the bubble");
            });
            try {
                assertThat(made.get().receive()).isEqualTo("after the bubble");
            } finally {
                release.countDown();
            }
        }
    }
}
