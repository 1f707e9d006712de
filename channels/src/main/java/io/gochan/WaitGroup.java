package io.gochan;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Go's {@code sync.WaitGroup}: {@link #add(int)} before starting work, {@link #done()} when each piece
 * ends, {@link #await()} until the counter is zero. Every {@code done()} happens-before the
 * {@code await()} it releases returns. Waiting parks without pinning a carrier thread.
 */
public final class WaitGroup {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition zero = lock.newCondition();
    private long count; // guarded by lock
    /** Times the counter reached zero; lets a virtual-time bubble tell a woken waiter (ADR 0013). */
    private volatile long zeros;
    /**
     * Guarded by lock: whether add was called yet, and the bubble the first call was made in (null:
     * none). As in Go 1.25, only a wait group so associated with the waiter's bubble blocks it durably
     * (rule BB16): a done() may come from outside otherwise.
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
     * @throws IllegalStateException if the counter would become negative, or if the first {@code add} was
     *     made in a virtual-time {@link Bubble} that still runs and the caller is not in it (rule BB25, as Go
     *     1.25 fails such an {@code Add}); the counter is left unchanged
     */
    public void add(int delta) {
        lock.lock();
        try {
            long next = count + delta;
            if (next < 0) {
                throw new IllegalStateException("negative WaitGroup counter (" + count + " + " + delta + ")");
            }
            if (!added) {
                added = true;
                BubbleState.Member m = Bubbles.current(); // null outside bubbles
                bubble = m == null ? null : m.bubble;
            } else if (bubble != null) {
                BubbleState.requireInside(bubble, "WaitGroup.add"); // counter unchanged if refused (BB25)
            }
            count = next;
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
     * @param task the task
     * @return the started goroutine
     * @throws NullPointerException if task is null (the counter is left unchanged)
     * @throws IllegalStateException as {@link #add(int)} throws it (nothing was started)
     */
    public Goroutine go(Task task) {
        java.util.Objects.requireNonNull(task, "task");
        add(1);
        try {
            // done() once the goroutine has left the registry, its failure reported (as EG7, GF4): an
            // await() that returns sees no goroutine of the group listed by Goroutines.live().
            return Go.start(null, task, null, this::done);
        } catch (RuntimeException | Error e) {
            done(); // the goroutine never started
            throw e;
        }
    }

    /**
     * {@code add(-1)}.
     *
     * @throws IllegalStateException as {@link #add(int)} throws it
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
     * (Go 1.25's rule); otherwise a {@code done()} may come from outside, and time waits for it.
     *
     * @throws InterruptedException if the calling thread is interrupted while waiting, or is interrupted
     *     when it calls this with the counter above zero; at zero it returns and leaves the interrupt status
     *     set (EG8)
     */
    public void await() throws InterruptedException {
        // Not lockInterruptibly (the lock is only ever held briefly): at zero there is nothing to wait for,
        // so the call returns whatever the interrupt flag says, and the flag is kept (EG8). Only a wait checks it.
        lock.lock();
        try {
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
     * @throws NullPointerException if timeout is null
     */
    public boolean await(Duration timeout) throws InterruptedException {
        long nanos = TimeUnit.NANOSECONDS.convert(timeout);
        lock.lock(); // as in await(): the flag is checked only if the call waits (EG8)
        try {
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
