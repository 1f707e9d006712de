package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * Adversarial probes of the {@link HttpClient} layer against real loopback servers: ends (interrupt, cancel,
 * the transport's close, the client's timeout) swept across the hops of a redirect chain and the drain of each
 * redirect's body (P31); gzip bodies the transport decodes (P25) read after close (E43) and as a redirect's body
 * that declares a large length and stalls (E45); the lifetime of the context a send makes (E44); a replayable
 * request body whose second open fails on a 307; callers sharing a client and its cookie jar. Each probe
 * collects every violation with what happened.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class HttpClientLifecycleProbeTest {

    @RegisterExtension
    final OpenedTransports transports = new OpenedTransports();

    private Transport open(Transport.Builder b) {
        return transports.open(b);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(data);
        }
        return gz.toByteArray();
    }

    /** A compressible body: decoded it is far larger than its gzip data, which arrives in one socket read. */
    private static byte[] text(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + (i % 26));
        }
        return b;
    }

    /**
     * E43: a gzip body the transport decodes (P25) answers a read after its close by throwing, as every body does
     * (P15), directly and through {@link HttpClient}: before, its close closed only the framing below the decoder,
     * and the decoder went on inflating what it had already taken in, so a read after close returned body bytes
     * (and one after the body's end returned EOF); the inflater's native memory was kept until the body was
     * collected.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void E43_aGzipBodyReadAfterItsCloseThrows() throws Exception {
        byte[] plain = text(200_000);
        byte[] gzipped = gzip(plain);
        assertThat(gzipped.length).isLessThan(4096);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gzipped.length + "\r\n\r\n")
                             .getBytes(StandardCharsets.ISO_8859_1));
                     c.write(gzipped);
                 }
             })) {
            Transport t = open(Transport.builder());
            HttpClient client = HttpClient.builder(t).build();
            List<String> violations = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                boolean viaClient = i % 2 == 1;
                boolean toEnd = i >= 2;
                HttpRequest req = HttpRequest.get(server.uri("/gz" + i).toString());
                HttpResponse r = viaClient ? client.send(req) : t.roundTrip(req);
                InputStream in = r.body().stream();
                if (toEnd) {
                    assertThat(in.readAllBytes()).isEqualTo(plain);
                } else {
                    assertThat(in.readNBytes(10)).isEqualTo(java.util.Arrays.copyOf(plain, 10));
                }
                r.close();
                String what = (viaClient ? "client" : "transport") + (toEnd ? ", after the end" : ", mid-body");
                byte[] buf = new byte[1024];
                try {
                    int n = in.read(buf);
                    violations.add(what + ": a read after close returned " + n + " instead of throwing");
                } catch (IOException expected) {
                    if (!String.valueOf(expected.getMessage()).contains("closed")) {
                        violations.add(what + ": a read after close threw " + expected);
                    }
                }
                try {
                    int n = in.read();
                    violations.add(what + ": a one-byte read after close returned " + n + " instead of throwing");
                } catch (IOException expected) {
                    // as P15 says
                }
                Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
                TransportStats s = t.stats();
                if (s.open() != s.idle() || s.open() > 1) {
                    violations.add(what + ": counters inconsistent: " + s);
                }
                if (toEnd && s.idle() != 1) {
                    violations.add(what + ": a gzip body read to its end did not put its connection back: " + s);
                }
            }
            assertThat(violations).isEmpty();
        }
    }

    /** How a send is ended while it follows redirects. */
    enum Ender { INTERRUPT, CANCEL, TRANSPORT_CLOSE, CLIENT_TIMEOUT }

    /**
     * E10, E18, E22, E38, E39 at the client layer: a send that follows a chain of three redirects (bodies that are
     * short with a length, chunked, of unknown length ended by the server's close, or declaring more than 2 KiB;
     * P31) is ended (its thread interrupted, its context cancelled, its transport closed, the client's timeout
     * passing) swept across the hops,
     * the drain of each redirect's body and the final body's read; callers virtual and platform. Each send has
     * exactly one outcome: the final body whole, or an exception of the ender's kind, never a connection failure
     * that hides it; an interrupt is thrown as {@link InterruptedException} with the status cleared, or is still
     * set after any other outcome (never lost, never doubled); each hop's round trip reports {@code done()} once;
     * once the send ended nothing is in use and the counters agree; no transport thread is left. Both outcomes must
     * be met (the race was run): the sweep's range is calibrated once, and a loaded machine can slow or speed every
     * later send past it, so the iterations go on until both were met (at most ten times as many, within 60 s;
     * timeout 120 s, was 60), every one checked; a race never met still fails.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E18_aSendEndedBetweenOrInsideItsRedirectHopsEndsOnceAndLeavesNothingInUse() throws Exception {
        String filler = "x".repeat(3000);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     String kind = path.substring(1, 2);
                     int hop = path.charAt(2) - '0';
                     String rest = path.substring(3);
                     if (hop == 0) {
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
                         continue;
                     }
                     String location = "/" + kind + (hop - 1) + rest;
                     switch (kind) {
                         case "s" -> c.write("HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 5\r\n\r\nmoved");
                         case "c" -> c.write("HTTP/1.1 302 Found\r\nLocation: " + location
                                 + "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nmov\r\n2\r\ned\r\n0\r\n\r\n");
                         case "l" -> c.write("HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: "
                                 + filler.length() + "\r\n\r\n" + filler);
                         default -> {
                             c.write("HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nConnection: close\r\n\r\nmoved");
                             return; // the body ends with the connection
                         }
                     }
                 }
             })) {
            List<String> violations = new CopyOnWriteArrayList<>();
            Random rnd = new Random(43);
            int iterations = 240;
            int[] outcomes = new int[2];
            // The sweep's range: about one send's time on this machine, measured (platform, cold starts excluded).
            int[] maxOffset = {calibrate(server.uri("/s3-calibrate").toString())};
            long extraUntil = Lifecycle.nanosFromNow(Duration.ofSeconds(60));
            for (int i = 0; Lifecycle.goOn(i, iterations, outcomes[0] > 0 && outcomes[1] > 0, extraUntil)
                    && violations.size() < 10; i++) {
                Ender ender = Ender.values()[i % 4];
                String kind = "sclu".substring((i / 4) % 4, (i / 4) % 4 + 1);
                boolean virtual = (i / 16) % 2 == 0;
                StormRaceProbeTest.Events events = new StormRaceProbeTest.Events();
                Transport t = ender == Ender.TRANSPORT_CLOSE
                        ? open(Transport.builder().listener(events))
                        : open(Transport.builder().maxIdleConnsPerHost(2).listener(events));
                List<HttpRequest> hops = Collections.synchronizedList(new ArrayList<>());
                long offset = rnd.nextInt(maxOffset[0]);
                HttpClient client = HttpClient.builder((req, ctx) -> {
                    hops.add(req);
                    return t.roundTrip(req, ctx);
                }).timeout(ender == Ender.CLIENT_TIMEOUT ? Duration.ofNanos(offset + 1) : null).build();
                CancellableContext parent = Context.withCancel(Context.background());
                CyclicBarrier line = new CyclicBarrier(2);
                java.util.concurrent.CountDownLatch enderDone = new java.util.concurrent.CountDownLatch(1);
                String uri = "/" + kind + "3-" + i;
                AtomicInteger interruptedAfter = new AtomicInteger(-1);
                Caller<String> caller = Caller.start(virtual, "sender-" + i, () -> {
                    Lifecycle.await(line);
                    try {
                        try (HttpResponse r = client.send(HttpRequest.get(server.uri(uri).toString()), parent)) {
                            return r.body().string();
                        }
                    } finally {
                        enderDone.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS);
                        interruptedAfter.set(Thread.interrupted() ? 1 : 0);
                    }
                });
                Thread enderThread = Thread.ofPlatform().daemon().name("ender-" + i).start(() -> {
                    Lifecycle.await(line);
                    Lifecycle.spin(offset);
                    switch (ender) {
                        case INTERRUPT -> caller.thread.interrupt();
                        case CANCEL -> parent.cancel();
                        case TRANSPORT_CLOSE -> t.close();
                        case CLIENT_TIMEOUT -> { } // the client's own timer
                    }
                    enderDone.countDown();
                });
                String what = i + " " + ender + " " + kind + (virtual ? " virtual" : " platform") + " at " + offset + " ns";
                if (!caller.join(Lifecycle.BOUND)) {
                    violations.add(what + ": the send hung");
                    caller.abandon(parent::cancel);
                    break;
                }
                enderThread.join(Lifecycle.BOUND);
                Throwable e = caller.error();
                if (e == null) {
                    outcomes[0]++;
                    if (!"ok".equals(caller.value())) {
                        violations.add(what + ": body '" + caller.value() + "'");
                    }
                } else {
                    outcomes[1]++;
                    boolean right = switch (ender) {
                        case INTERRUPT -> e instanceof InterruptedException
                                || e instanceof RequestCancelledException rc && rc.reason() == RequestCancelledException.Reason.INTERRUPT;
                        case CANCEL -> e instanceof RequestCancelledException rc && rc.reason() == RequestCancelledException.Reason.CONTEXT;
                        case TRANSPORT_CLOSE -> e instanceof RequestCancelledException rc
                                && rc.reason() == RequestCancelledException.Reason.TRANSPORT_CLOSED;
                        case CLIENT_TIMEOUT -> e instanceof HttpTimeoutException te && te.kind() == HttpTimeoutException.Kind.REQUEST
                                && String.valueOf(te.getMessage()).contains("timed out");
                    };
                    if (!right) {
                        violations.add(what + ": failed with " + e);
                    }
                    Lifecycle.assertExportedType(e);
                }
                if (ender == Ender.INTERRUPT) {
                    boolean thrown = e instanceof InterruptedException;
                    if (thrown == (interruptedAfter.get() == 1)) {
                        violations.add(what + ": outcome " + (e == null ? "ok" : e) + " with the interrupt status "
                                + (interruptedAfter.get() == 1 ? "still set (doubled)" : "cleared (lost)"));
                    }
                }
                if (!Lifecycle.within(() -> t.stats().inUse() == 0, Lifecycle.BOUND)) {
                    violations.add(what + ": a connection left in use: " + t.stats());
                }
                TransportStats s = t.stats();
                if (s.open() != s.idle()) {
                    violations.add(what + ": counters inconsistent with nothing in use: " + s);
                }
                for (HttpRequest hop : List.copyOf(hops)) {
                    if (!Lifecycle.within(() -> events.doneCount(hop) >= 1, Lifecycle.BOUND) || events.doneCount(hop) != 1) {
                        violations.add(what + ": done() reported " + events.doneCount(hop) + " times for " + hop.uri());
                    }
                }
                parent.cancel();
                t.close();
                if (s.open() != 0 && t.stats().open() != 0) {
                    violations.add(what + ": close() left " + t.stats());
                }
            }
            assertThat(violations).as("ok %d, failed %d (range %d ns)", outcomes[0], outcomes[1], maxOffset[0]).isEmpty();
            assertThat(outcomes[0]).as("some sends succeeded (the sweep reached past the end; range %d ns)", maxOffset[0]).isPositive();
            assertThat(outcomes[1]).as("some sends were ended").isPositive();
        }
    }

    /**
     * E44: the context a send runs its hops under lives no longer than Go's: with an overall timeout it ends at the
     * final body's EOF (as Go's {@code cancelTimerBody} stops its timer there), not only at its close; without a
     * timeout the send makes no context of its own, its hops run under the caller's. Before, each send made a child
     * of the caller's context that only the body's close ended: a body read to its end but not closed kept its
     * timer until the timeout, and one never closed at all (reclaimed by the transport's watch, E4) left that child
     * registered with a long-lived parent for good, one per send.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void E44_theSendsContextEndsAtItsBodysEndAndWithoutATimeoutIsTheCallers() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.contains(" /start")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 5\r\n\r\nmoved");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
                     }
                 }
             })) {
            Transport t = open(Transport.builder());
            CancellableContext parent = Context.withCancel(Context.background());
            List<String> violations = new ArrayList<>();
            for (Duration timeout : new Duration[] {null, Duration.ofMinutes(1)}) {
                List<Context> seen = new CopyOnWriteArrayList<>();
                HttpClient client = HttpClient.builder((req, ctx) -> {
                    seen.add(ctx);
                    return t.roundTrip(req, ctx);
                }).timeout(timeout).build();
                HttpResponse r = client.send(HttpRequest.get(server.uri("/start").toString()), parent);
                InputStream in = r.body().stream();
                assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("ok");
                // Read to its end, not closed (yet).
                assertThat(seen).hasSize(2);
                for (Context ctx : seen.stream().distinct().toList()) {
                    if (ctx != parent && !ctx.isDone()) {
                        violations.add("timeout " + timeout + ": the send's own context outlives its body's EOF");
                    }
                    if (timeout == null && ctx != parent) {
                        violations.add("no timeout: the hops ran under a context the send made, not the caller's");
                    }
                }
                assertThat(parent.isDone()).isFalse();
                in.close();
                assertThat(seen.get(1).isDone() || seen.get(1) == parent).as("ended at the close").isTrue();
            }
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
            assertThat(violations).isEmpty();
            parent.cancel();
        }
    }

    /**
     * E44, R45: a final body skipped to its end ends the send's context as a read of its EOF does; the body's skip is
     * this client's read, not the transport body's own skip, which knew nothing of the context. Before, a body
     * skipped to its end and left open kept the timer until the timeout.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void E44_aBodySkippedToItsEndEndsTheSendsContext() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(5000));
                 }
             })) {
            Transport t = open(Transport.builder());
            List<Context> seen = new CopyOnWriteArrayList<>();
            HttpClient client = HttpClient.builder((req, ctx) -> {
                seen.add(ctx);
                return t.roundTrip(req, ctx);
            }).timeout(Duration.ofMinutes(1)).build();
            HttpResponse r = client.send(HttpRequest.get(server.uri("/").toString()));
            InputStream in = r.body().stream();
            assertThat(in.skip(0)).isZero();
            assertThat(in.skip(-5)).isZero();
            assertThat(in.read()).isEqualTo('x');
            assertThat(in.skip(Long.MAX_VALUE)).isEqualTo(4999);
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0).isDone()).as("the send's context ended at the skipped EOF, not closed yet").isTrue();
            Lifecycle.await(() -> t.stats().idle() == 1, Lifecycle.BOUND, "the connection pooled at the end");
            in.close();
        }
    }

    /**
     * E45, P31: a redirect whose body is gzip-encoded declares its length as any other (a {@code Content-Length}
     * over 2 KiB): it is closed unread and the send follows it at once, although the transport, decoding it (P25),
     * removed that field from the headers the client sees. Before, the client took the body for one of unknown
     * length and read it, so a redirect that declared a large gzip body and stalled held the send until its
     * timeout, or forever without one.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void E45_aRedirectDeclaringALargeGzipBodyIsClosedUnreadNotDrained() throws Exception {
        byte[] gzipped = gzip(text(100_000));
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequest();
                 if (head != null && head.startsWith("GET /start")) {
                     c.write(("HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Encoding: gzip\r\nContent-Length: 100000\r\n\r\n")
                             .getBytes(StandardCharsets.ISO_8859_1));
                     c.write(java.util.Arrays.copyOf(gzipped, 10)); // the gzip header; the rest never comes
                     released.await(20, TimeUnit.SECONDS);
                 } else if (head != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     c.readRequest();
                 }
             })) {
            Transport t = open(Transport.builder());
            HttpClient client = HttpClient.builder(t).build(); // no timeout: only the rule bounds the send
            CancellableContext parent = Context.withCancel(Context.background());
            Caller<String> caller = Caller.virtual("sender", () -> {
                try (HttpResponse r = client.send(HttpRequest.get(server.uri("/start").toString()), parent)) {
                    return r.status() + " " + r.body().string();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            parent.cancel();
            released.countDown();
            if (!ended) {
                caller.abandon(() -> {});
            }
            assertThat(ended).as("the send followed the redirect without reading its body").isTrue();
            assertThat(caller.error()).isNull();
            assertThat(caller.value()).isEqualTo("200 ok");
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
        }
    }

    /**
     * E4, E14, E44, R12 under load: callers on virtual and platform threads share one client and one cookie jar,
     * each send following a chain of redirects that set cookies, to a final body that is gzip-encoded or chunked,
     * which the caller reads whole and closes, closes after a few bytes, or reads to its end and never closes.
     * Every send gets its own body; the jar sends the cookie its chain's first redirect set to the later hops; once the callers are
     * done nothing is in use, the counters agree, and each hop reported done() once.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E4_callersSharingAClientAndItsJarAcrossRedirectsLeaveNothingInUse() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     String[] parts = path.substring(1).split("-"); // hop-caller-i-kind
                     int hop = Integer.parseInt(parts[0]);
                     String who = parts[1];
                     String cookie = head.lines().filter(l -> l.regionMatches(true, 0, "Cookie:", 0, 7)).findFirst().orElse("");
                     java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\bk" + who + "=(\\d+)").matcher(cookie);
                     String echo = m.find() ? m.group(1) : "none"; // this caller's cookie as the jar sent it
                     if (hop > 0) {
                         c.write("HTTP/1.1 302 Found\r\nSet-Cookie: k" + who + "=" + parts[2] + "\r\nLocation: /" + (hop - 1)
                                 + "-" + who + "-" + parts[2] + "-" + parts[3] + "\r\nContent-Length: 5\r\n\r\nmoved");
                     } else if (parts[3].equals("g")) {
                         byte[] gz = gzip((who + ":" + parts[2] + ":" + echo + ":" + "z".repeat(3000)).getBytes(StandardCharsets.ISO_8859_1));
                         c.write(("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n")
                                 .getBytes(StandardCharsets.ISO_8859_1));
                         c.write(gz);
                     } else {
                         String b = who + ":" + parts[2] + ":" + echo + ":" + "z".repeat(3000);
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(b.length())
                                 + "\r\n" + b + "\r\n0\r\n\r\n");
                     }
                 }
             })) {
            StormRaceProbeTest.Events events = new StormRaceProbeTest.Events();
            Transport t = open(Transport.builder().maxIdleConnsPerHost(4).listener(events));
            List<HttpRequest> hops = new CopyOnWriteArrayList<>();
            HttpClient client = HttpClient.builder((req, ctx) -> {
                hops.add(req);
                return t.roundTrip(req, ctx);
            }).cookieJar(CookieJar.inMemory()).timeout(Duration.ofSeconds(20)).build();
            List<String> violations = new CopyOnWriteArrayList<>();
            List<Caller<Integer>> callers = new ArrayList<>();
            for (int k = 0; k < 6; k++) {
                int kk = k;
                callers.add(Caller.start(k % 2 == 0, "client-caller-" + k, () -> {
                    Random rnd = new Random(kk);
                    for (int i = 0; i < 40; i++) {
                        String kind = rnd.nextBoolean() ? "g" : "c";
                        int how = rnd.nextInt(3);
                        String uri = "/" + (1 + rnd.nextInt(3)) + "-" + kk + "-" + i + "-" + kind;
                        HttpResponse r = client.send(HttpRequest.get(server.uri(uri).toString()));
                        InputStream in = r.body().stream();
                        String expected = kk + ":" + i + ":" + i + ":"; // the cookie this send's first redirect set
                        if (how == 1) {
                            byte[] first = in.readNBytes(3);
                            r.close();
                            if (!expected.startsWith(new String(first, StandardCharsets.ISO_8859_1))) {
                                violations.add(uri + ": began '" + new String(first, StandardCharsets.ISO_8859_1) + "'");
                            }
                            continue;
                        }
                        String b = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                        if (!b.startsWith(expected) || b.length() != expected.length() + 3000) {
                            violations.add(uri + ": body '" + b.substring(0, Math.min(40, b.length())) + "', wanted '" + expected + "'");
                        }
                        if (how == 0) {
                            r.close();
                        } // how == 2: read to its end, never closed
                    }
                    return 40;
                }));
            }
            for (Caller<Integer> c : callers) {
                assertThat(c.join(Duration.ofSeconds(40))).as("caller ended").isTrue();
                assertThat(c.error()).as("caller failed").isNull();
            }
            assertThat(violations).isEmpty();
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use: " + t.stats());
            TransportStats s = t.stats();
            assertThat(s.open()).as("%s", s).isEqualTo(s.idle());
            for (HttpRequest hop : hops) {
                Lifecycle.await(() -> events.doneCount(hop) >= 1, Lifecycle.BOUND, "done() of " + hop.uri());
                assertThat(events.doneCount(hop)).as("done() of %s", hop.uri()).isEqualTo(1);
            }
        }
    }

    /** Twice the longest of a few undisturbed sends of {@code uri} (a redirect chain), in nanoseconds. */
    private int calibrate(String uri) throws Exception {
        long longest = 0;
        try (Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            for (int i = 0; i < 8; i++) {
                long start = System.nanoTime();
                try (HttpResponse r = client.send(HttpRequest.get(uri))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                if (i >= 3) {
                    longest = Math.max(longest, System.nanoTime() - start);
                }
            }
        }
        return (int) Math.min(2 * longest, 50_000_000L);
    }

    /**
     * E37, E18 at the client layer: a 307 keeps a replayable POST body, so the next hop opens it again; when that
     * second open throws, the send fails with that very exception (E5, E6), nothing is in use, the first hop's
     * connection is reusable, and each hop reported done() once.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void E37_aReplayedBodyWhoseSecondOpenFailsFailsTheSendWithThatFailure() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.contains(" /start")) {
                         c.write("HTTP/1.1 307 Temporary Redirect\r\nLocation: /next\r\nContent-Length: 5\r\n\r\nmoved");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             })) {
            StormRaceProbeTest.Events events = new StormRaceProbeTest.Events();
            Transport t = open(Transport.builder().listener(events));
            HttpClient client = HttpClient.builder(t).build();
            for (boolean unchecked : new boolean[] {false, true}) {
                AtomicInteger opens = new AtomicInteger();
                IOException io = new IOException("second open failed");
                IllegalStateException ise = new IllegalStateException("second open failed");
                RequestBody body = RequestBody.ofStream(() -> {
                    if (opens.incrementAndGet() == 2) {
                        if (unchecked) {
                            throw ise;
                        }
                        throw new java.io.UncheckedIOException(io);
                    }
                    return new java.io.ByteArrayInputStream("hello".getBytes(StandardCharsets.ISO_8859_1));
                }, 5, "text/plain");
                HttpRequest req = HttpRequest.newBuilder(server.uri("/start")).method("POST", body).build();
                Throwable thrown = null;
                try (HttpResponse r = client.send(req)) {
                    r.body().string();
                } catch (Throwable e) {
                    thrown = e;
                }
                assertThat(opens.get()).isEqualTo(2);
                assertThat(thrown).as("the supplier's own failure").isNotNull();
                assertThat(thrown == ise || thrown == io || thrown.getCause() == io || thrown.getCause() == ise)
                        .as("failed with %s", thrown).isTrue();
                Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
                assertThat(t.stats().open()).isEqualTo(t.stats().idle());
                for (HttpRequest r : List.copyOf(events.done.keySet())) {
                    assertThat(events.doneCount(r)).as("done() of %s", r.uri()).isEqualTo(1);
                }
            }
        }
    }
}
