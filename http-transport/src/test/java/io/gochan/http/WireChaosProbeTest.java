package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The wire chaos probe (E142): one small pool ({@code maxConnsPerHost} 2 to 4, one or two idle connections, at times
 * an idle timeout of a few milliseconds) against a raw-socket server whose answer to each request is drawn from a
 * seeded mix of what a server may do on the wire, beside E70's: a kept-alive answer with {@code Content-Length},
 * chunked (with chunk extensions and trailers or without), with {@code Connection: close}, delimited by the close, a
 * slow body, up to four {@code 100 Continue} and {@code 103 Early Hints} heads before it (before and after the request
 * body is read, solicited or not), a head held back until a controller releases it, an answer before the request body
 * is read (after a {@code 100 Continue} or instead of one; then the body is read, or never read and the connection
 * closed after it, as Go's server lingers), and, rudely, a close or a reset on arrival, a close after the head, a
 * close or reset mid-body. Callers (virtual threads) send GETs and POSTs or PUTs whose bodies have a known or an
 * unknown (chunked) length, replayable or one-shot, some slow, some larger than the sockets' buffers, some with {@code
 * Expect: 100-continue} or an {@code Idempotency-Key}, and end them at random: a context cancelled before the send, at
 * a listener phase or from another thread, an interrupt (likewise, or while the body is read), a short timeout, a body
 * closed half-read.
 *
 * <p>Every request carries a unique token; the server echoes it in a header and in a body derived from it, and checks
 * that each request body it reads is the one derived from the token of its own head. Asserted per request: it ends;
 * its response is its own and its body, read whole or in part, is its own; a failure is an {@link IOException} or an
 * {@link InterruptedException} of a public type, with a message, never a cancellation, interrupt or timeout it did not
 * ask for; it reports one {@code done()}; it is retried only after an attempt on a reused connection; the server reads
 * the head of one that is not replayable (Go's {@code isReplayable}) at most once, and any request's head and body at
 * most once per attempt; a request cancelled before it is sent never reaches the server; one that did nothing to end
 * itself (or only closed its body part-way) and that the server answered properly every time succeeds. Per run: the
 * counters stay consistent, settle to idle, count the attempts beyond each request's first as retries (P54), are zero
 * after {@code closeIdleConnections()} and {@code close()}; the server sees every connection end; no transport
 * goroutine is left.
 *
 * <p>Seeded: each request's plan and the server's answer to each of its attempts derive from the run's seed and its
 * token, so a seed replays the same mix (thread interleavings are not reproducible); the seed is in every failure
 * message. {@code -Dwirechaos.seed=N} is the first seed, {@code -Dwirechaos.seeds=N} the number of runs (4 by default)
 * {@code -Dwirechaos.requests=N} the requests per run and {@code -Dwirechaos.callers=N} the callers (8); pass them to the test JVM with
 * {@code -Dsurefire.argLine="-Xmx2g -XX:+EnableDynamicAgentLoading -Dwirechaos.seeds=200"}.
 */
@NoGoroutineLeaks(captureStartSites = false, graceMillis = 20_000)
class WireChaosProbeTest extends ChaosProbe<WireChaosProbeTest.Plan> {
    static final long FIRST_SEED = Long.getLong("wirechaos.seed", 3_300_001L);
    static final int SEEDS = Integer.getInteger("wirechaos.seeds", 4);
    static final int REQUESTS = Integer.getInteger("wirechaos.requests", 120);
    static final int CALLERS = Integer.getInteger("wirechaos.callers", 8);
    /** Per run: no new request is started after this (a bound on the test's time, not a schedule). */
    static final Duration BUDGET = Duration.ofSeconds(4);

    /** What the server does with one attempt of a request. */
    enum Fault {
        OK(20, true),
        CHUNKED(8, true),
        CONNECTION_CLOSE(7, true), // Content-Length and Connection: close, then closed
        EOF_BODY(5, true), // no length: the body ends with the connection
        SLOW_BODY(6, true),
        INFORMATIONAL(8, true), // 1 to 3 heads of 100 or 103 before the final one
        HELD_HEAD(8, true), // the head waits until the controller releases it
        EARLY(8, true), // answered before the request body is read; then it is read and the connection kept
        IGNORE_BODY(6, true), // answered with Connection: close, the request body never read; drained as Go's server
        CLOSE_ON_ARRIVAL(3, false),
        RESET_ON_ARRIVAL(5, false),
        CLOSE_AFTER_HEAD(5, false),
        CLOSE_MID_BODY(6, false),
        RESET_MID_BODY(5, false);

        final int weight;
        /** A proper answer: the request it answers has no reason to fail. */
        final boolean proper;

        Fault(int weight, boolean proper) {
            this.weight = weight;
            this.proper = proper;
        }
    }

    /** What the caller does to its own request. */
    enum Action implements ChaosCall.CallerAction {
        NONE(36),
        CANCEL_BEFORE(5),
        CANCEL_AT_PHASE(10),
        CANCEL_ASYNC(8),
        INTERRUPT_AT_PHASE(8),
        INTERRUPT_ASYNC(6),
        TIMEOUT(6),
        CLOSE_HALF(21);

        final int weight;

        Action(int weight) {
            this.weight = weight;
        }
        boolean cancels() {
            return this == CANCEL_BEFORE || this == CANCEL_AT_PHASE || this == CANCEL_ASYNC;
        }

        boolean interrupts() {
            return this == INTERRUPT_AT_PHASE || this == INTERRUPT_ASYNC;
        }
    }

    /** The phases E142's callers strike at. */
    static final Phase[] PHASES = {Phase.GET_CONN, Phase.GOT_CONN, Phase.WROTE_HEADERS, Phase.FIRST_BYTE, Phase.MID_BODY};

    /** How the request body is given. */
    enum BodyKind {
        BYTES(true, true), STREAM(true, true), STREAM_CHUNKED(true, false), ONCE(false, true), ONCE_CHUNKED(false, false);

        final boolean rewindable;
        final boolean knownLength;

        BodyKind(boolean rewindable, boolean knownLength) {
            this.rewindable = rewindable;
            this.knownLength = knownLength;
        }
    }

    /** One request's plan and what happened to it. */
    static final class Plan extends ChaosCall<Action> {
        final String method;
        final BodyKind bodyKind; // null for a GET
        final boolean slowBody;
        final int bodyLength;

        Plan(String token, Random rnd, Thread caller) {
            super(token, caller, Weights.draw(Action.values(), x -> x.weight, rnd), PHASES[rnd.nextInt(PHASES.length)]);
            int m = rnd.nextInt(20);
            this.method = m < 8 ? "GET" : m < 17 ? "POST" : "PUT";
            this.bodyKind = method.equals("GET") ? null : BodyKind.values()[rnd.nextInt(BodyKind.values().length)];
            this.slowBody = bodyKind != null && bodyKind != BodyKind.BYTES && rnd.nextInt(4) == 0;
            this.idempotencyKey = method.equals("POST") && rnd.nextInt(3) == 0;
            this.expectContinue = bodyKind != null && rnd.nextInt(4) == 0;
            int size = rnd.nextInt(30);
            // Now and then larger than the sockets' buffers, so that the write blocks until the server reads.
            this.bodyLength = bodyKind == null ? 0 : size < 10 ? 1 + rnd.nextInt(200) : size < 29 ? 1 + rnd.nextInt(40_000)
                    : 1_000_000 + rnd.nextInt(3_000_000);
            drawReading(rnd, 4_000_000, 8192, expected(token).length());
        }

        /** Go's {@code isReplayable}: no body or one that can be produced again, and GET or an {@code Idempotency-Key}. */
        boolean replayable() {
            return bodyKind == null || bodyKind.rewindable && idempotencyKey;
        }

        @Override
        String expectedBody() {
            return expected(token);
        }

        @Override
        public String toString() {
            return token + " " + method + (bodyKind == null ? "" : "(" + bodyKind + (slowBody ? ",slow" : "") + ","
                    + bodyLength + ")") + (idempotencyKey ? "(Idempotency-Key)" : "") + (expectContinue ? "(100-continue)" : "")
                    + " " + actionText() + ", attempts(reused) " + reusedAttempts;
        }
    }

    /** The response body for {@code token}: every byte tells whose it is. */
    static String expected(String token) {
        return ("<" + token + ">").repeat(1 + Math.floorMod(token.hashCode() * 31, 500));
    }

    /** The request body of {@code token}: its first {@code n} bytes, every byte telling whose it is. */
    static byte[] requestBody(String token, int n) {
        byte[] unit = ("{" + token + "}").getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = unit[i % unit.length];
        }
        return b;
    }

    @Test
    void E142_seededWireFaultsAndCallerEndsNeverMixLeakHangOrRepeatARequest() throws Exception {
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < SEEDS; i++) {
            long seed = FIRST_SEED + i;
            String summary = run(seed);
            runs.add(summary);
        }
        System.getLogger(WireChaosProbeTest.class.getName()).log(System.Logger.Level.INFO, String.join("\n", runs));
    }

    /** One run with {@code seed}; fails naming the seed; returns a summary of what it did. */
    String run(long seed) throws Exception {
        String tag = "wirechaos.seed=" + seed;
        Random rnd = new Random(seed);
        int maxConns = 2 + rnd.nextInt(3);
        int maxIdle = 1 + rnd.nextInt(2);
        Duration idleTimeout = rnd.nextInt(3) == 0 ? Duration.ofMillis(1 + rnd.nextInt(20)) : Duration.ofSeconds(90);
        Duration expectTimeout = Duration.ofMillis(10 + rnd.nextInt(150));
        Server server = new Server(seed);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        String config = "maxConnsPerHost " + maxConns + ", maxIdleConnsPerHost " + maxIdle + ", idle timeout " + idleTimeout
                + ", expect-continue timeout " + expectTimeout;
        List<Plan> runPlans = new CopyOnWriteArrayList<>();
        try (RawServer raw = RawServer.start(server::serve)) {
            Transport t = Transport.builder().maxConnsPerHost(maxConns).maxIdleConnsPerHost(maxIdle).maxIdleConns(maxIdle + 1)
                    .idleConnTimeout(idleTimeout).expectContinueTimeout(expectTimeout).listener(listener).build();
            opened.add(t);
            AtomicInteger next = new AtomicInteger();
            long planSeed = rnd.nextLong();
            long stopAt = System.nanoTime() + BUDGET.toNanos();
            List<Thread> callers = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                callers.add(Thread.ofVirtual().name("wirechaos-caller-" + c).start(() -> {
                    for (int id; System.nanoTime() - stopAt < 0 && (id = next.getAndIncrement()) < REQUESTS; ) {
                        String token = "w" + seed + "-" + id;
                        Plan p = new Plan(token, new Random(planSeed * 31 + id), Thread.currentThread());
                        plans.put(token, p);
                        runPlans.add(p);
                        try {
                            exchange(t, raw.uri("/w/" + token), p);
                        } catch (Throwable e) {
                            violations.add(p + ": the probe itself failed: " + describe(e));
                        } finally {
                            p.end();
                        }
                    }
                }));
            }
            // The controller: releases held heads, calls closeIdleConnections() now and then, checks the counters.
            AtomicBoolean running = new AtomicBoolean(true);
            Random crnd = new Random(rnd.nextLong());
            Thread controller = Thread.ofVirtual().name("wirechaos-controller").start(() -> {
                while (running.get()) {
                    LockSupport.parkNanos(200_000 + crnd.nextInt(2_000_000));
                    for (int k = crnd.nextInt(3); k > 0; k--) {
                        CountDownLatch l = server.held.poll();
                        if (l != null) {
                            l.countDown();
                        }
                    }
                    if (crnd.nextInt(8) == 0) {
                        t.closeIdleConnections();
                    }
                    TransportStats s = t.stats();
                    if (!consistent(s) || s.open() + s.dialing() > maxConns || s.idle() > maxIdle) {
                        violations.add("inconsistent counters: " + s + " (" + config + ")");
                    }
                }
            });
            long deadline = System.nanoTime() + 3 * HANG_LIMIT.toNanos();
            for (Thread c : callers) {
                if (!c.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    running.set(false);
                    server.releaseAll();
                    throw new AssertionError(tag + ": caller " + c.getName() + " hung (" + config + ")\n" + Goroutines.dump());
                }
            }
            running.set(false);
            controller.join();
            server.releaseAll();
            // Every body was closed: the pool settles to idle.
            long end = System.nanoTime() + HANG_LIMIT.toNanos();
            while (!settled(t.stats()) || runPlans.stream().anyMatch(p -> p.dones.get() == 0)) {
                if (System.nanoTime() - end > 0) {
                    violations.add("not settled: " + t.stats() + ", without done(): "
                            + runPlans.stream().filter(p -> p.dones.get() == 0).toList());
                    break;
                }
                LockSupport.parkNanos(5_000_000);
            }
            long beyondFirst = 0;
            for (Plan p : runPlans) {
                beyondFirst += Math.max(0, p.getConns.get() - 1);
                String v = judge(p, server);
                if (v != null) {
                    violations.add(v);
                }
                outcomes.computeIfAbsent(p.outcome(), k -> new AtomicInteger()).incrementAndGet();
                plans.remove(p.token);
            }
            if (t.stats().retries() != beyondFirst) {
                violations.add("counted " + t.stats().retries() + " retries, the requests made " + beyondFirst
                        + " attempts beyond their first (P54)");
            }
            t.closeIdleConnections();
            TransportStats afterIdle = t.stats();
            if (afterIdle.open() != 0 || afterIdle.inUse() != 0 || afterIdle.dialing() != 0 || afterIdle.waiting() != 0) {
                violations.add("closeIdleConnections() returned with nothing in use, yet counts " + afterIdle);
            }
            t.close();
            TransportStats s = t.stats();
            if (!empty(s)) {
                violations.add("closed, yet counts " + s);
            }
            long endHandlers = System.nanoTime() + HANG_LIMIT.toNanos();
            while (server.handlersEnded.get() != raw.accepted() && System.nanoTime() - endHandlers < 0) {
                LockSupport.parkNanos(2_000_000);
            }
            if (server.handlersEnded.get() != raw.accepted()) {
                violations.add("the server saw " + server.handlersEnded + " of " + raw.accepted() + " connections end");
            }
            violations.addAll(server.violations);
            String summary = tag + " (" + config + "): " + runPlans.size() + " requests, outcomes " + new TreeMap<>(outcomes)
                    + "; served " + new TreeMap<>(server.served) + "; " + raw.accepted() + " connections, "
                    + beyondFirst + " retries";
            assertThat(violations).as(summary).isEmpty();
            assertThat(raw.failures()).as(summary).isEmpty();
            return summary;
        }
    }

    /** Sends one planned request and reads (or not) its answer, recording what happened in its plan. */
    static void exchange(Transport t, URI target, Plan p) throws InterruptedException {
        HttpRequest.Builder b = p.request(target);
        if (p.bodyKind != null) {
            byte[] content = requestBody(p.token, p.bodyLength);
            long length = p.bodyKind.knownLength ? content.length : -1;
            b.header("X-Body-Length", Integer.toString(content.length));
            RequestBody body = switch (p.bodyKind) {
                case BYTES -> RequestBody.of(content, "application/octet-stream");
                case STREAM, STREAM_CHUNKED -> RequestBody.ofStream(() -> source(content, p.slowBody), length, null);
                case ONCE, ONCE_CHUNKED -> RequestBody.ofStreamOnce(source(content, p.slowBody), length, null);
            };
            b.method(p.method, body);
        }
        if (p.action == Action.CANCEL_BEFORE) {
            p.ctx.cancel(); // before the send: no helper thread races it (only an async action has one)
        }
        p.send(t, b.build(), "wirechaos", r -> p.read(r, s -> s == 200, p.action == Action.CLOSE_HALF, false, false));
    }

    /** A request body's stream: all at once, or a few bytes per read with a pause (a slow producer). */
    static InputStream source(byte[] content, boolean slow) {
        if (!slow) {
            return new java.io.ByteArrayInputStream(content);
        }
        return new ReadByBulk() {
            int at;

            @Override
            public int read(byte[] b, int off, int len) {
                if (at >= content.length) {
                    return -1;
                }
                LockSupport.parkNanos(50_000); // slow, not a schedule
                int n = Math.min(len, Math.min(content.length - at, 1 + content.length / 8));
                System.arraycopy(content, at, b, off, n);
                at += n;
                return n;
            }
        };
    }

    /** Null if what happened to this request is allowed; else what is wrong with it. */
    static String judge(Plan p, Server server) {
        List<Fault> fs = server.faultsOf(p.token);
        int heads = server.count(server.heads, p.token);
        int bodies = server.count(server.bodies, p.token);
        Throwable f = p.failure();
        String at = p + ", served " + fs + " (heads " + heads + ", bodies " + bodies + "), failed with " + f;
        if (p.wrong != null) {
            return at + ": " + p.wrong;
        }
        String early = firstNonNull(p.doneOnce(at), p.interruptStatus(at, "roundTrip"));
        if (early != null) {
            return early;
        }
        if (f != null) {
            if (!(f instanceof IOException) && !(f instanceof InterruptedException)
                    || f.getClass().getName().contains(".internal.")) {
                return at + ": not a public IOException or InterruptedException (E10): " + describe(f);
            }
            if (f.getMessage() == null || f.getMessage().isBlank()) {
                return at + ": an exception without a message";
            }
            String whose = whoseEnd(p, f);
            if (whose != null) {
                return at + ": " + whose + ": " + describe(f);
            }
        }
        String retried = p.retriedOnlyAfterReused(at);
        if (retried != null) {
            return retried;
        }
        if (!p.replayable() && heads > 1) {
            return at + ": the server read the head of a request that is not replayable " + heads + " times (E9, P14)";
        }
        if (heads > Math.max(1, p.getConns.get()) || bodies > Math.max(1, p.getConns.get())) {
            return at + ": the server read its head " + heads + " and its body " + bodies + " times in " + p.getConns
                    + " attempts";
        }
        if (p.action == Action.CANCEL_BEFORE) {
            if (!(f instanceof RequestCancelledException c && c.reason() == RequestCancelledException.Reason.CONTEXT)) {
                return at + ": its context was cancelled before roundTrip, yet it did not fail as cancelled";
            }
            if (heads != 0) {
                return at + ": its context was cancelled before roundTrip, yet the server read its head";
            }
        }
        boolean expectsAnswer = p.action == Action.NONE || p.action == Action.CLOSE_HALF;
        if (expectsAnswer && fs.stream().allMatch(x -> x.proper)) {
            if (f != null) {
                return at + ": failed though it did nothing to end itself and every answer to it was proper: "
                        + describe(f);
            }
            if (p.action == Action.NONE && !p.readToEnd) {
                return at + ": neither read to its end nor failed";
            }
        }
        return null;
    }

    /** Null if {@code f} is not a request's own ending or is one it brought on itself; else why it is someone else's. */
    static String whoseEnd(Plan p, Throwable f) {
        if (f instanceof RequestCancelledException c) {
            return switch (c.reason()) {
                case CONTEXT -> p.action.cancels() ? null : "a context cancellation, never cancelled";
                case INTERRUPT -> p.action.interrupts() ? null : "an interrupt, never interrupted";
                case TRANSPORT_CLOSED -> "the transport's close, yet it was open";
            };
        }
        if (f instanceof HttpTimeoutException h) {
            return h.kind() == HttpTimeoutException.Kind.REQUEST && p.action == Action.TIMEOUT ? null
                    : "a timeout it did not have (or hung until its backstop deadline)";
        }
        if (f instanceof InterruptedException || f instanceof java.io.InterruptedIOException) {
            return p.action.interrupts() ? null : "an interruption, never interrupted";
        }
        return null;
    }

    /** The server: each attempt's answer drawn from the run's seed, the token and the attempt's number. */
    static final class Server {
        private final long seed;
        final Map<Fault, AtomicInteger> served = new ConcurrentHashMap<>();
        final Map<String, ConcurrentLinkedQueue<Fault>> faults = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> heads = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<CountDownLatch> held = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        final AtomicInteger handlersEnded = new AtomicInteger();
        private volatile boolean releasedAll;

        Server(long seed) {
            this.seed = seed;
        }

        List<Fault> faultsOf(String token) {
            return List.copyOf(faults.getOrDefault(token, new ConcurrentLinkedQueue<>()));
        }

        int count(Map<String, AtomicInteger> m, String token) {
            AtomicInteger n = m.get(token);
            return n == null ? 0 : n.get();
        }

        void releaseAll() {
            releasedAll = true;
            for (CountDownLatch l; (l = held.poll()) != null; ) {
                l.countDown();
            }
        }

        void serve(RawServer.Conn c) throws Exception {
            try {
                for (String head; (head = c.readRequestHead()) != null; ) {
                    if (!answer(c, head)) {
                        return;
                    }
                }
            } catch (java.net.SocketException e) {
                // the client closed or reset under us: the connection has ended
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).startsWith("EOF inside")) {
                    throw e;
                }
            } finally {
                handlersEnded.incrementAndGet();
            }
        }

        /** Answers one request; false if the connection is to end. */
        boolean answer(RawServer.Conn c, String head) throws IOException, InterruptedException {
            String token = field(head, "x-token");
            if (token == null) {
                violations.add("a request head without a token: " + head);
                return false;
            }
            int attempt = heads.computeIfAbsent(token, k -> new AtomicInteger()).getAndIncrement();
            Random rnd = new Random(seed * 1_000_003L + token.hashCode() * 8191L + attempt);
            Fault f = Weights.draw(Fault.values(), x -> x.weight, rnd);
            String cl = field(head, "content-length");
            boolean chunked = "chunked".equalsIgnoreCase(field(head, "transfer-encoding"));
            boolean hasBody = chunked || cl != null && Integer.parseInt(cl) > 0;
            if (f == Fault.EARLY && !hasBody) {
                f = Fault.OK;
            }
            served.computeIfAbsent(f, k -> new AtomicInteger()).incrementAndGet();
            faults.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>()).add(f);
            boolean expect = "100-continue".equalsIgnoreCase(field(head, "expect"));
            byte[] body = expected(token).getBytes(StandardCharsets.ISO_8859_1);
            String ok = "HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nContent-Length: " + body.length + "\r\n\r\n";
            switch (f) {
                case RESET_ON_ARRIVAL -> {
                    c.reset();
                    return false;
                }
                case CLOSE_ON_ARRIVAL -> {
                    return false;
                }
                case EARLY -> {
                    boolean continued = expect && rnd.nextBoolean();
                    if (continued) {
                        c.write("HTTP/1.1 100 Continue\r\n\r\n"); // the body is asked for, then answered before it is read
                    }
                    c.write(ok);
                    c.write(body);
                    if (expect && !continued) {
                        // A final answer instead of 100 Continue: the body may come or not, and the connection is
                        // not reused (P21); waited out so that no unread byte turns our close into a reset.
                        c.readUntilClosed();
                        return false;
                    }
                    return readBody(c, head, token, chunked, cl);
                }
                case IGNORE_BODY -> {
                    c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nConnection: close\r\nContent-Length: "
                            + body.length + "\r\n\r\n");
                    c.write(body);
                    // As Go's server after an answer that leaves the body unread: its side shut, the rest drained, so
                    // that the client reads the answer whole rather than a reset.
                    c.socket.shutdownOutput();
                    c.readUntilClosed();
                    return false;
                }
                default -> { }
            }
            if (f == Fault.INFORMATIONAL) {
                for (int k = rnd.nextInt(2); k > 0; k--) {
                    c.write(informational(rnd));
                }
            }
            if (hasBody) {
                if (expect) {
                    c.write("HTTP/1.1 100 Continue\r\n\r\n");
                }
                if (!readBody(c, head, token, chunked, cl)) {
                    return false;
                }
            }
            switch (f) {
                case OK -> {
                    c.write(ok);
                    c.write(body);
                    return true;
                }
                case INFORMATIONAL -> {
                    for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
                        c.write(informational(rnd));
                    }
                    c.write(ok);
                    c.write(body);
                    return true;
                }
                case HELD_HEAD -> {
                    CountDownLatch gate = new CountDownLatch(1);
                    held.add(gate);
                    if (releasedAll) {
                        gate.countDown();
                    }
                    if (!gate.await(HANG_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                        violations.add(token + ": its held head was never released");
                    }
                    c.write(ok);
                    c.write(body);
                    return true;
                }
                case CHUNKED -> {
                    c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nTransfer-Encoding: chunked\r\n\r\n");
                    boolean extensions = rnd.nextBoolean();
                    for (int at = 0; at < body.length; ) {
                        int k = Math.min(body.length - at, 1 + rnd.nextInt(900));
                        c.write(Integer.toHexString(k) + (extensions ? ";x=" + at : "") + "\r\n"
                                + new String(body, at, k, StandardCharsets.ISO_8859_1) + "\r\n");
                        at += k;
                    }
                    c.write(extensions ? "0\r\nX-Trailer: " + token + "\r\n\r\n" : "0\r\n\r\n");
                    return true;
                }
                case CONNECTION_CLOSE -> {
                    c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nConnection: close\r\nContent-Length: "
                            + body.length + "\r\n\r\n");
                    c.write(body);
                    return false;
                }
                case EOF_BODY -> {
                    c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\n\r\n");
                    c.write(body);
                    return false;
                }
                case SLOW_BODY -> {
                    c.write(ok);
                    for (int at = 0; at < body.length; ) {
                        int k = Math.min(body.length - at, 1 + rnd.nextInt(Math.max(1, body.length / 3)));
                        c.out.write(body, at, k);
                        c.out.flush();
                        at += k;
                        LockSupport.parkNanos(rnd.nextInt(1_000_000)); // slow, not a schedule
                    }
                    return true;
                }
                case CLOSE_AFTER_HEAD -> {
                    c.write(ok);
                    return false;
                }
                case CLOSE_MID_BODY, RESET_MID_BODY -> {
                    c.write(ok);
                    c.write(java.util.Arrays.copyOf(body, rnd.nextInt(body.length)));
                    if (f == Fault.RESET_MID_BODY) {
                        c.reset();
                    }
                    return false;
                }
                default -> throw new AssertionError(f);
            }
        }

        static String informational(Random rnd) {
            return rnd.nextBoolean() ? "HTTP/1.1 100 Continue\r\n\r\n"
                    : "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n";
        }

        /**
         * Reads the request body (Content-Length or chunked) and checks that it is the one of {@code token}; false if
         * the client ended the connection before its end.
         */
        boolean readBody(RawServer.Conn c, String head, String token, boolean chunked, String cl) throws IOException {
            String declared = field(head, "x-body-length");
            int want = declared == null ? 0 : Integer.parseInt(declared);
            byte[] expectedBody = requestBody(token, want);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            boolean whole;
            if (chunked) {
                whole = readChunked(c.in, got);
            } else {
                int n = cl == null ? 0 : Integer.parseInt(cl);
                if (n != want) {
                    violations.add(token + ": Content-Length " + n + " for a body of " + want + " bytes");
                }
                byte[] b = c.readBody(n);
                got.write(b);
                whole = b.length == n;
            }
            byte[] b = got.toByteArray();
            if (b.length > 0) {
                bodies.computeIfAbsent(token, k -> new AtomicInteger()).incrementAndGet();
            }
            boolean prefix = b.length <= expectedBody.length
                    && java.util.Arrays.equals(b, 0, b.length, expectedBody, 0, b.length);
            if (!prefix || whole && b.length != want) {
                violations.add(token + ": the server read a request body of " + b.length + " bytes that is not "
                        + (whole ? "its own" : "a prefix of its own") + ": "
                        + new String(b, 0, Math.min(b.length, 200), StandardCharsets.ISO_8859_1));
            }
            return whole;
        }

        /** Reads a chunked body into {@code out}; false if the connection ended inside it. */
        static boolean readChunked(InputStream in, ByteArrayOutputStream out) throws IOException {
            while (true) {
                String size = line(in);
                if (size == null) {
                    return false;
                }
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    for (String t; (t = line(in)) != null; ) {
                        if (t.isEmpty()) {
                            return true;
                        }
                    }
                    return false;
                }
                byte[] b = in.readNBytes(n);
                out.write(b);
                if (b.length < n || line(in) == null) {
                    return false;
                }
            }
        }

        /** One CRLF-ended line without its end; null at EOF. */
        static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int x; (x = in.read()) != '\n'; ) {
                if (x < 0) {
                    return null;
                }
                b.write(x);
            }
            String s = b.toString(StandardCharsets.ISO_8859_1);
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
    }
}
