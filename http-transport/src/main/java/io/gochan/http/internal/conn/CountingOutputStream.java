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
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        count += len;
        out.write(b, off, len);
    }
}
