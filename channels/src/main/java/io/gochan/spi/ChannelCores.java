package io.gochan.spi;

import java.util.Objects;
import java.util.function.Function;

/**
 * Finds the {@link ChannelCore} behind a {@link io.gochan.Chan} or one of its views, for gochan's own
 * modules (select, transport, stress tests). The public channel types deliberately have no such
 * method, so application code cannot reach the locked primitives.
 */
public final class ChannelCores {
    /** The class whose initializer installs the accessor (a private class of {@code Chan}). */
    private static final String ACCESSOR = "io.gochan.Chan$CoreAccess";
    private static volatile Function<Object, ChannelCore> access;

    private ChannelCores() {}

    /**
     * Installs the accessor; called once, by the class initializer of the accessor itself.
     *
     * @param accessor the function from a channel to its core
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
     * @param channel the channel
     * @return its core
     * @throws NullPointerException if channel is null
     */
    public static ChannelCore of(Object channel) {
        Objects.requireNonNull(channel, "channel");
        Function<Object, ChannelCore> a = access;
        return (a != null ? a : installed()).apply(channel);
    }

    /**
     * Initializes the accessor class, whose initializer calls {@link #install}; only the first call
     * of {@link #of} gets here. The accessor is not installed by {@code Chan}'s own initializer, so
     * that a program's first {@code Chan.make} does not load it (cold start, benchmark B8); by name,
     * because it is private to {@code Chan}, as the JDK's shared secrets initialize their holders.
     */
    private static Function<Object, ChannelCore> installed() {
        try {
            Class.forName(ACCESSOR, true, ChannelCores.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("channel core accessor " + ACCESSOR + " is missing", e);
        }
        return access;
    }
}
