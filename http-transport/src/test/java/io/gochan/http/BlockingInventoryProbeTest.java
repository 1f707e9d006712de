package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The transport's waits with their timeouts at the extremes (E78, I7); a buffered body's read interrupted while it
 * waits, and the transport's closes on an interrupted thread (E80). {@code roundTrip} interrupted in each of its
 * phases is {@code InterruptPhaseProbeTest}'s (E62).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockingInventoryProbeTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    static Duration extreme(boolean seconds) {
        return seconds ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofNanos(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void E78_theLongestDialAndIdleTimeoutsServeTheRequest(boolean seconds) throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "hello"));
             Transport t = Transport.builder().dialTimeout(extreme(seconds)).idleConnTimeout(extreme(seconds))
                     .fallbackDelay(extreme(seconds)).build()) {
            for (int i = 0; i < 2; i++) { // the second on the idle connection the reaper kept
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("hello");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void E78_theLongestBodyReadTimeoutWaitsForTheRestOfTheBody(boolean seconds) throws Exception {
        CountDownLatch rest = new CountDownLatch(1);
        try (JdkServer server = JdkServer.http(ex -> {
                 ex.sendResponseHeaders(200, 10);
                 try (OutputStream out = ex.getResponseBody()) {
                     out.write("first".getBytes(StandardCharsets.ISO_8859_1));
                     out.flush();
                     rest.await(30, TimeUnit.SECONDS);
                     out.write("-rest".getBytes(StandardCharsets.ISO_8859_1));
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
             });
             Transport t = Transport.builder().bodyReadTimeout(extreme(seconds)).build();
             HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
            InputStream body = r.body().stream();
            assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
            CompletableFuture<String> tail = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(body.readAllBytes(), StandardCharsets.ISO_8859_1);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            try {
                // A lower bound, not a speed: the read waits through several of its 100 ms slices (before, the
                // first one's end threw ArithmeticException); it may only pass falsely on a stalled machine.
                tail.get(1, TimeUnit.SECONDS);
                throw new AssertionError("the read ended before the rest was sent: " + tail);
            } catch (TimeoutException stillWaiting) {
                // expected
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("the read failed while it waited", e.getCause());
            } finally {
                rest.countDown();
            }
            assertThat(tail.get(30, TimeUnit.SECONDS)).isEqualTo("-rest");
        }
    }

    /**
     * The timeouts E78 leaves out, at their extremes: the longest wait as long as it takes; those documented to read a
     * negative value as none ({@code responseHeaderTimeout}, {@code expectContinueTimeout}, the client's) read
     * {@code Duration.ofSeconds(Long.MIN_VALUE)} so (the handshake and request timeouts refuse a negative one).
     */
    @ParameterizedTest
    @ValueSource(strings = {"MAX_SECONDS", "MAX_NANOS", "MIN_SECONDS"})
    void E80_theExtremeHandshakeHeaderContinueRequestAndClientTimeoutsServeTheRequest(String which) throws Exception {
        Duration longest = extreme(!which.equals("MAX_NANOS"));
        Duration d = which.equals("MIN_SECONDS") ? Duration.ofSeconds(Long.MIN_VALUE) : longest;
        try (JdkServer server = JdkServer.https(ex -> {
                 byte[] got = ex.getRequestBody().readAllBytes(); // the JDK's server answers 100 Continue first
                 JdkServer.respond(ex, 200, "got " + new String(got, StandardCharsets.ISO_8859_1));
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).tlsHandshakeTimeout(longest)
                     .responseHeaderTimeout(d).expectContinueTimeout(d).build()) {
            HttpClient client = HttpClient.builder(t).timeout(d).build();
            for (int i = 0; i < 2; i++) { // the second through the client, on the pooled connection
                HttpRequest req = HttpRequest.newBuilder(server.uri("/")).header("Expect", "100-continue")
                        .POST(RequestBody.of("hello")).timeout(longest).build();
                try (HttpResponse r = i == 0 ? t.roundTrip(req) : client.send(req)) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("got hello");
                }
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    enum BodyCall {
        BYTES, STRING, STREAM_READ_ALL
    }

    @ParameterizedTest(name = "{0}, virtual caller: {1}")
    @org.junit.jupiter.params.provider.MethodSource("bodyCalls")
    void E80_aBufferedBodysReadInterruptedWhileItWaitsThrowsKeepsTheFlagAndClosesTheConnection(BodyCall call, boolean virtual)
            throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (head.startsWith("GET /stall")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                         release.await(30, TimeUnit.SECONDS);
                         c.readUntilClosed();
                         return;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/stall").toString()));
            Caller<Object[]> caller = Caller.start(virtual, "body-reader", () -> {
                try {
                    switch (call) {
                        case BYTES -> r.body().bytes();
                        case STRING -> r.body().string();
                        case STREAM_READ_ALL -> r.body().stream().readAllBytes();
                    }
                    return new Object[] {null, Thread.currentThread().isInterrupted()};
                } catch (Exception e) {
                    return new Object[] {e, Thread.currentThread().isInterrupted()};
                }
            });
            try {
                Leaks.awaitTrue(() -> !caller.thread.isAlive() || Lifecycle.inSocketRead(caller.thread), "the body read waiting");
                caller.thread.interrupt();
                assertThat(caller.join(Lifecycle.BOUND)).as("the interrupted read ended").isTrue();
            } finally {
                caller.abandon(() -> { });
                release.countDown();
            }
            assertThat((Throwable) caller.value()[0]).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(caller.value()[1]).as("the flag, kept: read cannot throw InterruptedException (E62)").isEqualTo(true);
            r.close();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the cut body's connection closed, not pooled");
            try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(next.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("a new connection for the next request").isEqualTo(2);
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> bodyCalls() {
        return java.util.stream.Stream.of(BodyCall.values()).flatMap(c -> java.util.stream.Stream.of(true, false)
                .map(v -> org.junit.jupiter.params.provider.Arguments.of(c, v)));
    }

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {true, false})
    void E80_theClosesOnAnInterruptedThreadDoTheirWorkAndKeepTheFlag(boolean virtual) throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "hello"));
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("hello");
            }
            HttpResponse held = t.roundTrip(HttpRequest.get(server.uri("/").toString())); // a second connection, in use
            // closeIdleConnections below must find an idle connection: made again only if E138 closed it instead.
            idle.warmUntilIdle(t, () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    r.body().string();
                }
            });
            Caller<boolean[]> caller = Caller.start(virtual, "closer", () -> {
                boolean[] flags = new boolean[3];
                Thread.currentThread().interrupt();
                t.closeIdleConnections();
                flags[0] = Thread.currentThread().isInterrupted();
                held.close(); // a body's close, not read to its end
                flags[1] = Thread.currentThread().isInterrupted();
                t.close();
                flags[2] = Thread.currentThread().isInterrupted();
                Thread.interrupted();
                return flags;
            });
            assertThat(caller.join(Lifecycle.BOUND)).as("the closes returned").isTrue();
            assertThat(caller.error()).isNull();
            assertThat(caller.value()).as("the flag after closeIdleConnections, body close, close").containsExactly(true, true, true);
            TransportStats s = t.stats();
            assertThat(s.open()).as("open in %s", s).isZero();
            assertThat(s.idle()).isZero();
            assertThat(s.inUse()).isZero();
        }
    }

    @ParameterizedTest(name = "virtual: {0}")
    @ValueSource(booleans = {true, false})
    void E80_aTunnelWriteBlockedOnAPeerThatDoesNotReadEndsWhenInterrupted(boolean virtual) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
                 release.await(30, TimeUnit.SECONDS); // reads nothing of the tunnel
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade")
                    .header("Upgrade", "websocket").build());
            OutputStream out = r.tunnelOutput().orElseThrow();
            Caller<Object[]> caller = Caller.start(virtual, "tunnel-writer", () -> {
                byte[] chunk = new byte[1 << 20];
                try {
                    for (int i = 0; i < 1024; i++) { // far more than the sockets' buffers hold
                        out.write(chunk);
                    }
                    return new Object[] {null, Thread.currentThread().isInterrupted()};
                } catch (Exception e) {
                    return new Object[] {e, Thread.currentThread().isInterrupted()};
                }
            });
            try {
                // The caller blocked in the socket's write itself, or waiting for the goroutine that is (either way the write waits
                // on the peer).
                Leaks.awaitTrue(() -> !caller.thread.isAlive() || Lifecycle.inSocketWrite(caller.thread)
                        || Lifecycle.tunnelWriteBlocked(caller.thread),
                        "the tunnel write blocked");
                caller.thread.interrupt();
                assertThat(caller.join(Lifecycle.BOUND)).as("the interrupted write ended").isTrue();
            } finally {
                caller.abandon(r::close);
                release.countDown();
            }
            assertThat((Throwable) caller.value()[0]).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(caller.value()[1]).as("the flag, kept: write cannot throw InterruptedException").isEqualTo(true);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the cut tunnel's connection closed");
            r.close();
        }
    }

}
