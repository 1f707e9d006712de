package io.gochan.http.internal.conn;

import io.gochan.http.HttpConnectionException;
import io.gochan.http.internal.BodyEnd;
import io.gochan.http.internal.BodyLength;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.codec.BulkInputStream;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A response body that arrived completely with its head and is held in memory. The connection is
 * already past it on the wire, yet its fate still follows the pool rule, through its exchange: reading
 * this body to EOF completes the exchange (the connection is reused, on the reader's thread, before the
 * EOF read returns, so a next request finds it pooled), as does the read that returns its last bytes (E49: a
 * close after it reuses the connection, as for a streamed body), closing it earlier aborts it. Exactly one of the
 * two happens. The request's context and deadline still bound it: either ending before the body did closes the
 * connection at once, by its exchange's watch of the request's end, the one a streamed body's has too (P93, P94),
 * and a read after either ended fails,
 * as does a read after the transport closed. Reads after {@link #close()} fail, as on a streamed body.
 * Reads are serialized (P62), as for any body; a failed read fails every read after it (P61).
 */
final class BufferedBody extends BulkInputStream implements BodyEnd, BodyLength {
    private static final String PHASE = "reading the response body";

    private final byte[] bytes;
    private final Exchange ex;
    /**
     * Why the connection may not be reused at EOF, or null if it may (asked then: the write has had longer to report;
     * the read loop's {@link KeepAlive} verdict, E136).
     */
    private final Supplier<String> whyNotReusable;
    private final Consumer<Throwable> onDone;
    /** Whether the transport was closed: the body then fails like a streamed one (E3), bytes in memory or not. */
    private final BooleanSupplier transportClosed;
    private final AtomicBoolean reported = new AtomicBoolean();
    /** Held by the one read in progress (P62). */
    private final ReentrantLock reading = new ReentrantLock();
    /** Why a read failed; every later read throws it (P61). */
    private volatile IOException failed;
    private int pos;
    private volatile boolean closed;
    /** A read returned the last bytes (or -1): the exchange completed then (E49); read by HttpClient (E44). */
    private volatile boolean ended;

    BufferedBody(byte[] bytes, Exchange ex, Supplier<String> whyNotReusable, Consumer<Throwable> onDone,
            BooleanSupplier transportClosed) {
        this.bytes = bytes;
        this.ex = ex;
        this.whyNotReusable = whyNotReusable;
        this.onDone = onDone;
        this.transportClosed = transportClosed;
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        // One read at a time (P62): two threads never take the same bytes. Never held while blocking on a peer: the
        // bytes are here, and the EOF read waits only for the pool.
        reading.lock();
        try {
            return readOne(b, off, len);
        } finally {
            reading.unlock();
        }
    }

    private int readOne(byte[] b, int off, int len) throws IOException {
        ensureLive();
        if (len == 0) {
            return 0;
        }
        if (pos == bytes.length) {
            finish(true);
            ended = true;
            return -1;
        }
        int n = Math.min(len, bytes.length - pos);
        System.arraycopy(bytes, pos, b, off, n);
        pos += n;
        if (pos == bytes.length) {
            finish(true); // its end, with its last bytes (E49): the connection is back before this read returns
            ended = true;
        }
        return n;
    }

    /**
     * Whether a read took the body to its end, with its last bytes or as -1 (E49): what HttpClient asks to end its
     * send's context at that read (E44). Not a close, even after every byte was read: a close is no read.
     */
    @Override
    public boolean bodyEnded() {
        return ended;
    }

    /**
     * The bytes held and not read yet (P95), as a {@code Content-Length} body that is still on the wire counts them, or
     * -1 where a read would not give them (as {@link #available()} answers 0), or beside a read in progress.
     */
    @Override
    public long remainingLength() {
        if (!reading.tryLock()) {
            return -1;
        }
        try {
            return available() > 0 ? bytes.length - pos : -1;
        } finally {
            reading.unlock();
        }
    }

    @Override
    public int available() {
        // 0 where a read would throw (P76): a failed body (P61), an aborted exchange, a request or transport ended.
        if (closed || failed != null || pos == bytes.length) {
            return 0;
        }
        if (ex.abortCause() != null || ex.scope().ended(PHASE) != null || transportClosed.getAsBoolean()) {
            return 0;
        }
        return bytes.length - pos;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Everything read but the EOF not yet seen still counts as read to the end: nothing is left on the wire.
        finish(pos == bytes.length);
    }

    private void finish(boolean atEof) {
        if (reported.compareAndSet(false, true)) {
            if (atEof) {
                String whyNot = whyNotReusable.get();
                ex.complete(whyNot == null, whyNot);
            } else {
                ex.abort(new HttpConnectionException("response body closed before its end", null));
            }
            onDone.accept(null);
        }
    }

    private void ensureLive() throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
        IOException earlier = failed;
        if (earlier != null) {
            // A failed body stays failed (P61): the bytes held here must not be read on after the request ended
            // (its deadline, its context, the transport's close), as a streamed body's cannot be.
            throw earlier;
        }
        if (reported.get()) {
            return; // at EOF already: the exchange is over, reads keep answering EOF
        }
        IOException aborted = ex.abortCause();
        if (aborted == null) {
            IOException ended = ex.scope().ended(PHASE);
            if (ended == null && transportClosed.getAsBoolean()) {
                ended = RequestScope.transportClosed();
            }
            if (ended != null && !ex.abort(ended)) {
                ended = null;
            }
            aborted = ended != null ? ended : ex.abortCause();
        } else {
            // Another party ended the exchange (the watch of the request's context or deadline, the transport's close)
            // and may be closing the connection right now: this read, the race's loser, reports only once that close
            // is complete (E158, E26), as a streamed body's read does. Before, it threw and reported done() while the
            // connection was still counted open and in use by nobody.
            ex.awaitAbortersClose();
        }
        if (aborted != null) {
            failed = aborted;
            if (reported.compareAndSet(false, true)) {
                onDone.accept(aborted);
            }
            throw aborted;
        }
    }
}
