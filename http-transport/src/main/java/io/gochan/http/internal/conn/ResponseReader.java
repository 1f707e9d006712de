package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.http.Headers;
import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpResponse;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.ResponseBody;
import io.gochan.http.internal.DecodedBody;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.BodyFraming;
import io.gochan.http.internal.codec.ConnInput;
import io.gochan.http.internal.codec.FramedBody;
import io.gochan.http.internal.codec.GzipDecodingStream;
import io.gochan.http.internal.codec.ResponseHead;
import io.gochan.http.internal.codec.ResponseHeadReader;
import io.gochan.http.internal.conn.Messages.RequestAndChan;
import io.gochan.http.internal.conn.Messages.ResponseOrError;
import io.gochan.http.internal.codec.BulkInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The read loop's work for one response, in the order it happens: read the final head, then serve the
 * response by its framing: no body (complete the exchange, then hand the response over), a body that
 * arrived whole with the head (hand it over in memory; its reader completes the exchange), or a
 * streamed body (hand it over, then wait until it is read to the end, closed, or the request ends, and
 * complete or abort the exchange accordingly). Every decision about the connection goes through the
 * request's {@link Exchange}: for a body held in memory, whose end no loop waits for, the exchange also watches the
 * request's end (P94).
 */
final class ResponseReader {
    private static final Object CANCELLED = new Object();
    private static final Object DEADLINE = new Object();
    private static final String TUNNEL_PHASE = "using the tunnel";
    /** A body held in memory: neither its end nor the read loop has decided the connection's fate yet (E111). */
    private static final int UNDECIDED = 0;
    /** A body held in memory: its end put the connection back; the read loop keeps serving it (E111). */
    private static final int REUSED = 1;
    /** A body held in memory: the read loop ends after it; the body's end closes the connection (E111). */
    private static final int ENDING = 2;
    /** Why a connection whose read loop ends after this response is not reused (E95, E99). */
    private static final String READ_LOOP_ENDING = "its read loop ends after this response (it was interrupted)";

    private final PersistConn conn;
    private final RequestAndChan rc;
    private final Exchange ex;
    private final ConnInput in;
    private final ConnConfig cfg;
    /** Whether the socket's reads are sliced for this body (set by the read loop or the body's reader). */
    private volatile boolean sliced;
    /**
     * The longest silence of this body: the transport's {@code bodyReadTimeout}, or zero (none) for a tunnel's body
     * (R67), whose peer speaks when its protocol has something to say (an idle WebSocket, a quiet CONNECT tunnel), as
     * Go has no such timeout at all. Set before the body is handed over, which publishes it to the body's reader.
     */
    private Duration bodyReadTimeout;
    /**
     * The read loop's interrupt, taken while it serves this response (read loop only; E99): the flag it found set, left
     * by user code run on the loop or sent by a {@code Goroutine.interrupt()} or a stopping bubble, cleared and kept
     * here, so that the response's head is read, the response handed over and its body's end awaited as if it were
     * clear; the connection is then not reused, and {@link #serve()} throws it once the response is served.
     */
    private boolean interruptTaken;

    ResponseReader(PersistConn conn, RequestAndChan rc) {
        this.conn = conn;
        this.rc = rc;
        this.ex = rc.ex();
        this.in = conn.input();
        this.cfg = conn.config();
        this.bodyReadTimeout = cfg.bodyReadTimeout();
    }

    /**
     * Serves the response; true if the read loop may go on to the next one on this connection. An interrupt flag found
     * set as the loop takes the response up (left by user code run on the loop: a {@code gotFirstResponseByte}
     * listener, a {@code Dialer}'s socket; or a real interrupt) or set while it reads the head or hands the response
     * over is taken: the response is served whole, its connection never reused, and the loop ends after it (E99).
     *
     * @return true if the read loop may go on to the next response on this connection
     * @throws InterruptedException once the response is served, if the loop took an interrupt meanwhile; or at once,
     *     for an interrupt that comes while the loop waits for a streamed body's end (E89)
     */
    boolean serve() throws InterruptedException {
        // An interrupt taken as the previous response was handed over, once its end had put the connection back, is
        // obeyed with this one (E111), as a flag found set now is.
        interruptTaken = conn.takeCarriedInterrupt();
        loopEnding(); // takes a flag found set now: the listener's, run just before (E99)
        boolean next = serveResponse();
        if (interruptTaken) {
            // The interrupt ends the loop now that its response is served, as an interrupted wait would have ended it
            // (E85): the loop's end closes the connection, which the response's end did not put back (E95). Never
            // swallowed: taken only to be obeyed at the first moment that costs no caller its answer.
            throw new InterruptedException("read loop of " + conn + " interrupted while it served a response; it ends"
                    + " after it");
        }
        return next;
    }

