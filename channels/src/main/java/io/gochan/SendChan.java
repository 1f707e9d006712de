package io.gochan;

import java.time.Duration;

/**
 * The send side of a channel: Go's {@code chan<- T}. An API that should only produce values hands out
 * this view ({@link Chan#sendOnly()}); it cannot be cast back to the receive side.
 *
 * <p>Contract, shared by every implementation:
 * <ul>
 *   <li>{@code null} is not a value: every send rejects it with {@link NullPointerException} before
 *       anything blocks (rule C3).</li>
 *   <li>A send on an unbuffered channel completes only when a receiver has taken that very value; on a
 *       buffered channel it completes when the value is in the buffer (S1, S2). The send
 *       <em>happens-before</em> the receive that takes its value completes (S4).</li>
 *   <li>A send on a closed channel throws {@link ChannelClosedException}, also when the sender was
 *       blocked at the moment of close; its value is then not delivered (K2).</li>
 *   <li>Blocking sends are interruptible: they throw {@link InterruptedException} and leave the
 *       channel as if they had never started. If the interrupt races with a completing handoff, either
 *       the value was delivered (the send returns normally, the interrupt status stays set) or it was
 *       not (the send throws); never both, never neither (I1, I2). A send that can complete without
 *       waiting (room in the buffer, a waiting receiver) completes even if the interrupt status is
 *       already set, and leaves it set; only a send that would wait throws at once (CH3), unlike
 *       {@code ArrayBlockingQueue.put}, which throws in both cases.</li>
 * </ul>
 *
 * @param <T> the element type
 */
public sealed interface SendChan<T> permits Chan, Chan.SendOnly {

    /**
     * Sends {@code value}, blocking until a receiver takes it (unbuffered) or there is room (buffered).
     *
     * @param value the value to send (not null)
     * @throws NullPointerException if value is null
     * @throws ChannelClosedException if the channel is closed, or closes while the send waits
     * @throws InterruptedException if interrupted while waiting; the value was not sent
     */
    void send(T value) throws InterruptedException;

    /**
     * Sends {@code value} if it can be done within {@code timeout}.
     *
     * @param value the value to send (not null)
     * @param timeout how long to wait at most
     * @return true if sent; false if the time ran out, in which case the value was not sent
     * @throws NullPointerException if value or timeout is null
     * @throws ChannelClosedException if the channel is closed, or closes while the send waits
     * @throws InterruptedException if interrupted while waiting; the value was not sent
     */
    boolean send(T value, Duration timeout) throws InterruptedException;

    /**
     * Sends {@code value} unless {@code ctx} is done first (rule CH4): Go's
     * {@code select { case ch <- v: case <-ctx.Done(): return ctx.Err() }} as one call, at no more cost.
     * If {@code ctx} is already done, nothing is attempted; otherwise exactly one of the two happens:
     * the value is sent (the call returns), or the context is done first and the value was not sent.
     *
     * @param value the value to send (not null)
     * @param ctx the context; {@link Context#background()} makes this {@link #send(Object)}
     * @throws NullPointerException if value or ctx is null
     * @throws java.util.concurrent.CancellationException {@code ctx.err()} (a
     *     {@link ContextCanceledException} or {@link DeadlineExceededException}, whose
     *     {@code getCause()} is the context's cause if one was given) if the context was done first;
     *     the value was not sent
     * @throws ChannelClosedException if the channel is closed, or closes while the send waits
     * @throws InterruptedException if interrupted while waiting; the value was not sent
     */
    void send(T value, Context ctx) throws InterruptedException;

    /**
     * Sends {@code value} only if that can complete now without blocking: a receiver is waiting, or the
     * buffer has room (Go's {@code select} with one send case and a {@code default}).
     *
     * @param value the value to send (not null)
     * @return true if sent, false if it would have blocked
     * @throws NullPointerException if value is null
     * @throws ChannelClosedException if the channel is closed (like Go, a closed channel is an
     *     error
     *     here, not a "would block")
     */
    boolean trySend(T value);

    /**
     * Closes the channel: buffered values can still be received, then every receive reports
     * "closed"; blocked receivers wake with "closed", blocked senders wake with
     * {@link ChannelClosedException}. Close <em>happens-before</em> every receive that returns
     * because the channel is closed.
     *
     * @throws ChannelClosedException if the channel is already closed (message "close of closed channel"), or
     *     is the nil channel {@link Chan#nil()} ("close of nil channel"), where Go panics with those words
     * @throws IllegalStateException if the channel was made in a virtual-time bubble ({@code Bubble}) that still
     *     runs and the caller is not a goroutine of that bubble (rule BB43: Go's runtime fails a close of a bubble's
     *     channel from outside it); the channel is left open
     */
    void close();

    /**
     * {@return the number of buffered values not yet received; a snapshot, always within [0,
     * cap()]}
     */
    int len();

    /**
     * {@return the capacity given at creation; 0 for an unbuffered channel, {@link Chan#UNLIMITED} for an
     * unlimited one}
     */
    int cap();
}
