package io.gochan.http;

import io.gochan.http.testing.Heads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a kept-alive TLS connection ends while it is idle in the pool, and what the next request sees: the
 * neighbours of E53 (the request's look at an idle TLS connection) and the TLS-specific ways a server ends a
 * connection. Each case runs many rounds, each with a fresh transport and server, because the outcome depends
 * on whether the read loop has already read the server's end when the next request takes the connection.
 * A request that takes a connection the server ended while it was idle, whose end had reached the client
 * before the request, is not handed out: the request goes on a new connection and succeeds, whatever its body, a
 * GET or a POST whose body can be sent only once (E55). An end that reaches the client only as the request is
 * being sent is the race every client has (Go's too): a request none of whose TLS records went out is "nothing
 * written" (P50), and a replayable one is retried (E17, P14). Each outcome is counted per case and printed in a
 * failure, with the transport's stats checked on success (a new connection answered).
 */
@NoGoroutineLeaks
class TlsLifecycleProbeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int ROUNDS = 40;
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the server ends the first connection after its keep-alive response. */
    private enum IdleEnd {
        /** {@code SSLSocket.close()} (close_notify), the TCP connection left open. */
        CLOSE_NOTIFY_BY_CLOSE,
        /** {@code SSLSocket.shutdownOutput()} (close_notify, TLS half-close), the TCP connection left open. */
        CLOSE_NOTIFY_BY_SHUTDOWN,
        /** close_notify, then FIN. */
        CLOSE_NOTIFY_THEN_FIN,
        /** A plain TCP close, no close_notify. */
        FIN_WITHOUT_CLOSE_NOTIFY,
        /** {@code setSoLinger(true, 0)} then close: a TCP reset, no close_notify. */
        RESET,
        /** A {@code 408} in a TLS record of its own, then close_notify and FIN (the server's idle timeout, E8). */
        IDLE_408,
        /** close_notify in the same flight as the response that said keep-alive (no wait for the client). */
        CLOSE_NOTIFY_WITH_THE_RESPONSE
    }

    /** What a request after the end of the first connection is. */
    private enum Next {
        GET,
        POST_ONCE
    }

    /**
     * The server: its first connection answers {@code GET /first} with keep-alive, waits for {@code endIt}
     * (unless the end goes with the response), ends as {@code end} says, counts {@code ended} down and waits for
     * the client to close; every later connection answers each request properly, "second" or "got:" + body.
     */
    private static RawServer server(IdleEnd end, CountDownLatch endIt, CountDownLatch ended) throws IOException {
        return RawServer.start(c -> {
            c.socket.setTcpNoDelay(true);
            if (c.index > 0) {
                serveTls(c);
                return;
            }
            SSLSocket tls = JdkServer.serverTls(c.socket);
            tls.startHandshake();
            String head = Heads.readHead(tls.getInputStream());
            if (head == null) {
                return;
            }
            OutputStream out = tls.getOutputStream();
            out.write(OK.getBytes(StandardCharsets.ISO_8859_1));
            if (end == IdleEnd.CLOSE_NOTIFY_WITH_THE_RESPONSE) {
                tls.close(); // close_notify right behind the response's record
            } else {
                out.flush();
                if (!endIt.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    return;
                }
                switch (end) {
                    case CLOSE_NOTIFY_BY_CLOSE -> tls.close();
                    case CLOSE_NOTIFY_BY_SHUTDOWN -> tls.shutdownOutput();
                    case CLOSE_NOTIFY_THEN_FIN -> {
                        tls.close();
                        c.socket.shutdownOutput();
                    }
                    case FIN_WITHOUT_CLOSE_NOTIFY -> c.socket.shutdownOutput();
                    case RESET -> {
                        c.socket.setSoLinger(true, 0);
                        c.socket.close();
                    }
                    case IDLE_408 -> {
                        out.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                                .getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        tls.close();
                        c.socket.shutdownOutput();
                    }
                    default -> throw new AssertionError(end);
                }
            }
            // "Ended" means the end reached the client (E55 is about an end that did before the request took the
            // connection): over loopback on a loaded machine the bytes can arrive after the test's next request
            // (failed so once in CI on d10a466, a POST after CLOSE_NOTIFY_WITH_THE_RESPONSE).
            c.awaitSentBytesAcknowledged(WAIT);
            ended.countDown();
            drainUntilClientCloses(c);
        });
    }

    private static void drainUntilClientCloses(RawServer.Conn c) {
        try {
            byte[] buf = new byte[4096];
            while (c.in.read(buf) >= 0) {
                // whatever the client still sends (a request on the ended connection) is not answered
            }
        } catch (IOException e) {
            // reset or closed: the client is gone
        }
    }

    /** A TLS server that answers every request on {@code c} until the client closes. */
    private static void serveTls(RawServer.Conn c) throws Exception {
        try (SSLSocket tls = JdkServer.serverTls(c.socket)) {
            tls.startHandshake();
            InputStream in = tls.getInputStream();
            OutputStream out = tls.getOutputStream();
            for (String head; (head = Heads.readHead(in)) != null; ) {
                String body = new String(in.readNBytes(Heads.contentLength(head, 0)), StandardCharsets.ISO_8859_1);
                String answer = head.startsWith("POST") ? "got:" + body : "second";
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + answer.length() + "\r\n\r\n" + answer)
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // the client closed the connection: the script is over
        }
    }



    private static Transport transport() throws Exception {
        return Transport.builder().sslContext(JdkServer.clientTls()).tlsHandshakeTimeout(Duration.ofSeconds(10)).build();
    }

    private static HttpRequest request(URI base, Next next) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/next")).timeout(WAIT);
        if (next == Next.POST_ONCE) {
            byte[] once = "only once".getBytes(StandardCharsets.US_ASCII);
            b.POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(once), once.length, "text/plain"));
        }
        return b.build();
    }

    private static String expected(Next next) {
        return next == Next.POST_ONCE ? "got:only once" : "second";
    }

    /** The outcome of each round of {@code end} then {@code next}, counted by outcome. */
    private static Map<String, Integer> rounds(IdleEnd end, Next next, int rounds) throws Exception {
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int round = 0; round < rounds; round++) {
            CountDownLatch endIt = new CountDownLatch(1);
            CountDownLatch ended = new CountDownLatch(1);
            try (RawServer server = server(end, endIt, ended); Transport t = transport()) {
                URI base = URI.create("https://localhost:" + server.port());
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(base.resolve("/first")).timeout(WAIT).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                endIt.countDown();
                assertThat(ended.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("server ended the connection").isTrue();
                String outcome;
                try (HttpResponse r = t.roundTrip(request(base, next))) {
                    String body = r.body().string();
                    outcome = body.equals(expected(next)) ? "ok" : "wrong answer: " + body;
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName()
                            + (e instanceof HttpProtocolException p ? "(" + p.reason() + ")" : "") + ": " + e.getMessage();
                }
                TransportStats s = t.stats();
                if (outcome.equals("ok")) {
                    outcome = s.retries() > 0 ? "ok, retried" : "ok";
                    assertThat(s.dialed()).as("a new connection answered: %s", s).isEqualTo(2);
                }
                outcomes.merge(outcome, 1, Integer::sum);
                assertThat(server.failures()).isEmpty();
            }
        }
        return outcomes;
    }

    private static void assertAlwaysOk(IdleEnd end, Next next) throws Exception {
        Map<String, Integer> outcomes = rounds(end, next, ROUNDS);
        assertThat(outcomes.keySet()).as("%s then %s: %s", end, next, outcomes).isSubsetOf("ok", "ok, retried");
    }

    /**
     * 1. close_notify on an idle kept-alive connection (TLS close, TLS half-close, with FIN): the next request
     * succeeds, a GET and a one-shot POST (E55; before, the POST failed as "nothing written" and a GET now and then
     * with "write failed: Connection or outbound has closed", P50).
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void E55_closeNotifyOnAnIdleConnectionNeverFailsTheNextRequest() throws Exception {
        for (IdleEnd end : new IdleEnd[] {IdleEnd.CLOSE_NOTIFY_BY_CLOSE, IdleEnd.CLOSE_NOTIFY_BY_SHUTDOWN,
                IdleEnd.CLOSE_NOTIFY_THEN_FIN}) {
            assertAlwaysOk(end, Next.GET);
            assertAlwaysOk(end, Next.POST_ONCE);
        }
    }

    /** 3. close_notify in the same flight as a response that said keep-alive: the next request succeeds. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E55_closeNotifyRightBehindAKeepAliveResponseNeverFailsTheNextRequest() throws Exception {
        assertAlwaysOk(IdleEnd.CLOSE_NOTIFY_WITH_THE_RESPONSE, Next.GET);
        assertAlwaysOk(IdleEnd.CLOSE_NOTIFY_WITH_THE_RESPONSE, Next.POST_ONCE);
    }

    /** 4. A 408 in a TLS record on the idle connection (E8): the next request succeeds. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E8_E55_anIdle408OverTlsNeverFailsTheNextRequest() throws Exception {
        assertAlwaysOk(IdleEnd.IDLE_408, Next.GET);
        assertAlwaysOk(IdleEnd.IDLE_408, Next.POST_ONCE);
    }

    /**
     * 2. A TCP end without close_notify (FIN, reset) on the idle connection: nothing of it can be seen before
     * the read loop has read it (no byte waits), so a request that takes the connection first is sent on it and
     * finds it closed, or its write refused; not a whole TLS record of it reached the server then, so it is "nothing
     * written" (P50), and a GET is retried (E17, P14) and always succeeds.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void P50_aTcpEndWithoutCloseNotifyNeverFailsTheNextGet() throws Exception {
        for (IdleEnd end : new IdleEnd[] {IdleEnd.FIN_WITHOUT_CLOSE_NOTIFY, IdleEnd.RESET}) {
            assertAlwaysOk(end, Next.GET);
        }
    }

    /**
     * 2, with a body that can be sent once: a TCP end without close_notify cannot be seen by the request's look,
     * so the request may race the read loop (as in Go) and go out on the ended connection; it succeeds, or fails
     * as the server closing the connection before a response ({@code SERVER_CLOSED_BEFORE_RESPONSE}, or "nothing
     * written" when the TLS layer refused it: its body cannot be sent again, E17), never as a broken write, never
     * with a wrong answer.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void E17_aTcpEndWithoutCloseNotifyFailsAOneShotPostOnlyAsAServerClose() throws Exception {
        for (IdleEnd end : new IdleEnd[] {IdleEnd.FIN_WITHOUT_CLOSE_NOTIFY, IdleEnd.RESET}) {
            Map<String, Integer> outcomes = rounds(end, Next.POST_ONCE, ROUNDS);
            for (String o : outcomes.keySet()) {
                assertThat(o).as("%s then a one-shot POST: %s", end, outcomes)
                        .matches("ok|ok, retried|HttpConnectionException: nothing written: .*"
                                + "|HttpProtocolException\\(SERVER_CLOSED_BEFORE_RESPONSE\\): .*");
            }
        }
    }

    /** How a body delimited by the connection's end ends over TLS. */
    private enum BodyEnd {
        CLOSE_NOTIFY,
        FIN_BETWEEN_RECORDS,
        FIN_INSIDE_A_RECORD
    }

    private static RawServer untilCloseServer(BodyEnd end) throws IOException {
        return RawServer.start(c -> {
            SSLSocket tls = JdkServer.serverTls(c.socket);
            tls.startHandshake();
            Heads.readHead(tls.getInputStream());
            OutputStream out = tls.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\n\r\nall of it".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            switch (end) {
                case CLOSE_NOTIFY -> tls.close();
                case FIN_BETWEEN_RECORDS -> { }
                case FIN_INSIDE_A_RECORD -> c.write(new byte[] {23, 3, 3, 0, 100, 1, 2, 3});
            }
            c.socket.shutdownOutput();
            drainUntilClientCloses(c);
        });
    }

    /**
     * 5. A body delimited by the connection's end over TLS (P33): complete when close_notify ends it, and when a
     * FIN comes between records without one (as Go's crypto/tls: io.EOF); cut short when the FIN comes inside a
     * record ({@code PREMATURE_EOF}, Go's io.ErrUnexpectedEOF). The connection is closed each time.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P33_aBodyToTheCloseOverTlsEndsAsDocumented() throws Exception {
        for (BodyEnd end : BodyEnd.values()) {
            for (int round = 0; round < 10; round++) {
                try (RawServer server = untilCloseServer(end); Transport t = transport()) {
                    HttpRequest get = HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + "/"))
                            .timeout(WAIT).build();
                    try (HttpResponse r = t.roundTrip(get)) {
                        if (end == BodyEnd.FIN_INSIDE_A_RECORD) {
                            assertThatThrownBy(() -> r.body().bytes()).as(end.name())
                                    .isInstanceOfSatisfying(HttpProtocolException.class,
                                            e -> assertThat(e.reason()).isEqualTo(Reason.PREMATURE_EOF));
                        } else {
                            assertThat(r.body().string()).as(end.name()).isEqualTo("all of it");
                        }
                    }
                    Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
                    assertThat(server.failures()).isEmpty();
                }
            }
        }
    }
}
