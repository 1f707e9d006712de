package io.gochan.http;

import java.io.IOException;

/**
 * A request body yielded more or fewer bytes than the length it declared (its
 * {@code Content-Length}). The caller's mistake, not the connection's: the request is never retried.
 * The transport checks for one byte too many before it writes the body's last bytes, so the server
 * never receives a complete request; a request that fits the connection's 8 KiB write buffer
 * reaches the socket not at all. The connection is closed.
 */
public final class ContentLengthMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The length the body declared, in bytes. */
    private final long declared;

    /**
     * Creates the exception.
     *
     * @param message what differed: the declared and the actual length
     * @param declared the length the body declared, in bytes
     */
    public ContentLengthMismatchException(String message, long declared) {
        super(message);
        this.declared = declared;
    }

    /** {@return the length the body declared} */
    public long declared() {
        return declared;
    }
}
