package io.gochan.http.internal.conn;

import io.gochan.http.internal.codec.HostLiteral;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.UriHost;
import io.gochan.http.Dialer;
import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpTimeoutException;
import io.gochan.http.internal.codec.HttpLimits;
import io.gochan.http.internal.pool.ConnectKey;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens TCP connections, and TLS over them with the JDK's TLS: SNI for host names, and hostname
 * verification (endpoint identification "HTTPS") unless disabled. Connect and handshake each have
 * their own timeout. Blocking socket calls on a virtual thread do not pin its carrier.
 */
public final class SocketDialer {
    private final Dialer dialer;
    private final HttpLimits limits;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final SSLContext sslContext;
    private final boolean verifyHostname;
    /** The fields of a CONNECT request (R54); null for none. */
    private final io.gochan.http.ProxyConnectHeaders connectHeaders;
    /** {@code maxRequestHeaderBytes}, for the CONNECT head (R56). */
    private final int maxHeadBytes;

    /**
     * A dialer.
     *
     * @param dialer opens the connection's stream (TCP by default; R3)
     * @param limits response-head limits, applied to a proxy's CONNECT answer too
     * @param sslContext used for https; null means {@link SSLContext#getDefault()} when first needed
     */
    public SocketDialer(Dialer dialer, HttpLimits limits, Duration connectTimeout, Duration handshakeTimeout,
            SSLContext sslContext, boolean verifyHostname) {
        this(dialer, limits, connectTimeout, handshakeTimeout, sslContext, verifyHostname, null);
    }

    /**
     * A dialer that adds header fields to the CONNECT requests it sends (R54).
     *
     * @param dialer opens the connection's stream (TCP by default; R3)
     * @param limits response-head limits, applied to a proxy's CONNECT answer too
     * @param sslContext used for https; null means {@link SSLContext#getDefault()} when first needed
     * @param connectHeaders asked for each CONNECT request's extra fields; null for none
     */
    public SocketDialer(Dialer dialer, HttpLimits limits, Duration connectTimeout, Duration handshakeTimeout,
            SSLContext sslContext, boolean verifyHostname, io.gochan.http.ProxyConnectHeaders connectHeaders) {
        this(dialer, limits, connectTimeout, handshakeTimeout, sslContext, verifyHostname, connectHeaders, Integer.MAX_VALUE);
    }

    /**
     * A dialer that adds header fields to the CONNECT requests it sends (R54) and holds them to the transport's
     * request-head limit (R56).
     *
     * @param dialer opens the connection's stream (TCP by default; R3)
     * @param limits response-head limits, applied to a proxy's CONNECT answer too
     * @param sslContext used for https; null means {@link SSLContext#getDefault()} when first needed
     * @param connectHeaders asked for each CONNECT request's extra fields; null for none
     * @param maxHeadBytes {@code maxRequestHeaderBytes}: a larger CONNECT head fails the dial with a
     *     {@link HeadTooLargeException}, nothing written
     */
    public SocketDialer(Dialer dialer, HttpLimits limits, Duration connectTimeout, Duration handshakeTimeout,
            SSLContext sslContext, boolean verifyHostname, io.gochan.http.ProxyConnectHeaders connectHeaders,
            int maxHeadBytes) {
        this.maxHeadBytes = maxHeadBytes;
        this.connectHeaders = connectHeaders;
        this.dialer = dialer;
        this.limits = limits;
        this.connectTimeout = connectTimeout;
        this.handshakeTimeout = handshakeTimeout;
        this.sslContext = sslContext;
        this.verifyHostname = verifyHostname;
    }

    /**
     * A dialed connection's sockets: the one to talk through ({@code socket}: TLS for https) and the
     * TCP socket under it ({@code tcp}, the same object for http). Closing {@code tcp} first ends a
     * write blocked inside the TLS layer, which closing the TLS socket alone would wait for.
     *
     * @param socket the socket to read and write
     * @param tcp the TCP socket under it
     * @param tls for TLS, the watch on the TCP stream under it (P33, P50, E55); null for plain TCP
     */
    public record Dialed(Socket socket, Socket tcp, TlsLayer tls) {
        /** What a connection learns from the TCP stream under its TLS socket. */
        public interface TlsLayer {
            /**
             * The TLS socket's output as the request's byte count must see it: a write that handed the TCP socket no
             * whole record counts as nothing written (P50).
             *
             * @param tlsOut the TLS socket's output stream
             * @return the stream to count
             */
            java.io.OutputStream output(java.io.OutputStream tlsOut);

