package io.gochan;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import io.gochan.spi.ParkHook;

import java.time.Duration;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A typed channel with Go's semantics: unbuffered (rendezvous) when created with capacity 0,
 * buffered FIFO with exactly {@code capacity} slots otherwise.
 *
 * <pre>{@code
 * Chan<String> ch = Chan.make(16);
 * Go.go(() -> { ch.send("hello"); ch.close(); });
 * for (String s : ch) System.out.println(s);   // prints hello, then the loop ends
 * }</pre>
 *
 * <p>The full contract is on {@link SendChan} and {@link ReceiveChan}, which this class implements; in
 * short: {@code null} is rejected (C3); sends block until taken (unbuffered) or buffered (S1, S2);
 * FIFO per channel, and blocked senders and receivers are each served in arrival order (S3); a send
 * happens-before the receive of its value, and the k-th receive happens-before the (k+C)-th send
 * completes (S4); close drains, then reports "closed" (K1–K5); every blocking call is interruptible
 * without losing or duplicating a value (I1–I3). Blocking never pins a carrier thread: waits park
 * through {@link java.util.concurrent.locks.LockSupport} and the channel's lock is a
 * {@link java.util.concurrent.locks.ReentrantLock} held only for a few field updates.
 *
 * <p>Beyond Go (rules OV1–OV5): {@link #make(int, OverflowPolicy)} makes a buffered channel whose
 * sends never wait but drop a value when the buffer is full (Kotlin's {@code BufferOverflow}),
 * {@link #conflated()} one that keeps only the newest value, and {@link #unlimited()} one whose buffer
 * grows without bound. Their receive and close are Go's.
 *
 * <p>Hand out one side only with {@link #sendOnly()} or {@link #receiveOnly()}: the views cannot be
 * cast back to {@code Chan}. Go's nil channel is {@link #nil()}.
 *
 * <p>Equality is Go's (rule CH1): a channel and its views are equal to each other, channels made by
 * different {@code make} calls are not, and every nil channel equals every other nil channel.
 *
 * @param <T> the element type
 */
public final class Chan<T> implements SendChan<T>, ReceiveChan<T> {

    /**
     * The accessor {@link ChannelCores} uses to reach a channel's core. It installs itself when
     * {@link ChannelCores#of} first initializes it, not from a static initializer of {@code Chan}: a
     * program that only uses channels (never select, a timer or the transport) then loads neither this
     * class nor {@code ChannelCores} on its first {@code Chan.make} (cold start, benchmark B8). A class,
     * not {@code Chan::coreOf}: a method reference's first bootstrap spins a hidden class.
     */
    private static final class CoreAccess implements java.util.function.Function<Object, ChannelCore> {
        static {
            ChannelCores.install(new CoreAccess());
        }

        @Override
        public ChannelCore apply(Object channel) {
            return coreOf(channel);
        }
    }

    /**
     * What {@link #cap()} reports for an {@link #unlimited()} channel: {@link Integer#MAX_VALUE}, which no
     * {@link #make(int)} capacity can be (OV4).
     */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    private final ChannelCore core;

    private Chan(ChannelCore core) {
        this.core = core;
    }

    /**
     * A new unbuffered channel (capacity 0): every send waits for its receiver.
     *
     * @param <T> the type of the values
     * @return a new unbuffered channel
     */
    public static <T> Chan<T> make() {
        return new Chan<>(ChannelCore.create(0));
    }

    /**
     * A new channel with {@code capacity} buffer slots; 0 means unbuffered. The capacity is a bound: the
     * buffer's memory grows with the values actually buffered (up to the bound), so a large capacity
     * costs nothing until it is used (rule CH2).
     *
     * @param <T> the element type
     * @param capacity the number of values the channel buffers, at most {@link Integer#MAX_VALUE} - 8
     * @return the new channel
     * @throws IllegalArgumentException if capacity is negative (C1) or above {@code Integer.MAX_VALUE - 8},
     *     the largest array the JVM allocates (CH2); its message starts with Go's panic text,
     *     "makechan: size out of range" (CH8)
     */
    public static <T> Chan<T> make(int capacity) {
        return new Chan<>(ChannelCore.create(capacity));
    }

    /**
     * A new buffered channel whose sends never wait (rules OV1, OV2, OV5): a send hands its value to a
     * waiting receiver if there is one, else buffers it if there is room, else applies {@code overflow}:
     * {@link OverflowPolicy#DROP_OLDEST} drops the oldest buffered value and buffers the new one,
     * {@link OverflowPolicy#DROP_LATEST} drops the value being sent. Either way the send returns
     * normally, {@code trySend} returns true and a select send case is always ready while the channel
     * is open. {@link OverflowPolicy#SUSPEND} is Go's channel, as {@link #make(int)}. Close, receive,
     * {@code len} and {@code cap} are Go's. Dropped values are not reported; use
     * {@link #make(int, OverflowPolicy, Consumer)} to see them.
     *
     * @param <T> the element type
     * @param capacity the number of values the channel buffers, at least 1 with a drop policy
     * @param overflow what a send does when the buffer is full and no receiver waits
     * @return the new channel
     * @throws IllegalArgumentException if capacity is negative or above {@code Integer.MAX_VALUE - 8}, or
     *     0 with a drop policy (an unbuffered channel has no buffer to drop from: OV5)
     * @throws NullPointerException if overflow is null
     */
    public static <T> Chan<T> make(int capacity, OverflowPolicy overflow) {
        return new Chan<>(ChannelCore.create(capacity, overflow, null));
    }

    /**
     * As {@link #make(int, OverflowPolicy)}, and every value the policy drops is passed to
     * {@code onUndelivered} exactly once (rule OV3; Kotlin's {@code onUndeliveredElement}), so that a
     * value holding a resource can be released. The callback runs on the thread whose send dropped the
     * value, after that send has completed and after the channel's lock is released. It should be short
     * and must not block on channels: inside a {@code select} it may run before the select has released
     * its other channels' locks. An exception it throws is logged ({@link System.Logger}, ERROR), never
     * thrown from the send, whose own value was handled. Values still buffered when a channel is closed
     * are not dropped: receivers drain them.
     *
     * @param <T> the element type
     * @param capacity the number of values the channel buffers, at least 1 with a drop policy
     * @param overflow what a send does when the buffer is full and no receiver waits
     * @param onUndelivered receives each dropped value once (never called with {@code SUSPEND})
     * @return the new channel
     * @throws IllegalArgumentException as {@link #make(int, OverflowPolicy)}
     * @throws NullPointerException if overflow or onUndelivered is null
     */
    public static <T> Chan<T> make(int capacity, OverflowPolicy overflow, Consumer<? super T> onUndelivered) {
        Objects.requireNonNull(onUndelivered, "onUndelivered");
        return new Chan<>(ChannelCore.create(capacity, overflow, new Undelivered<>(onUndelivered)));
    }

    /**
     * A new conflated channel (rule OV2): capacity 1 with {@link OverflowPolicy#DROP_OLDEST}, so a send
     * never waits and a receiver gets the newest value sent since its last receive (Kotlin's
     * {@code Channel.CONFLATED}). {@code cap()} is 1.
     *
     * @param <T> the element type
     * @return the new channel
     */
    public static <T> Chan<T> conflated() {
        return make(1, OverflowPolicy.DROP_OLDEST);
    }

    /**
     * As {@link #conflated()}, with every replaced (dropped) value passed to {@code onUndelivered} once,
     * as {@link #make(int, OverflowPolicy, Consumer)} describes (OV3).
     *
     * @param <T> the element type
     * @param onUndelivered receives each dropped value once
     * @return the new channel
     * @throws NullPointerException if onUndelivered is null
     */
    public static <T> Chan<T> conflated(Consumer<? super T> onUndelivered) {
        return make(1, OverflowPolicy.DROP_OLDEST, onUndelivered);
    }

    /**
     * A new unlimited channel (rule OV4; Kotlin's {@code Channel.UNLIMITED}): a send never waits and
     * never drops; the buffer's memory grows with the values held (by doubling, from 16 slots) and is
     * given back as they are received (halved once at most a quarter full, down to 16 slots; rule OV6).
     * {@code cap()} reports {@link #UNLIMITED}; {@code len()} the values held. At the JVM's array
     * limit ({@code Integer.MAX_VALUE - 8} values held) a send throws {@link IllegalStateException} and
     * the value is not sent (it stays the caller's); before that the heap may run out
     * ({@link OutOfMemoryError}, the value not sent either). Receive and close are Go's.
     *
     * @param <T> the element type
     * @return the new channel
     */
    public static <T> Chan<T> unlimited() {
        return new Chan<>(ChannelCore.createUnlimited(ChannelCore.MAX_CAPACITY));
    }

    /** An unlimited channel that reaches its limit at {@code limit} values: for tests of OV4. */
    static <T> Chan<T> unlimited(int limit) {
        return new Chan<>(ChannelCore.createUnlimited(limit));
    }

    /** Adapts the typed drop callback to the untyped core. */
    private record Undelivered<T>(Consumer<? super T> callback) implements Consumer<Object> {
        @Override
        public void accept(Object v) {
            callback.accept(cast(v));
        }
    }

    /** A context's done channel: only ever closed (see ChannelCore#createSignal, rule L10). */
    static <T> Chan<T> signal() {
        return new Chan<>(ChannelCore.createSignal());
    }

    /** A timer's channel: one slot inside, {@code len} and {@code cap} reported as 0 (rule TM1). */
    static <T> Chan<T> timerChannel() {
        return new Chan<>(ChannelCore.createTimer());
    }

    /**
     * Go's nil channel: send and receive block forever (until interrupted, or until a timed call's
     * time runs out), try-operations never succeed, {@code len} and {@code cap} are 0, {@code close}
     * throws {@link ChannelClosedException}, and a select case on it is never ready (N1).
     *
     * @param <T> the type of the values
     * @return a nil channel (no state; every call returns an equal one)
     */
    public static <T> Chan<T> nil() {
        return new Chan<>(ChannelCore.nil());
    }

    private static ChannelCore coreOf(Object channel) {
        if (channel instanceof Chan<?> c) {
            return c.core;
        }
        if (channel instanceof SendOnly<?> s) {
            return s.chan.core;
        }
        if (channel instanceof ReceiveOnly<?> r) {
            return r.chan.core;
        }
        throw new IllegalArgumentException("not a gochan channel: " + channel.getClass().getName());
    }

    @Override
    public void send(T value) throws InterruptedException {
        core.send(requireValue(value), Long.MAX_VALUE);
    }

    @Override
    public boolean send(T value, Duration timeout) throws InterruptedException {
        requireValue(value);
        return core.send(value, deadline(timeout));
    }

    @Override
    public boolean trySend(T value) {
        return core.trySend(requireValue(value));
    }

    @Override
    public void send(T value, Context ctx) throws InterruptedException {
        requireValue(value);
        if (core.operateOrDone(true, value, doneOf(ctx)) == ChannelCore.DONE) {
            throw ctx.err();
        }
    }

    @Override
    public T receive(Context ctx) throws InterruptedException {
        Object v = core.operateOrDone(false, null, doneOf(ctx));
        if (v == ChannelCore.DONE) {
            throw ctx.err();
        }
        if (v == ChannelCore.CLOSED) {
            throw core.refusal("receive from closed channel");
        }
        return cast(v);
    }

    @Override
    public Received<T> receiveOk(Context ctx) throws InterruptedException {
        Object v = core.operateOrDone(false, null, doneOf(ctx));
        if (v == ChannelCore.DONE) {
            throw ctx.err();
        }
        return toReceived(v);
    }

    private static ChannelCore doneOf(Context ctx) {
        return coreOf(Objects.requireNonNull(ctx, "ctx").done());
    }

    @Override
    public T receive() throws InterruptedException {
        Object v = core.receive(Long.MAX_VALUE);
        if (v == ChannelCore.CLOSED) {
            throw core.refusal("receive from closed channel");
        }
        if (v == ChannelCore.NOT_READY) {
            // Only a nil channel's receive can end without a value; it ends only by interrupt.
            throw new IllegalStateException("receive returned without a value");
        }
        return cast(v);
    }

    @Override
    public Received<T> receiveOk() throws InterruptedException {
        return toReceived(core.receive(Long.MAX_VALUE));
    }

    @Override
    public Received<T> receive(Duration timeout) throws InterruptedException {
        return toReceived(core.receive(deadline(timeout)));
    }

    @Override
    public Received<T> tryReceive() {
        return toReceived(core.tryReceive());
    }

    @Override
    public <X extends Exception> void range(ThrowingConsumer<? super T, X> action) throws InterruptedException, X {
        Objects.requireNonNull(action, "action");
        for (Object v; (v = core.receive(Long.MAX_VALUE)) != ChannelCore.CLOSED; ) {
            action.accept(cast(v));
        }
    }

    @Override
    public Iterator<T> iterator() {
        return new ChanIterator<>(this, false);
    }

    @Override
    public Stream<T> stream() {
        return StreamSupport.stream(new ChanSpliterator<>(new ChanIterator<>(this, true)), false);
    }

    @Override
    public void close() {
        ParkHook.checkMayClose(core); // a running bubble's channel is closed only from inside it (BB43)
        core.close();
    }

    /**
     * {@link #close()} without BB43's check: a context's cancellation, which reaches a bubble's child context from an
     * outside ancestor or from the bubble's driver (a deadline), both outside the bubble (BB28).
     */
    void closeFromCancel() {
        core.close();
    }

    @Override
    public int len() {
        return core.reportsEmptyShape() ? 0 : core.len();
    }

    @Override
    public int cap() {
        return core.reportsEmptyShape() ? 0 : core.isUnlimited() ? UNLIMITED : core.capacity();
    }

    /**
     * Go's channel equality (rule CH1): true if {@code o} is this channel or one of its send-only or
     * receive-only views, or if both are nil channels.
     *
     * @param o the object to compare with
     * @return whether {@code o} is the same channel
     */
    @Override
    public boolean equals(Object o) {
        return sameChannel(core, o);
    }

    /**
     * Consistent with {@link #equals(Object)}: the same for a channel and its views; 0 for nil channels.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return hash(core);
    }

    /**
     * True if the channel has been closed. A snapshot: useful for diagnostics, never for deciding
     * whether a send is safe (Go has no such query for that reason).
     *
     * @return true if the channel has been closed
     */
    public boolean isClosed() {
        return core.isClosed();
    }

    /**
     * {@return the send side only (Go's {@code chan<- T}); it cannot be cast back to this channel}
     */
    public SendChan<T> sendOnly() {
        return new SendOnly<>(this);
    }

    /**
     * {@return the receive side only (Go's {@code <-chan T}); it cannot be cast back to this
     * channel}
     */
    public ReceiveChan<T> receiveOnly() {
        return new ReceiveOnly<>(this);
    }

    /** Capacity, length, open or closed, and the number of waiting senders and receivers. */
    @Override
    public String toString() {
        return core.describeAsChan();
    }

    // ---------------------------------------------------------------- helpers

    private static boolean sameChannel(ChannelCore core, Object o) {
        ChannelCore other;
        if (o instanceof Chan<?> c) {
            other = c.core;
        } else if (o instanceof View<?> v) {
            other = v.chan.core;
        } else {
            return false;
        }
        return other == core || (other.isNil() && core.isNil());
    }

    private static int hash(ChannelCore core) {
        return core.isNil() ? 0 : System.identityHashCode(core);
    }

    private static <T> T requireValue(T value) {
        return Objects.requireNonNull(value, "null is not a channel value");
    }

    private static long deadline(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return ChannelCore.deadlineAfter(TimeUnit.NANOSECONDS.convert(timeout));
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object v) {
        return (T) v;
    }

    private static <T> Received<T> toReceived(Object v) {
        if (v == ChannelCore.CLOSED) {
            return Received.closedChannel();
        }
        if (v == ChannelCore.NOT_READY) {
            return Received.notReadyYet();
        }
        return Received.of(cast(v));
    }

    /** Receives on behalf of an iterator; CLOSED when drained. */
    Object receiveRaw() throws InterruptedException {
        return core.receive(Long.MAX_VALUE);
    }

    /**
     * Iterator that ends when the channel is closed and drained; see {@link ReceiveChan#iterator()}. One
     * thread at a time (rule S8): a call made while another thread is inside one throws
     * {@link ConcurrentModificationException} having taken nothing, because two unsynchronized calls could
     * overwrite or hand out twice the one value it holds. The guard is this iterator's own (it extends
     * {@link AtomicBoolean}, true while a call runs): one object per loop, nothing on the channel's send or
     * receive path.
     *
     * @param <T> the element type
     */
    @SuppressWarnings("serial") // never serialized: a private iterator
    private static final class ChanIterator<T> extends AtomicBoolean implements Iterator<T> {
        private final Chan<T> chan;
        /** Serves a {@link ReceiveChan#stream()}: named so in the interrupt's message (I6). */
        private final boolean forStream;
        /** A value already received but not yet returned by next(); null if none. Guarded by the flag. */
        private Object pending;
        private boolean drained;

        ChanIterator(Chan<T> chan, boolean forStream) {
            this.chan = chan;
            this.forStream = forStream;
        }

        @Override
        public boolean hasNext() {
            enter();
            try {
                return advance("Iterator.hasNext()");
            } finally {
                setRelease(false);
            }
        }

        @Override
        public T next() {
            enter();
            try {
                if (!advance("Iterator.next()")) {
                    throw new NoSuchElementException("channel closed and drained: " + chan);
                }
                Object v = pending;
                pending = null;
                return cast(v);
            } finally {
                setRelease(false);
            }
        }

        private void enter() {
            if (!compareAndSet(false, true)) {
                throw new ConcurrentModificationException("a channel's iterator used by two threads at once: "
                        + "nothing was taken; give each consumer its own iterator or range (" + chan + ")");
            }
        }

        /**
         * Takes the next value into {@code pending} unless one is there; false once drained. {@code operation}
         * (a constant) names the caller in the interrupt's message, which is built only when thrown (I6).
         */
        private boolean advance(String operation) {
            if (pending != null) {
                return true;
            }
            if (drained) {
                return false;
            }
            Object v;
            try {
                v = chan.receiveRaw();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChannelInterruptedException("interrupted in " + (forStream ? "stream()" : operation)
                        + " while waiting for the next value of " + chan, e);
            }
            if (v == ChannelCore.CLOSED) {
                drained = true;
                return false;
            }
            pending = v;
            return true;
        }
    }

    /**
     * What both direction views share: they delegate to one channel, and are equal to it and to every other
     * view of it (Go's channel equality).
     */
    abstract static class View<T> {
        final Chan<T> chan;

        View(Chan<T> chan) {
            this.chan = chan;
        }

        public int len() {
            return chan.len();
        }

        public int cap() {
            return chan.cap();
        }

        /** Go's channel equality, as {@link Chan#equals(Object)}. */
        @Override
        public boolean equals(Object o) {
            return sameChannel(chan.core, o);
        }

        @Override
        public int hashCode() {
            return hash(chan.core);
        }

        @Override
        public String toString() {
            return getClass().getSimpleName() + chan;
        }
    }

    /** Send-only view. */
    static final class SendOnly<T> extends View<T> implements SendChan<T> {
        SendOnly(Chan<T> chan) {
            super(chan);
        }

        @Override
        public void send(T value) throws InterruptedException {
            chan.send(value);
        }

        @Override
        public boolean send(T value, Duration timeout) throws InterruptedException {
            return chan.send(value, timeout);
        }

        @Override
        public boolean trySend(T value) {
            return chan.trySend(value);
        }

        @Override
        public void send(T value, Context ctx) throws InterruptedException {
            chan.send(value, ctx);
        }

        @Override
        public void close() {
            chan.close();
        }

    }

    /** Receive-only view. */
    static final class ReceiveOnly<T> extends View<T> implements ReceiveChan<T> {
        ReceiveOnly(Chan<T> chan) {
            super(chan);
        }

        @Override
        public T receive() throws InterruptedException {
            return chan.receive();
        }

        @Override
        public Received<T> receiveOk() throws InterruptedException {
            return chan.receiveOk();
        }

        @Override
        public Received<T> receive(Duration timeout) throws InterruptedException {
            return chan.receive(timeout);
        }

        @Override
        public Received<T> tryReceive() {
            return chan.tryReceive();
        }

        @Override
        public T receive(Context ctx) throws InterruptedException {
            return chan.receive(ctx);
        }

        @Override
        public Received<T> receiveOk(Context ctx) throws InterruptedException {
            return chan.receiveOk(ctx);
        }

        @Override
        public <X extends Exception> void range(ThrowingConsumer<? super T, X> action)
                throws InterruptedException, X {
            chan.range(action);
        }

        @Override
        public Iterator<T> iterator() {
            return chan.iterator();
        }

        @Override
        public Stream<T> stream() {
            return chan.stream();
        }

    }
}
