package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * P65: {@link ResponseBody#bytes()} and {@link ResponseBody#string()} read at most a limit into memory (the transport's
 * {@code maxBufferedBodyBytes}, default 64 MiB, or the call's own), fail a larger body with
 * {@link ResponseBodyTooLargeException} naming the limit and the URI, and close it there: its connection closed, never
 * pooled, nothing left. {@link ResponseBody#stream()} has no limit.
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BufferedBodyLimitTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Answers each request on a connection with a body as long as the number its path ends in ("/chunked/N" chunked
     * in 64 KiB chunks, "/N" with a Content-Length), of 'a's; until the client closes the connection.
     */
    private static RawServer server() throws IOException {
        return RawServer.start(c -> {
            for (String req; (req = c.readRequest()) != null; ) {
                String path = req.substring(req.indexOf(' ') + 1, req.indexOf(' ', req.indexOf(' ') + 1));
                long n = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
                if (path.startsWith("/chunked/")) {
                    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n");
                    byte[] chunk = new byte[64 * 1024];
                    Arrays.fill(chunk, (byte) 'a');
                    for (long left = n; left > 0; left -= chunk.length) {
                        int len = (int) Math.min(left, chunk.length);
                        c.out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        c.out.write(chunk, 0, len);
                        c.out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    c.write("0\r\n\r\n");
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n" + "a".repeat((int) n));
                }
            }
        });
    }

    private static HttpRequest get(RawServer server, String path) {
        return HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30)).build();
    }

    /** The failure names its limit and URI, and the body's connection is closed, so the next request dials. */
    private static void assertTooLarge(Throwable e, long limit, URI uri) {
        assertThat(e).isInstanceOf(ResponseBodyTooLargeException.class).isInstanceOf(HttpProtocolException.class)
                .hasMessageContaining(Long.toString(limit)).hasMessageContaining(uri.toString())
                .hasMessageContaining("maxBufferedBodyBytes");
        ResponseBodyTooLargeException tooLarge = (ResponseBodyTooLargeException) e;
        assertThat(tooLarge.reason()).isEqualTo(HttpProtocolException.Reason.BODY_TOO_LARGE);
        assertThat(tooLarge.limit()).isEqualTo(limit);
        assertThat(tooLarge.uri()).isEqualTo(uri);
    }

    private static void assertClosedNotPooled(Transport t) {
        Leaks.awaitTrue(() -> t.stats().open() == 0, "the over-limit body's connection closed");
        assertThat(t.stats().idle()).isZero();
    }

    /**
     * By default a body over 64 MiB fails string() and bytes() instead of filling the heap, its connection closed;
     * one of 64 MiB exactly is read whole and its connection reused. Before, there was no limit: a server sending
     * gigabytes made string() exhaust the heap.
     */
    @ParameterizedTest(name = "string {0}")
    @ValueSource(booleans = {true, false})
    void P65_byDefaultABodyOver64MiBFailsAndItsConnectionCloses(boolean string) throws Exception {
        long limit = 64L * 1024 * 1024;
        try (RawServer server = server(); Transport t = Transport.builder().build()) {
            HttpRequest big = get(server, "/chunked/" + (limit + 100_000));
            try (HttpResponse r = t.roundTrip(big)) {
                assertThatThrownBy(() -> {
                    if (string) {
                        r.body().string();
                    } else {
                        r.body().bytes();
                    }
                }).satisfies(e -> assertTooLarge(e, limit, big.uri()));
            }
            assertClosedNotPooled(t);
            try (HttpResponse r = t.roundTrip(get(server, "/chunked/" + limit))) {
                assertThat(r.body().bytes()).hasSize((int) limit);
            }
            try (HttpResponse r = t.roundTrip(get(server, "/2"))) {
                assertThat(r.body().string()).isEqualTo("aa");
            }
            assertThat(t.stats().dialed()).as("the body at the limit kept its connection").isEqualTo(2);
        }
    }

    /**
     * The transport's limit, and a call's own: a body at the limit is read and its connection reused, a larger one
     * fails (closed at the byte past the limit; had that byte been the body's last, the body was whole and its
     * connection is reused as for any body read to its end); a call's limit overrides the transport's either way. Refused limits: zero or negative.
     */
    @Test
    void P65_theTransportsLimitAndACallsOwn() throws Exception {
        try (RawServer server = server(); Transport t = Transport.builder().maxBufferedBodyBytes(1024).build()) {
            try (HttpResponse r = t.roundTrip(get(server, "/1024"))) {
                assertThat(r.body().string()).hasSize(1024);
            }
            HttpRequest over = get(server, "/1100");
            try (HttpResponse r = t.roundTrip(over)) {
                assertThatThrownBy(() -> r.body().string()).satisfies(e -> assertTooLarge(e, 1024, over.uri()));
            }
            assertClosedNotPooled(t);
            try (HttpResponse r = t.roundTrip(get(server, "/1100"))) {
                assertThat(r.body().string(1100)).hasSize(1100);
            }
            HttpRequest small = get(server, "/chunked/20");
            try (HttpResponse r = t.roundTrip(small)) {
                assertThatThrownBy(() -> r.body().bytes(10)).satisfies(e -> assertTooLarge(e, 10, small.uri()));
            }
            assertClosedNotPooled(t);
            try (HttpResponse r = t.roundTrip(get(server, "/4"))) {
                assertThatThrownBy(() -> r.body().bytes(0)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> r.body().string(-1)).isInstanceOf(IllegalArgumentException.class);
                assertThat(r.body().string()).as("a refused limit leaves the body as it was").isEqualTo("aaaa");
            }
            assertThatThrownBy(() -> Transport.builder().maxBufferedBodyBytes(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxBufferedBodyBytes");
            assertThat(t.stats().dialed()).isEqualTo(3);
        }
    }

    /** The stream is not limited; through HttpClient the limit and the URI (after a redirect: the last) are the same. */
    @Test
    void P65_theStreamHasNoLimitAndHttpClientKeepsIt() throws Exception {
        try (RawServer server = server(); Transport t = Transport.builder().maxBufferedBodyBytes(1024).build()) {
            try (HttpResponse r = t.roundTrip(get(server, "/chunked/200000"))) {
                assertThat(r.body().stream().readAllBytes()).hasSize(200_000);
            }
            HttpClient client = HttpClient.builder(t).build();
            HttpRequest over = get(server, "/2000");
            try (HttpResponse r = client.send(over)) {
                assertThatThrownBy(() -> r.body().bytes()).satisfies(e -> assertTooLarge(e, 1024, over.uri()));
            }
            assertClosedNotPooled(t);
        }
    }

    /**
     * P95: a body whose framing declares more than the limit left to read (its {@code Content-Length}, or the size of a
     * chunk) fails {@code string()} and {@code bytes()} as soon as that is known, before those bytes are read, and its
     * connection is closed (the server sees its end), directly and through {@code HttpClient}; so a server that
     * declares 2^40 bytes (or a chunk of 2^63-1), sends two and then nothing does not hold the call until a timeout (for
     * ever without one). Before, the call read and waited for the bytes it would refuse anyway: here, until the
     * request's timeout, as an {@link HttpTimeoutException}.
     */
    @ParameterizedTest(name = "through HttpClient {0}, chunked {1}")
    @org.junit.jupiter.params.provider.CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void P95_aDeclaredLengthOverTheLimitFailsAtOnceUnread(boolean client, boolean chunked) throws Exception {
        java.util.concurrent.CountDownLatch clientClosed = new java.util.concurrent.CountDownLatch(1);
        String answer = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nhi"
                : "HTTP/1.1 200 OK\r\nContent-Length: " + (1L << 40) + "\r\n\r\nhi";
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write(answer);
                     c.readUntilClosed(); // and sends nothing more
                     clientClosed.countDown();
                 }
             });
             Transport t = Transport.builder().maxBufferedBodyBytes(1024).build()) {
            // The request's own timeout bounds the old behaviour's wait; the call must end long before it.
            HttpRequest huge = HttpRequest.newBuilder(server.uri("/huge")).timeout(Duration.ofSeconds(60)).build();
            Object outcome = Leaks.outcomeWithin10s("string() of a body declared over the limit", () -> {
                try (HttpResponse r = client ? HttpClient.builder(t).build().send(huge) : t.roundTrip(huge)) {
                    return r.body().string();
                }
            });
            assertThat(outcome).isInstanceOf(Throwable.class);
            assertTooLarge((Throwable) outcome, 1024, huge.uri());
            assertClosedNotPooled(t);
            assertThat(clientClosed.await(20, TimeUnit.SECONDS)).as("the server saw the connection end").isTrue();
        }
    }

    /**
     * P95: the refusal counts what is left of the declared length, not the whole: a body read in part through
     * {@code stream()} whose rest fits the call's limit is read whole by {@code bytes(limit)}, its connection reused;
     * one byte more left than the limit, even a body already in memory, fails at once and closes its connection (where
     * before the read of its last byte, the one past the limit, ended the body and pooled the connection).
     */
    @Test
    void P95_whatIsLeftOfTheLengthCountsAndOneByteOverClosesTheConnection() throws Exception {
        try (RawServer server = server(); Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(get(server, "/1100"))) {
                assertThat(r.body().stream().readNBytes(100)).hasSize(100);
                assertThat(r.body().bytes(1000)).hasSize(1000);
            }
            int closedByE138 = idle.assertIdle(t, 1); // read whole: pooled, or closed for E138's reason alone
            HttpRequest over = get(server, "/1001");
            try (HttpResponse r = t.roundTrip(over)) {
                assertThatThrownBy(() -> r.body().bytes(1000)).satisfies(e -> assertTooLarge(e, 1000, over.uri()));
            }
            assertClosedNotPooled(t);
            assertThat(t.stats().dialed()).as("the over-limit request reused the pooled connection").isEqualTo(1 + closedByE138);
            // Chunks of 64 KiB, 200,000 bytes in all: each chunk's size fits the limit as long as the body does.
            try (HttpResponse r = t.roundTrip(get(server, "/chunked/200000"))) {
                assertThat(r.body().bytes(200_000)).hasSize(200_000);
            }
            HttpRequest chunkOver = get(server, "/chunked/200000");
            try (HttpResponse r = t.roundTrip(chunkOver)) {
                assertThatThrownBy(() -> r.body().bytes(150_000)).satisfies(e -> assertTooLarge(e, 150_000, chunkOver.uri()));
            }
            assertClosedNotPooled(t);
        }
    }

    /**
     * P68: the limit counts the bytes {@code bytes()} returns, a gzip body's decoded bytes (the transport decodes it),
     * not those on the wire: 100,000 zeros that travel as 132 bytes fail a limit of 1,010,
     * and 1,000 random bytes that travel as more than 1,010 (gzip makes them larger) are read whole. So a small
     * compressed body cannot fill the heap. The over-limit body here was on the wire whole (the decoder read all its
     * 132 bytes), so its connection is reused, as for any body whose framing was read to its end.
     */
    @Test
    void P68_aGzipBodysLimitCountsItsDecodedBytes() throws Exception {
        byte[] random = new byte[1000];
        new java.util.Random(1).nextBytes(random);
        byte[] randomGz = gzip(random);
        byte[] zerosGz = gzip(new byte[100_000]);
        assertThat(randomGz.length).as("more on the wire than the limit").isGreaterThan(1010);
        assertThat(zerosGz.length).as("less on the wire than the limit").isLessThan(1010);
        try (RawServer server = RawServer.start(c -> {
                 for (String req; (req = c.readRequest()) != null; ) {
                     byte[] b = req.contains("/zeros") ? zerosGz : randomGz;
                     c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + b.length + "\r\n\r\n");
                     c.write(b);
                 }
             });
             Transport t = Transport.builder().maxBufferedBodyBytes(1010).build()) {
            try (HttpResponse r = t.roundTrip(get(server, "/random"))) {
                assertThat(r.body().bytes()).isEqualTo(random);
            }
            HttpRequest zeros = get(server, "/zeros");
            try (HttpResponse r = t.roundTrip(zeros)) {
                assertThatThrownBy(() -> r.body().bytes()).satisfies(e -> assertTooLarge(e, 1010, zeros.uri()));
            }
            assertThat(t.stats().open()).isLessThanOrEqualTo(1);
        }
    }

    private static byte[] gzip(byte[] b) throws IOException {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(bo)) {
            g.write(b);
        }
        return bo.toByteArray();
    }
}
