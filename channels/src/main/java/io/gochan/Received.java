package io.gochan;

import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The outcome of a receive that can end without a value: Go's {@code v, ok := <-ch} plus the
 * "would block" outcome of a non-blocking or timed receive.
 *
 * <p>Exactly one of {@link #ok()}, {@link #closed()} and {@link #notReady()} is true:
 * <ul>
 *   <li>{@code ok()}: a value was received (Go's {@code ok == true});</li>
 *   <li>{@code closed()}: the channel is closed and drained (Go's {@code ok == false});</li>
 *   <li>{@code notReady()}: nothing could be received now ({@code tryReceive}) or within the time
 *       allowed (timed receive); nothing was taken from the channel.</li>
 * </ul>
 * Instances are immutable; the closed and not-ready outcomes are shared singletons.
 *
 * @param <T> the element type
 */
public final class Received<T> {
    private static final Received<?> CLOSED = new Received<>(null, State.CLOSED);
    private static final Received<?> NOT_READY = new Received<>(null, State.NOT_READY);

    private enum State { VALUE, CLOSED, NOT_READY }

    private final T value;
    private final State state;

    private Received(T value, State state) {
        this.value = value;
        this.state = state;
    }

    /**
     * A received value (never null).
     *
     * @param <T> the type of the values
     * @param value the received value (not null)
     * @return the outcome "received {@code value}"
     */
    public static <T> Received<T> of(T value) {
        return new Received<>(Objects.requireNonNull(value, "value"), State.VALUE);
    }

    /**
     * {@return the outcome "channel closed and drained"}
     *
     * @param <T> the type of the values
     */
    @SuppressWarnings("unchecked")
    public static <T> Received<T> closedChannel() {
        return (Received<T>) CLOSED;
    }

    /**
     * {@return the outcome "nothing to receive now / in time"}
     *
     * @param <T> the type of the values
     */
    @SuppressWarnings("unchecked")
    public static <T> Received<T> notReadyYet() {
        return (Received<T>) NOT_READY;
    }

    /** {@return true if a value was received} */
    public boolean ok() {
        return state == State.VALUE;
    }

    /** {@return true if the channel was closed and drained, so no value will ever come} */
    public boolean closed() {
        return state == State.CLOSED;
    }

    /**
     * {@return true if nothing was received because the operation would have blocked (or timed
     * out)}
     */
    public boolean notReady() {
        return state == State.NOT_READY;
    }

    /**
     * {@return the received value}
     *
     * @throws NoSuchElementException if no value was received; the message says whether the channel
     *     was closed or not ready
     */
    public T value() {
        if (state != State.VALUE) {
            throw new NoSuchElementException(state == State.CLOSED ? "channel closed" : "no value ready");
        }
        return value;
    }

    /**
     * {@return the received value, or {@code other} if none was received}
     *
     * @param other the value to return if none was received
     */
    public T orElse(T other) {
        return state == State.VALUE ? value : other;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Received<?> r && r.state == state && Objects.equals(r.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(state, value);
    }

    @Override
    public String toString() {
        return switch (state) {
            case VALUE -> "Received[" + value + "]";
            case CLOSED -> "Received[closed]";
            case NOT_READY -> "Received[not ready]";
        };
    }
}
