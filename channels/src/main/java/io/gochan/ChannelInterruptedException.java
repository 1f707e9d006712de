package io.gochan;

/**
 * Thrown by a channel's iterator ({@link java.util.Iterator#hasNext()}, {@link java.util.Iterator#next()})
 * and stream when the waiting thread is interrupted: neither interface can throw
 * {@link InterruptedException}, so this unchecked exception carries it as its cause, and its message names
 * the operation and the channel (rule I6). The thread's interrupt status is set again before it is thrown, and no
 * value was taken from the channel by the interrupted wait.
 */
public final class ChannelInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the interrupt that ended the wait.
     *
     * @param cause the underlying failure
     */
    public ChannelInterruptedException(InterruptedException cause) {
        super("interrupted while waiting for the next value", cause);
    }

    /**
     * Wraps the interrupt that ended the wait, with a message naming the operation and the channel (rule
     * I6); built only on the throwing path.
     */
    ChannelInterruptedException(String message, InterruptedException cause) {
        super(message, cause);
    }
}
