package io.gochan.http.internal.conn;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A response body that arrived completely with its head and is held in memory. The connection is
 * already past it on the wire, yet its fate still follows the pool rule: reading this body to EOF
 * releases the connection (on the reader's thread, before the EOF read returns, so a next request
 * finds it pooled), closing it earlier closes the connection. Exactly one of the two is reported.
 * Reads after {@link #close()} fail, as on a streamed body. One reader at a time, as for any body.
 */
final class BufferedBody extends InputStream implements ConnectionBoundBody {
    private final byte[] bytes;
    /** Called once: {@code true} = read to EOF, {@code false} = closed before EOF. */
    private final Consumer<Boolean> finish;
    private final AtomicBoolean reported = new AtomicBoolean();
    private int pos;
    private volatile boolean closed;

    BufferedBody(byte[] bytes, Consumer<Boolean> finish) {
        this.bytes = bytes;
        this.finish = finish;
    }

    @Override
    public int read() throws IOException {
        ensureOpen();
        if (pos < bytes.length) {
            return bytes[pos++] & 0xff;
        }
        report(true);
        return -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (pos == bytes.length) {
            report(true);
            return -1;
        }
        int n = Math.min(len, bytes.length - pos);
        System.arraycopy(bytes, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public int available() {
        return closed ? 0 : bytes.length - pos;
    }

    @Override
    public boolean isDone() {
        return reported.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Everything read but the EOF not yet seen still counts as read to the end: nothing is left on the wire.
        report(pos == bytes.length);
    }

    private void report(boolean atEof) {
        if (reported.compareAndSet(false, true)) {
            finish.accept(atEof);
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
    }
}