    private boolean serveResponse() throws InterruptedException {
        // Reused as the transport's retry rule counts it (Go's isReused): the connection had served a response, or the
        // pool handed it out again after it waited there unused (a dial whose request had ended, E127).
        boolean reused = conn.countResponse() | conn.handedOutAgain();
        FinalHead fh;
        BodyFraming framing;
        boolean tunnel;
        try {
            fh = readFinalHead();
            // A tunnel (a CONNECT's 2xx, R65; an asked switch of protocols, R67): the peer's bytes until it closes,
            // another protocol's, never decoded.
            tunnel = BodyFraming.opensTunnel(rc.req().method(), rc.req().headers(), fh.head());
            if (tunnel) {
                // Checked before the tunnel opens, as Go's ReadResponse refuses a transfer coding it cannot read, and
                // differing lengths, before it looks at the status: an asked switch's framing fields as any 101's (P79),
                // a CONNECT's 2xx's transfer coding (P82). A head declaring one never becomes a tunnel; the tunnel's
                // bytes are never framed.
                BodyFraming.of(rc.req().method(), fh.head());
            }
            framing = tunnel ? BodyFraming.tunnel() : BodyFraming.of(rc.req().method(), fh.head());
        } catch (IOException e) {
            IOException ours = conn.closedCause(); // our own close explains the failure best
            fail(ours != null ? ours : e instanceof HttpProtocolException || e instanceof ConnException ? e
                    : new HttpConnectionException("connection failed while reading the response head: " + ThrowableText.message(e), e));
            return false;
        }
        conn.responseRead();
        loopEnding(); // takes a flag set as the head was read without a wait (a Dialer's socket, an interrupt): E99
        ResponseHead head = fh.head();
        if (head.status() == 408 && reused && rc.req().isReplayable()) {
            // The server's idle timeout raced our request (Go's is408Message): the 408 answers nothing we
            // sent, so the request is retried on a new connection like any "server closed idle connection".
            fail(ConnException.endedWhileIdle(null, true, true)); // E130's words, made by their one factory
            return false;
        }
        boolean noContinue = rc.continueCh() != null && !fh.continued();
        // What the response allows, decided in one place (E136); null: the connection may serve the next request.
        String whyNot = KeepAlive.forbiddenBy(rc.req(), head, framing, cfg.disableKeepAlives(), noContinue);
        if (rc.continueCh() != null) {
            if (noContinue) {
                // A final status before 100 Continue: the body is skipped (or was sent after the timeout,
                // unknowable here), so the connection may be out of step with the server: KeepAlive keeps it from
                // the pool (CVE-2024-24791).
                rc.continueCh().trySend(Boolean.FALSE);
            }
            rc.continueCh().close();
        }
        if (framing.kind() == BodyFraming.Kind.NONE) {
            return serveWithoutBody(head, whyNot);
        }
        boolean gunzip = rc.addedGzip() && isLoneGzip(head.headers()) && !tunnel;
        if (framing.kind() == BodyFraming.Kind.FIXED && framing.length() <= in.buffered() && !gunzip) {
            return serveInMemory(head, framing, whyNot);
        }
        return serveStreamed(head, framing, gunzip, whyNot, tunnel);
    }

    /**
     * Whether the body is ours to decode (P25): one {@code Content-Encoding} field, saying {@code gzip}. Codings in
     * several fields are one list applied in order (RFC 9110 §5.3, §8.4), {@code gzip} and {@code gzip} being
     * {@code gzip, gzip}, which is not decoded in one field either; Go looks at the first field alone, so it
     * decodes one layer of two and removes both fields, and the caller reads gzip data said to have no coding
     * (P57). Such a body reaches the caller as sent, its fields intact.
     */
    private static boolean isLoneGzip(Headers headers) {
        List<String> codings = headers.all("Content-Encoding");
        return codings.size() == 1 && "gzip".equalsIgnoreCase(codings.get(0));
    }

    /** The caller's body: {@code bytes()} and {@code string()} read at most the transport's limit of it (P65). */
    private ResponseBody body(InputStream stream, String contentType) {
        return new ResponseBody(stream, contentType, cfg.maxBufferedBodyBytes(), rc.req().uri());
    }

    /** The exchange failed before a response: the error goes to the caller, the connection ends. */
    private void fail(IOException e) throws InterruptedException {
        conn.failExchange(rc, e);
    }

