package io.gochan.http.internal.conn;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.util.function.BooleanSupplier;

/**
 * Counts the bytes handed to the socket, so a failed write can tell whether it wrote nothing. A
 * byte counts from the moment it is handed over, before the socket's write returns: a write that
 * fails half-way may have sent part of its bytes, and only a request none of whose bytes were handed
 * over may be called "nothing written" and retried (a non-replayable request must never go twice).
 */
final class CountingOutputStream extends FilterOutputStream {
    /**
     * A socket stream that knows, when a write fails, how many of its bytes the socket took (a Unix socket's
     * channel does: each channel write that throws takes nothing). Its bytes still count from the moment they
     * are handed over; a failed write then gives back those the socket never took, so a request the socket
     * refused whole (a peer that shut its input: {@code EPIPE} at once) is "nothing written" (R32), as Go's
     * count of the bytes a write returned.
     */
    interface ExactOnFailure {
        /**
         * Of the last write that threw, on the thread that called it, how many bytes the socket took.
         *
         * @return the bytes taken, from 0 to that write's length
         */
        int takenOfFailedWrite();
    }

    private volatile long count;
    /** The socket was closed before a write began: none of its bytes can reach the peer. */
    private final BooleanSupplier closedAlready;

    /**
     * @param out the socket's stream
     * @param closedAlready whether the socket is closed (asked as each write begins)
     */
    CountingOutputStream(OutputStream out, BooleanSupplier closedAlready) {
        super(out);
        this.closedAlready = closedAlready;
    }

    long count() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
        refuseIfClosed();
        count++;
        try {
            out.write(b);
        } catch (IOException | RuntimeException e) {
            untaken(1);
            throw e;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        refuseIfClosed();
        count += len;
        try {
            out.write(b, off, len);
        } catch (IOException | RuntimeException e) {
            untaken(len);
            throw e;
        }
    }

    /**
     * A write to a socket already closed (by the read loop, which saw the server close the idle connection just as a
     * request took it) hands nothing over, so none of its bytes count: the request is "nothing written" and a
     * replayable one is retried, as Go's count of what {@code conn.Write} returned (0 on a closed connection) says
     * (E17). A socket closed once the write began still counts it: part of it may have gone out.
     */
    private void refuseIfClosed() throws SocketException {
        if (closedAlready.getAsBoolean()) {
            throw new SocketException("Socket closed");
        }
    }

    /** A write of {@code len} bytes failed: the bytes the socket never took, if it knows, no longer count. */
    private void untaken(int len) {
        if (out instanceof ExactOnFailure exact) {
            count -= len - Math.min(len, Math.max(0, exact.takenOfFailedWrite()));
        }
    }
}
