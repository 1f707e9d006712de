package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A fresh-eyes audit against hostile servers, beyond {@link HostileServerTest}, {@link HostileFramingTest} and
 * {@link HostileProbeTest}: a {@code Content-Encoding} given in more than one field (P57), a connection that ends
 * after a 1xx (P58), a malformed early answer to an upload (P59), a NUL or bare CR in a
 * chunk-size line (P60), a reset before the response (E128). Each ends with the response as sent or a specific
 * exception, a connection that cannot be trusted closed, the next request served, and nothing left running. {@code docs/hostile-input.md} lists every
 * case with its test.
 */
@NoGoroutineLeaks
class HostileAuditTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static HttpRequest bounded(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write(data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return b.toByteArray();
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------ P57: Content-Encoding in several fields

    static Stream<Arguments> encodingsInSeveralFields() {
        byte[] hello = "hello".getBytes(StandardCharsets.ISO_8859_1);
        return Stream.of(
                // gzip applied twice, said in two fields (RFC 9110 §5.3: the same as "gzip, gzip" in one)
                Arguments.of("gzip twice", List.of("gzip", "gzip"), gzip(gzip(hello))),
                // gzip, then another coding on top: the outer coding is not gzip
                Arguments.of("gzip, then br", List.of("gzip", "br"), "not gzip on the outside".getBytes(StandardCharsets.ISO_8859_1)),
                Arguments.of("gzip, then an empty field", List.of("gzip", ""), gzip(hello)));
    }

    /**
     * The transport decodes a body itself only when its one {@code Content-Encoding} field says {@code gzip}
     * (P57). Codings in two fields are one list, applied in order (RFC 9110 §5.3, §8.4): {@code gzip} and
     * {@code gzip} is {@code gzip, gzip}, which in one field is left alone. Before, the first field alone decided
     * (Go's {@code Header.Get}): one layer was decoded and both fields and the length removed, so the caller read
     * gzip data labelled as no coding at all; with {@code gzip} then {@code br} the body failed as bad gzip. Now
     * the body and every field reach the caller as sent, and the connection is reused.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("encodingsInSeveralFields")
    void P57_aContentEncodingInSeveralFieldsIsLeftAsSent(String name, List<String> codings, byte[] body) throws Exception {
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (String c : codings) {
            head.append("Content-Encoding: ").append(c).append("\r\n");
        }
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     c.write(i == 0 ? head + latin1(body) : OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.headers().all("Content-Encoding")).isEqualTo(codings);
                assertThat(r.headers().get("Content-Length")).isEqualTo(String.valueOf(body.length));
                assertThat(r.body().bytes()).isEqualTo(body);
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the connection was reused").isEqualTo(1);
        }
    }

    /** The neighbour that is decoded: one field saying gzip, in any case (P25, as Go's {@code EqualFold}). */
    @Test
    void P57_oneGzipFieldIsStillDecoded() throws Exception {
        byte[] body = gzip("hello".getBytes(StandardCharsets.ISO_8859_1));
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Encoding: GZip\r\nContent-Length: " + body.length + "\r\n\r\n" + latin1(body));
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.headers().contains("Content-Encoding")).isFalse();
                    assertThat(r.body().string()).isEqualTo("hello");
                }
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P58: the connection ends after a 1xx

    /**
     * A server that sends a 1xx and then closes the connection did answer: the request fails with
     * {@code PREMATURE_EOF} naming the informational responses, and is not retried, as Go 1.19 (its
     * {@code ReadResponse} says "unexpected EOF", which no retry rule matches). Before, the failure was
     * "server closed the connection before sending a response" ({@code SERVER_CLOSED_BEFORE_RESPONSE}), and on a
     * reused connection a GET was sent again on a new one, as if the server had closed it while idle (P58).
     */
    @ParameterizedTest(name = "reused connection: {0}")
    @MethodSource("booleans")
    void P58_aConnectionThatEndsAfterAnInformationalResponseIsPrematureEofAndNotRetried(boolean reused) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     requests.incrementAndGet();
                     if (c.index == 0 && i == (reused ? 1 : 0)) {
                         c.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
                         return; // closes the connection
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            if (reused) {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThatThrownBy(() -> t.roundTrip(bounded(server)).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PREMATURE_EOF))
                    .hasMessageContaining("after 1 informational (1xx) response");
            assertThat(requests.get()).as("requests the server received: not retried").isEqualTo(reused ? 2 : 1);
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(2);
            assertThat(server.failures()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ P59: a malformed answer to an upload

    static Stream<Arguments> malformedAnswers() {
        return Stream.of(
                Arguments.of("a bad Content-Length", "HTTP/1.1 413 Too Large\r\nContent-Length: abc\r\n\r\n", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("HTTP/2.0", "HTTP/2.0 413 Too Large\r\nContent-Length: 0\r\n\r\n", Reason.UNSUPPORTED_VERSION),
                Arguments.of("not HTTP", "ICY 413 Too Large\r\n\r\n", Reason.MALFORMED_STATUS_LINE));
    }

    /**
     * A server that answers an upload early, malformed, and resets the connection: the request fails with the
     * answer's {@link HttpProtocolException}, the specific cause, not with the write's "Connection reset" that the
     * server's reset then causes (P59). The early-response grace already let a well-formed answer outrank the
     * write's failure (T4); a malformed one was dropped there, so the outcome depended on which the transport
     * noticed first: the reason, or "write failed: Connection reset by peer". Not retried (a POST; and the server
     * answered); the next request works.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedAnswers")
    void P59_aMalformedEarlyAnswerOutranksTheWriteFailureThatFollowsIt(String name, String answer, Reason reason) throws Exception {
        long length = 256L * 1024 * 1024; // far more than the socket buffers take: the write is under way at the reset
        try (RawServer server = RawServer.start(c -> {
                 if (c.index > 0) {
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                     return;
                 }
                 c.readRequestHead();
                 c.write(answer);
                 c.reset(); // at once: the reset races the answer to the client's loops
             });
             Transport t = Transport.builder().build()) {
            HttpRequest upload = HttpRequest.newBuilder(server.uri("/upload"))
                    .method("POST", RequestBody.ofStream(() -> zeros(length), length, "application/octet-stream"))
                    .timeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> t.roundTrip(upload).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> assertThat(e.reason()).isEqualTo(reason));
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(2);
            assertThat(server.failures()).isEmpty();
        }
    }

    /** {@code length} zero bytes, made as they are read. */
    private static java.io.InputStream zeros(long length) {
        return new java.io.InputStream() {
            private long left = length;

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
    }

    // ------------------------------------------------------------------ P60: NUL and bare CR in the chunked coding

    static Stream<Arguments> controlsInAChunkSizeLine() {
        return Stream.of(
                Arguments.of("NUL in a chunk extension", "2;a=\u0000b\r\n", "NUL"),
                Arguments.of("NUL after the chunk size", "2\u0000\r\n", "NUL"),
                Arguments.of("bare CR in a chunk extension", "2;a=\rb\r\n", "bare CR"),
                Arguments.of("CR CR LF after the chunk size", "2\r\r\n", "bare CR"));
    }

    /**
     * A NUL or a bare CR in a chunk-size line fails the body read with {@code BAD_CHUNK}, as every other control
     * character there does (P27: 0x01, ESC, DEL), the message saying it was in a chunk-size line (P60). Before, the
     * line reader's {@code INVALID_CHARACTER} ("NUL byte in a line of the response") came through, a head's reason
     * for a fault in the body's framing. The connection is closed; the next request dials.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("controlsInAChunkSizeLine")
    void P60_aNulOrBareCrInAChunkSizeLineIsABadChunk(String name, String sizeLine, String said) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     c.write(c.index == 0 ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "ok\r\n0\r\n\r\n" : OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThatThrownBy(() -> r.body().bytes())
                        .isInstanceOfSatisfying(HttpProtocolException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_CHUNK))
                        .hasMessageContaining(said)
                        .hasMessageContaining("chunk-size line");
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the bad body's connection was closed").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ E128: a reset before the response

    /**
     * A server that resets the connection (an RST: {@code SO_LINGER} 0) after reading the whole request, before a
     * byte of the response: the failure names the reset, "server reset the connection before sending a response",
     * the JDK's "Connection reset" its cause (E128). Before, it said "server closed the connection", the words of a
     * FIN. The retry rules are those of a close, as Go's ({@code transportReadFromServerError} for both): on a new
     * connection never retried; on a reused one a POST is not, a GET is, on a new connection.
     */
    @ParameterizedTest(name = "reused connection: {0}")
    @MethodSource("booleans")
    void E128_aResetBeforeTheResponseIsNamedAResetAndRetriedAsACloseIs(boolean reused) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        int resetAt = reused ? 1 : 0; // the request of each connection that the server answers with a reset
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     requests.incrementAndGet();
                     if (i == resetAt && (reused || c.index == 0)) {
                         c.reset();
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest failing = bounded(server);
            if (reused) {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                failing = HttpRequest.newBuilder(server.uri("/post")).POST(RequestBody.of("abc"))
                        .timeout(Duration.ofSeconds(10)).build();
            }
            HttpRequest request = failing;
            assertThatThrownBy(() -> t.roundTrip(request).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.SERVER_CLOSED_BEFORE_RESPONSE))
                    .hasMessageContaining("server reset the connection before sending a response")
                    .hasRootCauseInstanceOf(java.net.SocketException.class)
                    .hasRootCauseMessage("Connection reset");
            assertThat(requests.get()).as("requests the server received: not retried").isEqualTo(reused ? 2 : 1);
            assertThat(t.stats().retries()).isZero();
            if (reused) {
                // A GET on a reused connection that the server resets is sent again on a new one, as after a close.
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(t.stats().retries()).as("the reset GET was retried").isEqualTo(1);
                assertThat(t.stats().dialed()).isEqualTo(3);
            } else {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(t.stats().dialed()).isEqualTo(2);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    static Stream<Boolean> booleans() {
        return Stream.of(false, true);
    }
}
