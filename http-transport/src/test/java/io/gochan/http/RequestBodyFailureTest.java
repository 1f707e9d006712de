package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.EndlessBody;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E5, E6, E7, E39, E47, E48 and E51 (docs/spec/transport-lifecycle.md): a request body's own failure (an Error from
 * user code on the write path included) is the request's failure, not the connection's, also when an interrupt
 * races it, and never outranks the request's own end; and
 * an upload that the server stopped reading can always be left.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RequestBodyFailureTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A stream that yields {@code good} bytes, then fails as {@code then} says. */
    private static InputStream failingAfter(int good, Exception then) {
        return failingAfter(good, () -> { }, then);
    }

    /** As {@link #failingAfter(int, Exception)}, running {@code beforeFailing} on the reading thread first. */
    private static InputStream failingAfter(int good, Runnable beforeFailing, Exception then) {
        return new InputStream() {
            private int left = good;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left > 0) {
                    int n = Math.min(len, left);
                    left -= n;
                    return n;
                }
                beforeFailing.run();
                if (then == null) {
                    return -1; // ends short of the declared length
                }
                if (then instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) then;
            }
        };
    }

    /** A server answering every request "ok", reading each request's declared body. */
    private static RawServer okServer() throws IOException {
        return RawServer.start(c -> {
            while (c.readRequest() != null) {
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
    }

    /** Leaves two idle connections in {@code t}'s pool. */
    private static void twoIdleConnections(Transport t, RawServer server) throws Exception {
        HttpResponse r1 = t.roundTrip(HttpRequest.newBuilder(server.uri("/warm1")).build());
        HttpResponse r2 = t.roundTrip(HttpRequest.newBuilder(server.uri("/warm2")).build()); // r1 still holds its connection
        assertThat(r1.body().string()).isEqualTo("ok");
        assertThat(r2.body().string()).isEqualTo("ok");
        assertThat(t.stats().idle()).isEqualTo(2);
        assertThat(t.stats().dialed()).isEqualTo(2);
    }

    /**
     * A body source whose stream throws an {@code IOException} before a byte of the body was sent
     * fails the request with that very exception, promptly; the request is not retried, and the
     * other idle connection stays pooled and serves the next request.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E5_aBodySourceIOExceptionIsTheRequestsFailureNotRetried() throws Exception {
        IOException boom = new IOException("the body's own failure");
        try (RawServer server = okServer(); Transport t = Transport.builder().build()) {
            twoIdleConnections(t, server);
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStream(() -> failingAfter(0, boom), 10, "application/octet-stream")).build();
            Caller<Integer> caller = Caller.virtual("post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("request ended").isTrue();
            assertThat(caller.error()).as("the body's own exception").isSameAs(boom);
            assertThat(t.stats().retries()).as("retries").isZero();
            assertThat(server.accepted()).as("connections the server accepted").isEqualTo(2);
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/after")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the next request reused the other idle connection").isEqualTo(2);
        }
    }

    /**
     * The server closes every connection as soon as it is accepted, while the request's body source
     * throws on its first read: the connection's end (on {@code resc}, or {@code closech} closing) and
     * the body's failure (on {@code writeErrCh}) race into the caller's select. Whenever the source did
     * throw, the caller gets the source's exception (E5), whichever case the select picked; before, a
     * closed {@code closech} picked first reported "server closed the connection before it was used"
     * (found by the lifecycle storm, 1 request in ~10,000). If the head's write fails first, the source
     * is never read and the connection's failure is the right answer.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E5_aConnectionClosingWhileTheBodyFailsStillReportsTheBodysFailure() throws Exception {
        int rounds = 300;
        int sourceFailed = 0;
        try (RawServer server = RawServer.start(c -> { }); Transport t = Transport.builder().build()) {
            for (int i = 0; i < rounds; i++) {
                IOException boom = new IOException("the body's own failure, round " + i);
                java.util.concurrent.atomic.AtomicBoolean threw = new java.util.concurrent.atomic.AtomicBoolean();
                HttpRequest post = HttpRequest.newBuilder(server.uri("/upload/" + i))
                        .POST(RequestBody.ofStream(() -> new InputStream() {
                            @Override
                            public int read() throws IOException {
                                threw.set(true);
                                throw boom;
                            }

                            @Override
                            public int read(byte[] b, int off, int len) throws IOException {
                                threw.set(true);
                                throw boom;
                            }
                        }, 10, "application/octet-stream")).build();
                Throwable error = null;
                try (HttpResponse r = t.roundTrip(post)) {
                    error = new AssertionError("round " + i + ": a response, status " + r.status());
                } catch (IOException e) {
                    error = e;
                }
                if (threw.get()) {
                    sourceFailed++;
                    assertThat(error).as("round %d: the source threw, so its exception is the request's", i).isSameAs(boom);
                } else {
                    assertThat(error).as("round %d", i).isInstanceOf(IOException.class);
                }
            }
        }
        assertThat(sourceFailed).as("rounds in which the source was read at all").isPositive();
    }

    /**
     * A body declared 100,000 bytes long that fails after 8 KiB (its stream throws, or ends short),
     * with the server answering 200 right after that failure (well within the grace given to a
     * server that answers before reading a whole upload): the caller gets the body's failure,
     * never the 200.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E5_aBodyThatFailsMidStreamIsReportedEvenIfTheServerAnswers() throws Exception {
        for (boolean throwing : new boolean[] {true, false}) {
            IOException boom = new IOException("the body broke after 8 KiB");
            CountDownLatch writeFailed = new CountDownLatch(1);
            try (RawServer server = RawServer.start(c -> {
                     c.readRequestHead();
                     if (writeFailed.await(20, TimeUnit.SECONDS)) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                     while (c.in.read() >= 0) {
                         // until the client closes
                     }
                 });
                 Transport t = Transport.builder().listener(new RequestListener() {
                     @Override
                     public void wroteRequest(HttpRequest request, Throwable error) {
                         if (error != null) {
                             writeFailed.countDown();
                         }
                     }
                 }).build()) {
                HttpRequest post = HttpRequest.newBuilder(server.uri("/upload"))
                        .POST(RequestBody.ofStream(() -> failingAfter(8192, throwing ? boom : null), 100_000, "application/octet-stream"))
                        .build();
                Caller<Integer> caller = Caller.virtual("post", () -> {
                    try (HttpResponse r = t.roundTrip(post)) {
                        return r.status();
                    }
                });
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("request ended").isTrue();
                assertThat(caller.value()).as("%s body: the 200 must not be returned", throwing ? "throwing" : "short").isNull();
                if (throwing) {
                    assertThat(caller.error()).isSameAs(boom);
                } else {
                    assertThat(caller.error()).isInstanceOf(ContentLengthMismatchException.class);
                }
            }
        }
    }

    /** A body source that throws an unchecked exception: where it throws. */
    enum Thrower {
        SUPPLIER, STREAM
    }

    /** Not a real failure: only what the body source throws in these tests. */
    static final class BodySourceBug extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BodySourceBug(String message) {
            super(message);
        }
    }

    /**
     * An unchecked exception from the body source (its supplier, or its stream's {@code read})
     * fails the request promptly with that very exception; it never hangs.
     */
    @ParameterizedTest
    @EnumSource(Thrower.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E6_anUncheckedExceptionFromABodySourceFailsTheRequestWithIt(Thrower where) throws Exception {
        assertFailsWithIt(where, new BodySourceBug("body source bug in the " + where));
    }

    /**
     * E134: an {@link IllegalStateException} from the body source is an unchecked exception like any other (E6): the
     * request fails with that very exception. Before, one thrown by the supplier came wrapped in an IOException (the
     * wrapping was meant only for a single-use body's second opening, E60, which keeps it).
     */
    @ParameterizedTest
    @EnumSource(Thrower.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E134_anIllegalStateExceptionFromABodySourceFailsTheRequestWithIt(Thrower where) throws Exception {
        assertFailsWithIt(where, new IllegalStateException("body source state bug in the " + where));
    }

    /** A POST whose body source throws {@code bug} where it says ends promptly, failed with {@code bug} itself. */
    private static void assertFailsWithIt(Thrower where, RuntimeException bug) throws Exception {
        try (RawServer server = okServer(); Transport t = Transport.builder().build()) {
            RequestBody body = RequestBody.ofStream(() -> {
                if (where == Thrower.SUPPLIER) {
                    throw bug;
                }
                return failingAfter(0, bug);
            }, 10, "application/octet-stream");
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload")).POST(body).build();
            Caller<Integer> caller = Caller.virtual("post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("request ended within %s", Lifecycle.BOUND).isTrue();
            assertThat(caller.error()).isSameAs(bug);
        }
    }

    /** How the caller leaves an upload that the server stopped reading. */
    enum Leave {
        CONTEXT, REQUEST_TIMEOUT, TRANSPORT_CLOSE, INTERRUPT_VIRTUAL, INTERRUPT_PLATFORM
    }

    /**
     * An HTTPS upload that the server stopped reading (its write blocked in the TLS socket) is left
     * promptly by each way of cancelling: the context, the request's timeout, closing the
     * transport, an interrupt (virtual or platform caller).
     */
    @ParameterizedTest
    @EnumSource(Leave.class)
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void E7_aBlockedHttpsUploadIsLeftPromptly(Leave how) throws Exception {
        CountDownLatch handlerIn = new CountDownLatch(1);
        CountDownLatch endOfTest = new CountDownLatch(1);
        JdkServer server = JdkServer.https(ex -> {
            handlerIn.countDown();
            try {
                endOfTest.await(60, TimeUnit.SECONDS); // never reads the body
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        {
            Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build();
            HttpRequest.Builder rb = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(EndlessBody.zeros());
            if (how == Leave.REQUEST_TIMEOUT) {
                rb.timeout(Duration.ofSeconds(2));
            }
            HttpRequest req = rb.build();
            CancellableContext ctx = Context.withCancel(Context.background());
            Caller<Integer> caller = Caller.start(how != Leave.INTERRUPT_PLATFORM, "upload", () -> {
                try (HttpResponse r = t.roundTrip(req, ctx)) {
                    return r.status();
                }
            });
            try {
                assertThat(handlerIn.await(20, TimeUnit.SECONDS)).as("server has the head").isTrue();
                Lifecycle.await(Lifecycle::writeLoopBlockedInSocketWrite, Duration.ofSeconds(20), "the upload blocked in a socket write");
                long t0 = System.nanoTime();
                switch (how) {
                    case CONTEXT -> ctx.cancel();
                    case REQUEST_TIMEOUT -> { } // its own timer
                    case TRANSPORT_CLOSE -> Thread.ofVirtual().start(t::close); // as an application on virtual threads would
                    case INTERRUPT_VIRTUAL, INTERRUPT_PLATFORM -> caller.thread.interrupt();
                }
                boolean ended = caller.join(Lifecycle.BOUND.plus(Duration.ofSeconds(2)));
                assertThat(ended).as("%s: upload left within %s (waited %d ms)", how, Lifecycle.BOUND,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isTrue();
                assertThat(caller.error()).isNotNull();
            } finally {
                endOfTest.countDown();
                server.close();
                t.close();
                caller.abandon(() -> { });
                ctx.cancel();
            }
        }
    }

    /**
     * A stream that yields "abc", then 0 bytes {@code zeros} times (against InputStream's contract), then
     * "def", then EOF.
     */
    private static InputStream returningZeroBytes(int zeros) {
        return new InputStream() {
            private int stage;
            private int zerosLeft = zeros;

            @Override
            public int read() {
                throw new UnsupportedOperationException("the transport reads arrays");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (stage == 1 && zerosLeft > 0) {
                    zerosLeft--;
                    return 0;
                }
                if (stage == 2) {
                    return -1;
                }
                b[off] = (byte) (stage == 0 ? 'a' : 'd');
                b[off + 1] = (byte) (stage == 0 ? 'b' : 'e');
                b[off + 2] = (byte) (stage == 0 ? 'c' : 'f');
                stage++;
                return 3;
            }
        };
    }

    /**
     * A server that reads one request with a chunked or a 6-byte body, records the body of each complete
     * request in {@code received}, answers it, and stays until the client closes.
     */
    private static RawServer recordingBodies(java.util.Queue<String> received) throws IOException {
        return RawServer.start(c -> {
            String head = c.readRequestHead();
            if (head == null) {
                return;
            }
            StringBuilder body = new StringBuilder();
            boolean complete = false;
            if (head.contains("Transfer-Encoding: chunked")) {
                java.io.BufferedReader r = new java.io.BufferedReader(
                        new java.io.InputStreamReader(c.in, java.nio.charset.StandardCharsets.ISO_8859_1));
                for (String size; !complete && (size = r.readLine()) != null; ) {
                    int n = Integer.parseInt(size.trim(), 16);
                    if (n == 0) {
                        complete = r.readLine() != null;
                        break;
                    }
                    char[] data = new char[n];
                    if (r.read(data, 0, n) < n) {
                        break;
                    }
                    body.append(data);
                    r.readLine();
                }
            } else {
                byte[] b = c.in.readNBytes(6);
                complete = b.length == 6;
                body.append(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            if (complete) {
                received.add(body.toString());
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
            while (c.in.read() >= 0) {
                // until the client closes
            }
        });
    }

    /**
     * E16: a body source whose read returns 0 bytes now and then is asked again and its body arrives
     * whole. Before, a chunked body (unknown length) took the 0 for its end and sent a complete request
     * with the body cut short ("abc" of "abcdef").
     */
    @ParameterizedTest(name = "declared length: {0}")
    @org.junit.jupiter.params.provider.ValueSource(longs = {-1, 6})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E16_aBodySourceReturningZeroBytesIsAskedAgainAndItsBodyIsNeverCutShort(long length) throws Exception {
        java.util.Queue<String> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (RawServer server = recordingBodies(received); Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/"))
                    .POST(RequestBody.ofStreamOnce(returningZeroBytes(3), length, "text/plain")).build();
            try (HttpResponse r = t.roundTrip(post)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(received).containsExactly("abcdef");
        }
    }

    /**
     * E16: a body source that keeps returning 0 bytes fails its request with an IOException that says so
     * (after 100 in a row, Go's bound). Before, a chunked body sent an empty complete request, and a
     * known-length body read again forever. The server never receives a complete request; the
     * connection is closed.
     */
    @ParameterizedTest(name = "declared length: {0}")
    @org.junit.jupiter.params.provider.ValueSource(longs = {-1, 6})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E16_aBodySourceThatKeepsReturningZeroBytesFailsItsRequest(long length) throws Exception {
        java.util.Queue<String> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (RawServer server = recordingBodies(received); Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/"))
                    .POST(RequestBody.ofStreamOnce(returningZeroBytes(Integer.MAX_VALUE), length, "text/plain")).build();
            Caller<HttpResponse> caller = Caller.virtual("caller", () -> t.roundTrip(post));
            boolean ended = caller.join(Duration.ofSeconds(20));
            caller.abandon(t::close);
            assertThat(ended).as("the request ended").isTrue();
            if (caller.value() != null) {
                caller.value().close();
            }
            assertThat(caller.error()).isInstanceOf(IOException.class).hasMessageContaining("returned 0 bytes");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(received).as("complete requests the server received").isEmpty();
        }
    }

    /**
     * E16: a body source whose read breaks its count fails its request with an IOException that says so, and its
     * bytes are never written: a read of a 6-byte body that returns 9 (three bytes past the Content-Length, which a
     * server would read as the start of the next request), or a chunked body's read that returns -2 after "abc".
     * Before, the 9 bytes were written and the request failed as a nonsense length mismatch ("ended -3 bytes short"),
     * and the chunked body took -2 for its end: the server received a complete request, cut short to "abc".
     */
    @ParameterizedTest(name = "declared length: {0}")
    @org.junit.jupiter.params.provider.ValueSource(longs = {-1, 6})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E16_aBodySourceReturningABrokenCountFailsItsRequestAndNothingOfItIsTrusted(long length) throws Exception {
        java.util.Queue<String> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (RawServer server = recordingBodies(received); Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/"))
                    .POST(RequestBody.ofStreamOnce(brokenCount(length < 0 ? -2 : 9), length, "text/plain")).build();
            Caller<HttpResponse> caller = Caller.virtual("caller", () -> t.roundTrip(post));
            boolean ended = caller.join(Duration.ofSeconds(20));
            caller.abandon(t::close);
            assertThat(ended).as("the request ended").isTrue();
            if (caller.value() != null) {
                caller.value().close();
            }
            assertThat(caller.error()).isInstanceOf(IOException.class)
                    .isNotInstanceOf(ContentLengthMismatchException.class)
                    .hasMessageContaining("returned " + (length < 0 ? -2 : 9) + " from a read of at most");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(received).as("complete requests the server received").isEmpty();
        }
    }

    /**
     * A source whose first read gives "abc" and returns 3 (chunked, {@code count} -2), or writes {@code count} bytes
     * ("abcdef" and more) for a read of 6 and returns {@code count}; then the end, or {@code count} again.
     */
    private static InputStream brokenCount(int count) {
        return new InputStream() {
            private int calls;

            @Override
            public int read() {
                throw new UnsupportedOperationException("the transport reads arrays");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                calls++;
                if (count < 0) {
                    if (calls > 1) {
                        return count;
                    }
                    b[off] = 'a';
                    b[off + 1] = 'b';
                    b[off + 2] = 'c';
                    return 3;
                }
                if (calls > 1) {
                    return -1;
                }
                for (int i = 0; i < count; i++) {
                    b[off + i] = (byte) ('a' + i);
                }
                return count;
            }
        };
    }

    /** Where an E39 caller is when its interrupt and its body's failure race in. */
    enum E39Moment {
        /** The server keeps reading; the caller waits for its response. */
        AWAITING_RESPONSE,
        /**
         * The server closed the connection after the head: the caller, which saw the close while its body was
         * still being written, waits for the write loop to say whether that body failed (E5).
         */
        CONNECTION_FAILED
    }

    /**
     * E39, E5, E10: a caller (virtual and platform, alternately) whose chunked upload's source yields a few bytes,
     * then blocks until the test lets it throw an {@code IOException} of the test's own, is interrupted at about the
     * moment the source throws (the interrupt first, the failure first, or the failure and a swept spin later),
     * while it waits for its response, or (the server having closed the connection after the head) while it waits
     * for the write loop's word on its body. Whatever the interleaving, the caller sees exactly one of: its
     * source's exception, the very instance, with its interrupt status still set (the interrupt was not the
     * outcome, so it is kept; unless it came only after {@code roundTrip} returned, which the caller checks once
     * the test has sent it); or an {@code InterruptedException} with a message and the status cleared (Java's
     * convention for the thrown interrupt, E10). Never a connection failure that hides both, never the interrupt
     * lost or doubled. Its connection is closed and its {@code done()} reported once. A failure means the wait
     * for the body's word, interrupted, gave up on it and reported the server's close ("server closed the
     * connection before sending a response", interrupt set) instead: every third round interrupts the caller
     * while it is parked in that wait, before its source may fail, so the window is always hit.
     */
    @ParameterizedTest
    @EnumSource(E39Moment.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E39_anInterruptRacingTheBodysFailureEndsTheRequestWithOneOfThemExactly(E39Moment moment) throws Exception {
        int rounds = 120;
        java.util.List<String> violations = new java.util.ArrayList<>();
        java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
        java.util.Map<HttpRequest, java.util.concurrent.atomic.AtomicInteger> done = new java.util.concurrent.ConcurrentHashMap<>();
        RequestListener events = new RequestListener() {
            @Override
            public void done(HttpRequest request, Throwable error) {
                done.computeIfAbsent(request, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     if (moment == E39Moment.CONNECTION_FAILED) {
                         c.readBody(4 + 16 + 2); // the first chunk: the source is being read again, and blocks
                         c.socket.close(); // the request is being written when the client sees the close
                     } else {
                         c.readUntilClosed();
                     }
                 }
             });
             Transport t = Transport.builder().listener(events).build()) {
            for (int i = 0; i < rounds; i++) {
                boolean virtual = i % 2 == 0;
                IOException boom = new IOException("the body's own failure, round " + i);
                CountDownLatch blocked = new CountDownLatch(1);
                CountDownLatch fail = new CountDownLatch(1);
                HttpRequest post = HttpRequest.newBuilder(server.uri("/upload/" + i))
                        .POST(RequestBody.ofStream(() -> failingAfter(16, () -> {
                            blocked.countDown();
                            try {
                                fail.await(); // the write loop's thread: the test lets it fail
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }, boom), -1, "application/octet-stream")).build();
                // The status as roundTrip left it, and, once the test has sent its one interrupt, whether it came
                // only after roundTrip had returned (then the status right after it says nothing).
                java.util.concurrent.atomic.AtomicBoolean interruptedAfter = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicBoolean interruptedLater = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicBoolean sent = new java.util.concurrent.atomic.AtomicBoolean();
                Caller<Integer> caller = Caller.start(virtual, "e39-" + i, () -> {
                    try (HttpResponse r = t.roundTrip(post)) {
                        return r.status();
                    } finally {
                        interruptedAfter.set(Thread.interrupted());
                        Lifecycle.await(sent::get, Lifecycle.BOUND, "the interrupt sent");
                        interruptedLater.set(Thread.interrupted());
                    }
                });
                assertThat(blocked.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("round %d: source read", i).isTrue();
                String waitsIn = moment == E39Moment.CONNECTION_FAILED ? "callersBodyFailure" : "awaitResponse";
                Lifecycle.await(() -> Lifecycle.parkedIn(caller.thread, waitsIn) || !caller.thread.isAlive(), Lifecycle.BOUND,
                        "round " + i + ": the caller waiting in " + waitsIn);
                switch (i % 3) {
                    case 0 -> {
                        caller.thread.interrupt();
                        sent.set(true);
                        fail.countDown();
                    }
                    case 1 -> {
                        fail.countDown();
                        caller.thread.interrupt();
                        sent.set(true);
                    }
                    default -> {
                        fail.countDown();
                        long until = System.nanoTime() + (i * 7_919L) % 200_000;
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        caller.thread.interrupt();
                        sent.set(true);
                    }
                }
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("round %d: request ended", i).isTrue();
                Throwable e = caller.error();
                boolean set = interruptedAfter.get();
                boolean later = interruptedLater.get();
                String kind = virtual ? "virtual" : "platform";
                String outcome;
                if (e == boom && set) {
                    outcome = "the body's exception, interrupt kept";
                } else if (e == boom && later) {
                    outcome = "the body's exception, interrupt after roundTrip returned";
                } else if (e instanceof InterruptedException && e.getMessage() != null && !set && !later) {
                    outcome = "InterruptedException";
                } else {
                    outcome = null;
                    violations.add(i + " (" + kind + ", " + moment + "): " + (e == null ? "a response " + caller.value() : e)
                            + ", interrupt status " + (set ? "set" : "clear") + (later ? " (interrupted again later)" : ""));
                }
                if (outcome != null) {
                    outcomes.merge(outcome, 1, Integer::sum);
                }
                Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "round " + i + ": connection closed");
                java.util.concurrent.atomic.AtomicInteger n = done.get(post);
                if (n == null || n.get() != 1) {
                    violations.add(i + " (" + kind + ", " + moment + "): done() reported " + (n == null ? 0 : n.get()) + " times");
                }
            }
            assertThat(t.stats().retries()).as("retries").isZero();
        }
        assertThat(violations).as("outcomes seen: %s", outcomes).isEmpty();
        // Every third round interrupts the caller while it is parked in the wait, before its source may fail.
        assertThat(outcomes.getOrDefault("InterruptedException", 0) + outcomes.getOrDefault("the body's exception, interrupt kept", 0))
                .as("rounds whose interrupt landed inside roundTrip (%s)", outcomes).isGreaterThanOrEqualTo(rounds / 3);
    }

    /** How an E47 request ends while it waits for the write loop's word on its body. */
    enum End {
        CONTEXT, REQUEST_TIMEOUT, INTERRUPT
    }

    /**
     * A chunked body's source: 16 bytes, then a read that blocks until the stream is closed (a request that ends
     * without a response closes it, E18), as a pipe whose writer stalls.
     */
    private static InputStream sixteenBytesThenBlocking(CountDownLatch blocked) {
        CountDownLatch closed = new CountDownLatch(1);
        return new InputStream() {
            private int left = 16;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left > 0) {
                    int n = Math.min(len, left);
                    left -= n;
                    return n;
                }
                blocked.countDown();
                try {
                    if (!closed.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("the body's stream was never closed");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
                throw new IOException("the body's stream is closed");
            }

            @Override
            public void close() {
                closed.countDown();
            }
        };
    }

    /**
     * E47, P13, E10: the server closes the connection after the head and the first chunk of an upload whose
     * source then blocks (the write loop is inside the source's read, not the socket), so the caller, which saw
     * the connection fail while its body was still being written, waits for the write loop's word on whether
     * that body failed (E5): a wait the early-response grace (250 ms) bounds, since no word comes. That wait ends
     * with the request: its context cancelled (the caller parked in the wait), its own timeout (100 ms, shorter
     * than the grace) passing, or an interrupt; the outcome is that end, as P13 orders it before any connection
     * failure: {@link RequestCancelledException} ({@code CONTEXT}), {@link HttpTimeoutException} ({@code REQUEST}),
     * an {@link InterruptedException} with a message. The connection is closed and the body's stream with it.
     * Before, the wait watched only the interrupt: a cancelled or timed-out request ran out the grace and then
     * failed as the server closing the connection ({@code SERVER_CLOSED_BEFORE_RESPONSE}), its cancellation lost.
     */
    @ParameterizedTest
    @EnumSource(End.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E47_theWaitForTheBodysWordAfterTheConnectionFailedEndsWithTheRequest(End how) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     c.readBody(4 + 16 + 2); // the first chunk: the source is being read again, and blocks
                     c.socket.close(); // the request is being written when the client sees the close
                 }
             });
             Transport t = Transport.builder().build()) {
            // The same path once, without an end of its own, so that the request below spends its time on the wire,
            // not in code run for the first time: it waits out the grace and fails as the server's close.
            HttpRequest warmUp = HttpRequest.newBuilder(server.uri("/warm-up"))
                    .POST(RequestBody.ofStream(() -> sixteenBytesThenBlocking(new CountDownLatch(1)), -1, "application/octet-stream"))
                    .build();
            assertThatThrownBy(() -> t.roundTrip(warmUp).close()).isInstanceOf(HttpProtocolException.class);
            CountDownLatch blocked = new CountDownLatch(1);
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStream(() -> sixteenBytesThenBlocking(blocked), -1, "application/octet-stream"));
            if (how == End.REQUEST_TIMEOUT) {
                b.timeout(Duration.ofMillis(100)); // shorter than the grace: it passes while the caller waits
            }
            HttpRequest post = b.build();
            CancellableContext ctx = Context.withCancel(Context.background());
            try {
                Caller<Integer> caller = Caller.virtual("uploader", () -> {
                    try (HttpResponse r = t.roundTrip(post, ctx)) {
                        return r.status();
                    }
                });
                assertThat(blocked.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("source read again").isTrue();
                if (how != End.REQUEST_TIMEOUT) {
                    Lifecycle.await(() -> Lifecycle.parkedIn(caller.thread, "callersBodyFailure"), Lifecycle.BOUND,
                            "the caller waiting for the write loop's word on its body");
                }
                switch (how) {
                    case CONTEXT -> ctx.cancel();
                    case INTERRUPT -> caller.thread.interrupt();
                    case REQUEST_TIMEOUT -> { } // its own timer
                }
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("request ended").isTrue();
                Throwable e = caller.error();
                switch (how) {
                    case CONTEXT -> assertThat(e).isInstanceOf(RequestCancelledException.class)
                            .hasMessageContaining("cancelled")
                            .satisfies(x -> assertThat(((RequestCancelledException) x).reason())
                                    .isEqualTo(RequestCancelledException.Reason.CONTEXT));
                    case REQUEST_TIMEOUT -> assertThat(e).isInstanceOf(HttpTimeoutException.class)
                            .hasMessageContaining("timed out")
                            .satisfies(x -> assertThat(((HttpTimeoutException) x).kind())
                                    .isEqualTo(HttpTimeoutException.Kind.REQUEST));
                    case INTERRUPT -> assertThat(e).isInstanceOf(InterruptedException.class).hasMessageContaining("interrupted");
                }
                // E154: the connection's failure came first, and is kept under the end (it was lost on this path).
                assertThat(e.getSuppressed()).as("the connection's failure kept under the end").isNotEmpty();
                Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "connection closed");
                assertThat(t.stats().retries()).as("retries").isZero();
            } finally {
                ctx.cancel();
            }
        }
    }

    /**
     * E51, E24, E23: as in the E47 test, the server closes the connection after the head and the first chunk of an
     * upload whose source then blocks, and the caller waits for the write loop's word on its body; closing the
     * transport then ends that wait at once, with the outcome every other wait of a request gives when the transport
     * closes: {@link RequestCancelledException} ({@code TRANSPORT_CLOSED}), not retried, and only once the close is
     * complete. Before, nothing the close did reached that wait (the connection was already closed): the request ran
     * out the early-response grace and then failed as the server's close ({@code SERVER_CLOSED_BEFORE_RESPONSE}).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E51_closingTheTransportEndsTheWaitForTheBodysWordAsCancelled() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     c.readBody(4 + 16 + 2); // the first chunk: the source is being read again, and blocks
                     c.socket.close(); // the request is being written when the client sees the close
                 }
             });
             Transport t = Transport.builder().build()) {
            CountDownLatch blocked = new CountDownLatch(1);
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStream(() -> sixteenBytesThenBlocking(blocked), -1, "application/octet-stream"))
                    .build();
            Caller<Integer> caller = Caller.virtual("uploader", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            assertThat(blocked.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)).as("source read again").isTrue();
            Lifecycle.await(() -> Lifecycle.parkedIn(caller.thread, "callersBodyFailure"), Lifecycle.BOUND,
                    "the caller waiting for the write loop's word on its body");
            t.close();
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(() -> { });
            assertThat(ended).as("request ended").isTrue();
            assertThat(caller.error()).isInstanceOf(RequestCancelledException.class)
                    .hasMessageContaining("cancelled")
                    .satisfies(x -> assertThat(((RequestCancelledException) x).reason())
                            .isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
            assertThat(t.stats().open()).as("open when the request failed").isZero();
            assertThat(t.stats().retries()).as("retries").isZero();
        }
    }

    /**
     * Where user code on a request's write path throws an {@link Error} (E48). Not the stream's {@code available()}:
     * the transport no longer asks it (E19, E91; a chunked body's case here was the last that did).
     */
    enum ErrorAt {
        SUPPLIER, READ, CLOSE, LISTENER_WROTE_HEADERS, LISTENER_WROTE_REQUEST
    }

    /**
     * An {@link Error} thrown by user code on the write path (the body's supplier, its stream's {@code read}
     * or {@code close}, a listener's {@code wroteHeaders} or {@code wroteRequest} on the write
     * loop) fails its request promptly with that very Error: never as the connection's failure (before, the
     * write was taken for a connection failure after bytes went out, and the request waited the early-response
     * grace and failed as an {@link HttpConnectionException}; an Error in {@code close} or {@code wroteRequest}
     * ended the write loop's goroutine with no report, and the request waited for a response for good). The
     * request is not retried, no connection loop dies of it, and the transport serves the next request.
     */
    @ParameterizedTest
    @EnumSource(ErrorAt.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E48_anErrorFromUserCodeOnTheWritePathFailsTheRequestWithIt(ErrorAt where) throws Exception {
        AssertionError bug = new AssertionError("user code says no in " + where);
        java.util.Queue<String> loopDeaths = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.function.BiConsumer<io.gochan.Goroutine, Throwable> previous = io.gochan.Goroutines.setUncaughtExceptionHandler((g, e) -> {
            if (g.name().startsWith("http-")) {
                loopDeaths.add(g.name() + ": " + e);
            }
            io.gochan.Goroutines.defaultUncaughtExceptionHandler().accept(g, e);
        });
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        RequestListener listener = new RequestListener() {
            @Override
            public void wroteHeaders(HttpRequest request) {
                if (where == ErrorAt.LISTENER_WROTE_HEADERS && request.uri().getPath().equals("/upload")) {
                    throw bug;
                }
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable err) {
                if (where == ErrorAt.LISTENER_WROTE_REQUEST && request.uri().getPath().equals("/upload")) {
                    throw bug;
                }
            }
        };
        // The server reads each request and answers only /next: the upload's outcome is the write path's alone.
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRawRequest()) != null; ) {
                     c.answerGet(head, "/next ");
                 }
             });
             Transport t = Transport.builder().listener(listener).build()) {
            long length = 10;
            RequestBody body = RequestBody.ofStream(() -> {
                opened.incrementAndGet();
                if (where == ErrorAt.SUPPLIER) {
                    throw bug;
                }
                return new InputStream() {
                    private int left = 10;

                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0];
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (where == ErrorAt.READ) {
                            throw bug;
                        }
                        if (left == 0) {
                            return -1;
                        }
                        int n = Math.min(len, left);
                        left -= n;
                        return n;
                    }

                    @Override
                    public int available() {
                        return left;
                    }

                    @Override
                    public void close() {
                        if (where == ErrorAt.CLOSE) {
                            throw bug;
                        }
                    }
                };
            }, length, "application/octet-stream");
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload")).POST(body).build();
            Caller<Integer> caller = Caller.virtual("post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("request ended within %s", Lifecycle.BOUND).isTrue();
            assertThat(caller.error()).as("the request's failure").isSameAs(bug);
            assertThat(opened.get()).as("body opened once: not retried").isEqualTo(1);
            try (HttpResponse next = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).build())) {
                assertThat(next.body().string()).isEqualTo("ok");
            }
        } finally {
            Leaks.assertNoTransportGoroutines();
            io.gochan.Goroutines.setUncaughtExceptionHandler(previous);
        }
        assertThat(loopDeaths).as("connection loops that died of the Error").isEmpty();
    }
}
