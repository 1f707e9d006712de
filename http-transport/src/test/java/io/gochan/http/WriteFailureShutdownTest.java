package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E100: a request's write that failed on the socket after its head went out shuts the connection's output down (the peer
 * reads the end of what it got, and can still answer: T4), also when user code then throws an {@link Error} (a
 * {@code wroteRequest} listener told of the failure, the body stream's {@code close()}). Before, the write loop asked
 * whether bytes had gone out of the outcome combined with that Error, which names the Error, not the connection: the
 * output stayed open, and a server that ends its answer with the upload never ended it. Reported by the session-27
 * reviewers.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS) // before E100 the body read hung for ever: a bound, not a speed
class WriteFailureShutdownTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What user code throws once the request's write failed on the socket. */
    enum Later {
        LISTENER_ERROR, BODY_CLOSE_ERROR
    }

    /**
     * A socket whose first write (the request's head, flushed on its own before a streamed body: E91) goes out, and whose
     * next write (the body's first chunk) waits for {@code failNow} and then fails, as a socket write may after its peer
     * reset the connection, while the socket's input stays open.
     */
    private static final class SecondWriteFails extends HookedSocket {
        private final CountDownLatch failNow;
        private final AtomicInteger writes = new AtomicInteger();

        SecondWriteFails(CountDownLatch failNow) {
            this.failNow = failNow;
        }

        @Override
        protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
            if (writes.incrementAndGet() == 1) {
                raw.write(b, off, len); // the head
                return;
            }
            try {
                failNow.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted (test)");
            }
            throw new IOException("simulated write failure after the head went out (test)");
        }
    }

    /**
     * A POST with a one-byte chunked body; the server answers on the head alone with a chunked answer it ends only when
     * the upload ends (an echo, a relay). The caller has that answer; then the body's write fails on the socket, and
     * user code throws an {@link Error} (the {@code wroteRequest} listener told of the failure, or the body's close). Now
     * the output is shut down: the server reads the upload's end and ends its answer, which the caller reads whole, and
     * the connection is closed, never pooled. Before, the output stayed open: the server waited for the rest of the
     * upload, and "the body read ended" failed after 10 s, the reader parked in the socket read (with the defaults, for
     * ever).
     */
    @ParameterizedTest
    @EnumSource(Later.class)
    void E100_aWriteThatFailedOnTheSocketShutsTheOutputDownWhateverUserCodeThrowsAfterIt(Later later) throws Exception {
        CountDownLatch failNow = new CountDownLatch(1);
        AtomicInteger thrownLater = new AtomicInteger();
        RequestListener listener = new RequestListener() {
            @Override
            public void wroteRequest(HttpRequest request, Throwable error) {
                if (later == Later.LISTENER_ERROR && error != null) {
                    thrownLater.incrementAndGet();
                    throw new AssertionError("the wroteRequest listener fails after the failed write (test)");
                }
            }
        };
        InputStream source = new ReadByBulk() {
            private boolean given;

            @Override
            public int read(byte[] b, int off, int len) {
                if (given || len == 0) {
                    return given ? -1 : 0;
                }
                given = true;
                b[off] = 'u'; // the body's first chunk: the write that fails
                return 1;
            }

            @Override
            public void close() {
                if (later == Later.BODY_CLOSE_ERROR) {
                    thrownLater.incrementAndGet();
                    throw new AssertionError("the body's close fails after the failed write (test)");
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"); // on the head (T4)
                 c.readUntilClosed(); // the upload, until its end
                 c.write("0\r\n\r\n"); // the answer ends with the upload
                 c.readUntilClosed();
             });
             // The defaults otherwise: no deadline of any kind.
             Transport t = Transport.builder().listener(listener)
                     .dialer(HookedSocket.dialer(() -> new SecondWriteFails(failNow))).build()) {
            try {
                HttpRequest post = HttpRequest.newBuilder(server.uri("/up"))
                        .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
                try (HttpResponse r = t.roundTrip(post)) { // answered while the body's chunk waits in the socket's write
                    assertThat(r.status()).isEqualTo(200);
                    failNow.countDown(); // the write fails now, on the socket, its answer in the caller's hands
                    Object outcome = Leaks.outcomeWithin10s("the body read", () -> r.body().string());
                    assertThat(outcome).as("the answer, ended by the server once the upload's end reached it")
                            .isEqualTo("first");
                }
                assertThat(thrownLater).as("the Error user code threw after the failed write").hasValue(1);
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, never pooled: " + t.stats());
                assertThat(t.stats().retries()).isZero();
            } finally {
                failNow.countDown(); // never leave the write loop waiting in the socket's write
            }
        }
    }
}
