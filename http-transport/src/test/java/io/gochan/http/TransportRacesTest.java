package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lifecycle races of the Transport under concurrency, on real loopback connections, each swept over
 * many rounds. What they hold the transport to: T1, T7, T8, T11, T12, P14, P18, P19, E1, E2, E3, E9, E37, E57, E82,
 * E153 ("nothing fails, leaks, hangs or repeats for another request's sake").
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class TransportRacesTest {

    /** Rounds are multiplied by {@code -Draces.scale=N} for a longer local sweep. */
    static final int SCALE = Integer.getInteger("races.scale", 1);

    /** What each probe met, printed so that a run shows the races were reached. */
    static final Map<String, AtomicInteger> MET = new ConcurrentHashMap<>();

    static void met(String what) {
        MET.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    @org.junit.jupiter.api.AfterAll
    static void printMet() {
        new java.util.TreeMap<>(MET).forEach((k, v) -> System.out.println("MET " + k + " = " + v));
    }

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers: a scripted server that counts requests and connections, a dialer that counts the client's sockets.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A keep-alive server scripted by path: {@code /ok/ID} answers with {@code X-Id: ID} and body ID; {@code /head/ID}
     * never answers; {@code /body/ID} sends a head and 10 of 100 body bytes, then stalls; {@code /up/ID} reads the
     * upload until the client closes. Counts every request line and every open connection.
     */
    static final class Scripted implements AutoCloseable {
        final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        final AtomicInteger open = new AtomicInteger();
        final RawServer server;

        Scripted() throws IOException {
            server = RawServer.start(c -> {
                open.incrementAndGet();
                try {
                    for (String head; (head = c.readRequest()) != null; ) {
                        String line = head.split("\r\n", 2)[0];
                        seen.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                        String target = line.split(" ")[1];
                        String id = target.substring(target.lastIndexOf('/') + 1);
                        if (target.startsWith("/ok/")) {
                            c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n\r\n"
                                    + (line.startsWith("HEAD") ? "" : id));
                        } else if (target.startsWith("/body/")) {
                            c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: 100\r\n\r\n0123456789");
                            c.readUntilClosed();
                            return;
                        } else {
                            c.readUntilClosed(); // /head/ and /up/: never answered
                            return;
                        }
                    }
                } finally {
                    open.decrementAndGet();
                }
            });
        }

        java.net.URI uri(String path) {
            return server.uri(path);
        }

        int count(String requestLinePrefix) {
            AtomicInteger n = seen.get(requestLinePrefix + " HTTP/1.1");
            return n == null ? 0 : n.get();
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    /** Counts the client's sockets from their creation (the dial's start) to their first close; keeps the maximum. */
    static final class CountingDialer implements Dialer {
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger max = new AtomicInteger();
        final AtomicLong dials = new AtomicLong();
        final int maxDelayNanos;
        final Random rnd = new Random(46);

        CountingDialer(int maxDelayNanos) {
            this.maxDelayNanos = maxDelayNanos;
        }

        @Override
        public Socket dial(String host, int port, Duration timeout) throws IOException {
            dials.incrementAndGet();
            AtomicBoolean closed = new AtomicBoolean();
            Socket s = new Socket() {
                @Override
                public synchronized void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        if (closed.compareAndSet(false, true)) {
                            open.decrementAndGet();
                        }
                    }
                }
            };
            int now = open.incrementAndGet();
            max.accumulateAndGet(now, Math::max);
            try {
                int delay;
                synchronized (rnd) {
                    delay = maxDelayNanos == 0 ? 0 : rnd.nextInt(maxDelayNanos);
                }
                Lifecycle.spin(delay);
                s.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
                return s;
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }
    }

    /** An upload that gives 1 KiB and then blocks until it is closed (or its reader is interrupted). */
    static final class HeldSource extends InputStream {
        final CountDownLatch closed = new CountDownLatch(1);
        int given;

        @Override
        public int read() throws IOException {
            if (given < 1024) {
                given++;
                return 'x';
            }
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("held upload interrupted");
            }
            throw new IOException("held upload closed");
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    private static String describe(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        String s = w.toString();
        return s.length() > 1500 ? s.substring(0, 1500) : s;
    }

    private static void joinAll(List<? extends Caller<?>> cs, Duration bound, List<String> failures) throws InterruptedException {
        for (Caller<?> c : cs) {
            if (!c.join(bound)) {
                failures.add("caller " + c.thread.getName() + " hangs: " + List.of(c.thread.getStackTrace()));
                c.abandon(() -> {});
            } else if (c.error() != null) {
                failures.add("caller " + c.thread.getName() + " threw " + describe(c.error()));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Cancel / deadline / interrupt of victims at every phase while good requests run on the same transport.
    // ---------------------------------------------------------------------------------------------------------------

    enum Way { CONTEXT, TIMEOUT, INTERRUPT }

    /**
     * E1, E37, E57, E153, T11: victims are ended (context, own timeout, interrupt) at a random moment in every phase
     * (queued for a slot under maxConnsPerHost(3), dialing, writing a held upload, awaiting a head that never comes,
     * reading a stalled body, or on an ordinary exchange) while good callers run on the same transport. Every good
     * request succeeds, gets its own id back and reaches the server exactly once; every victim fails only with its own
     * end; nothing is retried (the server never closes a connection); the counters return to idle.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void victimsEndedInEveryPhaseNeverCostTheOtherRequests() throws Exception {
        CountingDialer dialer = new CountingDialer(300_000);
        try (Scripted server = new Scripted();
             Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(3).maxIdleConnsPerHost(3).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            int goodThreads = 3;
            int victimThreads = 3;
            int rounds = 250 * SCALE;
            AtomicInteger victimOutcomes = new AtomicInteger();
            List<Caller<Integer>> callers = new ArrayList<>();
            for (int g = 0; g < goodThreads; g++) {
                int gi = g;
                callers.add(Caller.start(g % 2 == 0, "good-" + g, () -> {
                    for (int i = 0; i < rounds; i++) {
                        String id = "g" + gi + "x" + i;
                        boolean head = i % 5 == 4;
                        HttpRequest req = head
                                ? HttpRequest.newBuilder(server.uri("/ok/" + id)).HEAD().build()
                                : i % 5 == 3
                                        ? HttpRequest.newBuilder(server.uri("/ok/" + id))
                                                .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(id.getBytes()), id.length(), "text/plain")).build()
                                        : HttpRequest.get(server.uri("/ok/" + id).toString());
                        try (HttpResponse r = t.roundTrip(req)) {
                            String got = r.headers().first("X-Id").orElse("<none>");
                            String body = r.body().string();
                            if (!id.equals(got) || !(head ? "" : id).equals(body)) {
                                failures.add(id + " got X-Id " + got + " body " + body);
                            }
                        } catch (Exception e) {
                            failures.add("good request " + id + " failed: " + describe(e));
                        }
                    }
                    return rounds;
                }));
            }
            for (int v = 0; v < victimThreads; v++) {
                int vi = v;
                callers.add(Caller.virtual("victim-driver-" + v, () -> {
                    Random rnd = new Random(100 + vi);
                    for (int i = 0; i < rounds; i++) {
                        String id = "v" + vi + "x" + i;
                        String kind = switch (rnd.nextInt(4)) {
                            case 0 -> "ok";
                            case 1 -> "head";
                            case 2 -> "body";
                            default -> "up";
                        };
                        Way way = Way.values()[rnd.nextInt(3)];
                        long delay = rnd.nextInt(3_000_000);
                        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/" + kind + "/" + id));
                        HeldSource held = null;
                        if (kind.equals("up")) {
                            held = new HeldSource();
                            b.POST(RequestBody.ofStreamOnce(held, -1, "text/plain"));
                        }
                        if (way == Way.TIMEOUT) {
                            b.timeout(Duration.ofNanos(1_000_000 + delay));
                        }
                        HttpRequest req = b.build();
                        CancellableContext ctx = Context.withCancel(Context.background());
                        Caller<String> victim = Caller.start(rnd.nextBoolean(), "victim-" + id, () -> {
                            try (HttpResponse r = t.roundTrip(req, ctx)) {
                                return r.body().string();
                            }
                        });
                        if (way != Way.TIMEOUT) {
                            Lifecycle.spin(delay);
                            if (way == Way.CONTEXT) {
                                ctx.cancel();
                            } else {
                                victim.thread.interrupt();
                            }
                        }
                        if (!victim.join(Duration.ofSeconds(20))) {
                            failures.add("victim " + id + " (" + kind + ", " + way + ") hangs: " + List.of(victim.thread.getStackTrace()));
                            ctx.cancel();
                            victim.abandon(() -> {});
                            continue;
                        }
                        ctx.cancel();
                        victimOutcomes.incrementAndGet();
                        Throwable e = victim.error();
                        met("victim " + kind + " " + way + " -> " + (e == null ? "answered" : e.getClass().getSimpleName()
                                + (e instanceof RequestCancelledException rce ? "/" + rce.reason() : "")
                                + (e instanceof HttpTimeoutException hte ? "/" + hte.getMessage().replaceAll(".*(while|awaiting|waiting|reading|writing|dial)[^:;(]*", "$0").replaceAll("^.*?(while|awaiting|waiting|reading|writing|dial)", "$1") : "")));
                        if (e == null) {
                            if (!kind.equals("ok") || !id.equals(victim.value())) {
                                failures.add("victim " + id + " (" + kind + ") answered " + victim.value());
                            }
                            continue;
                        }
                        boolean own = switch (way) {
                            case CONTEXT -> e instanceof RequestCancelledException c && c.reason() == RequestCancelledException.Reason.CONTEXT;
                            case TIMEOUT -> e instanceof HttpTimeoutException;
                            case INTERRUPT -> e instanceof InterruptedException
                                    || e instanceof RequestCancelledException c && c.reason() == RequestCancelledException.Reason.INTERRUPT;
                        };
                        if (!own) {
                            failures.add("victim " + id + " (" + kind + ", " + way + ") failed with another end: " + describe(e));
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(200), failures);
            for (int g = 0; g < goodThreads; g++) {
                for (int i = 0; i < rounds; i++) {
                    String id = "g" + g + "x" + i;
                    String method = i % 5 == 4 ? "HEAD" : i % 5 == 3 ? "POST" : "GET";
                    int n = server.count(method + " /ok/" + id);
                    if (n != 1) {
                        failures.add(method + " " + id + " reached the server " + n + " times");
                    }
                }
            }
            assertThat(failures).as("failures (%d victims ended)", victimOutcomes.get()).isEmpty();
            assertThat(t.stats().retries()).as("nothing retried: the server never closed a connection").isZero();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "counters back to idle: " + t.stats());
            Lifecycle.await(() -> dialer.open.get() == t.stats().open(), Lifecycle.BOUND,
                    "every socket not in the pool closed: sockets " + dialer.open + ", " + t.stats());
            assertThat(dialer.max.get()).as("sockets at once (maxConnsPerHost 3)").isLessThanOrEqualTo(3);
            t.closeIdleConnections();
            Lifecycle.await(() -> dialer.open.get() == 0, Lifecycle.BOUND, "sockets closed: " + dialer.open);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. maxConnsPerHost with queued callers that leave: no leaked slot, socket count within the limit.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * T8, P18, P19, E2, E57: at maxConnsPerHost(2), with dials that take a random while, 12 callers issue requests of
     * which half are cancelled at random moments (many while queued, some while their dial runs): at no moment do more
     * than 2 client sockets exist (counted from the dial's start to the close), every request not cancelled succeeds,
     * a dial whose caller left serves another waiter or goes idle, and at the end the sockets open are exactly the
     * pool's idle ones.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void queuedCallersLeavingNeverLeakASlotOrASocket() throws Exception {
        CountingDialer dialer = new CountingDialer(2_000_000);
        try (Scripted server = new Scripted();
             Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(2).maxIdleConnsPerHost(2).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger served = new AtomicInteger();
            AtomicInteger cancelled = new AtomicInteger();
            List<Caller<Integer>> callers = new ArrayList<>();
            int rounds = 150 * SCALE;
            for (int k = 0; k < 12; k++) {
                int ki = k;
                callers.add(Caller.start(k % 3 == 0, "caller-" + k, () -> {
                    Random rnd = new Random(ki);
                    for (int i = 0; i < rounds; i++) {
                        String id = "c" + ki + "x" + i;
                        boolean cancel = rnd.nextBoolean();
                        CancellableContext ctx = Context.withCancel(Context.background());
                        Thread canceller = null;
                        if (cancel) {
                            long delay = rnd.nextInt(1_500_000);
                            canceller = Thread.ofVirtual().start(() -> {
                                Lifecycle.spin(delay);
                                ctx.cancel();
                            });
                        }
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/ok/" + id).toString()), ctx)) {
                            String body = r.body().string();
                            if (!id.equals(body)) {
                                failures.add(id + " got " + body);
                            }
                            served.incrementAndGet();
                        } catch (RequestCancelledException e) {
                            if (!cancel) {
                                failures.add(id + " (never cancelled) cancelled: " + describe(e));
                            }
                            cancelled.incrementAndGet();
                        } catch (Exception e) {
                            failures.add(id + " failed: " + describe(e));
                        } finally {
                            ctx.cancel();
                            if (canceller != null) {
                                canceller.join();
                            }
                        }
                        if (server.count("GET /ok/" + id) > 1) {
                            failures.add(id + " sent twice");
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(200), failures);
            assertThat(failures).as("%d served, %d cancelled", served.get(), cancelled.get()).isEmpty();
            assertThat(cancelled.get()).as("the race was run").isPositive();
            assertThat(dialer.max.get()).as("client sockets at once under maxConnsPerHost(2)").isLessThanOrEqualTo(2);
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "counters back to idle: " + t.stats());
            Lifecycle.await(() -> dialer.open.get() == t.stats().open() && t.stats().open() == t.stats().idle(),
                    Lifecycle.BOUND, "no socket outside the pool: sockets " + dialer.open + ", " + t.stats());
            // The slots are free: two requests at once are both served at once.
            HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/body/last-a").toString()));
            HttpResponse b = t.roundTrip(HttpRequest.get(server.uri("/body/last-b").toString()));
            a.close();
            b.close();
            t.closeIdleConnections();
            Lifecycle.await(() -> dialer.open.get() == 0, Lifecycle.BOUND, "sockets closed: " + dialer.open);
            Lifecycle.await(() -> server.open.get() == 0, Lifecycle.BOUND, "server connections ended: " + server.open);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. A server that closes keep-alive connections at random moments: retries only as allowed, no POST twice.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * T7, P14, E9, E37: a server serves 1 to 3 requests per connection and then closes it after a random pause
     * (without saying so), sometimes without answering a request it has read. Six callers send GET, HEAD, and POSTs
     * with one-shot and replayable bodies. A GET or HEAD never fails (a stale connection is retried on another, and a
     * fresh one is always answered); no POST reaches the server twice; every failure is an exported IOException.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void randomIdleClosesRetryOnlyIdempotentRequestsAndNeverSendAPostTwice() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        AtomicLong serverSeed = new AtomicLong();
        AtomicInteger unanswered = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(serverSeed.incrementAndGet());
                 int serve = 1 + rnd.nextInt(3);
                 for (int n = 0; ; n++) {
                     String head = c.readRequestHead();
                     if (head == null) {
                         return;
                     }
                     String line = head.split("\r\n", 2)[0];
                     seen.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                     if (n >= serve) {
                         // its head read (the server "processed" it), its body maybe not: closed unanswered, at once
                         // or (a reset) with the upload still coming
                         unanswered.incrementAndGet();
                         c.socket.setSoLinger(true, 0);
                         return;
                     }
                     for (String h : head.split("\r\n")) {
                         if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                             c.readBody(Integer.parseInt(h.substring(15).trim()));
                         }
                     }
                     String target = line.split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n\r\n"
                             + (line.startsWith("HEAD") ? "" : id));
                     if (n == serve - 1) {
                         Lifecycle.spin(rnd.nextInt(400_000));
                         if (rnd.nextBoolean()) {
                             c.socket.setSoLinger(true, 0); // a reset rather than a FIN
                         }
                         return;
                     }
                 }
             });
             Transport t = Transport.builder().maxIdleConnsPerHost(6).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger postFailures = new AtomicInteger();
            List<String> postIds = Collections.synchronizedList(new ArrayList<>());
            List<Caller<Integer>> callers = new ArrayList<>();
            int rounds = 300 * SCALE;
            for (int k = 0; k < 6; k++) {
                int ki = k;
                callers.add(Caller.virtual("caller-" + k, () -> {
                    Random rnd = new Random(ki * 31L);
                    for (int i = 0; i < rounds; i++) {
                        String id = "c" + ki + "x" + i;
                        int m = rnd.nextInt(4);
                        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/r/" + id));
                        switch (m) {
                            case 0 -> b.GET();
                            case 1 -> b.HEAD();
                            case 2 -> b.POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(id.getBytes()), id.length(), "text/plain"));
                            default -> b.POST(RequestBody.of((id + "-" + "u".repeat(rnd.nextInt(2) * 200_000)).getBytes(StandardCharsets.US_ASCII), "text/plain"));
                        }
                        boolean post = m >= 2;
                        if (post) {
                            postIds.add(id);
                        }
                        try (HttpResponse r = t.roundTrip(b.build())) {
                            String got = r.headers().first("X-Id").orElse("<none>");
                            String body = r.body().string();
                            if (!id.equals(got) || !(m == 1 ? "" : id).equals(body)) {
                                failures.add(id + " got X-Id " + got + " body " + body);
                            }
                        } catch (IOException e) {
                            Lifecycle.assertExportedType(e);
                            met("idle-close " + (m == 2 ? "one-shot POST" : m == 3 ? "replayable POST" : "GET/HEAD") + " failed: "
                                    + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage())
                                            .replaceAll("http://[^ ]*", "URI").replaceAll("[0-9]+", "N"));
                            if (post) {
                                postFailures.incrementAndGet();
                            } else {
                                failures.add((m == 0 ? "GET " : "HEAD ") + id + " failed: " + describe(e));
                            }
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(200), failures);
            for (String id : postIds) {
                AtomicInteger n = seen.get("POST /r/" + id + " HTTP/1.1");
                if (n != null && n.get() > 1) {
                    failures.add("POST " + id + " reached the server " + n.get() + " times");
                }
            }
            assertThat(failures).as("%d POSTs failed, %d retries, %d read unanswered", postFailures.get(),
                    t.stats().retries(), unanswered.get()).isEmpty();
            assertThat(t.stats().retries() + postFailures.get()).as("stale connections met (the race was run)").isPositive();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0, Lifecycle.BOUND, "idle: " + t.stats());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. Responses reach the right caller under concurrency, with random delays, framings and Connection: close.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * T11: 16 callers on maxConnsPerHost(4); the server answers after a random pause, with a length or chunked, with
     * or without {@code Connection: close}, and every fourth caller's request is cancelled at a random moment. Each
     * answer a caller gets carries its own id, head and body.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void everyAnswerReachesItsOwnCaller() throws Exception {
        AtomicLong seeds = new AtomicLong();
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(seeds.incrementAndGet());
                 for (String head; (head = c.readRequest()) != null; ) {
                     String line = head.split("\r\n", 2)[0];
                     String target = line.split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     Lifecycle.spin(rnd.nextInt(200_000));
                     boolean close = rnd.nextInt(5) == 0;
                     String body = id + "-" + "y".repeat(rnd.nextInt(3000));
                     if (rnd.nextBoolean()) {
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\n" + (close ? "Connection: close\r\n" : "")
                                 + "Content-Length: " + body.length() + "\r\n\r\n" + body);
                     } else {
                         int cut = body.length() / 2;
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\n" + (close ? "Connection: close\r\n" : "")
                                 + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(cut) + "\r\n" + body.substring(0, cut) + "\r\n");
                         Lifecycle.spin(rnd.nextInt(100_000));
                         c.write(Integer.toHexString(body.length() - cut) + "\r\n" + body.substring(cut) + "\r\n0\r\n\r\n");
                     }
                     if (close) {
                         return;
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(4).maxIdleConnsPerHost(4).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            List<Caller<Integer>> callers = new ArrayList<>();
            int rounds = 120 * SCALE;
            for (int k = 0; k < 16; k++) {
                int ki = k;
                callers.add(Caller.virtual("caller-" + k, () -> {
                    Random rnd = new Random(ki);
                    for (int i = 0; i < rounds; i++) {
                        String id = "c" + ki + "x" + i;
                        boolean cancel = ki % 4 == 0;
                        CancellableContext ctx = Context.withCancel(Context.background());
                        Thread canceller = null;
                        if (cancel) {
                            long d = rnd.nextInt(2_000_000);
                            canceller = Thread.ofVirtual().start(() -> {
                                Lifecycle.spin(d);
                                ctx.cancel();
                            });
                        }
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/e/" + id).toString()), ctx)) {
                            String got = r.headers().first("X-Id").orElse("<none>");
                            String body = r.body().string();
                            if (!id.equals(got) || !body.startsWith(id + "-") || !body.substring(id.length() + 1).matches("y*")) {
                                failures.add(id + " got X-Id " + got + " body " + body.substring(0, Math.min(40, body.length())));
                            }
                        } catch (RequestCancelledException e) {
                            if (!cancel) {
                                failures.add(id + " cancelled: " + describe(e));
                            }
                        } catch (Exception e) {
                            failures.add(id + " failed: " + describe(e));
                        } finally {
                            ctx.cancel();
                            if (canceller != null) {
                                canceller.join();
                            }
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(200), failures);
            assertThat(failures).isEmpty();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "idle: " + t.stats());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. Transport.close() concurrent with in-flight and queued requests.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * E3, E23, E29, T1: in each of 150 rounds a fresh transport at maxConnsPerHost(2), with slow dials, runs 8 callers
     * in every phase (ordinary exchanges, an unanswered head, a stalled body being read, a held upload, queued
     * behind them), and is closed at a random moment from another thread. close() returns promptly, every caller
     * ends promptly either answered (an ordinary exchange that finished before) or with a
     * {@code RequestCancelledException} of reason TRANSPORT_CLOSED, and no client socket, server connection or
     * transport goroutine is left.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void closeBesideRequestsInEveryPhaseEndsThemAllAndLeavesNothing() throws Exception {
        try (Scripted server = new Scripted()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            Random rnd = new Random(5);
            AtomicInteger answered = new AtomicInteger();
            AtomicInteger closedOnes = new AtomicInteger();
            for (int round = 0; round < 150 * SCALE && failures.isEmpty(); round++) {
                CountingDialer dialer = new CountingDialer(1_000_000);
                Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(2).build();
                List<Caller<String>> callers = new ArrayList<>();
                String[] kinds = {"ok", "head", "body", "up", "ok", "ok", "head", "body", "hold"};
                CountDownLatch closeReturned = new CountDownLatch(1);
                for (int k = 0; k < kinds.length; k++) {
                    String id = "r" + round + "k" + k;
                    String kind = kinds[k];
                    callers.add(Caller.start((k + round) % 2 == 0, "caller-" + id + "-" + kind, () -> {
                        if (kind.equals("hold")) {
                            // E3: a small body, all of it arrived (held in memory), read only after close() returned
                            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/ok/" + id).toString()))) {
                                Lifecycle.awaitUninterruptibly(closeReturned);
                                return "read after close: " + r.body().string();
                            }
                        }
                        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/" + kind + "/" + id));
                        if (kind.equals("up")) {
                            b.POST(RequestBody.ofStreamOnce(new HeldSource(), -1, "text/plain"));
                        }
                        StringBuilder got = new StringBuilder();
                        for (int i = 0; i < (kind.equals("ok") ? 20 : 1); i++) {
                            try (HttpResponse r = t.roundTrip(b.build())) {
                                got.append(r.body().string());
                            }
                        }
                        return got.toString();
                    }));
                }
                Lifecycle.spin(rnd.nextInt(3_000_000));
                Caller<Void> closer = Caller.virtual("closer-" + round, () -> {
                    t.close();
                    return null;
                });
                // E23: concurrent close() calls, and closeIdleConnections() beside them, each return only once all is closed
                boolean second = round % 2 == 0;
                Caller<Void> closer2 = Caller.start(!second, "closer2-" + round, () -> {
                    if (second) {
                        t.close();
                    } else {
                        t.closeIdleConnections();
                    }
                    return null;
                });
                if (!closer.join(Duration.ofSeconds(10))) {
                    failures.add("round " + round + ": close() hangs: " + List.of(closer.thread.getStackTrace()));
                    closer.abandon(() -> {});
                }
                if (!closer2.join(Duration.ofSeconds(10))) {
                    failures.add("round " + round + ": second close()/closeIdleConnections() hangs: " + List.of(closer2.thread.getStackTrace()));
                    closer2.abandon(() -> {});
                }
                if (second) {
                    TransportStats s2 = t.stats();
                    if (s2.open() != 0 || s2.dialing() != 0 || s2.waiting() != 0) {
                        failures.add("round " + round + ": as a concurrent close() returned: " + s2);
                    }
                }
                closeReturned.countDown();
                // E23, E29: once close() returned, every connection is closed and nothing counts, no dial runs.
                TransportStats atClose = t.stats();
                int socketsAtClose = dialer.open.get();
                long dialsAtClose = dialer.dials.get();
                if (socketsAtClose != 0 || atClose.open() != 0 || atClose.dialing() != 0 || atClose.waiting() != 0
                        || atClose.idle() != 0 || atClose.inUse() != 0) {
                    failures.add("round " + round + ": as close() returned: sockets " + socketsAtClose + ", " + atClose);
                }
                for (Caller<String> c : callers) {
                    if (!c.join(Duration.ofSeconds(10))) {
                        failures.add("round " + round + ": " + c.thread.getName() + " hangs after close: "
                                + List.of(c.thread.getStackTrace()));
                        c.abandon(() -> {});
                        continue;
                    }
                    Throwable e = c.error();
                    if (e == null) {
                        answered.incrementAndGet();
                        if (!c.thread.getName().endsWith("-ok")) {
                            failures.add("round " + round + ": " + c.thread.getName() + " answered " + c.value());
                        }
                    } else if (e instanceof RequestCancelledException rc && rc.reason() == RequestCancelledException.Reason.TRANSPORT_CLOSED) {
                        closedOnes.incrementAndGet();
                    } else {
                        failures.add("round " + round + ": " + c.thread.getName() + " failed with " + describe(e));
                    }
                }
                if (dialer.dials.get() != dialsAtClose) {
                    failures.add("round " + round + ": " + (dialer.dials.get() - dialsAtClose) + " dials began after close() returned");
                }
                int r = round;
                if (!Lifecycle.within(() -> dialer.open.get() == 0, Duration.ofSeconds(10))) {
                    failures.add("round " + r + ": client sockets left open after close: " + dialer.open + " " + t.stats());
                }
                if (!Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), Duration.ofSeconds(10))) {
                    failures.add("round " + r + ": goroutines left after close: " + Leaks.transportGoroutines());
                }
                TransportStats s = t.stats();
                if (s.open() != 0 || s.inUse() != 0 || s.waiting() != 0 || s.dialing() != 0 || s.idle() != 0) {
                    failures.add("round " + r + ": counters after close: " + s);
                }
            }
            Lifecycle.await(() -> server.open.get() == 0, Lifecycle.BOUND, "server connections ended: " + server.open);
            assertThat(failures).as("%d answered, %d ended by the close", answered.get(), closedOnes.get()).isEmpty();
            assertThat(closedOnes.get()).as("the race was run").isPositive();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 6. Body close racing a read on another thread, and bodies dropped unclosed, beside other requests.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * E14, E64, E4, E82, T6: on maxConnsPerHost(2), one caller reads 32 KiB bodies (chunked or with a length) while
     * another thread closes them at a random moment (the reader gets the right bytes so far, then a failure or the
     * end, never foreign bytes or a hang); a second caller drops responses unread and unclosed; a third caller's
     * requests must all be answered with their own id (the collector gives the dropped bodies' connections back).
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bodyCloseRacingReadsAndDroppedBodiesCostNoOtherRequest() throws Exception {
        AtomicLong seeds = new AtomicLong();
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(seeds.incrementAndGet());
                 for (String head; (head = c.readRequest()) != null; ) {
                     String target = head.split("\r\n", 2)[0].split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     if (target.startsWith("/big/")) {
                         byte[] body = bigBody(id);
                         int how = rnd.nextInt(3);
                         if (how == 2) {
                             java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
                             try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) {
                                 g.write(body);
                             }
                             byte[] wire = z.toByteArray();
                             c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + wire.length + "\r\n\r\n");
                             for (int off = 0; off < wire.length; off += 50) {
                                 c.write(java.util.Arrays.copyOfRange(wire, off, Math.min(wire.length, off + 50)));
                             }
                         } else if (how == 0) {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n");
                             c.write(body);
                         } else {
                             c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                             for (int off = 0; off < body.length; off += 4096) {
                                 c.write((Integer.toHexString(4096) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                                 c.write(java.util.Arrays.copyOfRange(body, off, off + 4096));
                                 c.write("\r\n");
                             }
                             c.write("0\r\n\r\n");
                         }
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n\r\n" + id);
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(2).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger cutShort = new AtomicInteger();
            int rounds = 300 * SCALE;
            Caller<Integer> reader = Caller.virtual("reader", () -> {
                Random rnd = new Random(1);
                for (int i = 0; i < rounds; i++) {
                    String id = "b" + i;
                    byte[] want = bigBody(id);
                    HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/big/" + id).toString()));
                    InputStream in = r.body().stream();
                    long d = rnd.nextInt(300_000);
                    Thread closer = Thread.ofPlatform().start(() -> {
                        Lifecycle.spin(d);
                        r.close();
                    });
                    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                    byte[] buf = new byte[1000];
                    try {
                        for (int n; (n = in.read(buf)) >= 0; ) {
                            got.write(buf, 0, n);
                        }
                    } catch (IOException e) {
                        cutShort.incrementAndGet();
                    }
                    closer.join();
                    byte[] g = got.toByteArray();
                    if (g.length > want.length || !java.util.Arrays.equals(g, 0, g.length, want, 0, g.length)) {
                        failures.add(id + ": read " + g.length + " bytes that are not its body's prefix");
                    }
                }
                return rounds;
            });
            Caller<Integer> dropper = Caller.virtual("dropper", () -> {
                int n = 0;
                while (!stop.get() && n < 200) {
                    HttpResponse r = t.roundTrip(HttpRequest.get(server.uri((n % 2 == 0 ? "/ok/d" : "/big/d") + n).toString()));
                    if (r.status() != 200) {
                        failures.add("dropped " + n + " status " + r.status());
                    }
                    n++; // r dropped here, unread and unclosed
                }
                return n;
            });
            Thread gc = Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get()) {
                    System.gc();
                    try {
                        Thread.sleep(20); // pacing of the collector only, no ordering relies on it
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Caller<Integer> good = Caller.virtual("good", () -> {
                for (int i = 0; i < rounds; i++) {
                    String id = "g" + i;
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/ok/" + id)).timeout(Duration.ofSeconds(30)).build())) {
                        String body = r.body().string();
                        if (!id.equals(body) || !id.equals(r.headers().first("X-Id").orElse(""))) {
                            failures.add(id + " got " + body);
                        }
                    } catch (Exception e) {
                        failures.add("good " + id + " failed: " + describe(e));
                    }
                }
                return rounds;
            });
            List<Caller<Integer>> all = List.of(reader, good, dropper);
            joinAll(List.of(reader, good), Duration.ofSeconds(200), failures);
            stop.set(true);
            joinAll(List.of(dropper), Duration.ofSeconds(60), failures);
            gc.join();
            assertThat(failures).as("%d reads cut short", cutShort.get()).isEmpty();
            assertThat(all).allMatch(c -> c.error() == null);
            // Everything dropped is reclaimed: only idle connections stay.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (t.stats().inUse() != 0 && System.nanoTime() < deadline) {
                System.gc();
                Thread.yield(); // the collector's watch closes the dropped bodies' connections: no order, a bound
            }
            assertThat(t.stats().inUse()).as("dropped bodies reclaimed: %s", t.stats()).isZero();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 7. close() racing retries on stale connections.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * E23, E28, E29, E37: the server answers one request per connection and then closes it at a random moment without
     * saying so, so GETs keep meeting stale connections and being retried, while the transport is closed at a random
     * moment. Each GET ends answered (with its own id) or as TRANSPORT_CLOSED; a retry never dials after close()
     * returned; no socket stays open.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void closeRacingRetriesOnStaleConnectionsDialsNothingAfterwards() throws Exception {
        AtomicLong seeds = new AtomicLong();
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(seeds.incrementAndGet());
                 String head = c.readRequest();
                 if (head == null) {
                     return;
                 }
                 String target = head.split("\r\n", 2)[0].split(" ")[1];
                 String id = target.substring(target.lastIndexOf('/') + 1);
                 c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n\r\n" + id);
                 Lifecycle.spin(rnd.nextInt(200_000));
                 if (rnd.nextBoolean()) {
                     c.socket.setSoLinger(true, 0);
                 }
             })) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            Random rnd = new Random(77);
            AtomicInteger closedOnes = new AtomicInteger();
            long retries = 0;
            for (int round = 0; round < 150 * SCALE && failures.isEmpty(); round++) {
                CountingDialer dialer = new CountingDialer(200_000);
                Transport t = Transport.builder().dialer(dialer).maxConnsPerHost(3).build();
                List<Caller<Integer>> callers = new ArrayList<>();
                int rr = round;
                for (int k = 0; k < 4; k++) {
                    int ki = k;
                    callers.add(Caller.virtual("caller-" + round + "-" + k, () -> {
                        for (int i = 0; ; i++) {
                            String id = "r" + rr + "k" + ki + "x" + i;
                            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/s/" + id).toString()))) {
                                String body = r.body().string();
                                if (!id.equals(body)) {
                                    failures.add(id + " got " + body);
                                }
                            } catch (RequestCancelledException e) {
                                if (e.reason() != RequestCancelledException.Reason.TRANSPORT_CLOSED) {
                                    failures.add(id + " cancelled for " + e.reason());
                                }
                                closedOnes.incrementAndGet();
                                return i;
                            }
                        }
                    }));
                }
                Lifecycle.spin(1_000_000 + rnd.nextInt(4_000_000));
                Caller<Void> closer = Caller.virtual("closer-" + round, () -> {
                    t.close();
                    return null;
                });
                if (!closer.join(Duration.ofSeconds(10))) {
                    failures.add("round " + round + ": close() hangs: " + List.of(closer.thread.getStackTrace()));
                    closer.abandon(() -> {});
                }
                TransportStats atClose = t.stats();
                int socketsAtClose = dialer.open.get();
                long dialsAtClose = dialer.dials.get();
                if (socketsAtClose != 0 || atClose.open() != 0 || atClose.dialing() != 0 || atClose.waiting() != 0) {
                    failures.add("round " + round + ": as close() returned: sockets " + socketsAtClose + ", " + atClose);
                }
                joinAll(callers, Duration.ofSeconds(10), failures);
                if (dialer.dials.get() != dialsAtClose) {
                    failures.add("round " + round + ": " + (dialer.dials.get() - dialsAtClose) + " dials began after close() returned");
                }
                if (!Lifecycle.within(() -> dialer.open.get() == 0, Duration.ofSeconds(10))) {
                    failures.add("round " + round + ": sockets left open: " + dialer.open);
                }
                retries += t.stats().retries();
            }
            assertThat(failures).isEmpty();
            assertThat(retries).as("retries met (the race was run)").isPositive();
            assertThat(closedOnes.get()).isPositive();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 8. A request's own deadline racing the end of its body, then the next request on the same connection.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * E1, P93, E14: at maxConnsPerHost(1), request A has a timeout swept across the moment its body is read to its
     * end (small and larger bodies, length and chunked) and its caller reads the body; request B (no timeout) then
     * takes the one connection. A ends answered or timed out (an {@code HttpTimeoutException}), and B is always
     * answered with its own id, never A's failure, within the bound.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aDeadlineRacingTheBodysEndNeverReachesTheNextRequest() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String target = head.split("\r\n", 2)[0].split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     String body = target.startsWith("/big") ? id + "z".repeat(20_000) : id;
                     if (target.contains("chunk")) {
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            List<String> failures = new ArrayList<>();
            int timedOut = 0;
            int answered = 0;
            String[] shapes = {"/small/", "/big/", "/small-chunk/", "/big-chunk/"};
            for (int i = 0; i < 1200 * SCALE; i++) {
                String shape = shapes[i % 4];
                String ida = "a" + i;
                long timeout = 200_000 + (i * 7_919L) % 3_000_000;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri(shape + ida)).timeout(Duration.ofNanos(timeout)).build())) {
                    String body = r.body().string();
                    if (!body.startsWith(ida)) {
                        failures.add(ida + " got " + body.substring(0, Math.min(30, body.length())));
                    }
                    answered++;
                } catch (HttpTimeoutException e) {
                    timedOut++;
                } catch (Exception e) {
                    failures.add(ida + " (timeout " + timeout + " ns) failed with " + describe(e));
                }
                String idb = "b" + i;
                Object out = Leaks.outcomeWithin10s("B-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/small/" + idb).toString()))) {
                        return r.headers().first("X-Id").orElse("") + "|" + r.body().string();
                    }
                });
                if (!(idb + "|" + idb).equals(out)) {
                    failures.add(idb + " after " + ida + " got " + (out instanceof Throwable th ? describe(th) : out));
                }
            }
            assertThat(failures).as("%d answered, %d timed out", answered, timedOut).isEmpty();
            assertThat(timedOut).as("the race was run").isPositive();
            assertThat(answered).as("the race was run").isPositive();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0, Lifecycle.BOUND, "idle: " + t.stats());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 9. A matrix of pool pressures under maxConnsPerHost(2), with callers ended at random.
    // ---------------------------------------------------------------------------------------------------------------

    enum Pressure { IDLE_TIMEOUT_1MS, CLOSE_IDLE_HAMMER, NO_KEEP_ALIVE, SERVER_CLOSES, ALL }

    /**
     * T8, P14, P18, P19, E2, E9, E34, E37, E56: at maxConnsPerHost(2) with slow dials, 8 callers send GET, HEAD and
     * one-shot POSTs, a third of them ended at a random moment (context, own timeout, interrupt), under one pool
     * pressure: an idle timeout of 1 ms (the reaper racing hand-overs to waiters), {@code closeIdleConnections()} called
     * in a loop, keep-alives disabled, a server that closes each connection after 1-3 answers at a random moment, or all
     * of them. A request not ended by its caller never fails unless it is a POST (which may, cleanly, after a stale
     * connection) and always gets its own answer; no POST reaches the server twice; never more than 2 client sockets
     * exist; the counters return to idle and no socket outside the pool stays open.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Pressure.class)
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void poolPressuresWithCallersEndedAtRandom(Pressure pressure) throws Exception {
        boolean serverCloses = pressure == Pressure.SERVER_CLOSES || pressure == Pressure.ALL;
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        AtomicLong seeds = new AtomicLong();
        CountingDialer dialer = new CountingDialer(500_000);
        Transport.Builder tb = Transport.builder().dialer(dialer).maxConnsPerHost(2).maxIdleConnsPerHost(2);
        if (pressure == Pressure.IDLE_TIMEOUT_1MS || pressure == Pressure.ALL) {
            tb.idleConnTimeout(Duration.ofMillis(1));
        }
        if (pressure == Pressure.NO_KEEP_ALIVE || pressure == Pressure.ALL) {
            tb.disableKeepAlives(true);
        }
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(seeds.incrementAndGet());
                 int serve = serverCloses ? 1 + rnd.nextInt(3) : Integer.MAX_VALUE;
                 for (int n = 0; ; n++) {
                     String head = c.readRequest();
                     if (head == null) {
                         return;
                     }
                     String line = head.split("\r\n", 2)[0];
                     seen.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                     if (n >= serve) {
                         c.socket.setSoLinger(true, 0);
                         return;
                     }
                     String target = line.split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     boolean close = head.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
                     Lifecycle.spin(rnd.nextInt(100_000));
                     c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n"
                             + (close ? "Connection: close\r\n" : "") + "\r\n" + (line.startsWith("HEAD") ? "" : id));
                     if (close) {
                         return;
                     }
                     if (n == serve - 1) {
                         Lifecycle.spin(rnd.nextInt(300_000));
                         if (rnd.nextBoolean()) {
                             c.socket.setSoLinger(true, 0);
                         }
                         return;
                     }
                 }
             });
             Transport t = tb.build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger postFailures = new AtomicInteger();
            AtomicInteger ended = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            Thread hammer = null;
            if (pressure == Pressure.CLOSE_IDLE_HAMMER || pressure == Pressure.ALL) {
                hammer = Thread.ofVirtual().start(() -> {
                    Random rnd = new Random(3);
                    while (!stop.get()) {
                        t.closeIdleConnections();
                        Lifecycle.spin(rnd.nextInt(500_000));
                    }
                });
            }
            // The counters, sampled throughout: never negative, never more slots than the limit, never more idle than allowed.
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    TransportStats st = t.stats();
                    if (st.open() < 0 || st.idle() < 0 || st.inUse() < 0 || st.dialing() < 0 || st.waiting() < 0
                            || st.open() + st.dialing() > 2 || st.idle() > 2 || st.idle() > st.open()) {
                        failures.add("counters out of bounds: " + st);
                    }
                    Lifecycle.letOthersRun();
                }
            });
            List<Caller<Integer>> callers = new ArrayList<>();
            int rounds = 150 * SCALE;
            for (int k = 0; k < 8; k++) {
                int ki = k;
                callers.add(Caller.start(k % 2 == 0, "caller-" + k, () -> {
                    Random rnd = new Random(ki * 1000L + pressure.ordinal());
                    for (int i = 0; i < rounds; i++) {
                        String id = "c" + ki + "x" + i;
                        int m = rnd.nextInt(3);
                        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/p/" + id));
                        switch (m) {
                            case 0 -> b.GET();
                            case 1 -> b.HEAD();
                            default -> b.POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(id.getBytes()), id.length(), "text/plain"));
                        }
                        Way way = rnd.nextInt(3) == 0 ? Way.values()[rnd.nextInt(3)] : null;
                        long delay = rnd.nextInt(2_000_000);
                        if (way == Way.TIMEOUT) {
                            b.timeout(Duration.ofNanos(200_000 + delay));
                        }
                        HttpRequest req = b.build();
                        CancellableContext ctx = Context.withCancel(Context.background());
                        Thread self = Thread.currentThread();
                        Thread ender = null;
                        if (way == Way.CONTEXT || way == Way.INTERRUPT) {
                            CountDownLatch done = new CountDownLatch(1);
                            ender = Thread.ofVirtual().start(() -> {
                                Lifecycle.spin(delay);
                                if (way == Way.CONTEXT) {
                                    ctx.cancel();
                                } else {
                                    synchronized (ctx) {
                                        if (!ctx.isDone()) {
                                            self.interrupt();
                                        }
                                    }
                                }
                            });
                        }
                        try (HttpResponse r = t.roundTrip(req, ctx)) {
                            String got = r.headers().first("X-Id").orElse("<none>");
                            String body = r.body().string();
                            if (!id.equals(got) || !(m == 1 ? "" : id).equals(body)) {
                                failures.add(id + " got X-Id " + got + " body " + body);
                            }
                        } catch (Exception e) {
                            boolean own = way != null && switch (way) {
                                case CONTEXT -> e instanceof RequestCancelledException c && c.reason() == RequestCancelledException.Reason.CONTEXT;
                                case TIMEOUT -> e instanceof HttpTimeoutException;
                                case INTERRUPT -> e instanceof InterruptedException
                                        || e instanceof RequestCancelledException c && c.reason() == RequestCancelledException.Reason.INTERRUPT;
                            };
                            if (own) {
                                ended.incrementAndGet();
                            } else if (m == 2 && e instanceof IOException) {
                                Lifecycle.assertExportedType(e);
                                met("pressure " + pressure + " POST failed: " + e.getClass().getSimpleName() + ": "
                                        + String.valueOf(e.getMessage()).replaceAll("http://[^ ]*", "URI").replaceAll("[0-9]+", "N"));
                                postFailures.incrementAndGet();
                            } else {
                                failures.add((m == 0 ? "GET " : m == 1 ? "HEAD " : "POST ") + id + " (way " + way + ") failed: " + describe(e));
                            }
                        } finally {
                            synchronized (ctx) {
                                ctx.cancel(); // from here on the ender interrupts nobody
                            }
                            // An interrupt that came after the request ended is dropped, before the join that it would
                            // end (it did once on CI: the join threw InterruptedException).
                            Thread.interrupted();
                            if (ender != null) {
                                ender.join();
                            }
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(250), failures);
            stop.set(true);
            if (hammer != null) {
                hammer.join();
            }
            sampler.join();
            seen.forEach((line, n) -> {
                if (line.startsWith("POST") && n.get() > 1) {
                    failures.add(line + " reached the server " + n.get() + " times");
                }
            });
            assertThat(failures).as("%s: %d ended by their callers, %d POSTs failed, %d retries, %s", pressure, ended.get(),
                    postFailures.get(), t.stats().retries(), t.stats()).isEmpty();
            assertThat(dialer.max.get()).as("client sockets at once under maxConnsPerHost(2)").isLessThanOrEqualTo(2);
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "counters back to idle: " + t.stats());
            Lifecycle.await(() -> dialer.open.get() == t.stats().open() && t.stats().open() == t.stats().idle(),
                    Lifecycle.BOUND, "no socket outside the pool: sockets " + dialer.open + ", " + t.stats());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 10. A body owned through its stream alone, whatever its shape, while the collector runs.
    // ---------------------------------------------------------------------------------------------------------------

    enum Shape { LENGTH, CHUNKED, GZIP, SMALL_IN_MEMORY, GZIP_SMALL }

    /**
     * E4 for every body shape: a caller keeps only {@code body().stream()} (the response and its {@code ResponseBody}
     * dropped), the collector runs until they are collected, and the body is then read whole (its rest sent only
     * then), never closed by the unclosed-body watch; the connection is reused by the next request.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Shape.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aBodyHeldThroughItsStreamAloneIsNeverReclaimed(Shape shape) throws Exception {
        byte[] plain = bigBody("stream-only");
        byte[] wire;
        if (shape == Shape.GZIP || shape == Shape.GZIP_SMALL) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(b)) {
                z.write(shape == Shape.GZIP_SMALL ? Arrays16.head(plain, 100) : plain);
            }
            wire = b.toByteArray();
            if (shape == Shape.GZIP) {
                // random bytes do not compress: make the wire form large enough to need several reads
                java.io.ByteArrayOutputStream b2 = new java.io.ByteArrayOutputStream();
                byte[] noise = new byte[40_000];
                new Random(1).nextBytes(noise);
                plain = noise;
                try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(b2)) {
                    z.write(plain);
                }
                wire = b2.toByteArray();
            } else {
                plain = Arrays16.head(plain, 100);
            }
        } else if (shape == Shape.SMALL_IN_MEMORY) {
            plain = Arrays16.head(plain, 100);
            wire = plain;
        } else {
            wire = plain;
        }
        byte[] sent = wire;
        boolean small = shape == Shape.SMALL_IN_MEMORY || shape == Shape.GZIP_SMALL;
        CountDownLatch sendRest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /next")) {
                         c.write(RawServer.OK);
                         continue;
                     }
                     String enc = (shape == Shape.GZIP || shape == Shape.GZIP_SMALL) ? "Content-Encoding: gzip\r\n" : "";
                     int half = small ? sent.length : sent.length / 2;
                     if (shape == Shape.CHUNKED) {
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(half) + "\r\n");
                         c.write(Arrays16.head(sent, half));
                         c.write("\r\n");
                         if (sendRest.await(30, TimeUnit.SECONDS)) {
                             c.write(Integer.toHexString(sent.length - half) + "\r\n");
                             c.write(java.util.Arrays.copyOfRange(sent, half, sent.length));
                             c.write("\r\n0\r\n\r\n");
                         }
                     } else {
                         c.write("HTTP/1.1 200 OK\r\n" + enc + "Content-Length: " + sent.length + "\r\n\r\n");
                         c.write(Arrays16.head(sent, half));
                         if (!small && sendRest.await(30, TimeUnit.SECONDS)) {
                             c.write(java.util.Arrays.copyOfRange(sent, half, sent.length));
                         }
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            java.lang.ref.WeakReference<?>[] dropped = new java.lang.ref.WeakReference<?>[2];
            InputStream in = streamOnly(t, server.uri("/body"), dropped);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[512];
            int n = in.read(buf);
            assertThat(n).isPositive();
            got.write(buf, 0, n);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while ((dropped[0].get() != null || dropped[1].get() != null) && System.nanoTime() < end) {
                System.gc();
            }
            assertThat(dropped[0].get()).as("the dropped ResponseBody was collected").isNull();
            assertThat(dropped[1].get()).as("the dropped HttpResponse was collected").isNull();
            boolean closedByWatch = Lifecycle.within(() -> {
                System.gc();
                return t.stats().inUse() == 0;
            }, Duration.ofSeconds(2));
            sendRest.countDown();
            try (in) {
                for (int k; (k = in.read(buf)) >= 0; ) {
                    got.write(buf, 0, k);
                }
            } catch (IOException e) {
                throw new AssertionError(shape + ": the body held through its stream failed (the watch closed it: "
                        + closedByWatch + ")", e);
            }
            assertThat(got.toByteArray()).as("%s: the whole body", shape).isEqualTo(plain);
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().reused()).as("%s: the connection was reused after the body's end", shape).isEqualTo(1);
        }
    }

    private static InputStream streamOnly(Transport t, java.net.URI uri, java.lang.ref.WeakReference<?>[] dropped)
            throws Exception {
        HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()));
        dropped[0] = new java.lang.ref.WeakReference<>(r.body());
        dropped[1] = new java.lang.ref.WeakReference<>(r);
        return r.body().stream();
    }

    /** Small array helpers. */
    static final class Arrays16 {
        static byte[] head(byte[] b, int n) {
            return java.util.Arrays.copyOf(b, n);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 11. The transport's own timeouts and 100-continue ending victims beside good requests.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * T9, P21, E1, E37: with responseHeaderTimeout and bodyReadTimeout of 1 s and an expect-continue timeout of
     * 20 ms, victims meet each of them (a head never sent, a body that stalls, a {@code 100} never sent, a final
     * status instead of a {@code 100}), some also cancelled at a random moment, while good requests (plain GETs and
     * POSTs with {@code Expect: 100-continue} that the server continues) run beside them on maxConnsPerHost(3). Every
     * good request is answered with its own id and reaches the server once; every victim ends with its own limit, its
     * cancellation, or the final status; nothing is left in use.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void transportTimeoutsAndExpectContinueEndOnlyTheirOwnRequests() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        Map<Integer, List<String>> history = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String line = head.split("\r\n", 2)[0];
                     seen.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                     history.computeIfAbsent(c.index, k -> Collections.synchronizedList(new ArrayList<>())).add(line);
                     String target = line.split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     String lower = head.toLowerCase(java.util.Locale.ROOT);
                     boolean expect = lower.contains("\r\nexpect: 100-continue\r\n");
                     int length = 0;
                     for (String h : head.split("\r\n")) {
                         if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                             length = Integer.parseInt(h.substring(15).trim());
                         }
                     }
                     if (target.startsWith("/ok/")) {
                         if (expect) {
                             c.write("HTTP/1.1 100 Continue\r\n\r\n");
                         }
                         c.readBody(length);
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n\r\n" + id);
                     } else if (target.startsWith("/final/")) {
                         c.write("HTTP/1.1 417 Expectation Failed\r\nX-Id: " + id + "\r\nContent-Length: 0\r\n\r\n");
                         c.readUntilClosed();
                         return;
                     } else if (target.startsWith("/body/")) {
                         c.readBody(length);
                         c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: 100\r\n\r\n0123456789");
                         c.readUntilClosed();
                         return;
                     } else {
                         c.readUntilClosed(); // /head/ and /nocontinue/: never answered
                         return;
                     }
                 }
             });
             // 1 s limits: the good requests share them, and a loaded 2-core CI machine may stall the server's thread
             // for a few hundred milliseconds (an early version at 500 ms failed once so).
             Transport t = Transport.builder().maxConnsPerHost(3).responseHeaderTimeout(Duration.ofSeconds(1))
                     .bodyReadTimeout(Duration.ofSeconds(1)).expectContinueTimeout(Duration.ofMillis(20)).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            int rounds = 20 * SCALE;
            List<Caller<Integer>> callers = new ArrayList<>();
            for (int g = 0; g < 3; g++) {
                int gi = g;
                callers.add(Caller.virtual("good-" + g, () -> {
                    for (int i = 0; i < rounds * 4; i++) {
                        String id = "g" + gi + "x" + i;
                        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/ok/" + id));
                        if (i % 2 == 1) {
                            b.header("Expect", "100-continue").POST(RequestBody.of(id.getBytes(StandardCharsets.US_ASCII), "text/plain"));
                        }
                        try (HttpResponse r = t.roundTrip(b.build())) {
                            String got = r.headers().first("X-Id").orElse("<none>");
                            String body = r.body().string();
                            if (!id.equals(got) || !id.equals(body)) {
                                failures.add(id + " got X-Id " + got + " body " + body);
                            }
                        } catch (Exception e) {
                            String on = "";
                            for (Map.Entry<Integer, List<String>> h : history.entrySet()) {
                                if (h.getValue().toString().contains("/" + id + " ")) {
                                    on = " on server connection " + h.getKey() + " that served " + h.getValue();
                                }
                            }
                            failures.add("good " + id + " failed" + on + ": " + describe(e));
                        }
                        String m = i % 2 == 1 ? "POST" : "GET";
                        int n = seen.getOrDefault(m + " /ok/" + id + " HTTP/1.1", new AtomicInteger()).get();
                        if (n != 1) {
                            failures.add("good " + m + " " + id + " reached the server " + n + " times");
                        }
                    }
                    return rounds;
                }));
            }
            String[] kinds = {"head", "body", "nocontinue", "final"};
            for (int v = 0; v < 4; v++) {
                int vi = v;
                callers.add(Caller.virtual("victims-" + v, () -> {
                    Random rnd = new Random(vi);
                    for (int i = 0; i < rounds; i++) {
                        String kind = kinds[(vi + i) % 4];
                        String id = "v" + vi + "x" + i;
                        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/" + kind + "/" + id));
                        if (kind.equals("nocontinue") || kind.equals("final") || rnd.nextBoolean()) {
                            b.header("Expect", "100-continue").POST(RequestBody.of(new byte[3000], "application/octet-stream"));
                        }
                        boolean cancel = rnd.nextInt(3) == 0;
                        CancellableContext ctx = Context.withCancel(Context.background());
                        Thread canceller = null;
                        if (cancel) {
                            long d = rnd.nextInt(400_000_000);
                            canceller = Thread.ofVirtual().start(() -> {
                                // parked, not spun: a spin this long would hold one of the two carriers from the server
                                java.util.concurrent.locks.LockSupport.parkNanos(d);
                                ctx.cancel();
                            });
                        }
                        try (HttpResponse r = t.roundTrip(b.build(), ctx)) {
                            String body = r.body().string();
                            if (!kind.equals("final") || r.status() != 417) {
                                failures.add("victim " + id + " (" + kind + ") answered " + r.status() + " " + body);
                            }
                            met("limits victim " + kind + " -> " + r.status());
                        } catch (HttpTimeoutException e) {
                            HttpTimeoutException.Kind want = kind.equals("body") ? HttpTimeoutException.Kind.BODY_READ
                                    : HttpTimeoutException.Kind.RESPONSE_HEADERS;
                            if (e.kind() != want || kind.equals("final")) {
                                failures.add("victim " + id + " (" + kind + ") timed out as " + e.kind() + ": " + describe(e));
                            }
                            met("limits victim " + kind + " -> " + e.kind());
                        } catch (RequestCancelledException e) {
                            if (!cancel || e.reason() != RequestCancelledException.Reason.CONTEXT) {
                                failures.add("victim " + id + " (" + kind + ") cancelled: " + describe(e));
                            }
                            met("limits victim " + kind + " -> cancelled");
                        } catch (Exception e) {
                            failures.add("victim " + id + " (" + kind + ") failed: " + describe(e));
                        } finally {
                            ctx.cancel();
                            if (canceller != null) {
                                canceller.join();
                            }
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(250), failures);
            assertThat(failures).isEmpty();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "counters back to idle: " + t.stats());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 12. The idle limit across hosts (eviction of another host's connection) racing takes and cancels.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * P17, E2, E108, T12: three servers, {@code maxIdleConns(1)} in total (each put back evicts another host's idle
     * connection), {@code maxConnsPerHost(2)}; 9 callers send GETs to a random server, a third of them cancelled at a
     * random moment. Every request not cancelled is answered with its own id by the server it asked; at the end at
     * most one connection is open, and every other client socket is closed.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void evictionAcrossHostsRacingTakesAndCancelsLosesNothing() throws Exception {
        CountingDialer dialer = new CountingDialer(200_000);
        RawServer[] servers = new RawServer[3];
        for (int k = 0; k < 3; k++) {
            int port = k;
            servers[k] = RawServer.start(c -> {
                for (String head; (head = c.readRequest()) != null; ) {
                    String target = head.split("\r\n", 2)[0].split(" ")[1];
                    String id = target.substring(target.lastIndexOf('/') + 1) + "@" + port;
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: " + id.length() + "\r\n\r\n" + id);
                }
            });
        }
        try (Transport t = Transport.builder().dialer(dialer).maxIdleConns(1).maxIdleConnsPerHost(2).maxConnsPerHost(2).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            List<Caller<Integer>> callers = new ArrayList<>();
            int rounds = 150 * SCALE;
            for (int k = 0; k < 9; k++) {
                int ki = k;
                callers.add(Caller.virtual("caller-" + k, () -> {
                    Random rnd = new Random(ki);
                    for (int i = 0; i < rounds; i++) {
                        int srv = rnd.nextInt(3);
                        String id = "c" + ki + "x" + i;
                        boolean cancel = rnd.nextInt(3) == 0;
                        CancellableContext ctx = Context.withCancel(Context.background());
                        Thread canceller = null;
                        if (cancel) {
                            long d = rnd.nextInt(1_000_000);
                            canceller = Thread.ofVirtual().start(() -> {
                                Lifecycle.spin(d);
                                ctx.cancel();
                            });
                        }
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(servers[srv].uri("/e/" + id).toString()), ctx)) {
                            String body = r.body().string();
                            if (!(id + "@" + srv).equals(body)) {
                                failures.add(id + "@" + srv + " got " + body);
                            }
                        } catch (RequestCancelledException e) {
                            if (!cancel) {
                                failures.add(id + " cancelled: " + describe(e));
                            }
                        } catch (Exception e) {
                            failures.add(id + "@" + srv + " failed: " + describe(e));
                        } finally {
                            ctx.cancel();
                            if (canceller != null) {
                                canceller.join();
                            }
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(200), failures);
            assertThat(failures).isEmpty();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "counters back to idle: " + t.stats());
            assertThat(t.stats().idle()).as("maxIdleConns(1): %s", t.stats()).isLessThanOrEqualTo(1);
            Lifecycle.await(() -> dialer.open.get() == t.stats().open(), Lifecycle.BOUND,
                    "no socket outside the pool: sockets " + dialer.open + ", " + t.stats());
        } finally {
            for (RawServer s : servers) {
                s.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 13. A dial that comes anyway after its caller left serves the next waiter or goes idle.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * P19, E57, E54, T8: the dialer ignores interrupts (it clears its flag and connects anyway, a little later), so a
     * dial whose request gave up still delivers a connection. At maxConnsPerHost(1), request A starts the dial and is
     * cancelled while it runs; with a waiter B queued behind it, B gets that connection (one dial, B answered); with
     * none, the connection goes idle and the next request reuses it. Never more than one socket; nothing leaks.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aDialThatOutlivesItsCallerServesAWaiterOrGoesIdle(boolean waiter) throws Exception {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger dials = new AtomicInteger();
        CountDownLatch[] dialing = new CountDownLatch[1];
        CountDownLatch[] release = new CountDownLatch[1];
        Dialer stubborn = (host, port, timeout) -> {
            dials.incrementAndGet();
            AtomicBoolean closed = new AtomicBoolean();
            Socket s = new Socket() {
                @Override
                public synchronized void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        if (closed.compareAndSet(false, true)) {
                            open.decrementAndGet();
                        }
                    }
                }
            };
            max.accumulateAndGet(open.incrementAndGet(), Math::max);
            dialing[0].countDown();
            Lifecycle.awaitUninterruptibly(release[0]); // the test lets it connect once A has given up
            Thread.interrupted(); // ignores its interrupt: the connection comes anyway
            s.connect(new InetSocketAddress(host, port), 10_000);
            return s;
        };
        try (Scripted server = new Scripted();
             Transport t = Transport.builder().dialer(stubborn).maxConnsPerHost(1).build()) {
            List<String> failures = new ArrayList<>();
            int rounds = 200 * SCALE;
            for (int i = 0; i < rounds; i++) {
                t.closeIdleConnections();
                Lifecycle.await(() -> open.get() == 0, Lifecycle.BOUND, "sockets closed before the round: " + open);
                dialing[0] = new CountDownLatch(1);
                release[0] = new CountDownLatch(1);
                int dialsBefore = dials.get();
                CancellableContext ctx = Context.withCancel(Context.background());
                String ida = "a" + i;
                Caller<String> a = Caller.virtual("A-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/ok/" + ida).toString()), ctx)) {
                        return r.body().string();
                    }
                });
                Lifecycle.awaitUninterruptibly(dialing[0]);
                String idb = "b" + i;
                Caller<String> b = null;
                if (waiter) {
                    b = Caller.virtual("B-" + i, () -> {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/ok/" + idb).toString()))) {
                            return r.body().string();
                        }
                    });
                    Lifecycle.await(() -> t.stats().waiting() >= 1, Lifecycle.BOUND, "B waiting");
                }
                ctx.cancel();
                Lifecycle.spin(i * 7_919L % 300_000); // the dial comes back at moments around A's give-up
                release[0].countDown();
                if (!a.join(Duration.ofSeconds(10))) {
                    failures.add(i + ": A hangs after its cancel: " + List.of(a.thread.getStackTrace()));
                    a.abandon(() -> {});
                } else if (!(a.error() instanceof RequestCancelledException)) {
                    failures.add(i + ": A, cancelled while its dial ran, ended with " + (a.error() != null ? describe(a.error()) : a.value()));
                }
                if (waiter) {
                    if (!b.join(Duration.ofSeconds(10))) {
                        failures.add(i + ": B hangs: " + List.of(b.thread.getStackTrace()));
                        b.abandon(() -> {});
                    } else if (!idb.equals(b.value())) {
                        failures.add(i + ": B got " + (b.error() != null ? describe(b.error()) : b.value()));
                    }
                    if (dials.get() - dialsBefore != 1) {
                        failures.add(i + ": B dialed its own connection instead of taking the one A left: "
                                + (dials.get() - dialsBefore) + " dials");
                    }
                } else {
                    boolean idle = Lifecycle.within(() -> t.stats().idle() == 1 && t.stats().dialing() == 0, Duration.ofSeconds(10));
                    if (!idle) {
                        failures.add(i + ": the connection A's dial brought went neither idle nor away: " + t.stats()
                                + ", sockets " + open);
                    }
                }
                if (max.get() > 1) {
                    failures.add(i + ": " + max.get() + " sockets at once under maxConnsPerHost(1)");
                    max.set(1);
                }
                if (failures.size() > 5) {
                    break;
                }
                if (!Lifecycle.within(() -> t.stats().inUse() == 0 && t.stats().dialing() == 0 && t.stats().waiting() == 0
                        && open.get() == t.stats().open(), Duration.ofSeconds(10))) {
                    failures.add(i + ": left after the round: " + t.stats() + ", sockets " + open);
                    break;
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 14. Failed dials fail only their own requests.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * P18, P71, E2, E37: at maxConnsPerHost(1), a third of the dials fail (a {@code ConnectException}) while 8 callers
     * queue for the one slot. Each failed dial fails at most one request (its own), with a {@code ConnectException};
     * every other request is answered with its own id; no slot is lost.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aFailedDialFailsOnlyItsOwnRequest() throws Exception {
        AtomicInteger failedDials = new AtomicInteger();
        AtomicInteger dialNo = new AtomicInteger();
        CountingDialer inner = new CountingDialer(300_000);
        Dialer flaky = (host, port, timeout) -> {
            if (dialNo.incrementAndGet() % 3 == 0) {
                Lifecycle.spin(200_000);
                failedDials.incrementAndGet();
                throw new java.net.ConnectException("refused by the probe's dialer");
            }
            return inner.dial(host, port, timeout);
        };
        try (Scripted server = new Scripted();
             Transport t = Transport.builder().dialer(flaky).maxConnsPerHost(1).disableKeepAlives(true).build()) {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger failedRequests = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            Thread closer = Thread.ofVirtual().start(() -> {
                Random rnd = new Random(9);
                while (!stop.get()) {
                    t.closeIdleConnections(); // so that requests keep dialing
                    java.util.concurrent.locks.LockSupport.parkNanos(rnd.nextInt(2_000_000));
                }
            });
            List<Caller<Integer>> callers = new ArrayList<>();
            int rounds = 100 * SCALE;
            for (int k = 0; k < 8; k++) {
                int ki = k;
                callers.add(Caller.virtual("caller-" + k, () -> {
                    for (int i = 0; i < rounds; i++) {
                        String id = "c" + ki + "x" + i;
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/ok/" + id).toString()))) {
                            String body = r.body().string();
                            if (!id.equals(body)) {
                                failures.add(id + " got " + body);
                            }
                        } catch (java.net.ConnectException e) {
                            failedRequests.incrementAndGet();
                        } catch (Exception e) {
                            failures.add(id + " failed: " + describe(e));
                        }
                    }
                    return rounds;
                }));
            }
            joinAll(callers, Duration.ofSeconds(200), failures);
            stop.set(true);
            closer.join();
            assertThat(failures).isEmpty();
            assertThat(failedRequests.get()).as("requests failed by a dial (%d dials failed)", failedDials.get())
                    .isLessThanOrEqualTo(failedDials.get());
            assertThat(failedDials.get()).as("the race was run").isPositive();
            assertThat(inner.max.get()).isLessThanOrEqualTo(1);
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "counters back to idle: " + t.stats());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 15. A final status instead of 100 Continue, racing the expect-continue timer: the next request's bytes.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * P21, E9: a POST with {@code Expect: 100-continue} and a 3000-byte body, expect-continue timeout 1 ms, is answered
     * with a {@code 417} (no {@code Connection: close}) after a random pause around that timeout, so the final status
     * races the timer that sends the body anyway. Then a GET goes to the same host (maxConnsPerHost(1)). On the
     * connection the server reads, after the 417, either its end, or the whole body and then the GET: never the GET
     * right after the head (body skipped, connection kept) and never part of the body then the GET.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aFinalStatusRacingTheContinueTimerNeverLeavesTheConnectionOutOfStep() throws Exception {
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        AtomicLong seeds = new AtomicLong();
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(seeds.incrementAndGet());
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (head.startsWith("GET ")) {
                         c.write(RawServer.OK);
                         continue;
                     }
                     Lifecycle.spin(rnd.nextInt(2_000_000));
                     c.write("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
                     // what comes next on this connection: its end, the body whole then a request, or a request
                     int zeros = 0;
                     int b;
                     while ((b = c.in.read()) == 0) {
                         zeros++;
                         if (zeros == 3000) {
                             break;
                         }
                     }
                     if (b < 0) {
                         if (zeros != 0 && zeros != 3000) {
                             met("p21 partial body then end: fine, the connection closed");
                         }
                         met("p21 connection ended after the 417 (" + (zeros == 0 ? "no body" : "body " + zeros) + ")");
                         return;
                     }
                     if (zeros == 3000) {
                         met("p21 body sent whole and connection kept");
                         continue;
                     }
                     violations.add("after the 417 the connection carried " + zeros + " body bytes then '" + (char) b
                             + "...' (the body " + (zeros == 0 ? "skipped" : "cut short") + " and the connection kept)");
                     return;
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).expectContinueTimeout(Duration.ofMillis(1)).build()) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < 400 * SCALE && violations.isEmpty(); i++) {
                HttpRequest post = HttpRequest.newBuilder(server.uri("/upload/" + i)).header("Expect", "100-continue")
                        .POST(RequestBody.of(new byte[3000], "application/octet-stream")).build();
                try (HttpResponse r = t.roundTrip(post)) {
                    if (r.status() != 417) {
                        failures.add(i + ": POST got " + r.status());
                    }
                    r.body().string();
                } catch (IOException e) {
                    met("p21 POST failed: " + e.getClass().getSimpleName());
                }
                Object out = Leaks.outcomeWithin10s("GET-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                        return r.body().string();
                    }
                });
                if (!"ok".equals(out)) {
                    failures.add(i + ": the GET after the 417 got " + (out instanceof Throwable th ? describe(th) : out));
                }
            }
            assertThat(violations).isEmpty();
            assertThat(failures).isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 16. Early answers to uploads, the server then reading on or closing, and the next request on that connection.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * T4, P12, E9: a POST of 4 MiB (one-shot or replayable) is answered as soon as its head arrives; the server then
     * either reads the rest of the upload and serves on, or resets the connection at a random point of it. At
     * maxConnsPerHost(1), a GET follows on the same host: it is always answered with its own id, the POST is answered
     * (the early answer) or fails cleanly, and no POST reaches the server twice.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void earlyAnswersToUploadsNeverReachTheNextRequest() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        AtomicLong seeds = new AtomicLong();
        int size = 4 * 1024 * 1024;
        try (RawServer server = RawServer.start(c -> {
                 Random rnd = new Random(seeds.incrementAndGet());
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String line = head.split("\r\n", 2)[0];
                     seen.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                     String target = line.split(" ")[1];
                     String id = target.substring(target.lastIndexOf('/') + 1);
                     c.write("HTTP/1.1 200 OK\r\nX-Id: " + id + "\r\nContent-Length: " + id.length() + "\r\n\r\n" + id);
                     if (line.startsWith("POST")) {
                         if (rnd.nextBoolean()) {
                             c.readBody(size); // reads on and serves the next request
                         } else {
                             c.readBody(rnd.nextInt(size));
                             c.socket.setSoLinger(true, 0);
                             return;
                         }
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            List<String> failures = new ArrayList<>();
            int postFailed = 0;
            for (int i = 0; i < 100 * SCALE; i++) {
                String idp = "p" + i;
                RequestBody body = i % 2 == 0
                        ? RequestBody.ofStreamOnce(new ByteArrayInputStream(new byte[size]), size, "application/octet-stream")
                        : RequestBody.of(new byte[size], "application/octet-stream");
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/up/" + idp)).POST(body).build())) {
                    String got = r.body().string();
                    if (!idp.equals(got) || !idp.equals(r.headers().first("X-Id").orElse(""))) {
                        failures.add(idp + " got " + got);
                    }
                } catch (IOException e) {
                    Lifecycle.assertExportedType(e);
                    met("early POST failed: " + e.getClass().getSimpleName() + ": "
                            + String.valueOf(e.getMessage()).replaceAll("http://[^ ]*", "URI").replaceAll("[0-9]+", "N"));
                    postFailed++;
                }
                String idg = "g" + i;
                Object out = Leaks.outcomeWithin10s("GET-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next/" + idg).toString()))) {
                        return r.headers().first("X-Id").orElse("") + "|" + r.body().string();
                    }
                });
                if (!(idg + "|" + idg).equals(out)) {
                    failures.add(idg + " after " + idp + " got " + (out instanceof Throwable th ? describe(th) : out));
                }
                AtomicInteger n = seen.get("POST /up/" + idp + " HTTP/1.1");
                if (n != null && n.get() > 1) {
                    failures.add(idp + " reached the server " + n.get() + " times");
                }
            }
            met("early answers: " + t.stats());
            assertThat(failures).as("%d POSTs failed", postFailed).isEmpty();
            assertThat(t.stats().reused()).as("connections read on by the server were reused").isPositive();
            assertThat(t.stats().dialed()).as("connections the server reset were not reused").isGreaterThan(1);
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "idle: " + t.stats());
        }
    }

    static byte[] bigBody(String id) {
        byte[] b = new byte[32 * 1024];
        byte[] idb = (id + ";").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < b.length; i++) {
            b[i] = idb[i % idb.length];
        }
        return b;
    }
}
