package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exact bytes the client writes for a request, case by case against what Go 1.19's client writes for
 * the same request ({@code src/test/go-oracle/request_oracle.go}; the side by side is
 * {@code src/test/go-oracle/request-survey-2026-12-03.txt}, the reasons for each difference
 * {@code docs/hostile-input.md}). Every request goes through a {@link Transport} whose dialer reaches a
 * loopback {@link RawServer} whatever the host, so the {@code Host} field shows what the client makes of the
 * URI; the server records every byte of the request, body framing included. Rules P43–P46.
 */
@NoGoroutineLeaks
class RequestWireTest {
    private static final String U = "http://example.com/";
    private static final String UA = "User-Agent: gochan-http/0.1\r\n";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    interface Build {
        HttpRequest build() throws Exception;
    }

    /** The bytes the server received for {@code req}, sent through a transport set up by {@code options}. */
    private static String wire(Build req, Consumer<Transport.Builder> options, boolean viaClient) throws Exception {
        AtomicReference<String> got = new AtomicReference<>();
        try (RawServer server = RawServer.start(c -> {
                 got.set(c.readRawRequest());
                 c.write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
             })) {
            Transport.Builder tb = Transport.builder().dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port()));
            options.accept(tb);
            try (Transport t = tb.build()) {
                HttpRequest r = req.build().toBuilder().timeout(Duration.ofSeconds(10)).build();
                try (HttpResponse resp = viaClient ? HttpClient.builder(t).build().send(r) : t.roundTrip(r)) {
                    assertThat(resp.status()).isEqualTo(204);
                    resp.body().string();
                }
            }
            server.close(); // joins the handler
            assertThat(server.failures()).isEmpty();
            return got.get();
        }
    }

    static HttpRequest get(String uri, String... headers) {
        return req("GET", uri, RequestBody.none(), headers);
    }

    static HttpRequest req(String method, String uri, RequestBody body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).method(method, body);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    static RequestBody body(String s) {
        return RequestBody.of(s.getBytes(StandardCharsets.ISO_8859_1), null);
    }

    static RequestBody chunks(String s) {
        return RequestBody.ofStream(() -> new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)), -1, null);
    }

    private static Arguments c(String name, Build b, String expected) {
        return Arguments.of(name, b, (Consumer<Transport.Builder>) t -> {}, expected);
    }

    private static Arguments c(String name, Build b, Consumer<Transport.Builder> options, String expected) {
        return Arguments.of(name, b, options, expected);
    }

    /** Head after the request line and Host, for a GET to example.com with the transport's own fields. */
    private static String plain(String requestLine, String host) {
        return requestLine + "\r\nHost: " + host + "\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n";
    }

    /**
     * Cases where we write what Go writes (the order of fields aside: ours keeps the caller's order and puts
     * the transport's fields after them, Go sorts the caller's fields by name), or differ on purpose
     * (the reason in docs/hostile-input.md).
     */
    static Stream<Arguments> cases() {
        return Stream.of(
                c("plain GET", () -> get(U), plain("GET / HTTP/1.1", "example.com")),
                c("no path: /", () -> get("http://example.com"), plain("GET / HTTP/1.1", "example.com")),
                c("query only", () -> get("http://example.com?q=1"), plain("GET /?q=1 HTTP/1.1", "example.com")),
                c("fragment never sent", () -> get("http://example.com/p?q=1#frag"), plain("GET /p?q=1 HTTP/1.1", "example.com")),
                c("escaped slash kept", () -> get("http://example.com/a%2Fb"), plain("GET /a%2Fb HTTP/1.1", "example.com")),
                c("escape of an unreserved character kept", () -> get("http://example.com/%41"), plain("GET /%41 HTTP/1.1", "example.com")),
                c("space in a path built by the multi-argument URI", () -> HttpRequest.newBuilder(new URI("http", "example.com", "/a b", null)).build(),
                        plain("GET /a%20b HTTP/1.1", "example.com")),
                c("R115 space in path, as text: escaped, as Go", () -> HttpRequest.get("http://example.com/a b"), plain("GET /a%20b HTTP/1.1", "example.com")),
                c("R115 space in query, as text: escaped (Go sends it raw)", () -> HttpRequest.get("http://example.com/?a b"),
                        plain("GET /?a%20b HTTP/1.1", "example.com")),
                c("non-ASCII path and query: UTF-8 escapes (Go sends the query's raw bytes)", () -> get("http://example.com/caf\u00e9?q=\u00fc"),
                        plain("GET /caf%C3%A9?q=%C3%BC HTTP/1.1", "example.com")),
                c("double slash path", () -> get("http://example.com//evil.example/x"), plain("GET //evil.example/x HTTP/1.1", "example.com")),
                c("method is case-sensitive", () -> req("get", U, RequestBody.none()), plain("get / HTTP/1.1", "example.com")),
                c("custom method token", () -> req("M-SEARCH", U, RequestBody.none()), plain("M-SEARCH / HTTP/1.1", "example.com")),
                c("IPv6 literal with port", () -> get("http://[::1]:8080/"), plain("GET / HTTP/1.1", "[::1]:8080")),
                c("IPv6 zone not in Host", () -> get("http://[fe80::1%25eth0]:8080/"), plain("GET / HTTP/1.1", "[fe80::1]:8080")),
                c("R122 default port kept as written, as Go", () -> get("http://example.com:80/"), plain("GET / HTTP/1.1", "example.com:80")),
                c("empty port", () -> get("http://example.com:/"), plain("GET / HTTP/1.1", "example.com")),
                c("other port", () -> get("http://example.com:8080/"), plain("GET / HTTP/1.1", "example.com:8080")),
                c("host case kept", () -> get("http://EXAMPLE.com/"), plain("GET / HTTP/1.1", "EXAMPLE.com")),
                c("caller's Host field ignored", () -> get(U, "Host", "other.example"), plain("GET / HTTP/1.1", "example.com")),
                Arguments.of("user info as basic auth (HttpClient)", (Build) () -> get("http://us%40er:p%3Ass@example.com/"), null,
                        "GET / HTTP/1.1\r\nHost: example.com\r\nAuthorization: Basic dXNAZXI6cDpzcw==\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                Arguments.of("user info, Authorization set (HttpClient)", (Build) () -> get("http://user:pass@example.com/", "Authorization", "Bearer t"), null,
                        "GET / HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer t\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                // framing
                c("POST without body: Content-Length 0", () -> req("POST", U, RequestBody.none()),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"),
                c("PUT without body: Content-Length 0", () -> req("PUT", U, RequestBody.none()),
                        "PUT / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"),
                c("PATCH without body: Content-Length 0", () -> req("PATCH", U, RequestBody.none()),
                        "PATCH / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"),
                c("DELETE without body: none", () -> req("DELETE", U, RequestBody.none()), plain("DELETE / HTTP/1.1", "example.com")),
                c("OPTIONS without body: none", () -> req("OPTIONS", U, RequestBody.none()), plain("OPTIONS / HTTP/1.1", "example.com")),
                c("lower-case post without body: none", () -> req("post", U, RequestBody.none()), plain("post / HTTP/1.1", "example.com")),
                c("P45 POST with an empty body: Content-Length 0", () -> req("POST", U, body("")),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"),
                c("P45 GET with an empty body: none", () -> req("GET", U, body("")), plain("GET / HTTP/1.1", "example.com")),
                c("P45 DELETE with an empty body: none", () -> req("DELETE", U, body("")), plain("DELETE / HTTP/1.1", "example.com")),
                c("GET with a body", () -> req("GET", U, body("hi")),
                        "GET / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 2\r\n\r\nhi"),
                c("POST known length", () -> req("POST", U, body("hello")),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"),
                c("POST unknown length: chunked", () -> req("POST", U, chunks("hello")),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                c("POST unknown length, empty: the last chunk alone", () -> req("POST", U, chunks("")),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                c("caller's Content-Length on GET ignored", () -> get(U, "Content-Length", "5"), plain("GET / HTTP/1.1", "example.com")),
                c("caller's Content-Length on POST replaced", () -> req("POST", U, body("hello"), "Content-Length", "1"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"),
                c("caller's Content-Length list replaced", () -> req("POST", U, body("hello"), "Content-Length", "5, 5"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"),
                c("caller's Transfer-Encoding on a known length replaced", () -> req("POST", U, body("hello"), "Transfer-Encoding", "chunked"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"),
                c("caller's Transfer-Encoding on GET ignored", () -> get(U, "Transfer-Encoding", "chunked"), plain("GET / HTTP/1.1", "example.com")),
                c("caller's Transfer-Encoding gzip replaced", () -> req("POST", U, chunks("hello"), "Transfer-Encoding", "gzip"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                c("P44 caller's Trailer on a chunked body dropped", () -> req("POST", U, chunks("hello"), "Trailer", "X-T"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                c("P44 caller's Trailer on a known length dropped", () -> req("POST", U, body("hello"), "trailer", "Content-Length"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"),
                c("Expect 100-continue with a body", () -> req("POST", U, body("hello"), "Expect", "100-continue"),
                        "POST / HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\n" + UA + "Accept-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"),
                c("Expect 100-continue without a body: sent as set", () -> get(U, "Expect", "100-continue"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                // connection
                c("caller's Connection: close", () -> get(U, "Connection", "close"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                c("keep-alive asked, keep-alives off: both, as Go", () -> get(U, "Connection", "keep-alive"), t -> t.disableKeepAlives(true),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\n" + UA + "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
                c("keep-alives off", () -> get(U), t -> t.disableKeepAlives(true),
                        "GET / HTTP/1.1\r\nHost: example.com\r\n" + UA + "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
                c("hop-by-hop fields sent as set", () -> get(U, "Keep-Alive", "timeout=5", "TE", "trailers"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                // fields
                c("duplicates in the caller's order", () -> get(U, "X-B", "1", "X-A", "1", "X-B", "2"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nX-B: 1\r\nX-A: 1\r\nX-B: 2\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                c("name spelled as given", () -> get(U, "x-lower", "1"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nx-lower: 1\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                c("empty value", () -> get(U, "X-A", ""),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nX-A: \r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                c("tab in a value", () -> get(U, "X-A", "a\tb"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nX-A: a\tb\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                c("U+00E9 in a value: the one byte 0xE9", () -> get(U, "X-A", "caf\u00e9"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nX-A: caf\u00e9\r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                // defaults
                c("caller's User-Agent", () -> get(U, "User-Agent", "mine/1"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: mine/1\r\nAccept-Encoding: gzip\r\n\r\n"),
                c("P46 empty User-Agent: none sent", () -> get(U, "User-Agent", ""),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nAccept-Encoding: gzip\r\n\r\n"),
                c("P46 User-Agent twice: the first, once", () -> get(U, "User-Agent", "a", "user-agent", "b"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: a\r\nAccept-Encoding: gzip\r\n\r\n"),
                c("caller's Accept-Encoding: no gzip added", () -> get(U, "Accept-Encoding", "br"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nAccept-Encoding: br\r\n" + UA + "\r\n"),
                c("empty Accept-Encoding: no gzip added (Go adds it)", () -> get(U, "Accept-Encoding", ""),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nAccept-Encoding: \r\n" + UA + "\r\n"),
                c("Range: no gzip added", () -> get(U, "Range", "bytes=0-1"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-1\r\n" + UA + "\r\n"),
                c("P88 empty Range: gzip added, as Go", () -> get(U, "Range", ""),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nRange: \r\n" + UA + "Accept-Encoding: gzip\r\n\r\n"),
                c("P88 empty Range, then one with a value: no gzip added", () -> get(U, "Range", "", "Range", "bytes=0-1"),
                        "GET / HTTP/1.1\r\nHost: example.com\r\nRange: \r\nRange: bytes=0-1\r\n" + UA + "\r\n"),
                c("HEAD: no gzip added", () -> req("HEAD", U, RequestBody.none()), "HEAD / HTTP/1.1\r\nHost: example.com\r\n" + UA + "\r\n"),
                c("compression off: no gzip added", () -> get(U), t -> t.disableCompression(true),
                        "GET / HTTP/1.1\r\nHost: example.com\r\n" + UA + "\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theBytesOnTheWire(String name, Build req, Consumer<Transport.Builder> options, String expected) throws Exception {
        assertThat(wire(req, options == null ? t -> {} : options, options == null)).isEqualTo(expected);
    }

    /** Bad input the caller gave: refused with the header (or what is wrong) named, before any connection, as Go. */
    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("bad escape", (Build) () -> get("http://example.com/%zz"), "Malformed escape pair"),
                Arguments.of("CR LF in path", (Build) () -> HttpRequest.get("http://example.com/a\r\nX-Injected: 1"), "Illegal character in path"),
                Arguments.of("CR LF in query", (Build) () -> HttpRequest.get("http://example.com/?a\r\nX-Injected: 1"), "Illegal character in query"),
                Arguments.of("opaque URI", (Build) () -> get("http:foo"), "URI has no host"),
                Arguments.of("method with space", (Build) () -> req("GE T", U, RequestBody.none()), "invalid HTTP method 'GE T'"),
                Arguments.of("method with CRLF", (Build) () -> req("GET / HTTP/1.1\r\nX: y\r\n", U, RequestBody.none()), "invalid HTTP method"),
                Arguments.of("empty method (Go: GET)", (Build) () -> req("", U, RequestBody.none()), "invalid HTTP method ''"),
                Arguments.of("value CRLF injection", (Build) () -> get(U, "X-A", "a\r\nX-Injected: 1"), "in value of header 'X-A'"),
                Arguments.of("value LF", (Build) () -> get(U, "X-A", "a\nb"), "0xa in value of header 'X-A'"),
                Arguments.of("value CR", (Build) () -> get(U, "X-A", "a\rb"), "0xd in value of header 'X-A'"),
                Arguments.of("value NUL", (Build) () -> get(U, "X-A", "a\u0000b"), "0x0 in value of header 'X-A'"),
                Arguments.of("value BEL", (Build) () -> get(U, "X-A", "a\u0007b"), "0x7 in value of header 'X-A'"),
                Arguments.of("value DEL", (Build) () -> get(U, "X-A", "a\u007fb"), "0x7f in value of header 'X-A'"),
                Arguments.of("value obs-fold", (Build) () -> get(U, "X-A", "a\r\n b"), "in value of header 'X-A'"),
                Arguments.of("value beyond U+00FF", (Build) () -> get(U, "X-A", "\u4e2d"), "0x4e2d in value of header 'X-A'"),
                Arguments.of("name with space", (Build) () -> get(U, "X A", "1"), "header name 'X A'"),
                Arguments.of("name with colon", (Build) () -> get(U, "X:A", "1"), "header name 'X:A'"),
                Arguments.of("name with CRLF", (Build) () -> get(U, "X-A\r\nX-Injected", "1"), "header name 'X-A\\x0d\\x0aX-Injected'"),
                Arguments.of("empty name", (Build) () -> get(U, "", "1"), "empty header name"),
                Arguments.of("name with NUL", (Build) () -> get(U, "X-\u0000", "1"), "header name 'X-\\x00'"),
                Arguments.of("name with paren", (Build) () -> get(U, "X(A)", "1"), "header name 'X(A)'"),
                Arguments.of("name non-ASCII", (Build) () -> get(U, "X-\u00e9", "1"), "header name 'X-\u00e9'"),
                Arguments.of("Host value with CRLF", (Build) () -> get(U, "Host", "a\r\nX: y"), "in value of header 'Host'"),
                Arguments.of("Content-Length value with CRLF", (Build) () -> req("POST", U, body("hello"), "Content-Length", "5\r\nX: y"),
                        "in value of header 'Content-Length'"),
                Arguments.of("a value over maxRequestHeaderBytes (Go has no bound)", (Build) () -> get(U, "X-Big", "a".repeat(300_000)),
                        "more than maxRequestHeaderBytes (262144); nothing was sent"),
                Arguments.of("P43 a path over maxRequestHeaderBytes once escaped", (Build) () -> get(U + "\u4e2d".repeat(30_000)),
                        "more than maxRequestHeaderBytes (262144); nothing was sent"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void badInputIsRefusedBeforeAnythingIsSent(String name, Build req, String message) throws Exception {
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port())).build()) {
            // a timeout, so that a request wrongly sent fails the test instead of waiting for an answer
            assertThatThrownBy(() -> t.roundTrip(req.build().toBuilder().timeout(Duration.ofSeconds(5)).build()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(message);
            assertThat(server.accepted()).as("no connection opened").isZero();
        }
    }

    @Test
    void P43_theRequestHeadIsMeasuredAsSent() throws Exception {
        // 29 000 U+4E2D are 29 000 chars but 261 000 bytes once UTF-8 escaped: within the limit of 262 144 ...
        String ok = wire(() -> get(U + "\u4e2d".repeat(29_000)), t -> {}, false);
        assertThat(ok).startsWith("GET /%E4%B8%AD").hasSizeGreaterThan(261_000);
        // ... and so the same limit, set to the bytes sent less one, refuses it
        int sent = ok.indexOf("\r\nHost:") + 2 + "\r\n".length();
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().maxRequestHeaderBytes(sent - 1)
                     .dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port())).build()) {
            assertThatThrownBy(() -> t.roundTrip(get(U + "\u4e2d".repeat(29_000)).toBuilder().timeout(Duration.ofSeconds(5)).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than maxRequestHeaderBytes")
                    // The message names the request, its URI shortened: not the 29 000 characters again.
                    .message().hasSizeLessThan(600).contains("GET http://", "(29");
            assertThat(server.accepted()).isZero();
        }
    }
}
