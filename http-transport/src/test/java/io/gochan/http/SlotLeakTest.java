package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E2, E3 and E4 (docs/spec/transport-lifecycle.md): a connection's slot is owned from the start of
 * its dial to its final close, whatever kills it; closing the transport ends a dial in progress;
 * a body being read belongs to whoever holds its stream.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class SlotLeakTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A server whose new connections die at once (close, reset, or a 408 and close) until it is made healthy. */
    private static final class DyingServer {
        volatile boolean healthy;

        void serve(RawServer.Conn c) throws IOException {
            if (!healthy) {
                switch (c.index % 3) {
                    case 0 -> c.socket.close();
                    case 1 -> c.reset();
                    default -> {
                        c.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                        c.socket.close();
                    }
                }
                return;
            }
            while (c.readRequest() != null) {
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        }
    }

    /** Sends one request that may fail (the storm); true if it failed waiting for a connection slot. */
    private static boolean stormRequest(Transport t, URI uri) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(500)).build();
        try (HttpResponse r = t.roundTrip(req)) {
            r.body().bytes();
            return false;
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).contains("waiting for a connection");
        }
    }

    /**
     * With two connections per host, a storm of new connections that the server kills at once
     * (close, reset, 408) must give back every slot: once the server is healthy, requests succeed,
     * and with nothing in use and the idle pool emptied, no connection counts as open.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E2_connectionsThatDieAtOnceGiveBackTheirSlots() throws Exception {
        DyingServer dying = new DyingServer();
        try (RawServer server = RawServer.start(dying::serve);
             Transport t = Transport.builder().maxConnsPerHost(2).build()) {
            URI uri = server.uri("/");
            int stormed = storm(t, uri);
            int dials = server.accepted();
            dying.healthy = true;
            for (int i = 0; i < 4; i++) {
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build();
                try (HttpResponse r = t.roundTrip(req)) {
                    assertThat(r.body().string()).as("request %d after a storm of %d dying connections", i, dials).isEqualTo("ok");
                } catch (IOException e) {
                    throw new AssertionError("request " + i + " after a storm of " + stormed + " requests (" + dials
                            + " dying connections) failed; " + t.stats(), e);
                }
            }
            t.closeIdleConnections();
            assertThat(Lifecycle.within(() -> t.stats().open() == 0, Lifecycle.BOUND))
                    .as("no connection open after %d dying dials: %s", dials, t.stats()).isTrue();
        }
    }

    /** Up to 300 requests, one after another; fewer if the slots ran out (then the rest would only wait). */
    private static int storm(Transport t, URI uri) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            if (stormRequest(t, uri)) {
                return i;
            }
        }
        return 300;
    }

    /** Without a per-host limit, the same storm must leave nothing counted as open. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E2_withoutALimitDeadConnectionsAreNotCountedAsOpen() throws Exception {
        DyingServer dying = new DyingServer();
        try (RawServer server = RawServer.start(dying::serve);
             Transport t = Transport.builder().build()) {
            URI uri = server.uri("/");
            for (int i = 0; i < 600; i++) {
                stormRequest(t, uri);
            }
            t.closeIdleConnections();
            assertThat(Lifecycle.within(() -> t.stats().open() == 0, Lifecycle.BOUND))
                    .as("open connections after %d dying dials: %s", server.accepted(), t.stats()).isTrue();
        }
    }

    /**
     * {@code Transport.close()} while a request is still dialing (a TLS handshake that the server
     * never answers) ends that request promptly with a cancellation, and its listener hears
     * {@code done()} exactly once.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E3_closingTheTransportEndsARequestThatIsDialing() throws Exception {
        CountDownLatch helloArrived = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 c.in.read(); // the ClientHello's first byte; then never answer
                 helloArrived.countDown();
                 while (c.in.read() >= 0) {
                     // until the client goes
                 }
             });
             Transport t = Transport.builder().listener(new RequestListener() {
                 @Override
                 public void done(HttpRequest request, Throwable error) {
                     done.incrementAndGet();
                 }
             }).build()) {
            URI https = URI.create("https://127.0.0.1:" + server.port() + "/");
            Caller<Integer> caller = Caller.virtual("dialing", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(https).build())) {
                    return r.status();
                }
            });
            assertThat(helloArrived.await(20, TimeUnit.SECONDS)).as("handshake under way").isTrue();
            t.close();
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(() -> { });
            assertThat(ended).as("request ended within %s of Transport.close()", Lifecycle.BOUND).isTrue();
            assertThat(caller.error()).isInstanceOf(InterruptedIOException.class);
            assertThat(done.get()).as("done() calls").isEqualTo(1);
        }
    }

    /**
     * A caller that keeps only the body's stream ({@code roundTrip(...).body().stream()}, the
     * response and its body object dropped) reads the whole body even after the garbage collector
     * reclaimed what it dropped: the body is owned through the stream the caller reads.
     */
    @ParameterizedTest(name = "through HttpClient: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E4_aBodyIsNeverClosedByTheCollectorWhileItsStreamIsHeld(boolean viaClient) throws Exception {
        byte[] part1 = new byte[4000];
        byte[] part2 = new byte[4000];
        Arrays.fill(part1, (byte) 'a');
        Arrays.fill(part2, (byte) 'b');
        CountDownLatch sendRest = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: " + (part1.length + part2.length) + "\r\n\r\n");
                 c.write(part1);
                 if (sendRest.await(20, TimeUnit.SECONDS)) {
                     c.write(part2);
                 }
                 while (c.in.read() >= 0) {
                     // until the client closes
                 }
             });
             Transport t = Transport.builder().build()) {
            WeakReference<?>[] dropped = new WeakReference<?>[1];
            InputStream s = streamOnly(t, viaClient, HttpRequest.newBuilder(server.uri("/")).build(), dropped);
            try (s) {
                assertThat(s.readNBytes(part1.length)).isEqualTo(part1);
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); dropped[0].get() != null && System.nanoTime() < end; ) {
                    System.gc();
                }
                assertThat(dropped[0].get()).as("the dropped body object was collected").isNull();
                // A cleaner that acted on the dropped object would close the connection: give it that chance
                // (bounded; nothing happens when the body is owned through its stream).
                Lifecycle.within(() -> {
                    System.gc();
                    return t.stats().open() == 0;
                }, Duration.ofSeconds(1));
                sendRest.countDown();
                byte[] rest = s.readAllBytes();
                assertThat(rest).isEqualTo(part2);
            }
        }
    }

    /** The body's stream of a response obtained here; the response and its body object are dropped. */
    private static InputStream streamOnly(Transport t, boolean viaClient, HttpRequest req, WeakReference<?>[] dropped)
            throws Exception {
        HttpResponse r = viaClient ? HttpClient.builder(t).build().send(req) : t.roundTrip(req);
        dropped[0] = new WeakReference<>(r.body());
        return r.body().stream();
    }
}
