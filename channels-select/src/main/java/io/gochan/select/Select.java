package io.gochan.select;

import io.gochan.ChannelClosedException;
import io.gochan.Context;
import io.gochan.ReceiveChan;
import io.gochan.Received;
import io.gochan.SendChan;
import io.gochan.spi.ChannelCore;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Go's {@code select}, expression form: each case has a handler returning a value, and
 * {@link #select()} returns the value of the one case that fired.
 *
 * <pre>{@code
 * String r = Select.<String>cases()
 *         .receive(results, v -> "got " + v)
 *         .send(requests, job, () -> "sent")
 *         .timeout(Duration.ofSeconds(1), () -> "timed out")
 *         .select();
 * }</pre>
 *
 * <p>Semantics (rules L1–L8 of the rule catalogue, docs/spec/select.md):
 * <ul>
 *   <li>{@link #select()} blocks until one case can proceed, performs exactly that one, and runs its
 *       handler (L1). If several are ready, one is chosen uniformly at random (L2).</li>
 *   <li>With {@link #orElse} (Go's {@code default}) it never blocks (L3).</li>
 *   <li>A receive case on a closed channel is ready: a {@link #receiveOk} case's handler sees
 *       {@code closed()}, a plain {@link #receive} case throws {@link ChannelClosedException} when
 *       chosen. A send case on a closed channel throws {@link ChannelClosedException} when chosen,
 *       also if the channel closes while the select waits (L4).</li>
 *   <li>A case whose channel is null, or {@link io.gochan.Chan#nil()}, is disabled: never ready, never
 *       chosen (Go's nil channel, N1). With no enabled case, no default and no timeout, {@code select()}
 *       blocks until interrupted (Go's {@code select {}}, L5).</li>
 *   <li>No value is lost or duplicated when selects race with each other, with plain operations,
 *       close, timeout or interrupt; the registrations on the channels that lost are removed before
 *       {@code select()} returns (L6). The same channel may appear in several cases (L7).</li>
 *   <li>{@link #timeout(Duration, OnReady)} fires if no other case became ready in time (L8); a timer channel
 *       ({@link io.gochan.Timers#after}) works as an ordinary receive case.</li>
 * </ul>
 * Handlers run on the selecting thread after every channel lock is released. A handler's exception
 * propagates from {@code select()} as itself, and its case has happened by then (rule L17): the value a
 * receive case took is the handler's alone (it is not put back, nor handed to anyone else), a send case's
 * value was sent. Blocking is interruptible: an {@link InterruptedException} from the wait means no case
 * happened; one a handler throws means its case did. If the interrupt comes as a case completes, the case
 * wins: its handler runs with the interrupt flag set and {@code select()} returns normally, the flag still set
 * (rule I2), so the handler's next blocking call throws at once; a run that returns normally has not
 * necessarily consumed an interrupt.
 *
 * <p>Odd shapes (rule L18): a select with no case, or only disabled ones, takes its default at once, else
 * its timeout when the time is up, else waits until interrupted (L5). A default makes a timeout case
 * idle: with nothing ready the default fires at once, so the timeout never does (as Go's {@code default}
 * beside a {@code time.After} case). Of several timeouts the shortest counts (the first given among
 * equal ones); a second default is refused. A run entered with the interrupt flag set that need not wait
 * (a ready case, a default, a timeout whose time is up) completes and leaves the flag set; one that would
 * wait throws {@link InterruptedException} at once and takes nothing.
 *
 * <p>A case's channel and value are evaluated once, in the order the cases are added, when the select is
 * built (Go evaluates them each time it enters the statement); a run evaluates nothing, so a select run again
 * sends the same values on the same channels, and a variable reassigned after building (Go's {@code ch = nil}
 * to disable a case in a loop) changes nothing: build the select in the loop for that (rule L20).
 *
 * <p>A {@code Select} can be built once and {@link #select()}ed many times. A run allocates no wait
 * records, also when it blocks (it reuses its thread's waiter and case nodes; the first blocking run on a
 * thread makes them, and a select of more than 64 cases makes its nodes again each time it blocks). What a
 * run does allocate: a {@link Received} for each value a {@link #receiveOk} case takes (blocked or not; a
 * close needs none), the sort of a select with more than 32 enabled cases each time it locks them all (L16),
 * and in {@link SelectStatement#run()} the boxed index of a case above 127. A {@code Select} is not
 * thread-safe, so use one per thread. A run that overlaps another run of the
 * same select (another thread's) throws {@link IllegalStateException} before touching any channel, and
 * so does adding a case during a run (rule L12), on a best-effort basis as a collection's
 * {@link java.util.ConcurrentModificationException}: two runs that start at the same instant may both
 * proceed. A handler may run its own select again.
 *
 * @param <R> the handlers' result type
 */
public final class Select<R> {
    private final SelectEngine engine = new SelectEngine();

    private Select() {}

    /**
     * An empty select; add cases, then call {@link #select()}.
     *
     * @param <R> the type of the select's result
     * @return a new select with no cases
     */
    public static <R> Select<R> cases() {
        return new Select<>();
    }

    /**
     * A select whose first case is a receive: the result type and the checked exception its handlers
     * may throw are inferred from {@code handler} (rule L11); add more cases to the returned
     * {@link Selection}.
     *
     * @param <T> the type of the channel's values
     * @param <R> the select's result type
     * @param <X> the checked exception the handlers may throw
     * @param channel the channel, or null to disable the case
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return a new select with this case
     * @throws IllegalArgumentException if channel is a context's or a future's done channel (L10, GF3): use
     *     {@link #onReceiveOk}, or {@link #onDone} for a context
     */
    public static <T, R, X extends Exception> Selection<R, X> onReceive(ReceiveChan<T> channel,
            Selection.OnValue<? super T, ? extends R, ? extends X> handler) {
        return new Selection<R, X>().receive(channel, handler);
    }

    /**
     * A select whose first case is a receive-with-close ({@link #receiveOk}); types inferred as for
     * {@link #onReceive}.
     *
     * @param <T> the type of the channel's values
     * @param <R> the select's result type
     * @param <X> the checked exception the handlers may throw
     * @param channel the channel, or null to disable the case
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return a new select with this case
     */
    public static <T, R, X extends Exception> Selection<R, X> onReceiveOk(ReceiveChan<T> channel,
            Selection.OnValue<? super Received<T>, ? extends R, ? extends X> handler) {
        return new Selection<R, X>().receiveOk(channel, handler);
    }

    /**
     * A select whose first case is a send; types inferred as for {@link #onReceive}.
     *
     * @param <T> the type of the channel's values
     * @param <R> the select's result type
     * @param <X> the checked exception the handlers may throw
     * @param channel the channel, or null to disable the case
     * @param value the value to send (not null)
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return a new select with this case
     * @throws NullPointerException if value is null
     */
    public static <T, R, X extends Exception> Selection<R, X> onSend(SendChan<T> channel, T value,
            Selection.OnEvent<? extends R, ? extends X> handler) {
        return new Selection<R, X>().send(channel, value, handler);
    }

    /**
     * A select whose first case fires when {@code ctx} is done ({@link #done(Context, OnReady)});
     * types inferred as for {@link #onReceive}.
     *
     * @param <R> the select's result type
     * @param <X> the checked exception the handlers may throw
     * @param ctx the context
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return a new select with this case
     * @throws NullPointerException if ctx is null
     */
    public static <R, X extends Exception> Selection<R, X> onDone(Context ctx, Selection.OnEvent<? extends R, ? extends X> handler) {
        return new Selection<R, X>().done(ctx, handler);
    }

    /**
     * An empty statement-form select (handlers return nothing); see {@link SelectStatement}.
     *
     * @return a new statement-form select with no cases
     */
    public static SelectStatement statement() {
        return new SelectStatement();
    }

    /**
     * Handler of a receive case.
     *
     * @param <R> the type of the select's result
     * @param <T> the type of the channel's values
     */
    @FunctionalInterface
    public interface OnReceive<T, R> extends Selection.OnValue<T, R, InterruptedException> {
        /**
         * Handles the received value.
         *
         * @param value the received value
         * @return the select's result when this case is chosen
         * @throws InterruptedException if the handler was interrupted while blocking
         */
        @Override
        R apply(T value) throws InterruptedException;
    }

    /**
     * Handler of a send, timeout or default case.
     *
     * @param <R> the type of the select's result
     */
    @FunctionalInterface
    public interface OnReady<R> extends Selection.OnEvent<R, InterruptedException> {
        /**
         * Handles the case.
         *
         * @return the select's result when this case is chosen
         * @throws InterruptedException if the handler was interrupted while blocking
         */
        @Override
        R get() throws InterruptedException;
    }

    /**
     * A receive case. When chosen because the channel is closed and drained, {@link #select()}
     * throws {@link ChannelClosedException} (use {@link #receiveOk} to handle close as a value; rule
     * L4). A context's {@code done()} channel and a future's ({@link io.gochan.GoFuture#done()}) are refused
     * here (rules L10, GF3), since they are only ever closed: use {@link #done(Context, OnReady)} for a context,
     * {@link #receiveOk} for either.
     *
     * @param channel the channel, or null to disable the case
     * @param <T> the type of the channel's values
     * @param handler runs when this case is chosen; may block; null: the case yields null
     * @return this select, to add more cases or run it
     * @throws IllegalArgumentException if channel is a context's or a future's done channel (L10, GF3)
     */
    public <T> Select<R> receive(ReceiveChan<T> channel, OnReceive<? super T, ? extends R> handler) {
        engine.add(SelectEngine.RECEIVE, channel, null, handler);
        return this;
    }

    /**
     * A receive case that also fires, with {@code closed()}, when the channel is closed and drained
     * (Go's {@code case v, ok := <-ch}).
     *
     * @param channel the channel, or null to disable the case
     * @param <T> the type of the channel's values
     * @param handler runs when this case is chosen; may block; null: the case yields null
     * @return this select, to add more cases or run it
     */
    public <T> Select<R> receiveOk(ReceiveChan<T> channel, OnReceive<? super Received<T>, ? extends R> handler) {
        engine.add(SelectEngine.RECEIVE_OK, channel, null, handler);
        return this;
    }

    /**
     * A send case: fires when {@code value} was sent.
     *
     * @param channel the channel, or null to disable the case
     * @param <T> the type of the channel's values
     * @param value the value to send (not null)
     * @param handler runs when this case is chosen; may block; null: the case yields null
     * @return this select, to add more cases or run it
     * @throws NullPointerException if value is null (null is not a channel value)
     */
    public <T> Select<R> send(SendChan<T> channel, T value, OnReady<? extends R> handler) {
        engine.add(SelectEngine.SEND, channel, Objects.requireNonNull(value, "null is not a channel value"), handler);
        return this;
    }

    /**
     * A case that fires once {@code ctx} is done (rule L9): Go's {@code case <-ctx.Done():}. It is a
     * receive-with-close case on {@code ctx.done()}, so it never throws; for
     * {@link io.gochan.Context#background()} (never done) it is disabled.
     *
     * @param ctx the context
     * @param handler runs when this case is chosen; may block; may read {@code ctx.err()} and
     *     {@code ctx.cause()}, both non-null then
     * @return this select, to add more cases or run it
     * @throws NullPointerException if ctx is null
     */
    public Select<R> done(Context ctx, OnReady<? extends R> handler) {
        engine.add(SelectEngine.DONE, Objects.requireNonNull(ctx, "ctx").done(), ctx, handler);
        return this;
    }

    /**
     * A case that makes {@link #select()} throw {@code ctx.err()} once {@code ctx} is done (rule L9):
     * Go's {@code case <-ctx.Done(): return ctx.Err()}.
     *
     * @param ctx the context
     * @return this select, to add more cases or run it
     * @throws NullPointerException if ctx is null
     */
    public Select<R> done(Context ctx) {
        engine.add(SelectEngine.DONE, Objects.requireNonNull(ctx, "ctx").done(), ctx, SelectEngine.THROW_ERR);
        return this;
    }

    /**
     * A timeout case: fires if no other case could proceed within {@code timeout}, measured from the
     * start of each {@link #select()}. With several, the shortest counts (the first given among equal
     * ones; all zero or negative ones are equal). Zero or negative: fires at once if no other case is ready. Beside a default it never fires
     * (L18).
     *
     * @param timeout how long the select waits for another case, from the start of each run
     * @param handler runs when this case is chosen; may block; null: the case yields null
     * @return this select, to add more cases or run it
     * @throws NullPointerException if timeout is null
     */
    public Select<R> timeout(Duration timeout, OnReady<? extends R> handler) {
        engine.timeout(TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(timeout, "timeout")), handler);
        return this;
    }

    /**
     * The default case: fires at once if no other case is ready (Go's {@code default}), so a timeout
     * case of the same select never fires (L18).
     *
     * @param handler runs when this case is chosen; may block; null: the case yields null
     * @return this select, to add more cases or run it
     * @throws IllegalStateException if a default was already given
     */
    public Select<R> orElse(OnReady<? extends R> handler) {
        engine.orElse(handler == null ? (OnReady<R>) () -> null : handler);
        return this;
    }

    /**
     * Uses {@code random} instead of {@link java.util.concurrent.ThreadLocalRandom} for the choice among
     * ready cases: with a seeded generator, a test of one's own select code sees the same choices on every run.
     * It is called on the thread that runs the select, with every channel of the select locked (and on the
     * lock-free fast path with none): it must not block, nor use a channel. One generator shared by selects
     * that run at the same time on several threads must be thread-safe ({@link java.util.Random} is,
     * {@link java.util.SplittableRandom} is not).
     *
     * @param random the source of the choice among ready cases
     * @return this select, to add more cases or run it
     * @throws NullPointerException if random is null
     */
    public Select<R> random(RandomGenerator random) {
        engine.random(Objects.requireNonNull(random, "random"));
        return this;
    }

    /**
     * Runs the select: blocks until one case proceeds (or the timeout, or at once for a default),
     * then runs that case's handler and returns its result (null for a null handler).
     *
     * @return the value the chosen case's handler returned
     * @throws ChannelClosedException if the chosen case is a send on a closed channel, or a plain
     *     receive on a closed and drained channel
     * @throws java.util.concurrent.CancellationException {@code ctx.err()} if a {@link #done(Context)}
     *     case without handler was chosen
     * @throws InterruptedException if interrupted while waiting: no case happened; or thrown by the chosen
     *     case's handler, after its case happened (L17)
     * @throws IllegalStateException if another run of this select is in progress (L12); nothing happened.
     *     {@link ChannelClosedException} is an {@code IllegalStateException} too, and so is a virtual-time
     *     bubble's refusal of a channel used from outside it (BB6, BB24): a {@code catch} meant for the misuse
     *     should catch {@code ChannelClosedException} first, or test the type
     */
    public R select() throws InterruptedException {
        return Selection.<R, InterruptedException>dispatch(engine);
    }

    @Override
    public String toString() {
        return engine.toString();
    }
}
