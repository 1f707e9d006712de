package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E111: an interrupt that reaches a read loop while it hands a response over, after it decided the connection may be
 * reused, never fails the next request on that connection. For a body held in memory the body's end (on the caller's
 * thread) puts the connection back, and for a bodiless answer the loop's own completion does, before the loop takes the
 * interrupt and ends; before, the loop's end then closed the connection under the request that had taken it meanwhile
 * (here B, waiting at {@code maxConnsPerHost(1)}), which, its bytes out, failed for good with an
 * {@code HttpConnectionException} ("read loop of ... interrupted"), never retried. Found by the session-28 reviewers.
 *
 * <p>No hook of the transport runs on the read loop between its look at the flag and the end of the hand-over (the
 * listener and the {@code Dialer}'s socket run before the look), so no test can stop it there: the interrupt is sent by
 * the server, from another thread, as the loop takes A's answer up (its {@code gotFirstResponseByte}), and lands at a
 * different point each round: before the look (E95: not reusable, B dials), during the hand-over (E111: the loop ends
 * without the connection being put back, or, put back first, keeps serving it and ends after B's answer), or after it
 * (E85's race at the idle socket: B retried, as the server's close of an idle connection). Each round must end with A
 * and B answered; before, B failed in the rounds whose interrupt met the hand-over after the connection was put back
 * (on a 2-core machine each of three runs failed one or both tests, at round 43 to 71 of 150; with E111, 1,800
 * rounds passed).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ReadLoopHandOverInterruptTest {
    private static final int ROUNDS = 150;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** E111, a body held in memory: its end puts the connection back on the caller's thread, at any time. */
    @Test
    void E111_anInterruptDuringAnInMemoryBodysHandOverNeverFailsTheNextRequest() throws Exception {
        roundsWithAnInterruptAtTheHandOver("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "200 ok");
    }

    /** E111, a bodiless answer: the loop's completion puts the connection back before the hand-over. */
    @Test
    void E111_anInterruptDuringABodilessAnswersHandOverNeverFailsTheNextRequest() throws Exception {
        roundsWithAnInterruptAtTheHandOver("HTTP/1.1 204 No Content\r\n\r\n", "204 ");
    }

    private static void roundsWithAnInterruptAtTheHandOver(String answerToA, String expectedA) throws Exception {
        AtomicReference<CountDownLatch> aArrived = new AtomicReference<>();
        AtomicReference<CountDownLatch> bQueued = new AtomicReference<>();
        AtomicReference<CountDownLatch> loopSeen = new AtomicReference<>();
        AtomicReference<Thread> loop = new AtomicReference<>();
        RequestListener capturing = new RequestListener() {
            @Override
            public void gotFirstResponseByte(HttpRequest request) {
                boolean onReadLoop = Thread.currentThread().getName().startsWith("http-read-loop");
                if (onReadLoop && request.uri().getPath().equals("/a")) {
                    loop.set(Thread.currentThread());
                    loopSeen.get().countDown();
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /a ")) {
                         CountDownLatch seen = loopSeen.get();
                         aArrived.get().countDown();
                         bQueued.get().await(10, TimeUnit.SECONDS); // B waits at the limit before A is answered
                         c.write(answerToA); // keep-alive, whole in one write: held in memory, or bodiless
                         if (seen.await(10, TimeUnit.SECONDS)) {
                             loop.get().interrupt(); // a stray interrupt, as the read loop takes A's answer up
                         }
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).listener(capturing).build()) {
            for (int round = 0; round < ROUNDS; round++) {
                aArrived.set(new CountDownLatch(1));
                bQueued.set(new CountDownLatch(1));
                loopSeen.set(new CountDownLatch(1));
                AtomicReference<Object> a = new AtomicReference<>();
                AtomicReference<Object> b = new AtomicReference<>();
                Thread callerA = Thread.ofVirtual().name("e111-a").start(() -> a.set(outcome(t, server, "/a")));
                assertThat(aArrived.get().await(10, TimeUnit.SECONDS)).as("A reached the server").isTrue();
                Thread callerB = Thread.ofVirtual().name("e111-b").start(() -> b.set(outcome(t, server, "/b")));
                Leaks.awaitTrue(() -> t.stats().waiting() == 1, "B waiting at maxConnsPerHost(1): " + t.stats());
                bQueued.get().countDown();
                assertThat(callerA.join(Duration.ofSeconds(10))).as("A ended").isTrue();
                assertThat(callerB.join(Duration.ofSeconds(10))).as("B ended").isTrue();
                assertThat(a.get()).as("round %d: A's answer, whole (E99)", round).isEqualTo(expectedA);
                assertThat(b.get()).as("round %d: B, which did nothing to end itself, gets its own answer (E111, E70)",
                        round).isEqualTo("200 ok");
            }
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "nothing in use: " + t.stats());
            assertThat(server.failures()).as("the server's scripts").isEmpty();
        }
    }

    /** The status and body of a GET of {@code path}, or what it threw. */
    private static Object outcome(Transport t, RawServer server, String path) {
        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri(path).toString()))) {
            return r.status() + " " + r.body().string();
        } catch (Throwable e) {
            return e;
        }
    }
}
