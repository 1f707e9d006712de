package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ParkHook;
import java.lang.reflect.Field;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules BB20, BB10, BB5: the driver's look (every member durably blocked?) against each way a member's
 * durable wait ends, made to happen at chosen points of the look, deterministically.
 *
 * <ul>
 *   <li>Inside the look, with the bubble's lock held: the bubble's root is a {@link Thread} subclass
 *       whose {@code isInterrupted()}, called by the driver (the root is the first member it looks at),
 *       ends the wait of member {@code x} and returns only once {@code x} has woken and queued for the
 *       bubble's lock (held by the driver), where an interrupt status is hidden. The rest of the look must
 *       count {@code x} as running: the clock does not move (BB20), {@code Bubble.await()} does not return
 *       (BB10) before {@code x} has run.</li>
 *   <li>While a deadlock is described, with the lock released: a probe member waits on an object whose
 *       {@code toString()}, called by the driver as it writes the dump, ends {@code x}'s wait and returns
 *       once {@code x} has ended (or starts a goroutine, or makes a timer); that lets the root go on, so
 *       no deadlock may be declared (BB5).</li>
 * </ul>
 * The ways a wait ends that code can cause from the driver's thread mid-look: an interrupt (the driver is
 * no member: as a thread outside the bubble), a wait group's zero, a value handed over by a channel, a
 * close, a context's cancel. The others (a goroutine leaving, an error group's end, a timeout, an
 * afterFunc goroutine, the release of {@code Bubble.await()}) take the bubble's lock or are the driver's
 * own steps, run with the lock released before it looks again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a regression may hang: fail, do not wait
class BubbleLookProbeTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    private static final int ROUNDS = 20;

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    /** The driver's release of the {@code Bubble.await()} in progress (set under the bubble's lock). */
    private static boolean released(BubbleState bubble) {
        try {
            Field f = BubbleState.class.getDeclaredField("released");
            f.setAccessible(true);
            return f.getBoolean(bubble);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** How member {@code x}'s durable wait is ended, and what it waits in. */
    enum Wake {
        INTERRUPT, WAIT_GROUP_ZERO, VALUE_HANDED_OVER, CLOSE, CONTEXT_CANCEL
    }

    /** Member {@code x} of one round: it waits durably until {@link #wake} ends its wait, then ends. */
    private static final class Waiter {
        final Wake how;
        final WaitGroup wg = new WaitGroup();
        final Chan<Integer> ch = Chan.make();
        final CancellableContext ctx = Context.withCancel(Context.background());
        final AtomicReference<Thread> thread = new AtomicReference<>();
        /** The bubble's clock when {@code x} had handled the end of its wait. */
        final AtomicReference<Instant> endedAt = new AtomicReference<>();
        /** Whether the driver had released a {@code Bubble.await()} when {@code x} ran after its wait. */
        volatile boolean awaitReleasedWhenItRan;
        final Goroutine goroutine;

        Waiter(Wake how) {
            this.how = how;
            wg.add(1);
            goroutine = Go.go("x", () -> {
                thread.set(Thread.currentThread());
                try {
                    switch (how) {
                        case INTERRUPT, WAIT_GROUP_ZERO -> wg.await();
                        case VALUE_HANDED_OVER, CLOSE -> ch.receiveOk();
                        case CONTEXT_CANCEL -> ctx.done().receiveOk();
                    }
                } catch (InterruptedException expected) {
                    // INTERRUPT: handled here
                } finally {
                    awaitReleasedWhenItRan = released(Bubbles.current().bubble);
                    endedAt.set(Timers.now());
                }
            });
        }

        /**
         * Ends the wait (on the driver's thread, which must not throw: it would end the driver). A value
         * not taken (x not receiving: a wrong test) leaves x waiting, and the round fails on x's time.
         */
        void wake() {
            switch (how) {
                case INTERRUPT -> thread.get().interrupt();
                case WAIT_GROUP_ZERO -> wg.done();
                case VALUE_HANDED_OVER -> ch.trySend(1);
                case CLOSE -> ch.close();
                case CONTEXT_CANCEL -> ctx.cancel();
            }
        }

        /** x woke and waits for the bubble's lock (its interrupt status hidden by that wait), or went further. */
        boolean queuedForTheBubblesLock(BubbleState bubble) {
            Thread t = thread.get();
            return endedAt.get() != null || bubble.lock.hasQueuedThread(t) && !t.isInterrupted();
        }
    }

    /**
     * A bubble's root whose {@code isInterrupted()}, read by the bubble's driver while an action is armed,
     * runs it once and returns only when its condition holds (bounded: a bound, not an order).
     */
    private static final class LookHook extends Thread {
        private volatile Runnable action;
        private volatile BooleanSupplier until;
        volatile boolean fired;

        LookHook(Runnable body) {
            super(body, "bubble-root-look-hook");
        }

        static LookHook current() {
            return (LookHook) Thread.currentThread();
        }

        void arm(Runnable action, BooleanSupplier until) {
            this.until = until;
            this.action = action;
        }

        @Override
        public boolean isInterrupted() {
            Runnable a = action;
            if (a != null && Thread.currentThread() != this && Thread.currentThread().getName().startsWith("gochan-bubble-")) {
                action = null;
                fired = true;
                a.run();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!until.getAsBoolean() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            return super.isInterrupted();
        }
    }

    /** Runs {@code body} as a bubble's root on a {@link LookHook} thread; returns what went wrong, if anything. */
    private static void runOnHookedRoot(int round, List<String> wrong, Task body) throws InterruptedException {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        LookHook root = new LookHook(() -> {
            try {
                Bubble.run(body);
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        root.start();
        root.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(root.isAlive()).as("round %d: the root ended", round).isFalse();
        if (failed.get() != null) {
            wrong.add("round " + round + ": " + failed.get());
        }
        assertThat(root.fired).as("round %d: the driver looked at the root while armed", round).isTrue();
    }

    /**
     * BB20: x's wait ends while the driver looks, before it reaches x, and x queues for the bubble's lock:
     * the look must count x as running, so the root's hour passes only after x has run.
     */
    @ParameterizedTest
    @EnumSource(Wake.class)
    void BB20_aWaitEndedWhileTheDriverLooksStopsTheClock(Wake how) throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            runOnHookedRoot(round, wrong, () -> {
                BubbleState bubble = Bubbles.current().bubble;
                Waiter x = new Waiter(how);
                Bubble.await(); // x is durably blocked
                LookHook.current().arm(x::wake, () -> x.queuedForTheBubblesLock(bubble));
                Timers.sleep(Duration.ofHours(1)); // the driver looks: the root first (the hook), then x
                x.goroutine.join();
                if (!EPOCH.equals(x.endedAt.get())) {
                    wrong.add("round " + round + ": x ran at " + x.endedAt.get());
                }
                assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            });
        }
        assertThat(wrong).as("rounds of %d in which time moved before x ran (%s)", ROUNDS, how).isEmpty();
    }

    /**
     * BB7, BB20, BB39: the same, while the root waits for the end of the bubble's other goroutines (its body
     * has returned, so the clock has stopped): no deadlock is declared while x runs; x ends and so does the bubble.
     * (Before BB39 a third member slept an hour here, and a missed x showed as that hour passing first.)
     */
    @ParameterizedTest
    @EnumSource(Wake.class)
    void BB20_BB39_aWaitEndedWhileTheDriverLooksAtTheRootsEndWaitIsNoDeadlock(Wake how) throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            AtomicReference<Waiter> waiter = new AtomicReference<>();
            runOnHookedRoot(round, wrong, () -> {
                BubbleState bubble = Bubbles.current().bubble;
                Waiter x = new Waiter(how);
                waiter.set(x);
                Bubble.await(); // x is durably blocked
                // The root is looked at again only once it waits for the end: the body returns now.
                LookHook.current().arm(x::wake, () -> x.queuedForTheBubblesLock(bubble));
            });
            Instant ran = waiter.get().endedAt.get();
            if (!EPOCH.equals(ran)) {
                wrong.add("round " + round + ": x ran at " + ran);
            }
        }
        assertThat(wrong).as("rounds of %d with a false deadlock or x run late (%s)", ROUNDS, how).isEmpty();
    }

    /**
     * BB10, BB20: the same, while the root is in {@code Bubble.await()}: it is released only once x has
     * run (here x then ends), never while x waits for the bubble's lock on its way out. x reads, when it
     * runs, whether the driver has released the root already.
     */
    @ParameterizedTest
    @EnumSource(Wake.class)
    void BB10_aWaitEndedWhileTheDriverLooksHoldsBubbleAwait(Wake how) throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            runOnHookedRoot(round, wrong, () -> {
                BubbleState bubble = Bubbles.current().bubble;
                Waiter x = new Waiter(how);
                Bubble.await(); // x is durably blocked
                LookHook.current().arm(x::wake, () -> x.queuedForTheBubblesLock(bubble));
                Bubble.await(); // the driver looks: the root first (the hook), then x
                x.goroutine.join();
                if (x.awaitReleasedWhenItRan || !EPOCH.equals(x.endedAt.get())) {
                    // x runs only once it has the bubble's lock: a release it sees was made while it was woken
                    wrong.add("round " + round + ": Bubble.await() was released before x ran (x ran at " + x.endedAt.get() + ")");
                }
            });
        }
        assertThat(wrong).as("rounds of %d in which Bubble.await() returned before x ran (%s)", ROUNDS, how).isEmpty();
    }

    /**
     * BB5: a deadlock that stops being one while the driver writes its dump (the lock released) is not
     * declared. The root joins x, x waits, a probe member waits on an object whose {@code toString()} (the
     * dump calls it) ends x's wait and returns once x has ended: x's end lets the root join it and go on.
     */
    @ParameterizedTest
    @EnumSource(Wake.class)
    void BB5_aWaitEndedWhileTheDeadlockIsDescribedIsNoDeadlock(Wake how) throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            AtomicBoolean described = new AtomicBoolean();
            try {
                Bubble.run(() -> {
                    BubbleState bubble = Bubbles.current().bubble;
                    Waiter x = new Waiter(how);
                    AtomicBoolean armed = new AtomicBoolean(true);
                    AtomicBoolean released = new AtomicBoolean();
                    Object what = new Object() {
                        @Override
                        public String toString() {
                            if (armed.compareAndSet(true, false)) { // on the driver, writing the dump
                                described.set(true);
                                x.wake();
                                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                                while (x.endedAt.get() == null && System.nanoTime() < deadline) {
                                    Thread.onSpinWait(); // a bound, not an order; never throw on the driver
                                }
                            }
                            return "a probe's toString";
                        }
                    };
                    Goroutine probe = Go.go("probe", () -> {
                        BubbleState.Member me = Bubbles.current();
                        bubble.block(me, what, () -> !released.get());
                        try {
                            // Ends on an interrupt too: a bubble that failed (a false deadlock) stops it.
                            while (!released.get() && !Thread.currentThread().isInterrupted()) {
                                LockSupport.park();
                            }
                        } finally {
                            bubble.unblock(me);
                        }
                    });
                    x.goroutine.join(); // root, x, probe: all durably blocked, no timer
                    released.set(true);
                    for (BubbleState.Member m : bubble.membersSnapshot()) {
                        if (m.goroutine == probe) {
                            LockSupport.unpark(m.thread);
                        }
                    }
                    probe.join();
                    if (!EPOCH.equals(x.endedAt.get())) {
                        wrong.add("round " + round + ": x ran at " + x.endedAt.get());
                    }
                });
            } catch (BubbleDeadlockException e) {
                wrong.add("round " + round + ": false deadlock: " + e.getMessage().lines().findFirst().orElse(""));
            }
            assertThat(described).as("round %d: the driver described the deadlock", round).isTrue();
        }
        assertThat(wrong).as("rounds of %d with a deadlock declared after x was woken (%s)", ROUNDS, how).isEmpty();
    }

    /** What a probe's {@code toString()} makes while the deadlock is described. */
    enum Made {
        GOROUTINE, TIMER
    }

    /**
     * BB5: the root receives from a channel nobody sends on and a probe member waits: a deadlock, until the
     * probe's {@code toString()}, called by the driver as it writes the dump (the lock released), starts a
     * goroutine that closes the channel, or makes an afterFunc timer (a minute) that does. Then it is no
     * deadlock: the new member, or the timer, lets the root go on.
     */
    @ParameterizedTest
    @EnumSource(Made.class)
    void BB5_aGoroutineOrTimerMadeWhileTheDeadlockIsDescribedIsNoDeadlock(Made made) throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            AtomicBoolean described = new AtomicBoolean();
            try {
                Bubble.run(() -> {
                    BubbleState bubble = Bubbles.current().bubble;
                    Chan<Integer> ch = Chan.make();
                    AtomicBoolean armed = new AtomicBoolean(true);
                    AtomicBoolean released = new AtomicBoolean();
                    Object what = new Object() {
                        @Override
                        public String toString() {
                            if (armed.compareAndSet(true, false)) { // on the driver, writing the dump
                                described.set(true);
                                switch (made) {
                                    case GOROUTINE -> Go.go("closer", ch::close);
                                    case TIMER -> Timers.afterFunc(Duration.ofMinutes(1), ch::close);
                                }
                            }
                            return "a probe's toString";
                        }
                    };
                    Goroutine probe = Go.go("probe", () -> {
                        BubbleState.Member me = Bubbles.current();
                        bubble.block(me, what, () -> !released.get());
                        try {
                            while (!released.get() && !Thread.currentThread().isInterrupted()) {
                                LockSupport.park();
                            }
                        } finally {
                            bubble.unblock(me);
                        }
                    });
                    Received<Integer> got = ch.receiveOk(); // root and probe durably blocked, no timer
                    assertThat(got.ok()).as("closed").isFalse();
                    Instant expected = made == Made.TIMER ? EPOCH.plus(Duration.ofMinutes(1)) : EPOCH;
                    if (!expected.equals(Timers.now())) {
                        wrong.add("round " + round + ": the root went on at " + Timers.now());
                    }
                    released.set(true);
                    for (BubbleState.Member m : bubble.membersSnapshot()) {
                        if (m.goroutine == probe) {
                            LockSupport.unpark(m.thread);
                        }
                    }
                    probe.join();
                });
            } catch (BubbleDeadlockException e) {
                wrong.add("round " + round + ": false deadlock: " + e.getMessage().lines().findFirst().orElse(""));
            }
            assertThat(described).as("round %d: the driver described the deadlock", round).isTrue();
        }
        assertThat(wrong).as("rounds of %d with a deadlock declared after a %s was made", ROUNDS, made).isEmpty();
    }
}
