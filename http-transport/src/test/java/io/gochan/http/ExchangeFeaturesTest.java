package io.gochan.http;

import io.gochan.http.testing.Heads;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Expect: 100-continue, the request listener's events, and T11 (exactly one outcome per request). */
@NoGoroutineLeaks
class ExchangeFeaturesTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static HttpRequest putWithContinue(RawServer server, String body) {
        return HttpRequest.newBuilder(server.uri("/upload"))
                .PUT(RequestBody.of(body))
                .header("Expect", "100-continue")
                .build();
    }


    @Test
    void expectContinue_bodyIsSentOnlyAfter100ContinueAndTheConnectionIsReused() throws Exception {
        ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     assertThat(head).containsIgnoringCase("Expect: 100-continue");
                     assertThat(c.in.available()).as("no body byte before 100 Continue").isZero();
                     c.write("HTTP/1.1 100 Continue\r\n\r\n");
                     bodies.add(new String(c.readBody(Heads.contentLength(head, -1)), StandardCharsets.ISO_8859_1));
                     c.write("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofMinutes(5)).build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(putWithContinue(server, "payload-" + i))) {
                    assertThat(r.status()).isEqualTo(201);
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(bodies).containsExactly("payload-0", "payload-1");
            assertThat(t.stats().reused()).isEqualTo(1);
            assertThat(server.failures()).isEmpty();
        }
    }

    @Test
    void expectContinue_aFinalStatusFirstSkipsTheBodyAndTheConnectionIsNotReused() throws Exception {
        AtomicInteger bytesAfterHead = new AtomicInteger(-1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 4\r\n\r\nnope");
                 // Everything the client sends from now until it closes the connection.
                 bytesAfterHead.set(c.in.readAllBytes().length);
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofMinutes(5)).build()) {
            try (HttpResponse r = t.roundTrip(putWithContinue(server, "never sent"))) {
                assertThat(r.status()).isEqualTo(417);
                assertThat(r.body().string()).isEqualTo("nope");
            }
            // Out of step with the server (CVE-2024-24791): closed, never pooled.
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed after a skipped body");
            Leaks.awaitTrue(() -> bytesAfterHead.get() >= 0, "server saw the close");
            assertThat(bytesAfterHead.get()).as("body bytes written after the head").isZero();
        }
    }

    @Test
    void expectContinue_withoutAnAnswerTheBodyIsSentAfterTheTimeout() throws Exception {
        ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 // A server that ignores Expect: it simply waits for the body.
                 bodies.add(new String(c.readBody(Heads.contentLength(head, -1)), StandardCharsets.ISO_8859_1));
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofMillis(20)).build()) {
            try (HttpResponse r = t.roundTrip(putWithContinue(server, "sent anyway"))) {
                assertThat(r.status()).isEqualTo(200);
            }
            assertThat(bodies).containsExactly("sent anyway");
        }
    }

    /** Records every event with the request it belongs to. */
    static final class RecordingListener implements RequestListener {
        final Map<HttpRequest, List<String>> events = new ConcurrentHashMap<>();

        private void add(HttpRequest r, String e) {
            events.computeIfAbsent(r, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(e);
        }

        @Override public void getConn(HttpRequest r, String hostPort) { add(r, "getConn"); }
        @Override public void gotConn(HttpRequest r, boolean reused) { add(r, reused ? "gotConn(reused)" : "gotConn(new)"); }
        @Override public void wroteHeaders(HttpRequest r) { add(r, "wroteHeaders"); }
        @Override public void wroteRequest(HttpRequest r, Throwable error) { add(r, error == null ? "wroteRequest" : "wroteRequest(error)"); }
        @Override public void gotFirstResponseByte(HttpRequest r) { add(r, "gotFirstResponseByte"); }
        @Override public void done(HttpRequest r, Throwable error) { add(r, error == null ? "done" : "done(error)"); }

        List<String> of(HttpRequest r) {
            return List.copyOf(events.getOrDefault(r, List.of()));
        }

        long count(HttpRequest r, String prefix) {
            return of(r).stream().filter(e -> e.startsWith(prefix)).count();
        }
    }

    @Test
    void listenerSeesEveryPhaseInOrderAndReuse() throws Exception {
        RecordingListener l = new RecordingListener();
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
                 }
             });
             Transport t = Transport.builder().listener(l).build()) {
            HttpRequest first = HttpRequest.get(server.uri("/1").toString());
            HttpRequest second = HttpRequest.get(server.uri("/2").toString());
            for (HttpRequest r : List.of(first, second)) {
                try (HttpResponse resp = t.roundTrip(r)) {
                    // The write loop's events may come after the answer reached the caller (E91), and not at all once
                    // the body's end reported done() (E27): awaited before the body is read.
                    Leaks.awaitTrue(() -> l.count(r, "wroteRequest") == 1, "wroteRequest of " + r);
                    assertThat(resp.body().string()).isEqualTo("hello");
                }
            }
            for (HttpRequest r : List.of(first, second)) {
                Leaks.awaitTrue(() -> l.count(r, "done") == 1, "done reported");
                List<String> ev = l.of(r);
                assertThat(ev).hasSize(6);
                // The write loop's and the read loop's events may interleave; each party's own order may not.
                assertThat(ev.subList(0, 2)).containsExactly("getConn", r == first ? "gotConn(new)" : "gotConn(reused)");
                assertThat(ev.indexOf("wroteHeaders")).isLessThan(ev.indexOf("wroteRequest"));
                assertThat(ev.indexOf("gotFirstResponseByte")).isGreaterThan(1);
                assertThat(ev.get(5)).isEqualTo("done");
            }
        }
    }

    @Test
    void listenerReportsOneDoneWithTheErrorOfAFailedRequest() throws Exception {
        RecordingListener l = new RecordingListener();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 2x0 Broken\r\n\r\n");
                 c.in.read();
             });
             Transport t = Transport.builder().listener(l).build()) {
            HttpRequest r = HttpRequest.get(server.uri("/").toString());
            try {
                t.roundTrip(r).close();
            } catch (HttpProtocolException expected) {
                // the point of the test
            }
            assertThat(l.of(r)).contains("getConn", "gotConn(new)", "done(error)").doesNotContain("done");
            assertThat(l.count(r, "done")).isEqualTo(1);
        }
    }

    /**
     * T11: under random cancellation, every request gets exactly one outcome. Observable proof: the
     * listener sees exactly one done() per request, every response reaches the caller that asked for
     * it (the body names the request), and the pool returns to idle (no response was handed to nobody).
     */
    @Test
    void T11_exactlyOneOutcomePerRequestUnderRandomCancellation() throws Exception {
        RecordingListener l = new RecordingListener();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path);
                 }
             });
             Transport t = Transport.builder().listener(l).maxConnsPerHost(4).maxIdleConnsPerHost(4).build()) {
            int requests = 300;
            Random rnd = new Random(11);
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            AtomicInteger responses = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            List<HttpRequest> all = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < requests; i++) {
                HttpRequest req = HttpRequest.get(server.uri("/r" + i).toString());
                all.add(req);
                boolean cancel = rnd.nextBoolean();
                int spins = rnd.nextInt(3000);
                threads.add(Thread.ofVirtual().start(() -> {
                    CancellableContext ctx = Context.withCancel(Context.background());
                    Thread canceller = Thread.ofVirtual().start(() -> {
                        for (int s = 0; cancel && s < spins; s++) {
                            Thread.yield();
                        }
                        if (cancel) {
                            ctx.cancel();
                        }
                    });
                    try {
                        start.await();
                        try (HttpResponse r = t.roundTrip(req, ctx)) {
                            String body = r.body().string();
                            if (!body.equals(req.uri().getPath()) || r.request() != req) {
                                wrong.add(req.uri().getPath() + " got " + body);
                            }
                            responses.incrementAndGet();
                        }
                    } catch (InterruptedIOException | InterruptedException e) {
                        errors.incrementAndGet();
                    } catch (IOException e) {
                        errors.incrementAndGet(); // e.g. the body read failed because the cancel closed the connection
                    } finally {
                        ctx.cancel();
                        try {
                            canceller.join();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }));
            }
            start.countDown();
            for (Thread th : threads) {
                assertThat(th.join(Duration.ofSeconds(60))).isTrue();
            }
            assertThat(wrong).isEmpty();
            assertThat(responses.get() + errors.get()).isEqualTo(requests);
            assertThat(responses.get()).as("some requests were not cancelled in time").isPositive();
            for (HttpRequest r : all) {
                Leaks.awaitTrue(() -> l.count(r, "done") >= 1, "done for " + r);
                assertThat(l.count(r, "done")).as(() -> r + ": " + l.of(r)).isEqualTo(1);
            }
            Leaks.awaitTrue(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0, "pool back to idle");
        }
    }

    /**
     * A connection the pool refuses (idle limit reached) is closed only after its response was handed
     * over: closing first raced the response against the close, and the caller sometimes got "idle
     * limit reached" instead of its 204.
     */
    @Test
    void aResponseWhoseConnectionThePoolRefusesIsStillDelivered() throws Exception {
        CountDownLatch[] hold = new CountDownLatch[1];
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /held ")) {
                         hold[0].await();
                     }
                     c.write("HTTP/1.1 204 No Content\r\n\r\n");
                 }
             });
             Transport t = Transport.builder().maxIdleConnsPerHost(1).build()) {
            for (int round = 0; round < 30; round++) {
                hold[0] = new CountDownLatch(1);
                CountDownLatch sent = new CountDownLatch(1);
                Throwable[] failure = new Throwable[1];
                int[] status = new int[1];
                Thread held = Thread.ofVirtual().start(() -> {
                    try {
                        sent.countDown();
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/held").toString()))) {
                            status[0] = r.status();
                        }
                    } catch (Throwable e) {
                        failure[0] = e;
                    }
                });
                sent.await();
                Leaks.awaitTrue(() -> t.stats().inUse() == 1, "held request on its connection");
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/other").toString()))) {
                    assertThat(r.status()).isEqualTo(204); // on a second connection, then pooled: idle is full
                }
                hold[0].countDown();
                assertThat(held.join(Duration.ofSeconds(20))).isTrue();
                assertThat(failure[0]).isNull();
                assertThat(status[0]).isEqualTo(204);
                Leaks.awaitTrue(() -> t.stats().open() == 1 && t.stats().idle() == 1, "refused connection closed");
            }
        }
    }
}
