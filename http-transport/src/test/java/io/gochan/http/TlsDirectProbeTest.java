package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Direct {@code https://} requests (no proxy) against Go's {@code dialConn}/{@code addTLS}: R117, a host of digits and
 * dots that is no dotted quad is checked against the certificate as a name, never as the address the JDK reads in it;
 * and the guards of an audit that found nothing else (E141, R118): a body cut short or corrupted under TLS is an error
 * whatever ends it, each way of giving up ends a stalled handshake or body read promptly and gives the slot back, the
 * host name check refuses an IP literal a certificate does not name (IPv4, IPv6) also after a session made without
 * the check, and a handshake refused for ALPN or the TLS version fails once.
 */
@NoGoroutineLeaks
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsDirectProbeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }


    private static void drain(RawServer.Conn c) {
        try {
            while (c.in.read() >= 0) {
                // until the client closes
            }
        } catch (IOException e) {
            // closed by the client
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"length/close_notify", "length/fin", "length/close_notify+fin", "chunked/close_notify",
            "chunked/fin", "length/shutdownOutput"})
    void E141_aTlsBodyCutShortIsAnErrorWithOrWithoutCloseNotify(String how) throws Exception {
        boolean chunked = how.startsWith("chunked");
        try (RawServer server = RawServer.start(c -> {
                 c.socket.setTcpNoDelay(true);
                 SSLSocket tls = JdkServer.serverTls(c.socket);
                 tls.startHandshake();
                 InputStream in = tls.getInputStream();
                 OutputStream out = tls.getOutputStream();
                 RawServer.skipRequestHead(in);
                 String head = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                         : "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello";
                 out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                 out.flush();
                 if (how.endsWith("/close_notify")) {
                     tls.close();
                     drain(c);
                 } else if (how.endsWith("shutdownOutput")) {
                     tls.shutdownOutput();
                     drain(c);
                 } else if (how.endsWith("close_notify+fin")) {
                     tls.close();
                     c.socket.close();
                 } else {
                     c.socket.close();
                 }
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(
                    java.net.URI.create("https://localhost:" + server.port() + "/")).timeout(WAIT).build())) {
                assertThatThrownBy(() -> r.body().bytes()).as(how).isInstanceOf(IOException.class);
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().idle() == 0, "closed");
        }
    }

    @Test
    void R118_anIpLiteralIsRefusedByACertificateForNamesOnly() throws Exception {
        try (JdkServer s = JdkServer.httpsFor("localhost", ex -> JdkServer.respond(ex, 200, "ok"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("localhost")).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(s.localhostUri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(s.uri("/").toString())))
                    .isInstanceOf(SSLHandshakeException.class);
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    @Test
    void R118_aServerThatRefusesHttp11InAlpnFailsTheHandshakeOnce() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 SSLSocket tls = JdkServer.serverTls(c.socket);
                 javax.net.ssl.SSLParameters p = tls.getSSLParameters();
                 p.setApplicationProtocols(new String[] {"h2"});
                 tls.setSSLParameters(p);
                 try {
                     tls.startHandshake();
                 } catch (IOException e) {
                     // refused
                 }
                 drain(c);
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://localhost:" + server.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasMessageStartingWith("TLS handshake with https://localhost:" + server.port() + " failed: ")
                    .hasMessageContaining("no_application_protocol");
            assertThat(server.accepted()).isEqualTo(1);
            Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "closed");
        }
    }

    @Test
    void R118_aTlsVersionMismatchFailsTheHandshakeOnce() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 SSLSocket tls = JdkServer.serverTls(c.socket);
                 tls.setEnabledProtocols(new String[] {"TLSv1.3"});
                 try {
                     tls.startHandshake();
                 } catch (IOException e) {
                     // refused
                 }
                 drain(c);
             })) {
            javax.net.ssl.SSLContext ctx = JdkServer.clientTls();
            try (Transport t = Transport.builder().sslContext(new javax.net.ssl.SSLContext(
                    new Only12(ctx), ctx.getProvider(), "TLS") { }).build()) {
                assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://localhost:" + server.port() + "/")))
                        .isInstanceOf(SSLHandshakeException.class)
                        .hasMessageStartingWith("TLS handshake with https://localhost:" + server.port() + " failed: ")
                        .hasMessageContaining("protocol_version");
                assertThat(server.accepted()).isEqualTo(1);
                Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "closed");
            }
        }
    }

    /** A context whose client sockets enable TLS 1.2 only, the test certificate trusted as by {@code d}. */
    static final class Only12 extends javax.net.ssl.SSLContextSpi {
        private final javax.net.ssl.SSLContext d;

        Only12(javax.net.ssl.SSLContext d) {
            this.d = d;
        }

        @Override protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm,
                java.security.SecureRandom sr) { }
        @Override protected javax.net.ssl.SSLSocketFactory engineGetSocketFactory() {
            javax.net.ssl.SSLSocketFactory f = d.getSocketFactory();
            return new javax.net.ssl.SSLSocketFactory() {
                private java.net.Socket only(java.net.Socket s) {
                    ((SSLSocket) s).setEnabledProtocols(new String[] {"TLSv1.2"});
                    return s;
                }
                @Override public String[] getDefaultCipherSuites() { return f.getDefaultCipherSuites(); }
                @Override public String[] getSupportedCipherSuites() { return f.getSupportedCipherSuites(); }
                @Override public java.net.Socket createSocket(java.net.Socket s, String h, int p, boolean a) throws IOException { return only(f.createSocket(s, h, p, a)); }
                @Override public java.net.Socket createSocket(String h, int p) throws IOException { return only(f.createSocket(h, p)); }
                @Override public java.net.Socket createSocket(String h, int p, InetAddress l, int lp) throws IOException { return only(f.createSocket(h, p, l, lp)); }
                @Override public java.net.Socket createSocket(InetAddress h, int p) throws IOException { return only(f.createSocket(h, p)); }
                @Override public java.net.Socket createSocket(InetAddress h, int p, InetAddress l, int lp) throws IOException { return only(f.createSocket(h, p, l, lp)); }
            };
        }
        @Override protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() { return d.getServerSocketFactory(); }
        @Override protected javax.net.ssl.SSLEngine engineCreateSSLEngine() { return d.createSSLEngine(); }
        @Override protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String h, int p) { return d.createSSLEngine(h, p); }
        @Override protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() { return d.getServerSessionContext(); }
        @Override protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() { return d.getClientSessionContext(); }
    }

    @Test
    void E141_theHandshakeTimeoutNamesTheHandshakeAndGivesTheSlotBack() throws Exception {
        CountDownLatch two = new CountDownLatch(2);
        try (RawServer server = RawServer.start(c -> {
                 two.countDown();
                 drain(c);
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).maxConnsPerHost(1)
                     .tlsHandshakeTimeout(Duration.ofMillis(500)).build()) {
            for (int i = 0; i < 2; i++) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://localhost:" + server.port() + "/")))
                        .isInstanceOfSatisfying(HttpTimeoutException.class,
                                e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.TLS_HANDSHAKE));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            }
            assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
            Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "closed");
        }
    }

    @Test
    void R118_aSessionMadeWithoutTheHostNameCheckIsNotResumedByAVerifyingTransport() throws Exception {
        javax.net.ssl.SSLContext ctx = JdkServer.clientTls();
        Resolver r = host -> List.of(InetAddress.getByName("127.0.0.1"));
        try (JdkServer s = JdkServer.https(ex -> JdkServer.respond(ex, 200, "ok"))) {
            String uri = "https://wrong.test:" + s.port() + "/";
            try (Transport lax = Transport.builder().sslContext(ctx).resolver(r).verifyHostname(false).build()) {
                try (HttpResponse resp = lax.roundTrip(HttpRequest.get(uri))) {
                    assertThat(resp.body().string()).isEqualTo("ok");
                }
            }
            try (Transport strict = Transport.builder().sslContext(ctx).resolver(r).build()) {
                assertThatThrownBy(() -> strict.roundTrip(HttpRequest.get(uri)))
                        .isInstanceOf(SSLHandshakeException.class);
            }
        }
    }

    @Test
    void E141_closingTheTransportEndsEveryStalledHandshake() throws Exception {
        int n = 6;
        CountDownLatch stalled = new CountDownLatch(n);
        try (RawServer server = RawServer.start(c -> {
                 c.in.read();
                 stalled.countDown();
                 drain(c);
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            List<Lifecycle.Caller<Void>> callers = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                boolean virtual = i % 2 == 0;
                callers.add(Lifecycle.Caller.start(virtual, "hs-" + i, () -> {
                    try (HttpResponse resp = t.roundTrip(HttpRequest.get("https://localhost:" + server.port() + "/"))) {
                        return null;
                    }
                }));
            }
            assertThat(stalled.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            t.close();
            for (Lifecycle.Caller<Void> c : callers) {
                assertThat(c.join(WAIT)).isTrue();
                assertThat(c.error()).isInstanceOf(IOException.class);
            }
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialing()).isZero();
        }
    }

    @Test
    void R118_anIpv6LiteralIsCheckedAgainstTheCertificatesAddressesAndItsConnectionReused() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (JdkServer good = JdkServer.httpsOn(v6, "ip:::1", ex -> JdkServer.respond(ex, 200, "ok"));
             JdkServer bad = JdkServer.httpsOn(v6, "dns:localhost,ip:127.0.0.1", ex -> JdkServer.respond(ex, 200, "ok"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTrustingSan("ip:::1")).build();
             Transport t2 = Transport.builder().sslContext(JdkServer.clientTrustingSan("dns:localhost,ip:127.0.0.1")).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get("https://[::1]:" + good.port() + "/"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.get("https://[::1]:" + good.port() + "/"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThatThrownBy(() -> t2.roundTrip(HttpRequest.get("https://[::1]:" + bad.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {true, false})
    void E141_theRequestTimeoutEndsAStalledHandshakeAndGivesTheSlotBack(boolean virtual) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     drain(c);
                 } else {
                     SSLSocket tls = JdkServer.serverTls(c.socket);
                     tls.startHandshake();
                     RawServer.skipRequestHead(tls.getInputStream());
                     tls.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                     tls.getOutputStream().flush();
                     drain(c);
                 }
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).maxConnsPerHost(1).build()) {
            String uri = "https://localhost:" + server.port() + "/";
            Lifecycle.Caller<Void> c = Lifecycle.Caller.start(virtual, "timeout", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(java.net.URI.create(uri))
                        .timeout(Duration.ofMillis(400)).build())) {
                    return null;
                }
            });
            long start = System.nanoTime();
            assertThat(c.join(WAIT)).isTrue();
            assertThat(c.error()).isInstanceOf(HttpTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(java.net.URI.create(uri)).timeout(WAIT).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cancel", "timeout", "close", "interrupt", "interrupt-platform"})
    void E141_aTlsBodyReadWaitingOnTheServerEndsPromptlyForEachWayOfGivingUp(String how) throws Exception {
        CountDownLatch sent = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 SSLSocket tls = JdkServer.serverTls(c.socket);
                 tls.startHandshake();
                 RawServer.skipRequestHead(tls.getInputStream());
                 tls.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello".getBytes(StandardCharsets.ISO_8859_1));
                 tls.getOutputStream().flush();
                 sent.countDown();
                 drain(c);
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            io.gochan.CancellableContext ctx = io.gochan.Context.withCancel(io.gochan.Context.background());
            HttpRequest.Builder b = HttpRequest.newBuilder(java.net.URI.create("https://localhost:" + server.port() + "/"));
            if (how.equals("timeout")) {
                b.timeout(Duration.ofMillis(800));
            }
            HttpRequest req = b.build();
            CountDownLatch reading = new CountDownLatch(1);
            Lifecycle.Caller<Void> c = Lifecycle.Caller.start(!how.equals("interrupt-platform"), "body", () -> {
                try (HttpResponse r = t.roundTrip(req, ctx)) {
                    InputStream in = r.body().stream();
                    in.read(new byte[5]);
                    reading.countDown();
                    in.readAllBytes();
                    return null;
                }
            });
            assertThat(sent.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(reading.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            switch (how) {
                case "cancel" -> ctx.cancel();
                case "close" -> t.close();
                case "interrupt", "interrupt-platform" -> c.thread.interrupt();
                default -> { }
            }
            assertThat(c.join(WAIT)).isTrue();
            assertThat(c.error()).isNotNull();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            t.close();
            assertThat(t.stats().open()).isZero();
            ctx.cancel();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"length", "until-close", "chunked"})
    void E141_aCorruptTlsRecordInABodyIsAnError(String framing) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.socket.setTcpNoDelay(true);
                 SSLSocket tls = JdkServer.serverTls(c.socket);
                 tls.startHandshake();
                 RawServer.skipRequestHead(tls.getInputStream());
                 String head = switch (framing) {
                     case "length" -> "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello";
                     case "chunked" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
                     default -> "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello";
                 };
                 tls.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                 tls.getOutputStream().flush();
                 c.out.write(new byte[] {23, 3, 3, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
                 c.out.flush();
                 drain(c);
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(
                    java.net.URI.create("https://localhost:" + server.port() + "/")).timeout(WAIT).build())) {
                assertThatThrownBy(() -> r.body().bytes()).as(framing).isInstanceOf(IOException.class);
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().idle() == 0, "closed");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2130706433", "127.000.000.001", "127.0.0.01"})
    void R117_numericTextThatIsNoAddressIsCheckedAsANameNotAsTheAddressTheJdkReads(String host) throws Exception {
        Resolver r = h -> List.of(InetAddress.getByName("127.0.0.1"));
        try (JdkServer s = JdkServer.https(ex -> JdkServer.respond(ex, 200, "ok"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).resolver(r).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://" + host + ":" + s.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasMessageStartingWith("TLS handshake with https://" + host + ":" + s.port() + " failed: ")
                    .hasMessageContaining("no name of the certificate matches " + host);
            assertThat(t.stats().open()).isZero();
        }
    }
}
