package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gochan.Goroutine;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Races a hostile tester would probe, each made deterministic: the moment that matters is held open by
 * a {@link RequestListener} callback (which runs on the caller's thread between the transport's steps)
 * until the other party has acted, and the test then checks what the request and its resources became.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RaceProbeTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static boolean writeLoopsAlive() {
        return Leaks.transportGoroutines().stream().anyMatch(g -> g.name().startsWith("http-write-loop"));
    }

    /**
     * A listener that holds a POST between taking its pooled connection and handing it over, while the
     * server closes that connection and its write loop ends: the server closed an idle connection just as
     * it left the pool.
     */
    private static RequestListener holdPostUntilTheConnectionIsDead(CountDownLatch closeIdle) {
        return new RequestListener() {
            @Override
            public void gotConn(HttpRequest request, boolean reused) {
                if (request.method().equals("POST") && closeIdle.getCount() > 0) {
                    assertThat(reused).isTrue();
                    closeIdle.countDown(); // the server closes the connection the POST just took
                    Leaks.awaitTrue(() -> !writeLoopsAlive(), "the dead connection's write loop ended");
                }
            }
        };
    }

    /**
     * A server whose first connection answers one GET and then closes when {@code closeIdle} opens,
     * without reading anything more; later connections record each request line and answer "ok".
     */
    private static RawServer closingItsFirstConnectionWhenTold(CountDownLatch closeIdle, List<String> laterRequests)
            throws IOException {
        return RawServer.start(c -> {
            if (c.index == 0) {
                c.readRequest();
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                closeIdle.await(); // then close, with no request read: an idle close
                return;
            }
            for (String head; (head = c.readRequest()) != null; ) {
                laterRequests.add(head.split("\r\n", 2)[0]);
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
    }

    /**
     * E17: the server closes a pooled connection just after a POST took it from the pool, and the
     * connection's write loop ends before the POST is handed to it. A POST with a one-shot body fails (it
     * cannot be sent again), and the body stream the transport opened for it is closed all the same:
     * before the fix it stayed in the dead connection's write queue, open for good (a file handle, for a
     * body read from a file).
     */
    @Test
    void E17_aOneShotBodyOfARequestWhoseConnectionDiedBeforeItsWriteLoopTookItIsClosed() throws Exception {
        CountDownLatch closeIdle = new CountDownLatch(1);
        List<String> later = new CopyOnWriteArrayList<>();
        try (RawServer server = closingItsFirstConnectionWhenTold(closeIdle, later);
             Transport t = Transport.builder().listener(holdPostUntilTheConnectionIsDead(closeIdle)).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            TrackedStream once = new TrackedStream("abc".getBytes());
            HttpRequest post = HttpRequest.newBuilder(server.uri("/p")).POST(RequestBody.ofStreamOnce(once, 3, "text/plain")).build();
            assertThatThrownBy(() -> t.roundTrip(post)).isInstanceOf(IOException.class);
            assertThat(once.closed).as("the request body stream closed").isTrue();
            assertThat(later).as("a one-shot body is not sent again").isEmpty();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }

    /**
     * E17: as above, with a body that can be produced again: not a byte of the POST reached the dead
     * connection, so it is retried on a new one (Go's nothingWrittenError) and served exactly once, and
     * every stream opened for it is closed. Before the fix it failed with "server closed idle connection".
     */
    @Test
    void E17_aPostNotAByteOfWhichWasWrittenToAConnectionThatDiedIsRetriedOnce() throws Exception {
        CountDownLatch closeIdle = new CountDownLatch(1);
        List<String> later = new CopyOnWriteArrayList<>();
        List<TrackedStream> opened = new CopyOnWriteArrayList<>();
        try (RawServer server = closingItsFirstConnectionWhenTold(closeIdle, later);
             Transport t = Transport.builder().listener(holdPostUntilTheConnectionIsDead(closeIdle)).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            HttpRequest post = HttpRequest.newBuilder(server.uri("/p")).POST(RequestBody.ofStream(() -> {
                TrackedStream s = new TrackedStream("abc".getBytes());
                opened.add(s);
                return s;
            }, 3, "text/plain")).build();
            try (HttpResponse r = t.roundTrip(post)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(later).as("requests the server received").containsExactly("POST /p HTTP/1.1");
            assertThat(t.stats().retries()).isEqualTo(1);
            assertThat(opened).hasSize(2).allSatisfy(s -> assertThat(s.closed).as("every stream opened closed").isTrue());
        }
    }

    /**
     * E18: a request whose body source blocks (here a pipe whose writer stalls after a few bytes, as when
     * relaying another stream) and that is then cancelled: the caller returns at once with the
     * cancellation, and the body stream is closed, which ends the pipe read the connection's write loop
     * was blocked in, so the write loop ends too. Before the fix the stream was closed only by the write
     * loop after its read returned: the write loop stayed blocked in the source for good, a goroutine
     * (and the source) leaked per cancelled upload.
     */
    @ParameterizedTest(name = "caller on a virtual thread: {0}")
    @ValueSource(booleans = {true, false})
    void E18_cancellingARequestWhoseBodySourceBlocksClosesTheSourceAndEndsTheWriteLoop(boolean virtualCaller) throws Exception {
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        AtomicBoolean sourceClosed = new AtomicBoolean();
        try (java.nio.channels.Pipe.SinkChannel sink = pipe.sink(); java.nio.channels.Pipe.SourceChannel unread = pipe.source();
             RawServer server = RawServer.start(c -> {
                 while (c.in.read() >= 0) {
                     // the few body bytes there are, until the client closes
                 }
             });
             Transport t = Transport.builder().build()) {
            sink.write(java.nio.ByteBuffer.wrap("first bytes".getBytes())); // and then nothing: the source blocks
            CountDownLatch blockedInTheSource = new CountDownLatch(2); // open at the second read: the first had the bytes there are
            InputStream source = new java.io.FilterInputStream(java.nio.channels.Channels.newInputStream(pipe.source())) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    blockedInTheSource.countDown();
                    return super.read(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    sourceClosed.set(true);
                    super.close();
                }
            };
            io.gochan.CancellableContext ctx = io.gochan.Context.withCancel(io.gochan.Context.background());
            HttpRequest post = HttpRequest.newBuilder(server.uri("/relay"))
                    .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
            Lifecycle.Caller<Integer> caller = Lifecycle.Caller.start(virtualCaller, "post", () -> {
                try (HttpResponse r = t.roundTrip(post, ctx)) {
                    return r.status();
                }
            });
            assertThat(blockedInTheSource.await(20, TimeUnit.SECONDS)).as("the write loop reads the source again").isTrue();
            ctx.cancel();
            assertThat(caller.join(Lifecycle.BOUND)).as("the cancelled request returned").isTrue();
            assertThat(caller.error()).isInstanceOf(RequestCancelledException.class);
            assertThat(sourceClosed).as("the body's source closed").isTrue();
            Leaks.awaitTrue(() -> !writeLoopsAlive(), "the write loop ended");
        }
    }

    /**
     * E19: a body of unknown length produced slowly (a pipe fed a few bytes, then nothing for now) reaches
     * the server as it is produced: the head and the first chunk arrive while the source is still open.
     * Before the fix they sat in the connection's 8 KiB buffer until the source ended, so a server that
     * answers what it has received waited for bytes the client had long had (Go issue 6574).
     */
    @Test
    void E19_aSlowlyProducedChunkedBodyReachesTheServerAsItIsProduced() throws Exception {
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        CountDownLatch firstChunkArrived = new CountDownLatch(1);
        List<String> received = new CopyOnWriteArrayList<>();
        try (java.nio.channels.Pipe.SinkChannel sink = pipe.sink(); java.nio.channels.Pipe.SourceChannel unread = pipe.source();
             RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 received.add(head.split("\r\n", 2)[0]);
                 StringBuilder body = new StringBuilder();
                 for (int b; !body.toString().endsWith("0\r\n\r\n") && (b = c.in.read()) >= 0; ) {
                     body.append((char) b);
                     if (body.toString().equals("5\r\nhello\r\n")) {
                         firstChunkArrived.countDown();
                     }
                 }
                 received.add(body.toString());
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             });
             Transport t = Transport.builder().build()) {
            sink.write(java.nio.ByteBuffer.wrap("hello".getBytes()));
            InputStream source = java.nio.channels.Channels.newInputStream(pipe.source());
            HttpRequest post = HttpRequest.newBuilder(server.uri("/stream"))
                    .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
            Lifecycle.Caller<String> caller = Lifecycle.Caller.virtual("post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.body().string();
                }
            });
            try {
                assertThat(firstChunkArrived.await(20, TimeUnit.SECONDS))
                        .as("the head and the first chunk reached the server while the source was open").isTrue();
            } finally {
                sink.write(java.nio.ByteBuffer.wrap(" world".getBytes()));
                sink.close(); // the body ends
            }
            assertThat(caller.join(Duration.ofSeconds(20))).as("the request ended").isTrue();
            assertThat(caller.error()).isNull();
            assertThat(caller.value()).isEqualTo("ok");
            assertThat(received).containsExactly("POST /stream HTTP/1.1", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        }
    }

    /**
     * E18, when the server answers before the body is all sent: the response comes while the body's source
     * blocks, and the caller closes the response's body before its end. The connection closes, and with it
     * the request body's stream, which ends the write loop's read of the source. Before the fix the write
     * loop stayed blocked in the source for good.
     */
    @Test
    void E18_closingTheResponseOfARequestWhoseBodySourceStillBlocksClosesTheSource() throws Exception {
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        AtomicBoolean sourceClosed = new AtomicBoolean();
        try (java.nio.channels.Pipe.SinkChannel sink = pipe.sink(); java.nio.channels.Pipe.SourceChannel unread = pipe.source();
             RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 StringBuilder body = new StringBuilder();
                 for (int b; !body.toString().equals("5\r\nfirst\r\n") && (b = c.in.read()) >= 0; ) {
                     body.append((char) b);
                 }
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"); // answered early; the rest never comes
                 while (c.in.read() >= 0) {
                     // until the client closes
                 }
             });
             Transport t = Transport.builder().build()) {
            sink.write(java.nio.ByteBuffer.wrap("first".getBytes())); // and then nothing: the source blocks
            InputStream source = new java.io.FilterInputStream(java.nio.channels.Channels.newInputStream(pipe.source())) {
                @Override
                public void close() throws IOException {
                    sourceClosed.set(true);
                    super.close();
                }
            };
            HttpRequest post = HttpRequest.newBuilder(server.uri("/relay"))
                    .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
            try (HttpResponse r = t.roundTrip(post)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().stream().readNBytes(4)).asString().isEqualTo("half");
                assertThat(sourceClosed).as("the source is still being sent").isFalse();
            } // closed before its end: the connection closes
            Leaks.awaitTrue(sourceClosed::get, "the body's source closed");
            Leaks.awaitTrue(() -> !writeLoopsAlive(), "the write loop ended");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }

    /**
     * E21: a request whose connection fails before any response (the server reads it and closes, answers
     * with a malformed head, or says nothing until the response-header timeout) finds that connection already
     * closed when its failure reaches it: no longer counted open, its slot free. Before the fix the read loop
     * handed the error over before closing, and the close itself woke the caller (closech) before it freed
     * the slot, so the caller could see its dead connection still open (1 request in ~10 here). Checked on
     * every one of many fresh connections, each failure kind.
     */
    @ParameterizedTest
    @ValueSource(strings = {"close", "malformed", "silent"})
    void E21_aConnectionThatFailedBeforeAResponseIsClosedWhenTheFailureReachesTheCaller(String how) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     switch (how) {
                         case "malformed" -> c.write("HTTP/1.1 two hundred OK\r\n\r\n");
                         case "silent" -> c.readRequest(); // returns when the client closes the connection
                         default -> { } // close at once
                     }
                 }
             });
             Transport t = Transport.builder().responseHeaderTimeout(Duration.ofMillis(20)).build()) {
            for (int i = 0; i < (how.equals("silent") ? 20 : 50); i++) {
                HttpRequest post = HttpRequest.newBuilder(server.uri("/p")).POST(RequestBody.of("x")).build();
                IOException failure = assertThrows(IOException.class, () -> t.roundTrip(post));
                TransportStats stats = t.stats();
                assertThat(stats.open()).as("connections open when request %d failed (%s): %s", i, failure, stats).isZero();
            }
        }
    }

    /**
     * E21, for a body: a response whose connection ends mid-body (fewer bytes than its Content-Length, or a
     * chunked body cut before its last chunk) fails the read with an {@code IOException}, and when it does
     * the connection is already closed and no longer counted open.
     */
    @ParameterizedTest
    @ValueSource(strings = {"length", "chunked"})
    void E21_aBodyCutShortFailsItsReadWithItsConnectionAlreadyClosed(String framing) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write(framing.equals("length") ? "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
                             : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 50; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    IOException failure = assertThrows(IOException.class, () -> r.body().bytes());
                    TransportStats stats = t.stats();
                    assertThat(stats.open()).as("connections open when body %d failed (%s): %s", i, failure, stats).isZero();
                }
            }
        }
    }

    /**
     * A client socket whose first {@link #close()} (the connection's own close, from its read loop, once the server
     * closed the idle connection) is held just after the socket is closed, until the POST's write loop has reported its
     * write (the listener's {@code wroteRequest}): the window between {@code PersistConn.closeSockets()} and
     * {@code closech.close()}.
     */
    private static final class HeldCloseSocket extends Socket {
        final AtomicBoolean holdFirstClose;
        final CountDownLatch closedUnderIt;
        final CountDownLatch writeTriedOnClosed;

        HeldCloseSocket(AtomicBoolean holdFirstClose, CountDownLatch closedUnderIt, CountDownLatch writeTriedOnClosed) {
            this.holdFirstClose = holdFirstClose;
            this.closedUnderIt = closedUnderIt;
            this.writeTriedOnClosed = writeTriedOnClosed;
        }

        @Override
        public void close() throws IOException {
            super.close();
            if (holdFirstClose.compareAndSet(true, false)) {
                closedUnderIt.countDown();
                try {
                    writeTriedOnClosed.await(10, TimeUnit.SECONDS); // a bound only: the write comes at once
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * E17 / Go parity (nothingWrittenError): the server closes a pooled connection just as a POST with a replayable
     * body took it. The connection's read loop sees the EOF and closes the connection; the POST's write loop takes the
     * request after the socket was closed but before closech closed, and hands its bytes to the closed socket, which
     * takes none of them ("Socket closed"). Not a byte reached the server, so the POST must be retried on a new
     * connection and served once, as when its write loop never took it (E17) and as Go does (a write on a closed
     * net.Conn returns n == 0, so nwrite == startBytesWritten). Before, the bytes counted as written (the counter counts
     * them before the socket's write, and gives nothing back for a plain socket), so the POST fails with
     * SERVER_CLOSED_BEFORE_RESPONSE and is never retried.
     */
    @Test
    void E17_aPostHandedToASocketAlreadyClosedUnderItIsNothingWrittenAndRetried() throws Exception {
        CountDownLatch closeIdle = new CountDownLatch(1);
        List<String> later = new CopyOnWriteArrayList<>();
        AtomicBoolean holdFirstClose = new AtomicBoolean(false);
        CountDownLatch closedUnderIt = new CountDownLatch(1);
        CountDownLatch writeTriedOnClosed = new CountDownLatch(1);
        AtomicReference<Throwable> firstWrite = new AtomicReference<>();
        AtomicReference<Socket> first = new AtomicReference<>();
        RequestListener holdPost = new RequestListener() {
            @Override
            public void gotConn(HttpRequest request, boolean reused) {
                if (request.method().equals("POST") && closeIdle.getCount() > 0) {
                    assertThat(reused).isTrue();
                    holdFirstClose.set(true);
                    closeIdle.countDown(); // the server closes the connection the POST just took
                    try {
                        // The read loop saw the EOF and closed the socket; its close is held before closech closes.
                        assertThat(closedUnderIt.await(10, TimeUnit.SECONDS)).as("the read loop closed the socket").isTrue();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable error) {
                if (request.method().equals("POST") && writeTriedOnClosed.getCount() > 0) {
                    firstWrite.set(error);
                    writeTriedOnClosed.countDown(); // the read loop's close may now close closech
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     c.readRequest();
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     closeIdle.await(); // then close, with no request read: an idle close
                     return;
                 }
                 for (String head; (head = c.readRequest()) != null; ) {
                     later.add(head.split("\r\n", 2)[0]);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder()
                     .listener(holdPost)
                     .dialer((host, port, timeout) -> {
                         HeldCloseSocket s = new HeldCloseSocket(first.get() == null ? holdFirstClose : new AtomicBoolean(),
                                 closedUnderIt, writeTriedOnClosed);
                         first.compareAndSet(null, s);
                         s.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
                         return s;
                     })
                     .build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            HttpRequest post = HttpRequest.newBuilder(server.uri("/p")).POST(RequestBody.of("abc")).build();
            try (HttpResponse r = t.roundTrip(post)) { // before: HttpProtocolException SERVER_CLOSED_BEFORE_RESPONSE
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(firstWrite.get()).as("the first attempt's write failed on the closed socket").isNotNull();
            assertThat(later).as("requests the server received").containsExactly("POST /p HTTP/1.1");
            assertThat(t.stats().retries()).isEqualTo(1);
        }
    }

    /**
     * E85: the write loop ends on an interrupt (its idle {@code select} throws {@code InterruptedException}) without closing
     * its connection, unlike the read loop, which closes it on any end. The connection stays usable in the pool with no
     * write loop: the next request that takes it is drained from {@code writech} (its body closed), then waits for a
     * write result, a close or a response that never come, until its deadline (for ever without one). Interrupts reach
     * a loop through the public {@code Goroutine.interrupt()} ({@code Goroutines.live()}), a bubble that stops
     * (BB5 interrupts every member), or user code run on the loop (a listener, a body source) that leaves the flag set.
     */
    @Test
    void E85_aWriteLoopEndedByAnInterruptTakesItsConnectionWithIt() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(5)).build();
            // The pooled connection's write loop is the one interrupted: the request is made again only if E138 closed
            // its connection instead, and that connection's write loop is let end first, so that only one is found.
            int closedByE138 = idle.warmUntilIdle(t, () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            });
            java.util.function.Supplier<List<Goroutine>> writeLoops = () -> Leaks.transportGoroutines().stream()
                    .filter(g -> g.name().startsWith("http-write-loop") && g.name().endsWith(":" + server.port()))
                    .toList(); // this test's own connections', never another transport's
            Leaks.awaitTrue(() -> writeLoops.get().size() == 1, "one write loop, the pooled connection's");
            Goroutine writeLoop = writeLoops.get().get(0);
            writeLoop.interrupt();
            assertThat(writeLoop.join(Duration.ofSeconds(10))).as("the interrupted write loop ended").isTrue();
            // Before: HttpTimeoutException after 5 s, the request sent on a connection nobody writes to.
            assertThat(Leaks.outcomeWithin10s("the request after the write loop ended", () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    return r.body().string();
                }
            })).isEqualTo("ok");
            assertThat(server.accepted()).as("the interrupted loop's connection was closed, a new one served")
                    .isEqualTo(2 + closedByE138);
        }
    }

    /**
     * E85 for the idle reaper: interrupted (a {@code Goroutine.interrupt()}, a stopping bubble), it ends and takes the
     * idle connections it watched with it, and the next connection put back starts another reaper. Before, it ended
     * alone: its idle connections stayed open past their idle timeout until a connection was put back, never in a
     * transport no longer used.
     */
    @Test
    void E85_anIdleReaperEndedByAnInterruptClosesTheIdleConnectionsItWatched() throws Exception {
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().idleConnTimeout(Duration.ofMinutes(10)).build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(20)).build();
            // The reaper must watch an idle connection: the request is made again only if E138 closed it instead.
            int closedByE138 = idle.warmUntilIdle(t, () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            });
            Goroutine readLoop = Leaks.transportGoroutines().stream()
                    .filter(g -> g.name().startsWith("http-read-loop") && g.name().endsWith(":" + server.port()))
                    .findFirst().orElseThrow();
            // This transport's reaper: the one its connection's owner owns, never another transport's.
            java.util.function.Supplier<List<Goroutine>> reapers = () -> Leaks.transportGoroutines().stream()
                    .filter(g -> g.name().equals("http-idle-reaper") && g.owner().equals(readLoop.owner())).toList();
            // The reaper starts once the connection is idle, on the thread that put it back: waited for, not assumed.
            Leaks.awaitTrue(() -> !reapers.get().isEmpty(), "the idle reaper started");
            Goroutine reaper = reapers.get().get(0);
            reaper.interrupt();
            assertThat(reaper.join(Duration.ofSeconds(10))).as("the interrupted reaper ended").isTrue();
            Leaks.awaitTrue(() -> t.stats().idle() == 0 && t.stats().open() == 0, "the idle connection closed with its reaper");
            try (HttpResponse r = t.roundTrip(get)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2 + closedByE138);
            Leaks.awaitTrue(() -> reapers.get().size() == 1, "a new reaper watches the connection put back");
        }
    }
}
