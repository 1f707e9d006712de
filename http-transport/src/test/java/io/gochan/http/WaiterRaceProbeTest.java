package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Probes of a request that ends while another waits for its host's only slot under {@code maxConnsPerHost(1)}, on real
 * loopback connections, each race run for many rounds ({@code -Dwaiter.rounds}, 30 by default): the waiter gets the
 * freed slot (a new dial) or the connection itself (a dial whose request gave up included, E54), and its own answer,
 * never the other's failure (E1, E13, E57); the late end of a request already answered leaves the next exchange on its
 * connection alone (E1, E14); a request cut on a reused connection is sent again only if Go would (E9, E37); the
 * transport's close racing a dial a waiter would adopt ends both once (E23, E29); failures of every kind leave the
 * host all its slots (E2). Each held on the code it was written against (session 34): guards, not fixes.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WaiterRaceProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Phase {
        /** A's own dial blocks (its dialer waits); ended while B waits. */
        DIAL,
        /** A's dial completes as A ends: its connection, if it came, is B's (Go's "dial result given to another"). */
        DIAL_RACE,
        BODY_WRITE, HEAD, BODY_READ,
        /** The server answers A as A ends. */
        ANSWER_RACE,
        /** A reads its whole (buffered) body, its connection put back, as A ends. */
        BODY_END_RACE
    }

    static final int ROUNDS = Integer.getInteger("waiter.rounds", 30);

    enum Way {
        CONTEXT, INTERRUPT,
        /** A closes its response body, unread bytes left (only where A holds a body). */
        CLOSE_BODY
    }

    static List<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Phase p : Phase.values()) {
            for (Way w : Way.values()) {
                if (w != Way.CLOSE_BODY || p == Phase.BODY_READ || p == Phase.BODY_END_RACE) {
                    all.add(Arguments.of(p, w));
                }
            }
        }
        return all;
    }

    /** A body source that blocks until it is closed (as a pipe's read ends at its close). */
    static final class BlockingSource extends InputStream {
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public int read() throws IOException {
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
            throw new IOException("source closed");
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    /** A dialer whose first dial (if {@code hold}) waits until released or interrupted; the others connect at once. */
    static final class FirstDialHeld implements Dialer {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicInteger dials = new java.util.concurrent.atomic.AtomicInteger();
        private final boolean hold;

        FirstDialHeld(boolean hold) {
            this.hold = hold;
        }

        @Override
        public java.net.Socket dial(String host, int port, Duration timeout) throws IOException {
            if (dials.getAndIncrement() == 0 && hold) {
                started.countDown();
                try {
                    go.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException("dial interrupted"); // its request gave up, or close()
                }
            }
            return new java.net.Socket(host, port);
        }
    }

    /** Sends {@code req} on a new caller thread and reads its body as text. */
    private static Caller<String> send(boolean virtual, String name, Transport t, HttpRequest req, Context ctx) {
        return Caller.start(virtual, name, () -> {
            try (HttpResponse r = t.roundTrip(req, ctx)) {
                return r.body().string();
            }
        });
    }

    /** A dialer that refuses every fourth dial (while {@code count} is non-negative), as a host that drops some SYNs. */
    private static Dialer refusingEveryFourth(java.util.concurrent.atomic.AtomicInteger count) {
        return (host, port, timeout) -> {
            int n = count.getAndIncrement();
            if (n >= 0 && n % 4 == 0) {
                throw new java.net.ConnectException("refused by the test: dial " + n);
            }
            return new java.net.Socket(host, port);
        };
    }

    /** Waits until {@code waiter} is queued for its host's only slot (or has ended). */
    private static void awaitQueued(Transport t, Caller<?> waiter) {
        Lifecycle.await(() -> t.stats().waiting() == 1 || !waiter.thread.isAlive(), Lifecycle.BOUND,
                "queued for the slot: " + t.stats());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void E1_E57_aRequestEndingInEachPhaseLeavesTheRequestWaitingForItsSlotItsOwnAnswer(Phase phase, Way way) throws Exception {
        Map<String, CountDownLatch> go = new ConcurrentHashMap<>();
        Map<String, CountDownLatch> arrived = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     if (path.startsWith("/next") || path.startsWith("/dial")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + (path.startsWith("/next") ? "b" : "a"));
                         continue;
                     }
                     arrived.get(path).countDown();
                     if (path.startsWith("/race") || path.startsWith("/end")) {
                         go.get(path).await(30, TimeUnit.SECONDS);
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
                         continue;
                     }
                     if (path.startsWith("/body")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                     }
                     c.readUntilClosed();
                     return;
                 }
             })) {
            for (int round = 0; round < ROUNDS; round++) {
                Dones dones = new Dones();
                FirstDialHeld dialer = new FirstDialHeld(phase == Phase.DIAL || phase == Phase.DIAL_RACE);
                try (Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).dialer(dialer).build()) {
                    String path = switch (phase) {
                        case DIAL, DIAL_RACE -> "/dial";
                        case BODY_END_RACE -> "/end";
                        case BODY_WRITE -> "/upload";
                        case HEAD -> "/head";
                        case BODY_READ -> "/body";
                        case ANSWER_RACE -> "/race";
                    } + round;
                    arrived.put(path, new CountDownLatch(1));
                    go.put(path, new CountDownLatch(1));
                    BlockingSource source = new BlockingSource();
                    HttpRequest a = phase == Phase.BODY_WRITE
                            ? HttpRequest.newBuilder(server.uri(path)).POST(RequestBody.ofStream(() -> source, -1,
                                    "application/octet-stream")).build()
                            : HttpRequest.get(server.uri(path).toString());
                    CancellableContext ctx = Context.withCancel(Context.background());
                    CountDownLatch aInBody = new CountDownLatch(1);
                    CyclicBarrier readBarrier = new CyclicBarrier(2);
                    CountDownLatch closeNow = new CountDownLatch(1);
                    Caller<String> callerA = Caller.start(round % 2 == 0, "a", () -> { // virtual, then platform
                        try (HttpResponse r = t.roundTrip(a, ctx)) {
                            InputStream in = r.body().stream();
                            if (phase == Phase.BODY_END_RACE) {
                                Lifecycle.await(readBarrier);
                                if (way == Way.CLOSE_BODY) {
                                    closeNow.await();
                                    return "closed"; // unread
                                }
                            }
                            if (phase == Phase.BODY_READ) {
                                in.readNBytes(2);
                                aInBody.countDown();
                                if (way == Way.CLOSE_BODY) {
                                    closeNow.await();
                                    return "closed"; // 8 bytes unread
                                }
                            }
                            return new String(in.readAllBytes());
                        }
                    });
                    if (phase == Phase.DIAL || phase == Phase.DIAL_RACE) {
                        assertThat(dialer.started.await(20, TimeUnit.SECONDS)).as("a dialing").isTrue();
                    } else {
                        assertThat(arrived.get(path).await(20, TimeUnit.SECONDS)).as("a reached the server").isTrue();
                    }
                    if (phase == Phase.BODY_END_RACE) {
                        go.get(path).countDown(); // the whole answer goes out; A waits at the barrier below to read it
                    }
                    if (phase == Phase.BODY_READ) {
                        assertThat(aInBody.await(20, TimeUnit.SECONDS)).isTrue();
                    }
                    HttpRequest b = HttpRequest.get(server.uri("/next" + round).toString());
                    Caller<String> callerB = send(true, "b", t, b, Context.background());
                    awaitQueued(t, callerB);
                    if (phase == Phase.BODY_END_RACE) {
                        Lifecycle.await(readBarrier); // A reads its body's end as it is ended
                        end(way, ctx, callerA, closeNow);
                    } else if (phase == Phase.ANSWER_RACE || phase == Phase.DIAL_RACE) {
                        CyclicBarrier both = new CyclicBarrier(2);
                        Thread answer = Thread.ofVirtual().start(() -> {
                            Lifecycle.await(both);
                            (phase == Phase.DIAL_RACE ? dialer.go : go.get(path)).countDown();
                        });
                        Lifecycle.await(both);
                        end(way, ctx, callerA, closeNow);
                        answer.join();
                    } else {
                        end(way, ctx, callerA, closeNow);
                    }
                    boolean aEnded = callerA.join(Lifecycle.BOUND);
                    dialer.go.countDown();
                    boolean bEnded = callerB.join(Lifecycle.BOUND);
                    callerA.abandon(t::close);
                    callerB.abandon(t::close);
                    assertThat(aEnded).as("a ended").isTrue();
                    assertThat(bEnded).as("b ended").isTrue();
                    assertThat(callerB.error()).as("b's failure, round %d", round).isNull();
                    assertThat(callerB.value()).isEqualTo("b");
                    boolean race = phase == Phase.ANSWER_RACE || phase == Phase.DIAL_RACE || phase == Phase.BODY_END_RACE;
                    if (way == Way.CLOSE_BODY) {
                        assertThat(callerA.error()).isNull();
                    } else if (!race) {
                        assertThat(callerA.error()).as("a's outcome").isNotNull();
                    } else if (callerA.error() == null) {
                        assertThat(callerA.value()).isEqualTo("a");
                    }
                    Leaks.awaitTrue(() -> dones.done.containsKey(b) && dones.done.containsKey(a), "both done()");
                    assertThat(dones.done.get(a)).hasSize(1);
                    assertThat(dones.done.get(b)).hasSize(1);
                    if (phase == Phase.BODY_WRITE) {
                        assertThat(source.closed.getCount()).as("a's source closed").isZero();
                    }
                    Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use: " + t.stats());
                    TransportStats s = t.stats();
                    assertThat(s.waiting()).isZero();
                    assertThat(s.dialing()).isZero();
                    assertThat(s.open()).isLessThanOrEqualTo(1);
                }
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    private static void end(Way way, CancellableContext ctx, Caller<String> caller, CountDownLatch closeNow) {
        if (way == Way.CLOSE_BODY) {
            closeNow.countDown();
        } else if (way == Way.CONTEXT) {
            ctx.cancel();
        } else {
            caller.thread.interrupt();
        }
    }

    /**
     * A request whose body was read to its end (its connection back in the pool and now carrying the next request)
     * and that then ends by each way (its context cancelled, its thread interrupted as it closes the response, or only
     * the close) changes nothing for that next request: it is answered on the same connection.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Way.class)
    void E1_E14_aLateEndOfAnAnsweredRequestLeavesItsConnectionsNextRequestAlone(Way way) throws Exception {
        Map<Integer, CountDownLatch> heldArrived = new ConcurrentHashMap<>();
        Map<Integer, CountDownLatch> heldGo = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     if (path.startsWith("/held")) {
                         int r = Integer.parseInt(path.substring(5));
                         heldArrived.get(r).countDown();
                         heldGo.get(r).await(30, TimeUnit.SECONDS);
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            for (int round = 0; round < ROUNDS; round++) {
                int r = round;
                heldArrived.put(r, new CountDownLatch(1));
                heldGo.put(r, new CountDownLatch(1));
                CancellableContext ctx = Context.withCancel(Context.background());
                CountDownLatch aRead = new CountDownLatch(1);
                CountDownLatch aGo = new CountDownLatch(1);
                Caller<String> callerA = Caller.start(round % 2 == 0, "a", () -> { // virtual, then platform
                    try (HttpResponse resp = t.roundTrip(HttpRequest.get(server.uri("/first").toString()), ctx)) {
                        String got = new String(resp.body().stream().readAllBytes());
                        aRead.countDown();
                        // An interrupt is kept: the response is then closed on an interrupted thread.
                        Lifecycle.awaitUninterruptibly(aGo);
                        return got;
                    }
                });
                assertThat(aRead.await(20, TimeUnit.SECONDS)).as("a read its body").isTrue();
                Caller<String> callerB = Caller.virtual("b", () -> {
                    try (HttpResponse resp = t.roundTrip(HttpRequest.get(server.uri("/held" + r).toString()))) {
                        return resp.body().string();
                    }
                });
                assertThat(heldArrived.get(r).await(20, TimeUnit.SECONDS)).as("b sent").isTrue();
                if (way == Way.CONTEXT) {
                    ctx.cancel();
                } else if (way == Way.INTERRUPT) {
                    callerA.thread.interrupt();
                }
                aGo.countDown();
                assertThat(callerA.join(Lifecycle.BOUND)).isTrue();
                heldGo.get(r).countDown();
                assertThat(callerB.join(Lifecycle.BOUND)).isTrue();
                assertThat(callerA.error()).isNull();
                assertThat(callerA.value()).isEqualTo("a");
                assertThat(callerB.error()).as("b's failure, round %d", round).isNull();
                assertThat(callerB.value()).isEqualTo("b");
            }
            assertThat(t.stats().dialed()).as("every request on one connection: %s", t.stats()).isEqualTo(1);
            assertThat(server.failures()).isEmpty();
        }
    }

    enum Cut {
        /** The server closes after the head and part of the body. */
        MID_BODY_FIN,
        /** The server resets after the head and part of the body. */
        MID_BODY_RESET,
        /** The server closes after the head, none of the body read. */
        AFTER_HEAD_FIN
    }

    static List<Arguments> cuts() {
        List<Arguments> all = new ArrayList<>();
        for (Cut c : Cut.values()) {
            for (String m : List.of("POST", "PUT", "POST-KEY")) {
                all.add(Arguments.of(c, m));
            }
        }
        return all;
    }

    /**
     * A request cut by the server on a reused connection after bytes of it went out, while another request waits for
     * the host's only slot: a POST is never sent again; a PUT (or a POST with an {@code Idempotency-Key}) may be, as
     * Go's {@code shouldRetryRequest} does, but only after the server ended the connection before any answer. The
     * waiter is answered; nothing leaks.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cuts")
    void E9_E37_aRequestCutOnAReusedConnectionIsSentAgainOnlyIfReplayable(Cut cut, String method) throws Exception {
        Map<String, java.util.concurrent.atomic.AtomicInteger> seen = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     int n = seen.computeIfAbsent(path, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                     if (path.startsWith("/cut") && n == 1) {
                         if (cut != Cut.AFTER_HEAD_FIN) {
                             c.readBody(1000);
                         }
                         if (cut == Cut.MID_BODY_RESET) {
                             c.reset();
                         } else {
                             c.socket.close();
                         }
                         return;
                     }
                     if (path.startsWith("/cut")) {
                         c.readBody(1 << 20);
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nk");
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            for (int round = 0; round < Math.max(1, ROUNDS / 3); round++) {
                try (HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                    assertThat(warm.body().string()).isEqualTo("k");
                }
                HttpRequest.Builder rb = HttpRequest.newBuilder(server.uri("/cut" + round))
                        .method(method.startsWith("POST") ? "POST" : method, RequestBody.of(new byte[1 << 20],
                                "application/octet-stream"));
                if (method.equals("POST-KEY")) {
                    rb.header("Idempotency-Key", "k" + round);
                }
                HttpRequest cutReq = rb.build();
                Caller<String> sender = send(true, "cut", t, cutReq, Context.background());
                HttpRequest b = HttpRequest.get(server.uri("/next" + round).toString());
                Caller<String> waiter = send(true, "b", t, b, Context.background());
                assertThat(sender.join(Lifecycle.BOUND)).isTrue();
                assertThat(waiter.join(Lifecycle.BOUND)).isTrue();
                assertThat(waiter.error()).as("the waiter, round %d", round).isNull();
                assertThat(waiter.value()).isEqualTo("k");
                int sent = seen.get("/cut" + round).get();
                if (method.equals("POST")) {
                    assertThat(sent).as("a POST reached the server %d times", sent).isEqualTo(1);
                    assertThat(sender.error()).isInstanceOf(IOException.class);
                } else {
                    assertThat(sent).isLessThanOrEqualTo(2);
                    if (sender.error() == null) {
                        assertThat(sent).isEqualTo(2);
                        assertThat(sender.value()).isEqualTo("k");
                    }
                }
            }
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use: " + t.stats());
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * The transport's close racing the completion of a dial that a request waiting at the limit would adopt: both
     * requests end once, each either answered or cancelled by the close (never the other's dial failure), and the
     * close leaves nothing open, dialing or waiting.
     */
    @ParameterizedTest(name = "dial done first: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void E23_E29_closeRacingADialAWaiterWouldAdoptEndsBothOnce(boolean racing) throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            for (int round = 0; round < ROUNDS; round++) {
                Dones dones = new Dones();
                FirstDialHeld dialer = new FirstDialHeld(true);
                try (Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).dialer(dialer).build()) {
                    HttpRequest a = HttpRequest.get(server.uri("/a").toString());
                    HttpRequest b = HttpRequest.get(server.uri("/b").toString());
                    Caller<String> callerA = send(true, "a", t, a, Context.background());
                    assertThat(dialer.started.await(20, TimeUnit.SECONDS)).isTrue();
                    Caller<String> callerB = send(true, "b", t, b, Context.background());
                    awaitQueued(t, callerB);
                    CyclicBarrier both = new CyclicBarrier(2);
                    Thread dialDone = Thread.ofVirtual().start(() -> {
                        if (racing) {
                            Lifecycle.await(both);
                        }
                        dialer.go.countDown();
                    });
                    if (racing) {
                        Lifecycle.await(both);
                    }
                    t.close();
                    TransportStats after = t.stats();
                    dialDone.join();
                    boolean aEnded = callerA.join(Lifecycle.BOUND);
                    boolean bEnded = callerB.join(Lifecycle.BOUND);
                    callerA.abandon(() -> { });
                    callerB.abandon(() -> { });
                    assertThat(aEnded && bEnded).as("both ended").isTrue();
                    for (Caller<String> c : List.of(callerA, callerB)) {
                        if (c.error() != null) {
                            assertThat(c.error()).as("round %d", round).isInstanceOf(RequestCancelledException.class);
                            assertThat(((RequestCancelledException) c.error()).reason())
                                    .isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED);
                        } else {
                            assertThat(c.value()).isEqualTo("ok");
                        }
                    }
                    Leaks.awaitTrue(() -> dones.done.containsKey(a) && dones.done.containsKey(b), "both done()");
                    assertThat(dones.done.get(a)).hasSize(1);
                    assertThat(dones.done.get(b)).hasSize(1);
                    assertThat(after.open() + after.dialing() + after.waiting()).as("after close: %s", after).isZero();
                }
            }
        }
    }

    /**
     * {@code closeIdleConnections()}, the request that started a dial giving up and that dial's completion, all at
     * once, while another request waits for the host's only slot: the waiter is answered (the dial's connection handed
     * to it, or a new dial), the request that gave up ends once, and nothing is left in use.
     */
    @Test
    void E54_E56_closeIdleConnectionsRacingADialItsRequestLeftLeavesTheWaiterAnswered() throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            for (int round = 0; round < ROUNDS; round++) {
                Dones dones = new Dones();
                FirstDialHeld dialer = new FirstDialHeld(true);
                try (Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).dialer(dialer).build()) {
                    HttpRequest a = HttpRequest.get(server.uri("/a").toString());
                    HttpRequest b = HttpRequest.get(server.uri("/b").toString());
                    CancellableContext ctx = Context.withCancel(Context.background());
                    Caller<String> callerA = send(round % 2 == 0, "a", t, a, ctx);
                    assertThat(dialer.started.await(20, TimeUnit.SECONDS)).isTrue();
                    Caller<String> callerB = send(true, "b", t, b, Context.background());
                    awaitQueued(t, callerB);
                    CyclicBarrier all = new CyclicBarrier(3);
                    Thread dialDone = Thread.ofVirtual().start(() -> {
                        Lifecycle.await(all);
                        dialer.go.countDown();
                    });
                    Thread closer = Thread.ofVirtual().start(() -> {
                        Lifecycle.await(all);
                        t.closeIdleConnections();
                    });
                    Lifecycle.await(all);
                    ctx.cancel();
                    dialDone.join();
                    closer.join();
                    boolean aEnded = callerA.join(Lifecycle.BOUND);
                    boolean bEnded = callerB.join(Lifecycle.BOUND);
                    callerA.abandon(t::close);
                    callerB.abandon(t::close);
                    assertThat(aEnded && bEnded).as("both ended").isTrue();
                    assertThat(callerB.error()).as("b's failure, round %d", round).isNull();
                    assertThat(callerB.value()).isEqualTo("ok");
                    if (callerA.error() != null) {
                        assertThat(callerA.error()).isInstanceOf(RequestCancelledException.class);
                    }
                    Leaks.awaitTrue(() -> dones.done.containsKey(a) && dones.done.containsKey(b), "both done()");
                    assertThat(dones.done.get(a)).hasSize(1);
                    assertThat(dones.done.get(b)).hasSize(1);
                    Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().dialing() == 0, Lifecycle.BOUND,
                            "nothing in use: " + t.stats());
                }
            }
        }
    }

    /**
     * After many concurrent failures of every kind on one host, most of them queued at its limit (dials refused,
     * connections reset before the answer, bodies cut short, bodies closed unread, requests cancelled while queued),
     * the host still takes {@code maxConnsPerHost} connections at once: no slot leaked.
     */
    @Test
    void E2_failuresOfEveryKindLeakNoSlot() throws Exception {
        int max = 3;
        java.util.concurrent.atomic.AtomicInteger dials = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch all = new CountDownLatch(max);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                 if (head.startsWith("GET /reset") || head.startsWith("GET /cancel")) {
                     c.reset();
                     return;
                 }
                 if (head.startsWith("GET /cut")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                     return; // closes: the body is cut short
                 }
                 if (head.startsWith("GET /hold")) {
                     all.countDown();
                     all.await(30, TimeUnit.SECONDS); // answers once max requests are held at once
                 }
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(max).dialer(refusingEveryFourth(dials)).build()) {
            List<Caller<Object>> failing = new ArrayList<>();
            List<CancellableContext> cancels = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                String p = switch (i % 4) {
                    case 0 -> "/reset";
                    case 1 -> "/cut";
                    case 2 -> "/cancel";
                    default -> "/early";
                };
                CancellableContext ctx = Context.withCancel(Context.background());
                if (p.equals("/cancel")) {
                    cancels.add(ctx);
                }
                failing.add(Caller.virtual("f" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri(p).toString()), ctx)) {
                        if (p.equals("/early")) {
                            return null; // closed unread
                        }
                        return r.body().string();
                    } catch (IOException expected) {
                        return expected;
                    }
                }));
            }
            cancels.forEach(CancellableContext::cancel); // queued, dialing or sent by now
            for (Caller<Object> c : failing) {
                assertThat(c.join(Lifecycle.BOUND)).isTrue();
                assertThat(c.error()).isNull();
            }
            dials.set(Integer.MIN_VALUE / 2); // from now on no dial is refused
            List<Caller<String>> held = new ArrayList<>();
            for (int i = 0; i < max; i++) {
                held.add(Caller.virtual("h" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/hold").toString()))) {
                        return r.body().string();
                    }
                }));
            }
            for (Caller<String> c : held) {
                assertThat(c.join(Lifecycle.BOUND)).as("held request ended: %s", t.stats()).isTrue();
                assertThat(c.error()).isNull();
                assertThat(c.value()).isEqualTo("ok");
            }
        }
    }
}
