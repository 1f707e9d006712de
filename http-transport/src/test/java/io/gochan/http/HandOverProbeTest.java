package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Deterministic probes of a connection handed straight from one exchange to a request waiting at
 * {@code maxConnsPerHost} (never idle in between), held by that request at the moment it has the connection and
 * has not yet sent on it (blocked in its {@code gotConn} listener), while the transport closes its idle
 * connections and the idle reaper runs (the connection is the waiter's alone: never closed under it, the request
 * never retried), the transport closes (the request fails once as cancelled), or the server closes the connection
 * (the request is retried once on a new one); the counters exact, each request's {@code done()} reported once.
 * No defect found; kept as regression tests, each shown to fail against a deliberate mutation of the pool: a
 * handed-over connection also listed as idle (the first), {@code close()} closing only idle connections (the
 * second), a handed-over connection reported as new, so that its request is not retried (the first and third).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class HandOverProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Blocks the request to {@code /b} in gotConn until released; counts every request's done(). */
    private static final class Gate implements RequestListener {
        final CountDownLatch inGotConn = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Map<String, AtomicInteger> done = new ConcurrentHashMap<>();
        final Map<String, Throwable> doneError = new ConcurrentHashMap<>();

        @Override
        public void gotConn(HttpRequest request, boolean reused) {
            if (request.uri().getPath().equals("/b")) {
                inGotConn.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void done(HttpRequest request, Throwable error) {
            String path = request.uri().getPath();
            done.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            if (error != null) {
                doneError.put(path, error);
            }
        }

        int done(String path) {
            AtomicInteger n = done.get(path);
            return n == null ? 0 : n.get();
        }
    }

    /**
     * Request a takes the host's only connection (the transport's limit is 1), b queues behind it, and a's body
     * read to its end hands the connection to b, which the gate holds in gotConn before it sends.
     */
    private static Caller<String> handOverToB(Transport t, RawServer server) throws Exception {
        Caller<String> b;
        try (HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()))) {
            b = Caller.virtual("b", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b").toString()))) {
                    return r.status() + " " + r.body().string();
                }
            });
            Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "b queued at the limit: " + t.stats());
            assertThat(a.body().string()).isEqualTo("ok"); // its end hands the connection to b
        }
        return b;
    }

    /**
     * Request a holds the host's only connection; b waits at the limit; a's body read to its end hands the
     * connection to b; with b holding it (in gotConn), closeIdleConnections() runs and the idle timeout (1 ms)
     * passes many times over: the connection is in use, not idle, so neither touches it. b then succeeds on it,
     * never retried, one dial in all; and since no request looked for a connection after closeIdleConnections(),
     * b's connection is closed when b's exchange ends (E56), the counters at zero.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void T8_P17_E56_aConnectionHandedToAWaiterIsItsAloneWhileIdleConnectionsAreClosedAndReaped() throws Exception {
        Gate gate = new Gate();
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxConnsPerHost(1).idleConnTimeout(Duration.ofMillis(1)).listener(gate).build()) {
            Caller<String> b = handOverToB(t, server);
            try {
                assertThat(gate.inGotConn.await(5, TimeUnit.SECONDS)).as("b got the connection").isTrue();
                assertThat(t.stats()).as("b holds the one connection")
                        .extracting(TransportStats::open, TransportStats::idle, TransportStats::inUse, TransportStats::waiting)
                        .containsExactly(1, 0, 1, 0);
                t.closeIdleConnections();
                // The reaper would have closed it by now if it were listed idle (1 ms timeout): a bound, not an order.
                long until = System.nanoTime() + Duration.ofMillis(30).toNanos();
                while (System.nanoTime() < until) {
                    Lifecycle.letOthersRun();
                }
                assertThat(t.stats()).as("still b's, open and in use")
                        .extracting(TransportStats::open, TransportStats::idle, TransportStats::inUse)
                        .containsExactly(1, 0, 1);
            } finally {
                gate.release.countDown();
            }
            assertThat(b.join(Duration.ofSeconds(10))).as("b ended").isTrue();
            assertThat(b.error()).as("b's failure").isNull();
            assertThat(b.value()).isEqualTo("200 ok");
            TransportStats s = t.stats();
            assertThat(s.dialed()).as("one connection in all").isEqualTo(1);
            assertThat(s.retries()).as("b never retried").isZero();
            assertThat(s.reused()).as("b reused a's connection").isEqualTo(1);
            assertThat(s.open()).as("closed when b's exchange ended (E56): " + s).isZero();
            assertThat(server.accepted()).isEqualTo(1);
            assertThat(gate.done("/a")).isEqualTo(1);
            assertThat(gate.done("/b")).isEqualTo(1);
            assertThat(gate.doneError).isEmpty();
        }
    }

    /**
     * As above, but the transport closes while b holds the connection handed to it: b fails as cancelled by
     * the close (TRANSPORT_CLOSED), not retried, its done() reported once with that failure, nothing left
     * counted; a's done() was reported once, with success.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E23_E24_aWaiterHoldingAHandedOverConnectionAsTheTransportClosesFailsOnceAsCancelled() throws Exception {
        Gate gate = new Gate();
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxConnsPerHost(1).listener(gate).build()) {
            Caller<String> b = handOverToB(t, server);
            try {
                assertThat(gate.inGotConn.await(5, TimeUnit.SECONDS)).as("b got the connection").isTrue();
                t.close();
                assertThat(t.stats()).as("nothing counted once close() returned")
                        .extracting(TransportStats::open, TransportStats::idle, TransportStats::inUse, TransportStats::dialing,
                                TransportStats::waiting)
                        .containsExactly(0, 0, 0, 0, 0);
            } finally {
                gate.release.countDown();
            }
            assertThat(b.join(Duration.ofSeconds(10))).as("b ended").isTrue();
            assertThat(b.error()).as("b's failure").isInstanceOf(RequestCancelledException.class);
            assertThat(((RequestCancelledException) b.error()).reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED);
            assertThat(t.stats().retries()).as("b never retried").isZero();
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(gate.done("/a")).isEqualTo(1);
            assertThat(gate.done("/b")).isEqualTo(1);
            assertThat(gate.doneError).containsOnlyKeys("/b");
        }
    }
    /**
     * The server closes the connection (EOF, no {@code Connection: close}) right after it was handed to b, while
     * b holds it in gotConn: b's request, not a byte of it written, is retried on a new connection (the handed-over
     * connection counts as reused, T7, E17), succeeds, and is answered once; each request reports done() once,
     * and the counters end with the new connection idle.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void T7_E17_aConnectionTheServerClosesAsItIsHandedToAWaiterIsRetriedOnANewOne() throws Exception {
        Gate gate = new Gate();
        CountDownLatch closeFirst = new CountDownLatch(1);
        AtomicInteger answered = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     answered.incrementAndGet();
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     if (c.index == 0) {
                         closeFirst.await(); // then the handler returns: the socket closes
                         return;
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).listener(gate).build()) {
            Caller<String> b = handOverToB(t, server);
            try {
                assertThat(gate.inGotConn.await(5, TimeUnit.SECONDS)).as("b got the connection").isTrue();
                closeFirst.countDown();
                // The read loop sees the EOF and closes the connection under b, which has not sent yet.
                Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "the first connection closed: " + t.stats());
            } finally {
                gate.release.countDown();
            }
            assertThat(b.join(Duration.ofSeconds(10))).as("b ended").isTrue();
            assertThat(b.error()).as("b's failure").isNull();
            assertThat(b.value()).isEqualTo("200 ok");
            TransportStats s = t.stats();
            assertThat(s.retries()).as("b retried once: " + s).isEqualTo(1);
            assertThat(s.dialed()).isEqualTo(2);
            assertThat(answered.get()).as("b answered once, a once").isEqualTo(2);
            assertThat(s).extracting(TransportStats::open, TransportStats::idle, TransportStats::inUse)
                    .containsExactly(1, 1, 0);
            assertThat(gate.done("/a")).isEqualTo(1);
            assertThat(gate.done("/b")).isEqualTo(1);
            assertThat(gate.doneError).isEmpty();
            assertThat(server.failures()).isEmpty();
        }
    }
}
