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
 *     Select.statement().receive(results, r -> use(r)).done(ctx, () -> giveUp(ctx.err())).run();
 * }
 * }</pre>
 *
 * <p>{@link #err()} and {@link #done()} change together (rule CX1): {@code err()} is null exactly
 * while {@code done()} is open, so a thread that saw {@code done()} closed sees a non-null
 * {@code err()}, and a thread that saw a non-null {@code err()} finds {@code done()} closed. Closing
 * {@code done()} happens-before every receive that observes it closed. Cancelling reaches descendants
 * of any depth (CX4). Deadlines saturate: any {@link Duration} or {@link Instant} is accepted (CX2).
 *
 * <p>The rest of Go's package: {@link #cause()} (Go's {@code context.Cause}) with
 * {@link CancellableContext#cancel(Throwable)} (Go's {@code WithCancelCause}) and the deadline forms
 * taking a cause (CX5, CX6); {@link #withoutCancel} (CX7); {@link #afterFunc} (CX8); values under
 * typed keys, {@link #withValue} and {@link #value} (CX9); {@link #isDone()}, a cheap check (CX10);
 * {@link #todo()}, Go's {@code context.TODO()} (CX25).
 * Values are an immutable chain of bindings, like Go's, not {@code ScopedValue} (ADR 0009). A chain of
 * any depth answers without recursion (CX14), and {@code toString()} prints it as Go does,
 * {@code context.Background.WithCancel.WithValue(ContextKey[user])} (CX13), a deadline as Go's
 * {@code .WithDeadline(2000-01-01 01:00:00 +0000 UTC [1h0m0s])} (CX27).
 *
 * <p>The interface is sealed: every context is one of this package's (CX28). A Go type implementing
 * {@code context.Context} ports as {@link #withValue} bindings for its values, a {@link #withCancel} child cancelled
 * (with a cause) by whoever sees the outside signal, or {@link #withoutCancel} for a wrapper hiding cancellation.
 */
public sealed interface Context
        permits Contexts.NeverCancelled, CancellableContext, Contexts.ValueContext {

    /**
     * A channel closed when this context is cancelled or its deadline passes; nothing is ever sent on
     * it. For {@link #background()} it is a nil channel that never becomes ready.
     *
     * @return the done channel; the same object on every call
     */
    ReceiveChan<Object> done();

    /**
     * Null while {@link #done()} is open; once it is closed, a {@link ContextCanceledException} or a
     * {@link DeadlineExceededException} (the same instance on every call; its message is Go's, {@code context
     * canceled} or {@code context deadline exceeded}; test its type, not its identity as Go compares with
     * {@code context.Canceled}: rule CX18). If the context was
     * cancelled with a cause ({@link #cause()}, CX5, CX6), the error's {@code getCause()} is that cause,
     * so an error thrown by a context-aware operation (CH4) carries it. Once this returns non-null,
     * every descendant's {@code err()} is non-null too (CX4); a cancellation still reaching the
     * descendants makes this wait for it, as Go's {@code Err} waits for the context's mutex.
     *
     * @return why the context is done, or null if it is not
     */
    CancellationException err();

    /**
     * Why the context is done, as given to {@link CancellableContext#cancel(Throwable)} or to a
     * deadline form taking a cause (Go's {@code context.Cause}): null while {@link #done()} is open
     * (it changes together with {@link #err()}, CX5); once done, the cause given by whoever cancelled
     * this context or its nearest cancelled ancestor, or {@link #err()} itself if no cause was given.
     *
     * @return the cause, or null if the context is not done
     */
    Throwable cause();

    /**
     * Whether the context is done: {@code err() != null}, without allocating; a volatile read for a
     * cancellable context (rule CX10). Use it in loops that poll for cancellation.
     *
     * @return true once {@link #done()} is closed
     */
    default boolean isDone() {
        return err() != null;
    }

    /**
     * The value bound to {@code key} by the nearest {@link #withValue} up the chain (Go's
     * {@code ctx.Value(key)}); rule CX9.
     *
     * @param <T> the type of the values stored under {@code key}
     * @param key the key
     * @return the value, or empty if no context up the chain binds {@code key}
     * @throws NullPointerException if key is null
     */
    <T> Optional<T> value(ContextKey<T> key);

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
     * A root context for code that has none to pass yet (Go's {@code context.TODO()}): like {@link #background()}
     * never cancelled, with no deadline and no values, its {@link #done()} a nil channel, but another instance, so
     * that a place still to be given its caller's context can be found (by identity, or by its {@code toString()},
     * {@code "context.TODO"}, as Go's {@code String} prints it, also at the root of a derived context's chain, CX13).
     * Every call returns the same instance (CX25).
     *
     * @return the TODO context, never null
     */
    static Context todo() {
        return Contexts.TODO;
    }

    /**
     * A child that is cancelled by {@link CancellableContext#cancel()} or with its parent.
     *
     * @param parent the parent context
     * @return the child, already cancelled if the parent is
     * @throws NullPointerException if parent is null
     */
    static CancellableContext withCancel(Context parent) {
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), null, null);
    }

    /**
     * Go's {@code WithCancelCause}: the same as {@link #withCancel}, named for Go readers. Every
     * cancellable context takes a cause: {@link CancellableContext#cancel(Throwable)} (CX5).
     *
     * @param parent the parent context
     * @return the child, already cancelled (with the parent's error and cause) if the parent is
     * @throws NullPointerException if parent is null
     */
    static CancellableContext withCancelCause(Context parent) {
        return withCancel(parent);
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
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), Objects.requireNonNull(deadline, "deadline"), null);
    }

    /**
     * Go's {@code WithDeadlineCause}: {@link #withDeadline}, and when the deadline passes
     * {@link #cause()} is {@code cause} (the error is still {@link DeadlineExceededException}); rule CX6.
     * If the parent's deadline is earlier, the child is cancelled with the parent's cause instead.
     *
     * @param parent the parent context
     * @param deadline when the child is cancelled; a past one cancels it at once
     * @param cause the cause reported once the deadline passed (null: the error itself)
     * @return the child
     * @throws NullPointerException if parent or deadline is null
     */
    static CancellableContext withDeadline(Context parent, Instant deadline, Throwable cause) {
        return Contexts.newChild(Objects.requireNonNull(parent, "parent"), Objects.requireNonNull(deadline, "deadline"), cause);
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

    /**
     * Go's {@code WithTimeoutCause}: {@code withDeadline(parent, now + timeout, cause)} (saturating,
     * CX2); rule CX6.
     *
     * @param parent the parent context
     * @param timeout how long until the child is cancelled; zero or negative: at once
     * @param cause the cause reported once the time ran out (null: the error itself)
     * @return the child
     * @throws NullPointerException if parent or timeout is null
     */
    static CancellableContext withTimeout(Context parent, Duration timeout, Throwable cause) {
        Objects.requireNonNull(parent, "parent");
        return withDeadline(parent, Contexts.plusSaturating(Contexts.now(), Objects.requireNonNull(timeout, "timeout")), cause);
    }

    /**
     * Go's {@code WithoutCancel}: a context with the parent's values that is never cancelled and has no
     * deadline, whatever happens to the parent (rule CX7); for work that must outlive a request, such
     * as a cleanup. Cancellable children of it are cancelled only by their own cancel or deadline.
     *
     * @param parent the context whose values are kept
     * @return the detached context
     * @throws NullPointerException if parent is null
     */
    static Context withoutCancel(Context parent) {
        return new Contexts.Detached(Objects.requireNonNull(parent, "parent"));
    }

    /**
     * Go's {@code WithValue}: a context that binds {@code key} to {@code value} and has everything else
     * (done, error, cause, deadline, other values) from its parent (rule CX9). Lookups walk the chain,
     * nearest binding first, so a child can shadow a parent's value; nothing is ever mutated.
     *
     * @param <T> the type of the values stored under {@code key}
     * @param parent the parent context
     * @param key the key (compared by identity)
     * @param value the value (not null: unlike Go's {@code WithValue(ctx, k, nil)}, a null value cannot mask a
     *     parent's binding, rule CX19)
     * @return the child context
     * @throws NullPointerException if an argument is null
     */
    static <T> Context withValue(Context parent, ContextKey<T> key, T value) {
        return new Contexts.ValueContext(Objects.requireNonNull(parent, "parent"), Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, "value"));
    }

    /**
     * Go's {@code AfterFunc}: runs {@code f} in its own goroutine once {@code ctx} is done (at once, in
     * a goroutine, if it already is), unless {@link AfterFunc#stop()} is called first (rule CX8). Each
     * call registers independently. For a context that is never done (the background, a
     * {@link #withoutCancel} context) nothing is registered and {@code f} never runs. The goroutine is started by
     * whoever completes the cancellation, as Go's {@code go f()} in {@code cancel}: a goroutine of a virtual-time
     * {@link Bubble} (or its clock's deadline) starts it in that bubble, a thread outside every bubble outside.
     * If that start fails (no thread could start), it is tried again 100 ms later until it starts, so {@code f}
     * runs exactly when {@code stop()} returned false (CX15); in a bubble, the bubble waits for it and its
     * goroutine joins the bubble (CX20).
     *
     * @param ctx the context to watch
     * @param f the function; an exception it throws goes to the goroutine uncaught-exception handler
     * @return the registration, whose {@code stop()} (or {@code close()}: try-with-resources, TM16) prevents the call
     * @throws NullPointerException if ctx or f is null
     */
    static AfterFunc afterFunc(Context ctx, Runnable f) {
        return Contexts.afterFunc(Objects.requireNonNull(ctx, "ctx"), Objects.requireNonNull(f, "f"));
    }
}
