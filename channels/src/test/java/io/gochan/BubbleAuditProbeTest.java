package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Audit probes of bubbles under races and combinations (ADR 0013, amendment of 2026-12-04): parallel bubbles,
 * deadlines in order, timed joins at one instant, error groups, locks and I/O in bubbles, a failing body over
 * every durable wait, interrupts from outside. BB24 and BB25 found defects; the others stay as regression tests.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleAuditProbeTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
    }

    /** Many bubbles at once on their own threads: each clock is its own. */
    @Test
    void BB8_parallelBubblesNeverShareAClock() throws Exception {
        int n = 8;
        CyclicBarrier barrier = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i + 1;
                fs.add(pool.submit(() -> {
                    for (int round = 0; round < 30; round++) {
                        barrier.await(30, TimeUnit.SECONDS);
                        Bubble.run(() -> {
                            WaitGroup wg = new WaitGroup();
                            for (int j = 0; j < 4; j++) {
                                wg.go(() -> Timers.sleep(Duration.ofMinutes(k)));
                            }
                            Timers.sleep(Duration.ofSeconds(k));
                            assertThat(Timers.now()).isEqualTo(EPOCH.plusSeconds(k));
                            wg.await();
                            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(k)));
                            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofHours(k));
                            ctx.done().receiveOk();
                            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(k)).plus(Duration.ofHours(k)));
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Deadlines of contexts, timers and afterFuncs fire in their virtual order, each at its instant. */
    @Test
    void BB4_contextDeadlinesTimersAndAfterFuncsFireInVirtualOrder() throws Exception {
        Bubble.run(() -> {
            Chan<String> log = Chan.make(16);
            CancellableContext a = Context.withTimeout(Context.background(), Duration.ofMinutes(30));
            CancellableContext b = Context.withTimeout(Context.background(), Duration.ofMinutes(10));
            CancellableContext c = Context.withDeadline(a, EPOCH.plus(Duration.ofHours(2))); // ends with a
            Context.afterFunc(a, () -> { if (!log.trySend("a@" + Timers.now())) throw new AssertionError("full"); });
            Context.afterFunc(b, () -> { if (!log.trySend("b@" + Timers.now())) throw new AssertionError("full"); });
            Context.afterFunc(c, () -> { if (!log.trySend("c@" + Timers.now())) throw new AssertionError("full"); });
            Timers.afterFunc(Duration.ofMinutes(20), () -> log.send("t@" + Timers.now()));
            Timer stopped = Timers.afterFunc(Duration.ofMinutes(15), () -> log.send("never"));
            assertThat(stopped.stop()).isTrue();
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                got.add(log.receive());
            }
            assertThat(got.subList(0, 2)).containsExactly("b@" + EPOCH.plus(Duration.ofMinutes(10)), "t@" + EPOCH.plus(Duration.ofMinutes(20)));
            assertThat(got.subList(2, 4)).containsExactlyInAnyOrder("a@" + EPOCH.plus(Duration.ofMinutes(30)),
                    "c@" + EPOCH.plus(Duration.ofMinutes(30)));
            assertThat(c.err()).isInstanceOf(DeadlineExceededException.class);
            assertThat(log.tryReceive().ok()).isFalse();
        });
    }

    /** A timed future join and a timed wait-group wait due at the instant the work ends: one outcome, no loss. */
    @Test
    void BB19_timedJoinsRacingTheirResultAtOneInstantLoseNothing() throws Exception {
        for (int round = 0; round < 100; round++) {
            Bubble.run(() -> {
                GoFuture<String> f = Go.future(() -> {
                    Timers.sleep(Duration.ofMinutes(1));
                    return "x";
                });
                WaitGroup wg = new WaitGroup();
                wg.go(() -> Timers.sleep(Duration.ofMinutes(1)));
                try {
                    assertThat(f.join(Duration.ofMinutes(1))).isEqualTo("x");
                } catch (TimeoutException e) {
                    assertThat(f.join()).isEqualTo("x");
                }
                assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
                wg.await(Duration.ofMinutes(1)); // either way it is at the same instant
                wg.await();
                assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(1)));
            });
        }
    }

    /** ErrGroup with a context: a failure at a virtual instant cancels the others' waits there. */
    @Test
    void BB19_anErrGroupsFailureCancelsItsContextAtItsVirtualInstant() throws Exception {
        Bubble.run(() -> {
            ErrGroup g = ErrGroup.withContext(Context.background());
            Context ctx = g.context();
            List<Instant> seen = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 3; i++) {
                g.go(() -> {
                    ctx.done().receiveOk();
                    seen.add(Timers.now());
                });
            }
            g.go(() -> {
                Timers.sleep(Duration.ofHours(3));
                throw new IllegalStateException("boom");
            });
            assertThatThrownBy(g::await).isInstanceOf(IllegalStateException.class).hasMessage("boom");
            assertThat(seen).containsOnly(EPOCH.plus(Duration.ofHours(3))).hasSize(3);
        });
    }

    /** A member waiting for a lock held outside is not durable: a sleeper's timer does not fire meanwhile. */
    @Test
    void BB2_aMemberWaitingForALockIsRunning() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            lock.lock();
            try {
                locked.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
        });
        assertThat(locked.await(30, TimeUnit.SECONDS)).isTrue();
        AtomicBoolean woke = new AtomicBoolean();
        Bubble.run(() -> {
            Goroutine sleeper = Go.go(() -> {
                Timers.sleep(Duration.ofHours(1));
                woke.set(true);
            });
            Go.go(() -> {
                // The root waits for the lock below: let it go once the sleeper is durably blocked.
                while (Bubbles.current().bubble.durablyBlockedOn(memberOf(sleeper)) == null) {
                    Thread.onSpinWait();
                }
                while (!lock.hasQueuedThreads()) {
                    Thread.onSpinWait();
                }
                release.countDown();
            });
            lock.lock();
            try {
                assertThat(woke).isFalse();
                assertThat(Timers.now()).isEqualTo(EPOCH);
            } finally {
                lock.unlock();
            }
            sleeper.join(); // its hour passes while the body waits (after the body, the clock stops: BB39)
        });
        assertThat(woke).isTrue();
        assertThat(holder.join(Duration.ofSeconds(30))).isTrue();
    }

    /** A member in a blocking read is running: no deadlock is declared while it reads. */
    @Test
    void BB2_aMemberInBlockingIoIsRunning() throws Exception {
        PipedOutputStream out = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(out);
        Thread[] writer = new Thread[1];
        Bubble.run(() -> {
            BubbleState bubble = Bubbles.current().bubble;
            Chan<Integer> never = Chan.make();
            Goroutine sender = Go.go(() -> never.send(1)); // durable; the root is not, so no deadlock
            AtomicBoolean woke = new AtomicBoolean();
            Goroutine sleeper = Go.go(() -> {
                Timers.sleep(Duration.ofHours(1)); // must not fire while the root reads
                woke.set(true);
            });
            BubbleState.Member s1 = memberOf(sender);
            BubbleState.Member s2 = memberOf(sleeper);
            writer[0] = Thread.ofPlatform().start(() -> {
                while (bubble.durablyBlockedOn(s1) == null || bubble.durablyBlockedOn(s2) == null) {
                    Thread.onSpinWait();
                }
                try {
                    out.write(42);
                    out.flush();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(in.read()).isEqualTo(42);
            assertThat(woke).isFalse();
            assertThat(Timers.now()).isEqualTo(EPOCH);
            assertThat(never.receive()).isEqualTo(1);
            sleeper.join(); // its hour passes while the body waits (after the body, the clock stops: BB39)
        });
        assertThat(writer[0].join(Duration.ofSeconds(30))).isTrue();
    }

    /** A body that throws while members are parked in every kind of durable wait: all end, nothing leaks. */
    @Test
    void BB7_BB18_aThrowingBodyStopsEveryKindOfDurableWait() {
        for (Threads.Kind kind : Threads.Kind.values()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = (kind == Threads.Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
                try {
                    Bubble.run(() -> {
                        Chan<Integer> ch = Chan.make();
                        WaitGroup wg = new WaitGroup();
                        wg.add(1);
                        ErrGroup eg = ErrGroup.create();
                        eg.go(() -> ch.receive());
                        Goroutine sleeper = Go.go(() -> Timers.sleep(Duration.ofDays(1)));
                        Go.go(() -> ch.receive());
                        Go.go(() -> wg.await());
                        Go.go(() -> sleeper.join());
                        Go.go(() -> eg.await());
                        Go.go(() -> Go.future(() -> ch.receive()).join());
                        Go.go(() -> Context.withTimeout(Context.background(), Duration.ofDays(2)).done().receiveOk());
                        Bubble.await();
                        throw new IllegalArgumentException("root fails");
                    });
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            try {
                assertThat(t.join(Duration.ofSeconds(60))).isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertThat(thrown.get()).isInstanceOf(IllegalArgumentException.class).hasMessage("root fails");
            assertThat(Goroutines.live()).isEmpty();
        }
    }

    /** A member interrupted by a thread outside while durably blocked in a sleep ends it at the same instant. */
    @Test
    void BB20_anInterruptFromOutsideEndsASleepWithoutMovingTheClock() throws Exception {
        for (int round = 0; round < 50; round++) {
            Bubble.run(() -> {
                Chan<Instant> at = Chan.make(1);
                Goroutine g = Go.go(() -> {
                    try {
                        Timers.sleep(Duration.ofHours(1));
                        at.send(Instant.MAX);
                    } catch (InterruptedException e) {
                        at.send(Timers.now());
                    }
                });
                Bubble.await();
                Thread outside = Thread.ofPlatform().start(() -> g.thread.interrupt());
                outside.join();
                assertThat(at.receive()).isEqualTo(EPOCH);
            });
        }
    }

    /** What a goroutine of one bubble does with a channel of another. */
    interface Use {
        Object on(Chan<Integer> theirs) throws Exception;
    }

    /**
     * BB24: a goroutine of one bubble that blocks on a channel of another running bubble (a receive, a timed
     * receive, a send) is refused as a thread of no bubble is (BB6), on either kind of root thread, and
     * nothing reaches the channel. Before, it waited, unseen by that bubble's driver (the receive waited for
     * ever; here it is ended by an interrupt after 10 s).
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB24_aGoroutineOfAnotherBubbleIsOutside(Threads.Kind kind) throws Exception {
        List<Use> uses = List.of(Chan::receive, c -> c.receive(Duration.ofMinutes(1)), c -> {
            c.send(7);
            return null;
        });
        for (Use use : uses) {
            assertThat(fromAnotherBubble(kind, use)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another bubble").hasMessageContaining("BB24");
        }
    }

    /**
     * Runs {@code use} in a goroutine of a bubble on a {@code kind} thread, on an unbuffered channel of another
     * bubble running meanwhile; returns what it threw (a value it returned, or a wait it was stuck in, as an
     * AssertionError). Checks that the channel's bubble found nothing sent.
     */
    static Throwable fromAnotherBubble(Threads.Kind kind, Use use) throws Exception {
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
                    assertThat(used.await(30, TimeUnit.SECONDS)).isTrue(); // not durable: this clock stands still
                    assertThat(theirs.get().tryReceive().ok()).as("a value sent from the other bubble").isFalse();
                });
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        Thread ours = (kind == Threads.Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
            try {
                Bubble.run(() -> {
                    assertThat(made.await(30, TimeUnit.SECONDS)).isTrue();
                    CountDownLatch finished = new CountDownLatch(1);
                    Goroutine g = Go.go(() -> {
                        try {
                            Object r = use.on(theirs.get());
                            outcome.set(new AssertionError("no refusal, got " + r));
                        } catch (Throwable t) {
                            outcome.set(t);
                        } finally {
                            finished.countDown();
                        }
                    });
                    if (!finished.await(10, TimeUnit.SECONDS)) {
                        g.thread.interrupt();
                        g.join();
                        outcome.set(new AssertionError("it waited on the other bubble's channel"));
                    }
                    g.join();
                });
            } catch (Throwable t) {
                failed.compareAndSet(null, t);
            } finally {
                used.countDown();
            }
        });
        assertThat(ours.join(Duration.ofSeconds(60))).isTrue();
        assertThat(other.join(Duration.ofSeconds(60))).isTrue();
        assertThat(failed.get()).isNull();
        return outcome.get();
    }

    /** How a thread outside a bubble starts work on a group of the bubble. */
    interface Start {
        void on(Object group, Task task) throws Exception;
    }

    /**
     * BB25: a thread outside a running bubble (of no bubble here, or of another bubble) that starts work on a
     * wait group or error group of the bubble is refused, starting nothing: its goroutine would not be a
     * member, so a member waiting on the group would count as durably blocked while it runs. Before, the
     * start was let through and the bubble reported a deadlock (its root waiting in await()) while the
     * outside goroutine still ran.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB25_aGroupOfABubbleIsStartedOnlyInsideIt(Threads.Kind kind) throws Exception {
        List<Start> starts = List.of(
                (g, t) -> ((WaitGroup) g).go(t),
                (g, t) -> ((WaitGroup) g).add(1),
                (g, t) -> ((ErrGroup) g).go(t),
                (g, t) -> assertThat(((ErrGroup) g).tryGo(t)).isTrue());
        for (int i = 0; i < starts.size(); i++) {
            boolean errGroup = i >= 2;
            for (boolean fromOtherBubble : new boolean[] {false, true}) {
                Start start = starts.get(i);
                CountDownLatch release = new CountDownLatch(1);
                AtomicReference<Throwable> outside = new AtomicReference<>();
                AtomicReference<Throwable> bubble = new AtomicReference<>();
                Thread root = (kind == Threads.Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
                    try {
                        Bubble.run(() -> {
                            Object group;
                            if (errGroup) {
                                ErrGroup eg = ErrGroup.create();
                                eg.go(() -> { }); // binds it to this bubble (BB19)
                                group = eg;
                            } else {
                                WaitGroup wg = new WaitGroup();
                                wg.add(1); // binds it to this bubble (BB16)
                                wg.done();
                                group = wg;
                            }
                            Task work = release::await; // real time: no member of the bubble could end it
                            Task starter = () -> {
                                try {
                                    start.on(group, work);
                                } catch (Throwable t) {
                                    outside.set(t);
                                }
                            };
                            Thread t = fromOtherBubble
                                    ? Thread.ofPlatform().start(() -> {
                                        try {
                                            Bubble.run(starter);
                                        } catch (Exception e) {
                                            outside.compareAndSet(null, e);
                                        }
                                    })
                                    : Thread.ofPlatform().start(() -> {
                                        try {
                                            starter.run();
                                        } catch (Exception e) {
                                            outside.compareAndSet(null, e);
                                        }
                                    });
                            t.join(); // not durable: the clock waits
                            if (outside.get() == null) {
                                release.countDown(); // the refusal is missing: let the outside work end
                            }
                            if (errGroup) {
                                ((ErrGroup) group).await();
                            } else {
                                ((WaitGroup) group).await();
                            }
                        });
                    } catch (Throwable t) {
                        bubble.set(t);
                    } finally {
                        release.countDown();
                    }
                });
                assertThat(root.join(Duration.ofSeconds(60))).isTrue();
                assertThat(outside.get()).as("start %d, from another bubble: %s", i, fromOtherBubble)
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("BB25");
                assertThat(bubble.get()).as("start %d, from another bubble: %s", i, fromOtherBubble).isNull();
            }
        }
    }

    /**
     * BB1, BB6: a goroutine that a pool thread made outside the bubble starts, for a task the body submitted, is
     * no member: it reads the system clock, and blocking on a channel of the bubble is refused.
     */
    @Test
    void BB1_aGoroutineStartedByAnOutsidePoolThreadIsNoMember() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            pool.submit(() -> { }).get(30, TimeUnit.SECONDS); // its thread exists before the bubble
            Bubble.run(() -> {
                Chan<Integer> inner = Chan.make();
                Chan<Object> seen = Chan.make(3);
                Future<Goroutine> started = pool.submit(() -> Go.go(() -> {
                    seen.trySend(Bubble.inBubble());
                    seen.trySend(Timers.now());
                    try {
                        inner.receive();
                        seen.trySend("received");
                    } catch (IllegalStateException e) {
                        seen.trySend(e);
                    }
                }));
                Goroutine g = started.get(30, TimeUnit.SECONDS);
                g.join(); // not a member: a plain, non-durable join
                assertThat(seen.receive()).isEqualTo(false);
                assertThat((Instant) seen.receive()).isAfter(EPOCH.plus(Duration.ofDays(3650)));
                assertThat(seen.receive()).isInstanceOf(IllegalStateException.class);
            });
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static BubbleState.Member memberOf(Goroutine g) {
        for (BubbleState.Member m : Bubbles.current().bubble.membersSnapshot()) {
            if (m.goroutine == g) {
                return m;
            }
        }
        throw new AssertionError("not a member: " + g);
    }
}
