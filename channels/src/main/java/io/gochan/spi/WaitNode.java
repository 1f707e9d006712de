package io.gochan.spi;

/**
 * The registration of one {@link Waiter} on one channel for one case: Go's {@code sudog}. A plain
 * operation has one node; a select has one per enabled case (the same channel may have several
 * nodes of one waiter, rule L7).
 *
 * <p>Fields {@code item} and {@code closed} are written by a claiming channel (under its lock,
 * before {@link Waiter#tryClaim}) and read by the waiting thread after {@link Waiter#await} returned
 * this node; a sender's {@code item} is written by the sender before enqueueing and read by a
 * claimer before its CAS. A claimer never touches a node after a successful CAS: the node then
 * belongs to its owner again, who may reuse it for its next operation at once (ADR 0015). The queue links are
 * guarded by the lock of {@link #channel()}.
 */
public final class WaitNode {
    final Waiter waiter;
    /** Final except for a waiter's reused solo node, rebound (unqueued) by its owner before each use. */
    ChannelCore channel;
    boolean isSend;
    final int caseIndex;
    /** Sender: the value offered. Receiver: the value delivered by the claimer. */
    Object item;
    /** True when the claimer was close(): a receiver saw "closed", a sender must throw. */
    boolean closed;
    // Queue links, guarded by channel.lock.
    WaitNode prev;
    WaitNode next;
    /** True while the node is in its channel's senders' (isSend) or receivers' list. */
    boolean queued;

    /**
     * A registration of {@code waiter} on {@code channel}.
     *
     * @param waiter the waiter this node registers
     * @param channel the channel it is queued on
     * @param isSend true for a send registration
     * @param item the value to send (send nodes), null for receive nodes
     * @param caseIndex the select case this node stands for (0 for plain operations)
     */
    public WaitNode(Waiter waiter, ChannelCore channel, boolean isSend, Object item, int caseIndex) {
        this.waiter = waiter;
        this.channel = channel;
        this.isSend = isSend;
        this.item = item;
        this.caseIndex = caseIndex;
    }

    /** A waiter's reusable node for case {@code caseIndex} (0: its solo node), bound to a channel before each use. */
    WaitNode(Waiter waiter, int caseIndex) {
        this.waiter = waiter;
        this.caseIndex = caseIndex;
    }

    /** Rebinds this reused node for a new operation; only its owner calls this, while it is in no queue. */
    WaitNode bind(ChannelCore channel, boolean isSend, Object item) {
        this.channel = channel;
        this.isSend = isSend;
        this.item = item;
        this.closed = false;
        return this;
    }

    /**
     * Forgets the channel and value of the operation that ended (rule I4); only its owner calls this.
     *
     * @return false if the node is still queued (an owner failed to unlink it), true otherwise
     */
    boolean unbind() {
        channel = null;
        item = null;
        closed = false;
        return !queued;
    }

    /** {@return the waiter this node registers} */
    public Waiter waiter() {
        return waiter;
    }

    /** {@return the channel this node is (or was) queued on} */
    public ChannelCore channel() {
        return channel;
    }

    /** {@return whether this is a send registration} */
    public boolean isSend() {
        return isSend;
    }

    /** {@return the select case index given at creation} */
    public int caseIndex() {
        return caseIndex;
    }

    /**
     * For a receive node that won: the value received, or null if {@link #closedOnWin()}. Read only
     * after {@link Waiter#await} returned this node.
     *
     * @return the value received, or null
     */
    public Object item() {
        return item;
    }

    /**
     * True if this node won because the channel closed: a receive saw "closed"; a send must throw
     * {@link io.gochan.ChannelClosedException}.
     *
     * @return whether the node won because the channel closed
     */
    public boolean closedOnWin() {
        return closed;
    }

    @Override
    public String toString() {
        ChannelCore c = channel;
        return c == null ? "unbound wait node" : (isSend ? "send on " : "receive from ") + c.describe();
    }
}
