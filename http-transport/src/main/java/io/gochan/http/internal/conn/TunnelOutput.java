package io.gochan.http.internal.conn;

import io.gochan.ReceiveChan;
import io.gochan.http.HttpConnectionException;
import io.gochan.select.Select;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write side of a connection a response turned into a tunnel (R67): a 101 Switching Protocols to a request that
 * asked for it, or a 2xx to a {@code CONNECT}. Each write goes out at once (flushed), after the request: the first
 * waits until the connection's write loop is done with it, its body included. Writes by several threads are taken
 * one at a time (a lock, never {@code synchronized}: a write may block on the peer). Once the connection closes
 * (the response's body read to its end or closed, the request ended, the transport closed) a write fails with
 * {@link HttpConnectionException}; {@link #close()} ends the output (the peer reads the end) and leaves the reading
 * side open (E73).
 */
final class TunnelOutput extends OutputStream {
    private final PersistConn conn;
    private final ReceiveChan<Object> requestWritten;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed; // under lock

    TunnelOutput(PersistConn conn, ReceiveChan<Object> requestWritten) {
        this.conn = conn;
        this.requestWritten = Objects.requireNonNull(requestWritten, "only a CONNECT or an upgrade request has a tunnel");
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        lockInterruptibly();
        try {
            if (closed) {
                throw new IOException("the tunnel's output is closed");
            }
            awaitRequestWritten();
            conn.writeTunnel(b, off, len);
        } finally {
            lock.unlock();
        }
    }

    /** Nothing to do: every write is flushed. */
    @Override
    public void flush() {}

    @Override
    public void close() throws IOException {
        lockInterruptibly();
        try {
            if (closed) {
                return;
            }
            closed = true;
            awaitRequestWritten();
            conn.shutdownTunnelOutput();
        } finally {
            lock.unlock();
        }
    }

    private void lockInterruptibly() throws InterruptedIOException {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** Until the write loop is done with the request, or the connection closed (a write then says why). */
    private void awaitRequestWritten() throws InterruptedIOException {
        if (requestWritten.tryReceive().closed()) {
            return;
        }
        try {
            Select.cases().receiveOk(requestWritten, r -> null).receiveOk(conn.closech(), r -> null).select();
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** An interrupt ends a wait as any blocking I/O: an {@link InterruptedIOException}, the interrupt kept set. */
    private static InterruptedIOException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException io = new InterruptedIOException("interrupted while waiting to write to the tunnel");
        io.initCause(e);
        return io;
    }
}
