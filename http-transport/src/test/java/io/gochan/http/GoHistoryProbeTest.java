package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenarios of bugs fixed in the history of Go's {@code net/http} transport (session 33), rebuilt against ours on
 * loopback, where no existing test already builds the same scenario. Each names the Go issue whose regression test it
 * follows. Each held on the code it was written against; they guard what T4, T6, T7, P12, P21, E1, E5, E18, E57 and
 * E66 promise, in the shapes Go's bugs had.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GoHistoryProbeTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /**
     * E1, T5 (Go issue 10474, {@code TestTransportResponseCancelRace}; also 9496, 41600): a request whose response
     * has a body is read to its end, which puts its connection back; then the request's context is cancelled (a
     * {@code defer cancel()}). The next request takes that connection and gets its own answer: the cancel of a
     * request that is over never reaches the connection it used. Go 1.4 closed the pooled connection under the next
     * request ("transport closed before response was received"). The cancel comes before the next request in even
     * rounds and races its take of the connection in odd ones.
     */
    @ParameterizedTest(name = "chunked={0}")
    @ValueSource(booleans = {false, true})
    void T5_cancellingARequestWhoseBodyWasReadToItsEndNeverFailsTheNextRequest(boolean chunked) throws Exception {
        String body = "x".repeat(1024);
        String answer = chunked
                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + body + "\r\n0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + body;
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     c.write(head.startsWith("GET /a") ? answer : OK);
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            for (int i = 0; i < 200; i++) {
                CancellableContext ctx = Context.withCancel(Context.background());
                Thread canceller = null;
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a" + i).toString()), ctx)) {
                    assertThat(r.body().string()).hasSize(1024);
                    if (i % 2 == 0) {
                        ctx.cancel(); // before the next request
                    } else {
                        canceller = Thread.ofVirtual().start(ctx::cancel); // racing the next request's take
                    }
                }
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/b" + i))
                        .timeout(Duration.ofSeconds(30)).build())) {
                    assertThat(r.body().string()).as("round %d", i).isEqualTo("ok");
                } finally {
                    if (canceller != null) {
                        canceller.join();
                    }
                }
            }
            assertThat(server.accepted()).as("one connection for every request").isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(399);
        }
    }

    /**
     * E57, P19 (Go issue 10511, {@code TestTransportDialCancelRace}; also 11020): the request's context is cancelled
     * while its connection is being dialed, by a {@code Dialer} that then connects anyway. The request fails as
     * cancelled; whatever became of the dialed connection (pooled or closed), nothing is left in use and the next
     * request is served.
     */
    @Test
    void E57_aContextCancelledWhileItsConnectionIsDialedFailsOnlyThatRequest() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        CancellableContext[] current = new CancellableContext[1];
        Dialer cancelling = (host, port, timeout) -> {
            if (dials.getAndIncrement() == 0) {
                current[0].cancel(); // cancelled as the dial runs; the dial still succeeds
            }
            return dial(host, port);
        };
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().dialer(cancelling).build()) {
            current[0] = Context.withCancel(Context.background());
            Caller<Integer> caller = Caller.virtual("cancelled", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/x").toString()), current[0])) {
                    return r.status();
                }
            });
            assertThat(caller.join(Lifecycle.BOUND)).as("the cancelled request returned").isTrue();
            assertThat(caller.error()).isInstanceOf(RequestCancelledException.class);
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/y").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().dialing() == 0, Lifecycle.BOUND,
                    "nothing in use or dialing: " + t.stats());
            t.closeIdleConnections();
            Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "nothing open: " + t.stats());
        }
    }

    /**
     * E11, E18 (Go issue 4191, {@code TestIssue4191_InfiniteGetToPutTimeout}): the body of one response, which never
     * ends, is the body of a {@code PUT} to the same server, with a timeout. The {@code PUT} fails at its timeout; its
     * body (the other response's stream) is closed, which closes that response's connection; nothing is left.
     */
    @Test
    void E18_aResponseBodyThatNeverEndsRelayedAsAnotherRequestsBodyEndsAtThatRequestsTimeout() throws Exception {
        byte[] chunk = ("1000\r\n" + "a".repeat(4096) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 if (head.startsWith("GET")) {
                     c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                     try {
                         while (true) {
                             c.write(chunk);
                         }
                     } catch (IOException closedByTheClient) {
                         return;
                     }
                 }
                 c.readUntilClosed(); // the PUT's body, for ever
             });
             Transport t = Transport.builder().build()) {
            HttpResponse get = t.roundTrip(HttpRequest.get(server.uri("/get").toString()));
            HttpRequest put = HttpRequest.newBuilder(server.uri("/put")).timeout(Duration.ofMillis(300))
                    .PUT(RequestBody.ofStreamOnce(get.body().stream(), -1, "application/octet-stream")).build();
            Caller<Integer> caller = Caller.virtual("put", () -> {
                try (HttpResponse r = t.roundTrip(put)) {
                    return r.status();
                }
            });
            assertThat(caller.join(Lifecycle.BOUND)).as("the PUT returned").isTrue();
            assertThat(caller.error()).isInstanceOf(HttpTimeoutException.class);
            get.close();
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().open() == 0, Lifecycle.BOUND,
                    "both connections closed: " + t.stats());
        }
    }

    /**
     * E55, T7 (Go issue 10457, {@code TestTransportIssue10457}): the server answers with an empty keep-alive response
     * and hangs up at once, every time. Each request gets its answer, the next one a new connection (the dead one
     * passed over or retried), and no loop is left behind.
     */
    @Test
    void E55_anAnswerAfterWhichTheServerHangsUpAtOnceLeavesNothingAndTheNextRequestIsServed() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nFoo: Bar\r\nContent-Length: 0\r\n\r\n");
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 30; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + i).toString()))) {
                    assertThat(r.headers().first("Foo")).as("round %d", i).contains("Bar");
                }
            }
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use: " + t.stats());
            t.closeIdleConnections();
            Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "nothing open: " + t.stats());
        }
    }

    /**
     * T4, P12 (Go issue 7569, {@code TestTransportNoReuseAfterEarlyResponse}): a {@code POST} whose last body byte is
     * not yet produced is answered early with a keep-alive response; the caller reads it. A {@code GET} sent meanwhile
     * never goes on the {@code POST}'s connection (its write is still under way) and gets its own answer. Once the
     * last byte is produced, nothing is left in use.
     */
    @Test
    void P12_aRequestSentWhileAnEarlyAnsweredUploadStillWritesGoesElsewhere() throws Exception {
        int size = 256 << 10;
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        CountDownLatch lastByte = new CountDownLatch(1);
        InputStream source = new ReadByBulk() {
            int sent;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent == size) {
                    return -1;
                }
                if (sent == size - 1) {
                    try {
                        if (!lastByte.await(30, TimeUnit.SECONDS)) {
                            throw new IOException("the test never released the last byte");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                    b[off] = 'x';
                    sent++;
                    return 1;
                }
                int n = Math.min(len, size - 1 - sent);
                java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                sent += n;
                return n;
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(c.index + " " + head.split(" ", 3)[0]);
                     if (head.startsWith("POST")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nfoo"); // keep-alive, before the body
                         c.readBody(size);
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbar");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/post"))
                    .POST(RequestBody.ofStreamOnce(source, size, "application/octet-stream")).build())) {
                assertThat(r.body().string()).isEqualTo("foo");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/get"))
                    .timeout(Duration.ofSeconds(30)).build())) {
                assertThat(r.body().string()).isEqualTo("bar");
            }
            assertThat(seen).as("the GET went on another connection").containsExactly("0 POST", "1 GET");
            lastByte.countDown();
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use: " + t.stats());
        }
    }

    /**
     * T4, E66 (Go issue 3595, {@code TestIssue3595}): a {@code POST} whose body never ends (a fast endless source,
     * not a blocked one) is refused early by a server that goes on reading it; with {@code Connection: close} or as a
     * keep-alive answer. The caller gets the refusal and reads it to its end; the connection is then closed (its write
     * never ended), which ends the write loop and closes the source; nothing is left.
     */
    @ParameterizedTest(name = "connectionClose={0}")
    @ValueSource(booleans = {true, false})
    void T4_anEndlessUploadRefusedEarlyEndsOnceTheRefusalIsRead(boolean connectionClose) throws Exception {
        AtomicInteger closes = new AtomicInteger();
        InputStream endless = new ReadByBulk() {
            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'a');
                return len;
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
        String denied = "sorry, denied.";
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.readBody(1000);
                 c.write("HTTP/1.1 401 Unauthorized\r\n" + (connectionClose ? "Connection: close\r\n" : "")
                         + "Content-Length: " + denied.length() + "\r\n\r\n" + denied);
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStreamOnce(endless, -1, "application/octet-stream")).build())) {
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.body().string()).isEqualTo(denied);
            }
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().open() == 0, Lifecycle.BOUND,
                    "the connection closed: " + t.stats());
            Leaks.awaitTrue(() -> closes.get() == 1, "the endless source closed once");
        }
    }

    /**
     * P23, E66 (Go issue 61708, its regression test in Go's CL for pull request 62296; also 4531): the server answers
     * at once and reads on, and the request's body ends before the length it declared. Each request ends with exactly
     * one outcome (the early answer, or the length error if the write failed first), the connection is never pooled,
     * and after five such requests nothing is in use or open.
     */
    @Test
    void P23_anEarlyAnswerRacingABodyShorterThanItsLengthEndsOnceAndLeavesNothing() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write(OK);
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 5; i++) {
                InputStream shortBody = new java.io.ByteArrayInputStream(new byte[] {'x'}) {
                    // a stream not read from memory: its bytes go out as they are read (E132)
                };
                // The answer, or the length error if the write failed first; a body read that the write's failure
                // cut (the connection closed under it) fails too, as Go's does: one outcome either way.
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/" + i))
                        .POST(RequestBody.ofStreamOnce(shortBody, 1 << 20, "application/octet-stream")).build())) {
                    try {
                        assertThat(r.body().string()).isEqualTo("ok");
                    } catch (IOException cut) {
                        assertThat(cut).as("round %d", i).isNotInstanceOf(ContentLengthMismatchException.class);
                    }
                } catch (ContentLengthMismatchException e) {
                    assertThat(e.declared()).isEqualTo(1 << 20);
                }
            }
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().open() == 0, Lifecycle.BOUND,
                    "nothing in use or open: " + t.stats());
            assertThat(t.stats().reused()).as("no connection reused").isZero();
        }
    }

    /**
     * P21 (Go issue 2184, {@code TestTransportReading100Continue}): a server that sends an unasked
     * {@code 100 Continue} before each final answer on a keep-alive connection; five {@code POST}s in turn each get
     * their own answer on that one connection.
     */
    @Test
    void P21_anUnasked100BeforeEachAnswerKeepsTheConnectionAndTheAnswersInStep() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String id = head.substring(head.indexOf("/req") + 4, head.indexOf(" HTTP/"));
                     String body = "Response number " + id;
                     c.write("HTTP/1.1 100 Continue\r\nDate: Thu, 28 Feb 2013 17:55:41 GMT\r\n\r\n"
                             + "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 1; i <= 5; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/req" + i))
                        .POST(RequestBody.of("request body " + i)).build())) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("Response number " + i);
                }
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * T8, P19 (Go issue 32336, {@code TestTransportMaxConnsPerHost}; and 66442, a dial that goes on once an
     * idle connection served its request): with {@code maxConnsPerHost(2)}, A
     * holds one connection (its body half read), B dials the second (its dial held back), C waits at the limit. A's
     * body then ends, which puts its connection back, and only then B's dial completes. B and C are both served, one
     * on each connection, whichever gets which: a connection whose dial outlives the request that started it serves
     * the request still waiting at the limit, never idles beside it.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {true, false})
    void T8_aDialThatOutlivesItsRequestServesTheRequestWaitingAtTheLimit(boolean virtual) throws Exception {
        CountDownLatch aRest = new CountDownLatch(1);
        CountDownLatch dialHeld = new CountDownLatch(1);
        CountDownLatch releaseDial = new CountDownLatch(1);
        Dialer held = holdingTheSecondDial(dialHeld, releaseDial, false);
        try (RawServer server = answeringInTwoParts("GET /a", "01234", "56789", aRest);
             Transport t = Transport.builder().dialer(held).maxConnsPerHost(2).build()) {
            HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()));
            Caller<String> b = Caller.start(virtual, "B", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b").toString()))) {
                    return r.body().string();
                }
            });
            assertThat(dialHeld.await(20, TimeUnit.SECONDS)).as("B dials").isTrue();
            Caller<String> c = Caller.start(virtual, "C", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/c").toString()))) {
                    return r.body().string();
                }
            });
            Lifecycle.await(() -> t.stats().waiting() == 1, Lifecycle.BOUND, "C waiting at the limit: " + t.stats());
            aRest.countDown();
            try (a) {
                assertThat(a.body().string()).isEqualTo("0123456789"); // A's connection goes back
            }
            // One of B and C has A's connection; the other waits for the held dial.
            Lifecycle.await(() -> !b.thread.isAlive() || !c.thread.isAlive(), Lifecycle.BOUND, "B or C served");
            releaseDial.countDown();
            try {
                assertThat(b.join(Lifecycle.BOUND)).as("B ended").isTrue();
                assertThat(c.join(Lifecycle.BOUND)).as("C ended: %s", t.stats()).isTrue();
            } finally {
                b.abandon(() -> { });
                c.abandon(() -> { });
            }
            assertThat(b.error()).isNull();
            assertThat(c.error()).isNull();
            assertThat(b.value()).isEqualTo("ok");
            assertThat(c.value()).isEqualTo("ok");
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0 && t.stats().dialing() == 0,
                    Lifecycle.BOUND, "nothing in use, waiting or dialing: " + t.stats());
            assertThat(t.stats().open()).isLessThanOrEqualTo(2);
        }
    }

    /**
     * T8, E2 (Go issue 29889: the per-host count when a connection closes while a caller waits at the limit; here
     * with keep-alives off): every connection closes after its
     * one answer, so each frees its slot as it closes. Sequential requests, body-less and with a body, and eight
     * callers at once, are all served with {@code maxConnsPerHost(1)}; none waits for a slot that is never freed.
     */
    @Test
    void T8_withKeepAlivesOffEachClosedConnectionFreesItsSlotForTheNext() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequest();
                 if (head == null) {
                     return;
                 }
                 c.write(head.startsWith("HEAD") ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" : OK);
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().disableKeepAlives(true).maxConnsPerHost(1).build()) {
            for (int i = 0; i < 20; i++) {
                HttpRequest.Builder req = HttpRequest.newBuilder(server.uri("/" + i)).timeout(Duration.ofSeconds(30));
                try (HttpResponse r = t.roundTrip(i % 2 == 0 ? req.HEAD().build() : req.build())) {
                    assertThat(r.body().string()).isEqualTo(i % 2 == 0 ? "" : "ok");
                }
            }
            java.util.List<Caller<String>> callers = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                callers.add(Caller.start(i % 2 == 0, "caller" + i, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/c" + n))
                            .timeout(Duration.ofSeconds(30)).build())) {
                        return r.body().string();
                    }
                }));
            }
            for (Caller<String> c : callers) {
                assertThat(c.join(Lifecycle.BOUND)).as("%s ended: %s", c.thread.getName(), t.stats()).isTrue();
                assertThat(c.error()).isNull();
                assertThat(c.value()).isEqualTo("ok");
            }
            Lifecycle.await(() -> t.stats().open() == 0 && t.stats().waiting() == 0, Lifecycle.BOUND,
                    "nothing open or waiting: " + t.stats());
            assertThat(server.accepted()).isEqualTo(28);
        }
    }

    /**
     * T8, E54 (Go's {@code TestTransportSocketLateBinding}): A's answer is in, its body not yet; B's own dial is held
     * back. A's body then ends, and B is served on A's connection at once, without waiting for its dial; that dial
     * then fails, after B was served: the failure reaches nobody, and nothing is left dialing or in use.
     */
    @Test
    void T8_aRequestServedByAConnectionPutBackNeverWaitsForItsOwnDialNorHearsItsFailure() throws Exception {
        CountDownLatch aRest = new CountDownLatch(1);
        CountDownLatch dialHeld = new CountDownLatch(1);
        CountDownLatch releaseDial = new CountDownLatch(1);
        Dialer held = holdingTheSecondDial(dialHeld, releaseDial, true); // fails after its request was served
        try (RawServer server = answeringInTwoParts("GET /foo", "fo", "oo", aRest);
             Transport t = Transport.builder().dialer(held).build()) {
            HttpResponse foo = t.roundTrip(HttpRequest.get(server.uri("/foo").toString()));
            Caller<String> bar = Caller.virtual("bar", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/bar").toString()))) {
                    return r.body().string();
                }
            });
            try {
                assertThat(dialHeld.await(20, TimeUnit.SECONDS)).as("bar dials").isTrue();
                aRest.countDown();
                try (foo) {
                    assertThat(foo.body().string()).isEqualTo("fooo");
                }
                assertThat(bar.join(Lifecycle.BOUND)).as("bar served while its dial is still held").isTrue();
                assertThat(bar.error()).isNull();
                assertThat(bar.value()).isEqualTo("ok");
            } finally {
                releaseDial.countDown();
                bar.abandon(() -> { });
            }
            Lifecycle.await(() -> t.stats().dialing() == 0 && t.stats().inUse() == 0, Lifecycle.BOUND,
                    "nothing dialing or in use: " + t.stats());
            assertThat(server.accepted()).as("one connection served both").isEqualTo(1);
            idle.assertIdle(t, 1);
        }
    }

    /** A plain loopback dial, the socket closed if the connect fails. */
    private static Socket dial(String host, int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port));
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * A dialer whose second dial tells {@code held}, then waits for {@code release}; then it fails if {@code
     * failsOnRelease}, else it dials. Every other dial dials at once.
     */
    private static Dialer holdingTheSecondDial(CountDownLatch held, CountDownLatch release, boolean failsOnRelease) {
        AtomicInteger dials = new AtomicInteger();
        return (host, port, timeout) -> {
            if (dials.incrementAndGet() == 2) {
                held.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test never released the dial");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("dial interrupted");
                }
                if (failsOnRelease) {
                    throw new IOException("manually closed");
                }
            }
            return dial(host, port);
        };
    }

    /**
     * A server that answers a request whose head starts with {@code headStart} with the body {@code first + rest}, its
     * {@code rest} held back until {@code restGate} is released; every other request with {@link #OK}.
     */
    private static RawServer answeringInTwoParts(String headStart, String first, String rest, CountDownLatch restGate)
            throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                if (head.startsWith(headStart)) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: " + (first.length() + rest.length()) + "\r\n\r\n" + first);
                    if (!restGate.await(30, TimeUnit.SECONDS)) {
                        return;
                    }
                    c.write(rest);
                } else {
                    c.write(OK);
                }
            }
        });
    }
}
