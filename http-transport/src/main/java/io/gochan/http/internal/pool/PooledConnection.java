package io.gochan.http.internal.pool;

import java.io.IOException;

/**
 * What the pool needs from a connection. A connection is made by the pool's {@link ConnectionPool.Dialer}
 * with a {@link Slot} it then owns: it must call {@link Slot#release()} when it closes, from whichever
 * thread closes it. {@link #close(IOException)} must be idempotent and must not block on the
 * connection's own loops (it closes the socket, which unblocks them).
 */
public interface PooledConnection {
    /** @return the key this connection serves */
    ConnectKey key();

    /** @return false once the connection is closed or broken; an unusable connection is never handed out */
    boolean isUsable();

    /**
     * Asked by the pool, outside its lock, of an idle connection a request took off the idle list: whether bytes the
     * server sent after the last response wait unread on it (its close_notify, an idle 408, data nobody asked for),
     * which mean the connection is over. Such a connection is closed instead of handed out, and the request takes
     * another or dials, its body not yet used (E55). Should not block; the {@code available()} of a socket a
     * {@code Dialer} returned may, and then holds up only that request (E122). What it throws (an {@link Error} of
     * such a socket) goes to the request that took the connection, once the pool has closed it (E114).
     *
     * @return true if bytes wait unread on the idle connection
     */
    default boolean unreadWhileIdle() {
        return false;
    }

    /**
     * Closes the connection with this cause (idempotent) and releases its slot. A call that finds the
     * connection already closing returns only once that close is complete (its sockets closed, its slot
     * released): {@link ConnectionPool#closeIdle()} relies on it (E34). Called outside the pool's lock.
     *
     * @param cause why; what an exchange still on the connection reports
     */
    void close(IOException cause);
}
