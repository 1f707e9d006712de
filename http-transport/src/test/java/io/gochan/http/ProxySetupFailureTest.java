package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rules R127 and R128 (docs/spec/transport-reach.md): a proxy that resets the connection, or asks to renegotiate TLS,
 * while the tunnel is set up fails the request with a {@link ProxyException} naming it; and a stream cut inside an
 * https proxy's TLS record under the origin's TLS is a cut stream. Found by session 44's proxy audit. Each dial leaves
 * nothing open.
 */
@NoGoroutineLeaks
class ProxySetupFailureTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** The failure of one request to {@code url} through {@code proxy}; the transport then holds nothing. */
    private static Throwable through(RawServer proxy, String scheme, String url) throws Exception {
        try (Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(10)).tlsHandshakeTimeout(Duration.ofSeconds(10))
                .sslContext(JdkServer.clientTls())
                .proxy(r -> Optional.of(URI.create(scheme + "://127.0.0.1:" + proxy.port()))).build()) {
            Throwable thrown = null;
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build();
            try {
                t.roundTrip(req).close();
            } catch (Throwable e) {
                thrown = e;
            }
            TransportStats s = t.stats();
            assertThat(List.of(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
            return thrown;
        }
    }

    /** A ProxyException naming the proxy and the target, with the socket's own failure as its cause. */
    private static void assertNamesTheProxy(Throwable e, RawServer proxy) {
        assertThat(e).as("%s", e).isInstanceOf(ProxyException.class)
                .hasMessageContaining("127.0.0.1:" + proxy.port()).hasMessageContaining("origin.test:443")
                .cause().isNotNull();
    }

    @Test
    void R127_aProxyResettingMidConnectAnswerIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 200 Connection established\r\nVia: hal");
            c.reset();
        })) {
            Throwable e = through(proxy, "http", "https://origin.test/");
            assertNamesTheProxy(e, proxy);
        }
    }

    @Test
    void R127_aProxyResettingBeforeItsAnswerIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.reset();
        })) {
            Throwable e = through(proxy, "http", "https://origin.test/");
            assertNamesTheProxy(e, proxy);
        }
    }

    @Test
    void R127_aSocks5ProxyResettingMidReplyIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.in.readNBytes(3);
            c.write(new byte[] {5, 0});
            c.in.readNBytes(4 + 1 + "origin.test".length() + 2);
            c.write(new byte[] {5, 0, 0});
            c.reset();
        })) {
            Throwable e = through(proxy, "socks5", "https://origin.test/");
            assertNamesTheProxy(e, proxy);
        }
    }

    @Test
    void R127_anHttpsProxyResettingMidConnectAnswerIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            SSLSocket tls = JdkServer.serverTls(c.socket);
            tls.startHandshake();
            RawServer.Conn t = c.over(tls);
            t.readRequestHead();
            t.write("HTTP/1.1 200 Connection established\r\nVia: hal");
            c.reset();
        })) {
            Throwable e = through(proxy, "https", "https://origin.test/");
            assertNamesTheProxy(e, proxy);
        }
    }

    /** R127 with R47: an https:// proxy (TLS 1.2) that asks to renegotiate instead of answering CONNECT is refused as a ProxyException. */
    @Test
    void R127_R47_anHttpsProxyAskingToRenegotiateInsteadOfAnsweringIsAProxyException() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            SSLSocket tls = JdkServer.serverTls(c.socket);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"});
            tls.startHandshake();
            RawServer.Conn t = c.over(tls);
            t.readRequestHead();
            try {
                tls.startHandshake(); // a HelloRequest
                t.write("HTTP/1.1 200 Connection established\r\n\r\n");
                t.readUntilClosed();
            } catch (java.io.IOException expected) {
                // the client went away
            }
        })) {
            Throwable e = through(proxy, "https", "https://origin.test/");
            assertNamesTheProxy(e, proxy);
        }
    }

    /**
     * R128 (P33 through an https:// proxy): the origin's body runs to the connection's end, and the TCP stream is cut
     * inside an outer (proxy) TLS record, at a boundary of the inner (origin) records. The body was cut short, whatever
     * the layers; Go's outer tls.Conn returns io.ErrUnexpectedEOF to the inner one. Before, through an https:// proxy to
     * an https origin the read ended cleanly. The other routes (direct, a plain http proxy's tunnel, plain http
     * forwarded over an https:// proxy) failed already.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"direct", "http-proxy", "https-proxy", "https-proxy-forwarded"})
    void R128_P33_aBodyToTheEndCutInsideARecordFailsWhateverTheLayers(String route) throws Exception {
        java.util.concurrent.CountDownLatch partRead = new java.util.concurrent.CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
            java.net.Socket carrier = c.socket;
            if (route.startsWith("https-proxy")) {
                SSLSocket outer = JdkServer.serverTls(c.socket);
                outer.startHandshake();
                carrier = outer;
            }
            if (route.equals("http-proxy") || route.equals("https-proxy")) {
                RawServer.Conn p = c.over(carrier);
                p.readRequestHead();
                p.write("HTTP/1.1 200 Connection established\r\n\r\n");
            }
            java.net.Socket innerSocket = carrier;
            if (!route.equals("https-proxy-forwarded")) {
                SSLSocket inner = JdkServer.serverTls(carrier);
                inner.startHandshake();
                innerSocket = inner;
            }
            RawServer.Conn o = c.over(innerSocket);
            o.readRequestHead();
            o.write("HTTP/1.1 200 OK\r\n\r\npart1");
            partRead.await(20, java.util.concurrent.TimeUnit.SECONDS);
            // A record header announcing 64 bytes, and 3 of them: then the TCP stream ends.
            java.io.OutputStream raw = c.socket.getOutputStream();
            raw.write(new byte[] {0x17, 0x03, 0x03, 0x00, 0x40, 1, 2, 3});
            raw.flush();
            c.socket.shutdownOutput();
            c.readUntilClosed();
        });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls())
                     .proxy(r -> route.equals("direct") ? Optional.empty()
                             : Optional.of(URI.create((route.startsWith("https-proxy") ? "https" : "http") + "://127.0.0.1:" + server.port())))
                     .build()) {
            String url = route.equals("direct") ? "https://127.0.0.1:" + server.port() + "/"
                    : route.equals("https-proxy-forwarded") ? "http://localhost/" : "https://localhost/";
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build();
            String body = null;
            Throwable failed = null;
            try (HttpResponse r = t.roundTrip(req)) {
                java.io.InputStream in = r.body().stream();
                byte[] first = in.readNBytes(5);
                assertThat(new String(first, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("part1");
                partRead.countDown();
                body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            } catch (java.io.IOException e) {
                failed = e;
            } finally {
                partRead.countDown();
            }
            assertThat(failed).as("body after part1: %s", body).isInstanceOf(HttpProtocolException.class);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "closed");
        }
    }

}
