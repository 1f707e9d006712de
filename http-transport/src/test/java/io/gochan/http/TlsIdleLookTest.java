package io.gochan.http;

import io.gochan.http.testing.Heads;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RacyAvailableTls;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The look a request takes at an idle TLS connection before it uses it (P37), against the TLS layer's
 * own answers: E53 (a count that races the read loop never closes a good connection) and P37 over TLS
 * (bytes the server sent on the idle connection, still encrypted, never answer the next request).
 */
@NoGoroutineLeaks
class TlsIdleLookTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What a TLS server script answers to a request head. */
    private interface Answer {
        String to(String head) throws Exception;
    }

    /** What a TLS server script does after it answered {@code GET /first}, with the connection's output. */
    private interface AfterFirst {
        void run(OutputStream out) throws Exception;
    }

    /** A TLS server on {@code c} that answers each request with {@code answer(head)}; ends at the client's EOF. */
    private static void serveTls(RawServer.Conn c, Answer answer) throws Exception {
        serveTls(c, answer, out -> { });
    }

    private static void serveTls(RawServer.Conn c, Answer answer, AfterFirst afterFirst) throws Exception {
        // Each record leaves at once: with Nagle's algorithm the forged record waited for the client's delayed
        // ACK, which came with the next request, and arrived after it (then it is that request's answer).
        c.socket.setTcpNoDelay(true);
        try (SSLSocket tls = JdkServer.serverTls(c.socket)) {
            tls.startHandshake();
            InputStream in = tls.getInputStream();
            OutputStream out = tls.getOutputStream();
            StringBuilder head = new StringBuilder();
            for (int state = 0, ch; (ch = in.read()) >= 0; ) {
                head.append((char) ch);
                state = (ch == '\r' || ch == '\n') ? state + 1 : 0;
                if (state == 4) {
                    String h = head.toString();
                    head.setLength(0);
                    state = 0;
                    int length = Heads.contentLength(h, 0);
                    in.readNBytes(length);
                    out.write(answer.to(h).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (h.startsWith("GET /first")) {
                        afterFirst.run(out); // a TLS record of its own, after the response's
                    }
                }
            }
        } catch (IOException e) {
            // the client closed the connection: the script is over
        }
    }


    /**
     * E53: the JDK's TLS {@code available()} is not synchronized with a read, and asked just as the read loop
     * enters its read on the idle connection it reports the TLS layer's emptied buffer. The request's look
     * must not take that for bytes waiting: each request reuses the one connection (the server answers no
     * other), nothing is retried, and a request whose body can be sent only once goes out on it too. The racy
     * answer is made deterministic ({@link RacyAvailableTls}); with the real JDK it came about once in a
     * thousand reuses of a new connection. Before E53 the first reuse closed the connection and was retried.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void E53_aTlsCountThatRacesTheReadLoopNeverClosesAGoodIdleConnection() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.index != 0) {
                     never.await(); // a second connection is never answered: the request must not need one
                     return;
                 }
                 serveTls(c, head -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             });
             Transport t = Transport.builder().sslContext(RacyAvailableTls.wrapping(JdkServer.clientTls()))
                     .tlsHandshakeTimeout(Duration.ofSeconds(5)).build()) {
            URI uri = URI.create("https://localhost:" + server.port() + "/");
            try {
                for (int i = 0; i < 20; i++) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).timeout(WAIT).build())) {
                        assertThat(r.body().string()).isEqualTo("ok");
                    }
                }
                byte[] once = "only once".getBytes(StandardCharsets.US_ASCII);
                HttpRequest post = HttpRequest.newBuilder(uri).timeout(WAIT)
                        .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(once), once.length, "text/plain")).build();
                try (HttpResponse r = t.roundTrip(post)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                TransportStats s = t.stats();
                assertThat(s.dialed()).as("one connection for every request: %s", s).isEqualTo(1);
                assertThat(s.reused()).as("%s", s).isEqualTo(20);
                assertThat(s.retries()).as("%s", s).isZero();
            } finally {
                never.countDown();
            }
        }
    }

    /**
     * P37 over TLS: bytes the server sends on the idle connection after a response (a forged response, in a
     * TLS record of its own) are never read as the next request's answer and never fail it: the request's look
     * finds the record unread in the TCP socket (or the read loop refuses it), the connection is closed, and the
     * request is answered on a new one. Over many rounds, so the read loop has or has not yet read the record
     * when the request comes. The request is sent only once the record is at the client (in its TCP socket, or taken
     * by the read loop, which then closes the connection): the server's write returning does not prove that, and
     * bytes that loopback delivers only after the request was written are its answer for any client (a loaded
     * machine lags so). A few forged answers are tolerated all the same, for the read loop's thread descheduled
     * between the read that took the record and its note of what had been written (E112), as in the plain-TCP
     * probe (HostileProbeTest).
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void P37_bytesSentOnAnIdleTlsConnectionNeitherAnswerNorFailTheNextRequest() throws Exception {
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nforged!";
        Map<String, Integer> outcomes = new TreeMap<>();
        Dialer tcp = Dialer.tcp(Resolver.system(), Duration.ofMillis(300));
        for (int round = 0; round < 30; round++) {
            List<Socket> dialed = new CopyOnWriteArrayList<>();
            CountDownLatch sendForged = new CountDownLatch(1);
            CountDownLatch forgedSent = new CountDownLatch(1);
            try (RawServer server = RawServer.start(c -> serveTls(c,
                     head -> head.startsWith("GET /first") ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                             : "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond",
                     out -> {
                         sendForged.await();
                         out.write(forged.getBytes(StandardCharsets.ISO_8859_1));
                         out.flush();
                         forgedSent.countDown();
                     }));
                 Transport t = Transport.builder().sslContext(JdkServer.clientTls()).dialer((host, port, timeout) -> {
                     Socket s = tcp.dial(host, port, timeout);
                     dialed.add(s);
                     return s;
                 }).build()) {
                URI base = URI.create("https://localhost:" + server.port());
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(base.resolve("/first")).timeout(WAIT).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                sendForged.countDown();
                assertThat(forgedSent.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                Socket first = dialed.get(0);
                Lifecycle.await(() -> first.isClosed() || unread(first), WAIT, "the forged record at the client");
                String outcome;
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(base.resolve("/next")).timeout(WAIT).build())) {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        }
        assertThat(outcomes.keySet()).as("outcomes of the request after the forged bytes: %s", outcomes)
                .isSubsetOf("second", "forged!");
        assertThat(outcomes.getOrDefault("forged!", 0)).as("forged answers (the read loop descheduled only): %s", outcomes)
                .isLessThanOrEqualTo(2);
    }

    /** Whether bytes wait unread in {@code s}, the TCP socket under a TLS connection; a failed look says yes (closed). */
    private static boolean unread(Socket s) {
        try {
            return s.getInputStream().available() > 0;
        } catch (IOException e) {
            return true;
        }
    }
}
