package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.EnumSource.Mode;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * P90: a platform thread's read of a response body whose server trickles it, a byte at a time and never silent for one
 * read slice (the socket timeout at which a blocked read looks at its interrupt), is left by its thread's interrupt: a
 * chunk-size line (up to 4 KiB), a trailer line, a body read a byte at a time by its caller. Before, the read went on
 * taking the server's bytes whatever interrupted its thread: until the line's limit (seconds here, half an hour for
 * trailers paced just under the slice), or the body's end. P89: the same for a read of a body the transport un-gzips
 * (P25) that takes bytes from the connection without decoding any (a deflate stream of empty stored blocks, or gzip
 * members that hold nothing, without end); before, such a read never returned. Also (E62) the response head trickled to
 * the read loop while a platform caller waits: its interrupt is seen by the wait, as for a stalled head.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrickleInterruptTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    /** The generous bound within which an interrupted read must end. */
    private static final Duration BOUND = Duration.ofSeconds(20);
    /** A gzip member's header: magic, deflate, no flags, no time, no extra flags, Unix. */
    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    /** A deflate stored block that is not the last and holds nothing (RFC 1951 §3.2.4): LEN 0, NLEN 0xffff. */
    private static final byte[] EMPTY_STORED_BLOCK = {0, 0, 0, (byte) 0xff, (byte) 0xff};
    /** A whole gzip member that decodes to nothing: its header, a last empty fixed block, CRC-32 0 and length 0. */
    private static final byte[] EMPTY_MEMBER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final String GZIP_CHUNKED = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";

    /**
     * Where the server trickles, after what it sends at once, and how. A line is trickled a byte every millisecond, far
     * under the 100 ms read slice: before, the read took it in until the line's limit (its protocol error, seconds
     * later, instead of the interrupt). A body whose caller reads a byte at a time is sent without a pause, faster than
     * the caller takes it: before, the read never ended (the length is a petabyte). The {@code GZIP_} rows (P89) send,
     * without a pause, chunks of a gzip body that decode to nothing: before, the read never returned. {@code frame}:
     * the class the reader is seen inside once it takes the server's bytes.
     */
    enum Trickle {
        /** A chunk-size line's extension: the line never ends before its 4 KiB limit. */
        CHUNK_SIZE_LINE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=", aBytes(1), 1, "ConnInput"),
        /** One trailer line, after the body's last chunk: it never ends before the 8 KiB line limit. */
        TRAILER("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: ", aBytes(1), 1, "ConnInput"),
        /** The body of a length its caller reads a byte at a time: each read returns one byte. */
        CONTENT_LENGTH("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n", aBytes(16 * 1024), 0, "ConnInput"),
        /** P89: one gzip member's header, then empty stored blocks inside it. */
        GZIP_EMPTY_STORED_BLOCKS(GZIP_CHUNKED + "a\r\n" + new String(GZIP_HEADER, StandardCharsets.ISO_8859_1) + "\r\n",
                chunkOf(EMPTY_STORED_BLOCK), 0, "GzipDecodingStream"),
        /** P89: empty gzip members, one after the other. */
        GZIP_EMPTY_MEMBERS(GZIP_CHUNKED, chunkOf(EMPTY_MEMBER), 0, "GzipDecodingStream");

        final String start;
        final byte[] block;
        final long paceMillis;
        final String frame;

        Trickle(String start, byte[] block, long paceMillis, String frame) {
            this.start = start;
            this.block = block;
            this.paceMillis = paceMillis;
            this.frame = frame;
        }
    }

    /** {@return {@code n} bytes of {@code 'a'}} */
    private static byte[] aBytes(int n) {
        byte[] bytes = new byte[n];
        Arrays.fill(bytes, (byte) 'a');
        return bytes;
    }

    /**
     * {@return one chunk of a chunked body (its size line, its data, its CRLF) whose data is {@code unit} repeated, 16 KiB
     * at most}
     */
    private static byte[] chunkOf(byte[] unit) {
        byte[] chunk = new byte[(16 * 1024 / unit.length) * unit.length];
        for (int i = 0; i < chunk.length; i += unit.length) {
            System.arraycopy(unit, 0, chunk, i, unit.length);
        }
        return (Integer.toHexString(chunk.length) + "\r\n" + new String(chunk, StandardCharsets.ISO_8859_1) + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * The server sends the response's start at once and, once the caller's read has begun, the rest as {@link Trickle} says.
     * The reader, a platform thread, is interrupted mid-trickle: its read ends within the bound with a
     * {@link RequestCancelledException} of reason {@code INTERRUPT}, its interrupt kept, the body's connection closed
     * (the server's writes fail), the request's one {@code done()} that failure; the next request is served on a new
     * connection. No request timeout: nothing but the interrupt may end the read.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Trickle.class, mode = Mode.MATCH_NONE, names = "GZIP_.*")
    void P90_aPlatformReadOfATrickledBodyIsLeftByItsInterrupt(Trickle trickle) throws Exception {
        assertTrickledReadLeftByItsInterrupt(trickle);
    }

    /**
     * P89, as P90 above: the server answers with a chunked gzip body and, once the caller's read has begun, sends
     * without a pause what decodes to nothing (the {@code GZIP_} rows of {@link Trickle}); the reader's thread, seen
     * inside the decoder, is interrupted, and its read ends as P90's does.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Trickle.class, mode = Mode.MATCH_ALL, names = "GZIP_.*")
    void P89_aGzipReadThatDecodesNothingWhileBytesFlowIsLeftByItsInterrupt(Trickle trickle) throws Exception {
        assertTrickledReadLeftByItsInterrupt(trickle);
    }

    private static void assertTrickledReadLeftByItsInterrupt(Trickle trickle) throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        AtomicInteger trickled = new AtomicInteger();
        CountDownLatch writesFailed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write(trickle.start);
                         if (!reading.await(20, TimeUnit.SECONDS)) {
                             return; // an interrupt (the server closing) ends the script as well
                         }
                         if (trickleUntilClosed(c, trickle.block, trickle.paceMillis, trickled)) {
                             writesFailed.countDown();
                         }
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().listener(dones).build()) {
            HttpRequest req = HttpRequest.get(server.uri("/").toString());
            try (HttpResponse r = t.roundTrip(req)) {
                InputStream in = r.body().stream();
                AtomicBoolean interruptKept = new AtomicBoolean();
                Lifecycle.Caller<Integer> reader = Lifecycle.Caller.start(false, "trickle-reader", () -> {
                    try {
                        reading.countDown();
                        int bytes = 0;
                        while (in.read() >= 0) { // a byte at a time: every read returns as soon as one byte is here
                            bytes++;
                        }
                        return bytes;
                    } finally {
                        interruptKept.set(Thread.currentThread().isInterrupted());
                    }
                });
                int before = trickled.get();
                Leaks.awaitTrue(() -> trickled.get() > before + 5 && Leaks.inside(reader.thread, trickle.frame),
                        "the reader takes the trickled bytes inside " + trickle.frame);
                reader.thread.interrupt();
                assertEndedByItsInterrupt(reader, in, interruptKept, writesFailed, dones, req);
                // A read that fails on an interrupted thread is said to be cancelled whatever failed it: the line's
                // limit, reached while the read went on, is a cause the interrupt's own end never has.
                assertThat(reader.error().getCause() instanceof HttpProtocolException)
                        .as("ended by the interrupt, not by the line's limit (%s)", reader.error().getCause()).isFalse();
            }
            assertNextServedOnANewConnection(t, server);
        }
    }

    /**
     * E62 with the response head trickled: the read loop takes the head's bytes, a header line a byte at a time, while
     * the caller, a platform thread, waits in {@code roundTrip}; its interrupt is seen by that wait, not by a socket
     * read: {@code roundTrip} throws an {@link InterruptedException} within the bound, its status cleared (E10), the
     * connection closed, the request's one {@code done()} that exception, and the next request is served.
     */
    @Test
    void E62_aPlatformCallerWaitingForATrickledHeadIsLeftByItsInterrupt() throws Exception {
        CountDownLatch trickling = new CountDownLatch(1);
        AtomicInteger trickled = new AtomicInteger();
        CountDownLatch writesFailed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write("HTTP/1.1 200 OK\r\nX-Slow: ");
                         trickling.countDown();
                         if (trickleUntilClosed(c, aBytes(1), 10, trickled)) {
                             writesFailed.countDown();
                         }
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().listener(dones).build()) {
            HttpRequest req = HttpRequest.get(server.uri("/").toString());
            AtomicBoolean interruptCleared = new AtomicBoolean();
            Lifecycle.Caller<HttpResponse> caller = Lifecycle.Caller.start(false, "trickle-caller", () -> {
                try {
                    return t.roundTrip(req);
                } finally {
                    interruptCleared.set(!Thread.currentThread().isInterrupted());
                }
            });
            assertThat(trickling.await(20, TimeUnit.SECONDS)).isTrue();
            int before = trickled.get();
            Leaks.awaitTrue(() -> trickled.get() > before + 5, "the head trickles in");
            caller.thread.interrupt();
            boolean ended = caller.join(BOUND);
            if (!ended) {
                caller.abandon(t::close);
            }
            assertThat(ended).as("the interrupted roundTrip ended within %s", BOUND).isTrue();
            assertThat(caller.error()).isInstanceOf(InterruptedException.class);
            assertThat(interruptCleared.get()).as("the interrupt status is cleared (E10)").isTrue();
            assertThat(writesFailed.await(20, TimeUnit.SECONDS)).as("the connection was closed").isTrue();
            assertThat(dones.done.get(req)).as("the request's one done()").singleElement()
                    .isSameAs(caller.error());
            assertNextServedOnANewConnection(t, server);
        }
    }

    /**
     * P91: a body read whose thread is already interrupted returns the bytes the connection's input has buffered, and
     * takes nothing more from the socket, even bytes the socket already holds: the server sent {@code hello} (of ten
     * bytes), the caller read its first byte (which buffered the rest), the server sent {@code world} and saw it
     * acknowledged; then the caller's thread is interrupted: its next read returns {@code ello}, and the one after fails
     * with a {@link RequestCancelledException} of reason {@code INTERRUPT}, its interrupt kept, the connection closed, the
     * request's one {@code done()} that failure. On a virtual thread too, whose JDK socket would return what it holds.
     * Before, that read returned {@code world} on either thread.
     */
    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {false, true})
    void P91_anInterruptedReadGetsTheBufferedBytesAndNothingMore(boolean virtual) throws Exception {
        CountDownLatch helloIn = new CountDownLatch(1);
        CountDownLatch sendWorld = new CountDownLatch(1);
        CountDownLatch worldIn = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
                         c.awaitSentBytesAcknowledged(Duration.ofSeconds(20));
                         helloIn.countDown();
                         if (!sendWorld.await(20, TimeUnit.SECONDS)) {
                             return; // an interrupt (the server closing) ends the script as well
                         }
                         c.write("world");
                         c.awaitSentBytesAcknowledged(Duration.ofSeconds(20));
                         worldIn.countDown();
                         c.readUntilClosed();
                         closed.countDown();
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().listener(dones).build()) {
            HttpRequest req = HttpRequest.get(server.uri("/").toString());
            try (HttpResponse r = t.roundTrip(req)) {
                InputStream in = r.body().stream();
                assertThat(helloIn.await(20, TimeUnit.SECONDS)).isTrue();
                AtomicBoolean interruptKept = new AtomicBoolean();
                java.util.concurrent.atomic.AtomicReference<String> buffered = new java.util.concurrent.atomic.AtomicReference<>();
                Lifecycle.Caller<Integer> reader = Lifecycle.Caller.start(virtual, "interrupted-reader", () -> {
                    try {
                        assertThat(in.read()).isEqualTo('h'); // takes in what the socket holds: the rest of hello
                        sendWorld.countDown();
                        assertThat(worldIn.await(20, TimeUnit.SECONDS)).as("world is in the client's socket").isTrue();
                        Thread.currentThread().interrupt();
                        byte[] b = new byte[16];
                        int n = in.read(b);
                        buffered.set(n < 0 ? "EOF" : new String(b, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
                        return in.read(b);
                    } finally {
                        interruptKept.set(Thread.currentThread().isInterrupted());
                    }
                });
                assertEndedByItsInterrupt(reader, in, interruptKept, closed, dones, req);
                assertThat(buffered.get()).as("the buffered bytes, returned to the interrupted reader").isEqualTo("ello");
            }
            assertNextServedOnANewConnection(t, server);
        }
    }

    /**
     * The reader ended within the bound (else it is ended, its body closed, and the test fails) with a
     * {@link RequestCancelledException} of reason {@code INTERRUPT}, its interrupt kept, its connection closed (the
     * server saw it), and that failure the request's one {@code done()}.
     */
    private static void assertEndedByItsInterrupt(Lifecycle.Caller<Integer> reader, InputStream in,
            AtomicBoolean interruptKept, CountDownLatch connectionClosed, Dones dones, HttpRequest req)
            throws InterruptedException {
        boolean ended = reader.join(BOUND);
        if (!ended) {
            reader.abandon(() -> {
                try {
                    in.close();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
        }
        assertThat(ended).as("the interrupted read ended within %s", BOUND).isTrue();
        assertThat(reader.error()).as("the read's end (its value: %s)", reader.value())
                .isInstanceOfSatisfying(RequestCancelledException.class,
                        e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.INTERRUPT));
        assertThat(interruptKept.get()).as("the interrupt status is kept").isTrue();
        assertThat(connectionClosed.await(20, TimeUnit.SECONDS)).as("the body's connection was closed").isTrue();
        assertThat(dones.done.get(req)).as("the request's one done()").singleElement().isSameAs(reader.error());
    }

    /** The next request is answered, on a second connection: the interrupted body's was never pooled. */
    private static void assertNextServedOnANewConnection(Transport t, RawServer server) throws Exception {
        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
            assertThat(r.body().string()).isEqualTo("ok");
        }
        assertThat(t.stats().dialed()).as("the interrupted body's connection was not reused").isEqualTo(2);
    }

    /**
     * Writes {@code bytes} again and again, {@code paceMillis} apart (0: without a pause), until a write fails or two
     * minutes passed.
     *
     * @return true if a write failed (the client closed the connection)
     */
    private static boolean trickleUntilClosed(RawServer.Conn c, byte[] bytes, long paceMillis, AtomicInteger trickled)
            throws IOException {
        try {
            for (long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2); System.nanoTime() < deadline; ) {
                c.write(bytes);
                trickled.incrementAndGet();
                if (paceMillis > 0) {
                    // Pacing only, never ordering: the client must keep getting bytes well within its read slice.
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(paceMillis));
                }
                if (Thread.currentThread().isInterrupted()) {
                    return false;
                }
            }
            return false;
        } catch (SocketException e) {
            return true;
        }
    }
}
