package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.Goroutines;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault-injection storm (T1, T11, T12 under hostile peers; docs/fuzzing-and-faults.md): 10,000
 * requests from 64 virtual-thread callers through two transports capped at 8 connections per host,
 * against a raw-socket loopback server that, for each request and by a seeded random draw, answers
 * correctly (Content-Length or chunked), answers and then closes (with or without
 * {@code Connection: close}), resets (SO_LINGER 0), stalls before the head or mid-body, or truncates
 * the head or the body.
 *
 * <p>Asserted: every request ends (bounded by a generous overall timeout) with either a response
 * whose body was read to its end and is exactly what the server sent, or an {@link IOException}
 * with a message; a successful response was served by a correct answer, never by a truncated or
 * reset one; the pool counters return to idle; after the transports close, the server sees every
 * accepted socket closed by the client (no socket leaked); no transport goroutine survives.
 *
 * <p>The fault mix is seeded; the seed is printed in every failure message and can be fixed with
 * {@code -Dstorm.seed=N}. Thread interleavings are not reproducible, the fault mix per request is.
 */
@NoGoroutineLeaks(captureStartSites = false, graceMillis = 20_000)
class FaultStormTest {
    static final int REQUESTS = 10_000;
    static final int CALLERS = 64;
    static final int MAX_CONNS_PER_HOST = 8;
    /** Fires for a server that stalls before the head. */
    static final Duration HEADER_TIMEOUT = Duration.ofMillis(250);
    /** The caller's deadline for one exchange, body included (fires for a stall mid-body). */
    static final Duration EXCHANGE_TIMEOUT = Duration.ofMillis(500);
    /** Not a schedule: only how long we wait before calling a caller hung. */
    static final Duration HANG_LIMIT = Duration.ofSeconds(120);

    /** What the server does with one request. */
    enum Fault {
        OK_LENGTH(41, true),
        OK_CHUNKED(24, true),
        OK_THEN_CLOSE(8, true),
        OK_CONNECTION_CLOSE(5, true),
        RESET_BEFORE_HEAD(5, false),
        TRUNCATE_HEAD(5, false),
        TRUNCATE_BODY(5, false),
        RESET_MID_BODY(5, false),
        STALL_HEAD(1, false),
        STALL_BODY(1, false);

        final int weight;
        final boolean answers;

        Fault(int weight, boolean answers) {
            this.weight = weight;
            this.answers = answers;
        }
    }

    /** Closed after each test even when an assertion failed first, so a failure never leaks into the next test. */
    @RegisterExtension
    final OpenedTransports opened = new OpenedTransports();

