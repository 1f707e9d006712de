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
 * E11, E12 and E47 (docs/spec/transport-lifecycle.md): a request's deadline and its caller's interrupt
 * bound the whole exchange, body included, and the grace after a failed write; a request head over the limit
 * is never sent.
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
            Lifecycle.await(() -> !reader.thread.isAlive() || Lifecycle.inSocketRead(reader.thread), Duration.ofSeconds(20), "reader blocked");
            reader.thread.interrupt();
            boolean ended = reader.join(Lifecycle.BOUND);
            reader.abandon(t::close);
            assertThat(ended).as("body read ended within %s of the interrupt", Lifecycle.BOUND).isTrue();
            assertThat(reader.error()).isInstanceOf(InterruptedIOException.class);
        }
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

    /** How an E47 request ends while it gives its failed write's connection the early-response grace. */
    enum GraceEnd {
        REQUEST_TIMEOUT, CONTEXT, INTERRUPT
    }

    /**
     * E47, P13, T4: a write that fails after bytes went out while the connection stays open (here the write loop,
     * its head flushed and waiting for {@code 100 Continue}, is interrupted: "write loop interrupted"; a listener's
     * {@link Error} did this before, but that is now its request's own failure, E48) and a server that neither
     * answers nor closes. The caller gives the read loop a grace (250 ms) to deliver a response the server may have sent
     * before the failure (T4). That grace ends with the request: its own timeout (50 ms, shorter than the grace),
     * its context cancelled or an interrupt (the caller parked in the grace). The server answers only once the caller
     * has ended (a caller that ignored its end stays in the grace and fails with the write's failure). It fails with
     * {@link HttpTimeoutException} ({@code REQUEST}), {@link RequestCancelledException} ({@code CONTEXT}) or an
     * {@link InterruptedException}, and the connection is closed. Before, the grace watched the context and the
     * interrupt but not the request's own timeout: it ran on past the deadline, and returned the 200 that came
     * after it.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(GraceEnd.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E47_theGraceAfterAFailedWriteEndsWithTheRequest(GraceEnd how) throws Exception {
        Duration timeout = Duration.ofMillis(50);
        java.util.concurrent.CountDownLatch head = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch warmFailed = new java.util.concurrent.CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) { // the warm-up: answered once its write failed, within the grace (T4)
                     c.readRequestHead();
                     if (warmFailed.await(30, TimeUnit.SECONDS)) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                     c.readUntilClosed();
                 } else if (c.readRequestHead() != null) {
                     head.countDown();
                     if (answer.await(30, TimeUnit.SECONDS)) {
                         try {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         } catch (IOException closedMeanwhile) {
                             return; // the caller left and closed the connection: nothing to answer
                         }
                     }
                     c.readUntilClosed();
                 }
             });
             // The write loop waits for 100 Continue after the head for far longer than the test.
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofSeconds(30)).build()) {
            // The same path once, answered within the grace, so that the request below spends its time on the
            // wire, not in code run for the first time (a failed write is logged with its stack trace).
            Caller<String> warmUp = Caller.virtual("warm-up", () -> {
                try (HttpResponse warm = t.roundTrip(expectingContinue(server.uri("/warm-up")).build())) {
                    return warm.body().string();
                }
            });
            interruptWriteLoopAwaitingContinue();
            warmFailed.countDown();
            boolean warmEnded = warmUp.join(Lifecycle.BOUND);
            warmUp.abandon(t::close);
            assertThat(warmEnded).as("warm-up ended").isTrue();
            assertThat(warmUp.value()).as("an answer that came within the grace (T4): %s", warmUp.error()).isEqualTo("ok");
            HttpRequest.Builder b = expectingContinue(server.uri("/late"));
            if (how == GraceEnd.REQUEST_TIMEOUT) {
                b.timeout(timeout);
            }
            HttpRequest get = b.build();
            CancellableContext ctx = Context.withCancel(Context.background());
            try {
                Caller<Integer> caller = Caller.virtual("caller", () -> {
                    try (HttpResponse r = t.roundTrip(get, ctx)) {
                        return r.status();
                    }
                });
                assertThat(head.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("server has the head").isTrue();
                interruptWriteLoopAwaitingContinue(); // the write fails with the head sent
                if (how != GraceEnd.REQUEST_TIMEOUT) { // the deadline passes by itself, at most `timeout` after the head
                    Lifecycle.await(() -> Lifecycle.parkedIn(caller.thread, "writeFailed"), Lifecycle.BOUND,
                            "the caller in the grace after its failed write");
                    if (how == GraceEnd.CONTEXT) {
                        ctx.cancel();
                    } else {
                        caller.thread.interrupt();
                    }
                }
                // The answer comes once the caller has ended: a caller that ignored its deadline, cancel or interrupt
                // stays in the grace until the grace is over and fails with the write's failure, not its own end.
                // Released earlier (150 ms after the deadline, or once the caller left the grace), the answer could
                // reach a loaded machine's caller that had been woken but had not yet run to claim its wake-up
                // (failed in CI on 7d0502b and on f15a81c): a race where either outcome is Go's.
                Lifecycle.await(() -> !caller.thread.isAlive(), Lifecycle.BOUND, "the caller ended with its " + how);
                answer.countDown();
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("request ended").isTrue();
                assertThat(caller.value()).as("the answer that came after the request ended").isNull();
                Throwable e = caller.error();
                switch (how) {
                    case REQUEST_TIMEOUT -> assertThat(e).isInstanceOf(HttpTimeoutException.class)
                            .hasMessageContaining("timed out")
                            .satisfies(x -> assertThat(((HttpTimeoutException) x).kind())
                                    .isEqualTo(HttpTimeoutException.Kind.REQUEST));
                    case CONTEXT -> assertThat(e).isInstanceOf(RequestCancelledException.class)
                            .satisfies(x -> assertThat(((RequestCancelledException) x).reason())
                                    .isEqualTo(RequestCancelledException.Reason.CONTEXT));
                    case INTERRUPT -> assertThat(e).isInstanceOf(InterruptedException.class).hasMessageContaining("interrupted");
                }
                // P13, E154: the write's failure came first, and is kept under the end (before, it was dropped).
                assertThat(e.getSuppressed()).as("the write's failure kept under the end").isNotEmpty();
                Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "connection closed");
            } finally {
                ctx.cancel();
            }
        }
    }

    /** A POST of one byte that asks for {@code 100 Continue}: its write loop waits after the head. */
    private static HttpRequest.Builder expectingContinue(java.net.URI uri) {
        return HttpRequest.newBuilder(uri).setHeader("Expect", "100-continue").POST(RequestBody.of("x"));
    }

    /**
     * Interrupts the one write loop waiting for {@code 100 Continue} once it waits there (its head flushed): its
     * write fails as "write loop interrupted" after bytes went out, and the connection stays open for an answer.
     */
    private static void interruptWriteLoopAwaitingContinue() {
        java.util.concurrent.atomic.AtomicReference<io.gochan.Goroutine> loop = new java.util.concurrent.atomic.AtomicReference<>();
        Lifecycle.await(() -> {
            for (io.gochan.Goroutine g : io.gochan.Goroutines.live()) {
                if (g.name().startsWith("http-write-loop") && Lifecycle.parkedIn(g.thread(), "awaitContinue")) {
                    loop.set(g);
                    return true;
                }
            }
            return false;
        }, Lifecycle.BOUND, "the write loop waiting for 100 Continue");
        loop.get().interrupt();
    }
}
