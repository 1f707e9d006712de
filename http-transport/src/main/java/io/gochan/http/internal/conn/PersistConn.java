package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.ReceiveChan;
import io.gochan.Received;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.http.ContentLengthMismatchException;
import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.RequestListener;
import io.gochan.http.ResponseBody;
import io.gochan.http.internal.codec.BodyFraming;
import io.gochan.http.internal.codec.ConnInput;
import io.gochan.http.internal.codec.FramedBody;
import io.gochan.http.internal.codec.RequestWriter;
import io.gochan.http.internal.codec.ResponseHead;
import io.gochan.http.internal.codec.ResponseHeadReader;
import io.gochan.http.internal.conn.Messages.RequestAndChan;
import io.gochan.http.internal.conn.Messages.ResponseOrError;
import io.gochan.http.internal.conn.Messages.WriteRequest;
import io.gochan.http.internal.conn.Messages.WriteResult;
import io.gochan.http.internal.pool.ConnectKey;
import io.gochan.http.internal.pool.PooledConnection;
import io.gochan.http.jfr.ConnectionEvent;
import io.gochan.select.Select;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * One HTTP/1.1 connection: Go's {@code persistConn}. A read loop and a write loop, each a goroutine
 * (virtual thread), talk to {@link #roundTrip} only through channels and selects.
 *
 * <h2>The channels, who sends, who receives, and why each has its capacity</h2>
 * <ul>
 *   <li>{@code writech} (cap 1), roundTrip → write loop: the request to write. One request is in
 *       flight at a time, so the slot is always free and roundTrip never blocks on it.</li>
 *   <li>{@code reqch} (cap 1), roundTrip → read loop: where to deliver the response
 *       ({@link RequestAndChan}); roundTrip never blocks while the read loop still peeks.</li>
 *   <li>{@code writeErrCh} (per request, cap 1), write loop → roundTrip: the write result. The write
 *       loop sends exactly one value on a fresh channel, so the send can never block: the writer
 *       never waits on a roundTrip that already returned (cancelled, timed out, answered early).</li>
 *   <li>{@code writeResults} (per connection, cap 1), write loop → read loop: the same result, read
 *       before the connection is reused, so a connection whose write failed or is unfinished is
 *       never pooled.</li>
 *   <li>{@code resc} (per request, cap 0), read loop → roundTrip: the response or error, always
 *       sent in a select against {@code callerGone}. Unbuffered, so when the send completes the
 *       caller really owns the response; if the caller is gone the read loop closes the connection
 *       and ends instead of waiting forever for a body nobody will read (the leak a buffered channel
 *       would cause).</li>
 *   <li>{@code callerGone} (per request, closed by roundTrip when it returns), roundTrip → read loop.</li>
 *   <li>{@code closech} (closed once, after the close cause is recorded): wakes every select.</li>
 *   <li>{@code writeLoopDone} (closed when the write loop ends).</li>
 *   <li>{@code continueCh} (per request, cap 1), read loop → write loop: {@code true} = 100 Continue
 *       arrived, send the body; closed = a final status came first, skip the body.</li>
 *   <li>{@code waitForBodyRead} (per response, cap 2), body → read loop: {@code true} = EOF,
 *       {@code false} = closed early or failed; both may be sent, neither send blocks.</li>
 *   <li>{@code eofc} (per response, closed by the read loop), read loop → body reader: the EOF read
 *       returns only after the connection was pooled or closed.</li>
 * </ul>
 * The read loop is the only party that returns the connection to the pool or, when it ends,
 * discards it from the pool; closing the socket unblocks both loops.
 */
public final class PersistConn implements PooledConnection {
    private static final System.Logger LOG = System.getLogger(PersistConn.class.getName());
    private static final AtomicLong IDS = new AtomicLong();
    private static final Object CLOSED = new Object();
    private static final Object HEADER_TIMEOUT = new Object();
    private static final Object CANCELLED = new Object();
    private static final Object DEADLINE = new Object();
    private static final Duration MAX_WRITE_WAIT_BEFORE_REUSE = Duration.ofMillis(50);
    private static final Duration EARLY_RESPONSE_GRACE = Duration.ofMillis(250);

    /** What the pool does with a connection whose exchange ended. */
    public interface Owner {
        /** The exchange ended cleanly: pool the connection. False if the pool refused it (limits, closed): the connection must then be closed and discarded. */
        boolean release(PersistConn conn);

        /** The read loop ended: free the connection's slot. */
        void discard(PersistConn conn, String reason);
    }

    private final long id = IDS.incrementAndGet();
    private final ConnectKey key;
    private final Socket socket;
    private final ConnInput in;
    private final CountingOutputStream rawOut;
    private final BufferedOutputStream out;
    private final ConnConfig cfg;
    private final Owner owner;

    private final Chan<WriteRequest> writech = Chan.make(1);
    private final Chan<RequestAndChan> reqch = Chan.make(1);
    private final Chan<WriteResult> writeResults = Chan.make(1);
    private final Chan<Object> closech = Chan.make();
    private final Chan<Object> writeLoopDone = Chan.make();
    private final AtomicInteger expectedResponses = new AtomicInteger();
    private final ReentrantLock closeLock = new ReentrantLock();
    private volatile IOException closedCause; // written before closech closes
    private volatile boolean closed;
    /** Spans the connection's life; committed at close if a recording enabled it. */
    private final ConnectionEvent lifetime = new ConnectionEvent();

    private PersistConn(ConnectKey key, Socket socket, ConnConfig cfg, Owner owner) throws IOException {
        this.key = key;
        this.socket = socket;
        this.cfg = cfg;
        this.owner = owner;
        this.in = new ConnInput(socket.getInputStream());
        this.rawOut = new CountingOutputStream(socket.getOutputStream());
        this.out = new BufferedOutputStream(rawOut, 8192);
        lifetime.begin();
    }

    /** Wraps a connected socket and starts its read and write loops. */
    public static PersistConn start(ConnectKey key, Socket socket, ConnConfig cfg, Owner owner) throws IOException {
        PersistConn c = new PersistConn(key, socket, cfg, owner);
        Go.go("http-write-loop#" + c.id + " " + key, c::writeLoop);
        Go.go("http-read-loop#" + c.id + " " + key, c::readLoop);
        return c;
    }

    @Override
    public ConnectKey key() {
        return key;
    }

    @Override
    public boolean isUsable() {
        return !closed;
    }

    @Override
    public void closeNow(String reason) {
        close(new IOException("connection closed: " + reason));
    }

    /** Records the cause, closes the socket (unblocking both loops), then closes closech. Idempotent. */
    void close(IOException cause) {
        closeLock.lock();
        try {
            if (closed) {
                return;
            }
            closedCause = cause;
            closed = true;
        } finally {
            closeLock.unlock();
        }
        try {
            socket.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing socket of " + this, e);
        }
        closech.close();
        lifetime.end();
        if (lifetime.shouldCommit()) {
            lifetime.action = "closed";
            lifetime.connection = toString();
            lifetime.reason = cause == null ? null : cause.getMessage();
            lifetime.commit();
        }
    }

    // ------------------------------------------------------------------ roundTrip (caller's thread)

    /**
     * Sends {@code req} on this connection and waits for the response headers, the connection
     * closing, the header timeout, cancellation ({@code cancel} ready, the deadline, an interrupt).
     *
     * @throws ConnException for failures the transport may retry on another connection
     * @throws IOException for protocol errors, timeouts and cancellation
     * @throws InterruptedException if interrupted; the connection is closed
     */
    public HttpResponse roundTrip(HttpRequest req, ReceiveChan<Object> cancel, long deadlineNanos)
            throws IOException, InterruptedException {
        boolean gzip = !cfg.disableCompression() && !req.headers().contains("Accept-Encoding")
                && !req.headers().contains("Range") && !req.method().equals("HEAD");
        Chan<WriteResult> writeErrCh = Chan.make(1);
        Chan<ResponseOrError> resc = Chan.make();
        Chan<Object> callerGone = Chan.make();
        Chan<Boolean> continueCh = RequestWriter.expectsContinue(req) ? Chan.make(1) : null;
        Timer headerTimer = null;
        expectedResponses.incrementAndGet();
        try {
            if (!writech.trySend(new WriteRequest(req, writeErrCh, continueCh, gzip, cfg.disableKeepAlives()))
                    || !reqch.trySend(new RequestAndChan(req, resc, callerGone.receiveOnly(), continueCh, gzip, cancel))) {
                throw new IllegalStateException("connection " + this + " already has a request in flight");
            }
            ReceiveChan<WriteResult> pendingWrite = writeErrCh;
            ReceiveChan<java.time.Instant> headerTimeout = null;
            while (true) {
                Select<Object> s = Select.cases()
                        .receive(pendingWrite, r -> r)
                        .receiveOk(closech, r -> CLOSED)
                        .receive(headerTimeout, t -> HEADER_TIMEOUT)
                        .receive(resc, r -> r)
                        .receiveOk(cancel, r -> CANCELLED);
                if (deadlineNanos != Long.MAX_VALUE) {
                    s.timeout(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())), () -> DEADLINE);
                }
                Object step;
                try {
                    step = s.select();
                } catch (InterruptedException e) {
                    HttpResponse raced = raceWinner(resc);
                    if (raced != null) {
                        Thread.currentThread().interrupt();
                        return raced;
                    }
                    close(new InterruptedIOException("request interrupted"));
                    throw e;
                }
                if (step instanceof WriteResult w) {
                    if (w.error() != null) {
                        HttpResponse early = earlyResponse(w.error(), resc);
                        if (early != null) {
                            return early;
                        }
                        close(w.error());
                        throw w.error();
                    }
                    pendingWrite = null; // written: stop watching this case
                    if (!cfg.responseHeaderTimeout().isZero()) {
                        headerTimer = Timers.newTimer(cfg.responseHeaderTimeout());
                        headerTimeout = headerTimer.c();
                    }
                } else if (step instanceof ResponseOrError r) {
                    if (r.error() != null) {
                        throw r.error();
                    }
                    return r.response();
                } else if (step == CLOSED) {
                    HttpResponse raced = raceWinner(resc);
                    if (raced != null) {
                        return raced;
                    }
                    throw closedCause;
                } else if (step == HEADER_TIMEOUT) {
                    SocketTimeoutException t = new SocketTimeoutException(
                            "timeout awaiting response headers after " + cfg.responseHeaderTimeout());
                    close(t);
                    throw t;
                } else {
                    HttpResponse raced = raceWinner(resc);
                    if (raced != null) {
                        return raced;
                    }
                    IOException cause = step == DEADLINE
                            ? new SocketTimeoutException("request timed out (" + req.timeout().map(Duration::toString).orElse("deadline") + ")")
                            : new InterruptedIOException("request cancelled");
                    close(cause);
                    throw cause;
                }
            }
        } finally {
            callerGone.close();
            if (headerTimer != null) {
                headerTimer.stop();
            }
        }
    }

    /**
     * After a failed write: a server may have answered before reading the whole body (and then closed
     * its side), so give the read loop a short grace to deliver that response (T4, Go issue 11745).
     * Not when nothing was written: that request is simply retried elsewhere.
     */
    private HttpResponse earlyResponse(IOException writeError, Chan<ResponseOrError> resc) throws InterruptedException {
        if (!(writeError instanceof ConnException c) || c.nothingWritten()) {
            return null; // nothing written, or a request body that broke its length: no early answer to wait for
        }
        Object r = Select.cases()
                .receive(resc, x -> x)
                .receiveOk(closech, x -> CLOSED)
                .timeout(EARLY_RESPONSE_GRACE, () -> DEADLINE)
                .select();
        return r instanceof ResponseOrError re ? re.response() : null;
    }

    /** A response that the read loop is handing over right now (Go polls resc before giving up). */
    static HttpResponse raceWinner(Chan<ResponseOrError> resc) {
        Received<ResponseOrError> r = resc.tryReceive();
        return r.ok() && r.value().response() != null ? r.value().response() : null;
    }

    // ------------------------------------------------------------------ write loop

    private void writeLoop() throws InterruptedException {
        try {
            Select<WriteRequest> next = Select.<WriteRequest>cases().receive(writech, w -> w).receiveOk(closech, r -> null);
            for (WriteRequest w; (w = next.select()) != null; ) {
                WriteRequest wr = w;
                long before = rawOut.count();
                IOException err = null;
                try {
                    RequestWriter.writeHead(out, wr.req(), wr.acceptGzip(), wr.close());
                    boolean sendBody = true;
                    if (wr.continueCh() != null) {
                        out.flush();
                        notify(l -> l.wroteHeaders(wr.req()));
                        sendBody = awaitContinue(wr.continueCh());
                    }
                    if (sendBody) {
                        RequestWriter.writeBody(out, wr.req());
                    }
                    out.flush();
                    if (wr.continueCh() == null) {
                        notify(l -> l.wroteHeaders(wr.req()));
                    }
                } catch (ContentLengthMismatchException e) {
                    err = e; // the caller's body is wrong, not the connection: passed on as it is, never retried
                } catch (IOException e) {
                    boolean nothing = rawOut.count() == before;
                    err = new ConnException((nothing ? "nothing written: " : "write failed: ") + e.getMessage(), e, nothing, false);
                }
                IOException reported = err;
                notify(l -> l.wroteRequest(wr.req(), reported));
                WriteResult result = err == null ? WriteResult.OK : new WriteResult(err);
                reportWriteResult(writeResults, wr.writeErrCh(), result);
                if (err != null) {
                    if (!(err instanceof ConnException c) || c.nothingWritten()) {
                        close(err);
                    } else {
                        // Keep the input open: the server may already have answered (T4). The connection
                        // is not reusable (its write result is an error); roundTrip or the read loop closes it.
                        shutdownOutput();
                    }
                    return;
                }
            }
        } finally {
            writeLoopDone.close();
        }
    }

    /**
     * The write loop's report of one request: to the read loop (reuse decision) and to roundTrip
     * ({@code writeErrCh}). Both channels have one slot that only the write loop fills, once per
     * request, so this never blocks, whether or not roundTrip is still there to receive (T3; the
     * stress suite {@code WriteReportStress} drives this method).
     */
    static void reportWriteResult(Chan<WriteResult> toReadLoop, Chan<WriteResult> writeErrCh, WriteResult result) {
        boolean toReader = toReadLoop.trySend(result);
        boolean toCaller = writeErrCh.trySend(result);
        if (!toReader || !toCaller) { // cannot happen while there is one report per request; say so if it does
            LOG.log(Level.ERROR, "a write result slot was already full (read loop: " + !toReader + ", caller: " + !toCaller + ")");
        }
    }

    private void shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            close(new IOException("connection closed after a failed write", e));
        }
    }

    /** Waits for 100 Continue (send the body), a final response (skip it), the timeout (send) or close. */
    private boolean awaitContinue(Chan<Boolean> continueCh) throws InterruptedException {
        return Select.<Boolean>cases()
                .receiveOk(continueCh, r -> r.ok() && r.value())
                .timeout(cfg.expectContinueTimeout(), () -> true)
                .receiveOk(closech, r -> false)
                .select();
    }

    // ------------------------------------------------------------------ read loop

    private void readLoop() {
        IOException closeErr = null;
        Chan<Object> eofc = null;
        try {
            boolean alive = true;
            while (alive) {
                int first;
                IOException peekErr = null;
                try {
                    first = in.peek();
                } catch (IOException e) {
                    first = -1;
                    peekErr = e;
                }
                if (expectedResponses.get() == 0) {
                    closeErr = first >= 0
                            ? unsolicited("on an idle connection")
                            : new ConnException("server closed idle connection", peekErr, false, true);
                    return;
                }
                RequestAndChan rc = reqch.receive();
                if (first < 0) {
                    // If we closed the socket ourselves (a failed write, cancellation), report that cause,
                    // not a server close that would look retryable.
                    closeErr = closed ? closedCause
                            : new ConnException("server closed the connection before sending a response", peekErr, false, true);
                    deliver(rc, new ResponseOrError(null, closeErr));
                    return;
                }
                notify(l -> l.gotFirstResponseByte(rc.req()));
                ResponseHead head;
                boolean continued;
                BodyFraming framing;
                try {
                    FinalHead fh = readFinalHead(rc);
                    head = fh.head();
                    continued = fh.continued();
                    framing = BodyFraming.of(rc.req().method(), head);
                } catch (IOException e) {
                    closeErr = closed ? closedCause : e; // as above: our own close explains the failure best
                    deliver(rc, new ResponseOrError(null, closeErr));
                    return;
                }
                expectedResponses.decrementAndGet();
                alive = !cfg.disableKeepAlives() && keepAlive(head, rc.req())
                        && framing.kind() != BodyFraming.Kind.UNTIL_CLOSE && head.status() >= 200;
                if (rc.continueCh() != null) {
                    if (!continued) {
                        // A final status before 100 Continue: the body is skipped (or was sent after the
                        // timeout, unknowable here), so the connection may be out of step with the server
                        // and must not be reused (CVE-2024-24791).
                        rc.continueCh().trySend(Boolean.FALSE);
                        alive = false;
                    }
                    rc.continueCh().close();
                }
                if (framing.kind() == BodyFraming.Kind.NONE) {
                    if (alive && in.buffered() > 0) {
                        // Closed once the response is delivered; closing now could beat the delivery.
                        closeErr = unsolicited("after a response without a body");
                        alive = false;
                    }
                    // Pool before handing over, so a caller that sends again at once gets this connection.
                    // A pool that refuses it (limits) leaves it open to us (Owner.release), so it is closed
                    // only after the hand-over, when the loop ends: a close now would race the response.
                    alive = alive && wroteRequest() && owner.release(this);
                    HttpResponse resp = new HttpResponse(rc.req(), head.version(), head.status(), head.reason(),
                            head.headers(), new ResponseBody(InputStream.nullInputStream(), null), Headers::empty);
                    boolean delivered = deliver(rc, new ResponseOrError(resp, null));
                    if (!delivered) {
                        return; // the caller is gone: its roundTrip reports done() with its error
                    }
                    notify(l -> l.done(rc.req(), null));
                    continue;
                }
                // Un-gzipped here only when the transport itself asked for gzip.
                boolean gunzip = rc.addedGzip() && "gzip".equalsIgnoreCase(head.headers().get("Content-Encoding"));
                if (framing.kind() == BodyFraming.Kind.FIXED && framing.length() <= in.buffered() && !gunzip) {
                    // The whole body already arrived with the head: take it now, and let the body's reader
                    // release (EOF) or close (early close) the connection itself, on its own thread. The
                    // caller then needs no waitForBodyRead/eofc round trip with this loop (two thread
                    // handoffs per small response), while this loop goes back to watching the socket.
                    byte[] bytes = new byte[(int) framing.length()];
                    try {
                        in.readFully(bytes); // from the buffer only: length <= buffered
                    } catch (IOException e) {
                        closeErr = e;
                        deliver(rc, new ResponseOrError(null, e));
                        return;
                    }
                    if (alive && in.buffered() > 0) {
                        // Closed once the response is delivered (the loop ends); closing now could beat the delivery.
                        closeErr = unsolicited("after a response body");
                        alive = false;
                    }
                    boolean reusable = alive;
                    BufferedBody body = new BufferedBody(bytes, atEof -> finishBufferedBody(rc.req(), atEof && reusable));
                    HttpResponse resp = new HttpResponse(rc.req(), head.version(), head.status(), head.reason(),
                            head.headers(), new ResponseBody(body, head.headers().get("Content-Type")), Headers::empty);
                    if (!deliver(rc, new ResponseOrError(resp, null))) {
                        return;
                    }
                    // Watched only once delivered: an undelivered body is nobody's leak.
                    UnclosedBodies.watch(resp.body(), body, rc.req().toString());
                    resp = null; // as below: the caller owns it now
                    continue;
                }
                Chan<Boolean> waitForBodyRead = Chan.make(2);
                eofc = Chan.make();
                FramedBody framed = FramedBody.open(in, framing, cfg.limits());
                BodyEofSignal signal = new BodyEofSignal(framed.stream(), cfg.bodyReadTimeout(), waitForBodyRead, eofc.receiveOnly(),
                        () -> close(new IOException("response body closed before its end")),
                        () -> notify(l -> l.done(rc.req(), null)), () -> closedCause);
                InputStream bodyStream = signal;
                Headers headers = head.headers();
                if (gunzip) {
                    bodyStream = new GzipBody(signal);
                    headers = headers.toBuilder().remove("Content-Encoding").remove("Content-Length").build();
                }
                HttpResponse resp = new HttpResponse(rc.req(), head.version(), head.status(), head.reason(), headers,
                        new ResponseBody(bodyStream, headers.get("Content-Type")), framed.trailers());
                setReadTimeout(cfg.bodyReadTimeout()); // before the hand-over: the body's reads start after it
                if (!deliver(rc, new ResponseOrError(resp, null))) {
                    return; // never reported as done or leaked: the caller's roundTrip failed instead
                }
                UnclosedBodies.watch(resp.body(), signal, rc.req().toString());
                resp = null; // the caller owns it now: this frame must not keep an unclosed body reachable
                Object bodyEnd = Select.<Object>cases()
                        .receive(waitForBodyRead, v -> v)
                        .receiveOk(closech, r -> Boolean.FALSE)
                        .receiveOk(rc.cancel(), r -> CANCELLED)
                        .select();
                if (bodyEnd == CANCELLED) {
                    // Closing unblocks the body's reader, which reports this cause rather than "Socket closed".
                    closeErr = new InterruptedIOException("request cancelled while the response body was being read");
                }
                if (alive && bodyEnd == Boolean.TRUE && in.buffered() > 0) {
                    // The body's reader handed the input back at EOF (ordered by waitForBodyRead).
                    closeErr = unsolicited("after the end of a response body");
                    alive = false;
                }
                alive = alive && bodyEnd == Boolean.TRUE && wroteRequest() && setReadTimeout(Duration.ZERO) && owner.release(this);
                eofc.close();
                eofc = null;
            }
        } catch (InterruptedException e) {
            closeErr = new InterruptedIOException("read loop interrupted");
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "read loop of " + this + " failed", e);
            closeErr = new IOException("read loop failed: " + e, e);
        } finally {
            close(closeErr != null ? closeErr : new IOException("connection closed (read loop ended)"));
            if (eofc != null) {
                eofc.close();
            }
            owner.discard(this, "read loop ended");
        }
    }

    /** The body of a buffered response was read to EOF (pool the connection if it may be reused) or closed early. */
    private void finishBufferedBody(HttpRequest req, boolean reuse) {
        try {
            reuse = reuse && wroteRequest(); // checked here, not in the read loop: the write has had longer to report
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reuse = false;
        }
        if (!(reuse && owner.release(this))) {
            String why = reuse ? "connection not pooled" : "response body closed before its end";
            close(new IOException(why));
            owner.discard(this, why); // free the slot now rather than when the read loop notices (idempotent)
        }
        notify(l -> l.done(req, null));
    }

    /**
     * Bytes nobody asked for (Go logs "Unsolicited response received on idle HTTP channel"): the
     * connection is out of step with the server, so it is closed and never pooled.
     */
    private HttpProtocolException unsolicited(String where) {
        String start = in.bufferedAscii(40);
        HttpProtocolException e = new HttpProtocolException(HttpProtocolException.Reason.UNSOLICITED_RESPONSE,
                "unsolicited bytes " + where + " of " + this + (start.isEmpty() ? "" : " starting with '" + ResponseHeadReader.shorten(start) + "'"));
        LOG.log(Level.WARNING, e.getMessage() + "; connection closed");
        return e;
    }

    /**
     * Sets the socket's read timeout (SO_TIMEOUT) for the reads that follow; zero = none. True if it
     * was set; false (and the connection closed) if the socket refused.
     */
    private boolean setReadTimeout(Duration d) {
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, d.toMillis()));
            return true;
        } catch (IOException e) {
            close(new IOException("cannot set the read timeout of " + this, e));
            return false;
        }
    }

    /**
     * Reads heads until a final one; the first 100 Continue releases the body; at most
     * {@code maxInformational} 1xx responses are tolerated (Go's bound of 5).
     */
    private FinalHead readFinalHead(RequestAndChan rc) throws IOException {
        int informational = 0;
        boolean continued = false;
        while (true) {
            ResponseHead head = ResponseHeadReader.read(in, cfg.limits());
            if (head == null) {
                throw new ConnException("server closed the connection before sending a response", null, false, true);
            }
            int s = head.status();
            if (s >= 200 || s == 101) {
                return new FinalHead(head, continued);
            }
            if (++informational > cfg.limits().maxInformational()) {
                throw new HttpProtocolException(HttpProtocolException.Reason.TOO_MANY_INFORMATIONAL_RESPONSES,
                        "more than " + cfg.limits().maxInformational() + " informational (1xx) responses");
            }
            if (s == 100 && rc.continueCh() != null && !continued) {
                // Only the first 100 Continue counts (as in Go): a repeated one is an ignored 1xx.
                rc.continueCh().trySend(Boolean.TRUE);
                continued = true;
            }
        }
    }

    /** The final head, and whether a 100 Continue released the request body before it. */
    private record FinalHead(ResponseHead head, boolean continued) {}

    /** The response went to the caller (true), or the caller is gone (false: the loop must end). */
    static boolean deliver(RequestAndChan rc, ResponseOrError value) throws InterruptedException {
        return Select.<Boolean>cases()
                .send(rc.resc(), value, () -> Boolean.TRUE)
                .receiveOk(rc.callerGone(), r -> Boolean.FALSE)
                .select();
    }

    /** True if the request was written without error (waiting briefly for a write still in progress). */
    private boolean wroteRequest() throws InterruptedException {
        Received<WriteResult> r = writeResults.tryReceive();
        if (r.notReady()) {
            r = writeResults.receive(MAX_WRITE_WAIT_BEFORE_REUSE);
        }
        return r.ok() && r.value().error() == null;
    }

    private static boolean keepAlive(ResponseHead head, HttpRequest req) {
        Headers h = head.headers();
        if (h.hasToken("Connection", "close") || req.headers().hasToken("Connection", "close")) {
            return false;
        }
        return !head.isHttp10() || h.hasToken("Connection", "keep-alive");
    }

    private void notify(Consumer<RequestListener> event) {
        try {
            event.accept(cfg.listener());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "request listener failed", e);
        }
    }

    @Override
    public String toString() {
        return "conn#" + id + " " + key + (closed ? " (closed)" : "");
    }

    /** Un-gzips a body; at the end of the gzip data it reads the framing to its EOF, so the EOF signal fires. */
    private static final class GzipBody extends InputStream {
        private final BodyEofSignal signal;
        private GZIPInputStream gz;

        GzipBody(BodyEofSignal signal) {
            this.signal = signal;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (gz == null) {
                gz = new GZIPInputStream(signal, 8192);
            }
            int n = gz.read(b, off, len);
            if (n < 0) {
                byte[] rest = new byte[512];
                while (signal.read(rest, 0, rest.length) >= 0) {
                    // trailing bytes after the gzip member: drained so the framing reaches its end
                }
            }
            return n;
        }

        @Override
        public void close() {
            signal.close();
        }
    }
}
