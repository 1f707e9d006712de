package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.UnixHttpServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Probes of the transport over Unix domain sockets (R4) against the promises it keeps over TCP: the look for
 * bytes that arrived on an idle connection (P37, E53, E55; R41, found here: it never saw them, and a request was
 * answered with a forged response), and an interrupt of a caller reading a stalled body (E11). Every peer is a real Unix socket server; timing
 * probes run many rounds, each with a fresh transport and server.
 */
@NoGoroutineLeaks
class UnixReachProbeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * R41 with P37: bytes that arrive on an idle pooled Unix connection (a whole forged response) before the next
     * request takes it never answer that request and never fail it. The request is sent once the server's write of
     * them returned, and a Unix socket's write returns only once the bytes are in the client's receive buffer (no
     * loopback lag, unlike TCP's P37 probe in {@code HostileProbeTest}), so every forged answer is a defect.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void R41_bytesOnAnIdleUnixConnectionJustBeforeTheNextRequestNeitherAnswerNorFailIt() throws Exception {
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nforged!";
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int round = 0; round < 100; round++) {
            CountDownLatch sendForged = new CountDownLatch(1);
            CountDownLatch forgedSent = new CountDownLatch(1);
            try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                     if (head.startsWith("GET /first")) {
                         UnixHttpServer.ok(out, "ok");
                         sendForged.await();
                         out.write(forged.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                         out.flush();
                         forgedSent.countDown();
                     } else {
                         UnixHttpServer.ok(out, "second");
                     }
                 });
                 Transport t = Transport.builder().dialer(Dialer.unixSocket(server.path())).build()) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(java.net.URI.create("http://local/first"))
                        .timeout(Duration.ofSeconds(10)).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                sendForged.countDown();
                assertThat(forgedSent.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                String outcome;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(java.net.URI.create("http://local/next"))
                        .timeout(Duration.ofSeconds(10)).build())) {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName() + (e instanceof HttpProtocolException p ? " " + p.reason() : "")
                            + ": " + e.getMessage();
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        }
        assertThat(outcomes.keySet()).as("outcomes of the request after the forged bytes: %s", outcomes).containsOnly("second");
    }

    private static void assertAllZero(Transport t) {
        TransportStats s = t.stats();
        assertThat(java.util.List.of(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting()))
                .as("open, idle, inUse, dialing, waiting: %s", s).containsOnly(0);
    }

    /** True if {@code t} waits inside a Unix socket's read. */
    private static boolean blockedInUnixRead(Thread t) {
        boolean unixRead = false;
        boolean select = false;
        for (StackTraceElement e : t.getStackTrace()) {
            unixRead |= e.getClassName().endsWith("UnixSocket$In") && e.getMethodName().equals("read");
            select |= e.getMethodName().startsWith("select") || e.getMethodName().startsWith("park");
        }
        return unixRead && select;
    }

    /**
     * R4 with E11: interrupting the thread that reads a stalled body from a Unix socket (platform or virtual) ends
     * the read promptly with an {@link java.io.InterruptedIOException}, as over TCP ({@code DeadlineTest}); the
     * connection is closed, never pooled, and every counter is back to zero. Many rounds, a fresh transport each.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "virtual reader: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void R4_anInterruptEndsABodyReadOnAUnixSocket(boolean virtual) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                 out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                 out.flush();
                 release.await();
             })) {
            try {
                for (int round = 0; round < 20; round++) {
                    try (Transport t = Transport.builder().dialer(Dialer.unixSocket(server.path())).build()) {
                        HttpResponse r = t.roundTrip(HttpRequest.get("http://local/stall"));
                        java.io.InputStream body = r.body().stream();
                        assertThat(body.readNBytes(10)).hasSize(10);
                        Lifecycle.Caller<byte[]> reader = Lifecycle.Caller.start(virtual, "body-reader", () -> {
                            try (body) {
                                return body.readAllBytes();
                            }
                        });
                        Lifecycle.await(() -> !reader.thread.isAlive() || blockedInUnixRead(reader.thread), WAIT, "reader blocked");
                        reader.thread.interrupt();
                        boolean ended = reader.join(Lifecycle.BOUND);
                        reader.abandon(t::close);
                        assertThat(ended).as("round %d: body read ended within %s of the interrupt", round, Lifecycle.BOUND).isTrue();
                        assertThat(reader.error()).as("round %d", round).isInstanceOf(java.io.InterruptedIOException.class);
                        Lifecycle.await(() -> t.stats().open() == 0, WAIT, "connection closed");
                        assertAllZero(t);
                        assertThat(t.stats().reused()).isZero();
                    }
                }
            } finally {
                release.countDown();
            }
        }
    }
}
