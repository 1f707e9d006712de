package io.gochan;

/**
 * Thrown by {@link Bubble#run(Task)} when every goroutine of the bubble was durably blocked and no
 * timer of the bubble was pending, so nothing could ever wake any of them (Go's "all goroutines are
 * asleep - deadlock!"; rule BB5), or, once the body of {@link Bubble#run(Task)} returned and the clock stopped, no
 * timer due at its instant (rule BB39). The message holds a dump of each goroutine of the bubble: its
 * name, what it was blocked on, and its stack.
 */
public final class BubbleDeadlockException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * A deadlock report.
     *
     * @param message what happened, with the dump of the bubble's goroutines
     */
    public BubbleDeadlockException(String message) {
        super(message);
    }
}
