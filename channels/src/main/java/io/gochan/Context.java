package io.gochan;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Go's {@code context.Context} for cancellation: a {@link #done()} channel that is closed when the
 * context is cancelled or its deadline passes, {@link #err()} saying why, and children that are
 * cancelled with their parent.
 *
 * <pre>{@code
 * try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(2))) {
 *     Select.statement().receive(results, r -> use(r)).receiveOk(ctx.done(), x -> giveUp(ctx.err())).run();
 * }
 * }</pre>
 *
 * <p>Closing {@code done()} happens-before every receive that observes it closed, and
 * {@link #err()} is set before {@code done()} closes, so a goroutine that saw {@code done()} closed
 * always sees a non-null {@code err()}.
 */
public sealed interface Context permits Contexts.Background, CancellableContext {

    /**
     * A channel closed when this context is cancelled or its deadline passes; nothing is ever sent on
     * it. For {@link #background()} it is a nil channel that never becomes ready.
     *
     * @return a channel closed when this context is cancelled or its deadline passes; nothing is
     *     ever sent on it
     */
    ReceiveChan<Object> done();

    /**
     * {@return null while the context is live; afterwards a {@link ContextCanceledException} or a
     * {@link DeadlineExceededException} (the same instance on every call)}
     */
    CancellationException err();

    /** {@return the deadline, if this context or an ancestor has one} */
    Optional<Instant> deadline();

    /**
     * The root context: never cancelled, no deadline (Go's {@code context.Background()}).
     *
     * @return the background context (one shared instance)
     */
    static Context background() {
        return Contexts.BACKGROUND;
    }

    /**
     * A child that is cancelled by {@link CancellableContext#cancel()} or with its parent.
     *
     * @param parent the context whose cancellation this one follows
     * @return a new child context; cancel it when done, to release it from its parent
     */
    static CancellableContext withCancel(Context parent) {
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), null);
    }

    /**
     * A child that is also cancelled, with {@link DeadlineExceededException}, at {@code deadline} (or at
     * the parent's deadline if that is earlier).
     *
     * @param parent the context whose cancellation this one follows
     * @param deadline when the child is cancelled at the latest
     * @return a new child context; cancel it when done, to release it and its timer
     */
    static CancellableContext withDeadline(Context parent, Instant deadline) {
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), Objects.requireNonNull(deadline, "deadline"));
    }

    /**
     * {@code withDeadline(parent, now + timeout)}.
     *
     * @param parent the context whose cancellation this one follows
     * @param timeout how long to wait at most
     * @return a new child context; cancel it when done, to release it and its timer
     */
    static CancellableContext withTimeout(Context parent, Duration timeout) {
        return withDeadline(parent, Instant.now().plus(Objects.requireNonNull(timeout, "timeout")));
    }
}
