package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E119 (docs/spec/transport-lifecycle.md): a request body's stream that {@code roundTrip} closes on the caller's
 * thread, where the write loop never took it or is not done with it, never fails the request with what its close
 * throws: that is logged, and the request's own outcome stands (E48).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class UnsentBodyCloseErrorTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** The transport of the test running, for the listener that waits for its connection's end. */
    private static final AtomicReference<Transport> TRANSPORT = new AtomicReference<>();

    /**
     * A request takes an idle connection whose server then closes it; by the time the request hands its body to the
     * connection, the connection is closed and its write loop has ended, so {@code roundTrip} closes the body itself
     * (E17). The body's close throws an {@link Error}: the request, of which nothing went out, is still retried on a
     * new connection and answered, its replayable body opened again; the Error is logged. Before, the Error was
     * thrown out of {@code roundTrip}: the request failed with its body's close, never retried.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E119_aBodyCloseErrorOfARequestItsClosedConnectionNeverTookDoesNotStopItsRetry() throws Exception {
        CountDownLatch closeNow = new CountDownLatch(1);
        AssertionError bug = new AssertionError("the body's close says no (test)");
        AtomicInteger opened = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     c.readRequest();
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     try {
                         closeNow.await();
                     } catch (InterruptedException e) {
                         return;
                     }
                     c.socket.close(); // the idle connection ends while the probed request holds it
                     return;
                 }
                 for (String head; (head = c.readRequest()) != null; ) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().listener(new RequestListener() {
                 @Override
                 public void gotConn(HttpRequest request, boolean reused) {
                     if (request.uri().getPath().equals("/probed") && reused) {
                         // Before the request goes to the connection: the server ends it, and the client's read loop
                         // closes it, which ends its write loop.
                         closeNow.countDown();
                         Leaks.awaitTrue(UnsentBodyCloseErrorTest::connectionAndWriteLoopGone,
                                 "the connection closed and its write loop ended");
                     }
                 }
             }).build()) {
            TRANSPORT.set(t);
            try (HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                assertThat(warm.body().string()).isEqualTo("ok");
            }
            RequestBody body = RequestBody.ofStream(() -> {
                int n = opened.incrementAndGet();
                return new ByteArrayInputStream("abc".getBytes()) {
                    @Override
                    public void close() {
                        if (n == 1) {
                            throw bug;
                        }
                    }
                };
            }, 3, "text/plain");
            Caller<String> caller = Caller.virtual("probed", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/probed")).POST(body).build())) {
                    return r.body().string();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("request ended within %s", Lifecycle.BOUND).isTrue();
            assertThat(caller.error()).as("the request's failure").isNull();
            assertThat(caller.value()).isEqualTo("ok");
            assertThat(opened.get()).as("the body opened again for the retry").isEqualTo(2);
            assertThat(t.stats().retries()).isEqualTo(1);
        } finally {
            TRANSPORT.set(null);
        }
    }

    private static boolean connectionAndWriteLoopGone() {
        return TRANSPORT.get().stats().open() == 0
                && Leaks.transportGoroutines().stream().noneMatch(g -> g.name().startsWith("http-write-loop"));
    }

    /**
     * A request is cancelled while its write loop is blocked reading its body's source; {@code roundTrip} closes the
     * source to end that read (E18), and the close throws an {@link Error}: the caller gets its cancellation, and the
     * Error is logged. Before, the Error replaced the cancellation.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E119_aBodyCloseErrorAsACancelledRequestEndsTheWriteLoopsReadLeavesTheCancellation() throws Exception {
        AssertionError bug = new AssertionError("the body's close says no (test)");
        CountDownLatch closed = new CountDownLatch(1);
        CancellableContext ctx = Context.withCancel(Context.background());
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().listener(new RequestListener() {
                 @Override
                 public void wroteHeaders(HttpRequest request) {
                     ctx.cancel(); // the write loop reads the body's source next, and blocks there
                 }
             }).build()) {
            InputStream source = new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0];
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        closed.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IOException("source closed");
                }

                @Override
                public void close() {
                    closed.countDown();
                    throw bug;
                }
            };
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
            Caller<Integer> caller = Caller.virtual("upload", () -> {
                try (HttpResponse r = t.roundTrip(post, ctx)) {
                    return r.status();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("request ended within %s", Lifecycle.BOUND).isTrue();
            assertThat(caller.error()).as("the request's failure").isInstanceOf(RequestCancelledException.class);
            assertThat(closed.getCount()).as("the source was closed").isZero();
        }
    }
}