    /**
     * Completes the exchange first (Go: {@code replaceReqCanceler}, then {@code tryPutIdleConn}), so a caller
     * that sends again at once gets this connection, and a cancel that comes later finds the exchange over
     * and leaves the connection alone; then hands the response over, whatever interrupts this loop meanwhile
     * (E89): the caller, its abort lost to the completion, waits for it alone.
     */
    private boolean serveWithoutBody(ResponseHead head, String whyNot) {
        whyNot = unsolicitedAfter(whyNot, "after a response without a body");
        // The wait for the write's word (bounded: 50 ms) is not left by an interrupt (E89): an interrupt there answers
        // "not reusable" and is taken, and the answer already read is handed over below. Left interruptibly, it threw
        // out of serve() with the answer, and a caller whose body was still being sent failed as the connection's
        // failure. A loop interrupted before or during that wait ends once the answer is handed over, so it never puts
        // the connection back first: closed by the completion, never taken by the next request (E95).
        String reason = notReusable(whyNot);
        boolean reusable = reason == null;
        // Made before the completion: nothing between the completion and the hand-over may fail (E89).
        HttpResponse resp = new HttpResponse(rc.req(), head.version(), head.status(), head.reason(),
                head.headers(), body(InputStream.nullInputStream(), null), Headers::empty);
        boolean completed = ex.complete(reusable, reason);
        // Its done() is reported by roundTrip on the caller's thread before it returns the response (E22): after
        // the connection's fate (decided above), before the caller sees the end, and not at all if it never does.
        // Not interruptibly (E89): an interrupt here left the caller of the completed exchange waiting for ever; it
        // ends the loop once the response is delivered (the connection closed with it: E85, E95), unless the
        // completion put the connection back: then it is carried to the next response (E111).
        handOverWhateverInterrupts(new ResponseOrError(resp, null));
        if (completed && reusable) {
            carryTakenInterrupt(); // reusable: no interrupt was taken up to the look above, so this one came after it
        }
        return completed && reusable;
    }

    /**
     * Why the connection may not serve the next request once this response is done, or null if it may: {@code whyNot}
     * (what the response allowed, {@link KeepAlive#forbiddenBy}), this loop ending, or the request not written whole,
     * the write's word awaited 50 ms at most. An interrupt in that wait answers "no"; a loop that ends never puts its
     * connection back first (E95). The looks are made in this order and no other, each only if the one before said
     * yes (E89, E99: which of them takes an interrupt matters).
     */
    private String notReusable(String whyNot) {
        if (whyNot != null) {
            return whyNot;
        }
        if (loopEnding()) {
            return READ_LOOP_ENDING;
        }
        if (!conn.wroteRequestQuietly()) {
            return KeepAlive.notWritten();
        }
        return loopEnding() ? READ_LOOP_ENDING : null;
    }

    /**
     * {@code whyNot}, or, where the response allowed reuse but bytes nobody asked for already wait after it, why not:
     * they would be read as the next request's answer (ADR 0006, P37), so the read loop ends after this response.
     */
    private String unsolicitedAfter(String whyNot, String where) {
        if (whyNot == null && in.pendingWithoutBlocking() > 0) {
            IOException unsolicited = conn.unsolicited(where);
            conn.endReadLoop(unsolicited);
            return unsolicited.getMessage();
        }
        return whyNot;
    }

    /**
     * Hands {@code value} over to the caller whatever interrupts this loop meanwhile (E89, E99): the caller is waiting
     * for it, or ends its wait on its own (its {@code callerGone} closes when {@code roundTrip} returns), so the wait is
     * short and never on the peer. An interrupt that comes meanwhile is taken ({@link #loopEnding()}): the loop ends
     * once the response is served. Before, a hand-over of a response with a body threw at once if the flag was set and
     * the caller was not already parked on its channel, and the answer read was dropped: the caller failed as the
     * connection's failure.
     *
     * @return true if the caller has it; false if the caller was gone
     */
    private boolean handOverWhateverInterrupts(ResponseOrError value) {
        boolean delivered = PersistConn.deliverWhateverInterrupts(rc, value);
        loopEnding();
        return delivered;
    }

    /**
     * Whether this read loop ends after the response it serves: it was interrupted (a {@code Goroutine.interrupt()}, a
     * stopping bubble, or user code run on the loop, a listener's {@code gotFirstResponseByte} or a {@code Dialer}'s
     * socket, that left the flag set). Such a loop never puts its connection back: its end closes the connection, and
     * would close it under whichever request took it meanwhile, which did nothing to end itself and may not be retried
     * (E95). A flag found set is taken (cleared, and kept in {@link #interruptTaken}): left set, it failed the waits
     * that serve the response whole (a streamed body's end, a hand-over, a head that needs another read of the
     * socket), and the caller lost an answer the server had sent (E99). Not swallowed: it cannot be told from a real
     * interrupt that came while the listener ran, so it ends the loop once the response is served ({@link #serve()}
     * throws it), and a real one swallowed would leave the loop reading an idle connection for ever, and a stopping
     * bubble waiting on it. Each wait it spares is bounded by the request (its context, its deadline, its caller's
     * interrupt, its body's close, the transport's close), and an interrupt that comes while the loop waits for a
     * streamed body's end still ends it at once (E89).
     */
    private boolean loopEnding() {
        if (Thread.interrupted()) {
            interruptTaken = true;
        }
        return interruptTaken;
    }

