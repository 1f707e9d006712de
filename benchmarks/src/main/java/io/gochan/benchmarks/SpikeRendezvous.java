package io.gochan.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Spike (issue 17, not a product): the ceiling of a lock-free rendezvous on gochan's wait policy. A
 * fair dual queue (Scherer, Lea and Scott's, as JDK 8's fair {@code SynchronousQueue}) where a waiter
 * spins as gochan's {@code SpinPolicy} does (100 times on virtual threads with 2+ carriers, then parks
 * with the {@code parking} Dekker flag so a spinning partner is not unparked). No select, no close, no
 * timeout: it only answers "how fast can a handoff be without a lock, with our spin and park?"
 * (results: {@code benchmarks/results/2026-12-02-spike-ceilings}).
 */
final class SpikeRendezvous<E> {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle NEXT;
    private static final VarHandle ITEM;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(SpikeRendezvous.class, "head", Node.class);
            TAIL = l.findVarHandle(SpikeRendezvous.class, "tail", Node.class);
            NEXT = l.findVarHandle(Node.class, "next", Node.class);
            ITEM = l.findVarHandle(Node.class, "item", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final class Node {
        final boolean isData;
        volatile Object item; // data node: the value until taken (then null); request node: null until filled
        volatile Node next;
        volatile boolean parking;
        Thread waiter;

        Node(Object item, boolean isData) {
            this.item = item;
            this.isData = isData;
        }
    }

    private volatile Node head;
    private volatile Node tail;

    SpikeRendezvous() {
        Node dummy = new Node(null, false);
        head = dummy;
        tail = dummy;
    }

    void put(E e) {
        transfer(e);
    }

    @SuppressWarnings("unchecked")
    E take() {
        return (E) transfer(null);
    }

    private Object transfer(Object e) {
        Node s = null;
        boolean isData = e != null;
        for (;;) {
            Node t = tail;
            Node h = head;
            if (h == t || t.isData == isData) { // empty, or same mode: append and wait
                Node tn = t.next;
                if (t != tail) {
                    continue;
                }
                if (tn != null) {
                    TAIL.compareAndSet(this, t, tn);
                    continue;
                }
                if (s == null) {
                    s = new Node(e, isData);
                    s.waiter = Thread.currentThread();
                }
                if (!NEXT.compareAndSet(t, (Node) null, s)) {
                    continue;
                }
                TAIL.compareAndSet(this, t, s);
                Object x = await(s, e);
                // s is matched: if still reachable as head's successor, make it the new dummy.
                if (head == t) {
                    HEAD.compareAndSet(this, t, s);
                }
                return x != null ? x : e;
            }
            Node m = h.next; // complementary mode: fulfil the first waiter
            if (t != tail || m == null || h != head) {
                continue;
            }
            Object x = m.item;
            boolean matched = isData == (x != null); // already fulfilled by someone else
            if (matched || !ITEM.compareAndSet(m, x, e)) {
                HEAD.compareAndSet(this, h, m);
                continue;
            }
            HEAD.compareAndSet(this, h, m);
            if (m.parking) {
                LockSupport.unpark(m.waiter);
            }
            return x != null ? x : e;
        }
    }

    /** Waits until s.item changes from e; returns the new item (a request node's value, or null for data). */
    private Object await(Node s, Object e) {
        for (int i = 0, n = SpikeSpin.spins(); i < n; i++) {
            Object x = s.item;
            if (x != e) {
                return x;
            }
            Thread.onSpinWait();
        }
        s.parking = true;
        for (;;) {
            Object x = s.item;
            if (x != e) {
                return x;
            }
            LockSupport.park(this);
        }
    }
}
