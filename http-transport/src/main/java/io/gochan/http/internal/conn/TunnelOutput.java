package io.gochan.http.internal.conn;

import io.gochan.Chan;
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
 * (the response's body closed, the request ended, the transport closed, or both the body read to its end and this
 * output closed) a write fails with {@link HttpConnectionException}; {@link #close()} ends the output (the peer reads
 * the end) and leaves the reading side open (E73); the body's end leaves this output open (E74).
 */
final class TunnelOutput extends OutputStream {
    private final PersistConn conn;
    private final ReceiveChan<Object> requestWritten;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed; // under lock
    /** Told when the output is closed: after the body's end, the tunnel is then over (E74). */
    private final Chan<Object> tunnelEnd;
    /**
     * The body's stream, kept reachable while the output is: a caller that read the body to its end and kept only the
     * output still has its tunnel, which the unclosed-body watcher would otherwise close when the body is collected.
     */
    @SuppressWarnings("unused")
    private final Object body;

    TunnelOutput(PersistConn conn, ReceiveChan<Object> requestWritten, Chan<Object> tunnelEnd, Object body) {
        this.conn = conn;
        this.tunnelEnd = tunnelEnd;
        this.body = body;
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

    /**
     * Ends the output: the peer reads the end of the stream. The body can still be read; once it is read to its end
     * too, or if it already was, the tunnel is over and its connection closed (E74). A close that an interrupt cuts
     * while it waits (for another thread's write, or for the request's own write to end) throws
     * {@link InterruptedIOException} and leaves the output open, as it was: a later close ends it (E93).
     */
    @Override
    public void close() throws IOException {
        // A close that nobody else's write holds up takes the lock without looking at the interrupt (E75): an
        // interrupted thread's try-with-resources still ends the output, as a socket's close does; only a wait for a
        // write in progress is interruptible.
        if (!lock.tryLock()) {
            lockInterruptibly();
        }
        boolean ended = false;
        try {
            if (closed) {
                return;
            }
            // Marked closed, and the read loop told, only once the request's write is over (E93): a wait the interrupt
            // cuts has ended nothing, so the output stays open and a later close ends it. Marked before the wait, the
            // output was closed for good without its shutdown: every later close returned at once, the peer never
            // read our end, and the read loop, told at once, took the tunnel for over as soon as the peer's half ended.
            awaitRequestWritten();
            closed = true;
            ended = true;
            conn.shutdownTunnelOutput();
        } finally {
            lock.unlock();
            if (ended) {
                tunnelEnd.trySend(Boolean.TRUE); // also when the shutdown failed: the output is over either way
            }
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
