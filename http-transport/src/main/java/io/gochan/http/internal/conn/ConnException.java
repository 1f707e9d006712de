package io.gochan.http.internal.conn;

import io.gochan.http.HttpRequest;

import java.io.IOException;

/**
 * A failure of one connection, with what the retry decision needs to know (Go's
 * nothingWrittenError and errServerClosedIdle).
 */
public final class ConnException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean nothingWritten;
    private final boolean serverClosedIdle;

    public ConnException(String message, Throwable cause, boolean nothingWritten, boolean serverClosedIdle) {
        super(message, cause);
        this.nothingWritten = nothingWritten;
        this.serverClosedIdle = serverClosedIdle;
    }

    /**
     * The server ended the connection after the request went out and before a byte of the response (E128): closed
     * it, or reset it ({@code readFailure} a "Connection reset" {@link java.net.SocketException}, or one in its causes).
     * Either way Go's {@code transportReadFromServerError}, retried alike (a replayable request on a reused
     * connection); only the words differ, so a caller who sees them knows which the server did.
     *
     * @param readFailure what the read of the response's first byte threw (kept as the cause), or null at EOF
     * @return the failure, retryable as a server's close
     */
    public static ConnException endedBeforeResponse(java.io.IOException readFailure) {
        return new ConnException("server " + (isReset(readFailure) ? "reset" : "closed")
                + " the connection before sending a response", readFailure, false, true);
    }

    /**
     * The server ended a connection that waited in the pool, before a request was counted on it (E130): closed it,
     * reset it ({@code readFailure} a "Connection reset", as {@link #endedBeforeResponse} tells), or answered nothing
     * with its idle timeout's {@code 408}. Go's {@code errServerClosedIdle}, retried alike whichever it was; only the
     * words differ, so a caller who sees them knows which the server did.
     *
     * @param readFailure what the read loop's look for the next response threw (kept as the cause), or null
     * @param used whether the connection had served a response (else it ended before it was used)
     * @param timeout408 whether the server sent its idle timeout's {@code 408} before it closed
     * @return the failure, retryable as a server's close of an idle connection
     */
    public static ConnException endedWhileIdle(java.io.IOException readFailure, boolean used, boolean timeout408) {
        String did = !timeout408 && isReset(readFailure) ? "reset" : "closed";
        String what = used ? "server " + did + " idle connection" : "server " + did + " the connection before it was used";
        return new ConnException(what + (timeout408 ? " (408 Request Timeout)" : ""), readFailure, false, true);
    }

    /** {@code t}, or one of its first causes, is the JDK's "Connection reset" (by peer): the peer sent a TCP RST. */
    static boolean isReset(Throwable t) {
        for (int depth = 0; t != null && depth < 4; depth++, t = t.getCause()) {
            // The message asked safely: a Dialer's socket may throw its own exception types (E77).
            String message = io.gochan.http.internal.ThrowableText.message(t);
            if (t instanceof java.net.SocketException && message != null && message.startsWith("Connection reset")) {
                return true;
            }
        }
        return false;
    }

    /** Not a byte of the request reached the socket. */
    public boolean nothingWritten() {
        return nothingWritten;
    }

    /** The server closed the connection before answering (typically: it had closed it while idle). */
    public boolean serverClosedIdle() {
        return serverClosedIdle;
    }

    /**
     * Go's rule for a request that failed on a reused connection: retry on a new one if nothing was
     * written and the body can be sent again, or if the server closed the idle connection and the
     * request is replayable (idempotent with a replayable body).
     */
    public boolean retryable(HttpRequest req) {
        boolean bodyOk = req.body().isEmpty() || req.body().replayable();
        return (nothingWritten && bodyOk) || (serverClosedIdle && req.isReplayable());
    }

    /**
     * Why {@link #retryable} said no for {@code req} on a reused connection, for its message: the one cause that holds
     * (E37: a body that cannot be sent again, or a method that is not replayed once part of the request may have
     * gone out), not both as alternatives.
     */
    public String whyNotRetried(HttpRequest req) {
        if (!req.body().isEmpty() && !req.body().replayable()) {
            return "its body cannot be sent again (a one-shot body)";
        }
        // Go's isReplayable: RFC 9110 calls PUT and DELETE idempotent too, but Go (and this transport) replays only these.
        return (nothingWritten ? "" : "part of it may have been sent and ") + req.method() + " is not replayed (only GET,"
                + " HEAD, OPTIONS and TRACE are, or a request with an Idempotency-Key)";
    }
}
