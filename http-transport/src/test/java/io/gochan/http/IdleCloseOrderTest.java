package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules E34 and E35 (docs/spec/transport-lifecycle.md): {@link Transport#closeIdleConnections()} returns only
 * once the connections it is about have closed, also those the idle reaper was closing at that moment; and
 * {@link TransportStats#reused()} counts what the flight recorder's "reused" event describes, never a pooled
 * connection that turned out closed.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class IdleCloseOrderTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * E34: sixteen connections are idle and the idle reaper has just taken them all off the idle list to close
     * them (the test calls as soon as {@code idle} reads zero) when {@code closeIdleConnections()} is called:
     * when it returns, every socket the transport dialed is closed and nothing is counted open. Before the fix
     * it closed only what was still on the idle list (nothing) and returned while the reaper was still
     * closing sockets.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E34_closeIdleConnectionsReturnsOnlyOnceConnectionsTheReaperTookAreClosed() throws Exception {
        int idle = 16;
        int iterations = 20;
        List<String> failures = new ArrayList<>();
        try (RawServer server = RawServer.answeringOk()) {
            for (int i = 0; i < iterations; i++) {
                List<Socket> made = new CopyOnWriteArrayList<>();
                Transport t = Transport.builder().maxIdleConnsPerHost(idle).idleConnTimeout(Duration.ofMillis(50))
                        .dialer((host, port, timeout) -> {
                            Socket s = new Socket();
                            made.add(s);
                            s.connect(new InetSocketAddress(host, port));
                            return s;
                        }).build();
                try {
                    IdleConnections.fill(t, server.uri("/"), idle);
                    Leaks.awaitTrue(() -> t.stats().idle() == 0, "the reaper took the idle connections");
                    t.closeIdleConnections();
                    long open = made.stream().filter(s -> !s.isClosed()).count();
                    TransportStats s = t.stats();
                    if (open != 0 || s.open() != 0) {
                        failures.add(i + ": after closeIdleConnections(): sockets open " + open + ", " + s);
                    }
                } finally {
                    t.close();
                }
            }
        }
        assertThat(failures).as("%d of %d calls", failures.size(), iterations).isEmpty();
    }

    /**
     * E34: closing idle connections while nothing else closes them: when the call returns, each of their
     * sockets is closed and none is counted (what held before; pinned with the reaper variant).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E34_closeIdleConnectionsReturnsWithEveryIdleSocketClosed() throws Exception {
        List<Socket> made = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxIdleConnsPerHost(8).dialer((host, port, timeout) -> {
                 Socket s = new Socket();
                 made.add(s);
                 s.connect(new InetSocketAddress(host, port));
                 return s;
             }).build()) {
            IdleConnections.fill(t, server.uri("/"), 8);
            // Idle, or closed when its write loop's word came more than 50 ms late (E138); none in use (fill): some idle.
            assertThat(t.stats().idle()).as("%s", t.stats()).isPositive();
            t.closeIdleConnections();
            assertThat(made).hasSize(8).allMatch(Socket::isClosed);
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * E35: the server closes each connection a random few microseconds after answering, as the next request
     * (sequential, or waiting for the one connection a host may have) takes it from the pool: {@code reused}
     * equals the number of flight-recorder "reused" events, each of which describes a request handed to an
     * open connection. Before the fix a connection taken from the pool that had closed before the request was
     * handed to it was counted as reused (its "reused" event was skipped) and the request went to a new one. Some
     * request must have been handed a pooled connection (the race was run): on a loaded machine the server's close
     * can come before every next request, so the callers go on until one was (at most ten times as many requests,
     * within 50 s), every one counted; a race never met still fails.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E35_reusedCountsOnlyRequestsHandedToAnOpenPooledConnection(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("reuse.jfr");
        Random serverRnd = new Random(7);
        int requests = 1200;
        long counted;
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() == null) {
                     return;
                 }
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 long until = System.nanoTime() + serverRnd.nextInt(150_000);
                 while (System.nanoTime() < until) {
                     Thread.onSpinWait();
                 }
                 // and close, no Connection: close: the next request on this connection races it
             });
             Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection");
            rec.start();
            try (Transport t = Transport.builder().maxConnsPerHost(1).build()) {
                long extraUntil = Lifecycle.nanosFromNow(Duration.ofSeconds(50));
                List<Caller<Integer>> callers = new ArrayList<>();
                for (int k = 0; k < 2; k++) {
                    int who = k;
                    callers.add(Caller.virtual("gets-" + k, () -> {
                        for (int i = 0; Lifecycle.goOn(i, requests / 2, t.stats().reused() > 0, extraUntil); i++) {
                            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + who + "/" + i).toString()))) {
                                r.body().string();
                            } catch (HttpProtocolException | HttpConnectionException e) {
                                // every retry met a connection the server closed too: the race, not what is checked
                            }
                        }
                        return 0;
                    }));
                }
                for (Caller<Integer> c : callers) {
                    assertThat(c.join(Duration.ofSeconds(100))).isTrue();
                    assertThat(c.error()).isNull();
                }
                counted = t.stats().reused();
            }
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().isEmpty(), "loops ended");
            rec.stop();
            rec.dump(file);
        }
        long events = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("io.gochan.http.Connection") && e.getString("action").equals("reused")) {
                events++;
            }
        }
        assertThat(events).as("reuses (the race was run)").isPositive();
        assertThat(counted).as("TransportStats.reused against %d \"reused\" events", events).isEqualTo(events);
    }
    /**
     * The server of E56: {@code /slow} answers a 4-byte body in two halves, the second once {@code release} opens;
     * {@code /later} answers {@code 204} once {@code release} opens; anything else {@code 200 ok}; every request head
     * is counted down on {@code received}.
     */
    private static RawServer holdingServer(java.util.concurrent.CountDownLatch received,
            java.util.concurrent.CountDownLatch release) throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                received.countDown();
                if (head.startsWith("GET /slow ")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
                    release.await();
                    c.write("cd");
                } else if (head.startsWith("GET /later ")) {
                    release.await();
                    c.write("HTTP/1.1 204 No Content\r\n\r\n");
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    /**
     * E56: a connection in use when {@code closeIdleConnections()} is called, that becomes idle afterwards (its
     * streamed body read to its end, or its {@code 204} answered), is closed instead of pooled, as Go's
     * {@code closeIdle} flag does ("close newly idle connections"), until the next request looks for a connection:
     * that request dials a new one, which is pooled again. Before the fix the connection went to the idle pool
     * ({@code open=1, idle=1}) and the next request was sent on it.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E56_aConnectionThatBecomesIdleAfterCloseIdleConnectionsIsClosedUntilTheNextRequest() throws Exception {
        for (String path : List.of("/slow", "/later")) {
            java.util.concurrent.CountDownLatch received = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            try (RawServer server = holdingServer(received, release); Transport t = Transport.builder().build()) {
                Caller<String> inFlight = Caller.virtual("in-flight" + path, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri(path).toString()))) {
                        return r.status() + ":" + r.body().string();
                    }
                });
                if (path.equals("/slow")) {
                    Leaks.awaitTrue(() -> t.stats().inUse() == 1 && received.getCount() == 0, "the request is in flight");
                } else {
                    assertThat(received.await(20, TimeUnit.SECONDS)).isTrue();
                }
                t.closeIdleConnections(); // nothing idle yet: the in-flight connection is not touched
                assertThat(t.stats().inUse()).as(path + ": in use after closeIdleConnections()").isEqualTo(1);
                release.countDown();
                assertThat(inFlight.join(Lifecycle.BOUND)).isTrue();
                assertThat(inFlight.error()).isNull();
                assertThat(inFlight.value()).isIn("200:abcd", "204:");
                assertThat(t.stats()).as(path + ": the connection that became idle after the call").satisfies(s -> {
                    assertThat(s.open()).as("open").isZero();
                    assertThat(s.idle()).as("idle").isZero();
                });
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(server.accepted()).as(path + ": the next request's connection is new").isEqualTo(2);
                assertThat(t.stats().idle()).as(path + ": and is pooled: the next request ended the closing").isEqualTo(1);
            }
        }
    }

    /**
     * E56, the race: a streamed body's last read (its connection put back) and {@code closeIdleConnections()} run at
     * the same moment: once both have returned, nothing is open or idle, whichever came first (the call closed the
     * pooled connection, or the connection that became idle after it was closed as it was put back). 300 rounds,
     * a fresh transport each. Before the fix the rounds in which the put came second left the connection idle.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E56_closeIdleConnectionsRacingABodysEndLeavesNothingIdle() throws Exception {
        int rounds = 300;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            java.util.concurrent.CountDownLatch received = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            try (RawServer server = holdingServer(received, release); Transport t = Transport.builder().build()) {
                HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/slow").toString()));
                java.io.InputStream body = r.body().stream();
                assertThat(body.readNBytes(2)).isEqualTo("ab".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                CyclicBarrier start = new CyclicBarrier(2);
                Caller<Integer> closer = Caller.virtual("closer-" + i, () -> {
                    start.await(20, TimeUnit.SECONDS);
                    t.closeIdleConnections();
                    return 0;
                });
                release.countDown();
                start.await(20, TimeUnit.SECONDS);
                assertThat(body.readAllBytes()).hasSize(2);
                r.close();
                assertThat(closer.join(Lifecycle.BOUND)).isTrue();
                assertThat(closer.error()).isNull();
                TransportStats s = t.stats();
                if (s.open() != 0 || s.idle() != 0) {
                    failures.add(i + ": " + s);
                }
            }
        }
        assertThat(failures.subList(0, Math.min(5, failures.size()))).as("%d of %d rounds (the first 5)", failures.size(), rounds)
                .isEmpty();
    }
}
