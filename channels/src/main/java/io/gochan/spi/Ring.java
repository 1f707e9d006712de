package io.gochan.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The buffer of a plain buffered channel of capacity {@value #MIN_CAPACITY} to {@value #MAX_CAPACITY}
 * (ADR 0015, "the buffered fast path"): a bounded ring whose sends and receives complete without the
 * channel's lock while nobody waits on that end, and whose every other operation runs under the lock
 * as Go's algorithm does.
 *
 * <p>State. Two monotonic positions, each in its own word with flag bits: {@code sendPos} (the next
 * position a send claims, with {@link #CLOSED}, {@link #GATE} = "senders are queued" and {@link #PEER} =
 * "receivers are queued") and {@code recvPos} (the next position a receive claims, with {@link #GATE} =
 * "receivers are queued" and {@link #PEER} = "senders are queued"); the position is the word masked with
 * {@link #POS}. A position is claimed by a CAS on its word; the claimer then writes (send) or empties (receive) the
 * slot {@code position & mask}, waiting briefly for the thread that holds the slot's previous lap
 * or is still writing it. There are {@code n} slots, the capacity plus {@link #SLACK} rounded up to a
 * power of two: the slack keeps a sender and a receiver of a full ring off each other's slots, and the
 * power of two makes the slot index a mask; the positions still bound the ring at its capacity. Each slot carries a lap number (Vyukov's bounded
 * queue): a send of position {@code p} waits for {@code p} (the slot emptied by the receive of
 * {@code p - n}) and leaves {@code p + 1}; a receive of {@code p} waits for {@code p + 1} and leaves
 * {@code p + n}. Without
 * it, a thread held up between its CAS and its slot let another one lap ahead onto the same slot: two
 * sends filled one slot (a value lost) or two receives took one value.
 *
 * <p>Gates. A fast send ({@link #offerFast}) CASes {@code sendPos} only while CLOSED, GATE and PEER are
 * clear in the word it read, a fast receive ({@link #pollFast}) {@code recvPos} only while GATE and PEER are
 * clear: neither while its own end has waiters (their turn first, rule S3) nor while the other end has
 * waiters (rule C7): the locked send hands its value to a waiting receiver directly and the locked receive
 * moves a waiting sender's value in before it takes the head, so {@code len()} never counts a value passing
 * through on its way to a waiter, nor a slot freed for one. The channel sets a side's gate ({@link #gate},
 * under its lock) when the first node enters that side's wait queue: GATE in that side's word and PEER in
 * the other; it clears both when the queue empties. While a gate is set only lock holders move that end of
 * the ring, so the lock holder may peek the head value, claim a waiter with it and only then advance
 * ({@link #advanceLocked}): nothing is taken that is not handed over, and no newcomer passes a blocked
 * sender (rule S3). Setting CLOSED by CAS means no send lands after a close (rule K5). Every write of a
 * word keeps the bits it does not mean to change: the CASes add one to the position or set or clear one
 * flag of the value they read, and {@link #advanceLocked}'s plain write adds one to the word it read, which
 * no one else can change meanwhile (receivers' gate set: no fast receive; lock held: no gate change).
 *
 * <p>The Dekker pair that loses no wake-up is one word's CASes. A fast send claims with a CAS on
 * {@code sendPos} from a value without PEER; a receiver that queues CASes PEER into {@code sendPos}
 * ({@link #gate}) and then, before it parks and still under the lock, settles: it reads both positions and
 * hands the ring's values to the queue. The CASes on one word are totally ordered and each reads the value
 * the one before it wrote. If the send's CAS comes first, the gate's CAS read the claimed position and the
 * settle's later read of {@code sendPos} sees it (or a later one): it waits for the slot's lap (the claimer
 * is mounted and between its CAS and its lap write nothing blocks, see {@link #pause}) and hands the value
 * over. If the gate's CAS comes first, the send's CAS fails (the word is no longer the one it read), and its
 * retry sees PEER and takes the lock, which hands its value to the receiver directly. So a successful fast
 * operation never has to look for waiters afterwards: at its CAS the word said nobody waited on the other
 * end, and anyone who queued later settled after seeing its position. The same holds for a fast receive and
 * a queueing sender on {@code recvPos} (the settle then sees the freed slot and moves the sender's value in).
 * A side's gate is two CASes, GATE in its own word and PEER in the other; their order does not matter,
 * because the settle comes after both: GATE alone keeps newcomers of the same end out until the settle (a
 * fast operation of that end before it is simply earlier), PEER alone is the pair above. Clearing happens
 * only with the queue empty (nobody to wake), and the gate of a side whose queue empties and refills under
 * one lock hold is never cleared in between. So the lap writes need only release order (they publish the
 * slot to the next claimer of that slot): a volatile lap write put a second full fence into every fast
 * operation, whose store-buffer drain waited for the slot's cache line; with release order B3 capacity 64
 * and B2 capacity 64 and 1,024 took 15–30 % less time (ADR 0015, session 32). Until session 36 the other
 * end's waiting bit lived in a separate volatile mirror read before the CAS and again after it (ADR 0015).
 */
final class Ring extends RingPositions.RecvPadded {
    /** Smaller buffers fill or empty every few values and park there; the lock costs nothing visible. */
    static final int MIN_CAPACITY = 64;
    /**
     * The ring is allocated whole (it cannot grow lock-free), at most 8,192 slots (64 KiB of references
     * and lap numbers; Go allocates every buffer whole); larger buffers grow with their values under the
     * lock (rule CH2).
     */
    static final int MAX_CAPACITY = 4096;

    /**
     * Slots beyond the capacity, at least. In a full ring a send writes the slot {@code n - capacity}
     * slots after the one the receive is emptying; with no slack (n == capacity) both threads work on
     * the same slot and its cache lines, and the sender waits for the receiver's lap write on every
     * value. 32 slots keep them two cache lines apart in both arrays (references and laps are 4 bytes):
     * B2 capacity 64 ~200 -> ~130 ns, 1024 ~60 -> ~52 ns (ADR 0015).
     */
    static final int SLACK = 32;

    /** In {@code sendPos}: the channel is closed (rule K5). */
    static final long CLOSED = 1L << 62;
    /** In a side's own word: that side's wait queue is not empty (set and cleared by {@link #gate}). */
    static final long GATE = 1L << 61;
    /** In a side's word: the other side's wait queue is not empty (set and cleared by {@link #gate}). */
    static final long PEER = 1L << 60;
    /** The position bits of a word (2^60 positions: centuries at a billion operations a second). */
    static final long POS = PEER - 1;
    /** {@link #gates} bits. */
    static final int RECEIVERS = 1;
    static final int SENDERS = 2;

    private static final VarHandle SEND_POS;
    private static final VarHandle RECV_POS;
    private static final VarHandle LAPS = MethodHandles.arrayElementVarHandle(int[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SEND_POS = l.findVarHandle(RingPositions.Send.class, "sendPos", long.class);
            RECV_POS = l.findVarHandle(RingPositions.Recv.class, "recvPos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object[] slots;
    /** Each slot's lap number, modulo 2^32 (compared for equality only, so wrapping is harmless). */
    private final int[] laps;
    private final int capacity;
    /** The number of slots minus one: the slot count is the capacity rounded up to a power of two. */
    private final int mask;
    /**
     * Which gates are set ({@link #RECEIVERS}, {@link #SENDERS}): a plain copy the lock holder reads when it
     * lets go of the lock (which gates to clear). Read and written under the channel's lock only; no fast
     * operation reads it (they read the flags in the position words, see the class comment).
     */
    int gates;

    Ring(int capacity) {
        this.capacity = capacity;
        int n = Integer.highestOneBit(capacity + SLACK - 1) << 1; // the next power of two >= capacity + SLACK
        this.mask = n - 1;
        this.slots = new Object[n];
        this.laps = new int[n];
        for (int i = 0; i < n; i++) {
            laps[i] = i;
        }
        this.sendLimit = capacity;
    }

    /**
     * A send without the lock: true if {@code value} is in the ring. False if the ring is full, closed,
     * or senders or receivers are queued (the caller then takes the lock). After true nobody waits to be
     * handed the value: receivers that queue after the claim see it when they settle (class comment).
     */
    boolean offerFast(Object value) {
        for (;;) {
            long s = sendPos;
            if ((s & (CLOSED | GATE | PEER)) != 0) {
                // Closed, senders queued (S3), or receivers queued: the locked send hands its value to the
                // first of them directly, as Go does, so len() stays 0 instead of counting it for a moment (C7).
                // Read in the word the CAS below expects: a gate set since fails it (the Dekker pair).
                return false;
            }
            long p = s & POS;
            if (p >= sendLimit) {
                long limit = (recvPos & POS) + capacity;
                sendLimit = limit;
                if (p >= limit) {
                    return false;
                }
            }
            if (SEND_POS.compareAndSet(this, s, s + 1)) {
                write(p, value);
                return true;
            }
        }
    }

    /**
     * A receive without the lock: the oldest value, or null if the ring looks empty or receivers or
     * senders are queued (the caller then takes the lock, which also answers "closed"). After a value nobody
     * waits for the slot it freed: senders that queue after the claim see it when they settle (class comment).
     */
    Object pollFast() {
        for (;;) {
            long r = recvPos;
            if ((r & (GATE | PEER)) != 0) {
                // Receivers queued (their values first, S3), or senders queued: the locked receive moves
                // the first one's value in before it takes the head, so len() stays at the capacity (C7).
                // Past this check r is the bare position, and the CAS below fails if a gate was set since.
                return null;
            }
            if (r >= recvLimit) {
                long limit = sendPos & POS;
                recvLimit = limit;
                if (r >= limit) {
                    return null;
                }
            }
            if (RECV_POS.compareAndSet(this, r, r + 1)) {
                return empty(r);
            }
        }
    }

    /** A send under the lock, gates ignored (CLOSED is the caller's to check): false if full. */
    boolean putLocked(Object value) {
        for (;;) {
            long s = sendPos;
            long p = s & POS;
            if (p >= (recvPos & POS) + capacity) {
                return false;
            }
            if (SEND_POS.compareAndSet(this, s, s + 1)) {
                write(p, value);
                return true;
            }
        }
    }

    /**
     * A send under the lock into a full ring, one position past its capacity, just before the caller takes
     * the head ({@link #takeLocked}): a receive that moves a queued sender's value into the slot it frees
     * (rule C7). The slack ({@link #SLACK} slots beyond the capacity) has the slot; {@link #size()} clamps
     * the one extra value, so {@code len()} reads the capacity throughout, never one less. Only while the
     * senders' gate is set (no fast send claims a position) and the channel is open.
     */
    void putPastBoundLocked(Object value) {
        for (;;) {
            long s = sendPos;
            if (SEND_POS.compareAndSet(this, s, s + 1)) {
                write(s & POS, value);
                return;
            }
        }
    }

    /** A receive under the lock, gate ignored: the oldest value, or null if empty. */
    Object takeLocked() {
        for (;;) {
            long r = recvPos;
            long c = r & POS;
            if (c >= (sendPos & POS)) {
                return null;
            }
            if (RECV_POS.compareAndSet(this, r, r + 1)) {
                return empty(c);
            }
        }
    }

    /**
     * The oldest value without taking it, or null if empty. Only while the receivers' gate is set and
     * the lock held: then no one else takes, and {@link #advanceLocked()} takes exactly this value.
     */
    Object peekLocked() {
        long c = recvPos & POS;
        if (c >= (sendPos & POS)) {
            return null;
        }
        int i = index(c);
        for (int spins = 0; (int) LAPS.getAcquire(laps, i) != (int) (c + 1); spins++) {
            pause(spins); // claimed by a send that is still writing it
        }
        return slots[i];
    }

    /** Takes the value {@link #peekLocked()} returned (same conditions). */
    void advanceLocked() {
        long r = recvPos;
        long c = r & POS;
        int i = index(c);
        slots[i] = null;
        LAPS.setRelease(laps, i, (int) (c + mask + 1)); // frees the slot for the next lap's send (see write)
        // Keeps the flags of r: the receivers' gate is set (no fast receive CASes) and the lock is held (no gate
        // changes), so nobody else writes recvPos between the read above and this write.
        recvPos = r + 1;
    }

    /** Whether a send would find room now (lock held; a snapshot). */
    boolean hasRoom() {
        return (sendPos & POS) < (recvPos & POS) + capacity;
    }

    /** How many values the ring holds, claimed positions included, within [0, capacity]. */
    int size() {
        long r = recvPos & POS;
        long s = sendPos & POS;
        long n = s - r;
        return n <= 0 ? 0 : (int) Math.min(n, capacity);
    }

    /** Sets CLOSED (lock held): no send lands after this returns. */
    void close() {
        for (;;) {
            long s = sendPos;
            if (SEND_POS.compareAndSet(this, s, s | CLOSED)) {
                return;
            }
        }
    }

    /**
     * Sets or clears a side's gate (lock held): GATE in its own word, PEER in the other's. The caller
     * settles after setting (the class comment's Dekker pair) and clears only with the side's queue empty.
     */
    void gate(boolean senders, boolean set) {
        flag(senders ? SEND_POS : RECV_POS, GATE, set);
        flag(senders ? RECV_POS : SEND_POS, PEER, set);
        int bit = senders ? SENDERS : RECEIVERS;
        gates = set ? gates | bit : gates & ~bit;
    }

    /** Sets or clears {@code bit} in a position word by CAS: fast operations CAS the same word meanwhile. */
    private void flag(VarHandle h, long bit, boolean set) {
        for (;;) {
            long w = (long) h.getVolatile(this);
            long next = set ? w | bit : w & ~bit;
            if (w == next || h.compareAndSet(this, w, next)) {
                return;
            }
        }
    }

    private void write(long p, Object value) {
        int i = index(p);
        for (int spins = 0; (int) LAPS.getAcquire(laps, i) != (int) p; spins++) {
            pause(spins); // the receive of the previous lap claimed it and is still emptying it
        }
        slots[i] = value;
        // Release: publishes the value to the receive that waits for this lap. Not the Dekker pair's write (the
        // position CAS is, see the class comment): a full fence here drained the store buffer on every send.
        LAPS.setRelease(laps, i, (int) (p + 1));
    }

    private Object empty(long c) {
        int i = index(c);
        for (int spins = 0; (int) LAPS.getAcquire(laps, i) != (int) (c + 1); spins++) {
            pause(spins); // the send that claimed it is still writing it
        }
        Object v = slots[i];
        slots[i] = null;
        LAPS.setRelease(laps, i, (int) (c + mask + 1)); // release: frees the slot for the next lap's send (see write)
        return v;
    }

    /**
     * Waits for the thread between its position CAS and its slot access (a few instructions). A
     * virtual thread only spins: it never unmounts while it holds a claimed position (nothing in
     * between blocks, and virtual threads are not time-sliced), so every claim is held by a mounted
     * thread and the earliest one can always finish; a yield would break that (measured: a yielding
     * waiter rescheduled itself ahead of the unmounted holder it waited for, and four senders and four
     * receivers on two carriers livelocked). A platform thread yields its core after a short spin: the
     * holder may have been preempted by the operating system, and spinning would keep it off the CPU.
     */
    private static void pause(int spins) {
        if (spins < 64 || Thread.currentThread().isVirtual()) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private int index(long p) {
        return (int) p & mask;
    }
}
