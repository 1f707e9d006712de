package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiPredicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The chaos race probe (E70): many concurrent requests from virtual and platform threads (GET, PUT, POST with
 * replayable and one-shot bodies, some with {@code Idempotency-Key} or {@code Expect: 100-continue}) over three
 * small pools (one with its own response-header and body-read timeouts racing every answer), against a raw-socket
 * server that misbehaves at random per request (a slow head, a slow body, a chunked body, a gzip body whole or cut
 * short, a 204, an answer before the request body is read (before or without {@code 100 Continue} for a request that
 * expects it), closing a kept-alive connection just after answering so that the next request's write races the
 * close, closing or resetting as a request arrives, closing or resetting mid-body, stalling), while callers at
 * random cancel their context (at a listener phase or from another thread), interrupt their thread (likewise), time
 * out, close the body early, close it from another thread while reading, close it late, or abandon it (never close
 * it, read to its end or not), and a controller calls {@code closeIdleConnections()} throughout and, in some rounds,
 * {@code close()} on one transport mid-round.
 *
 * <p>Every request carries a unique token that the server echoes in a header and in the body it derives from it.
 * Asserted, per request: it ends (no caller hangs); a response is its own (echoed token, and a body read to its end
 * is exactly the one derived from its token: never another request's, never cut short and passed off as whole);
 * it reports exactly one {@code done()}, carrying the exception {@code roundTrip} threw; every attempt but its last
 * was on a reused connection (Go retries only there); the server read the head of a request that is not replayable
 * (Go's {@code isReplayable}: a PUT, a POST without {@code Idempotency-Key}, a one-shot body) at most once, and any
 * request's head at most once per attempt; the caller's interrupt status is never left set unasked, is cleared only
 * with a thrown {@code InterruptedException}, and is otherwise kept; a request that did nothing to end itself, on a transport not closed under it,
 * succeeds unless the server misbehaved on it (its own fault, or, for a request that may not be sent again, the
 * server closing the connection it was written on). Globally: the pool's counters settle to idle (abandoned bodies
 * reclaimed by the cleaner), the retries counted equal the attempts made beyond each request's first, and after
 * close nothing is open, the server saw every connection end, and no transport goroutine is left.
 *
 * <p>Seeded: the seed is in every failure message ({@code -Dchaos.seed=N} draws the same plans and faults; thread
 * interleavings are not reproducible). {@code -Dchaos.rounds=N} runs longer (default 4 rounds of 150 requests; pass it
 * to the test JVM: {@code -Dsurefire.argLine="-Xmx2g -XX:+EnableDynamicAgentLoading -Dchaos.rounds=100"}).
 */
@NoGoroutineLeaks(captureStartSites = false, graceMillis = 20_000)
class ChaosRaceProbeTest extends ChaosProbe<ChaosRaceProbeTest.Plan> {
    static final int ROUNDS = Integer.getInteger("chaos.rounds", 4);
    static final int REQUESTS_PER_ROUND = Integer.getInteger("chaos.requests", 150);
    static final int CALLERS = 12;

    /** What the server does with one request. */
    enum Fault {
        OK(24, true),
        SLOW_HEAD(7, true),
        SLOW_BODY(7, true),
        CHUNKED(7, true),
        GZIP(6, true), // decoded by the transport (it asked for gzip)
        NO_CONTENT(4, true), // 204: an exchange that completes before the caller has the response
        GZIP_CUT(3, false), // a gzip body cut short, then closed
        EARLY_ANSWER(8, true), // the answer goes out before the request body is read; then the body is read
        ANSWER_THEN_CLOSE(8, true), // answered, then the kept-alive connection is closed at once (no Connection: close)
        CLOSE_ON_ARRIVAL(5, false), // the head (and body) read, then closed unanswered
        RESET_ON_ARRIVAL(4, false),
        CLOSE_MID_BODY(6, false),
        RESET_MID_BODY(5, false),
        STALL(6, false); // only for a request that ends itself (header X-May-Stall); else OK

        final int weight;
        final boolean answers;

        Fault(int weight, boolean answers) {
            this.weight = weight;
            this.answers = answers;
        }
    }

    /** What the caller does with its request. */
    enum Action implements ChaosCall.CallerAction {
        NONE(36, false),
        CANCEL_AT_PHASE(7, true),
        CANCEL_ASYNC(7, true),
        INTERRUPT_AT_PHASE(6, true),
        INTERRUPT_ASYNC(5, true),
        TIMEOUT(6, true),
        CLOSE_EARLY(8, false),
        CLOSE_RACING_READ(7, false),
        CLOSE_LATE(6, false),
        ABANDON_AT_EOF(6, false),
        ABANDON(6, false);

        final int weight;
        /** Ends itself before or while its answer comes: the server may stall it. */
        final boolean endsItself;

        Action(int weight, boolean endsItself) {
            this.weight = weight;
            this.endsItself = endsItself;
        }

        /** Expected to succeed when the server answered it: it acts on its body only once that is read. */
        boolean expectsAnswer() {
            return this == NONE || this == CLOSE_LATE || this == ABANDON_AT_EOF;
        }
    }

    /** The phases E70's callers strike at. */
    static final Phase[] PHASES = {Phase.BEFORE, Phase.GOT_CONN, Phase.WROTE_HEADERS, Phase.FIRST_BYTE, Phase.MID_BODY};

    /** One request's plan and everything that happened to it. */
    static final class Plan extends ChaosCall<Action> {
        final String method;
        final boolean onceBody;
        final int bodyLength;
        final int transport;

        Plan(String token, Random rnd, Thread caller, int transport) {
            super(token, caller, action(Weights.draw(Action.values(), x -> x.weight, rnd), transport),
                    PHASES[rnd.nextInt(PHASES.length)]);
            this.transport = transport;
            int m = rnd.nextInt(10);
            this.method = m < 5 ? "GET" : m < 7 ? "PUT" : "POST";
            this.onceBody = !method.equals("GET") && rnd.nextInt(3) == 0;
            this.idempotencyKey = method.equals("POST") && rnd.nextInt(4) == 0;
            this.expectContinue = !method.equals("GET") && rnd.nextInt(4) == 0;
            this.bodyLength = method.equals("GET") ? 0 : 1 + rnd.nextInt(3000);
            drawReading(rnd, 3_000_000, 4096, 2 * expected(token).length());
        }

        /**
         * An abandoned body holds its connection until the cleaner reclaims it: only on the pool without a per-host
         * limit, where it makes no neighbour wait for a collection.
         */
        private static Action action(Action a, int transport) {
            return a == Action.ABANDON && transport != 1 ? Action.CLOSE_EARLY : a;
        }

        /** Go's {@code isReplayable}: GET, or a POST with an {@code Idempotency-Key} (PUT is not), with a body it can open again. */
        boolean replayable() {
            return method.equals("GET") || idempotencyKey && !onceBody;
        }

        @Override
        String expectedBody() {
            return expected(token);
        }

        @Override
        public String toString() {
            return token + " " + method + (onceBody ? "(once)" : "") + (idempotencyKey ? "(Idempotency-Key)" : "")
                    + (expectContinue ? "(100-continue)" : "") + " " + actionText()
                    + " on transport " + transport + ", attempts(reused) " + reusedAttempts;
        }
    }

    /** The body the server sends for {@code token}: a few hundred bytes to a few KiB, every byte telling whose. */
    static String expected(String token) {
        return ("<" + token + ">").repeat(1 + Math.floorMod(token.hashCode() * 37, 400));
    }

    @Test
    void E70_randomFaultsCancelsAndClosesNeverFailLeakHangOrRepeatForAnotherRequest() throws Exception {
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        String tag = "chaos.seed=" + seed;
        Server faults = new Server(seed);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(faults::serve)) {
            for (int round = 0; round < ROUNDS; round++) {
                round(server.uri(""), b -> b, faults, new Random(seed * 7919 + round), round, tag, violations, outcomes,
                        (p, f) -> false);
                if (violations.size() > 0) {
                    break;
                }
            }
            String summary = tag + ": outcomes " + new java.util.TreeMap<>(outcomes) + "; served " + faults.served
                    + "; " + server.accepted() + " connections";
            System.getLogger(ChaosRaceProbeTest.class.getName()).log(System.Logger.Level.INFO, summary);
            assertThat(violations).as(summary).isEmpty();
            Leaks.awaitTrue(() -> faults.handlersEnded.get() == server.accepted(),
                    "server saw every connection end: " + faults.handlersEnded + " of " + server.accepted() + " (" + tag + ")");
            assertThat(server.failures()).as(summary).isEmpty();
        }
    }

    /**
     * One round of {@link #REQUESTS_PER_ROUND} requests to {@code base} over three pools, each built by
     * {@code configure} from its own settings; {@code excused} tells which failures a sibling probe's server caused
     * outside any request's plan (a fault of a connection's TLS handshake, E71; a proxy's fault, E72), judged as a server's misbehaviour.
     */
    void round(URI base, UnaryOperator<Transport.Builder> configure, Server faults, Random rnd, int round, String tag,
            ConcurrentLinkedQueue<String> violations, Map<String, AtomicInteger> outcomes,
            BiPredicate<Plan, Throwable> excused) throws Exception {
        round(p -> base.resolve("/c/" + p.token), 1, configure, faults, rnd, round, tag, violations, outcomes, excused,
                p -> null);
    }

    /**
     * As {@link #round(URI, UnaryOperator, Server, Random, int, String, ConcurrentLinkedQueue, Map, BiPredicate)},
     * each request sent to {@code target} (its own, drawn by a sibling probe: another origin, another proxy, E72) over
     * at most {@code keys} pool keys (each with its own per-host limit), and {@code alsoJudge} adding that probe's own checks of each request (null if it has nothing against it).
     */
    void round(java.util.function.Function<Plan, URI> target, int keys, UnaryOperator<Transport.Builder> configure, Server faults,
            Random rnd, int round, String tag, ConcurrentLinkedQueue<String> violations, Map<String, AtomicInteger> outcomes,
            BiPredicate<Plan, Throwable> excused, java.util.function.Function<Plan, String> alsoJudge) throws Exception {
        Transport[] ts = {
            configure.apply(Transport.builder().maxConnsPerHost(3).maxIdleConnsPerHost(2).listener(listener)).build(),
            configure.apply(Transport.builder().maxIdleConnsPerHost(1).listener(listener)).build(),
            // Its own timeouts race every answer: a response head or a body byte may come as they fire.
            configure.apply(Transport.builder().maxConnsPerHost(2).maxIdleConnsPerHost(2).responseHeaderTimeout(Duration.ofMillis(30))
                    .bodyReadTimeout(Duration.ofMillis(30)).listener(listener)).build(),
        };
        opened.addAll(List.of(ts));
        boolean closeMidRound = round % 2 == 1;
        AtomicBoolean closed1 = new AtomicBoolean();
        CountDownLatch halfway = new CountDownLatch(REQUESTS_PER_ROUND / 2);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        List<Plan> roundPlans = new CopyOnWriteArrayList<>();
        long planSeed = rnd.nextLong();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < CALLERS; c++) {
            Thread.Builder builder = c % 2 == 0 ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
            callers.add(builder.name("chaos-caller-" + c).start(() -> {
                for (int id; (id = next.getAndIncrement()) < REQUESTS_PER_ROUND; ) {
                    String token = "r" + round + "-" + id;
                    Random prnd = new Random(planSeed * 31 + id);
                    int which = prnd.nextInt(ts.length);
                    Plan p = new Plan(token, prnd, Thread.currentThread(), which);
                    plans.put(token, p);
                    roundPlans.add(p);
                    try {
                        exchange(ts[which], target.apply(p), p, s -> s == 200 || s == 204);
                    } catch (Throwable e) {
                        violations.add(p + ": the probe itself failed: " + e);
                    } finally {
                        p.end();
                        ended.incrementAndGet();
                        halfway.countDown();
                    }
                }
            }));
        }
        // The controller: closeIdleConnections() on either pool throughout, stats() checked for consistency, and in
        // odd rounds close() of the second transport once half the requests have ended.
        AtomicBoolean running = new AtomicBoolean(true);
        Random crnd = new Random(rnd.nextLong());
        Thread controller = Thread.ofVirtual().name("chaos-controller").start(() -> {
            while (running.get()) {
                LockSupport.parkNanos(200_000 + crnd.nextInt(3_000_000));
                Transport t = ts[crnd.nextInt(ts.length)];
                t.closeIdleConnections();
                TransportStats s = t.stats();
                if (!consistent(s) || (t == ts[0] && s.open() + s.dialing() > 3 * keys) || (t == ts[2] && s.open() + s.dialing() > 2 * keys)) {
                    violations.add("inconsistent snapshot: " + s);
                }
                if (closeMidRound && halfway.getCount() == 0 && closed1.compareAndSet(false, true)) {
                    ts[1].close();
                    TransportStats after = ts[1].stats();
                    if (!empty(after)) {
                        violations.add("transport 1 closed mid-round, yet counts " + after + " (E29)");
                    }
                }
            }
        });
        long deadline = System.nanoTime() + HANG_LIMIT.toNanos() * 3;
        for (Thread c : callers) {
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            if (!c.join(left)) {
                violations.add(tag + ": caller " + c.getName() + " hung after " + ended + " of " + REQUESTS_PER_ROUND
                        + " requests ended in round " + round + "\n" + Goroutines.dump());
                running.set(false);
                return;
            }
        }
        running.set(false);
        controller.join();
        // Abandoned bodies hold their connections until the cleaner reclaims them: collect until every pool is idle.
        for (int i = 0; i < ts.length; i++) {
            Transport t = ts[i];
            String what = "pool " + i + " back to idle in round " + round + " (" + tag + ")";
            long end = System.nanoTime() + HANG_LIMIT.toNanos();
            while (!settled(t.stats())) {
                if (System.nanoTime() > end) {
                    violations.add("timed out waiting for " + what + ": " + t.stats());
                    break;
                }
                System.gc();
                LockSupport.parkNanos(20_000_000);
            }
        }
        // done() of an abandoned body comes with its reclaim: wait for each (bounded) before judging.
        long end = System.nanoTime() + HANG_LIMIT.toNanos();
        while (roundPlans.stream().anyMatch(p -> p.dones.get() == 0) && System.nanoTime() < end) {
            System.gc();
            LockSupport.parkNanos(20_000_000);
        }
        long[] attemptsBeyondFirst = new long[ts.length];
        for (Plan p : roundPlans) {
            attemptsBeyondFirst[p.transport] += Math.max(0, p.getConns.get() - 1);
            String v = judge(p, faults, p.transport == 1 && closed1.get(), excused);
            if (v == null) {
                v = alsoJudge.apply(p);
            }
            if (v != null) {
                violations.add(tag + ": " + v);
            }
            outcomes.computeIfAbsent(p.outcome(), k -> new AtomicInteger()).incrementAndGet();
            plans.remove(p.token);
        }
        for (int i = 0; i < ts.length; i++) {
            if (ts[i].stats().retries() != attemptsBeyondFirst[i]) {
                violations.add(tag + ": transport " + i + " counted " + ts[i].stats().retries() + " retries, its requests made "
                        + attemptsBeyondFirst[i] + " attempts beyond their first (P54)");
            }
            ts[i].close();
            TransportStats s = ts[i].stats();
            if (!empty(s)) {
                violations.add(tag + ": transport " + i + " closed, yet counts " + s);
            }
        }
    }

    /**
     * Runs one planned request to {@code target} through {@code sender} (a transport, or a client following
     * redirects), recording what happened in its plan; {@code isFinal} tells the statuses its answer may have.
     */
    static void exchange(RoundTripper sender, URI target, Plan p, java.util.function.IntPredicate isFinal)
            throws InterruptedException {
        HttpRequest.Builder b = p.request(target);
        if (p.action.endsItself && !p.action.atPhase()) {
            b.header("X-May-Stall", "1"); // it ends itself whatever the server does
        }
        if (!p.method.equals("GET")) {
            byte[] content = new byte[p.bodyLength];
            Arrays.fill(content, (byte) 'b');
            RequestBody body = p.onceBody
                    ? RequestBody.ofStreamOnce(new java.io.ByteArrayInputStream(content), content.length, "application/octet-stream")
                    : RequestBody.of(content, "application/octet-stream");
            b.method(p.method, body);
        }
        p.send(sender, b.build(), "chaos", r -> read(r, p, isFinal));
    }

    /**
     * Reads (or not) the response as the plan says, where {@code isFinal} tells the statuses a request's answer may
     * have; checks that what was read is the request's own.
     */
    static void read(HttpResponse r, Plan p, java.util.function.IntPredicate isFinal) {
        p.read(r, isFinal, p.action == Action.CLOSE_EARLY || p.action == Action.ABANDON,
                p.action == Action.ABANDON || p.action == Action.ABANDON_AT_EOF, p.action == Action.CLOSE_RACING_READ);
    }

    /**
     * Null if the caller's interrupt status and the failure's shape are as E62 and E10 say; else what is wrong:
     * the status never left set unasked, cleared only with a thrown InterruptedException and otherwise kept; a
     * failure is an IOException or an InterruptedException, with a message. {@code call} names what threw.
     */
    static String interruptAndShape(Plan p, Throwable f, String at, String call) {
        String status = p.interruptStatus(at, call);
        if (status != null) {
            return status;
        }
        if (f != null && !(f instanceof IOException) && !(f instanceof InterruptedException)) {
            return at + ": not an IOException (" + describe(f) + ")";
        }
        if (f != null && (f.getMessage() == null || f.getMessage().isBlank())) {
            return at + ": an exception without a message";
        }
        return null;
    }

    /** Null if what happened to this request is allowed; else what is wrong with it. */
    private static String judge(Plan p, Server server, boolean transportClosed, BiPredicate<Plan, Throwable> excused) {
        List<Fault> fs = server.faultsOf(p.token);
        List<String> heads = server.headsOf(p.token);
        Throwable f = p.failure();
        String at = p + ", served " + fs + ", failed with " + f;
        if (p.wrong != null) {
            return p + ": " + p.wrong + " (served " + fs + ")";
        }
        String early = firstNonNull(p.doneOnce(at), interruptAndShape(p, f, at, "roundTrip"), p.retriedOnlyAfterReused(at));
        if (early != null) {
            return early;
        }
        List<Boolean> attempts = p.reusedAttempts;
        if (!p.replayable() && heads.size() > 1) {
            return at + ": the server read its head " + heads.size() + " times (a request that is not replayable is"
                    + " never sent again once it reached the server)";
        }
        if (heads.size() > Math.max(1, p.getConns.get())) {
            return at + ": the server read its head " + heads.size() + " times in " + p.getConns + " attempts";
        }
        if (f != null) {
            String whose = whoseEnd(p, f, transportClosed);
            if (whose != null) {
                return at + ": " + whose + ": " + describe(f);
            }
        }
        if (p.action.endsItself || p.action == Action.CLOSE_RACING_READ && p.roundTripFailure == null) {
            return null; // it ended itself, or its body was closed under its read: any outcome above is its own
        }
        // It acts on its body only once it has it: it must get its answer, and read what it reads of it.
        if (f == null) {
            return p.action.expectsAnswer() && !p.readToEnd ? at + ": neither read to its end nor failed" : null;
        }
        if (f instanceof RequestCancelledException c && c.reason() == RequestCancelledException.Reason.TRANSPORT_CLOSED
                || f instanceof HttpTimeoutException) {
            return null; // its transport was closed under it, or its transport's own timeout fired (whoseEnd checked)
        }
        boolean connectionFailed = f instanceof HttpConnectionException || f instanceof HttpProtocolException h
                && h.reason() == HttpProtocolException.Reason.SERVER_CLOSED_BEFORE_RESPONSE;
        if (p.roundTripFailure != null && connectionFailed && p.replayable() && !attempts.isEmpty()
                && attempts.get(attempts.size() - 1) && heads.size() == attempts.size()
                && (fs.get(fs.size() - 1) == Fault.CLOSE_ON_ARRIVAL || fs.get(fs.size() - 1) == Fault.RESET_ON_ARRIVAL)) {
            // Its last attempt, on a reused connection, was written whole and read by the server, which then closed
            // without a word: Go's read loop reports that as transportReadFromServerError, which a replayable request
            // is retried on (shouldRetryRequest).
            return at + ": a replayable request whose reused connection the server closed after reading it was not"
                    + " retried: " + describe(f);
        }
        if (fs.stream().anyMatch(x -> !x.answers) || excused.test(p, f)) {
            return null; // the server misbehaved on it
        }
        if (p.roundTripFailure != null && !p.replayable() && heads.isEmpty() && connectionFailed) {
            // Written to a connection the server closed just after its previous answer (ANSWER_THEN_CLOSE), before
            // it read this request: a request that may not be sent again fails, as in Go.
            return null;
        }
        return at + ": failed though it did nothing to end itself before its body and the server answered it"
                + " correctly every time it read it (" + heads + "): " + describe(f);
    }

    /**
     * Null if {@code f} is not a request's own ending (cancel, interrupt, its deadline, the transport's close) or is
     * one this request brought on itself; else why it is someone else's.
     */
    static String whoseEnd(Plan p, Throwable f, boolean transportClosed) {
        boolean cancels = p.action == Action.CANCEL_AT_PHASE || p.action == Action.CANCEL_ASYNC;
        boolean interrupts = p.action == Action.INTERRUPT_AT_PHASE || p.action == Action.INTERRUPT_ASYNC;
        if (f instanceof RequestCancelledException c) {
            return switch (c.reason()) {
                case CONTEXT -> cancels ? null : "a context cancellation, never cancelled";
                case INTERRUPT -> interrupts ? null : "an interrupt, never interrupted";
                case TRANSPORT_CLOSED -> transportClosed ? null : "the transport's close, yet it was open";
            };
        }
        if (f instanceof HttpTimeoutException h) {
            if (h.kind() == HttpTimeoutException.Kind.REQUEST) {
                return p.action != Action.TIMEOUT ? "a request timeout with only the hang limit as its deadline (hung)" : null;
            }
            // Transport 2's own timeouts race every answer; a sibling probe may give it a racing dial timeout (E72).
            boolean transportsOwn = p.transport == 2 && (h.kind() == HttpTimeoutException.Kind.RESPONSE_HEADERS
                    || h.kind() == HttpTimeoutException.Kind.BODY_READ || h.kind() == HttpTimeoutException.Kind.CONNECT);
            return transportsOwn ? null : "a timeout its transport does not have";
        }
        if (f instanceof InterruptedException || f instanceof java.io.InterruptedIOException) {
            return interrupts ? null : "an interruption, never interrupted";
        }
        return null;
    }

    /** The server: faults drawn per request from a seeded random per connection. */
    static final class Server {
        private final long seed;
        final Map<Fault, AtomicLong> served = new EnumMap<>(Fault.class);
        final Map<String, ConcurrentLinkedQueue<Fault>> faultsByToken = new ConcurrentHashMap<>();
        final Map<String, ConcurrentLinkedQueue<String>> headsByToken = new ConcurrentHashMap<>();
        final AtomicInteger handlersEnded = new AtomicInteger();

        Server(long seed) {
            this.seed = seed;
            for (Fault f : Fault.values()) {
                served.put(f, new AtomicLong());
            }
        }

        List<Fault> faultsOf(String token) {
            return List.copyOf(faultsByToken.getOrDefault(token, new ConcurrentLinkedQueue<>()));
        }

        List<String> headsOf(String token) {
            return List.copyOf(headsByToken.getOrDefault(token, new ConcurrentLinkedQueue<>()));
        }

        void serve(RawServer.Conn c) throws Exception {
            serve(c, head -> { });
        }

        /** As {@link #serve(RawServer.Conn)}, showing {@code onHead} each request head as it is read (E72's routing checks). */
        void serve(RawServer.Conn c, java.util.function.Consumer<String> onHead) throws Exception {
            Random rnd = new Random(seed * 1_000_003L + c.index);
            try {
                for (String head; (head = c.readRequestHead()) != null; ) {
                    onHead.accept(head);
                    String token = field(head, "x-token");
                    String length = field(head, "content-length");
                    int n = length == null ? 0 : Integer.parseInt(length);
                    headsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>())
                            .add(head.substring(0, head.indexOf(' ')) + " on connection " + c.index);
                    Fault f = Weights.draw(Fault.values(), x -> x.weight, rnd);
                    if (f == Fault.STALL && field(head, "x-may-stall") == null) {
                        f = Fault.OK;
                    }
                    if (f == Fault.EARLY_ANSWER && n == 0) {
                        f = Fault.OK;
                    }
                    served.get(f).incrementAndGet();
                    faultsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>()).add(f);
                    if (f == Fault.GZIP || f == Fault.GZIP_CUT) {
                        String ae = field(head, "accept-encoding");
                        if (ae == null || !ae.contains("gzip")) {
                            f = Fault.OK;
                        }
                    }
                    boolean expect = "100-continue".equalsIgnoreCase(field(head, "expect"));
                    if (!answer(c, token, n, expect, f, rnd)) {
                        return;
                    }
                }
            } catch (java.net.SocketException e) {
                // the client closed or reset under us: the connection has ended
            } finally {
                handlersEnded.incrementAndGet();
            }
        }

        /** Answers one request; false if the connection is to end. */
        static boolean answer(RawServer.Conn c, String token, int n, boolean expect, Fault f, Random rnd)
                throws IOException {
            byte[] body = expected(token).getBytes(StandardCharsets.ISO_8859_1);
            String head = "HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nContent-Length: " + body.length + "\r\n\r\n";
            boolean withoutBody = f == Fault.EARLY_ANSWER || f == Fault.STALL || f == Fault.CLOSE_ON_ARRIVAL
                    || f == Fault.RESET_ON_ARRIVAL;
            if (!expect && f != Fault.EARLY_ANSWER) {
                c.readBody(n);
            } else if (expect && !withoutBody) {
                c.write("HTTP/1.1 100 Continue\r\n\r\n");
                c.readBody(n);
            }
            switch (f) {
                case NO_CONTENT -> {
                    c.write("HTTP/1.1 204 No Content\r\nX-Echo: " + token + "\r\n\r\n");
                    return true;
                }
                case GZIP, GZIP_CUT -> {
                    java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
                    try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) {
                        g.write(body);
                    }
                    byte[] gz = z.toByteArray();
                    c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nContent-Encoding: gzip\r\nContent-Length: "
                            + gz.length + "\r\n\r\n");
                    if (f == Fault.GZIP) {
                        writeSlowly(c, gz, rnd);
                        return true;
                    }
                    c.write(Arrays.copyOf(gz, rnd.nextInt(gz.length)));
                    return false;
                }
                case OK, ANSWER_THEN_CLOSE -> {
                    c.write(head);
                    c.write(body);
                    return f == Fault.OK;
                }
                case SLOW_HEAD -> {
                    writeSlowly(c, head.getBytes(StandardCharsets.ISO_8859_1), rnd);
                    c.write(body);
                    return true;
                }
                case SLOW_BODY -> {
                    c.write(head);
                    writeSlowly(c, body, rnd);
                    return true;
                }
                case CHUNKED -> {
                    c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token + "\r\nTransfer-Encoding: chunked\r\n\r\n");
                    for (int at = 0; at < body.length; ) {
                        int k = Math.min(body.length - at, 1 + rnd.nextInt(700));
                        c.write(Integer.toHexString(k) + "\r\n" + new String(body, at, k, StandardCharsets.ISO_8859_1) + "\r\n");
                        at += k;
                    }
                    c.write("0\r\n\r\n");
                    return true;
                }
                case EARLY_ANSWER -> {
                    c.write(head);
                    c.write(body);
                    if (expect) {
                        // A final answer before 100 Continue: the client may send the body or not, and never reuses
                        // the connection (P21); waited out so no unread byte turns our close into a reset.
                        c.readUntilClosed();
                        return false;
                    }
                    c.readBody(n); // then the request body, and the connection stays in use
                    return true;
                }
                case CLOSE_ON_ARRIVAL -> {
                    return false;
                }
                case RESET_ON_ARRIVAL -> {
                    c.reset();
                    return false;
                }
                case CLOSE_MID_BODY, RESET_MID_BODY -> {
                    c.write(head);
                    c.write(Arrays.copyOf(body, rnd.nextInt(body.length)));
                    if (f == Fault.RESET_MID_BODY) {
                        c.reset();
                    }
                    return false;
                }
                case STALL -> {
                    if (rnd.nextBoolean()) {
                        c.write(head);
                        c.write(Arrays.copyOf(body, rnd.nextInt(body.length)));
                    }
                    c.readUntilClosed(); // the request's own deadline, cancel or interrupt must end it
                    return false;
                }
            }
            throw new AssertionError(f);
        }

        private static void writeSlowly(RawServer.Conn c, byte[] bytes, Random rnd) throws IOException {
            for (int at = 0; at < bytes.length; ) {
                int k = Math.min(bytes.length - at, 1 + rnd.nextInt(Math.max(1, bytes.length / 3)));
                c.out.write(bytes, at, k);
                c.out.flush();
                at += k;
                LockSupport.parkNanos(rnd.nextInt(1_500_000)); // slow, not a schedule: any pause is a valid server
            }
        }
    }
}
