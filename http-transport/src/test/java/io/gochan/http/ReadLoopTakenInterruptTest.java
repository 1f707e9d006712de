package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E99: a read loop whose interrupt flag a {@code gotFirstResponseByte} listener left set (user code run on the loop, after
 * its first look at the answer) serves that answer whole (its head, its hand-over, its streamed body's end) as if the
 * flag were clear, never reuses the connection, and ends after it. Before, the flag failed whichever wait came next: the
 * wait for a streamed body's end threw at once and aborted the exchange under the caller's read; a head that needed a
 * second read of the socket failed, the socket closed by the interrupt. Reported by the session-27 reviewers (E95's
 * sentence on streamed bodies held only for a flag set at the body's end).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ReadLoopTakenInterruptTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Sets the read loop's interrupt flag as the first byte of an answer to a request for {@code path} is seen, then
     * counts {@code seen} down.
     */
    private static RequestListener interruptingTheReadLoopFor(String path, CountDownLatch seen) {
        return new RequestListener() {
            @Override
            public void gotFirstResponseByte(HttpRequest request) {
                boolean onReadLoop = Thread.currentThread().getName().startsWith("http-read-loop");
                if (onReadLoop && request.uri().getPath().equals(path)) {
                    Thread.currentThread().interrupt(); // user code that leaves the loop's flag set (E95, E99)
                    seen.countDown();
                }
            }
        };
    }

    /** The read loops of this test's connections to {@code server} that are still alive. */
    private static List<Goroutine> readLoopsOf(RawServer server) {
        String ofThisServer = ":" + server.port();
        return Leaks.transportGoroutines().stream()
                .filter(g -> g.name().startsWith("http-read-loop") && g.name().endsWith(ofThisServer))
                .toList();
    }

    /**
     * E99: a chunked answer (always streamed, never held in memory), sent whole with its head; the listener leaves the
     * read loop's flag set before the head is read. The caller reads the body only once the read loop waits for the
     * body's end (now) or has ended (before: the loop's select for the body's end threw at once on the flag, never
     * parking, and aborted the exchange). Before, the read failed with an {@code HttpConnectionException} ("its read loop
     * was interrupted while the response body was read"), or, when the hand-over found the caller not yet parked,
     * {@code roundTrip} failed with the connection's failure: "the body the server sent, whole" failed on that exception.
     * Now the body is read whole, the connection is closed once it ends (never pooled), and the next request dials.
     */
    @Test
    void E99_aStreamedBodyIsReadWholeWhenAListenerLeftTheReadLoopInterrupted() throws Exception {
        CountDownLatch seen = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequestHead() != null) {
                     c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
                 }
             });
             Transport t = Transport.builder().listener(interruptingTheReadLoopFor("/streamed", seen)).build()) {
            Object outcome = Leaks.outcomeWithin10s("the request and its body", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/streamed").toString()))) {
                    // The loop's fate is sealed before a byte of the body is read: it waits for the body's end, or (before
                    // E99) it has aborted the exchange and ended.
                    Leaks.awaitTrue(() -> readLoopsOf(server).stream().allMatch(g -> g.blockedOn().isPresent()),
                            "the read loop waits for the body's end, or has ended");
                    return r.body().string();
                }
            });
            assertThat(seen.getCount()).as("the listener set the read loop's flag").isZero();
            assertThat(outcome).as("the body the server sent, whole").isEqualTo("hello world");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, never pooled: " + t.stats());
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("hello world");
            }
            assertThat(t.stats().dialed()).as("the next request dialed a new connection").isEqualTo(2);
            assertThat(t.stats().retries()).as("nothing retried").isZero();
        }
    }

    /**
     * E99: the server sends its status line alone, and the rest of its head (with a 2-byte body) only once the read loop,
     * its flag set by the listener on that first line, waits in the socket for it (now) or has ended. Before, the loop's
     * read of the rest found the flag set: a virtual thread's socket read that would wait is cut by it (the JDK closes the
     * socket, "Closed by interrupt"), and the request failed as a broken connection ("no failure" failed on its
     * {@code HttpConnectionException}). Now the head is read, the answer handed over whole, and the connection closed.
     */
    @Test
    void E99_aHeadThatNeedsAnotherReadIsReadWhenAListenerLeftTheReadLoopInterrupted() throws Exception {
        CountDownLatch seen = new CountDownLatch(1);
        CountDownLatch restNow = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write("HTTP/1.1 200 OK\r\n"); // the first bytes: the listener runs on them
                 if (restNow.await(20, TimeUnit.SECONDS)) {
                     c.write("Content-Length: 2\r\n\r\nok");
                 }
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().listener(interruptingTheReadLoopFor("/split", seen)).build()) {
            Lifecycle.Caller<String> caller = Lifecycle.Caller.virtual("e99-split", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/split").toString()))) {
                    return r.status() + " " + r.body().string();
                }
            });
            try {
                assertThat(seen.await(10, TimeUnit.SECONDS)).as("the listener set the read loop's flag").isTrue();
                // Before E99 the loop never parks there: its read, the flag set, fails at once and the loop ends.
                Leaks.awaitTrue(() -> readLoopsOf(server).stream()
                                .allMatch(g -> Lifecycle.waitingIn(g.thread(), "ConnInput", "rawRead")),
                        "the read loop waits in the socket for the rest of the head, or has ended");
            } finally {
                restNow.countDown();
            }
            assertThat(caller.join(Duration.ofSeconds(10))).as("the request ended").isTrue();
            assertThat(caller.error()).as("no failure").isNull();
            assertThat(caller.value()).as("the answer, whole").isEqualTo("200 ok");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, never pooled: " + t.stats());
            assertThat(t.stats().retries()).as("nothing retried").isZero();
        }
    }
}
