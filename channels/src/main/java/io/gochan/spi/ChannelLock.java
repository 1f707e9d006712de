package io.gochan.spi;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * A channel's lock: a reentrant, non-fair mutual-exclusion lock, the same algorithm as
 * {@link java.util.concurrent.locks.ReentrantLock}'s non-fair mode (a CAS on the state to enter, the
 * owner thread for reentrancy, {@link AbstractQueuedSynchronizer}'s queue to park the others), held
 * directly by the channel. {@code ReentrantLock} is a wrapper around such a synchronizer: holding the
 * synchronizer itself saves that 16-byte object per channel and one dereference per lock operation
 * (B7). Parks through {@code LockSupport}, so a virtual thread waiting for it never pins its carrier.
 */
final class ChannelLock extends AbstractQueuedSynchronizer {
    private static final long serialVersionUID = 1L;

    /** Acquires the lock if it is free or already held by the caller; never waits. */
    boolean tryLock() {
        Thread current = Thread.currentThread();
        int c = getState();
        if (c == 0) {
            if (compareAndSetState(0, 1)) {
                setExclusiveOwnerThread(current);
                return true;
            }
        } else if (getExclusiveOwnerThread() == current) {
            if (c == Integer.MAX_VALUE) {
                throw new Error("maximum lock count exceeded");
            }
            setState(c + 1);
            return true;
        }
        return false;
    }

    /** Acquires the lock, parking (not interruptibly) while another thread holds it. */
    void lock() {
        if (!tryLock()) {
            acquire(1);
        }
    }

    /**
     * Releases one hold of the lock.
     *
     * @throws IllegalMonitorStateException if the caller does not hold it
     */
    void unlock() {
        release(1);
    }

    /** Whether any thread holds the lock (a racy snapshot, for spinning before parking). */
    boolean isLocked() {
        return getState() != 0;
    }

    /** How many holds the calling thread has (0 if it does not hold the lock). */
    int getHoldCount() {
        return isHeldExclusively() ? getState() : 0;
    }

    @Override
    protected boolean tryAcquire(int acquires) {
        return tryLock();
    }

    @Override
    protected boolean tryRelease(int releases) {
        if (getExclusiveOwnerThread() != Thread.currentThread()) {
            throw new IllegalMonitorStateException("channel lock released by a thread that does not hold it");
        }
        int c = getState() - releases;
        boolean free = c == 0;
        if (free) {
            setExclusiveOwnerThread(null);
        }
        setState(c);
        return free;
    }

    @Override
    protected boolean isHeldExclusively() {
        return getExclusiveOwnerThread() == Thread.currentThread();
    }
}
