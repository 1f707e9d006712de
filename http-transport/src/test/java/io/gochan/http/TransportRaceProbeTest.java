package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Probes of lifecycle races no other class sweeps, on real loopback connections, each race run for many rounds
 * ({@code -Dtransport.race.rounds}, 50 by default): waiters of a two-connection host giving up as both connections come
 * back (kept alive or closed), a cancel as the idle timeout of the connection it would take passes, {@code close()}
 * against a dial about to succeed, a body closed beside a reader at full speed, a body's end against
 * {@code closeIdleConnections()} and {@code close()}, a final status without 100 while an upload is written, a 100 and
 * a final status at once beside an upload the server does not read, a retry whose body fails to reopen. Each held on the code it was written against (session 38): guards, not fixes.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TransportRaceProbeTest {
    static final int ROUNDS = Integer.getInteger("transport.race.rounds", 50);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static Caller<String> get(Transport t, java.net.URI uri, Context ctx, String name) {
        return Caller.virtual(name, () -> {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()), ctx)) {
                return r.body().string();
            }
        });
    }

    private static boolean cancelled(Throwable e) {
        return e instanceof RequestCancelledException;
    }

    /**
     * Two holders of a host's two connections, four waiters queued; two waiters give up as both connections are put
     * back (kept alive, or each closed after its answer so that freed slots start dials): the two that did not give up
     * are answered, those that did end with their cancellation or their answer, nothing stays counted and never more
     * than two connections are open.
     */
    @ParameterizedTest(name = "server closes after each answer: {0}")
    @ValueSource(booleans = {false, true})
    void E2_E90_waitersGivingUpAsBothConnectionsComeBackLeaveTheOthersTheirAnswers(boolean closing) throws Exception {
        Semaphore finish = new Semaphore(0);
        try (RawServer server = closing
                ? RawServer.start(c -> {
                    String head = c.readRequest();
                    if (head != null && head.startsWith("GET /a")) {
                        // The body comes whole only when the round lets it: the connection stays its holder's.
                        c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\no");
                        finish.acquire();
                        c.write("k");
                    } else if (head != null) {
                        c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                    }
                })
                : RawServer.answeringOk();
             Transport t = Transport.builder().maxConnsPerHost(2).build()) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                HttpResponse a1 = t.roundTrip(HttpRequest.get(server.uri("/a1").toString()));
                HttpResponse a2 = t.roundTrip(HttpRequest.get(server.uri("/a2").toString()));
                List<CancellableContext> ctxs = new ArrayList<>();
                List<Caller<String>> ws = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    CancellableContext c = Context.withCancel(Context.background());
                    ctxs.add(c);
                    ws.add(get(t, server.uri("/w" + w), c, "W" + w));
                    int n = w + 1;
                    Lifecycle.await(() -> t.stats().waiting() == n, Lifecycle.BOUND, "W" + w + " waiting");
                }
                CountDownLatch go = new CountDownLatch(1);
                long offset = (i * 7_919L) % 300_000;
                Thread canceller = after(go, offset, () -> {
                    ctxs.get(0).cancel();
                    ctxs.get(2).cancel();
                    return null;
                }, new CopyOnWriteArrayList<>());
                go.countDown();
                finish.release(closing ? 2 : 0);
                assertThat(a1.body().string()).isEqualTo("ok");
                assertThat(a2.body().string()).isEqualTo("ok");
                canceller.join();
                for (int w = 0; w < 4; w++) {
                    Caller<String> c = ws.get(w);
                    assertThat(c.join(Lifecycle.BOUND)).as("W%d ended", w).isTrue();
                    boolean mayCancel = w == 0 || w == 2;
                    if (!"ok".equals(c.value()) && !(mayCancel && cancelled(c.error()))) {
                        failures.add(i + ": W" + w + " got " + (c.error() != null ? c.error() : c.value()));
                    }
                }
                TransportStats s = t.stats();
                if (s.waiting() != 0 || s.inUse() != 0 || s.open() > 2) {
                    failures.add(i + ": stats " + s);
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /** A request whose context is cancelled as the idle timeout of the connection it would take passes. */
    @Test
    void E1_E79_aCancelAsTheIdleTimeoutPassesEndsThatRequestAlone() throws Exception {
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxConnsPerHost(1).idleConnTimeout(Duration.ofMillis(5)).build()) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/first").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                Lifecycle.spin(2_000_000 + (i * 104_729L) % 6_000_000);
                CancellableContext c = Context.withCancel(Context.background());
                CountDownLatch go = new CountDownLatch(1);
                long offset = (i * 7_919L) % 400_000;
                Thread canceller = after(go, offset, () -> {
                    c.cancel();
                    return null;
                }, new CopyOnWriteArrayList<>());
                go.countDown();
                Caller<String> b = get(t, server.uri("/b"), c, "B");
                canceller.join();
                assertThat(b.join(Lifecycle.BOUND)).as("B ended").isTrue();
                if (!"ok".equals(b.value()) && !cancelled(b.error())) {
                    failures.add(i + ": B got " + (b.error() != null ? b.error() : b.value()));
                }
                TransportStats s = t.stats();
                if (s.waiting() != 0 || s.inUse() != 0 || s.open() > 1) {
                    failures.add(i + ": stats " + s);
                }
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/after").toString()))) {
                    if (!"ok".equals(r.body().string())) {
                        failures.add(i + ": after");
                    }
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /** {@code Transport.close()} racing a dial that is about to succeed: the new connection is closed, never pooled. */
    @Test
    void E23_E29_closeRacingADialAboutToSucceedClosesTheNewConnection() throws Exception {
        AtomicInteger handlersEnded = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
            try {
                while (c.readRequest() != null) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            } finally {
                handlersEnded.incrementAndGet();
            }
        })) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                CountDownLatch entered = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                long dialSpin = (i * 3_571L) % 200_000;
                Dialer d = (host, port, timeout) -> {
                    entered.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException("dial interrupted");
                    }
                    Lifecycle.spin(dialSpin);
                    return new Socket(host, port);
                };
                try (Transport t = Transport.builder().dialer(d).build()) {
                    Caller<String> a = get(t, server.uri("/a"), Context.background(), "A");
                    assertThat(entered.await(15, TimeUnit.SECONDS)).isTrue();
                    long closeSpin = (i * 7_919L) % 200_000;
                    Thread closer = Thread.ofVirtual().start(() -> {
                        Lifecycle.spin(closeSpin);
                        t.close();
                    });
                    release.countDown();
                    closer.join();
                    assertThat(a.join(Lifecycle.BOUND)).as("A ended").isTrue();
                    if (a.error() != null) {
                        Lifecycle.assertExportedType(a.error());
                    }
                    closedAndGone(i, t, server, handlersEnded, failures);
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /**
     * A body closed on one thread while another reads it at full speed (no read blocked): the reader ends, and the
     * next request on the transport gets its own answer, never bytes of the closed body.
     */
    @Test
    void E14_E64_aBodyClosedBesideAReaderAtFullSpeedLeavesTheNextRequestItsOwnAnswer() throws Exception {
        byte[] big = new byte[256 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        try (RawServer server = RawServer.start(c -> answerBigOrOk(c, big));
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/big").toString()));
                InputStream in = r.body().stream();
                AtomicInteger total = new AtomicInteger();
                Caller<Object> reader = Caller.virtual("reader", () -> {
                    byte[] buf = new byte[8192];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        for (int k = 0; k < n; k++) {
                            if (buf[k] != 'x') {
                                throw new AssertionError("foreign byte");
                            }
                        }
                        total.addAndGet(n);
                    }
                    return "eof";
                });
                Lifecycle.spin((i * 7_919L) % 1_000_000);
                r.close();
                assertThat(reader.join(Lifecycle.BOUND)).as("reader ended").isTrue();
                Throwable e = reader.error();
                if (e != null && !(e instanceof IOException)) {
                    failures.add(i + ": reader " + e);
                }
                if (e == null && total.get() != big.length) {
                    failures.add(i + ": EOF after " + total.get());
                }
                try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/ok").toString()))) {
                    String s = next.body().string();
                    if (!"ok".equals(s)) {
                        failures.add(i + ": next got " + s.length() + " bytes");
                    }
                }
                TransportStats s = t.stats();
                if (s.waiting() != 0 || s.inUse() != 0 || s.open() > 1) {
                    failures.add(i + ": stats " + s);
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /** Runs {@code r} after spinning {@code nanos}, on a virtual thread, once {@code go} opens. */
    private static Thread after(CountDownLatch go, long nanos, Lifecycle.Work<?> r, List<Throwable> thrown) {
        return Thread.ofVirtual().start(() -> {
            try {
                go.await();
                Lifecycle.spin(nanos);
                r.run();
            } catch (Throwable e) {
                thrown.add(e);
            }
        });
    }

    /**
     * A body's end putting its connection back, {@code closeIdleConnections()} and {@code close()} at once: each
     * returns, nothing stays open on either side, no goroutine is left.
     */
    @Test
    void E23_E34_E56_aBodyEndRacingCloseIdleConnectionsAndCloseLeavesNothingOpen() throws Exception {
        AtomicInteger handlersEnded = new AtomicInteger();
        byte[] big = new byte[64 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        try (RawServer server = RawServer.start(c -> {
            try {
                answerBigOrOk(c, big);
            } finally {
                handlersEnded.incrementAndGet();
            }
        })) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                try (Transport t = Transport.builder().build()) {
                    HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/ok").toString()));
                    warm.body().string(); // one idle connection for closeIdleConnections to find
                    HttpResponse a = t.roundTrip(HttpRequest.get(server.uri(i % 2 == 0 ? "/ok" : "/big").toString()));
                    HttpResponse b = t.roundTrip(HttpRequest.get(server.uri("/big").toString()));
                    List<Throwable> thrown = new CopyOnWriteArrayList<>();
                    CountDownLatch go = new CountDownLatch(1);
                    List<Throwable> reads = new CopyOnWriteArrayList<>();
                    List<Lifecycle.Work<?>> parts = List.of(() -> {
                        try {
                            return a.body().bytes();
                        } catch (IOException e) {
                            reads.add(e);
                            return null;
                        }
                    }, () -> {
                        b.close();
                        return null;
                    }, () -> {
                        t.closeIdleConnections();
                        return null;
                    }, () -> {
                        t.close();
                        return null;
                    });
                    long[] spins = {0, (i * 1_237L) % 200_000, (i * 7_919L) % 200_000, (i * 3_571L) % 300_000};
                    List<Thread> racers = new ArrayList<>();
                    for (int k = 0; k < parts.size(); k++) {
                        racers.add(after(go, spins[k], parts.get(k), thrown));
                    }
                    go.countDown();
                    for (Thread th : racers) {
                        if (!th.join(Lifecycle.BOUND)) {
                            failures.add(i + ": hangs: " + List.of(th.getStackTrace()));
                        }
                    }
                    if (!thrown.isEmpty()) {
                        failures.add(i + ": thrown " + thrown);
                    }
                    for (Throwable e : reads) {
                        Lifecycle.assertExportedType(e);
                    }
                    closedAndGone(i, t, server, handlersEnded, failures);
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /**
     * An {@code Expect: 100-continue} upload whose body went out after the wait (a 1 ms timeout) answered with a final
     * status, no 100, after the server read part of the body, keep-alive: the answer is the caller's, the connection
     * (out of step with the server) is never reused, the next request is served, nothing is left.
     */
    @Test
    void E65_aFinalStatusWithout100WhileTheBodyIsWrittenIsAnsweredAndNotReused() throws Exception {
        byte[] upload = new byte[2 * 1024 * 1024];
        AtomicInteger round = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                if (head.startsWith("PUT")) {
                    c.readBody((round.get() * 9_973) % 300_000);
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    c.readUntilClosed(); // the body's rest, and the client's close
                    return;
                }
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
            }
        });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofMillis(1)).build()) {
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < ROUNDS / 2; i++) {
                round.set(i);
                int before = server.accepted();
                HttpRequest put = HttpRequest.newBuilder(server.uri("/up"))
                        .method("PUT", RequestBody.of(upload, "application/octet-stream"))
                        .header("Expect", "100-continue").build();
                Object out = Leaks.outcomeWithin10s("put", () -> {
                    try (HttpResponse r = t.roundTrip(put)) {
                        return r.body().string();
                    }
                });
                if (!"ok".equals(out)) {
                    failures.add(i + ": put got " + out);
                }
                Object next = Leaks.outcomeWithin10s("next", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                        return r.body().string();
                    }
                });
                if (!"next".equals(next)) {
                    failures.add(i + ": next got " + next);
                }
                if (server.accepted() < before + 1) {
                    failures.add(i + ": the upload's connection was reused");
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /**
     * A replayable PUT (it has an {@code Idempotency-Key}, as Go asks) cut on a reused connection is sent again (E9), but its body's opener fails the second time: the
     * request fails with the opener's own exception, at once, and leaves nothing; the next request is served.
     */
    @Test
    void E6_E9_aRetryWhoseBodyFailsToReopenFailsWithTheOpenersException() throws Exception {
        try (RawServer server = RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                if (head.startsWith("PUT")) {
                    c.readBody(4);
                    return; // closed without an answer: the PUT may be sent again on another connection
                }
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 20; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                AtomicInteger opens = new AtomicInteger();
                UnsupportedOperationException boom = new UnsupportedOperationException("second open refused by the test");
                HttpRequest put = HttpRequest.newBuilder(server.uri("/up")).method("PUT", RequestBody.ofStream(() -> {
                    if (opens.incrementAndGet() > 1) {
                        throw boom;
                    }
                    return new java.io.ByteArrayInputStream("body".getBytes());
                }, 4, "text/plain")).header("Idempotency-Key", "k" + i).build();
                Object out = Leaks.outcomeWithin10s("put", () -> t.roundTrip(put));
                assertThat(out).isSameAs(boom);
                assertThat(opens.get()).isEqualTo(2);
                Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().open() == t.stats().idle(), Lifecycle.BOUND,
                        "nothing in use " + t.stats());
            }
        }
    }

    /**
     * A 100 Continue and a body-less final status at once, the server then reading nothing of the upload: the answer is
     * the caller's at once (it does not wait for the write the server blocks), the connection is not reused.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"})
    void E65_a100AndAFinalStatusAtOnceBesideAnUnreadUploadAnswerAtOnce(String fin) throws Exception {
        byte[] upload = new byte[8 * 1024 * 1024];
        try (RawServer server = RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                if (head.startsWith("PUT")) {
                    c.write("HTTP/1.1 100 Continue\r\n\r\n" + fin);
                    c.holdWithoutReading();
                    return;
                }
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
            }
        });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 3; i++) {
                int before = server.accepted();
                HttpRequest put = HttpRequest.newBuilder(server.uri("/up"))
                        .method("PUT", RequestBody.of(upload, "application/octet-stream"))
                        .header("Expect", "100-continue").build();
                Object out = Leaks.outcomeWithin10s("put", () -> {
                    try (HttpResponse r = t.roundTrip(put)) {
                        return r.status() + r.body().string();
                    }
                });
                assertThat(out).asString().startsWith(fin.substring(9, 12));
                Object next = Leaks.outcomeWithin10s("next", () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                        return r.body().string();
                    }
                });
                assertThat(next).isEqualTo("next");
                assertThat(server.accepted()).isGreaterThan(before);
            }
        }
    }

    /**
     * After {@code t.close()}: nothing counted, every connection the server accepted ended on its side (its handler
     * saw the close), no transport goroutine left.
     */
    private static void closedAndGone(int round, Transport t, RawServer server, AtomicInteger handlersEnded,
            List<String> failures) {
        TransportStats s = t.stats();
        if (s.open() != 0 || s.idle() != 0 || s.inUse() != 0 || s.dialing() != 0 || s.waiting() != 0) {
            failures.add(round + ": stats after close " + s);
        }
        int acc = server.accepted();
        if (!Lifecycle.within(() -> handlersEnded.get() == acc, Lifecycle.BOUND)) {
            failures.add(round + ": a connection the server accepted stays open (" + handlersEnded.get() + " of " + acc
                    + " handlers ended; stats " + t.stats() + "):\n" + server.runningHandlers());
        }
        Leaks.assertNoTransportGoroutines();
    }

    /** Answers each request on {@code c} until it closes: {@code big} for a path with "/big", else "ok". */
    private static void answerBigOrOk(RawServer.Conn c, byte[] big) throws Exception {
        for (String head; (head = c.readRequest()) != null; ) {
            if (head.contains("/big")) {
                c.write("HTTP/1.1 200 OK\r\nContent-Length: " + big.length + "\r\n\r\n");
                c.write(big);
            } else {
                c.write(RawServer.OK);
            }
        }
    }
}
