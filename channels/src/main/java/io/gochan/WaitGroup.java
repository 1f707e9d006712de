package io.gochan;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Go's {@code sync.WaitGroup}: {@link #add(int)} before starting work, {@link #done()} when each piece
 * ends, {@link #await()} until the counter is zero. Every {@code done()} happens-before the
 * {@code await()} it releases returns. Waiting parks without pinning a carrier thread. The counter is a
 * {@code long}: Go's {@code int32} counter would overflow where this one counts on (rule G11).
 *
 * <p>The goroutines that {@link #go(Task)} started are known to their wait group: one of them that waits for
 * it, which would wait for itself for ever, is refused (rule G7), and a {@code done()} without its
 * {@code add} cannot take the share of the counter they hold, so their own {@code done()} never fails (G8).
 */
public final class WaitGroup {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition zero = lock.newCondition();
    private long count; // guarded by lock
    /** Guarded by lock: the goroutines of go() counted and not done yet; count never falls below it (G8). */
    private long goroutines;
    /**
     * The end hook of go()'s goroutines and the uncaught-exception handler of their threads, by which await()
     * knows them (G7); one per wait group, so go() allocates nothing for it.
     */
    private final GoroutineEnd goroutineEnd = new GoroutineEnd();
    /** Times the counter reached zero; lets a virtual-time bubble tell a woken waiter (ADR 0013). */
    private volatile long zeros;
    /**
     * Guarded by lock: whether add was called yet, and the bubble the binding call was made in (null:
     * none): the first add, or an add at zero while the group belongs to no running bubble (BB26). As in
     * Go 1.25, only a wait group so associated with the waiter's bubble blocks it durably (rule BB16): a
     * done() may come from outside otherwise.
     */
    private boolean added;
    private BubbleState bubble;
    /** Guarded by lock: members of {@link #bubble} waiting durably (they park, not on {@code zero}: BB20). */
    private DurableWaiters durable;

    /** A wait group with the counter at zero. */
    public WaitGroup() {}

    /**
     * Adds {@code delta} (may be negative) to the counter.
     *
     * @param delta the amount to add (may be negative)
     * @throws IllegalStateException if the counter would become negative, or would fall below the number of
     *     goroutines started by {@link #go(Task)} that have not ended yet (each calls {@code done()} itself: this
     *     is a {@code done()} without its {@code add}, rule G8), or if the {@code add} that bound the group (its
     *     first, or one at zero once its bubble had ended: BB26) was made in a virtual-time {@link Bubble} that
     *     still runs and the caller is not in it (rule BB25, as Go 1.25 fails such an {@code Add}), or if that
     *     bubble has ended with the counter above zero and the caller is in another bubble (rule BB42, as Go
     *     fails an {@code Add} from a second bubble); the counter is left unchanged
     */
    public void add(int delta) {
        change(delta, 0);
    }

    /** {@code add(delta)}, and {@code goDelta} to the goroutines of go() counted (G8). */
    private void change(long delta, int goDelta) {
        lock.lock();
        try {
            long next = count + delta;
            if (next < 0) {
                throw new IllegalStateException("negative WaitGroup counter (" + count + " + " + delta + ")");
            }
            long held = goroutines + goDelta;
            if (next < held) {
                // Go's counter has no owners: there this done() succeeds and the goroutine's own Done() panics later,
                // or, with an add() meanwhile, takes the next round's count. Here the misuse fails where it is made.
                throw new IllegalStateException("WaitGroup counter (" + count + " + " + delta + ") would fall below the "
                        + goroutines + " goroutines of WaitGroup.go still counted, which call done() themselves: a done()"
                        + " without its add()");
            }
            if (!added || count == 0 && (bubble == null || bubble.ended)) {
                // The first add binds the group; so does an add at zero while it belongs to no running
                // bubble, as Go 1.25 lets a wait group with a zero count be reused in a new bubble (BB26):
                // bound for ever to the bubble of its first add, a group reused in the next bubble (a
                // field, a test fixture) made its waits there non-durable and the bubble's clock stood still.
                added = true;
                BubbleState.Member m = Bubbles.current(); // null outside bubbles
                bubble = m == null ? null : m.bubble;
            } else if (bubble != null) { // a bubble is involved: only here are callers checked (BB9)
                if (bubble.ended) {
                    // count > 0 (at zero it was bound again above): not moved into another bubble (BB42)
                    BubbleState.requireSameBubble(bubble, count, "WaitGroup.add");
                } else {
                    BubbleState.requireInside(bubble, "WaitGroup.add"); // counter unchanged if refused (BB25)
                }
            }
            count = next;
            goroutines = held;
            if (next == 0) {
                zeros++; // under lock: one writer at a time; before the unparks, which look at it
                zero.signalAll();
                if (durable != null) {
                    durable.unparkAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Go 1.25's {@code WaitGroup.Go}: {@code add(1)}, then starts {@code task} in a goroutine that calls
     * {@link #done()} when the task ends, however it ends (rule G5), once the goroutine has left
     * {@link Goroutines#live()} and a failure of the task has been reported. A failure of the task goes to the
     * uncaught-exception handler, as for {@link Go#go(Task)}; use {@link ErrGroup} to collect failures.
     *
     * <p>The goroutine's share of the counter is its own: a {@code done()} or {@code add} by anyone else
     * (the task included) that would take it is refused, so the goroutine's own {@code done()} never fails and
     * never lowers another round's count (rule G8). The goroutine may not wait for this wait group (G7).
     *
     * @param task the task
     * @return the started goroutine
     * @throws NullPointerException if task is null (the counter is left unchanged)
     * @throws IllegalStateException as {@link #add(int)} throws it (nothing was started)
     */
    public Goroutine go(Task task) {
        java.util.Objects.requireNonNull(task, "task");
        change(1, 1); // add(1), counted as a goroutine of go() (G8)
        try {
            // done() once the goroutine has left the registry, its failure reported (as EG7, GF4): an
            // await() that returns sees no goroutine of the group listed by Goroutines.live().
            return Go.start(null, task, null, goroutineEnd, goroutineEnd);
        } catch (RuntimeException | Error e) {
            goroutineEnd.run(); // the goroutine never started
            throw e;
        }
    }

    /**
     * Lock held: refuses a wait from a goroutine of go(), which counts itself and would wait for its own end
     * for ever (G7). Its thread's uncaught-exception handler is this wait group's hook: one field read. Not
     * detected: a thread that counts itself by add() by hand, a goroutine that one of go() started (it is not
     * counted), and a wait in a cycle through other groups.
     */
    private void refuseSelfWait() {
        if (goroutines > 0 && Thread.currentThread().getUncaughtExceptionHandler() == goroutineEnd) {
            throw new IllegalStateException("WaitGroup.await called from a goroutine that this wait group's WaitGroup.go"
                    + " started: it counts itself, and would wait for its own done()");
        }
    }

    /**
     * The end of go()'s goroutines: their done() (which cannot fail: G8), and their threads' uncaught-exception
     * handler, which marks them (G7) and logs whatever escaped the end anyway, through System.Logger.
     */
    private final class GoroutineEnd implements Runnable, Thread.UncaughtExceptionHandler {
        @Override
        public void run() {
            change(-1, -1);
        }

        @Override
        public void uncaughtException(Thread t, Throwable e) {
            System.getLogger(WaitGroup.class.getName()).log(System.Logger.Level.ERROR,
                    "the end of WaitGroup.go's goroutine " + t.getName() + " failed", e);
        }
    }

    /**
     * {@code add(-1)}. A goroutine started by {@link #go(Task)} calls it itself: its task must not (G8).
     *
     * @throws IllegalStateException as {@link #add(int)} throws it: also if every count left is held by
     *     goroutines of {@link #go(Task)} (rule G8)
     */
    public void done() {
        add(-1);
    }

    /**
     * Blocks until the counter is zero. A wait that found the counter above zero returns once it
     * reaches zero, even if {@link #add(int)} raises it again before the waiting thread runs: every
     * waiter present when the counter reaches zero is released (Go releases them all at that moment;
     * it panics in such a waiter to report the reuse, this method returns). Inside a virtual-time {@link Bubble} the wait is durable
     * blocking only if the first {@link #add(int)} of this wait group was made in the same bubble
     * (Go 1.25's rule), or, once the group's bubble has ended or if it had none, the first {@code add} made
     * there while the counter was zero (rule BB26: a group may be reused in the next bubble); otherwise a
     * {@code done()} may come from outside, and time waits for it.
     *
     * @throws InterruptedException if the calling thread is interrupted while waiting, or is interrupted
     *     when it calls this with the counter above zero; at zero it returns and leaves the interrupt status
     *     set (EG8)
     * @throws IllegalStateException if called from a goroutine that {@link #go(Task)} of this wait group
     *     started, which counts itself and would wait for ever (Go's {@code Wait} deadlocks); nothing was
     *     changed, the interrupt status neither. Only such goroutines are recognized (rule G7)
     */
    public void await() throws InterruptedException {
        // Not lockInterruptibly (the lock is only ever held briefly): at zero there is nothing to wait for,
        // so the call returns whatever the interrupt flag says, and the flag is kept (EG8). Only a wait checks it.
        lock.lock();
        try {
            refuseSelfWait();
            if (count > 0 && Thread.interrupted()) {
                throw new InterruptedException();
            }
            BubbleState.Member m = Bubbles.current(); // null outside bubbles
            // Released by the counter reaching zero, not by seeing it at zero: an add() right after
            // the last done() must not keep a waiter that was due to leave (G4).
            long seen = zeros;
            while (count > 0 && zeros == seen) {
                if (m == null || m.bubble != bubble) {
                    zero.await(); // not the bubble's wait group: not durable, time waits (BB16)
                } else {
                    durableWaiters().await(m, lock, this, () -> zeros == seen); // durable until zero (BB2)
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks at most {@code timeout}; true if the counter reached zero (as {@link #await()}: also if
     * it was raised again before the waiting thread ran). Inside a virtual-time {@link Bubble} the
     * timeout is measured on the bubble's clock, like every other timeout there (BB3), and the wait is
     * durable as {@link #await()}'s is; outside, on {@link System#nanoTime()}.
     *
     * @param timeout how long to wait at most; zero or negative: do not wait
     * @return true if the counter reached zero within {@code timeout}
     * @throws InterruptedException if the calling thread is interrupted while waiting, or is interrupted
     *     when it calls this with the counter above zero and a positive timeout (it does not wait otherwise,
     *     and leaves the interrupt status set: EG8)
     * @throws IllegalStateException as {@link #await()} throws it, for any timeout: such a goroutine's wait can
     *     never end with true (rule G7)
     * @throws NullPointerException if timeout is null
     */
    public boolean await(Duration timeout) throws InterruptedException {
        long nanos = TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(timeout, "timeout"));
        lock.lock(); // as in await(): the flag is checked only if the call waits (EG8)
        try {
            refuseSelfWait();
            long seen = zeros; // as in await(): released by the counter reaching zero (G4)
            if (count == 0 || nanos <= 0) {
                return count == 0;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            BubbleState.Member m = Bubbles.current(); // null outside bubbles
            return m == null ? awaitNanos(seen, nanos) : awaitOnBubbleClock(m, seen, nanos);
        } finally {
            lock.unlock();
        }
    }

    /** Lock held: the timed wait on the system's clock. */
    private boolean awaitNanos(long seen, long nanos) throws InterruptedException {
        while (count > 0 && zeros == seen) {
            if (nanos <= 0) {
                return false;
            }
            nanos = zero.awaitNanos(nanos);
        }
        return true;
    }

    /**
     * Lock held: the timed wait of a bubble member. The timeout is an action on the bubble's clock that
     * wakes this waiter; it runs on the bubble's driver, which holds no lock of the bubble then.
     */
    private boolean awaitOnBubbleClock(BubbleState.Member m, long seen, long nanos) throws InterruptedException {
        AtomicBoolean expired = new AtomicBoolean();
        TimerEntry timeout = m.bubble.timeoutAfter(nanos, () -> {
            lock.lock();
            try {
                expired.set(true);
                zero.signalAll();
                if (durable != null) {
                    durable.unparkAll();
                }
            } finally {
                lock.unlock();
            }
        });
        try {
            while (count > 0 && zeros == seen) {
                if (expired.get()) {
                    return false;
                }
                if (m.bubble != bubble) {
                    zero.await(); // not the bubble's wait group: not durable, time waits (BB16)
                } else {
                    durableWaiters().await(m, lock, this, () -> zeros == seen && !expired.get());
                }
            }
            return true;
        } finally {
            m.bubble.cancelTimeout(timeout);
        }
    }

    /** Lock held: the durable waiters, made by the first bubble member that waits. */
    private DurableWaiters durableWaiters() {
        if (durable == null) {
            durable = new DurableWaiters();
        }
        return durable;
    }

    @Override
    public String toString() {
        return "WaitGroup[count=" + count() + "]";
    }

    /** {@return the counter now (a snapshot)} */
    public long count() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }
}
