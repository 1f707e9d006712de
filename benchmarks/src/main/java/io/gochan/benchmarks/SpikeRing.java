package io.gochan.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Spike (issue 17, not a product): the ceiling of a lock-free buffered channel. A bounded MPMC ring
 * (Vyukov's sequence-numbered slots) for the fast path, and a Treiber stack of parked waiters per side
 * for the slow path only, with a Dekker handshake on volatiles (an operation publishes its slot with a
 * volatile write and then reads the other side's stack; a waiter pushes itself and then retries), so no
 * wake-up is lost. No select, no close, no timeout, no FIFO order among blocked threads (a stack
 * each side). The capacity must be a power of two, at least 2. Results:
 * {@code benchmarks/results/2026-12-02-spike-ceilings}.
 */
final class SpikeRing<E> {
    private static final VarHandle HEAD;
    private static final VarHandle STATE;
    private static final VarHandle POS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(Stack.class, "head", Node.class);
            STATE = l.findVarHandle(Node.class, "state", int.class);
            POS = l.findVarHandle(Counter.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A counter on its own cache lines. */
    @SuppressWarnings("unused")
    static final class Counter {
        long p0, p1, p2, p3, p4, p5, p6;
        volatile long value;
        long q0, q1, q2, q3, q4, q5, q6;
    }

    static final class Node {
        static final int WAITING = 0, WOKEN = 1, CANCELLED = 2;
        final Thread thread = Thread.currentThread();
        volatile int state;
        Node next;
    }

    @SuppressWarnings("unused")
    static final class Stack {
        long p0, p1, p2, p3, p4, p5, p6;
        volatile Node head;
        long q0, q1, q2, q3, q4, q5, q6;

        void push(Node n) {
            for (;;) {
                Node h = head;
                n.next = h;
                if (HEAD.compareAndSet(this, h, n)) {
                    return;
                }
            }
        }

        /** Wakes one waiter still waiting, if any. */
        void wakeOne() {
            for (Node h; (h = head) != null; ) {
                if (!HEAD.compareAndSet(this, h, h.next)) {
                    continue;
                }
                if (STATE.compareAndSet(h, Node.WAITING, Node.WOKEN)) {
                    LockSupport.unpark(h.thread);
                    return;
                }
            }
        }
    }

    private final Object[] items;
    private final AtomicLongArray seq;
    private final int mask;
    private final Counter enq = new Counter();
    private final Counter deq = new Counter();
    private final Stack putters = new Stack();
    private final Stack takers = new Stack();

    SpikeRing(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("the spike ring needs a power of two of at least 2, not " + capacity);
        }
        int n = capacity;
        items = new Object[n];
        seq = new AtomicLongArray(n);
        for (int i = 0; i < n; i++) {
            seq.set(i, i);
        }
        mask = n - 1;
    }

    private boolean tryPut(Object e) {
        for (;;) {
            long pos = enq.value;
            int i = (int) pos & mask;
            long s = seq.get(i);
            long d = s - pos;
            if (d == 0) {
                if (POS.compareAndSet(enq, pos, pos + 1)) {
                    items[i] = e;
                    seq.set(i, pos + 1); // volatile: ordered before the read of the takers' stack
                    return true;
                }
            } else if (d < 0) {
                return false; // full
            }
        }
    }

    private Object tryTake() {
        for (;;) {
            long pos = deq.value;
            int i = (int) pos & mask;
            long s = seq.get(i);
            long d = s - (pos + 1);
            if (d == 0) {
                if (POS.compareAndSet(deq, pos, pos + 1)) {
                    Object e = items[i];
                    items[i] = null;
                    seq.set(i, pos + mask + 1);
                    return e;
                }
            } else if (d < 0) {
                return null; // empty
            }
        }
    }

    void put(E e) {
        while (!tryPut(e)) {
            Node n = new Node();
            putters.push(n);
            if (tryPut(e)) {
                cancel(n, putters);
                break;
            }
            await(n);
        }
        if (takers.head != null) {
            takers.wakeOne();
        }
    }

    @SuppressWarnings("unchecked")
    E take() {
        Object e;
        while ((e = tryTake()) == null) {
            Node n = new Node();
            takers.push(n);
            if ((e = tryTake()) != null) {
                cancel(n, takers);
                break;
            }
            await(n);
        }
        if (putters.head != null) {
            putters.wakeOne();
        }
        return (E) e;
    }

    /** Withdraws a node whose retry succeeded; a wake-up it got meanwhile is passed on. */
    private static void cancel(Node n, Stack s) {
        if (!STATE.compareAndSet(n, Node.WAITING, Node.CANCELLED)) {
            s.wakeOne();
        }
    }

    private void await(Node n) {
        while (n.state == Node.WAITING) {
            LockSupport.park(this);
        }
    }
}