    /**
     * The connection was put back for the next request before this loop took its interrupt (E111): the loop must not
     * end now, since its end closes the connection, which a request may already have taken (handed straight to one
     * waiting at {@code maxConnsPerHost}, or taken from the idle list) and even written to: that request, which did
     * nothing to end itself, failed for good (its bytes out, never retried) against E70. The interrupt is carried, never
     * swallowed: the next response on the connection takes it up (its own is served whole and the connection not
     * reused, E99), and the loop ends after it. A loop idle meanwhile still ends with its connection: the server's or
     * the idle reaper's close, {@code Transport.close()}, or another interrupt (a stopping bubble interrupts its waiting
     * members again, BB5), which cuts its wait on the socket.
     */
    private void carryTakenInterrupt() {
        if (interruptTaken) {
            interruptTaken = false;
            conn.carryInterrupt();
        }
    }

    /**
     * The whole body already arrived with the head: take it now, and let the body's reader complete (EOF)
     * or abort (early close) the exchange itself, on its own thread. The caller then needs no
     * waitForBodyRead/eofc round trip with this loop, while this loop goes back to watching the socket.
     */
    private boolean serveInMemory(ResponseHead head, BodyFraming framing, String whyNot) throws InterruptedException {
        byte[] bytes = new byte[(int) framing.length()];
        try {
            in.readFully(bytes); // from the buffer only: length <= buffered
        } catch (IOException e) {
            fail(e);
            return false;
        }
        if (whyNot != null) {
            // The loop ends once the body is handed over, and its end closes the connection, mostly before the body's
            // end does: with the reason that end would give (E136), not a bare "read loop ended".
            conn.endReadLoop(Exchange.notReused(whyNot));
        }
        // The loop ends and closes the connection once the response is delivered, if bytes wait after it.
        whyNot = unsolicitedAfter(whyNot, "after a response body");
        if (whyNot == null && loopEnding()) {
            // Interrupted: this loop will not read the next response (it ends once this one is handed over: E99), so the
            // body's end must not put the connection back for another request first (E95). The body, in memory, is read
            // to its end all the same.
            conn.endReadLoop(new HttpConnectionException("connection " + conn + " closed: its read loop was interrupted",
                    null));
            whyNot = READ_LOOP_ENDING;
        }
        boolean keep = whyNot == null;
        String kept = whyNot;
        // The body's end (on its reader's thread, at any time) puts the connection back; this loop may take an interrupt
        // during the hand-over, after the look above, and would then end, closing the connection. Decided once, whoever
        // comes first (E111): the body's end claims the reuse, so the loop carries its interrupt and keeps serving the
        // connection; or the loop claims its end, so the body's end closes the connection instead of putting it back.
        // Before, both happened: the body's end put the connection back, a request took it, and the loop's end closed it
        // under that request.
        AtomicInteger fate = new AtomicInteger(UNDECIDED);
        BufferedBody body = new BufferedBody(bytes, ex,
                () -> kept != null ? kept : !conn.wroteRequestQuietly() ? KeepAlive.notWritten()
                        : fate.compareAndSet(UNDECIDED, REUSED) ? null : READ_LOOP_ENDING,
                doneReporter(conn, ex.scope()), conn::transportClosed);
        boolean handed = handOver(head, head.headers(), body, body);
        if (handed) {
            // This loop goes back to the socket: the exchange watches the request's end for the body it holds (P93,
            // P94). A streamed body's is watched by this loop's own wait for the body, as Go's readLoop waits.
            ex.watchRequestEnd(BodyEofSignal.PHASE);
        }
        // keep: no interrupt was taken up to the look above, so one taken now came during the hand-over.
        if (handed && keep && interruptTaken && !fate.compareAndSet(UNDECIDED, ENDING)) {
            carryTakenInterrupt(); // the body's end put the connection back first
        }
        return handed && keep;
    }

    /**
     * The request's one {@code done()}, reported by its body when it ends, or by the collector's watch of a
     * body never closed (E22): unless it was reported already, or the request failed although this response
     * arrived (then only that failure is reported). Static, holding only the connection and the request's
     * scope: the watch's action must not reach the body it watches.
     */
    private static Consumer<Throwable> doneReporter(PersistConn conn, RequestScope scope) {
        return error -> {
            if (RequestScope.isTransportClosed(error)) {
                conn.awaitTransportClosed(); // the body's read is about to say so: the close is complete first (E23)
            }
            scope.claimDone(() -> conn.notify(scope.request(), l -> l.done(scope.request(), error)));
        };
    }

    /**
     * Hands a response with a body over, whatever interrupts this loop meanwhile (E99); false (the exchange aborted) if
     * the caller is gone.
     */
    private boolean handOver(ResponseHead head, Headers headers, InputStream stream, Object watched) {
        HttpResponse resp = new HttpResponse(rc.req(), head.version(), head.status(), head.reason(), headers,
                body(stream, headers.get("Content-Type")), Headers::empty);
        if (!handOverWhateverInterrupts(new ResponseOrError(resp, null))) {
            ex.abort(new HttpConnectionException("response not delivered: its caller was gone", null));
            return false;
        }
        // Watched only once delivered: an undelivered body is nobody's leak. The stream the caller reads is
        // what is watched, so a caller that keeps only the stream keeps its connection.
        UnclosedBodies.watch(watched, ex, doneReporter(conn, ex.scope()));
        return true;
    }

