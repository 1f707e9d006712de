package io.gochan;

import java.util.concurrent.CancellationException;

/** {@link Context#err()} of a context whose deadline passed (Go's {@code context.DeadlineExceeded}). */
public final class DeadlineExceededException extends CancellationException {
    private static final long serialVersionUID = 1L;

    /**
     * Made by a context as its {@link Context#err()}: one instance shared by that context, its descendants and every
     * operation that ended for it (CX18), to which nothing may be attached (EG2, EG17).
     */
    final transient boolean shared;

    /** Creates the exception. */
    public DeadlineExceededException() {
        this(false);
    }

    /** A context's own error when {@code shared}. */
    DeadlineExceededException(boolean shared) {
        super("context deadline exceeded");
        this.shared = shared;
    }
}
