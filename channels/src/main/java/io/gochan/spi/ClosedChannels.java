package io.gochan.spi;

import io.gochan.ChannelClosedException;

/**
 * Builds the {@link ChannelClosedException} that an operation on a closed (or nil) channel throws.
 *
 * <p>Why a factory typed {@code IllegalStateException}: a {@code throw new ChannelClosedException(...)}
 * in a method makes the bytecode verifier load {@code ChannelClosedException} together with that
 * method's class (to check that what is thrown is a {@code Throwable}), so every fresh JVM paid one
 * more class from gochan's jar on its first {@code Chan.make}, before any channel was ever closed
 * (cold start, benchmark B8). Through this method the exception class is loaded when the first one is
 * thrown. Exported only to gochan's own modules; never blocks.
 */
public final class ClosedChannels {
    private ClosedChannels() {}

    /**
     * A new {@link ChannelClosedException}, to be thrown by the caller.
     *
     * @param message what was done on which closed channel ({@code "send on closed channel"})
     * @return the exception, a {@link ChannelClosedException}
     */
    public static IllegalStateException exception(String message) {
        return new ChannelClosedException(message);
    }
}
