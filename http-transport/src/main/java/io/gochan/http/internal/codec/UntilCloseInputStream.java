package io.gochan.http.internal.codec;

import java.io.IOException;
import java.io.InputStream;

/** A body delimited by the server closing the connection. */
final class UntilCloseInputStream extends InputStream {
    private final ConnInput in;

    UntilCloseInputStream(ConnInput in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return in.read(b, off, len);
    }
}
