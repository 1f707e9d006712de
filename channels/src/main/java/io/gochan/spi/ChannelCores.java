package io.gochan.spi;

import java.util.Objects;
import java.util.function.Function;

/**
 * Finds the {@link ChannelCore} behind a {@link io.gochan.Chan} or one of its views, for gochan's own
 * modules (select, transport, stress tests). The public channel types deliberately have no such
 * method, so application code cannot reach the locked primitives.
 */
public final class ChannelCores {
    private static volatile Function<Object, ChannelCore> access;

    private ChannelCores() {}

    /**
     * Installs the accessor; called once by {@code Chan}'s class initializer.
     *
     * @throws IllegalStateException if already installed
     */
    public static void install(Function<Object, ChannelCore> accessor) {
        if (access != null) {
            throw new IllegalStateException("channel core accessor already installed");
        }
        access = Objects.requireNonNull(accessor);
    }

    /**
     * The core behind {@code channel} (a {@code Chan}, {@code SendChan} or {@code ReceiveChan}).
     *
     * @throws NullPointerException if channel is null
     */
    public static ChannelCore of(Object channel) {
        Objects.requireNonNull(channel, "channel");
        // Any channel instance implies Chan was initialized, so the accessor is installed.
        return access.apply(channel);
    }
}
