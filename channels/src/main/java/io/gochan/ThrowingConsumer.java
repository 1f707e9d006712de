package io.gochan;

/**
 * A consumer that may throw a checked exception; used by {@link ReceiveChan#range(ThrowingConsumer)}
 * so loop bodies can send on other channels (which throws {@link InterruptedException}).
 *
 * @param <T> the element type
 * @param <X> the exception the body may throw
 */
@FunctionalInterface
public interface ThrowingConsumer<T, X extends Exception> {
    /**
     * Consumes one value.
     *
     * @param value the value
     * @throws X the action's own failure
     */
    void accept(T value) throws X;
}
