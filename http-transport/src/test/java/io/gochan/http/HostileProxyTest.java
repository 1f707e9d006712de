package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile proxies (R10, docs/hostile-input.md): a proxy gets the strict treatment of a hostile origin.
 * Each case is a {@link RawServer} playing the proxy; the request is https, so the transport must set
 * up a CONNECT tunnel (or SOCKS5) and never gets as far as TLS.
 */
@NoGoroutineLeaks
class HostileProxyTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static Throwable connectThrough(RawServer proxy, String scheme, Duration dialTimeout) throws Exception {
        try (Transport t = Transport.builder().dialTimeout(dialTimeout)
                .proxy(r -> Optional.of(URI.create(scheme + "://127.0.0.1:" + proxy.port()))).build()) {
            Throwable thrown = null;
            try {
                t.roundTrip(HttpRequest.get("https://origin.test/")).close();
            } catch (Throwable e) {
                thrown = e;
            }
            assertThat(t.stats().open()).as("no connection kept").isZero();
            return thrown;
        }
    }

    @Test
    void R10_garbageAnswerToConnectIsAProxyExceptionWithTheProtocolReason() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("SSH-2.0-OpenSSH_9.6\r\n");
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("malformed response")
                    .cause().isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.MALFORMED_STATUS_LINE));
        }
    }

    /**
     * P73: a proxy's short answer that cannot begin a status line, then silence, fails the dial at once, not at the
     * dial timeout (before, the head reader waited for five bytes). The dial timeout is only a bound.
     */
    @Test
    void P73_aShortNonHttpAnswerToConnectFailsAtOnce() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("no\n"); // and stall until the client closes
            HostileServerTest.awaitClientClose(c, clientClosed);
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofSeconds(20)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("malformed response")
                    .cause().isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.MALFORMED_STATUS_LINE));
            assertThat(clientClosed.await(20, TimeUnit.SECONDS)).as("client closed the connection").isTrue();
        }
    }

    @Test
    void R10_aProxyClosingMidAnswerIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 200 Connection established\r\nVia: hal");
            c.socket.close();
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("proxy http://127.0.0.1:" + proxy.port())
                    .cause().isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.PREMATURE_EOF));
        }
    }

    @Test
    void R10_aProxyClosingWithoutAnswerIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.socket.close();
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("closed the connection without an answer");
        }
    }

    @Test
    void R10_aHugeHeaderFromTheProxyHitsTheResponseLimits() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 200 OK\r\n");
            String line = "X-Filler: " + "a".repeat(4000) + "\r\n";
            for (int i = 0; i < 100; i++) { // 400 KB of headers, over the 256 KiB limit
                c.write(line);
            }
            c.write("\r\n");
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class)
                    .cause().isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isIn(HttpProtocolException.Reason.HEADERS_TOO_LARGE,
                                    HttpProtocolException.Reason.TOO_MANY_HEADERS));
        }
    }

    @Test
    void R10_bytesAfterTheConnectAnswerAreRefused() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("sent bytes after its 200 answer");
        }
    }

    @Test
    void R10_aProxyThatNeverAnswersTimesOutWithinTheDialTimeout() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.in.read(); // until the client gives up
        })) {
            assertThat(connectThrough(proxy, "http", Duration.ofMillis(500)))
                    .isInstanceOfSatisfying(HttpTimeoutException.class,
                            e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.CONNECT))
                    .hasMessageContaining("did not answer");
        }
    }

    @Test
    void R28_aProxyTricklingItsAnswerTimesOutWithinTheDialTimeout() throws Exception {
        // One byte of a header value every 50 ms: each read returns before the socket's read timeout,
        // so a timeout per read never fired and the dial lasted as long as the proxy liked (hours, to the
        // 256 KiB head limit). The dial timeout now bounds the whole CONNECT answer.
        try (Trickle trickle = new Trickle(); RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 200 Connection established\r\nX-Slow: ");
            trickle.bytes(c, (byte) 'a');
        });
             Transport t = Transport.builder().dialTimeout(Duration.ofMillis(500))
                     .proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port()))).build()) {
            // The request's own timeout is only the test's safety net: the old code ended there, kind REQUEST.
            assertDialTimesOut(t, "https://origin.test/", HttpTimeoutException.Kind.CONNECT, "did not answer");
        }
    }

    @Test
    void R28_anHttpsProxyTricklingItsTlsHandshakeTimesOutWithinTheHandshakeTimeout() throws Exception {
        // An https:// proxy announces a 16 KiB TLS record and sends it a byte every 50 ms: the JDK's TLS
        // waits for the whole record, each read returning within the read timeout, so a timeout per read
        // never fired. The handshake timeout now bounds the whole handshake.
        try (Trickle trickle = new Trickle(); RawServer proxy = RawServer.start(trickle::tlsRecord);
             Transport t = Transport.builder().tlsHandshakeTimeout(Duration.ofMillis(500))
                     .proxy(r -> Optional.of(URI.create("https://127.0.0.1:" + proxy.port()))).build()) {
            assertDialTimesOut(t, "https://origin.test/", HttpTimeoutException.Kind.TLS_HANDSHAKE, "127.0.0.1");
        }
    }

    @Test
    void R28_aSocks5ProxyTricklingItsAnswerTimesOutWithinTheDialTimeout() throws Exception {
        // The CONNECT reply announces a 255-byte bound host name and sends it a byte every 50 ms.
        try (Trickle trickle = new Trickle(); RawServer proxy = RawServer.start(c -> {
            c.in.readNBytes(3); // version 5, one method: none
            c.write(new byte[] {5, 0, 5, 0, 0, 3, (byte) 255}); // method none; succeeded, a domain of 255 bytes
            trickle.bytes(c, (byte) 'a');
        });
             Transport t = Transport.builder().dialTimeout(Duration.ofMillis(500))
                     .proxy(r -> Optional.of(URI.create("socks5://127.0.0.1:" + proxy.port()))).build()) {
            assertDialTimesOut(t, "https://origin.test/", HttpTimeoutException.Kind.CONNECT, "did not answer");
        }
    }

    @Test
    void R28_anOriginTricklingItsTlsHandshakeTimesOutWithinTheHandshakeTimeout() throws Exception {
        // No proxy: the origin itself trickles a 16 KiB TLS record.
        try (Trickle trickle = new Trickle(); RawServer origin = RawServer.start(trickle::tlsRecord);
             Transport t = Transport.builder().tlsHandshakeTimeout(Duration.ofMillis(500)).build()) {
            assertDialTimesOut(t, "https://127.0.0.1:" + origin.port() + "/", HttpTimeoutException.Kind.TLS_HANDSHAKE, "timed out");
        }
    }

    @Test
    void R28_anOriginTricklingItsTlsHandshakeInsideATunnelTimesOutWithinTheHandshakeTimeout() throws Exception {
        // The proxy opens the tunnel at once; what comes through it, the origin's TLS, trickles. The timer
        // closes the TCP socket under the tunnel: the TLS layer reading inside it sees its end.
        try (Trickle trickle = new Trickle(); RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 200 Connection established\r\n\r\n");
            trickle.tlsRecord(c);
        });
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(20)).tlsHandshakeTimeout(Duration.ofMillis(500))
                     .proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port()))).build()) {
            assertDialTimesOut(t, "https://origin.test/", HttpTimeoutException.Kind.TLS_HANDSHAKE, "origin.test");
        }
    }

    /**
     * One request through {@code t} fails with a timeout of {@code kind} (its own 20 s timeout is only the
     * test's safety net: kind REQUEST), and the dial leaves no connection behind.
     */
    private static void assertDialTimesOut(Transport t, String url, HttpTimeoutException.Kind kind, String message) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build();
        assertThatThrownBy(() -> t.roundTrip(req).close())
                .isInstanceOfSatisfying(HttpTimeoutException.class, e -> assertThat(e.kind()).isEqualTo(kind))
                .hasMessageContaining(message);
        Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "the dial ended, its socket closed");
    }

    /** A hostile peer's pace: a byte every 50 ms until the test closes it. */
    private static final class Trickle implements AutoCloseable {
        private final CountDownLatch stop = new CountDownLatch(1);

        /** Sends {@code b} every 50 ms until closed. */
        void bytes(RawServer.Conn c, byte b) throws Exception {
            while (!stop.await(50, TimeUnit.MILLISECONDS)) { // the pace of a hostile peer, not an ordering
                c.write(new byte[] {b});
            }
        }

        /** Waits for the ClientHello, then announces a 16 KiB handshake record and trickles it. */
        void tlsRecord(RawServer.Conn c) throws Exception {
            c.in.read(); // the ClientHello has begun
            c.write(new byte[] {0x16, 0x03, 0x03, 0x40, 0x00});
            bytes(c, (byte) 0x02);
        }

        @Override
        public void close() {
            stop.countDown();
        }
    }

    @Test
    void R10_aSocks5ServerSpeakingAnotherProtocolIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.in.readNBytes(3);
            c.write("HTTP/1.1 400 Bad Request\r\n\r\n");
        })) {
            assertThat(connectThrough(proxy, "socks5", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("is not a SOCKS5 server");
        }
    }

    @Test
    void R10_aSocks5ServerClosingMidHandshakeIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.in.readNBytes(3);
            c.write(new byte[] {5});
            c.socket.close();
        })) {
            assertThat(connectThrough(proxy, "socks5", Duration.ofSeconds(10)))
                    .isInstanceOf(ProxyException.class).hasMessageContaining("closed the connection in the middle of its answer");
        }
    }
    /**
     * R33: a SOCKS5 proxy's answer to the username and password must carry RFC 1929's version, 1 (Go's socks
     * client checks it too). One that answers {@code 5 0} (a SOCKS5 version byte and "success") is not
     * answering our credentials: a ProxyException says so, and the tunnel is never asked for. Before, it
     * was taken as success and the CONNECT sent.
     */
    @Test
    void R33_aSocks5AuthenticationReplyWithAnotherVersionIsAProxyException() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean connectSent = new java.util.concurrent.atomic.AtomicBoolean();
        try (RawServer proxy = RawServer.start(c -> {
            c.in.readNBytes(4);                  // 5, 2 methods: none, username/password
            c.write(new byte[] {5, 2});          // username/password
            c.in.readNBytes(2 + 4 + 1 + 4);      // 1, len, "user", len, "pass"
            c.write(new byte[] {5, 0});          // not RFC 1929's version 1
            if (c.in.read() >= 0) {
                connectSent.set(true);
            }
        })) {
            Throwable e;
            try (Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(10))
                    .proxy(r -> Optional.of(URI.create("socks5://user:pass@127.0.0.1:" + proxy.port()))).build()) {
                e = null;
                try {
                    t.roundTrip(HttpRequest.get("http://origin.test/")).close();
                } catch (Throwable x) {
                    e = x;
                }
                assertThat(t.stats().open()).isZero();
            }
            assertThat(e).isInstanceOf(ProxyException.class).hasMessageContaining("authentication reply version 5");
            assertThat(connectSent).as("a CONNECT sent after the bad reply").isFalse();
        }
    }

    /**
     * R33: a host made of digits and dots is an IPv4 address in a SOCKS5 CONNECT only when it is four decimal
     * octets as Go's {@code net.ParseIP} reads them; {@code 123} and {@code 010.0.0.1} are names for the proxy
     * to resolve (address type 3), never the addresses the JDK's lenient parser makes of them (0.0.0.123,
     * 10.0.0.1). Before, both went out as IPv4 addresses. ({@code 1.2.3} is no host to {@code java.net.URI}.)
     */
    @Test
    void R33_onlyAFourOctetHostIsSentAsAnIpv4AddressThroughSocks5() throws Exception {
        java.util.Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
        for (String host : List.of("123", "010.0.0.1", "192.0.2.7")) {
            try (RawServer proxy = RawServer.start(c -> {
                c.in.readNBytes(3);              // 5, 1 method: none
                c.write(new byte[] {5, 0});
                byte[] head = c.in.readNBytes(4); // 5, CONNECT, 0, address type
                String what;
                if (head[3] == 3) {
                    int len = c.in.read();
                    what = "name " + new String(c.in.readNBytes(len), java.nio.charset.StandardCharsets.US_ASCII);
                } else if (head[3] == 1) {
                    byte[] a = c.in.readNBytes(4);
                    what = "ipv4 " + (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
                } else {
                    what = "type " + head[3];
                }
                seen.put(host, what);
                c.write(new byte[] {5, 4, 0, 1, 0, 0, 0, 0, 0, 0}); // host unreachable
            });
                 Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(10))
                         .proxy(r -> Optional.of(URI.create("socks5://127.0.0.1:" + proxy.port()))).build()) {
                assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://" + host + "/")).close())
                        .isInstanceOf(ProxyException.class);
            }
        }
        assertThat(seen).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                "123", "name 123", "010.0.0.1", "name 010.0.0.1", "192.0.2.7", "ipv4 192.0.2.7"));
    }

    /** R40: a SOCKS5 proxy named with '_' is the host dialled, and an origin named with '_' goes to it as a name. */
    @Test
    void R40_underscoreNamesReachASocks5ProxyAndGoThroughItAsNames() throws Exception {
        List<String> dialed = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (RawServer proxy = RawServer.start(c -> {
                c.in.readNBytes(3);              // 5, 1 method: none
                c.write(new byte[] {5, 0});
                byte[] head = c.in.readNBytes(4); // 5, CONNECT, 0, address type
                if (head[3] == 3) {
                    int len = c.in.read();
                    String name = new String(c.in.readNBytes(len), java.nio.charset.StandardCharsets.US_ASCII);
                    byte[] port = c.in.readNBytes(2);
                    sent.add("name " + name + ":" + (((port[0] & 0xff) << 8) | (port[1] & 0xff)));
                } else {
                    sent.add("type " + head[3]);
                }
                c.write(new byte[] {5, 4, 0, 1, 0, 0, 0, 0, 0, 0}); // host unreachable
            });
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(10))
                     .proxy(Proxies.of("socks5h://socks_1.internal:1080", null, null))
                     .dialer((host, port, timeout) -> {
                         dialed.add(host + ":" + port);
                         return new java.net.Socket("127.0.0.1", proxy.port());
                     }).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://my_service:8080/")).close())
                    .isInstanceOf(ProxyException.class).hasMessageContaining("socks5h://socks_1.internal:1080");
        }
        assertThat(dialed).containsExactly("socks_1.internal:1080");
        assertThat(sent).containsExactly("name my_service:8080");
    }

    /**
     * R33: RFC 1928's reply to CONNECT has a reserved byte that is 0; a reply that says "succeeded" with another value
     * there is refused as Go's socks client refuses it ("non-zero reserved field"): a ProxyException names it, and the
     * request never goes through the tunnel. Before, the reply was taken as success, the request sent through, and
     * the proxy's 200 returned ("Expecting code to raise a throwable").
     */
    @Test
    void R33_aSocks5ReplyWithANonZeroReservedByteIsAProxyException() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean tunnelled = new java.util.concurrent.atomic.AtomicBoolean();
        try (RawServer proxy = RawServer.start(c -> {
                 c.in.readNBytes(3);                          // 5, 1 method: none
                 c.write(new byte[] {5, 0});
                 c.in.readNBytes(4 + 1 + "origin.test".length() + 2); // 5, CONNECT, 0, type 3, the name, the port
                 c.write(new byte[] {5, 0, 1, 1, 127, 0, 0, 1, 0, 80}); // succeeded, but a reserved byte of 1
                 if (c.readRequestHead() != null) {
                     tunnelled.set(true);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     c.readUntilClosed();
                 }
             });
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(10))
                     .proxy(r -> Optional.of(URI.create("socks5://127.0.0.1:" + proxy.port()))).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://origin.test/")).close())
                    .isInstanceOf(ProxyException.class).hasMessageContaining("non-zero reserved byte 1");
            assertThat(t.stats().open()).as("no connection kept").isZero();
        }
        assertThat(tunnelled).as("a request sent through the tunnel after the bad reply").isFalse();
    }

    /**
     * A dialer whose sockets' reads return 0 bytes, never a byte, which {@code InputStream.read} must not do (it blocks
     * until a byte is available); after a million such reads, the end of the stream, so that no reader spins for ever.
     */
    private static Dialer zeroByteReads() {
        return HookedSocket.dialer(() -> new HookedSocket() {
            private final java.util.concurrent.atomic.AtomicInteger zeros = new java.util.concurrent.atomic.AtomicInteger();

            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) {
                return zeros.incrementAndGet() <= 1_000_000 ? 0 : -1;
            }
        });
    }

    /** The outcome of a request for {@code url} through {@code proxyUri} over {@link #zeroByteReads()} sockets. */
    private static Object throughZeroByteReads(String proxyUri, String url) throws Exception {
        try (Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(30)).dialer(zeroByteReads())
                .proxy(r -> Optional.of(URI.create(proxyUri))).build()) {
            Object outcome = Leaks.outcomeWithin10s("a dial through a proxy whose socket makes no progress", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(url))) {
                    return r.status();
                }
            });
            Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "nothing kept: " + t.stats());
            return outcome;
        }
    }

    /**
     * R33 (P80's bound): the socket to a SOCKS5 proxy, a {@link Dialer}'s, whose reads return 0 bytes. The handshake
     * asks again up to the connection input's bound, then fails at once with a ProxyException saying the stream made no
     * progress, well before the dial timeout (30 s). Before, {@code readNBytes} asked again without end, spinning; here
     * the socket answers -1 after a million such reads, so the old code ended with "closed the connection in the middle
     * of its answer", and the message check failed.
     */
    @Test
    void R33_aSocks5ProxySocketWhoseReadsMakeNoProgressFailsTheDialSayingSo() throws Exception {
        try (RawServer proxy = RawServer.start(c -> c.readUntilClosed())) {
            assertThat(throughZeroByteReads("socks5://127.0.0.1:" + proxy.port(), "http://origin.test/"))
                    .isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e).hasMessageContaining("made no progress"));
        }
    }

    /**
     * R10 (P80): the same socket to an HTTP proxy, whose {@code CONNECT} answer is read through the connection's input:
     * its bound fails the read, and the dial fails with a ProxyException (every failure of the setup is one, R10) whose
     * message says the stream made no progress. Before, the input's own exception, of an internal package, reached the
     * caller as it was (E10), and the type check failed.
     */
    @Test
    void R10_anHttpProxySocketWhoseReadsMakeNoProgressIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> c.readUntilClosed())) {
            assertThat(throughZeroByteReads("http://127.0.0.1:" + proxy.port(), "https://origin.test/"))
                    .isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e).hasMessageContaining("made no progress"));
        }
    }
}
