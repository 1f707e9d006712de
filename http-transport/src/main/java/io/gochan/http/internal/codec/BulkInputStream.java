package io.gochan.http.internal.codec;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream whose one-byte {@link #read()} is a bulk {@link #read(byte[], int, int)} of one byte,
 * so that a body stream's framing, limits, deadline and end-of-body signalling live in that one method.
 * ({@link InputStream}'s defaults go the other way round: its bulk read calls {@code read()} per byte.)
 */
public abstract class BulkInputStream extends InputStream {
    /** For subclasses. */
    protected BulkInputStream() {}

    /**
     * Reads one byte through {@link #read(byte[], int, int)}.
     *
     * @return the byte, 0 to 255, or -1 at the end of the stream
     * @throws IOException as the bulk read throws it
     */
    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
