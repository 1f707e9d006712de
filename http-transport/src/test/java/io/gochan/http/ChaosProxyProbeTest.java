package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.ChaosRaceProbeTest.Plan;
import io.gochan.http.ChaosRaceProbeTest.Server;
import io.gochan.http.ChaosTlsRedirectProbeTest.HandshakeFaults;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chaos race probe (E70) through proxies (E72): E70's callers (cancel, interrupt, timeout, early, racing, late and
 * abandoned body closes, {@code closeIdleConnections()} and {@code close()} racing) and E70's origin faults per
 * request, every request routed through one of two relaying proxies: a plain {@code http://} proxy and an
 * {@code https://} one (TLS to the proxy), to one of four origins: two plain ({@code http://localhost:a},
 * {@code http://127.0.0.1:b}) reached in absolute form over connections pooled per proxy, two TLS ones reached through
 * {@code CONNECT} tunnels (pooled per proxy and target, reused by later requests), TLS inside TLS through the https
 * proxy. The plans, the callers, the origin's script and the judge are {@link ChaosRaceProbeTest}'s.
 *
 * <p>The proxies relay bytes as they come (a close or reset of the origin becomes a close or reset of the client's
 * connection) and misbehave themselves: on a forwarded request (known by its token) they close as it arrives, close
 * inside their answer's head, answer garbage, or stall a request that ends itself; on a {@code CONNECT} they refuse
 * (502), close without an answer or inside it, answer garbage, answer slowly, or stall a dial of the pool whose 200 ms
 * dial timeout (which bounds the whole {@code CONNECT} exchange) races every dial, as E70's 30 ms timeouts of that pool
 * race every answer; inside a tunnel the TLS origin faults
 * the handshake (E71). Checked besides E70's promises: the proxy reads the head of a request that is not replayable
 * at most once, and any request's head at most once per attempt (heads counted at the proxy and at the origin); every
 * head reaches the origin it was meant for, with its own {@code Host}, through the proxy its request chose (so no
 * pooled connection or tunnel serves another proxy or target); a request fails for a proxy's fault only if the proxy
 * faulted it (forwarded) or faulted a {@code CONNECT} or a handshake while it was under way and its head never
 * reached the origin; both proxies and every origin see every connection end.
 *
 * <p>Seeded as E70 ({@code -Dchaos.seed=N}); {@code -Dchaos.proxy.rounds=N} runs longer (default 2 rounds of
 * {@code chaos.requests}, 150).
 */
@NoGoroutineLeaks(captureStartSites = false, graceMillis = 20_000)
class ChaosProxyProbeTest {
    static final int ROUNDS = Integer.getInteger("chaos.proxy.rounds", 2);
    /** Transport 2's dial timeout: it races every dial, as E70's 30 ms timeouts of that pool race every answer. */
    static final java.time.Duration DIAL_TIMEOUT = java.time.Duration.ofMillis(200);

    /** E70's machinery: its plans, listener, round and judge; its transports closed after each test. */
    final ChaosRaceProbeTest chaos = new ChaosRaceProbeTest();

    @AfterEach
    void noLeaks() {
        chaos.noLeaks();
    }

    /** What a proxy does with a request it forwards (absolute form). */
    enum ForwardFault {
        OK(88), CLOSE_ON_ARRIVAL(3), CLOSE_MID_HEAD(3), GARBAGE(3), STALL(3); // STALL: only a request that ends itself

        final int weight;

        ForwardFault(int weight) {
            this.weight = weight;
        }
    }

    /** What a proxy does with a {@code CONNECT}. */
    enum ConnectFault {
        OK(78), SLOW(4), REFUSE(3), CLOSE_NO_ANSWER(3), CLOSE_MID_HEAD(3), GARBAGE(3),
        STALL(6); // only a dial of transport 2, whose dial timeout ends it (its CONNECT carries X-Chaos-Stallable)

        final int weight;

        ConnectFault(int weight) {
            this.weight = weight;
        }
    }

    /** Where a request goes: one of {@link #targets}, through one of {@link #proxies}. */
    record Route(int target, int proxy) {
        boolean tunnel() {
            return target >= 2;
        }
    }

    final URI[] targets = new URI[4];
    final URI[] proxies = new URI[2];
    final Map<String, Route> routes = new ConcurrentHashMap<>();
    /**
     * Which proxy dialed each origin connection, by its ports ({@link #ports}: the same local port may serve two
     * connections at once, to two origins): the origin's check.
     */
    final Map<Long, Integer> viaByPorts = new ConcurrentHashMap<>();

    static long ports(int originPort, int proxyPort) {
        return (long) originPort << 16 | proxyPort;
    }
    final ConcurrentLinkedQueue<String> routing = new ConcurrentLinkedQueue<>();
    /** When a proxy faulted a CONNECT: a request under way then may have been waiting for that tunnel. */
    final HandshakeFaults connectFaults = new HandshakeFaults(true);

    /** Called by an origin for each head it reads: it must be for this origin, through the proxy its request chose. */
    void atOrigin(int origin, Socket accepted, String head) {
        String token = ChaosProbe.field(head, "x-token");
        Route r = token == null ? null : routes.get(token);
        if (r == null) {
            routing.add("origin " + origin + " read a head without a known token: " + head);
            return;
        }
        if (r.target() != origin) {
            routing.add(token + " for " + targets[r.target()] + " reached origin " + targets[origin]
                    + " (a connection pooled for another target)");
        }
        String host = ChaosProbe.field(head, "host");
        if (!targets[r.target()].getRawAuthority().equals(host)) {
            routing.add(token + " carried Host " + host + ", not " + targets[r.target()].getRawAuthority());
        }
        Integer via = viaByPorts.get(ports(accepted.getLocalPort(), accepted.getPort()));
        if (via == null || via != r.proxy()) {
            routing.add(token + " chose proxy " + proxies[r.proxy()] + " yet came through " + (via == null ? "none" : proxies[via])
                    + " (a connection pooled for another proxy)");
        }
    }

    /** A relaying HTTP proxy (forwards absolute-form requests over one origin connection at a time, opens tunnels). */
    final class ChaosProxy {
        final int id;
        final boolean tls;
        final long seed;
        final AtomicInteger ended = new AtomicInteger();
        final Map<String, ConcurrentLinkedQueue<String>> headsByToken = new ConcurrentHashMap<>();
        final Map<String, ConcurrentLinkedQueue<ForwardFault>> faultsByToken = new ConcurrentHashMap<>();
        final Map<ForwardFault, AtomicLong> forwarded = new EnumMap<>(ForwardFault.class);
        final Map<ConnectFault, AtomicLong> connects = new EnumMap<>(ConnectFault.class);

        ChaosProxy(int id, boolean tls, long seed) {
            this.id = id;
            this.tls = tls;
            this.seed = seed;
            for (ForwardFault f : ForwardFault.values()) {
                forwarded.put(f, new AtomicLong());
            }
            for (ConnectFault f : ConnectFault.values()) {
                connects.put(f, new AtomicLong());
            }
        }

        List<String> headsOf(String token) {
            return List.copyOf(headsByToken.getOrDefault(token, new ConcurrentLinkedQueue<>()));
        }

        boolean faulted(String token) {
            return faultsByToken.containsKey(token);
        }

        /** One origin connection of a client connection's forwarded requests, its answers pumped back as they come. */
        final class Leg {
            final Socket socket;
            final int port;
            final Thread pump;
            volatile boolean closing;
            volatile boolean dead;

            Leg(int port, RawServer.Conn client) throws IOException {
                this.port = port;
                this.socket = dialOrigin(port);
                this.pump = Thread.ofVirtual().name("chaos-proxy-leg").start(() -> {
                    boolean reset = false;
                    try {
                        InputStream in = socket.getInputStream();
                        byte[] buf = new byte[8192];
                        for (int n; ; ) {
                            try {
                                n = in.read(buf);
                            } catch (IOException e) {
                                reset = true; // reset by the origin (or closed by us: then closing is set)
                                break;
                            }
                            if (n < 0) {
                                break;
                            }
                            client.out.write(buf, 0, n);
                            client.out.flush();
                        }
                    } catch (IOException e) {
                        // the client has gone: its request loop ends and closes this leg
                    }
                    if (!closing) {
                        // The origin ended the connection: so does the proxy, the same way (a relay, not a cache).
                        dead = true;
                        try {
                            if (reset) {
                                client.reset();
                            } else {
                                client.socket.close();
                            }
                        } catch (IOException e) {
                            // already ended
                        }
                        closeQuietly(socket);
                    }
                });
            }

            void close() throws InterruptedException {
                closing = true;
                closeQuietly(socket);
                pump.join();
            }
        }

        private Socket dialOrigin(int port) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            viaByPorts.put(ports(port, s.getLocalPort()), id); // before a byte is written: the origin looks it up at a head
            return s;
        }

        void serve(RawServer.Conn c0) throws Exception {
            Random rnd = new Random(seed * 1_000_033L + 2L * c0.index + id);
            Leg leg = null;
            try {
                RawServer.Conn c = c0;
                if (tls) {
                    SSLSocket s = JdkServer.serverTls(c0.socket);
                    s.startHandshake();
                    c = c0.over(s);
                }
                for (String head; (head = c.readRequestHead()) != null; ) {
                    String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
                    if (line[0].equals("CONNECT")) {
                        if (leg != null) {
                            leg.close();
                            leg = null;
                        }
                        connect(c, line[1], head, rnd);
                        return;
                    }
                    URI target = URI.create(line[1]);
                    String token = ChaosProbe.field(head, "x-token");
                    Route r = token == null ? null : routes.get(token);
                    if (r == null || r.proxy() != id || r.tunnel() || !target.getRawAuthority().equals(
                            targets[r.target()].getRawAuthority())) {
                        routing.add("proxy " + id + " got " + line[0] + " " + target + " for route " + r);
                    }
                    headsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>())
                            .add(line[0] + " on proxy connection " + c0.index);
                    ForwardFault f = Weights.draw(ForwardFault.values(), x -> x.weight, rnd);
                    if (f == ForwardFault.STALL && ChaosProbe.field(head, "x-may-stall") == null) {
                        f = ForwardFault.OK;
                    }
                    forwarded.get(f).incrementAndGet();
                    if (f != ForwardFault.OK) {
                        faultsByToken.computeIfAbsent(token, k -> new ConcurrentLinkedQueue<>()).add(f);
                    }
                    switch (f) {
                        case CLOSE_ON_ARRIVAL -> {
                            return;
                        }
                        case CLOSE_MID_HEAD -> {
                            c.write("HTTP/1.1 200 OK\r\nX-Echo: " + token.substring(0, token.length() / 2));
                            return;
                        }
                        case GARBAGE -> {
                            c.write("SSH-2.0-OpenSSH_9.6\r\n");
                            return;
                        }
                        case STALL -> {
                            c.readUntilClosed(); // the request's own end must end it
                            return;
                        }
                        case OK -> { }
                    }
                    if (leg == null || leg.dead || leg.port != target.getPort()) {
                        if (leg != null) {
                            leg.close();
                        }
                        leg = new Leg(target.getPort(), c);
                    }
                    String path = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
                    OutputStream o = leg.socket.getOutputStream();
                    o.write((line[0] + " " + path + " " + line[2] + head.substring(head.indexOf("\r\n")))
                            .getBytes(StandardCharsets.ISO_8859_1));
                    o.flush();
                    String length = ChaosProbe.field(head, "content-length");
                    long n = length == null ? 0 : Long.parseLong(length);
                    byte[] buf = new byte[4096];
                    while (n > 0) {
                        int k = c.in.read(buf, 0, (int) Math.min(buf.length, n));
                        if (k < 0) {
                            return; // the client gave up on its upload
                        }
                        o.write(buf, 0, k);
                        o.flush();
                        n -= k;
                    }
                }
            } catch (IOException e) {
                // the client or the origin closed or reset under us (over TLS an SSLException)
            } finally {
                try {
                    if (leg != null) {
                        leg.close();
                    }
                } finally {
                    ended.incrementAndGet();
                }
            }
        }

        private void connect(RawServer.Conn c, String authority, String head, Random rnd) throws Exception {
            if (!authority.equals(targets[2].getRawAuthority()) && !authority.equals(targets[3].getRawAuthority())) {
                routing.add("proxy " + id + " got CONNECT " + authority + ", not a TLS target's");
            }
            ConnectFault f = Weights.draw(ConnectFault.values(), x -> x.weight, rnd);
            if (f == ConnectFault.STALL && ChaosProbe.field(head, "x-chaos-stallable") == null) {
                f = ConnectFault.OK;
            }
            connects.get(f).incrementAndGet();
            if (f != ConnectFault.OK && f != ConnectFault.SLOW && f != ConnectFault.STALL) {
                connectFaults.record();
            }
            switch (f) {
                case STALL -> {
                    c.readUntilClosed(); // until transport 2's dial timeout ends it
                    return;
                }
                case REFUSE -> {
                    c.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                case CLOSE_NO_ANSWER -> {
                    return;
                }
                case CLOSE_MID_HEAD -> {
                    c.write("HTTP/1.1 200 Connection est");
                    return;
                }
                case GARBAGE -> {
                    c.write("SSH-2.0-OpenSSH_9.6\r\n");
                    return;
                }
                case OK, SLOW -> { }
            }
            try (Socket origin = dialOrigin(Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1)))) {
                byte[] answer = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
                if (f == ConnectFault.SLOW) {
                    for (int at = 0; at < answer.length; ) {
                        int k = Math.min(answer.length - at, 1 + rnd.nextInt(12));
                        c.out.write(answer, at, k);
                        c.out.flush();
                        at += k;
                        LockSupport.parkNanos(rnd.nextInt(1_500_000)); // slow, not a schedule
                    }
                } else {
                    c.write(answer);
                }
                Thread back = Thread.ofVirtual().name("chaos-proxy-tunnel").start(
                        () -> pump(origin::getInputStream, c.out, () -> c.reset(), () -> endWrite(c.socket)));
                pump(c.in, origin.getOutputStream(), () -> reset(origin), origin::shutdownOutput);
                back.join();
            }
        }
    }

    interface IoAction {
        void run() throws IOException;
    }

    interface IoSource {
        InputStream get() throws IOException;
    }

    /** Copies until EOF ({@code atEof}) or a failed read, a reset or close under it ({@code atReset}). */
    static void pump(IoSource from, OutputStream to, IoAction atReset, IoAction atEof) {
        try {
            InputStream in = from.get();
            byte[] buf = new byte[8192];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    atReset.run();
                    return;
                }
                if (n < 0) {
                    atEof.run();
                    return;
                }
                to.write(buf, 0, n);
                to.flush();
            }
        } catch (IOException e) {
            // the other side has gone: its own pump sees it
        }
    }

    static void pump(InputStream from, OutputStream to, IoAction atReset, IoAction atEof) {
        pump(() -> from, to, atReset, atEof);
    }

    static void endWrite(Socket s) throws IOException {
        if (s instanceof SSLSocket) {
            s.close(); // TLS has no half-close: a close_notify, then the connection ends
        } else {
            s.shutdownOutput();
        }
    }

    static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Test
    void E72_throughHttpAndHttpsProxiesAndTunnelsRandomFaultsNeverFailLeakHangOrRepeatForAnotherRequest() throws Exception {
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        String tag = "chaos.seed=" + seed + " (proxies)";
        Server faults = new Server(seed);
        HandshakeFaults hs = new HandshakeFaults(true);
        SSLContext client = JdkServer.clientTls();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        ChaosProxy[] ps = {new ChaosProxy(0, false, seed), new ChaosProxy(1, true, seed)};
        List<RawServer> origins = new ArrayList<>();
        try (RawServer plainA = RawServer.start(c -> {
                 Socket peer = c.socket;
                 faults.serve(c, h -> atOrigin(0, peer, h));
             });
             RawServer plainB = RawServer.start(c -> {
                 Socket peer = c.socket;
                 faults.serve(c, h -> atOrigin(1, peer, h));
             });
             RawServer tlsA = RawServer.start(c -> {
                 Socket peer = c.socket;
                 ChaosTlsRedirectProbeTest.serveTls(c, seed, hs, c2 -> faults.serve(c2, h -> atOrigin(2, peer, h)),
                         faults.handlersEnded);
             });
             RawServer tlsB = RawServer.start(c -> {
                 Socket peer = c.socket;
                 ChaosTlsRedirectProbeTest.serveTls(c, seed, hs, c2 -> faults.serve(c2, h -> atOrigin(3, peer, h)),
                         faults.handlersEnded);
             });
             RawServer proxy0 = RawServer.start(ps[0]::serve);
             RawServer proxy1 = RawServer.start(ps[1]::serve)) {
            origins.addAll(List.of(plainA, plainB, tlsA, tlsB));
            targets[0] = URI.create("http://localhost:" + plainA.port());
            targets[1] = URI.create("http://127.0.0.1:" + plainB.port());
            targets[2] = URI.create("https://localhost:" + tlsA.port());
            targets[3] = URI.create("https://127.0.0.1:" + tlsB.port());
            proxies[0] = URI.create("http://127.0.0.1:" + proxy0.port());
            proxies[1] = URI.create("https://localhost:" + proxy1.port());
            java.util.function.Function<Plan, URI> target = p -> {
                Random r = new Random(seed * 31 + p.token.hashCode());
                Route route = new Route(r.nextInt(targets.length), r.nextInt(proxies.length));
                routes.put(p.token, route);
                return targets[route.target()].resolve("/c/" + p.token);
            };
            java.util.function.Function<HttpRequest, Optional<URI>> proxyOf = req -> {
                Route r = routes.get(String.valueOf(req.headers().get("X-Token")));
                return r == null ? Optional.empty() : Optional.of(proxies[r.proxy()]);
            };
            for (int round = 0; round < ROUNDS && violations.isEmpty(); round++) {
                // Six pool keys: plain http per proxy (every origin shares it, as in Go), each TLS target per proxy.
                // round() builds its transports 0, 1, 2 in order; the third gets a dial timeout racing every dial (a
                // timeout of that transport's own, as E70 judges its others) and marks its CONNECTs as stallable.
                AtomicInteger built = new AtomicInteger();
                chaos.round(target, 6, b -> built.getAndIncrement() % 3 != 2 ? b.sslContext(client).proxy(proxyOf)
                        : b.sslContext(client).proxy(proxyOf).dialTimeout(DIAL_TIMEOUT)
                                .proxyConnectHeaders(Headers.of("X-Chaos-Stallable", "1")), faults, new Random(seed * 7919 + round),
                        round, tag, violations, outcomes, (p, f) -> excused(p, f, ps, faults, hs), p -> atProxies(p, ps, faults));
            }
            violations.addAll(routing);
            int originConns = origins.stream().mapToInt(RawServer::accepted).sum();
            String summary = tag + ": outcomes " + new TreeMap<>(outcomes) + "; origins served " + faults.served
                    + "; proxies forwarded " + ps[0].forwarded + " and " + ps[1].forwarded + ", CONNECTs " + ps[0].connects
                    + " and " + ps[1].connects + "; " + hs.made + " handshake faults; " + originConns
                    + " origin connections, " + (proxy0.accepted() + proxy1.accepted()) + " proxy connections";
            System.getLogger(ChaosProxyProbeTest.class.getName()).log(System.Logger.Level.INFO, summary);
            assertThat(violations).as(summary).isEmpty();
            Leaks.awaitTrue(() -> faults.handlersEnded.get() == origins.stream().mapToInt(RawServer::accepted).sum(),
                    "origins saw every connection end: " + faults.handlersEnded + " of " + originConns + " (" + tag + ")");
            Leaks.awaitTrue(() -> ps[0].ended.get() == proxy0.accepted() && ps[1].ended.get() == proxy1.accepted(),
                    "proxies saw every connection end: " + ps[0].ended + " of " + proxy0.accepted() + ", " + ps[1].ended
                            + " of " + proxy1.accepted() + " (" + tag + ")");
            for (RawServer s : List.of(plainA, plainB, tlsA, tlsB, proxy0, proxy1)) {
                assertThat(s.failures()).as(summary).isEmpty();
            }
        }
    }

    /** A failure the proxies or the TLS origins caused outside the request's own origin faults. */
    private boolean excused(Plan p, Throwable f, ChaosProxy[] ps, Server faults, HandshakeFaults hs) {
        if (ps[0].faulted(p.token) || ps[1].faulted(p.token)) {
            return true; // a proxy misbehaved on this very request
        }
        Route r = routes.get(p.token);
        // A faulted CONNECT or tunnel handshake: only a tunnel's request under way then, which never reached the origin.
        return r != null && r.tunnel() && f instanceof IOException && !(f instanceof HttpTimeoutException)
                && !(f instanceof RequestCancelledException) && faults.headsOf(p.token).isEmpty()
                && (connectFaults.during(p) || hs.during(p));
    }

    /** E72's own checks of a request: heads counted at the proxies. */
    private String atProxies(Plan p, ChaosProxy[] ps, Server faults) {
        List<String> heads = new ArrayList<>(ps[0].headsOf(p.token));
        heads.addAll(ps[1].headsOf(p.token));
        String at = p + " via " + routes.get(p.token) + ", proxy heads " + heads + ", origin heads " + faults.headsOf(p.token);
        if (!p.replayable() && heads.size() > 1) {
            return at + ": a proxy read its head " + heads.size() + " times (a request that is not replayable is never sent"
                    + " again once it reached the proxy)";
        }
        if (heads.size() > Math.max(1, p.getConns.get())) {
            return at + ": the proxies read its head " + heads.size() + " times in " + p.getConns + " attempts";
        }
        Route r = routes.get(p.token);
        if (r != null && !r.tunnel() && faults.headsOf(p.token).size() > heads.size()) {
            return at + ": the origin read its head more often than a proxy forwarded it";
        }
        return null;
    }
}
