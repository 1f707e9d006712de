package io.gochan;

/**
 * Thrown when an operation needs an open channel and the channel is closed: a send on a closed
 * channel (also a send that was blocked when the channel closed, or a select send case chosen on a
 * closed channel), a second {@code close()}, and the plain {@link ReceiveChan#receive()} once a closed
 * channel is drained.
 *
 * <p>This is Go's panic "send on closed channel" / "close of closed channel" as an unchecked exception:
 * it signals a programming error, except for {@code receive()}, where it is the plain receive's way of
 * saying "no more values" (use {@link ReceiveChan#receiveOk()} or iteration to see that as a value).
 *
 * <p>Where Go panics, the message starts with Go's words, and may add where it happened (rule GO1); then,
 * after {@code ": "}, it names the refusing channel by its description, as its {@code toString()} gives it
 * (rule K6: {@code "send on closed channel: Chan(cap=1, len=1, closed, waiting senders=0, waiting receivers=0)"}):
 * <ul>
 *   <li>"send on closed channel": every send form on a closed channel ({@code send}, timed, context-aware,
 *       {@code trySend}, a select send case when chosen), also a send or select that was waiting when the
 *       channel closed ("send on closed channel (closed while the sender waited)");
 *   <li>"close of closed channel": a second {@code close()};
 *   <li>"close of nil channel": {@code close()} on {@link Chan#nil()}.
 * </ul>
 * Where Go has no panic, the message says so: "receive from closed channel" for a plain {@code receive()}
 * (and a plain select receive case, rule L10) on a closed, drained channel.
 */
public final class ChannelClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with a message naming the operation that met the closed channel.
     *
     * @param message the detail message
     */
    public ChannelClosedException(String message) {
        super(message);
    }
}
