package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E10, E29, E56, E62 and E63 on every phase of a proxied dial (R8, R9; docs/adr/0010): the proxy is a raw loopback
 * server whose first connection stalls in one phase (a {@link Dialer} holding the TCP connect to the proxy; the
 * {@code CONNECT} answer; the TLS handshake with an {@code https://} proxy; the origin's TLS handshake inside a
 * CONNECT or SOCKS5 tunnel; the SOCKS5 greeting, username/password and CONNECT replies; the answer to a plain http
 * request forwarded to the proxy) and the request is ended there by its context, an interrupt of its caller, its
 * timeout or {@link Transport#close()}: it throws that cancellation, interrupt or timeout, reports exactly one
 * {@code done()} with it, every counter is zero when it has thrown (its dial ended, E63), and under
 * {@code maxConnsPerHost(1)} the next request through the same proxy is served. {@link
 * Transport#closeIdleConnections()} in the same phase ends nothing: the dial goes on and its request is answered.
 * An audit found no defect here; this pins it.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyLifecycleProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Phase {
        PROXY_CONNECT("http", "https"), CONNECT_ANSWER("http", "https"), TUNNEL_TLS("http", "https"), HTTPS_PROXY_TLS("https", "http"),
        SOCKS_GREETING("socks5", "https"), SOCKS_AUTH("socks5", "https"), SOCKS_CONNECT("socks5", "http"),
        SOCKS_TUNNEL_TLS("socks5", "https"), FORWARDED_HEAD("http", "http");

        final String proxyScheme;
        final String origin;

        Phase(String proxyScheme, String origin) {
            this.proxyScheme = proxyScheme;
            this.origin = origin;
        }
    }

    static List<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Phase p : Phase.values()) {
            for (String how : List.of("context", "interrupt", "timeout", "close", "closeIdle")) {
                all.add(Arguments.of(p, how));
            }
        }
        return all;
    }

    /** Plays the proxy: the first connection stalls in {@code phase}; later ones serve (the origin is the proxy itself). */
    private final CountDownLatch release = new CountDownLatch(1);

    /** Stalls the script until the test releases it; true if it should go on (the client still wants it). */
    private boolean hold(CountDownLatch reached) throws InterruptedException {
        reached.countDown();
        return release.await(30, TimeUnit.SECONDS) && goOn;
    }

    private volatile boolean goOn;

    private void serve(Phase phase, RawServer.Conn c, CountDownLatch reached) throws Exception {
        boolean stall = c.index == 0;
        InputStream in = c.in;
        java.io.OutputStream out = c.out;
        SSLSocket proxyTls = null;
        if (phase.proxyScheme.equals("https")) {
            if (stall && phase == Phase.HTTPS_PROXY_TLS) {
                if (!goOn) {
                    in.read(); // the ClientHello has begun
                }
                if (!hold(reached)) {
                    return;
                }
            }
            proxyTls = JdkServer.serverTls(c.socket);
            proxyTls.startHandshake();
            in = proxyTls.getInputStream();
            out = proxyTls.getOutputStream();
        }
        if (phase.proxyScheme.equals("socks5")) {
            int n = in.readNBytes(2)[1];
            in.readNBytes(n);
            if (stall && phase == Phase.SOCKS_GREETING) {
                if (!hold(reached)) {
                    return;
                }
            }
            if (n == 2) {
                out.write(new byte[] {5, 2});
                out.flush();
                in.readNBytes(1);
                in.readNBytes(in.read());
                in.readNBytes(in.read());
                if (stall && phase == Phase.SOCKS_AUTH && !hold(reached)) {
                    return;
                }
                out.write(new byte[] {1, 0});
            } else {
                out.write(new byte[] {5, 0});
            }
            out.flush();
            in.readNBytes(4);
            in.readNBytes(in.read() + 2);
            if (stall && phase == Phase.SOCKS_CONNECT) {
                if (!hold(reached)) {
                    return;
                }
            }
            out.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 80});
            out.flush();
        } else if (phase.origin.equals("https")) {
            String head = readHead(in);
            assertThat(head).startsWith("CONNECT ");
            if (stall && phase == Phase.CONNECT_ANSWER) {
                if (!hold(reached)) {
                    return;
                }
            }
            out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        if (phase.origin.equals("https")) {
            if (stall && (phase == Phase.TUNNEL_TLS || phase == Phase.SOCKS_TUNNEL_TLS)) {
                if (!goOn) {
                    in.read(); // the ClientHello inside the tunnel has begun
                }
                if (!hold(reached)) {
                    return;
                }
            }
            if (proxyTls != null) {
                throw new AssertionError("TLS in TLS not scripted");
            }
            SSLSocket tls = JdkServer.serverTls(c.socket);
            tls.startHandshake();
            in = tls.getInputStream();
            out = tls.getOutputStream();
        }
        for (String h; (h = readHead(in)) != null; ) {
            if (stall && phase == Phase.FORWARDED_HEAD && !hold(reached)) {
                return;
            }
            stall = false;
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int state = 0;
        while (state < 4) {
            int ch = in.read();
            if (ch < 0) {
                return b.isEmpty() ? null : b.toString();
            }
            b.append((char) ch);
            state = (ch == '\r' && (state == 0 || state == 2)) || (ch == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toString();
    }

    @ParameterizedTest(name = "{0} ended by {1}")
    @MethodSource("cases")
    void E63_aProxiedDialEndedInAnyPhaseEndsItsRequestOnceAndLeavesNothing(Phase phase, String how) throws Exception {
        Dones dones = new Dones();
        CountDownLatch reached = new CountDownLatch(1);
        goOn = how.equals("closeIdle");
        try (RawServer proxy = RawServer.start(c -> serve(phase, c, reached))) {
            String userInfo = phase == Phase.SOCKS_AUTH ? "u:p@" : "";
            URI proxyUri = URI.create(phase.proxyScheme + "://" + userInfo + "127.0.0.1:" + proxy.port());
            Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).sslContext(JdkServer.clientTls())
                    .dialTimeout(Duration.ofSeconds(60)).tlsHandshakeTimeout(Duration.ofSeconds(60))
                    .dialer(new Dialer() {
                        final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);

                        @Override
                        public java.net.Socket dial(String host, int port, Duration timeout) throws IOException {
                            if (phase == Phase.PROXY_CONNECT && first.getAndSet(false)) {
                                try {
                                    if (!hold(reached)) {
                                        throw new IOException("test over");
                                    }
                                } catch (InterruptedException e) {
                                    throw new java.io.InterruptedIOException("dial interrupted");
                                }
                            }
                            java.net.Socket sock = new java.net.Socket();
                            sock.connect(new java.net.InetSocketAddress(host, port), (int) timeout.toMillis());
                            return sock;
                        }
                    })
                    .proxy(r -> Optional.of(proxyUri)).build();
            CancellableContext ctx = Context.withCancel(Context.background());
            HttpRequest req = HttpRequest.newBuilder(URI.create(phase.origin + "://localhost/first"))
                    .timeout(how.equals("timeout") ? Duration.ofSeconds(1) : Duration.ofSeconds(60)).build();
            Caller<Integer> caller = Caller.start(false, "caller", () -> {
                try (HttpResponse r = t.roundTrip(req, ctx)) {
                    return r.status();
                }
            });
            try {
                if (how.equals("timeout")) {
                    // Its own 1 s may pass before the phase on a loaded machine: it then times out in an earlier one.
                    Lifecycle.await(() -> reached.getCount() == 0 || !caller.thread.isAlive(), Lifecycle.BOUND, "the phase or the timeout");
                } else {
                    assertThat(reached.await(20, TimeUnit.SECONDS)).as("the proxy reached the phase").isTrue();
                }
                if (goOn) {
                    // Go's CloseIdleConnections leaves a dial in progress alone: the request gets its connection.
                    t.closeIdleConnections();
                    assertThat(caller.join(Duration.ofMillis(200))).as("closeIdleConnections ended nothing").isFalse();
                    release.countDown();
                    assertThat(caller.join(Duration.ofSeconds(20))).as("the request ended").isTrue();
                    assertThat(caller.error()).isNull();
                    assertThat(caller.value()).isEqualTo(200);
                    TransportStats s = t.stats();
                    assertThat(List.of(s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
                    assertThat(dones.done.get(req)).as("one done()").hasSize(1);
                } else {
                    switch (how) {
                        case "context" -> ctx.cancel();
                        case "interrupt" -> caller.thread.interrupt();
                        case "close" -> t.close();
                        default -> { } // its timeout
                    }
                    assertThat(caller.join(Duration.ofSeconds(10))).as("the request ended").isTrue();
                    Throwable e = caller.error();
                    switch (how) {
                        case "context" -> assertThat(e).isInstanceOfSatisfying(RequestCancelledException.class,
                                c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
                        case "interrupt" -> assertThat(e).isInstanceOf(InterruptedException.class);
                        case "close" -> assertThat(e).isInstanceOfSatisfying(RequestCancelledException.class,
                                c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
                        default -> assertThat(e).isInstanceOfSatisfying(HttpTimeoutException.class,
                                c -> assertThat(c.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
                    }
                    // E63: when the request has thrown, its dial has ended (no dialing, no slot held).
                    TransportStats s = t.stats();
                    assertThat(List.of(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
                    Leaks.awaitTrue(() -> dones.done.containsKey(req), "done()");
                    assertThat(dones.done.get(req)).as("one done()").hasSize(1);
                    assertThat(dones.done.get(req).get(0)).isSameAs(e);
                }
                if (!how.equals("close")) {
                    HttpRequest next = HttpRequest.newBuilder(URI.create(phase.origin + "://localhost/next"))
                            .timeout(Duration.ofSeconds(20)).build();
                    try (HttpResponse r = t.roundTrip(next)) {
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.body().stream().readAllBytes()).asString().isEqualTo("ok");
                    }
                    assertThat(dones.done.get(next)).hasSize(1);
                }
                t.close();
                TransportStats s2 = t.stats();
                assertThat(List.of(s2.open(), s2.idle(), s2.inUse(), s2.dialing(), s2.waiting())).as("%s", s2).containsOnly(0);
                if (reached.getCount() == 0) {
                    assertThat(proxy.failures()).isEmpty(); // else the script met the timed-out client's close
                }
            } finally {
                release.countDown();
                caller.abandon(t::close);
                t.close();
            }
        }
    }
}
