package io.gochan.http.internal.conn;

/**
 * A response body that still decides its connection's fate: reading it to EOF lets the connection be
 * reused, closing it earlier closes the connection. {@link UnclosedBodies} closes one that became
 * garbage before either happened.
 */
interface ConnectionBoundBody {
    /** True once EOF, an early close or an error was reported to the connection. */
    boolean isDone();

    /** Closes the body; before EOF this closes its connection. Idempotent. */
    void close();
}
