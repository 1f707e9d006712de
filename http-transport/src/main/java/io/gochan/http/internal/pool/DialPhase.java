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
     * @throws InterruptedIOException if the dial was interrupted (its pool closed) before or during the step:
     *     nothing after the step must happen
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
        if (Thread.currentThread().isInterrupted() || pool.isClosed()) {
            throw new InterruptedIOException("dial interrupted: the transport closed during name resolution");
        }
        return result;
    }
}
