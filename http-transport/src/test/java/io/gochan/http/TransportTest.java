package io.gochan.http;

import io.gochan.leakcheck.NoGoroutineLeaks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Properties T1–T12 (docs/spec/transport.md), against real servers on loopback. */
@NoGoroutineLeaks
class TransportTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    static String describe(java.util.Collection<Throwable> errors) {
        java.io.StringWriter w = new java.io.StringWriter();
        errors.forEach(e -> e.printStackTrace(new java.io.PrintWriter(w)));
        return w.toString();
    }

    static String ok(RawServer.Conn c, String body) throws IOException {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void T5_bodyReadToEofReturnsTheConnectionAndTheNextRequestReusesIt() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "hello"));
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 5; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/x").toString()))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("hello");
                }
            }
            TransportStats s = t.stats();
            assertThat(s.dialed()).isEqualTo(1);
            assertThat(s.reused()).isEqualTo(4);
            assertThat(s.idle()).isEqualTo(1);
            assertThat(s.inUse()).isZero();
        }
    }

    @Test
    void T6_bodyClosedBeforeEofClosesTheConnection() throws Exception {
        String big = "x".repeat(200_000);
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, big));
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().stream().read(new byte[10])).isEqualTo(10);
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).hasSize(big.length());
            }
            assertThat(t.stats().dialed()).isEqualTo(2);
            assertThat(t.stats().reused()).isZero();
        }
    }

    @Test
    void aBodyThatIsNeverClosedIsReclaimedWhenGarbageCollected() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "x".repeat(100_000)));
             Transport t = Transport.builder().build()) {
            Leaks.assertDroppedBodyIsReclaimed(t, server.uri("/"));
        }
    }

    @Test
    void T1_afterMixedOutcomesAndCloseNoLoopThreadOrSocketRemains() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 if (ex.getRequestURI().getPath().equals("/fail")) {
                     ex.sendResponseHeaders(500, -1);
                     ex.close();
                 } else {
                     JdkServer.respond(ex, 200, "fine");
                 }
             });
             Transport t = Transport.builder().maxIdleConnsPerHost(4).build()) {
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri(n % 3 == 0 ? "/fail" : "/ok").toString()))) {
                        if (n % 2 == 0) {
                            r.body().string();
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            for (Thread th : threads) {
                assertThat(th.join(Duration.ofSeconds(30))).isTrue();
            }
            assertThat(errors).as(() -> describe(errors)).isEmpty();
            t.close();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "no open connection");
        }
    }

    @Test
    void T11_aBodylessResponseIsDeliveredEvenWhenThePoolClosesItsConnectionOnRelease() throws Exception {
        // A body-less response pools its connection before handing the response over; with one idle
        // slot per host most releases close the surplus connection at once. The waiting caller must
        // still get its response, never the close (it once got "connection closed: idle limit reached").
        try (JdkServer server = JdkServer.http(ex -> {
                 ex.sendResponseHeaders(204, -1);
                 ex.close();
             });
             Transport t = Transport.builder().maxIdleConnsPerHost(1).listener(new RequestListener() {
                 @Override
                 public void done(HttpRequest request, Throwable error) {
                     for (int i = 0; i < 100; i++) {
                         Thread.yield(); // a listener that takes a moment widens the window between pooling and hand-over
                     }
                 }
             }).build()) {
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < 16; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int j = 0; j < 25; j++) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                            assertThat(r.status()).isEqualTo(204);
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            for (Thread th : threads) {
                assertThat(th.join(Duration.ofSeconds(60))).isTrue();
            }
            assertThat(errors).as(() -> describe(errors)).isEmpty();
        }
    }

    @Test
    void T2_callerCancelsWhileTheResponseIsInFlight() throws Exception {
        CountDownLatch requestSeen = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 requestSeen.countDown();
                 release.await();
                 c.write(ok(c, "late"));
             });
             Transport t = Transport.builder().build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            Thread canceller = Thread.ofVirtual().start(() -> {
                try {
                    requestSeen.await();
                    ctx.cancel();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/").toString()), ctx))
                    .isInstanceOf(InterruptedIOException.class).hasMessageContaining("cancelled");
            release.countDown();
            canceller.join();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "cancelled connection closed, not pooled");
            assertThat(t.stats().idle()).isZero();
        }
    }

    @Test
    void T2_interruptWhileWaitingForHeaders() throws Exception {
        CountDownLatch requestSeen = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 requestSeen.countDown();
                 c.in.read(); // until the client closes
             });
             Transport t = Transport.builder().build()) {
            AtomicInteger outcome = new AtomicInteger();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    t.roundTrip(HttpRequest.get(server.uri("/").toString()));
                    outcome.set(1);
                } catch (InterruptedException e) {
                    outcome.set(2);
                } catch (IOException e) {
                    outcome.set(3);
                }
            });
            requestSeen.await();
            caller.interrupt();
            assertThat(caller.join(Duration.ofSeconds(20))).isTrue();
            assertThat(outcome.get()).isEqualTo(2);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "interrupted connection closed");
        }
    }

    @Test
    void T4_responseBeforeTheBodyIsFullyWrittenIsDeliveredAndTheConnectionNotReusedUnlessTheWriteFinished() throws Exception {
        byte[] big = new byte[8 * 1024 * 1024];
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope");
                 c.socket.shutdownOutput();
                 c.in.readNBytes(1024); // read a little, then close without reading the rest
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.of(big, "application/octet-stream")).build())) {
                assertThat(r.status()).isEqualTo(413);
                assertThat(r.body().string()).isEqualTo("nope");
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection not reused");
            assertThat(t.stats().idle()).isZero();
        }
    }

    @Test
    void T3_writeLoopNeverBlocksAfterTheCallerLeft() throws Exception {
        // The caller gives up (deadline) while its large body is still being written; the write loop
        // must end (its result send cannot block) and nothing may stay alive.
        CountDownLatch endOfTest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 endOfTest.await(); // stall without reading the body
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/"))
                    .POST(RequestBody.of(new byte[16 * 1024 * 1024], "application/octet-stream"))
                    .timeout(Duration.ofMillis(200)).build();
            assertThatThrownBy(() -> t.roundTrip(req)).isInstanceOf(SocketTimeoutException.class);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
            endOfTest.countDown();
        }
    }

    @Test
    void T7_reusedConnectionClosedByTheServerWhileIdleIsRetriedForIdempotentRequests() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
                 // then close the keep-alive connection while the client thinks it is idle
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            Leaks.awaitTrue(() -> server.accepted() == 1, "first connection");
            // The idle connection may or may not have noticed the close yet: either way GET succeeds.
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    @Test
    void T7_nonReplayablePostOnAStaleConnectionFailsClearly() throws Exception {
        CountDownLatch secondRequestStarted = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     c.readRequest();
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     // Read the next request fully, then close without answering: the request was written.
                     String head = c.readRequestHead();
                     secondRequestStarted.countDown();
                     if (head != null) {
                         c.readBody(3);
                     }
                 } else {
                     c.readRequest();
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a").toString()))) {
                r.body().string();
            }
            HttpRequest post = HttpRequest.newBuilder(server.uri("/p"))
                    .POST(RequestBody.ofStreamOnce(new java.io.ByteArrayInputStream("abc".getBytes()), 3, "text/plain"))
                    .build();
            assertThatThrownBy(() -> t.roundTrip(post)).isInstanceOf(IOException.class)
                    .hasMessageContaining("server closed the connection before sending a response");
            assertThat(t.stats().retries()).isZero();
        }
    }

    @Test
    void T8_maxConnsPerHostIsNeverExceeded() throws Exception {
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        try (JdkServer server = JdkServer.http(ex -> {
                 int n = concurrent.incrementAndGet();
                 maxConcurrent.accumulateAndGet(n, Math::max);
                 for (int i = 0; i < 1000; i++) {
                     Thread.yield();
                 }
                 concurrent.decrementAndGet();
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().maxConnsPerHost(3).maxIdleConnsPerHost(3).build()) {
            List<Thread> callers = new ArrayList<>();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < 32; i++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    for (int j = 0; j < 5; j++) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                            r.body().string();
                            TransportStats s = t.stats();
                            assertThat(s.open() + s.dialing()).isLessThanOrEqualTo(3);
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            for (Thread c : callers) {
                assertThat(c.join(Duration.ofSeconds(60))).isTrue();
            }
            assertThat(errors).as(() -> describe(errors)).isEmpty();
            assertThat(t.stats().dialed()).isLessThanOrEqualTo(3);
            assertThat(maxConcurrent.get()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void T9_responseHeaderTimeoutClosesTheConnectionAndFailsOnlyThatRequest() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequest();
                 if (head != null && head.startsWith("GET /slow")) {
                     c.in.read(); // never answer
                 } else if (head != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             // 1 s, not less: the /fast request must get its head within it too, also on a loaded machine.
             Transport t = Transport.builder().responseHeaderTimeout(Duration.ofSeconds(1)).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/slow").toString())))
                    .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("response headers");
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/fast").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    @Test
    void T10_malformedResponsesFailWithTheirOwnReasonAndAreNeverPooled() throws Exception {
        String[][] cases = {
            {"HTTP/1.1 2x0 OK\r\n\r\n", "BAD_STATUS_CODE"},
            {"HTTX/1.1 200 OK\r\n\r\n", "MALFORMED_STATUS_LINE"},
            {"HTTP/2.0 200 OK\r\n\r\n", "UNSUPPORTED_VERSION"},
            {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "MALFORMED_HEADER"},
            {"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "MALFORMED_HEADER"},
            {"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "OBSOLETE_LINE_FOLDING"},
            {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", "CONFLICTING_FRAMING"},
            {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", "CONFLICTING_CONTENT_LENGTH"},
            {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "INVALID_CONTENT_LENGTH"},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "UNSUPPORTED_TRANSFER_ENCODING"},
            {"HTTP/1.1 200 OK\r\nA: b\u0000c\r\n\r\n", "INVALID_CHARACTER"},
            {"HTTP/1.1 200 OK\r\nX: " + "y".repeat(9000) + "\r\n\r\n", "LINE_TOO_LONG"},
        };
        for (String[] c : cases) {
            try (RawServer server = RawServer.start(conn -> {
                     conn.readRequest();
                     conn.write(c[0]);
                     conn.in.read();
                 });
                 Transport t = Transport.builder().build()) {
                assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/").toString())))
                        .as(c[1])
                        .isInstanceOfSatisfying(HttpProtocolException.class,
                                e -> assertThat(e.reason().name()).isEqualTo(c[1]));
                Leaks.awaitTrue(() -> t.stats().open() == 0, "closed after " + c[1]);
            }
        }
    }

    @Test
    void T10_bodyErrorsSurfaceWhileReading() throws Exception {
        String[][] cases = {
            {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "PREMATURE_EOF"},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "BAD_CHUNK"},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", "BAD_CHUNK"},
        };
        for (String[] c : cases) {
            try (RawServer server = RawServer.start(conn -> {
                     conn.readRequest();
                     conn.write(c[0]);
                 });
                 Transport t = Transport.builder().build()) {
                HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()));
                assertThatThrownBy(() -> r.body().bytes()).as(c[1])
                        .isInstanceOfSatisfying(HttpProtocolException.class,
                                e -> assertThat(e.reason().name()).isEqualTo(c[1]));
                Leaks.awaitTrue(() -> t.stats().open() == 0, "closed after " + c[1]);
            }
        }
    }

    @Test
    void chunkedBodyWithTrailersHeadAnd204() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("HEAD")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                     } else if (head.startsWith("DELETE")) {
                         c.write("HTTP/1.1 204 No Content\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                                 + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("hello world");
                assertThat(r.trailers().get("x-sum")).isEqualTo("42");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).HEAD().build())) {
                assertThat(r.headers().get("Content-Length")).isEqualTo("1000");
                assertThat(r.body().bytes()).isEmpty();
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).DELETE().build())) {
                assertThat(r.status()).isEqualTo(204);
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(2);
        }
    }

    @Test
    void gzipIsDecodedOnlyWhenTheTransportAskedForIt() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write("compressed text".getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = gz.toByteArray();
        try (JdkServer server = JdkServer.http(ex -> {
                 boolean asked = "gzip".equals(ex.getRequestHeaders().getFirst("Accept-Encoding"));
                 ex.getResponseHeaders().add("Content-Encoding", "gzip");
                 ex.getResponseHeaders().add("X-Asked", String.valueOf(asked));
                 ex.sendResponseHeaders(200, body.length);
                 ex.getResponseBody().write(body);
                 ex.close();
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.headers().get("X-Asked")).isEqualTo("true");
                assertThat(r.headers().contains("Content-Encoding")).isFalse();
                assertThat(r.body().string()).isEqualTo("compressed text");
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).header("Accept-Encoding", "gzip").build())) {
                assertThat(r.headers().get("Content-Encoding")).isEqualTo("gzip");
                assertThat(r.body().bytes()).isEqualTo(body);
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    @Test
    void postBodiesKnownAndUnknownLength() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 byte[] in = JdkServer.body(ex);
                 String te = String.valueOf(ex.getRequestHeaders().getFirst("Transfer-Encoding"));
                 JdkServer.respond(ex, 200, in.length + " " + te);
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).POST(RequestBody.of("12345")).build())) {
                assertThat(r.body().string()).isEqualTo("5 null");
            }
            byte[] data = new byte[100_000];
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/"))
                    .POST(RequestBody.ofStream(() -> new java.io.ByteArrayInputStream(data), -1, "application/octet-stream")).build())) {
                assertThat(r.body().string()).isEqualTo("100000 chunked");
            }
        }
    }

    @Test
    void requestSideValidationRejectsBeforeAnythingIsWritten() {
        assertThatThrownBy(() -> HttpRequest.newBuilder(java.net.URI.create("http://h/")).header("X-A", "a\r\nInjected: 1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("X-A");
        assertThatThrownBy(() -> HttpRequest.newBuilder(java.net.URI.create("http://h/")).header("Bad Name", "v"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpRequest.newBuilder(java.net.URI.create("http://h/")).header("X", "nul\u0000"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpRequest.newBuilder(java.net.URI.create("http://h/")).method("GE T", RequestBody.none()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(HttpRequest.get("http://h/p#frag").uri().toString()).isEqualTo("http://h/p");
        assertThatThrownBy(() -> HttpRequest.get("ftp://h/")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void httpsWithHostnameVerification() throws Exception {
        try (JdkServer server = JdkServer.https(ex -> JdkServer.respond(ex, 200, "secure"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.localhostUri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("secure");
            }
        }
        try (JdkServer server = JdkServer.https(ex -> JdkServer.respond(ex, 200, "secure"));
             Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.localhostUri("/").toString())))
                    .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        }
    }

    @Test
    void T12_stormOfConcurrentRequestsWithRandomCancellation() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 int n = Integer.parseInt(ex.getRequestURI().getQuery());
                 JdkServer.respond(ex, 200, "r".repeat(n % 5000));
             });
             Transport t = Transport.builder().maxConnsPerHost(8).maxIdleConnsPerHost(8).build()) {
            int requests = 400;
            AtomicInteger ended = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            Random rnd = new Random(12);
            for (int i = 0; i < requests; i++) {
                int n = i;
                boolean cancel = rnd.nextBoolean();
                int cancelAfterSpins = rnd.nextInt(2000);
                threads.add(Thread.ofVirtual().start(() -> {
                    CancellableContext ctx = Context.withCancel(Context.background());
                    Thread canceller = cancel ? Thread.ofVirtual().start(() -> {
                        for (int s = 0; s < cancelAfterSpins; s++) {
                            Thread.yield();
                        }
                        ctx.cancel();
                    }) : null;
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/?" + n).toString()), ctx)) {
                        InputStream in = r.body().stream();
                        in.readAllBytes();
                    } catch (InterruptedIOException | HttpProtocolException e) {
                        // cancelled: fine
                    } catch (IOException e) {
                        if (!cancel) {
                            unexpected.add(e);
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    } finally {
                        ended.incrementAndGet();
                        try {
                            if (canceller != null) {
                                canceller.join();
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }));
            }
            for (Thread th : threads) {
                assertThat(th.join(Duration.ofSeconds(60))).isTrue();
            }
            assertThat(ended.get()).isEqualTo(requests);
            assertThat(unexpected).as(() -> describe(unexpected)).isEmpty();
            Leaks.awaitTrue(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0, "pool back to idle");
            assertThat(t.stats().open()).isLessThanOrEqualTo(8);
        }
    }

    /**
     * E54: request A is in flight on connection 0; request B, sent before A's body is read and closed, finds no idle
     * connection and dials, and its dial hangs. When A's body is closed, B is answered on connection 0 (the pool
     * hands the connection put back to the request dialing for itself, as Go's transport does); the hung dial's
     * connection, when it comes, goes idle. Before, B waited for its own dial until its timeout.
     */
    @Test
    void E54_aRequestWhoseDialHangsIsAnsweredOnAConnectionPutBackMeanwhile() throws Exception {
        CountDownLatch secondDialStarted = new CountDownLatch(1);
        CountDownLatch releaseDial = new CountDownLatch(1);
        AtomicInteger dials = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + c.index);
                 }
             });
             Transport t = Transport.builder().dialer((host, port, timeout) -> {
                 if (dials.incrementAndGet() > 1) {
                     secondDialStarted.countDown();
                     try {
                         releaseDial.await(); // a dial that hangs (a slow handshake) until the test lets it through
                     } catch (InterruptedException e) {
                         throw new InterruptedIOException("dial interrupted (test)");
                     }
                 }
                 return new java.net.Socket(host, port);
             }).build()) {
            java.util.concurrent.atomic.AtomicReference<Object> bOutcome = new java.util.concurrent.atomic.AtomicReference<>();
            Thread b;
            try {
                HttpResponse a = t.roundTrip(HttpRequest.get(server.uri("/a").toString()));
                b = Thread.ofVirtual().start(() -> {
                    HttpRequest req = HttpRequest.newBuilder(server.uri("/b")).timeout(Duration.ofSeconds(5)).build();
                    try (HttpResponse r = t.roundTrip(req)) {
                        bOutcome.set(r.body().string());
                    } catch (Throwable e) {
                        bOutcome.set(e);
                    }
                });
                assertThat(secondDialStarted.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("B dials").isTrue();
                try (a) {
                    assertThat(a.body().string()).isEqualTo("0");
                }
                assertThat(b.join(Duration.ofSeconds(15))).as("B ended").isTrue();
                assertThat(bOutcome.get()).as("B's answer (connection index) or failure").isEqualTo("0");
            } finally {
                releaseDial.countDown();
            }
            Leaks.awaitTrue(() -> t.stats().dialing() == 0 && t.stats().idle() == 2, "the hung dial's connection went idle");
            assertThat(t.stats().dialed()).isEqualTo(2);
            assertThat(server.failures()).isEmpty();
        }
    }
}
