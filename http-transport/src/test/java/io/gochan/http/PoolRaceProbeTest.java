package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Probes of the pool's races with real connections, each on many fresh connections: the idle reaper
 * racing a take, the server closing idle connections racing a take (nothing sent twice that Go would not
 * send twice), and a waiter that gives up at the moment a connection is handed to it (the next waiter
 * gets it). Each held on the code it was written against; they guard what E2, E8, E9, E13 and T8 promise.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class PoolRaceProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E2: with an idle timeout of a millisecond, the reaper closes connections while requests take them
     * from the pool, sequentially and from 8 callers at once: every request succeeds (a reaped connection is
     * never handed out), and the counters end at zero.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E2_theIdleReaperRacingTakesNeverFailsARequest() throws Exception {
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().idleConnTimeout(Duration.ofMillis(1)).maxIdleConnsPerHost(8).build()) {
            List<Caller<Integer>> callers = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                int seed = k;
                callers.add(Caller.virtual("caller-" + k, () -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 250; i++) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + i).toString()))) {
                            assertThat(r.body().string()).isEqualTo("ok");
                        }
                        long until = System.nanoTime() + rnd.nextInt(2_000_000); // around the idle timeout
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                    }
                    return 250;
                }));
            }
            for (Caller<Integer> c : callers) {
                assertThat(c.join(Duration.ofSeconds(60))).as("caller ended").isTrue();
                assertThat(c.error()).as("a request failed").isNull();
            }
            Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "every idle connection reaped: " + t.stats());
            assertThat(t.stats().dialed()).as("connections reaped and dialled again (the race was run)").isGreaterThan(8);
        }
    }

    /**
     * E8, E9: the server closes each connection (no {@code Connection: close}) a random few microseconds
     * after answering, while the next request takes it from the pool. Every GET succeeds (retried when the
     * close won); a POST whose body is one-shot succeeds or fails, and the server never receives any POST
     * twice. Some request must have met a closed connection (the race was run): on a loaded machine the server's
     * close can come before every next request (the pool skips a connection seen closed), so the requests go on
     * until one met it (at most ten times as many, within 60 s), every one checked; a race never met still fails.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E9_theServerClosingIdleConnectionsRacingTakesNeverSendsAPostTwice() throws Exception {
        Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        Random serverRnd = new Random(7);
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequest();
                 if (head == null) {
                     return;
                 }
                 received.computeIfAbsent(head.split("\r\n", 2)[0], k -> new AtomicInteger()).incrementAndGet();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 long until = System.nanoTime() + serverRnd.nextInt(300_000);
                 while (System.nanoTime() < until) {
                     Thread.onSpinWait();
                 }
                 // and close: the next request on this connection races it
             });
             Transport t = Transport.builder().build()) {
            int iterations = 600;
            List<String> failures = new ArrayList<>();
            int postsFailed = 0;
            long extraUntil = Lifecycle.nanosFromNow(Duration.ofSeconds(60));
            for (int i = 0; Lifecycle.goOn(i, iterations, t.stats().retries() + postsFailed > 0, extraUntil); i++) {
                boolean post = i % 2 == 1;
                HttpRequest req = post
                        ? HttpRequest.newBuilder(server.uri("/post" + i)).POST(RequestBody.ofStreamOnce(
                                new java.io.ByteArrayInputStream("abc".getBytes()), 3, "text/plain")).build()
                        : HttpRequest.get(server.uri("/get" + i).toString());
                try (HttpResponse r = t.roundTrip(req)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                } catch (IOException e) {
                    if (post) {
                        postsFailed++;
                    } else {
                        failures.add(i + ": GET failed: " + e);
                    }
                }
            }
            received.forEach((line, n) -> {
                if (line.startsWith("POST") && n.get() > 1) {
                    failures.add(line + " received " + n.get() + " times");
                }
            });
            assertThat(failures).as("%d POSTs failed cleanly", postsFailed).isEmpty();
            assertThat(t.stats().retries() + postsFailed).as("requests that met a closed connection (the race was run)").isPositive();
        }
    }

    /**
     * T8: with one connection per host, waiter B gives up (its context cancelled, swept across the moment)
     * just as the connection in use is put back and handed to it, while waiter C, never cancelled, waits
     * behind it: C always gets a connection and its answer; B gets either; nothing is left counted.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void T8_aWaiterGivingUpAsAConnectionIsHandedToItNeverCostsTheNextWaiter() throws Exception {
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            List<String> failures = new ArrayList<>();
            int iterations = 400;
            for (int i = 0; i < iterations; i++) {
                HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString())); // holds the connection
                CancellableContext ctx = Context.withCancel(Context.background());
                Caller<String> b = Caller.virtual("B", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b").toString()), ctx)) {
                        return r.body().string();
                    }
                });
                Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "B waiting");
                Caller<String> c = Caller.virtual("C", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/c").toString()))) {
                        return r.body().string();
                    }
                });
                Lifecycle.await(() -> t.stats().waiting() == 2, Lifecycle.BOUND, "C waiting");
                CountDownLatch go = new CountDownLatch(1);
                long offset = (i * 7_919L) % 200_000;
                Thread canceller = Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    long until = System.nanoTime() + offset;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    ctx.cancel();
                });
                go.countDown();
                a.body().string(); // EOF: the connection is put back, to B
                canceller.join();
                assertThat(b.join(Lifecycle.BOUND)).as("B ended").isTrue();
                assertThat(c.join(Lifecycle.BOUND)).as("C ended").isTrue();
                if (!"ok".equals(c.value())) {
                    failures.add(i + ": C got " + (c.error() != null ? c.error() : c.value()));
                }
                if (b.error() != null && !(b.error() instanceof RequestCancelledException)) {
                    failures.add(i + ": B got " + b.error());
                }
            }
            assertThat(failures).isEmpty();
            TransportStats s = t.stats();
            assertThat(s.waiting()).isZero();
            assertThat(s.inUse()).isZero();
        }
    }
}
