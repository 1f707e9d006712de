package io.gochan.http.internal.conn;

import io.gochan.http.internal.ThrowableText;
import java.io.IOException;

/**
 * A {@link io.gochan.http.RequestListener} threw an {@link Error} on a connection's write loop
 * ({@code wroteHeaders}, {@code wroteRequest}), or a checked exception it let out undeclared (E118): the request's own
 * failure, as a failed body source is, never the connection's; never retried, and its caller gets that throwable
 * itself (E20, E48). The write loop carries it in its report instead of dying of it.
 */
final class ListenerErrorException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The whole request had gone out when the listener threw: nothing of it was cut short on the wire (E94). */
    private final boolean afterWholeRequest;

    /**
     * The listener's Error (or undeclared checked exception, E118), whose text (the listener's code too, E48) is asked
     * safely: it may throw.
     */
    ListenerErrorException(Throwable error) {
        this(error, false);
    }

    ListenerErrorException(Throwable error, boolean afterWholeRequest) {
        super("request listener failed on the write loop: " + ThrowableText.of(error), error);
        this.afterWholeRequest = afterWholeRequest;
    }

    /** @return true if the listener threw once the whole request was written and flushed */
    boolean afterWholeRequest() {
        return afterWholeRequest;
    }
}
