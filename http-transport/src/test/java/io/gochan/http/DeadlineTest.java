package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E11 and E12 (docs/spec/transport-lifecycle.md): a request's deadline and its caller's interrupt
 * bound the whole exchange, body included; a request head over the limit is never sent.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class DeadlineTest {
    // The response head must arrive before it (the body is what stalls): 1 s leaves a loaded machine room.
    private static final Duration DEADLINE = Duration.ofSeconds(1);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A server that sends a head announcing 100,000 bytes and only the first ten, then stalls until the client goes. */
    static RawServer stallingMidBody() throws IOException {
        return RawServer.start(c -> {
            c.readRequest();
            c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789");
            while (c.in.read() >= 0) {
                // stall
            }
        });
    }

    /** Reads a stalled body on a caller thread; the read must end within the bound. */
    private static Caller<byte[]> readOn(boolean virtual, InputStream body) {
        return Caller.start(virtual, "body-reader", () -> {
            try (body) {
                return body.readAllBytes();
            }
        });
    }

    /**
     * A request timeout that passes while the body is being read (the server stalls mid-body) fails
     * the read promptly with a timeout, as Go's request context and the JDK client's request
     * timeout do.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E11_theRequestTimeoutBoundsTheBody() throws Exception {
        try (RawServer server = stallingMidBody(); Transport t = Transport.builder().build()) {
            HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(DEADLINE).build());
            Caller<byte[]> reader = readOn(true, r.body().stream());
            boolean ended = reader.join(Lifecycle.BOUND);
            reader.abandon(t::close);
            assertThat(ended).as("body read ended within %s of a %s request timeout", Lifecycle.BOUND, DEADLINE).isTrue();
            assertThat(reader.error()).isInstanceOf(SocketTimeoutException.class).hasMessageContaining("timed out");
        }
    }

    /** The same for a context deadline: the read fails with a timeout (not "cancelled"). */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E11_theContextDeadlineBoundsTheBody() throws Exception {
        try (RawServer server = stallingMidBody(); Transport t = Transport.builder().build()) {
            CancellableContext ctx = Context.withTimeout(Context.background(), DEADLINE);
            try {
                HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build(), ctx);
                Caller<byte[]> reader = readOn(true, r.body().stream());
                boolean ended = reader.join(Lifecycle.BOUND);
                reader.abandon(t::close);
                assertThat(ended).as("body read ended").isTrue();
                assertThat(reader.error()).isInstanceOf(SocketTimeoutException.class).hasMessageContaining("timed out");
            } finally {
                ctx.cancel();
            }
        }
    }

    /**
     * Interrupting the thread that reads a stalled body (platform or virtual) ends the read
     * promptly, with an {@link InterruptedIOException}.
     */
    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E11_anInterruptEndsABodyRead(boolean virtual) throws Exception {
        try (RawServer server = stallingMidBody(); Transport t = Transport.builder().build()) {
            HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build());
            InputStream body = r.body().stream();
            assertThat(body.readNBytes(10)).hasSize(10);
            Caller<byte[]> reader = readOn(virtual, body);
            Lifecycle.await(() -> !reader.thread.isAlive() || blockedInRead(reader.thread), Duration.ofSeconds(20), "reader blocked");
            reader.thread.interrupt();
            boolean ended = reader.join(Lifecycle.BOUND);
            reader.abandon(t::close);
            assertThat(ended).as("body read ended within %s of the interrupt", Lifecycle.BOUND).isTrue();
            assertThat(reader.error()).isInstanceOf(InterruptedIOException.class);
        }
    }

    /** True if {@code t} is inside a socket read. */
    private static boolean blockedInRead(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().contains("NioSocketImpl") && e.getMethodName().contains("ead")) {
                return true;
            }
        }
        return false;
    }

    /** A GET whose head is about {@code kib} KiB: many 1 KiB headers. */
    static HttpRequest getWithHead(RawServer server, String path, int kib) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path));
        String v = "v".repeat(1000);
        for (int i = 0; i < kib; i++) {
            b.header("X-Pad-" + i, v);
        }
        return b.build();
    }

    /** A server that records each request line it reads (and answers "ok"). */
    static RawServer recording(List<String> lines) throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                lines.add(head.substring(0, head.indexOf('\r')));
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
    }

    /**
     * The default request-head limit (256 KiB): a head of about 300 KiB fails with
     * {@link IllegalArgumentException} before a byte of it reaches the server; one of about 200 KiB
     * is sent.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E12_aRequestHeadOverTheLimitIsNeverSent() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (RawServer server = recording(lines); Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(getWithHead(server, "/big", 300)))
                    .isInstanceOf(IllegalArgumentException.class);
            try (HttpResponse r = t.roundTrip(getWithHead(server, "/fits", 200))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(lines).as("request lines the server read").containsExactly("GET /fits HTTP/1.1");
        }
    }
}
