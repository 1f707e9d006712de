package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.http.ChaosProbe.Phase;
import io.gochan.http.ChaosRaceProbeTest.Action;
import io.gochan.http.ChaosRaceProbeTest.Fault;
import io.gochan.http.ChaosRaceProbeTest.Plan;
import io.gochan.http.ChaosRaceProbeTest.Server;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos race probe (E70) over what it left out (E71): HTTPS on loopback, and {@link HttpClient} following
 * redirect chains with a cookie jar. The callers' endings, the server's faults per request and the promises checked
 * are E70's, and so is most of the code ({@link ChaosRaceProbeTest}'s plans, server script, reader and judge).
 *
 * <p>Over TLS, the server also faults the connection itself: it closes or resets it after reading part of the
 * {@code ClientHello}, or at a random moment while the handshake runs (and not after it completed), and it ends a
 * connection with or without a {@code close_notify} (after its last answer, or after a body it cut short: a cut
 * must not pass for an end); heads and bodies go out as separate TLS records (a slow answer as many), so a close or
 * reset mid-body lands between records. A request may fail for a handshake fault only if it
 * was under way when the server made one and the server never read its head.
 *
 * <p>Through {@link HttpClient}: each request follows a chain of 0 to 4 redirects (301, 302, 303, 307, 308, a body
 * sent again on 307 and 308 when it is replayable), each hop at random on a plain or a TLS origin (another origin),
 * the first hop setting a cookie scoped to the request's own path. At every hop the server may fault (close or reset
 * on arrival, stall a request that ends itself, answer then close, cut the redirect's body), and the caller's
 * cancel or interrupt at a listener phase lands on a hop drawn at random. Checked besides E70's promises: each hop
 * reports exactly one {@code done()} per transport attempt's request, every attempt but a hop's last was on a
 * reused connection, the server reads a hop's head at most once when that hop's request is not replayable, every
 * hop after the first carries exactly its own request's cookie (never another's), and the final answer is the
 * request's own (a 307 or 308 with a body that cannot be sent again is that answer).
 *
 * <p>Seeded as E70 ({@code -Dchaos.seed=N}); {@code -Dchaos.tls.rounds=N} and {@code -Dchaos.redirect.rounds=N}
 * run longer (defaults 2 and 2; {@code -Dchaos.redirect.requests=N} per redirect round, default 80).
 */
@NoGoroutineLeaks(captureStartSites = false, graceMillis = 20_000)
class ChaosTlsRedirectProbeTest {
    static final int TLS_ROUNDS = Integer.getInteger("chaos.tls.rounds", 2);
    static final int REDIRECT_ROUNDS = Integer.getInteger("chaos.redirect.rounds", 2);
    static final int REDIRECT_REQUESTS = Integer.getInteger("chaos.redirect.requests", 80);

    /** E70's machinery: its plans, listener and transports, closed after each test. */
    final ChaosRaceProbeTest chaos = new ChaosRaceProbeTest();
    final List<Transport> opened = new CopyOnWriteArrayList<>();

    @AfterEach
    void noLeaks() {
        opened.forEach(Transport::close);
        chaos.noLeaks();
    }

    /** What the TLS server does to a connection before it speaks HTTP on it. */
    static final class HandshakeFaults {
        final ConcurrentLinkedQueue<Long> at = new ConcurrentLinkedQueue<>();
        final AtomicInteger made = new AtomicInteger();
        final boolean enabled;

        HandshakeFaults(boolean enabled) {
            this.enabled = enabled;
        }

        /** Whether {@code p} was under way when the server faulted a handshake: such a dial may have been its. */
        boolean during(Plan p) {
            long end = p.endNanos == 0 ? Long.MAX_VALUE : p.endNanos;
            return at.stream().anyMatch(t -> t - p.startNanos >= 0 && end - t >= 0);
        }

        void record() {
            made.incrementAndGet();
            at.add(System.nanoTime());
        }
    }

