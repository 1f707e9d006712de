package io.gochan;

import java.time.Duration;

/**
 * The receive side of a channel: Go's {@code <-chan T}. An API that should only consume values hands
 * out this view ({@link Chan#receiveOnly()}); it cannot be cast back to the send side.
 *
 * <p>"Closed" is signalled three ways (rule K4):
 * <ul>
 *   <li>{@link #receive()} throws {@link ChannelClosedException} once the channel is closed and
 *       drained;</li>
 *   <li>{@link #receiveOk()} returns a {@link Received} whose {@code closed()} is true (Go's
 *       {@code v, ok := <-ch});</li>
 *   <li>iteration ({@code for (T v : ch)}, or {@link #range(ThrowingConsumer)} ) ends after the last
 *       value of a closed channel (Go's {@code for range}).</li>
 * </ul>
 * Values buffered before close are always received first, in order (K3). A receive that returns a
 * value <em>happens-after</em> the send of that value; a receive that reports "closed"
 * <em>happens-after</em> the close (S4).
 *
 * <p>Blocking receives are interruptible: they throw {@link InterruptedException} and take nothing
 * from the channel. If the interrupt races with a completing handoff, either the value is returned
 * (and the interrupt status stays set) or it stays with its sender / in the buffer (I1, I2).
 * A receive that can complete without waiting (a buffered value, a waiting sender, a closed channel)
 * completes even if the interrupt status is already set, and leaves it set; only a receive that would
 * wait throws at once (rule CH3). Note that {@code ArrayBlockingQueue.take()} throws in both cases.
 *
 * @param <T> the element type
 */
public sealed interface ReceiveChan<T> extends Iterable<T> permits Chan, Chan.ReceiveOnly {

    /**
     * Receives the next value, blocking until one is available.
     *
     * @return the received value (never null)
     * @throws ChannelClosedException if the channel is closed and drained (also when it closes
     *     while
     *     this receive waits)
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    T receive() throws InterruptedException;

    /**
     * Receives the next value, or learns that the channel is closed and drained; blocks until one of
     * the two. Never returns a "not ready" outcome.
     *
     * @return the value, or the outcome "closed" (never "not ready")
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    Received<T> receiveOk() throws InterruptedException;

    /**
     * Receives within {@code timeout}: a value, "closed", or "not ready" if the time ran out (then
     * nothing was taken).
     *
     * @param timeout how long to wait at most
     * @return a value, "closed", or "not ready" if the time ran out
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    Received<T> receive(Duration timeout) throws InterruptedException;

    /**
     * Receives the next value unless {@code ctx} is done first (rule CH4): Go's
     * {@code select { case v := <-ch: case <-ctx.Done(): return ctx.Err() }} as one call, at no more
     * cost. If {@code ctx} is already done, nothing is taken; otherwise exactly one of the two happens.
     *
     * @param ctx the context; {@link Context#background()} makes this {@link #receive()}
     * @return the received value (never null)
     * @throws NullPointerException if ctx is null
     * @throws java.util.concurrent.CancellationException {@code ctx.err()} (with the context's cause as
     *     its {@code getCause()} if one was given) if the context was done first; nothing was taken
     * @throws ChannelClosedException if the channel is closed and drained
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    T receive(Context ctx) throws InterruptedException;

    /**
     * {@link #receive(Context)} that reports a closed and drained channel as {@code closed()} instead of
     * throwing (Go's {@code v, ok := <-ch} in a select with {@code ctx.Done()}); rule CH4.
     *
     * @param ctx the context
     * @return the value, or the outcome "closed" (never "not ready")
     * @throws NullPointerException if ctx is null
     * @throws java.util.concurrent.CancellationException {@code ctx.err()} if the context was done first;
     *     nothing was taken
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    Received<T> receiveOk(Context ctx) throws InterruptedException;

    /**
     * Receives only if that can complete now without blocking: a value, "closed" if closed and
     * drained, or "not ready".
     *
     * @return a value, "closed", or "not ready" if receiving would have blocked
     */
    Received<T> tryReceive();

    /**
     * Receives every value until the channel is closed and drained, passing each to {@code action}
     * (Go's {@code for v := range ch}). An exception from the action ends the loop and propagates; the
     * value passed to it counts as received.
     *
     * @param <X> the checked exception {@code action} may throw
     * @param action receives each value; may block or throw
     * @throws InterruptedException if interrupted while waiting; nothing was taken by that wait
     * @throws X whatever {@code action} throws; the receiving stops there
     */
    <X extends Exception> void range(ThrowingConsumer<? super T, X> action) throws InterruptedException, X;

    /**
     * An iterator that receives values until the channel is closed and drained. {@code hasNext()}
     * blocks; if the thread is interrupted while it waits, it throws {@link ChannelInterruptedException}
     * (unchecked, because {@link java.util.Iterator} cannot throw {@code InterruptedException}) with
     * the interrupt status set again, and no value is lost: a value already taken is kept for the next
     * {@code next()}, which returns it without waiting even if the thread is interrupted by then (rule S8).
     * An iterator abandoned after {@code hasNext()} returned true keeps that one value from every other
     * receiver. An iterator serves one thread at a time: a call made while another thread is inside one
     * throws {@link java.util.ConcurrentModificationException} having taken nothing (never a lost, duplicated
     * or {@code null} value); give each consumer its own iterator, as Go gives each {@code for range} loop.
     */
    @Override
    java.util.Iterator<T> iterator();

    /**
     * A sequential, ordered stream of the values received until the channel is closed and drained (rule
     * CH5): Java's counterpart of {@code for v := range ch}. Each element is received lazily, when the
     * stream's terminal operation asks for it; a short-circuiting operation ({@code findFirst},
     * {@code limit}) takes no more values than it consumes, except that the stream may hold one received
     * value it did not hand out if it is abandoned after asking for it. Blocking and interrupts are the
     * iterator's: an interrupt throws {@link ChannelInterruptedException} with the interrupt status set and
     * a message naming the stream and the channel (I6). Close the channel (or bound the stream) for the
     * terminal operation to end.
     *
     * <p>The stream never splits (rule CH6): made {@link java.util.stream.Stream#parallel() parallel}, it
     * still hands each value on as it arrives, in the thread that runs the terminal operation, with the
     * guarantees above, but gains no parallelism. A splitting stream would gather values before handing them
     * on, and so wait for ever on a producer that waits for the consumer (the JDK's iterator spliterator
     * gathers batches of 1,024), or hold a gathered batch back from a busy fork-join pool while it waits for
     * the next value. To consume a channel in parallel, do as Go does: start several goroutines, each
     * receiving from the same channel ({@link #range}, or a stream each).
     *
     * @return the stream of received values
     */
    default java.util.stream.Stream<T> stream() {
        return java.util.stream.StreamSupport.stream(new ChanSpliterator<>(iterator()), false);
    }

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
