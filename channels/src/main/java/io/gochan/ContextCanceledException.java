package io.gochan;

import java.util.concurrent.CancellationException;

/** {@link Context#err()} of a context that was cancelled (Go's {@code context.Canceled}). */
public final class ContextCanceledException extends CancellationException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public ContextCanceledException() {
        super("context canceled");
    }
}
