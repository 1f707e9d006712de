package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * Race probes for the end state of a request (the neighbours of E40): when a caller is told that something
 * ended (a response without a body returned, a body's EOF read or close returned, {@code Transport.close()} or
 * {@code closeIdleConnections()} returned, {@code RequestListener.done()} reported, a redirect's hop drained),
 * the connection's fate must already be carried out, even when another thread (the read loop seeing the server
 * close right after its answer, the transport's close, the idle reaper) is deciding or carrying out a close at
 * that very moment. Each probe sweeps spin offsets, on the server and on the caller, across that moment, with
 * callers on virtual and platform threads, collects every violation with what happened, and fails listing them.
 * Time is only the knob that hits the window; every assertion holds for every interleaving. A failure means the
 * caller (or the next request) saw a stale state: a connection counted open and in use by nobody, a slot not yet
 * free, a request counted waiting behind a connection that was already closing, a done() reported before the
 * connection was pooled or closed, or not exactly once.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class EndStateRaceProbeTest {

    /** Closed after each test even when an assertion failed first. */
    @RegisterExtension
    final OpenedTransports transports = new OpenedTransports();

    private Transport open(Transport.Builder b) {
        return transports.open(b);
    }

    private static final byte[] GZIPPED_OK = gzip("ok");

    private static byte[] gzip(String s) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (GZIPOutputStream z = new GZIPOutputStream(b)) {
                z.write(s.getBytes(StandardCharsets.ISO_8859_1));
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A server whose answer depends on the request's path {@code /<kind>/<spin>[/keep]}: it answers, spins
     * {@code spin} nanoseconds (the knob that moves its close across the client's end of the exchange) and
     * closes the connection, unless the path ends in {@code /keep}.
     */
    private static RawServer server() throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP/"));
                String[] parts = path.split("/");
                String kind = parts[1];
                long spin = Long.parseLong(parts[2]);
                boolean keep = parts.length > 3 && parts[3].equals("keep");
                switch (kind) {
                    case "head", "small" -> c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + (kind.equals("head") ? "" : "ok"));
                    case "nocontent" -> c.write("HTTP/1.1 204 No Content\r\n\r\n");
                    case "notmodified" -> c.write("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
                    case "empty" -> c.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                    case "gzip" -> {
                        c.write(("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + GZIPPED_OK.length + "\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                        c.write(GZIPPED_OK);
                    }
                    case "chunked" -> c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
                    case "redirect" -> c.write("HTTP/1.1 302 Found\r\nLocation: /small/" + spin + "\r\nContent-Length: 2\r\n\r\nno");
                    default -> throw new IllegalStateException(path);
                }
                if (!keep) {
                    Lifecycle.spin(spin);
                    return;
                }
            }
        });
    }

    /**
     * Counts each request's done() and checks, as it is reported, that its connection's fate is carried out: with
     * one request at a time, nothing is in use and an open connection is an idle one (E22).
     */
    static final class DoneCheck implements RequestListener {
        final AtomicReference<Transport> transport = new AtomicReference<>();
        final Map<HttpRequest, AtomicInteger> done = new ConcurrentHashMap<>();
        final List<String> violations = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void done(HttpRequest request, Throwable error) {
            done.computeIfAbsent(request, k -> new AtomicInteger()).incrementAndGet();
            Transport t = transport.get();
            if (t != null) {
                TransportStats s = t.stats();
                if (s.inUse() != 0 || s.open() != s.idle()) {
                    violations.add(request.uri().getPath() + ": done(" + error + ") reported with " + s);
                }
            }
        }

        int doneCount(HttpRequest r) {
            AtomicInteger n = done.get(r);
            return n == null ? 0 : n.get();
        }
    }

    /** True if nothing is in use, dialed or waited for, and an open connection is an idle one. */
    private static boolean settled(TransportStats s) {
        return s.inUse() == 0 && s.open() == s.idle() && s.dialing() == 0 && s.waiting() == 0;
    }

    /**
     * E22, E40, P15: a server answers and closes at once (after a swept spin), so the read loop closes the
     * connection around the moment the caller learns the request ended: for responses without a body (HEAD,
     * 204, 304, Content-Length: 0), when roundTrip returns; for a small body held in memory, a gzip one and a
     * chunked one (both streamed), when the EOF read returns or the close once every byte is read. At that moment
     * nothing may be in use and an open connection must be an idle one, and the request's one done() must have
     * been reported, with the same state then. A failure means the caller was told the request ended while its
     * connection's fate was still being carried out on the read loop.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E40_theEndOfAnyResponseFromAServerThatClosesFindsItsConnectionPooledOrClosed() throws Exception {
        String[] kinds = {"head", "nocontent", "notmodified", "empty", "small", "gzip", "chunked"};
        try (RawServer server = server()) {
            DoneCheck check = new DoneCheck();
            Transport t = open(Transport.builder().listener(check));
            check.transport.set(t);
            List<String> seen = new ArrayList<>();
            int rounds = 7 * 48;
            for (int i = 0; i < rounds && seen.size() < 10; i++) {
                String kind = kinds[i % kinds.length];
                boolean virtual = (i / kinds.length) % 2 == 0;
                boolean eofRead = (i / kinds.length) % 4 < 2;
                long serverSpin = (i * 7919L) % 150_000;
                long callerSpin = (i * 104_729L) % 150_000;
                HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/" + kind + "/" + serverSpin));
                HttpRequest req = (kind.equals("head") ? b.HEAD() : b).build();
                String what = i + " " + kind + " (" + (virtual ? "virtual" : "platform") + ", " + (eofRead ? "EOF read" : "close at end") + ")";
                Caller<TransportStats> caller = Caller.start(virtual, "caller-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(req)) {
                        if (kind.equals("small") || kind.equals("gzip") || kind.equals("chunked")) {
                            Lifecycle.spin(callerSpin);
                            if (eofRead) {
                                assertThat(r.body().string()).isEqualTo("ok");
                            } else {
                                assertThat(r.body().stream().readNBytes(2)).asString(StandardCharsets.ISO_8859_1).isEqualTo("ok");
                            }
                        } else {
                            return t.stats(); // roundTrip returned: the request is over
                        }
                    }
                    return t.stats();
                });
                assertThat(caller.join(Lifecycle.BOUND)).as("caller ended").isTrue();
                if (caller.error() != null) {
                    seen.add(what + ": the request failed: " + caller.error());
                    continue;
                }
                if (!settled(caller.value())) {
                    seen.add(what + ": the request ended with " + caller.value());
                }
                if (check.doneCount(req) != 1) {
                    seen.add(what + ": done() reported " + check.doneCount(req) + " times when the request ended");
                }
                Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "connection closed");
            }
            seen.addAll(check.violations);
            assertThat(seen).isEmpty();
        }
    }

    /** Who races a small body (held in memory) closed before its end. */
    enum Racer { READ_LOOP, TRANSPORT_CLOSE, CLOSE_IDLE }

    /**
     * E22, E23, E26, E34: a small body held in memory is closed before its end (the abort path, which closes the
     * connection on the caller's thread) while another party closes that connection: the read loop (the server
     * closes right after its answer), {@code Transport.close()}, or {@code closeIdleConnections()} on another
     * thread, lined up by a barrier and swept. When the body's close returns its connection is closed (nothing
     * open, nothing in use); when {@code Transport.close()} returns, nothing is open either; the request reports
     * done() exactly once, with nothing in use by then. A failure means a close that returned, or a done(), while
     * the connection's close was still under way on another thread.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E26_aSmallBodyClosedEarlyRacingAnotherCloseEndsWithItsConnectionClosed() throws Exception {
        try (RawServer server = server()) {
            List<String> seen = new ArrayList<>();
            int rounds = 240;
            for (int i = 0; i < rounds && seen.size() < 10; i++) {
                Racer racer = Racer.values()[i % 3];
                boolean virtual = (i / 3) % 2 == 0;
                long offset = (i * 7919L) % 120_000;
                long ownSpin = (i * 104_729L) % 120_000;
                DoneCheck check = new DoneCheck();
                Transport t = open(Transport.builder().listener(check));
                check.transport.set(t);
                String path = "/small/" + (racer == Racer.READ_LOOP ? offset : 0) + (racer == Racer.READ_LOOP ? "" : "/keep");
                HttpRequest req = HttpRequest.newBuilder(server.uri(path)).build();
                HttpResponse r = t.roundTrip(req);
                CyclicBarrier line = new CyclicBarrier(racer == Racer.READ_LOOP ? 1 : 2);
                String what = i + " " + racer + " (" + (virtual ? "virtual" : "platform") + ")";
                Caller<TransportStats> closer = Caller.start(virtual, "closer-" + i, () -> {
                    InputStream in = r.body().stream();
                    assertThat(in.read()).isEqualTo('o');
                    Lifecycle.await(line);
                    Lifecycle.spin(racer == Racer.READ_LOOP ? ownSpin : offset);
                    r.close();
                    return t.stats();
                });
                Caller<TransportStats> other = racer == Racer.READ_LOOP ? null : Caller.start(!virtual, "racer-" + i, () -> {
                    Lifecycle.await(line);
                    if (racer == Racer.TRANSPORT_CLOSE) {
                        t.close();
                    } else {
                        t.closeIdleConnections();
                    }
                    return t.stats();
                });
                assertThat(closer.join(Lifecycle.BOUND)).as("closer ended").isTrue();
                assertThat(other == null || other.join(Lifecycle.BOUND)).as("racer ended").isTrue();
                if (closer.error() != null) {
                    seen.add(what + ": the body's close failed: " + closer.error());
                } else if (closer.value().open() != 0 || closer.value().inUse() != 0) {
                    seen.add(what + ": the body's close returned with " + closer.value());
                }
                if (other != null && other.error() != null) {
                    seen.add(what + ": the racer failed: " + other.error());
                } else if (racer == Racer.TRANSPORT_CLOSE && other.value().open() != 0) {
                    seen.add(what + ": Transport.close() returned with " + other.value());
                }
                if (check.doneCount(req) != 1) {
                    seen.add(what + ": done() reported " + check.doneCount(req) + " times");
                }
                seen.addAll(check.violations);
                t.close();
            }
            assertThat(seen).isEmpty();
        }
    }

    /**
     * E40 with the idle reaper: a small body held in memory, from a server that keeps the connection, is read to
     * its end while the reaper (a one-millisecond idle timeout) closes idle connections. When the EOF read
     * returns nothing is in use and an open connection is idle; done() is reported once, in the same state.
     * A failure means the body's end returned, or done() was reported, while its connection's fate (pooled,
     * then reaped) was half carried out.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E40_aSmallBodysEndRacingTheIdleReaperFindsItsConnectionPooledOrClosed() throws Exception {
        try (RawServer server = server()) {
            DoneCheck check = new DoneCheck();
            Transport t = open(Transport.builder().listener(check).idleConnTimeout(Duration.ofMillis(1)));
            check.transport.set(t);
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 240 && seen.size() < 10; i++) {
                boolean virtual = i % 2 == 0;
                long offset = (i * 7919L) % 1_500_000;
                HttpRequest req = HttpRequest.newBuilder(server.uri("/small/0/keep")).build();
                Caller<TransportStats> caller = Caller.start(virtual, "reader-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(req)) {
                        Lifecycle.spin(offset);
                        assertThat(r.body().string()).isEqualTo("ok");
                    }
                    return t.stats();
                });
                assertThat(caller.join(Lifecycle.BOUND)).as("caller ended").isTrue();
                String what = i + " (" + (virtual ? "virtual" : "platform") + ")";
                if (caller.error() != null) {
                    seen.add(what + ": the request failed: " + caller.error());
                } else if (!settled(caller.value())) {
                    seen.add(what + ": the body ended with " + caller.value());
                }
                if (check.doneCount(req) != 1) {
                    seen.add(what + ": done() reported " + check.doneCount(req) + " times");
                }
            }
            seen.addAll(check.violations);
            assertThat(seen).isEmpty();
        }
    }

    /**
     * E41 with {@code maxConnsPerHost(1)}: one caller sends request after request, each read to its end, while the
     * host's one connection is being closed behind it: by its read loop (the server closes each connection right
     * after its answer, swept; a small body in memory, a chunked one, none) or by the idle reaper (a keep-alive
     * server, a one-millisecond idle timeout, the caller's pause between requests swept). The next request must
     * take the host's one slot as soon as that close is done, never queue behind it: a watcher samples the
     * counters meanwhile, and none may ever show a request waiting. A failure means a request was queued for the
     * slot of a connection that was already closing.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E41_theNextRequestTakesTheSlotOfAConnectionClosingBehindItWithoutWaiting() throws Exception {
        String[] kinds = {"small", "chunked", "empty"};
        try (RawServer server = server()) {
            DoneCheck check = new DoneCheck();
            Transport closedByServer = open(Transport.builder().listener(check).maxConnsPerHost(1));
            Transport reaped = open(Transport.builder().maxConnsPerHost(1).idleConnTimeout(Duration.ofMillis(1)));
            check.transport.set(closedByServer);
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            Thread watcher = Thread.ofPlatform().daemon().name("stats-watcher").start(() -> {
                while (!stop.get()) {
                    for (Transport t : List.of(closedByServer, reaped)) {
                        TransportStats s = t.stats();
                        if (s.waiting() != 0 && seen.size() < 10) {
                            seen.add((t == reaped ? "reaped: " : "closed by the server: ") + "a request counted waiting: " + s);
                        }
                    }
                    Thread.onSpinWait();
                }
            });
            try {
                // Each caller sends its requests back to back: the next one comes as soon as the previous body's
                // end returns (after a swept pause, for the reaper), while that connection may be closing.
                for (int c = 0; c < 160 && seen.size() < 10; c++) {
                    boolean virtual = c % 2 == 0;
                    boolean byServer = (c / 2) % 2 == 0;
                    Transport t = byServer ? closedByServer : reaped;
                    int first = c * 4;
                    Caller<List<String>> caller = Caller.start(virtual, "caller-" + c, () -> {
                        List<String> mine = new ArrayList<>();
                        for (int i = first; i < first + 4; i++) {
                            String kind = byServer ? kinds[i % kinds.length] : "small";
                            String path = byServer ? "/" + kind + "/" + (i * 7919L) % 60_000 : "/small/0/keep";
                            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri(path)).build())) {
                                assertThat(r.body().string()).isEqualTo(kind.equals("empty") ? "" : "ok");
                            }
                            TransportStats s = t.stats();
                            if (!settled(s)) {
                                mine.add(i + " " + path + ": the request ended with " + s);
                            }
                            if (!byServer) {
                                Lifecycle.spin(900_000 + (i * 7919L) % 300_000); // about the idle timeout: the reaper's close, swept
                            }
                        }
                        return mine;
                    });
                    assertThat(caller.join(Lifecycle.BOUND)).as("caller ended").isTrue();
                    if (caller.error() != null) {
                        seen.add(c + " (" + (virtual ? "virtual" : "platform") + "): a request failed: " + caller.error());
                    } else {
                        seen.addAll(caller.value());
                    }
                }
            } finally {
                stop.set(true);
                watcher.join();
            }
            seen.addAll(check.violations);
            assertThat(seen).isEmpty();
        }
    }

    /**
     * E22, E40 through {@link HttpClient}: a redirect with a small body (drained to keep its connection), from a
     * server that closes right after each answer, then the final answer, also closing. Each hop reports done()
     * exactly once, with nothing in use then; when the final body's end returns nothing is in use. A failure
     * means a hop's drain returned (and the next hop started) while the previous connection was still counted
     * in use, or a hop's done() came too early or not exactly once.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E22_eachRedirectHopEndsWithItsConnectionPooledOrClosed() throws Exception {
        try (RawServer server = server()) {
            DoneCheck check = new DoneCheck();
            Transport t = open(Transport.builder().listener(check));
            check.transport.set(t);
            HttpClient client = HttpClient.builder(t).build();
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 200 && seen.size() < 10; i++) {
                boolean virtual = i % 2 == 0;
                long serverSpin = (i * 7919L) % 150_000;
                Caller<TransportStats> caller = Caller.start(virtual, "client-" + i, () -> {
                    try (HttpResponse r = client.send(HttpRequest.newBuilder(server.uri("/redirect/" + serverSpin)).build())) {
                        assertThat(r.body().string()).isEqualTo("ok");
                    }
                    return t.stats();
                });
                assertThat(caller.join(Lifecycle.BOUND)).as("caller ended").isTrue();
                String what = i + " (" + (virtual ? "virtual" : "platform") + ")";
                if (caller.error() != null) {
                    seen.add(what + ": the send failed: " + caller.error());
                } else if (!settled(caller.value())) {
                    seen.add(what + ": the send's body ended with " + caller.value());
                }
            }
            check.done.forEach((req, n) -> {
                if (n.get() != 1) {
                    seen.add(req.uri() + ": done() reported " + n.get() + " times");
                }
            });
            assertThat(check.done).as("a done() per hop").hasSize(400);
            seen.addAll(check.violations);
            assertThat(seen).isEmpty();
        }
    }
}