    @Test
    void T12_tenThousandRequestsAgainstAFaultInjectingServerAllEndAndLeakNothing() throws Exception {
        long seed = Long.getLong("storm.seed", System.nanoTime());
        String tag = "storm.seed=" + seed;
        FaultServer faults = new FaultServer(seed);
        try (RawServer server = RawServer.start(faults::serve)) {
            Transport[] transports = {
                // a pool as large as the cap, and one that must close connections it cannot keep idle
                opened.open(Transport.builder().maxConnsPerHost(MAX_CONNS_PER_HOST).maxIdleConnsPerHost(MAX_CONNS_PER_HOST)
                        .responseHeaderTimeout(HEADER_TIMEOUT)),
                opened.open(Transport.builder().maxConnsPerHost(MAX_CONNS_PER_HOST).maxIdleConnsPerHost(2)
                        .responseHeaderTimeout(HEADER_TIMEOUT)),
            };
            AtomicInteger next = new AtomicInteger();
            AtomicInteger ended = new AtomicInteger();
            AtomicInteger succeeded = new AtomicInteger();
            Map<String, AtomicInteger> failureKinds = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            Map<Integer, IOException> failures = new ConcurrentHashMap<>();
            Map<String, Integer> sampleMessages = new ConcurrentHashMap<>();
            List<Thread> callers = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                Transport t = transports[c % transports.length];
                callers.add(Thread.ofVirtual().name("storm-caller-" + c).start(() -> {
                    for (int id; (id = next.getAndIncrement()) < REQUESTS; ) {
                        try {
                            exchange(t, server, id, faults);
                            succeeded.incrementAndGet();
                        } catch (IOException e) {
                            failures.put(id, e);
                            if (e.getMessage() == null || e.getMessage().isBlank()) {
                                violations.add("request " + id + ": exception without a message: " + e);
                            }
                            failureKinds.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger())
                                    .incrementAndGet();
                            sampleMessages.putIfAbsent(e.getClass().getSimpleName() + ": "
                                    + String.valueOf(e.getMessage()).replaceAll("[0-9]+", "N"), id);
                        } catch (Throwable e) {
                            violations.add("request " + id + ": " + describe(e));
                        } finally {
                            ended.incrementAndGet();
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + HANG_LIMIT.toNanos();
            for (Thread c : callers) {
                Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                assertThat(c.join(left)).as("%s: caller %s hung after %d of %d requests ended\n%s", tag, c.getName(),
                        ended.get(), REQUESTS, Goroutines.dump()).isTrue();
            }
            String summary = tag + ": " + succeeded + " responses, failures " + failureKinds + ", served "
                    + faults.served + ", " + server.accepted() + " connections; messages (with a request id):\n  "
                    + String.join("\n  ", sampleMessages.entrySet().stream().map(e -> e.getKey() + " [" + e.getValue()
                            + " " + faults.faultsById.get(e.getValue()) + "]").sorted().toList());
            System.getLogger(FaultStormTest.class.getName()).log(System.Logger.Level.INFO, summary);
            assertThat(ended.get()).as(summary).isEqualTo(REQUESTS);
            assertThat(violations).as(summary).isEmpty();
            assertThat(faults.correctAnswersThatFailed(failures)).as(summary).isEmpty();
            assertThat(faults.answeredWithoutFault(succeeded.get())).as(summary).isNull();
            // Most answers were correct: a transport that fails them too is broken, not unlucky.
            assertThat(succeeded.get()).as(summary).isGreaterThan(REQUESTS / 2);

            for (Transport t : transports) {
                Leaks.awaitTrue(() -> {
                    TransportStats s = t.stats();
                    return s.inUse() == 0 && s.dialing() == 0 && s.waiting() == 0 && s.open() == s.idle();
                }, "pool back to idle: " + t.stats() + " (" + tag + ")");
                TransportStats s = t.stats();
                assertThat(s.idle()).as(summary).isLessThanOrEqualTo(MAX_CONNS_PER_HOST);
                t.close();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "transport closed its connections (" + tag + ")");
            }
            // Every socket the server accepted was closed by the client (or by the server's own fault),
            // and none is left open: each handler ends only when it sees its connection end.
            Leaks.awaitTrue(() -> faults.handlersEnded.get() == server.accepted(),
                    "server saw every connection end: " + faults.handlersEnded + " of " + server.accepted()
                            + " (" + tag + ")");
            assertThat(server.failures()).as(summary).isEmpty();
        }
    }

    /**
     * Found by the storm: a deadline (or cancel) that fires while the body is being read closes the
     * connection, and the reader used to see only "Socket closed". It must say the request was cancelled.
     */
    @Test
    void T2_aRequestCancelledWhileItsBodyIsReadFailsSayingSo() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
                 while (c.in.read() >= 0) {
                     // stall until the client closes
                 }
             });
             Transport t = Transport.builder().build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/r/1").toString()), ctx)) {
                ctx.cancel(); // as a deadline would, with the body still coming
                assertThatThrownBy(() -> r.body().bytes())
                        .isInstanceOf(RequestCancelledException.class)
                        .hasMessageContaining("request cancelled while reading the response body");
            } finally {
                ctx.cancel();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }

    /** One exchange: the body must be read to its end and be exactly what the server sent for {@code id}. */
    private static void exchange(Transport t, RawServer server, int id, FaultServer faults)
            throws IOException, InterruptedException {
        HttpRequest req = id % 10 == 7
                ? HttpRequest.newBuilder(server.uri("/r/" + id)).POST(RequestBody.of("post " + id)).build()
                : HttpRequest.get(server.uri("/r/" + id).toString());
        CancellableContext ctx = Context.withTimeout(Context.background(), EXCHANGE_TIMEOUT);
        try (HttpResponse r = t.roundTrip(req, ctx)) {
            byte[] body = r.body().bytes();
            String expected = FaultServer.body(id);
            if (r.status() != 200 || !new String(body, StandardCharsets.ISO_8859_1).equals(expected)) {
                throw new AssertionError("request " + id + ": wrong response " + r.status() + " with "
                        + body.length + " bytes, expected " + expected.length());
            }
            faults.succeeded.add(id);
        } finally {
            ctx.cancel();
        }
    }

