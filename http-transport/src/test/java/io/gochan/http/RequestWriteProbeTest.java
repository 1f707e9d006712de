package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A probe of the request side (E5, E6, E48, E94, P45): a streamed body (not read from memory, so its head and, since
 * E132, its bytes go out as they are produced) that breaks its declared length or whose source throws half way, sent
 * on a reused connection. The caller gets the body's own failure (a {@link ContentLengthMismatchException} naming the
 * declared length, or what the source threw, as it is); the request reports one {@code done()} with it and is never
 * retried; the server sees the connection end before the declared body is complete (never a complete request whose
 * body lied); the source is closed once; nothing is left; the next request is served on a new connection.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestWriteProbeTest {
    private static final int PRODUCED = 100_000;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Fault {
        SHORTER(2L * PRODUCED), LONGER(PRODUCED / 2), IO_EXCEPTION(2L * PRODUCED), RUNTIME_EXCEPTION(2L * PRODUCED),
        ERROR(2L * PRODUCED);

        final long declared;

        Fault(long declared) {
            this.declared = declared;
        }
    }

    /** An {@link Error} of the caller's own, thrown by the body's source. */
    static final class SourceError extends Error {
        SourceError() {
            super("the body's source failed (test)");
        }
    }

    /** {@link #PRODUCED} bytes of {@code x} in reads of at most 1000, then the end or {@code failure}. */
    static final class Source extends ReadByBulk {
        final AtomicInteger closes = new AtomicInteger();
        private final Throwable failure;
        private int sent;

        Source(Throwable failure) {
            this.failure = failure;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (sent == PRODUCED) {
                if (failure instanceof IOException io) {
                    throw io;
                }
                if (failure instanceof RuntimeException r) {
                    throw r;
                }
                if (failure instanceof Error e) {
                    throw e;
                }
                return -1;
            }
            int n = Math.min(Math.min(len, 1000), PRODUCED - sent);
            java.util.Arrays.fill(b, off, off + n, (byte) 'x');
            sent += n;
            return n;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void E5_aStreamedBodyThatBreaksItsLengthOrFailsHalfWayOnAReusedConnectionFailsAloneAndCleanly(Fault fault)
            throws Exception {
        Dones listener = new Dones();
        // Per POST: how many of its body's bytes the server read before its connection ended.
        BlockingQueue<Long> bodyBytesAtEnd = new ArrayBlockingQueue<>(4);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (head.startsWith("GET ")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         continue;
                     }
                     long declared = -1;
                     for (String line : head.split("\r\n")) {
                         if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                             declared = Long.parseLong(line.substring(15).trim());
                         }
                     }
                     long got = 0;
                     byte[] buf = new byte[8192];
                     for (int n; got < declared && (n = c.in.read(buf, 0, (int) Math.min(buf.length, declared - got))) > 0; ) {
                         got += n;
                     }
                     bodyBytesAtEnd.add(got);
                     if (got == declared) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ncomplete"); // must never happen
                     }
                     return;
                 }
             });
             Transport t = Transport.builder().listener(listener).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/warm")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            Throwable failure = switch (fault) {
                case IO_EXCEPTION -> new IOException("the body's source failed (test)");
                case RUNTIME_EXCEPTION -> new IllegalStateException("the body's source failed (test)");
                case ERROR -> new SourceError();
                default -> null;
            };
            Source source = new Source(failure);
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStreamOnce(source, fault.declared, "application/octet-stream")).build();
            Throwable thrown = null;
            try (HttpResponse r = t.roundTrip(post)) {
                thrown = new AssertionError("answered: " + r.status() + " " + r.body().string());
            } catch (IOException | RuntimeException | Error e) {
                thrown = e;
            }
            if (failure != null) {
                assertThat(thrown).as("what the caller got").isSameAs(failure);
            } else {
                assertThat(thrown).isInstanceOfSatisfying(ContentLengthMismatchException.class,
                        e -> assertThat(e.declared()).isEqualTo(fault.declared));
            }
            Long got = bodyBytesAtEnd.poll(20, TimeUnit.SECONDS);
            assertThat(got).as("the server saw the upload's connection end").isNotNull();
            assertThat(got).as("body bytes that reached the server").isLessThan(fault.declared);
            Leaks.awaitTrue(() -> listener.done.containsKey(post), "the POST's done()");
            List<Throwable> done = listener.done.get(post);
            assertThat(done).hasSize(1);
            assertThat(done.get(0)).isSameAs(thrown);
            assertThat(source.closes.get()).as("closes of the body's source").isEqualTo(1);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the upload's connection closed, never pooled");
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/after")).build())) {
                assertThat(r.body().string()).as("the next request is served").isEqualTo("ok");
            }
            assertThat(server.accepted()).as("the next request took a new connection").isEqualTo(2);
            assertThat(t.stats().retries()).isZero();
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * E159 (P45, E132): a streamed body declared empty (length 0) whose source yields a byte is refused before anything
     * is sent. Its head alone is a complete request (with {@code Content-Length: 0}, or no framing for a GET or DELETE),
     * so it stays in the buffer until the source's end is seen; the server sees no request at all, the source is closed
     * once, and the connection is closed. Found by session 44's upload audit: the head went out on its own first, the
     * server acted on it and answered, and only then did the caller get the mismatch.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"PUT", "POST", "DELETE", "GET"})
    void E159_aStreamedBodyDeclaredEmptyThatYieldsAByteIsRefusedBeforeAnythingIsSent(String method) throws Exception {
        refusedBeforeAnythingIsSent(method, false);
    }

    /**
     * E160 (E159's neighbour): the same with {@code Expect: 100-continue}. A body declared empty has nothing to wait
     * for, so its request does not wait for a {@code 100} (as Go's transport waits only for a body of a length other
     * than 0): its head stays in the buffer until the source's end, as E159's. Before, the head went out on its own to
     * wait for the {@code 100}, the server answered the empty request, and only then did the caller get the mismatch.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"PUT", "POST"})
    void E160_aBodyDeclaredEmptyWithExpectContinueIsRefusedBeforeAnythingIsSent(String method) throws Exception {
        refusedBeforeAnythingIsSent(method, true);
    }

    private static void refusedBeforeAnythingIsSent(String method, boolean expectContinue) throws Exception {
        List<String> heads = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch handlerEnded = new java.util.concurrent.CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 try {
                     for (String head; (head = c.readRequestHead()) != null; ) {
                         heads.add(head);
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nprocessed");
                     }
                 } finally {
                     handlerEnded.countDown();
                 }
             });
             Transport t = Transport.builder().build()) {
            AtomicInteger closes = new AtomicInteger();
            // Not a ByteArrayInputStream of that exact class: a stream that may block, whose head would go out first.
            RequestBody body = RequestBody.ofStream(() -> new java.io.BufferedInputStream(new java.io.ByteArrayInputStream(
                    new byte[] {'x'})) {
                @Override
                public void close() throws IOException {
                    closes.incrementAndGet();
                    super.close();
                }
            }, 0, "text/plain");
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/zero")).method(method, body);
            HttpRequest req = (expectContinue ? b.header("Expect", "100-continue") : b).build();
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> t.roundTrip(req).close());
            assertThat(thrown).isInstanceOf(ContentLengthMismatchException.class)
                    .hasMessageContaining("longer than its declared length 0");
            assertThat(closes.get()).isEqualTo(1);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(handlerEnded.await(20, TimeUnit.SECONDS)).as("the server saw the connection end").isTrue();
            assertThat(heads).as("what the server received").isEmpty();
        }
    }
}
