package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transport under resource pressure, where lifecycle bugs hide that single-request tests never show: thousands of
 * virtual-thread callers on one host behind {@code maxConnsPerHost(4)}, the transport closed in the middle of them
 * (E81), hundreds of callers against a server that never answers (E81), a thousand dials refused at once (P71), a
 * thousand bodies dropped unread at the per-host limit (E82), response heads exactly at their limits (P72).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PressureProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What a caller ended with, as a short key: its body, or its exception's type and what it says. */
    private static String outcome(Future<Object> f) throws Exception {
        Object o = f.get(60, TimeUnit.SECONDS);
        if (o instanceof RequestCancelledException e) {
            return "cancelled " + e.reason();
        }
        if (o instanceof HttpTimeoutException e) {
            return "timed out " + e.kind();
        }
        return o instanceof Throwable e ? e.getClass().getName() + ": " + e.getMessage() : (String) o;
    }

    @Test
    void E81_twoThousandCallersAtFourConnectionsAreEachAnsweredWithoutStarvation() throws Exception {
        int n = 2000;
        AtomicLong longestWait = new AtomicLong();
        // Each socket counts from the start of its dial until its close has returned (the pool frees a slot only after
        // that, E2): the limit bounds connections at once (T8, as Go's MaxConnsPerHost), not dials over the storm. A
        // connection that ends in the storm is replaced; a count of dials called that a breach (it failed so once under
        // heavy load: dialed=5, open=4, no retry).
        AtomicInteger open = new AtomicInteger();
        AtomicInteger mostOpen = new AtomicInteger();
        Dialer counted = HookedSocket.dialer(() -> new HookedSocket() {
            private final AtomicBoolean closed = new AtomicBoolean();

            {
                mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            }

            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    if (closed.compareAndSet(false, true)) {
                        open.decrementAndGet();
                    }
                }
            }
        });
        // The first answer ends its connection (Connection: close), as a server may at any time, once callers are
        // queued at the limit: the storm goes on over a new connection in its place, never over five at once.
        AtomicBoolean first = new AtomicBoolean(true);
        CountDownLatch queued = new CountDownLatch(1);
        try (JdkServer server = JdkServer.http(ex -> {
                 if (first.getAndSet(false)) {
                     try {
                         queued.await(60, TimeUnit.SECONDS);
                     } catch (InterruptedException e) {
                         Thread.currentThread().interrupt();
                     }
                     ex.getResponseHeaders().set("Connection", "close");
                 }
                 JdkServer.respond(ex, 200, "ok" + ex.getRequestURI().getPath());
             });
             Transport t = Transport.builder().maxConnsPerHost(4).maxIdleConnsPerHost(4).dialer(counted).build();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String path = "/" + i;
                fs.add(callers.submit(() -> {
                    long t0 = System.nanoTime();
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri(path)).build())) {
                        String body = r.body().string();
                        longestWait.accumulateAndGet(System.nanoTime() - t0, Math::max);
                        return body;
                    } catch (Throwable e) {
                        return e;
                    }
                }));
            }
            try {
                Leaks.awaitTrue(() -> t.stats().waiting() >= 100, "callers queued at the limit");
            } finally {
                queued.countDown(); // also when the wait failed: the held answer ends, and the test with it
            }
            for (int i = 0; i < n; i++) {
                assertThat(outcome(fs.get(i))).as("caller %d", i).isEqualTo("ok/" + i);
            }
            // No waiter starves: the queue is served in arrival order, so none waits much longer than the whole storm
            // (a generous bound, not a speed: the storm takes a couple of seconds on a loaded machine).
            assertThat(Duration.ofNanos(longestWait.get())).isLessThan(Duration.ofSeconds(45));
            TransportStats s = t.stats();
            assertThat(mostOpen.get()).as("never more than the limit at once: %s", s).isLessThanOrEqualTo(4);
            assertThat(s.dialed()).as("the closed connection was replaced: %s", s).isGreaterThan(4);
            // Every socket the pool no longer counts is closed: a connection closed in the storm left nothing behind.
            assertThat(open.get()).as("sockets still open: %s", s).isEqualTo(s.open());
            // Every request not on a new connection took a pooled one (a dial whose request was served first by a
            // connection put back, E54, hands its own to a waiter, so one more hand-out may be counted).
            assertThat(s.reused()).isGreaterThanOrEqualTo(n - s.dialed());
            assertThat(s.inUse()).isZero();
            assertThat(s.waiting()).isZero();
            assertThat(s.open()).isEqualTo(s.idle());
        }
    }

    @Test
    void E81_closingTheTransportMidStormEndsEveryCallerWithItsAnswerOrTheClose() throws Exception {
        int n = 2000;
        CountDownLatch someAnswered = new CountDownLatch(300);
        Dones dones = new Dones();
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "ok"));
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
             Transport t = Transport.builder().maxConnsPerHost(4).maxIdleConnsPerHost(4).listener(dones).build()) {
            List<Future<Object>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(callers.submit(() -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build())) {
                        String body = r.body().string();
                        someAnswered.countDown();
                        return body;
                    } catch (Throwable e) {
                        return e;
                    }
                }));
            }
            assertThat(someAnswered.await(60, TimeUnit.SECONDS)).isTrue();
            t.close();
            TransportStats s = t.stats();
            assertThat(List.of(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
            Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
            for (Future<Object> f : fs) {
                kinds.computeIfAbsent(outcome(f), k -> new AtomicInteger()).incrementAndGet();
            }
            assertThat(kinds).as("each caller: its answer or the close").containsOnlyKeys("ok", "cancelled TRANSPORT_CLOSED");
            assertThat(kinds.get("ok").get()).isGreaterThanOrEqualTo(300);
            Leaks.awaitTrue(() -> dones.done.size() == n, "a done() for each request");
            assertThat(dones.done.values()).allSatisfy(l -> assertThat(l).hasSize(1));
        }
    }

    @Test
    void E81_fiveHundredCallersAgainstAServerThatNeverAnswersEachTimeOut() throws Exception {
        int n = 500;
        CountDownLatch allEnded = new CountDownLatch(1);
        AtomicInteger closedByClient = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 // Accepts, never reads nor answers while the callers wait; afterwards sees each connection's end.
                 allEnded.await(60, TimeUnit.SECONDS);
                 c.readUntilClosed();
                 closedByClient.incrementAndGet();
             });
             Transport t = Transport.builder().build();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(callers.submit(() -> {
                    HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(2)).build();
                    try (HttpResponse r = t.roundTrip(req)) {
                        return "answered " + r.status();
                    } catch (Throwable e) {
                        return e;
                    }
                }));
            }
            Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
            for (Future<Object> f : fs) {
                kinds.computeIfAbsent(outcome(f), k -> new AtomicInteger()).incrementAndGet();
            }
            allEnded.countDown();
            assertThat(kinds).as("each caller: its own timeout").containsOnlyKeys("timed out REQUEST");
            TransportStats s = t.stats();
            assertThat(List.of(s.open(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
            // Every connection the server accepted ends (a dial its request gave up on in the accept queue is one too;
            // one whose SYN the full queue dropped never was).
            Leaks.awaitTrue(() -> closedByClient.get() == server.accepted(),
                    "the server to see every connection end: " + closedByClient.get() + " of " + server.accepted());
            assertThat(server.accepted()).isPositive();
        }
    }

    /**
     * P71: a thousand callers whose dials are refused at once each get a {@link ConnectException} naming the origin
     * ({@code http://127.0.0.1:PORT}); the dials' slots are all given back, so a request to a good host is served
     * and the next dial to the dead one is refused again, not queued. Before, the exception said only "Connection
     * refused", naming no peer, where every other dial failure (a timeout, a proxy refusing, a TLS handshake) names it.
     */
    @Test
    void P71_aThousandRefusedDialsEachNameTheirPeerAndGiveTheirSlotsBack() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort(); // closed again: nothing listens there
        }
        URI dead = URI.create("http://127.0.0.1:" + deadPort + "/");
        try (JdkServer good = JdkServer.http(ex -> JdkServer.respond(ex, 200, "good"));
             Transport t = Transport.builder().maxConnsPerHost(4).build();
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                fs.add(callers.submit(() -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(dead).build())) {
                        return "answered " + r.status();
                    } catch (Throwable e) {
                        return e;
                    }
                }));
            }
            Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
            for (Future<Object> f : fs) {
                kinds.computeIfAbsent(outcome(f), k -> new AtomicInteger()).incrementAndGet();
            }
            assertThat(kinds).hasSize(1);
            assertThat(kinds.keySet().iterator().next())
                    .startsWith(ConnectException.class.getName() + ": ")
                    .contains("127.0.0.1:" + deadPort); // named by the default dialer (R82) or as the peer (P71)
            TransportStats s = t.stats();
            assertThat(List.of(s.open(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(good.uri("/")).build())) {
                assertThat(r.body().string()).isEqualTo("good");
            }
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.newBuilder(dead).timeout(Duration.ofSeconds(20)).build()))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageContaining("127.0.0.1:" + deadPort)
                    .cause().isInstanceOf(ConnectException.class); // the JDK's own, as it was
        }
    }

    /**
     * E82: a caller that drops a thousand response bodies unread and unclosed, one after the other, at
     * {@code maxConnsPerHost(4)}: each request past the fourth waits for a connection only the collector can give
     * back (the unclosed-body watch closes a dropped body's connection, E4), is served once it does, and the pool
     * keeps working: every request is answered, all the dropped connections are closed, the next request is served.
     */
    @Test
    void E82_aThousandDroppedBodiesAtTheLimitAreReclaimedAndThePoolKeepsServing() throws Exception {
        AtomicInteger served = new AtomicInteger();
        try (JdkServer server = JdkServer.http(ex -> {
                 served.incrementAndGet();
                 JdkServer.respond(ex, 200, "x".repeat(1000));
             });
             Transport t = Transport.builder().maxConnsPerHost(4).build()) {
            // The collector runs when the heap asks for it; a quiet test heap never does, so a helper asks, but only
            // while something waits on it: a request queued for a connection that only a dropped body's reclaim gives
            // back, or, once every request is sent, the last dropped bodies' connections. A collection nothing waits on
            // (a full one, tens of ms on a loaded machine) only slowed the requests between. The helper looks on a pace,
            // not an order: the test waits on the transport's answers.
            AtomicBoolean allSent = new AtomicBoolean();
            AtomicInteger stop = new AtomicInteger();
            BooleanSupplier needed = () -> {
                TransportStats s = t.stats();
                return s.waiting() > 0 || allSent.get() && s.open() > 0;
            };
            Thread collector = Thread.ofVirtual().start(() -> {
                while (stop.get() == 0) {
                    if (needed.getAsBoolean()) {
                        System.gc();
                        // The reclaim runs on threads of its own after the collection: up to 20 ms for it to answer the
                        // need before the next collection.
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                        while (stop.get() == 0 && needed.getAsBoolean() && System.nanoTime() < until) {
                            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                        }
                    } else {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                    }
                }
            });
            try {
                for (int i = 0; i < 1000; i++) {
                    assertThat(dropOne(t, server.uri("/" + i))).isEqualTo(200);
                }
                allSent.set(true);
                Leaks.awaitTrue(() -> t.stats().open() == 0, "every dropped body's connection reclaimed: " + t.stats());
            } finally {
                stop.set(1);
                collector.join();
            }
            assertThat(served.get()).isEqualTo(1000);
            assertThat(t.stats().dialed()).isLessThanOrEqualTo(1000);
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).build())) {
                assertThat(r.body().string()).hasSize(1000);
            }
        }
    }

    /** A response whose body is dropped unread and unclosed as this frame ends. */
    private static int dropOne(Transport t, URI uri) throws Exception {
        HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build());
        return r.status();
    }

    /**
     * P72: the response-head limits are exact. A head of 100 fields and about 8 KiB, with {@code maxHeaderBytes} equal
     * to its size counted from the status line to the blank line that ends it, and {@code maxHeaderCount} equal to
     * its number of fields, is read whole and its connection reused; the same head with a limit one byte or one field
     * smaller fails with {@code HEADERS_TOO_LARGE} or {@code TOO_MANY_HEADERS} and closes the connection.
     */
    @Test
    void P72_aHeadExactlyAtItsLimitsIsReadAndOneByteOrFieldOverIsRefused() throws Exception {
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 99; i++) {
            head.append(String.format("X-F%02d: %s\r\n", i, "v".repeat(70)));
        }
        head.append("Content-Length: 2\r\n\r\n");
        int bytes = head.length();
        assertThat(bytes).isBetween(7 * 1024, 8 * 1024);
        String answer = head + "ok";
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequestHead() != null) {
                     c.write(answer);
                 }
             })) {
            for (int[] limits : new int[][] {{bytes, 100}, {8 * 1024, 100}}) {
                try (Transport t = Transport.builder().responseLimits(1024, limits[0], limits[1]).build()) {
                    for (int i = 0; i < 2; i++) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build())) {
                            assertThat(r.headers().get("X-F98")).isEqualTo("v".repeat(70));
                            assertThat(r.body().string()).isEqualTo("ok");
                        }
                    }
                    assertThat(t.stats().dialed()).as("reused").isEqualTo(1);
                }
            }
            Object[][] over = {{bytes - 1, 100, Reason.HEADERS_TOO_LARGE}, {bytes, 99, Reason.TOO_MANY_HEADERS}};
            for (Object[] o : over) {
                try (Transport t = Transport.builder().responseLimits(1024, (int) o[0], (int) o[1]).build()) {
                    assertThatThrownBy(() -> t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build()).close())
                            .isInstanceOfSatisfying(HttpProtocolException.class,
                                    e -> assertThat(e.reason()).isEqualTo(o[2]));
                    assertThat(t.stats().open()).isZero();
                }
            }
        }
    }
}
