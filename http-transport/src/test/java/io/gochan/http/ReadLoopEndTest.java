package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E89: a connection's read loop that ends (an interrupt: {@code Goroutine.interrupt()}, a stopping bubble, user code
 * that left the flag set) leaves no caller waiting. The moment that matters is held open by the {@link Dialer}'s
 * socket, whose {@code close()} runs on the read loop, until the test has interrupted that loop.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ReadLoopEndTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E89 (with E85): reviewer transport26's finding 1. {@code ResponseReader.serveWithoutBody} completes the exchange
     * (Go's tryPutIdleConn) and only then hands the response over with {@code PersistConn.deliver}, a select that
     * throws {@code InterruptedException} when its thread is interrupted and the caller is not receiving. The caller,
     * its abort lost to that completion, waits in {@code lostToCompletion} for the response: an uninterruptible
     * {@code resc.receive()} with no deadline. A read loop interrupted between the two (a {@code Goroutine.interrupt()},
     * a stopping bubble, user code that left the flag set) ends without delivering, and the caller waits for ever.
     *
     * <p>Made deterministic: a POST whose chunked body blocks after its first byte gets an early 204; the write has not
     * reported within 50 ms, so the read loop completes the exchange as not reusable and closes the connection. The
     * Dialer's socket holds that close (on the read loop) until the test has interrupted the read loop. The caller, parked
     * in its select, is claimed by the closed {@code closech}, and waits in {@code callersBodyFailure} (the 250 ms grace,
     * no {@code resc} case), so the read loop's {@code deliver} finds no receiver and throws at once. After the grace the
     * caller's abort loses to the completion and {@code lostToCompletion} waits for a response nobody will send.
     * Before: "the caller ended" failed after 10 s (stack: {@code PersistConn.lostToCompletion}), past the request's 5 s
     * timeout. Expected: the 204 (the exchange completed with it; T4).
     */
    @Test
    void E89_aReadLoopInterruptedAsItHandsOverABodilessAnswerLeavesNoCallerWaiting() throws Exception {
        CountDownLatch inClose = new CountDownLatch(1);
        CountDownLatch interruptSent = new CountDownLatch(1);
        AtomicReference<Thread> closer = new AtomicReference<>();
        AtomicBoolean hooked = new AtomicBoolean();
        CountDownLatch released = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger closes = new AtomicInteger();
        InputStream blocking = new ReadByBulk() {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (reads.getAndIncrement() == 0) {
                    b[off] = 'x';
                    return 1;
                }
                try {
                    released.await(); // blocks until closed
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return -1;
            }

            @Override
            public void close() {
                closes.incrementAndGet();
                released.countDown();
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 204 No Content\r\n\r\n"); // early, keep-alive, no body
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().dialer((host, port, timeout) -> {
                 Socket s = new Socket() {
                     @Override
                     public void close() throws IOException {
                         super.close();
                         if (hooked.compareAndSet(false, true)) {
                             // The connection's first close: the read loop completing the 204's exchange. Held until
                             // the test's interrupt has reached this thread, whose flag it keeps, as an interrupt
                             // arriving at this very moment would.
                             closer.set(Thread.currentThread());
                             inClose.countDown();
                             Lifecycle.awaitUninterruptibly(interruptSent);
                         }
                     }
                 };
                 s.connect(new InetSocketAddress(host, port));
                 return s;
             }).build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload")).timeout(Duration.ofSeconds(5))
                    .POST(RequestBody.ofStreamOnce(blocking, -1, "application/octet-stream")).build();
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().name("e89-caller").start(() -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    outcome.set(r.status());
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            try {
                assertThat(inClose.await(10, TimeUnit.SECONDS)).as("the connection's first close began").isTrue();
                assertThat(closer.get().getName()).as("closed by its read loop, completing the 204's exchange")
                        .startsWith("http-read-loop");
                Goroutine readLoop = Leaks.transportGoroutines().stream()
                        .filter(g -> g.name().startsWith("http-read-loop") && g.name().endsWith(":" + server.port()))
                        .findFirst().orElseThrow();
                readLoop.interrupt(); // Goroutine.interrupt(), as a stopping bubble does to every member
            } finally {
                interruptSent.countDown();
            }
            boolean ended = caller.join(Duration.ofSeconds(10));
            assertThat(ended).as("the caller ended (it hangs in: %s)", List.of(caller.getStackTrace())).isTrue();
            assertThat(outcome.get()).as("the early answer the exchange completed with").isEqualTo(204);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, not pooled");
            assertThat(closes.get()).as("closes of the body's stream").isEqualTo(1);
        } finally {
            released.countDown(); // frees the write loop; before the fix, the hung caller could not be freed
        }
    }
}