            /**
             * The TLS socket's input, marking what it delivered, for {@link #readButNotDelivered()}.
             *
             * @param tlsIn the TLS socket's input stream
             * @return the stream to read
             */
            java.io.InputStream input(java.io.InputStream tlsIn);

            /**
             * Whether the TLS layer has read bytes from the TCP socket since its input last delivered data (E55): a
             * record it is still processing (a close_notify it is about to report as the end), never data it read.
             *
             * @return true if bytes were read from the TCP socket and not (yet) delivered
             */
            boolean readButNotDelivered();

            /**
             * Whether the TCP stream ended inside a TLS record or its header (P33). Asked once a read of the TLS
             * socket returned EOF.
             *
             * @return true if the stream was cut short inside a record
             */
            boolean endedInsideRecord();

            /**
             * Whether the TLS layer has shut the TCP output down: after our own half-close's {@code close_notify}, or,
             * under TLS 1.2, as it answered (or gave up answering, E117) the peer's {@code close_notify} from inside a
             * read, which ends our output too (RFC 5246 §7.2.1).
             *
             * @return true once the TLS layer shut the TCP output down
             */
            boolean outputShutDown();
        }

        /** A plain (not TLS) connection. */
        Dialed(Socket socket, Socket tcp) {
            this(socket, tcp, null);
        }

        /**
         * Why the stream ended badly, or null: for TLS, an end inside a record (the server's last bytes lost;
         * the JDK reports a plain end of stream for it). Asked once a read of {@code socket} returned EOF.
         */
        public String endedBadly() {
            return tls != null && tls.endedInsideRecord()
                    ? "the TLS stream ended inside a TLS record (cut short, without close_notify)" : null;
        }
    }

    /**
     * Connects to {@code key}'s host and port, with TLS if the scheme is https.
     *
     * @param key what to connect to
     * @return the sockets
     * @throws HttpTimeoutException if connect or handshake took too long (kind CONNECT or TLS_HANDSHAKE)
     * @throws SSLHandshakeException if the TLS handshake failed (including a certificate that does not match the host
     *     name, a peer that closed or reset the connection during it, and a TLS context whose factory could not make
     *     the TLS socket, E149, and a JVM without a default TLS context when the transport has none, E151), naming the
     *     peer (R69)
     * @throws IOException for any other connection failure (an {@link HttpConnectionException} naming the factory and
     *     the peer for a TLS socket factory that made no {@code SSLSocket}, E152)
     */
    public Dialed dial(ConnectKey key) throws IOException {
        URI proxy = key.proxy();
        if (proxy == null) {
            Socket socket = connect(key.host(), key.port(), key.toString(), false);
            try {
                return key.tls() ? handshake(socket, socket, key.host(), key.port(), key.toString())
                        : new Dialed(socket, socket);
            } catch (Throwable e) {
                // An Error too: user code runs in the dial (the TLS configuration's trust and key managers), and its
                // Error, which reaches the request (E77), must not leave the socket open (E87); so too a checked
                // exception it lets out undeclared (Kotlin, a sneaky throw), rethrown as it is (E109).
                closeQuietly(socket, e);
                throw e; // precise rethrow: an IOException or unchecked, as the compiler sees the try block
            }
        }
        boolean httpProxy = ConnectKey.isHttpProxy(proxy);
        int proxyPort = UriHost.port(proxy) != -1 ? UriHost.port(proxy)
                : proxy.getScheme().equalsIgnoreCase("https") ? 443 : httpProxy ? 80 : 1080;
        String what = "proxy " + ConnectKey.redacted(proxy);
        Socket tcp;
        try {
            tcp = connect(UriHost.host(proxy), proxyPort, what, true);
        } catch (java.net.UnknownHostException e) {
            throw namingThePeer(e, what); // a refused connect is named by connect() itself
        }
        try {
            // TLS to an https:// proxy first; the origin's TLS, if any, then runs inside it.
            Dialed toProxy = proxy.getScheme().equalsIgnoreCase("https")
                    ? handshake(tcp, tcp, UriHost.host(proxy), proxyPort, what) : new Dialed(tcp, tcp);
            if (key.forwardsToProxy()) {
                return toProxy; // plain http: requests go to the proxy in absolute form
            }
            if (httpProxy) {
                ProxyHandshake.connect(toProxy.socket(), tcp, key, limits, connectTimeout, connectHeaders, maxHeadBytes);
            } else {
                ProxyHandshake.socks5(toProxy.socket(), tcp, key, connectTimeout);
            }
            // Inside the tunnel: TLS with the origin, SNI and host name checked against the origin (R8).
            if (!key.tls()) {
                return toProxy;
            }
            Dialed toOrigin = handshake(toProxy.socket(), tcp, key.host(), key.port(), key.toString());
            return toProxy.tls() == null ? toOrigin : new Dialed(toOrigin.socket(), tcp, new NestedTls(toOrigin.tls(), toProxy.tls()));
        } catch (Throwable e) {
            // An Error too: the CONNECT fields' function and the TLS configuration are user code (E87); so too a
            // checked exception their code lets out undeclared (Kotlin, a sneaky throw), rethrown as it is (E109).
            closeQuietly(tcp, e);
            throw e; // precise rethrow: an IOException or unchecked, as the compiler sees the try block
        }
    }

