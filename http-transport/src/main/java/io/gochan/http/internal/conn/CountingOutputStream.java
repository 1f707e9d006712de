package io.gochan.http.internal.conn;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

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

    CountingOutputStream(OutputStream out) {
        super(out);
    }

    long count() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
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
        count += len;
        try {
            out.write(b, off, len);
        } catch (IOException | RuntimeException e) {
            untaken(len);
            throw e;
        }
    }

    /** A write of {@code len} bytes failed: the bytes the socket never took, if it knows, no longer count. */
    private void untaken(int len) {
        if (out instanceof ExactOnFailure exact) {
            count -= len - Math.min(len, Math.max(0, exact.takenOfFailedWrite()));
        }
    }
}
