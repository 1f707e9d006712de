package io.gochan;

/**
 * A {@link Context} that its creator can cancel. {@link #close()} cancels too, so a context can be
 * scoped with try-with-resources (Go's {@code defer cancel()}); both are idempotent. Cancelling
 * releases everything the context holds: its deadline task and its registration in its parent.
 */
public sealed interface CancellableContext extends Context, AutoCloseable permits Contexts.CancelContext {

    /** Cancels this context and its children with {@link ContextCanceledException}; no-op if done. */
    void cancel();

    /** Same as {@link #cancel()}. */
    @Override
    default void close() {
        cancel();
    }
}
