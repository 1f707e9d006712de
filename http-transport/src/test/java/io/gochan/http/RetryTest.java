package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Retries after failures on stale reused connections (E37): a request is retried as long as each of its
 * failures is on a reused connection with nothing of it answered and it is replayable, never up to a count
 * that stale connections other requests left idle could use up.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RetryTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E37: a server that closes every connection right after its answer, without {@code Connection: close},
     * so the client keeps each one and hands it to the next request, which finds it closed. Many callers at
     * once, each sending GETs: a connection put back goes to a waiting request (under
     * {@code maxConnsPerHost}) or to the pool, so a request can be handed one stale connection after another,
     * each left by another request. Every GET succeeds: each of those failures is retried, however many a
     * request meets, and a request's failure on a new connection would be final (none is here: the server
     * always answers a connection's first request). Before E37 (at most {@code maxIdleConnsPerHost + 1}
     * retries) the limited shapes failed 1 to 125 GETs of 800 in each run, the unlimited ones now and then one.
     *
     * @param maxConnsPerHost the per-host limit (0 = none)
     * @param maxIdleConnsPerHost the idle limit per host (-1 = the default, 2)
     * @param virtual callers on virtual threads, or platform threads
     * @param callers how many callers send at once (800 GETs between them)
     */
    @ParameterizedTest(name = "maxConnsPerHost={0} maxIdleConnsPerHost={1} virtual={2} callers={3}")
    @CsvSource({
        "1, -1, true, 32",
        "1, -1, false, 32",
        "2, -1, true, 32",
        "0, -1, true, 32",
        "0, -1, true, 128",
        "0, -1, false, 64",
        "1, 0, true, 32",
        "1, 1, true, 32",
        "4, 1, true, 32",
        "0, 1, true, 128",
    })
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void E37_aRequestNeverFailsForStaleConnectionsOtherRequestsLeft(int maxConnsPerHost, int maxIdleConnsPerHost,
            boolean virtual, int callers) throws Exception {
        int perCaller = 800 / callers;
        Map<HttpRequest, Integer> attempts = Collections.synchronizedMap(new IdentityHashMap<>());
        RequestListener countAttempts = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                attempts.merge(request, 1, Integer::sum);
            }
        };
        Transport.Builder b = Transport.builder().maxConnsPerHost(maxConnsPerHost).listener(countAttempts);
        if (maxIdleConnsPerHost >= 0) {
            b.maxIdleConnsPerHost(maxIdleConnsPerHost);
        }
        try (RawServer server = RawServer.start(c -> {
                 // A connection dialed for a request that a connection put back served first (E54) goes idle
                 // unused: the server ends it after an idle while, as servers do, so that every connection ends.
                 c.socket.setSoTimeout(3_000);
                 try {
                     if (c.readRequest() != null) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 } catch (java.net.SocketTimeoutException idle) {
                     // never asked anything: closed unused
                 }
                 // and the handler returns, which closes the connection: it said nothing of closing it
             });
             Transport t = b.build()) {
            // With one connection put back straight to a waiter, stale ones are met in almost every batch, but
            // not in every one: a batch whose every put-back came after its close was seen (the pool skips
            // those) met none, seen once in CI on a loaded machine. The race is what this test is about, so
            // such a shape runs batches until one met it; the other shapes may meet none (seen with four
            // connections on a loaded machine; without a limit fresh dials mostly win): they failed a GET
            // rarely before E37 and are run once.
            int batches = maxConnsPerHost == 1 ? MOST_BATCHES : 1;
            int ran = 0;
            do {
                Queue<String> failures = runBatch(t, server, attempts, virtual, callers, perCaller);
                ran++;
                int mostAttempts = attempts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
                TransportStats s = t.stats();
                assertThat(failures)
                        .as("batch %d: %d of %d requests failed (retries %d, most attempts by one request %d, dialed %d)",
                                ran, failures.size(), callers * perCaller, s.retries(), mostAttempts, s.dialed())
                        .isEmpty();
            } while (ran < batches && t.stats().retries() == 0);
            if (maxConnsPerHost == 1) {
                assertThat(t.stats().retries())
                        .as("requests met stale connections (the race was run) in %d batches", ran)
                        .isPositive();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "every connection closed: " + t.stats());
            assertThat(server.failures()).isEmpty();
        }
    }

    /** Batches of 800 GETs a one-connection shape runs at most until one met a stale connection. */
    private static final int MOST_BATCHES = 10;

    /**
     * Runs one batch: {@code callers} callers at once, each sending {@code perCaller} GETs on {@code t}.
     *
     * @return the failures, one line per failed request
     */
    private static Queue<String> runBatch(Transport t, RawServer server, Map<HttpRequest, Integer> attempts,
            boolean virtual, int callers, int perCaller) throws Exception {
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Caller<Integer>> running = new ArrayList<>();
        for (int k = 0; k < callers; k++) {
            int caller = k;
            running.add(Caller.start(virtual, "caller-" + k, () -> {
                go.await();
                for (int i = 0; i < perCaller; i++) {
                    HttpRequest req = HttpRequest.newBuilder(server.uri("/" + caller + "/" + i))
                            .timeout(Duration.ofSeconds(60)).build();
                    try (HttpResponse r = t.roundTrip(req)) {
                        assertThat(r.body().string()).isEqualTo("ok");
                    } catch (java.io.IOException e) {
                        failures.add("caller " + caller + " request " + i + " failed after "
                                + attempts.get(req) + " attempts: " + e);
                    }
                }
                return perCaller;
            }));
        }
        go.countDown();
        for (Caller<Integer> c : running) {
            assertThat(c.join(Duration.ofSeconds(120))).as("caller ended").isTrue();
            assertThat(c.error()).as("a caller broke").isNull();
        }
        return failures;
    }
}