    /**
     * Serves {@code c} over TLS with the plain script {@code next}, faulting the handshake itself at random;
     * {@code ended} counts a connection that never reached {@code next} (which counts its own).
     */
    static void serveTls(RawServer.Conn c, long seed, HandshakeFaults hs, RawServer.Handler next, AtomicInteger ended)
            throws Exception {
        Random rnd = new Random(seed * 999_983L + c.index);
        int draw = rnd.nextInt(100);
        SSLSocket tls = JdkServer.serverTls(c.socket);
        boolean handedOn = false;
        try {
            if (hs.enabled && draw < 4) {
                // Part of the ClientHello read, then the connection ended under the client's handshake.
                c.in.readNBytes(1 + rnd.nextInt(200));
                hs.record();
                if (rnd.nextBoolean()) {
                    c.reset();
                }
                return;
            }
            AtomicBoolean settled = new AtomicBoolean();
            Thread racer = null;
            if (hs.enabled && draw < 10) {
                // A close or reset racing the handshake: whichever of the two settles first wins, so a connection
                // whose handshake completed is never cut by this fault (that would be another request's).
                long delay = rnd.nextInt(4_000_000);
                boolean reset = rnd.nextBoolean();
                racer = Thread.ofVirtual().name("chaos-tls-racer-" + c.index).start(() -> {
                    LockSupport.parkNanos(delay);
                    if (settled.compareAndSet(false, true)) {
                        hs.record();
                        try {
                            if (reset) {
                                c.reset();
                            } else {
                                c.socket.close();
                            }
                        } catch (IOException e) {
                            // already ended
                        }
                    }
                });
            }
            boolean shook;
            try {
                tls.startHandshake();
                shook = true;
            } catch (IOException e) {
                shook = false; // the racer cut it, or the client gave up on its dial (its request ended)
            }
            // Settled here, before the racer is joined: once the handshake is over the racer does nothing.
            boolean beforeRacer = settled.compareAndSet(false, true);
            if (racer != null) {
                racer.join();
            }
            if (!shook || !beforeRacer) {
                return;
            }
            handedOn = true;
            try {
                next.handle(c.over(tls));
            } catch (IOException e) {
                // the client closed or reset under a TLS read or write (an SSLException, not a SocketException)
            }
            if (rnd.nextBoolean()) {
                try {
                    tls.close(); // a close_notify after the last answer, or none
                } catch (IOException e) {
                    // the client has gone
                }
            }
        } finally {
            if (!handedOn) {
                ended.incrementAndGet(); // next counts its own
            }
        }
    }

