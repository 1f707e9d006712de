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
 * Go's {@code select}, expression form, whose handlers may throw a checked exception {@code X}, which
 * {@link #select()} propagates as itself (rule L11). Start one with a first case,
 * {@link Select#onReceive}, {@link Select#onReceiveOk}, {@link Select#onSend} or {@link Select#onDone}:
 * Java infers the result type {@code R} and the exception type {@code X} from that case's handler, so no
 * type witness is needed.
 *
 * <pre>{@code
 * boolean more = Select.onReceive(lines, line -> { Files.writeString(log, line + "\n", APPEND); return true; })
 *         .done(ctx, () -> false)
 *         .select();   // throws InterruptedException, IOException
 * }</pre>
 *
 * <p>Every handler may also throw {@link InterruptedException}, as {@link #select()} does (rule L22): a handler
 * that blocks on a channel and throws its own checked exception keeps {@code X} precise. Above, a handler that
 * also forwarded each line ({@code out.send(line)}) would still give {@code X = IOException}, not
 * {@code Exception}; one that throws nothing else gives {@code X = RuntimeException}.
 *
 * <p>Later cases must return an {@code R} and throw at most an {@code X} (and {@link InterruptedException}); if
 * they throw another checked exception, widen {@code X}: declare the target, {@code Selection<String, Exception> s =
 * Select.onReceive(...)}, or give the types, {@code Select.<Integer, String, Exception>onReceive(...)}
 * (the channel's element type, the result type, the exception type). Everything else is
 * {@link Select}'s contract (rules L1–L10; operands evaluated when a case is added, L20), which this class
 * shares.
 *
 * @param <R> the handlers' result type
 * @param <X> the checked exception the handlers may throw ({@link RuntimeException} if none)
 */
public final class Selection<R, X extends Exception> {
    private final SelectEngine engine = new SelectEngine();

    Selection() {}

    /**
     * Handler of a receive case.
     *
     * @param <T> the type of the value
     * @param <R> the select's result type
     * @param <X> the checked exception the handler may throw
     */
    @FunctionalInterface
    public interface OnValue<T, R, X extends Exception> {
        /**
         * Handles the received value.
         *
         * @param value the received value
         * @return the select's result when this case is chosen
         * @throws X the handler's failure, propagated by {@code select()} as itself
         * @throws InterruptedException if the handler was interrupted while blocking (on a channel, say); also
         *     propagated as itself, beside {@code X} without widening it (rule L22)
         */
        R apply(T value) throws X, InterruptedException;
    }

    /**
     * Handler of a send, done, timeout or default case.
     *
     * @param <R> the select's result type
     * @param <X> the checked exception the handler may throw
     */
    @FunctionalInterface
    public interface OnEvent<R, X extends Exception> {
        /**
         * Handles the case.
         *
         * @return the select's result when this case is chosen
         * @throws X the handler's failure, propagated by {@code select()} as itself
         * @throws InterruptedException if the handler was interrupted while blocking (on a channel, say); also
         *     propagated as itself, beside {@code X} without widening it (rule L22)
         */
        R get() throws X, InterruptedException;
    }

    /**
     * A receive case; see {@link Select#receive}.
     *
     * @param <T> the type of the channel's values
     * @param channel the channel, or null to disable the case
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return this select
     * @throws IllegalArgumentException if channel is a context's or a future's done channel (L10, GF3): use
     *     {@link #receiveOk}, or {@link #done(Context, OnEvent)} for a context
     */
    public <T> Selection<R, X> receive(ReceiveChan<T> channel, OnValue<? super T, ? extends R, ? extends X> handler) {
        engine.add(SelectEngine.RECEIVE, channel, null, handler);
        return this;
    }

    /**
     * A receive case that also fires on close; see {@link Select#receiveOk}.
     *
     * @param <T> the type of the channel's values
     * @param channel the channel, or null to disable the case
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return this select
     */
    public <T> Selection<R, X> receiveOk(ReceiveChan<T> channel, OnValue<? super Received<T>, ? extends R, ? extends X> handler) {
        engine.add(SelectEngine.RECEIVE_OK, channel, null, handler);
        return this;
    }

    /**
     * A send case; see {@link Select#send}.
     *
     * @param <T> the type of the channel's values
     * @param channel the channel, or null to disable the case
     * @param value the value to send (not null)
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return this select
     * @throws NullPointerException if value is null
     */
    public <T> Selection<R, X> send(SendChan<T> channel, T value, OnEvent<? extends R, ? extends X> handler) {
        engine.add(SelectEngine.SEND, channel, Objects.requireNonNull(value, "null is not a channel value"), handler);
        return this;
    }

    /**
     * A case that fires once {@code ctx} is done; see {@link Select#done(Context, Select.OnReady)} (L9).
     *
     * @param ctx the context
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return this select
     * @throws NullPointerException if ctx is null
     */
    public Selection<R, X> done(Context ctx, OnEvent<? extends R, ? extends X> handler) {
        engine.add(SelectEngine.DONE, Objects.requireNonNull(ctx, "ctx").done(), ctx, handler);
        return this;
    }

    /**
     * A case that makes {@link #select()} throw {@code ctx.err()} once {@code ctx} is done (L9).
     *
     * @param ctx the context
     * @return this select
     * @throws NullPointerException if ctx is null
     */
    public Selection<R, X> done(Context ctx) {
        engine.add(SelectEngine.DONE, Objects.requireNonNull(ctx, "ctx").done(), ctx, SelectEngine.THROW_ERR);
        return this;
    }

    /**
     * A timeout case; see {@link Select#timeout}.
     *
     * @param timeout how long the select waits for another case, from the start of each run
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return this select
     * @throws NullPointerException if timeout is null
     */
    public Selection<R, X> timeout(Duration timeout, OnEvent<? extends R, ? extends X> handler) {
        engine.timeout(TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(timeout, "timeout")), handler);
        return this;
    }

    /**
     * The default case; see {@link Select#orElse}.
     *
     * @param handler runs when this case is chosen, or null: the case yields null
     * @return this select
     * @throws IllegalStateException if a default was already given
     */
    public Selection<R, X> orElse(OnEvent<? extends R, ? extends X> handler) {
        engine.orElse(handler == null ? (OnEvent<R, X>) () -> null : handler);
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
     * @return this select
     * @throws NullPointerException if random is null
     */
    public Selection<R, X> random(RandomGenerator random) {
        engine.random(Objects.requireNonNull(random, "random"));
        return this;
    }

    /**
     * Runs the select; see {@link Select#select()}.
     *
     * @return the value the chosen case's handler returned
     * @throws X what the chosen handler threw, as itself; its case has happened (L17)
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
    public R select() throws InterruptedException, X {
        return dispatch(engine);
    }

    /** Runs the engine once and the chosen case's handler; shared with {@link Select}. */
    static <R, X extends Exception> R dispatch(SelectEngine engine) throws InterruptedException, X {
        return engine.<R, X>runOnce(Selection::outcome); // L12, I4
    }

    /** The chosen case's handler's result (or what the case stands for, thrown). */
    @SuppressWarnings("unchecked")
    private static <R, X extends Exception> R outcome(SelectEngine engine, int i, Object h, Object v) throws InterruptedException, X {
        if (i >= 0 && engine.kind(i) == SelectEngine.DONE) {
            if (h == SelectEngine.THROW_ERR) {
                throw ((Context) engine.sendValue(i)).err();
            }
            return h == null ? null : ((OnEvent<R, X>) h).get();
        }
        if (i < 0 || engine.kind(i) == SelectEngine.SEND) {
            return h == null ? null : ((OnEvent<R, X>) h).get();
        }
        if (engine.kind(i) == SelectEngine.RECEIVE) {
            if (v == ChannelCore.CLOSED) {
                throw engine.channel(i).refusal("receive from closed channel (select case " + i + ")");
            }
            return h == null ? null : ((OnValue<Object, R, X>) h).apply(v);
        }
        Received<Object> r = v == ChannelCore.CLOSED ? Received.closedChannel() : Received.of(v);
        return h == null ? null : ((OnValue<Received<Object>, R, X>) h).apply(r);
    }

    @Override
    public String toString() {
        return engine.toString();
    }
}
