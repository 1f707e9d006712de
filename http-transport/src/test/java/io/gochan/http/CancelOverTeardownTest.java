package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E153 (docs/spec/transport-lifecycle.md): a request its caller ends (its context cancelled, its own deadline, an
 * {@link HttpClient}'s timeout, an interrupt, the transport's close) fails with that end in every phase (dialing, writing its head, writing its
 * body, awaiting the head, reading the head, reading the body), never with the network error the end itself caused
 * when it tore the connection down ("Socket closed", a reset, "server closed the connection", "nothing written").
 * An end that comes after a genuine failure but before it is reported wins: awaiting the head (E154), reading the body
 * (E129), the transport's close among them (E143), a failed write (E144).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CancelOverTeardownTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Phase {
        DIAL, HEAD_WRITE, BODY_WRITE, HEAD_WAIT, HEAD_READ, BODY_READ
    }

    enum End {
        CONTEXT, DEADLINE, CLIENT_TIMEOUT, INTERRUPT, TRANSPORT_CLOSE
    }

    static List<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Phase p : Phase.values()) {
            for (End e : End.values()) {
                all.add(Arguments.of(p, e));
            }
        }
        return all;
    }

    /** Words of a teardown's own failure, which must never be what the caller is told. */
    private static final List<String> TEARDOWN = List.of("socket closed", "connection reset", "server closed",
            "nothing written", "write failed", "broken pipe", "end of stream");

    /** The plain loopback sockets a test's dialer made; the first write of the head blocks while {@code blockHead}. */
    private static final class Wire {
        final AtomicBoolean blockHead = new AtomicBoolean();
        final CountDownLatch headBlocked = new CountDownLatch(1);
        final CountDownLatch bytesRead = new CountDownLatch(1);
        /** Run once by the first close of a socket, after it closed: what a test makes happen right then. */
        final AtomicReference<Runnable> afterClose = new AtomicReference<>();
        /** Run once by the next write, which then fails as a reset does before a byte went out (E144). */
        final AtomicReference<Runnable> failWrite = new AtomicReference<>();
        /** Set: the next write, its bytes out, returns only once this completes, so the write loop's report comes late. */
        final AtomicReference<CompletableFuture<Void>> holdAfterWrite = new AtomicReference<>();

        Dialer dialer() {
            return HookedSocket.dialer(() -> new HookedSocket() {
                // join() waits as a blocked socket write does: an interrupt does not end it, and stays set.
                private final CompletableFuture<Void> closed = new CompletableFuture<>();

                @Override
                protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                    int n = raw.read(b, off, len);
                    if (n > 0) {
                        bytesRead.countDown();
                    }
                    return n;
                }

                @Override
                protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
                    Runnable beforeFailing = failWrite.getAndSet(null);
                    if (beforeFailing != null) {
                        beforeFailing.run();
                        throw new SocketException("Connection reset");
                    }
                    if (blockHead.getAndSet(false)) {
                        // A head write stuck until the connection's teardown, which fails it as a closed socket
                        // does: the teardown's own error.
                        headBlocked.countDown();
                        closed.join();
                        throw new SocketException("Socket closed");
                    }
                    raw.write(b, off, len);
                    CompletableFuture<Void> hold = holdAfterWrite.getAndSet(null);
                    if (hold != null) {
                        hold.join();
                    }
                }

                @Override
                public void close() throws IOException {
                    super.close();
                    closed.complete(null);
                    runOnce(afterClose);
                }
            });
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void E153_aRequestItsCallerEndsFailsWithThatEndNeverWithTheTeardownsError(Phase phase, End end) throws Exception {
        Dones dones = new Dones();
        Wire wire = new Wire();
        wire.blockHead.set(phase == Phase.HEAD_WRITE);
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 if (head.startsWith("GET /next")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     return;
                 }
                 if (head.startsWith("GET /stall-body")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                 } else if (head.startsWith("GET /stall-in-head")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Le");
                 }
                 release.await(30, TimeUnit.SECONDS); // POST /upload: not read; GET /stall-head: never answered
                 c.readUntilClosed();
             });
             SilentTlsServer silentTls = new SilentTlsServer();
             Transport t = Transport.builder().listener(dones).dialer(wire.dialer())
                     .tlsHandshakeTimeout(Duration.ofSeconds(30)).build()) {
            String uri = switch (phase) {
                case DIAL -> silentTls.uri();
                case HEAD_WRITE, HEAD_WAIT -> server.uri("/stall-head").toString();
                case BODY_WRITE -> server.uri("/upload").toString();
                case HEAD_READ -> server.uri("/stall-in-head").toString();
                case BODY_READ -> server.uri("/stall-body").toString();
            };
            HttpRequest.Builder b = HttpRequest.newBuilder(java.net.URI.create(uri));
            if (phase == Phase.BODY_WRITE) {
                b.POST(RequestBody.ofStream(() -> new java.io.ByteArrayInputStream(new byte[64 << 20]), 64 << 20,
                        "application/octet-stream"));
            }
            if (end == End.DEADLINE) {
                b.timeout(Duration.ofMillis(700));
            }
            HttpRequest req = b.build();
            CancellableContext ctx = Context.withCancel(Context.background());
            HttpClient client = HttpClient.builder(t).timeout(Duration.ofMillis(700)).build();
            Caller<Throwable> caller = Caller.virtual("ended-caller", () -> {
                try {
                    HttpResponse r = end == End.CLIENT_TIMEOUT ? client.send(req) : t.roundTrip(req, ctx);
                    try (r) {
                        InputStream in = r.body().stream();
                        in.readNBytes(2);
                        in.read(); // stalls: the server sent 2 of 10 bytes
                        return null;
                    }
                } catch (Throwable e) {
                    return e;
                }
            });
            if (end == End.CONTEXT || end == End.INTERRUPT || end == End.TRANSPORT_CLOSE) {
                Lifecycle.await(() -> !caller.thread.isAlive() || switch (phase) {
                    case DIAL -> t.stats().dialing() == 1 && silentTls.acceptedAny()
                            && Lifecycle.waiting(caller.thread);
                    case HEAD_WRITE -> wire.headBlocked.getCount() == 0 && Lifecycle.parkedIn(caller.thread, "awaitResponse");
                    case BODY_WRITE -> Lifecycle.writeLoopBlockedInSocketWrite()
                            && Lifecycle.parkedIn(caller.thread, "awaitResponse");
                    case HEAD_WAIT -> Lifecycle.parkedIn(caller.thread, "awaitResponse");
                    case HEAD_READ -> wire.bytesRead.getCount() == 0 && Lifecycle.parkedIn(caller.thread, "awaitResponse");
                    case BODY_READ -> Lifecycle.inSocketRead(caller.thread);
                }, Duration.ofSeconds(20), "the caller waiting in phase " + phase);
                switch (end) {
                    case CONTEXT -> ctx.cancel();
                    case INTERRUPT -> caller.thread.interrupt();
                    default -> t.close();
                }
            }
            boolean ended = caller.join(Duration.ofSeconds(20));
            caller.abandon(t::close);
            release.countDown();
            assertThat(ended).as("the ended request returned").isTrue();
            Throwable e = caller.value();
            assertThat(e).as("the request failed").isNotNull();
            switch (end) {
                case CONTEXT -> assertThat(e).isInstanceOfSatisfying(RequestCancelledException.class,
                        c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
                case TRANSPORT_CLOSE -> assertThat(e).isInstanceOfSatisfying(RequestCancelledException.class,
                        c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
                case DEADLINE, CLIENT_TIMEOUT -> assertThat(e).isInstanceOf(HttpTimeoutException.class);
                case INTERRUPT -> assertThat(e).isInstanceOfAny(InterruptedException.class, InterruptedIOException.class);
            }
            assertNoTeardownIn(e);
            Leaks.awaitTrue(() -> dones.done.containsKey(req), "the request's done()");
            assertThat(dones.done.get(req)).hasSize(1);
            silentTls.close();
        }
    }

    enum LateEnd {
        CONTEXT, INTERRUPT
    }

    static List<Arguments> lateEndsAndEncodings() {
        List<Arguments> all = new ArrayList<>();
        for (LateEnd how : LateEnd.values()) {
            all.add(Arguments.of(how, false));
            all.add(Arguments.of(how, true)); // the transport's gzip decoder above the body (P25)
        }
        return all;
    }

    /** {@code text} as the start of a gzip stream, flushed so that it decodes whole, the stream never finished. */
    private static byte[] gzipFlushed(String text) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(b, true);
        gz.write(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        gz.flush();
        return b.toByteArray();
    }

    /**
     * E154: a genuine network failure first (the server resets the connection while the request awaits its head), then
     * the request's end before {@code roundTrip} has mapped that failure (the context cancelled, or the caller
     * interrupted, from inside the connection's close, before its {@code closech} closes): the request fails with its
     * end, as Go's {@code mapRoundTripError} prefers {@code pc.canceled()} over the error it received. Before, the
     * caller's select, finding the closed connection, its failure on {@code resc} and the cancelled context ready at
     * once, picked one at random: the context's cancellation or the reset. Repeated, so the old coin toss shows.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(LateEnd.class)
    void E154_anEndThatComesAfterANetworkFailureButBeforeItIsMappedWins(LateEnd how) throws Exception {
        Dones dones = new Dones();
        Wire wire = new Wire();
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     c.reset(); // the genuine failure: a reset while the request awaits its head
                 }
             });
             Transport t = Transport.builder().listener(dones).dialer(wire.dialer()).build()) {
            for (int i = 0; i < 20; i++) {
                HttpRequest req = HttpRequest.get(server.uri("/reset-" + i).toString());
                // The first close is the read loop's, for the reset; the request's end comes before closech closes.
                lateEndWins(t, dones, req, how, wire.afterClose, i);
            }
        }
    }

    /**
     * E129: E154 while the caller reads the body. The server sends the head and part of the body, then resets the
     * connection; the caller's next read meets the reset, and the request ends (its context cancelled, or the caller
     * interrupted) from inside the connection's close that read's failure causes, before the read has returned: the read
     * fails with the end (the reset suppressed under it), the one {@code done()} says the same, the connection is closed
     * and never pooled, and the next request is served on a new one; also through the transport's gzip decoder. Before,
     * the read threw "connection failed while reading the response body: Connection reset" whatever end came before it
     * returned.
     */
    @ParameterizedTest(name = "{0}, gzip: {1}")
    @MethodSource("lateEndsAndEncodings")
    void E129_anEndThatComesAfterABodyReadsFailureButBeforeTheReadReturnsWins(LateEnd how, boolean gzip) throws Exception {
        byte[] part = gzip ? gzipFlushed("0123456789") : "0123456789".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Dones dones = new Dones();
        Wire wire = new Wire();
        java.util.concurrent.BlockingQueue<Object> resetNow = new java.util.concurrent.LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 if (head.startsWith("GET /next")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     c.readUntilClosed();
                     return;
                 }
                 c.write("HTTP/1.1 200 OK\r\n" + (gzip ? "Content-Encoding: gzip\r\n" : "") + "Content-Length: 1000\r\n\r\n");
                 c.write(part); // the decoded body's first 10 bytes, and no more
                 if (resetNow.poll(30, TimeUnit.SECONDS) != null) {
                     c.reset(); // the genuine failure: a reset mid-body, the caller reading
                 }
             });
             Transport t = Transport.builder().listener(dones).dialer(wire.dialer()).build()) {
            for (int i = 0; i < 5; i++) {
                HttpRequest req = HttpRequest.get(server.uri("/reset-body-" + i).toString());
                CancellableContext ctx = Context.withCancel(Context.background());
                CountDownLatch partRead = new CountDownLatch(1);
                Caller<Throwable> caller = readTenThenMeetTheReset("late-body-end", t, req, ctx, partRead);
                assertThat(partRead.await(20, TimeUnit.SECONDS)).isTrue();
                // The first close of this connection's socket is the one the failed read causes; the end comes then.
                wire.afterClose.set(() -> {
                    if (how == LateEnd.CONTEXT) {
                        ctx.cancel();
                    } else {
                        caller.thread.interrupt();
                    }
                });
                resetNow.add(Boolean.TRUE);
                boolean ended = caller.join(Duration.ofSeconds(20));
                caller.abandon(t::close);
                assertThat(ended).isTrue();
                Throwable e = caller.value();
                assertThat(e).as("round %d", i).isInstanceOfSatisfying(RequestCancelledException.class,
                        c -> assertThat(c.reason()).isEqualTo(how == LateEnd.CONTEXT
                                ? RequestCancelledException.Reason.CONTEXT : RequestCancelledException.Reason.INTERRUPT));
                assertNoTeardownIn(e);
                assertThat(e.getSuppressed()).as("the reset kept under the end").isNotEmpty();
                Leaks.awaitTrue(() -> dones.done.containsKey(req), "the request's done()");
                assertThat(dones.done.get(req)).hasSize(1);
                assertThat(dones.done.get(req).get(0)).isSameAs(e);
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the reset connection closed");
                assertThat(t.stats().idle()).isZero();
                try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/next").toString()), Context.background())) {
                    assertThat(next.body().string()).isEqualTo("ok");
                }
                t.closeIdleConnections();
            }
        }
    }

    /**
     * A caller that sends {@code req} under {@code ctx}, reads the body's first 10 bytes, counts {@code partRead} down
     * (also when it fails before), then reads on into what the server does next (E129, E143: its reset). Its value is
     * what the request failed with, or null.
     */
    private static Caller<Throwable> readTenThenMeetTheReset(String name, Transport t, HttpRequest req, Context ctx,
            CountDownLatch partRead) {
        return Caller.virtual(name, () -> {
            try (HttpResponse r = t.roundTrip(req, ctx)) {
                InputStream in = r.body().stream();
                in.readNBytes(10);
                partRead.countDown();
                in.read(new byte[100]); // meets the reset
                return null;
            } catch (Throwable e) {
                return e;
            } finally {
                partRead.countDown();
            }
        });
    }

    /**
     * E143: E154 and E129 for the transport's close. The server resets the connection while the request awaits its
     * head ({@code HEAD_WAIT}), or mid-body while the caller reads it ({@code BODY_READ}); from inside the connection's
     * close that the reset causes, before the failure is reported, the transport is closed (its close under way: its
     * pool marked closed, which the interrupt of another request's held dial shows, before the failed connection's
     * close lets it go on). The request fails with {@code TRANSPORT_CLOSED}, the reset suppressed under it, as it does
     * for a dial that fails under the close (E131) and as E129 already said for the body; its one {@code done()} says
     * the same. Before, the wait for the head did not look at the transport's close, and the request failed with
     * "server reset the connection before sending a response". With the write loop's report of the head late
     * ({@code lateWriteReport}: its write returns only once the caller is done), the wait for that report, which the
     * connection's failure starts while the request is still being written, ends with the transport's close; the reset
     * is kept under that end too. Before, it was lost there (a run of the whole suite under load found the report late
     * by chance now and then, and failed on "the reset kept under the end": sessions 39 and 41).
     */
    @ParameterizedTest(name = "{0}, write report late: {1}")
    @MethodSource("e143Cases")
    void E143_theTransportsCloseAfterAConnectionsFailureButBeforeItIsReportedWins(Phase phase, boolean lateWriteReport)
            throws Exception {
        CompletableFuture<Void> writeReported = new CompletableFuture<>();
        try {
            e143(phase, lateWriteReport ? writeReported : null);
        } finally {
            writeReported.complete(null);
        }
    }

    static List<Arguments> e143Cases() {
        return List.of(Arguments.of(Phase.HEAD_WAIT, false), Arguments.of(Phase.HEAD_WAIT, true),
                Arguments.of(Phase.BODY_READ, false));
    }

    private void e143(Phase phase, CompletableFuture<Void> holdWriteReport) throws Exception {
        Dones dones = new Dones();
        Wire wire = new Wire();
        java.util.concurrent.BlockingQueue<Object> resetNow = new java.util.concurrent.LinkedBlockingQueue<>();
        AtomicBoolean holdNextDial = new AtomicBoolean();
        CountDownLatch dialHeld = new CountDownLatch(1);
        CountDownLatch dialInterrupted = new CountDownLatch(1);
        Dialer plain = wire.dialer();
        Dialer holding = (host, port, timeout) -> {
            if (holdNextDial.getAndSet(false)) {
                // Held until the transport's close interrupts it: which it does once its pool is marked closed.
                dialHeld.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    dialInterrupted.countDown();
                    throw new InterruptedIOException("held dial interrupted");
                }
            }
            return plain.dial(host, port, timeout);
        };
        AtomicReference<Caller<Throwable>> held = new AtomicReference<>();
        AtomicReference<Caller<Object>> closer = new AtomicReference<>();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 if (phase == Phase.BODY_READ) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
                     if (resetNow.poll(30, TimeUnit.SECONDS) == null) {
                         return;
                     }
                 }
                 c.reset(); // the genuine failure
             });
             Transport t = Transport.builder().listener(dones).dialer(holding).build()) {
            HttpRequest req = HttpRequest.get(server.uri("/reset").toString());
            CountDownLatch partRead = new CountDownLatch(1);
            Runnable closeTransport = () -> {
                // Inside the failed connection's first close, before the failure is reported: the transport closes.
                holdNextDial.set(true);
                held.set(Caller.virtual("held-dial", () -> {
                    try {
                        t.roundTrip(HttpRequest.get(server.uri("/held").toString()), Context.background()).close();
                        return null;
                    } catch (Throwable e) {
                        return e;
                    }
                }));
                try {
                    assertThat(dialHeld.await(20, TimeUnit.SECONDS)).as("the other request's dial held").isTrue();
                    closer.set(Caller.virtual("closer", () -> {
                        t.close();
                        return null;
                    }));
                    assertThat(dialInterrupted.await(20, TimeUnit.SECONDS)).as("the transport's close under way").isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            if (phase == Phase.HEAD_WAIT) {
                wire.afterClose.set(closeTransport);
            }
            if (holdWriteReport != null) {
                wire.holdAfterWrite.set(holdWriteReport);
            }
            Caller<Throwable> caller = readTenThenMeetTheReset("closed-under-failure", t, req, Context.background(), partRead);
            if (phase == Phase.BODY_READ) {
                assertThat(partRead.await(20, TimeUnit.SECONDS)).isTrue();
                wire.afterClose.set(closeTransport);
                resetNow.add(Boolean.TRUE);
            }
            boolean ended = caller.join(Duration.ofSeconds(20));
            caller.abandon(t::close);
            if (holdWriteReport != null) {
                holdWriteReport.complete(null); // the write loop reports only now
            }
            assertThat(ended).isTrue();
            Throwable e = caller.value();
            assertThat(e).as("%s", e).isInstanceOfSatisfying(RequestCancelledException.class,
                    c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
            assertNoTeardownIn(e);
            // The whole trace on failure: which path made the end tells which look missed the reset (a rare miss, twice
            // in full runs under load, sessions 39 and 41).
            assertThat(e.getSuppressed()).as("the reset kept under the end; the end: %s", stackText(e)).isNotEmpty();
            Leaks.awaitTrue(() -> dones.done.containsKey(req), "the request's done()");
            assertThat(dones.done.get(req)).hasSize(1);
            assertThat(dones.done.get(req).get(0)).isSameAs(e);
            assertThat(held.get()).as("the transport closed under the failure").isNotNull();
            assertThat(held.get().join(Duration.ofSeconds(20))).isTrue();
            assertThat(held.get().value()).isInstanceOfSatisfying(RequestCancelledException.class,
                    c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
            assertThat(closer.get().join(Duration.ofSeconds(20))).as("the transport's close returned").isTrue();
        }
    }

    /**
     * E144: E154 for a failed write. The head's write fails before a byte of it went out (a reset), on a new connection
     * (so never retried), and the request ends (its context cancelled, or the caller interrupted) from inside that
     * write, before {@code roundTrip} has reported its failure: the request fails with its end, never "nothing written:
     * Connection reset", and reports one {@code done()}. A guard: the old code gave the end too here (the caller's
     * wait, woken by the end, took it); the write's failure now goes through the same rule as the head's.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(LateEnd.class)
    void E144_anEndThatComesAsAWriteFailsBeforeItIsReportedWins(LateEnd how) throws Exception {
        Dones dones = new Dones();
        Wire wire = new Wire();
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().listener(dones).dialer(wire.dialer()).build()) {
            for (int i = 0; i < 30; i++) {
                HttpRequest req = HttpRequest.get(server.uri("/write-fails-" + i).toString());
                lateEndWins(t, dones, req, how, wire.failWrite, i);
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the failed connection closed");
            }
        }
    }

    /**
     * One round of a late end: {@code hook} is armed to end the request ({@code how}) when a test's socket runs it, the
     * request is sent, and it must fail with that end (an {@link InterruptedException} for an interrupt), nothing of
     * the teardown in its text, and report one {@code done()}.
     */
    private static void lateEndWins(Transport t, Dones dones, HttpRequest req, LateEnd how,
            AtomicReference<Runnable> hook, int round) throws Exception {
        CancellableContext ctx = Context.withCancel(Context.background());
        AtomicReference<Thread> callerThread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        hook.set(() -> {
            if (how == LateEnd.CONTEXT) {
                ctx.cancel();
            } else {
                callerThread.get().interrupt();
            }
        });
        Caller<Throwable> caller = Caller.virtual("late-end", () -> {
            callerThread.set(Thread.currentThread());
            started.countDown();
            try {
                t.roundTrip(req, ctx).close();
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
        started.await();
        boolean ended = caller.join(Duration.ofSeconds(20));
        caller.abandon(t::close);
        assertThat(ended).isTrue();
        Throwable e = caller.value();
        assertThat(e).as("round %d", round).isNotNull();
        if (how == LateEnd.CONTEXT) {
            assertThat(e).as("round %d: %s", round, e).isInstanceOfSatisfying(RequestCancelledException.class,
                    c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
        } else {
            assertThat(e).as("round %d: %s", round, e).isInstanceOf(InterruptedException.class);
        }
        assertNoTeardownIn(e);
        Leaks.awaitTrue(() -> dones.done.containsKey(req), "the request's done()");
        assertThat(dones.done.get(req)).hasSize(1);
    }

    /**
     * The thrown exception and its causes name nothing of the teardown. (An interrupt of a virtual thread blocked in a
     * socket read closes that socket, and the JDK's "Closed by interrupt" is then the cause of the cancellation: that is
     * the interrupt itself, not a failure of the connection, and says so.)
     */
    private static String stackText(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    private static void assertNoTeardownIn(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            String text = String.valueOf(x.getMessage()).toLowerCase(Locale.ROOT);
            for (String word : TEARDOWN) {
                assertThat(text).as("%s in the chain of %s", x, e).doesNotContain(word);
            }
        }
    }
}