    /**
     * The origin's TLS inside an https proxy's TLS: the origin's layer for what is written and delivered, and either
     * layer's word for a stream cut short or an output shut down (P33, R128). The TCP stream may end inside a proxy's
     * record between two of the origin's: the proxy's TLS socket then reports a plain end, which the origin's layer
     * reads as a clean end between its records, so only the proxy's layer knows the stream was cut. Before, that layer
     * was dropped once the origin's handshake was done, and a body that ends with the connection was taken whole.
     */
    private record NestedTls(Dialed.TlsLayer origin, Dialed.TlsLayer proxy) implements Dialed.TlsLayer {
        @Override
        public java.io.OutputStream output(java.io.OutputStream tlsOut) {
            return origin.output(tlsOut);
        }

        @Override
        public java.io.InputStream input(java.io.InputStream tlsIn) {
            return origin.input(tlsIn);
        }

        @Override
        public boolean readButNotDelivered() {
            return origin.readButNotDelivered(); // the proxy's layer delivers to the origin's, never to the reader
        }

        @Override
        public boolean endedInsideRecord() {
            return origin.endedInsideRecord() || proxy.endedInsideRecord();
        }

        @Override
        public boolean outputShutDown() {
            return origin.outputShutDown() || proxy.outputShutDown();
        }
    }

    /**
     * A refused connection (to the origin or the proxy), or an unresolvable proxy, of the same JDK type (a caller may
     * catch it) but with a message that names the peer, a proxy without its credentials (R52), as Go's "dial tcp
     * HOST:PORT" and "proxyconnect" errors do: the JDK's own message ("Connection refused") named neither, so a proxy
     * from {@code HTTPS_PROXY} that is down looked like the origin refusing, and among many hosts nobody could tell
     * which one refused (P71).
     */
    private static IOException namingThePeer(IOException e, String what) {
        String message = "connect to " + what + " failed: " + ThrowableText.message(e); // a Dialer's own, maybe (E77)
        IOException named = e instanceof java.net.UnknownHostException
                ? new java.net.UnknownHostException(message) : new java.net.ConnectException(message);
        named.initCause(e);
        // The failures of the other addresses tried (R1, R2) stay where a caller finds them.
        for (Throwable other : e.getSuppressed()) {
            named.addSuppressed(other);
        }
        return named;
    }

