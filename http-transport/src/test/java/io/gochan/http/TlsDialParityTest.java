package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS dial against hostile or misconfigured servers, next to Go 1.19's {@code dialConn}/{@code addTLS}
 * and {@code crypto/tls} client defaults: a plain-HTTP server (P53), a server that never speaks TLS (R28, E10, E57),
 * a certificate for another name (never retried on another address), the ClientHello's ALPN, SNI and versions
 * (R46; R119, numeric text that is no address to Go in SNI), and a TLS 1.2 server that asks to renegotiate (R47).
 */
@NoGoroutineLeaks
class TlsDialParityTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Reads until the client closes (EOF or reset), then counts down. */
    private static void awaitClientClose(RawServer.Conn c, CountDownLatch clientClosed) throws IOException {
        try {
            while (c.in.read() >= 0) {
                // whatever the client still sends
            }
        } catch (SocketException e) {
            // reset by the client: closed as well
        }
        clientClosed.countDown();
    }

    /** A resolver that answers {@code name} with the given addresses and everything else as the system does. */
    private static Resolver resolving(String name, InetAddress... addresses) {
        return host -> host.equalsIgnoreCase(name) ? List.of(addresses) : List.of(InetAddress.getAllByName(host));
    }

    /** TLS on {@code c} (the test certificate: localhost, 127.0.0.1) answering every GET with 200 "ok". */
    private static void serveTls(RawServer.Conn c, String... protocols) throws Exception {
        c.socket.setTcpNoDelay(true);
        try (SSLSocket tls = JdkServer.serverTls(c.socket)) {
            if (protocols.length > 0) {
                tls.setEnabledProtocols(protocols);
            }
            tls.startHandshake();
            InputStream in = tls.getInputStream();
            OutputStream out = tls.getOutputStream();
            while (RawServer.skipRequestHead(in)) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // the client closed the connection: the script is over
        }
    }


    // ------------------------------------------------------------------ 1: a plain-HTTP server

    /**
     * P53: Go's client says "http: server gave HTTP response to HTTPS client" when the answer to its ClientHello
     * starts with {@code HTTP/} (golang.org/issue/11111); the JDK says "Unsupported or unrecognized SSL message".
     */
    @Test
    void P53_aPlainHttpAnswerToTheClientHelloSaysTheServerSpokeHttp() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.write("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                         + "Client sent an HTTP request to an HTTPS server.\n");
                 awaitClientClose(c, clientClosed);
             });
             Transport t = Transport.builder().build()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://127.0.0.1:" + server.port() + "/")))
                    .isInstanceOf(SSLException.class)
                    .hasMessageContaining("server gave HTTP response to HTTPS client")
                    .hasMessageContaining("127.0.0.1:" + server.port());
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WAIT);
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed").isTrue();
            assertThat(t.stats().open()).isZero();
            assertThat(server.accepted()).as("a handshake failure is not retried").isEqualTo(1);
        }
    }

    /** P53 only for an answer that starts with {@code HTTP/}: other garbage keeps the JDK's own words. */
    @Test
    void P53_otherGarbageIsNotCalledHttp() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.write("SSH-2.0-OpenSSH_9.6\r\n");
                 c.in.read();
             });
             Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://127.0.0.1:" + server.port() + "/")))
                    .isInstanceOf(SSLException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("HTTP response"));
            assertThat(t.stats().open()).isZero();
        }
    }

    // ------------------------------------------------------------------ 2: a server that never speaks TLS

    /** The three ways a request gives up that E57 names. */
    enum GiveUp { CANCEL, DEADLINE, INTERRUPT }

    /**
     * E57: a handshake the server never answers is ended at once by the request's cancel, its deadline or its
     * thread's interrupt (the default 10 s handshake timeout not waited for), the connection is closed, and the
     * host's only slot is given back: the next request (a server that speaks TLS) goes through.
     */
    @ParameterizedTest
    @EnumSource(GiveUp.class)
    void E57_aRequestThatGivesUpEndsItsStalledHandshakeAndGivesTheHostsSlotBack(GiveUp how) throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     stalled.countDown();
                     awaitClientClose(c, clientClosed); // reads the ClientHello, never answers
                 } else {
                     serveTls(c);
                 }
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).maxConnsPerHost(1).build()) {
            String uri = "https://127.0.0.1:" + server.port() + "/";
            CancellableContext ctx = how == GiveUp.DEADLINE
                    ? Context.withTimeout(Context.background(), Duration.ofMillis(300))
                    : Context.withCancel(Context.background());
            Caller<Void> failed = Caller.virtual("stalled-handshake", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(uri), ctx)) {
                    return null;
                }
            });
            assertThat(stalled.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            switch (how) {
                case CANCEL -> ctx.cancel();
                case INTERRUPT -> failed.thread.interrupt();
                case DEADLINE -> { } // passes by itself
            }
            assertThat(failed.join(WAIT)).as("the request ended").isTrue();
            assertThat(failed.error()).isInstanceOfAny(IOException.class, InterruptedException.class);
            ctx.cancel();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the 10 s handshake timeout")
                    .isLessThan(Duration.ofSeconds(8));
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the dial ended with its request, as Go 1.19's")
                    .isLessThan(Duration.ofSeconds(8));
            try (HttpResponse r = t.roundTrip(HttpRequest.get(uri))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the host's slot was given back at once")
                    .isLessThan(Duration.ofSeconds(8));
        }
    }

    /** E10/R28: Transport.close() ends a handshake the server never answers at once. */
    @Test
    void E10_closingTheTransportEndsAStalledHandshake() throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 stalled.countDown();
                 awaitClientClose(c, clientClosed);
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            Caller<Void> failed = Caller.virtual("stalled-handshake", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get("https://127.0.0.1:" + server.port() + "/"))) {
                    return null;
                }
            });
            assertThat(stalled.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            t.close();
            assertThat(failed.join(WAIT)).as("the request ended").isTrue();
            assertThat(failed.error()).isInstanceOf(IOException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed").isTrue();
        }
    }

    // ------------------------------------------------------------------ 3: certificate problems

    /**
     * A certificate for another name fails the request naming the host, and the second address of the name is
     * not tried (Go tries the next address only when the TCP dial fails; the handshake comes after).
     */
    @Test
    void R1_aCertificateForAnotherNameIsNotRetriedOnTheNextAddress() throws Exception {
        try (RawServer server = RawServer.start(c -> serveTls(c));
             Transport t = Transport.builder().sslContext(JdkServer.clientTls())
                     .resolver(resolving("wrong.test", InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.1")))
                     .build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://wrong.test:" + server.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class).hasStackTraceContaining("wrong.test");
            assertThat(server.accepted()).as("one address tried").isEqualTo(1);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }

    // ------------------------------------------------------------------ 4: the ClientHello

    /** What the ClientHello said. */
    private record Hello(String sni, List<String> alpn, List<Integer> versions) {}

    /** Reads the ClientHello of {@code c} (one record) and closes. */
    private static Hello readHello(RawServer.Conn c) throws IOException {
        DataInputStream in = new DataInputStream(c.in);
        int type = in.readUnsignedByte();
        in.readUnsignedShort();
        byte[] rec = new byte[in.readUnsignedShort()];
        in.readFully(rec);
        assertThat(type).isEqualTo(22);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(rec);
        b.get(); // handshake type 1
        b.position(b.position() + 3 + 2 + 32); // length, legacy version, random
        int skip = b.get() & 0xff; // session id
        b.position(b.position() + skip);
        skip = b.getShort() & 0xffff; // cipher suites
        b.position(b.position() + skip);
        skip = b.get() & 0xff; // compression methods
        b.position(b.position() + skip);
        int extensions = b.getShort() & 0xffff;
        int end = b.position() + extensions;
        String sni = null;
        List<String> alpn = null;
        List<Integer> versions = new ArrayList<>();
        while (b.position() < end) {
            int ext = b.getShort() & 0xffff;
            int len = b.getShort() & 0xffff;
            int next = b.position() + len;
            if (ext == 0) {
                b.getShort();
                b.get();
                byte[] name = new byte[b.getShort() & 0xffff];
                b.get(name);
                sni = new String(name, StandardCharsets.US_ASCII);
            } else if (ext == 16) {
                alpn = new ArrayList<>();
                int listLength = b.getShort() & 0xffff;
                int listEnd = b.position() + listLength;
                while (b.position() < listEnd) {
                    byte[] p = new byte[b.get() & 0xff];
                    b.get(p);
                    alpn.add(new String(p, StandardCharsets.US_ASCII));
                }
            } else if (ext == 43) {
                int n = b.get() & 0xff;
                for (int i = 0; i < n / 2; i++) {
                    versions.add(b.getShort() & 0xffff);
                }
            }
            b.position(next);
        }
        return new Hello(sni, alpn, versions);
    }

    private static Hello helloFor(String host, InetAddress address) throws Exception {
        CompletableFuture<Hello> hello = new CompletableFuture<>();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     hello.complete(readHello(c));
                 } catch (Throwable e) {
                     hello.completeExceptionally(e);
                 }
             });
             Transport t = Transport.builder().resolver(resolving(host, address)).build()) {
            String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://" + authority + ":" + server.port() + "/")))
                    .isInstanceOf(IOException.class);
            return hello.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /**
     * R46: the ClientHello offers ALPN {@code http/1.1} only (never {@code h2}: a server that picks it would speak
     * HTTP/2 to an HTTP/1.1 client), TLS 1.2 and 1.3 only (Go 1.19's client minimum is TLS 1.2), and SNI for a
     * name (here {@code localhost}) but none for an IP literal (RFC 6066 §3, Go's {@code hostnameInSNI}).
     */
    @Test
    void R46_theClientHelloOffersHttp11OnlyTls12AndUpAndSniForNamesOnly() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        Hello byName = helloFor("localhost", loopback);
        assertThat(byName.sni()).isEqualTo("localhost");
        assertThat(byName.alpn()).containsExactly("http/1.1");
        assertThat(byName.versions()).isNotEmpty().allMatch(v -> v >= 0x0303, "TLS 1.2 or later");
        assertThat(helloFor("127.0.0.1", loopback).sni()).isNull();
    }

    /**
     * R46: a fully qualified name with its trailing dot ({@code localhost.}) goes in SNI without the dot (Go's
     * {@code hostnameInSNI}; RFC 6066 forbids it there) and its certificate is checked against the name without
     * it, so the request succeeds as Go's does. The JDK refuses such a name as SNI with an
     * {@link IllegalArgumentException}.
     */
    @Test
    void R46_aNameWithATrailingDotIsSentInSniWithoutItAndItsCertificateMatches() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        assertThat(helloFor("localhost.", loopback).sni()).isEqualTo("localhost");
        try (RawServer server = RawServer.start(c -> serveTls(c));
             Transport t = Transport.builder().sslContext(JdkServer.clientTls())
                     .resolver(resolving("localhost.", loopback)).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get("https://localhost.:" + server.port() + "/"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    /**
     * R119: a host of digits and dots that is no address to Go's {@code net.ParseIP} (R110, reached here through a
     * resolver of the caller's) goes in SNI as written, as Go's {@code hostnameInSNI} sends
     * every host {@code ParseIP} refuses. The JDK reads such text as an address by its wider grammar and sent no SNI.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2130706433", "127.000.000.001", "127.0.0.01"})
    void R119_numericTextThatIsNoAddressToGoIsSentInSni(String host) throws Exception {
        assertThat(helloFor(host, InetAddress.getByName("127.0.0.1")).sni()).isEqualTo(host);
    }

    // ------------------------------------------------------------------ 5: renegotiation

    /**
     * R47: a TLS 1.2 server that asks to renegotiate (a HelloRequest after the request) fails the request, as Go's
     * default {@code RenegotiateNever} does: a renegotiation may change the certificate the connection was
     * checked against, after the check. The JDK's client renegotiates when asked.
     */
    @Test
    void R47_aServerThatAsksToRenegotiateFailsTheRequest() throws Exception {
        CountDownLatch renegotiating = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.socket.setTcpNoDelay(true);
                 try (SSLSocket tls = JdkServer.serverTls(c.socket)) {
                     tls.setEnabledProtocols(new String[] {"TLSv1.2"});
                     tls.startHandshake();
                     InputStream in = tls.getInputStream();
                     OutputStream out = tls.getOutputStream();
                     RawServer.skipRequestHead(in);
                     renegotiating.countDown();
                     tls.startHandshake(); // sends a HelloRequest
                     out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                     out.flush();
                     in.read();
                 } catch (IOException e) {
                     // the client refused and closed
                 }
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            assertThatThrownBy(() -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get("https://127.0.0.1:" + server.port() + "/"))) {
                    r.body().string();
                }
            }).isInstanceOf(IOException.class).hasStackTraceContaining("renegotiat");
            assertThat(renegotiating.getCount()).isZero();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
            assertThat(t.stats().idle()).isZero();
        }
    }
}
