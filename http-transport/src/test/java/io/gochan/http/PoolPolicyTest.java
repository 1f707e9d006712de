package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
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
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's policy and timeouts against Go's {@code net/http} Transport ({@code getConn}, {@code queueForIdleConn},
 * {@code queueForDial}, {@code tryPutIdleConn}, {@code CloseIdleConnections}), with real loopback connections
 * (session 47): waiters at {@code maxConnsPerHost} and what their ends and failed dials cost the others (T8, P18, P19,
 * E2, E57), the idle timeout and idle limits (P17), the response-header timeout (T9, P20), a server that closes every
 * keep-alive connection (T7, E37), and the idle reaper's life (P106, P8).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolPolicyTest {

    /** Well under the default idle timeout (90 s) the reaper slept towards before P106. */
    private static final Duration NO_GOROUTINE_BOUND = Duration.ofSeconds(5);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * P106, P8: one request leaves its connection idle (the reaper runs, the idle timeout the default 90 s); once
     * {@code closeIdleConnections()} has closed it, no goroutine of the transport is left, the transport still open.
     * Before, {@code http-idle-reaper} slept on until the 90 s were up.
     */
    @Test
    void P106_closeIdleConnectionsLeavesNoGoroutineOfTheTransport() throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            t.closeIdleConnections();
            assertThat(Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), NO_GOROUTINE_BOUND))
                    .as("transport goroutines left: %s", Leaks.transportGoroutines()).isTrue();
        }
    }

    /**
     * P106, P8: the server ends the one idle connection (it closes once the connection is idle in the pool, without
     * having said so): once the connection is closed, no goroutine of the transport is left, the transport still open. Before, the reaper slept
     * on until the default 90 s were up.
     */
    @Test
    void P106_anIdleConnectionItsServerEndedLeavesNoGoroutineOfTheTransport() throws Exception {
        CountDownLatch idle = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write(RawServer.OK);
                     idle.await(); // closes once the connection is idle in the pool, the reaper watching it
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            assertThat(Leaks.transportGoroutines()).extracting(g -> g.name()).contains("http-idle-reaper");
            idle.countDown();
            assertThat(Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), NO_GOROUTINE_BOUND))
                    .as("transport goroutines left: %s, %s", Leaks.transportGoroutines(), t.stats()).isTrue();
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * P106, P17: the reaper that ended for {@code closeIdleConnections()} is started again by the next connection that
     * becomes idle, and that connection is still closed at its idle timeout (a short one here), after which no
     * goroutine of the transport is left; several rounds, so a rescan asked for while no reaper ran costs nothing.
     */
    @Test
    void P106_P17_afterCloseIdleConnectionsTheNextIdleConnectionIsStillClosedAtItsTimeout() throws Exception {
        Duration idle = Duration.ofMillis(200);
        Map<Integer, Long> endedAt = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(RawServer.OK);
                 }
                 endedAt.put(c.index, System.nanoTime());
             });
             Transport t = Transport.builder().idleConnTimeout(idle).build()) {
            for (int round = 0; round < 3; round++) {
                int closedByCall = 2 * round;
                int reaped = 2 * round + 1;
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a" + round).toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                t.closeIdleConnections();
                t.closeIdleConnections(); // a second call finds no reaper: nothing to ask
                Lifecycle.await(() -> endedAt.containsKey(closedByCall), Lifecycle.BOUND, "the closed connection ended");
                long beforeIdle;
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b" + round).toString()))) {
                    beforeIdle = System.nanoTime(); // the connection becomes idle inside the read below
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(server.accepted()).isEqualTo(reaped + 1);
                Lifecycle.await(() -> endedAt.containsKey(reaped), Lifecycle.BOUND, "the idle connection reaped");
                assertThat(endedAt.get(reaped) - beforeIdle).as("reaped no earlier than its idle timeout")
                        .isGreaterThanOrEqualTo(idle.toNanos());
                assertThat(Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), NO_GOROUTINE_BOUND))
                        .as("transport goroutines left: %s", Leaks.transportGoroutines()).isTrue();
            }
        }
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

    /**
     * T8, P18: with {@code maxConnsPerHost(1)} and A holding the one connection, B to F queue in that order; C's context
     * is cancelled, D interrupted, E's own timeout passes while it waits. Each of them fails with its own end and leaves
     * the queue without a dial or a connection; once A's body ends, B then F are served on that one connection, in
     * arrival order (Go's {@code wantConnQueue}; a cancelled {@code wantConn} is skipped).
     */
    @Test
    void T8_P18_waitersAtTheLimitAreServedInArrivalOrderAndThoseThatGiveUpCostNoConnectionNorDial() throws Exception {
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
            Caller<String> e = get(t, "E", HttpRequest.newBuilder(server.uri("/e")).timeout(Duration.ofSeconds(2)).build(),
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

    /**
     * P18, E2: A's connection closes (its answer says {@code Connection: close}) while B and C wait at
     * {@code maxConnsPerHost(1)}; the dial the freed slot starts for B is refused. B alone fails, with that refusal; the
     * slot is freed again and C dials and is served. Go: {@code dialConnFor} delivers a dial's error to the
     * {@code wantConn} it was started for, and {@code decConnsPerHost} starts the next waiter's dial.
     */
    @Test
    void P18_E2_aFailedDialForAFreedSlotFailsOnlyItsWaiterAndTheNextWaiterDials() throws Exception {
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

    /**
     * T8, E2: 24 callers at {@code maxConnsPerHost(2)}, every third dial refused (each refusal numbered), every other
     * answer closing its connection, some callers cancelled: every request ends; one that fails for a refusal is the
     * only one to report that refusal, and no request fails for anything else but its own cancellation; nothing is
     * left in use, waiting or dialing. Five rounds.
     */
    @Test
    void T8_E2_dialFailuresAtTheLimitEachFailOneRequestAndNoOtherRequestFailsForThem() throws Exception {
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

    /**
     * E57, P18: B waited at {@code maxConnsPerHost(1)} and a freed slot started B's dial, which its dialer holds; B's
     * context is then cancelled. B's dial is interrupted (its socket closed) before B fails with its cancellation, and
     * the slot goes to C, which dials and is served (Go 1.19: the dial runs under B's context).
     */
    @Test
    void E57_aWaiterGivingUpDuringTheDialAFreedSlotStartedForItLeavesTheSlotToTheNext() throws Exception {
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

    /**
     * T8, P19: 40 rounds in which a waiter's own 20 ms timeout passes about when the one connection
     * ({@code maxConnsPerHost(1)}) is put back: the waiter is answered or fails with its timeout ({@code REQUEST}); the
     * connection is idle after each round, or closed if the waiter's deadline passed mid-exchange (T2), never in use by
     * nobody, never lost, and no second connection is counted.
     */
    @Test
    void T8_P19_waitersWhoseDeadlinePassesAsTheConnectionComesBackLoseNoConnection() throws Exception {
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

    /**
     * P17: with a 300 ms idle timeout the server sees the idle connection end no earlier than that after it became
     * idle (and within seconds); the next request dials a new one.
     */
    @Test
    void P17_anIdleConnectionIsClosedNoEarlierThanItsTimeoutAndTheNextRequestDials() throws Exception {
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
     * P17, as Go's {@code tryPutIdleConn}: with one idle connection allowed per host and in total, of two connections
     * to host X put back one after the other, the second (the newcomer) is refused and closed
     * ({@code errTooManyIdleHost}), not the one already idle; a connection to host Y put back then evicts X's, the
     * least recently used ({@code idleLRU.removeOldest}).
     */
    @Test
    void P17_theIdleLimitPerHostRefusesTheNewcomerAndTheTotalLimitEvictsTheOldest() throws Exception {
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

    /**
     * T9, P20: the response head arrives at once and the rest of its body three header timeouts later: the body is
     * read whole and the connection pooled (Go: {@code ResponseHeaderTimeout} "does not include the time to read the
     * response body").
     */
    @Test
    void T9_P20_theHeaderTimeoutCoversTheHeadNotTheBody() throws Exception {
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

    /**
     * T9, P18: a request never answered fails with the header timeout ({@code RESPONSE_HEADERS}, its message naming
     * the response headers), its connection is closed (the server reads its end), and the request waiting at
     * {@code maxConnsPerHost(1)} is served on a new connection.
     */
    @Test
    void T9_P18_aHeaderTimeoutClosesItsConnectionAndTheWaiterAtTheLimitIsServed() throws Exception {
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

    /**
     * T7, E37: a server that closes every connection after its answer, without saying so: 30 sequential GETs all
     * succeed (one that takes a connection already closed is retried on a new one) and the server reads each exactly
     * once.
     */
    @Test
    void T7_E37_aServerThatClosesEveryKeepAliveConnectionGetsEachGetOnceAndNoneFails() throws Exception {
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
}