    private boolean serveStreamed(ResponseHead head, BodyFraming framing, boolean gunzip, String whyNot, boolean tunnel)
            throws InterruptedException {
        Chan<Boolean> waitForBodyRead = Chan.make(2);
        Chan<Object> eofc = Chan.make();
        // A tunnel's caller is done with it once its output or its body is closed (E74): each sends here, never blocking.
        Chan<Object> tunnelEnd = tunnel ? Chan.make(2) : null;
        boolean eofcClosed = false;
        try {
            if (!startBody(head, framing, gunzip, waitForBodyRead, eofc, tunnelEnd)) {
                return false;
            }
            Object end = awaitBodyEnd(waitForBodyRead);
            if (end == CANCELLED) {
                ex.abort(ex.scope().contextEnded(BodyEofSignal.PHASE));
            } else if (end == DEADLINE) {
                ex.abort(ex.scope().timedOut(BodyEofSignal.PHASE));
            }
            if (end != Boolean.TRUE) {
                return false; // aborted: by the body's reader, the request's end, or the connection's close
            }
            if (tunnel) {
                // The peer's end of stream is one half of the tunnel (E74): the EOF read returns now, and the caller may
                // still write until it closes the output or the body.
                eofc.close();
                eofcClosed = true;
                awaitTunnelEnd(tunnelEnd);
                return false;
            }
            in.guard(null);
            // The body's reader handed the input back at EOF (ordered by waitForBodyRead).
            whyNot = unsolicitedAfter(whyNot, "after the end of a response body");
            // An interrupted loop ends here: it completes the exchange as not reusable, never pooling the connection for
            // the next request first (E95), and its body, read to its end, stands (E99: an interrupt in the write's
            // word's wait too, which threw and aborted the exchange of a body already read whole).
            String reason = notReusable(whyNot);
            if (reason == null && sliced && !conn.setReadTimeout(Duration.ZERO)) {
                reason = "its socket's read timeout could not be cleared";
            }
            return ex.complete(reason == null, reason) && reason == null;
        } catch (Throwable e) { // also a checked exception a Dialer's socket lets out undeclared (E114)
            // The read loop ends (E89): the exchange it serves ends with it, aborted before eofc closes, so no read of
            // the body takes the loop's end for the body's end, and no collector later finds a live exchange whose
            // body was read to its end and warns that it was never closed. A no-op if the exchange ended already.
            ex.abort(new HttpConnectionException("connection closed: its read loop " + (e instanceof InterruptedException
                    ? "was interrupted" : "failed: " + ThrowableText.of(e)) + " while the response body was read", e));
            throw e;
        } finally {
            if (!eofcClosed) {
                eofc.close(); // releases a reader waiting at EOF, whatever happened
            }
        }
    }

    /**
     * After a tunnel's body reached its end (the peer's end of stream), waits until the caller closed the output or
     * the body (the connection then closed, never reused), the request ended (its context, its deadline), or the
     * connection was closed (the transport's close): E74.
     */
    private void awaitTunnelEnd(Chan<Object> tunnelEnd) throws InterruptedException {
        RequestScope scope = ex.scope();
        Object end = scope.addEnd(io.gochan.select.Select.<Object>cases()
                .receive(tunnelEnd, v -> Boolean.TRUE)
                .receiveOk(conn.closech(), r -> Boolean.FALSE), CANCELLED, DEADLINE).select();
        if (end == CANCELLED) {
            ex.abort(scope.contextEnded(TUNNEL_PHASE));
        } else if (end == DEADLINE) {
            ex.abort(scope.timedOut(TUNNEL_PHASE));
        } else if (end == Boolean.TRUE) {
            ex.complete(false, "a tunnel's connection is never reused");
        }
    }

