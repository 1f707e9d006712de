package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edges of a response body's life that the hostile-server and lifecycle suites did not reach: a
 * body read again after its end (E14), a read with bad arguments or of zero bytes (E15), an empty
 * gzip body (P25), a body whose bytes have all arrived when the transport closes (E3), and an interrupt while {@code roundTrip} gives a failed write its early-response
 * grace (T2). Each case failed before its fix; each proves the transport leaves nothing running.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class BodyEndTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E14: a body read to its end on a virtual thread is read again from a platform thread (legacy code
     * handed the stream). That read used to ask for sliced socket reads (a 100 ms SO_TIMEOUT) on a
     * connection already idle in the pool; the next read of that connection then timed out while idle
     * and was taken for the server closing it, so the idle connection was dropped, and a request sent
     * on it in that window failed with "server closed the connection" — a POST without a retry. Now the
     * finished body answers EOF by itself: the connection stays idle (the server sees no close for a
     * generous second) and then carries a POST.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E14_aBodyReadAgainAfterItsEndFromAnotherThreadKindLeavesItsPooledConnectionAlone() throws Exception {
        CountDownLatch quietOver = new CountDownLatch(1);
        AtomicBoolean closedWhileIdle = new AtomicBoolean();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 // Chunked: a streamed body (a Content-Length body that arrives with its head is read from memory).
                 c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n0\r\n\r\n");
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                 // The connection is idle in the client's pool: nothing may close it (idle timeout 90 s).
                 c.socket.setSoTimeout(1000);
                 try {
                     closedWhileIdle.set(c.in.read() < 0);
                 } catch (SocketTimeoutException quiet) {
                     // quiet for a second, as it should be
                 } catch (java.net.SocketException reset) {
                     closedWhileIdle.set(true);
                 }
                 c.socket.setSoTimeout(0);
                 quietOver.countDown();
                 if (!closedWhileIdle.get()) {
                     c.readRequest();
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npost");
                     c.readRequest();
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpResponse first = t.roundTrip(HttpRequest.get(server.uri("/1").toString()));
            InputStream body = first.body().stream();
            Caller<byte[]> virtualReader = Caller.virtual("reads-to-eof", body::readAllBytes);
            assertThat(virtualReader.join(WAIT)).isTrue();
            assertThat(virtualReader.value()).asString(StandardCharsets.ISO_8859_1).isEqualTo("first");
            Leaks.awaitTrue(() -> t.stats().idle() == 1, "connection idle after the EOF");
            Caller<Integer> platformReader = Caller.start(false, "reads-after-eof", body::read);
            assertThat(platformReader.join(WAIT)).isTrue();
            assertThat(platformReader.value()).isEqualTo(-1);
            first.close();

            try (HttpResponse second = t.roundTrip(HttpRequest.get(server.uri("/2").toString()))) {
                assertThat(second.body().string()).isEqualTo("second");
            }
            assertThat(quietOver.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(closedWhileIdle).as("the client closed the idle connection").isFalse();
            HttpRequest post = HttpRequest.newBuilder(server.uri("/3")).POST(RequestBody.of("data")).build();
            try (HttpResponse third = t.roundTrip(post)) {
                assertThat(third.body().string()).isEqualTo("post");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(2);
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * E15: a read with an offset and length outside the array throws {@link IndexOutOfBoundsException}
     * (it was an {@code HttpConnectionException} that closed the connection: the caller's mistake
     * taken for the connection's failure); a zero-length read returns 0 without reading (a chunked body
     * used to block reading the next chunk-size line). The body then reads on to its end and the
     * connection is reused. The server stalls mid-body until the test has made both reads.
     */
    @ParameterizedTest(name = "chunked: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E15_aReadWithBadArgumentsOrOfZeroBytesLeavesTheBodyAndItsConnectionAsTheyWere(boolean chunked) throws Exception {
        CountDownLatch rest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 if (chunked) {
                     c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
                     rest.await();
                     c.write("3\r\ndef\r\n0\r\n\r\n");
                 } else {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
                     rest.await();
                     c.write("def");
                 }
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 c.readRequest();
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                InputStream in = r.body().stream();
                assertThat(in.readNBytes(3)).asString(StandardCharsets.ISO_8859_1).isEqualTo("abc");
                assertThatThrownBy(() -> in.read(new byte[3], 2, 5)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> in.read(new byte[3], -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
                Caller<Integer> zero = Caller.virtual("zero-length-read", () -> in.read(new byte[3], 3, 0));
                boolean returned = zero.join(WAIT);
                zero.abandon(t::close);
                assertThat(returned).as("a zero-length read returns without waiting for the server").isTrue();
                assertThat(zero.value()).isZero();
                assertThat(t.stats().open()).isEqualTo(1);
                rest.countDown();
                assertThat(in.readAllBytes()).asString(StandardCharsets.ISO_8859_1).isEqualTo("def");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(1);
        }
    }

    /**
     * P49: a chunk's data is returned as soon as it has arrived, before the CRLF that follows it (as Go's chunked
     * reader returns its data when fewer than two bytes are buffered): a server that sends that CRLF with the next
     * chunk, or only when it has more to say (a stream of events), is read as it sends. The CRLF is then checked by
     * the next read, as strictly as before (P26: a bare LF there still fails it). The server sends the CRLF only once
     * the test has read the chunk's data; before, that read waited for it.
     */
    @ParameterizedTest(name = "then: {0}")
    @ValueSource(strings = {"\r\n0\r\n\r\n", "\n0\r\n\r\n"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P49_aChunksDataIsReturnedBeforeTheLineEndAfterItArrives(String then) throws Exception {
        CountDownLatch read = new CountDownLatch(1);
        boolean crlf = then.startsWith("\r");
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello");
                 if (read.await(60, TimeUnit.SECONDS)) {
                     c.write(then);
                 }
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                InputStream in = r.body().stream();
                Caller<String> first = Caller.virtual("first-read", () -> {
                    byte[] b = new byte[16];
                    int n = in.read(b);
                    return new String(b, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1);
                });
                boolean returned = first.join(WAIT);
                read.countDown();
                first.abandon(t::close);
                assertThat(returned).as("the chunk's data returned before its CRLF arrived").isTrue();
                assertThat(first.value()).isEqualTo("hello");
                if (crlf) {
                    assertThat(in.read()).as("the end").isEqualTo(-1);
                } else {
                    assertThatThrownBy(in::read).isInstanceOf(HttpProtocolException.class).hasMessageContaining("bare LF");
                }
            }
            if (crlf) {
                Leaks.awaitTrue(() -> t.stats().idle() == 1, "connection idle after the EOF: " + t.stats());
            } else {
                Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed after the framing error: " + t.stats());
            }
        }
    }

    /**
     * P25: a response to a request the transport asked to be compressed, with
     * {@code Content-Encoding: gzip} and an empty (chunked) body, is an empty body, as in Go; it was an
     * {@code EOFException} without a message, since the gzip reader wants a header first. The
     * connection is reused.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P25_anEmptyGzipBodyIsAnEmptyBody() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     assertThat(head).contains("Accept-Encoding: gzip");
                     c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    assertThat(r.body().bytes()).isEmpty();
                    assertThat(r.headers().contains("Content-Encoding")).isFalse();
                }
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * E3: closing the transport ends a body being read also when all its bytes have already arrived: a
     * Content-Length body that came with its head (held in memory) and a chunked body whole in the
     * connection's buffer used to read on to their end after the close, while a body still on the wire
     * failed; whether a body failed depended on packet timing. Now each read after the close fails with
     * {@link RequestCancelledException} ({@code TRANSPORT_CLOSED}), as the transport's javadoc says.
     */
    @ParameterizedTest(name = "chunked: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E3_closingTheTransportEndsABodyWhoseBytesHaveAllArrived(boolean chunked) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write(chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                         : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
                 while (c.in.read() >= 0) {
                     // keeps the connection open until the client closes it
                 }
             })) {
            Transport t = Transport.builder().build();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                InputStream in = r.body().stream();
                assertThat(in.read()).isEqualTo('h');
                t.close();
                assertThatThrownBy(in::readAllBytes).isInstanceOfSatisfying(RequestCancelledException.class,
                        e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
            } finally {
                t.close();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "no connection open");
        }
    }

    /** Records each request's {@code done()} outcomes, in order (null: success). */
    private static final class DoneRecorder implements RequestListener {
        final Map<String, List<Optional<Throwable>>> done = new ConcurrentHashMap<>();

        @Override
        public void done(HttpRequest request, Throwable error) {
            done.computeIfAbsent(request.uri().getPath(), k -> new CopyOnWriteArrayList<>()).add(Optional.ofNullable(error));
        }

        List<Optional<Throwable>> of(String path) {
            return done.getOrDefault(path, List.of());
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write(data);
        }
        return b.toByteArray();
    }

    /** How the body of E49's first response is framed and encoded. */
    enum Framing { LENGTH_STREAMED, LENGTH_IN_MEMORY, CHUNKED, GZIP_LENGTH, GZIP_CHUNKED }

    /**
     * E49: a body read to exactly its end without a further read returning -1, then closed, puts its connection
     * back in the pool: the read that completes the declared length (or that reads a chunk after which the last
     * chunk is already buffered) does what the EOF read does, as Go's body returns {@code io.EOF} with the last
     * bytes of a length-delimited body. Before, a streamed body so read and closed closed its connection (open=0,
     * reused=0), and a body held in memory stayed in use until its close. For a body the transport decodes (P25)
     * the framing's end is reached when the decoder takes in the last bytes of the gzip data. The second response
     * comes on the same connection; done() is reported once, as a success.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Framing.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E49_aBodyReadToExactlyItsLengthAndClosedReusesItsConnection(Framing framing) throws Exception {
        byte[] plain = "exactly this much, and not a byte more. ".repeat(40).getBytes(StandardCharsets.ISO_8859_1);
        boolean gzip = framing == Framing.GZIP_LENGTH || framing == Framing.GZIP_CHUNKED;
        byte[] wire = gzip ? gzip(plain) : plain;
        boolean chunked = framing == Framing.CHUNKED || framing == Framing.GZIP_CHUNKED;
        String head = "HTTP/1.1 200 OK\r\n" + (gzip ? "Content-Encoding: gzip\r\n" : "")
                + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: " + wire.length + "\r\n\r\n");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            body.write((Integer.toHexString(wire.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            body.write(wire);
            body.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        } else {
            body.write(wire);
        }
        CountDownLatch headDelivered = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 if (framing == Framing.LENGTH_IN_MEMORY) {
                     c.write(head + body.toString(StandardCharsets.ISO_8859_1)); // arrives with its head: held in memory
                 } else {
                     c.write(head);
                     headDelivered.await(); // the body comes after roundTrip returned: streamed
                     c.write(body.toByteArray());
                 }
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 c.readRequest();
             })) {
            DoneRecorder rec = new DoneRecorder();
            try (Transport t = Transport.builder().listener(rec).build()) {
                HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/1").toString()));
                headDelivered.countDown();
                InputStream in = r.body().stream();
                assertThat(in.readNBytes(plain.length)).isEqualTo(plain); // no read beyond the length: no -1 seen
                if (!gzip) {
                    // The read that completed the length returned only once the connection was back, done() reported.
                    assertThat(t.stats().idle()).as("after the read that completed the body: %s", t.stats()).isEqualTo(1);
                    assertThat(t.stats().inUse()).isZero();
                    assertThat(rec.of("/1")).containsExactly(Optional.empty());
                }
                r.close();
                assertThat(t.stats().idle()).as("after the close: %s", t.stats()).isEqualTo(1);
                assertThat(t.stats().inUse()).isZero();
                assertThat(rec.of("/1")).containsExactly(Optional.empty());
                assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
                try (HttpResponse second = t.roundTrip(HttpRequest.get(server.uri("/2").toString()))) {
                    assertThat(second.body().string()).isEqualTo("ok");
                }
                assertThat(t.stats().dialed()).isEqualTo(1);
                assertThat(t.stats().reused()).isEqualTo(1);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /** Gzip data that is bad, framed exactly (the body's framing ends cleanly where the bad gzip data ends). */
    static Stream<Arguments> badGzipExactlyFramed() throws IOException {
        byte[] ok = gzip("hello, hostile world ".repeat(20).getBytes(StandardCharsets.ISO_8859_1));
        byte[] wrongCrc = ok.clone();
        wrongCrc[wrongCrc.length - 8] ^= 0x01;
        byte[] garbage = Arrays.copyOf(ok, ok.length + 7);
        System.arraycopy("GARBAGE".getBytes(StandardCharsets.ISO_8859_1), 0, garbage, ok.length, 7);
        return Stream.of(
                Arguments.of("gzip data cut short", Arrays.copyOf(ok, ok.length - 10), "cut short"),
                Arguments.of("wrong CRC-32", wrongCrc, "checksum mismatch"),
                Arguments.of("garbage after the member", garbage, "bytes after the last gzip member"));
    }

    /**
     * E50, P30: bad gzip data whose framing ends cleanly where the data ends fails the read with
     * {@code BAD_CONTENT_ENCODING}, and the request's one {@code done()} reports that same failure; the
     * connection, whose framing was read to its end, is reused (as Go's). Before, {@code done(null)} (success)
     * was reported at the framing's EOF, and the read then threw: a listener saw success where the caller saw a
     * failure; a checksum or trailing-bytes error found before the framing's EOF read closed the connection.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badGzipExactlyFramed")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E50_badGzipEndingWithItsFramingIsTheRequestsFailureForItsListenerTooAndKeepsTheConnection(
            String name, byte[] bad, String said) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write(("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + bad.length + "\r\n\r\n")
                         .getBytes(StandardCharsets.ISO_8859_1));
                 c.write(bad);
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 c.readRequest();
             })) {
            DoneRecorder rec = new DoneRecorder();
            try (Transport t = Transport.builder().listener(rec).build()) {
                Throwable thrown;
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/1").toString()))) {
                    thrown = org.assertj.core.api.Assertions.catchThrowable(() -> r.body().bytes());
                    assertThat(thrown).isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.BAD_CONTENT_ENCODING))
                            .hasMessageContaining(said);
                    assertThat(rec.of("/1")).as("done() when the read threw").containsExactly(Optional.of(thrown));
                }
                assertThat(rec.of("/1")).as("done() after the close").containsExactly(Optional.of(thrown));
                try (HttpResponse second = t.roundTrip(HttpRequest.get(server.uri("/2").toString()))) {
                    assertThat(second.body().string()).isEqualTo("ok");
                }
                assertThat(t.stats().dialed()).isEqualTo(1);
                assertThat(t.stats().reused()).isEqualTo(1);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * E50, E4: a decoded body dropped without a close after its framing ended (the decoder took in all its gzip
     * data) but before its decoded end reports the request's {@code done()} as never closed when it is collected;
     * its connection, back in the pool since the framing's end, is left alone and serves the next request.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E50_aDecodedBodyDroppedAfterItsFramingsEndReportsDoneWhenCollected() throws Exception {
        byte[] plain = "a compressible body, decoded far larger than its gzip data. ".repeat(2000)
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] gz = gzip(plain);
        assertThat(gz.length).isLessThan(4096);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write(("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n")
                         .getBytes(StandardCharsets.ISO_8859_1));
                 c.write(gz);
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 c.readRequest();
             })) {
            DoneRecorder rec = new DoneRecorder();
            try (Transport t = Transport.builder().listener(rec).build()) {
                readAFewBytesAndDrop(t, server.uri("/1"));
                assertThat(t.stats().idle()).as("back at the framing's end: %s", t.stats()).isEqualTo(1);
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (rec.of("/1").isEmpty() && System.nanoTime() < deadline) {
                    System.gc();
                    Thread.yield();
                }
                assertThat(rec.of("/1")).hasSize(1);
                assertThat(rec.of("/1").get(0)).hasValueSatisfying(e ->
                        assertThat(e).isInstanceOf(HttpConnectionException.class).hasMessageContaining("never closed"));
                try (HttpResponse second = t.roundTrip(HttpRequest.get(server.uri("/2").toString()))) {
                    assertThat(second.body().string()).isEqualTo("ok");
                }
                assertThat(t.stats().dialed()).isEqualTo(1);
                assertThat(t.stats().reused()).isEqualTo(1);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /** Reads a few decoded bytes (the decoder takes in the whole gzip data) and drops the response unclosed. */
    private static void readAFewBytesAndDrop(Transport t, java.net.URI uri) throws Exception {
        HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()));
        assertThat(r.body().stream().readNBytes(10)).hasSize(10); // and then forget r: its frame ends here
    }

    /** A socket whose writes fail (after the bytes were handed over) while its input stays open and silent. */
    private static final class WriteFailingSocket extends Socket {
        @Override
        public OutputStream getOutputStream() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException("simulated write failure");
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    throw new IOException("simulated write failure");
                }
            };
        }
    }

    private static boolean inEarlyResponseGrace(Thread t) {
        return Lifecycle.inMethod(t, "", "writeFailed");
    }

    /**
     * T2: a write fails after bytes went out, so {@code roundTrip} gives the server 250 ms to answer
     * anyway (T4); an interrupt of the caller in that grace used to leave {@code roundTrip} without
     * ending its exchange: the connection stayed open, its read loop waiting on a silent server, until
     * the transport closed. Now the interrupt ends the exchange as everywhere else in {@code roundTrip}:
     * an {@link InterruptedException} with a message, and the connection closed (the server keeps its side
     * open: only the client can close it).
     * The interrupt must land inside the grace; a round that misses it is repeated.
     */
    @ParameterizedTest(name = "virtual caller: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void T2_anInterruptDuringTheEarlyResponseGraceClosesTheConnection(boolean virtual) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.in.read() >= 0) {
                     // silent: nothing arrives (the client's writes fail), nothing is answered
                 }
                 // The client shut its output down after the failed write; the server keeps its side open
                 // (until the test ends), so only the client can close this connection.
                 new CountDownLatch(1).await();
             });
             Transport t = Transport.builder()
                     .dialer((host, port, timeout) -> {
                         Socket s = new WriteFailingSocket();
                         s.connect(new InetSocketAddress(host, port));
                         return s;
                     })
                     .build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/")).POST(RequestBody.of("data")).build();
            for (int round = 0; ; round++) {
                assertThat(round).as("rounds until an interrupt landed in the grace").isLessThan(20);
                Caller<HttpResponse> caller = Caller.start(virtual, "caller", () -> t.roundTrip(post));
                Lifecycle.await(() -> caller.error() != null || inEarlyResponseGrace(caller.thread), WAIT, "caller in the grace");
                caller.thread.interrupt();
                boolean ended = caller.join(WAIT);
                caller.abandon(t::close);
                assertThat(ended).isTrue();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
                if (caller.error() instanceof InterruptedException e) {
                    assertThat(e).hasMessageContaining("interrupted");
                    break;
                }
                // The grace ended before the interrupt landed: the write's failure is the outcome; again.
                assertThat(caller.error()).isInstanceOf(HttpConnectionException.class);
            }
            assertThat(server.failures()).isEmpty();
        }
    }
}
