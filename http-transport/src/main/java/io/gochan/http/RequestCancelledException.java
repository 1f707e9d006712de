package io.gochan.http;

import java.io.InterruptedIOException;

/**
 * The request was abandoned on purpose, not by a failure of the server or the network: its
 * {@code Context} was cancelled, the thread reading its body was interrupted, or its
 * {@link Transport} was closed. {@link #reason()} says which. The connection the exchange was using is
 * closed, never pooled; no other request is affected.
 *
 * <p>An interrupt of a thread blocked in {@code roundTrip} itself is reported as an
 * {@link InterruptedException} (with a message saying where it waited), as the signature of
 * {@code roundTrip} promises; this type reports an interrupt only where a method can throw nothing
 * but {@link java.io.IOException}, such as a response body's {@code read}.
 */
public final class RequestCancelledException extends InterruptedIOException {
    private static final long serialVersionUID = 1L;

    /** Why the request was abandoned. */
    public enum Reason {
        /** The request's {@code Context} was cancelled (its {@code err()} is the cause). */
        CONTEXT,
        /** The thread reading the response body was interrupted. */
        INTERRUPT,
        /** {@link Transport#close()} ended every request of the transport. */
        TRANSPORT_CLOSED,
    }

    /** Why the request was abandoned. */
    private final Reason reason;

    /**
     * A cancellation for this reason.
     *
     * @param reason why the request was abandoned
     * @param message what was cancelled, and in which phase; should contain "cancelled" or "closed"
     * @param cause the context's error, or the lower-level failure the cancellation caused; may be null
     * @throws NullPointerException if reason is null
     */
    public RequestCancelledException(Reason reason, String message, Throwable cause) {
        super(message);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
        if (cause != null) {
            initCause(cause);
        }
    }

    /**
     * Why the request was abandoned.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
