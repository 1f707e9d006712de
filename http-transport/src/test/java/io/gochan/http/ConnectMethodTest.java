package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * R65: a {@code CONNECT} the caller sends itself. Its request-target is the authority-form {@code host:port}
 * (RFC 9112 §3.2.3) when its URI has no path, as Go writes it, the port always given, also through an HTTP proxy;
 * a 2xx answer to it opens a tunnel (RFC 9110 §9.3.6): its body is what the peer sends until it closes, whatever
 * {@code Content-Length} or {@code Transfer-Encoding} say, and its connection is never pooled; but a transfer coding
 * the client cannot read opens none (P82).
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectMethodTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    static Stream<Arguments> targets() {
        return Stream.of(
                Arguments.of("http://example.com", false, "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com\r\n"),
                Arguments.of("http://example.com:8080", false, "CONNECT example.com:8080 HTTP/1.1\r\nHost: example.com:8080\r\n"),
                // The port as the URI writes it, as Go's NewRequest keeps URL.Host (R122).
                Arguments.of("http://example.com:80", false, "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n"),
                Arguments.of("http://[::1]:8080", false, "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n"),
                Arguments.of("http://example.com", true, "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com\r\n"),
                // A path is sent as one (Go: net/rpc's CONNECT /_goRPC_), and so is a query.
                Arguments.of("http://example.com/rpc", false, "CONNECT /rpc HTTP/1.1\r\nHost: example.com\r\n"),
                Arguments.of("http://example.com?q", false, "CONNECT /?q HTTP/1.1\r\nHost: example.com\r\n"));
    }

    /** The request head received for a CONNECT to {@code uri}, direct or through an HTTP proxy. */
    @ParameterizedTest(name = "{0} via proxy {1}")
    @MethodSource("targets")
    void R65_aConnectWithoutAPathIsSentInAuthorityForm(String uri, boolean viaProxy, String expected) throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 heads.add(c.readRequestHead());
                 c.write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
             });
             Transport t = Transport.builder()
                     .dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port()))
                     .proxy(r -> viaProxy ? Optional.of(URI.create("http://proxy.test:3128")) : Optional.empty()).build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(uri)).method("CONNECT", RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(405);
            }
            assertThat(heads).hasSize(1);
            assertThat(heads.get(0)).startsWith(expected).doesNotContain("Accept-Encoding");
        }
    }

    static Stream<Arguments> tunnels() {
        return Stream.of(
                Arguments.of("no framing", "HTTP/1.1 200 Connection established\r\n\r\n"),
                Arguments.of("Content-Length: 0", "HTTP/1.1 200 Connection established\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("Content-Length: 3", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"),
                Arguments.of("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
                Arguments.of("both", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
                Arguments.of("204", "HTTP/1.1 204 Tunnel\r\n\r\n"),
                Arguments.of("HTTP/1.0", "HTTP/1.0 200 Connection established\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
                // HTTP/1.0 has no transfer codings: the field is ignored there (P41), so P82 refuses nothing.
                Arguments.of("HTTP/1.0 with a coding", "HTTP/1.0 200 Connection established\r\nTransfer-Encoding: gzip\r\n\r\n"));
    }

    /**
     * A 2xx to CONNECT is a tunnel: the bytes after its head are the peer's, read until it closes, and the
     * connection never goes back to the pool. Before, they were framed as a response body (an empty one for a
     * {@code Content-Length: 0}, a chunked one, a refused one for both fields) and the connection could be pooled.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("tunnels")
    void R65_aSuccessfulAnswerToConnectIsATunnelReadToItsClose(String name, String head) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 String h = c.readRequestHead();
                 if (h.startsWith("CONNECT ")) {
                     c.write(head + "tunnel bytes");
                     c.socket.shutdownOutput();
                     c.readUntilClosed();
                 } else {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.none()).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status() / 100).isEqualTo(2);
                assertThat(r.body().string()).isEqualTo("tunnel bytes");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().string()).isEqualTo("next");
            }
            assertThat(t.stats().dialed()).as("the tunnel's connection was not pooled").isEqualTo(2);
        }
    }

    static Stream<Arguments> unreadableCodings() {
        return Stream.of(
                Arguments.of("gzip", "Transfer-Encoding: gzip\r\n"),
                Arguments.of("a coding before chunked", "Transfer-Encoding: gzip, chunked\r\n"),
                Arguments.of("chunked not last", "Transfer-Encoding: chunked, gzip\r\n"),
                Arguments.of("chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
                Arguments.of("identity", "Transfer-Encoding: identity\r\n"),
                Arguments.of("gzip beside a length", "Content-Length: 3\r\nTransfer-Encoding: gzip\r\n"));
    }

    /**
     * P82: a 2xx to CONNECT that declares a transfer coding the client cannot read (anything but a lone {@code chunked})
     * opens no tunnel: the request fails with {@code UNSUPPORTED_TRANSFER_ENCODING}, its message naming the field, and
     * the connection is closed, never pooled, as on every other response (P38, P79) and as Go's {@code ReadResponse}
     * refuses it before anything looks at the method. A lone {@code chunked}, a length, or both are still ignored (R65,
     * {@link #R65_aSuccessfulAnswerToConnectIsATunnelReadToItsClose}). Before, such an answer opened the tunnel like any
     * 2xx: each case failed on "Expecting code to raise a throwable".
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadableCodings")
    void P82_aConnectAnswerWithATransferCodingItCannotReadOpensNoTunnel(String name, String fields) throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n" + fields + "\r\ntunnel bytes");
                 HostileServerTest.awaitClientClose(c, clientClosed);
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.none()).timeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> t.roundTrip(req).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> assertThat(e.reason())
                            .isEqualTo(HttpProtocolException.Reason.UNSUPPORTED_TRANSFER_ENCODING))
                    .hasMessageContaining("Transfer-Encoding");
            HostileServerTest.assertClosedNotPooled(t, clientClosed);
            assertThat(server.failures()).isEmpty();
        }
    }

    /** A CONNECT refused is an ordinary response: framed by its length, its connection kept. */
    @Test
    void R65_aRefusedConnectIsAnOrdinaryResponse() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String h; (h = c.readRequestHead()) != null; ) {
                     c.write(h.startsWith("CONNECT ") ? "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno"
                             : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.none()).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(407);
                assertThat(r.body().string()).isEqualTo("no");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().string()).isEqualTo("next");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    /**
     * The head limit measures a CONNECT's request line as sent (P43): {@code CONNECT example.com:80 HTTP/1.1} and the
     * blank line are 35 bytes, so a limit of 35 sends it, and 34 refuses it before a connection is opened.
     */
    @Test
    void R65_theAuthorityFormIsMeasuredAsSent() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 heads.add(c.readRequestHead());
                 c.write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
             })) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://example.com")).method("CONNECT", RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            for (int limit : new int[] {34, 35}) {
                try (Transport t = Transport.builder().maxRequestHeaderBytes(limit)
                        .dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port())).build()) {
                    if (limit == 34) {
                        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.roundTrip(req))
                                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRequestHeaderBytes");
                        assertThat(server.accepted()).isZero();
                    } else {
                        try (HttpResponse r = t.roundTrip(req)) {
                            assertThat(r.status()).isEqualTo(405);
                        }
                    }
                }
            }
            assertThat(heads).singleElement().asString().startsWith("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com\r\n");
        }
    }
}
