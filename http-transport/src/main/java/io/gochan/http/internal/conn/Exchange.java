package io.gochan.http.internal.conn;

import io.gochan.http.internal.RequestScope;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One request's use of one connection, from the moment {@code roundTrip} hands the request to the
 * connection until the response body is done with it. The exchange is the only party that decides
 * what happens to the connection when the request ends, and it decides exactly once (ADR 0008):
 * <ul>
 *   <li>{@link #complete(boolean, String)}: the read loop (or the body's reader at EOF) says the
 *       response is done with the connection; the connection is then put back for reuse, or closed if it
 *       may not be reused;</li>
 *   <li>{@link #abort(IOException)}: anything that ends the request early (a cancelled context, a
 *       timeout, an interrupt, the body closed before its end, a failed write, a closed transport)
 *       closes the connection with its cause.</li>
 * </ul>
 * Whichever comes first wins; the loser does nothing to the connection. So a cancellation is an
 * event on its own exchange and never a close of whatever the connection does next: once a
 * completed exchange has put its connection back, a late cancel of that request cannot touch the
 * next request on it (Go's {@code replaceReqCanceler} before {@code tryPutIdleConn}). Lock-free: one
 * compare-and-set.
 */
public final class Exchange {
    /** What an exchange does to its connection when it ends. */
    public interface Connection {
        /**
         * Closes the connection (idempotent; never blocks on the connection's loops). A call that finds the
         * connection being closed by another thread returns once that close is complete.
         *
         * @param cause why
         */
        void close(IOException cause);

        /**
         * Puts the connection back for the next request (the pool's one verb). If the connection is being closed
         * by another thread meanwhile, returns once that close is complete (E40).
         */
        void reuse();
    }

    private static final Object COMPLETED = new Object();

    private final Connection conn;
    private final RequestScope scope;
    /** The request's attempt this exchange is (E33). */
    private final int attempt;
    /** null while live; {@link #COMPLETED}; or the IOException the exchange was aborted with. */
    private final AtomicReference<Object> end = new AtomicReference<>();

    /**
     * A live exchange of {@code scope}'s request on {@code conn}.
     *
     * @param conn the connection
     * @param scope the request's context and deadline
     */
    public Exchange(Connection conn, RequestScope scope) {
        this.conn = conn;
        this.scope = scope;
        this.attempt = scope.attempt();
    }

    /** @return the attempt of its request this exchange is: its loop events are reported only while it is current (E33) */
    public int attempt() {
        return attempt;
    }

    /** @return the request's context and deadline */
    public RequestScope scope() {
        return scope;
    }

    /**
     * Ends the exchange early unless it already ended: the connection is closed with {@code cause}. If it had
     * already been aborted, the connection is being closed by whoever won: this call returns only once that
     * close is complete (the connection's slot free), so a party that lost and then reports the failure never
     * finds the connection still counted open (E26). If it had completed, the connection is left alone.
     *
     * @param cause why the exchange ended; what its request reports
     * @return true if this call ended the exchange; false if it had already ended
     */
    public boolean abort(IOException cause) {
        if (end.compareAndSet(null, cause)) {
            conn.close(cause);
            return true;
        }
        if (end.get() instanceof IOException winner) {
            conn.close(winner); // idempotent: waits for the winner's close (or does it with the winner's cause)
        }
        return false;
    }

    /**
     * Ends the exchange normally unless it already ended: the connection is reused if
     * {@code reusable}, otherwise closed.
     *
     * @param reusable whether the connection may serve another request
     * @param whyNot why it may not (for the close's cause), when {@code reusable} is false
     * @return true if this call ended the exchange; false if an abort came first (the connection is then
     *     already closed)
     */
    public boolean complete(boolean reusable, String whyNot) {
        if (!end.compareAndSet(null, COMPLETED)) {
            return false;
        }
        if (reusable) {
            conn.reuse();
        } else {
            conn.close(new IOException("connection not reused: " + whyNot));
        }
        return true;
    }

    /** @return the cause the exchange was aborted with, or null if it is live or completed */
    public IOException abortCause() {
        return end.get() instanceof IOException e ? e : null;
    }

    /** @return true once the exchange completed normally */
    public boolean isCompleted() {
        return end.get() == COMPLETED;
    }

    /** @return true once the exchange ended, either way */
    public boolean isOver() {
        return end.get() != null;
    }
}
