package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Probes of the pool's lifecycle against Go's transport with real loopback connections (session 32): an answer after
 * which the connection may not be reused (HTTP/1.0 without keep-alive, {@code Connection: close} in the response or in
 * the request, a body closed before its end, length-framed or chunked) while another request waits at
 * {@code maxConnsPerHost}: the connection is never handed to that waiter or put back dirty, and the slot its close
 * frees serves the waiter on a new connection; and the idle limit per host with real sockets. Each held on the code it
 * was written against; they guard what T6, T8, P69, E2 and E41 promise.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class PoolLifecycleProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /**
     * T6, T8, P69: request A's answer forbids reuse ({@code shape}); while A holds it, B waits at
     * {@code maxConnsPerHost(1)} (or is served at once, if A's connection closed as its answer came); then A ends its
     * body (read to its end, or closed early). B is answered on a new connection; no connection ever carries a request
     * after an answer that forbade reuse (the server reads on after each answer and notes any); nothing is left in use
     * or waiting. Go: {@code persistConn.readLoop}'s {@code alive} is false for each shape, and the freed slot goes to
     * the next {@code wantConn} ({@code decConnsPerHost}).
     *
     * @param shape the ending that forbids reuse
     * @param virtual callers on virtual threads, or platform threads
     */
    @ParameterizedTest(name = "{0} virtual={1}")
    @CsvSource({
        "h10, true", "h10, false",
        "responseClose, true",
        "requestClose, true", "requestClose, false",
        "earlyClose, true", "earlyClose, false",
        "earlyCloseChunked, true",
        "h10UntilClose, true",
    })
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void T8_anAnswerThatForbidsReuseFreesItsSlotForTheWaiterOnANewConnection(String shape, boolean virtual)
            throws Exception {
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 boolean mayReuse = true;
                 for (String head; (head = c.readRequest()) != null; ) {
                     String path = head.split(" ", 3)[1];
                     seen.add(c.index + " " + path);
                     if (!mayReuse) {
                         failures.add("connection " + c.index + " carried " + path + " after an answer that forbade reuse");
                     }
                     if (!path.startsWith("/a")) {
                         c.write(OK);
                         continue;
                     }
                     mayReuse = false;
                     switch (shape) {
                         case "h10" -> c.write("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         case "responseClose" -> c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                         case "requestClose" -> {
                             if (!head.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n")) {
                                 failures.add("the request's Connection: close did not reach the server: " + head);
                             }
                             c.write(OK);
                         }
                         case "earlyClose" -> c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789");
                         case "earlyCloseChunked" -> c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n");
                         case "h10UntilClose" -> c.write("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n0123456789");
                         default -> throw new AssertionError(shape);
                     }
                     // and reads on: the client must close this connection, never send on it again
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            for (int i = 0; i < 10; i++) {
                int round = i;
                HttpRequest.Builder a = HttpRequest.newBuilder(server.uri("/a" + i)).timeout(Duration.ofSeconds(30));
                if (shape.equals("requestClose")) {
                    a.header("Connection", "close");
                }
                HttpResponse ra = t.roundTrip(a.build());
                Caller<String> b = Caller.start(virtual, "B" + round, () -> {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/b" + round))
                            .timeout(Duration.ofSeconds(30)).build())) {
                        return r.body().string();
                    }
                });
                // B waits at the limit, unless A's connection closed as its answer came (then B is served at once).
                Lifecycle.await(() -> t.stats().waiting() == 1 || !b.thread.isAlive(), Lifecycle.BOUND, "B waiting or served");
                try (ra; InputStream in = ra.body().stream()) {
                    if (shape.startsWith("earlyClose") || shape.equals("h10UntilClose")) {
                        assertThat(in.readNBytes(5)).hasSize(5); // part of it, then closed before its end
                    } else {
                        assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1))
                                .isEqualTo("ok");
                    }
                }
                assertThat(b.join(Lifecycle.BOUND)).as("B ended").isTrue();
                assertThat(b.error()).as("B's failure").isNull();
                assertThat(b.value()).isEqualTo("ok");
                // B's connection is idle (reusable): the next round's A takes it; an answer that forbids reuse closes it.
            }
            Lifecycle.await(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0, Lifecycle.BOUND,
                    "nothing in use or waiting: " + t.stats());
            assertThat(failures).as("what the server saw: %s", seen).isEmpty();
            assertThat(t.stats().open()).as("at most B's last connection, idle: %s", t.stats()).isLessThanOrEqualTo(1);
        }
    }

    /**
     * The idle limit per host with real sockets (Go's {@code MaxIdleConnsPerHost}, {@code errTooManyIdleHost}): six
     * requests hold six connections at once; once their bodies end, two stay idle and four are closed (the server
     * reads their end), and the next two requests take the two idle ones. {@code closeIdleConnections()} then
     * closes the idle ones: nothing open.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void idleLimitPerHostKeepsTwoOfSixAndClosesTheRest() throws Exception {
        Queue<Integer> ended = new ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 try {
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                 } finally {
                     ended.add(c.index); // the client closed it
                 }
             });
             Transport t = Transport.builder().maxIdleConnsPerHost(2).build()) {
            List<HttpResponse> held = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                held.add(t.roundTrip(HttpRequest.get(server.uri("/" + i).toString())));
            }
            assertThat(t.stats().dialed()).isEqualTo(6);
            assertThat(t.stats().inUse()).isEqualTo(6);
            for (HttpResponse r : held) {
                try (r) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            Lifecycle.await(() -> ended.size() == 4, Lifecycle.BOUND, "four connections closed by the client: " + ended);
            assertThat(t.stats().idle()).isEqualTo(2);
            assertThat(t.stats().open()).isEqualTo(2);
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/again" + i).toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(t.stats().dialed()).as("the idle ones were reused").isEqualTo(6);
            t.closeIdleConnections();
            assertThat(t.stats().open()).isZero();
            Lifecycle.await(() -> ended.size() == 6, Lifecycle.BOUND, "every connection closed: " + ended);
        }
    }
}
