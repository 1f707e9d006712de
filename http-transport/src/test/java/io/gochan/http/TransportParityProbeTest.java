package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fresh-eyes parity check of the transport against Go 1.19's (2026-12-05), each case beside the answer Go's client
 * gave against the same scripted loopback server: the fields Go moves out of a response's header (P69) and the
 * response-head limits over 1xx heads (P92, which replaced P70's head-by-head measure). The other behaviours checked are pinned elsewhere; the idle
 * connection's age at hand-out (E79) is in {@code ConnectionPoolTest}.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportParityProbeTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * P69: {@code Connection: close} (also in a list, any case) reaches the caller in the headers, and the connection
     * is not reused; Go 1.19 deletes the field ({@code shouldClose(..., removeCloseHeader=true)}) and says it in
     * {@code Response.Close}, which our response does not have. Fails if the field is removed.
     */
    @Test
    void P69_aConnectionCloseFieldReachesTheCallerAndClosesTheConnection() throws Exception {
        String[] answers = {
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok",
        };
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write(answers[c.index % 2]);
                     c.readUntilClosed(); // the server leaves it to the client to close
                 }
             });
             Transport t = Transport.builder().build()) {
            for (String expected : new String[] {"close", "keep-alive, Close"}) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    assertThat(r.headers().get("Connection")).isEqualTo(expected);
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(t.stats().open()).as("not reused after Connection: %s", expected).isZero();
            }
            assertThat(server.accepted()).isEqualTo(2);
            assertThat(t.stats().reused()).isZero();
        }
    }

    /**
     * P69: a chunked answer's {@code Transfer-Encoding} and {@code Trailer} fields reach the caller in the headers,
     * beside the trailers themselves once the body is read, and the connection is reused; Go 1.19 moves them to
     * {@code Response.TransferEncoding} and the keys of {@code Response.Trailer}, and deletes them from the header.
     * Fails if either field is removed.
     */
    @Test
    void P69_aChunkedAnswersFramingFieldsReachTheCallerBesideItsTrailers() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n"
                             + "2\r\nok\r\n0\r\nX-Sum: 7\r\n\r\n");
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + i).toString()))) {
                    assertThat(r.headers().get("Transfer-Encoding")).isEqualTo("chunked");
                    assertThat(r.headers().get("Trailer")).isEqualTo("X-Sum");
                    assertThat(r.body().string()).isEqualTo("ok");
                    assertThat(r.trailers().get("X-Sum")).isEqualTo("7");
                }
            }
            assertThat(server.accepted()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(1);
        }
    }

    /**
     * P92 (replacing P70's head-by-head measure): the 1xx heads of a response and its final head share one
     * {@code maxHeaderBytes}, as Go 1.24 counts them when no {@code Got1xxResponse} hook took the 1xx (Go 1.19 reset
     * its {@code readLimit} for each 1xx). One 1xx head of 3 KiB and a final one of about 100 bytes under a 4 KiB limit
     * are read, and the connection reused; five 1xx heads of 3 KiB and a final one, each under the limit and together
     * over it, fail the request with {@code HEADERS_TOO_LARGE} naming the 1xx head that counted, and the connection is
     * closed; a single 1xx head over the limit fails it too. Fails on the code before P92, which measured each head
     * alone and read the five.
     */
    @Test
    void P92_informationalHeadsAndTheFinalHeadShareTheLimit() throws Exception {
        String hint = "HTTP/1.1 103 Early Hints\r\nLink: " + "a".repeat(3000) + "\r\n\r\n";
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /big ")) {
                         c.write("HTTP/1.1 103 Early Hints\r\nLink: " + "a".repeat(3000) + "\r\nX: " + "b".repeat(3000)
                                 + "\r\n\r\n" + OK);
                     } else if (head.startsWith("GET /one ")) {
                         c.write(hint + OK);
                     } else {
                         c.write(hint.repeat(5) + "HTTP/1.1 200 OK\r\nX: " + "b".repeat(3000)
                                 + "\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             });
             Transport t = Transport.builder().responseLimits(4000, 4096, 100).build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/one").toString()))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.headers().get("Link")).as("a 1xx head's fields are not the answer's").isNull();
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(t.stats().reused()).isEqualTo(1);
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/hints").toString())))
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.HEADERS_TOO_LARGE);
                        assertThat(e.getMessage()).contains("larger than 4096 bytes")
                                .contains("the 1 informational (1xx) head read before this head");
                    });
            assertThat(t.stats().open()).as("closed after the heads over the limit").isZero();
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/big").toString())))
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.HEADERS_TOO_LARGE);
                        assertThat(e.getMessage()).as("the first head: no 1xx counted").doesNotContain("informational");
                    });
            assertThat(t.stats().open()).as("closed after the bad head").isZero();
            assertThat(server.accepted()).as("/one twice and /hints on one connection, /big on another").isEqualTo(2);
        }
    }

    /**
     * P70: limits that cannot work are refused at {@code responseLimits} with an {@code IllegalArgumentException}
     * that names the values given and the rule they break. Before, the message printed the record before its fields
     * were set ("implausible HTTP limits: HttpLimits[maxLineLength=0, maxHeaderBytes=0, ...]"), naming nothing.
     */
    @Test
    void P70_implausibleLimitsAreRefusedNamingTheValuesGiven() {
        assertThatThrownBy(() -> Transport.builder().responseLimits(8192, 4096, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxLineLength=8192").hasMessageContaining("maxHeaderBytes=4096")
                .hasMessageContaining("maxHeaderCount=100").hasMessageNotContaining("=0,");
        assertThatThrownBy(() -> Transport.builder().responseLimits(8192, 65536, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxHeaderCount=0");
    }
}
