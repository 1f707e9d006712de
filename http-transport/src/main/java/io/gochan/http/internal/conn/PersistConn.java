package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.ReceiveChan;
import io.gochan.Received;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.http.ContentLengthMismatchException;
import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.RequestCancelledException;
import io.gochan.http.RequestListener;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.BodyFraming;
import io.gochan.http.internal.codec.BodySourceException;
import io.gochan.http.internal.codec.ConnInput;
import io.gochan.http.internal.codec.RequestWriter;
import io.gochan.http.internal.codec.ResponseHeadReader;
import io.gochan.http.internal.conn.Messages.RequestAndChan;
import io.gochan.http.internal.conn.Messages.ResponseOrError;
import io.gochan.http.internal.conn.Messages.WriteRequest;
import io.gochan.http.internal.conn.Messages.WriteResult;
import io.gochan.http.internal.pool.ConnectKey;
import io.gochan.http.internal.pool.PooledConnection;
import io.gochan.http.internal.pool.Slot;
import io.gochan.http.jfr.HttpEvents;
import io.gochan.select.Select;
import io.gochan.http.internal.JfrGate;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One HTTP/1.1 connection: Go's {@code persistConn}. A read loop and a write loop, each a goroutine
 * (virtual thread), talk to {@link #roundTrip} only through channels and selects. What happens to the
 * connection when a request ends is decided by that request's {@link Exchange}, exactly once, and by
 * nobody else (ADR 0008); the connection's {@link Slot} is released when the connection closes.
 *
 * <h2>The channels, who sends, who receives, and why each has its capacity</h2>
 * <ul>
 *   <li>{@code writech} (cap 1), roundTrip → write loop: the request to write. One request is in
 *       flight at a time, so the slot is always free and roundTrip never blocks on it.</li>
 *   <li>{@code reqch} (cap 1), roundTrip → read loop: the exchange and where to deliver its response
 *       ({@link RequestAndChan}); roundTrip never blocks while the read loop still peeks.</li>
 *   <li>{@code writeErrCh} (per request, cap 1), write loop → roundTrip: the write result. The write
 *       loop sends exactly one value on a fresh channel, so the send can never block: the writer
 *       never waits on a roundTrip that already returned (cancelled, timed out, answered early).</li>
 *   <li>{@code writeResults} (per connection, cap 1), write loop → read loop: the same result, read
 *       before the connection is reused, so a connection whose write failed or is unfinished is
 *       never pooled.</li>
 *   <li>{@code resc} (per request, cap 0), read loop → roundTrip: the response or error, always
 *       sent in a select against {@code callerGone}. Unbuffered, so when the send completes the
 *       caller really owns the response; if the caller is gone the read loop ends instead of waiting
 *       forever for a body nobody will read (the leak a buffered channel would cause).</li>
 *   <li>{@code callerGone} (per request, closed by roundTrip when it returns), roundTrip → read loop.</li>
 *   <li>{@code closech} (closed once, after the close cause is recorded): wakes every select.</li>
 *   <li>{@code writeLoopDone} (closed when the write loop ends, after its last report): a caller that
 *       waits for its write report once the connection has closed stops waiting then.</li>
 *   <li>{@code readLoopDone} (closed when the read loop ends, after the connection's close): a caller that
 *       waits for the response of a completed exchange stops waiting then (E89).</li>
 *   <li>{@code continueCh} (per request, cap 1), read loop → write loop: {@code true} = 100 Continue
 *       arrived, send the body; closed = a final status came first, skip the body.</li>
 *   <li>{@code waitForBodyRead} (per response, cap 2), body → read loop: {@code true} = EOF,
 *       {@code false} = closed early or failed; both may be sent, neither send blocks.</li>
 *   <li>{@code eofc} (per response, closed by the read loop), read loop → body reader: the EOF read
 *       returns only after the exchange completed (connection reused or closed).</li>
 * </ul>
 */
public final class PersistConn implements PooledConnection, Exchange.Connection {
    private static final System.Logger LOG = System.getLogger(PersistConn.class.getName());
    private static final AtomicLong IDS = new AtomicLong();
    private static final Object CLOSED = new Object();
    private static final Object HEADER_TIMEOUT = new Object();
    private static final Object CANCELLED = new Object();
    private static final Object DEADLINE = new Object();
    /** The transport's close is complete (E51). */
    private static final Object TRANSPORT_CLOSED = new Object();
    /** The early-response grace (or the wait for the write loop's word) ran out: nothing came. */
    private static final Object GRACE_OVER = new Object();
    private static final String AWAITING = "awaiting the response";
    private static final Duration MAX_WRITE_WAIT_BEFORE_REUSE = Duration.ofMillis(50);
    private static final Duration EARLY_RESPONSE_GRACE = Duration.ofMillis(250);
    /**
     * How long a body read blocks before it looks again at its exchange: a platform thread is not woken
     * by an interrupt in a socket read, and a request's deadline must end a stalled body; so a stalled
     * read wakes this often to check both (it costs nothing while bytes arrive).
     */
    static final Duration BODY_READ_SLICE = Duration.ofMillis(100);
    /**
     * How long a TLS tunnel's half-close may take to send its {@code close_notify} (E113): Go's {@code tls.Conn} gives
     * its {@code closeNotify} a 5-second write deadline, so that a peer that reads nothing never holds a close for ever.
     */
    static final Duration CLOSE_NOTIFY_TIMEOUT = Duration.ofSeconds(5);

    private final long id = IDS.incrementAndGet();
    private final ConnectKey key;
    private final Socket socket;
    private final Socket tcp;
    private final ConnInput in;
    private final CountingOutputStream rawOut;
    private final BufferedOutputStream out;
    private final ConnConfig cfg;
    private final Slot slot;
    /** Plain http through an HTTP proxy: absolute-form targets and the proxy's credentials on each request (R7). */
    private final boolean forwardsToProxy;
    private final String proxyAuthorization;
    private final Consumer<PersistConn> reuse;

    private final Chan<WriteRequest> writech = Chan.make(1);
    private final Chan<RequestAndChan> reqch = Chan.make(1);
    private final Chan<WriteResult> writeResults = Chan.make(1);
    private final Chan<Object> closech = Chan.make();
    private final Chan<Object> writeLoopDone = Chan.make();
    /**
     * Closed when the read loop ends, after its connection's close: a caller waiting for the response of an exchange
     * that completed stops waiting then, since nobody is left to hand it over (E89).
     */
    private final Chan<Object> readLoopDone = Chan.make();
    private final AtomicInteger expectedResponses = new AtomicInteger();
    private final ReentrantLock closeLock = new ReentrantLock();
    private volatile IOException closedCause; // written before closech closes
    private volatile boolean closed;
    /**
     * The body of a request answered before its write ended (null: none): closed when the connection
     * closes, so a write loop blocked in its source ends (E18). Written after the answer, read by close().
     */
    private volatile RequestBodyStream answeredWhileWriting;
    /**
     * Why the write of a request whose answer may open a tunnel failed (its body's source, its declared length, the
     * connection), or null: set by the write loop before the tunnel's output may write; the output then refuses every
     * write (E88).
     */
    private volatile IOException tunnelUpstreamFailed;
    /**
     * The failure of a request's upload that the caller's own code cut short (E94), with which the write loop closed
     * this connection, or null: set by the write loop just before that close. A read of a streamed response body that
     * the close cuts, or that needs the closed socket, fails with it ({@link #uploadFailure()}), never with a bare
     * "socket closed".
     */
    private volatile IOException uploadFailed;
    /** Responses read on this connection so far (read loop only): a connection with one is a reused one. */
    private int responses;
    /** The TCP stream under TLS, as seen by the TLS layer (P50, E55); null for plain TCP. */
    private final SocketDialer.Dialed.TlsLayer tls;
    /** {@code responses > 0}, for roundTrip's look at an idle connection (P37). */
    private volatile boolean servedResponse;
    /**
     * The pool handed this connection out again ({@link #markReused()}): a reused connection to the retry rule and to
     * the read loop's 408 rule alike (E8, E127), whether or not it had served a response (one dialed for a request that
     * ended as it was handed it waited in the pool unused, E90).
     */
    private volatile boolean handedOutAgain;
    /**
     * Bytes were waiting on this plain connection when it was wrapped, before its read loop started (P52): the
     * server spoke before it was asked. Looked at once, here: once the read loop runs, bytes it is moving from
     * the socket to its buffer are in neither for an instant, and the first request's look could miss them.
     */
    private boolean spokeBeforeAsked;
    /** Why the read loop ends (read loop only). */
    private IOException readLoopEnd;
    /**
     * An interrupt the read loop took as it handed a response over after that response's end had put this connection
     * back (read loop only, E111): kept for the next response on the connection, which is served whole, not reused, and
     * then ends the loop (E99). Ended at once, the loop closed the connection under whichever request had taken it.
     */
    private boolean interruptCarried;
    /**
     * Spans the connection's life (a JFR ConnectionEvent, committed at close if a recording enabled
     * it); null unless the flight recorder was initialized when the connection opened (ADR 0011).
     */
    private final Object lifetime = JfrGate.active() ? HttpEvents.connectionBegin() : null;

    private PersistConn(ConnectKey key, SocketDialer.Dialed dialed, ConnConfig cfg, Slot slot, Consumer<PersistConn> reuse)
            throws IOException {
        this.key = key;
        this.socket = dialed.socket();
        this.tcp = dialed.tcp();
        this.cfg = cfg;
        this.slot = slot;
        this.reuse = reuse;
        this.tls = dialed.tls();
        // Under TLS a write the TLS layer refused whole (its output closed by the server's close_notify) or whose
        // record the TCP socket did not take whole counts as nothing written (P50).
        this.rawOut = new CountingOutputStream(tls == null ? socket.getOutputStream() : tls.output(socket.getOutputStream()),
                tcp::isClosed);
        // Its end of stream is a body's end only if neither this side's close (E98, E103: close() marks it), nor a socket
        // closed on this side under the read (E104), nor a TLS record cut short (P33) made it. Each read that takes bytes
        // notes what of the requests had gone out then (E112: whether they can answer the request that is waiting).
        this.in = new ConnInput(tls == null ? socket.getInputStream() : tls.input(socket.getInputStream()), dialed::endedBadly,
                this::socketClosedUnderRead, rawOut::count);
        this.out = new BufferedOutputStream(rawOut, 8192);
        this.forwardsToProxy = key.forwardsToProxy();
        this.proxyAuthorization = forwardsToProxy ? ProxyHandshake.basicAuthorization(key.proxy()) : null;
    }

    /**
     * Wraps a dialed connection and starts its read and write loops.
     *
     * @param key what it is connected to
     * @param dialed its sockets
     * @param cfg the transport's configuration
     * @param slot the slot it owns (released when it closes)
     * @param reuse where a completed exchange puts it back (the pool's {@code put})
     * @return the running connection
     * @throws IOException if the socket's streams cannot be had (the sockets are then closed by the caller)
     */
    public static PersistConn start(ConnectKey key, SocketDialer.Dialed dialed, ConnConfig cfg, Slot slot,
            Consumer<PersistConn> reuse) throws IOException {
        PersistConn c = new PersistConn(key, dialed, cfg, slot, reuse);
        c.spokeBeforeAsked = c.unreadOnNewConnection(); // before the loops start; the pool publishes it with c (P52)
        if (c.lifetime != null) {
            // Before the loops start: a read loop that finds the connection closed at once closes it, and its
            // "closed" event must not come before "opened" (E25).
            HttpEvents.connection("opened", c);
        }
        try {
            Go.go("http-write-loop#" + c.id + " " + key, c::writeLoop);
            Go.go("http-read-loop#" + c.id + " " + key, c::readLoop);
        } catch (RuntimeException | Error e) {
            // A loop that cannot start (its thread refused: an OutOfMemoryError) leaves a connection nobody will ever
            // close: its write loop, started already, would wait on it for ever, past Transport.close(), and a
            // recording would have its "opened" without a "closed" (E96). Closed, then the failure goes on as it is
            // (the dial fails with it, E77). Nothing of a request was written: no request has it yet.
            c.close(new ConnException("connection " + c + " could not start its loops: " + e, e, true, false));
            throw e;
        }
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

    /**
     * Gives this connection back to the pool. If it is closing meanwhile on another thread (the read loop saw
     * the server close it just as a body held in memory was read to its end), returns only once that close is
     * complete, so whoever reports the body's end next never finds the connection still counted in use (E40).
     */
    @Override
    public void reuse() {
        reuse.accept(this);
        if (closed) {
            awaitClosech();
        }
    }

    /**
     * Marks this connection, which a request just took from the pool, as reused by that request, unless the
     * connection is already closing (the server closed it as it left the pool): then the request is not sent
     * on it (it fails as "nothing written" and is retried, E17) and nothing is recorded. Otherwise commits the
     * flight recorder's "reused" event. Under the close lock, so a "closed" event, committed by a close that
     * comes later, follows it (E31); and the transport counts a reuse exactly when this returns true, so its
     * {@code reused} counter and the "reused" events agree (E35).
     *
     * @return true if the connection was open: the request is handed to it as a reused one
     */
    public boolean markReused() {
        closeLock.lock();
        try {
            if (closed) {
                return false;
            }
            if (JfrGate.active()) {
                // An instant of its own (JF16), not part of the connection's lifetime event: a recording started after
                // the connection opened sees it too, and the reused counter and these events agree (E35).
                HttpEvents.connection("reused", this);
            }
            handedOutAgain = true; // before the request is handed to the loops, which its channels publish it with
            return true;
        } finally {
            closeLock.unlock();
        }
    }

    /**
     * Records the cause, closes the sockets (unblocking both loops), commits the flight recorder's "closed"
     * event, releases the slot, closes the body source of a request answered before it was all sent, and
     * closes closech. Idempotent, callable from any thread, never waits for the loops. A call that finds the
     * connection already closing returns only once that close is complete (closech closed, so the slot is
     * free, the body source closed and the "closed" event committed): whoever closes a connection, then says
     * so (an aborted request's exception, the transport's close returning), never finds it still counted open
     * (E23), its early-answered request's body source open (E32) or its "closed" event missing (E36).
     */
    @Override
    public void close(IOException cause) {
        boolean first;
        closeLock.lock();
        try {
            first = !closed;
            if (first) {
                closedCause = cause;
                closed = true;
            }
        } finally {
            closeLock.unlock();
        }
        if (!first) {
            awaitClosech();
            return;
        }
        // closech always closes, whatever throws below: every later close, the loops and Transport.close() wait
        // for it, not interruptibly (E84).
        try {
            // Before the sockets close: whatever a read takes from them from now on (bytes that arrive while this close
            // runs, the end or the failure a closed socket answers) is this close's, never the server's answer (E103).
            in.markClosedHere(cause != null ? cause : new IOException("connection " + this + " closed without a cause"));
            closeSockets();
            if (lifetime != null) {
                // Before anyone can learn that the connection closed (its slot freed, closech closed): a second
                // close, Transport.close() and a failed request return only once its "closed" event exists (E36).
                HttpEvents.connectionClosed(lifetime, this, closeReason(cause));
            }
            // The slot before closech: whoever wakes on closech (roundTrip) finds the connection no longer
            // counted open and its per-host slot free (E21).
            slot.release();
            RequestBodyStream writing = answeredWhileWriting;
            if (writing != null) {
                // Before closech too: whoever learns that the connection closed (a body read that lost the race to
                // end the exchange, a second close) finds the early-answered request's body source closed (E32).
                // A no-op if the write loop is done with it. An Error from it must not stop the close half way (closech
                // never closed would hang every waiter): the request has its response, so it is logged (E48).
                Throwable failed = closeBodyOnLoop(writing);
                if (failed != null) {
                    ThrowableText.log(LOG, Level.ERROR, "closing the body of a request answered before it was all sent failed",
                            failed);
                }
            }
        } finally {
            closech.close();
        }
    }

    /**
     * The size of the head a connection for {@code key} writes for {@code req}, as
     * {@link RequestWriter#headSize(HttpRequest)} counts it: for plain http forwarded to an HTTP proxy, with the
     * absolute-form target and the proxy URI's credentials (R56).
     *
     * @param req the request
     * @param key its connection key
     * @return the size in bytes
     */
    public static long headSize(HttpRequest req, ConnectKey key) {
        return key.forwardsToProxy()
                ? RequestWriter.headSize(req, true, ProxyHandshake.basicAuthorization(key.proxy()))
                : RequestWriter.headSize(req);
    }

    /**
     * The "closed" event's reason, never null (JF8): the cause's message, or, for a cause without one (the JDK's
     * socket layer throws some), its type; a close without a cause says so. Never throws (JF12): the cause may be
     * an exception of the caller's code (a dialer's socket, a body source), and a {@code getMessage()} that threw
     * here stopped {@link #close} half way, its per-host slot never released.
     */
    static String closeReason(IOException cause) {
        if (cause == null) {
            return "closed without a cause";
        }
        return ThrowableText.messageOrType(cause);
    }

    /** Waits, not interruptibly, for a close under way on another thread (it never blocks) to close closech. */
    private void awaitClosech() {
        boolean interrupted = false;
        while (!closech.isClosed()) {
            try {
                closech.receiveOk();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The TCP socket first: closing a TLS socket waits for its record lock, which a write blocked on a
     * peer that stopped reading holds forever; closing the TCP socket under it fails that write at once.
     */
    private void closeSockets() {
        closeSocket(tcp, "TCP");
        if (socket != tcp) {
            closeSocket(socket, "TLS");
        }
    }

    /**
     * Closes one socket, which may be a {@link io.gochan.http.Dialer}'s own: whatever its close throws is logged, never
     * thrown, so the connection's close goes on (its slot freed, closech closed) and no loop dies half way (E84), also
     * when printing it throws: its text is the Dialer's code too (E105).
     */
    private void closeSocket(Socket s, String which) {
        try {
            s.close();
        } catch (IOException e) {
            ThrowableText.log(LOG, Level.DEBUG, "closing " + which + " socket of " + this, e);
        } catch (Throwable e) { // also a checked exception the socket lets out undeclared: the slot is still released
            ThrowableText.log(LOG, Level.ERROR, "closing " + which + " socket of " + this + " failed; the connection is closed anyway", e);
        }
    }

    // ------------------------------------------------------------------ roundTrip (caller's thread)

    /**
     * Whether {@code req} asks for a range (P88): a {@code Range} field with a value. An empty {@code Range} asks for
     * none, and Go (whose test is {@code Header.Get("Range") == ""}) adds {@code Accept-Encoding: gzip} beside it; a
     * later field with a value still asks for one here, where Go reads only the first.
     */
    private static boolean asksForARange(HttpRequest req) {
        String first = req.headers().get("Range");
        if (first == null || !first.isEmpty()) {
            return first != null; // the common cases, without the list all() makes
        }
        for (String range : req.headers().all("Range")) {
            if (!range.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends the request on this connection and waits for the response head, the connection closing,
     * the header timeout, or the end of the request (its context, its deadline, an interrupt). Every
     * early end is an {@link Exchange#abort abort} of this request's exchange; an abort that loses to a
     * completed exchange takes the response that is being handed over instead, so a late cancel never
     * touches a connection already given to the next request.
     *
     * @param scope the request, its context and deadline
     * @param body the stream opened from the request's body, or null; closed exactly once: by the write loop
     *     once written, or here if the request ends without a response (E17, E18)
     * @return the response, its body still to read
     * @throws ConnException for failures the transport may retry on another connection
     * @throws IOException for protocol errors, timeouts, cancellation, and a failed request body (its
     *     source's own {@link IOException})
     * @throws InterruptedException if interrupted; the exchange is aborted
     */
    public HttpResponse roundTrip(RequestScope scope, InputStream body) throws IOException, InterruptedException {
        HttpRequest req = scope.request();
        boolean gzip = !cfg.disableCompression() && !req.headers().contains("Accept-Encoding")
                && !asksForARange(req) && !req.method().equals("HEAD")
                && !req.method().equals("CONNECT"); // its 2xx opens a tunnel: no content to decode (R65)
        Exchange ex = new Exchange(this, scope);
        Chan<WriteResult> writeErrCh = Chan.make(1);
        Chan<ResponseOrError> resc = Chan.make();
        Chan<Object> callerGone = Chan.make();
        Chan<Boolean> continueCh = RequestWriter.expectsContinue(req) ? Chan.make(1) : null;
        long startBytesWritten = rawOut.count(); // the previous request's write has ended: it was checked before reuse
        RequestBodyStream stream = body == null ? null : new RequestBodyStream(body);
        answeredWhileWriting = null; // the previous request's write ended (it was checked before reuse)
        boolean answered = false;
        boolean looked = false; // the looks below returned: false while what a look threw goes on (E114)
        try {
            lookBeforeSending(scope);
            looked = true;
        } finally {
            if (!looked) {
                // A look at the socket threw (an Error of a Dialer's socket's available(), E114): the request fails
                // with it as it is, once the connection, taken by this request, is closed (left, it stayed counted in
                // use, its slot held for good) and the body opened for it too, as for any request that ends without a
                // response (E18). Not a byte was written: the request is not counted yet.
                close(new HttpConnectionException("connection " + this + " closed: the look for bytes waiting on its"
                        + " socket failed before a request was sent", null));
                Throwable failed = closeBodyOnLoop(stream);
                if (failed != null) {
                    ThrowableText.log(LOG, Level.ERROR, "closing the body of a request its connection never sent failed",
                            failed);
                }
            }
        }
        expectedResponses.incrementAndGet();
        try {
            // Only a request whose response may become a tunnel (R65, R67) gets the channel its tunnel output waits
            // on: every other request would pay a channel for nothing.
            Chan<Object> written = BodyFraming.mayOpenTunnel(req.method(), req.headers()) ? Chan.make() : null;
            // No Connection: close beside an upgrade's Connection: Upgrade (R67): the connection is the new protocol's
            // if the server agrees, and never pooled either way; Go leaves it out too.
            boolean close = cfg.disableKeepAlives() && !BodyFraming.asksToUpgrade(req.headers());
            if (!writech.trySend(new WriteRequest(scope, ex.attempt(), stream, writeErrCh, continueCh, gzip, close,
                    written))
                    || !reqch.trySend(new RequestAndChan(ex, resc, callerGone.receiveOnly(), continueCh, gzip, startBytesWritten,
                            written == null ? null : written.receiveOnly()))) {
                throw new IllegalStateException("connection " + this + " already has a request in flight");
            }
            if (writeLoopDone.isClosed()) {
                // The connection died before its write loop could take this request (the server closed it
                // just as it left the pool): the loop's last drain of writech may already have run, so the
                // body it would have closed is closed here. Whoever receives the request closes its body:
                // the loop's drain or this one, never both, never neither (E17).
                for (Received<WriteRequest> r; (r = writech.tryReceive()).ok(); ) {
                    r.value().markWritten();
                    // Logged, never thrown, as the loop's drain does (E48, E119): the request, of which nothing went
                    // out, fails as "nothing written" and is retried (E17), never with its body's close.
                    closeBodyLogged(r.value().body(), "closing the body of a request its connection never sent failed");
                }
            }
            HttpResponse response = awaitResponse(ex, writeErrCh, resc, startBytesWritten);
            answered = true;
            if (stream != null && !stream.isClosed()) {
                // Answered before the body was all sent: the write goes on, and if the connection closes first
                // (the response's body closed early, its deadline), the stream is closed then (E18). Set, then
                // check: close() reads the field after it sets closed, so one of the two sees the other.
                answeredWhileWriting = stream;
                if (closed) {
                    // As close() does for it (E32): the request has its response, which its body's close must not
                    // cost it (E48, E119).
                    closeBodyLogged(stream, "closing the body of a request answered before it was all sent failed");
                }
            }
            if (ex.isCompleted()) {
                // A response without a body: its exchange completed (the connection pooled or closed) before it
                // was handed over, so the request is over; said before the caller sees it (E22).
                scope.claimDone(() -> notify(req, l -> l.done(req, null)));
            }
            return response;
        } finally {
            callerGone.close();
            if (!answered && stream != null) {
                // The request ended without a response: its connection is closed or being closed, and the
                // write loop may be blocked reading the body's source, which only its close can end (E18).
                // The sockets first (a no-op if closed): a source that answers EOF once closed must never let
                // the write loop end a chunked body early on a connection that still reaches the server.
                close(new HttpConnectionException("connection closed: its request ended without a response", null));
                // Logged, never thrown (E119): the request's own outcome, thrown already, stands (a failure of which
                // nothing went out is retried, E17); the write loop, not done with the stream, never reported it.
                closeBodyLogged(stream, "closing the body of a request that ended without a response failed");
            }
        }
    }

    /**
     * Whether bytes wait unread on this idle connection: in the TCP socket (a read loop blocked on it has not
     * taken them yet), or in the input's buffer (read from this thread as one fill's bounds, never waited for, so
     * that a fill under way on the read loop is never seen half made: E101; a hint: the read loop that filled it is
     * about to judge them itself). Over TLS the TCP socket under it is asked, never the TLS socket: the JDK's
     * TLS {@code available()} is not synchronized with a read, and asked while the read loop enters its read
     * it reports the TLS layer's whole emptied buffer (4096 bytes on a connection that held none, about once in
     * a thousand reuses of a new connection): a good connection was closed and its request retried, or failed
     * if its body could not be sent again (E53). An unread TLS record is bytes the server sent after the
     * response: data nobody asked for, or its close_notify, which ends the connection anyway.
     */
    @Override
    public boolean unreadWhileIdle() {
        if (!servedResponse) {
            return false; // a new connection: a server that speaks first is the read loop's to judge
        }
        if (in.hasBufferedSeenFromOutside()) {
            return true;
        }
        if (tls != null && tls.readButNotDelivered()) {
            return true; // a record the TLS layer read while idle: the server's close_notify, most often (E55)
        }
        try {
            return tcp.getInputStream().available() > 0;
        } catch (Exception e) {
            // The socket failed (a Dialer's socket may fail unchecked, E84, or let a checked exception out undeclared,
            // E114): the request's write or the read loop says so. An Error goes on: its request fails with it, once
            // the pool, which asks this outside its lock as the request takes the connection (E122), or this
            // connection's roundTrip has closed the connection (E114).
            return false;
        }
    }

    /**
     * Whether bytes wait on this new connection before its first request was counted (P52): in the input's
     * buffer (the read loop took them; looked at from this thread as one fill's bounds, as a fill under way on the
     * read loop may be setting its bounds: E101), or, on plain TCP, in the socket. Over TLS only what the read loop
     * decrypted counts: the TCP socket of a new TLS connection may hold the handshake's last records (TLS 1.3
     * session tickets), which are no response.
     */
    private boolean unreadOnNewConnection() {
        if (in.hasBufferedSeenFromOutside()) {
            return true;
        }
        if (tls != null) {
            return false;
        }
        try {
            return tcp.getInputStream().available() > 0;
        } catch (Exception e) {
            // The socket failed (a Dialer's socket may fail unchecked, E84, or let a checked exception out undeclared,
            // E114): the request's write or the read loop says so. An Error goes on: its request fails with it, once
            // roundTrip has closed the connection (E114).
            return false;
        }
    }

    /**
     * Looks, before a request is sent on this connection, for bytes that answer nothing it asks (P37, P52), and closes
     * the connection if some wait: the request then fails as "nothing written". May throw what the socket's
     * {@code available()} throws that is no {@link Exception} (an {@link Error} of a Dialer's socket, E114).
     */
    private void lookBeforeSending(RequestScope scope) {
        if (unreadWhileIdle()) {
            // Bytes arrived on the idle connection before this request: they answer nothing it asks, yet once it
            // is counted the read loop, not yet woken for them, would read them as its response (another's body,
            // or a forged one: P37). Closed now, before a byte is written: the request fails as "nothing
            // written" and is retried on a new connection, as when the server closes a connection as it leaves
            // the pool (E17).
            close(new ConnException("bytes nobody asked for were waiting on the idle connection " + this
                    + " when a request took it", null, false, true));
        } else if (!servedResponse && (spokeBeforeAsked || unreadOnNewConnection())) {
            // A new connection whose server spoke before it was asked (P52): what it sent answers nothing of this
            // request, and its real answer, sent once it has read the request, would be read as the next
            // request's if this one took the early bytes as its response and the connection were pooled.
            // What they are is the read loop's to say (E140): no request is counted yet, so it reads them as bytes on
            // an idle connection and closes it, an idle timeout's 408 as the server's close before the connection was
            // used, anything else as unsolicited. Judged here, from bytes this thread may not have seen yet (still in
            // the socket), the same 408 was unsolicited or a close as the read loop had taken it or not.
            awaitReadLoopVerdict(scope);
        }
    }

    /**
     * Waits for the read loop to close this new connection for the bytes its server sent before it was asked (E140):
     * they are in its buffer or in the socket, so its look for the next response returns and, no request counted,
     * it closes the connection with its verdict, which the request then fails with. If the request ends first (a
     * Dialer's socket that reports bytes it does not deliver), the connection is closed here as unsolicited, its
     * request's end then reported as usual; an interrupt stays set for the response's wait to see.
     */
    private void awaitReadLoopVerdict(RequestScope scope) {
        Select<Object> s = scope.addEnd(Select.cases().receiveOk(closech, r -> CLOSED), CANCELLED, DEADLINE);
        Object step;
        try {
            step = s.select();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the response's wait sees it and ends the request as interrupted
            step = CANCELLED;
        }
        if (step != CLOSED) {
            close(unsolicited("before the request was sent on a new connection", in.bufferedAsciiSeenFromOutside(40)));
        }
    }

    /**
     * The connection failure {@code failure} as the retry decision must see it: if the connection is closed
     * and not a byte of this request was handed to its socket, nothing of it can reach the server, so it
     * says "nothing written" (Go's {@code nothingWrittenError}: {@code nwrite == startBytesWritten}), and
     * a request with a replayable body, a POST included, may be retried on a new connection (E17). Go
     * returns its idle-close error before it makes this check, and so fails such a POST; nothing of it
     * reached the server, so retrying it is safe, and failing it would be a spurious error. The
     * count is compared only once the sockets are closed (closech): a byte handed over later fails
     * without reaching the server, and one handed over before is counted (it counts before the write).
     * Anything else, and every failure that is not the connection's, is returned as it is.
     */
    private IOException nothingWrittenIfSo(IOException failure, long startBytesWritten) {
        // The read loop's "unsolicited bytes on an idle connection" is the connection's failure too, not this
        // request's (a request that gets it took the connection from the pool as they were seen: after a
        // response they close a connection that is never pooled). It fails as "nothing written" if nothing of
        // it went out (Go's mapRoundTripError does the same for any error of a broken connection), and
        // either way as the server breaking an idle connection, which a replayable request survives (P37).
        boolean unsolicited = failure instanceof HttpProtocolException p
                && p.reason() == HttpProtocolException.Reason.UNSOLICITED_RESPONSE;
        if (!unsolicited && (!(failure instanceof ConnException c) || c.nothingWritten())) {
            return failure;
        }
        if (!closech.isClosed()) {
            // The read loop closes the connection before it delivers a failure (failExchange), so this wait
            // is for a failure that reached us another way. closech, not the closed flag: closech closes only
            // after the sockets, and the flag before them.
            try {
                closech.receiveOk();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the caller's interrupt stays set; the failure stands as it is
                return failure;
            }
        }
        boolean nothing = rawOut.count() == startBytesWritten;
        if (unsolicited) {
            return new ConnException(failure.getMessage() + (nothing ? " (before any byte of the request was sent)"
                    : " (as the request was being sent)"), failure, nothing, true);
        }
        if (!nothing) {
            return failure;
        }
        ConnException c = (ConnException) failure;
        return new ConnException(c.getMessage() + " (before any byte of the request was sent)", c.getCause(), true,
                c.serverClosedIdle());
    }

    private HttpResponse awaitResponse(Exchange ex, Chan<WriteResult> writeErrCh, Chan<ResponseOrError> resc,
            long startBytesWritten) throws IOException, InterruptedException {
        RequestScope scope = ex.scope();
        ReceiveChan<WriteResult> pendingWrite = writeErrCh;
        Timer headerTimer = null;
        try {
            while (true) {
                Select<Object> s = scope.addEnd(Select.cases()
                        .receive(pendingWrite, r -> r)
                        .receiveOk(closech, r -> CLOSED)
                        .receive(headerTimer == null ? null : headerTimer.c(), t -> HEADER_TIMEOUT)
                        .receive(resc, r -> r), CANCELLED, DEADLINE);
                Object step;
                try {
                    step = s.select();
                } catch (InterruptedException e) {
                    return interrupted(ex, resc);
                }
                if (step instanceof WriteResult w) {
                    if (w.error() == null) {
                        pendingWrite = null; // written: stop watching this case
                        if (cfg.responseHeaderTimeout().isPositive()) { // zero or negative: none, as Go (P48)
                            headerTimer = Timers.newTimer(cfg.responseHeaderTimeout());
                        }
                        continue;
                    }
                    return writeFailed(ex, w.error(), resc);
                }
                if (step instanceof ResponseOrError r) {
                    if (r.error() != null) {
                        if (pendingWrite != null) {
                            // The connection failed while the request was still being written: if the request ended
                            // meanwhile (P13, E47), or the caller's own body failed too (E5), that is its outcome, not
                            // the connection's failure.
                            HttpResponse late = whileStillWriting(ex, writeErrCh, resc, r.error());
                            if (late != null) {
                                return late;
                            }
                        }
                        HttpResponse late = endedOverFailure(ex, resc, r.error()); // E154
                        if (late != null) {
                            return late;
                        }
                        throw nothingWrittenIfSo(r.error(), startBytesWritten);
                    }
                    if (pendingWrite != null) {
                        callersBodyFailed(ex, r.response(), writeErrCh);
                    }
                    return r.response();
                }
                IOException cause;
                if (step == CLOSED) {
                    if (pendingWrite != null) {
                        // As for an error on resc above (E5): the connection closed while the request was
                        // still being written; if the caller's own body failed, that is the outcome. The
                        // select picks uniformly between a closed closech and resc's error, so both paths
                        // must ask (the storm found this one: 1 request in ~10,000).
                        HttpResponse late = whileStillWriting(ex, writeErrCh, resc, closedCause);
                        if (late != null) {
                            return late;
                        }
                    }
                    HttpResponse late = endedOverFailure(ex, resc, closedCause); // E154
                    if (late != null) {
                        return late;
                    }
                    cause = nothingWrittenIfSo(closedCause, startBytesWritten);
                } else if (step == HEADER_TIMEOUT) {
                    cause = new HttpTimeoutException(HttpTimeoutException.Kind.RESPONSE_HEADERS,
                            "timed out awaiting response headers after " + cfg.responseHeaderTimeout(), null);
                } else if (step == CANCELLED) {
                    cause = scope.contextEnded(AWAITING);
                } else {
                    cause = scope.timedOut(AWAITING);
                }
                if (ex.abort(cause)) {
                    throw cause;
                }
                return lostToCompletion(ex, resc);
            }
        } finally {
            if (headerTimer != null) {
                headerTimer.stop();
            }
        }
    }

    /**
     * Fails the request with its end if it has ended by the time its connection's failure {@code failure} is mapped
     * ({@link RequestScope#endOver}, E154): its thread interrupted, its context done, its deadline passed, its transport
     * closed (E143); null if it has not, and the failure stands. Go's {@code mapRoundTripError} so prefers
     * {@code pc.canceled()} over whatever error its select received, "better than network failures that were likely
     * the result of tearing down the connection"; here a teardown of ours never fails a request first (its end aborts
     * the exchange before the close), so what this decides is a real failure that came first and an end that came
     * before the caller looked: the caller's select, finding both ready, picked one at random, and an interrupt lost to
     * any ready case. The failure is kept suppressed under the end; an interrupt is thrown as {@link #interrupted}
     * says (its status cleared, as for any thrown {@link InterruptedException}). Unless another party had ended the
     * exchange first: then that.
     */
    private HttpResponse endedOverFailure(Exchange ex, Chan<ResponseOrError> resc, IOException failure)
            throws IOException, InterruptedException {
        IOException ended = ex.scope().endOver(failure, RequestScope.Phase.EXCHANGE, AWAITING, null, this::transportClosed);
        if (ended == null) {
            return null;
        }
        if (RequestScope.isInterrupt(ended)) {
            InterruptedException mine = ex.scope().interrupted(AWAITING);
            mine.addSuppressed(failure);
            if (ex.abort(ended)) {
                throw mine;
            }
            try {
                return lostToCompletion(ex, resc);
            } finally {
                Thread.currentThread().interrupt(); // the exchange's end won the race; the interrupt stays set (E39)
            }
        }
        if (ex.abort(ended)) {
            throw ended;
        }
        return lostToCompletion(ex, resc);
    }

    /**
     * The caller's thread was interrupted while it waited for its response: the exchange is aborted as
     * a cancellation (the connection closed) and an {@link InterruptedException} saying where is
     * thrown (the interrupt status cleared, as for any thrown {@code InterruptedException}); unless the
     * exchange had already ended, in which case its outcome is taken instead, a response or another party's
     * abort, and the interrupt stays set either way (E39).
     */
    private HttpResponse interrupted(Exchange ex, Chan<ResponseOrError> resc) throws IOException, InterruptedException {
        return interrupted(ex, resc, null);
    }

    /**
     * {@link #interrupted(Exchange, Chan)} for a wait the connection's failure {@code failure} had begun (null: none):
     * the failure is kept suppressed under the thrown {@link InterruptedException}, as {@link #endedOverFailure} keeps
     * it (E154).
     */
    private HttpResponse interrupted(Exchange ex, Chan<ResponseOrError> resc, IOException failure)
            throws IOException, InterruptedException {
        InterruptedException mine = ex.scope().interrupted(AWAITING);
        if (failure != null) {
            mine.addSuppressed(failure);
        }
        if (ex.abort(RequestScope.interruptedWhile(AWAITING, null))) {
            throw mine;
        }
        try {
            return lostToCompletion(ex, resc);
        } finally {
            Thread.currentThread().interrupt(); // the exchange's end won the race; the interrupt stays set
        }
    }

    /**
     * The write failed. A failure of the caller's own body (its source threw, or it broke its declared
     * length) ends the request with that failure, never retried, whatever the server answered. A
     * connection failure after some bytes were written may still have been answered (a server may
     * answer before reading the whole body, then close: T4, Go issue 11745), so the read loop gets a
     * short grace to deliver that response. Otherwise the exchange is aborted.
     */
    private HttpResponse writeFailed(Exchange ex, IOException error, Chan<ResponseOrError> resc)
            throws IOException, InterruptedException {
        IOException cause = error;
        if (error instanceof ConnException c && !c.nothingWritten()) {
            RequestScope scope = ex.scope();
            // A request that already ended (its deadline passed, its context done) before its grace began gives
            // none: a response waiting by then would win the select below, since a timeout only fires if no case
            // is ready, and a cancelled context only by a coin toss (E47).
            IOException endedBefore = scope.ended(AWAITING);
            Object r = endedBefore;
            if (endedBefore == null) {
                try {
                    // The grace is the request's too: it ends with its context, its deadline or an interrupt, as every
                    // wait of roundTrip does (E47); a response that comes after the request ended is not returned.
                    r = scope.addEnd(Select.cases() // the shorter of the grace and the deadline counts
                            .receive(resc, x -> x)
                            .receiveOk(closech, x -> CLOSED)
                            .timeout(EARLY_RESPONSE_GRACE, () -> GRACE_OVER), CANCELLED, DEADLINE).select();
                } catch (InterruptedException e) {
                    // As anywhere else in roundTrip (T2): the exchange ends as a cancellation, which closes the
                    // connection; leaving without it kept the connection open and its read loop waiting. The write's
                    // failure is kept under it (E154).
                    return interrupted(ex, resc, error);
                }
            }
            if (r instanceof ResponseOrError re && re.response() != null) {
                return re.response();
            }
            // A malformed answer outranks the write failure as a good one does (P59): the server answered, and the
            // failed write is that answer's consequence (its reset, or our close of the connection on reading it).
            // The read loop closes the connection with the answer's fault before it delivers it, so the grace may
            // end on either.
            IOException verdict = r instanceof ResponseOrError re ? re.error() : r == CLOSED ? closedCause : null;
            if (verdict instanceof HttpProtocolException || endedBeforeAnswering(verdict) && peerEndedTheWrite(error)) {
                // So too the server's end of the connection before it answered (E139), when the socket failed the write
                // for it (its reset, the pipe it broke): the write's failure is that end's consequence, whichever of the
                // two loops met it first, so the request fails, and is retried, as a server's close before the response.
                // Not when the write failed for a cause of this side (a Dialer's socket's own exception, E115): the
                // server's close then answers our shut-down output, and the write's failure stays the request's.
                cause = verdict;
            }
            // The request's own end (its context, its deadline) wins over the write failure (P13), which is kept
            // suppressed under it as E154 keeps a connection's failure under an end: it came first.
            IOException ended = endedBefore != null ? endedBefore : requestEnded(scope, r);
            if (ended != null) {
                ended.addSuppressed(cause);
                cause = ended;
            }
        }
        if (cause == error && !isCallersBody(error) && closed && closedCause instanceof RequestCancelledException cancelled) {
            // The transport closed the connection under the write: the request was cancelled, whichever the caller
            // noticed first, the failed write or the closed connection; never a broken connection, never retried (E24).
            cause = cancelled;
        }
        if (!isCallersBody(cause)) {
            // The one rule for an end against a failure not yet reported (E144, RequestScope.endOver), as E154 for the
            // wait for the head: also for a write that wrote nothing, which the grace above (P13) never looks at, and for
            // the transport's close under a connection that failed for a cause of its own.
            HttpResponse late = endedOverFailure(ex, resc, cause);
            if (late != null) {
                return late;
            }
        }
        if (ex.abort(cause)) {
            throw callerFacing(cause);
        }
        HttpResponse late = lostToCompletion(ex, resc);
        if (isCallersBody(error)) {
            ex.scope().responseLost(); // the request's one done() is this failure (E22)
            late.close(); // a failed body is always the caller's error, even if the server answered
            throw callerFacing(error);
        }
        return late;
    }

    /**
     * A response arrived while the request was still being written: if the write has meanwhile failed
     * because of the caller's own body, that failure is the request's outcome, not the response.
     */
    private static void callersBodyFailed(Exchange ex, HttpResponse response, Chan<WriteResult> writeErrCh)
            throws IOException {
        Received<WriteResult> w = writeErrCh.tryReceive();
        if (w.ok() && w.value().error() != null && isCallersBody(w.value().error())) {
            ex.abort(w.value().error());
            ex.scope().responseLost(); // the request's one done() is this failure, not the response's (E22)
            response.close();
            throw callerFacing(w.value().error());
        }
    }

    /**
     * The connection failed while the request was still being written: what outranks that failure, if anything
     * does (P13). The request's own end while the write loop's word on its body is awaited (its context, its
     * deadline: E47) is thrown as any end of the request is (or, if the exchange had ended first, that end is
     * taken); a failure of the caller's own body that the write loop reports is thrown (E5); an interrupt ends
     * the request as interrupted unless the body's failure was reported by then (E39).
     *
     * @return null if the connection's failure stands; else the response of an exchange that completed first
     */
    private HttpResponse whileStillWriting(Exchange ex, Chan<WriteResult> writeErrCh, Chan<ResponseOrError> resc,
            IOException failure) throws IOException, InterruptedException {
        IOException own;
        try {
            own = callersBodyFailure(ex.scope(), writeErrCh);
        } catch (InterruptedException e) {
            // The body's word had not come: the interrupt ends it (E39), the connection's failure kept under it (E154).
            return interrupted(ex, resc, failure);
        }
        if (own == null) {
            return null;
        }
        if (isCallersBody(own)) {
            ex.abort(own);
            throw callerFacing(own);
        }
        // The request's end, come while the write's word was awaited (E47): the connection's failure came first, and is
        // kept under it, as endedOverFailure keeps it (E143, E154); it was lost here, whichever case the wait's select
        // happened to pick deciding whether the caller saw it.
        if (failure != null && failure != own) {
            own.addSuppressed(failure);
        }
        if (ex.abort(own)) {
            throw own;
        }
        return lostToCompletion(ex, resc);
    }

    /**
     * What outranks the connection's failure for a request whose body was still being written (P13): the
     * request's own end (its context cancelled, its deadline passed) while it waits, or else the caller's own
     * body failure, if the write loop reports one. Once the connection is closed the write loop reports at once,
     * unless the body's source itself blocks: so the wait is bounded by the early-response grace, and it ends as
     * soon as the write loop has ended, which it may do without taking the request at all (its select also sees
     * the closed connection): then no report will ever come, and waiting the whole grace for it would only delay
     * every such request. It ends too, at once, with the request: its context, its deadline (E47), an interrupt;
     * and with the transport's close, once complete (E51: a cancellation, {@code TRANSPORT_CLOSED}, as E24 says).
     * Before, it watched only the interrupt: a request cancelled or timed out meanwhile waited out the grace and
     * then failed as the connection's failure, its cancellation lost.
     *
     * <p>An interrupt ends the wait (E39). If the write loop's report is there by then, it decides as it would
     * have, and the interrupt stays set: a body failure it reports is still the request's outcome, never hidden
     * behind the connection's failure. If not, the request ends as interrupted: the caller aborts the exchange
     * and throws. Giving up on the report and returning "no body failure" made an interrupted caller whose
     * body had failed see the connection's failure instead of either.
     *
     * @return the request's end (a {@link RequestCancelledException}, its context's or the transport's close, or
     *     an {@link HttpTimeoutException}), the
     *     caller's body failure, or null if neither: the connection's failure stands
     * @throws InterruptedException if interrupted before the write loop reported; the interrupt status is clear
     */
    private IOException callersBodyFailure(RequestScope scope, Chan<WriteResult> writeErrCh) throws InterruptedException {
        Object r;
        try {
            r = scope.addEnd(Select.cases() // the shorter of the grace and the deadline counts
                    .receive(writeErrCh, x -> x)
                    .receiveOk(writeLoopDone, x -> CLOSED)
                    // The connection is closed already, so nothing else the transport's close does reaches this wait
                    // (E51): it ends once that close is complete, as a request failed by the close must (E23).
                    .receiveOk(slot.poolCloseDone(), x -> TRANSPORT_CLOSED)
                    .timeout(EARLY_RESPONSE_GRACE, () -> GRACE_OVER), CANCELLED, DEADLINE).select();
        } catch (InterruptedException e) {
            Received<WriteResult> w = writeErrCh.tryReceive();
            if (!w.ok()) {
                throw e;
            }
            Thread.currentThread().interrupt(); // the report decides; the interrupt is kept for the caller
            r = w.value();
        }
        if (r == CANCELLED || r == DEADLINE) {
            return requestEnded(scope, r);
        }
        if (r == TRANSPORT_CLOSED) {
            // Cancelled, as any request in flight when the transport closes (E24, E28): never retried.
            return RequestScope.transportClosed();
        }
        if (r == CLOSED) {
            // The write loop sends its report before it ends: it is there now, or never comes.
            Received<WriteResult> w = writeErrCh.tryReceive();
            r = w.ok() ? w.value() : null;
        }
        return r instanceof WriteResult w && w.error() != null && isCallersBody(w.error()) ? w.error() : null;
    }

    /**
     * The request's own end, or null while it may go on: its context's end (cancelled, or the context's deadline
     * passed) first, else its own deadline's; when {@code step} is the select's case for that deadline, the
     * deadline's end even if the clock still reads a hair before it.
     */
    private static IOException requestEnded(RequestScope scope, Object step) {
        IOException ended = scope.ended(AWAITING);
        return ended == null && step == DEADLINE ? scope.timedOut(AWAITING) : ended;
    }

    /**
     * The write failed through the caller's own code, not the connection: its body (a source that threw, a length
     * it broke) or a listener's {@link Error} on the write loop (E48).
     */
    private static boolean isCallersBody(IOException e) {
        return e instanceof BodySourceException || e instanceof ContentLengthMismatchException
                || e instanceof ListenerErrorException;
    }

    /**
     * Whether {@code verdict}, the read loop's word on a connection, is the server's end of it before it answered
     * (E128, E130: its close or reset, the idle timeout's {@code 408}): a {@link ConnException} retryable as Go's
     * {@code transportReadFromServerError} and {@code errServerClosedIdle}.
     */
    private static boolean endedBeforeAnswering(IOException verdict) {
        return verdict instanceof ConnException c && c.serverClosedIdle();
    }

    /**
     * Whether the failed write {@code writeFailure} is the socket's report of the peer's end (a
     * {@link java.net.SocketException}: "Broken pipe", "Connection reset by peer"), not a failure of this side's own.
     */
    private static boolean peerEndedTheWrite(IOException writeFailure) {
        return writeFailure instanceof ConnException c && c.getCause() instanceof java.net.SocketException;
    }

    /**
     * What the caller sees for a write failure: what the caller's own code threw (its body source, a listener on
     * the write loop), thrown as it is whatever its type (E6, E48).
     */
    private static IOException callerFacing(IOException e) {
        Throwable own = e instanceof BodySourceException b ? b.sourceFailure()
                : e instanceof ListenerErrorException ? e.getCause() : null;
        if (own == null) {
            return e;
        }
        if (own instanceof IOException io) {
            return io;
        }
        throw PersistConn.<RuntimeException>rethrow(own);
    }

    /** Throws {@code t} as it is, checked or not (a source may throw a checked exception it does not declare). */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T rethrow(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * {@code first}, the write's outcome, with {@code later}, what user code threw after it (the body's close, a
     * listener on the write loop), where neither is lost: a failure of the caller's own code keeps its place and
     * gets {@code later} as suppressed; otherwise (written, or the connection failed) {@code later} is the outcome,
     * the request's own failure (E48, P13), with a connection failure as suppressed.
     */
    private static IOException withLater(IOException first, Throwable later, java.util.function.Function<Throwable, IOException> wrap) {
        if (first == null) {
            return wrap.apply(later);
        }
        if (isCallersBody(first)) {
            Throwable own = first instanceof ContentLengthMismatchException ? first : first.getCause();
            if (own != later) {
                own.addSuppressed(later);
            }
            return first;
        }
        if (first.getCause() != later) {
            later.addSuppressed(first);
        }
        return wrap.apply(later);
    }

    /**
     * An abort lost: the exchange ended first. If another party aborted it (the transport closed), that
     * cause is the request's. If it completed, the read loop completed it for a response without a body
     * and is handing that response over right now (it completes such an exchange just before it
     * delivers, and then delivers whatever interrupts it: E89): take it, waiting without being interruptible,
     * since it is already on its way. Unless the read loop has ended: then nobody will hand it over, and the
     * request fails with the connection's failure instead of waiting for ever (E89; a defence: the read loop
     * always delivers a response whose exchange it completed, but a caller must never depend on that alone).
     */
    private HttpResponse lostToCompletion(Exchange ex, Chan<ResponseOrError> resc) throws IOException {
        IOException other = ex.abortCause();
        if (other != null) {
            throw other;
        }
        Select<ResponseOrError> handedOver = Select.<ResponseOrError>cases()
                .receive(resc, r -> r)
                .receiveOk(readLoopDone, r -> null);
        boolean interrupted = false;
        try {
            while (true) {
                ResponseOrError r;
                try {
                    r = handedOver.select();
                } catch (InterruptedException e) {
                    interrupted = true;
                    continue;
                }
                if (r == null) {
                    IOException cause = closedCause();
                    throw new HttpConnectionException("connection " + this + " ended before it handed over the response"
                            + " of a request it had answered" + (cause == null ? "" : ": " + closeReason(cause)), cause);
                }
                if (r.error() != null) {
                    throw r.error();
                }
                return r.response();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A response that the read loop is handing over right now, if any (used by the stress suites). */
    static HttpResponse raceWinner(Chan<ResponseOrError> resc) {
        Received<ResponseOrError> r = resc.tryReceive();
        return r.ok() && r.value().response() != null ? r.value().response() : null;
    }

    // ------------------------------------------------------------------ write loop

    private void writeLoop() {
        try {
            Select<WriteRequest> next = Select.<WriteRequest>cases().receive(writech, w -> w).receiveOk(closech, r -> null);
            for (WriteRequest taken; (taken = next.select()) != null; ) {
                WriteRequest w = taken;
                IOException sent = writeOnly(w); // null if the request went out whole
                IOException written = closeWrittenBody(w, sent);
                IOException err = written;
                try {
                    notify(w.scope(), w.attempt(), l -> l.wroteRequest(w.req(), written));
                } catch (Throwable e) {
                    // The listener's Error is its request's failure (E20, E48): reported, never the loop's death; so is a
                    // checked exception it lets out undeclared (E118; its RuntimeException was logged and ignored above).
                    // Before, that one ended the loop before its report: the connection closed under the request.
                    // Logged too: a request answered before this report keeps its response, and never sees it.
                    ThrowableText.log(LOG, Level.WARNING, "request listener failed on the write loop of " + this
                            + "; its request fails with it unless already answered", e);
                    err = withLater(written, e, ListenerErrorException::new);
                }
                if (err != null && w.written() != null) {
                    // Before the tunnel's output may write (markWritten publishes it): the request's write failed, its
                    // body cut short, possibly after its answer opened the tunnel (E88). The output refuses to write,
                    // so the failed body's bytes still in the buffer never go out ahead of the caller's first write.
                    tunnelUpstreamFailed = err;
                }
                WriteResult result = err == null ? WriteResult.OK : new WriteResult(err);
                // A write loop whose thread is interrupted once its request went out whole (a wroteHeaders or wroteRequest
                // listener that left the flag set, or a real interrupt in between) writes no other request: it ends, as
                // an interrupted loop does (E85), but leaves the connection to the exchange of the request it wrote, told
                // that the connection may not be reused (the read loop's reuse decision reads this report). The answer on
                // its way still reaches its caller, and the exchange's end closes the connection (E95). Before, the
                // select for the next request threw and closed the connection under that answer: the request failed as
                // a broken connection, for a flag its own listener had left.
                boolean ending = err == null && Thread.currentThread().isInterrupted();
                WriteResult toReadLoop = ending ? new WriteResult(new ConnException("write loop of " + this
                        + " interrupted after its request went out: the connection is not reused", null, false, false))
                        : result;
                reportWriteResult(writeResults, w.writeErrCh(), toReadLoop, result);
                w.markWritten(); // a tunnel's output may write now (R67)
                if (ending) {
                    LOG.log(Level.DEBUG, "write loop of " + this + " interrupted after its request went out; it ends, and the"
                            + " connection closes when that request's exchange ends");
                    return; // the flag stays set (E95): the loop ends, its connection with its exchange
                }
                if (err != null) {
                    // Whether bytes of a failed write went out is the write's own outcome (sent), never the outcome
                    // combined with what user code threw after it (a wroteRequest listener's or the body's close's
                    // Error), which names that Error: a socket write that failed half way and then such an Error left
                    // the output open, and a server that ends its answer with the upload never ended it (E100).
                    if (sent instanceof ConnException c && !c.nothingWritten() || w.written() != null) {
                        // Keep the input open: the server may already have answered (T4). The connection is
                        // not reusable (its write result is an error); its exchange closes it. A tunnel's peer
                        // reads the end of its upstream, cut short, instead of waiting for the rest (E88).
                        shutdownOutput();
                    } else if (cutShortByCaller(sent)) {
                        // The caller's own code cut the request short on the wire: closed, after the report, so a
                        // response already in the caller's hands is not read on for ever (E94).
                        uploadCutShort(sent);
                    }
                    return; // roundTrip aborts the exchange, or the read loop refuses to reuse the connection
                }
            }
        } catch (Throwable e) {
            // Any other end takes the connection with it, as the read loop's does: left open, it stayed usable in the
            // pool with nobody to write its next request, which then waited for its deadline, or for ever (E85). Also a
            // checked exception a Dialer's socket lets out undeclared (its shutdownOutput(), E114): it skipped this.
            if (!(e instanceof InterruptedException)) {
                ThrowableText.log(LOG, Level.ERROR, "write loop of " + this + " failed", e);
            }
            // A connection failure: a request that took the connection meanwhile fails as "nothing written" if not a
            // byte of it went out (the count decides, E17), and is retried. Its text asked safely: what failed may be
            // user code's (a socket of a Dialer's), and a text that throws here would leave the connection open (E48).
            close(new ConnException("write loop of " + this + (e instanceof InterruptedException ? " interrupted"
                    : " failed: " + ThrowableText.of(e)), e, false, false));
        } finally {
            writeLoopDone.close();
            for (Received<WriteRequest> r; (r = writech.tryReceive()).ok(); ) {
                r.value().markWritten();
                Throwable failed = closeBodyOnLoop(r.value().body()); // its request fails as "nothing written" (E17)
                if (failed != null) {
                    ThrowableText.log(LOG, Level.ERROR, "closing the body of a request its connection never sent failed", failed);
                }
            }
        }
    }

    /**
     * Whether {@code sent}, the outcome of a request's write, is the caller's own code cutting it short on the wire
     * (E94): its body's failure, or a listener's {@link Error} thrown before the whole request was out.
     */
    private static boolean cutShortByCaller(IOException sent) {
        return sent != null && isCallersBody(sent)
                && !(sent instanceof ListenerErrorException listenerError && listenerError.afterWholeRequest());
    }

    /**
     * The caller's own code cut a request short on the wire (E94): its body's source failed, or broke its declared
     * length, or a listener's {@link Error} stopped the write after the head (E48). The server, sent a head and part of
     * a body, waits for the rest, and an echo, a relay or a duplex service keeps its answer open until then; so the
     * connection is closed, as Go's write loop closes its connection on any failed write. Before, nobody closed it once
     * the response was in the caller's hands: the caller read its body for ever (no deadline by default) and was never
     * told its upload had failed. Called after the write's report, so a request not yet answered finds that report
     * when the close wakes it and fails with its body's own failure, as before (E5, E48); a streamed body being read
     * fails with this failure where it needs the closed socket ({@link #uploadFailure()}); what of the answer had
     * arrived, held in memory or buffered, is read to its end (E66).
     *
     * @param failure the write's failure: a {@link BodySourceException}, a {@link ContentLengthMismatchException} or a
     *     {@link ListenerErrorException}
     */
    private void uploadCutShort(IOException failure) {
        if (closed) {
            return; // closed first (the request ended, the transport closed): the source failed because it was closed
        }
        Throwable own = failure instanceof ContentLengthMismatchException || failure.getCause() == null
                ? failure : failure.getCause();
        String why = ThrowableText.messageOrType(own); // the caller's exception: its text may throw (JF12)
        HttpConnectionException cut = new HttpConnectionException("the request's upload failed (" + why + "): connection "
                + this + " closed, its response is not read on", own);
        uploadFailed = cut; // before the close: a body read woken by it finds why
        ThrowableText.log(LOG, Level.DEBUG, "the upload of a request on " + this + " was cut short by its body or listener; closing",
                own);
        close(cut);
    }

    /**
     * The failure of the request's upload that closed this connection (E94), or null if the connection is open or was
     * closed for another reason first (the request's end, the transport's close: then the source failed because the
     * close closed it, and the close's own cause explains what follows).
     *
     * @return the upload's failure, an {@link HttpConnectionException} whose cause is what the caller's code threw
     */
    IOException uploadFailure() {
        IOException failed = uploadFailed;
        return failed != null && closedCause() == failed ? failed : null;
    }

    /**
     * Closes the body of a request whose write ended with {@code err} (null: it went out whole) and returns the
     * write's outcome: null if it went out whole, else why not. Never throws: every failure is reported. An
     * {@link Error} from the body's close is the request's own failure (E48): the caller gets it.
     */
    private IOException closeWrittenBody(WriteRequest wr, IOException err) {
        Throwable closeFailed = wr.body() == null ? null : closeBodyOnLoop(wr.body());
        if (closeFailed == null) {
            return err;
        }
        // Logged too: a request answered before this report keeps its response, and never sees it.
        ThrowableText.log(LOG, Level.WARNING, "closing a request body on " + this
                + " failed; its request fails with it unless already answered", closeFailed);
        return withLater(err, closeFailed, BodySourceException::new);
    }

    /** Writes one request, its body left open; null if it went out whole, else why not. Never throws. */
    private IOException writeOnly(WriteRequest wr) {
        long before = rawOut.count();
        try {
            InputStream opened = wr.body() instanceof RequestBodyStream s ? s.source() : wr.body();
            // A body of unknown length with a method that usually has none: its first byte is looked at first, for
            // 200 ms at most (Go's bound), and a body found empty goes as none, without framing (E133, Go's
            // probeRequestBody). A goroutine and a timer only when that look may block (BodyProbe); for any other
            // request, a test of the body and nothing more.
            BodyProbe probe = wr.body() != null && RequestWriter.probesBody(wr.req())
                    ? BodyProbe.look(wr.body(), RequestWriter.readFromMemory(opened), cfg.bodyProbeWait(), closech,
                            "http-body-probe#" + id + " " + key)
                    : null;
            boolean noBody = wr.body() == null || (probe != null && probe.isEmpty());
            // unreadWhileIdle looks only on a connection that served a response; this request's own cannot have been
            // served before its head is written, so that is an earlier request's.
            if (unreadWhileIdle()) {
                // P37: bytes that reached the idle connection after roundTrip's look (lookBeforeSending) but before a
                // byte of this request goes out answer nothing it asks. That look is made before the hand-over to this
                // loop; bytes arriving during the hand-over were read by the read loop only once the head was written,
                // and taken as this request's answer (HostileShapesTest). Looked at again here, just before the
                // first byte: closed, and the request fails as the server breaking an idle connection with nothing
                // written, retried on a new connection by P14's rules, as after roundTrip's look.
                ConnException idle = new ConnException("bytes nobody asked for were waiting on the idle connection " + this
                        + " as a request was about to be written on it", null, false, true);
                close(idle);
                return new ConnException(idle.getMessage() + " (before any byte of the request was sent)", null, true, true);
            }
            RequestWriter.writeHead(out, wr.req(), wr.acceptGzip(), wr.close(), forwardsToProxy, proxyAuthorization,
                    probe != null && probe.isEmpty());
            // The head goes out on its own before a body that may block, so a server answering on the head has it,
            // and wroteHeaders is reported then, before the body, as Go's WroteHeaders (E91). Flushed first: a
            // listener that blocks must not hold the head back (E67). A body read from memory goes out with its head
            // in one write, reported once both are flushed. Decided by the kind of the stream the body opened, not by
            // this connection's wrapper of it (whose class says nothing about the body).
            boolean headAlone = wr.continueCh() != null || noBody || RequestWriter.flushesHeadFirst(wr.req(), opened);
            if (headAlone) {
                out.flush();
                // Without a body nothing follows the head: a listener's Error here cuts nothing short (E94).
                notifyFromWriteLoop(wr, l -> l.wroteHeaders(wr.req()), noBody);
            }
            // A body found empty has nothing to wait for a 100 Continue for (E133).
            boolean sendBody = !noBody && (wr.continueCh() == null || awaitContinue(wr.continueCh()));
            if (sendBody) {
                // Read through the connection's wrapper (its close is the connection's to see), after the byte a look
                // took from it (E133); flushed per chunk or read unless the body it opened is read from memory (E19,
                // E132), by the same kind as the head's flush.
                RequestWriter.writeBody(out, wr.req(), probe != null ? probe.body() : wr.body(),
                        RequestWriter.readFromMemory(opened));
            }
            out.flush();
            if (!headAlone) {
                notifyFromWriteLoop(wr, l -> l.wroteHeaders(wr.req()), true); // the whole request is out (E94)
            }
            return null;
        } catch (ContentLengthMismatchException | BodySourceException | ListenerErrorException e) {
            return e; // the caller's own code failed, not the connection: passed on as it is, never retried (E5, E48)
        } catch (IOException e) {
            boolean nothing = rawOut.count() == before;
            IOException closedBy = closed ? closedCause : null;
            if (closedBy instanceof ConnException c && c.serverClosedIdle()) {
                // The read loop closed the connection because the server had closed it while idle (EOF or
                // its idle 408) just as this request was being written: that, not "Socket closed", is why
                // the write failed, and it is retryable for a replayable request (Go: errServerClosedIdle).
                if (!nothing) {
                    // Bytes went out: the socket's failure stays the cause, E139's sign that the peer ended the write.
                    return new ConnException(c.getMessage() + " (as the request was being written)", e, false, true);
                }
                // Nothing went out: the write met only our close, so the read loop's failure (the server's reset it
                // met, its cause) is the cause, as E150 makes it for any other close under a write (E145); the
                // socket's "Socket closed" is kept as suppressed.
                ConnException failure = new ConnException(c.getMessage() + " (as the request was being written)", c,
                        true, true);
                failure.addSuppressed(e);
                return failure;
            }
            if (closedBy != null) {
                // Closed under the write, for a cause of its own (the read loop's failure, the write loop's, the
                // transport's close): that cause, not the "Socket closed" it left the write, is why the request failed
                // (E150). Go's read loop hands its error to roundTrip before it closes the connection, so the write
                // error that close causes never reaches the caller; here the close comes first, and roundTrip may find
                // the write's report before the close. The cause is the close's; the socket's own words are kept as
                // suppressed. Its text asked safely: it may carry a Dialer socket's exception's (E48).
                ConnException consequent = new ConnException((nothing ? "nothing written: " : "write failed: ")
                        + "connection " + this + " closed under the write: " + closeReason(closedBy), closedBy, nothing,
                        false);
                consequent.addSuppressed(e);
                return consequent;
            }
            // Its text asked safely: the socket may be a Dialer's, its exception user code too (E48, E77).
            return new ConnException((nothing ? "nothing written: " : "write failed: ") + ThrowableText.message(e), e,
                    nothing, false);
        } catch (InterruptedException e) {
            return new ConnException("write loop interrupted", e, rawOut.count() == before, false);
        } catch (Throwable e) {
            // Also a checked exception a Dialer's socket lets out undeclared (E114): let out, it ended the write loop
            // without the request's report, and the request waited for an answer to a head cut short.
            ThrowableText.log(LOG, Level.ERROR, "writing a request on " + this + " failed", e);
            return new ConnException("writing the request failed: " + ThrowableText.of(e), e, false, false);
        }
    }

    /**
     * A listener event on the write loop: an {@link Error} it throws becomes the request's failure (E48), as does a
     * checked exception it lets out undeclared (E118; a {@link RuntimeException} is logged and ignored by
     * {@link #notify}). {@code afterWholeRequest} says whether the whole request was out by then (the Error then cut
     * nothing short on the wire, E94).
     */
    private void notifyFromWriteLoop(WriteRequest wr, Consumer<RequestListener> event, boolean afterWholeRequest)
            throws ListenerErrorException {
        try {
            notify(wr.scope(), wr.attempt(), event);
        } catch (Throwable e) {
            throw new ListenerErrorException(e, afterWholeRequest);
        }
    }

    /**
     * Closes a request body on a connection's loop, which must never die of what user code throws: an
     * {@link IOException} or unchecked exception from the source's close is logged and ignored, as
     * {@link #closeBody(InputStream)} does; anything else (an {@link Error}) is returned, for the request to fail with.
     */
    private static Throwable closeBodyOnLoop(InputStream body) {
        if (body == null) {
            return null;
        }
        try {
            closeBody(body);
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    /**
     * Closes a request body on the caller's thread, where the request's outcome is decided elsewhere: whatever the
     * close throws is logged ({@code ERROR} for an {@link Error} or an undeclared checked exception, as the loops log
     * theirs: E48), never thrown in that outcome's place (E119).
     */
    private static void closeBodyLogged(InputStream body, String what) {
        Throwable failed = closeBodyOnLoop(body);
        if (failed != null) {
            ThrowableText.log(LOG, Level.ERROR, what, failed);
        }
    }

    private static void closeBody(InputStream body) {
        try {
            body.close();
        } catch (IOException | RuntimeException e) {
            ThrowableText.log(LOG, Level.DEBUG, "closing a request body failed", e); // the body's own exception (E48)
        }
    }

    /**
     * The write loop's report of one request: to the read loop (reuse decision) and to roundTrip
     * ({@code writeErrCh}). Both channels have one slot that only the write loop fills, once per
     * request, so this never blocks, whether or not roundTrip is still there to receive (T3).
     */
    static void reportWriteResult(Chan<WriteResult> toReadLoop, Chan<WriteResult> writeErrCh, WriteResult result) {
        reportWriteResult(toReadLoop, writeErrCh, result, result);
    }

    /**
     * {@link #reportWriteResult(Chan, Chan, WriteResult)} with a result of its own for the read loop: a request written
     * whole by a write loop that then ends is OK to its caller and "not reusable" to the read loop (E95).
     */
    private static void reportWriteResult(Chan<WriteResult> toReadLoop, Chan<WriteResult> writeErrCh, WriteResult forReader,
            WriteResult forCaller) {
        boolean toReader = toReadLoop.trySend(forReader);
        boolean toCaller = writeErrCh.trySend(forCaller);
        if (!toReader || !toCaller) { // cannot happen while there is one report per request; say so if it does
            LOG.log(Level.ERROR, "a write result slot was already full (read loop: " + !toReader + ", caller: " + !toCaller + ")");
        }
    }

    private void shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            close(new HttpConnectionException("connection closed after a failed write", e));
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
        try {
            for (RequestAndChan rc; (rc = awaitNextRequest()) != null; ) {
                if (!new ResponseReader(this, rc).serve()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // A connection failure, as the write loop's abnormal end is (E85, E89): a request that took the connection
            // meanwhile (put back by the exchange this loop completed just before) fails as "nothing written" if not a
            // byte of it went out (the count decides, E17), and is retried. Before, it failed for good.
            readLoopEnd = new ConnException("read loop of " + this + " interrupted", e, false, false);
        } catch (Throwable e) {
            // Also a checked exception a Dialer's socket lets out undeclared (E114): let out, the connection closed
            // without it as its cause, and the request met a bare "read loop ended".
            ThrowableText.log(LOG, Level.ERROR, "read loop of " + this + " failed", e);
            // A listener's Error (gotFirstResponseByte, E20) is the listener's code, its text too: asked safely, so
            // the request fails with that Error as the cause, not with a bare close, and the loop ends as it should.
            readLoopEnd = new ConnException("read loop of " + this + " failed: " + ThrowableText.of(e), e, false, false);
        } finally {
            try {
                close(readLoopEnd != null ? readLoopEnd : new HttpConnectionException("connection closed (read loop ended)", null));
            } finally {
                readLoopDone.close(); // after the close: a caller it wakes finds the connection closed and its cause (E89)
            }
        }
    }

    /**
     * Waits for the first byte of the next response and then for the exchange it belongs to. Null when
     * the connection must end ({@link #readLoopEnd} says why): the server closed it or sent bytes while
     * nothing was expected (an idle {@code 408} is Go's "server closed idle connection", retryable), or
     * it closed before answering the request (that error is delivered first).
     */
    private RequestAndChan awaitNextRequest() throws InterruptedException {
        int first;
        IOException peekErr = null;
        try {
            first = in.peek();
        } catch (IOException e) {
            first = -1;
            peekErr = e;
        }
        if (peekErr instanceof io.gochan.http.internal.codec.StreamContractException broken) {
            // The socket's stream broke InputStream.read's contract (P80): the server closed nothing, so neither its
            // words nor its retry (T7), and a new connection from the same Dialer would fail alike: not retried as a
            // server's close (a request of which nothing went out on a reused connection still is, E17).
            ConnException failure = new ConnException(broken.getMessage(), broken, false, false);
            if (expectedResponses.get() == 0) {
                readLoopEnd = failure;
            } else {
                failExchange(reqch.receive(), closed ? closedCause : failure);
            }
            return null;
        }
        // What of the request had gone out when the read that took its first response byte returned (E112: noted by
        // that read, so the read loop's delays since cannot move it later): compared below with the count before the
        // request, it says whether these bytes came before any byte of it (P37, P52).
        long writtenAtFirstByte = in.writtenWhenLastTaken();
        if (expectedResponses.get() == 0) {
            if (first >= 0 && !is408(in)) {
                readLoopEnd = unsolicited("on an idle connection");
            } else { // EOF or a reset (named, E130), or Go's is408Message
                readLoopEnd = ConnException.endedWhileIdle(peekErr, responses > 0, first >= 0);
            }
            return null;
        }
        RequestAndChan rc = reqch.receive();
        RequestAndChan forListener = rc;
        if (first < 0) {
            // If we closed the socket ourselves (an aborted exchange), report that cause, not a server
            // close that would look retryable.
            IOException cause = closed ? closedCause
                    : ConnException.endedBeforeResponse(peekErr); // a close, or a reset: named (E128)
            failExchange(rc, cause);
            return null;
        }
        if (writtenAtFirstByte <= rc.startBytesWritten() && !is408(in)) {
            // Bytes that were there before a byte of this request went out (the count is taken before each
            // write) answer nothing it asked: left over from the previous response (its body longer than it
            // said) or forged. Read as this request's response, they would hand it another's body (P37). The
            // request fails as "nothing written" and is retried on a new connection (Go has this race: its
            // read loop takes them as the response once the request is counted). An idle 408 keeps E8's path.
            // On a new connection too (P52): a server that speaks before it was asked sends its real answer
            // after reading the request, and that answer would be read as the next request's on this connection.
            failExchange(rc, unsolicited(responses > 0 ? "before the request was sent on a reused connection"
                    : "before the request was sent on a new connection"));
            return null;
        }
        notify(forListener.ex().scope(), forListener.ex().attempt(), l -> l.gotFirstResponseByte(forListener.req()));
        return rc;
    }

    /** Go's is408Message: the buffered bytes start an HTTP/1.x 408 response (read loop only). */
    private static boolean is408(ConnInput in) {
        return is408(in.bufferedAscii(12));
    }

    /** Go's is408Message for {@code start}, the first buffered bytes (12 at least for a yes). */
    private static boolean is408(String start) {
        return start.length() >= 12 && start.startsWith("HTTP/1.") && start.startsWith(" 408", 8);
    }

    // ------------------------------------------------------------------ a tunnel's output (R67, E73)

    /**
     * Writes the caller's bytes to a connection its response turned into a tunnel, and flushes them. Only once the
     * write loop is done with the request ({@link TunnelOutput} waits for that), and the connection is never
     * reused, so nothing else writes to it any more.
     */
    void writeTunnel(byte[] b, int off, int len) throws IOException {
        IOException cause = closedCause();
        if (cause != null) {
            throw tunnelClosed(cause);
        }
        IOException upstream = tunnelUpstreamFailed;
        if (upstream != null) {
            throw upstreamFailed(upstream);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted before writing to the tunnel of " + this + "; nothing written");
        }
        // A socket write blocks while the peer reads nothing, and on a platform thread an interrupt does not end it (on
        // a virtual thread the JDK closes the socket under the connection, which never learns why). So the write runs
        // on a goroutine of its own and the caller waits for it interruptibly; an interrupt closes the connection,
        // which ends the write, and the caller returns once the goroutine has ended (I8, E80).
        Chan<Object> written = Chan.make(1);
        Go.go("http-tunnel-write#" + id + " " + key, () -> {
            Object outcome = Boolean.TRUE;
            try {
                out.write(b, off, len);
                out.flush();
            } catch (Throwable e) { // also a checked exception a Dialer's socket lets out undeclared (E115): never lost
                outcome = e;
            }
            written.trySend(outcome);
        });
        Object outcome;
        try {
            outcome = written.receive();
        } catch (InterruptedException e) {
            close(new HttpConnectionException("connection closed: a write to its tunnel was interrupted", null));
            // The closed socket ends the write at once; the caller must not return while the write still reads its array.
            receiveUninterruptibly(written, null);
            Thread.currentThread().interrupt(); // as any blocking I/O: InterruptedIOException, the interrupt kept
            InterruptedIOException io = new InterruptedIOException("interrupted while writing to the tunnel of " + this
                    + "; the connection is closed, the peer may have read part of the write");
            io.initCause(e);
            throw io;
        }
        if (outcome instanceof IOException e) {
            IOException ours = closedCause(); // closed under the write: say why, not "Socket closed"
            if (ours != null) {
                throw tunnelClosed(ours);
            }
            if (tls != null && tls.outputShutDown()) {
                // Our half-close refuses later writes before they get here: the TLS layer ended our output as it read
                // the peer's end under TLS 1.2 (E117), not "Broken pipe" nor "Connection or outbound has closed".
                throw new HttpConnectionException("write to the tunnel of " + this + " failed: the peer ended its side of"
                        + " the TLS connection (its close_notify, or its end of stream), which under TLS 1.2 ends ours too;"
                        + " what was not sent is discarded (" + ThrowableText.message(e) + ")", e);
            }
            throw new HttpConnectionException("write to the tunnel of " + this + " failed: " + ThrowableText.message(e), e);
        }
        throwIfFailed(outcome);
    }

    /**
     * Ends the tunnel's output: the peer reads the end of the stream, and can still answer (R67). Under TLS the end is a
     * {@code close_notify} record, a write that a full send buffer blocks for as long as the peer reads nothing: it gets
     * {@link #CLOSE_NOTIFY_TIMEOUT}, as Go's {@code closeNotify} gets its 5-second write deadline, and past it the
     * connection is closed, which ends that write, and this throws (E113). The wait is not cut by an interrupt: a close
     * on an interrupted thread ends the output as on any thread, the interrupt kept (E75).
     *
     * @throws IOException if the output could not be shut down, or {@link HttpConnectionException} if its
     *     {@code close_notify} could not be sent in time (the connection is then closed)
     */
    void shutdownTunnelOutput() throws IOException {
        if (closedCause() != null || tunnelUpstreamFailed != null) {
            return; // closed, or shut down by the write loop when the request's write failed (E88): nothing to flush
        }
        if (tls == null) {
            // A TCP half-close queues its FIN in the kernel, never waiting for room in the send buffer. Run on the
            // caller's thread, but what a Dialer's socket throws is kept as the TLS half-close's goroutine keeps it
            // (E123): an undeclared checked exception (E115) becomes the cause of an HttpConnectionException, never
            // thrown as it is out of an OutputStream.close() that declares none.
            Object outcome = Boolean.TRUE;
            try {
                out.flush(); // empty: every tunnel write is flushed
                socket.shutdownOutput();
            } catch (IOException e) {
                throw e;
            } catch (Throwable e) {
                outcome = e;
            }
            throwIfFailed(outcome);
            return;
        }
        // On a goroutine of its own, as a tunnel write (E80): the caller waits for it with a bound, and a closed TCP
        // socket ends its write at once (closeSockets closes it before the TLS one, never waiting on the TLS layer).
        Chan<Object> shut = Chan.make(1);
        Go.go("http-tunnel-shutdown#" + id + " " + key, () -> {
            Object outcome = Boolean.TRUE;
            try {
                out.flush(); // empty: every tunnel write is flushed
                socket.shutdownOutput(); // the TLS layer writes its close_notify, then shuts the TCP output down
            } catch (Throwable e) { // also a checked exception a Dialer's socket lets out undeclared (E115): never lost
                outcome = e;
            }
            shut.trySend(outcome);
        });
        Object outcome = receiveUninterruptibly(shut, CLOSE_NOTIFY_TIMEOUT);
        if (outcome == null) {
            String why = "its tunnel's close_notify could not be sent within " + CLOSE_NOTIFY_TIMEOUT.toSeconds()
                    + " s: the peer reads nothing";
            LOG.log(Level.DEBUG, "closing " + this + ": " + why);
            close(new HttpConnectionException("connection closed: " + why, null));
            // The closed TCP socket ends the close_notify's write at once; return only once nothing of it runs.
            outcome = receiveUninterruptibly(shut, null);
            if (outcome instanceof Throwable e && !(e instanceof IOException)) {
                // An unchecked failure is no part of the closed socket's answer: not dropped (the caller gets ours).
                ThrowableText.log(LOG, Level.WARNING, "shutting down the tunnel's output of " + this + " failed", e);
            }
            throw new HttpConnectionException("the tunnel's connection " + this + " is closed: " + why, null);
        }
        if (outcome instanceof IOException e) {
            throw e;
        }
        throwIfFailed(outcome);
    }

    /**
     * Throws what a tunnel goroutine's {@code outcome} (or a plain half-close's, E123) says failed, other than an
     * {@link IOException} (each caller words that itself): unchecked ones as they are, an undeclared checked one (E115) as the cause of an
     * {@link HttpConnectionException}, never lost. Returns for a success.
     */
    private void throwIfFailed(Object outcome) throws HttpConnectionException {
        if (outcome instanceof RuntimeException e) {
            throw e;
        }
        if (outcome instanceof Error e) {
            throw e;
        }
        if (outcome instanceof Throwable e && !(e instanceof IOException)) {
            throw new HttpConnectionException("the tunnel of " + this + " failed: " + ThrowableText.of(e), e);
        }
    }

    /**
     * Receives from {@code ch}, waiting at most {@code bound} (null: as long as it takes), not cut by an interrupt: one
     * that comes meanwhile, or was set before, is kept set for the caller.
     *
     * @return what was received, or null if the bound passed first
     */
    private static Object receiveUninterruptibly(Chan<Object> ch, Duration bound) {
        long deadline = bound == null ? 0 : System.nanoTime() + bound.toNanos();
        boolean interrupted = Thread.interrupted(); // a set flag would end every wait below at once
        try {
            while (true) {
                try {
                    if (bound == null) {
                        return ch.receive();
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        Received<Object> r = ch.tryReceive();
                        return r.ok() ? r.value() : null;
                    }
                    return Select.<Object>cases().receiveOk(ch, Received::value).timeout(Duration.ofNanos(left), () -> null)
                            .select();
                } catch (InterruptedException e) {
                    interrupted = true; // kept for the caller; the wait goes on
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A tunnel write refused because the request's own write failed (E88): what the peer has read of the upstream is
     * the request cut short, and nothing the caller writes can follow it meaningfully.
     */
    private HttpConnectionException upstreamFailed(IOException failure) {
        Throwable why = failure instanceof BodySourceException || failure instanceof ListenerErrorException
                ? failure.getCause() : failure;
        return new HttpConnectionException("the tunnel's output on " + this + " is over: its request's write failed, "
                + "the upstream cut short (" + ThrowableText.messageOrType(why) + ")", why); // the body's, maybe: E48
    }

    private HttpConnectionException tunnelClosed(IOException cause) {
        return new HttpConnectionException("the tunnel's connection " + this + " is closed: " + closeReason(cause), cause);
    }

    // ------------------------------------------------------------------ what ResponseReader needs

    ConnInput input() {
        return in;
    }

    ConnConfig config() {
        return cfg;
    }

    IOException closedCause() {
        return closed ? closedCause : null;
    }

    /**
     * Why this open connection's socket is closed all the same, or null: asked by the connection's input when the socket
     * answered its end before this side closed the connection (E104). A virtual thread's interrupt closes the socket it
     * reads, and a {@code Dialer}'s socket so closed may answer a plain end of stream instead of failing: no end the
     * server gave. Only a plain connection's: under TLS the JDK's TLS layer closes its TCP socket itself when the server's
     * {@code close_notify} ends a TLS 1.2 stream, so a closed TCP socket there is no sign. The socket is looked at before
     * {@code closed}: a close of ours that came after the end was taken (closed first, its sockets after) leaves it null.
     */
    private String socketClosedUnderRead() {
        boolean socketClosed;
        try {
            socketClosed = tls == null && tcp.isClosed();
        } catch (Exception e) {
            // A Dialer's socket may fail unchecked (E84), or let a checked exception out undeclared (E114): its end is
            // then taken as it is, as before E104. An Error goes on to the reader, whose failure it is.
            return null;
        }
        return socketClosed && !closed
                ? "the socket of " + this + " was closed on this side while the connection was open (an interrupt of a"
                        + " thread blocked in a socket closes it)"
                : null;
    }

    ReceiveChan<Object> closech() {
        return closech;
    }

    /** True once the transport is closed: its bodies still being read fail as cancelled (E3). */
    boolean transportClosed() {
        return slot.poolClosed();
    }

    /** If the transport is closing, waits until its close is done: before a failure says it closed (E23). */
    void awaitTransportClosed() {
        slot.awaitPoolClosed();
    }

    /** @return true once the pool has handed this connection out again (E127), whether or not it had served a response */
    boolean handedOutAgain() {
        return handedOutAgain;
    }

    /** @return true if this connection had served a response before the one being read */
    boolean countResponse() {
        servedResponse = true;
        return responses++ > 0;
    }

    void responseRead() {
        expectedResponses.decrementAndGet();
    }

    void endReadLoop(IOException cause) {
        readLoopEnd = cause;
    }

    /** Keeps an interrupt the read loop took after its connection was put back, for the next response (E111). */
    void carryInterrupt() {
        interruptCarried = true;
    }

    /** @return whether the read loop carries an interrupt to the response it takes up now (E111); cleared */
    boolean takeCarriedInterrupt() {
        boolean carried = interruptCarried;
        interruptCarried = false;
        return carried;
    }

    /**
     * Bytes nobody asked for (Go logs "Unsolicited response received on idle HTTP channel"): the
     * connection is out of step with the server, so it is closed and never pooled.
     */
    IOException unsolicited(String where) {
        return unsolicited(where, in.bufferedAscii(40));
    }

    /**
     * {@link #unsolicited(String)} for bytes that begin with {@code start} (up to 40 of them, as buffered), taken by the
     * caller: the read loop's own look, or another thread's as one fill's (E101, E112).
     */
    private IOException unsolicited(String where, String start) {
        if (is408(start)) {
            // The server's idle timeout answered nothing we sent: Go's "server closed idle connection", not
            // a protocol error, and nothing to warn about; in E130's words, made by their one factory (E140).
            return ConnException.endedWhileIdle(null, servedResponse, true);
        }
        HttpProtocolException e = new HttpProtocolException(HttpProtocolException.Reason.UNSOLICITED_RESPONSE,
                "unsolicited bytes " + where + " of " + this + (start.isEmpty() ? "" : " starting with '" + ResponseHeadReader.shorten(start) + "'"));
        LOG.log(Level.WARNING, e.getMessage() + "; connection closed");
        return e;
    }

    /**
     * Sets the socket's read timeout for the reads that follow; zero = none. A positive duration is rounded up to
     * whole milliseconds, never down to zero, which a socket reads as "no timeout" (P47).
     *
     * @return true if it was set; false (and the connection closed) if the socket refused
     */
    boolean setReadTimeout(Duration d) {
        try {
            socket.setSoTimeout(soTimeoutMillis(d));
            return true;
        } catch (IOException | UncheckedIOException e) {
            close(new HttpConnectionException("cannot set the read timeout of " + this, e));
            return false;
        }
    }

    /**
     * A socket timeout for {@code d}: 0 (none) for zero or less, else {@code d} in milliseconds rounded up, at least 1
     * and at most {@link Integer#MAX_VALUE} (P47).
     *
     * @param d the duration
     * @return the {@code SO_TIMEOUT} value
     */
    static int soTimeoutMillis(Duration d) {
        if (!d.isPositive()) {
            return 0;
        }
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Integer.MAX_VALUE;
        }
        long millis = nanos / 1_000_000L + (nanos % 1_000_000L == 0 ? 0 : 1);
        return (int) Math.min(Integer.MAX_VALUE, millis);
    }

    /**
     * The exchange failed before a response and the connection ends: closed first, then the error handed
     * over. So a caller that receives the error finds {@code closech} already closed and the byte count final
     * ({@link #nothingWrittenIfSo} never waits on this loop), and no retry can race this connection's sockets.
     */
    void failExchange(RequestAndChan rc, IOException cause) throws InterruptedException {
        endReadLoop(cause);
        close(cause);
        deliver(rc, new ResponseOrError(null, cause));
    }

    /** The response went to the caller (true), or the caller is gone (false). */
    static boolean deliver(RequestAndChan rc, ResponseOrError value) throws InterruptedException {
        return Select.<Boolean>cases()
                .send(rc.resc(), value, () -> Boolean.TRUE)
                .receiveOk(rc.callerGone(), r -> Boolean.FALSE)
                .select();
    }

    /**
     * Hands a response over whatever interrupts this thread meanwhile (E89, E99): the read loop's hand-over of an answer
     * it has read, which must reach its caller, never be dropped. The wait is the caller's, never the peer's: the caller
     * waits for this response (a caller whose abort lost to a bodiless answer's completion waits for it alone, not
     * interruptibly, past its deadline: left undelivered, it waited for ever), or ends its wait on its own, and then
     * closes {@code callerGone}. An interrupt that came before or during the hand-over is kept: the flag is set when
     * this returns, and the read loop ends once the response is served (the connection closed with it: E85, E95).
     *
     * @param rc where the response goes
     * @param value the response
     * @return true if the caller has it; false if the caller was gone
     */
    static boolean deliverWhateverInterrupts(RequestAndChan rc, ResponseOrError value) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return deliver(rc, value);
                } catch (InterruptedException e) {
                    interrupted = true; // a run that would wait throws at once: the next one waits, the flag now clear
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt(); // kept for the read loop, which ends after this response (E99)
            }
        }
    }

    /** True if the request was written without error (waiting briefly for a write still in progress). */
    boolean wroteRequest() throws InterruptedException {
        Received<WriteResult> r = writeResults.tryReceive();
        if (r.notReady()) {
            r = writeResults.receive(MAX_WRITE_WAIT_BEFORE_REUSE);
        }
        return r.ok() && r.value().error() == null;
    }

    /** {@link #wroteRequest()} for a thread that must not be interrupted out of it: an interrupt answers "no". */
    boolean wroteRequestQuietly() {
        try {
            return wroteRequest();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A listener event of {@code scope}'s request from one of this connection's loops: not reported once the
     * request's {@code done()} was, which is its last event (E27), nor once the attempt it belongs to ended (E33).
     */
    private void notify(RequestScope scope, int attempt, Consumer<RequestListener> event) {
        if (scope.enterEvent(attempt)) {
            try {
                notify(scope.request(), event);
            } finally {
                scope.exitEvent();
            }
        }
    }

    /**
     * A listener event of {@code req} from this connection: a {@link RuntimeException} the listener throws is logged
     * (naming the request and this connection, E83) and ignored.
     */
    void notify(HttpRequest req, Consumer<RequestListener> event) {
        try {
            event.accept(cfg.listener());
        } catch (RuntimeException e) {
            // The listener's exception, printed by the logger: its text is the listener's code too (E48).
            ThrowableText.log(LOG, Level.WARNING, "a RequestListener callback for " + req + " on " + this + " failed; ignored", e);
        }
    }

    @Override
    public String toString() {
        return "conn#" + id + " " + key + (closed ? " (closed)" : "");
    }
}
