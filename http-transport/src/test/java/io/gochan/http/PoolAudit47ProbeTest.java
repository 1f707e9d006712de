package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Session 47 probes of the pool's policy and timeouts against Go's net/http Transport. */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolAudit47ProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static Socket plainDial(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static Caller<String> get(Transport t, String name, HttpRequest req, Context ctx) {
        return Caller.virtual(name, () -> {
            try (HttpResponse r = t.roundTrip(req, ctx)) {
                return r.body().string();
            }
        });
    }

    /** Item 1: FIFO at the limit; waiters that give up (cancel, interrupt, timeout) consume nothing. */
    @Test
    void fifoAtTheLimitAndWaitersThatGiveUpCostNothing() throws Exception {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     seen.add(c.index + head.split(" ", 3)[1]);
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()));
            Caller<String> b = get(t, "B", HttpRequest.get(server.uri("/b").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "B waits");
            CancellableContext cctx = Context.withCancel(Context.background());
            Caller<String> c = get(t, "C", HttpRequest.get(server.uri("/c").toString()), cctx);
            Lifecycle.await(() -> t.stats().waiting() == 2, Lifecycle.BOUND, "C waits");
            Caller<String> d = get(t, "D", HttpRequest.get(server.uri("/d").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 3, Lifecycle.BOUND, "D waits");
            Caller<String> e = get(t, "E", HttpRequest.newBuilder(server.uri("/e")).timeout(Duration.ofMillis(300)).build(),
                    Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 4, Lifecycle.BOUND, "E waits");
            Caller<String> f = get(t, "F", HttpRequest.get(server.uri("/f").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 5, Lifecycle.BOUND, "F waits");
            cctx.cancel();
            d.thread.interrupt();
            assertThat(c.join(Lifecycle.BOUND)).isTrue();
            assertThat(d.join(Lifecycle.BOUND)).isTrue();
            assertThat(e.join(Lifecycle.BOUND)).isTrue();
            assertThat(c.error()).isInstanceOfSatisfying(RequestCancelledException.class,
                    x -> assertThat(x.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
            assertThat(d.error()).isInstanceOf(InterruptedException.class);
            assertThat(e.error()).isInstanceOfSatisfying(HttpTimeoutException.class,
                    x -> assertThat(x.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
            assertThat(t.stats().waiting()).isEqualTo(2);
            assertThat(t.stats().dialing()).isZero();
            assertThat(b.thread.isAlive() && f.thread.isAlive()).isTrue();
            try (a) {
                assertThat(a.body().string()).isEqualTo("ok");
            }
            assertThat(b.join(Lifecycle.BOUND)).isTrue();
            assertThat(f.join(Lifecycle.BOUND)).isTrue();
            assertThat(b.value()).isEqualTo("ok");
            assertThat(f.value()).isEqualTo("ok");
            assertThat(List.copyOf(seen)).containsExactly("0/a", "0/b", "0/f");
            assertThat(server.accepted()).isEqualTo(1);
            TransportStats s = t.stats();
            assertThat(s.open()).isEqualTo(1);
            assertThat(s.idle()).isEqualTo(1);
        }
    }

    /** Item 1: a failed dial for a freed slot fails only the waiter it was started for; the next waiter dials. */
    @Test
    void aFailedDialFailsOnlyItsOwnWaiterAndFreesTheSlot() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        Dialer dialer = (host, port, timeout) -> {
            if (dials.incrementAndGet() == 2) {
                throw new ConnectException("probe refusal of the second dial");
            }
            return plainDial(host, port, timeout);
        };
        CountDownLatch aRest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /a ")) {
                         c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nok");
                         aRest.await();
                         c.write("ok");
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(1).build()) {
            HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()));
            Caller<String> b = get(t, "B", HttpRequest.get(server.uri("/b").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "B waits");
            Caller<String> c = get(t, "C", HttpRequest.get(server.uri("/c").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 2, Lifecycle.BOUND, "C waits");
            aRest.countDown();
            try (a) {
                assertThat(a.body().string()).isEqualTo("okok");
            }
            assertThat(b.join(Lifecycle.BOUND)).isTrue();
            assertThat(c.join(Lifecycle.BOUND)).isTrue();
            assertThat(b.error()).isInstanceOf(ConnectException.class).hasStackTraceContaining("probe refusal");
            assertThat(c.error()).isNull();
            assertThat(c.value()).isEqualTo("ok");
            assertThat(dials.get()).isEqualTo(3);
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    /** Item 1: under no limit, concurrent dials: one failing fails only its own request. */
    @Test
    void concurrentDialsOneFailsOthersServed() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        CountDownLatch allDialing = new CountDownLatch(3);
        Dialer dialer = (host, port, timeout) -> {
            int n = dials.incrementAndGet();
            allDialing.countDown();
            try {
                allDialing.await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException("interrupted");
            }
            if (n == 2) {
                throw new ConnectException("probe refusal " + n);
            }
            return plainDial(host, port, timeout);
        };
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().dialer(dialer).build()) {
            List<Caller<String>> callers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                callers.add(get(t, "R" + i, HttpRequest.get(server.uri("/" + i).toString()), Context.background()));
            }
            int failed = 0;
            for (Caller<String> c : callers) {
                assertThat(c.join(Lifecycle.BOUND)).isTrue();
                if (c.error() != null) {
                    failed++;
                    assertThat(c.error()).hasStackTraceContaining("probe refusal 2");
                } else {
                    assertThat(c.value()).isEqualTo("ok");
                }
            }
            // Go: each request's dial delivers to its own wantConn (or, since E54, a connection put back meanwhile may
            // serve the request whose dial fails: then nobody fails).
            assertThat(failed).isLessThanOrEqualTo(1);
        }
    }

    /** Item 2: a request that gives up while its dial is held: the dial ends, the slot goes to the waiter. */
    @Test
    void aDialWhoseRequestGaveUpFreesTheSlotForTheWaiter() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        CountDownLatch held = new CountDownLatch(1);
        AtomicLong firstClosed = new AtomicLong();
        Dialer dialer = (host, port, timeout) -> {
            Socket s = plainDial(host, port, timeout);
            if (dials.incrementAndGet() == 1) {
                held.countDown();
                try {
                    new CountDownLatch(1).await(); // until interrupted: the contract's give-up
                } catch (InterruptedException e) {
                    s.close();
                    firstClosed.set(System.nanoTime());
                    throw new InterruptedIOException("dial interrupted");
                }
            }
            return s;
        };
        CountDownLatch firstEof = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     c.write(RawServer.OK);
                 }
                 if (c.index == 0) {
                     firstEof.countDown();
                 }
             });
             Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(1).build()) {
            CancellableContext cctx = Context.withCancel(Context.background());
            Caller<String> a = get(t, "A", HttpRequest.get(server.uri("/a").toString()), cctx);
            assertThat(held.await(15, TimeUnit.SECONDS)).isTrue();
            Caller<String> b = get(t, "B", HttpRequest.get(server.uri("/b").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "B waits");
            cctx.cancel();
            assertThat(a.join(Lifecycle.BOUND)).isTrue();
            assertThat(a.error()).isInstanceOf(RequestCancelledException.class);
            assertThat(b.join(Lifecycle.BOUND)).isTrue();
            assertThat(b.error()).isNull();
            assertThat(firstEof.await(15, TimeUnit.SECONDS)).as("the abandoned dial's socket closed").isTrue();
            assertThat(t.stats().open()).isEqualTo(1);
        }
    }

    /** Item 3: idle timeout with real sockets: closed after it, not before, and the next request dials. */
    @Test
    void anIdleConnectionIsClosedAfterItsTimeoutAndNeverHandedOutAfter() throws Exception {
        Duration idle = Duration.ofMillis(300);
        Map<Integer, Long> eofAt = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(RawServer.OK);
                 }
                 eofAt.put(c.index, System.nanoTime());
             });
             Transport t = Transport.builder().idleConnTimeout(idle).build()) {
            long before = System.nanoTime();
            long beforeEnd;
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/1").toString()))) {
                beforeEnd = System.nanoTime(); // the connection goes idle inside the read below, not before
                assertThat(r.body().string()).isEqualTo("ok");
            }
            Lifecycle.await(() -> eofAt.containsKey(0), Lifecycle.BOUND, "the idle connection closed");
            assertThat(eofAt.get(0) - beforeEnd).as("closed no earlier than its timeout")
                    .isGreaterThanOrEqualTo(idle.toNanos() - TimeUnit.MILLISECONDS.toNanos(5));
            assertThat(eofAt.get(0) - before).isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(t.stats().open()).isZero();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/2").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    /**
     * Item 3: per-host idle limit: Go's tryPutIdleConn refuses the connection being put back (errTooManyIdleHost),
     * keeping the ones already idle; the total limit evicts the least recently used (idleLRU.removeOldest).
     */
    @Test
    void idleLimitsPerHostRefuseTheNewcomerAndInTotalEvictTheOldest() throws Exception {
        Queue<String> eofs = new ConcurrentLinkedQueue<>();
        RawServer.Handler h = c -> {
            while (c.readRequest() != null) {
                c.write(RawServer.OK);
            }
            eofs.add(c.socket.getLocalPort() + "#" + c.index);
        };
        try (RawServer x = RawServer.start(h); RawServer y = RawServer.start(h);
             Transport t = Transport.builder().maxIdleConnsPerHost(1).maxIdleConns(1).build()) {
            HttpResponse a = t.roundTrip(HttpRequest.get(x.uri("/a").toString()));
            HttpResponse b = t.roundTrip(HttpRequest.get(x.uri("/b").toString()));
            assertThat(x.accepted()).isEqualTo(2);
            try (a) {
                assertThat(a.body().string()).isEqualTo("ok");
            }
            try (b) {
                assertThat(b.body().string()).isEqualTo("ok");
            }
            Lifecycle.await(() -> eofs.size() == 1, Lifecycle.BOUND, "one closed");
            assertThat(eofs.peek()).as("per host: the newcomer (B's) is refused, as Go").isEqualTo(x.port() + "#1");
            try (HttpResponse r = t.roundTrip(HttpRequest.get(y.uri("/y").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            Lifecycle.await(() -> eofs.size() == 2, Lifecycle.BOUND, "two closed");
            assertThat(List.copyOf(eofs).get(1)).as("in total: the oldest (x's) is evicted").isEqualTo(x.port() + "#0");
            assertThat(t.stats().idle()).isEqualTo(1);
        }
    }

    /** Item 3: closeIdleConnections and close with requests in flight: they finish, or fail clearly; none hangs. */
    @Test
    void closeIdleAndCloseWithRequestsInFlight() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        CountDownLatch got = new CountDownLatch(2);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     got.countDown();
                     if (head.startsWith("GET /stall ")) {
                         c.holdWithoutReading();
                         return;
                     }
                     answer.await();
                     c.write(RawServer.OK);
                 }
             })) {
            Transport t = Transport.builder().build();
            Caller<String> a = get(t, "A", HttpRequest.get(server.uri("/a").toString()), Context.background());
            Caller<String> s = get(t, "S", HttpRequest.get(server.uri("/stall").toString()), Context.background());
            assertThat(got.await(15, TimeUnit.SECONDS)).isTrue();
            t.closeIdleConnections();
            answer.countDown();
            assertThat(a.join(Lifecycle.BOUND)).isTrue();
            assertThat(a.value()).isEqualTo("ok");
            t.close();
            assertThat(s.join(Lifecycle.BOUND)).isTrue();
            assertThat(s.error()).isInstanceOfSatisfying(RequestCancelledException.class,
                    x -> assertThat(x.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
            assertThat(t.stats().open()).isZero();
        }
    }

    /** Item 4: the response-header timeout covers the head only; a body slower than it is read whole. */
    @Test
    void theHeaderTimeoutDoesNotCoverTheBody() throws Exception {
        Duration headerTimeout = Duration.ofMillis(200);
        CountDownLatch rest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
                     rest.await();
                     c.write("cd");
                 }
             });
             Transport t = Transport.builder().responseHeaderTimeout(headerTimeout).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                LockSupport.parkNanos(headerTimeout.multipliedBy(3).toNanos()); // the body waits past the head's bound
                rest.countDown();
                assertThat(r.body().string()).isEqualTo("abcd");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
        }
    }

    /** Item 4: a header timeout frees the slot for a waiter at the limit; the error names the timeout. */
    @Test
    void aHeaderTimeoutClosesTheConnectionAndTheWaiterDials() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /slow ")) {
                         c.readUntilClosed();
                         closed.countDown();
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).responseHeaderTimeout(Duration.ofMillis(300)).build()) {
            Caller<String> slow = get(t, "slow", HttpRequest.get(server.uri("/slow").toString()), Context.background());
            Lifecycle.await(() -> t.stats().inUse() == 1, Lifecycle.BOUND, "slow in flight");
            Caller<String> b = get(t, "B", HttpRequest.get(server.uri("/b").toString()), Context.background());
            assertThat(slow.join(Lifecycle.BOUND)).isTrue();
            assertThat(slow.error()).isInstanceOfSatisfying(HttpTimeoutException.class,
                    x -> assertThat(x.kind()).isEqualTo(HttpTimeoutException.Kind.RESPONSE_HEADERS))
                    .hasMessageContaining("response headers");
            assertThat(closed.await(15, TimeUnit.SECONDS)).isTrue();
            assertThat(b.join(Lifecycle.BOUND)).isTrue();
            assertThat(b.value()).isEqualTo("ok");
        }
    }

    /** Item 5: a dropped, never-closed body: its connection is reclaimed and the slot serves the next request. */
    @Test
    void aDroppedBodyIsReclaimedAndItsSlotServesTheNext() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /big ")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n0123456789");
                         c.readUntilClosed();
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            drop(t, server);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (t.stats().open() != 0 && System.nanoTime() < deadline) {
                System.gc();
                Thread.yield();
            }
            assertThat(t.stats().open()).isZero();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    private static void drop(Transport t, RawServer server) throws Exception {
        HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/big").toString()));
        assertThat(r.status()).isEqualTo(200);
    }

    /** Item 5: a body closed before its end closes the connection; the next request is unaffected. */
    @Test
    void aBodyClosedEarlyClosesItsConnection() throws Exception {
        CountDownLatch eof = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /big ")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n0123456789");
                         c.readUntilClosed();
                         eof.countDown();
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/big").toString()));
                 InputStream in = r.body().stream()) {
                assertThat(in.readNBytes(3)).hasSize(3);
            }
            assertThat(eof.await(15, TimeUnit.SECONDS)).isTrue();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }

    /** Item 6: a server that closes each keep-alive connection after its answer: each GET is sent once and succeeds. */
    @Test
    void aServerClosingEachKeepAliveConnectionNeverFailsOrRepeatsAGet() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequest();
                 if (head != null) {
                     seen.computeIfAbsent(head.split(" ", 3)[1], k -> new AtomicInteger()).incrementAndGet();
                     c.write(RawServer.OK);
                     c.awaitSentBytesAcknowledged(Duration.ofSeconds(10));
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 30; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + i).toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            for (int i = 0; i < 30; i++) {
                assertThat(seen.get("/" + i)).as("/" + i).hasValue(1);
            }
        }
    }

    /** Item 1 storm: dial failures at the limit go to one request each; nobody else fails for them. */
    @Test
    void dialFailuresAtTheLimitAreEachOneRequestsOnly() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        Dialer dialer = (host, port, timeout) -> {
            int n = dials.incrementAndGet();
            if (n % 3 == 0) {
                throw new ConnectException("probe refusal #" + n + "#");
            }
            return plainDial(host, port, timeout);
        };
        AtomicInteger served = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (served.incrementAndGet() % 2 == 0) {
                         c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(2).build()) {
            for (int round = 0; round < 5; round++) {
                List<Caller<String>> callers = new ArrayList<>();
                List<CancellableContext> ctxs = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    CancellableContext ctx = Context.withCancel(Context.background());
                    ctxs.add(ctx);
                    callers.add(get(t, "R" + i, HttpRequest.get(server.uri("/" + round + "-" + i).toString()), ctx));
                }
                for (int i = 0; i < 24; i += 5) {
                    ctxs.get(i).cancel();
                }
                Map<String, String> byRefusal = new ConcurrentHashMap<>();
                for (int i = 0; i < 24; i++) {
                    Caller<String> c = callers.get(i);
                    assertThat(c.join(Lifecycle.BOUND)).as("R%d ended", i).isTrue();
                    Throwable e = c.error();
                    if (e == null) {
                        assertThat(c.value()).isEqualTo("ok");
                        continue;
                    }
                    if (i % 5 == 0 && e instanceof RequestCancelledException) {
                        continue;
                    }
                    StringBuilder text = new StringBuilder();
                    for (Throwable x = e; x != null; x = x.getCause()) {
                        text.append(x).append(" | ");
                    }
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("probe refusal #(\\d+)#").matcher(text);
                    assertThat(m.find()).as("R%d failed only for a dial refusal: %s", i, text).isTrue();
                    String prev = byRefusal.put(m.group(1), "R" + i);
                    assertThat(prev).as("refusal %s reported to R%d and %s", m.group(1), i, prev).isNull();
                }
                Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                        Lifecycle.BOUND, "nothing in use, waiting or dialing: " + t.stats());
            }
        }
    }

    /** P8: once closeIdleConnections() closed every idle connection, no transport goroutine is left (transport open). */
    @Test
    void closeIdleConnectionsLeavesNoGoroutine() throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            t.closeIdleConnections();
            boolean none = Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), Duration.ofSeconds(5));
            assertThat(none).as("transport goroutines left: %s", Leaks.transportGoroutines()).isTrue();
        }
    }

    /** P8: an idle connection the server closed leaves no transport goroutine either. */
    @Test
    void anIdleConnectionTheServerClosedLeavesNoGoroutine() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write(RawServer.OK);
                 c.awaitSentBytesAcknowledged(Duration.ofSeconds(10));
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            boolean none = Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), Duration.ofSeconds(5));
            assertThat(none).as("transport goroutines left: %s, %s", Leaks.transportGoroutines(), t.stats()).isTrue();
        }
    }

    /** Item 1/2: a waiter whose freed-slot dial is under way gives up: its dial ends, the next waiter dials. */
    @Test
    void aWaiterGivingUpDuringTheDialAFreedSlotStartedForItLeavesTheSlotToTheNext() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        CountDownLatch secondHeld = new CountDownLatch(1);
        CountDownLatch secondEnded = new CountDownLatch(1);
        Dialer dialer = (host, port, timeout) -> {
            Socket s = plainDial(host, port, timeout);
            if (dials.incrementAndGet() == 2) {
                secondHeld.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    s.close();
                    secondEnded.countDown();
                    throw new InterruptedIOException("dial interrupted");
                }
            }
            return s;
        };
        CountDownLatch aRest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /a ")) {
                         c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nok");
                         aRest.await();
                         c.write("ok");
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(1).build()) {
            HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()));
            CancellableContext bctx = Context.withCancel(Context.background());
            Caller<String> b = get(t, "B", HttpRequest.get(server.uri("/b").toString()), bctx);
            Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "B waits");
            Caller<String> c = get(t, "C", HttpRequest.get(server.uri("/c").toString()), Context.background());
            Lifecycle.await(() -> t.stats().waiting() == 2, Lifecycle.BOUND, "C waits");
            aRest.countDown();
            try (a) {
                assertThat(a.body().string()).isEqualTo("okok");
            }
            assertThat(secondHeld.await(15, TimeUnit.SECONDS)).as("B's dial under way").isTrue();
            bctx.cancel();
            assertThat(b.join(Lifecycle.BOUND)).isTrue();
            assertThat(b.error()).isInstanceOfSatisfying(RequestCancelledException.class,
                    x -> assertThat(x.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
            assertThat(secondEnded.getCount()).as("B's dial ended before B failed").isZero();
            assertThat(c.join(Lifecycle.BOUND)).isTrue();
            assertThat(c.error()).isNull();
            assertThat(c.value()).isEqualTo("ok");
            assertThat(dials.get()).isEqualTo(3);
        }
    }

    /** Item 4: waiters whose deadline passes as the connection is put back: none takes it later, none is lost. */
    @Test
    void waitersTimingOutAsTheConnectionComesBackLoseNothing() throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            java.util.Random rnd = new java.util.Random(47);
            for (int i = 0; i < 40; i++) {
                HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()));
                Caller<String> w = get(t, "W" + i,
                        HttpRequest.newBuilder(server.uri("/w")).timeout(Duration.ofMillis(20)).build(), Context.background());
                Lifecycle.await(() -> t.stats().waiting() == 1 || !w.thread.isAlive(), Lifecycle.BOUND, "W waits");
                Lifecycle.spin(TimeUnit.MICROSECONDS.toNanos(rnd.nextInt(30_000)));
                try (a) {
                    assertThat(a.body().string()).isEqualTo("ok");
                }
                assertThat(w.join(Lifecycle.BOUND)).isTrue();
                if (w.error() != null) {
                    assertThat(w.error()).isInstanceOfSatisfying(HttpTimeoutException.class,
                            x -> assertThat(x.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
                }
                // W's deadline may also pass once it has the connection, mid-exchange: the connection is then closed
                // (T2), as Go's; otherwise it is idle. Never in use by nobody, never two.
                Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0
                        && t.stats().open() == t.stats().idle() && t.stats().idle() <= 1, Lifecycle.BOUND,
                        "nothing in use: " + t.stats());
                if (w.error() == null) {
                    assertThat(t.stats().idle()).isEqualTo(1);
                }
            }
        }
    }
}
