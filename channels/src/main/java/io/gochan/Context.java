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
 * <p>{@link #err()} and {@link #done()} change together (rule CX1): {@code err()} is null exactly
 * while {@code done()} is open, so a thread that saw {@code done()} closed sees a non-null
 * {@code err()}, and a thread that saw a non-null {@code err()} finds {@code done()} closed. Closing
 * {@code done()} happens-before every receive that observes it closed. Cancelling reaches descendants
 * of any depth (CX4). Deadlines saturate: any {@link Duration} or {@link Instant} is accepted (CX2).
 */
public sealed interface Context permits Contexts.Background, CancellableContext {

    /**
     * A channel closed when this context is cancelled or its deadline passes; nothing is ever sent on
     * it. For {@link #background()} it is a nil channel that never becomes ready.
     *
     * @return the done channel; the same object on every call
     */
    ReceiveChan<Object> done();

    /**
     * Null while {@link #done()} is open; once it is closed, a {@link ContextCanceledException} or a
     * {@link DeadlineExceededException} (the same instance on every call).
     *
     * @return why the context is done, or null if it is not
     */
    CancellationException err();

    /**
     * The deadline, if this context or an ancestor has one.
     *
     * @return the earliest deadline of this context and its ancestors ({@link Instant#MAX} for one
     *     saturated beyond the time line), or empty
     */
    Optional<Instant> deadline();

    /**
     * The root context: never cancelled, no deadline (Go's {@code context.Background()}).
     *
     * @return the background context
     */
    static Context background() {
        return Contexts.BACKGROUND;
    }

    /**
     * A child that is cancelled by {@link CancellableContext#cancel()} or with its parent.
     *
     * @param parent the parent context
     * @return the child, already cancelled if the parent is
     * @throws NullPointerException if parent is null
     */
    static CancellableContext withCancel(Context parent) {
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), null);
    }

    /**
     * A child that is also cancelled, with {@link DeadlineExceededException}, at {@code deadline} (or at
     * the parent's deadline if that is earlier). Any instant is accepted; one too far away to be reached
     * (beyond about 292 years) never fires (CX2). Nothing is registered with the parent if this throws
     * (CX3).
     *
     * @param parent the parent context
     * @param deadline when the child is cancelled; a past one cancels it at once
     * @return the child
     * @throws NullPointerException if parent or deadline is null
     */
    static CancellableContext withDeadline(Context parent, Instant deadline) {
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), Objects.requireNonNull(deadline, "deadline"));
    }

    /**
     * {@code withDeadline(parent, now + timeout)}, the sum saturating at {@link Instant#MAX} (any
     * duration is accepted, up to {@code ChronoUnit.FOREVER}: rule CX2).
     *
     * @param parent the parent context
     * @param timeout how long until the child is cancelled; zero or negative: at once
     * @return the child
     * @throws NullPointerException if parent or timeout is null
     */
    static CancellableContext withTimeout(Context parent, Duration timeout) {
        Objects.requireNonNull(parent, "parent");
        return withDeadline(parent, Contexts.plusSaturating(Contexts.now(), Objects.requireNonNull(timeout, "timeout")));
    }
}
