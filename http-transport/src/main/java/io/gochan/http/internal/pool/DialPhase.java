package io.gochan.http.internal.pool;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Marks the step of a pool's dial that an interrupt cannot end: name resolution (the JDK's resolver ignores
 * interrupts, and may take as long as the system's DNS timeouts). {@link ConnectionPool#close()} interrupts
 * every dial and waits until each has ended, except a dial inside such a step: that one it gives up (no
 * longer counted, its request failed), and the step, when it returns, finds its interrupt and the dial
 * fails without opening a socket. So a closed transport waits for no resolver, and opens nothing after its
 * close (E29). Outside a pool's dial goroutine the step just runs.
 */
public final class DialPhase {
    /** The slot whose dial runs on this thread (a dial goroutine), or null. */
    static final ThreadLocal<Slot> CURRENT = new ThreadLocal<>();

    private DialPhase() {}

    /**
     * A step that may block and fail.
     *
     * @param <T> its result type
     */
    @FunctionalInterface
    public interface Step<T> {
        /**
         * Runs the step.
         *
         * @return its result
         * @throws IOException its failure
         */
        T run() throws IOException;
    }

    /**
     * Runs {@code step}, which an interrupt cannot end, as part of the current dial: the pool's close does
     * not wait for the dial while it runs.
     *
     * @param step the step (name resolution)
     * @param <T> its result type
     * @return its result
     * @throws InterruptedIOException if the dial was interrupted (its pool closed, or its request gave up) before or
     *     during the step: nothing after the step must happen
     * @throws IOException the step's own failure
     */
    public static <T> T uninterruptible(Step<T> step) throws IOException {
        Slot slot = CURRENT.get();
        if (slot == null) {
            return step.run();
        }
        ConnectionPool<?> pool = slot.pool;
        if (!pool.enterUninterruptible(slot)) {
            throw new InterruptedIOException("dial interrupted: the transport closed");
        }
        T result;
        try {
            result = step.run();
        } finally {
            pool.leaveUninterruptible(slot);
        }
        String ended = clearUsersInterrupt(slot);
        if (ended != null) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("dial interrupted: " + ended + " during name resolution");
        }
        return result;
    }

    /**
     * Runs {@code step}, user code (a {@code Dialer}, the {@code CONNECT} fields' function), as part of the current
     * dial: an interrupt it leaves on the dial's thread is cleared as it returns (E148). That thread is the
     * transport's, and its interrupt is how the pool ends a dial (its close, its request giving up): left set, it cut
     * the next step (a TLS handshake, the {@code CONNECT}'s write) as "Closed by interrupt" though nobody ended the
     * dial. An interrupt of the pool's stays. Outside a pool's dial goroutine the step just runs.
     *
     * @param step the user code
     * @param <T> its result type
     * @return its result
     * @throws IOException the step's own failure
     */
    public static <T> T userStep(Step<T> step) throws IOException {
        T result = step.run();
        Slot slot = CURRENT.get();
        if (slot != null && clearUsersInterrupt(slot) != null) {
            Thread.currentThread().interrupt(); // the pool's: the dial's next wait ends on it, as before
        }
        return result;
    }

    /**
     * Clears this thread's interrupt, then asks the pool whether it ended the dial. In that order: an interrupt of the
     * pool's that comes in between is seen (it closes or gives up under its lock before it interrupts), and one that
     * comes after sets the flag again.
     *
     * @return what of the pool's ended the dial, or null: a flag set was user code's, and is gone
     */
    private static String clearUsersInterrupt(Slot slot) {
        Thread.interrupted();
        return slot.pool.interruptReason(slot);
    }
}
