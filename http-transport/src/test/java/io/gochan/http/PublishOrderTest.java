package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rules E29–E33 (docs/spec/transport-lifecycle.md): the transport publishes nothing (a counter, a
 * returning {@code close()}, a flight-recorder event, a failure, a listener event) before what it describes
 * is complete, and nothing of one attempt or connection leaks into the next. Each probe looks at the state
 * at the moment it is published; loops are short, time is only an upper bound.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class PublishOrderTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static boolean cancelledByClose(Throwable e) {
        return e instanceof RequestCancelledException rc && rc.reason() == RequestCancelledException.Reason.TRANSPORT_CLOSED;
    }

    private static List<String> dialGoroutines() {
        return Leaks.transportGoroutines().stream().map(io.gochan.Goroutine::name).filter(n -> n.startsWith("http-dial ")).toList();
    }

    /**
     * E29: eight requests are dialing (their dialer blocks until interrupted, then, half of them, connects
     * anyway: a dial whose outcome comes after the close) when the transport closes: when {@code close()}
     * returns, no dial is under way or counted, every socket a dial made is closed, and every request fails
     * as cancelled, none with a connection. Before the fix {@code close()} only interrupted the dials and
     * returned: the counters still said {@code dialing} and a late dial's socket was still open.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E29_closeReturnsOnlyOnceEveryDialHasEndedAndItsSocketIsClosed() throws Exception {
        int dials = 8;
        int iterations = 15;
        List<String> failures = new ArrayList<>();
        try (RawServer server = RawServer.answeringOk()) {
            for (int i = 0; i < iterations; i++) {
                List<Socket> made = new CopyOnWriteArrayList<>();
                AtomicInteger n = new AtomicInteger();
                try (Transport t = Transport.builder().dialer((host, port, timeout) -> {
                    boolean connectAnyway = n.incrementAndGet() % 2 == 0;
                    try {
                        new CountDownLatch(1).await(); // "connecting" until the transport's close interrupts it
                    } catch (InterruptedException e) {
                        if (!connectAnyway) {
                            throw new InterruptedIOException("dial interrupted");
                        }
                    }
                    Socket s = new Socket();
                    made.add(s);
                    s.connect(new InetSocketAddress(host, port)); // the interrupt was consumed: it connects
                    return s;
                }).build()) {
                    List<Caller<Integer>> callers = new ArrayList<>();
                    for (int k = 0; k < dials; k++) {
                        callers.add(Caller.virtual("get-" + k, () -> {
                            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                                return r.status();
                            }
                        }));
                    }
                    Lifecycle.await(() -> t.stats().dialing() == dials, Lifecycle.BOUND, "every request dialing");
                    t.close();
                    TransportStats s = t.stats();
                    List<String> running = dialGoroutines();
                    long open = made.stream().filter(x -> !x.isClosed()).count();
                    if (s.dialing() != 0 || s.open() != 0 || !running.isEmpty() || open != 0) {
                        failures.add(i + ": after close(): " + s + ", dial goroutines " + running + ", sockets open " + open);
                    }
                    for (Caller<Integer> c : callers) {
                        assertThat(c.join(Lifecycle.BOUND)).as("request ended").isTrue();
                        if (!cancelledByClose(c.error())) {
                            failures.add(i + ": request ended with " + (c.error() != null ? c.error() : c.value()));
                        }
                    }
                }
            }
        }
        assertThat(failures).as("%d of %d closes", failures.size(), iterations).isEmpty();
    }

    /**
     * E29: a dial is in name resolution (a resolver that ignores interrupts, as the system's does) when the
     * transport closes: {@code close()} does not wait for it, and when it returns nothing is counted
     * ({@code dialing} zero); the request fails at once as cancelled; and when the resolver finally answers,
     * the dial opens no connection. Before the fix the dial stayed counted and its request waited for the
     * resolver.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E29_aDialInNameResolutionHoldsNeitherCloseNorItsRequestAndConnectsNothing() throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            CountDownLatch resolving = new CountDownLatch(1);
            CountDownLatch answer = new CountDownLatch(1);
            Resolver stubborn = host -> {
                resolving.countDown();
                Lifecycle.awaitUninterruptibly(answer); // an interrupt ignored (and kept), as InetAddress.getAllByName does
                return List.of(InetAddress.getLoopbackAddress());
            };
            try (Transport t = Transport.builder().resolver(stubborn).build()) {
                Caller<Integer> get = Caller.virtual("get", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get("http://service.test:" + server.port() + "/"))) {
                        return r.status();
                    }
                });
                try {
                    assertThat(resolving.await(20, TimeUnit.SECONDS)).isTrue();
                    Caller<TransportStats> closer = Caller.virtual("close", () -> {
                        t.close();
                        return t.stats();
                    });
                    assertThat(closer.join(Lifecycle.BOUND)).as("close() returned while the resolver still ran").isTrue();
                    assertThat(closer.value()).as("counters when close() returned")
                            .isEqualTo(new TransportStats(0, 0, 0, 0, 0, 0, 0, 0));
                    assertThat(get.join(Lifecycle.BOUND)).as("the request ended while the resolver still ran").isTrue();
                    assertThat(get.error()).matches(PublishOrderTest::cancelledByClose, "cancelled by the close: " + get.error());
                } finally {
                    answer.countDown();
                    get.abandon(() -> { });
                }
                Leaks.awaitTrue(() -> dialGoroutines().isEmpty(), "the dial ended");
                assertThat(server.accepted()).as("connections the late dial opened").isZero();
                assertThat(t.stats().dialed()).isZero();
            }
        }
    }

    /**
     * E29: the default dialer races the two address families of a dual-stack name, and both attempts hang
     * (a full listen queue plays an unreachable address) when the transport closes: when {@code close()}
     * returns, neither the dial nor its racing attempts are still running, and the request fails as cancelled.
     * Before the fix {@code close()} returned while the dial ran; the dial itself now also joins its two
     * interrupted racers before it ends.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E29_closeReturnsOnlyOnceBothFamiliesOfARacingDialHaveEnded() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        InetAddress v4Other = InetAddress.getByName("127.0.0.2");
        int iterations = 5;
        List<String> failures = new ArrayList<>();
        try (RawServer server = RawServer.answeringOk();
             io.gochan.http.testing.StalledListener s6 = io.gochan.http.testing.StalledListener.on(new InetSocketAddress(v6, server.port()));
             io.gochan.http.testing.StalledListener s4 = io.gochan.http.testing.StalledListener.on(new InetSocketAddress(v4Other, server.port()))) {
            for (int i = 0; i < iterations; i++) {
                try (Transport t = Transport.builder().fallbackDelay(Duration.ofMillis(1))
                        .resolver(host -> List.of(v6, v4Other)).build()) {
                    Caller<Integer> get = Caller.virtual("get", () -> {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get("http://dual.test:" + server.port() + "/"))) {
                            return r.status();
                        }
                    });
                    Lifecycle.await(() -> Leaks.transportGoroutines().stream().filter(g -> g.name().startsWith("http-dial-race")).count() == 2,
                            Lifecycle.BOUND, "both families dialing");
                    t.close();
                    List<String> running = Leaks.transportGoroutines().stream().map(io.gochan.Goroutine::name)
                            .filter(n -> n.startsWith("http-dial")).toList();
                    if (!running.isEmpty()) {
                        failures.add(i + ": still running after close(): " + running);
                    }
                    assertThat(get.join(Lifecycle.BOUND)).isTrue();
                    assertThat(get.error()).matches(PublishOrderTest::cancelledByClose, "cancelled by the close: " + get.error());
                }
            }
        }
        assertThat(failures).as("%d of %d closes", failures.size(), iterations).isEmpty();
    }

    /**
     * E30: idle connections leave the pool to be closed ({@link Transport#closeIdleConnections()}, or the idle
     * reaper) while another thread reads the counters: no snapshot counts any of them in use (nothing is in
     * use in this test), and {@code open} is always {@code idle + inUse}. Before the fix a connection taken off
     * the idle list counted as in use until its close had freed its slot.
     */
    @ParameterizedTest(name = "reaper: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E30_aConnectionLeavingThePoolToBeClosedIsNeverCountedInUse(boolean reaper) throws Exception {
        int idle = 16;
        int iterations = 12;
        List<String> failures = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.answeringOk()) {
            for (int i = 0; i < iterations; i++) {
                Transport t = Transport.builder().maxIdleConnsPerHost(idle)
                        .idleConnTimeout(reaper ? Duration.ofMillis(100) : Duration.ofSeconds(90)).build();
                try {
                    IdleConnections.fill(t, server.uri("/"), idle);
                    if (!reaper) {
                        // the reaper may have begun already; idle, or closed when its write loop's word came late (E138)
                        assertThat(t.stats().inUse()).isZero();
                    }
                    AtomicBoolean stop = new AtomicBoolean();
                    int round = i;
                    Caller<Integer> sampler = Caller.virtual("stats", () -> {
                        int samples = 0;
                        while (!stop.get()) {
                            TransportStats s = t.stats();
                            samples++;
                            if (s.inUse() != 0 || s.open() != s.idle() + s.inUse() || s.inUse() < 0) {
                                failures.add(round + ": " + s);
                                return samples;
                            }
                        }
                        return samples;
                    });
                    if (!reaper) {
                        t.closeIdleConnections();
                    }
                    Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "every idle connection closed");
                    stop.set(true);
                    assertThat(sampler.join(Lifecycle.BOUND)).isTrue();
                    assertThat(sampler.error()).isNull();
                } finally {
                    t.close();
                }
            }
        }
        assertThat(failures).as("snapshots counting a closing connection in use, in %d rounds", iterations).isEmpty();
    }

    /**
     * E31: the server closes each connection a random few microseconds after answering, as the next request
     * takes it from the pool: each connection's flight-recorder events come as opened, reused (any number),
     * closed; a "reused" event never follows its connection's "closed" event, nor describes a closed
     * connection. Before the fix the request committed "reused" after taking the connection, by which time
     * the read loop might have closed it and committed "closed". Some request must have reused a connection (the
     * race was run): on a loaded machine the server's close can come before every next request, so the requests go
     * on until one was handed a pooled connection (at most ten times as many, within 60 s), every event checked; a
     * race never met still fails.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E31_aConnectionsReusedEventsComeBetweenItsOpenedAndClosedEvents(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("reuse.jfr");
        Random serverRnd = new Random(11);
        int requests = 1500;
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
            try (Transport t = Transport.builder().build()) {
                long extraUntil = Lifecycle.nanosFromNow(Duration.ofSeconds(60));
                for (int i = 0; Lifecycle.goOn(i, requests, t.stats().reused() > 0, extraUntil); i++) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + i).toString()))) {
                        r.body().string();
                    }
                }
            }
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().isEmpty(), "loops ended");
            rec.stop();
            rec.dump(file);
        }
        Map<String, Instant> opened = new HashMap<>();
        Map<String, Instant> closed = new HashMap<>();
        Map<String, List<Instant>> reused = new HashMap<>();
        List<String> wrong = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("io.gochan.http.Connection")) {
                continue;
            }
            String conn = e.getString("connection");
            String id = conn.substring(0, conn.indexOf(' '));
            switch (e.getString("action")) {
                case "opened" -> opened.put(id, e.getStartTime());
                case "closed" -> closed.put(id, e.getEndTime());
                case "reused" -> {
                    reused.computeIfAbsent(id, k -> new ArrayList<>()).add(e.getStartTime());
                    if (conn.endsWith("(closed)")) {
                        wrong.add(conn + ": reused describes a closed connection");
                    }
                }
                default -> { }
            }
        }
        int reuses = 0;
        for (var r : reused.entrySet()) {
            Instant o = opened.get(r.getKey());
            Instant c = closed.get(r.getKey());
            for (Instant at : r.getValue()) {
                reuses++;
                if (o == null || c == null || at.isBefore(o) || at.isAfter(c)) {
                    wrong.add(r.getKey() + ": opened " + o + ", reused " + at + ", closed " + c);
                }
            }
        }
        assertThat(reuses).as("reuses (the race was run)").isPositive();
        assertThat(wrong).as("%d of %d reuses", wrong.size(), reuses).isEmpty();
    }

    /** A request body source that gives a byte, then blocks until it is closed; its close may take a moment. */
    private static final class BlockingSource extends InputStream {
        private final CountDownLatch closing = new CountDownLatch(1);
        /** Counted down when a read blocks: the write loop waits in this source. */
        final CountDownLatch blocked = new CountDownLatch(1);
        private final long closeNanos;
        final AtomicBoolean closed = new AtomicBoolean();
        private boolean gaveBytes;

        /** @param closeNanos how long its close works (flushes, releases) after it unblocked the read */
        BlockingSource(long closeNanos) {
            this.closeNanos = closeNanos;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!gaveBytes) {
                gaveBytes = true;
                b[off] = 'x';
                return 1;
            }
            blocked.countDown();
            try {
                closing.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("source closed");
        }

        @Override
        public void close() {
            closing.countDown();
            long until = System.nanoTime() + closeNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            closed.set(true);
        }
    }

    /**
     * E32: the server answers an upload early (head and part of the body, before reading the request
     * body) and the request's deadline then passes while the caller reads the response body: when the read
     * fails (timed out), the request body's source is already closed, although the read loop, not the
     * caller, ended the exchange. Before the fix the connection's close woke whoever waited for it before
     * it closed the body source, so the caller was told first.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E32_anEarlyAnsweredRequestsBodySourceIsClosedBeforeItsFailureIsReported() throws Exception {
        int iterations = 10;
        int notReached = 0;
        List<String> failures = new ArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"); // and the rest never comes
                     while (c.in.read() >= 0) {
                         // what there is of the upload, until the client closes
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < iterations; i++) {
                BlockingSource source = new BlockingSource(2_000_000);
                HttpRequest post = HttpRequest.newBuilder(server.uri("/up" + i)).timeout(Duration.ofMillis(200))
                        .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
                Caller<String> caller = Caller.virtual("upload", () -> {
                    HttpResponse r;
                    try {
                        r = t.roundTrip(post);
                    } catch (HttpTimeoutException e) {
                        // The 200 ms passed before the early answer's head came back (a loaded machine): the
                        // deadline did not pass while the body was read, so the round did not reach the rule.
                        return "not reached";
                    }
                    try (r) {
                        InputStream in = r.body().stream();
                        try {
                            in.readAllBytes();
                            return "read to the end";
                        } catch (HttpTimeoutException e) {
                            return source.closed.get() ? "ok" : "the read failed before the source was closed: " + e;
                        }
                    }
                });
                assertThat(caller.join(Duration.ofSeconds(20))).as("the upload ended").isTrue();
                if ("not reached".equals(caller.value())) {
                    notReached++;
                } else if (!"ok".equals(caller.value())) {
                    failures.add(i + ": " + (caller.error() != null ? caller.error() : caller.value()));
                }
            }
        }
        assertThat(failures).as("%d of %d uploads", failures.size(), iterations).isEmpty();
        assertThat(notReached).as("uploads whose deadline passed before the answer's head (machine too loaded)")
                .isLessThan(iterations / 2);
    }

    /**
     * E32: the server answers an upload early, in full (streamed, chunked), and the caller reads that answer to
     * its end while the upload is still blocked in its source: the connection cannot be reused (its write never
     * ended), so it is closed; when the read that reports EOF returns, and when {@code done()} runs, the body's
     * source is closed. This order held before the fix too (the reader's thread closes the connection); the
     * test pins it.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E32_anEarlyAnsweredRequestReadToItsEndHasItsBodySourceClosedBeforeTheEofAndDone() throws Exception {
        int iterations = 5;
        List<String> failures = new ArrayList<>();
        java.util.Map<HttpRequest, Boolean> closedAtDone = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Map<HttpRequest, BlockingSource> sources = new java.util.concurrent.ConcurrentHashMap<>();
        RequestListener l = new RequestListener() {
            @Override
            public void done(HttpRequest r, Throwable error) {
                closedAtDone.put(r, sources.get(r).closed.get());
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
                     while (c.in.read() >= 0) {
                         // what there is of the upload, until the client closes
                     }
                 }
             });
             Transport t = Transport.builder().listener(l).build()) {
            for (int i = 0; i < iterations; i++) {
                BlockingSource source = new BlockingSource(2_000_000);
                HttpRequest post = HttpRequest.newBuilder(server.uri("/up" + i))
                        .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
                sources.put(post, source);
                try (HttpResponse r = t.roundTrip(post)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                    if (!source.closed.get()) {
                        failures.add(i + ": EOF returned before the source was closed");
                    }
                }
                if (!Boolean.TRUE.equals(closedAtDone.get(post))) {
                    failures.add(i + ": done() before the source was closed: " + closedAtDone.get(post));
                }
            }
        }
        assertThat(failures).as("%d of %d uploads", failures.size(), iterations).isEmpty();
    }

    /**
     * E32: the transport closes while a request's upload waits in its body source, before any answer: the
     * request fails as cancelled, and its source is closed before it fails, by the request's own thread
     * (E18), not by the close; so {@code close()} may return first. That order is deliberate: closing the
     * source under the write loop before the request has decided its outcome would make the source's
     * failure look like the caller's own (E5).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E32_anUnansweredUploadsBodySourceIsClosedBeforeItsRequestFails() throws Exception {
        int iterations = 5;
        List<String> failures = new ArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     while (c.in.read() >= 0) {
                         // the upload, never answered, until the client closes
                     }
                 }
             })) {
            for (int i = 0; i < iterations; i++) {
                try (Transport t = Transport.builder().build()) {
                    BlockingSource source = new BlockingSource(2_000_000);
                    HttpRequest post = HttpRequest.newBuilder(server.uri("/up" + i))
                            .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
                    Caller<String> caller = Caller.virtual("upload", () -> {
                        try (HttpResponse r = t.roundTrip(post)) {
                            return "answered " + r.status();
                        } catch (RequestCancelledException e) {
                            return source.closed.get() ? "ok" : "failed before its source was closed: " + e;
                        }
                    });
                    assertThat(source.blocked.await(20, TimeUnit.SECONDS)).as("the write loop waits in the source").isTrue();
                    t.close();
                    assertThat(caller.join(Lifecycle.BOUND)).as("the upload ended").isTrue();
                    if (!"ok".equals(caller.value())) {
                        failures.add(i + ": " + (caller.error() != null ? caller.error() : caller.value()));
                    }
                }
            }
        }
        assertThat(failures).as("%d of %d uploads", failures.size(), iterations).isEmpty();
    }

    /**
     * E33: a request fails on a reused connection that the server closed after reading its head, while the
     * write loop is still blocked in the body's source, and is retried on a new connection: the listener
     * hears no event of the first attempt (here its {@code wroteRequest} with the failed write, once the
     * source's close unblocks it) after the retry's {@code getConn}. Before the fix the first attempt's
     * late {@code wroteRequest} came between the retry's events.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E33_noEventOfAFailedAttemptComesAfterItsRetryBegan() throws Exception {
        int iterations = 8;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            AtomicReference<HttpRequest> watched = new AtomicReference<>();
            List<String> events = new CopyOnWriteArrayList<>();
            RequestListener l = new RequestListener() {
                private void add(HttpRequest r, String what) {
                    if (r == watched.get()) {
                        events.add(what + " @" + Thread.currentThread().getName());
                    }
                }

                @Override
                public void getConn(HttpRequest r, String hostPort) {
                    add(r, "getConn");
                }

                @Override
                public void gotConn(HttpRequest r, boolean reused) {
                    add(r, "gotConn reused=" + reused);
                }

                @Override
                public void wroteHeaders(HttpRequest r) {
                    add(r, "wroteHeaders");
                }

                @Override
                public void wroteRequest(HttpRequest r, Throwable error) {
                    add(r, "wroteRequest " + (error == null ? "ok" : "failed"));
                }

                @Override
                public void gotFirstResponseByte(HttpRequest r) {
                    add(r, "gotFirstResponseByte");
                }

                @Override
                public void done(HttpRequest r, Throwable error) {
                    add(r, "done");
                }
            };
            try (RawServer server = RawServer.start(c -> {
                     if (c.index == 0) {
                         c.readRequest(); // the warm-up GET
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         c.readRequestHead(); // the PUT's head; then the server closes (its idle timeout)
                         return;
                     }
                     if (c.readRequestHead() != null) {
                         readChunkedBody(c.in);
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 });
                 Transport t = Transport.builder().listener(l).build()) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                    r.body().string();
                }
                AtomicInteger opens = new AtomicInteger();
                HttpRequest put = HttpRequest.newBuilder(server.uri("/put")).header("Idempotency-Key", "k" + i).PUT(RequestBody.ofStream(
                        () -> opens.incrementAndGet() == 1 ? new BlockingSource(0) : new java.io.ByteArrayInputStream(new byte[] {'a', 'b', 'c'}),
                        -1, "text/plain")).build(); // chunked: the head is flushed before the source blocks (E19)
                watched.set(put);
                try (HttpResponse r = t.roundTrip(put)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                // Every connection's write loop ended (the server closes both): the first attempt's late event, if
                // reported, has been.
                Leaks.awaitTrue(() -> Leaks.transportGoroutines().stream().noneMatch(g -> g.name().startsWith("http-write-loop")),
                        "the write loops ended");
                assertThat(t.stats().retries()).as("retried").isEqualTo(1);
            }
            int secondGetConn = -1;
            for (int k = 0, seen = 0; k < events.size(); k++) {
                if (events.get(k).startsWith("getConn") && ++seen == 2) {
                    secondGetConn = k;
                }
            }
            assertThat(secondGetConn).as("events %s", events).isPositive();
            // Only the retry got a response: its gotFirstResponseByte names the retry's connection ("#12 ").
            String retryConn = events.stream().filter(e -> e.startsWith("gotFirstResponseByte")).map(PublishOrderTest::loopId)
                    .findFirst().orElseThrow(() -> new AssertionError("no response byte: " + events));
            for (String e : events.subList(secondGetConn, events.size())) {
                if (e.contains("-loop#") && !loopId(e).equals(retryConn)) {
                    failures.add(i + ": " + events);
                    break;
                }
            }
        }
        assertThat(failures).as("%d of %d retried requests", failures.size(), iterations).isEmpty();
    }

    /** Reads a chunked request body up to its last chunk (this test's bodies have no trailers). */
    private static void readChunkedBody(InputStream in) throws IOException {
        byte[] end = "0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        int matched = 0;
        for (int b; matched < end.length && (b = in.read()) >= 0; ) {
            matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
        }
    }

    /** The connection of a loop event: "#12 " of "wroteRequest failed @http-write-loop#12 http://...". */
    private static String loopId(String event) {
        int at = event.indexOf("-loop#");
        int end = event.indexOf(' ', at);
        return event.substring(at + "-loop".length(), end + 1);
    }
}