    private static String describe(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    /** The server's side: one handler per connection, faults drawn per request from a seeded random. */
    static final class FaultServer {
        private final long seed;
        final Map<Fault, AtomicLong> served = new EnumMap<>(Fault.class);
        /** Request ids answered correctly at least once (a request may be served twice when retried). */
        final Set<Integer> answered = ConcurrentHashMap.newKeySet();
        final Set<Integer> succeeded = ConcurrentHashMap.newKeySet();
        final AtomicInteger handlersEnded = new AtomicInteger();
        final Map<Integer, ConcurrentLinkedQueue<Fault>> faultsById = new ConcurrentHashMap<>();

        FaultServer(long seed) {
            this.seed = seed;
            for (Fault f : Fault.values()) {
                served.put(f, new AtomicLong());
            }
        }

        static String body(int id) {
            String unit = "<" + id + ">";
            return unit.repeat(1 + (id * 37) % 600); // up to a few KiB: several reads, several chunks
        }

        /** Null if every successful request was answered correctly by the server; else the first that was not. */
        String answeredWithoutFault(int successes) {
            if (succeeded.size() != successes) {
                return "ids counted twice: " + succeeded.size() + " ids for " + successes + " successes";
            }
            for (int id : succeeded) {
                if (!answered.contains(id)) {
                    return "request " + id + " succeeded but the server never answered it correctly";
                }
            }
            return null;
        }

        /**
         * Requests that the server only ever answered correctly but that failed with something other
         * than a timeout or cancellation (which load alone can cause): a client bug.
         */
        List<String> correctAnswersThatFailed(Map<Integer, IOException> failures) {
            List<String> out = new ArrayList<>();
            failures.forEach((id, e) -> {
                List<Fault> fs = List.copyOf(faultsById.getOrDefault(id, new ConcurrentLinkedQueue<>()));
                boolean onlyAnswered = !fs.isEmpty() && fs.stream().allMatch(f -> f.answers);
                boolean timeout = e instanceof java.io.InterruptedIOException; // includes SocketTimeoutException
                if (onlyAnswered && !timeout) {
                    out.add("request " + id + " served " + fs + " failed: " + describe(e));
                }
            });
            return out;
        }

        void serve(RawServer.Conn c) throws Exception {
            Random rnd = new Random(seed * 1_000_003L + c.index);
            try {
                for (String head; (head = c.readRequest()) != null; ) {
                    int id = Integer.parseInt(head.substring(head.indexOf("/r/") + 3, head.indexOf(' ', head.indexOf("/r/"))));
                    Fault f = Weights.draw(Fault.values(), x -> x.weight, rnd);
                    served.get(f).incrementAndGet();
                    faultsById.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>()).add(f);
                    if (!answer(c, id, f, rnd)) {
                        return;
                    }
                }
            } catch (java.net.SocketException e) {
                // the client closed or reset under us: the connection has ended
            } finally {
                handlersEnded.incrementAndGet();
            }
        }

        /** Returns false when this connection is finished (the socket is then closed by RawServer). */
        private boolean answer(RawServer.Conn c, int id, Fault f, Random rnd) throws IOException {
            byte[] body = body(id).getBytes(StandardCharsets.ISO_8859_1);
            boolean chunked = f == Fault.OK_CHUNKED || (!f.answers && rnd.nextBoolean());
            byte[] head = (chunked
                    ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n")
                    .concat(f == Fault.OK_CONNECTION_CLOSE ? "Connection: close\r\n" : "")
                    .concat("X-Request: " + id + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            byte[] message = chunked ? concat(head, chunk(body, rnd)) : concat(head, body);
            switch (f) {
                case OK_LENGTH, OK_CHUNKED -> {
                    answered.add(id);
                    writeInPieces(c.out, message, rnd);
                    return true;
                }
                case OK_THEN_CLOSE, OK_CONNECTION_CLOSE -> {
                    answered.add(id);
                    writeInPieces(c.out, message, rnd);
                    return false;
                }
                case RESET_BEFORE_HEAD -> {
                    c.reset();
                    return false;
                }
                case TRUNCATE_HEAD -> {
                    c.write(java.util.Arrays.copyOf(head, 1 + rnd.nextInt(head.length - 3))); // never the blank line
                    return false;
                }
                case TRUNCATE_BODY, RESET_MID_BODY -> {
                    c.write(java.util.Arrays.copyOf(message, head.length + rnd.nextInt(message.length - head.length)));
                    if (f == Fault.RESET_MID_BODY) {
                        c.reset();
                    }
                    return false;
                }
                case STALL_HEAD, STALL_BODY -> {
                    if (f == Fault.STALL_BODY) {
                        c.write(java.util.Arrays.copyOf(message, head.length + rnd.nextInt(message.length - head.length)));
                    }
                    // Say nothing more: the client's timeout must end the exchange and close the socket.
                    while (c.in.read() >= 0) {
                        // the client must not send anything more on this connection; drain until it closes
                    }
                    return false;
                }
            }
            throw new AssertionError(f);
        }

        /** Writes a message in one to three flushed pieces, so heads and bodies arrive split. */
        private static void writeInPieces(OutputStream out, byte[] message, Random rnd) throws IOException {
            int pieces = 1 + rnd.nextInt(3);
            int from = 0;
            for (int i = 1; i <= pieces; i++) {
                int to = i == pieces ? message.length : from + rnd.nextInt(message.length - from + 1);
                out.write(message, from, to - from);
                out.flush();
                from = to;
            }
        }

        private static byte[] chunk(byte[] body, Random rnd) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int from = 0; from < body.length; ) {
                int n = Math.min(body.length - from, 1 + rnd.nextInt(1500));
                out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body, from, n);
                out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                from += n;
            }
            out.writeBytes((rnd.nextBoolean() ? "0\r\n\r\n" : "0\r\nX-Trailer: t\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return out.toByteArray();
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, r, a.length, b.length);
            return r;
        }
    }
}
