package io.gochan.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One blocked operation of one thread: a plain send or receive, or a whole {@code select}. A waiter
 * is registered on one or more channels through {@link WaitNode}s (one per channel case), and is
 * completed exactly once, by whichever comes first:
 * <ul>
 *   <li>a channel <em>claims</em> it through one of its nodes ({@link #tryClaim(WaitNode)}), having
 *       already moved the value to or from that node under the channel's lock;</li>
 *   <li>the waiting thread <em>cancels</em> it ({@link #tryCancel(boolean)}) on interrupt or timeout.</li>
 * </ul>
 * The single CAS on {@code outcome} is what makes "exactly one case fires" true when several channels
 * offer to the same select at once (rule L6), and what makes an interrupt that races with a handoff
 * either lose to it (the operation completed; the interrupt status is kept) or win (nothing moved) —
 * never both (rule I2).
 *
 * <p>Contract for code that registers a waiter (a plain operation or a select):
 * <ol>
 *   <li>Take one waiter per blocking operation, on the thread that will wait, with {@link #acquire()}
 *       (the thread's reusable waiter) or the constructor, only once nothing can complete without
 *       waiting, and always go on to {@link #await}: a waiter acquired but never awaited is taken
 *       for one still in use, and the next {@code acquire} allocates a fresh one.</li>
 *   <li>Enqueue its nodes with {@link ChannelCore#enqueueLocked(WaitNode)} while holding each
 *       channel's lock, then call {@link #await(long, Object)} with no lock held.</li>
 *   <li>If {@code await} returns a node, that node's operation happened; every other node of the
 *       waiter is dead (channels skip nodes whose waiter is completed) and must be unlinked with
 *       {@link ChannelCore#removeLocked(WaitNode)} so no channel keeps it reachable (rule I3).</li>
 *   <li>If {@code await} returns null the waiter was cancelled and no node's operation happened:
 *       unlink every node, then report the timeout or the interrupt ({@link #wasInterrupted()}).</li>
 *   <li>Once the result was read, {@link #release()} the waiter (in a {@code finally}).</li>
 * </ol>
 *
 * <p>Reuse (ADR 0015). A thread keeps one waiter, with one {@link #soloNode node} for plain operations,
 * and {@link #acquire()} resets it for the next blocking operation, as {@code Exchanger} keeps its
 * participant's node: the blocking path then allocates nothing. This is safe because of point 3 and 4
 * above: when an operation returns, none of its nodes is in any queue, and every claimer reads or
 * writes a node only while it holds that node's channel lock, which the owner's unlinking also takes.
 * What may still touch a finished waiter is a claimer's {@link #unpark()} after it released the lock
 * (close wakes its waiters outside the lock): for a reused waiter that is a spurious wake-up, which
 * {@link #await} absorbs by re-checking. A waiter handed to a virtual-time bubble ({@link ParkHook}) is
 * never reused: the bubble keeps it for a timer that may cancel it later.
 *
 * <p>Memory ordering: a claimer writes the node's item (and closed flag) with plain writes before the
 * CAS; the CAS is a volatile write and {@link #await} reads {@code outcome} with a volatile read, so
 * the waiting thread sees the item. {@link #tryClaim} does not unpark; the claimer calls
 * {@link #unpark()} afterwards (preferably after releasing its lock).
 */
public final class Waiter {
    private static final Object CANCELLED = new Object();
    /** The outcome after {@link #release()}: the operation is over and its result was read. */
    private static final Object RELEASED = new Object();
    private static final VarHandle OUTCOME;
    private static final VarHandle PARKING;

    static {
        try {
            OUTCOME = MethodHandles.lookup().findVarHandle(Waiter.class, "outcome", Object.class);
            PARKING = MethodHandles.lookup().findVarHandle(Waiter.class, "parking", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Each thread's reusable waiter (see "Reuse" above); set on a thread's first blocking operation. */
    private static final ThreadLocal<Waiter> CACHED = new ThreadLocal<>();

    /** The thread that waits; written once before publication. */
    private final Thread thread;
    /** This waiter's node for a plain send or receive, reused with the waiter. */
    private final WaitNode solo;
    /** A select's nodes, one per case index, reused with the waiter (see {@link #caseNode}); grown on demand. */
    private WaitNode[] caseNodes = NO_NODES;
    /** How many of {@link #caseNodes} the current operation bound (release() unbinds them). */
    private int caseNodesBound;
    private static final WaitNode[] NO_NODES = new WaitNode[0];
    /** The most select nodes a waiter keeps for reuse between operations (see {@link #release()}). */
    static final int MAX_KEPT_CASE_NODES = 64;
    /** False once handed to a virtual-time bubble, which may keep a reference (a timer): never reuse then. */
    private boolean reusable = true;
    /** null while waiting; then the winning WaitNode, or CANCELLED. Changes once, by CAS. */
    private volatile Object outcome;
    /** Set by the waiting thread only, before it cancels on interrupt; read by that same thread. */
    private boolean interrupted;
    /**
     * Set (once) by the waiting thread before it first parks; a claimer that finds it false need not
     * unpark. Both sides follow the Dekker pattern on volatiles: the waiter writes {@code parking} and
     * then re-reads {@code outcome}; a claimer CASes {@code outcome} and then reads {@code parking}. One
     * of the two sees the other's write, so a parking waiter is always woken, and a waiter still
     * spinning is not: an unpark of a running thread costs an atomic on that thread's object (another
     * core's cache line) and leaves a stale permit that makes its next park return at once.
     */
    private volatile boolean parking;

    /** A waiter for the current thread, used once (see {@link #acquire()} for the reusable one). */
    public Waiter() {
        this.thread = Thread.currentThread();
        this.solo = new WaitNode(this, 0);
    }

    /**
     * The current thread's waiter, reset for a new blocking operation; allocated on a thread's first
     * blocking operation, and again only if the previous one was handed to a virtual-time bubble or
     * was not awaited to completion (then it may still be in use, and a fresh one is safe).
     *
     * @return a waiter with no outcome, owned by the current thread
     */
    public static Waiter acquire() {
        // Reused only once released: a waiter whose operation ended by an exception on the way is left alone.
        Waiter w = CACHED.get();
        if (w != null && w.reusable && w.outcome == RELEASED) {
            // Plain writes: a claimer sees them through the channel lock under which a node is queued.
            OUTCOME.set(w, (Object) null);
            PARKING.set(w, false);
            w.interrupted = false;
            return w;
        }
        w = new Waiter();
        CACHED.set(w);
        return w;
    }

    /**
     * Ends the operation this waiter was taken for, once its outcome was read and every node unlinked:
     * forgets the winning node (and with it the value it carried) and unbinds the solo node from its
     * channel, so a thread that lives on keeps no value and no channel reachable through its waiter
     * (rule I4), and marks the waiter free for the next {@link #acquire()}. A waiter never released is
     * never reused. Only the waiting thread calls this; a no-op while no outcome is decided.
     */
    public void release() {
        if (outcome != null) {
            // A node still queued means an owner failed to unlink it: never hand this waiter out again.
            boolean unlinked = solo.unbind();
            for (int i = 0; i < caseNodesBound; i++) {
                WaitNode n = caseNodes[i];
                unlinked &= n == null || n.unbind(); // null: an index never used (a context-aware operation uses 1 only)
            }
            if (!unlinked) {
                reusable = false;
            }
            if (caseNodes.length > MAX_KEPT_CASE_NODES) {
                // A thread that once blocked in a huge select (L16) would keep its nodes for life (I4): such a
                // select allocates its nodes again next time, a cost small beside its own.
                caseNodes = NO_NODES;
            }
            caseNodesBound = 0;
            OUTCOME.set(this, RELEASED); // plain: only its own thread reads it as RELEASED (acquire)
        }
    }

    /**
     * {@return how many select nodes the calling thread's waiter keeps for its next blocking operation, 0 if it
     * has none} For tests and diagnostics (rule I4: at most 64 between operations).
     */
    public static int keptCaseNodes() {
        Waiter w = CACHED.get();
        return w == null ? 0 : w.caseNodes.length;
    }

    /**
     * This waiter's node for select case {@code caseIndex}, bound to {@code channel}: one node per case
     * index, reused with the waiter, so a blocking select allocates no nodes either. Call only on a
     * waiter just taken with {@link #acquire()} (or made for this operation), once per enabled case.
     *
     * @param caseIndex the case's index, at least 0 (distinct cases need distinct indexes)
     * @param channel the case's channel
     * @param isSend true for a send case offering {@code item}
     * @param item the value to send, null for a receive case
     * @return the node, not yet queued
     */
    public WaitNode caseNode(int caseIndex, ChannelCore channel, boolean isSend, Object item) {
        if (caseIndex >= caseNodes.length) {
            // The least power of two above caseIndex (at least 4), whatever order the indexes come in: a select binds
            // its cases in its random poll order (L21), and a size that depended on that order (the first index + 1,
            // then doubled) could pass MAX_KEPT_CASE_NODES for a select of 33 to 64 cases, whose nodes release()
            // would then drop, to be made again on its next blocking run. Indexes bound 0, 1, 2, ... get the old sizes.
            caseNodes = java.util.Arrays.copyOf(caseNodes,
                    Math.max(caseIndex + 1, Math.max(4, Integer.highestOneBit(caseIndex) << 1)));
        }
        WaitNode n = caseNodes[caseIndex];
        if (n == null) {
            n = new WaitNode(this, caseIndex);
            caseNodes[caseIndex] = n;
        }
        caseNodesBound = Math.max(caseNodesBound, caseIndex + 1);
        return n.bind(channel, isSend, item);
    }

    /**
     * The node {@link #caseNode} bound for case {@code caseIndex} in the current operation.
     *
     * @param caseIndex an index bound in the current operation
     * @return that case's node
     */
    public WaitNode boundCaseNode(int caseIndex) {
        return caseNodes[caseIndex];
    }

    /**
     * This waiter's node for a plain operation on {@code channel}: one node per waiter, reused with it.
     *
     * @param channel the channel the operation waits on
     * @param isSend true for a send of {@code item}
     * @param item the value to send, null for a receive
     * @return the node, not yet queued
     */
    public WaitNode soloNode(ChannelCore channel, boolean isSend, Object item) {
        return solo.bind(channel, isSend, item);
    }

    /** {@return the thread that waits} */
    public Thread thread() {
        return thread;
    }

    /**
     * Completes the waiter through {@code node}. Call only while holding the lock of the node's
     * channel, after moving the value into or out of the node.
     *
     * @param node the node through which the waiter completes
     * @return true if this call completed the waiter; false if it was already claimed or cancelled,
     *     in which case the node must be treated as dead and its value must not be counted as moved
     */
    public boolean tryClaim(WaitNode node) {
        return OUTCOME.compareAndSet(this, (Object) null, (Object) node);
    }

    /**
     * Cancels the waiter. Only the waiting thread calls this.
     *
     * @param onInterrupt true if the cause is an interrupt (remembered for {@link #wasInterrupted()})
     * @return true if cancelled; false if a channel claimed it first (the operation then happened)
     */
    public boolean tryCancel(boolean onInterrupt) {
        if (OUTCOME.compareAndSet(this, (Object) null, CANCELLED)) {
            interrupted = onInterrupt;
            return true;
        }
        return false;
    }

    /**
     * Spins before {@link #await} parks, as many times as {@link ChannelCore#spinBudget()} said
     * (the spin policy decides; this only carries it out).
     *
     * @param spins the budget, 0 for none
     * @return true if the waiter completed while spinning
     */
    public boolean spin(int spins) {
        return spins > 0 && SpinPolicy.spin(this, spins);
    }

    /** {@return whether the waiter was claimed or cancelled (a volatile read)} */
    public boolean isCompleted() {
        return outcome != null;
    }

    /** {@return the winning node, or null while waiting or if cancelled} */
    public WaitNode winner() {
        return outcome instanceof WaitNode n ? n : null;
    }

    /** {@return whether the waiter was cancelled because its thread was interrupted} */
    public boolean wasInterrupted() {
        return interrupted;
    }

    /**
     * Wakes the waiting thread after a successful claim, if it parks or is about to; a waiter still
     * spinning sees the claim by itself.
     */
    public void unpark() {
        if (parking) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Parks the calling (waiting) thread until a channel claims the waiter, the thread is interrupted,
     * or the deadline passes.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline (inside a virtual-time bubble: one on
     *     the bubble's clock, as {@link ChannelCore#deadlineAfter(long)} computes it), or
     *     {@code Long.MAX_VALUE} for none
     * @param blocker what the thread is blocked on (the park blocker: a node or a select); it shows
     *     in {@link LockSupport#getBlocker(Thread)}, thread dumps and goroutine dumps
     * @return the winning node; or null if the waiter was cancelled (see {@link #wasInterrupted()}).
     *     If an interrupt arrives but a channel claims first, the node is returned and the thread's
     *     interrupt status is set again.
     */
    public WaitNode await(long deadlineNanos, Object blocker) {
        boolean timed = deadlineNanos != Long.MAX_VALUE;
        while (true) {
            Object o = outcome;
            if (o != null) {
                return o == CANCELLED ? null : (WaitNode) o;
            }
            if (Thread.interrupted()) {
                if (tryCancel(true)) {
                    return null;
                }
                // A channel claimed us first: the operation completed; keep the interrupt for the caller.
                Thread.currentThread().interrupt();
                return (WaitNode) outcome;
            }
            if (!parking) {
                parking = true; // then re-check the outcome before parking (see the field)
                ParkHook hook = ParkHook.active; // null outside virtual-time bubbles (ADR 0013)
                if (hook != null) {
                    Object r = null;
                    try {
                        r = hook.await(this, deadlineNanos, blocker);
                    } finally {
                        // A thread of no bubble (PASS) keeps reusing its waiter while bubbles run elsewhere;
                        // one a bubble handled, or that threw, may be kept by a timer that cancels it later.
                        if (r != ParkHook.PASS) {
                            reusable = false;
                        }
                    }
                    if (r != ParkHook.PASS) {
                        return (WaitNode) r;
                    }
                }
                continue;
            }
            if (timed) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0L) {
                    if (tryCancel(false)) {
                        return null;
                    }
                    continue;
                }
                LockSupport.parkNanos(blocker, remaining);
            } else {
                LockSupport.park(blocker);
            }
        }
    }
}
