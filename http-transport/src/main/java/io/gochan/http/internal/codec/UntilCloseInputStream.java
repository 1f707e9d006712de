package io.gochan.http.internal.codec;

import java.io.IOException;
import java.io.InputStream;

/**
 * A body delimited by the server closing the connection: its EOF is the body's end only if the stream
 * ended properly (P33: a TLS stream cut inside a record did not), and only if this side had not closed the
 * connection itself (E98: a read after our own close may find a plain end of stream).
 */
final class UntilCloseInputStream extends InputStream {
    private final ConnInput in;

    UntilCloseInputStream(ConnInput in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        return ended(in.read());
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : ended(in.read(b, off, len));
    }

    private int ended(int n) throws IOException {
        if (n < 0) {
            in.requireCleanEnd();
        }
        return n;
    }
}
