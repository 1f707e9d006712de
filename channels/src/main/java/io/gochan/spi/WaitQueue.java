package io.gochan.spi;

/**
 * An intrusive FIFO of {@link WaitNode}s (Go's {@code waitq}). Every method must be called with the
 * owning channel's lock held; a node is in at most one queue at a time ({@code node.queue}).
 */
final class WaitQueue {
    private WaitNode first;
    private WaitNode last;
    private int size;

    boolean isEmpty() {
        return first == null;
    }

    int size() {
        return size;
    }

    void addLast(WaitNode n) {
        n.queue = this;
        n.prev = last;
        n.next = null;
        if (last == null) {
            first = n;
        } else {
            last.next = n;
        }
        last = n;
        size++;
    }

    /** Removes and returns the oldest node, or null. */
    WaitNode pollFirst() {
        WaitNode n = first;
        if (n != null) {
            unlink(n);
        }
        return n;
    }

    /** Removes {@code n} if it is still in this queue; true if it was. */
    boolean remove(WaitNode n) {
        if (n.queue != this) {
            return false;
        }
        unlink(n);
        return true;
    }

    private void unlink(WaitNode n) {
        WaitNode p = n.prev;
        WaitNode s = n.next;
        if (p == null) {
            first = s;
        } else {
            p.next = s;
        }
        if (s == null) {
            last = p;
        } else {
            s.prev = p;
        }
        n.prev = null;
        n.next = null;
        n.queue = null;
        size--;
    }
}
