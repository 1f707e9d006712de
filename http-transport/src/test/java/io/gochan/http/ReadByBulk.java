package io.gochan.http;

import java.io.IOException;
import java.io.InputStream;

/**
 * A test's hand-made body source: an {@link InputStream} whose one-byte {@link #read()} goes through
 * {@link #read(byte[], int, int)}, the only read such a source writes (what it blocks on, throws or counts lives there).
 */
abstract class ReadByBulk extends InputStream {
    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
