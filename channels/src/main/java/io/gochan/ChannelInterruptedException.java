package io.gochan;

/**
 * Thrown by a channel's {@link java.util.Iterator#hasNext()} when the waiting thread is interrupted:
 * the iterator interface cannot throw {@link InterruptedException}, so this unchecked exception
 * carries it as its cause. The thread's interrupt status is set again before it is thrown, and no
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
}
