package io.gochan;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The bubble members waiting durably on one {@link WaitGroup} or {@link ErrGroup}: they park instead
 * of waiting on the owner's {@code Condition} (rule BB20, ADR 0013), so whoever signals the condition
 * also unparks them here. All methods: the owner's lock held. Made only when a bubble member first
 * waits; the owner's signal path pays a null check otherwise.
 */
final class DurableWaiters {
    private final List<Thread> threads = new ArrayList<>(2);

    /**
     * Lock {@code owner} held once by the caller: waits as member {@code m}, durably, while
     * {@code stillBlocked} holds. Like a condition wait, it releases {@code owner} while it waits and
     * holds it again when it returns or throws; unlike one, it leaves its record in the bubble before it
     * re-acquires {@code owner} or clears an interrupt, so it never looks blocked once it can run.
     * {@code stillBlocked} must be readable without the lock (a volatile) and change, under the lock,
     * before {@link #unparkAll()} is called.
     *
     * @throws InterruptedException if interrupted while {@code stillBlocked} held
     */
    void await(BubbleState.Member m, ReentrantLock owner, Object what, BooleanSupplier stillBlocked)
            throws InterruptedException {
        if (owner.getHoldCount() != 1) {
            throw new IllegalMonitorStateException("a durable wait needs its lock held exactly once");
        }
        Thread me = Thread.currentThread();
        threads.add(me);
        owner.unlock();
        try {
            m.bubble.parkDurably(m, what, stillBlocked);
        } finally {
            owner.lock(); // running, not durable, while it contends for the lock
            threads.remove(me);
        }
    }

    /** Wakes every waiter to look at its predicate again (the owner's signal). */
    void unparkAll() {
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
    }
}
