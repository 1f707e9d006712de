package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Neighbours of R65 (a {@code CONNECT} the caller sends): a CONNECT with a body (R66), a {@code 101 Switching
 * Protocols} to a request that asked for it (R67), the tunnel's output and who owns its connection (E73), and an
 * expect-continue timeout of zero or less (R68).
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunnelTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** A request body fed by the test: each {@link #feed} is one read; {@link #end} is EOF. */
    private static final class FedBody extends ReadByBulk {
        private static final byte[] EOF = new byte[0];
        private final LinkedBlockingQueue<byte[]> parts = new LinkedBlockingQueue<>();
        private byte[] current;
        private int pos;

        void feed(String s) {
            parts.add(ascii(s));
        }

        void end() {
            parts.add(EOF);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (current == null || pos == current.length) {
                try {
                    current = parts.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
                pos = 0;
                if (current == EOF) {
                    parts.add(EOF);
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            end(); // the transport closes it when the connection ends: a blocked read returns
        }
    }

    // ------------------------------------------------------------------ R66: a CONNECT with a body

    /**
     * A CONNECT's body of unknown length goes out as it is, no chunk framing: a CONNECT has no content (RFC 9110
     * §9.3.6), so what follows its head is the tunnel's, and chunk sizes would reach the peer as data. Go sends it so.
     * Before, it was sent chunked ({@code 3\r\nabc\r\n0\r\n\r\n}).
     */
    @Test
    void R66_aConnectBodyOfUnknownLengthIsSentUnframed() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 heads.add(c.readRequestHead());
                 byte[] data = c.readBody(3);
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 c.write(data);
                 c.socket.shutdownOutput();
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.ofStreamOnce(new ByteArrayInputStream(ascii("abc")), -1, null))
                    .timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).as("the peer's echo of what it read after the head").isEqualTo("abc");
            }
            assertThat(heads).singleElement().asString().doesNotContainIgnoringCase("Transfer-Encoding")
                    .doesNotContainIgnoringCase("Content-Length");
        }
    }

    /**
     * A CONNECT's streamed body is the tunnel's upstream, as in Go: its head goes out before the source has a byte
     * (the caller may wait for the 2xx before it writes), each part goes out as it is read, and the 2xx's body is the
     * downstream. Before, the parts went out as chunks, and the peer echoed chunk sizes.
     */
    @Test
    void R66_aConnectBodyStreamsIntoTheTunnelAsItIsProduced() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 byte[] buf = new byte[64];
                 for (int n; (n = c.in.read(buf)) > 0; ) { // echo until the client closes
                     c.out.write(buf, 0, n);
                     c.out.flush();
                 }
             });
             Transport t = Transport.builder().build()) {
            FedBody up = new FedBody();
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.ofStreamOnce(up, -1, null)).timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) { // answered while the body has not a byte yet
                assertThat(r.status()).isEqualTo(200);
                InputStream down = r.body().stream();
                up.feed("ping");
                assertThat(ascii(down.readNBytes(4))).isEqualTo("ping");
                up.feed("pong!");
                assertThat(ascii(down.readNBytes(5))).isEqualTo("pong!");
                up.end();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed with its response");
        }
    }

    /**
     * A CONNECT that carried a body and was refused keeps no connection: a peer that takes the CONNECT as having no
     * content (RFC 9110 §9.3.6) reads its body as the next request, whatever {@code Content-Length} said. Before, the
     * connection went back to the pool after a keep-alive 407 (Go keeps it too).
     */
    @ParameterizedTest(name = "length {0}")
    @ValueSource(longs = {3, -1})
    void R66_aRefusedConnectWithABodyKeepsNoConnection(long length) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String h; (h = c.readRequestHead()) != null; ) {
                     if (h.startsWith("CONNECT ")) {
                         c.readBody(3);
                         c.write("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.ofStreamOnce(new ByteArrayInputStream(ascii("abc")), length, null))
                    .timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(407);
                assertThat(r.tunnelOutput()).isEmpty();
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(TIMEOUT).build())) {
                assertThat(r.body().string()).isEqualTo("next");
            }
            assertThat(t.stats().dialed()).as("the refused CONNECT's connection was not reused").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ R67: 101 Switching Protocols

    private static HttpRequest upgrade(RawServer server, String protocol) {
        return HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade").header("Upgrade", protocol)
                .timeout(TIMEOUT).build();
    }

    /**
     * The bytes a server sends after a 101 to a request that asked to upgrade are the response's body, read until the
     * server closes, and the connection is never pooled (Go: the body is the connection). Before, the body was empty:
     * the bytes were lost with the connection.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"websocket", "h2c"})
    void R67_theBytesAfterAnAskedSwitchAreTheBody(String protocol) throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 String h = c.readRequestHead();
                 heads.add(h);
                 if (h.startsWith("GET /chat ")) {
                     c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + protocol
                             + "\r\n\r\nhello from the new protocol");
                     c.socket.shutdownOutput();
                     c.readUntilClosed();
                 } else {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                     c.readUntilClosed();
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(upgrade(server, protocol))) {
                assertThat(r.status()).isEqualTo(101);
                assertThat(r.body().string()).isEqualTo("hello from the new protocol");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(TIMEOUT).build())) {
                assertThat(r.body().string()).isEqualTo("next");
            }
            assertThat(t.stats().dialed()).as("the switched connection was not pooled").isEqualTo(2);
            assertThat(heads.get(0)).contains("Connection: Upgrade\r\n").contains("Upgrade: " + protocol + "\r\n");
        }
    }

    /**
     * After an asked switch the caller talks the new protocol both ways: {@link HttpResponse#tunnelOutput()} writes to
     * the connection, the body reads from it; closing the output is the peer's end of stream while the body can still
     * be read (E73).
     */
    @ParameterizedTest(name = "tls {0}")
    @ValueSource(booleans = {false, true})
    void R67_anAskedSwitchGivesTheConnectionsOutput(boolean tls) throws Exception {
        try (RawServer server = RawServer.start(raw -> {
                 RawServer.Conn c = tls ? raw.over(startTls(raw)) : raw;
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nhi");
                 byte[] ping = c.readBody(4);
                 c.write(ascii("re:" + ascii(ping)));
                 c.readUntilClosed(); // the client's end of stream
                 c.write("bye");
             });
             Transport t = (tls ? Transport.builder().sslContext(JdkServer.clientTls()) : Transport.builder()).build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create((tls ? "https" : "http") + "://127.0.0.1:" + server.port() + "/chat"))
                    .header("Connection", "Upgrade").header("Upgrade", "websocket").timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(101);
                OutputStream out = r.tunnelOutput().orElseThrow();
                InputStream in = r.body().stream();
                assertThat(ascii(in.readNBytes(2))).isEqualTo("hi");
                out.write(ascii("ping"));
                assertThat(ascii(in.readNBytes(7))).isEqualTo("re:ping");
                out.close();
                assertThat(ascii(in.readAllBytes())).as("read after the output was closed").isEqualTo("bye");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the switched connection closed at the body's end");
        }
    }

    private static javax.net.ssl.SSLSocket startTls(RawServer.Conn c) throws IOException {
        try {
            javax.net.ssl.SSLSocket tls = JdkServer.serverTls(c.socket);
            tls.startHandshake();
            return tls;
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /**
     * With keep-alives off, an upgrade request is not also told {@code Connection: close} (Go leaves it out for a
     * protocol switch): a server may take the close for a refusal to switch. Before, both went out.
     */
    @Test
    void R67_anUpgradeIsNotToldToCloseWhenKeepAlivesAreOff() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 heads.add(c.readRequestHead());
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().disableKeepAlives(true).build()) {
            try (HttpResponse r = t.roundTrip(upgrade(server, "websocket"))) {
                assertThat(r.status()).isEqualTo(101);
            }
            assertThat(heads).singleElement().asString().contains("Connection: Upgrade\r\n")
                    .doesNotContainIgnoringCase("Connection: close");
        }
    }

    /**
     * A 101 nobody asked for, or one that does not accept the asked protocol (no {@code Upgrade} field), switches
     * nothing: as R64 says, it is the answer, without a body, and its connection ends. No output is given.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"unasked", "no Upgrade in the answer"})
    void R67_aSwitchNotAskedOrNotAcceptedIsNoTunnel(String which) throws Exception {
        boolean asked = which.startsWith("no");
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write(asked ? "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\nstray"
                         : "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nstray");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = asked ? upgrade(server, "websocket") : HttpRequest.newBuilder(server.uri("/")).timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(101);
                assertThat(r.tunnelOutput()).isEmpty();
                assertThat(r.body().string()).isEmpty();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "its connection ended");
        }
    }

    /** A 2xx to CONNECT is a tunnel both ways too (R65): its output reaches the peer, as through a 101. */
    @Test
    void R67_aConnectTunnelHasTheOutputToo() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 c.write(ascii("re:" + ascii(c.readBody(4))));
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.none()).timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                r.tunnelOutput().orElseThrow().write(ascii("ping"));
                assertThat(ascii(r.body().stream().readNBytes(7))).isEqualTo("re:ping");
            }
        }
    }

    // ------------------------------------------------------------------ E73: the tunnel is the caller's

    /**
     * The tunnel's connection is the caller's until its response is closed or its body read to the end: then it is
     * closed (never pooled), a write to the output fails with {@link HttpConnectionException} naming the closed
     * connection, and nothing of it is left (no goroutine, nothing open). Through {@link HttpClient} the output is the
     * same.
     */
    @ParameterizedTest(name = "via client {0}")
    @ValueSource(booleans = {false, true})
    void E73_aClosedTunnelRefusesWritesAndLeavesNothing(boolean viaClient) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            OutputStream out;
            try (HttpResponse r = viaClient ? client.send(upgrade(server, "websocket")) : t.roundTrip(upgrade(server, "websocket"))) {
                out = r.tunnelOutput().orElseThrow();
                out.write(ascii("x"));
            }
            assertThatThrownBy(() -> out.write(ascii("y"))).isInstanceOf(HttpConnectionException.class)
                    .hasMessageContaining("closed");
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().idle()).isZero();
        }
    }

    /** Who ends a tunnel whose body was read to its end (E74). */
    enum TunnelEnd {
        /** The output closed: both halves are over, the connection closes; the body closed after that. */
        OUTPUT_THEN_BODY,
        /** The body (the response) closed: the connection closes, the output refuses writes; then the output closed. */
        BODY_THEN_OUTPUT,
        /** Neither: the transport closed. */
        TRANSPORT_CLOSE
    }

    /**
     * E74: the body's end is the peer's end of stream, one half of the tunnel: the output stays writable (Go's
     * upgraded body is a ReadWriteCloser, a peer's half-close does not stop writes) until the caller closes the output,
     * which then ends the tunnel, or the body, which closes the connection at any time; or the transport closes. In
     * each order nothing is left. Through {@link HttpClient} (its timeout's context, which a body's end otherwise
     * ends) the same. Before, reading the body to its end closed the connection, and the write after it failed with
     * "the tunnel's connection ... is closed".
     */
    @ParameterizedTest(name = "{0} via client {1}")
    @org.junit.jupiter.params.provider.MethodSource("tunnelEnds")
    void E74_theBodysEndLeavesTheOutputWritableUntilItOrTheBodyIsClosed(TunnelEnd end, boolean viaClient) throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhi");
                 c.socket.shutdownOutput(); // the peer's end of stream: the body's end
                 received.add(ascii(c.in.readNBytes(5)));
                 received.add(ascii(c.in.readAllBytes())); // until the client's end of stream
             })) {
            Transport t = Transport.builder().build();
            try {
                HttpClient client = HttpClient.builder(t).timeout(TIMEOUT).build();
                HttpResponse r = viaClient ? client.send(upgrade(server, "websocket")) : t.roundTrip(upgrade(server, "websocket"));
                OutputStream out = r.tunnelOutput().orElseThrow();
                assertThat(ascii(r.body().stream().readAllBytes())).isEqualTo("hi");
                out.write(ascii("after"));
                // Once the peer has it, a round trip later, so that a tunnel that the body's end closed is closed by now.
                assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo("after");
                out.write(ascii(" the end"));
                switch (end) {
                    case OUTPUT_THEN_BODY -> {
                        out.close();
                        assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo(" the end");
                        Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel closed once both halves ended");
                        r.close();
                    }
                    case BODY_THEN_OUTPUT -> {
                        r.close();
                        assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo(" the end");
                        Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel closed with its body");
                        assertThatThrownBy(() -> out.write(ascii("x"))).isInstanceOf(HttpConnectionException.class)
                                .hasMessageContaining("closed");
                        out.close();
                    }
                    case TRANSPORT_CLOSE -> {
                        t.close();
                        assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo(" the end");
                        assertThatThrownBy(() -> out.write(ascii("x"))).isInstanceOf(HttpConnectionException.class);
                        r.close();
                        out.close();
                    }
                }
                assertThat(t.stats().open()).isZero();
                assertThat(t.stats().idle()).isZero();
            } finally {
                t.close();
            }
        }
    }

    /**
     * E75: a close of the output on a thread whose interrupt is set, nobody else writing, still ends the output (the
     * peer reads the end) and so, the body read to its end, the tunnel: as a socket's close does, and as a body's read
     * takes its turn (E38). Only a wait for the request's own write is interruptible (E93; a close never waits for another
     * thread's write, E107). The interrupt is kept.
     * Before, the close threw {@code InterruptedIOException} and ended nothing: a try-with-resources on an interrupted
     * thread left the peer waiting and the connection open until the body was closed.
     */
    @ParameterizedTest(name = "via client {0}")
    @ValueSource(booleans = {false, true})
    void E75_anInterruptedThreadsCloseStillEndsTheOutput(boolean viaClient) throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhi");
                 c.socket.shutdownOutput();
                 received.add(ascii(c.in.readAllBytes())); // until the client's end of stream
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).timeout(TIMEOUT).build();
            HttpResponse r = viaClient ? client.send(upgrade(server, "websocket")) : t.roundTrip(upgrade(server, "websocket"));
            OutputStream out = r.tunnelOutput().orElseThrow();
            assertThat(ascii(r.body().stream().readAllBytes())).isEqualTo("hi");
            out.write(ascii("bye"));
            Thread.currentThread().interrupt();
            try {
                out.close();
                assertThat(Thread.currentThread().isInterrupted()).as("the interrupt kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(received.poll(20, TimeUnit.SECONDS)).as("the peer read our end").isEqualTo("bye");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel closed once both halves ended");
            assertThatThrownBy(() -> out.write(ascii("x"))).isInstanceOf(IOException.class);
            r.close();
            assertThat(t.stats().idle()).isZero();
        }
    }

    /**
     * E76: through {@link HttpClient}, a write refused because the client's overall timeout passed while the tunnel was
     * in use (its body read to its end, E74) names that timeout, as a body's read does (R45): "request timed out after
     * ... (client timeout) while using the tunnel". Before, it said "its context's deadline passed", a deadline the
     * caller never set. Still an {@link HttpConnectionException} saying the connection is closed (E73).
     */
    @Test
    void E76_aWriteRefusedForTheClientsTimeoutNamesIt() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhi");
                 c.socket.shutdownOutput();
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            Duration timeout = Duration.ofSeconds(2); // long enough for the head and body under load
            HttpClient client = HttpClient.builder(t).timeout(timeout).build();
            HttpRequest req = HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade")
                    .header("Upgrade", "websocket").build();
            try (HttpResponse r = client.send(req)) {
                OutputStream out = r.tunnelOutput().orElseThrow();
                assertThat(ascii(r.body().stream().readAllBytes())).isEqualTo("hi");
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the client's timeout closed the tunnel");
                assertThatThrownBy(() -> out.write(ascii("after"))).isInstanceOf(HttpConnectionException.class)
                        .hasMessageContaining("closed")
                        .hasMessageContaining("request timed out after " + timeout + " (client timeout) while using the tunnel")
                        .hasMessageNotContaining("its context's deadline");
                out.close();
            }
            assertThat(t.stats().idle()).isZero();
        }
    }

    static List<org.junit.jupiter.params.provider.Arguments> tunnelEnds() {
        List<org.junit.jupiter.params.provider.Arguments> all = new java.util.ArrayList<>();
        for (TunnelEnd e : TunnelEnd.values()) {
            for (boolean viaClient : new boolean[] {false, true}) {
                all.add(org.junit.jupiter.params.provider.Arguments.of(e, viaClient));
            }
        }
        return all;
    }

    // ------------------------------------------------------------------ R68: expectContinueTimeout of zero or less

    /**
     * An expect-continue timeout of zero or less sends the body right after the head, as Go's zero does: a server that
     * never sends 100 Continue gets the body and answers. The {@code Expect} field is still sent, and a final status
     * that came without 100 keeps no connection (as for any timeout: the server may have answered before it read the
     * body). A wait for 100 with no bound would hang here; a negative duration refused would fail the request.
     */
    @ParameterizedTest(name = "{0} ms")
    @ValueSource(longs = {0, -1})
    void R68_noExpectContinueTimeoutSendsTheBodyAtOnce(long millis) throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 heads.add(c.readRequestHead());
                 String body = ascii(c.readBody(3)); // never a 100 Continue
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofMillis(millis))
                     .build()) {
            for (int i = 0; i < 2; i++) {
                HttpRequest req = HttpRequest.newBuilder(server.uri("/")).header("Expect", "100-continue")
                        .method("POST", RequestBody.of("abc")).timeout(TIMEOUT).build();
                try (HttpResponse r = t.roundTrip(req)) {
                    assertThat(r.body().string()).isEqualTo("abc");
                }
            }
            assertThat(heads).hasSize(2).allSatisfy(h -> assertThat(h).contains("Expect: 100-continue\r\n"));
            assertThat(t.stats().dialed()).isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ R67: a tunnel's silence; E88: a cut upstream

    /**
     * A tunnel's body has no read timeout: a quiet WebSocket or CONNECT tunnel lives on past {@code bodyReadTimeout},
     * whose peer speaks when its protocol has something to say, as in Go, which has no such timeout at all. Before, the
     * tunnel's read failed with {@link HttpTimeoutException} ({@code BODY_READ}) after that long and closed the tunnel.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"101", "CONNECT"})
    void R67_aQuietTunnelOutlivesTheBodyReadTimeout(String kind) throws Exception {
        java.util.concurrent.CountDownLatch speak = new java.util.concurrent.CountDownLatch(1);
        Duration bodyReadTimeout = Duration.ofMillis(50);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write(kind.equals("101")
                         ? "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                         : "HTTP/1.1 200 Connection established\r\n\r\n");
                 speak.await();
                 c.write("hello");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().bodyReadTimeout(bodyReadTimeout).build()) {
            HttpRequest req = kind.equals("101") ? upgrade(server, "websocket")
                    : HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                            .method("CONNECT", RequestBody.none()).timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                java.util.concurrent.atomic.AtomicReference<Object> read = new java.util.concurrent.atomic.AtomicReference<>();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        read.set(ascii(r.body().stream().readNBytes(5)));
                    } catch (Throwable e) {
                        read.set(e);
                    }
                });
                // Ten times the timeout of silence: the read is still waiting for the peer, not failed.
                assertThat(reader.join(bodyReadTimeout.multipliedBy(10))).as("the read ended early: %s", read.get()).isFalse();
                speak.countDown();
                assertThat(reader.join(TIMEOUT)).isTrue();
                assertThat(read.get()).isEqualTo("hello");
            }
        }
    }

    /** A request body that gives what it is fed, and throws when told to. */
    private static final class FailingBody extends ReadByBulk {
        private final LinkedBlockingQueue<Object> parts = new LinkedBlockingQueue<>();
        private byte[] current;
        private int pos;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (current == null || pos == current.length) {
                Object next;
                try {
                    next = parts.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
                if (next instanceof IOException e) {
                    parts.add(e);
                    throw e;
                }
                current = (byte[]) next;
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            parts.add(new IOException("closed"));
        }
    }

    /**
     * A CONNECT whose body fails after its 2xx opened the tunnel: the tunnel's upstream is cut short, so its output
     * refuses every write, naming the body's failure, the failed body's bytes still in the transport's buffer never
     * go out, and the peer reads the end of the upstream; the downstream stays readable. Go closes the connection on
     * any failed write. Before, the first write sent the failed body's buffered bytes ahead of the caller's.
     */
    @ParameterizedTest(name = "length {0}")
    @ValueSource(longs = {20_000, 8196, -1})
    void E88_aTunnelWhoseRequestBodyFailedLateRefusesItsOutput(long length) throws Exception {
        java.util.concurrent.CompletableFuture<String> upstream = new java.util.concurrent.CompletableFuture<>();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                 try {
                     c.in.transferTo(got); // until the client ends the upstream
                 } finally {
                     upstream.complete(ascii(got.toByteArray()));
                 }
                 c.write("bye");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            FailingBody body = new FailingBody();
            // A full buffer first, sent with the head, so the peer answers while the body is still being written.
            String first = "x".repeat(8192);
            body.parts.add(ascii(first));
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.ofStreamOnce(body, length, null)).timeout(TIMEOUT).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(200);
                body.parts.add(ascii("abcd"));
                body.parts.add(new IOException("the source failed (test)"));
                OutputStream out = r.tunnelOutput().orElseThrow();
                assertThatThrownBy(() -> out.write(ascii("ping"))).isInstanceOf(HttpConnectionException.class)
                        .hasMessageContaining("the source failed (test)");
                // Each read of a body not read from memory goes out as it is produced (E132, E19, R66): "abcd" went
                // out before the failure. Of a length of 8196 it is the last piece, which waits for the end of the body
                // to be confirmed: held in the transport when the source failed, it never goes out.
                assertThat(upstream.get(20, TimeUnit.SECONDS)).as("what the peer read of the upstream")
                        .doesNotContain("ping").isEqualTo(length == 8196 ? first : first + "abcd");
                assertThat(ascii(r.body().stream().readNBytes(3))).as("the downstream").isEqualTo("bye");
                out.close();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed with its response");
        }
    }
}
