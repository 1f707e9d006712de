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
 * Go's {@code select}, statement form: handlers return nothing; {@link #run()} returns the index of
 * the case that fired (in the order cases were added; {@link #TIMEOUT} or {@link #DEFAULT} for those).
 * Same semantics as {@link Select}, whose javadoc states them: built once, run many times, by one
 * thread at a time (an overlapping run is refused, rule L12); its cases' channels and values are evaluated
 * when they are added, not at each run (rule L20).
 *
 * <pre>{@code
 * SelectStatement loop = Select.statement()
 *         .receive(jobs, job -> process(job))
 *         .done(ctx, () -> stop = true);
 * while (!stop) loop.run();
 * }</pre>
 */
public final class SelectStatement {
    /** {@link #run()}'s result when the timeout case fired. */
    public static final int TIMEOUT = SelectEngine.TIMEOUT;
    /** {@link #run()}'s result when the default case fired. */
    public static final int DEFAULT = SelectEngine.DEFAULT;

    private final SelectEngine engine = new SelectEngine();

    SelectStatement() {}

    /**
     * Handler of a receive case.
     *
     * @param <T> the type of the channel's values
     */
    @FunctionalInterface
    public interface OnReceive<T> {
        /**
         * Handles the received value.
         *
         * @param value the received value
         * @throws InterruptedException if the handler was interrupted while blocking
         */
        void accept(T value) throws InterruptedException;
    }

    /** Handler of a send, timeout or default case. */
    @FunctionalInterface
    public interface OnReady {
        /**
         * Handles the case.
         *
         * @throws InterruptedException if the handler was interrupted while blocking
         */
        void run() throws InterruptedException;
    }

    /**
     * A receive case; see {@link Select#receive}. A null channel disables the case; a null handler does nothing.
     * A context's {@code done()} channel and a future's ({@link io.gochan.GoFuture#done()}) are refused (L10, GF3):
     * use {@link #done(Context, OnReady)} for a context, {@link #receiveOk} for either.
     *
     * @param <T> the type of the channel's values
     * @param channel the channel, or null to disable the case
     * @param handler runs when this case is chosen; may block; null: the case does nothing
     * @return this statement, to add more cases or run it
     * @throws IllegalArgumentException if channel is a context's or a future's done channel (L10, GF3)
     */
    public <T> SelectStatement receive(ReceiveChan<T> channel, OnReceive<? super T> handler) {
        engine.add(SelectEngine.RECEIVE, channel, null, handler);
        return this;
    }

    /**
     * A receive case that also fires on close; see {@link Select#receiveOk}.
     *
     * @param <T> the type of the channel's values
     * @param channel the channel, or null to disable the case
     * @param handler runs when this case is chosen; may block; null: the case does nothing
     * @return this statement, to add more cases or run it
     */
    public <T> SelectStatement receiveOk(ReceiveChan<T> channel, OnReceive<? super Received<T>> handler) {
        engine.add(SelectEngine.RECEIVE_OK, channel, null, handler);
        return this;
    }

    /**
     * A send case; see {@link Select#send}.
     *
     * @param <T> the type of the channel's values
     * @param channel the channel, or null to disable the case
     * @param value the value to send (not null)
     * @param handler runs when this case is chosen; may block; null: the case does nothing
     * @return this statement, to add more cases or run it
     * @throws NullPointerException if value is null (null is not a channel value)
     */
    public <T> SelectStatement send(SendChan<T> channel, T value, OnReady handler) {
        engine.add(SelectEngine.SEND, channel, Objects.requireNonNull(value, "null is not a channel value"), handler);
        return this;
    }

    /**
     * A case that fires once {@code ctx} is done; see {@link Select#done(Context, Select.OnReady)} (L9).
     *
     * @param ctx the context
     * @param handler runs when this case is chosen; may block; null: the case does nothing
     * @return this statement, to add more cases or run it
     * @throws NullPointerException if ctx is null
     */
    public SelectStatement done(Context ctx, OnReady handler) {
        engine.add(SelectEngine.DONE, Objects.requireNonNull(ctx, "ctx").done(), ctx, handler);
        return this;
    }

    /**
     * A case that makes {@link #run()} throw {@code ctx.err()} once {@code ctx} is done (L9).
     *
     * @param ctx the context
     * @return this statement, to add more cases or run it
     * @throws NullPointerException if ctx is null
     */
    public SelectStatement done(Context ctx) {
        engine.add(SelectEngine.DONE, Objects.requireNonNull(ctx, "ctx").done(), ctx, SelectEngine.THROW_ERR);
        return this;
    }

    /**
     * A timeout case; see {@link Select#timeout}.
     *
     * @param timeout how long the select waits for another case, from the start of each run
     * @param handler runs when this case is chosen; may block; null: the case does nothing
     * @return this statement, to add more cases or run it
     * @throws NullPointerException if timeout is null
     */
    public SelectStatement timeout(Duration timeout, OnReady handler) {
        engine.timeout(TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(timeout, "timeout")), handler);
        return this;
    }

    /**
     * The default case; see {@link Select#orElse}.
     *
     * @param handler runs when this case is chosen; may block; null: the case does nothing
     * @return this statement, to add more cases or run it
     * @throws IllegalStateException if a default was already given
     */
    public SelectStatement orElse(OnReady handler) {
        engine.orElse(handler == null ? (OnReady) () -> { } : handler);
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
     * @return this statement, to add more cases or run it
     * @throws NullPointerException if random is null
     */
    public SelectStatement random(RandomGenerator random) {
        engine.random(Objects.requireNonNull(random, "random"));
        return this;
    }

    /**
     * Runs the select once and the chosen case's handler.
     *
     * @return the chosen case's index, or {@link #TIMEOUT} / {@link #DEFAULT}
     * @throws ChannelClosedException as {@link Select#select()}
     * @throws java.util.concurrent.CancellationException {@code ctx.err()} if a {@link #done(Context)}
     *     case was chosen
     * @throws InterruptedException if interrupted while waiting: no case happened; or thrown by the chosen
     *     case's handler, after its case happened (L17: a handler's exception propagates as itself, the value
     *     its receive case took is the handler's)
     * @throws IllegalStateException if another run of this statement is in progress, on another thread
     *     (one thread at a time; rule L12); nothing happened. A handler may run its statement again.
     *     {@link ChannelClosedException} is an {@code IllegalStateException} too, and so is a virtual-time
     *     bubble's refusal of a channel used from outside it (BB6, BB24): a {@code catch} meant for the misuse
     *     should catch {@code ChannelClosedException} first, or test the type
     */
    public int run() throws InterruptedException {
        return engine.<Integer, RuntimeException>runOnce(SelectStatement::dispatch); // L12, I4
    }

    /** Runs the chosen case's handler (or throws what it stands for) and returns its index. */
    @SuppressWarnings("unchecked")
    private static Integer dispatch(SelectEngine engine, int i, Object h, Object v) throws InterruptedException {
        if (i >= 0 && engine.kind(i) == SelectEngine.DONE && h == SelectEngine.THROW_ERR) {
            throw ((Context) engine.sendValue(i)).err();
        }
        if (i < 0 || engine.kind(i) == SelectEngine.SEND || engine.kind(i) == SelectEngine.DONE) {
            if (h != null) {
                ((OnReady) h).run();
            }
            return i;
        }
        if (engine.kind(i) == SelectEngine.RECEIVE) {
            if (v == ChannelCore.CLOSED) {
                throw engine.channel(i).refusal("receive from closed channel (select case " + i + ")");
            }
            if (h != null) {
                ((OnReceive<Object>) h).accept(v);
            }
        } else if (h != null) {
            ((OnReceive<Received<Object>>) h).accept(v == ChannelCore.CLOSED ? Received.closedChannel() : Received.of(v));
        }
        return i;
    }

    @Override
    public String toString() {
        return engine.toString();
    }
}
