package io.gochan;

/**
 * A {@link Context} that its creator can cancel. {@link #close()} cancels too, so a context can be
 * scoped with try-with-resources (Go's {@code defer cancel()}); all three are idempotent: only the
 * first cancellation sets the error and the cause. Cancelling releases everything the context holds:
 * its deadline task and its registration in its parent.
 *
 * <p>A cancellation is seen whole (rule CX4): every {@code cancel} returns only once this context and
 * every descendant are done, also one that found another cancellation (or the deadline's) under way and
 * did nothing itself; it may wait that long, never longer, and never for a goroutine.
 */
public sealed interface CancellableContext extends Context, AutoCloseable permits Contexts.CancelContext {

    /**
     * Cancels this context and its children with {@link ContextCanceledException}, which is then also
     * the {@link #cause()}; no-op if done.
     */
    void cancel();

    /**
     * Cancels this context and its children with {@link ContextCanceledException} as {@link #err()}
     * and {@code cause} as {@link #cause()} (Go's {@code WithCancelCause} and its cancel function; rule
     * CX5); no-op if done. Children cancelled by this receive the same error and cause.
     *
     * @param cause why the context is cancelled; null means the {@code ContextCanceledException} itself
     */
    void cancel(Throwable cause);

    /** Same as {@link #cancel()}. */
    @Override
    default void close() {
        cancel();
    }
}
