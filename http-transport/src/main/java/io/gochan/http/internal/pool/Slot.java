package io.gochan.http.internal.pool;

/**
 * One connection's place under its host's limit, owned from the moment its dial starts until the
 * connection is finally closed. The pool creates it (counting it against {@code maxConnsPerHost})
 * before the dial; the dial's failure or the connection's close releases it, exactly once, however
 * these and the dial's completion are ordered (ADR 0008). While it is held, the pool knows it: the
 * pool's slots are the one registry of the transport's live connections and dials.
 */
public final class Slot {
    final ConnectionPool<?> pool;
    final ConnectKey key;
    // Guarded by the pool's lock.
    PooledConnection conn;
    boolean released;
    /** Counted in the pool's {@code dialing} until its dial's outcome is recorded (or close() gives the dial up). */
    boolean dialing;
    /**
     * The dial goroutine, from its start until it has done everything with its outcome (a late connection
     * closed included): close() interrupts it and waits for it to clear this (E29).
     */
    Thread dialer;
    /** Its dialer's call has returned: from then on an interrupt could only hit the outcome's delivery (E57). */
    boolean dialReturned;
    /** The dial goroutine, set when it starts and never cleared: close() joins it once it has ended. */
    Thread dialThread;
    /** The dial is in a step its interrupt cannot end (name resolution): close() does not wait for it (E29). */
    boolean resolving;
    /** Its request gave it up and interrupted its dial (E57): an interrupt then is the pool's, not user code's (E148). */
    boolean dialGivenUp;
    /** The request this slot's dial serves; failed by close() if it gives the dial up. */
    ConnectionPool.WantConn<?> want;

    Slot(ConnectionPool<?> pool, ConnectKey key) {
        this.pool = pool;
        this.key = key;
    }

    /**
     * Frees the slot (idempotent): the host may then dial another connection, and a waiter gets it.
     * The connection that owns the slot calls this when it closes.
     */
    public void release() {
        pool.release(this);
    }

    /**
     * Whether the pool (the transport) this slot belongs to is closed: a body still being read then
     * fails as a cancellation, even if its bytes are all in memory (E3). Never blocks.
     *
     * @return true once the pool is closed
     */
    public boolean poolClosed() {
        return pool.isClosed();
    }

    /**
     * If the pool this slot belongs to is closing, waits until its close is done (E23). Never waits otherwise.
     */
    public void awaitPoolClosed() {
        pool.awaitClosedIfClosing();
    }

    /**
     * Closed once the pool (the transport) this slot belongs to is closed and its close is complete (every
     * connection closed, no dial under way, nobody waiting: E23): a wait of a request whose connection is already
     * closed, and which nothing else the close does would wake, ends on it (E51). Never closed otherwise.
     *
     * @return the channel, for a select's receive case
     */
    public io.gochan.ReceiveChan<Object> poolCloseDone() {
        return pool.closeDone();
    }

    @Override
    public String toString() {
        return "slot " + key;
    }
}
