package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Probes of a request that ends by its OWN deadline (its timeout, its context's deadline) while others wait for its
 * host's slots, of waiters giving up as a slot frees under a limit of two, of a dial completing once nobody waits for
 * it, and of a TLS context that throws, each also racing the transport's close. Real loopback servers; rounds set by
 * {@code -Down.rounds} (1 by default; the deadline-racing cases sweep offsets across rounds). Each held on the code it
 * was written against (session 35, also at 15 rounds): guards, not fixes.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OwnEndWaiterProbeTest {
    static final int ROUNDS = Integer.getInteger("own.rounds", 1);
    /** The request's own deadline: long enough for the waiter to queue behind it first, short enough to be cheap. */
    static final Duration LIMIT = Duration.ofMillis(Integer.getInteger("own.limitMillis", 250));

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A dialer whose dial number {@code held} waits until released, or until interrupted; then connects anyway if told. */
    static final class HeldDialer implements Dialer {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final AtomicInteger dials = new AtomicInteger();
        private final int held;
        private final boolean connectWhenInterrupted;

        HeldDialer(int held, boolean connectWhenInterrupted) {
            this.held = held;
            this.connectWhenInterrupted = connectWhenInterrupted;
        }

        @Override
        public java.net.Socket dial(String host, int port, Duration timeout) throws IOException {
            if (dials.getAndIncrement() == held) {
                started.countDown();
                try {
                    go.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    if (!connectWhenInterrupted) {
                        throw new java.io.InterruptedIOException("dial interrupted");
                    }
                    // The connect completes as its request gives up: a late connection nobody waits for (the
                    // interrupt not set again, or the connect below would fail "Closed by interrupt").
                }
            }
            return new java.net.Socket(host, port);
        }
    }

    /** A server: {@code /hold*} waits for its latch, {@code /upload*}, {@code /head*} and {@code /body*} stall. */
    static RawServer server(Map<String, CountDownLatch> arrived, Map<String, CountDownLatch> go) throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                if (path.startsWith("/next") || path.startsWith("/dial")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
                    continue;
                }
                CountDownLatch a = arrived.get(path);
                if (path.startsWith("/hold")) {
                    a.countDown();
                    go.get(path).await(60, TimeUnit.SECONDS);
                    boolean close = path.contains("close");
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n" + (close ? "Connection: close\r\n" : "") + "\r\nh");
                    if (close) {
                        return;
                    }
                    continue;
                }
                if (path.startsWith("/full")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcdefghij"); // all of it, unread
                    a.countDown();
                    continue;
                }
                if (path.startsWith("/body")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                }
                a.countDown();
                c.readUntilClosed();
                return;
            }
        });
    }

    static Caller<String> send(String name, Transport t, HttpRequest req, Context ctx) {
        return Caller.virtual(name, () -> {
            try (HttpResponse r = t.roundTrip(req, ctx)) {
                return r.body().string();
            }
        });
    }

    static void awaitWaiting(Transport t, int n, Caller<?>... callers) {
        Lifecycle.await(() -> t.stats().waiting() >= n || java.util.Arrays.stream(callers).anyMatch(c -> !c.thread.isAlive()),
                Lifecycle.BOUND, n + " queued: " + t.stats());
    }

    enum Phase {
        DIAL, SLOT_WAIT, BODY_WRITE, HEAD, BODY_READ,
        /** A's whole body has arrived; A read 2 bytes of it and holds the rest unread. */
        BODY_HELD
    }

    enum End {
        TIMEOUT, CONTEXT_DEADLINE,
        /** The timeout of the {@link HttpClient} A is sent through. */
        CLIENT_TIMEOUT,
        /** The request's timeout, and the transport's close as it passes. */
        TIMEOUT_AND_CLOSE
    }

    static List<Arguments> phases() {
        List<Arguments> all = new ArrayList<>();
        for (Phase p : Phase.values()) {
            for (End e : End.values()) {
                all.add(Arguments.of(p, e));
            }
        }
        return all;
    }

    /**
     * A request (A) whose own deadline passes in each phase while B waits for the host's only slot (in SLOT_WAIT, A
     * and B both wait behind C): B gets the slot once and its own answer, A fails as timed out, each reports one
     * done(), and nothing is left in use, dialing or waiting. With the close racing A's deadline, both end once, as
     * timed out, cancelled or answered, and nothing is left.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("phases")
    void E1_E57_aRequestsOwnDeadlineInEachPhaseLeavesTheWaiterItsSlot(Phase phase, End end) throws Exception {
        Map<String, CountDownLatch> arrived = new ConcurrentHashMap<>();
        Map<String, CountDownLatch> go = new ConcurrentHashMap<>();
        try (RawServer server = server(arrived, go)) {
            for (int round = 0; round < ROUNDS; round++) {
                Dones dones = new Dones();
                HeldDialer dialer = new HeldDialer(phase == Phase.DIAL ? 0 : -1, false);
                Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).dialer(dialer).build();
                try {
                    String path = switch (phase) {
                        case DIAL -> "/dial";
                        case SLOT_WAIT -> "/dial";
                        case BODY_WRITE -> "/upload";
                        case HEAD -> "/head";
                        case BODY_READ -> "/body";
                        case BODY_HELD -> "/full";
                    } + round;
                    arrived.put(path, new CountDownLatch(1));
                    Caller<String> holder = null;
                    String hold = "/hold" + round;
                    if (phase == Phase.SLOT_WAIT) {
                        arrived.put(hold, new CountDownLatch(1));
                        go.put(hold, new CountDownLatch(1));
                        holder = send("c", t, HttpRequest.get(server.uri(hold).toString()), Context.background());
                        assertThat(arrived.get(hold).await(20, TimeUnit.SECONDS)).as("c holds the slot").isTrue();
                    }
                    WaiterRaceProbeTest.BlockingSource source = new WaiterRaceProbeTest.BlockingSource();
                    HttpRequest.Builder ab = HttpRequest.newBuilder(server.uri(path));
                    if (phase == Phase.BODY_WRITE) {
                        ab.POST(RequestBody.ofStream(() -> source, -1, "application/octet-stream"));
                    }
                    if (end == End.TIMEOUT || end == End.TIMEOUT_AND_CLOSE) {
                        ab.timeout(LIMIT);
                    }
                    HttpClient client = HttpClient.builder(t).timeout(end == End.CLIENT_TIMEOUT ? LIMIT : Duration.ZERO)
                            .build();
                    HttpRequest a = ab.build();
                    long aDeadline = System.nanoTime() + LIMIT.toNanos();
                    Context ctxA = end == End.CONTEXT_DEADLINE ? Context.withTimeout(Context.background(), LIMIT)
                            : Context.background();
                    CountDownLatch readOn = new CountDownLatch(1);
                    Caller<String> callerA = Caller.start(round % 2 == 0, "a", () -> {
                        try (HttpResponse r = end == End.CLIENT_TIMEOUT ? client.send(a, ctxA) : t.roundTrip(a, ctxA)) {
                            InputStream in = r.body().stream();
                            in.readNBytes(2);
                            readOn.await(); // A reads nothing more until B is answered: its deadline alone ends it
                            return new String(in.readAllBytes());
                        }
                    });
                    // A in its phase, or already ended by its deadline (a loaded machine): the checks below hold either way.
                    if (phase == Phase.DIAL) {
                        Lifecycle.await(() -> dialer.started.getCount() == 0 || !callerA.thread.isAlive(), Lifecycle.BOUND,
                                "a dialing");
                        if (dialer.started.getCount() != 0) {
                            dialer.go.countDown(); // A never dialed: B's dial is not held
                        }
                    } else if (phase == Phase.SLOT_WAIT) {
                        awaitWaiting(t, 1, callerA);
                    } else {
                        Lifecycle.await(() -> arrived.get(path).getCount() == 0 || !callerA.thread.isAlive(), Lifecycle.BOUND,
                                "a reached the server");
                    }
                    HttpRequest b = HttpRequest.get(server.uri("/next" + round).toString());
                    Caller<String> callerB = send("b", t, b, Context.background());
                    awaitWaiting(t, phase == Phase.SLOT_WAIT ? 2 : 1, callerA, callerB);
                    Thread closer = null;
                    if (end == End.TIMEOUT_AND_CLOSE) {
                        long at = aDeadline + (round % 3 - 1) * 200_000L; // a hair before, at, and after A's deadline
                        closer = Thread.ofVirtual().start(() -> {
                            Lifecycle.spin(at - System.nanoTime());
                            t.close();
                        });
                    }
                    if (phase == Phase.SLOT_WAIT) {
                        Lifecycle.await(() -> !callerA.thread.isAlive(), Lifecycle.BOUND, "a timed out in the queue");
                        go.get(hold).countDown(); // C is answered: its connection goes to B
                    }
                    boolean bEnded = callerB.join(Lifecycle.BOUND);
                    readOn.countDown();
                    boolean aEnded = callerA.join(Lifecycle.BOUND);
                    if (closer != null) {
                        closer.join();
                    }
                    callerA.abandon(t::close);
                    callerB.abandon(t::close);
                    assertThat(aEnded && bEnded).as("both ended: %s", t.stats()).isTrue();
                    if (holder != null) {
                        assertThat(holder.join(Lifecycle.BOUND)).isTrue();
                    }
                    if (end == End.TIMEOUT_AND_CLOSE) {
                        assertThat(callerA.error()).as("a, round %d", round).isNotNull();
                        if (!(callerA.error() instanceof HttpTimeoutException)) {
                            assertClosedCancel(callerA.error());
                        }
                        if (callerB.error() != null) {
                            assertClosedCancel(callerB.error());
                        } else {
                            assertThat(callerB.value()).isEqualTo("b");
                        }
                    } else {
                        assertThat(callerB.error()).as("b's failure, round %d", round).isNull();
                        assertThat(callerB.value()).isEqualTo("b");
                        assertThat(callerA.error()).as("a, round %d", round).isInstanceOf(HttpTimeoutException.class)
                                .hasMessageContaining("timed out");
                    }
                    // A's request as the transport sees it (the client's copy of it, for CLIENT_TIMEOUT) and B's.
                    int requests = phase == Phase.SLOT_WAIT ? 3 : 2;
                    Leaks.awaitTrue(() -> dones.done.size() == requests && dones.done.containsKey(b), "every done()");
                    assertThat(dones.done.values()).allSatisfy(d -> assertThat(d).hasSize(1));
                    if (phase == Phase.BODY_WRITE) {
                        assertThat(source.closed.getCount()).as("a's source closed").isZero();
                    }
                    assertSettled(t, 1);
                } finally {
                    t.close();
                }
                assertNothingCountedAfterClose(t);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /** Once nothing is in use: nobody waiting, nothing dialing, at most {@code maxOpen} connections (idle). */
    static void assertSettled(Transport t, int maxOpen) {
        Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use: " + t.stats());
        TransportStats s = t.stats();
        assertThat(s.waiting()).as("%s", s).isZero();
        assertThat(s.dialing()).as("%s", s).isZero();
        assertThat(s.open()).as("%s", s).isLessThanOrEqualTo(maxOpen);
    }

    /** After the transport's close: nothing open, dialing or waiting (E23, E29). */
    static void assertNothingCountedAfterClose(Transport t) {
        TransportStats s = t.stats();
        assertThat(s.open() + s.dialing() + s.waiting()).as("after close: %s", s).isZero();
    }

    static void assertClosedCancel(Throwable e) {
        assertThat(e).isInstanceOf(RequestCancelledException.class);
        assertThat(((RequestCancelledException) e).reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED);
    }

    enum Way { CANCEL, INTERRUPT, DEADLINE, CANCEL_AND_CLOSE }

    static List<Arguments> giveUps() {
        List<Arguments> all = new ArrayList<>();
        for (Way w : Way.values()) {
            for (boolean closeConn : new boolean[] {false, true}) {
                all.add(Arguments.of(w, closeConn));
            }
        }
        return all;
    }

    /**
     * Under {@code maxConnsPerHost(2)}, two connections held, two waiters: the first gives up exactly as one of the
     * held requests ends and frees its slot (its connection put back, or closed by a {@code Connection: close} answer
     * so that the slot itself frees): the second gets it, once; the first gets it or fails; nothing is lost or counted
     * twice, and the host takes two connections at once again.
     */
    @ParameterizedTest(name = "{0} connection closed: {1}")
    @MethodSource("giveUps")
    void E2_T8_aWaiterGivingUpAsASlotFreesLeavesItToTheNextWaiter(Way way, boolean closeConn) throws Exception {
        Map<String, CountDownLatch> arrived = new ConcurrentHashMap<>();
        Map<String, CountDownLatch> go = new ConcurrentHashMap<>();
        try (RawServer server = server(arrived, go)) {
            for (int round = 0; round < ROUNDS * 3; round++) {
                Dones dones = new Dones();
                Transport t = Transport.builder().listener(dones).maxConnsPerHost(2).build();
                try {
                    String h1 = "/hold" + (closeConn ? "close" : "") + round + "a";
                    String h2 = "/hold" + round + "b";
                    List<Caller<String>> holders = new ArrayList<>();
                    for (String h : List.of(h1, h2)) {
                        arrived.put(h, new CountDownLatch(1));
                        go.put(h, new CountDownLatch(1));
                        holders.add(send(h, t, HttpRequest.get(server.uri(h).toString()), Context.background()));
                        assertThat(arrived.get(h).await(20, TimeUnit.SECONDS)).isTrue();
                    }
                    CancellableContext ctx = Context.withCancel(Context.background());
                    HttpRequest.Builder w1b = HttpRequest.newBuilder(server.uri("/next" + round + "w1"));
                    if (way == Way.DEADLINE) {
                        w1b.timeout(LIMIT);
                    }
                    HttpRequest w1 = w1b.build();
                    long w1Deadline = System.nanoTime() + LIMIT.toNanos();
                    Caller<String> waiter1 = send("w1", t, w1, ctx);
                    awaitWaiting(t, 1, waiter1);
                    HttpRequest w2 = HttpRequest.get(server.uri("/next" + round + "w2").toString());
                    Caller<String> waiter2 = send("w2", t, w2, Context.background());
                    awaitWaiting(t, 2, waiter1, waiter2);
                    CyclicBarrier both = new CyclicBarrier(way == Way.CANCEL_AND_CLOSE ? 3 : 2);
                    long offset = (round * 7_919L) % 100_000;
                    Thread freer = Thread.ofVirtual().start(() -> {
                        if (way == Way.DEADLINE) {
                            Lifecycle.spin(w1Deadline + offset - 50_000 - System.nanoTime());
                        } else {
                            Lifecycle.await(both);
                        }
                        go.get(h1).countDown();
                    });
                    Thread closer = way != Way.CANCEL_AND_CLOSE ? null : Thread.ofVirtual().start(() -> {
                        Lifecycle.await(both);
                        t.close();
                    });
                    if (way != Way.DEADLINE) {
                        Lifecycle.await(both);
                        Lifecycle.spin(offset);
                        if (way == Way.INTERRUPT) {
                            waiter1.thread.interrupt();
                        } else {
                            ctx.cancel();
                        }
                    }
                    freer.join();
                    boolean w2Ended = waiter2.join(Lifecycle.BOUND);
                    go.get(h2).countDown();
                    boolean w1Ended = waiter1.join(Lifecycle.BOUND);
                    if (closer != null) {
                        closer.join();
                    }
                    waiter1.abandon(t::close);
                    waiter2.abandon(t::close);
                    assertThat(w1Ended && w2Ended).as("both waiters ended: %s", t.stats()).isTrue();
                    for (Caller<String> h : holders) {
                        assertThat(h.join(Lifecycle.BOUND)).isTrue();
                    }
                    if (way == Way.CANCEL_AND_CLOSE) {
                        if (waiter2.error() != null) {
                            assertClosedCancel(waiter2.error());
                        }
                    } else {
                        assertThat(waiter2.error()).as("w2's failure, round %d", round).isNull();
                    }
                    if (waiter2.error() == null) {
                        assertThat(waiter2.value()).isEqualTo("b");
                    }
                    if (waiter1.error() == null) {
                        assertThat(waiter1.value()).isEqualTo("b");
                    } else {
                        assertThat(waiter1.error()).isInstanceOfAny(RequestCancelledException.class,
                                HttpTimeoutException.class, InterruptedException.class);
                    }
                    List<HttpRequest> all = List.of(w1, w2);
                    Leaks.awaitTrue(() -> all.stream().allMatch(dones.done::containsKey), "done() of both waiters");
                    for (HttpRequest r : all) {
                        assertThat(dones.done.get(r)).hasSize(1);
                    }
                    if (way != Way.CANCEL_AND_CLOSE) {
                        assertSettled(t, 2);
                        // Both slots are still the host's: two requests held at once again.
                        String h3 = "/hold" + round + "c";
                        String h4 = "/hold" + round + "d";
                        CountDownLatch release = new CountDownLatch(1);
                        List<Caller<String>> again = new ArrayList<>();
                        for (String h : List.of(h3, h4)) {
                            arrived.put(h, new CountDownLatch(1));
                            go.put(h, release);
                            again.add(send(h, t, HttpRequest.get(server.uri(h).toString()), Context.background()));
                        }
                        assertThat(arrived.get(h3).await(20, TimeUnit.SECONDS) && arrived.get(h4).await(20, TimeUnit.SECONDS))
                                .as("two held at once: %s", t.stats()).isTrue();
                        release.countDown();
                        for (Caller<String> c : again) {
                            assertThat(c.join(Lifecycle.BOUND)).isTrue();
                            assertThat(c.value()).isEqualTo("h");
                        }
                    }
                } finally {
                    t.close();
                }
                assertNothingCountedAfterClose(t);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * Under {@code maxConnsPerHost(2)}, two connections held and three waiters: the first two give up (their contexts
     * cancelled) exactly as one held request ends and frees its slot: the third gets it, once, and its answer.
     */
    @ParameterizedTest(name = "connection closed: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void E2_T8_twoWaitersGivingUpAsASlotFreesLeaveItToTheThird(boolean closeConn) throws Exception {
        Map<String, CountDownLatch> arrived = new ConcurrentHashMap<>();
        Map<String, CountDownLatch> go = new ConcurrentHashMap<>();
        try (RawServer server = server(arrived, go)) {
            for (int round = 0; round < ROUNDS * 5; round++) {
                Dones dones = new Dones();
                Transport t = Transport.builder().listener(dones).maxConnsPerHost(2).build();
                try {
                    String h1 = "/hold" + (closeConn ? "close" : "") + round + "a";
                    String h2 = "/hold" + round + "b";
                    for (String h : List.of(h1, h2)) {
                        arrived.put(h, new CountDownLatch(1));
                        go.put(h, new CountDownLatch(1));
                        send(h, t, HttpRequest.get(server.uri(h).toString()), Context.background());
                        assertThat(arrived.get(h).await(20, TimeUnit.SECONDS)).isTrue();
                    }
                    List<CancellableContext> ctxs = new ArrayList<>();
                    List<Caller<String>> waiters = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        CancellableContext ctx = Context.withCancel(Context.background());
                        ctxs.add(ctx);
                        waiters.add(send("w" + i, t, HttpRequest.get(server.uri("/next" + round + "w" + i).toString()),
                                i < 2 ? ctx : Context.background()));
                        awaitWaiting(t, i + 1, waiters.toArray(Caller[]::new));
                    }
                    CyclicBarrier all = new CyclicBarrier(3);
                    long offset = (round * 7_919L) % 100_000;
                    Thread freer = Thread.ofVirtual().start(() -> {
                        Lifecycle.await(all);
                        go.get(h1).countDown();
                    });
                    Thread second = Thread.ofVirtual().start(() -> {
                        Lifecycle.await(all);
                        Lifecycle.spin(offset / 2);
                        ctxs.get(1).cancel();
                    });
                    Lifecycle.await(all);
                    Lifecycle.spin(offset);
                    ctxs.get(0).cancel();
                    freer.join();
                    second.join();
                    Caller<String> third = waiters.get(2);
                    boolean thirdEnded = third.join(Lifecycle.BOUND);
                    go.get(h2).countDown();
                    third.abandon(t::close);
                    assertThat(thirdEnded).as("the third waiter answered: %s", t.stats()).isTrue();
                    assertThat(third.error()).as("round %d", round).isNull();
                    assertThat(third.value()).isEqualTo("b");
                    for (Caller<String> w : waiters) {
                        assertThat(w.join(Lifecycle.BOUND)).isTrue();
                    }
                    Leaks.awaitTrue(() -> dones.done.size() == 5, "every done()");
                    assertThat(dones.done.values()).allSatisfy(d -> assertThat(d).hasSize(1));
                    assertSettled(t, 2);
                } finally {
                    t.close();
                }
                assertNothingCountedAfterClose(t);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    enum Late {
        /** Nobody waits: the connection goes idle. */
        IDLE,
        /** The global idle limit is full (another host's connection idle): the older one is evicted. */
        IDLE_LIMIT_FULL,
        /** No idle connection kept per host: it is closed. */
        NONE_KEPT,
        /** The transport's close races the request's give-up and the late connection. */
        CLOSE_RACE
    }

    /**
     * A dial whose request (A) and the request queued behind it (B) both gave up, and that completes anyway (its
     * connect succeeds as the interrupt comes): its connection goes idle, counted once (or is closed by the idle
     * limits, or by the close), and serves the next request; nothing is left dialing or in use.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Late.class)
    void E54_E57_aDialCompletingOnceNobodyWaitsGoesIdleOrIsClosedCountedOnce(Late late) throws Exception {
        Map<String, CountDownLatch> arrived = new ConcurrentHashMap<>();
        try (RawServer server = server(arrived, new ConcurrentHashMap<>());
             RawServer other = RawServer.answeringOk()) {
            for (int round = 0; round < ROUNDS * 3; round++) {
                Dones dones = new Dones();
                HeldDialer dialer = new HeldDialer(late == Late.IDLE_LIMIT_FULL ? 1 : 0, true);
                Transport.Builder tb = Transport.builder().listener(dones).maxConnsPerHost(1).dialer(dialer);
                if (late == Late.IDLE_LIMIT_FULL) {
                    tb.maxIdleConns(1);
                } else if (late == Late.NONE_KEPT) {
                    tb.maxIdleConnsPerHost(0);
                }
                Transport t = tb.build();
                try {
                    if (late == Late.IDLE_LIMIT_FULL) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(other.uri("/").toString()))) {
                            assertThat(r.body().string()).isEqualTo("ok"); // idle: the limit is full
                        }
                    }
                    CancellableContext ctxA = Context.withCancel(Context.background());
                    CancellableContext ctxB = Context.withCancel(Context.background());
                    HttpRequest a = HttpRequest.get(server.uri("/dial" + round + "a").toString());
                    HttpRequest b = HttpRequest.get(server.uri("/dial" + round + "b").toString());
                    Caller<String> callerA = send("a", t, a, ctxA);
                    assertThat(dialer.started.await(20, TimeUnit.SECONDS)).isTrue();
                    Caller<String> callerB = send("b", t, b, ctxB);
                    awaitWaiting(t, 1, callerB);
                    ctxB.cancel();
                    assertThat(callerB.join(Lifecycle.BOUND)).isTrue();
                    Thread closer = null;
                    if (late == Late.CLOSE_RACE) {
                        CyclicBarrier both = new CyclicBarrier(2);
                        closer = Thread.ofVirtual().start(() -> {
                            Lifecycle.await(both);
                            t.close();
                        });
                        Lifecycle.await(both);
                    }
                    ctxA.cancel();
                    boolean aEnded = callerA.join(Lifecycle.BOUND);
                    if (closer != null) {
                        closer.join();
                    }
                    callerA.abandon(t::close);
                    assertThat(aEnded).as("a ended: %s", t.stats()).isTrue();
                    assertThat(callerA.error()).isInstanceOf(RequestCancelledException.class);
                    assertThat(callerB.error()).isInstanceOf(RequestCancelledException.class);
                    Leaks.awaitTrue(() -> dones.done.containsKey(a) && dones.done.containsKey(b), "both done()");
                    assertThat(dones.done.get(a)).hasSize(1);
                    assertThat(dones.done.get(b)).hasSize(1);
                    if (late == Late.CLOSE_RACE) {
                        assertNothingCountedAfterClose(t);
                        continue;
                    }
                    int kept = late == Late.NONE_KEPT ? 0 : 1;
                    Lifecycle.await(() -> t.stats().dialing() == 0 && t.stats().open() == kept, Lifecycle.BOUND,
                            "the late connection counted once: " + t.stats());
                    TransportStats s = t.stats();
                    assertThat(s.idle()).as("%s", s).isEqualTo(kept);
                    assertThat(s.inUse()).isZero();
                    assertThat(s.waiting()).isZero();
                    HttpRequest c = HttpRequest.get(server.uri("/next" + round).toString());
                    try (HttpResponse r = t.roundTrip(c)) {
                        assertThat(r.body().string()).isEqualTo("b");
                    }
                    long dialsOfTheHost = late == Late.IDLE_LIMIT_FULL ? 2 : 1;
                    assertThat(dialer.dials.get()).as("the late connection serves the next request")
                            .isEqualTo(dialsOfTheHost + (late == Late.NONE_KEPT ? 1 : 0));
                } finally {
                    t.close();
                }
                assertNothingCountedAfterClose(t);
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /** How {@link ThrowingTls} fails. */
    enum Broken {
        /** {@code getSocketFactory()} (and {@code createSSLEngine}) throw an {@link IllegalStateException}. */
        UNCHECKED,
        /** The socket factory's {@code createSocket} over the TCP socket throws an {@link IOException}. */
        CREATE_SOCKET_IO,
        /** The socket factory's {@code createSocket} over the TCP socket returns a plain socket, no SSLSocket (E152). */
        NOT_AN_SSL_SOCKET
    }

    /** A TLS context that fails (as {@code broken} says) for its first {@code failures} dials, then is {@code real}'s. */
    static final class ThrowingTls extends javax.net.ssl.SSLContextSpi {
        final AtomicInteger failures;
        /** The plain sockets {@link Broken#NOT_AN_SSL_SOCKET} made. */
        final List<java.net.Socket> plainMade = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final SSLContext real;
        private final Broken broken;

        ThrowingTls(SSLContext real, Broken broken, int failures) {
            this.real = real;
            this.broken = broken;
            this.failures = new AtomicInteger(failures);
        }

        static SSLContext context(SSLContext real, Broken broken, int failures) {
            return context(new ThrowingTls(real, broken, failures));
        }

        static SSLContext context(ThrowingTls spi) {
            return new SSLContext(spi, spi.real.getProvider(), "TLS") { };
        }

        private boolean fails() {
            return failures.getAndDecrement() > 0;
        }

        private void maybeThrow() {
            if (broken == Broken.UNCHECKED && fails()) {
                throw new IllegalStateException("the test's TLS context is broken");
            }
        }

        @Override protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm,
                java.security.SecureRandom sr) { }
        @Override protected javax.net.ssl.SSLSocketFactory engineGetSocketFactory() {
            maybeThrow();
            javax.net.ssl.SSLSocketFactory f = real.getSocketFactory();
            if (broken == Broken.UNCHECKED) {
                return f;
            }
            return new javax.net.ssl.SSLSocketFactory() {
                @Override public String[] getDefaultCipherSuites() { return f.getDefaultCipherSuites(); }
                @Override public String[] getSupportedCipherSuites() { return f.getSupportedCipherSuites(); }
                @Override public java.net.Socket createSocket(java.net.Socket s, String h, int p, boolean a) throws IOException {
                    if (fails()) {
                        if (broken == Broken.NOT_AN_SSL_SOCKET) {
                            java.net.Socket plain = new java.net.Socket();
                            plainMade.add(plain);
                            return plain;
                        }
                        throw new IOException("the test's socket factory failed");
                    }
                    return f.createSocket(s, h, p, a);
                }
                @Override public java.net.Socket createSocket(String h, int p) throws IOException { return f.createSocket(h, p); }
                @Override public java.net.Socket createSocket(java.net.InetAddress h, int p) throws IOException { return f.createSocket(h, p); }
                @Override public java.net.Socket createSocket(String h, int p, java.net.InetAddress l, int lp) throws IOException {
                    return f.createSocket(h, p, l, lp);
                }
                @Override public java.net.Socket createSocket(java.net.InetAddress h, int p, java.net.InetAddress l, int lp)
                        throws IOException {
                    return f.createSocket(h, p, l, lp);
                }
            };
        }
        @Override protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() { return real.getServerSocketFactory(); }
        @Override protected javax.net.ssl.SSLEngine engineCreateSSLEngine() {
            maybeThrow();
            return real.createSSLEngine();
        }
        @Override protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String h, int p) {
            maybeThrow();
            return real.createSSLEngine(h, p);
        }
        @Override protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() { return real.getServerSessionContext(); }
        @Override protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() { return real.getClientSessionContext(); }
    }

    static List<Arguments> brokenTls() {
        List<Arguments> all = new ArrayList<>();
        for (Broken b : List.of(Broken.UNCHECKED, Broken.CREATE_SOCKET_IO)) {
            all.add(Arguments.of(b, false));
            all.add(Arguments.of(b, true));
        }
        return all;
    }

    /**
     * A TLS context that fails to make its socket while another request waits for the host's only slot: an unchecked
     * exception of {@code getSocketFactory()} fails the request as an {@link HttpConnectionException} that names the
     * dial and carries it (E77); an {@link IOException} of the factory's {@code createSocket} as the handshake's failure,
     * worded as R69 words every other one (E149). Either way its slot goes to the waiter, whose own dial works, and
     * nothing is left open; so too with the transport's close racing the failing dial. Before E149, the
     * {@code IOException} reached the caller as it was, naming neither the peer nor TLS.
     */
    @ParameterizedTest(name = "{0} close racing: {1}")
    @MethodSource("brokenTls")
    void E77_E149_aTlsContextThatFailsToMakeItsSocketFailsItsRequestClearlyAndFreesTheSlot(Broken broken,
            boolean closeRacing) throws Exception {
        try (JdkServer server = JdkServer.https(ex -> JdkServer.respond(ex, 200, "tls"))) {
            for (int round = 0; round < ROUNDS; round++) {
                Dones dones = new Dones();
                HeldDialer dialer = new HeldDialer(0, false);
                SSLContext tls = ThrowingTls.context(JdkServer.clientTls(), broken, 1);
                Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).dialer(dialer).sslContext(tls)
                        .build();
                try {
                    HttpRequest a = HttpRequest.get(server.uri("/a").toString());
                    HttpRequest b = HttpRequest.get(server.uri("/b").toString());
                    Caller<String> callerA = send("a", t, a, Context.background());
                    assertThat(dialer.started.await(20, TimeUnit.SECONDS)).isTrue();
                    Caller<String> callerB = send("b", t, b, Context.background());
                    awaitWaiting(t, 1, callerB);
                    Thread closer = null;
                    CyclicBarrier both = new CyclicBarrier(2);
                    if (closeRacing) {
                        closer = Thread.ofVirtual().start(() -> {
                            Lifecycle.await(both);
                            t.close();
                        });
                        Lifecycle.await(both);
                    }
                    dialer.go.countDown(); // A's connect completes; its TLS context throws
                    boolean aEnded = callerA.join(Lifecycle.BOUND);
                    boolean bEnded = callerB.join(Lifecycle.BOUND);
                    if (closer != null) {
                        closer.join();
                    }
                    callerA.abandon(t::close);
                    callerB.abandon(t::close);
                    assertThat(aEnded && bEnded).as("both ended: %s", t.stats()).isTrue();
                    if (!closeRacing) {
                        if (broken == Broken.UNCHECKED) {
                            assertThat(callerA.error()).as("a, round %d", round).isInstanceOf(HttpConnectionException.class)
                                    .hasMessageContaining("the test's TLS context is broken")
                                    .hasRootCauseInstanceOf(IllegalStateException.class);
                        } else {
                            assertThat(callerA.error()).as("a, round %d", round)
                                    .isInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                                    .hasMessageStartingWith("TLS handshake with https://" + server.uri("/").getAuthority()
                                            + " failed: ")
                                    .hasMessageContaining("the test's socket factory failed")
                                    .hasCauseInstanceOf(IOException.class);
                        }
                        assertThat(callerB.error()).as("b, round %d", round).isNull();
                        assertThat(callerB.value()).isEqualTo("tls");
                        Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().open() == 1, Lifecycle.BOUND,
                                "b's connection idle: " + t.stats());
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/c").toString()))) {
                            assertThat(r.body().string()).isEqualTo("tls");
                        }
                    } else {
                        if (callerA.error() != null && !(callerA.error() instanceof HttpConnectionException)
                                && !(callerA.error() instanceof javax.net.ssl.SSLHandshakeException)) {
                            assertClosedCancel(callerA.error());
                        }
                        if (callerB.error() != null) {
                            assertClosedCancel(callerB.error());
                        }
                    }
                    Leaks.awaitTrue(() -> dones.done.containsKey(a) && dones.done.containsKey(b), "both done()");
                    assertThat(dones.done.get(a)).hasSize(1);
                    assertThat(dones.done.get(b)).hasSize(1);
                } finally {
                    t.close();
                }
                assertNothingCountedAfterClose(t);
            }
        }
    }
}
