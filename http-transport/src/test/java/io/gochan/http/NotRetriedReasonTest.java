package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule E37 (docs/spec/transport-lifecycle.md): a request that failed on a reused connection and is not retried says
 * why, naming the one cause that holds. The server answers a first GET on a keep-alive connection, then reads the
 * next request whole on the same connection and closes it without a byte of answer: the request was sent, so only a
 * replayable one (idempotent, its body sendable again) may go again on a new connection.
 */
@NoGoroutineLeaks
class NotRetriedReasonTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Serves /warm; reads any other request whole, then closes its connection unanswered if it is the first one. */
    private static RawServer closingAfterTheSecondRequest() throws Exception {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                int length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring("content-length:".length()).trim());
                    }
                }
                c.readBody(length);
                if (head.startsWith("GET /warm ") || c.index > 0) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                } else {
                    return; // the first connection's second request: closed, nothing answered
                }
            }
        });
    }

    private static Throwable failureOf(Function<HttpRequest.Builder, HttpRequest.Builder> post) throws Exception {
        try (RawServer server = closingAfterTheSecondRequest(); Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/warm")).timeout(BOUND).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            HttpRequest req = post.apply(HttpRequest.newBuilder(server.uri("/post")).timeout(BOUND)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                return new AssertionError("answered " + r.status() + " " + r.body().string());
            } catch (HttpProtocolException e) {
                return e;
            }
        }
    }

    @Test
    void E37_aOneShotBodyIsNamedAsTheCause() throws Exception {
        byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
        Throwable e = failureOf(b -> b.header("Idempotency-Key", "k1")
                .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(data), data.length, "text/plain")));
        assertThat(e).isInstanceOf(HttpProtocolException.class);
        assertThat(((HttpProtocolException) e).reason()).isEqualTo(HttpProtocolException.Reason.SERVER_CLOSED_BEFORE_RESPONSE);
        assertThat(e.getMessage()).contains("not retried: its body cannot be sent again").doesNotContain("replayed");
    }

    @Test
    void E37_aMethodThatIsNotReplayedIsNamedAsTheCause() throws Exception {
        Throwable e = failureOf(b -> b.POST(RequestBody.of("hello")));
        assertThat(e).isInstanceOf(HttpProtocolException.class);
        assertThat(e.getMessage()).contains("not retried: part of it may have been sent and POST is not replayed")
                .doesNotContain("body cannot");
    }

    @Test
    void E37_aReplayableRequestIsRetriedOnANewConnection() throws Exception {
        try (RawServer server = closingAfterTheSecondRequest(); Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/warm")).timeout(BOUND).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            HttpRequest req = HttpRequest.newBuilder(server.uri("/post")).timeout(BOUND).header("Idempotency-Key", "k2")
                    .POST(RequestBody.of("hello")).build();
            try (HttpResponse r = t.roundTrip(req)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }
}
