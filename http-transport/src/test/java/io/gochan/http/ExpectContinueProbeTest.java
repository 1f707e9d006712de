package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E65 (docs/spec/transport-lifecycle.md): a request with {@code Expect: 100-continue} whose server does not say
 * {@code 100 Continue}, on a new and on a reused connection: the server closes the connection after the head, answers
 * a final status without 100 (with a body, or without one), or never answers (the expect-continue timeout sends the
 * body). Each request ends with one outcome (the server's close as {@code SERVER_CLOSED_BEFORE_RESPONSE}, never
 * retried for a POST; the final status; the answer to the body sent after the timeout); its body source is opened once
 * and closed exactly once; it reports exactly one {@code done()}; its connection is never reused (P21: a final status
 * without 100, the body skipped or sent after the timeout); the counters come back to idle and the next request is
 * served.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExpectContinueProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Server {
        CLOSES, FINAL_WITH_BODY, FINAL_WITHOUT_BODY, SILENT
    }

    @ParameterizedTest
    @EnumSource(Server.class)
    void E65_anExpectContinueRequestWithoutA100EndsOnceOnANewAndAReusedConnection(Server how) throws Exception {
        Dones listener = new Dones();
        Map<HttpRequest, List<Throwable>> done = listener.done;
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (!head.contains("Expect: 100-continue")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         continue;
                     }
                     switch (how) {
                         case CLOSES -> {
                             return;
                         }
                         case FINAL_WITH_BODY -> c.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope");
                         case FINAL_WITHOUT_BODY -> c.write("HTTP/1.1 204 No Content\r\n\r\n");
                         case SILENT -> {
                             c.readBody(5); // sent after the expect-continue timeout
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngot5");
                         }
                     }
                 }
             });
             Transport t = Transport.builder().listener(listener).expectContinueTimeout(Duration.ofMillis(200))
                     .build()) {
            for (boolean reused : new boolean[] {false, true}) {
                if (reused) {
                    try (HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                        assertThat(warm.body().string()).isEqualTo("ok");
                    }
                }
                long dialedBefore = t.stats().dialed();
                AtomicInteger opened = new AtomicInteger();
                AtomicInteger closed = new AtomicInteger();
                String path = "/expect-" + reused;
                HttpRequest req = HttpRequest.newBuilder(server.uri(path)).header("Expect", "100-continue")
                        .POST(RequestBody.ofStream(() -> {
                            opened.incrementAndGet();
                            return new ByteArrayInputStream("hello".getBytes()) {
                                @Override
                                public void close() {
                                    closed.incrementAndGet();
                                }
                            };
                        }, 5, "text/plain")).build();
                String outcome;
                try (HttpResponse r = t.roundTrip(req)) {
                    outcome = r.status() + " " + r.body().string();
                } catch (HttpProtocolException e) {
                    outcome = e.reason().toString();
                }
                String expected = switch (how) {
                    case CLOSES -> "SERVER_CLOSED_BEFORE_RESPONSE";
                    case FINAL_WITH_BODY -> "401 nope";
                    case FINAL_WITHOUT_BODY -> "204 ";
                    case SILENT -> "200 got5";
                };
                assertThat(outcome).as("outcome, reused connection: %s", reused).isEqualTo(expected);
                assertThat(t.stats().dialed() - dialedBefore).as("dials of the request (never retried)")
                        .isEqualTo(reused ? 0 : 1);
                assertThat(opened).as("body source opened").hasValue(1);
                Leaks.awaitTrue(() -> closed.get() == 1, "the body source closed");
                Leaks.awaitTrue(() -> done.containsKey(req), "done()");
                assertThat(done.get(req)).as("done() of %s", path).hasSize(1);
                TransportStats s = t.stats();
                assertThat(s.inUse()).as("in use: %s", s).isZero();
                // A final status without 100 never keeps its connection, also when the body went out after the
                // timeout: whether the server read it is unknowable (P21, CVE-2024-24791).
                assertThat(s.open()).as("open: %s", s).isZero();
                try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                    assertThat(next.body().string()).isEqualTo("ok");
                }
                t.closeIdleConnections();
            }
            assertThat(done.values()).as("one done() per request").allSatisfy(l -> assertThat(l).hasSize(1));
        }
    }
}