    /**
     * The dialer's connection to {@code host:port} ({@code what}: the origin, or a proxy if {@code toProxy}), its
     * failures worded for the caller.
     */
    private Socket connect(String host, int port, String what, boolean toProxy) throws IOException {
        String bare = io.gochan.http.internal.codec.HostLiteral.forDial(host); // an IPv6 zone picks the interface (R20)
        Socket socket;
        try {
            socket = io.gochan.http.internal.pool.DialPhase.userStep(() -> dialer.dial(bare, port, connectTimeout)); // E148
        } catch (SocketTimeoutException e) {
            throw new HttpTimeoutException(HttpTimeoutException.Kind.CONNECT,
                    "connect to " + what + " timed out after " + connectTimeout, e);
        } catch (java.net.ConnectException e) {
            // P71: the type kept (a caller may catch it), the peer named as every other dial failure names it: the
            // JDK's "Connection refused" named none, so among many hosts the caller could not tell which refused. A
            // refusal that wraps the refusal was named by its dialer already (the default one names the address it
            // tried, R82): passed on as it is, not named twice. A proxy's is still named as the proxy (R52), which
            // the address alone does not say.
            if (e.getCause() instanceof java.net.ConnectException && !toProxy) {
                throw e;
            }
            throw namingThePeer(e, what);
        } catch (java.net.UnknownHostException | java.io.InterruptedIOException e) {
            throw e; // specific JDK types a caller may catch: kept as they are
        } catch (java.net.SocketException e) {
            throw new HttpConnectionException("connect to " + what + " failed: " + ThrowableText.message(e), e);
        } catch (IOException e) {
            if (e instanceof HttpConnectionException || e instanceof io.gochan.http.HttpProtocolException
                    || e instanceof io.gochan.http.ProxyException) {
                // the transport's own types, from a dialer that sends through another transport: as they are (its
                // RequestCancelledException and HttpTimeoutException were passed on by the catches above)
                throw e;
            }
            // Dialer's contract: every other failure an HttpConnectionException (R3). Passed on as it was, a plain
            // IOException or a channel's ClosedChannelException named no peer and escaped a catch of that type.
            throw new HttpConnectionException("connect to " + what + " failed: " + ThrowableText.of(e), e);
        }
        if (socket == null) {
            throw new HttpConnectionException("connect to " + what + " failed: the dialer returned no socket", null);
        }
        return socket;
    }

