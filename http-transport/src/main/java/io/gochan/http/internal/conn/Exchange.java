package io.gochan.http.internal.conn;

import io.gochan.http.internal.RequestScope;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 *
 * <p>The exchange also owns the one watch of its request's end while a response body held in memory is in the
 * caller's hands ({@link #watchRequestEnd(String)}, P93, P94): armed once, and removed by whichever end the exchange
 * meets, so nothing of it outlives the exchange on a context or in the timers. (A streamed body's read loop waits on the
 * request's end itself, in the select of its wait for the body, as Go's readLoop does.)
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
    /** The watch's stop once the exchange ended: nothing more to stop, and nothing may be armed (P94). */
    private static final Runnable WATCH_OVER = () -> { };
    private static final VarHandle WATCH_STOP;

    static {
        try {
            WATCH_STOP = MethodHandles.lookup().findVarHandle(Exchange.class, "watchStop", Runnable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Connection conn;
    private final RequestScope scope;
    /** The request's attempt this exchange is (E33). */
    private final int attempt;
    /** null while live; {@link #COMPLETED}; or the IOException the exchange was aborted with. */
    private final AtomicReference<Object> end = new AtomicReference<>();
    /**
     * Stops the watch of the request's end (P94): null until it is armed, {@link #WATCH_OVER} once the exchange ended.
     * Taken by the exchange's end, whichever it is, so a body that ends in a way nobody reports to the watch (a read
     * that fails after the transport's close, the collector's reclaim) leaves no registration behind.
     */
    private volatile Runnable watchStop; // with a VarHandle, not an AtomicReference: no object more per exchange
    /** What the request does while its end is watched, for the cause's message: set before the watch is armed. */
    private volatile String watchPhase;

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
            if (watchStop != null) { // none for most: a response without a body, a request that never got one
                stopWatch();
            }
            conn.close(cause);
            return true;
        }
        awaitAbortersClose();
        return false;
    }

    /**
     * Returns once the close of the abort that ended this exchange is complete (the connection's slot free): what every
     * party that lost the race to end the exchange does before it reports (E26). Nothing if the exchange completed: its
     * connection is left alone (E1).
     */
    public void awaitAbortersClose() {
        if (end.get() instanceof IOException winner) {
            conn.close(winner); // idempotent: waits for the winner's close (or does it with the winner's cause)
        }
    }

    /**
     * Ends the exchange normally unless it already ended: the connection is reused if
     * {@code reusable}, otherwise closed.
     *
     * @param reusable whether the connection may serve another request
     * @param whyNot why it may not (for the close's cause), when {@code reusable} is false
     * @return true if this call ended the exchange; false if it had already ended. If an abort came first, the
     *     connection is being closed by whoever won: this call returns only once that close is complete (E26, E40), as
     *     {@link #abort(IOException)}'s loser does, so a body's end that lost never reports while its connection is
     *     still counted open
     */
    public boolean complete(boolean reusable, String whyNot) {
        if (!end.compareAndSet(null, COMPLETED)) {
            awaitAbortersClose();
            return false;
        }
        if (watchStop != null) {
            stopWatch();
        }
        if (reusable) {
            conn.reuse();
        } else {
            conn.close(notReused(whyNot));
        }
        return true;
    }

    /**
     * The cause a connection kept from the pool is closed with, whoever closes it: the exchange's completion, or the
     * read loop's end after a body held in memory (E136).
     *
     * @param whyNot why it may not serve another request ({@code KeepAlive}'s reason)
     * @return the cause
     */
    static IOException notReused(String whyNot) {
        return new IOException("connection not reused: " + whyNot);
    }

    /**
     * Watches the request's end while its response body is in the caller's hands (P93): its context's end, and its own
     * deadline when that comes before the context's, abort this exchange (its connection closed at once) with the
     * cause its scope words for {@code phase}, as Go's read loop does for every body. For a body held in memory, which no
     * loop waits for (ADR 0005); a streamed body's read loop selects on the request's end while it waits for the body,
     * as Go's readLoop, and needs no watch (P94). Armed by the first call, on a context that can end one registration
     * (none for a context that never ends) and one timer only for an own deadline earlier than the context's; a later
     * call only renames the phase. Both
     * are removed when the exchange ends, whoever ends it; nothing is armed on an exchange already over. The
     * registrations hold this exchange, never a body, so a dropped body is still reclaimed by the collector (E22).
     *
     * @param phase what the request is doing, for the cause ("reading the response body")
     */
    public void watchRequestEnd(String phase) {
        watchPhase = phase;
        if (watchStop != null || isOver()) {
            return; // armed already (one watch per exchange), or over: nothing to watch
        }
        RequestScope s = scope;
        // The context's deadline, if no later, ends the request first: the context's registration below covers it.
        // The timer first, so that once that registration is seen the whole watch is (as RequestEndWatchTest counts).
        io.gochan.Timer onDeadline = s.deadlineBeforeContexts()
                ? io.gochan.Timers.afterFunc(s.remaining(), () -> abort(s.timedOut(watchPhase))) : null;
        io.gochan.AfterFunc onContextEnd;
        try {
            onContextEnd = s.afterContextEnd(() -> abort(s.contextEnded(watchPhase)));
        } catch (RuntimeException | Error e) { // its registration failed: the timer must not stay scheduled either
            if (onDeadline != null) {
                onDeadline.stop();
            }
            throw e;
        }
        Runnable stop = onDeadline == null ? onContextEnd::stop : () -> {
            onContextEnd.stop();
            onDeadline.stop();
        };
        // The end sets its state and then looks here; this sets the watch and then looks at the end: one of the two
        // sees the other, so an end that came meanwhile stops the watch, here or there (once: stopWatch takes it).
        if (!WATCH_STOP.compareAndSet(this, (Runnable) null, stop)) {
            stop.run(); // the exchange ended first: its end took nothing of this watch
        } else if (isOver()) {
            stopWatch(); // it ended meanwhile, maybe without seeing the watch: taken once, here or by the end
        }
    }

    /** Removes the watch of the request's end, if armed, and keeps any from being armed later: the exchange ended. */
    private void stopWatch() {
        Runnable stop = (Runnable) WATCH_STOP.getAndSet(this, WATCH_OVER);
        if (stop != null && stop != WATCH_OVER) {
            stop.run();
        }
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
