package io.gochan.spi;

import io.gochan.ChannelClosedException;
import io.gochan.OverflowPolicy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The untyped channel behind {@link io.gochan.Chan}: buffer, wait queues, close, and the locked
 * primitives that {@code select} composes. Values are non-null {@code Object}s; the typed facade
 * checks nulls and casts.
 *
 * <p>Primitives ending in {@code Locked} must be called with {@link #lock()} held. A select locks
 * every channel it touches in increasing {@link #id()} order (so two selects never deadlock), polls
 * the ready cases with {@link #pollReceiveLocked()} / {@link #pollSendLocked(Object)}, and if none is
 * ready enqueues one {@link WaitNode} per case with {@link #enqueueLocked(WaitNode)} before unlocking
 * and parking on its {@link Waiter}; afterwards it unlinks every node with
 * {@link #removeLocked(WaitNode)}. See {@link Waiter} for the exactly-once contract.
 */
public class ChannelCore { // not final only for TimerChannel below: every constructor is private
    /*
     * Implementation notes.
     *
     * One lock (ChannelLock: ReentrantLock's non-fair algorithm, held without ReentrantLock's wrapper
     * object) guards the whole channel state, as Go's hchan.lock does. We measured lock-free
     * designs (Jox, LinkedTransferQueue) as peers instead of copying them: a single short critical
     * section keeps every rule below checkable by reading one method, and j.u.c locks park virtual
     * threads without pinning their carrier.
     *
     * State, all guarded by `lock` unless said otherwise:
     *   buffer[head .. head+count)  buffered values, oldest first, modulo buffer.length (buffer == null
 *                               when capacity == 0). The array grows by doubling up to `capacity`
 *                               (rule CH2): a capacity is a bound, not a request for memory up front.
     *   count                       written under the lock; read racily by len() with an opaque read
     *   closed                      volatile; written once under the lock (so isClosed() may read it
     *                               without the lock)
     *   senders, receivers          FIFO queues of WaitNodes of blocked operations
     *
     * Invariants between operations (Go's, from runtime/chan.go; INV, not to be confused with the
     * interrupt rules I1-I3 of docs/spec/channels.md):
     *   INV1 count > 0            => no live node in `receivers` (a receiver would have taken the value);
     *   INV2 count < capacity     => no live node in `senders` (a sender would have used the room);
     *   INV3 closed               => both queues hold no live node (close claims every node);
     *   INV4 capacity == 0        => at most one of the queues holds live nodes, except when one select
     *                                has both a send and a receive case on this channel (Go's exception).
     * "Live" means its waiter is not yet completed. Dead nodes (a select that won elsewhere, or a
     * cancelled operation whose owner has not unlinked it yet) are skipped and dropped by
     * takeFromSender/claimReceiver; their owners also unlink them, so none stays reachable (rule I3).
     *
     * Handoff. A sender that finds a waiting receiver writes the value into the receiver's node and
     * CASes the receiver's waiter (Waiter.tryClaim). If the CAS fails the receiver is gone (cancelled, or
     * a select that won on another channel): the value is taken back and the next receiver is tried.
     * A receiver that finds a waiting sender reads its value, then claims it the same way (a claimer never
     * touches a node after a successful CAS: its owner may reuse it at once, ADR 0015). Because the CAS
     * happens under this channel's lock and the waiter can be completed only once, a value is either
     * moved exactly once or not at all, whatever interrupts, timeouts and other channels do meanwhile.
     *
     * Buffered channel with a full buffer and waiting senders: a receive takes the head and moves the
     * first waiting sender's value into the freed slot (Go does the same), so order stays FIFO and a
     * blocked sender completes exactly when its value entered the buffer.
     *
     * The lock-free ring (ADR 0015, "the buffered fast path"). A plain buffered channel of capacity
     * Ring.MIN_CAPACITY..Ring.MAX_CAPACITY (no overflow policy, not a timer's) keeps its values in a Ring
     * instead of buffer/head/count: sends and receives complete without the lock while nobody waits on
     * that end, and take the lock as everything above says otherwise. The ring's gates follow the wait
     * queues (set when a list gets its first node, cleared when it empties: addLast/unlink), so while
     * threads wait on one end only lock holders move that end; settleLocked() restores INV1/INV2 (hands
     * ring values to queued receivers, moves queued senders' values into free slots) and runs wherever
     * a thread queues, after a fast operation that saw the other side's mirror bit, and in close. INV1
     * and INV2 then hold whenever the lock is free and no fast operation is between its slot write and
     * its settle.
     *
     * Wake-ups (LockSupport.unpark) are issued under the lock: unpark never blocks, and it keeps the
     * primitives usable by select, which holds several locks at once. (Deferring the unpark until
     * after the release was measured: B4 fan-in on 2 carriers got ~10 % slower.)
     *
     * Locking. lock() tries once; on an unbuffered channel it then spins as SpinPolicy says before
     * parking in the lock's AQS queue: critical sections are tens of nanoseconds, while parking a contended
     * virtual thread costs a trip through the scheduler.
     *
     * Allocation. A blocking send or receive takes its thread's reusable Waiter and that waiter's solo
     * node (Waiter.acquire), so the blocking path allocates nothing once a thread has blocked once;
     * every path below releases the waiter before returning (Waiter.release), so a thread that lives on
     * keeps no value and no channel reachable through it (rule I4, ADR 0015).
     */

    /*
     * The three outcomes below are compared by identity only (==), never by equals: each is a String
     * made with `new String`, a fresh object that no channel value can be (a user's "CLOSED" is another
     * object), and that shows its name in a debugger or a log. Not a class of their own: a marker class
     * cost every fresh JVM one more class from gochan's jar on its first Chan.make (cold start, B8).
     */
    /** Returned by receive primitives when nothing could be received (now, or before the deadline). */
    public static final Object NOT_READY = new String("NOT_READY");
    /** Returned by receive primitives when the channel is closed and drained. */
    public static final Object CLOSED = new String("CLOSED");
    /** Outcome of {@link #operateOrDone}: the context's done channel closed first. */
    public static final Object DONE = new String("DONE");

    private static final AtomicLong IDS = new AtomicLong();

    /**
     * Holds the handle for racy reads of {@code count}. Only buffered channels and {@code len()} use it,
     * so a program whose first channel is unbuffered does not pay for the lookup on its first
     * {@code Chan.make} (cold start, benchmark B8). A static final of an initialized class is a
     * constant to the JIT, as it was in ChannelCore itself.
     */
    private static final class Count {
        static final VarHandle HANDLE;

        static {
            try {
                HANDLE = MethodHandles.lookup().findVarHandle(ChannelCore.class, "count", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    private final ChannelLock lock = new ChannelLock(); // ReentrantLock's algorithm without its wrapper (B7)
    /** Lock order for multi-channel operations; unique, written once. */
    private final long id;
    private final int capacity;
    /** Go's nil channel: never ready; send and receive block forever (interruptibly). */
    private final boolean nil;
    /** A timer's channel: one slot inside, but {@code len} and {@code cap} report 0 (Go 1.23, rule TM1). */
    private final boolean timer;
    /** A context's done channel: never sent on, only closed (a plain select receive case on it is refused). */
    private final boolean signal;
    /**
     * The buffer: a {@link Ring} for a plain buffered channel of capacity Ring.MIN_CAPACITY to
     * Ring.MAX_CAPACITY, else the Object[] ring of the locked buffer (null when capacity == 0). One field
     * for both: a second reference pushed every channel, unbuffered ones included, past an 8-byte
     * boundary (B7: 120 -> 128 B idle).
     */
    private Object store;
    private int head;
    private int count;
    private volatile boolean closed;
    /*
     * The wait queues (Go's sendq and recvq): intrusive FIFO lists of WaitNodes linked through their
     * prev/next fields, head and tail here rather than in two queue objects of their own: 32 B less per
     * channel (B7) and one object fewer to reach per handoff. Which list a queued node is in follows from
     * the node (node.isSend); node.queued says whether it is in one. Guarded by lock; looksReady reads the
     * heads without it, as a hint.
     */
    private WaitNode sendersHead;
    private WaitNode sendersTail;
    private WaitNode receiversHead;
    private WaitNode receiversTail;
    /**
     * The spin streak, read and written only by {@link SpinPolicy} (unguarded on purpose, see there):
     * consecutive spinning waits (rendezvous or one-slot) whose spin met no partner in the low byte, waits since spinning
     * stopped in the next one. One int, not two: every idle channel carries it (B7). A new channel starts
     * as if it had missed, so spinning is earned by a probe that meets its partner.
     */
    int spinState = SpinPolicy.initialState();
    /** The virtual-time bubble this channel was made in (rule BB6), or null; read only on the park path. */
    private final Object bubble;
    /**
     * What a send does on a full buffer when that is not Go's "wait" (rules OV1-OV5): null for Go's
     * channels, so they carry one null reference for it (B7 counts the bytes of an idle channel).
     */
    private final Overflow overflowRule;

    /** A drop policy or an unlimited channel, and where dropped values wait for their callback. */
    private static final class Overflow {
        /** SUSPEND for unlimited channels (they never drop), else DROP_OLDEST or DROP_LATEST. */
        final OverflowPolicy policy;
        /** An unlimited channel (OV4): capacity is the JVM's array limit, where a send throws instead of waiting. */
        final boolean unlimited;
        /** Called once per dropped value, after the lock is released (OV3); null if nobody asked. */
        final Consumer<Object> onDrop;
        /** Values dropped under the lock, handed to onDrop by unlock(); null when onDrop is null. */
        final ArrayDeque<Object> drops;

        Overflow(OverflowPolicy policy, boolean unlimited, Consumer<Object> onDrop) {
            this.policy = policy;
            this.unlimited = unlimited;
            this.onDrop = onDrop;
            this.drops = onDrop == null ? null : new ArrayDeque<>(2);
        }
    }

    /**
     * The largest capacity: the largest array the JVM allocates (HotSpot refuses lengths within a few
     * elements of {@code Integer.MAX_VALUE} with "Requested array size exceeds VM limit").
     */
    public static final int MAX_CAPACITY = Integer.MAX_VALUE - 8;
    /** Slots allocated at first for a large capacity; the buffer doubles from here as values arrive. */
    private static final int INITIAL_SLOTS = 16;

    private ChannelCore(int capacity, boolean nil, boolean timer) {
        this(capacity, nil, timer, false, null);
    }

    /**
     * Takes the overflow rule ready-made (null for Go's channels), so that making a Go channel does not
     * load {@link OverflowPolicy} (cold start, benchmark B8).
     */
    private ChannelCore(int capacity, boolean nil, boolean timer, boolean signal, Overflow overflowRule) {
        this.overflowRule = overflowRule;
        ParkHook hook = ParkHook.active; // null outside virtual-time bubbles (ADR 0013)
        this.bubble = hook == null || nil ? null : hook.bubbleOfCurrentThread();
        this.id = IDS.incrementAndGet();
        this.capacity = capacity;
        this.nil = nil;
        this.timer = timer;
        this.signal = signal;
        // Compile-time constants: an unbuffered or small channel does not load Ring (cold start, B8).
        boolean lockFree = capacity >= Ring.MIN_CAPACITY && capacity <= Ring.MAX_CAPACITY
                && overflowRule == null && !timer && !nil;
        this.store = lockFree ? new Ring(capacity) : capacity > 0 ? new Object[Math.min(capacity, INITIAL_SLOTS)] : null;
    }

    /**
     * A new open channel.
     *
     * @param capacity the bound on buffered values (0: unbuffered)
     * @return the channel
     * @throws IllegalArgumentException if capacity is negative or above {@link #MAX_CAPACITY} (C1, CH2)
     */
    public static ChannelCore create(int capacity) {
        checkCapacity(capacity);
        return new ChannelCore(capacity, false, false);
    }

    /** Go's panic text for a size {@code make} refuses: gochan's message starts with it, as GO1's do (CH8). */
    private static final String MAKECHAN_OUT_OF_RANGE = "makechan: size out of range: ";

    private static void checkCapacity(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException(MAKECHAN_OUT_OF_RANGE + "channel capacity must be >= 0, was " + capacity);
        }
        if (capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException(MAKECHAN_OUT_OF_RANGE + "channel capacity must be <= " + MAX_CAPACITY
                    + " (the largest array the JVM allocates), was " + capacity);
        }
    }

    /**
     * A timer's channel: one buffer slot, so that the timer thread delivers with a send that never
     * blocks, while {@link #reportsEmptyShape()} tells the facade to report {@code len} and {@code cap}
     * 0, as Go 1.23 does for its timer channels (rule TM1).
     *
     * @return the channel
     */
    public static ChannelCore createTimer() {
        // Not `new TimerChannel()` here: returning a subclass where ChannelCore is declared makes the
        // verifier load the subclass with this class, on every fresh JVM's first Chan.make (B8).
        return TimerChannel.create();
    }

    /**
     * Runs {@code hook} once, under this timer channel's lock, when its pending value is next taken by
     * anyone (a receive, a select, a timer's stop or reset draining it); replaces a hook set before. A
     * ticker whose value nobody takes leaves the scheduler and waits for this, instead of being fired
     * and dropped every period (rule TM6). Lock must be held.
     *
     * @param hook what to run, or null for nothing
     * @throws IllegalStateException if this is not a timer's channel
     */
    public void onTimerValueTakenLocked(Runnable hook) {
        if (!timer) {
            throw new IllegalStateException("not a timer's channel: " + this);
        }
        ((TimerChannel) this).onTake = hook;
    }

    /**
     * The timer behind a timer's channel, as the channel sees it (rule TM7). Go 1.23 runs a timer whose
     * time has come when its channel is looked at (a receive, a select), so a look never misses a value
     * only because the timer thread has not delivered it yet: the channel asks its timer first.
     */
    public interface DueTimer {
        /**
         * A hint read without locks, for select's fast path: whether a value looks due and undelivered.
         *
         * @return true if the timer looks due
         */
        boolean looksDue();

        /**
         * Delivers into {@code channel} now the value that is due and not yet delivered, if there is one;
         * a delivery the timer thread has under way for it is then void. The channel's lock is held.
         *
         * @param channel this timer's channel
         */
        void deliverIfDueLocked(ChannelCore channel);

        /**
         * Whether a receiver (a plain receive, a select, a receive with a context) waits on this timer's
         * channel: while one does, the timer holds the channel strongly, so that the waiter is reachable
         * from the timer heap as long as the timer is scheduled (rule TM8, Go's {@code blockTimerChan}).
         * Called when the channel's receive queue becomes non-empty ({@code true}) and empty again
         * ({@code false}). The channel's lock is held.
         *
         * @param channel this timer's channel
         * @param waits whether a receiver now waits
         */
        void receiverWaitsLocked(ChannelCore channel, boolean waits);

        /**
         * Whether this timer can never deliver a value again, whatever anyone does: it was made in a virtual-time
         * bubble that has ended, whose clock never moves again and whose timers nobody may reset (rules BB22, BB27,
         * BB51). A plain receive on its empty channel would wait for ever, and is refused instead.
         *
         * @return true if no value of this timer can ever come; false by default
         */
        default boolean neverDelivers() {
            return false;
        }
    }

    /**
     * Tells this timer's channel which timer feeds it, so that a receive or select that looks at it
     * runs the timer first if its time has come (rules TM7, TM3). Called once, before the channel is shared.
     *
     * @param dueTimer the timer
     * @throws IllegalStateException if this is not a timer's channel
     */
    public void attachTimer(DueTimer dueTimer) {
        if (!timer) {
            throw new IllegalStateException("not a timer's channel: " + this);
        }
        lock();
        try {
            ((TimerChannel) this).dueTimer = dueTimer;
        } finally {
            unlock();
        }
    }

    /**
     * Takes a timer's pending value, if one is there, without running a due timer (rule TM7 does not
     * apply): what {@code stop} and {@code reset} do, which must never deliver the schedule they just
     * set. Lock must be held.
     *
     * @return true if a value was taken
     */
    public boolean drainTimerLocked() {
        return pollReceiveLocked(false) != NOT_READY;
    }

    /**
     * Whether a receive from this channel could never get a value, whoever waits: it is the channel of a timer that can
     * never deliver again (made in a virtual-time bubble that has ended, rule BB51) and holds no value. A select about to
     * wait only on such channels refuses to (rule BB52). The channel's lock is held.
     *
     * @return true only for such a timer's empty channel
     */
    public boolean neverReadyLocked() {
        return timer && count == 0 && ((TimerChannel) this).neverDelivers();
    }

    /** A timer's channel: the only subclass, so that the take hook costs other channels no field (B7). */
    private static final class TimerChannel extends ChannelCore {
        /** Guarded by the channel's lock. */
        private Runnable onTake;
        /** The timer feeding this channel (rule TM7); written under the lock, read by looksReady as a hint. */
        private DueTimer dueTimer;

        TimerChannel() {
            super(1, false, true);
        }

        /** A new timer's channel, typed as its superclass here, where verifying it costs nothing more. */
        static ChannelCore create() {
            return new TimerChannel();
        }

        /** Lets a due timer deliver before an empty channel is polled (TM7). Lock held. */
        void lookLocked() {
            DueTimer d = dueTimer;
            if (d != null) {
                d.deliverIfDueLocked(this);
            }
        }

        /** Whether the timer feeding this channel can never deliver again (BB51). */
        boolean neverDelivers() {
            DueTimer d = dueTimer;
            return d != null && d.neverDelivers();
        }

        boolean looksDue() {
            DueTimer d = dueTimer;
            return d != null && d.looksDue();
        }

        /** The receive queue became non-empty ({@code true}) or empty ({@code false}): rule TM8. Lock held. */
        void receiverWaits(boolean waits) {
            DueTimer d = dueTimer;
            if (d != null) {
                d.receiverWaitsLocked(this, waits);
            }
        }

        void taken() {
            Runnable hook = onTake;
            if (hook != null) {
                onTake = null;
                hook.run();
            }
        }
    }

    /**
     * A context's done channel: unbuffered, never sent on, only closed; {@link #isSignal()} lets select
     * refuse a plain receive case on it (rule L10).
     *
     * @return the channel
     */
    public static ChannelCore createSignal() {
        return new ChannelCore(0, false, false, true, null);
    }

    /**
     * A new open buffered channel whose sends never wait when the buffer is full: they drop a value as
     * {@code overflow} says (rules OV1-OV3). With {@link OverflowPolicy#SUSPEND} this is
     * {@link #create(int)}.
     *
     * @param capacity the number of buffered values, at least 1 with a drop policy
     * @param overflow what a send does when the buffer is full and no receiver waits
     * @param onDrop called once per dropped value, on the sending thread after this channel's lock is
     *     released (a failure it throws is logged, never thrown from the send); null for none
     * @return the channel
     * @throws IllegalArgumentException if capacity is out of range as for {@link #create(int)}, or 0 with
     *     a drop policy (a rendezvous has no buffer to drop from: OV5)
     * @throws NullPointerException if overflow is null
     */
    public static ChannelCore create(int capacity, OverflowPolicy overflow, Consumer<Object> onDrop) {
        if (overflow == null) {
            throw new NullPointerException("overflow");
        }
        checkCapacity(capacity);
        if (capacity == 0 && overflow != OverflowPolicy.SUSPEND) {
            throw new IllegalArgumentException("a drop policy (" + overflow + ") needs capacity >= 1: an unbuffered "
                    + "channel has no buffer to drop from (use capacity 1, or Chan.conflated())");
        }
        if (overflow == OverflowPolicy.SUSPEND) {
            return new ChannelCore(capacity, false, false);
        }
        return new ChannelCore(capacity, false, false, false, new Overflow(overflow, false, onDrop));
    }

    /**
     * A new open unlimited channel (rule OV4): a send never waits; the buffer grows as values arrive, up
     * to {@code limit} values, where a send throws {@link IllegalStateException} without sending.
     *
     * @param limit the most values it can hold: {@link #MAX_CAPACITY} (the JVM's array limit) except in tests
     * @return the channel
     * @throws IllegalArgumentException if limit is below 1 or above {@link #MAX_CAPACITY}
     */
    public static ChannelCore createUnlimited(int limit) {
        if (limit < 1 || limit > MAX_CAPACITY) {
            throw new IllegalArgumentException("limit must be in [1, " + MAX_CAPACITY + "], was " + limit);
        }
        return new ChannelCore(limit, false, false, false, new Overflow(OverflowPolicy.SUSPEND, true, null));
    }

    /**
     * Whether this is an unlimited channel (see {@link #createUnlimited(int)}).
     *
     * @return true for an unlimited channel
     */
    public boolean isUnlimited() {
        return overflowRule != null && overflowRule.unlimited;
    }

    /**
     * What a send does when the buffer is full ({@link OverflowPolicy#SUSPEND} for Go's channels).
     *
     * @return the overflow policy
     */
    public OverflowPolicy overflow() {
        return overflowRule == null ? OverflowPolicy.SUSPEND : overflowRule.policy;
    }

    /**
     * Whether this is a context's done channel (see {@link #createSignal()}).
     *
     * @return true for a context's done channel
     */
    public boolean isSignal() {
        return signal;
    }

    /** {@return a nil channel: never ready, blocks forever on send and receive, cannot be closed} */
    public static ChannelCore nil() {
        return new ChannelCore(0, true, false);
    }

    // ---------------------------------------------------------------- locked primitives (for select)

    /** Acquires this channel's lock (not interruptible; it is only ever held briefly). */
    public void lock() {
        if (lock.tryLock()) {
            return;
        }
        for (int i = 0, n = SpinPolicy.lockSpins(capacity); i < n; i++) {
            Thread.onSpinWait();
            if (!lock.isLocked() && lock.tryLock()) {
                return;
            }
        }
        lock.lock();
    }

    /**
     * Acquires this channel's lock only if it is free now; never waits (the timer thread's way in).
     *
     * @return true if the lock is now held by the caller
     */
    public boolean tryLock() {
        return lock.tryLock();
    }

    /**
     * Releases this channel's lock. If a send dropped values while it was held (OV3), the last release
     * hands them to the drop callback after unlocking.
     */
    public void unlock() {
        Ring r = ring();
        if (r != null && r.gates != 0) {
            reopenGates(r);
        }
        Overflow o = overflowRule;
        ArrayDeque<Object> drops = o == null ? null : o.drops;
        if (drops == null || drops.isEmpty() || lock.getHoldCount() > 1) {
            lock.unlock();
            return;
        }
        Object[] dropped = drops.toArray();
        drops.clear();
        lock.unlock();
        for (Object v : dropped) {
            try {
                o.onDrop.accept(v);
            } catch (Throwable t) {
                // Thrown from here it would skip a select's other unlocks, and the send did complete: log it. Its
                // printing may throw too (the callback's exception is its code): then logged without it (CH7).
                SafeText.log(System.getLogger(ChannelCore.class.getName()), System.Logger.Level.ERROR,
                        "the drop callback of " + this + " failed for a dropped value", t);
            }
        }
    }

    /** {@return a unique number fixing the order in which several channels' locks are taken} */
    public long id() {
        return id;
    }

    /**
     * The virtual-time bubble ({@code io.gochan.Bubble}) this channel was made in, or null (rule BB6).
     *
     * @return the bubble's token, or null for a channel made outside every bubble
     */
    public Object bubble() {
        return bubble;
    }

    /** {@return whether this is a nil channel (a select case on it is never ready)} */
    public boolean isNil() {
        return nil;
    }

    /**
     * Receives now if possible: the head of the buffer, or the value of a waiting sender, or
     * {@link #CLOSED} if closed and drained, else {@link #NOT_READY}. Lock must be held.
     *
     * @return the value received, {@link #CLOSED} or {@link #NOT_READY}
     */
    public Object pollReceiveLocked() {
        return pollReceiveLocked(true);
    }

    /** {@link #pollReceiveLocked()}; {@code look}: a timer's channel first runs its timer if due (TM7). */
    private Object pollReceiveLocked(boolean look) {
        Ring ring = ring();
        if (ring != null) {
            settleLocked(); // values sent by fast sends go to receivers queued before us (FIFO)
            if (receiversHead != null) {
                // Still queued after settle: the ring was empty at its last look. A fast send may land now,
                // but its value is owed to them (S3, Go's recvq), not to us: we found nothing, as Go would.
                return NOT_READY;
            }
            if (sendersHead != null && !closed) {
                // Still queued after settle: the ring is full. The first live sender's value enters first,
                // one past the bound (size() clamps it), and only then is the head taken, so a racy len()
                // never reads cap - 1 while a sender waits (C7; Go moves it in under the lock, qcount untouched).
                moveFirstSenderPastBound(ring);
            }
            Object v = ring.takeLocked();
            if (v != null) {
                settleLocked(); // a slot is free: the first blocked sender's value takes it (S3)
                return v;
            }
            return closed ? CLOSED : NOT_READY; // empty by positions: nothing in flight either
        }
        if (timer && look && (count == 0 || ((TimerChannel) this).looksDue())) {
            // Go 1.23 runs a due timer when its channel is looked at: its value is ready now, not when the
            // timer thread gets round to it (TM7). With a receiver queued, that receiver gets it (as in Go).
            // Also with a value pending (Go's chanrecv runs maybeRunChan before it looks at the buffer): a due
            // ticker whose round was held up then meets the full slot, its tick is dropped and it dozes, so
            // taking the pending value puts it on the first grid point ahead, never a stale one (TM3, TM6).
            ((TimerChannel) this).lookLocked();
        }
        if (count > 0) {
            Object[] buffer = (Object[]) store;
            Object v = buffer[head];
            buffer[head] = null;
            head = head + 1 == buffer.length ? 0 : head + 1;
            Object s = takeFromSender();
            if (s != NOT_READY) {
                // The buffer was full and a sender waits: its value goes to the tail (FIFO, S3), in the slot
                // just freed, and count never changes, so a racy len() reads cap throughout, as Go's qcount
                // stays put in this receive (C7). Before, count dipped to cap - 1 until bufferPut.
                int tail = head + count - 1;
                buffer[tail >= buffer.length ? tail - buffer.length : tail] = s;
            } else {
                Count.HANDLE.setOpaque(this, count - 1);
                if (isUnlimited()) {
                    shrinkIfSparse(); // OV6: a burst's array is given back as it drains
                }
            }
            if (timer) {
                ((TimerChannel) this).taken(); // a dozing ticker goes back on its grid (rule TM6)
            }
            return v;
        }
        Object s = takeFromSender();
        if (s != NOT_READY) {
            return s;
        }
        return closed ? CLOSED : NOT_READY;
    }

    /**
     * Sends now if possible: to a waiting receiver, or into the buffer. Lock must be held.
     *
     * @param value the value to send
     * @return true if sent, false if it would block
     * @throws ChannelClosedException if the channel is closed
     */
    public boolean pollSendLocked(Object value) {
        if (closed) {
            throw refusal("send on closed channel");
        }
        Ring ring = ring();
        if (ring != null) {
            settleLocked(); // a value in the ring goes to a queued receiver before ours (FIFO)
        }
        WaitNode r = claimReceiver(value);
        if (r != null) {
            r.waiter.unpark();
            return true;
        }
        if (ring != null) {
            // Go never lets a newcomer pass a blocked sender: queue behind them even if a slot is free.
            return sendersHead == null && ring.putLocked(value);
        }
        if (count < capacity) {
            bufferPut(value);
            return true;
        }
        if (overflowRule != null) {
            overflowLocked(overflowRule, value);
            return true;
        }
        return false;
    }

    /** The buffer is full and nobody waits: drop per policy (OV1, OV2), or refuse at the limit (OV4). */
    private void overflowLocked(Overflow o, Object value) {
        if (o.unlimited) {
            throw new IllegalStateException("unlimited channel full: it holds " + count
                    + " values, the most a JVM array holds; the value was not sent");
        }
        Object dropped = value;
        if (o.policy == OverflowPolicy.DROP_OLDEST) {
            // Full, so the ring is full-sized and the tail slot is the head's: replace the oldest.
            Object[] buffer = (Object[]) store;
            dropped = buffer[head];
            buffer[head] = value;
            head = head + 1 == buffer.length ? 0 : head + 1;
        }
        if (o.drops != null) {
            o.drops.addLast(dropped);
        }
    }

    /**
     * A hint, read without the lock: whether a send ({@code send}) or a receive on this channel looks
     * able to complete now. It may be stale either way; a select uses it to lock only the case it
     * picks, and falls back to locking every channel when the pick turns out not to be ready.
     *
     * @param send true for a send, false for a receive
     * @return whether the operation looks able to complete now
     */
    public boolean looksReady(boolean send) {
        if (closed) {
            return true; // a receive gets CLOSED; a send is chosen and throws
        }
        Ring ring = ring();
        if (ring != null) {
            return send ? receiversHead != null || ring.hasRoom() : ring.size() > 0 || sendersHead != null;
        }
        if (send) {
            // A drop policy or an unlimited channel: a send always completes (or, at the limit, throws).
            return overflowRule != null
                    || receiversHead != null || (int) Count.HANDLE.getOpaque(this) < capacity;
        }
        return (int) Count.HANDLE.getOpaque(this) > 0 || sendersHead != null
                || timer && ((TimerChannel) this).looksDue(); // a due timer delivers when looked at (TM7)
    }

    /**
     * Queues {@code node} (a send node on the senders' queue, else on the receivers'). Lock must be held.
     *
     * @param node the registration to queue
     */
    public void enqueueLocked(WaitNode node) {
        if (node.channel != this) {
            throw new IllegalArgumentException("node belongs to another channel");
        }
        addLast(node);
        if (ring() != null) {
            settleLocked(); // the Dekker re-check: a fast operation may have missed the gate (see Ring)
        }
    }

    /**
     * Unlinks {@code node} if it is still queued here, taking this channel's lock: what an owner does with
     * each of its nodes that did not win, before its operation returns (rule I3).
     *
     * @param node a node of this channel
     */
    public void remove(WaitNode node) {
        lock();
        try {
            removeLocked(node);
        } finally {
            unlock();
        }
    }

    /**
     * Unlinks {@code node} if it is still queued here. Lock must be held.
     *
     * @param node the registration to unlink
     */
    public void removeLocked(WaitNode node) {
        if (node.queued && node.channel == this) { // a node is only ever queued on its own channel
            unlink(node);
        }
    }

    // ---------------------------------------------------------------- plain operations

    /**
     * Blocking or timed send.
     *
     * @param value the value to send
     * @param deadlineNanos {@link System#nanoTime()} deadline, {@code Long.MAX_VALUE} for none
     * @return true if sent, false if the deadline passed first (the value was not sent)
     * @throws ChannelClosedException if closed, or closed while waiting
     * @throws InterruptedException if interrupted while waiting (the value was not sent)
     */
    public boolean send(Object value, long deadlineNanos) throws InterruptedException {
        if (nil) {
            return blockForever(deadlineNanos, "send");
        }
        if (sendFast(value)) {
            return true;
        }
        WaitNode node;
        lock();
        try {
            if (pollSendLocked(value)) {
                return true;
            }
            if (expired(deadlineNanos)) {
                return false;
            }
            throwIfInterrupted();
            ParkHook.checkMayWait(this, "send on"); // a bubble refuses before anything is queued (BB6, I3)
            node = Waiter.acquire().soloNode(this, true, value); // allocates nothing once the thread has one
            addLast(node);
            if (ring() != null) {
                settleLocked(); // may complete this very node: then the await below returns at once
            }
        } finally {
            unlock();
        }
        Object event = JfrGate.channelBlockedBegin();
        WaitNode won = awaitHandoff(node, deadlineNanos);
        if (event != null) {
            JfrGate.channelBlockedEnd(event, "send", this, reportedCapacity(), outcome(won, node.waiter));
        }
        try {
            if (won == null) {
                return cancelled(node);
            }
            if (won.closed) {
                throw refusal("send on closed channel (closed while the sender waited)");
            }
            return true;
        } finally {
            node.waiter.release(); // the node is reused: keep no value or channel reachable from it (I4)
        }
    }

    /**
     * Blocking or timed receive.
     *
     * @param deadlineNanos {@link System#nanoTime()} deadline, {@code Long.MAX_VALUE} for none
     * @return the value, {@link #CLOSED}, or {@link #NOT_READY} if the deadline passed first
     * @throws InterruptedException if interrupted while waiting (nothing was taken)
     */
    public Object receive(long deadlineNanos) throws InterruptedException {
        if (nil) {
            blockForever(deadlineNanos, "receive");
            return NOT_READY;
        }
        Object fast = receiveFast();
        if (fast != null) {
            return fast;
        }
        WaitNode node;
        lock();
        try {
            Object v = pollReceiveLocked();
            if (v != NOT_READY || expired(deadlineNanos)) {
                return v;
            }
            throwIfInterrupted();
            ParkHook.checkMayWait(this, "receive from"); // a bubble refuses before anything is queued (BB6, I3)
            if (deadlineNanos == Long.MAX_VALUE && neverReadyLocked()) {
                // An ended bubble's timer: no value can ever come (BB51; Go's runtime fails any use of a bubble's timer
                // from outside it). Nothing is queued yet (I3).
                throw new IllegalStateException("receive from the channel of a timer made in a virtual-time bubble"
                        + " that has ended: its clock never moves again, so the receive would wait for ever (BB51): "
                        + this);
            }
            node = Waiter.acquire().soloNode(this, false, null); // allocates nothing once the thread has one
            addLast(node);
            if (ring() != null) {
                settleLocked(); // may complete this very node: then the await below returns at once
            }
        } finally {
            unlock();
        }
        Object event = JfrGate.channelBlockedBegin();
        WaitNode won = awaitHandoff(node, deadlineNanos);
        if (event != null) {
            JfrGate.channelBlockedEnd(event, "receive", this, reportedCapacity(), outcome(won, node.waiter));
        }
        try {
            if (won == null) {
                cancelled(node);
                return NOT_READY;
            }
            return won.closed ? CLOSED : won.item;
        } finally {
            node.waiter.release(); // the node is reused: keep no value or channel reachable from it (I4)
        }
    }

    /**
     * A send or receive that also ends when {@code done} (a context's done channel, never sent on) is
     * closed: Go's {@code select { case ch <- v: / case v, ok := <-ch: ; case <-ctx.Done(): }} as one
     * operation (rule CH4). If {@code done} is already closed at the call, nothing is attempted. Otherwise
     * the operation completes if it can at once (even with the interrupt flag set, CH3), else it waits on
     * both channels through one {@link Waiter}, as a two-case select does, and exactly one of the two
     * wins. A nil {@code done} (a context that is never done) makes this the plain operation.
     *
     * @param isSend true for a send of {@code value}, false for a receive
     * @param value the value to send (ignored for a receive)
     * @param done the context's done channel
     * @return {@link #DONE} if {@code done} was closed first (nothing was sent or taken); for a send,
     *     {@code value} once sent; for a receive, the value or {@link #CLOSED}
     * @throws ChannelClosedException for a send on a closed channel, also one closed while waiting
     * @throws InterruptedException if interrupted while waiting (nothing was sent or taken)
     */
    public Object operateOrDone(boolean isSend, Object value, ChannelCore done) throws InterruptedException {
        if (done.nil) {
            if (isSend) {
                send(value, Long.MAX_VALUE);
                return value;
            }
            return receive(Long.MAX_VALUE);
        }
        if (done.closed) {
            return DONE;
        }
        if (!nil && looksReady(isSend)) {
            // The hint, as select's fast path: lock only this channel; a stale hint costs one lock.
            lock();
            try {
                Object r = pollLocked(isSend, value);
                if (r != NOT_READY) {
                    return r;
                }
            } finally {
                unlock();
            }
        }
        ChannelCore first = nil || done.id < id ? done : this;
        ChannelCore second = first == this ? done : nil ? null : this;
        Waiter waiter;
        WaitNode mine = null;
        WaitNode onDone;
        Object blocker = null; // a ContextWait while a bubble runs, else the node shown in dumps
        first.lock();
        if (second != null) {
            second.lock();
        }
        try {
            if (done.closed) {
                return DONE;
            }
            if (!nil) {
                Object r = pollLocked(isSend, value);
                if (r != NOT_READY) {
                    return r;
                }
            }
            throwIfInterrupted();
            if (ParkHook.active != null) {
                // The wait is on both channels: a bubble refuses it before anything is queued if either is another
                // bubble's (BB6, BB24), and counts it durable only if both are its own (BB2).
                blocker = new ContextWait(nil ? null : this, isSend, done);
                ParkHook.checkMayWait(blocker, null);
            }
            waiter = Waiter.acquire();
            if (!nil) {
                mine = waiter.soloNode(this, isSend, isSend ? value : null);
                addLast(mine);
                if (ring() != null) {
                    settleLocked();
                }
            }
            onDone = waiter.caseNode(1, done, false, null); // reused with the waiter, as the solo node
            done.addLast(onDone);
        } finally {
            if (second != null) {
                second.unlock();
            }
            first.unlock();
        }
        Object event = JfrGate.channelBlockedBegin();
        int spins = mine != null ? spinBudget() : 0;
        if (spins > 0) {
            recordSpin(waiter.spin(spins));
        }
        WaitNode won;
        try {
            won = waiter.await(Long.MAX_VALUE, blocker != null ? blocker : mine != null ? mine : onDone);
        } catch (Throwable t) {
            abandon(waiter, mine, onDone);
            throw t;
        }
        if (event != null) {
            // The operation is the channel's, as for a plain wait; the context's end is an outcome of its own, not
            // "closed", which says the channel was closed (JF5).
            JfrGate.channelBlockedEnd(event, isSend ? "send" : "receive", this, reportedCapacity(),
                    won != null && won == onDone ? "context done" : outcome(won, waiter));
        }
        try {
            if (mine != null && won != mine) {
                remove(mine);
            }
            if (won != onDone) {
                done.remove(onDone);
            }
            if (won == null) {
                throw new InterruptedException(); // no deadline: only an interrupt cancels the waiter
            }
            if (won == onDone) {
                return DONE;
            }
            if (won.closed) {
                if (isSend) {
                    throw refusal("send on closed channel (closed while the sender waited)");
                }
                return CLOSED;
            }
            return isSend ? value : won.item;
        } finally {
            waiter.release(); // every node is unlinked or claimed by now (I4)
        }
    }

    /** One poll of a send (returning {@code value} if sent) or a receive. Lock must be held. */
    private Object pollLocked(boolean isSend, Object value) {
        if (isSend) {
            return pollSendLocked(value) ? value : NOT_READY;
        }
        return pollReceiveLocked();
    }

    /**
     * Non-blocking send; see {@link #pollSendLocked(Object)}.
     *
     * @param value the value to send
     * @return true if sent, false if it would block
     */
    public boolean trySend(Object value) {
        if (nil) {
            return false;
        }
        if (sendFast(value)) {
            return true;
        }
        lock();
        try {
            return pollSendLocked(value);
        } finally {
            unlock();
        }
    }

    /**
     * Non-blocking receive; see {@link #pollReceiveLocked()}.
     *
     * @return the value received, {@link #CLOSED} or {@link #NOT_READY}
     */
    public Object tryReceive() {
        if (nil) {
            return NOT_READY;
        }
        Object fast = receiveFast();
        if (fast != null) {
            return fast;
        }
        lock();
        try {
            return pollReceiveLocked();
        } finally {
            unlock();
        }
    }

    /**
     * Closes the channel and completes every blocked operation: receivers with "closed", senders
     * with a closed outcome (they throw).
     *
     * @throws ChannelClosedException if already closed, or if this is a nil channel
     */
    public void close() {
        if (nil) {
            throw ClosedChannels.exception("close of nil channel");
        }
        List<Waiter> wake = null;
        lock();
        try {
            if (closed) {
                throw refusal("close of closed channel");
            }
            Ring ring = ring();
            if (ring != null) {
                ring.close(); // no send lands after this
            }
            closed = true;
            if (ring != null) {
                settleLocked(); // values already in the ring go to queued receivers first (K3)
            }
            for (boolean sendersToo : new boolean[] {false, true}) {
                for (WaitNode n; (n = pollFirst(sendersToo)) != null; ) {
                    n.closed = true;
                    if (n.waiter.tryClaim(n)) {
                        if (wake == null) {
                            wake = new ArrayList<>();
                        }
                        wake.add(n.waiter);
                    } else {
                        n.closed = false;
                    }
                }
            }
        } finally {
            unlock();
        }
        if (wake != null) {
            wake.forEach(Waiter::unpark);
        }
    }

    /** {@return the number of buffered values; a racy snapshot within [0, capacity] (a timer's pending value counts)} */
    public int len() {
        Ring ring = ring();
        if (ring != null) {
            return ring.size();
        }
        return (int) Count.HANDLE.getOpaque(this);
    }

    /** {@return the capacity (0 for unbuffered and nil channels; 1 for a timer's channel)} */
    public int capacity() {
        return capacity;
    }

    /**
     * Whether this is a timer's channel, whose facade reports {@code len} and {@code cap} 0 (rule TM1).
     *
     * @return true for a timer's channel
     */
    public boolean reportsEmptyShape() {
        return timer;
    }

    /** {@return whether the channel is closed (a snapshot)} */
    public boolean isClosed() {
        return closed;
    }

    /** {@return the number of queued send registrations (may include dead ones not yet unlinked by their owner)} */
    public int waitingSenders() {
        lock();
        try {
            return queued(sendersHead);
        } finally {
            unlock();
        }
    }

    /** {@return the number of queued receive registrations (may include dead ones not yet unlinked by their owner)} */
    public int waitingReceivers() {
        lock();
        try {
            return queued(receiversHead);
        } finally {
            unlock();
        }
    }

    /**
     * A short description: capacity, length, state and waiters. Capacity and length are the ones the facade's
     * {@code cap()} and {@code len()} report (rule C4): "unlimited" for an unlimited channel, whose
     * {@code capacity} is only the bound of its growth, and 0 for a timer's channel (TM1), whose one slot is
     * mentioned only while it holds a value.
     *
     * @return the description
     */
    public String describe() {
        if (nil) {
            return "chan(nil)";
        }
        lock();
        try {
            String shape = timer ? "cap=0, len=0" + (len() > 0 ? ", value waiting" : "")
                    : "cap=" + (isUnlimited() ? "unlimited" : Integer.toString(capacity)) + ", len=" + len();
            return "chan(" + (timer ? "timer, " : "") + (isUnlimited() ? "unlimited, " : "")
                    + (overflow() != OverflowPolicy.SUSPEND ? overflow() + ", " : "") + shape + (closed ? ", closed" : ", open")
                    + ", waiting senders=" + queued(sendersHead) + ", waiting receivers=" + queued(receiversHead) + ")";
        } finally {
            unlock();
        }
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * The exception for an operation this closed channel refuses (rule K6): Go's words, then the channel's
     * description as {@code Chan.toString()} gives it, so that a log names which channel and in what state.
     * Built only on the refusing path; reentrant under this channel's lock.
     *
     * @param what what was done, in Go's words ({@code "send on closed channel"})
     * @return a {@link io.gochan.ChannelClosedException} for the caller to throw
     */
    public IllegalStateException refusal(String what) {
        return ClosedChannels.exception(what + ": " + describeAsChan());
    }

    /**
     * {@link #describe()} as {@code Chan.toString()} shows it ({@code Chan(cap=0, ...)}): one form for the facade
     * and for the refusals that name a channel (K6).
     *
     * @return the description, starting with {@code Chan}
     */
    public String describeAsChan() {
        return "Chan" + describe().substring("chan".length());
    }

    /** The capacity users see ({@code cap()}, rule C4), for JFR events: the growth bound of an unlimited channel and a timer's slot are not. */
    private int reportedCapacity() {
        return timer ? 0 : isUnlimited() ? Integer.MAX_VALUE : capacity;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Clears the gate of a side whose wait queue is empty (lock held, before release). Gates are set at
     * once when a queue gets its first node (addLast) but cleared only here, so that a lock holder that
     * unlinks the last node keeps its end of the ring to itself until it lets go of the lock.
     */
    private void reopenGates(Ring r) {
        int w = r.gates;
        if ((w & Ring.RECEIVERS) != 0 && receiversHead == null) {
            r.gate(false, false);
        }
        if ((w & Ring.SENDERS) != 0 && sendersHead == null) {
            r.gate(true, false);
        }
    }

    /** This channel's lock-free ring, or null if its buffer is locked (or it has none). */
    private Ring ring() {
        return store instanceof Ring r ? r : null;
    }

    /** A send through the lock-free ring, if this channel has one and it takes the value now. */
    private boolean sendFast(Object value) {
        Ring ring = ring();
        // No look for waiting receivers afterwards: the claim's CAS saw none, and any that queue later settle
        // after they see the claimed position (the Dekker pair on sendPos, see Ring).
        return ring != null && ring.offerFast(value);
    }

    /** A receive through the lock-free ring: the value, or null if there is no ring or it gives none now. */
    private Object receiveFast() {
        Ring ring = ring();
        // No look for waiting senders afterwards: the claim's CAS saw none (recvPos's PEER, see Ring).
        return ring == null ? null : ring.pollFast();
    }

    /**
     * Restores INV1 and INV2 on a ring channel (lock held): while receivers are queued and the ring holds
     * a value, the first live receiver gets the oldest value; while senders are queued, the channel is
     * open and the ring has room, the first live sender's value enters it. A claim decides each move
     * before the ring is advanced (the gates make the peek stable), so a value is moved exactly once.
     */
    private void settleLocked() {
        Ring ring = ring();
        boolean moved;
        do {
            moved = false;
            // Unlinked before the claim, as everywhere (a claimed node is its owner's again at once, ADR
            // 0015); the gates stay set until unlock() sees an empty queue, so the peek stays stable.
            for (WaitNode n; (n = receiversHead) != null; ) {
                Object v = ring.peekLocked();
                if (v == null) {
                    break;
                }
                unlink(n);
                n.item = v;
                if (n.waiter.tryClaim(n)) {
                    ring.advanceLocked();
                    n.waiter.unpark();
                    moved = true;
                } else {
                    n.item = null; // dead node: the value stays at the head of the ring
                }
            }
            while (!closed && sendersHead != null && ring.hasRoom()) {
                WaitNode n = sendersHead;
                unlink(n);
                Object v = n.item; // read before the claim: the node is its owner's again after it
                if (n.waiter.tryClaim(n)) {
                    ring.putLocked(v); // cannot fail: room was seen, the gate keeps other senders out
                    n.waiter.unpark();
                    moved = true;
                }
            }
        } while (moved && receiversHead != null && ring.size() > 0);
    }

    /**
     * Claims the first live sender of a full ring and writes its value one position past the capacity
     * ({@link Ring#putPastBoundLocked}), before the receive that frees its slot takes the head (C7). Lock
     * held; the senders' gate is set (they are queued), so no fast send competes for the position.
     */
    private void moveFirstSenderPastBound(Ring ring) {
        for (WaitNode n; (n = pollFirst(true)) != null; ) {
            Object v = n.item; // read before the claim: the node is its owner's again after it
            if (n.waiter.tryClaim(n)) {
                ring.putPastBoundLocked(v);
                n.waiter.unpark();
                return;
            }
        }
    }

    /** First live receiver, claimed with {@code value} written into its node; null if none. */
    private WaitNode claimReceiver(Object value) {
        for (WaitNode n; (n = pollFirst(false)) != null; ) {
            n.item = value;
            if (n.waiter.tryClaim(n)) {
                return n;
            }
            n.item = null; // dead node: the value stays with us
        }
        return null;
    }

    /**
     * Claims the first live sender and returns its value (woken), or {@link #NOT_READY} if none. The
     * value is read before the claim: once claimed, a node belongs to its owner again, who may reuse
     * it for its next operation at once (ADR 0015), so a claimer never touches a node after its CAS.
     */
    private Object takeFromSender() {
        for (WaitNode n; (n = pollFirst(true)) != null; ) {
            Object v = n.item;
            if (n.waiter.tryClaim(n)) {
                n.waiter.unpark();
                return v;
            }
        }
        return NOT_READY;
    }

    /** Appends {@code n} to the senders' list if it is a send node, else to the receivers'. Lock held. */
    private void addLast(WaitNode n) {
        WaitNode t = n.isSend ? sendersTail : receiversTail;
        n.queued = true;
        n.prev = t;
        n.next = null;
        if (t == null) {
            setHead(n.isSend, n);
            if (timer && !n.isSend) {
                ((TimerChannel) this).receiverWaits(true); // the timer heap now holds the waiter (TM8)
            }
            Ring ring = ring();
            if (ring != null) {
                ring.gate(n.isSend, true); // the side has waiters: its fast path now takes the lock
            }
        } else {
            t.next = n;
        }
        setTail(n.isSend, n);
    }

    /** Removes and returns the oldest queued sender ({@code send}) or receiver, or null. Lock held. */
    private WaitNode pollFirst(boolean send) {
        WaitNode n = send ? sendersHead : receiversHead;
        if (n != null) {
            unlink(n);
        }
        return n;
    }

    /** Unlinks a queued node from its list (the senders' for a send node). Lock held. */
    private void unlink(WaitNode n) {
        WaitNode p = n.prev;
        WaitNode s = n.next;
        if (p == null) {
            setHead(n.isSend, s);
        } else {
            p.next = s;
        }
        if (s == null) {
            setTail(n.isSend, p);
        } else {
            s.prev = p;
        }
        n.prev = null;
        n.next = null;
        n.queued = false;
        if (timer && !n.isSend && receiversHead == null) {
            ((TimerChannel) this).receiverWaits(false); // nobody waits: a dropped timer is garbage again (TM2)
        }
    }

    private void setHead(boolean senders, WaitNode n) {
        if (senders) {
            sendersHead = n;
        } else {
            receiversHead = n;
        }
    }

    private void setTail(boolean senders, WaitNode n) {
        if (senders) {
            sendersTail = n;
        } else {
            receiversTail = n;
        }
    }

    /** How many nodes a list holds, from its head (for describe and the waiting counts). Lock held. */
    private static int queued(WaitNode head) {
        int k = 0;
        for (WaitNode n = head; n != null; n = n.next) {
            k++;
        }
        return k;
    }

    private void bufferPut(Object value) {
        if (count == ((Object[]) store).length) {
            grow(); // only called with count < capacity, so the buffer may still grow
        }
        Object[] buffer = (Object[]) store;
        int tail = head + count;
        if (tail >= buffer.length) {
            tail -= buffer.length;
        }
        buffer[tail] = value;
        Count.HANDLE.setOpaque(this, count + 1);
    }

    /** Doubles the full ring buffer (at most to {@code capacity}), oldest value first at index 0. */
    private void grow() {
        Object[] buffer = (Object[]) store;
        int n = buffer.length;
        Object[] bigger = new Object[(int) Math.min(capacity, 2L * n)];
        int firstPart = n - head;
        System.arraycopy(buffer, head, bigger, 0, firstPart);
        System.arraycopy(buffer, 0, bigger, firstPart, head);
        store = bigger;
        head = 0;
    }

    /**
     * An unlimited channel's array halved once it is at most a quarter full, down to the initial size (rule OV6): after
     * a burst of a million values it holds a million slots no longer than the values do. The quarter, not the half,
     * leaves a halved array half full, so a channel whose length swings across a boundary copies at most once per
     * quarter of the array's values in either direction: amortized constant time per value, as growing is. Only the
     * unlimited channel shrinks: a bounded channel's array is at most its capacity, which its user chose.
     */
    private void shrinkIfSparse() {
        Object[] buffer = (Object[]) store;
        int n = buffer.length;
        if (n <= INITIAL_SLOTS || count > n / 4) {
            return;
        }
        Object[] smaller = new Object[Math.max(INITIAL_SLOTS, n / 2)]; // a test's odd limit halves to below 16
        int firstPart = Math.min(count, n - head);
        System.arraycopy(buffer, head, smaller, 0, firstPart);
        System.arraycopy(buffer, 0, smaller, firstPart, count - firstPart);
        store = smaller;
        head = 0;
    }

    /** The length of the buffer's array (0 for none): what an unlimited channel holds on to (rule OV6), for tests. */
    int bufferSlots() {
        return store instanceof Object[] buffer ? buffer.length : 0;
    }

    /**
     * Whether a deadline made by {@link #deadlineAfter(long)} has passed, on the calling thread's clock (a
     * bubble's inside a bubble): a timed operation that finds it passed before it would wait reports the
     * timeout instead of waiting, whatever the interrupt flag (rule I5; select rule L14).
     *
     * @param deadlineNanos a deadline, or {@code Long.MAX_VALUE} for none (never passed)
     * @return true if the deadline has passed
     */
    public static boolean expired(long deadlineNanos) {
        return deadlineNanos != Long.MAX_VALUE && deadlineNanos - ParkHook.now() <= 0L;
    }

    /**
     * Throws if the calling thread's interrupt flag is set (and clears it), for an operation that found no
     * partner and is about to queue and wait: rule I1's "immediately". Checked before the node is queued, not
     * only when the waiter comes to park, because once queued a partner can complete the operation in between
     * (or while it spins), and an operation entered with the flag set must leave the channel as if never
     * called. Called with channel locks held; throwing releases nothing but the caller's finally blocks do.
     *
     * @throws InterruptedException if the flag was set
     */
    public static void throwIfInterrupted() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /**
     * The park blocker of {@link #operateOrDone} while a bubble runs: the wait is on the channel and on the
     * context's done channel, and a bubble must see both (BB2, BB6). Described as the channel's operation.
     */
    private record ContextWait(ChannelCore channel, boolean isSend, ChannelCore done) implements ParkHook.Cases {
        @Override
        public ChannelCore[] channels() {
            return new ChannelCore[] {channel, done};
        }

        @Override
        public String toString() {
            return channel == null ? "receive from " + done.describe() + " (a context's end, on a nil channel)"
                    : (isSend ? "send on " : "receive from ") + channel.describe() + ", or its context's end";
        }
    }

    /** Waits for the node's waiter; an unbuffered or one-slot channel first spins briefly (see SpinPolicy). */
    private WaitNode awaitHandoff(WaitNode node, long deadlineNanos) {
        int spins = spinBudget();
        if (spins > 0) {
            recordSpin(node.waiter.spin(spins));
        }
        try {
            return node.waiter.await(deadlineNanos, node);
        } catch (Throwable t) {
            abandon(node.waiter, node, null);
            throw t;
        }
    }

    /**
     * For a throw out of {@link Waiter#await} (a bubble's refusal the early check did not see, an
     * {@link Error}): no node may stay queued (I3) nor keep its value (I4). Cancels the waiter (a no-op if
     * it is decided; the hook throws only after it cancelled), unlinks both nodes and releases the waiter.
     *
     * @param other a second node of the waiter on another channel, or null
     */
    private static void abandon(Waiter waiter, WaitNode node, WaitNode other) {
        waiter.tryCancel(false);
        if (node != null) {
            node.channel.remove(node);
        }
        if (other != null) {
            other.channel.remove(other);
        }
        waiter.release();
    }

    /**
     * How many times the current thread should spin before it parks in a wait on this channel (0: park
     * at once; always 0 for a channel whose waits do not spin, see {@link #spinsBeforeWaiting()}), as
     * {@link SpinPolicy} decides; counts the wait towards this channel's probe. For the select engine,
     * which spins once for all its spinning cases.
     *
     * @return the spin budget, 0 for none
     */
    public int spinBudget() {
        return SpinPolicy.spinsBeforeWaiting(capacity) ? SpinPolicy.rendezvousSpins(this) : 0;
    }

    /**
     * Whether a wait on this channel may spin before it parks, as {@link SpinPolicy} decides from its kind. For the
     * select engine, which spins once for all such cases and records the outcome on each.
     *
     * @return true if {@link #spinBudget()} may grant spins
     */
    public boolean spinsBeforeWaiting() {
        return SpinPolicy.spinsBeforeWaiting(capacity);
    }

    /**
     * Records whether a spin before a wait on this channel met its partner. For the select engine.
     *
     * @param met true if the waiter completed while spinning
     */
    public void recordSpin(boolean met) {
        SpinPolicy.recordSpin(this, met);
    }

    /** How a wait ended, for the JFR event. */
    private static String outcome(WaitNode won, Waiter waiter) {
        return won == null ? (waiter.wasInterrupted() ? "interrupted" : "timed out") : won.closed ? "closed" : "completed";
    }

    /** After a cancelled wait: unlink the node, then report timeout (false) or throw the interrupt. */
    private boolean cancelled(WaitNode node) throws InterruptedException {
        remove(node);
        if (node.waiter.wasInterrupted()) {
            throw new InterruptedException();
        }
        return false;
    }

    /**
     * Nil channel: wait for the deadline (false) or an interrupt (throws). Timed like any other channel wait
     * (JF7): a goroutine parked on a nil channel, maybe for ever, is what a recording looks for.
     */
    private boolean blockForever(long deadlineNanos, String operation) throws InterruptedException {
        if (expired(deadlineNanos)) {
            return false; // time up: no wait, so the interrupt flag does not stop it (I5), as on any channel
        }
        // Before the event begins: entered with the flag set, the operation never parks, so it records nothing, as on
        // any other channel (I1, JF9); the waiter's own check came after the event had begun.
        throwIfInterrupted();
        Waiter w = new Waiter();
        Object event = JfrGate.channelBlockedBegin();
        w.await(deadlineNanos, "nil channel");
        if (event != null) {
            JfrGate.channelBlockedEnd(event, operation, this, reportedCapacity(), w.wasInterrupted() ? "interrupted" : "timed out");
        }
        if (w.wasInterrupted()) {
            throw new InterruptedException();
        }
        return false;
    }

    /**
     * Converts a timeout into a {@link System#nanoTime()} deadline (inside a virtual-time bubble, one
     * on the bubble's clock), saturating at "none".
     *
     * @param timeoutNanos the timeout
     * @return the deadline, {@code Long.MAX_VALUE} for none
     */
    public static long deadlineAfter(long timeoutNanos) {
        // Deadlines are compared as (deadline - now), which is wrap-safe for any timeout below 2^63;
        // only the value reserved for "no deadline" must be avoided.
        long d = ParkHook.now() + Math.max(0L, timeoutNanos); // a bubble's clock inside a bubble
        return d == Long.MAX_VALUE ? Long.MAX_VALUE - 1 : d;
    }
}