    /**
     * Hands the streamed body over. A method of its own, so that no frame of the read loop keeps the
     * body reachable while the loop waits for it: the unclosed-body watcher must see it dropped.
     */
    private boolean startBody(ResponseHead head, BodyFraming framing, boolean gunzip, Chan<Boolean> waitForBodyRead,
            Chan<Object> eofc, Chan<Object> tunnelEnd) throws InterruptedException {
        boolean tunnel = tunnelEnd != null;
        if (tunnel) {
            bodyReadTimeout = Duration.ZERO; // a tunnel's silence is its peer's protocol's business (R67)
        }
        FramedBody framed = FramedBody.open(in, framing, cfg.limits());
        Consumer<Throwable> onDone = doneReporter(conn, ex.scope());
        BodyEofSignal signal = new BodyEofSignal(framed.stream(), ex, waitForBodyRead, eofc.receiveOnly(),
                onDone, !gunzip, conn::closedCause, conn::uploadFailure, this::sliceReads, conn::transportClosed,
                tunnel ? () -> tunnelEnd.trySend(Boolean.TRUE) : null);
        InputStream stream = signal;
        Headers headers = head.headers();
        if (gunzip) {
            stream = new GzipBody(signal, framing.kind() == BodyFraming.Kind.FIXED ? framing.length() : -1, onDone);
            headers = headers.toBuilder().remove("Content-Encoding").remove("Content-Length").build();
        }
        // Before the hand-over (which orders them before the body's first read): a stalled read wakes every
        // slice to check its exchange (interrupt, deadline, bodyReadTimeout). Without a bodyReadTimeout only a
        // platform thread needs the slice (nothing else wakes it on an interrupt); a virtual thread's
        // interrupt closes its socket, and the request's end is watched by this loop, so a virtual reader
        // blocks without a timer until the first platform-thread read asks for the slice.
        in.guard(bodyGuard);
        if (!bodyReadTimeout.isZero() && !sliceReads()) {
            fail(conn.closedCause());
            return false;
        }
        HttpResponse resp = new HttpResponse(rc.req(), head.version(), head.status(), head.reason(), headers,
                body(stream, headers.get("Content-Type")), framed.trailers(),
                tunnel ? new TunnelOutput(conn, rc.written(), tunnelEnd, stream) : null);
        // Whatever interrupts this loop meanwhile (E99): an interrupt during the hand-over is taken, and the body, handed
        // over, is read to its end before the loop ends.
        if (!handOverWhateverInterrupts(new ResponseOrError(resp, null))) {
            ex.abort(new HttpConnectionException("response not delivered: its caller was gone", null));
            return false;
        }
        UnclosedBodies.watch(stream, ex, doneReporter(conn, ex.scope()));
        return true;
    }

    /**
     * Makes the body's blocking reads wake every {@link PersistConn#BODY_READ_SLICE} (or the shorter
     * bodyReadTimeout) to consult {@link #stillWaiting}; idempotent, cheap after the first call.
     *
     * @return false if the socket refused (the connection is then closed)
     */
    private boolean sliceReads() {
        if (sliced) {
            return true;
        }
        sliced = true;
        return conn.setReadTimeout(slice());
    }

    /**
     * The socket timeout of a sliced body read: the slice, or the shorter bodyReadTimeout, in whole milliseconds
     * (rounded up, at least one), as the socket counts it, so {@link #stillWaiting} counts the time really waited.
     */
    private Duration slice() {
        Duration bodyTimeout = bodyReadTimeout;
        Duration d = bodyTimeout.isZero() || bodyTimeout.compareTo(PersistConn.BODY_READ_SLICE) > 0
                ? PersistConn.BODY_READ_SLICE : bodyTimeout;
        return Duration.ofMillis(PersistConn.soTimeoutMillis(d));
    }

    /** The body's end as the read loop sees it: EOF (true), closed or failed (false), or the request ended. */
    private Object awaitBodyEnd(Chan<Boolean> waitForBodyRead) throws InterruptedException {
        RequestScope scope = ex.scope();
        return scope.addEnd(io.gochan.select.Select.<Object>cases()
                .receive(waitForBodyRead, v -> v)
                .receiveOk(conn.closech(), r -> Boolean.FALSE), CANCELLED, DEADLINE).select();
    }

    /**
     * The connection input's guard while the body is read (see {@link ConnInput.WaitGuard}): a read that waits is looked
     * at every slice ({@link #stillWaiting}), and each read of the socket before it reads ({@link #beforeBodyRead}).
     */
    private final ConnInput.WaitGuard bodyGuard = new ConnInput.WaitGuard() {
        @Override
        public void stillWaiting(int timeouts, java.net.SocketTimeoutException timeout) throws IOException {
            ResponseReader.this.stillWaiting(timeouts, timeout);
        }

        @Override
        public void beforeRead() throws IOException {
            beforeBodyRead();
        }
    };

