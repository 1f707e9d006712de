package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile servers: shapes of hostile or malformed answers not pinned elsewhere. Each probe asserts what
 * docs/spec/transport.md ("Bad input", T9, T10, P21, P23, P25, P30, P32), docs/hostile-input.md or Go promise: a
 * specific exception whose message escapes control bytes, nothing hangs, the connection of a bad answer is closed
 * (the server sees its end) and the next request on the same transport is served, nothing left running.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileShapesTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    // ------------------------------------------------------------------------------------------------------------
    // A small harness: the first connection answers the first request with the given bytes, every later request
    // (on any connection) with OK.

    /** What the first request ended with. */
    record Outcome(HttpResponse response, String body, Throwable failure) {}

    private static RawServer firstAnswers(byte[] bytes, boolean closeAfter, CountDownLatch firstClosed) throws IOException {
        return RawServer.start(conn -> {
            try {
                if (conn.index == 0) {
                    if (conn.readRequest() == null) {
                        return;
                    }
                    conn.write(bytes);
                    if (closeAfter) {
                        conn.socket.shutdownOutput();
                    }
                }
                while (conn.readRequest() != null) {
                    conn.write(OK);
                }
            } catch (SocketException e) {
                // reset by the client: closed as well
            } finally {
                if (conn.index == 0) {
                    firstClosed.countDown();
                }
            }
        });
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void nextRequestIsServed(Transport t, RawServer server) throws Exception {
        HttpRequest second = HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build();
        try (HttpResponse r = t.roundTrip(second)) {
            assertThat(r.body().string()).as("the next request's own answer").isEqualTo("ok");
        }
    }

    private static void assertPrintable(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            for (int i = 0; i < m.length(); i++) {
                char ch = m.charAt(i);
                assertThat(ch < 0x20 || (ch >= 0x7f && ch <= 0x9f))
                        .as("raw control character 0x%x at %d in the message of %s: %s", (int) ch, i, c.getClass().getSimpleName(),
                                m.replaceAll("[\\x00-\\x1f\\x7f-\\x9f]", "?"))
                        .isFalse();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    static Stream<Arguments> refusedWithEscapedMessages() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n";
        return Stream.of(
                Arguments.of("C1 CSI (0x9b) after chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\u009b[2J\r\n\r\n0\r\n\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("NEL (0x85) in a transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gz\u0085ip\r\n\r\n0\r\n\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("NEL after a length", "HTTP/1.1 200 OK\r\nContent-Length: 2\u0085\r\n\r\nhi", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("NBSP after a length (not a blank to trim)", "HTTP/1.1 200 OK\r\nContent-Length: 2\u00a0\r\n\r\nhi",
                        Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("CSI in differing lengths",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\u009b\r\n\r\nhi!", Reason.CONFLICTING_CONTENT_LENGTH),
                Arguments.of("CSI in a list of lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2,\u009b2\r\n\r\nhi",
                        Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("CSI in an announced framing trailer",
                        chunked + "Trailer: X\u009b, Content-Length\r\n\r\n2\r\nhi\r\n0\r\n\r\n", Reason.MALFORMED_HEADER),
                Arguments.of("CSI in a non-token header name", "HTTP/1.1 200 OK\r\nX\u009b[31m: v\r\nContent-Length: 2\r\n\r\nhi",
                        Reason.INVALID_CHARACTER),
                Arguments.of("ESC inside a header name", "HTTP/1.1 200 OK\r\nX\u001b[31m: v\r\nContent-Length: 2\r\n\r\nhi",
                        Reason.INVALID_CHARACTER),
                Arguments.of("CSI in the version", "HTTP/1.\u009b 200 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.UNSUPPORTED_VERSION),
                Arguments.of("CSI in the code", "HTTP/1.1 2\u009b0 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.BAD_STATUS_CODE),
                Arguments.of("CSI in a chunk size", chunked + "\r\n2\u009b\r\nhi\r\n0\r\n\r\n", Reason.BAD_CHUNK),
                Arguments.of("NBSP after a chunk size", chunked + "\r\n2\u00a0\r\nhi\r\n0\r\n\r\n", Reason.BAD_CHUNK),
                Arguments.of("CSI in a chunk extension", chunked + "\r\n2;a=\u009b\r\nhi\r\n0\r\n\r\n", null),
                Arguments.of("space inside a header name with a C1 after it",
                        "HTTP/1.1 200 OK\r\nA B\u0085: c\r\nContent-Length: 2\r\n\r\nhi", Reason.MALFORMED_HEADER),
                Arguments.of("line without a colon holding a C1", "HTTP/1.1 200 OK\r\nno colon \u009b here\r\nContent-Length: 2\r\n\r\nhi",
                        Reason.MALFORMED_HEADER),
                Arguments.of("HTTP/0.9 body holding a C1", "\u009b[2Jhello\r\n", Reason.MALFORMED_STATUS_LINE),
                Arguments.of("a 1xx with a CSI in its Content-Length to HEAD", "HTTP/1.1 103 Hints\r\nContent-Length: x\u009b\r\n\r\n" + OK,
                        Reason.INVALID_CONTENT_LENGTH));
    }

    /**
     * "Bad input" (transport.md): a refused answer names what was wrong and its message escapes the peer's control
     * bytes, C1 (0x80-0x9f, whose CSI and NEL a terminal or log reader acts on) included (R125, R133); the connection
     * is closed and the next request is served. A case whose reason is null is not refused here: only its message,
     * if any, is looked at (and the next request).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedWithEscapedMessages")
    void aRefusedAnswerNamesWhatWasWrongWithControlBytesEscaped(String name, String bytes, Reason reason) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        String method = name.contains("to HEAD") ? "HEAD" : "GET";
        try (RawServer server = firstAnswers(latin1(bytes), false, firstClosed);
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).method(method, RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            Throwable failure = null;
            try (HttpResponse r = t.roundTrip(first)) {
                r.body().string();
            } catch (IOException e) {
                failure = e;
            }
            if (reason == null) {
                if (failure != null) {
                    assertPrintable(failure);
                }
            } else {
                assertThat(failure).as("the failure").isInstanceOf(HttpProtocolException.class);
                assertThat(((HttpProtocolException) failure).reason()).as("%s", failure).isEqualTo(reason);
                assertPrintable(failure);
                assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection").isTrue();
            }
            nextRequestIsServed(t, server);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    static Stream<Arguments> acceptedShapes() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        return Stream.of(
                // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ); Go reads any reason.
                Arguments.of("a tab inside the reason phrase", "HTTP/1.1 200 Fine\tThanks\r\nContent-Length: 2\r\n\r\nhi", "hi"),
                Arguments.of("a tab ending the reason phrase", "HTTP/1.1 200 OK\t\r\nContent-Length: 2\r\n\r\nhi", "hi"),
                // P32: 1 to 16 hex digits, leading zeros allowed (Go's parseHexUint reads 16).
                Arguments.of("a chunk size of 16 digits with leading zeros", chunked + "0000000000000002\r\nhi\r\n0\r\n\r\n", "hi"),
                Arguments.of("a last chunk of several zeros", chunked + "2\r\nhi\r\n000\r\n\r\n", "hi"),
                Arguments.of("a last chunk of 16 zeros", chunked + "2\r\nhi\r\n0000000000000000\r\n\r\n", "hi"),
                Arguments.of("upper-case hex size", chunked + "A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
                Arguments.of("a last chunk with an extension then a trailer", chunked + "2\r\nhi\r\n0;x=1\r\nX-T: v\r\n\r\n", "hi"),
                // transport.md "Bad input": exactly 100 fields is within the limit, in a 1xx as in the final head.
                Arguments.of("a 1xx of 100 fields, then the answer",
                        "HTTP/1.1 103 Early Hints\r\n" + "L: v\r\n".repeat(100) + "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
                        "hi"));
    }

    /** Unusual but valid answers are read and their connection reused (one dial for both requests). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("acceptedShapes")
    void anUnusualButValidAnswerIsReadAndItsConnectionReused(String name, String bytes, String body) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        try (RawServer server = firstAnswers(latin1(bytes), false, firstClosed);
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(first)) {
                assertThat(r.body().string()).isEqualTo(body);
            }
            nextRequestIsServed(t, server);
            assertThat(t.stats().dialed()).as("connections dialled").isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    static Stream<Arguments> refusedShapes() {
        return Stream.of(
                Arguments.of("a 1xx of 101 fields", "HTTP/1.1 103 Early Hints\r\n" + "L: v\r\n".repeat(101) + "\r\n" + OK,
                        Reason.TOO_MANY_HEADERS),
                Arguments.of("10,000 tiny fields with bare LF ends", "HTTP/1.1 200 OK\n" + "a:\n".repeat(10_000) + "Content-Length: 2\n\nhi",
                        Reason.TOO_MANY_HEADERS),
                Arguments.of("10,000 tiny fields in a 1xx", "HTTP/1.1 100 Continue\r\n" + "a:\r\n".repeat(10_000) + "\r\n" + OK,
                        Reason.TOO_MANY_HEADERS),
                Arguments.of("lower-case transfer-encoding beside a CONTENT-LENGTH",
                        "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
                        Reason.CONFLICTING_FRAMING),
                Arguments.of("Content-Length 5, 5", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("Content-Length 5,6", "HTTP/1.1 200 OK\r\nContent-Length: 5,6\r\n\r\nhello!", Reason.CONFLICTING_CONTENT_LENGTH),
                Arguments.of("Content-Length +5", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("Content-Length of 2^64 (wraps to 0 as an unsigned long)",
                        "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nhello", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("Content-Length of 2^64+2 (wraps to 2)",
                        "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551618\r\n\r\nhi", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("chunk size 2^64+2 in 17 digits", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\nhi\r\n0\r\n\r\n",
                        Reason.BAD_CHUNK),
                Arguments.of("chunk size 2^63 exactly", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\nhi\r\n0\r\n\r\n",
                        Reason.BAD_CHUNK),
                Arguments.of("chunk size with a leading + sign", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nhi\r\n0\r\n\r\n",
                        Reason.BAD_CHUNK),
                Arguments.of("chunk size with an underscore", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n" + "x".repeat(16)
                        + "\r\n0\r\n\r\n", Reason.BAD_CHUNK),
                Arguments.of("obs-fold in a trailer continuing a framing name",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX: a\r\n\tContent-Length: 5\r\n\r\n",
                        Reason.OBSOLETE_LINE_FOLDING),
                Arguments.of("a NUL in a trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX: a\u0000b\r\n\r\n",
                        Reason.INVALID_CHARACTER),
                Arguments.of("10,000 tiny trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
                        + "a:\r\n".repeat(10_000) + "\r\n", Reason.TOO_MANY_HEADERS));
    }

    /**
     * T10: each refused answer fails with its own reason (from the round trip or the body's read), the connection is
     * closed (the server sees the client's end), and the next request is served.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedShapes")
    void aRefusedShapeFailsWithItsReasonAndClosesItsConnection(String name, String bytes, Reason reason) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        try (RawServer server = firstAnswers(latin1(bytes), false, firstClosed);
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            Throwable failure = null;
            try (HttpResponse r = t.roundTrip(first)) {
                r.body().string();
            } catch (IOException e) {
                failure = e;
            }
            assertThat(failure).as("the failure").isInstanceOf(HttpProtocolException.class);
            assertThat(((HttpProtocolException) failure).reason()).as("%s", failure).isEqualTo(reason);
            assertPrintable(failure);
            assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection").isTrue();
            nextRequestIsServed(t, server);
            assertThat(t.stats().dialed()).isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private static byte[] gzip(String s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(s.getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    static Stream<Arguments> gzipCutShort() throws IOException {
        byte[] member = gzip("hello, gzip");
        return Stream.of(
                Arguments.of("a complete member, its Content-Length 10 more, then close",
                        concat(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + (member.length + 10) + "\r\n\r\n"),
                                member)),
                Arguments.of("a complete member in a chunk, then close before the last chunk",
                        concat(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + Integer.toHexString(member.length) + "\r\n"), member, latin1("\r\n"))),
                Arguments.of("a complete member and half a second member's header, Content-Length longer, then close",
                        concat(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + (member.length + 20) + "\r\n\r\n"),
                                member, new byte[] {0x1f, (byte) 0x8b})));
    }

    /**
     * P23 and P30 under transparent gzip (P25): a gzip body whose data ends cleanly but whose framing was cut short
     * by the server's close is not a complete body: the read fails (PREMATURE_EOF, or BAD_CONTENT_ENCODING naming a
     * cut), never an EOF that would hand the caller a truncated body as whole (Go: the framing's
     * io.ErrUnexpectedEOF reaches the gzip reader's next header read); every later read fails too (P61) and done()
     * carries the failure.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gzipCutShort")
    void aGzipBodyWhoseFramingIsCutShortFailsTheReadInsteadOfEnding(String name, byte[] bytes) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = firstAnswers(bytes, true, firstClosed);
             Transport t = Transport.builder().maxConnsPerHost(1).listener(dones).build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(first)) {
                InputStream in = r.body().stream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                Throwable failure = null;
                try {
                    byte[] buf = new byte[64];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        got.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    failure = e;
                }
                assertThat(failure).as("the body read (got '%s')", got.toString(StandardCharsets.US_ASCII))
                        .isInstanceOf(HttpProtocolException.class);
                assertThat(((HttpProtocolException) failure).reason()).as("%s", failure)
                        .isIn(Reason.PREMATURE_EOF, Reason.BAD_CONTENT_ENCODING);
                assertThatThrownBy(in::read).as("a read after the failure").isInstanceOf(IOException.class);
            }
            Leaks.awaitTrue(() -> dones.done.containsKey(first), "done() of the first request");
            assertThat(dones.done.get(first)).hasSize(1);
            assertThat(dones.done.get(first).get(0)).as("done() carries a failure").isInstanceOf(HttpProtocolException.class);
            nextRequestIsServed(t, server);
        }
    }

    /**
     * P23: a body shorter than its Content-Length, then the server's close: every way of reading it fails with
     * PREMATURE_EOF naming the cut; none returns the truncated bytes as a complete body.
     */
    @Test
    void aBodyShorterThanItsLengthFailsEveryWayOfReadingIt() throws Exception {
        String bytes = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
        for (String way : List.of("string", "bytes", "readAllBytes", "transferTo", "byte at a time", "skip")) {
            CountDownLatch firstClosed = new CountDownLatch(1);
            try (RawServer server = firstAnswers(latin1(bytes), true, firstClosed);
                 Transport t = Transport.builder().maxConnsPerHost(1).build()) {
                HttpRequest first = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
                try (HttpResponse r = t.roundTrip(first)) {
                    InputStream in = r.body().stream();
                    assertThatThrownBy(() -> {
                        switch (way) {
                            case "string" -> r.body().string();
                            case "bytes" -> r.body().bytes();
                            case "readAllBytes" -> in.readAllBytes();
                            case "transferTo" -> in.transferTo(new ByteArrayOutputStream());
                            case "byte at a time" -> {
                                while (in.read() >= 0) {
                                    // on
                                }
                            }
                            case "skip" -> {
                                while (in.skip(100) > 0) {
                                    // on
                                }
                                if (in.read() < 0) {
                                    throw new AssertionError("skip then read reached EOF: truncated body taken as whole");
                                }
                            }
                            default -> throw new IllegalStateException(way);
                        }
                    }).as(way).isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.PREMATURE_EOF);
                        assertThat(e.getMessage()).as("names the cut").containsAnyOf("cut short", "closed", "5 of 10", "short");
                    });
                }
                assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                nextRequestIsServed(t, server);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * T9 (and Go's respHeaderTimer, which a 1xx does not restart): a stream of 1xx heads, each well inside the
     * response-header timeout and all far under the header budget, never lets a final head arrive: the request fails
     * with RESPONSE_HEADERS at about the timeout, the connection is closed, the next request is served.
     */
    @Test
    void aStreamOfInformationalHeadsIsBoundedByTheResponseHeaderTimeout() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        AtomicLong sent = new AtomicLong();
        try (RawServer server = RawServer.start(c -> {
                 if (c.index != 0) {
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                     return;
                 }
                 c.readRequest();
                 c.socket.setSoTimeout(100); // the peer's pace, not an ordering
                 InputStream fromClient = c.socket.getInputStream();
                 try {
                     while (true) {
                         try {
                             if (fromClient.read() < 0) {
                                 break;
                             }
                         } catch (java.net.SocketTimeoutException pace) {
                             c.write("HTTP/1.1 102 Processing\r\n\r\n");
                             sent.incrementAndGet();
                         }
                     }
                 } catch (IOException e) {
                     // closed by the client
                 }
                 clientClosed.countDown();
             });
             Transport t = Transport.builder().responseHeaderTimeout(Duration.ofSeconds(1)).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).build(); // no request timeout
            long start = System.nanoTime();
            Object outcome = Leaks.outcomeWithin10s("the round trip", () -> t.roundTrip(req));
            assertThat(outcome).as("the outcome").isInstanceOfSatisfying(HttpTimeoutException.class,
                    e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.RESPONSE_HEADERS));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(sent.get()).as("1xx heads sent").isGreaterThan(1);
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
            nextRequestIsServed(t, server);
        }
    }

    /**
     * P21 and R64: a POST with {@code Expect: 100-continue} answered by a {@code 101} it did not ask for (no 100
     * first). The 101 is the final answer (as any unasked 101), returned without waiting out the expect-continue
     * timeout; the body is not sent into a switched connection; the connection is closed, never pooled; the next
     * request is served; nothing waits on for the 100.
     */
    @Test
    void anUnaskedSwitchAnsweringAnExpectContinueRequestEndsItAtOnceAndClosesTheConnection() throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        AtomicLong bodyBytesSeen = new AtomicLong(-1);
        try (RawServer server = RawServer.start(c -> {
                 try {
                     if (c.index == 0) {
                         String head = c.readRequestHead();
                         assertThat(head).contains("Expect: 100-continue");
                         c.write("HTTP/1.1 101 Switching Protocols\r\n\r\n");
                         long n = 0;
                         try {
                             while (c.in.read() >= 0) {
                                 n++;
                             }
                         } catch (IOException e) {
                             // reset
                         }
                         bodyBytesSeen.set(n);
                         firstClosed.countDown();
                         return;
                     }
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                 } catch (SocketException e) {
                     // reset
                 }
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofSeconds(60)).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/up")).POST(RequestBody.of("0123456789"))
                    .header("Expect", "100-continue").build();
            long start = System.nanoTime();
            Object outcome = Leaks.outcomeWithin10s("the round trip", () -> {
                try (HttpResponse r = t.roundTrip(req)) {
                    return r.status() + " '" + r.body().string() + "'";
                }
            });
            assertThat(outcome).isEqualTo("101 ''");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection").isTrue();
            assertThat(bodyBytesSeen.get()).as("body bytes sent into the switched connection").isZero();
            nextRequestIsServed(t, server);
            assertThat(t.stats().dialed()).isEqualTo(2);
        }
    }

    /**
     * P37 with a HEAD: the answer to HEAD declares a length and the body follows it in the same write; a GET sent
     * right after on the same transport gets its own answer (never the HEAD's body parsed as its status line, nor a
     * failure), on a new connection.
     */
    @Test
    void aHeadAnswerCarryingItsBodyNeverAnswersNorFailsTheNextRequest() throws Exception {
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"; // the "body"
        String head = "HTTP/1.1 200 OK\r\nContent-Length: " + forged.length() + "\r\n\r\n";
        for (int round = 0; round < 20; round++) {
            CountDownLatch firstClosed = new CountDownLatch(1);
            try (RawServer server = RawServer.start(c -> {
                     try {
                         if (c.index == 0) {
                             c.readRequest();
                             c.write(head + forged);
                             while (c.readRequest() != null) {
                                 c.write(OK);
                             }
                             firstClosed.countDown();
                             return;
                         }
                         while (c.readRequest() != null) {
                             c.write(OK);
                         }
                     } catch (SocketException e) {
                         firstClosed.countDown();
                     }
                 });
                 Transport t = Transport.builder().maxConnsPerHost(1).build()) {
                HttpRequest first = HttpRequest.newBuilder(server.uri("/")).HEAD().timeout(Duration.ofSeconds(10)).build();
                try (HttpResponse r = t.roundTrip(first)) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEmpty();
                }
                nextRequestIsServed(t, server);
                assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("round %d: first connection closed", round).isTrue();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * P23 for a body delimited by the connection's end: a reset (RST) instead of a FIN after part of it is no end of
     * the body; the read fails (as Go's read returns ECONNRESET) rather than returning the bytes so far as the whole
     * body; the next request is served.
     */
    @ParameterizedTest(name = "gzip {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aBodyReadToTheCloseThatEndsInAResetFailsTheRead(boolean gzipped) throws Exception {
        byte[] member = gzip("hello, gzip");
        byte[] head = latin1("HTTP/1.1 200 OK\r\n" + (gzipped ? "Content-Encoding: gzip\r\n" : "") + "\r\n");
        byte[] part = gzipped ? member : latin1("hello, plain");
        CountDownLatch readStarted = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 try {
                     if (c.index == 0) {
                         c.readRequest();
                         c.write(concat(head, part));
                         readStarted.await(20, TimeUnit.SECONDS);
                         c.reset();
                         return;
                     }
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                 } catch (SocketException e) {
                     // reset
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(first)) {
                InputStream in = r.body().stream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] buf = new byte[256];
                int n = in.read(buf);
                if (n > 0) {
                    got.write(buf, 0, n);
                }
                readStarted.countDown();
                Throwable failure = null;
                try {
                    while ((n = in.read(buf)) >= 0) {
                        got.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    failure = e;
                }
                assertThat(failure).as("the read after the reset (read '%s')", got.toString(StandardCharsets.ISO_8859_1))
                        .isInstanceOf(IOException.class);
                assertPrintable(failure);
            }
            nextRequestIsServed(t, server);
        }
    }

    /**
     * P21: a POST with {@code Expect: 100-continue} answered by a 103 and then a final 200, never a 100: the 200 is
     * returned at once (not after the 60 s expect-continue timeout), the connection is closed (whether the server
     * read the body is unknowable), the next request is served.
     */
    @Test
    void anExpectContinueRequestAnsweredByEarlyHintsThenAFinalStatusEndsAtOnce() throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 try {
                     if (c.index == 0) {
                         c.readRequestHead();
                         c.write("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK);
                         try {
                             while (c.in.read() >= 0) {
                                 // until the client's end
                             }
                         } catch (IOException e) {
                             // reset
                         }
                         firstClosed.countDown();
                         return;
                     }
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                 } catch (SocketException e) {
                     // reset
                 }
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofSeconds(60)).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/up")).POST(RequestBody.of("0123456789"))
                    .header("Expect", "100-continue").build();
            long start = System.nanoTime();
            Object outcome = Leaks.outcomeWithin10s("the round trip", () -> {
                try (HttpResponse r = t.roundTrip(req)) {
                    return r.status() + " " + r.body().string();
                }
            });
            assertThat(outcome).isEqualTo("200 ok");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection").isTrue();
            nextRequestIsServed(t, server);
        }
    }

    /** A gzip header, then empty stored deflate blocks for as long as the client reads: data that decodes to nothing. */
    private static RawServer floodingEmptyDeflateBlocks(CountDownLatch clientGone) throws IOException {
        byte[] gzipHeader = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        byte[] emptyBlock = {0, 0, 0, (byte) 0xff, (byte) 0xff};
        byte[] batch = new byte[emptyBlock.length * 8192];
        for (int i = 0; i < 8192; i++) {
            System.arraycopy(emptyBlock, 0, batch, i * emptyBlock.length, emptyBlock.length);
        }
        return RawServer.start(c -> {
            try {
                if (c.index == 0) {
                    c.readRequest();
                    c.write(concat(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1000000000000\r\n\r\n"),
                            gzipHeader));
                    try {
                        while (true) {
                            c.write(batch);
                        }
                    } catch (IOException e) {
                        clientGone.countDown(); // the client closed the connection under the flood
                    }
                    return;
                }
                while (c.readRequest() != null) {
                    c.write(OK);
                }
            } catch (SocketException e) {
                // reset
            }
        });
    }

    /**
     * P35: a gzip body (P25) whose bytes keep coming but decode to nothing (empty stored deflate blocks) still ends
     * at the request's own timeout (kind REQUEST): the deadline bounds the exchange, not each socket read; the
     * connection is closed; the next request is served.
     */
    @Test
    void aGzipFloodThatDecodesToNothingEndsAtTheRequestTimeout() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        try (RawServer server = floodingEmptyDeflateBlocks(clientGone);
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(2)).build();
            HttpResponse r = t.roundTrip(req);
            Object outcome = Leaks.outcomeWithin10s("the body read", () -> {
                try (r) {
                    return r.body().stream().read(new byte[64]);
                }
            });
            assertThat(outcome).as("the read's outcome").isInstanceOfSatisfying(HttpTimeoutException.class,
                    e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
            assertThat(clientGone.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
            nextRequestIsServed(t, server);
        }
    }

    /**
     * E11: an interrupt of the thread reading a gzip body whose bytes keep coming but decode to nothing ends the read
     * with RequestCancelledException (InterruptedIOException); the connection is closed; the next request is served.
     */
    @Test
    void aGzipFloodThatDecodesToNothingEndsAtAnInterrupt() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        try (RawServer server = floodingEmptyDeflateBlocks(clientGone);
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).build();
            HttpResponse r = t.roundTrip(req);
            CountDownLatch reading = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<Object> out = new java.util.concurrent.atomic.AtomicReference<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (r) {
                    InputStream in = r.body().stream();
                    reading.countDown();
                    out.set(in.read(new byte[64]));
                } catch (Throwable e) {
                    out.set(e);
                }
            });
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(clientGone.getCount()).isEqualTo(1);
            reader.interrupt();
            assertThat(reader.join(Duration.ofSeconds(10))).as("the read ended after the interrupt (it is in: %s)",
                    List.of(reader.getStackTrace())).isTrue();
            assertThat(out.get()).as("the read's outcome").isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(clientGone.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
            nextRequestIsServed(t, server);
        }
    }

    /**
     * The body's close from another thread while a read of a gzip body that decodes to nothing is under way ends that
     * read (GzipDecodingStream: "close may come from another thread while a read is under way (it closes source, which
     * ends that read)"); the connection is closed.
     */
    @Test
    void aGzipFloodThatDecodesToNothingEndsAtTheBodysClose() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        try (RawServer server = floodingEmptyDeflateBlocks(clientGone);
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).build();
            HttpResponse r = t.roundTrip(req);
            CountDownLatch reading = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<Object> out = new java.util.concurrent.atomic.AtomicReference<>();
            InputStream in = r.body().stream();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    reading.countDown();
                    out.set(in.read(new byte[64]));
                } catch (Throwable e) {
                    out.set(e);
                }
            });
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            r.close();
            assertThat(reader.join(Duration.ofSeconds(10))).as("the read ended after the close (it is in: %s)",
                    List.of(reader.getStackTrace())).isTrue();
            assertThat(out.get()).as("the read's outcome").isInstanceOf(IOException.class);
            assertThat(clientGone.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
            nextRequestIsServed(t, server);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    static Stream<Arguments> answersWithBytesBehind() throws IOException {
        String evil = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";
        byte[] member = gzip("zipped");
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        return Stream.of(
                Arguments.of("chunked with trailers", "GET", latin1(chunked + "2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n" + evil), "hi"),
                Arguments.of("chunked, last chunk with an extension", "GET", latin1(chunked + "2\r\nhi\r\n0;x=1\r\n\r\n" + evil), "hi"),
                Arguments.of("chunked, last chunk of three zeros", "GET", latin1(chunked + "2\r\nhi\r\n000\r\n\r\n" + evil), "hi"),
                Arguments.of("chunked, data split in two chunks", "GET", latin1(chunked + "1\r\nh\r\n1\r\ni\r\n0\r\n\r\n" + evil), "hi"),
                Arguments.of("gzip with a length", "GET", concat(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
                        + member.length + "\r\n\r\n"), member, latin1(evil)), "zipped"),
                Arguments.of("gzip chunked", "GET", concat(latin1("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(member.length) + "\r\n"), member, latin1("\r\n0\r\n\r\n" + evil)), "zipped"),
                Arguments.of("HTTP/1.0 keep-alive with a length", "GET",
                        latin1("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi" + evil), "hi"),
                Arguments.of("a 1xx then a 204", "GET", latin1("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n" + evil), ""),
                Arguments.of("a HEAD answer declaring chunked", "HEAD", latin1("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + evil), ""),
                Arguments.of("a length of 0", "GET", latin1("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" + evil), ""),
                Arguments.of("one stray byte after a length body", "GET", latin1("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiH"), "hi"),
                Arguments.of("a body of 40,000 bytes", "GET",
                        latin1("HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n" + "b".repeat(40_000) + evil), "b".repeat(40_000)));
    }

    /**
     * P37: bytes that are already at the client when a response ends (after trailers, after a last chunk in an unusual
     * shape, after a decoded gzip body, after a 1xx-then-204, after an HTTP/1.0 keep-alive body) are never read as the
     * next request's answer: the response is delivered, its connection closed (two dials), the next request gets "ok".
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("answersWithBytesBehind")
    void bytesBehindAnAnswerNeverAnswerTheNextRequest(String name, String method, byte[] bytes, String body) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        try (RawServer server = firstAnswers(bytes, false, firstClosed);
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).method(method, RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(first)) {
                assertThat(r.body().string()).isEqualTo(body);
            }
            nextRequestIsServed(t, server);
            assertThat(t.stats().dialed()).as("connections dialled").isEqualTo(2);
            assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the first connection").isTrue();
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private static final List<String> SEEDS = List.of(
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5;e=\"q\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
            "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL",
            "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 25\r\n\r\n"
                    + "\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u00ff\u00cbH\u00cd\u00c9\u00c9\u0007\u0000\u0086\u00a6\u0010\u0036\u0005\u0000\u0000\u0000");

    private static final String[] INSERTS = {"\r", "\n", "\r\n", "\u0000", " ", "\t", ":", "0", "9", "f", ";", ",", "\"",
        "\u0085", "\u00ff", "HTTP/1.1 ", "Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n", "Connection: close\r\n",
        "\r\n\r\n", "100 Continue", "-", "+", "\u001b"};

    private static String mutate(java.util.Random rnd, String seed) {
        StringBuilder b = new StringBuilder(seed);
        int edits = 1 + rnd.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int at = b.length() == 0 ? 0 : rnd.nextInt(b.length() + 1);
            switch (rnd.nextInt(5)) {
                case 0 -> b.insert(at, INSERTS[rnd.nextInt(INSERTS.length)]);
                case 1 -> {
                    if (at < b.length()) {
                        b.deleteCharAt(at);
                    }
                }
                case 2 -> {
                    if (at < b.length()) {
                        b.setCharAt(at, (char) rnd.nextInt(256));
                    }
                }
                case 3 -> {
                    int len = Math.min(b.length() - Math.min(at, b.length()), 1 + rnd.nextInt(8));
                    String piece = b.substring(Math.min(at, b.length()), Math.min(at, b.length()) + len);
                    b.insert(rnd.nextInt(b.length() + 1), piece);
                }
                default -> b.insert(at, INSERTS[rnd.nextInt(INSERTS.length)].repeat(1 + rnd.nextInt(3)));
            }
        }
        return b.toString();
    }

    /**
     * T10, T11, T12 over mutated answers (a seeded transport-level fuzz: the Jazzer targets cover the parser alone, not
     * the 1xx loop, the framing per method, keep-alive, unsolicited bytes): every request ends within 10 s with a
     * response or an IOException (never an unchecked exception), whose messages carry no raw control byte; exactly
     * one done(); the next request on the same one-connection transport is served "ok".
     */
    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void mutatedAnswersEndCleanlyAndNeverPoisonTheNextRequest() throws Exception {
        long seed = Long.getLong("audit46.seed", 46L);
        java.util.Random rnd = new java.util.Random(seed);
        int rounds = Integer.getInteger("audit46.rounds", 300);
        java.util.Queue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicReference<String> script = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean closeAfter = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger firstOfRound = new java.util.concurrent.atomic.AtomicInteger();
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     String head;
                     while ((head = c.readRequest()) != null) {
                         if (head.contains("/fuzz")) {
                             // One write: split in two, bytes behind a complete answer could reach the client only after
                             // the next request went out, which no client can tell from its answer (P37's residual race;
                             // measured by raceOfImmediateLateGarbage). Splits are the Jazzer targets' (parser) business.
                             c.write(latin1(script.get()));
                             if (closeAfter.get()) {
                                 c.socket.shutdownOutput();
                                 while (c.in.read() >= 0) {
                                     // until the client closes
                                 }
                                 return;
                             }
                         } else {
                             c.write(OK);
                         }
                     }
                 } catch (IOException e) {
                     // reset by the client
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).listener(dones).build()) {
            for (int round = 0; round < rounds; round++) {
                String bytes = mutate(rnd, SEEDS.get(rnd.nextInt(SEEDS.size())));
                String method = rnd.nextInt(4) == 0 ? "HEAD" : "GET";
                script.set(bytes);
                closeAfter.set(rnd.nextBoolean());
                String tag = "round " + round + " " + method + " close=" + closeAfter.get() + " '"
                        + io.gochan.http.internal.codec.ResponseHeadReader.escapeControls(bytes, false) + "'";
                HttpRequest req = HttpRequest.newBuilder(server.uri("/fuzz")).method(method, RequestBody.none())
                        .timeout(Duration.ofSeconds(2)).build();
                Object outcome = Leaks.outcomeWithin10s(tag, () -> {
                    try (HttpResponse r = t.roundTrip(req)) {
                        return r.body().bytes();
                    }
                });
                if (outcome instanceof Throwable e) {
                    if (!(e instanceof IOException)) {
                        wrong.add(tag + ": unchecked " + e);
                    } else {
                        for (Throwable x = e; x != null; x = x.getCause()) {
                            String m = String.valueOf(x.getMessage());
                            if (m.chars().anyMatch(ch -> ch < 0x20 || (ch >= 0x7f && ch <= 0x9f))) {
                                wrong.add(tag + ": raw control byte in " + x.getClass().getSimpleName() + ": "
                                        + io.gochan.http.internal.codec.ResponseHeadReader.escapeControls(m, false));
                            }
                        }
                    }
                } else if (outcome instanceof byte[] body && new String(body, StandardCharsets.ISO_8859_1).contains("ok")
                        && !bytes.contains("ok")) {
                    wrong.add(tag + ": got another request's body");
                }
                HttpRequest next = HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(5)).build();
                Object n = Leaks.outcomeWithin10s("next after " + tag, () -> {
                    try (HttpResponse r = t.roundTrip(next)) {
                        return r.body().string();
                    }
                });
                if (!"ok".equals(n)) {
                    wrong.add(tag + ": the next request got " + (n instanceof Throwable x ? x.toString() : "'" + n + "'"));
                }
                Leaks.awaitTrue(() -> dones.done.containsKey(req) && dones.done.containsKey(next), "done() of " + tag);
                if (dones.done.get(req).size() != 1 || dones.done.get(next).size() != 1) {
                    wrong.add(tag + ": done() count " + dones.done.get(req).size() + "/" + dones.done.get(next).size());
                }
                if (wrong.size() > 20) {
                    break;
                }
            }
            assertThat(wrong).as("seed %d", seed).isEmpty();
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "pool idle");
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    static Stream<Arguments> malformedAnswersToExpectContinue() {
        return Stream.of(
                Arguments.of("a 100 with a NUL in a field", "HTTP/1.1 100 Continue\r\nX: a\u0000b\r\n\r\n", Reason.INVALID_CHARACTER),
                Arguments.of("a 100 with obs-fold", "HTTP/1.1 100 Continue\r\nX: a\r\n b\r\n\r\n", Reason.OBSOLETE_LINE_FOLDING),
                Arguments.of("a 100 declaring gzip coding", "HTTP/1.1 100 Continue\r\nTransfer-Encoding: gzip\r\n\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("a 100 with 101 fields", "HTTP/1.1 100 Continue\r\n" + "a: b\r\n".repeat(101) + "\r\n", Reason.TOO_MANY_HEADERS),
                Arguments.of("a 102 in HTTP/2.0", "HTTP/2.0 102 Processing\r\n\r\n", Reason.UNSUPPORTED_VERSION),
                Arguments.of("a final answer with a bad length", "HTTP/1.1 413 Too Large\r\nContent-Length: x\r\n\r\n",
                        Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("not HTTP", "SSH-2.0-OpenSSH\r\n", Reason.MALFORMED_STATUS_LINE),
                Arguments.of("a 100, then a malformed final head", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2x0 OK\r\n\r\n",
                        Reason.BAD_STATUS_CODE));
    }

    /**
     * P21 with T10: a POST with {@code Expect: 100-continue} (the write loop waiting up to 60 s for the 100) answered
     * with a malformed head, before or after a 100: the round trip fails at once with the head's own reason (never a
     * write failure, never after the expect-continue timeout), the connection is closed, the next request is served,
     * and no loop is left waiting for the 100 (the leak checks after the test).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedAnswersToExpectContinue")
    void aMalformedAnswerToAnExpectContinueRequestFailsAtOnceWithItsReason(String name, String bytes, Reason reason) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 try {
                     if (c.index == 0) {
                         c.readRequestHead();
                         c.write(bytes);
                         try {
                             while (c.in.read() >= 0) {
                                 // the body, if sent after a 100; until the client's end
                             }
                         } catch (IOException e) {
                             // reset
                         }
                         firstClosed.countDown();
                         return;
                     }
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                 } catch (SocketException e) {
                     // reset
                 }
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofSeconds(60)).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/up")).POST(RequestBody.of("0123456789"))
                    .header("Expect", "100-continue").build();
            long start = System.nanoTime();
            Object outcome = Leaks.outcomeWithin10s("the round trip", () -> {
                try (HttpResponse r = t.roundTrip(req)) {
                    return r.status() + " " + r.body().string();
                }
            });
            assertThat(outcome).as("the outcome").isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                assertThat(e.reason()).as("%s", e).isEqualTo(reason);
                assertPrintable(e);
            });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection").isTrue();
            nextRequestIsServed(t, server);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    static Stream<Arguments> bodilessAnswersThenLateBytes() {
        return Stream.of(
                Arguments.of("HEAD, its body after the head", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 25\r\n\r\n"),
                Arguments.of("GET, a 204 then bytes", "GET", "HTTP/1.1 204 No Content\r\n\r\n"),
                Arguments.of("GET, a length body then bytes", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    }

    /**
     * P37 (E112) with bytes that are no response at all: the first answer (to HEAD, a 204, a length body) ends, then
     * 25 bytes of gzip data follow on the idle connection; they are in the client's socket before the next request
     * is sent. They must neither answer nor fail that request: it is served "second" (on a new connection, retried
     * if it had taken the old one). HostileProbeTest's P37 probe tolerates up to 10 of 100 forged answers (a read
     * loop descheduled); this one counts how many requests FAIL because of such bytes, which P37 says none may.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bodilessAnswersThenLateBytes")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void lateGarbageOnAnIdleConnectionNeverFailsTheNextRequest(String name, String method, String firstAnswer) throws Exception {
        byte[] garbage = latin1("\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u00ff\u00cbH\u00cd\u00c9\u00c9"
                + "\u0007\u0000\u0086\u00a6\u0010\u0036\u0005\u0000\u0000\u0000");
        java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
        Dialer tcp = Dialer.tcp(Resolver.system(), Duration.ofMillis(300));
        for (int round = 0; round < 100; round++) {
            List<java.net.Socket> dialed = new java.util.concurrent.CopyOnWriteArrayList<>();
            CountDownLatch sendGarbage = new CountDownLatch(1);
            CountDownLatch garbageSent = new CountDownLatch(1);
            try (RawServer server = RawServer.start(c -> {
                     try {
                         for (String head; (head = c.readRequest()) != null; ) {
                             if (head.contains(" /first ")) {
                                 c.write(firstAnswer);
                                 sendGarbage.await();
                                 c.write(garbage);
                                 garbageSent.countDown();
                             } else {
                                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                             }
                         }
                     } catch (SocketException e) {
                         // reset by the client
                     }
                 });
                 Transport t = Transport.builder().dialer((host, port, timeout) -> {
                     java.net.Socket s = tcp.dial(host, port, timeout);
                     dialed.add(s);
                     return s;
                 }).build()) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/first")).method(method, RequestBody.none())
                        .timeout(Duration.ofSeconds(10)).build())) {
                    r.body().string();
                }
                sendGarbage.countDown();
                assertThat(garbageSent.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                java.net.Socket first = dialed.get(0);
                Lifecycle.await(() -> first.isClosed() || unread(first), WAIT, "the late bytes at the client");
                String outcome;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName() + (e instanceof HttpProtocolException p ? " " + p.reason() : "");
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        }
        // E112's acknowledged residual: the read loop descheduled between the system call that took the bytes and its
        // note of what of the request was written (the bytes are then neither in the socket nor published in the
        // buffer for a look): tolerated as HostileProbeTest's P37 probe tolerates it (at most 10 of 100); seen 1 of 100
        // under load with the write loop's look (the fix), up to 14 of 300 without it in bytesAlready...
        assertThat(outcomes.keySet()).as("outcomes of the request after the late bytes: %s", outcomes)
                .allMatch(k -> k.equals("second") || k.startsWith("HttpProtocolException"));
        assertThat(outcomes.getOrDefault("second", 0)).as("served: %s", outcomes).isGreaterThanOrEqualTo(90);
    }

    private static boolean unread(java.net.Socket s) {
        try {
            return s.getInputStream().available() > 0;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Measures (prints) the residual race of P37/E112 when the late bytes follow the first answer at once, in a second
     * write: how many of 300 next requests fail or are answered by them. Asserts only that none hangs and that every
     * outcome is "second" or an HttpProtocolException (never another request's body, never an unchecked exception).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bodilessAnswersThenLateBytes")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void raceOfImmediateLateGarbage(String name, String method, String firstAnswer) throws Exception {
        byte[] garbage = latin1("\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u00ff\u00cbH\u00cd\u00c9\u00c9"
                + "\u0007\u0000\u0086\u00a6\u0010\u0036\u0005\u0000\u0000\u0000");
        java.util.Map<String, Integer> outcomes = new java.util.concurrent.ConcurrentSkipListMap<>();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     for (String head; (head = c.readRequest()) != null; ) {
                         if (head.contains(" /first ")) {
                             // TCP_NODELAY: without it Nagle holds the second write until the client's ACK, which
                             // the client's delayed ACK sends with its next request: the bytes then truly arrive after it.
                             c.socket.setTcpNoDelay(true);
                             c.write(firstAnswer);
                             c.out.flush();
                             c.write(garbage);
                         } else {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                         }
                     }
                 } catch (SocketException e) {
                     // reset by the client
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            for (int round = 0; round < 300; round++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/first")).method(method, RequestBody.none())
                        .timeout(Duration.ofSeconds(10)).build())) {
                    r.body().string();
                }
                String outcome;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName() + (e instanceof HttpProtocolException p ? " " + p.reason() : "");
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        }
        System.out.println("hostile shapes: race " + name + ": " + outcomes);
        assertThat(outcomes.keySet()).as("%s", outcomes).allMatch(k -> k.equals("second") || k.startsWith("HttpProtocolException"));
    }

    /** A socket that notes, as the request for {@code /next} starts to be written, how many bytes wait unread in it. */
    static final class NotingSocket extends HookedSocket {
        volatile InputStream rawIn;
        volatile int unreadAtNextWrite = -1;

        static final AtomicLong SEQ = new AtomicLong();
        /** When (in SEQ's order) a read returned the late bytes (their first byte 0x1f), and when /next began to go out. */
        volatile long lateBytesRead;
        volatile long nextWritten;

        @Override
        protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
            rawIn = raw;
            int n = raw.read(b, off, len);
            if (n > 0 && lateBytesRead == 0) {
                for (int i = off; i < off + n; i++) {
                    if (b[i] == 0x1f) {
                        lateBytesRead = SEQ.incrementAndGet();
                        break;
                    }
                }
            }
            return n;
        }

        @Override
        protected int availableIn(InputStream raw) throws IOException {
            rawIn = raw;
            return raw.available();
        }

        @Override
        protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
            if (unreadAtNextWrite < 0 && rawIn != null
                    && new String(b, off, Math.min(len, 16), StandardCharsets.ISO_8859_1).startsWith("GET /next")) {
                unreadAtNextWrite = rawIn.available();
                nextWritten = SEQ.incrementAndGet();
            }
            raw.write(b, off, len);
        }
    }

    /**
     * P37: "Bytes ... that arrive on the idle connection before a byte of the next request is sent, close the
     * connection and are never read as the next request's response." The server answers the first request without a
     * body (HEAD with a length, a 204), or with a length body as the baseline, then at once (TCP_NODELAY) 25 bytes
     * that are no response. The socket notes how many bytes were already waiting unread in it the moment the next
     * request's first byte was written: a request that then fails on those bytes (MALFORMED_STATUS_LINE) was failed
     * by bytes that were at the client before it was sent, which P37 forbids (E112's residual race is bytes the kernel
     * hands over only after the request went out).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bodilessAnswersThenLateBytes")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void bytesAlreadyAtTheClientWhenTheNextRequestIsWrittenNeverFailIt(String name, String method, String firstAnswer)
            throws Exception {
        byte[] garbage = latin1("\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u00ff\u00cbH\u00cd\u00c9\u00c9"
                + "\u0007\u0000\u0086\u00a6\u0010\u0036\u0005\u0000\u0000\u0000");
        java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
        List<NotingSocket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     c.socket.setTcpNoDelay(true);
                     for (String head; (head = c.readRequest()) != null; ) {
                         if (head.contains(" /first ")) {
                             c.write(firstAnswer);
                             c.write(garbage);
                         } else {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                         }
                     }
                 } catch (SocketException e) {
                     // reset by the client
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).dialer(HookedSocket.dialer(() -> {
                 NotingSocket s = new NotingSocket();
                 sockets.add(s);
                 return s;
             })).build()) {
            for (int round = 0; round < 500; round++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/first")).method(method, RequestBody.none())
                        .timeout(Duration.ofSeconds(10)).build())) {
                    r.body().string();
                }
                NotingSocket used = sockets.get(sockets.size() - 1);
                String outcome;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName() + (e instanceof HttpProtocolException p ? " " + p.reason() : "");
                }
                int unread = used.unreadAtNextWrite;
                boolean readBefore = used.lateBytesRead > 0 && used.nextWritten > 0 && used.lateBytesRead < used.nextWritten;
                String key = outcome + (outcome.equals("second") ? "" : unread > 0 ? " (bytes were waiting as it was written)"
                        : readBefore ? " (the read loop had read them before it was written)"
                        : unread == 0 ? " (nothing waiting as it was written)" : " (not written on that connection)");
                outcomes.merge(key, 1, Integer::sum);
            }
        }
        System.out.println("hostile shapes: noted " + name + ": " + outcomes);
        assertThat(outcomes.keySet()).as("outcomes of the next request: %s", outcomes)
                .noneMatch(k -> k.endsWith("(bytes were waiting as it was written)")
                        || k.endsWith("(the read loop had read them before it was written)"));
    }
}
