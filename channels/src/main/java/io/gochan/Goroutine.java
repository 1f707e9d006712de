package io.gochan;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A handle to a goroutine started with {@link Go#go(Task)}: a task running on its own virtual thread.
 *
 * <p>The goroutine is listed by {@link Goroutines#live()} from just before its task starts until after
 * its task has returned and any exception it threw has been reported; {@link #join()} returns only
 * after that, so a joined goroutine is never listed. Everything the task did happens-before
 * {@code join()} returns.
 */
public final class Goroutine {
    private final long id;
    private final String name;
    private final Instant started;
    private final StackTraceElement[] startSite;
    volatile Thread thread; // set once, before the goroutine becomes visible in the registry
    volatile GoroutineOwner owner; // set once, before the goroutine becomes visible in the registry; may be null
    /** Set when it left its virtual-time bubble, the last step of its thread: a join need not be timed (BB4). */
    volatile boolean leftBubble;
    /**
     * Set when its thread could not start (before it leaves the registry): it never runs. Until then a thread that
     * is still new belongs to a goroutine being started, already listed by {@link Goroutines#live()} (G12).
     */
    volatile boolean startFailed;
    long ownerInheritedRoot; // set once, before owner (whose volatile write publishes it); 0 if not inherited; LK17

    Goroutine(long id, String name, Instant started, StackTraceElement[] startSite) {
        this.id = id;
        this.name = name;
        this.started = started;
        this.startSite = startSite;
    }

    /** {@return a process-wide unique number, in start order} */
    public long id() {
        return id;
    }

    /**
     * {@return the name given at start, or {@code goroutine-<id>}; also the virtual thread's name}
     */
    public String name() {
        return name;
    }

    /** {@return the virtual thread running the task} */
    public Thread thread() {
        return thread;
    }

    /**
     * {@return the owner this goroutine is attributed to (see {@link GoroutineOwner}), if any}
     */
    public Optional<GoroutineOwner> owner() {
        return Optional.ofNullable(owner);
    }

    /**
     * Whether the {@linkplain #owner() owner} came to this goroutine only through the thread that started it
     * having been created while that owner was current (an inheritable attribution: a pool's worker made inside
     * {@link GoroutineOwner#enter()}), rather than from {@link GoroutineOwner#go(String, Task)}, an owner
     * entered on that thread, or a goroutine whose own owner was not inherited. Such a thread may run work
     * that others hand it, so the owner says who made the thread, not who asked for this goroutine. Passed on:
     * the goroutines this one starts are inherited too (rule LK17).
     *
     * @return true if the owner is present and was inherited by the starting thread
     */
    public boolean ownerInherited() {
        return ownerInheritedRoot != 0;
    }

    /**
     * The goroutine through which an {@linkplain #ownerInherited() inherited} owner came to this one: the first
     * goroutine that a thread which only inherited the owner started, which is this goroutine itself if such a
     * thread started it, or the ancestor it descends from (goroutines it started, and so on). What a leak checker
     * judges by: when that goroutine started, not when this one did (rule LK17).
     *
     * @return that goroutine's {@linkplain #id() id}, or 0 if the owner was not inherited
     */
    public long ownerInheritedRoot() {
        return ownerInheritedRoot;
    }

    /** {@return when the goroutine was started} */
    public Instant startedAt() {
        return started;
    }

    /**
     * {@return where {@code go(...)} was called, if start-site capture was on at that moment (see
     * {@link Goroutines#setStartSiteCapture(boolean)})}
     */
    public Optional<StackTraceElement[]> startSite() {
        return Optional.ofNullable(startSite == null ? null : startSite.clone());
    }

    /**
     * {@return true until the task has returned and the goroutine has left the registry; also while it is being
     * started (listed by {@link Goroutines#live()} before its thread starts: rule G12), false if that start failed}
     */
    public boolean isAlive() {
        Thread t = thread;
        return t.isAlive() || starting(t);
    }

    /** Whether {@code t}, this goroutine's thread, is still to be started by the thread starting it (G12). */
    private boolean starting(Thread t) {
        return t.getState() == Thread.State.NEW && !startFailed;
    }

    /**
     * Waits, at most {@code nanos} (saturated), while this goroutine is being started (G12): Go.start lists it
     * before its thread starts, so that it is never running unlisted, and {@code Thread.join} does not wait for a
     * thread that is not started yet (it returns at once, or throws {@code IllegalThreadStateException} when timed).
     * The window is the starter's next few steps: polled, backing off to a millisecond.
     *
     * @return the nanoseconds left, or a negative number if the time ran out while it was still being started
     */
    private long awaitStarted(Thread t, long nanos) throws InterruptedException {
        long pause = 1_000L;
        long start = System.nanoTime();
        while (starting(t)) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            long left = nanos - (System.nanoTime() - start);
            if (left <= 0) {
                return -1L;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(this, Math.min(pause, left));
            pause = Math.min(pause * 2, 1_000_000L);
        }
        return Math.max(0L, nanos - (System.nanoTime() - start));
    }

    /**
     * What the goroutine is blocked on right now (a channel operation, a select, a lock), or empty if
     * it is running or runnable. A racy snapshot for diagnostics.
     *
     * @return what the goroutine is blocked on right now (a channel operation, a select, a lock),
     *     or empty if it is running or runnable
     */
    public Optional<Object> blockedOn() {
        return Optional.ofNullable(java.util.concurrent.locks.LockSupport.getBlocker(thread));
    }

    /**
     * Waits until the goroutine has ended. Inside a virtual-time {@link Bubble}, joining a goroutine of
     * the same bubble is durable blocking (rule BB2): the bubble's clock moves while it waits.
     *
     * @throws InterruptedException if the calling thread is interrupted while waiting; not for an interrupt
     *     that comes once the goroutine has ended: then the join returns and the flag is set (rule I9)
     * @throws IllegalStateException if called from this goroutine's own thread (its task, or the failure
     *     handler, which runs there), which would wait for its own end for ever; nothing was changed, the
     *     interrupt status neither (rule G9). A join cycle through other goroutines is not detected
     */
    public void join() throws InterruptedException {
        Thread t = thread;
        if (t == Thread.currentThread()) {
            throw selfJoin();
        }
        BubbleState.Member m = bubbleMember();
        if (m != null) {
            m.bubble.awaitLeft(m, this, -1L); // no limit; durable while this goroutine is in m's bubble (BB2)
        }
        awaitStarted(t, Long.MAX_VALUE); // listed before its thread starts (G12)
        try {
            t.join();
        } catch (InterruptedException e) {
            keepIfEnded(t, e);
        }
    }

    /**
     * After {@code Thread.join} threw for an interrupt: rethrows {@code e} unless the thread has ended meanwhile.
     * {@code Thread.join} throws for an interrupt that comes before the joiner has run again, also once the thread
     * has ended; the end was then decided first, so the join returns and the flag is set again (rule I9), as a
     * channel operation completes when an interrupt races its handoff (I2).
     */
    private static void keepIfEnded(Thread t, InterruptedException e) throws InterruptedException {
        if (t.getState() != Thread.State.TERMINATED) {
            throw e; // running, or still being started (NEW, G12): the interrupt is the answer, the flag cleared (I1)
        }
        Thread.currentThread().interrupt();
    }

    /**
     * The refusal of a join from the goroutine's own thread (G9, GF8). Thread.join waits for ever there; a
     * goroutine's handle refuses, as a group refuses its own goroutine's wait (EG11, G7): the wait cannot end
     * (or, timed, can only run out), and the check is the thread field the join reads anyway.
     */
    private IllegalStateException selfJoin() {
        return new IllegalStateException("goroutine " + name + " joins itself: a join from its own thread would"
                + " wait for ever for its own end");
    }

    /**
     * {@link #join()} for a goroutine whose work is known to be over (its future's done channel is closed,
     * rule GF7): only its thread's last steps are left, so an interrupt does not end this wait; one that arrives
     * before or during it is kept (the flag is set again on return) for the caller's next blocking call.
     */
    void joinFinished() {
        boolean interrupted = false;
        while (true) {
            try {
                join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the flag is clear now, so the next join waits instead of throwing at once
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits at most {@code timeout}; true if the goroutine ended. Inside a virtual-time {@link Bubble},
     * joining a goroutine of the same bubble is durable and the timeout is on the bubble's clock (BB2, BB4).
     * Joining one that is not the bubble's is not durable: the bubble's clock stands still while it waits,
     * and with a zero or negative timeout it does not wait (BB4).
     *
     * @param timeout how long to wait at most
     * @return true if the goroutine ended within {@code timeout}, false if the time ran out
     * @throws InterruptedException if the calling thread is interrupted while waiting; not for an interrupt
     *     that comes once the goroutine has ended: then the join returns true and the flag is set (rule I9)
     * @throws IllegalStateException as {@link #join()} throws it, for any timeout, zero included: from its own
     *     thread the goroutine can never have ended (rule G9)
     * @throws NullPointerException if timeout is null
     */
    public boolean join(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        Thread t = thread;
        if (t == Thread.currentThread()) {
            throw selfJoin();
        }
        BubbleState.Member m = bubbleMember();
        if (m == null) {
            try {
                if (t.getState() == Thread.State.NEW) { // listed before its thread starts (G12): Thread.join(Duration) throws
                    long left = awaitStarted(t, TimeUnit.NANOSECONDS.convert(timeout));
                    return left >= 0 && (startFailed || t.join(Duration.ofNanos(left)));
                }
                return t.join(timeout);
            } catch (InterruptedException e) {
                keepIfEnded(t, e); // only a thread that has ended returns here
                return true;
            }
        }
        long nanos = TimeUnit.NANOSECONDS.convert(timeout); // saturates
        BubbleState.Left left = m.bubble.awaitLeft(m, this, Math.max(nanos, 0L));
        if (left == BubbleState.Left.TIMED_OUT) {
            return false; // on the bubble's clock (BB4)
        }
        if (left == BubbleState.Left.NOT_A_MEMBER && nanos <= 0) {
            // Of no bubble, or of another: with no time left, a poll, as for a member and outside bubbles;
            // never a wait for a thread this bubble cannot see end (BB4).
            return !isAlive(); // t.join(Duration.ZERO), also for a goroutine being started (G12)
        }
        // A member that left: only its thread's last steps remain. Any other goroutine with time left: the
        // wait is not durable, so the bubble's clock stands still until it ends (BB2, BB4).
        awaitStarted(t, Long.MAX_VALUE);
        try {
            t.join();
        } catch (InterruptedException e) {
            keepIfEnded(t, e);
        }
        return true;
    }

    /** The calling thread's bubble membership, or null without loading the bubble classes (B8). */
    private static BubbleState.Member bubbleMember() {
        return ParkHook.active() == null ? null : Bubbles.current();
    }

    /** Interrupts the goroutine's thread (Java's cancellation; Go has none). */
    public void interrupt() {
        thread.interrupt();
    }

    @Override
    public String toString() {
        return "Goroutine[" + id + " " + name + (isAlive() ? "" : ", ended") + "]";
    }
}
