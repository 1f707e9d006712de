package io.gochan.http;

import io.gochan.http.internal.UriHost;
import io.gochan.Context;
import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;
import io.gochan.http.internal.codec.HttpLimits;
import io.gochan.http.jfr.HttpEvents;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.RequestWriter;
import io.gochan.http.internal.conn.ConnConfig;
import io.gochan.http.internal.conn.ConnException;
import io.gochan.http.internal.conn.HeadTooLargeException;
import io.gochan.http.internal.conn.PersistConn;
import io.gochan.http.internal.conn.SocketDialer;
import io.gochan.http.internal.pool.ConnectKey;
import io.gochan.http.internal.pool.ConnectionPool;
import io.gochan.http.internal.JfrGate;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * An HTTP/1.1 client transport with a keep-alive connection pool: Go's {@code http.Transport}. Each
 * connection has a read loop and a write loop on virtual threads that talk to {@link #roundTrip}
 * over gochan channels (see {@code PersistConn} and ADR 0005).
 *
 * <pre>{@code
 * try (Transport t = Transport.builder().maxConnsPerHost(8).build();
 *      HttpResponse r = t.roundTrip(HttpRequest.get("http://127.0.0.1:8080/"))) {
 *     System.out.println(r.status() + " " + r.body().string());
 * }
 * }</pre>
 *
 * <p>Contract: {@code roundTrip} sends one request and returns when the response headers arrived,
 * with the body still to read; exactly one of (response, exception) results. The caller must close
 * the response body: reading it to the end returns the connection to the pool, closing it earlier
 * closes the connection. A request that fails on a reused connection before any byte was written,
 * or on one the server had closed while idle (if the request is replayable), is retried on another
 * connection, as Go does: again as long as each failure is on a reused connection (each one is stale,
 * and discarded), never after a failure on a new connection. There is no count of retries that stale
 * connections other requests left idle could use up (E37): each retry consumes a distinct connection that
 * was put back after an exchange, and a failure on a new connection is final.
 * {@code roundTrip} is cancellable at every stage by interrupt, by the given
 * context's {@code done()}, and by the request's timeout. Thread-safe.
 */
public final class Transport implements RoundTripper, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Transport.class.getName());

    private final ConnectionPool<PersistConn> pool;
    /**
     * Owns every goroutine of this transport (dials, the idle reaper, each connection's read and write
     * loops, which the dials start): a transport shared by the tests of a class is not their leak
     * (rule LK4). Closed last by {@link #close()}.
     */
    private final GoroutineOwner goroutines = Goroutines.owner("http-transport");
    private final RequestListener listener;
    private final AtomicLong retries = new AtomicLong();
    /** Requests handed to a pooled connection that was still open (E35); not the pool's own hand-out count. */
    private final AtomicLong reuses = new AtomicLong();
    private final int maxRequestHeaderBytes;
    private final Function<HttpRequest, Optional<URI>> proxy;

    private Transport(Builder b) {
        this.listener = b.listener;
        this.maxRequestHeaderBytes = b.maxRequestHeaderBytes;
        this.proxy = b.proxy;
        ConnConfig connConfig = new ConnConfig(b.limits, b.responseHeaderTimeout, b.expectContinueTimeout,
                b.bodyReadTimeout, b.disableKeepAlives, b.disableCompression, b.listener, b.maxBufferedBodyBytes,
                b.bodyProbeWait);
        Dialer netDialer = b.dialer != null ? b.dialer : Dialer.tcp(b.resolver, b.fallbackDelay);
        SocketDialer dialer = new SocketDialer(netDialer, b.limits, b.dialTimeout, b.tlsHandshakeTimeout, b.sslContext, b.verifyHostname,
                b.proxyConnectHeaders, b.maxRequestHeaderBytes);
        this.pool = new ConnectionPool<>((key, slot) -> {
            SocketDialer.Dialed d = dialer.dial(key);
            PersistConn c;
            try {
                c = PersistConn.start(key, d, connConfig, slot, this::reuse);
            } catch (Throwable e) {
                // An Error too (a Dialer's socket is user code): the socket is never left open (E87); so too a checked
                // exception the socket lets out undeclared (Kotlin, a sneaky throw), rethrown as it is (E109).
                SocketDialer.closeQuietly(d.tcp(), e); // the connection's failure stays the one thrown (E77, E84)
                throw e; // precise rethrow: an IOException or unchecked, as the compiler sees the try block
            }
            return c; // its "opened" event was committed before its loops started (E25)
        }, b.maxIdleConns, b.disableKeepAlives ? 0 : b.maxIdleConnsPerHost, b.maxConnsPerHost, b.idleConnTimeout,
                goroutines);
    }

    private void reuse(PersistConn c) {
        pool.put(c);
    }

    /**
     * A builder with Go's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Sends {@code request} and returns the response (headers read, body streaming).
     *
     * @param request the request
     * @return the response; the caller must close its body
     * @throws IOException as {@link #roundTrip(HttpRequest, Context)}
     * @throws InterruptedException if the calling thread was interrupted while waiting
     * @throws NullPointerException if request is null
     */
    public HttpResponse roundTrip(HttpRequest request) throws IOException, InterruptedException {
        return roundTrip(request, Context.background());
    }

    /**
     * Sends {@code request}; it ends when {@code ctx} is done, or when its own
     * {@linkplain HttpRequest#timeout() timeout} passes, in whatever phase, the body's reading included.
     *
     * @param request the request
     * @param ctx its context: cancelling it, or its deadline passing, ends the request
     * @return the response; the caller must close its body
     * @throws IOException the failure, always of a type this package exports or the JDK's: a timeout
     *     ({@link HttpTimeoutException}, whose kind names the limit), cancellation
     *     ({@link RequestCancelledException}: the context, or {@link #close()}), a malformed response or
     *     the server closing before any byte of one ({@link HttpProtocolException} with its reason), a
     *     failed connection ({@link HttpConnectionException}), a request body that broke its declared
     *     length ({@link ContentLengthMismatchException}), TLS failures ({@code javax.net.ssl}), or the
     *     request body source's own {@link IOException} as it was thrown (an unchecked exception from the
     *     source is rethrown as it is, too); never retried after the body source failed
     * @throws IllegalArgumentException if the request head, or a head written to a proxy for it (its
     *     {@code CONNECT}, or the request as forwarded), is larger than {@code maxRequestHeaderBytes} (nothing
     *     is sent: R56)
     * @throws InterruptedException if the calling thread was interrupted while waiting; its message says
     *     where; the request is abandoned and its connection closed. A thread interrupted when it calls is
     *     refused before anything of the request happens: no dial, no connection taken (R29)
     * @throws NullPointerException if request or ctx is null
     */
    @Override
    public HttpResponse roundTrip(HttpRequest request, Context ctx) throws IOException, InterruptedException {
        Objects.requireNonNull(request, "request");
        if (ctx == null) {
            NullPointerException refusal = new NullPointerException("ctx");
            request.body().closeUnsent(refusal); // refused before anything of it happened: the caller's stream closed (E92)
            throw refusal;
        }
        // The JFR event exists only once the flight recorder is initialized (ADR 0011): null otherwise.
        Object event = JfrGate.active() ? HttpEvents.requestBegin() : null;
        RequestScope scope = new RequestScope(request, ctx);
        HttpResponse response = null;
        Throwable failure = null;
        try {
            // As the head goes when it is not forwarded: a caller's Proxy-Authorization counts only where R92 writes it,
            // so one never sent never refuses the request; a head forwarded to an HTTP proxy is measured below (R56).
            long head = RequestWriter.headSize(request);
            if (head > maxRequestHeaderBytes) {
                // Refused before anything happens (no getConn, its body not opened), yet a failed request all the
                // same: its one done() and its flight-recorder event say so, as for every other refusal (E61, JF8).
                throw headTooLarge("request head of " + request, head);
            }
            response = attempts(scope, event);
            return response;
        } catch (Throwable e) {
            // Whatever failed, a checked exception user code let out undeclared included (the proxy function, the body's
            // opener, a listener on this thread: Kotlin, a sneaky throw), thrown on as it is (E118). Caught by its types
            // alone, such an exception went past this: done() never reported, a single-use body's stream left open.
            failure = e;
            scope.keepRetriedUnder(e); // before done() and the close of the body: both see it whole (E156)
            // A single-use body's stream is the caller's, open already: a request refused before its body was opened
            // (E12, E28, R29, R30, R56, an ended context or deadline) closes it too, as Go's RoundTrip closes the body
            // on every early error (E92). A no-op once the body was opened: whoever took the stream closed it (E18, E90).
            // Before done(), which then describes a request that holds nothing. An Error from the stream's close goes
            // with e, suppressed: done() is still reported, and e is still what the caller gets.
            request.body().closeUnsent(e);
            if (RequestScope.isTransportClosed(e)) {
                pool.awaitClosedIfClosing(); // a request says the transport closed only once its close is complete (E23)
            }
            // The one done() of a failed request, whatever failed (E22).
            try {
                scope.claimFailureDone(() -> safe(request, () -> listener.done(request, e)));
            } catch (Throwable listenerError) {
                // The listener's Error reaches the caller (E20), the request's own failure with it, never lost (E77); so
                // does a checked exception it lets out undeclared (E118).
                if (listenerError != e) {
                    listenerError.addSuppressed(e);
                }
                throw listenerError;
            }
            throw e;
        } finally {
            if (event != null) {
                // The URI as messages name the request (JF14): its password hidden, and cut, so a long one (up to the
                // head's limit when sent, any length when refused for it) is not copied whole into every event.
                HttpEvents.requestEnd(event, request.method(), io.gochan.http.internal.RedactedUri.shortened(request.uri()),
                        response == null ? 0 : response.status(), failure);
            }
        }
    }

    /**
     * Sends the request until an attempt answers or fails for good: Go's {@code roundTrip} loop with
     * {@code shouldRetryRequest}. An attempt that failed on a reused connection is retried if nothing of the
     * request was written and its body can be produced again, or if the server closed the connection before
     * answering and the request is replayable ({@link ConnException#retryable}); any other failure, and any
     * failure on a new connection, is final. There is no retry count (E37): a count is shared with other
     * requests in effect, since under {@code maxConnsPerHost} or with many callers the connections a request
     * is handed are the ones other requests put back, and a server that closes each connection after its
     * answer (without saying so) makes every one of them stale; a count let those use up a request's retries
     * and fail it for connections it never chose. The loop still ends: each retry follows the failure of a
     * distinct connection, one that had been put back after an exchange (or a dial its waiter gave up) and that
     * the failure closed (E21), so a request is retried only as often as connections became idle, which takes
     * a completed exchange each; it never goes round on its own: its own failure on a new connection (a dial
     * refused, the server closing as it accepts, or closing on this very request) ends it. Each round checks
     * the request's context, deadline and interrupt, and the transport's close (E28), before anything else.
     */
    private HttpResponse attempts(RequestScope scope, Object event) throws IOException, InterruptedException {
        HttpRequest request = scope.request();
        ConnectKey key = null;
        for (int attempt = 0; ; attempt++) {
            // Refused before anything of the request happens: its body is not opened, no getConn (E28, R29).
            throwIfEnded(scope, key);
            if (key == null) {
                // Chosen once the request is known to go ahead (as Go asks Proxy after its context check): a request
                // refused at once never calls the proxy function. A failed choice (the function's own failure, an
                // unsupported scheme, the CGI refusal) is the request's failure and reports its one done() (R30).
                key = keyOf(request);
                if (key.forwardsToProxy()) {
                    // Forwarded to an HTTP proxy, the head carries the absolute-form target and the proxy URI's
                    // credentials: the limit holds for the head as written (R56), before a connection is taken.
                    long forwarded = PersistConn.headSize(request, key);
                    if (forwarded > maxRequestHeaderBytes) {
                        throw headTooLarge("request head of " + request + " through proxy " + ConnectKey.redacted(key.proxy()),
                                forwarded);
                    }
                }
            }
            // Opened before a connection is taken: a body source that fails to open fails its own request
            // and touches no connection.
            InputStream body = request.body().isEmpty() ? null : request.body().open();
            if (attempt > 0) {
                // Counted as the retry begins, with its getConn: one refused by the checks above (the transport closed,
                // its context ended, an interrupt) or whose body failed to open again was never retried (P54).
                retries.incrementAndGet();
            }
            ConnectionPool.Acquired<PersistConn> a;
            long connectionNanos;
            long t0 = 0;
            boolean acquiring = false;
            try {
                String hostPort = key.host() + ":" + key.port();
                safe(request, () -> listener.getConn(request, hostPort));
                t0 = System.nanoTime();
                acquiring = true;
                a = pool.acquire(key, scope);
                connectionNanos = System.nanoTime() - t0;
            } catch (HeadTooLargeException e) {
                // Its CONNECT head was over the limit, nothing written (R56): E12's exception.
                IllegalArgumentException refusal = e.forCaller();
                closeQuietly(body, refusal);
                gotNoConnection(event, acquiring, t0, attempt);
                throw refusal;
            } catch (Throwable e) {
                // A listener's Error too, or a checked exception it lets out undeclared (E118): it reaches the caller, the
                // stream does not leak (E20).
                closeQuietly(body, e);
                gotNoConnection(event, acquiring, t0, attempt);
                throw e;
            }
            try {
                // Told as Go's GotConn is, as the connection is handed over and before the request's end is looked at
                // again: a request refused just below was told of the connection all the same (E90).
                safe(request, () -> listener.gotConn(request, a.reused()));
            } catch (Throwable e) {
                // A listener's Error (a test's failed assertion, most often), or a checked exception it lets out undeclared
                // (E118), reaches the caller, but the request first gives back what it holds (E20): its unused
                // connection, its body stream. Before, the undeclared one went past a catch of Error alone: the connection
                // stayed counted in use for good, its per-host slot with it, and the body's stream open.
                usedNoConnection(event, connectionNanos, attempt);
                a.conn().close(new IOException("a request listener failed before the request was sent", e));
                closeQuietly(body, e);
                throw e;
            }
            try {
                // The request may have ended as the pool handed it the connection (E90): its context or deadline, an
                // interrupt, the transport's close. An idle connection is handed out without a look at the request,
                // and a pool wait picks at random between a connection and the request's end when both are ready;
                // the gotConn listener runs in between too. Nothing of the request has gone to the connection yet, so
                // it ends as it would have a moment earlier, and the connection, unused, goes back to the pool (Go's
                // getConn gives it back: wantConn.cancel, putOrCloseIdleConn). Before, the request was sent anyway, and
                // its end then closed the healthy connection, the server maybe processing a request said cancelled.
                throwIfEnded(scope, key);
            } catch (IOException | InterruptedException e) {
                usedNoConnection(event, connectionNanos, attempt);
                pool.put(a.conn()); // its checks decide: idle, handed to a waiter, or closed (a closed pool, a limit)
                closeQuietly(body, e);
                throw e;
            }
            // Only a request that goes on to use the connection reports a reuse (E90): a request refused as it was
            // handed one used nothing of it, and the connection it gave back is counted again by whoever sends on it.
            if (event != null) {
                HttpEvents.requestConnection(event, connectionNanos, a.reused(), attempt);
            }
            if (a.reused() && a.conn().markReused()) {
                // Counted with its "reused" event, before a "closed" one (E31), and only if the connection was
                // still open: one that closed as it left the pool (or while gotConn ran) serves nothing and is not a
                // reuse (E35).
                reuses.incrementAndGet();
            }
            try {
                return a.conn().roundTrip(scope, body);
            } catch (ConnException e) {
                if (!a.reused() || !e.retryable(request)) {
                    throw forCaller(e, a.reused() ? e.whyNotRetried(request) : null);
                }
                // Retried however many stale connections came before (E37): this one is closed (E21), and the
                // next attempt takes another connection or dials, where a failure is final. The failure is kept for
                // the request's own, should it fail after all (E156): in the public type, saying it was retried.
                scope.retriedAfter(new HttpConnectionException(e.getMessage() + " (on a reused connection: retried)",
                        e.getCause()));
                // The failed attempt's events end here: one running on its connection's loops is waited for, a
                // later one (its write failing once its body's source was closed) is not reported (E33).
                scope.endAttempt();
            }
        }
    }

    /**
     * Throws if the request must not go on to its next step: its context ended or its own deadline passed, the
     * transport closed (E28), or its thread is interrupted (R29; the interrupt status is cleared, as for any thrown
     * {@link InterruptedException}), looked at in that order. At the top of each attempt and again when the pool
     * has handed it a connection (E90), with the same exceptions and words.
     */
    private void throwIfEnded(RequestScope scope, ConnectKey key) throws IOException, InterruptedException {
        IOException ended = scope.ended("waiting for a connection to "
                + (key != null ? key : io.gochan.http.internal.RedactedUri.shortened(scope.request().uri())));
        if (ended != null) {
            throw ended;
        }
        if (pool.isClosed()) {
            throw RequestScope.transportClosed();
        }
        if (Thread.interrupted()) {
            // Called (or retried) on an interrupted thread: refused before anything of it happens, as a closed
            // transport refuses (R29): no getConn, its body not opened, and no dial that the request would then
            // leave at once, its connection opened for nobody (the interrupt kept from a redirect's drain, say).
            throw scope.interrupted("starting the request; the thread was interrupted before anything was sent");
        }
    }

    /**
     * Records, in the request's event, the time an attempt spent trying to get the connection it did not get (a dial
     * refused or timed out, a wait for a per-host slot the deadline ended): that is where the request's time went, and
     * its event said 0 (JF11). The attempt had no connection, so none was reused; it is the {@code attempt}-th retry.
     * Also for an attempt that failed before it began to try (its {@code getConn} listener's {@link Error}), with no
     * time: it is still the request's last attempt, a retry that {@code TransportStats.retries} counted (P54), and
     * the event describes the last attempt (JF13). Before, such a retry left the event as the failed attempt before
     * it had set it: {@code reused} true and one retry fewer.
     */
    private static void gotNoConnection(Object event, boolean acquiring, long t0, int attempt) {
        if (event != null) {
            HttpEvents.requestConnection(event, acquiring ? System.nanoTime() - t0 : 0, false, attempt);
        }
    }

    /**
     * Records, in the request's event, an attempt refused as the pool handed it a connection (E90: its end, or its
     * {@code gotConn} listener's {@link Error}): the time it spent getting the connection counts, but it sent nothing
     * on it, so it reused none, as for an attempt that got no connection (JF11).
     */
    private static void usedNoConnection(Object event, long connectionNanos, int attempt) {
        if (event != null) {
            HttpEvents.requestConnection(event, connectionNanos, false, attempt);
        }
    }

    /** {@code maxRequestHeaderBytes}, for the client's room for jar cookies (R58). */
    int maxRequestHeaderBytes() {
        return maxRequestHeaderBytes;
    }

    /** The refusal of a head over {@code maxRequestHeaderBytes} (E12), the same words for every head (R56). */
    private IllegalArgumentException headTooLarge(String what, long size) {
        return new IllegalArgumentException(what + " is " + size + " bytes, more than maxRequestHeaderBytes ("
                + maxRequestHeaderBytes + "); nothing was sent");
    }

    /**
     * Closes the opened body of a request that fails before it was handed to a connection. A failed close is logged
     * at DEBUG; an {@link Error} from it (the caller's stream) is added to {@code failure} as suppressed, as
     * {@code RequestBody.closeUnsent} does (E92): it never takes the place of the request's own failure.
     */
    private static void closeQuietly(InputStream body, Throwable failure) {
        if (body != null) {
            try {
                body.close();
            } catch (IOException | RuntimeException e) {
                // The stream's own exception: its printing may throw, never in the failure's place (E105).
                ThrowableText.log(LOG, System.Logger.Level.DEBUG, "closing an unsent request body failed", e);
            } catch (Throwable e) {
                if (e != failure) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    /**
     * The exception a caller sees for a connection failure that is not retried: the server closing
     * the connection before a byte of response becomes an {@link HttpProtocolException} with reason
     * {@code SERVER_CLOSED_BEFORE_RESPONSE}; unsolicited bytes that closed it keep their reason
     * {@code UNSOLICITED_RESPONSE}; any other an {@link HttpConnectionException}. The internal type never
     * escapes. {@code whyNotRetried} is the one cause a failure on a reused connection was not retried (E37), or null
     * on a new connection.
     */
    private static IOException forCaller(ConnException e, String whyNotRetried) {
        boolean reused = whyNotRetried != null;
        if (e.getCause() instanceof HttpProtocolException p && p.reason() == HttpProtocolException.Reason.UNSOLICITED_RESPONSE) {
            // Unsolicited bytes closed the connection this request took, and it may not be sent again (P37): the
            // specific reason stays.
            return new HttpProtocolException(p.reason(), e.getMessage() + (reused
                    ? "; not retried: " + whyNotRetried
                    : "; not retried: a new connection"), p);
        }
        if (!e.serverClosedIdle()) {
            return new HttpConnectionException(e.getMessage(), e.getCause());
        }
        String why = reused ? " (on a reused connection; not retried: " + whyNotRetried + ")"
                : " (on a new connection: not retried)";
        return new HttpProtocolException(HttpProtocolException.Reason.SERVER_CLOSED_BEFORE_RESPONSE, e.getMessage() + why,
                e.getCause());
    }

    /** Runs a listener event of {@code request}: a {@link RuntimeException} it throws is logged, naming the request (E83). */
    private void safe(HttpRequest request, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // Ignored also when printing it throws (its text is the listener's code): never the request's failure (E105).
            ThrowableText.log(LOG, System.Logger.Level.WARNING, "a RequestListener callback for " + request
                    + " failed; ignored", e);
        }
    }

    /** The request's connection key: its origin and the proxy the proxy function chose for it (R5, R7). */
    private ConnectKey keyOf(HttpRequest request) throws IOException {
        URI uri = request.uri();
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = UriHost.portOrDefault(uri);
        URI proxy = proxyFor(request);
        if (proxy == null) {
            return new ConnectKey(scheme, UriHost.host(uri), port);
        }
        if (!scheme.equals("https") && ConnectKey.isHttpProxy(proxy)) {
            // Plain http through an HTTP proxy: every origin shares the connections to the proxy (Go's connectMethodKey).
            int proxyPort = UriHost.portOrDefault(proxy);
            return new ConnectKey(scheme, UriHost.host(proxy), proxyPort, proxy);
        }
        return new ConnectKey(scheme, UriHost.host(uri), port, proxy);
    }

    private URI proxyFor(HttpRequest request) throws IOException {
        if (proxy == null) {
            return null;
        }
        Optional<URI> chosen;
        try {
            chosen = proxy.apply(request);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        if (chosen == null || chosen.isEmpty()) {
            return null;
        }
        URI p = chosen.get();
        String s = p.getScheme() == null ? "" : p.getScheme().toLowerCase(Locale.ROOT);
        if (UriHost.host(p) == null && p.getRawAuthority() != null) {
            // An internationalized name (pröxy.example, or its UTF-8 escaped) is dialled in its IDNA ASCII form, as Go's
            // canonicalAddr dials a proxy and as Proxies.fixed takes one (R114, R83, R112): before, "without a host".
            try {
                p = HttpRequest.Builder.withAsciiHost(p);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the proxy function chose a proxy URI with a host name IDNA refuses, "
                        + io.gochan.http.internal.RedactedUri.shortened(p) + ", for " + io.gochan.http.internal.RedactedUri.shortened(request.uri()));
            }
        }
        if (UriHost.host(p) == null) {
            throw new IllegalArgumentException("the proxy function chose a proxy URI without a host for " + io.gochan.http.internal.RedactedUri.shortened(request.uri()));
        }
        int port = UriHost.port(p);
        if (port == 0 || port > 65535) {
            // Refused as Proxies.fixed refuses it, and as a request's own port is (R60), before anything is dialed:
            // dialed, it failed with the socket layer's bare "port out of range", or hung a dual-stack dial (R85, E86).
            throw new IllegalArgumentException("the proxy function chose a proxy URI whose port is not a number from 1 to"
                    + " 65535, " + ConnectKey.redacted(p) + ", for " + io.gochan.http.internal.RedactedUri.shortened(request.uri()));
        }
        if (!Proxies.isProxyScheme(s)) {
            throw new ProxyException(p, -1, "unsupported proxy " + ConnectKey.redacted(p) + " for " + io.gochan.http.internal.RedactedUri.shortened(request.uri())
                    + ": a proxy is http://, https://, socks5:// or socks5h://", null);
        }
        String info = p.getRawUserInfo();
        boolean basic = s.startsWith("http");
        String refusal = info == null || info.isEmpty() ? null : io.gochan.http.internal.UserInfo.refusal(info, basic);
        if (refusal != null) {
            // R14's checks on the decoded bytes, as for the request's Authorization (R80): a percent-escaped CR LF or
            // NUL was base64-encoded into Proxy-Authorization or sent as SOCKS5 credentials; Go sends them so.
            throw new ProxyException(p, -1, "the user info of proxy " + ConnectKey.redacted(p) + " cannot be sent as "
                    + (basic ? "basic auth" : "SOCKS5 credentials") + ": " + refusal, null);
        }
        return p;
    }

    /**
     * Counters: open, idle and in-use connections, dials, reuses, retries.
     *
     * @return a consistent snapshot
     */
    public TransportStats stats() {
        ConnectionPool.Stats s = pool.stats();
        return new TransportStats(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting(), s.dialed(), reuses.get(), retries.get());
    }

    /**
     * Closes idle connections (Go's CloseIdleConnections); connections in use are not touched. Returns once
     * every connection that was idle when it was called is closed (its socket closed) and no longer counted by
     * {@link #stats()}, also one that the idle reaper (or an idle limit) had already taken off the idle list to
     * close and was still closing (E34). As Go's, it also closes connections that become idle after it (an exchange
     * in use at that moment ends) until the next request looks for a connection; from then on they are pooled again
     * (E56). Called with the interrupt flag set it does the same and leaves the flag set (E80). The idle reaper's
     * goroutine, with nothing idle left to watch, ends at once (P106): a transport that holds no connection runs no
     * goroutine.
     */
    @Override
    public void closeIdleConnections() {
        pool.closeIdle();
    }

    /**
     * Closes the transport and ends every request it has: requests waiting for a connection or dialing
     * one, requests awaiting their response and bodies being read all fail with a
     * {@link RequestCancelledException} (reason {@code TRANSPORT_CLOSED}); every connection is closed,
     * and new requests are refused. Never waits on a blocked write (a TLS socket is closed under its
     * writer). Idempotent and thread-safe: it returns, on every thread that calls it, only once every
     * connection is closed and no longer counted by {@link #stats()}, and a request fails for the close only
     * then too (E23). Dials under way are interrupted and waited for (a connection one of them makes anyway is
     * closed), except a dial inside name resolution, which no interrupt ends: it is given up, no longer
     * counted, its request failed, and it opens nothing when its resolver returns. So when this returns,
     * {@link #stats()} reports nothing open, idle, in use, dialing or waiting (E29). An interrupt of the
     * closing thread ends its wait for dials still under way (they are given up too) and stays set; a dial
     * closing the connection it made anyway is still waited for (E42).
     */
    @Override
    public void close() {
        pool.close();
        goroutines.close(); // after the pool told every goroutine to end
    }

    /** Configuration with Go's defaults unless noted. */
    public static final class Builder {
        private int maxIdleConns = 100;
        private int maxIdleConnsPerHost = 2;
        private int maxConnsPerHost = 0;
        private Duration idleConnTimeout = Duration.ofSeconds(90);
        private Duration dialTimeout = Duration.ofSeconds(30);
        private Duration tlsHandshakeTimeout = Duration.ofSeconds(10);
        private Duration responseHeaderTimeout = Duration.ZERO;
        private Duration expectContinueTimeout = Duration.ofSeconds(1);
        private Duration bodyReadTimeout = Duration.ZERO;
        private Duration bodyProbeWait = ConnConfig.GO_BODY_PROBE_WAIT;
        private boolean disableKeepAlives;
        private boolean disableCompression;
        private SSLContext sslContext;
        private boolean verifyHostname = true;
        private HttpLimits limits = HttpLimits.DEFAULTS;
        private int maxRequestHeaderBytes = 256 * 1024;
        private long maxBufferedBodyBytes = ResponseBody.DEFAULT_MAX_BUFFERED_BYTES;
        private RequestListener listener = RequestListener.NONE;
        private Resolver resolver = Resolver.system();
        private Duration fallbackDelay = Duration.ofMillis(300);
        private Dialer dialer;
        private Function<HttpRequest, Optional<URI>> proxy;
        private ProxyConnectHeaders proxyConnectHeaders;

        private Builder() {}

        /**
         * Header fields sent on every {@code CONNECT} request that opens a tunnel through an HTTP proxy (Go's
         * {@code Transport.ProxyConnectHeader}; default none): for example a {@code Proxy-Authorization} other than
         * Basic, or a {@code User-Agent} a proxy filters on. Only on {@code CONNECT}: never on plain http through the
         * proxy (whose request carries its own fields), nor to SOCKS5, nor to the origin. The transport writes
         * {@code Host} itself and never sends these {@code Host}, {@code Content-Length}, {@code Transfer-Encoding}
         * or {@code Trailer}; a {@code Proxy-Authorization} among them is sent only when the proxy URI has no user
         * info (with it, the Basic credentials made of the user info are the only one sent, as in Go). Without a
         * {@code User-Agent} here, a {@code CONNECT} carries none (where Go sends {@code Go-http-client/1.1}). This
         * and {@link #proxyConnectHeaders(ProxyConnectHeaders)} are one setting: the last call wins. Rule R54.
         *
         * @param headers the fields, validated when they were built (no CR, LF or other control character)
         * @return this builder
         * @throws NullPointerException if headers is null
         */
        public Builder proxyConnectHeaders(Headers headers) {
            Objects.requireNonNull(headers, "headers");
            this.proxyConnectHeaders = (proxy, target) -> headers;
            return this;
        }

        /**
         * Asks {@code f} for the header fields of each {@code CONNECT} request, given the proxy and the target (Go's
         * {@code Transport.GetProxyConnectHeader}; default none): per-proxy or short-lived credentials. It is called
         * once per tunnel opened, on the dial goroutine; an {@link IOException} it throws fails the request with that
         * exception, nothing written to the proxy. The fields are sent as
         * {@link #proxyConnectHeaders(Headers)} says. This and {@link #proxyConnectHeaders(Headers)} are one setting:
         * the last call wins (Go, with two fields, prefers the function whenever it is set). Rule R54.
         *
         * @param f the function; see {@link ProxyConnectHeaders} for its contract
         * @return this builder
         * @throws NullPointerException if f is null
         */
        public Builder proxyConnectHeaders(ProxyConnectHeaders f) {
            this.proxyConnectHeaders = Objects.requireNonNull(f, "proxyConnectHeaders");
            return this;
        }

        /**
         * Chooses a proxy for each request (Go's {@code Transport.Proxy}; default: none, also for
         * {@code HTTP_PROXY}; use {@link Proxies#fromEnvironment()} for Go's environment rules). An empty
         * result means a direct connection. A proxy is {@code http://}, {@code https://} (TLS to the proxy),
         * {@code socks5://} or {@code socks5h://} (the proxy resolves the name in both), with optional
         * {@code user:password@} (Basic {@code Proxy-Authorization} for HTTP proxies, RFC 1929 for SOCKS5).
         * Plain http goes to an HTTP proxy in absolute form over connections pooled per proxy; https
         * goes through a {@code CONNECT} tunnel with TLS to the origin inside it. A {@code Proxy-Authorization}
         * the request carries is sent only on a request forwarded to an HTTP proxy (plain http), never to an
         * origin, direct, tunnelled or through SOCKS5; a request whose own method is {@code CONNECT} keeps it on every
         * route, as it is addressed to the proxy its URI names (R92). The function runs on
         * the caller's thread for each request; an {@link java.io.UncheckedIOException} it throws fails
         * the request with its cause. Rules R5–R10.
         *
         * @param f the proxy function
         * @return this builder
         * @throws NullPointerException if f is null
         */
        public Builder proxy(Function<HttpRequest, Optional<URI>> f) {
            this.proxy = Objects.requireNonNull(f, "proxy");
            return this;
        }

        /**
         * The name resolver of the default dialer (default {@link Resolver#system()}); ignored when a
         * {@link #dialer(Dialer) dialer} is set. Every address it returns is tried (R1, R2).
         *
         * @param r the resolver
         * @return this builder
         * @throws NullPointerException if r is null
         */
        public Builder resolver(Resolver r) {
            this.resolver = Objects.requireNonNull(r, "resolver");
            return this;
        }

        /**
         * How long the default dialer tries the first address family of a dual-stack host alone before
         * racing the other (Go's {@code FallbackDelay}, RFC 6555/8305; default 300 ms). Ignored when a
         * {@link #dialer(Dialer) dialer} is set. Rule R2.
         *
         * @param d the delay, positive
         * @return this builder
         * @throws IllegalArgumentException if d is zero or negative
         * @throws NullPointerException if d is null
         */
        public Builder fallbackDelay(Duration d) {
            if (Objects.requireNonNull(d, "fallbackDelay").isZero() || d.isNegative()) {
                throw new IllegalArgumentException("fallbackDelay must be positive: " + d);
            }
            this.fallbackDelay = d;
            return this;
        }

        /**
         * Opens every connection's stream instead of the default TCP dialer (Go's {@code DialContext}):
         * for example {@link Dialer#unixSocket(java.nio.file.Path)} for a server on a Unix socket. The
         * transport still adds TLS for https and talks to a proxy through it. Rule R3.
         *
         * @param d the dialer
         * @return this builder
         * @throws NullPointerException if d is null
         */
        public Builder dialer(Dialer d) {
            this.dialer = Objects.requireNonNull(d, "dialer");
            return this;
        }

        /**
         * Idle connections kept in total (default 100; 0 = no limit).
         *
         * @param n the limit, zero or more
         * @return this builder
         * @throws IllegalArgumentException if n is negative (R73)
         */
        public Builder maxIdleConns(int n) {
            this.maxIdleConns = nonNegative(n, "maxIdleConns");
            return this;
        }

        /**
         * Idle connections kept per host (default 2; 0 keeps none).
         *
         * @param n the limit, zero or more
         * @return this builder
         * @throws IllegalArgumentException if n is negative (R73)
         */
        public Builder maxIdleConnsPerHost(int n) {
            this.maxIdleConnsPerHost = nonNegative(n, "maxIdleConnsPerHost");
            return this;
        }

        /**
         * Connections per host, dialling + in use + idle (default 0 = no limit); more requests wait, FIFO.
         *
         * @param n the limit, zero or more
         * @return this builder
         * @throws IllegalArgumentException if n is negative (R73)
         */
        public Builder maxConnsPerHost(int n) {
            this.maxConnsPerHost = nonNegative(n, "maxConnsPerHost");
            return this;
        }

        /**
         * How long an idle connection is kept (default 90 s; zero = forever).
         *
         * @param d the duration, not negative; zero where the option says so
         * @return this builder
         * @throws IllegalArgumentException if d is negative (R73)
         * @throws NullPointerException if d is null
         */
        public Builder idleConnTimeout(Duration d) {
            this.idleConnTimeout = nonNegative(Objects.requireNonNull(d, "idleConnTimeout"), "idleConnTimeout");
            return this;
        }

        /**
         * TCP connect timeout (default 30 s; zero = none, as Go's {@code Dialer} without a timeout: the operating
         * system's own bound then applies). It also bounds a proxy's {@code CONNECT} answer or SOCKS5 exchange (R10).
         *
         * @param d the duration, not negative; zero where the option says so
         * @return this builder
         * @throws IllegalArgumentException if d is negative (R73)
         * @throws NullPointerException if d is null
         */
        public Builder dialTimeout(Duration d) {
            this.dialTimeout = nonNegative(Objects.requireNonNull(d, "dialTimeout"), "dialTimeout");
            return this;
        }

        /**
         * TLS handshake timeout (default 10 s; zero = none, as Go's {@code TLSHandshakeTimeout} of zero).
         *
         * @param d the duration, not negative; zero where the option says so
         * @return this builder
         * @throws IllegalArgumentException if d is negative (R73)
         * @throws NullPointerException if d is null
         */
        public Builder tlsHandshakeTimeout(Duration d) {
            this.tlsHandshakeTimeout = nonNegative(Objects.requireNonNull(d, "tlsHandshakeTimeout"), "tlsHandshakeTimeout");
            return this;
        }

        /**
         * Time allowed for the response headers after the request was written (default zero = none; a negative
         * duration is none too, as Go's {@code ResponseHeaderTimeout}: P48). When it passes, the request fails
         * with {@link HttpTimeoutException} of kind {@code RESPONSE_HEADERS} and its connection is closed.
         *
         * @param d the duration; zero or negative for none
         * @return this builder
         * @throws NullPointerException if d is null
         */
        public Builder responseHeaderTimeout(Duration d) {
            this.responseHeaderTimeout = Objects.requireNonNull(d, "responseHeaderTimeout");
            return this;
        }

        /**
         * Longest wait for the next bytes of a response body, once its headers arrived (default zero =
         * none, as in Go: a slow stream such as server-sent events must not fail by default; the
         * caller bounds a body by closing it, or through {@link HttpClient}'s overall timeout). When
         * it passes, the body read fails with {@link java.net.SocketTimeoutException} and the
         * connection is closed. Not a total: a body that keeps arriving is never cut. Counted in whole
         * milliseconds, as a socket counts it: a duration below one is one (P47). See ADR 0006. A tunnel's body (a
         * {@code 101 Switching Protocols} to a request that asked for it, a 2xx to {@code CONNECT}) has no read
         * timeout: its silence is its protocol's business (an idle WebSocket), as in Go; the request's own timeout
         * and context still end it (R67).
         *
         * @param d the duration; zero where the option says so
         * @return this builder
         * @throws IllegalArgumentException if d is negative
         * @throws NullPointerException if d is null
         */
        public Builder bodyReadTimeout(Duration d) {
            if (Objects.requireNonNull(d, "bodyReadTimeout").isNegative()) {
                throw new IllegalArgumentException("negative bodyReadTimeout: " + d);
            }
            this.bodyReadTimeout = d;
            return this;
        }

        /**
         * How long a request with {@code Expect: 100-continue} waits before sending its body (default 1 s). Zero or
         * negative: the body goes right after the head, without waiting for {@code 100 Continue}, as Go's zero
         * {@code ExpectContinueTimeout} sends it (R68); the {@code Expect} field is still sent. A final status that
         * came without a {@code 100 Continue} still keeps the connection from being reused, whatever the timeout.
         *
         * @param d the duration; zero or negative for none
         * @return this builder
         * @throws NullPointerException if d is null
         */
        public Builder expectContinueTimeout(Duration d) {
            this.expectContinueTimeout = Objects.requireNonNull(d, "expectContinueTimeout");
            return this;
        }

        /**
         * How long the look at the first byte of a body of unknown length sent with a method that usually has none
         * ({@code GET}, {@code HEAD}, {@code DELETE}, {@code OPTIONS}, {@code PROPFIND}, {@code SEARCH}) may hold the
         * request's head back (E133); default 200 ms, Go's fixed bound. Zero or negative: only the looks that never
         * block are made (a body read from memory, a stream whose {@code available()} is positive), and any other such
         * body goes chunked at once, with no goroutine and no timer. Not public, for tests only: Go offers no such
         * setting (a caller avoids the wait by giving the body's length), and a test must be able to let the look
         * answer before its bound whatever the machine's load, or run its bound out at once, instead of racing 200 ms.
         *
         * @param d the longest wait; zero or negative for none
         * @return this builder
         * @throws NullPointerException if d is null
         */
        Builder bodyProbeWait(Duration d) {
            this.bodyProbeWait = Objects.requireNonNull(d, "bodyProbeWait");
            return this;
        }

        /**
         * One request per connection, with {@code Connection: close}.
         *
         * @param b true to turn the option on
         * @return this builder
         */
        public Builder disableKeepAlives(boolean b) {
            this.disableKeepAlives = b;
            return this;
        }

        /**
         * Do not ask for gzip (default: ask, and un-gzip transparently only when we asked).
         *
         * @param b true to turn the option on
         * @return this builder
         */
        public Builder disableCompression(boolean b) {
            this.disableCompression = b;
            return this;
        }

        /**
         * TLS context for https (default: the JDK's default).
         *
         * @param ctx the TLS context, or null for the JDK's default
         * @return this builder
         */
        public Builder sslContext(SSLContext ctx) {
            this.sslContext = ctx;
            return this;
        }

        /**
         * Verify the server certificate's host name (default true; turning it off is insecure).
         *
         * @param b true to turn the option on
         * @return this builder
         */
        public Builder verifyHostname(boolean b) {
            this.verifyHostname = b;
            return this;
        }

        /**
         * Limits on response heads: line length, header bytes and count (defaults 8 KiB, 256 KiB, 100).
         * {@code Integer.MAX_VALUE} is accepted for each and means no limit in practice (P74). The header bytes are a
         * budget of the whole response: its informational (1xx) heads and its final head count together, as Go 1.24
         * counts them, so many small 1xx heads are refused ({@code HEADERS_TOO_LARGE}) once they and the final head add
         * up to more (P92).
         *
         * @param maxLineLength longest status or header line, in bytes
         * @param maxHeaderBytes most bytes in all the heads of one response together, status lines and blank lines
         *     included
         * @param maxHeaderCount most header fields
         * @return this builder
         * @throws IllegalArgumentException if the limits are implausible: a line limit below 64, a header-bytes limit
         *     below the line limit, or a field count below 1
         */
        public Builder responseLimits(int maxLineLength, int maxHeaderBytes, int maxHeaderCount) {
            this.limits = new HttpLimits(maxLineLength, maxHeaderBytes, maxHeaderCount,
                    HttpLimits.DEFAULTS.maxTrailerBytes(), HttpLimits.DEFAULTS.maxChunkLineLength());
            return this;
        }

        /**
         * Largest request head this transport sends, in bytes as sent: the request line (a non-ASCII
         * character of the URI counted as its UTF-8 percent-escapes) and the caller's headers
         * (default 256 KiB, the size of the response-head limit). A larger request fails with
         * {@link IllegalArgumentException} before anything is sent: a server would refuse it anyway, and an
         * unbounded head is a way to exhaust memory on both sides. The limit holds for every head the transport
         * writes (R56): the {@code CONNECT} head to an HTTP proxy (its fields from
         * {@link #proxyConnectHeaders(Headers)}, the proxy URI's credentials) and, for plain http through an HTTP
         * proxy, the head with its absolute-form target and those credentials; over it, the request fails with the
         * same exception and nothing is written to the proxy.
         *
         * @param n the limit in bytes, positive
         * @return this builder
         * @throws IllegalArgumentException if n is not positive
         */
        public Builder maxRequestHeaderBytes(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("maxRequestHeaderBytes must be positive: " + n);
            }
            this.maxRequestHeaderBytes = n;
            return this;
        }

        /**
         * Largest response body that {@link ResponseBody#bytes()} and {@link ResponseBody#string()} read into memory
         * (default 64 MiB; {@link ResponseBody#bytes(long)} and {@link ResponseBody#string(long)} take another limit
         * for one call). A larger body fails them with {@link ResponseBodyTooLargeException}, which names the limit
         * and the request's URI, as soon as the byte past the limit is read: the body is closed there, before its
         * end, so its connection is closed and never pooled, and nothing more of it is read (should that byte be the
         * body's last, the body was read whole and its connection is reused as for any body read to its end). A bound as the
         * {@linkplain #responseLimits header limits} are: a server that sends gigabytes, by mistake or on purpose,
         * would otherwise exhaust the heap. {@link ResponseBody#stream()} is not limited: a body read as a stream
         * may be of any size. Rule P65.
         *
         * @param n the limit in bytes, positive
         * @return this builder
         * @throws IllegalArgumentException if n is not positive
         */
        public Builder maxBufferedBodyBytes(long n) {
            if (n <= 0) {
                throw new IllegalArgumentException("maxBufferedBodyBytes must be positive: " + n);
            }
            this.maxBufferedBodyBytes = n;
            return this;
        }

        /**
         * Per-request events (default none).
         *
         * @param l the listener; its callbacks run on transport threads and must not block
         * @return this builder
         * @throws NullPointerException if l is null
         */
        public Builder listener(RequestListener l) {
            this.listener = Objects.requireNonNull(l, "listener");
            return this;
        }

        // A negative limit or timeout had no documented meaning and was kept, to act at run time as whatever the
        // code happened to do with it (a negative dial timeout, a pool limit below zero): refused here (R73).
        private static int nonNegative(int n, String setting) {
            if (n < 0) {
                throw new IllegalArgumentException(setting + " must be >= 0: " + n);
            }
            return n;
        }

        private static Duration nonNegative(Duration d, String setting) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(setting + " must not be negative: " + d);
            }
            return d;
        }

        /** {@return a new transport with these settings; close it when done} */
        public Transport build() {
            return new Transport(this);
        }
    }
}
