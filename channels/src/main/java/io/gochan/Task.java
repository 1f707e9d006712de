package io.gochan;

/**
 * The body of a goroutine: like {@link Runnable}, but it may throw, so bodies can call blocking
 * channel operations (which throw {@link InterruptedException}) without wrapping.
 */
@FunctionalInterface
public interface Task {
    /**
     * Runs the body.
     *
     * @throws Exception any failure of the body; in a goroutine it goes to the uncaught-exception
     *     handler
     */
    void run() throws Exception;
}
