package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile-server probes beyond {@link HostileServerTest} and {@link HostileFramingTest}: the spelling of
 * {@code chunked} (P34), 1xx responses nobody asked for (P21), a head or body trickled past the request's
 * own deadline (P35), a body made of a great many tiny chunks (P36), and bytes nobody asked for racing the
 * next request on a reused connection (P37), a {@code Content-Length} list (P40) and a
 * {@code Transfer-Encoding} in an HTTP/1.0 response (P41), framing fields announced as trailers (P42), the parts of a status line (P84), blanks before a chunk
 * extension (P85), the naming of a refused line (P86) and of a blank inside a field name (P96), a bare CR refused as
 * the byte after it arrives (P97). Each ends with the response read or a specific exception,
 * the connection closed when it cannot be trusted, and nothing left running. {@code docs/hostile-input.md} lists every case.
 */
@NoGoroutineLeaks
class HostileProbeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static HttpRequest bounded(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
    }

    /** Answers each request on a connection with the next of {@code responses} (the last one repeated). */
    private static RawServer answering(String... responses) throws Exception {
        return RawServer.start(c -> {
            for (int i = 0; c.readRequest() != null; i++) {
                c.write(responses[Math.min(i, responses.length - 1)]);
            }
        });
    }

    // ------------------------------------------------------------------ P34: the spelling of chunked

    static Stream<Arguments> chunkedSpellings() {
        return Stream.of(
                Arguments.of("Chunked"),
                Arguments.of("CHUNKED"),
                Arguments.of("cHuNkEd"),
                Arguments.of(" \tchunked \t"));
    }

    /**
     * A transfer coding is a case-insensitive token (RFC 9112 §7), and Go compares it with
     * {@code ascii.EqualFold} after trimming: {@code Chunked} is chunked, the body is read as chunks and
     * the connection is reused.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("chunkedSpellings")
    void P34_chunkedIsRecognisedWhateverItsCase(String spelling) throws Exception {
        try (RawServer server = answering(
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + spelling + "\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("abc");
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the connection was reused").isEqualTo(1);
        }
    }

    /**
     * Sends {@code method} to a server whose first connection answers with {@code response} and every later one
     * with "ok": the request fails with an {@link HttpProtocolException} that {@code refusal} accepts, and the next
     * request is served on a new connection (the refused answer's was not reused).
     */
    private static void assertRefusedAndNotReused(String method, String response,
            java.util.function.Consumer<HttpProtocolException> refusal) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(c.index == 0 ? response : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).method(method, RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> t.roundTrip(req).close()).isInstanceOfSatisfying(HttpProtocolException.class, refusal);
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the refused answer's connection was not reused").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ P84: the status line's parts

    static Stream<Arguments> laterHttp1Versions() {
        return Stream.of(
                Arguments.of("HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
                Arguments.of("HTTP/1.9 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"));
    }

    /**
     * P84: an HTTP/1.x answer whose minor version is above 1 is read as HTTP/1.1 (RFC 9112 §2.3; Go 1.19 reads it
     * and reuses the connection): its body is framed as 1.1 frames it, {@code version()} says HTTP/1.1, and the
     * connection is kept alive. Before, {@code UNSUPPORTED_VERSION}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("laterHttp1Versions")
    void P84_aLaterHttp1MinorVersionIsReadAsHttp11(String response) throws Exception {
        assertReadAndReused(response, r -> {
            assertThat(r.version()).isEqualTo("HTTP/1.1");
            assertThat(r.body().string()).isEqualTo("hi");
        });
    }

    /** What a test checks of a response it reads. */
    private interface ResponseCheck {
        void check(HttpResponse r) throws IOException;
    }

    /**
     * Answers the first request with {@code response} and {@code check}s it, then a second request with "ok" on the
     * same connection: the first answer's connection was reused.
     */
    private static void assertReadAndReused(String response, ResponseCheck check) throws Exception {
        try (RawServer server = answering(response, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                check.check(r);
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the connection was reused").isEqualTo(1);
        }
    }

    static Stream<Arguments> badStatusLineParts() {
        return Stream.of(
                Arguments.of("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.UNSUPPORTED_VERSION,
                        "'HTTP/2.0': an HTTP/1.1 connection carries HTTP/1.x answers only"),
                Arguments.of("HTTP/1.01 200 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.UNSUPPORTED_VERSION,
                        "malformed protocol version 'HTTP/1.01' (HTTP/DIGIT.DIGIT expected)"),
                Arguments.of("HTTP/1.1\t200 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.BAD_STATUS_CODE,
                        "the version is followed by 0x9, not one space"),
                Arguments.of("HTTP/1.1 0200 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.BAD_STATUS_CODE,
                        "not three digits followed by a space or the line's end: '0200'"),
                Arguments.of("HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\nhi", Reason.BAD_STATUS_CODE,
                        "status code '099' out of range 100-999"));
    }

    /**
     * P84: a status line is split into its version, code and reason before any is judged, so the refusal names the
     * part that is wrong, quoted as sent: a tab after a valid version is not an unsupported version, a four-digit
     * code is not "out of range: 20". Before, {@code HTTP/1.1<TAB>200} was "unsupported protocol version
     * 'HTTP/1.1\x9200'", {@code 0200} "status code out of range 100-999: 20" and {@code HTTP/2.0} named no reason.
     * The connection is not reused.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badStatusLineParts")
    void P84_aBadStatusLineNamesThePartThatIsWrong(String response, Reason reason, String message) throws Exception {
        assertRefusedAndNotReused("GET", response, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(message);
        });
    }

    // ------------------------------------------------------------------ P86: a refused line is named

    static Stream<Arguments> refusedLines() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        return Stream.of(
                Arguments.of("HTTP/1.1 200 O", true, Reason.PREMATURE_EOF, "connection closed in the middle of the status line"),
                Arguments.of("HTTP/1.1 200 OK\r\nContent-Len", true, Reason.PREMATURE_EOF,
                        "connection closed in the middle of a response header line"),
                Arguments.of("HTTP/1.1 200 OK\rX: y\r\n\r\n", false, Reason.INVALID_CHARACTER, "bare CR in the status line"),
                Arguments.of("HTTP/1.1 200 OK\r\nX: a\u0000b\r\n\r\n", false, Reason.INVALID_CHARACTER, "NUL byte in a response header line"),
                Arguments.of("HTTP/1.1 200 OK\r\nX: " + "a".repeat(9000) + "\r\n\r\n", false, Reason.LINE_TOO_LONG,
                        "a response header line longer than 8192 bytes"),
                Arguments.of(chunked + "2\r\nhi\r\n1", true, Reason.PREMATURE_EOF,
                        "connection closed in the middle of a chunk-size line of the chunked body"),
                Arguments.of(chunked + "2\r\nhi\r\n0\r\nX-T: v", true, Reason.PREMATURE_EOF,
                        "connection closed in the middle of a trailer line"),
                Arguments.of(chunked + "2\r\nhi\r\n0\r\nX-T: " + "t".repeat(9000) + "\r\n\r\n", false, Reason.TRAILERS_TOO_LARGE,
                        "a trailer line longer than 8192 bytes"));
    }

    /**
     * P86: every refusal of a line of the response names the line: the status line, a header line, a chunk-size line
     * or a trailer line, whether the connection ended inside it, it was too long or it held a bare CR or a NUL. Before,
     * "connection closed in the middle of a line", "line longer than 8192 bytes", "bare CR in a line of the response":
     * the same words for a cut status line and a cut trailer. The head's refusal fails the round trip, the body's its
     * read; the connection is not reused either way.
     */
    @ParameterizedTest(name = "{2}: {3}")
    @MethodSource("refusedLines")
    void P86_aRefusedLineOfTheResponseIsNamed(String response, boolean closeAfter, Reason reason, String message) throws Exception {
        refusedAndNotReused(response, closeAfter, reason, message, Transport.builder());
    }

    /**
     * The first request on the first connection gets {@code response} (then the server's end of output if
     * {@code closeAfter}, else silence), every other request a short answer: the first fails with {@code reason} and
     * {@code message}, and the next one is served on a new connection.
     */
    private static void refusedAndNotReused(String response, boolean closeAfter, Reason reason, String message,
            Transport.Builder transport) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write(response);
                         if (closeAfter) {
                             c.socket.shutdownOutput();
                         }
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             });
             Transport t = transport.build()) {
            assertThatThrownBy(() -> {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    r.body().bytes();
                }
            }).isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                assertThat(e.reason()).isEqualTo(reason);
                assertThat(e.getMessage()).contains(message);
            });
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the refused answer's connection was not reused").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ P97: a bare CR is refused as it arrives

    static Stream<Arguments> bareCrsThenSilence() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        return Stream.of(
                Arguments.of("HTTP/1.1 200 OK\rX", Reason.INVALID_CHARACTER, "bare CR in the status line"),
                Arguments.of("HTTP/1.1 200 OK\r\nX-A: a\rb", Reason.INVALID_CHARACTER, "bare CR in a response header line"),
                Arguments.of(chunked + "2\rhi", Reason.BAD_CHUNK, "bare CR in a chunk-size line"),
                Arguments.of(chunked + "2\r\nhi\r\n0\r\nX-T: v\rw", Reason.INVALID_CHARACTER, "bare CR in a trailer line"));
    }

    /**
     * P97: a CR that a byte other than LF follows, in the status line, a header line, a chunk-size line or a trailer
     * line, is refused as that byte arrives, though the line's end never comes (the server falls silent after it), read
     * in one arrival or a byte per read (the CR and the byte after it in two fills of the buffer). Before, the line
     * reader looked for CRs only once the line's LF had come: the request waited for it until its timeout, for ever
     * without one (a transport has no header or body timeout by default, as Go; Go's line reader waits for the LF too).
     */
    @ParameterizedTest(name = "{2}, a byte per read: {3}")
    @MethodSource("bareCrsThenSilenceByteByByteOrNot")
    void P97_aBareCrIsRefusedAsTheByteAfterItArrives(String response, Reason reason, String message, boolean byteByByte)
            throws Exception {
        Transport.Builder transport = Transport.builder();
        if (byteByByte) {
            transport.dialer(HookedSocket.dialer(() -> new HookedSocket() {
                @Override
                protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                    return raw.read(b, off, Math.min(len, 1));
                }
            }));
        }
        refusedAndNotReused(response, false, reason, message, transport);
    }

    static Stream<Arguments> bareCrsThenSilenceByteByByteOrNot() {
        return bareCrsThenSilence().flatMap(a -> Stream.of(false, true).map(b -> Arguments.of(a.get()[0], a.get()[1], a.get()[2], b)));
    }

    // ------------------------------------------------------------------ P96: a blank inside a field name

    static Stream<Arguments> blanksInsideFieldNames() {
        String head = "HTTP/1.1 200 OK\r\n";
        String chunked = head + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n";
        return Stream.of(
                Arguments.of(head + "A B: c\r\nContent-Length: 2\r\n\r\nok", "in response header 'A B: c'"),
                Arguments.of(head + "A\tB: c\r\nContent-Length: 2\r\n\r\nok", "in response header 'A\\x09B: c'"),
                Arguments.of(head + "Content Length : 2\r\n\r\nok", "in response header 'Content Length : 2'"),
                Arguments.of(chunked + "X T: v\r\n\r\n", "in response trailer 'X T: v'"));
    }

    /**
     * P96: a space or tab that splits a header or trailer name ({@code A B: c}) is refused as a blank before the colon
     * is ({@code MALFORMED_HEADER}, connection closed), and the message says the name was split ("whitespace inside
     * the name"), not that a blank came before the colon. Before, every blank in a name was called "before the colon".
     */
    @ParameterizedTest(name = "{1}")
    @MethodSource("blanksInsideFieldNames")
    void P96_aBlankInsideAFieldNameIsNamedAsSuch(String response, String line) throws Exception {
        P86_aRefusedLineOfTheResponseIsNamed(response, false, Reason.MALFORMED_HEADER, "whitespace inside the name " + line);
    }

    // ------------------------------------------------------------------ P85: blanks before a chunk extension

    static Stream<Arguments> badWhitespaceAroundChunkExtensions() {
        return Stream.of(
                Arguments.of("a tab before the ';'", "2\t;a\r\nhi\r\n0\r\n\r\n"),
                Arguments.of("blanks around ';' and '='", "2 \t; a = \"b\"\r\nhi\r\n0\r\n\r\n"),
                Arguments.of("a blank before the last chunk's extension", "2\r\nhi\r\n0 ;x\r\n\r\n"));
    }

    /**
     * P85: spaces and tabs between a chunk size and its extension, and around the extension's {@code ;} and {@code =},
     * are BWS (RFC 9112 §7.1.1), parsed and dropped: the body is read and the connection reused. Go 1.19 refuses a
     * blank before the {@code ;} ("invalid byte in chunk length"); this pins the RFC's reading we chose.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badWhitespaceAroundChunkExtensions")
    void P85_blanksAroundAChunkExtensionAreBadWhitespaceAndTheBodyIsRead(String name, String body) throws Exception {
        assertReadAndReused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
                r -> assertThat(r.body().string()).isEqualTo("hi"));
    }

    // ------------------------------------------------------------------ P38: framing of bodiless answers

    static Stream<Arguments> badBodilessFraming() {
        return Stream.of(
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("GET", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("GET", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: identity\r\n\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING));
    }

    /**
     * P38: an answer without a body is still framed as Go frames it: an answer to HEAD whose Content-Length
     * is not a length, and a final answer of any status declaring a transfer coding other than a lone
     * {@code chunked}, fail with that reason (Go 1.19's {@code readTransfer}: the HEAD length is parsed for
     * {@code ContentLength}, the coding is checked before the status), and their connection is not reused.
     * Before, both were read as bodiless answers and the connection kept.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("badBodilessFraming")
    void P38_aBodilessAnswerWithBadFramingIsRefused(String method, String response, Reason reason) throws Exception {
        assertRefusedAndNotReused(method, response, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    static Stream<Arguments> badInformationalLengthToHead() {
        String answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        return Stream.of(
                Arguments.of("103 with a length that is no number", "HTTP/1.1 103 Early Hints\r\nContent-Length: abc\r\n\r\n" + answer),
                Arguments.of("100 with a negative length", "HTTP/1.1 100 Continue\r\nContent-Length: -1\r\n\r\n" + answer),
                Arguments.of("102 with a list of equal lengths", "HTTP/1.1 102 Processing\r\nContent-Length: 2, 2\r\n\r\n" + answer),
                Arguments.of("a fine 103, then a 103 with a length that is no number", "HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\n\r\n"
                        + "HTTP/1.1 103 Early Hints\r\nContent-Length: 5x\r\n\r\n" + answer),
                Arguments.of("an unasked 101 with a length that is no number", "HTTP/1.1 101 Switching Protocols\r\nContent-Length: abc\r\n\r\n"));
    }

    /**
     * P87: an answer to HEAD has its {@code Content-Length} parsed whatever its status, a 1xx and the 101 included, as Go
     * 1.19's {@code readTransfer} parses it for every response to HEAD (and its transport reads each 1xx with
     * {@code ReadResponse}): a length that is no number, negative or a list fails the request with
     * {@code INVALID_CONTENT_LENGTH} and the connection is not reused. Before, only a final status of 200 or more had it
     * parsed (P38), so each 1xx here was skipped and the request got the 200 (the 101 was returned as the answer), and
     * each case failed on "Expecting code to raise a throwable".
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badInformationalLengthToHead")
    void P87_aHeadAnswersLengthIsParsedOnAnInformationalResponseToo(String name, String response) throws Exception {
        assertRefusedAndNotReused("HEAD", response, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_CONTENT_LENGTH));
    }

    /**
     * P87: a guard beside the refusals above: a 1xx to HEAD whose length is a length is skipped, the final answer read
     * and the connection reused; the same 1xx with a length that is no number, to a GET, is still skipped (P79, as Go:
     * only an answer to HEAD has its length parsed on every status).
     */
    @Test
    void P87_anInformationalResponseWithALengthToHeadIsSkippedAndAnyLengthToGet() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 String head;
                 while ((head = c.readRequestHead()) != null) {
                     c.write(head.startsWith("HEAD")
                             ? "HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                             : "HTTP/1.1 103 Early Hints\r\nContent-Length: abc\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest head = HttpRequest.newBuilder(server.uri("/")).method("HEAD", RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(head)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.headers().get("Content-Length")).isEqualTo("5");
                assertThat(r.body().string()).isEmpty();
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the connection is reused after each").isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P39: the range of a length

    /**
     * P39: a {@code Content-Length} is read as Go's {@code strconv.ParseUint(v, 10, 63)} reads it: leading
     * zeros of any number, up to 2^63-1 (19 digits); one more is too large. Before, 19 digits or more were
     * refused whatever their value (so a length of 5 written with 20 digits failed).
     */
    @Test
    void P39_aContentLengthIsAnyDecimalUpToTwoToTheSixtyThreeMinusOne() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 String head;
                 while ((head = c.readRequestHead()) != null) {
                     if (head.startsWith("GET /zeros")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 00000000000000000005\r\n\r\nhello");
                     } else if (head.startsWith("GET /max")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nabc");
                         return; // a body that ends with the connection, far short of its length
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/zeros")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().string()).isEqualTo("hello");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/max")).timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.body().stream().readNBytes(3)).isEqualTo("abc".getBytes());
            }
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.newBuilder(server.uri("/over")).timeout(Duration.ofSeconds(10)).build()).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.INVALID_CONTENT_LENGTH);
                        assertThat(e.getMessage()).contains("too large");
                    });
        }
    }

    // ------------------------------------------------------------------ P40: a list is not a length

    static Stream<Arguments> contentLengthLists() {
        return Stream.of(
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2,2\r\n\r\nok", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok",
                        Reason.CONFLICTING_CONTENT_LENGTH),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n", Reason.INVALID_CONTENT_LENGTH),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 02\r\nContent-Length: 2\r\n\r\nok",
                        Reason.CONFLICTING_CONTENT_LENGTH));
    }

    /**
     * P40: a {@code Content-Length} field holds one length, not a list: {@code 2, 2} in one field is refused as
     * Go 1.19 refuses it ({@code bad Content-Length}), on a GET and on the answer to HEAD, and two fields must
     * be the same text once trimmed ({@code 02} and {@code 2} differ to Go's {@code fixLength}). Before, the
     * list was read as the length 2 and its connection reused, and {@code 02} and {@code 2} were one length.
     * Oracle: {@code src/test/go-oracle/response_oracle.go}.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("contentLengthLists")
    void P40_aContentLengthListIsNotALength(String method, String response, Reason reason) throws Exception {
        assertRefusedAndNotReused(method, response, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    /** P40: identical fields (blanks around them aside) are one length, as Go; the connection is reused. */
    @Test
    void P40_identicalContentLengthFieldsAreOneLength() throws Exception {
        try (RawServer server = answering(
                     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length:  3 \r\n\r\nabc",
                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("abc");
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the connection was reused").isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P41: Transfer-Encoding in HTTP/1.0

    static Stream<Arguments> http10TransferEncodings() {
        String ka = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n";
        return Stream.of(
                Arguments.of("chunked, no length: read to the close", "GET",
                        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true,
                        "3\r\nabc\r\n0\r\n\r\n"),
                Arguments.of("chunked, keep-alive, no length: read to the close", "GET",
                        ka + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true, "3\r\nabc\r\n0\r\n\r\n"),
                Arguments.of("chunked, keep-alive, a length", "GET",
                        ka + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok", false, "ok"),
                Arguments.of("gzip, keep-alive, a length", "GET",
                        ka + "Transfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok", false, "ok"),
                Arguments.of("chunked, keep-alive, answer to HEAD", "HEAD",
                        ka + "Transfer-Encoding: chunked\r\n\r\n", false, ""));
    }

    /**
     * P41: a {@code Transfer-Encoding} in an HTTP/1.0 response is ignored, as Go 1.19 ignores it (issue 12785):
     * the body is framed by its {@code Content-Length} or read to the close, whatever the coding says. The
     * connection is never reused (RFC 9112 §6.1: close after processing such a message), even with
     * {@code Connection: keep-alive} and a length, where Go would reuse it: a peer that honoured the coding
     * would see other message boundaries. Before, every such response failed with {@code CONFLICTING_FRAMING}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("http10TransferEncodings")
    void P41_transferEncodingInAnHttp10ResponseIsIgnoredAndItsConnectionClosed(String name, String method, String response,
            boolean closes, String body) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     if (c.index > 0) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                     } else {
                         c.write(response);
                         if (closes) {
                             return;
                         }
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).method(method, RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.version()).isEqualTo("HTTP/1.0");
                assertThat(r.body().string()).isEqualTo(body);
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("next");
            }
            assertThat(t.stats().dialed()).as("the HTTP/1.0 connection was not reused").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ P42: framing fields announced as trailers

    static Stream<Arguments> framingFieldsAsTrailers() {
        String chunked = "Transfer-Encoding: chunked\r\n\r\n";
        String body = "2\r\nok\r\n0\r\n\r\n";
        return Stream.of(
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\n" + chunked + body),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTrailer: Transfer-Encoding\r\n" + chunked + body),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTrailer: Trailer\r\n" + chunked + body),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTrailer: X-T, content-length\r\n" + chunked + body),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\n" + chunked),
                Arguments.of("GET", "HTTP/1.1 304 Not Modified\r\nTrailer: Content-Length\r\n" + chunked));
    }

    /**
     * P42: a chunked response whose {@code Trailer} field announces {@code Content-Length},
     * {@code Transfer-Encoding} or {@code Trailer} as a trailer (any case, anywhere in the list) fails with
     * {@code MALFORMED_HEADER}, as Go 1.19's {@code fixTrailer} refuses it ("bad trailer key"), on an answer
     * to HEAD and a 304 too; the connection is closed. Before, the response was read and its connection reused.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("framingFieldsAsTrailers")
    void P42_aFramingFieldAnnouncedAsATrailerIsRefused(String method, String response) throws Exception {
        assertRefusedAndNotReused(method, response, e -> {
            assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
            assertThat(e.getMessage()).contains("as a trailer");
        });
    }

    /**
     * P42: the {@code Trailer} field is looked at only when the body is chunked, as Go: beside a
     * {@code Content-Length} (or in HTTP/1.0, where the coding is ignored) it announces nothing, and the
     * response is read; a trailer that arrives named {@code Content-Length} is a trailer like any other.
     */
    @Test
    void P42_theTrailerFieldOfABodyThatIsNotChunkedIsNotLookedAt() throws Exception {
        try (RawServer server = answering(
                     "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\nContent-Length: 2\r\n\r\nok",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nContent-Length: 5\r\n\r\n");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
                assertThat(r.trailers().get("Content-Length")).isEqualTo("5");
            }
            assertThat(t.stats().dialed()).as("the connection was reused").isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P21: 1xx nobody asked for

    /**
     * A GET without {@code Expect} answered by a {@code 100 Continue}, then a {@code 103 Early Hints} with
     * fields, then the final response: both 1xx are skipped (as Go), their fields are not in the final
     * headers, and the connection is reused.
     */
    @Test
    void P21_unaskedInformationalResponsesBeforeTheFinalOneAreSkipped() throws Exception {
        try (RawServer server = answering(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.headers().contains("Link")).isFalse();
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P35: trickles past the request's deadline

    /**
     * Writes {@code start}, then {@code unit} every 20 ms or so until the client closes, counting the
     * units; then counts down {@code clientClosed}. Paced by the socket's read timeout, not by a gochan ticker: the
     * same wait sees the client's close (its FIN: the read's end), and a timer that a loaded machine delays can
     * neither slow the trickle nor hide the close (CI once saw no close in 20 s with a ticker: P35).
     */
    private static RawServer trickling(String start, String unit, AtomicLong trickled, CountDownLatch clientClosed)
            throws IOException {
        return RawServer.start(c -> {
            c.readRequest();
            c.write(start);
            c.socket.setSoTimeout(20); // the peer's pace, not an ordering
            InputStream fromClient = c.socket.getInputStream();
            try {
                while (true) {
                    try {
                        if (fromClient.read() < 0) {
                            break; // the client closed the connection: its end of stream
                        }
                    } catch (java.net.SocketTimeoutException pace) {
                        c.write(unit);
                        trickled.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                // the client closed the connection under the trickle (a write or the read failed)
            }
            clientClosed.countDown();
        });
    }

    /**
     * A head trickled one byte per tick, with no response-header timeout configured: the request's own
     * timeout ends it (kind {@code REQUEST}), although bytes keep coming, and closes the connection.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P35_aTrickledHeadEndsAtTheRequestTimeout() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        AtomicLong trickled = new AtomicLong();
        try (RawServer server = trickling("HTTP/1.1 200 OK\r\nX-Slow: ", "a", trickled, clientClosed);
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofMillis(300)).build();
            assertThatThrownBy(() -> t.roundTrip(req))
                    .isInstanceOfSatisfying(HttpTimeoutException.class,
                            e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
            assertThat(trickled.get()).as("bytes kept coming").isPositive();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }

    static Stream<Arguments> trickledBodies() {
        return Stream.of(
                Arguments.of("Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", "a"),
                Arguments.of("chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\na\r\n"),
                Arguments.of("body read to the close", "HTTP/1.1 200 OK\r\n\r\n", "a"));
    }

    /**
     * A body trickled one byte (or one tiny chunk) per tick, each well inside any per-read timeout: the
     * request's own timeout still ends the body's read (kind {@code REQUEST}), whichever way the body is
     * framed, and closes the connection.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("trickledBodies")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P35_aTrickledBodyEndsAtTheRequestTimeout(String name, String head, String unit) throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        AtomicLong trickled = new AtomicLong();
        try (RawServer server = trickling(head, unit, trickled, clientClosed);
             Transport t = Transport.builder().bodyReadTimeout(Duration.ofSeconds(5)).build()) {
            // A second, not less: the head must come back within it (the trickle is the body's), also on a loaded machine.
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(1)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                InputStream in = r.body().stream();
                assertThatThrownBy(() -> {
                    byte[] buf = new byte[64];
                    while (in.read(buf) >= 0) {
                        // the trickle never ends
                    }
                }).isInstanceOfSatisfying(HttpTimeoutException.class,
                        e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
            }
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
            assertThat(trickled.get()).as("bytes kept coming").isPositive();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }

    // ------------------------------------------------------------------ P36: a great many tiny chunks

    /**
     * 400,000 one-byte chunks (2.4 MB of framing for 400 KB of data) are read in time linear in their
     * number, without the excess-overhead rule (CVE-2023-39326) refusing them, whether read in bulk or a
     * byte at a time; the trailers after them are read and the connection reused.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void P36_aGreatManyOneByteChunksAreReadInLinearTime() throws Exception {
        int n = 400_000;
        StringBuilder b = new StringBuilder(n * 6 + 100).append("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < n; i++) {
            b.append("1\r\n").append((char) ('a' + i % 26)).append("\r\n");
        }
        String response = b.append("0\r\nX-Count: ").append(n).append("\r\n\r\n").toString();
        try (RawServer server = answering(response); Transport t = Transport.builder().build()) {
            long started = System.nanoTime();
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(60)).build())) {
                byte[] body = r.body().bytes();
                assertThat(body).hasSize(n);
                assertThat(body[n - 1]).isEqualTo((byte) ('a' + (n - 1) % 26));
                assertThat(r.trailers().get("X-Count")).isEqualTo(String.valueOf(n));
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(60)).build())) {
                InputStream in = r.body().stream();
                int count = 0;
                while (in.read() >= 0) {
                    count++;
                }
                assertThat(count).isEqualTo(n);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time for 2 x %d chunks", n)
                    .isLessThan(Duration.ofSeconds(30));
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P37: extra bytes after a long body

    /**
     * A body longer than the connection's buffer, read with a large buffer (so its last bytes may come
     * straight from the socket, leaving what follows them unread in it), followed at once by a whole forged
     * response. The caller gets the body; the next request, sent as soon as the body's EOF is read, is
     * never answered with the forged bytes and never fails for them: the connection is closed, not reused,
     * and the request goes out on a new one. Over many rounds, so both sides of the race between the next
     * request and the read loop's look at the idle connection are hit.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void P37_extraBytesAfterALongBodyNeverAnswerNorFailTheNextRequest() throws Exception {
        int length = 64 * 1024;
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nforged!";
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequest();
                 if (head != null && head.startsWith("GET /long")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n\r\n" + "x".repeat(length) + forged);
                     c.readUntilClosed();
                 } else if (head != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                 }
             })) {
            for (int round = 0; round < 40; round++) {
                try (Transport t = Transport.builder().build()) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/long")).timeout(Duration.ofSeconds(10)).build())) {
                        InputStream in = r.body().stream();
                        byte[] buf = new byte[256 * 1024];
                        int total = 0;
                        for (int k; (k = in.read(buf)) >= 0; ) {
                            total += k;
                        }
                        assertThat(total).isEqualTo(length);
                    }
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                        assertThat(r.body().string()).as("round %d", round).isEqualTo("second");
                    }
                    assertThat(t.stats().dialed()).as("round %d", round).isEqualTo(2);
                }
            }
        }
    }

    /**
     * Bytes that arrive on an idle pooled connection (here a whole forged response) just before the next
     * request takes it: that request is sent only once they are at the client (unread in its TCP socket, or
     * taken by the read loop, which then closes the connection), so they reached it before any byte of the
     * request left it, and cannot answer it. The server's write returning does not prove that: on a loaded
     * machine loopback delivery lags behind it, and bytes that arrive after the request was written are its
     * answer for any client, which counted as forged answers against the cap. The next request is never
     * answered with them and never fails for them: the connection is closed, and the request goes out on a
     * new one (retried, if it had taken the connection). Over many rounds, so that the client's read loop
     * has or has not yet woken for the bytes when the request comes (see the end for the few tolerated).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void P37_bytesOnAnIdleConnectionJustBeforeTheNextRequestNeitherAnswerNorFailIt() throws Exception {
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nforged!";
        java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
        Dialer tcp = Dialer.tcp(Resolver.system(), Duration.ofMillis(300));
        for (int round = 0; round < 100; round++) {
            List<Socket> dialed = new CopyOnWriteArrayList<>();
            CountDownLatch sendForged = new CountDownLatch(1);
            CountDownLatch forgedSent = new CountDownLatch(1);
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequest()) != null; ) {
                         if (head.startsWith("GET /first")) {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                             sendForged.await();
                             c.write(forged);
                             forgedSent.countDown();
                         } else {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                         }
                     }
                 });
                 Transport t = Transport.builder().dialer((host, port, timeout) -> {
                     Socket s = tcp.dial(host, port, timeout);
                     dialed.add(s);
                     return s;
                 }).build()) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/first")).timeout(Duration.ofSeconds(10)).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                sendForged.countDown();
                assertThat(forgedSent.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                Socket first = dialed.get(0);
                Lifecycle.await(() -> first.isClosed() || unread(first), WAIT, "the forged bytes at the client");
                String outcome;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).timeout(Duration.ofSeconds(10)).build())) {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName() + (e instanceof HttpProtocolException p ? " " + p.reason() : "")
                            + ": " + e.getMessage();
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        }
        // Every request went out after the bytes were at the client, so a forged answer is the client's fault
        // but for the read loop's thread descheduled between the read that took the bytes and its note of what
        // of the request had been written (E112): a few are tolerated for that, more on a loaded machine (5 of 100
        // were seen with a load of 13 on 2 cores), so the bound sits below what any weaker check gives. Before P37
        // 26 of 100 requests got the forged body and 35 failed, a look at the buffer only (not the socket) still
        // gives 19 of 100, and Go 1.19 gives 95 of 100 the forged body (src/test/go-evidence/p37_forged_idle_bytes.go).
        // No request may fail for them.
        assertThat(outcomes.keySet()).as("outcomes of the request after the forged bytes: %s", outcomes)
                .isSubsetOf("second", "forged!");
        assertThat(outcomes.getOrDefault("forged!", 0)).as("forged answers (the read loop descheduled only): %s", outcomes)
                .isLessThanOrEqualTo(10);
    }

    /** Whether bytes wait unread in the TCP socket {@code s}; a failed look says yes (closed). */
    private static boolean unread(Socket s) {
        try {
            return s.getInputStream().available() > 0;
        } catch (IOException e) {
            return true;
        }
    }
}
