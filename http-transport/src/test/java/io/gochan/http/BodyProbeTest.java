package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.Goroutine;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E133 (docs/spec/transport-lifecycle.md): a body of unknown length sent with a method that usually has none has its
 * first byte looked at before the head is written, as Go's {@code probeRequestBody}: found empty, it goes as none (no
 * framing field, no bytes); otherwise it goes chunked, from its first byte on. No test races the look's bound: a look
 * that must answer runs under a bound of a minute ({@link #LONG}, a generous timeout, never reached), and a look that
 * must give up reads a source that cannot answer before the server has the head, which only the look's giving up sends.
 * Which thread read the body's first byte (the look's goroutine, {@code http-body-probe#...}, or the write loop) shows
 * which way the look went.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BodyProbeTest {
    /** A bound on the look that a look answering at once never reaches, however loaded the machine. */
    private static final Duration LONG = Duration.ofMinutes(1);
    private static final String PROBE = "http-body-probe#";
    private static final String WRITE_LOOP = "http-write-loop#";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How a {@link Source}'s {@code available()} answers. */
    enum Announces {
        /** 0, as a pipe that may block. */
        NOTHING,
        /** How many bytes are left. */
        WHAT_IS_LEFT,
        /** It throws an {@code IOException}. */
        FAILS
    }

    /** A source of unknown length that is not read from memory: it yields {@code text}, all it can in each read. */
    private static final class Source extends ReadByBulk {
        private final byte[] text;
        private final Announces announces;
        private final IOException failure;
        private int at;
        /** The name of the thread of the first read. */
        final AtomicReference<String> reader = new AtomicReference<>();
        final AtomicInteger closes = new AtomicInteger();

        /**
         * @param text the bytes it yields
         * @param announces what {@code available()} says
         * @param failure thrown by every read, or null
         */
        Source(String text, Announces announces, IOException failure) {
            this.text = text.getBytes(StandardCharsets.ISO_8859_1);
            this.announces = announces;
            this.failure = failure;
        }

        @Override
        public int available() throws IOException {
            return switch (announces) {
                case NOTHING -> 0;
                case WHAT_IS_LEFT -> text.length - at;
                case FAILS -> throw new IOException("available() not supported (test)");
            };
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            reader.compareAndSet(null, Thread.currentThread().getName());
            if (failure != null) {
                throw failure;
            }
            if (at == text.length) {
                return -1;
            }
            int n = Math.min(len, text.length - at);
            System.arraycopy(text, at, b, off, n);
            at += n;
            return n;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    /** A server that records each request as received, raw, and answers {@code ok}, keeping the connection. */
    private static RawServer recording(BlockingQueue<String> requests) throws IOException {
        return RawServer.start(c -> {
            for (String raw; (raw = c.readRawRequest()) != null; ) {
                requests.add(raw);
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + (raw.startsWith("HEAD ") ? "" : "ok"));
            }
        });
    }

    private static String send(Transport t, HttpRequest req) throws Exception {
        try (HttpResponse r = t.roundTrip(req)) {
            return r.status() + " " + r.body().string();
        }
    }

    private static HttpRequest request(RawServer server, String method, InputStream source) {
        return HttpRequest.newBuilder(server.uri("/probe"))
                .method(method, RequestBody.ofStream(() -> source, -1, "text/plain")).build();
    }

    /**
     * E133: a {@code GET}, {@code HEAD}, {@code DELETE}, {@code OPTIONS}, {@code PROPFIND} or {@code SEARCH} whose body
     * of unknown length is at its end at once goes as a request without a body: no {@code Transfer-Encoding}, no
     * {@code Content-Length} (Go's {@code shouldSendContentLength} sends none for a length of 0 with any of these
     * methods), no last chunk, and not the body's {@code Content-Type} either. So for a stream not read from memory,
     * looked at by a goroutine, and for one read from memory, looked at on the write loop. The connection is reused
     * for the next request, so nothing stray followed the head. Before, it went with
     * {@code Transfer-Encoding: chunked} and the last chunk alone, which some servers refuse for a {@code GET}.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "DELETE", "OPTIONS", "PROPFIND", "SEARCH"})
    void E133_anEmptyBodyOfUnknownLengthWithAMethodThatUsuallyHasNoneGoesAsNone(String method) throws Exception {
        BlockingQueue<String> requests = new LinkedBlockingQueue<>();
        try (RawServer server = recording(requests);
             Transport t = Transport.builder().bodyProbeWait(LONG).build()) {
            Source pipe = new Source("", Announces.NOTHING, null);
            for (InputStream source : List.of(pipe, new ByteArrayInputStream(new byte[0]))) {
                assertThat(send(t, request(server, method, source))).startsWith("200");
                String raw = requests.poll(10, TimeUnit.SECONDS);
                assertThat(raw).as("the request as the server received it").isNotNull();
                assertThat(raw).startsWith(method + " /probe HTTP/1.1\r\n").endsWith("\r\n\r\n");
                assertThat(raw.toLowerCase(Locale.ROOT))
                        .doesNotContain("transfer-encoding").doesNotContain("content-length").doesNotContain("content-type");
            }
            assertThat(pipe.reader.get()).as("the stream not read from memory was looked at by a goroutine")
                    .startsWith(PROBE);
            assertThat(pipe.closes.get()).as("the empty body's stream closed").isEqualTo(1);
            assertThat(send(t, HttpRequest.newBuilder(server.uri("/after")).build())).isEqualTo("200 ok");
            assertThat(requests.poll(10, TimeUnit.SECONDS)).startsWith("GET /after HTTP/1.1\r\n");
            assertThat(server.accepted()).as("one connection for all: nothing stray followed a head").isEqualTo(1);
        }
    }

    /**
     * E133: a body that yields bytes at once goes chunked, the look's byte first, then the rest, whole and in order (Go
     * sends the look's byte as a chunk of its own too). A stream that says it has bytes ({@code available()}) is read
     * on the write loop, no goroutine; one that says nothing, or whose {@code available()} fails (only a hint: the
     * request does not fail for it), is read by the look's goroutine.
     */
    @ParameterizedTest
    @EnumSource(Announces.class)
    void E133_aBodyWithBytesGoesChunkedFromItsFirstByte(Announces announces) throws Exception {
        BlockingQueue<String> requests = new LinkedBlockingQueue<>();
        try (RawServer server = recording(requests);
             Transport t = Transport.builder().bodyProbeWait(LONG).build()) {
            Source source = new Source("hello", announces, null);
            assertThat(send(t, request(server, "GET", source))).isEqualTo("200 ok");
            assertThat(requests.poll(10, TimeUnit.SECONDS)).contains("\r\nTransfer-Encoding: chunked\r\n")
                    .endsWith("\r\n\r\n1\r\nh\r\n4\r\nello\r\n0\r\n\r\n");
            assertThat(source.reader.get()).startsWith(announces == Announces.WHAT_IS_LEFT ? WRITE_LOOP : PROBE);
            assertThat(source.closes.get()).isEqualTo(1);
        }
    }

    /**
     * E133: what is not looked at. A {@code POST} with an empty body of unknown length goes as the last chunk alone
     * (P45), as in Go, its source read by the write loop; and with the look's wait at zero (a test's setting), a
     * {@code GET} whose stream says nothing is not looked at either: it goes chunked at once, with no goroutine.
     */
    @Test
    void E133_aPostAndAZeroWaitLookAtNothing() throws Exception {
        BlockingQueue<String> requests = new LinkedBlockingQueue<>();
        try (RawServer server = recording(requests)) {
            try (Transport t = Transport.builder().bodyProbeWait(LONG).build()) {
                Source post = new Source("", Announces.NOTHING, null);
                assertThat(send(t, request(server, "POST", post))).isEqualTo("200 ok");
                assertThat(requests.poll(10, TimeUnit.SECONDS)).contains("\r\nTransfer-Encoding: chunked\r\n")
                        .endsWith("\r\n\r\n0\r\n\r\n");
                assertThat(post.reader.get()).startsWith(WRITE_LOOP);
            }
            try (Transport t = Transport.builder().bodyProbeWait(Duration.ZERO).build()) {
                Source get = new Source("", Announces.NOTHING, null);
                assertThat(send(t, request(server, "GET", get))).isEqualTo("200 ok");
                assertThat(requests.poll(10, TimeUnit.SECONDS)).contains("\r\nTransfer-Encoding: chunked\r\n")
                        .endsWith("\r\n\r\n0\r\n\r\n");
                assertThat(get.reader.get()).startsWith(WRITE_LOOP);
            }
        }
    }

    /**
     * E133: a body whose first read waits for the server (a pipe fed once the server has the head) holds the head back
     * no longer than the look's wait, Go's 200 ms or a test's 10 ms: the head goes out chunked, the server, once it has
     * it, lets the source go on, and the late bytes arrive whole, the look's byte first. Go bounds its look the same
     * way (its issue 17480). The source cannot answer before the head is at the server, so the look always gives up.
     */
    @ParameterizedTest
    @ValueSource(longs = {-1, 10})
    void E133_aBodyWhoseFirstReadWaitsForTheServerHasItsHeadSentOnceTheLookGivesUp(long waitMillis) throws Exception {
        CountDownLatch headArrived = new CountDownLatch(1);
        AtomicInteger closes = new AtomicInteger();
        AtomicReference<String> firstReader = new AtomicReference<>();
        BlockingQueue<String> bodies = new LinkedBlockingQueue<>();
        InputStream source = new ReadByBulk() {
            private int sent;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                firstReader.compareAndSet(null, Thread.currentThread().getName());
                try {
                    if (!headArrived.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the head never reached the server (test)");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
                if (closes.get() > 0 || sent == 4) {
                    return -1;
                }
                int n = Math.min(len, 4 - sent);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) "late".charAt(sent++);
                }
                return n;
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 headArrived.countDown();
                 bodies.add(head.contains("\r\nTransfer-Encoding: chunked\r\n") + " " + readChunks(c));
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 c.readUntilClosed();
             });
             Transport t = (waitMillis < 0 ? Transport.builder() : Transport.builder()
                     .bodyProbeWait(Duration.ofMillis(waitMillis))).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/late"))
                    .method("DELETE", RequestBody.ofStreamOnce(source, -1, null)).build();
            Caller<String> caller = Caller.virtual("E133-late-body", () -> send(t, req));
            boolean answered = caller.join(Lifecycle.BOUND);
            headArrived.countDown(); // whatever happened: a source still waiting goes on now
            caller.abandon(t::close);
            assertThat(answered).as("answered (the head reached the server: %s)", headArrived.getCount() == 0).isTrue();
            assertThat(caller.error()).isNull();
            assertThat(caller.value()).isEqualTo("200 ok");
            assertThat(bodies.poll(10, TimeUnit.SECONDS)).isEqualTo("true 1:l 3:ate");
            assertThat(firstReader.get()).as("the first byte was the look's").startsWith(PROBE);
        }
        assertThat(closes.get()).isEqualTo(1);
    }

    /** Reads a chunked body; returns its chunks as {@code size:bytes}, space-separated, the last chunk left out. */
    private static String readChunks(RawServer.Conn c) throws IOException {
        StringBuilder chunks = new StringBuilder();
        while (true) {
            StringBuilder size = new StringBuilder();
            for (int ch; (ch = c.in.read()) != '\n'; ) {
                if (ch < 0) {
                    throw new IOException("EOF in a chunk size line: " + size);
                }
                size.append((char) ch);
            }
            int n = Integer.parseInt(size.toString().trim(), 16);
            String data = new String(c.readBody(n + 2), StandardCharsets.ISO_8859_1);
            if (n == 0) {
                return chunks.toString();
            }
            chunks.append(chunks.isEmpty() ? "" : " ").append(n).append(':').append(data, 0, n);
        }
    }

    /**
     * E133, E5: a body whose first read throws, looked at by a goroutine or (its {@code available()} positive) on the
     * write loop, fails its request with that very exception, as a failed read of any body does: the head
     * went out chunked, then nothing of the body; the connection is closed (E94), the stream closed once, and nothing
     * is left running.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void E133_aBodyWhoseFirstReadThrowsFailsItsRequestWithThatException(boolean announces) throws Exception {
        IOException boom = new IOException("the body's own failure (test)");
        BlockingQueue<String> heads = new LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head != null) {
                     heads.add(head);
                     c.readUntilClosed();
                 }
             });
             Transport t = Transport.builder().bodyProbeWait(LONG).build()) {
            Source source = new Source("never", announces ? Announces.WHAT_IS_LEFT : Announces.NOTHING, boom);
            Caller<String> caller = Caller.virtual("E133-failing-body", () -> send(t, request(server, "GET", source)));
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("the request ended").isTrue();
            assertThat(caller.error()).as("the body's own exception").isSameAs(boom);
            assertThat(source.reader.get()).startsWith(announces ? WRITE_LOOP : PROBE);
            assertThat(heads.poll(10, TimeUnit.SECONDS)).as("the head went out, chunked")
                    .contains("\r\nTransfer-Encoding: chunked\r\n");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(source.closes.get()).isEqualTo(1);
            assertThat(t.stats().retries()).isZero();
        }
    }

    /**
     * E133, E18: a request cancelled while its body is being looked at ends at once with its cancellation, sends
     * nothing, and leaves nothing behind: the body's stream is closed (E18); the write loop stops waiting for the look
     * when the connection closes, even for a source that ignores its close, long before the look's bound (a minute
     * here); the look's goroutine ends once its read returns, by the close for a source that heeds it.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void E133_aRequestCancelledDuringTheLookEndsAndLeavesNothingBehind(boolean sourceHeedsClose) throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger closes = new AtomicInteger();
        AtomicReference<String> reader = new AtomicReference<>();
        InputStream source = new ReadByBulk() {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                reader.compareAndSet(null, Thread.currentThread().getName());
                reading.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("never released (test)");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
                throw new IOException("closed (test)");
            }

            @Override
            public void close() {
                closes.incrementAndGet();
                if (sourceHeedsClose) {
                    release.countDown();
                }
            }
        };
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 received.add(head == null ? "nothing" : head);
             });
             Transport t = Transport.builder().bodyProbeWait(LONG).build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            try {
                HttpRequest req = HttpRequest.newBuilder(server.uri("/cancelled"))
                        .method("GET", RequestBody.ofStream(() -> source, -1, null)).build();
                Caller<String> caller = Caller.virtual("E133-cancelled", () -> {
                    try (HttpResponse r = t.roundTrip(req, ctx)) {
                        return r.status() + "";
                    }
                });
                assertThat(reading.await(20, TimeUnit.SECONDS)).as("the look's read began").isTrue();
                assertThat(reader.get()).startsWith(PROBE);
                ctx.cancel();
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("the request ended").isTrue();
                assertThat(caller.error()).isInstanceOf(RequestCancelledException.class);
                assertThat(closes.get()).as("the body's stream closed at the request's end (E18)").isEqualTo(1);
                Leaks.awaitTrue(() -> named(WRITE_LOOP).isEmpty() && t.stats().open() == 0,
                        "the write loop ended and the connection closed, the look's read still blocked or not");
                if (!sourceHeedsClose) {
                    assertThat(named(PROBE)).as("the look's goroutine, in a read that ignores the close").hasSize(1);
                }
            } finally {
                release.countDown(); // a source that ignores its close returns now: the look's goroutine ends
                ctx.cancel();
            }
            assertThat(received.poll(10, TimeUnit.SECONDS)).as("what reached the server").isEqualTo("nothing");
            assertThat(closes.get()).isEqualTo(1);
        }
    }

    private static List<Goroutine> named(String prefix) {
        return Leaks.transportGoroutines().stream().filter(g -> g.name().startsWith(prefix)).toList();
    }
}