    @Test
    void E71_overTlsRandomFaultsAndHandshakeFaultsNeverFailLeakHangOrRepeatForAnotherRequest() throws Exception {
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        String tag = "chaos.seed=" + seed + " (TLS)";
        Server faults = new Server(seed);
        HandshakeFaults hs = new HandshakeFaults(true);
        SSLContext client = JdkServer.clientTls();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> serveTls(c, seed, hs, faults::serve, faults.handlersEnded))) {
            URI base = URI.create("https://127.0.0.1:" + server.port() + "/");
            for (int round = 0; round < TLS_ROUNDS; round++) {
                chaos.round(base, b -> b.sslContext(client), faults, new Random(seed * 7919 + round), round, tag, violations,
                        outcomes, (p, f) -> f instanceof IOException && !(f instanceof HttpTimeoutException)
                                && !(f instanceof RequestCancelledException) && faults.headsOf(p.token).isEmpty()
                                && hs.during(p));
                if (!violations.isEmpty()) {
                    break;
                }
            }
            String summary = tag + ": outcomes " + new TreeMap<>(outcomes) + "; served " + faults.served + "; "
                    + hs.made + " handshake faults; " + server.accepted() + " connections";
            System.getLogger(ChaosTlsRedirectProbeTest.class.getName()).log(System.Logger.Level.INFO, summary);
            assertThat(violations).as(summary).isEmpty();
            Leaks.awaitTrue(() -> faults.handlersEnded.get() == server.accepted(),
                    "server saw every connection end: " + faults.handlersEnded + " of " + server.accepted() + " (" + tag + ")");
            assertThat(server.failures()).as(summary).isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Redirects through HttpClient

    /** One request's redirect chain: the status of each redirect hop and the origin of every hop (one more). */
    record Chain(int[] statuses, int[] origins, int endAtHop) {
        static Chain draw(Random rnd) {
            int n = rnd.nextInt(5);
            int[] codes = {301, 302, 303, 307, 308};
            int[] s = new int[n];
            int[] o = new int[n + 1];
            for (int i = 0; i < n; i++) {
                s[i] = codes[rnd.nextInt(codes.length)];
            }
            for (int i = 0; i <= n; i++) {
                o[i] = rnd.nextInt(3) == 0 ? 1 : 0;
            }
            return new Chain(s, o, rnd.nextInt(n + 1));
        }

        /** The method hop {@code i} is sent with: 301, 302 and 303 make it a GET (Go's redirectBehavior). */
        String method(Plan p, int i) {
            for (int k = 0; k < i; k++) {
                if (statuses[k] != 307 && statuses[k] != 308) {
                    return "GET";
                }
            }
            return p.method;
        }

        /** Go's isReplayable for hop {@code i}: a GET, or the request's own body sent again on 307/308 if it may be. */
        boolean replayable(Plan p, int i) {
            return method(p, i).equals("GET") || p.replayable();
        }

        /** The hop whose answer the caller gets if every hop is answered: the first 307/308 it cannot follow. */
        int finalHop(Plan p) {
            for (int i = 0; i < statuses.length; i++) {
                if ((statuses[i] == 307 || statuses[i] == 308) && method(p, i).equals(p.method) && p.onceBody) {
                    return i;
                }
            }
            return statuses.length;
        }
    }

    /** What the redirect test records per hop of a request (its key is {@code token/hop}). */
    static final class Hop {
        final AtomicInteger getConns = new AtomicInteger();
        final List<Boolean> reusedAttempts = new CopyOnWriteArrayList<>();
        final AtomicInteger dones = new AtomicInteger();
        final ConcurrentLinkedQueue<String> heads = new ConcurrentLinkedQueue<>();
    }

    final Map<String, Plan> plans = new ConcurrentHashMap<>();
    final Map<String, Chain> chains = new ConcurrentHashMap<>();
    final Map<String, Hop> hops = new ConcurrentHashMap<>();

    private Hop hop(String token, int i) {
        return hops.computeIfAbsent(token + "/" + i, k -> new Hop());
    }

    /** The hop a request to {@code uri} is: its path is /r/token/hop. */
    private static int hopOf(URI uri) {
        String path = uri.getPath();
        return Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
    }

    final RequestListener redirectListener = new RequestListener() {
        private void fire(HttpRequest request, Phase phase) {
            Plan p = plans.get(String.valueOf(request.headers().get("X-Token")));
            if (p != null && chains.get(p.token).endAtHop() == hopOf(request.uri())) {
                p.fire(phase);
            }
        }

        @Override
        public void getConn(HttpRequest request, String hostPort) {
            String token = request.headers().get("X-Token");
            if (token != null) {
                hop(token, hopOf(request.uri())).getConns.incrementAndGet();
            }
        }

        @Override
        public void gotConn(HttpRequest request, boolean reused) {
            String token = request.headers().get("X-Token");
            if (token != null) {
                hop(token, hopOf(request.uri())).reusedAttempts.add(reused);
                Plan p = plans.get(token);
                if (p != null) {
                    p.reusedAttempts.add(reused);
                }
                fire(request, Phase.GOT_CONN);
            }
        }

        @Override
        public void wroteHeaders(HttpRequest request) {
            fire(request, Phase.WROTE_HEADERS);
        }

        @Override
        public void gotFirstResponseByte(HttpRequest request) {
            fire(request, Phase.FIRST_BYTE);
        }

        @Override
        public void done(HttpRequest request, Throwable error) {
            String token = request.headers().get("X-Token");
            if (token != null) {
                hop(token, hopOf(request.uri())).dones.incrementAndGet();
                Plan p = plans.get(token);
                if (p != null) {
                    p.doneError = error;
                    p.dones.incrementAndGet();
                }
            }
        }
    };

    /** Serves hop after hop of every chain; the last hop (or a fault) as E70's server does. */
    final class RedirectServer {
        final Server faults;
        final long seed;
        final URI[] origins = new URI[2];
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

        RedirectServer(Server faults, long seed) {
            this.faults = faults;
            this.seed = seed;
        }

        void serve(RawServer.Conn c, int origin) throws Exception {
            Random rnd = new Random(seed * 1_000_033L + c.index * 2L + origin);
            try {
                for (String head; (head = c.readRequestHead()) != null; ) {
                    String token = ChaosProbe.field(head, "x-token");
                    String target = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP/"));
                    int i = Integer.parseInt(target.substring(target.lastIndexOf('/') + 1));
                    Chain chain = chains.get(token);
                    String length = ChaosProbe.field(head, "content-length");
                    int n = length == null ? 0 : Integer.parseInt(length);
                    String method = head.substring(0, head.indexOf(' '));
                    hop(token, i).heads.add(method + " on connection " + origin + "/" + c.index);
                    faults.headsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>()).add(method + " hop " + i);
                    String cookie = ChaosProbe.field(head, "cookie");
                    String want = i == 0 ? null : "chain=" + token;
                    if (!java.util.Objects.equals(cookie, want)) {
                        violations.add(token + " hop " + i + " (" + Arrays.toString(chain.statuses()) + ") sent Cookie "
                                + cookie + ", not " + want + " (R12)");
                    }
                    if (!method.equals(chain.method(plans.get(token), i))) {
                        violations.add(token + " hop " + i + " sent as " + method + ", not " + chain.method(plans.get(token), i));
                    }
                    Fault f = Weights.draw(Fault.values(), x -> x.weight, rnd);
                    if (f == Fault.STALL && ChaosProbe.field(head, "x-may-stall") == null || f == Fault.EARLY_ANSWER && n == 0) {
                        f = Fault.OK;
                    }
                    boolean expect = "100-continue".equalsIgnoreCase(ChaosProbe.field(head, "expect"));
                    if (i < chain.statuses().length) {
                        f = switch (f) {
                            case CLOSE_ON_ARRIVAL, RESET_ON_ARRIVAL, STALL, ANSWER_THEN_CLOSE, CLOSE_MID_BODY, SLOW_HEAD -> f;
                            default -> Fault.OK;
                        };
                        faults.served.get(f).incrementAndGet();
                        faults.faultsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>()).add(f);
                        if (!redirect(c, token, i, chain, n, expect, f, rnd)) {
                            return;
                        }
                        continue;
                    }
                    faults.served.get(f).incrementAndGet();
                    faults.faultsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>()).add(f);
                    if ((f == Fault.GZIP || f == Fault.GZIP_CUT) && !String.valueOf(ChaosProbe.field(head, "accept-encoding")).contains("gzip")) {
                        f = Fault.OK;
                    }
                    if (!Server.answer(c, token, n, expect, f, rnd)) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the client closed or reset under us (over TLS an SSLException)
            } finally {
                faults.handlersEnded.incrementAndGet();
            }
        }

        private boolean redirect(RawServer.Conn c, String token, int i, Chain chain, int n, boolean expect, Fault f,
                Random rnd) throws IOException {
            if (f == Fault.CLOSE_ON_ARRIVAL) {
                return false;
            }
            if (f == Fault.RESET_ON_ARRIVAL) {
                c.reset();
                return false;
            }
            if (f == Fault.STALL) {
                c.readUntilClosed();
                return false;
            }
            if (expect) {
                c.write("HTTP/1.1 100 Continue\r\n\r\n");
            }
            c.readBody(n);
            byte[] body = ChaosRaceProbeTest.expected(token).getBytes(StandardCharsets.ISO_8859_1);
            String head = "HTTP/1.1 " + chain.statuses()[i] + " Moved\r\nX-Echo: " + token + "\r\nLocation: "
                    + origins[chain.origins()[i + 1]].resolve("/r/" + token + "/" + (i + 1)) + "\r\n"
                    + (i == 0 ? "Set-Cookie: chain=" + token + "; Path=/r/" + token + "/\r\n" : "")
                    + "Content-Length: " + body.length + "\r\n\r\n";
            if (f == Fault.SLOW_HEAD) {
                byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
                int cut = 1 + rnd.nextInt(h.length - 1);
                c.write(Arrays.copyOf(h, cut));
                LockSupport.parkNanos(rnd.nextInt(1_500_000)); // slow, not a schedule
                c.write(Arrays.copyOfRange(h, cut, h.length));
            } else {
                c.write(head);
            }
            if (f == Fault.CLOSE_MID_BODY) {
                c.write(Arrays.copyOf(body, rnd.nextInt(body.length)));
                return false;
            }
            c.write(body);
            return f != Fault.ANSWER_THEN_CLOSE;
        }
    }

    @Test
    void E71_redirectChainsAcrossOriginsWithACookieJarNeverFailLeakHangOrRepeatForAnotherRequest() throws Exception {
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        String tag = "chaos.seed=" + seed + " (redirects)";
        Server faults = new Server(seed);
        RedirectServer rs = new RedirectServer(faults, seed);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        SSLContext client = JdkServer.clientTls();
        try (RawServer plain = RawServer.start(c -> rs.serve(c, 0));
             RawServer secure = RawServer.start(c -> serveTls(c, seed, new HandshakeFaults(false), c2 -> rs.serve(c2, 1),
                     faults.handlersEnded))) {
            rs.origins[0] = URI.create("http://127.0.0.1:" + plain.port() + "/");
            rs.origins[1] = URI.create("https://127.0.0.1:" + secure.port() + "/");
            for (int round = 0; round < REDIRECT_ROUNDS && violations.isEmpty(); round++) {
                redirectRound(rs, client, new Random(seed * 7919 + round), round, tag, violations, outcomes);
            }
            violations.addAll(rs.violations);
            String summary = tag + ": outcomes " + new TreeMap<>(outcomes) + "; served " + faults.served + "; "
                    + (plain.accepted() + secure.accepted()) + " connections";
            System.getLogger(ChaosTlsRedirectProbeTest.class.getName()).log(System.Logger.Level.INFO, summary);
            assertThat(violations).as(summary).isEmpty();
            Leaks.awaitTrue(() -> faults.handlersEnded.get() == plain.accepted() + secure.accepted(),
                    "server saw every connection end: " + faults.handlersEnded + " of "
                            + (plain.accepted() + secure.accepted()) + " (" + tag + ")");
            assertThat(plain.failures()).as(summary).isEmpty();
            assertThat(secure.failures()).as(summary).isEmpty();
        }
    }

    private void redirectRound(RedirectServer rs, SSLContext tls, Random rnd, int round, String tag,
            ConcurrentLinkedQueue<String> violations, Map<String, AtomicInteger> outcomes) throws Exception {
        Transport t = Transport.builder().sslContext(tls).maxIdleConnsPerHost(2).listener(redirectListener).build();
        opened.add(t);
        HttpClient hc = HttpClient.builder(t).cookieJar(new MemoryCookieJar(java.time.Clock.systemUTC())).build();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        List<Plan> roundPlans = new CopyOnWriteArrayList<>();
        long planSeed = rnd.nextLong();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < ChaosRaceProbeTest.CALLERS; c++) {
            Thread.Builder builder = c % 2 == 0 ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
            callers.add(builder.name("chaos-redirect-caller-" + c).start(() -> {
                for (int id; (id = next.getAndIncrement()) < REDIRECT_REQUESTS; ) {
                    String token = "d" + round + "-" + id;
                    Random prnd = new Random(planSeed * 31 + id);
                    // Transport 1 of E70's plans: no per-host limit (an abandoned body may wait for the cleaner)
                    // and none of its own timeouts.
                    Plan p = new Plan(token, prnd, Thread.currentThread(), 1);
                    Chain chain = Chain.draw(prnd);
                    chains.put(token, chain);
                    plans.put(token, p);
                    roundPlans.add(p);
                    try {
                        ChaosRaceProbeTest.exchange(hc::send, rs.origins[chain.origins()[0]].resolve("/r/" + token + "/0"), p,
                                s -> s == 200 || s == 204 || p.onceBody && (s == 307 || s == 308));
                    } catch (Throwable e) {
                        violations.add(p + ": the probe itself failed: " + e);
                    } finally {
                        p.end();
                        ended.incrementAndGet();
                    }
                }
            }));
        }
        AtomicBoolean running = new AtomicBoolean(true);
        Random crnd = new Random(rnd.nextLong());
        Thread controller = Thread.ofVirtual().name("chaos-redirect-controller").start(() -> {
            while (running.get()) {
                LockSupport.parkNanos(200_000 + crnd.nextInt(3_000_000));
                hc.closeIdleConnections();
                TransportStats s = t.stats();
                if (s.open() != s.idle() + s.inUse() || s.idle() < 0 || s.inUse() < 0 || s.dialing() < 0 || s.waiting() < 0) {
                    violations.add("inconsistent snapshot: " + s);
                }
            }
        });
        long deadline = System.nanoTime() + ChaosProbe.HANG_LIMIT.toNanos() * 3;
        for (Thread c : callers) {
            if (!c.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                violations.add(tag + ": caller " + c.getName() + " hung after " + ended + " of " + REDIRECT_REQUESTS
                        + " requests ended in round " + round + "\n" + Goroutines.dump());
                running.set(false);
                return;
            }
        }
        running.set(false);
        controller.join();
        long end = System.nanoTime() + ChaosProbe.HANG_LIMIT.toNanos();
        // done() of an abandoned body comes with its reclaim: every hop sent must have reported one.
        while (!ChaosProbe.settled(t.stats()) || hops.values().stream().anyMatch(h -> h.dones.get() == 0)) {
            if (System.nanoTime() > end) {
                violations.add("timed out waiting for the pool to come back to idle in round " + round + " (" + tag + "): "
                        + t.stats());
                break;
            }
            System.gc(); // abandoned bodies hold their connections until the cleaner reclaims them
            LockSupport.parkNanos(20_000_000);
        }
        long attemptsBeyondFirst = 0;
        for (Plan p : roundPlans) {
            Chain chain = chains.get(p.token);
            for (int i = 0; i <= chain.statuses().length; i++) {
                Hop h = hops.get(p.token + "/" + i);
                attemptsBeyondFirst += h == null ? 0 : Math.max(0, h.getConns.get() - 1);
            }
            String v = judge(p, chain, rs.faults);
            if (v != null) {
                violations.add(tag + ": " + v);
            }
            outcomes.computeIfAbsent(p.outcome(), k -> new AtomicInteger()).incrementAndGet();
        }
        if (t.stats().retries() != attemptsBeyondFirst) {
            violations.add(tag + ": counted " + t.stats().retries() + " retries, the hops made " + attemptsBeyondFirst
                    + " attempts beyond their first (P54)");
        }
        t.close();
        TransportStats s = t.stats();
        if (!ChaosProbe.empty(s)) {
            violations.add(tag + ": transport closed, yet counts " + s);
        }
    }

    /** Null if what happened to this request and each of its hops is allowed; else what is wrong with it. */
    private String judge(Plan p, Chain chain, Server server) {
        List<Fault> fs = server.faultsOf(p.token);
        Throwable f = p.failure();
        int last = -1;
        StringBuilder hopsSeen = new StringBuilder();
        for (int i = 0; i <= chain.statuses().length; i++) {
            Hop h = hops.get(p.token + "/" + i);
            if (h != null) {
                last = i;
                hopsSeen.append(" hop ").append(i).append(": attempts(reused) ").append(h.reusedAttempts)
                        .append(" heads ").append(h.heads).append(" dones ").append(h.dones).append(";");
            }
        }
        String at = p + ", chain " + Arrays.toString(chain.statuses()) + " origins " + Arrays.toString(chain.origins())
                + " ending at hop " + chain.endAtHop() + ", served " + fs + "," + hopsSeen + " failed with " + f;
        if (p.wrong != null) {
            return at + ": " + p.wrong;
        }
        for (int i = 0; i <= last; i++) {
            Hop h = hops.get(p.token + "/" + i);
            if (h == null) {
                return at + ": hop " + i + " was never sent, yet a later one was";
            }
            if (h.dones.get() != 1) {
                return at + ": hop " + i + " reported " + h.dones + " done() events, not one (E22)";
            }
            List<Boolean> attempts = h.reusedAttempts;
            for (int k = 0; k < attempts.size() - 1; k++) {
                if (!attempts.get(k)) {
                    return at + ": hop " + i + " retried after an attempt on a new connection";
                }
            }
            if (!chain.replayable(p, i) && h.heads.size() > 1) {
                return at + ": the server read hop " + i + "'s head " + h.heads.size() + " times, a request that is not"
                        + " replayable";
            }
            if (h.heads.size() > Math.max(1, h.getConns.get())) {
                return at + ": the server read hop " + i + "'s head " + h.heads.size() + " times in " + h.getConns + " attempts";
            }
        }
        String shape = ChaosRaceProbeTest.interruptAndShape(p, f, at, "send");
        if (shape != null) {
            return shape;
        }
        if (f != null) {
            String whose = ChaosRaceProbeTest.whoseEnd(p, f, false);
            if (whose != null) {
                return at + ": " + whose + ": " + ChaosProbe.describe(f);
            }
        }
        if (p.action.endsItself || p.action == Action.CLOSE_RACING_READ && p.roundTripFailure == null) {
            return null; // it ended itself, or its body was closed under its read
        }
        if (f == null) {
            if (last != chain.finalHop(p)) {
                return at + ": answered at hop " + last + ", not at hop " + chain.finalHop(p);
            }
            return p.action.expectsAnswer() && !p.readToEnd ? at + ": neither read to its end nor failed" : null;
        }
        if (fs.stream().anyMatch(x -> !x.answers)) {
            return null; // the server misbehaved on it
        }
        boolean connectionFailed = f instanceof HttpConnectionException || f instanceof HttpProtocolException h
                && h.reason() == HttpProtocolException.Reason.SERVER_CLOSED_BEFORE_RESPONSE;
        Hop lastHop = hops.get(p.token + "/" + last);
        if (p.roundTripFailure != null && connectionFailed && lastHop != null && lastHop.heads.isEmpty()
                && !chain.replayable(p, last)) {
            return null; // written to a connection the server closed just after its previous answer, as in Go
        }
        return at + ": failed though it did nothing to end itself before its body and the server answered every"
                + " hop it read: " + ChaosProbe.describe(f);
    }
}
