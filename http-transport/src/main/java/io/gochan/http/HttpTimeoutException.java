package io.gochan.http;

import java.net.SocketTimeoutException;

/**
 * A time limit of the transport or of the request passed: the one timeout type of this package, as
 * the JDK client has one. {@link #kind()} says which limit. It is a {@link SocketTimeoutException}
 * (and so an {@link java.io.InterruptedIOException}), so code that catches either keeps working.
 *
 * <p>The connection the exchange was using is closed, never pooled: the server may still answer.
 */
public final class HttpTimeoutException extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    /** Which limit passed. */
    public enum Kind {
        /** {@code Transport.Builder.dialTimeout}: the TCP connect took too long. */
        CONNECT,
        /** {@code Transport.Builder.tlsHandshakeTimeout}: the TLS handshake took too long. */
        TLS_HANDSHAKE,
        /** {@code Transport.Builder.responseHeaderTimeout}: the response head did not arrive in time after the request was written. */
        RESPONSE_HEADERS,
        /**
         * The request's own limit: its {@link HttpRequest#timeout()}, its {@code Context}'s deadline, or
         * {@link HttpClient}'s overall timeout, in whatever phase it passed (waiting for a connection,
         * dialing, writing, awaiting the head, reading the body).
         */
        REQUEST,
        /** {@code Transport.Builder.bodyReadTimeout}: no byte of the response body arrived for that long. */
        BODY_READ,
    }

    /** Which limit passed. */
    private final Kind kind;

    /**
     * A timeout of this kind.
     *
     * @param kind which limit passed
     * @param message what timed out and after how long; should contain "timed out"
     * @param cause the lower-level failure or the context's error; may be null
     * @throws NullPointerException if kind is null
     */
    public HttpTimeoutException(Kind kind, String message, Throwable cause) {
        super(message);
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
        if (cause != null) {
            initCause(cause);
        }
    }

    /**
     * Which limit passed.
     *
     * @return the kind of limit
     */
    public Kind kind() {
        return kind;
    }
}