    /**
     * TLS over {@code plain}, the whole handshake bounded by the handshake timeout (R28, {@link DialGuard}:
     * a peer trickling a TLS record a byte at a time never trips a timeout per read). The TLS socket reads
     * {@code plain} through a {@link TlsRecordWatch} (P33).
     */
    private Dialed handshake(Socket plain, Socket tcp, String host, int port, String what) throws IOException {
        SSLContext ctx = contextFor(sslContext, SSLContext::getDefault, what);
        TlsRecordWatch records = new TlsRecordWatch(plain);
        // A fully qualified name's trailing dot is no part of the name in SNI (RFC 6066 §3, which the JDK enforces
        // with an IllegalArgumentException) nor in the certificate's names: Go drops it for both (R46).
        String name = stripDot(host);
        javax.net.ssl.SSLSocketFactory factory = ctx.getSocketFactory();
        Socket made;
        try {
            made = factory.createSocket(records, name, port, true);
        } catch (IOException e) {
            // A caller's TLS context failed to make its socket (E149): the handshake's failure, worded as R69 words every
            // other one. Thrown as it was, it named neither the peer nor TLS. The TCP socket is closed by dial().
            throw handshakeFailed(e, what);
        }
        if (!(made instanceof SSLSocket ssl)) {
            throw notAnSslSocket(factory, made, what);
        }
        try {
            SSLParameters params = ssl.getSSLParameters();
            // A name with '_' (R40) is one the JDK refuses both as SNI and in its host name check: it goes
            // without SNI, and its certificate is checked here, after the handshake, as Go checks it.
            boolean underscore = host.indexOf('_') >= 0;
            // Text of digits and dots that is no dotted quad (2130706433, 127.000.000.001, an IPv6 literal's dotted end
            // likewise) the JDK's check reads as an IP address and matches against the certificate's IP names; Go's
            // net.ParseIP finds no address in it, so Go matches it as a DNS name (R117): checked here as a name too.
            String dialHost = HostLiteral.forDial(name);
            boolean checkedAsName = underscore || HostLiteral.isNumericNonAddress(dialHost);
            if (verifyHostname && !checkedAsName) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            }
            // SNI for every host but an IP literal as Go reads one (its hostnameInSNI asks net.ParseIP), so numeric
            // text that is no address to Go goes in SNI as well (R119); the JDK would leave it out, reading it as an
            // address by its wider grammar. An IPv6 literal whose dotted end Go refuses goes without: SNIHostName
            // refuses a ':' (and RFC 6066 any IP literal).
            boolean ipLiteral = dialHost.indexOf(':') >= 0 || HostLiteral.isDottedQuad(dialHost);
            if (!ipLiteral && !underscore && !name.isEmpty()) {
                params.setServerNames(List.of(new SNIHostName(name)));
            }
            params.setApplicationProtocols(new String[] {"http/1.1"});
            ssl.setSSLParameters(params);
            DialGuard.bounded(handshakeTimeout, tcp, "the TLS handshake", () -> {
                try {
                    ssl.startHandshake();
                } catch (javax.net.ssl.SSLException e) {
                    if (records.startedWithHttp()) { // Go's words (golang.org/issue/11111), P53
                        throw (SSLHandshakeException) new SSLHandshakeException("server gave HTTP response to HTTPS client: "
                                + what + " answered the TLS ClientHello in plain HTTP").initCause(e);
                    }
                    throw e;
                }
            });
            if (verifyHostname && checkedAsName) {
                verifyUnderscoreName(ssl, host);
            }
            if (!"TLSv1.3".equals(ssl.getSession().getProtocol())) {
                records.refuseRenegotiation(); // R47
            }
            return new Dialed(ssl, tcp, records);
        } catch (SocketTimeoutException e) {
            closeQuietly(ssl, e);
            throw new HttpTimeoutException(HttpTimeoutException.Kind.TLS_HANDSHAKE,
                    "TLS handshake with " + what + " timed out after " + handshakeTimeout, e);
        } catch (IOException e) {
            closeQuietly(ssl, e);
            throw handshakeFailed(e, what);
        } catch (Throwable e) {
            closeQuietly(ssl, e); // a trust or key manager's Error as well (E87), or what it let out undeclared
            throw e; // precise rethrow: unchecked only, the IOExceptions were caught above
        }
    }

    /** Where a dial without a TLS context of its own gets the JVM's default one ({@link SSLContext#getDefault()}). */
    @FunctionalInterface
    interface DefaultTls {
        /**
         * The JVM's default TLS context.
         *
         * @return the context
         * @throws java.security.NoSuchAlgorithmException if the JVM has none (its providers cannot make one)
         */
        SSLContext get() throws java.security.NoSuchAlgorithmException;
    }

    /**
     * The TLS context a dial to {@code what} uses: {@code given} (the transport's), or else the JVM's default. A JVM
     * that cannot make its default (a broken {@code java.security} configuration, a keystore it cannot read) fails the
     * dial as R69 words a failed handshake, an {@link SSLHandshakeException} that names TLS and the peer, the JDK's
     * failure as its cause (E151). Before, it was a bare {@link IOException} "no default TLS context" that named no
     * peer. Package-private, with the default as a parameter, so a test can make it fail without breaking the
     * JVM-wide default.
     */
    static SSLContext contextFor(SSLContext given, DefaultTls jvmDefault, String what) throws SSLHandshakeException {
        if (given != null) {
            return given;
        }
        try {
            return jvmDefault.get();
        } catch (java.security.NoSuchAlgorithmException e) {
            // The JDK's text (which names what its providers could not make), asked safely as every other one is.
            SSLHandshakeException failed = new SSLHandshakeException("TLS handshake with " + what
                    + " failed: no default TLS context (" + ThrowableText.messageOrType(e) + ")");
            failed.initCause(e);
            throw failed;
        }
    }

    /**
     * A TLS context's socket factory gave a socket that is no {@link SSLSocket} (or none) for the dial to {@code what}
     * (E152): that socket is closed (it may hold the TCP socket it was given, which {@code dial()} closes too) and the
     * dial fails with an {@link HttpConnectionException} that names the factory's class and the peer. Before, a bare
     * {@link ClassCastException} reached the caller, wrapped by the pool (E77), and the socket the factory made was
     * never closed.
     */
    private static HttpConnectionException notAnSslSocket(javax.net.ssl.SSLSocketFactory factory, Socket made, String what) {
        HttpConnectionException e = new HttpConnectionException("TLS to " + what + " failed: the TLS context's socket factory "
                + factory.getClass().getName() + " made " + (made == null ? "no socket" : "a " + made.getClass().getName()
                + ", not an SSLSocket"), null);
        if (made != null) {
            closeQuietly(made, e);
        }
        return e;
    }

    /**
     * A failed TLS handshake as the caller sees it (R69): an {@link SSLHandshakeException} that names the handshake
     * and the peer ({@code https://host:port}, or the proxy) and gives the JDK's words after them, its failure as the
     * cause: a certificate nobody trusts, one for another name, a peer that closed or reset the connection during the
     * handshake. The JDK's own exception named neither the peer nor, for a reset or a close, the handshake (a bare
     * {@code SocketException: Connection reset}). An interrupt (the request or the transport ending the dial) stays
     * what it is, and so does a failure that already names the peer (P53's plain-HTTP answer).
     */
    private static IOException handshakeFailed(IOException e, String what) {
        if (e instanceof java.io.InterruptedIOException || e instanceof HttpTimeoutException
                || (e instanceof SSLHandshakeException && ThrowableText.messageOrType(e).contains(what))) {
            return e;
        }
        // What a Dialer's socket threw through the handshake, maybe: its text asked safely (E77).
        String words = ThrowableText.messageOrType(e);
        return (IOException) new SSLHandshakeException("TLS handshake with " + what + " failed: " + words).initCause(e);
    }

    /**
     * Go's {@code VerifyHostname} for a DNS name (R40; also for numeric text that is no address to Go, R117): a {@code dNSName} of the leaf certificate's subject
     * alternative names equals {@code host}, case-insensitively, a trailing dot of either ignored, or is a
     * pattern whose first label is {@code *} and whose other labels equal the host's (the same number of
     * labels). The common name is not read, as Go no longer reads it.
     */
    private static void verifyUnderscoreName(SSLSocket ssl, String host) throws IOException {
        java.security.cert.Certificate[] chain = ssl.getSession().getPeerCertificates();
        if (chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate leaf) {
            java.util.Collection<List<?>> names;
            try {
                names = leaf.getSubjectAlternativeNames();
            } catch (java.security.cert.CertificateParsingException e) {
                SSLHandshakeException refused = new SSLHandshakeException("the certificate's names cannot be read: " + e.getMessage());
                refused.initCause(e); // the parser's own exception, with its stack, stays reachable
                throw refused;
            }
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() >= 2 && Integer.valueOf(2).equals(name.get(0)) && name.get(1) instanceof String dns
                            && matchesHostName(dns, host)) {
                        return;
                    }
                }
            }
        }
        throw new SSLHandshakeException("no name of the certificate matches " + host);
    }

    /** Go's {@code matchHostnames}: a {@code *} first label matches one label of {@code host} (never a lone {@code *}). */
    static boolean matchesHostName(String pattern, String host) {
        String p = stripDot(pattern).toLowerCase(java.util.Locale.ROOT);
        String h = stripDot(host).toLowerCase(java.util.Locale.ROOT);
        if (p.isEmpty() || h.isEmpty()) {
            return false;
        }
        String[] pl = p.split("\\.", -1);
        String[] hl = h.split("\\.", -1);
        if (pl.length != hl.length || (pl.length < 2 && pl[0].equals("*"))) {
            return false; // a lone "*" names no host (stricter than Go, as the JDK is)
        }
        for (int i = 0; i < pl.length; i++) {
            if (hl[i].isEmpty() || !(pl[i].equals(hl[i]) || (i == 0 && pl[i].equals("*")))) {
                return false;
            }
        }
        return true;
    }

    private static String stripDot(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * Closes a socket whose connection failed with {@code primary}: whatever its close throws (a {@code Dialer}'s socket
     * may throw anything) is added to {@code primary} as suppressed, never thrown in its place (E77, E84).
     *
     * @param s the socket
     * @param primary the failure that stands
     */
    public static void closeQuietly(Socket s, Throwable primary) {
        try {
            s.close();
        } catch (Throwable e) { // a checked exception a Dialer's socket lets out undeclared as well
            if (e != primary) {
                primary.addSuppressed(e);
            }
        }
    }
}
