package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * P78 (P62, E62) for a body the transport un-gzips (P25): a reader waiting for another thread's read of the decoded
 * body is left by its interrupt, as for a streamed body ({@code BodyContractProbeTest.P62_...}, chunked only). Before,
 * the gzip body's turn was the decoder's {@code ReentrantLock.lock()}, which no interrupt ends, so the waiting reader
 * stayed until the other read ended (for ever without a deadline). From review streams26, finding 1. P81: the
 * failure the reader holding the turn met first stands for a reader interrupted meanwhile and for every later read,
 * and a read after the close says the body is closed.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GzipBodyTurnInterruptTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * The server sends a gzip body's 10-byte header in one chunk and stalls. The first reader (virtual) decodes the
     * header and blocks in the socket for the deflate data, holding the decoder; the second waits for its turn; the
     * second is interrupted. As for a chunked body, it must end with a {@link RequestCancelledException} of reason
     * {@code INTERRUPT}, its interrupt kept, and the request end with it (the first reader's read fails too). No
     * request timeout: nothing but the interrupt may end the wait.
     */
    @ParameterizedTest(name = "interrupted reader virtual: {0}")
    @ValueSource(booleans = {false, true})
    void P78_aReaderWaitingForAnothersReadOfAGzipBodyIsLeftByItsInterrupt(boolean virtual) throws Exception {
        byte[] gzipHeader = Arrays.copyOf(gzip("hello, world".getBytes(StandardCharsets.ISO_8859_1)), 10);
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\na\r\n");
                         c.write(gzipHeader);
                         c.write("\r\n");
                         c.readUntilClosed(); // the deflate data never comes
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.headers().get("Content-Encoding")).as("the transport decodes it (P25)").isNull();
                InputStream in = r.body().stream();
                Lifecycle.Caller<Integer> first = Lifecycle.Caller.start(true, "first-reader", () -> in.read(new byte[8]));
                Leaks.awaitTrue(() -> Lifecycle.waitingIn(first.thread, "GzipDecodingStream", "fill"),
                        "the first reader blocked in the socket under the decoder");
                AtomicBoolean interruptKept = new AtomicBoolean();
                Lifecycle.Caller<Integer> second = Lifecycle.Caller.start(virtual, "second-reader", () -> {
                    try {
                        return in.read(new byte[8]);
                    } finally {
                        interruptKept.set(Thread.currentThread().isInterrupted());
                    }
                });
                // Parked on the body's turn: the decoder's lock before the fix (ReentrantLock.lock), the gzip body's
                // own turn after it (ReentrantLock.lockInterruptibly), so the same test runs against both.
                Leaks.awaitTrue(() -> waitingOnALock(second.thread), "the second reader waits for its turn");
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
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the interrupted body's connection was closed").isEqualTo(2);
        }
    }

    /**
     * P81: after the P78 case (the waiting reader interrupted, the body failed with its interruption), the caller
     * closes the body: a read then says the body is closed, as a streamed body and the decoder say, and
     * {@code available()} is 0. Before, the read threw the interruption again (the body's recorded failure was looked
     * at before its close), where every other body says "closed".
     */
    @ParameterizedTest(name = "interrupted reader virtual: {0}")
    @ValueSource(booleans = {false, true})
    void P81_aReadAfterTheCloseOfABodyFailedByAnInterruptSaysItIsClosed(boolean virtual) throws Exception {
        byte[] gzipHeader = Arrays.copyOf(gzip("hello, world".getBytes(StandardCharsets.ISO_8859_1)), 10);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\na\r\n");
                 c.write(gzipHeader);
                 c.write("\r\n");
                 c.readUntilClosed(); // the deflate data never comes
             });
             Transport t = Transport.builder().build();
             HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
            InputStream in = r.body().stream();
            Lifecycle.Caller<Integer> first = Lifecycle.Caller.start(true, "first-reader", () -> in.read(new byte[8]));
            Leaks.awaitTrue(() -> Lifecycle.waitingIn(first.thread, "GzipDecodingStream", "fill"),
                    "the first reader blocked in the socket under the decoder");
            Lifecycle.Caller<Integer> second = Lifecycle.Caller.start(virtual, "second-reader", () -> in.read(new byte[8]));
            Leaks.awaitTrue(() -> waitingOnALock(second.thread), "the second reader waits for its turn");
            second.thread.interrupt();
            boolean secondEnded = second.join(Duration.ofSeconds(20));
            boolean firstEnded = first.join(Duration.ofSeconds(20));
            if (!secondEnded || !firstEnded) {
                second.abandon(t::close);
                first.abandon(t::close);
            }
            assertThat(secondEnded && firstEnded).as("both readers ended").isTrue();
            assertThat(second.error()).isInstanceOf(RequestCancelledException.class);
            in.close();
            assertThatThrownBy(() -> in.read(new byte[8])).as("a read after the close")
                    .isNotInstanceOf(RequestCancelledException.class)
                    .isInstanceOf(IOException.class)
                    .hasMessage("response body is closed");
            assertThat(in.available()).isZero();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the body's connection closed");
        }
    }

    /**
     * P81: the first reader's read meets corrupt gzip data ({@code BAD_CONTENT_ENCODING}) and, still holding the
     * body's turn, tells the listener's {@code done()}, which blocks. A second reader waiting for the turn is
     * interrupted meanwhile: it throws that same failure, its interrupt kept, and every later read throws it too (P61),
     * the failure {@code done()} reported. Before, the interrupted reader made its own {@link RequestCancelledException}
     * (reason {@code INTERRUPT}) the body's failure, and every later read threw that instead.
     */
    @ParameterizedTest(name = "interrupted reader virtual: {0}")
    @ValueSource(booleans = {false, true})
    void P81_aReaderInterruptedWhileAFailedReadStillHoldsTheTurnGetsThatFailure(boolean virtual) throws Exception {
        byte[] header = Arrays.copyOf(gzip("hello, world".getBytes(StandardCharsets.ISO_8859_1)), 10);
        byte[] corrupt = Arrays.copyOf(header, 14);
        Arrays.fill(corrupt, 10, 14, (byte) 0xff); // a deflate block of the reserved type 3: "invalid block type"
        CountDownLatch inDone = new CountDownLatch(1);
        CountDownLatch releaseDone = new CountDownLatch(1);
        RequestListener blockingDone = new RequestListener() {
            @Override
            public void done(HttpRequest request, Throwable error) {
                if (error instanceof HttpProtocolException) {
                    inDone.countDown();
                    try {
                        releaseDone.await(20, TimeUnit.SECONDS); // a listener that blocks, under the first read
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n");
                         c.write(corrupt);
                         c.write("\r\n");
                         c.readUntilClosed(); // the last chunk never comes
                         return;
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().listener(blockingDone).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                InputStream in = r.body().stream();
                Lifecycle.Caller<Integer> first = Lifecycle.Caller.start(true, "first-reader", () -> in.read(new byte[8]));
                boolean firstInDone = inDone.await(20, TimeUnit.SECONDS);
                Lifecycle.Caller<Integer> second = null;
                try {
                    assertThat(firstInDone).as("the first reader met the corrupt data and is in done()").isTrue();
                    AtomicBoolean interruptKept = new AtomicBoolean();
                    second = Lifecycle.Caller.start(virtual, "second-reader", () -> {
                        try {
                            return in.read(new byte[8]);
                        } finally {
                            interruptKept.set(Thread.currentThread().isInterrupted());
                        }
                    });
                    Lifecycle.Caller<Integer> waiting = second;
                    Leaks.awaitTrue(() -> waitingOnALock(waiting.thread), "the second reader waits for its turn");
                    second.thread.interrupt();
                    assertThat(second.join(Duration.ofSeconds(20))).as("the interrupted reader ended").isTrue();
                    assertThat(interruptKept.get()).as("the interrupt status is kept").isTrue();
                } finally {
                    releaseDone.countDown();
                }
                assertThat(first.join(Duration.ofSeconds(20))).as("the first reader ended").isTrue();
                assertThat(first.error()).isInstanceOfSatisfying(HttpProtocolException.class,
                        e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.BAD_CONTENT_ENCODING));
                assertThat(second.error()).as("the interrupted reader's outcome").isSameAs(first.error());
                assertThatThrownBy(() -> in.read(new byte[8])).as("a later read").isSameAs(first.error());
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the failed body's connection was closed").isEqualTo(2);
        }
    }

    /** Whether {@code t} is parked taking a {@code ReentrantLock} (lock or lockInterruptibly) under a gzip body's read. */
    private static boolean waitingOnALock(Thread t) {
        boolean waiting = Lifecycle.waiting(t);
        StackTraceElement[] stack = t.getStackTrace();
        return waiting && Arrays.stream(stack).anyMatch(e -> e.getClassName().endsWith("ReentrantLock")
                        && e.getMethodName().startsWith("lock"))
                && Arrays.stream(stack).anyMatch(e -> (e.getClassName().endsWith("GzipBody")
                        || e.getClassName().endsWith("GzipDecodingStream")) && e.getMethodName().equals("read"));
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
}
