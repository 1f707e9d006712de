package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ParkHook;
import java.lang.reflect.Field;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule BB20: a member interrupted (or released) in any durable wait counts as running from that moment
 * until it has handled it, whoever interrupted it. Before the fix the waits of wait groups, error
 * groups, joins and {@code Bubble.await()} were JDK {@code Condition} waits: the JDK clears the interrupt
 * status when the waiter wakes, and the waiter then re-acquires a lock before it can leave its record,
 * so in that window the bubble saw it durably blocked and moved the clock (or declared a deadlock).
 *
 * <p>The wait group and error group tests make the window wide and certain: a thread outside the bubble
 * holds the group's lock while the waiter is interrupted, so on the old code the waiter sits in the
 * lock's queue with its interrupt consumed until the clock has moved (each round failed there). The
 * join test has no lock to hold (the lock re-acquired is the bubble's own): it races the driver as
 * it happens, and counts how often the clock moved.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a regression may hang: fail, do not wait
class BubbleWakeRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    private static final int ROUNDS = 200;

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    /** The private lock of a wait group or an error group's state: the test holds it from outside. */
    private static ReentrantLock lockOf(Object owner) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField("lock");
        f.setAccessible(true);
        return (ReentrantLock) f.get(owner);
    }

    private static Object stateOf(ErrGroup g) throws ReflectiveOperationException {
        Field f = ErrGroup.class.getDeclaredField("state");
        f.setAccessible(true);
        return f.get(g);
    }

    /**
     * Runs one round in a bubble; a deadlock the bubble reports is a wrong round too (the waiter, taken
     * for durably blocked, made the root's join look like a deadlock), recorded in {@code wrong}.
     */
    private static void round(List<String> wrong, int round, Task body) throws Exception {
        try {
            Bubble.run(body);
        } catch (BubbleDeadlockException e) {
            wrong.add("round " + round + ": false deadlock: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Whether {@code t} is parked acquiring a lock (not in a condition wait, not running). */
    private static boolean parkedOnALock(Thread t) {
        return LockSupport.getBlocker(t) instanceof AbstractQueuedSynchronizer;
    }

    /** What a round of a lock-held test needs: the waiter interrupts itself out of {@code await}. */
    private interface DurableWait {
        void await() throws Exception;
    }

    /**
     * One round: member {@code waiter} is durably blocked in {@code wait}; a thread outside the bubble
     * holds {@code lock} (the one the wait re-acquires); the root interrupts the waiter, waits until
     * the interrupt has reached it (it handled it, or sits in the lock's queue), then sleeps an hour.
     * The waiter must handle its interrupt before any time passes.
     *
     * @return the instant at which the waiter handled its interrupt
     */
    private static Instant interruptWhileTheLockIsHeld(ReentrantLock lock, DurableWait wait) throws Exception {
        AtomicReference<Instant> handledAt = new AtomicReference<>();
        AtomicReference<BubbleState.Member> waiterMember = new AtomicReference<>();
        Goroutine waiter = Go.go("waiter", () -> {
            waiterMember.set(Bubbles.current());
            try {
                wait.await();
                handledAt.set(Instant.MIN); // not interrupted: wrong too
            } catch (InterruptedException expected) {
                handledAt.set(Timers.now());
            }
        });
        Bubble.await(); // the waiter is durably blocked
        BubbleState.Member w = waiterMember.get();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch slept = new CountDownLatch(1);
        Thread outsider = Thread.ofPlatform().daemon().start(() -> {
            lock.lock();
            try {
                held.countDown();
                // Release once the waiter has left its durable section (the fixed code: it waits for the
                // lock as a running member), or once the root's sleep is over (the old code: the clock
                // moved while the waiter sat here with its interrupt consumed).
                Threads.awaitTrue(() -> handledAt.get() != null || slept.getCount() == 0
                        || w.bubble.durablyBlockedOn(w) == null && parkedOnALock(w.thread), "the waiter or the root");
            } finally {
                lock.unlock();
            }
        });
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue(); // a latch: counts as running, time waits
        waiter.interrupt();
        Threads.awaitTrue(() -> handledAt.get() != null || parkedOnALock(w.thread), "the interrupt reaching the waiter");
        Timers.sleep(Duration.ofHours(1)); // durable: the clock moves only if the waiter looks blocked
        slept.countDown();
        waiter.join();
        assertThat(outsider.join(Duration.ofSeconds(30))).isTrue();
        return handledAt.get();
    }

    @Test
    void BB20_aMemberInterruptedInAWaitGroupWaitIsRunningUntilItHasHandledIt() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            round(wrong, round, () -> {
                WaitGroup wg = new WaitGroup();
                wg.add(1); // never done
                Instant handled = interruptWhileTheLockIsHeld(lockOf(wg), wg::await);
                if (!EPOCH.equals(handled)) {
                    wrong.add("round " + round + ": handled at " + handled);
                }
            });
        }
        assertThat(wrong).as("rounds in which time moved before the waiter ran (of %d)", ROUNDS).isEmpty();
    }

    @Test
    void BB20_aMemberInterruptedInATimedWaitGroupWaitIsRunningUntilItHasHandledIt() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            round(wrong, round, () -> {
                WaitGroup wg = new WaitGroup();
                wg.add(1); // never done; the timeout (a day) is later than the root's hour
                Instant handled = interruptWhileTheLockIsHeld(lockOf(wg), () -> wg.await(Duration.ofDays(1)));
                if (!EPOCH.equals(handled)) {
                    wrong.add("round " + round + ": handled at " + handled);
                }
            });
        }
        assertThat(wrong).as("rounds in which time moved before the waiter ran (of %d)", ROUNDS).isEmpty();
    }

    @Test
    void BB20_aMemberInterruptedInAnErrGroupsAwaitIsRunningUntilItHasHandledIt() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            round(wrong, round, () -> {
                Chan<Integer> release = Chan.make(1);
                ErrGroup g = ErrGroup.create();
                g.go(release::receive); // runs until the round ends
                Instant handled = interruptWhileTheLockIsHeld(lockOf(stateOf(g)), g::await);
                release.send(1);
                g.await();
                if (!EPOCH.equals(handled)) {
                    wrong.add("round " + round + ": handled at " + handled);
                }
            });
        }
        assertThat(wrong).as("rounds in which time moved before the waiter ran (of %d)", ROUNDS).isEmpty();
    }

    @Test
    void BB20_aMemberInterruptedWhileWaitingForAGroupsSlotIsRunningUntilItHasHandledIt() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            round(wrong, round, () -> {
                Chan<Integer> release = Chan.make(1);
                ErrGroup g = ErrGroup.create();
                g.setLimit(1);
                g.go(release::receive); // holds the only slot until the round ends
                Instant handled = interruptWhileTheLockIsHeld(lockOf(stateOf(g)), () -> g.go(() -> {}));
                release.send(1);
                g.await();
                if (!EPOCH.equals(handled)) {
                    wrong.add("round " + round + ": handled at " + handled);
                }
            });
        }
        assertThat(wrong).as("rounds in which time moved before the waiter ran (of %d)", ROUNDS).isEmpty();
    }

    /**
     * The way out of a durable wait takes the bubble's lock, and waiting for a {@link ReentrantLock}
     * clears the interrupt status until the lock is taken (the JDK sets it again then). Made certain
     * here: a probe member, listed before the waiter, has a record whose predicate the driver calls with
     * the bubble's lock held; the first time, it interrupts the waiter and returns only once the waiter
     * sits in the lock's queue with its status cleared. The driver then looks at the waiter: it must
     * count it as running. Without the member's {@code leaving} flag the clock moved in every round.
     */
    @Test
    void BB20_aMemberWaitingForTheBubblesLockOnItsWayOutIsRunning() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            round(wrong, round, () -> {
                BubbleState bubble = Bubbles.current().bubble;
                AtomicReference<Thread> waiterThread = new AtomicReference<>();
                AtomicReference<Instant> handledAt = new AtomicReference<>();
                AtomicBoolean armed = new AtomicBoolean();
                AtomicBoolean released = new AtomicBoolean();
                Go.go("probe", () -> { // started first: the driver looks at it before the waiter
                    BubbleState.Member me = Bubbles.current();
                    bubble.block(me, "probe", () -> {
                        if (armed.compareAndSet(true, false)) { // on the driver, the bubble's lock held
                            Thread w = waiterThread.get();
                            w.interrupt();
                            Threads.awaitTrue(() -> handledAt.get() != null
                                    || bubble.lock.hasQueuedThread(w) && !w.isInterrupted(), "the waiter queued for the lock");
                        }
                        return !released.get();
                    });
                    try {
                        // Ends on an interrupt too: a bubble that failed (a false deadlock) stops it.
                        while (!released.get() && !Thread.currentThread().isInterrupted()) {
                            LockSupport.park();
                        }
                    } finally {
                        bubble.unblock(me);
                    }
                });
                WaitGroup wg = new WaitGroup();
                wg.add(1); // never done
                Goroutine waiter = Go.go("waiter", () -> {
                    waiterThread.set(Thread.currentThread());
                    try {
                        wg.await();
                        handledAt.set(Instant.MIN);
                    } catch (InterruptedException expected) {
                        handledAt.set(Timers.now());
                    }
                });
                Bubble.await(); // both blocked; the probe's predicate is not armed yet
                armed.set(true);
                Timers.sleep(Duration.ofHours(1)); // the driver looks: probe (interrupts), then the waiter
                waiter.join();
                released.set(true);
                for (BubbleState.Member m : bubble.membersSnapshot()) {
                    if (m.goroutine != null && "probe".equals(m.goroutine.name())) {
                        LockSupport.unpark(m.thread);
                    }
                }
                if (!EPOCH.equals(handledAt.get())) {
                    wrong.add("round " + round + ": handled at " + handledAt.get());
                }
            });
        }
        assertThat(wrong).as("rounds in which time moved before the waiter ran (of %d)", ROUNDS).isEmpty();
    }

    /**
     * A join (and so a future's join) re-acquired the bubble's own lock after its condition wait: no
     * outside thread can hold that one without stopping the driver too, so this races as it comes.
     */
    @Test
    void BB20_aMemberInterruptedInAJoinIsRunningUntilItHasHandledIt() throws Exception {
        int rounds = 2_000;
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            int round = i;
            round(wrong, round, () -> {
                Chan<Integer> release = Chan.make(1);
                Goroutine stuck = Go.go("stuck", release::receive);
                AtomicReference<Instant> handledAt = new AtomicReference<>();
                Goroutine joiner = Go.go("joiner", () -> {
                    try {
                        stuck.join();
                        handledAt.set(Instant.MIN);
                    } catch (InterruptedException expected) {
                        handledAt.set(Timers.now());
                    }
                });
                Bubble.await();
                joiner.interrupt();
                Timers.sleep(Duration.ofHours(1));
                joiner.join();
                release.send(1);
                stuck.join();
                if (!EPOCH.equals(handledAt.get())) {
                    wrong.add("round " + round + ": handled at " + handledAt.get());
                }
            });
        }
        assertThat(wrong).as("rounds of %d in which time moved before the joiner ran", rounds).isEmpty();
    }

    /**
     * The driver's look and a member's way out, interleaved as a loaded machine once interleaved them
     * (a CI run of the join test above): the member is interrupted while the driver looks at it; it wakes,
     * marks itself leaving and queues for the bubble's lock, which the driver holds, and the lock's wait
     * clears its interrupt status until it has the lock. A driver that read the leaving mark before that
     * (still unset) and the status after it (cleared) counted the member blocked and moved the clock. The
     * root here is a thread whose {@code isInterrupted()} lets that whole way out happen inside the
     * driver's read of the status, wherever in the look the driver reads it; the member must still count
     * as running, and handle its interrupt before any time passes.
     */
    @Test
    void BB20_anInterruptArrivingWhileTheDriverLooksIsNeverMissed() throws Exception {
        int rounds = 20;
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            AtomicReference<Instant> handledAt = new AtomicReference<>();
            InterruptedDuringLook root = new InterruptedDuringLook(() -> {
                try {
                    Bubble.run(() -> {
                        Chan<Integer> release = Chan.make(1);
                        Goroutine stuck = Go.go("stuck", release::receive);
                        Goroutine sleeper = Go.go("sleeper", () -> Timers.sleep(Duration.ofHours(1)));
                        InterruptedDuringLook.current().armed = true; // the driver looks once all three block
                        try {
                            stuck.join();
                            handledAt.set(Instant.MIN);
                        } catch (InterruptedException expected) {
                            handledAt.set(Timers.now());
                        }
                        release.send(1);
                        stuck.join();
                        sleeper.join();
                    });
                } catch (Exception e) {
                    handledAt.compareAndSet(null, Instant.MAX);
                    throw new IllegalStateException(e);
                }
            });
            root.start();
            root.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(root.isAlive()).as("round %d: the root ended", i).isFalse();
            assertThat(root.fired).as("round %d: the driver looked at the root while it joined", i).isTrue();
            if (!EPOCH.equals(handledAt.get())) {
                wrong.add("round " + i + ": handled at " + handledAt.get());
            }
        }
        assertThat(wrong).as("rounds of %d in which time moved before the interrupted root ran", rounds).isEmpty();
    }

    /**
     * A bubble's root whose interrupt status, read by another thread (the driver) while armed, is first
     * set, and returned only once the root has woken for it and is queued for a lock with its status
     * cleared by that lock's wait (the moment the race above needs). Fires once.
     */
    private static final class InterruptedDuringLook extends Thread {
        volatile boolean armed;
        volatile boolean fired;

        InterruptedDuringLook(Runnable body) {
            super(body, "bubble-root-interrupted-during-look");
        }

        static InterruptedDuringLook current() {
            return (InterruptedDuringLook) Thread.currentThread();
        }

        @Override
        public boolean isInterrupted() {
            if (armed && Thread.currentThread() != this) {
                armed = false;
                fired = true;
                interrupt();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!(parkedOnALock(this) && !super.isInterrupted()) && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // a bound, not an order: the root gets there on its own
                }
            }
            return super.isInterrupted();
        }
    }

    /**
     * A member in a wait group's wait, released by a done() of one member and interrupted by another
     * at the same moment: whichever wins, it runs before any time passes, and nothing is left blocked.
     */
    @Test
    void BB20_aDoneRacingAnInterruptLeavesTheWaiterRunning() throws Exception {
        int rounds = 1_000;
        List<String> wrong = new ArrayList<>();
        AtomicInteger interrupted = new AtomicInteger();
        for (int i = 0; i < rounds; i++) {
            int round = i;
            round(wrong, round, () -> {
                WaitGroup wg = new WaitGroup();
                wg.add(1);
                AtomicReference<Instant> returnedAt = new AtomicReference<>();
                Goroutine waiter = Go.go("waiter", () -> {
                    try {
                        wg.await();
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                    }
                    returnedAt.set(Timers.now());
                    Thread.interrupted(); // an interrupt that lost to done() stays set: not this test's concern
                });
                Bubble.await();
                Chan<Integer> start = Chan.make();
                Go.go(() -> {
                    start.receiveOk();
                    wg.done();
                });
                Go.go(() -> {
                    start.receiveOk();
                    waiter.interrupt();
                });
                start.close(); // both at once
                Timers.sleep(Duration.ofHours(1));
                waiter.join();
                if (!EPOCH.equals(returnedAt.get())) {
                    wrong.add("round " + round + ": returned at " + returnedAt.get());
                }
            });
        }
        assertThat(wrong).as("rounds of %d in which time moved before the waiter ran (%d were interrupted)",
                rounds, interrupted.get()).isEmpty();
    }
}
