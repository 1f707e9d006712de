package io.gochan.http;

import java.io.IOException;

/**
 * The connection failed under an exchange: a write of the request failed, or the server reset or
 * closed the connection in a way that is not a malformed response (those are
 * {@link HttpProtocolException}s). The message says what failed and when; the cause is the socket's
 * own exception. The connection is closed, never pooled.
 *
 * <p>The transport has already retried what Go retries (a reused connection that failed before a
 * byte of the request left, or that the server had closed while idle, for a replayable request);
 * a caller that sees this exception may retry only if the request is idempotent.
 */
public final class HttpConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A connection failure.
     *
     * @param message what failed and when
     * @param cause the lower-level failure; may be null
     */
    public HttpConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
