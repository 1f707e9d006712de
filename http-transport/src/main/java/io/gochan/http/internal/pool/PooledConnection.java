package io.gochan.http.internal.pool;

/**
 * What the pool needs from a connection. Implementations must make {@link #closeNow()} idempotent and
 * non-blocking enough to call from any thread (it closes the socket, which unblocks its loops).
 */
public interface PooledConnection {
    /** The key this connection serves. */
    ConnectKey key();

    /** False once the connection is closed or broken; an unusable connection is never handed out. */
    boolean isUsable();

    /** Closes the connection (idempotent). Called outside the pool's lock. */
    void closeNow(String reason);
}
