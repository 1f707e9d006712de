package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.RequestCancelledException;
import io.gochan.http.internal.BodyEnd;
import io.gochan.http.internal.BodyLength;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.BulkInputStream;
import io.gochan.http.internal.codec.FramingEnd;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Wraps a streamed response body and tells the connection's read loop, exactly once, how the body
 * ended (Go's bodyEOFSignal): {@code true} on {@code waitForBodyRead} when it was read to EOF,
 * {@code false} when it was closed early or failed. At EOF the reader then waits until the read loop
 * has completed the exchange ({@code eofc} closed: the connection reused or closed), so a caller that
 * sends its next request right after reading the body finds this connection in the pool. An early close
 * or a failure aborts the exchange at once (the connection is closed, nothing is drained), which also
 * unblocks a read in progress on another thread.
 *
 * <p>The read that completes the body's framing (its declared length, or a chunk after which the last chunk was
 * already buffered: {@link FramingEnd}) is its EOF read, although it returns bytes: the read loop is told, and the
 * read returns only once the connection is pooled or closed, so a close after it reuses the connection (E49).
 *
 * <p>A failed read reports why the exchange ended, not what the socket said when it was closed under
 * it: the request's cancellation, timeout or interrupt, or the transport's close
 * ({@link RequestCancelledException}, {@link HttpTimeoutException}), or the request's upload cut short by its own
 * body or listener, which closed the connection (an {@link HttpConnectionException} saying so, with what the caller's
 * code threw as its cause: E94); other socket failures become an
 * {@link HttpConnectionException}; protocol errors stay {@link HttpProtocolException}s. Whatever a read takes from the
 * socket after this side closed the connection fails it the same way, whatever the framing, TLS or not: the end a
 * closed socket answers never ends the body as if whole (E98) nor passes for the server's premature end, a failed read
 * says our close and its cause, not "Socket closed" (E102), and bytes that arrived while the close ran never complete
 * the body, though bytes buffered before it are read (E103); a socket an interrupt closed under the read likewise
 * (E104). The connection's input judges each answer of the socket as it takes it. A read that completed the body's
 * framing before our close stands, whatever the close does afterwards. Every read after a failed one throws that
 * failure again (P61).
 * Reads are serialized (P62); {@link #close()} is not, so it ends a read blocked on another thread (E64).
 */
final class BodyEofSignal extends BulkInputStream implements BodyEnd, BodyLength {
    static final String PHASE = "reading the response body";

    private final InputStream body;
    private final Exchange ex;
    /** Capacity 2: EOF and close may both report; neither send ever blocks. */
    private final Chan<Boolean> waitForBodyRead;
    private final ReceiveChan<Object> eofc;
    private final Consumer<Throwable> onDone;
    /**
     * Whether the body's EOF is the request's end, reported as {@code done(null)}; false when a decoder reads this
     * body (P25): the decoded body's own end, or its failure, is the request's outcome then, reported by the decoder
     * (E50). A failure or an early close of this body is reported here either way.
     */
    private final boolean doneAtEof;
    /** Why the connection was closed, or null while it is open. */
    private final Supplier<IOException> connectionClosedCause;
    /**
     * The failure of the request's upload that closed the connection (E94), or null: the request was cut short on the
     * wire by its own body or listener. Bytes of this body already received are still read (E66, as Go reads its
     * buffer); a read the close cut, or one that needs the closed socket, fails with it, also one that took bytes the
     * server sent once it saw the upload stop, its answer's end among them (E103).
     */
    private final Supplier<IOException> uploadFailure;
    /** Asks for sliced socket reads (idempotent): a platform thread is woken by nothing else on an interrupt. */
    private final BooleanSupplier sliceReads;
    /**
     * Whether the transport was closed: checked before each read, since the bytes still to come may all be
     * in the connection's buffer already, and a read from the buffer never sees the closed socket (E3).
     */
    private final BooleanSupplier transportClosed;
    /**
     * Told of {@link #close()}, also after the end, or null: a tunnel's body, whose end leaves the connection open
     * for the caller's writes until it closes the body or the output (E74).
     */
    private final Runnable onClose;
    private final AtomicBoolean reported = new AtomicBoolean();
    /** Held by the one read in progress (P62); never by close(), which must end a read blocked under it (E64). */
    private final ReentrantLock reading = new ReentrantLock();
    /** Why a read failed; every later read throws it (P61). */
    private volatile IOException failed;
    private volatile boolean closed;
    /**
     * The body was read to its end. From then on the body answers EOF by itself and never touches the
     * connection again: the connection may already serve the next request (E14).
     */
    private volatile boolean atEof;

    BodyEofSignal(InputStream body, Exchange ex, Chan<Boolean> waitForBodyRead, ReceiveChan<Object> eofc,
            Consumer<Throwable> onDone, boolean doneAtEof, Supplier<IOException> connectionClosedCause,
            Supplier<IOException> uploadFailure, BooleanSupplier sliceReads, BooleanSupplier transportClosed,
            Runnable onClose) {
        this.onClose = onClose;
        this.body = body;
        this.ex = ex;
        this.waitForBodyRead = waitForBodyRead;
        this.eofc = eofc;
        this.onDone = onDone;
        this.doneAtEof = doneAtEof;
        this.connectionClosedCause = connectionClosedCause;
        this.uploadFailure = uploadFailure;
        this.sliceReads = sliceReads;
        this.transportClosed = transportClosed;
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
        // The caller's mistake, not the connection's: thrown as InputStream specifies, nothing is read (E14).
        Objects.checkFromIndexSize(off, len, b.length);
        // One read at a time (P62): the framing's state and the connection's buffer are one reader's. A second
        // thread waits here while the first is in the socket; close() takes no lock, so it still ends that read.
        // Uncontended, the lock is taken whatever the interrupt status: an interrupted thread's read goes on as
        // before (at the end it answers EOF, and the EOF read is not ended by an interrupt, E38).
        if (!reading.tryLock()) {
            try {
                reading.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // kept, as for a read the interrupt ends in the socket (E62)
                if (atEof) {
                    return len == 0 ? 0 : -1; // the other reader reached the end: it stands (E14)
                }
                IOException earlier = failed;
                throw earlier != null ? earlier : fail(failure(e));
            }
        }
        try {
            return readOne(b, off, len);
        } finally {
            reading.unlock();
        }
    }

    private int readOne(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
        IOException earlier = failed;
        if (earlier != null) {
            // A failed body stays failed (P61), as Go's bodyEOFSignal keeps its rerr: the framing stopped mid-way, and
            // reading on would take the connection's next bytes (framing, or whatever follows) for body bytes.
            throw earlier;
        }
        if (atEof) {
            return len == 0 ? 0 : -1; // InputStream: a zero-length read returns 0, at the end too (E15, P61)
        }
        IOException aborted = ex.abortCause();
        if (aborted == null && transportClosed.getAsBoolean()) {
            ex.abort(RequestScope.transportClosed()); // no-op if the exchange ended meanwhile
            aborted = ex.abortCause();
        }
        if (aborted != null) {
            throw fail(aborted);
        }
        if (len == 0) {
            return 0; // InputStream: no bytes are read; a chunked body would otherwise read its next chunk-size line
        }
        int n;
        try {
            if (!Thread.currentThread().isVirtual() && !sliceReads.getAsBoolean()) {
                throw new HttpConnectionException("cannot set the connection's read timeout", null);
            }
            n = body.read(b, off, len);
        } catch (Exception e) { // also a checked exception a Dialer's socket lets out undeclared (E114)
            if (closed) {
                throw new IOException("response body is closed", e);
            }
            throw fail(failure(e));
        } catch (Error e) {
            // A Dialer's socket's Error (or the read timeout's setting, E114) is the reader's, thrown to it as it is
            // (E77); the body fails first, as for any failed read: its exchange aborted (the connection closed), every
            // later read failing with the same cause (P61). Before, the body stayed readable mid-framing and the
            // connection open until the body's close, or for ever without one.
            if (!closed) {
                fail(failure(e));
            }
            throw e;
        }
        if (n < 0 || n > 0 && body instanceof FramingEnd f && f.framingEnded()) {
            // The end (E49: also the read that completed the framing, with its bytes): nothing of it is left to read.
            atEof = true;
            eof();
        }
        return n;
    }

    /** The body failed with {@code why}: every later read throws it (P61); the exchange is aborted and reported once. */
    private IOException fail(IOException why) {
        failed = why;
        report(why);
        return why;
    }

    /** What a failed read reports: why the exchange ended if it was ended under the read, else the read's own failure. */
    private IOException failure(Throwable e) {
        IOException why = ex.abortCause();
        if (why == null && Thread.currentThread().isInterrupted()) {
            // A virtual thread's interrupt closes the socket it reads from: that is a cancellation, not a failure.
            why = RequestScope.interruptedWhile(PHASE, e);
        }
        if (why == null) {
            IOException closedCause = connectionClosedCause.get();
            if (RequestScope.isEnd(closedCause)) {
                why = closedCause;
            }
        }
        if (why == null) {
            // The socket was closed under the read, or before it, because the upload was cut short (E94): that, not
            // "Socket closed" or the framing's premature end, is why.
            why = uploadFailure.get();
        }
        if (why == null) {
            why = e instanceof HttpProtocolException || e instanceof HttpTimeoutException || e instanceof RequestCancelledException
                    || e instanceof HttpConnectionException
                    ? (IOException) e
                    : new HttpConnectionException("connection failed while " + PHASE + ": " + ThrowableText.message(e), e);
            ex.abort(why); // no-op if it was already aborted
            IOException late = endedMeanwhile(why);
            return late != null ? late : why;
        }
        ex.abort(why); // no-op if it was already aborted
        return why;
    }

    /**
     * The request's end that came after the connection failed with {@code failure} but before this read returned it
     * (E129, {@link RequestScope#endOver}, as E154 for the wait for the head): the exchange aborted with an end by
     * another party first (the read loop, for the context), the thread interrupted (its status kept, E62), the context
     * done or the deadline passed, the transport closed, also from within the connection's close that the failure
     * caused. That end is what the read reports, the failure suppressed under it (unless it is the winner's, which may
     * be thrown elsewhere too), as Go's body read returns {@code pc.canceled()} before the error it met. Null if the
     * request has not ended.
     */
    private IOException endedMeanwhile(IOException failure) {
        return ex.scope().endOver(failure, RequestScope.Phase.BODY_READ, PHASE, ex.abortCause(), transportClosed);
    }

    /**
     * Whether a read took the body to its end: its EOF, or the read that completed its framing with its last bytes
     * (E49). Set before that read returns, which it does once the connection is pooled or closed; what HttpClient asks
     * to end its send's context at that read, not at a -1 that may never be read (E44).
     */
    @Override
    public boolean bodyEnded() {
        return atEof;
    }

    /**
     * The framing's count of the bytes still to come (P95), or -1: not known (not a {@code Content-Length} body), or
     * not what a read would give (the body ended, failed or was closed, the request or the transport ended). Only
     * tried with the read turn, as {@link #available()} (E97): -1 beside a read in progress, never a wait.
     */
    @Override
    public long remainingLength() {
        if (!reading.tryLock()) {
            return -1;
        }
        try {
            if (closed || atEof || failed != null || ex.abortCause() != null || transportClosed.getAsBoolean()
                    || !(body instanceof BodyLength length)) {
                return -1;
            }
            return length.remainingLength();
        } finally {
            reading.unlock();
        }
    }

    @Override
    public int available() throws IOException {
        // The framing's count and the connection's buffer belong to the holder of the read turn (E97): a read in
        // progress on another thread moves them (a fill sets the buffer's start and its end one after the other,
        // and nothing orders those writes for a thread outside the turn), so a look taken beside it could add a
        // stale end to a new start, or the reverse: more bytes than are there, or fewer than none. A read in progress
        // means nothing can be had without waiting for it: 0. The turn is only tried, never waited for, so this never
        // blocks behind a read that waits on the peer.
        if (!reading.tryLock()) {
            return 0;
        }
        try {
            // 0 where a read would throw (P76): a failed body (P61), an aborted exchange, a closed transport.
            if (closed || atEof || failed != null || ex.abortCause() != null || transportClosed.getAsBoolean()) {
                return 0;
            }
            return body.available();
        } finally {
            reading.unlock();
        }
    }

    /**
     * Why a read of this body failed, or null: every later read throws it (P61). For a decoder above this body, whose
     * reader interrupted while waiting for its turn must not replace a failure already met (P81).
     *
     * @return the failure, or null
     */
    IOException failure() {
        return failed;
    }

    private void eof() {
        if (reported.compareAndSet(false, true)) {
            waitForBodyRead.trySend(true);
            awaitExchangeCompleted();
            // Only now: done() describes a request whose connection is back in the pool or closed (E22).
            if (doneAtEof) {
                onDone.accept(null);
            }
        }
    }

    /**
     * Waits, not interruptibly, until the read loop has decided the connection's fate ({@code eofc} closed: the
     * connection pooled or closed), so the EOF read returns, and done() is reported, only after it (P15, E22).
     * An interrupt does not end the wait (E38): the EOF stands and the interrupt stays set. The wait is short and
     * never on a peer: the read loop, which closes {@code eofc} whatever happens, only checks the write's result
     * (bounded, 50 ms at most) before it pools or closes the connection.
     */
    private void awaitExchangeCompleted() {
        boolean interrupted = false;
        while (true) {
            try {
                eofc.receiveOk(); // never sent on: returns once the read loop closed it, the exchange completed
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The body ended before its EOF (closed early, or a read failed): the exchange is aborted, then reported. */
    private void report(IOException error) {
        if (reported.compareAndSet(false, true)) {
            waitForBodyRead.trySend(false);
            ex.abort(error != null ? error : new HttpConnectionException("response body closed before its end", null));
            onDone.accept(error);
        }
    }

    /**
     * The body is of no use any more for a reason found above it (its gzip data is bad): the exchange is
     * aborted with {@code why} (the connection closed, nothing drained), once, as a failed read would.
     */
    void abort(IOException why) {
        report(why);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        report(null);
        if (onClose != null) {
            onClose.run();
        }
    }
}
