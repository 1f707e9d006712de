package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.http.HttpConnectionException;
import io.gochan.select.Select;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write side of a connection a response turned into a tunnel (R67): a 101 Switching Protocols to a request that
 * asked for it, or a 2xx to a {@code CONNECT}. Each write goes out at once (flushed), after the request: the first
 * waits until the connection's write loop is done with it, its body included. Writes by several threads are taken
 * one at a time: each waits for its turn (a lock and its condition, never {@code synchronized}), and the lock is held
 * only to look at the turn, never across a write, which may block on the peer. Once the connection closes (the
 * response's body closed, the request ended, the transport closed, or both the body read to its end and this output
 * closed) a write fails with {@link HttpConnectionException}; {@link #close()} ends the output (the peer reads the
 * end) and leaves the reading side open (E73); the body's end leaves this output open (E74). A close that comes while
 * another thread's write is in the connection never waits for it: it closes the connection, which ends that write
 * (E107).
 */
final class TunnelOutput extends OutputStream {
    private final PersistConn conn;
    private final ReceiveChan<Object> requestWritten;
    /** Guards {@link #closed} and {@link #writing}; held only to look at them or change them, never across a wait. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a write gives up its turn or the output closes: a write waiting for its turn looks again. */
    private final Condition turn = lock.newCondition();
    private boolean closed; // under lock
    private boolean writing; // under lock: a write has the turn (it is in the connection, or about to be)
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
        // Every write goes after the request (E73); waited for before the turn, so that no close waits behind it.
        awaitRequestWritten();
        takeTurn();
        try {
            conn.writeTunnel(b, off, len);
        } finally {
            endTurn();
        }
    }

    /** Nothing to do: every write is flushed. */
    @Override
    public void flush() {}

    /**
     * Ends the output: the peer reads the end of the stream. The body can still be read; once it is read to its end
     * too, or if it already was, the tunnel is over and its connection closed (E74). A close that an interrupt cuts
     * while it waits for the request's own write to end throws {@link InterruptedIOException} and leaves the output
     * open, as it was: a later close ends it (E93). A close never waits for another thread's write: one that comes while
     * a write is in the connection (blocked on a peer that reads nothing, for as long as the peer likes) closes the
     * connection, which ends that write with {@link HttpConnectionException}, and the tunnel with it, both halves
     * (E107). Under TLS the end is a {@code close_notify}, a write that a full send buffer blocks: one not sent within
     * 5 s (Go's bound) closes the connection, and this throws {@link HttpConnectionException} saying so (E113).
     */
    @Override
    public void close() throws IOException {
        // Marked closed, and the read loop told, only once the request's write is over (E93): a wait the interrupt
        // cuts has ended nothing, so the output stays open and a later close ends it. Marked before the wait, the
        // output was closed for good without its shutdown: every later close returned at once, the peer never
        // read our end, and the read loop, told at once, took the tunnel for over as soon as the peer's half ended.
        awaitRequestWritten();
        boolean cut;
        // Held only to look at the turn: taken without looking at the interrupt (E75), so an interrupted thread's
        // try-with-resources still ends the output, as a socket's close does.
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            cut = writing;
            turn.signalAll(); // writes waiting for their turn find the output closed
        } finally {
            lock.unlock();
        }
        try {
            if (cut) {
                // Another thread's write is in the connection, maybe blocked for ever on a peer that reads nothing:
                // waiting for it hung this close (E107). Its bytes cannot be followed by an orderly end anyway, so the
                // connection is closed, as Go's Close of a connection ends a Write in progress; that write fails
                // saying so, and the tunnel is over.
                conn.close(new HttpConnectionException("connection closed: its tunnel's output was closed while another"
                        + " thread's write to it was in progress", null));
            } else {
                // No write has the turn, and none can take it now: the shutdown follows the last write's bytes.
                conn.shutdownTunnelOutput();
            }
        } finally {
            tunnelEnd.trySend(Boolean.TRUE); // also when the shutdown failed: the output is over either way
        }
    }

    /**
     * Waits, interruptibly, until no other write has the turn, and takes it (E73); a write entered with the interrupt
     * set that finds the turn free is refused by {@link PersistConn#writeTunnel} before a byte goes (E80).
     *
     * @throws IOException if the output is closed, or {@link InterruptedIOException} if the wait was interrupted
     */
    private void takeTurn() throws IOException {
        lock.lock();
        try {
            while (writing && !closed) {
                try {
                    turn.await();
                } catch (InterruptedException e) {
                    throw interrupted(e);
                }
            }
            if (closed) {
                throw new IOException("the tunnel's output is closed");
            }
            writing = true;
        } finally {
            lock.unlock();
        }
    }

    /** Gives the turn up: the next write waiting for it, if any, takes it. */
    private void endTurn() {
        lock.lock();
        try {
            writing = false;
            turn.signalAll();
        } finally {
            lock.unlock();
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