    /**
     * Before the body's reader takes more of the connection (P90): a thread interrupted meanwhile ends the read as a
     * read of a stalled body does (E62), the request cancelled (reason {@code INTERRUPT}), its exchange aborted (the
     * connection closed), the body failed for every later read (P61), its interrupt kept; nothing more is read. Bytes
     * already buffered never get here: they are the caller's, whatever its interrupt. A read whose bytes keep coming,
     * a byte at a time (a chunk-size line, trailers, a body), never waits one slice, where {@link #stillWaiting} looks.
     */
    private void beforeBodyRead() throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            IOException aborted = ex.abortCause();
            throw aborted != null ? aborted : abortWith(RequestScope.interruptedWhile(BodyEofSignal.PHASE, null));
        }
    }

    /** Aborts the exchange with {@code stop}: what ends the read is the abort that won (the first one). */
    private IOException abortWith(IOException stop) {
        ex.abort(stop);
        IOException won = ex.abortCause();
        return won != null ? won : stop;
    }

    /** The connection input's guard while the body is read: see {@link ConnInput.WaitGuard}. */
    private void stillWaiting(int timeouts, java.net.SocketTimeoutException timeout) throws IOException {
        long waitedNanos = timeouts * slice().toNanos();
        IOException aborted = ex.abortCause();
        if (aborted != null) {
            throw aborted;
        }
        IOException stop = null;
        if (Thread.currentThread().isInterrupted()) {
            stop = RequestScope.interruptedWhile(BodyEofSignal.PHASE, timeout);
        } else {
            stop = ex.scope().ended(BodyEofSignal.PHASE);
        }
        Duration limit = bodyReadTimeout;
        if (stop == null && !limit.isZero() && waitedNanos >= java.util.concurrent.TimeUnit.NANOSECONDS.convert(limit)) { // saturating (E78)
            stop = new HttpTimeoutException(HttpTimeoutException.Kind.BODY_READ, "timed out: no bytes of the response body for "
                    + limit + " (bodyReadTimeout); connection closed", timeout);
        }
        if (stop != null) {
            throw abortWith(stop);
        }
    }

    /**
     * Reads heads until a final one; the first 100 Continue releases the body. All the heads read for this request,
     * every 1xx head and the final one, share one budget of {@code maxHeaderBytes} (P92), as Go 1.24 bounds them when
     * it hands no 1xx to the caller (this transport never does): a server that sends 1xx heads without end, or many
     * small ones and then a final head, is refused with {@code HEADERS_TOO_LARGE} once they add up to more, and their
     * number is not bounded otherwise (the budget bounds it: Go dropped its count of 5 for the same reason, and so did
     * P79). Each 1xx's framing fields are checked as a final answer's (P79).
     */
    private FinalHead readFinalHead() throws IOException {
        long budgetStart = in.bytesRead(); // the first head's first byte: the budget is the response's, not a head's
        int informational = 0;
        boolean continued = false;
        while (true) {
            ResponseHead head = ResponseHeadReader.read(in, cfg.limits(), budgetStart, informational);
            if (head == null && informational > 0) {
                // The server answered (a 1xx is a response to this request), so this is no idle connection the
                // server had closed: a broken answer, never retried (P58; Go: "unexpected EOF", not retried).
                throw new HttpProtocolException(HttpProtocolException.Reason.PREMATURE_EOF, "connection closed after "
                        + informational + " informational (1xx) response" + (informational == 1 ? "" : "s")
                        + ", before the final response");
            }
            if (head == null) {
                throw ConnException.endedBeforeResponse(null);
            }
            int s = head.status();
            if (s >= 200 || s == 101) {
                return new FinalHead(head, continued);
            }
            // No body follows a 1xx, but a transfer coding it cannot have, differing lengths, or both framing fields
            // at once are as wrong on it as on a 204 (RFC 9110 §8.6, RFC 9112 §6.1: never sent on a 1xx): refused
            // as on a final answer (P79), as Go's ReadResponse refuses them on every status (parseTransferEncoding
            // and fixLength's duplicate check come before its status checks). The connection is then closed.
            BodyFraming.of(rc.req().method(), head);
            informational++;
            if (s == 100 && rc.continueCh() != null && !continued) {
                // Only the first 100 Continue counts (as in Go): a repeated one is an ignored 1xx.
                rc.continueCh().trySend(Boolean.TRUE);
                continued = true;
            }
        }
    }

    /** The final head, and whether a 100 Continue released the request body before it. */
    private record FinalHead(ResponseHead head, boolean continued) {}

    /**
     * Un-gzips a body (P25, P30). The gzip data ends exactly where the framing does (the decoder reads
     * the framing to its end, so the EOF signal fires, and the connection's fate is decided there: E49); bad gzip
     * found before that aborts the exchange at once (the connection is closed, not drained), found after it leaves
     * the connection to the pool (its framing ended cleanly), and either way fails the read with
     * {@code BAD_CONTENT_ENCODING}. The request's {@code done()} is the decoded body's outcome (E50): reported here
     * at the decoded EOF (after the framing's end), with the failure that the read throws, or at the close; the
     * framing's own EOF does not report it.
     */
    private static final class GzipBody extends BulkInputStream implements DecodedBody {
        private final BodyEofSignal signal;
        private final GzipDecodingStream gz;
        /** The gzip data's Content-Length (removed from the headers the caller sees, P25), or -1. */
        private final long declaredEncodedLength;
        /** The request's one done() (claimed once: a second report does nothing). */
        private final Consumer<Throwable> onDone;
        /**
         * The body's turn (P62): held by the one read in progress, taken interruptibly when another holds it (P78).
         * The decoder's own lock is then never waited for by a reader: it is taken uncontended, under this turn.
         */
        private final ReentrantLock turn = new ReentrantLock();
        /** The decoded body's end was returned: a reader cut off while waiting for its turn answers it too. */
        private volatile boolean ended;
        /**
         * The body's failure that stands, the first one set (P61, P81): the decoder's, recorded before the listener
         * hears it, or why a reader waiting for its turn was interrupted. Every later read throws it. Set by a reader
         * under the turn and by an interrupted one without it: the first wins.
         */
        private final AtomicReference<IOException> failed = new AtomicReference<>();
        /** Closed: every later read says so, as a streamed body's does, whatever failed before (P81). */
        private volatile boolean closed;

        GzipBody(BodyEofSignal signal, long declaredEncodedLength, Consumer<Throwable> onDone) {
            this.signal = signal;
            this.gz = new GzipDecodingStream(signal);
            this.declaredEncodedLength = declaredEncodedLength;
            this.onDone = onDone;
        }

        @Override
        public long declaredEncodedLength() {
            return declaredEncodedLength;
        }


        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw closedBody();
            }
            // One read at a time (P62), as BodyEofSignal takes its turn: the holder may be blocked in the socket under
            // the decoder for as long as the peer stalls, so a reader waiting for it must be left by its interrupt
            // (P78, E62). The decoder's lock alone was the turn before, and ReentrantLock.lock() ignores interrupts:
            // the waiting reader stayed parked, its flag set, until the other read ended (for ever, with no deadline).
            // Uncontended, the turn is taken whatever the interrupt status, as for a streamed body.
            if (!turn.tryLock()) {
                try {
                    turn.lockInterruptibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // kept, as for a read the interrupt ends in the socket (E62)
                    return interruptedWaitingForTurn(b, off, len, e);
                }
            }
            try {
                if (closed) {
                    throw closedBody(); // closed while this reader waited for its turn (P81)
                }
                IOException earlier = failed.get();
                if (earlier != null) {
                    throw earlier; // the decoder's failure, or a reader's interrupt, ended the body (P61)
                }
                return readDecoded(b, off, len);
            } finally {
                turn.unlock();
            }
        }

        /** What a read after {@link #close()} throws: the words of the streamed body and of the decoder. */
        private static IOException closedBody() {
            return new IOException("response body is closed");
        }

        /**
         * A reader waiting for the other's read was interrupted: the decoded end, if the other reached it, stands;
         * else the request ends as a streamed body's does (RequestCancelledException, reason INTERRUPT): the
         * exchange is aborted, which closes the connection and so ends the other read with the same cause (a read
         * after the framing's end only completes its decoding), and the body stays failed (P61).
         */
        private int interruptedWaitingForTurn(byte[] b, int off, int len, InterruptedException e) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (ended) {
                return len == 0 ? 0 : -1;
            }
            // A failure the holder of the turn met first stands (P81): the reader holding the turn may still be in it,
            // telling the listener's done() of that failure, which may block. Before, this reader took the interrupt
            // for the body's failure, and every later read threw it instead of the failure already reported.
            IOException earlier = failed.get();
            if (earlier == null) {
                earlier = signal.failure(); // the framing's or the connection's failure, found under the decoder
            }
            if (earlier != null) {
                throw earlier;
            }
            throw endInterrupted(e);
        }

        /**
         * Ends the body for its reader's interrupt, unless a failure was recorded first (P81, then thrown): the request
         * cancelled ({@code INTERRUPT}), its exchange aborted, its one {@code done()} that failure, every later read the
         * same (P61).
         *
         * @param cause the interrupt's exception, or null
         * @return the failure to throw
         * @throws IOException the failure recorded first
         */
        private IOException endInterrupted(InterruptedException cause) throws IOException {
            IOException why = RequestScope.interruptedWhile(BodyEofSignal.PHASE, cause);
            if (!failed.compareAndSet(null, why)) {
                throw failed.get(); // the decoder failed the body meanwhile: that failure came first
            }
            signal.abort(why); // the exchange aborted and done(why) reported, once; a no-op after the framing's end
            onDone.accept(why); // the request failed, also when its framing had ended (claimed once: E50)
            return why;
        }

        private int readDecoded(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = gz.read(b, off, len);
            } catch (HttpProtocolException e) {
                if (e.reason() == HttpProtocolException.Reason.BAD_CONTENT_ENCODING) {
                    // Recorded first, before the listener hears of it (P81): a reader interrupted while this one is
                    // still in done() finds it. A reader's interrupt recorded just before stands instead.
                    failed.compareAndSet(null, e);
                    // The rest of the body is of no use: the connection is closed, not drained; unless the framing
                    // had ended, and the exchange with it (the connection back in the pool, P30): then nothing.
                    signal.abort(e);
                    onDone.accept(e); // the request failed: its listener hears that, not success (E50)
                }
                throw e;
            }
            if (n < 0) {
                ended = true;
                // The decoder returns -1 only once the framing's EOF read returned (it reads the framing to its
                // end), so the connection is back in the pool or closed (E22).
                onDone.accept(null);
            }
            return n;
        }

        /**
         * Closes the decoder, and through it the framed body (the exchange aborted unless it ended): a read after
         * it throws, and the inflater is freed (E43). It closed only the body below the decoder, which went on
         * giving the bytes it had taken in, and then EOF, to reads after the close.
         */
        @Override
        public void close() throws IOException {
            closed = true;
            try {
                gz.close(); // closes the signal (which never throws), then frees the inflater
            } finally {
                onDone.accept(null); // closed after the framing's end, before the decoded end (E50); else a no-op
            }
        }
    }
}
