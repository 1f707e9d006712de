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
}
