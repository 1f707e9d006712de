package io.gochan.http.internal.conn;

import java.io.IOException;

/**
 * A head the transport was about to write to a proxy (a {@code CONNECT}) is larger than
 * {@code maxRequestHeaderBytes}; nothing of it was written (R56). Raised on a dial goroutine, where only an
 * {@link IOException} travels to the waiting request; the transport throws it to its caller as the
 * {@link IllegalArgumentException} of E12, with the same message. Never seen by a caller.
 */
public final class HeadTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal with the words of E12.
     *
     * @param what the head, as the message names it
     * @param size its size in bytes
     * @param limit {@code maxRequestHeaderBytes}
     */
    public HeadTooLargeException(String what, long size, int limit) {
        super(what + " is " + size + " bytes, more than maxRequestHeaderBytes (" + limit + "); nothing was sent");
    }

    /** {@return the caller's exception: an {@link IllegalArgumentException} with this message, no internal cause} */
    public IllegalArgumentException forCaller() {
        return new IllegalArgumentException(getMessage());
    }
}
