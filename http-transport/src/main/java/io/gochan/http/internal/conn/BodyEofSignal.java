package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.ReceiveChan;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Wraps a response body and tells the connection's read loop, exactly once, how the body ended (Go's
 * bodyEOFSignal): {@code true} on {@code waitForBodyRead} when it was read to EOF, {@code false} when
 * it was closed early or failed. At EOF the reader then waits until the read loop has pooled or
 * closed the connection ({@code eofc} closed), so a caller that sends its next request right after
 * reading the body finds this connection in the pool. An early close also closes the connection at
 * once (nothing is drained), which unblocks a read in progress on another thread.
 */
final class BodyEofSignal extends InputStream implements ConnectionBoundBody {
    private final InputStream body;
    /** The socket's read timeout while this body is read (zero = none); named in timeout errors. */
    private final Duration readTimeout;
    /** Capacity 2: EOF and close may both report; neither send ever blocks. */
    private final Chan<Boolean> waitForBodyRead;
    private final ReceiveChan<Object> eofc;
    private final Runnable abort;
    private final Runnable onDone;
    /** Why the connection was closed, or null while it is open. */
    private final Supplier<IOException> connectionClosedCause;
    private final AtomicBoolean reported = new AtomicBoolean();
    private volatile boolean closed;

    BodyEofSignal(InputStream body, Duration readTimeout, Chan<Boolean> waitForBodyRead, ReceiveChan<Object> eofc,
            Runnable abort, Runnable onDone, Supplier<IOException> connectionClosedCause) {
        this.body = body;
        this.readTimeout = readTimeout;
        this.waitForBodyRead = waitForBodyRead;
        this.eofc = eofc;
        this.abort = abort;
        this.onDone = onDone;
        this.connectionClosedCause = connectionClosedCause;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
        int n;
        try {
            n = body.read(b, off, len);
        } catch (IOException | RuntimeException e) {
            if (closed) {
                throw new IOException("response body is closed", e);
            }
            // Read before report(false), which closes the connection with a cause of its own.
            IOException why = connectionClosedCause.get();
            report(false);
            if (why instanceof InterruptedIOException && e instanceof IOException) {
                // The request was cancelled, so the connection was closed under this read: say so, not "Socket closed".
                InterruptedIOException clear = new InterruptedIOException(why.getMessage());
                clear.initCause(e);
                throw clear;
            }
            if (e instanceof SocketTimeoutException) {
                SocketTimeoutException t = new SocketTimeoutException(
                        "no bytes of the response body for " + readTimeout + " (bodyReadTimeout); connection closed");
                t.initCause(e);
                throw t;
            }
            throw e;
        }
        if (n < 0) {
            eof();
        }
        return n;
    }

    @Override
    public int available() throws IOException {
        return closed ? 0 : body.available();
    }

    private void eof() {
        if (report(true)) {
            try {
                eofc.receiveOk(); // closed by the read loop once it pooled or closed the connection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the EOF stands; we only stop waiting
            }
        }
    }

    private boolean report(boolean atEof) {
        if (reported.compareAndSet(false, true)) {
            waitForBodyRead.trySend(atEof);
            if (!atEof) {
                abort.run();
            }
            onDone.run();
            return true;
        }
        return false;
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
        report(false);
    }
}
