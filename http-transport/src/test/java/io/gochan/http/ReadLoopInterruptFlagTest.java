package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection's read loop whose interrupt flag is set before it completes an exchange (an interrupt during the head's
 * read, or user code on the loop that left the flag set: here a {@code gotFirstResponseByte} listener, which runs on the
 * read loop after its first look at the answer). E89: the bodiless answer it has read is handed over all the same, also
 * when the flag cuts the loop's bounded wait for the write's word; E95: the loop, which ends after that hand-over, never
 * puts its connection back first, so no other request is handed a connection about to close. Found by reviewer
 * rv-races27 (its second and third findings). The write loop's twin (E95): a {@code wroteRequest} listener that leaves
 * the write loop's flag set ends that loop, never the answer of the request it wrote.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ReadLoopInterruptFlagTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Sets the read loop's interrupt flag as the first byte of an answer to a request for {@code path} is seen. */
    private static RequestListener interruptingTheReadLoopFor(String path) {
        return new RequestListener() {
            @Override
            public void gotFirstResponseByte(HttpRequest request) {
                boolean onReadLoop = Thread.currentThread().getName().startsWith("http-read-loop");
                if (onReadLoop && request.uri().getPath().equals(path)) {
                    Thread.currentThread().interrupt(); // user code that leaves the loop's flag set (E89)
                }
            }
        };
    }

    /**
     * E89: an early 204 to a POST whose body source is still producing; the read loop, its flag set, reaches the
     * wait (50 ms at most) for the write's word that precedes the exchange's completion. That wait threw at once,
     * before the completion, so the 204 it had read was dropped: the loop ended as "interrupted" and the caller, whose
     * bytes had gone out, failed with an {@code HttpConnectionException} ("the early answer" failed on that exception).
     * Now the wait answers "not reusable" to an interrupt, the 204 is handed over and the loop ends after it.
     */
    @Test
    void E89_aReadLoopInterruptedAsItWaitsForTheWritesWordStillHandsOverTheBodilessAnswer() throws Exception {
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
                    released.await(); // until closed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
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
                 c.write("HTTP/1.1 204 No Content\r\n\r\n"); // early, keep-alive, bodiless, in one write
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().listener(interruptingTheReadLoopFor("/upload")).build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload")).timeout(Duration.ofSeconds(5))
                    .POST(RequestBody.ofStreamOnce(blocking, -1, "application/octet-stream")).build();
            Object outcome = Leaks.outcomeWithin10s("the request", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            assertThat(outcome).as("the early answer the read loop had read (E89, T4)").isEqualTo(204);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, never pooled: " + t.stats());
            assertThat(closes).as("closes of the body's stream").hasValue(1);
        } finally {
            released.countDown();
        }
    }

    /**
     * E95: at {@code maxConnsPerHost(1)}, request B (a POST with a single-use body, which no retry can send
     * again) waits for the connection while A's 204 is read by a loop whose flag A's listener set. The loop completed
     * A's exchange as reusable, which handed the connection straight to B, then handed A its 204 and ended, closing the
     * connection under B: B, which did nothing to end itself, failed with an {@code HttpConnectionException} (its
     * bytes out, or its body not replayable) and was never retried ("B ... gets its own answer" failed). Now the loop
     * completes A's exchange as not reusable: the connection is closed before anyone can take it, and B is served on a
     * new one.
     */
    @Test
    void E95_aReadLoopThatWillEndNeverHandsItsConnectionToTheNextRequest() throws Exception {
        CountDownLatch aArrived = new CountDownLatch(1);
        CountDownLatch bQueued = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /a ")) {
                         aArrived.countDown();
                         bQueued.await(10, TimeUnit.SECONDS); // B waits at the limit before A is answered
                         c.write("HTTP/1.1 204 No Content\r\n\r\n"); // keep-alive, bodiless, in one write
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).listener(interruptingTheReadLoopFor("/a")).build()) {
            AtomicReference<Object> a = new AtomicReference<>();
            AtomicReference<Object> b = new AtomicReference<>();
            Thread callerA = Thread.ofVirtual().name("e95-a").start(() -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a").toString()))) {
                    a.set(r.status());
                } catch (Throwable e) {
                    a.set(e);
                }
            });
            assertThat(aArrived.await(10, TimeUnit.SECONDS)).as("A reached the server").isTrue();
            HttpRequest post = HttpRequest.newBuilder(server.uri("/b"))
                    .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream("hello".getBytes(StandardCharsets.US_ASCII)),
                            5, "text/plain")).build();
            Thread callerB = Thread.ofVirtual().name("e95-b").start(() -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    b.set(r.status() + " " + r.body().string());
                } catch (Throwable e) {
                    b.set(e);
                }
            });
            Leaks.awaitTrue(() -> t.stats().waiting() == 1, "B waiting at maxConnsPerHost(1): " + t.stats());
            bQueued.countDown();
            assertThat(callerA.join(Duration.ofSeconds(10))).as("A ended").isTrue();
            assertThat(callerB.join(Duration.ofSeconds(10))).as("B ended").isTrue();
            assertThat(a.get()).as("A's answer").isEqualTo(204);
            assertThat(b.get()).as("B, which did nothing to end itself, gets its own answer (E70)").isEqualTo("200 ok");
            assertThat(t.stats().retries()).as("B was served, not retried").isZero();
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "nothing in use: " + t.stats());
        }
    }

    /**
     * E95, the write loop's twin: a {@code wroteRequest} listener leaves the write loop's flag set once a POST with a
     * single-use body went out whole; the server answers only once that loop has ended. The loop ends without closing
     * the connection: the POST gets its answer, the connection is not reused (the next request dials), nothing is
     * retried. Before, the loop's select for the next request threw and closed the connection under the answer on its
     * way: the POST, whose bytes had gone out, failed with an {@code HttpConnectionException} ("write loop ...
     * interrupted"), and "the POST gets its own answer" failed.
     */
    @Test
    void E95_aWriteLoopLeftInterruptedByAListenerStillLetsItsRequestHaveItsAnswer() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch answerNow = new CountDownLatch(1);
        RequestListener flagger = new RequestListener() {
            @Override
            public void wroteRequest(HttpRequest request, Throwable error) {
                boolean onWriteLoop = Thread.currentThread().getName().startsWith("http-write-loop");
                if (onWriteLoop && request.uri().getPath().equals("/w")) {
                    Thread.currentThread().interrupt(); // user code that leaves the write loop's flag set
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("POST /w ")) {
                         arrived.countDown();
                         answerNow.await(10, TimeUnit.SECONDS); // answered once the write loop has ended
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().listener(flagger).build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/w"))
                    .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream("hello".getBytes(StandardCharsets.US_ASCII)),
                            5, "text/plain")).build();
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().name("e95-w").start(() -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    outcome.set(r.status() + " " + r.body().string());
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            assertThat(arrived.await(10, TimeUnit.SECONDS)).as("the POST reached the server").isTrue();
            String ofThisServer = ":" + server.port();
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().stream()
                            .noneMatch(g -> g.name().startsWith("http-write-loop") && g.name().endsWith(ofThisServer)),
                    "the write loop, its flag set by the listener, ended");
            answerNow.countDown();
            assertThat(caller.join(Duration.ofSeconds(10))).as("the POST ended").isTrue();
            assertThat(outcome.get()).as("the POST gets its own answer").isEqualTo("200 ok");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed with its exchange, never pooled: " + t.stats());
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the next request dialed a new connection").isEqualTo(2);
            assertThat(t.stats().retries()).as("nothing retried").isZero();
        } finally {
            answerNow.countDown();
        }
    }
}
