package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A response body as a demanding {@link InputStream} user and a hostile server meet it (P61–P64): a failed body
 * stays failed, reads from several threads are taken in turn, a zero-length read returns 0 also at the end, and
 * {@link ResponseBody#string()} picks its charset as documented. The rest of the stream's contract is pinned
 * elsewhere: bad bounds and zero-length reads mid-body (E15, {@link BodyEndTest}), a close under a blocked read
 * (E64, {@link BodyCloseRaceProbeTest}), reads after the transport closed (E3), after the end (E14).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BodyContractProbeTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static HttpRequest bounded(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
    }

    // ------------------------------------------------------------------ P61: a failed body stays failed

    /** How the first read fails; the body's bytes are all in the client's buffer (or memory) by then. */
    enum Failure {
        /** A chunk's data not followed by CRLF, then well-formed chunks and the last chunk (streamed body). */
        BROKEN_CHUNK_FRAMING,
        /** A chunk-size line that is not hexadecimal, then well-formed chunks and the last chunk (streamed body). */
        BROKEN_CHUNK_SIZE,
        /** As BROKEN_CHUNK_FRAMING, the chunk holding a whole gzip member that the transport decodes (P25). */
        BROKEN_CHUNK_FRAMING_UNDER_GZIP,
        /**
         * The request's context cancelled with a whole Content-Length body held in memory (its reads look at the
         * context themselves; a streamed body's read loop notices the cancellation on its own time).
         */
        CANCELLED_IN_MEMORY,
        /** The transport closed with a whole Content-Length body held in memory (E3). */
        TRANSPORT_CLOSED_IN_MEMORY
    }

    /**
     * P61: once a read of a body has failed, every later read throws that same exception: never more bytes, never
     * an end, as Go's {@code bodyEOFSignal} keeps its {@code rerr}. Before, a streamed body read on from its
     * connection's buffer (after broken framing it returned the framing's own bytes, {@code 0\r\n\r\n}, as body
     * bytes, then EOF), and a body held in memory returned its remaining bytes and an end after its request was
     * cancelled or its transport closed, so a caller that retried the read took a failed body for a complete one.
     * The connection is closed and the next request dials.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Failure.class)
    void P61_everyReadAfterAFailedReadThrowsThatFailure(Failure failure) throws Exception {
        String first = switch (failure) {
            case BROKEN_CHUNK_FRAMING -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX3\r\nabc\r\n0\r\n\r\n";
            case BROKEN_CHUNK_SIZE -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n3\r\nabc\r\n0\r\n\r\n";
            case BROKEN_CHUNK_FRAMING_UNDER_GZIP -> {
                byte[] gz = gzip("hello".getBytes(StandardCharsets.ISO_8859_1));
                yield "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(gz.length) + "\r\n" + new String(gz, StandardCharsets.ISO_8859_1)
                        + "XX3\r\nabc\r\n0\r\n\r\n";
            }
            case CANCELLED_IN_MEMORY, TRANSPORT_CLOSED_IN_MEMORY -> "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nhelloabc";
        };
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     c.write(c.index == 0 && i == 0 ? first : OK);
                 }
             })) {
            Transport t = Transport.builder().build();
            try {
                CancellableContext ctx = Context.withCancel(Context.background());
                try (HttpResponse r = t.roundTrip(bounded(server), ctx)) {
                    InputStream in = r.body().stream();
                    byte[] b = new byte[2];
                    IOException thrown;
                    if (failure.name().startsWith("BROKEN")) {
                        thrown = readUntilFailure(in);
                        assertThat(thrown).isInstanceOfSatisfying(HttpProtocolException.class,
                                e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.BAD_CHUNK));
                    } else {
                        assertThat(in.read(b)).isEqualTo(2);
                        if (failure == Failure.TRANSPORT_CLOSED_IN_MEMORY) {
                            t.close();
                        } else {
                            ctx.cancel();
                        }
                        thrown = readUntilFailure(in);
                        assertThat(thrown).isInstanceOf(RequestCancelledException.class);
                    }
                    for (int i = 0; i < 3; i++) {
                        assertThatThrownBy(() -> in.read(b)).as("read %d after the failure", i).isSameAs(thrown);
                    }
                    assertThatThrownBy(in::readAllBytes).isSameAs(thrown);
                    assertThatThrownBy(() -> in.skip(5)).isSameAs(thrown);
                } finally {
                    ctx.cancel();
                }
                if (failure != Failure.TRANSPORT_CLOSED_IN_MEMORY) {
                    try (HttpResponse r = t.roundTrip(bounded(server))) {
                        assertThat(r.body().string()).isEqualTo("ok");
                    }
                    assertThat(t.stats().dialed()).as("the failed body's connection was closed").isEqualTo(2);
                }
            } finally {
                t.close();
            }
        }
    }

    /**
     * P61 through {@link HttpClient}: its overall timeout ending the final body's read is named as the client's (R45),
     * and every later read throws that same exception. Before, each read after it made a new one.
     */
    @org.junit.jupiter.api.Test
    void P61_aBodyFailedByTheClientTimeoutThrowsThatFailureAgain() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                 done.await(20, TimeUnit.SECONDS);
             });
             Transport t = Transport.builder().build()) {
            // 2 s: the head must come back before the timeout passes on a loaded machine (as R45's test).
            HttpClient client = HttpClient.builder(t).timeout(Duration.ofSeconds(2)).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/").toString()))) {
                InputStream in = r.body().stream();
                IOException thrown = null;
                try {
                    in.readAllBytes();
                } catch (IOException e) {
                    thrown = e;
                }
                assertThat(thrown).isInstanceOf(HttpTimeoutException.class).hasMessageContaining("client timeout");
                IOException first = thrown;
                for (int i = 0; i < 3; i++) {
                    assertThatThrownBy(() -> in.read(new byte[2])).as("read %d after the failure", i).isSameAs(first);
                }
            } finally {
                done.countDown();
            }
        }
    }

    /** Reads (two bytes at a time, the body being longer) until a read throws; that exception. */
    private static IOException readUntilFailure(InputStream in) {
        byte[] b = new byte[2];
        for (int i = 0; i < 10; i++) {
            try {
                if (in.read(b) < 0) {
                    throw new AssertionError("the failed body ended instead of failing");
                }
            } catch (IOException e) {
                return e;
            }
        }
        throw new AssertionError("no read failed");
    }

    /** How a body with bytes still readable in the client is failed (P76). */
    enum FailedWithBytesLeft {
        /** A whole Content-Length body held in memory (E40), its request's context cancelled. */
        IN_MEMORY_CANCELLED,
        /** A whole Content-Length body held in memory (E40), its transport closed (E3). */
        IN_MEMORY_TRANSPORT_CLOSED,
        /** A streamed Content-Length body with bytes in the connection's buffer, its transport closed (E3). */
        STREAMED_TRANSPORT_CLOSED
    }

    /**
     * P76: once a read of a body has failed (P61), {@code available()} says 0: no byte can be read without blocking,
     * since every read throws. Before, a body held in memory answered the bytes it still held, and a streamed one the
     * bytes of its connection's buffer, while every read threw.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(FailedWithBytesLeft.class)
    void P76_availableIsZeroOnceTheBodyHasFailed(FailedWithBytesLeft how) throws Exception {
        boolean streamed = how == FailedWithBytesLeft.STREAMED_TRANSPORT_CLOSED;
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 if (streamed) {
                     // Declares more than it sends, then stalls: the body is streamed, never held in memory.
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
                 } else {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nhelloabc");
                 }
                 HostileServerTest.awaitClientClose(c, clientClosed);
             })) {
            Transport t = Transport.builder().build();
            CancellableContext ctx = Context.withCancel(Context.background());
            try (HttpResponse r = t.roundTrip(bounded(server), ctx)) {
                InputStream in = r.body().stream();
                // A read of one byte at a time until the client holds more of the body: what available() then says.
                for (int i = 0; in.available() == 0; i++) {
                    assertThat(i).as("some of the body is held in the client").isLessThan(1000);
                    assertThat(in.read()).isNotNegative();
                }
                if (how == FailedWithBytesLeft.IN_MEMORY_CANCELLED) {
                    ctx.cancel();
                } else {
                    t.close();
                }
                IOException thrown = readUntilFailure(in);
                assertThat(thrown).isInstanceOf(RequestCancelledException.class);
                assertThat(in.available()).as("available() once reads throw").isZero();
                assertThatThrownBy(() -> in.read(new byte[2])).isSameAs(thrown);
            } finally {
                ctx.cancel();
                t.close();
            }
            assertThat(clientClosed.await(20, TimeUnit.SECONDS)).as("client closed the connection").isTrue();
        }
    }

    // ------------------------------------------------------------------ P62: reads from several threads, in turn

    enum Shape {
        CHUNKED, STREAMED_LENGTH, IN_MEMORY, GZIP
    }

    /**
     * P62: two threads (a platform and a virtual one) reading one body at once, a few bytes per read, get every
     * byte exactly once between them, each its own part in the body's order, and both reach the end; the connection
     * is reused. Reads are taken in turn. Before, a streamed body's framing state and its connection's buffer were
     * shared unguarded: bytes were lost and a read failed with "connection failed while reading the response body:
     * arraycopy: length -2 is negative", its connection closed.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Shape.class)
    void P62_readsFromTwoThreadsAtOnceTakeEveryByteOnceInOrder(Shape shape) throws Exception {
        int records = shape == Shape.IN_MEMORY ? 400 : 6000;
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < records; i++) {
            body.append(String.format("%07d", i));
        }
        byte[] expected = body.toString().getBytes(StandardCharsets.ISO_8859_1);
        String response = switch (shape) {
            case CHUNKED -> {
                StringBuilder s = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int i = 0; i < records; i++) {
                    s.append("7\r\n").append(body, i * 7, i * 7 + 7).append("\r\n");
                }
                yield s.append("0\r\n\r\n").toString();
            }
            case STREAMED_LENGTH, IN_MEMORY -> "HTTP/1.1 200 OK\r\nContent-Length: " + expected.length + "\r\n\r\n" + body;
            case GZIP -> {
                byte[] gz = gzip(expected);
                yield "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n"
                        + new String(gz, StandardCharsets.ISO_8859_1);
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     c.write(i == 0 ? response : OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                InputStream in = r.body().stream();
                CyclicBarrier start = new CyclicBarrier(2);
                List<Lifecycle.Caller<byte[]>> readers = new ArrayList<>();
                for (int k = 0; k < 2; k++) {
                    readers.add(Lifecycle.Caller.start(k == 0, "reader-" + k, () -> {
                        ByteArrayOutputStream got = new ByteArrayOutputStream();
                        byte[] b = new byte[3];
                        start.await();
                        for (int n; (n = in.read(b)) >= 0; ) {
                            got.write(b, 0, n);
                        }
                        return got.toByteArray();
                    }));
                }
                byte[][] parts = new byte[2][];
                for (int k = 0; k < 2; k++) {
                    Lifecycle.Caller<byte[]> reader = readers.get(k);
                    boolean ended = reader.join(Duration.ofSeconds(30));
                    if (!ended) {
                        reader.abandon(t::close);
                    }
                    assertThat(ended).as("reader %d ended", k).isTrue();
                    assertThat(reader.error()).as("reader %d's failure", k).isNull();
                    parts[k] = reader.value();
                }
                assertThat(parts[0].length + parts[1].length).isEqualTo(expected.length);
                assertThat(isSubsequence(parts[0], expected)).as("reader 0's bytes are in the body's order").isTrue();
                assertThat(isSubsequence(parts[1], expected)).as("reader 1's bytes are in the body's order").isTrue();
                assertThat(sorted(concat(parts[0], parts[1]))).isEqualTo(sorted(expected));
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the body's connection was reused").isEqualTo(1);
        }
    }

    /**
     * P62: a reader that waits for another's read (the server sent part of the body and stalls) is left by its
     * interrupt, as any blocking read (E62): it throws a {@link RequestCancelledException} of reason
     * {@code INTERRUPT} with its interrupt status kept; the request ends with it, so the other reader's read ends
     * too, with an {@link IOException}, never an EOF; the connection is closed and the next request dials.
     * Whichever of the two takes the first turn, the outcome is the same.
     */
    @ParameterizedTest(name = "interrupted reader virtual: {0}")
    @ValueSource(booleans = {false, true})
    void P62_aReaderWaitingForAnothersReadIsLeftByItsInterrupt(boolean virtual) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n");
                         c.readUntilClosed();
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                InputStream in = r.body().stream();
                assertThat(in.readNBytes(2)).asString(StandardCharsets.ISO_8859_1).isEqualTo("ab");
                CountDownLatch started = new CountDownLatch(2);
                java.util.concurrent.atomic.AtomicBoolean interruptKept = new java.util.concurrent.atomic.AtomicBoolean();
                Lifecycle.Caller<Integer> first = Lifecycle.Caller.start(!virtual, "first-reader", () -> {
                    started.countDown();
                    return in.read(new byte[8]);
                });
                Lifecycle.Caller<Boolean> second = Lifecycle.Caller.start(virtual, "second-reader", () -> {
                    started.countDown();
                    try {
                        in.read(new byte[8]);
                        return null;
                    } finally {
                        interruptKept.set(Thread.currentThread().isInterrupted());
                    }
                });
                started.await();
                second.thread.interrupt();
                boolean secondEnded = second.join(Duration.ofSeconds(20));
                boolean firstEnded = first.join(Duration.ofSeconds(20));
                if (!secondEnded || !firstEnded) {
                    second.abandon(t::close);
                    first.abandon(t::close);
                }
                assertThat(secondEnded).as("the interrupted reader ended").isTrue();
                assertThat(firstEnded).as("the other reader ended").isTrue();
                assertThat(second.error()).isInstanceOfSatisfying(RequestCancelledException.class,
                        e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.INTERRUPT));
                assertThat(interruptKept.get()).as("the interrupt status is kept").isTrue();
                assertThat(first.error()).isInstanceOf(IOException.class);
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(2);
        }
    }

    private static boolean isSubsequence(byte[] part, byte[] whole) {
        int j = 0;
        for (int i = 0; i < whole.length && j < part.length; i++) {
            if (whole[i] == part[j]) {
                j++;
            }
        }
        return j == part.length;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] sorted(byte[] a) {
        byte[] c = a.clone();
        java.util.Arrays.sort(c);
        return c;
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

    // ------------------------------------------------------------------ P63: a zero-length read at the end

    /**
     * P63: a zero-length read returns 0 at the body's end too, whatever its shape, as {@link InputStream} says ("if
     * len is zero, then no bytes are read and 0 is returned"; E15 mid-body); a read of one byte or more still
     * answers -1 there, and the connection is reused. Before, a streamed body at its end answered -1 to a
     * zero-length read, and a body held in memory 0.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Shape.class)
    void P63_aZeroLengthReadAtTheEndReturnsZero(Shape shape) throws Exception {
        String response = switch (shape) {
            case CHUNKED -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
            case STREAMED_LENGTH -> "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + "x".repeat(20000);
            case IN_MEMORY -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab";
            case GZIP -> {
                byte[] gz = gzip("ab".getBytes(StandardCharsets.ISO_8859_1));
                yield "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n"
                        + new String(gz, StandardCharsets.ISO_8859_1);
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     c.write(i == 0 ? response : OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                InputStream in = r.body().stream();
                in.readAllBytes();
                assertThat(in.read(new byte[4], 0, 0)).isZero();
                assertThat(in.read(new byte[4], 4, 0)).isZero();
                assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
                assertThat(in.read(new byte[0])).isZero();
                assertThat(in.read()).isEqualTo(-1);
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ P64: the charset of string()

    static List<Arguments> contentTypes() {
        return List.of(
                Arguments.of("text/plain; charset=ISO-8859-1", "é", StandardCharsets.ISO_8859_1),
                Arguments.of("text/plain; CHARSET=\"iso-8859-1\"", "é", StandardCharsets.ISO_8859_1),
                Arguments.of("TEXT/PLAIN;Charset=utf-16be;format=flowed", "é", StandardCharsets.UTF_16BE),
                Arguments.of("text/plain; format=flowed ; charset=\"UTF-16LE\" ", "é", StandardCharsets.UTF_16LE),
                Arguments.of("text/plain", "é", StandardCharsets.UTF_8),
                Arguments.of("text/plain; charset=x-no-such-charset", "é", StandardCharsets.UTF_8),
                Arguments.of("text/plain; charset=\"not legal!\"", "é", StandardCharsets.UTF_8),
                Arguments.of("text/plain; charset=", "é", StandardCharsets.UTF_8),
                Arguments.of(null, "é", StandardCharsets.UTF_8));
    }

    /**
     * P64: {@link ResponseBody#string()} decodes with the Content-Type's {@code charset} parameter, its name and
     * value in any case, quoted or not, among other parameters; without one, or with one the JDK does not know or
     * whose name is not legal, with UTF-8 (as the JDK's {@code BodyHandlers.ofString()}), never an exception; the
     * body is read and the connection reused either way. No defect: pinned as documented.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("contentTypes")
    void P64_stringDecodesWithTheCharsetOfTheContentTypeElseUtf8(String contentType, String text, java.nio.charset.Charset cs)
            throws Exception {
        assertDecodedAndReused(contentType, text, cs);
    }

    // ------------------------------------------------------------------ P66: parameters as RFC 9110 writes them

    static List<Arguments> parameterSyntax() {
        return List.of(
                // A quoted string holds ';' and '=': what is inside is no parameter (RFC 9110 §5.6.6).
                Arguments.of("text/plain; foo=\"a;charset=iso-8859-1\"; charset=utf-16be", StandardCharsets.UTF_16BE),
                Arguments.of("text/plain; foo=\"a\\\";charset=iso-8859-1\"", StandardCharsets.UTF_8),
                Arguments.of("text/plain; foo=\"a;charset=iso-8859-1", StandardCharsets.UTF_8),
                // Blanks around '=' (the JDK's parser skips them), a quoted-pair in the value.
                Arguments.of("text/plain; charset = \"UTF-16LE\"", StandardCharsets.UTF_16LE),
                Arguments.of("text/plain;\tcharset\t=\tutf-16be\t;format=flowed", StandardCharsets.UTF_16BE),
                Arguments.of("text/plain; charset=\"utf\\-16be\"", StandardCharsets.UTF_16BE),
                // Duplicates: the first counts (the JDK's HttpClient, WHATWG's MIME type parser).
                Arguments.of("text/plain; CharSet=iso-8859-1; charset=utf-16be", StandardCharsets.ISO_8859_1),
                // A name without a value is skipped; a name that only ends in "charset" is another parameter.
                Arguments.of("text/plain; flowed; charset=iso-8859-1", StandardCharsets.ISO_8859_1),
                Arguments.of("text/plain; xcharset=iso-8859-1", StandardCharsets.UTF_8));
    }

    /**
     * P66: the {@code Content-Type}'s parameters are read as RFC 9110 §5.6.6 writes them: a quoted string may hold
     * {@code ;}, {@code =} and an escaped {@code "}, and nothing inside it is a parameter; the name in any case, blanks
     * around {@code =}, quoted-pairs unescaped, the first of duplicates. Before, the field was split on {@code ;} and
     * each part tested for {@code charset=}: a {@code charset=} inside another parameter's quoted value won, one with
     * blanks around {@code =} or a quoted-pair was not found or not legal, and the body was decoded as UTF-8.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("parameterSyntax")
    void P66_contentTypeParametersAreReadWithTheirQuotedStrings(String contentType, java.nio.charset.Charset cs) throws Exception {
        assertDecodedAndReused(contentType, "é", cs);
    }

    /**
     * P67: a parameter's name is a token, ASCII only, matched with its ASCII letters in any case. A name that Unicode
     * case folding alone makes {@code charset} ({@code char\u017Fet}: LATIN SMALL LETTER LONG S, whose upper case is
     * {@code S}) is another parameter, here none, so UTF-8. Before, the
     * name was compared with {@code String.regionMatches(true, ...)}, which folds Unicode case: the long s was taken
     * for {@code charset} and the body decoded as UTF-16BE. A field read from the wire is ISO-8859-1 and holds no
     * such character; a {@code ResponseBody} made by the caller with its own Content-Type may.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"text/plain; char\u017Fet=utf-16be", "text/plain; CHAR\u017FET=utf-16be"})
    void P67_aParameterNameMatchesOnlyInAsciiCase(String contentType) throws Exception {
        byte[] utf8 = "ok".getBytes(StandardCharsets.UTF_8);
        assertThat(new ResponseBody(new java.io.ByteArrayInputStream(utf8), contentType).string()).isEqualTo("ok");
        assertThat(new ResponseBody(new java.io.ByteArrayInputStream("\u00e9".getBytes(StandardCharsets.UTF_16BE)),
                "text/plain; ChArSeT=utf-16be").string()).as("ASCII letters in any case still match").isEqualTo("\u00e9");
    }

    /**
     * P77: {@code bytes()}, {@code string()} and their limited forms close the body, and a close that fails is the
     * {@link IOException} they declare, not an {@link java.io.UncheckedIOException} ({@link ResponseBody#close()}'s
     * wrapping, for {@code AutoCloseable}): a {@link RoundTripper}'s body whose stream's close fails after a whole
     * read. Before, the helpers closed through {@code close()} and the wrapper escaped a method documented to throw
     * {@link IOException}, past a caller's {@code catch (IOException e)}.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bytes", "bytes(limit)", "string", "string(limit)"})
    void P77_aBufferedReadWhoseCloseFailsThrowsTheDeclaredIOException(String helper) {
        IOException closeFailure = new IOException("close failed");
        ResponseBody body = new ResponseBody(new java.io.ByteArrayInputStream("ok".getBytes(StandardCharsets.UTF_8)) {
            @Override
            public void close() throws IOException {
                throw closeFailure;
            }
        }, "text/plain");
        assertThatThrownBy(() -> {
            switch (helper) {
                case "bytes" -> body.bytes();
                case "bytes(limit)" -> body.bytes(10);
                case "string" -> body.string();
                default -> body.string(10);
            }
        }).isSameAs(closeFailure);
    }

    private static void assertDecodedAndReused(String contentType, String text, java.nio.charset.Charset cs) throws Exception {
        byte[] bytes = text.getBytes(cs);
        String head = "HTTP/1.1 200 OK\r\n" + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + bytes.length + "\r\n\r\n";
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     c.write(i == 0 ? head + new String(bytes, StandardCharsets.ISO_8859_1) : OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo(text);
            }
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }
}
