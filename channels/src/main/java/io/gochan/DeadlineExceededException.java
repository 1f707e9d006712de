package io.gochan;

import java.util.concurrent.CancellationException;

/** {@link Context#err()} of a context whose deadline passed (Go's {@code context.DeadlineExceeded}). */
public final class DeadlineExceededException extends CancellationException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public DeadlineExceededException() {
        super("context deadline exceeded");
    }
}
