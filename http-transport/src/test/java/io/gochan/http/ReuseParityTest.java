package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E135: the one decision "may this connection serve the next request?" against Go 1.19's transport, shape by shape
 * ({@code src/test/go-oracle/reuse_oracle.go}, whose output is {@code reuse-go1.19.8.txt}): one request answered with
 * the shape, its body read to its end, closed unread or never closed, then a plain GET; the number of connections the
 * server accepted says whether the first was reused. Go's count, except where a rule of ours closes a connection Go
 * keeps (P21, P22, P29, P41: each named in its row). E136: a connection kept from the pool is closed with the reason
 * its one owner gave.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReuseParityTest {
    private static final String OK = RawServer.OK;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the caller treats the first response's body. */
    enum Consume { READ, CLOSE, NEVER_CLOSE }

    private static String gzipped(String text) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(b)) {
            z.write(text.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static Arguments row(String name, String method, String header, String body, String response,
            Consume consume, boolean answersFirst, int go, int ours) {
        return Arguments.of(name, method, header, body, response, consume, answersFirst, go, ours);
    }

    private static Arguments same(String name, String method, String response, Consume consume, int connections) {
        return row(name, method, null, null, response, consume, false, connections, connections);
    }

    static Stream<Arguments> shapes() {
        String gz = gzipped("hello");
        return Stream.of(
                same("cl read", "GET", OK, Consume.READ, 1),
                same("cl closed unread", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", Consume.CLOSE, 2),
                same("chunked read", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                        Consume.READ, 1),
                same("chunked trailers read", "GET",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 7\r\n\r\n", Consume.READ, 1),
                same("chunked empty closed unread", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        Consume.CLOSE, 2),
                same("until close 1.1", "GET", "HTTP/1.1 200 OK\r\n\r\nok", Consume.READ, 2),
                same("response Connection: close", "GET",
                        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", Consume.READ, 2),
                same("1.0 cl", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", Consume.READ, 2),
                same("1.0 keep-alive cl", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
                        Consume.READ, 1),
                same("1.0 keep-alive, close cl", "GET",
                        "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok", Consume.READ, 2),
                same("HEAD cl 10", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", Consume.CLOSE, 1),
                same("HEAD chunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Consume.CLOSE, 1),
                same("HEAD 1.0", "HEAD", "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n", Consume.CLOSE, 2),
                same("204", "GET", "HTTP/1.1 204 No Content\r\n\r\n", Consume.CLOSE, 1),
                same("304 cl 5", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", Consume.CLOSE, 1),
                row("204 cl 5 (P29)", "GET", null, null, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                        Consume.CLOSE, false, 1, 2),
                same("cl 0 closed unread", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Consume.CLOSE, 1),
                same("cl 0 never closed", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Consume.NEVER_CLOSE, 1),
                same("103 then 200", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK, Consume.READ, 1),
                same("101 not asked", "GET", "HTTP/1.1 101 Switching Protocols\r\n\r\n", Consume.CLOSE, 2),
                same("gzip read", "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length()
                        + "\r\n\r\n" + gz, Consume.READ, 1),
                same("gzip closed unread", "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
                        + gz.length() + "\r\n\r\n" + gz, Consume.CLOSE, 2),
                same("gzip cl 0", "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n",
                        Consume.READ, 1),
                row("request Connection: close (P22)", "GET", "Connection: close", null, OK, Consume.READ, false, 1, 2),
                row("POST answered before its body is read", "POST", null, "abc", OK, Consume.READ, true, 1, 1),
                row("POST 100-continue, final status first (P21)", "POST", "Expect: 100-continue", "abc", OK,
                        Consume.READ, true, 1, 2),
                row("POST 100-continue, 100 then 200", "POST", "Expect: 100-continue", "abc",
                        "HTTP/1.1 100 Continue\r\n\r\n" + OK, Consume.READ, true, 1, 1),
                same("server closes after its answer", "GET", OK, Consume.READ, 2),
                same("bytes after the body", "GET", OK + "xx", Consume.READ, 2),
                same("408 on a new connection", "GET", "HTTP/1.1 408 Request Timeout\r\nContent-Length: 2\r\n\r\nto",
                        Consume.READ, 1),
                row("1.0 TE chunked keep-alive cl (P41)", "GET", null, null,
                        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok",
                        Consume.READ, false, 1, 2),
                same("Proxy-Connection: close", "GET",
                        "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nok", Consume.READ, 1),
                same("1xx with Connection: close then 200", "GET", "HTTP/1.1 103 Early Hints\r\nConnection: close\r\n\r\n" + OK,
                        Consume.READ, 1));
    }

    /**
     * E135: after the first request's answer of {@code name}'s shape (its body treated as {@code consume} says), a plain
     * GET is answered on the same connection exactly when Go's transport reuses it, or when no rule of ours closes it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void E135_aConnectionIsReusedAfterAnAnswerExactlyWhenGosIsOrARuleSaysWhyNot(String name, String method, String header,
            String body, String response, Consume consume, boolean answersFirst, int go, int ours) throws Exception {
        boolean untilClose = name.startsWith("until close") || name.startsWith("server closes");
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; ; i++) {
                     String head = c.readRequestHead();
                     if (head == null) {
                         return;
                     }
                     int length = io.gochan.http.testing.Heads.contentLength(head, 0);
                     boolean shaped = c.index == 0 && i == 0;
                     if (shaped && answersFirst) {
                         c.write(response);
                     }
                     c.readBody(length);
                     if (!shaped) {
                         c.write(OK);
                         continue;
                     }
                     if (!answersFirst) {
                         c.write(response);
                     }
                     if (untilClose) {
                         return;
                     }
                 }
             });
             Transport t = Transport.builder().expectContinueTimeout(Duration.ofSeconds(30)).build()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/first")).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? RequestBody.none() : RequestBody.of(body));
            if (header != null) {
                String[] nv = header.split(": ", 2);
                b.header(nv[0], nv[1]);
            }
            HttpResponse first = t.roundTrip(b.build());
            switch (consume) {
                case READ -> first.body().bytes();
                case CLOSE, NEVER_CLOSE -> { }
            }
            if (consume != Consume.NEVER_CLOSE) {
                first.close();
            }
            try (HttpResponse second = t.roundTrip(HttpRequest.newBuilder(server.uri("/second"))
                    .timeout(Duration.ofSeconds(30)).build())) {
                assertThat(second.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).as("connections (Go's: %d)", go).isEqualTo(ours);
            if (consume == Consume.NEVER_CLOSE) {
                first.close();
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", null, false,
                        "the response said Connection: close (P22)"),
                Arguments.of(OK, "Connection: close", false, "the request said Connection: close (P22)"),
                Arguments.of("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", null, false,
                        "an HTTP/1.0 response without Connection: keep-alive (P22)"),
                Arguments.of("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", null, false,
                        "a 204 that declares a body, which may still come (P29)"),
                Arguments.of(OK, "Expect: 100-continue", false,
                        "a final status came without 100 Continue: whether the server read the request's body is"
                                + " unknowable (P21)"),
                Arguments.of(OK, null, true, "keep-alives are disabled"));
    }

    /**
     * E136: a connection an answer kept from the pool is closed with the reason its one owner ({@code KeepAlive}) gave,
     * which the flight recorder's "closed" event says. Before, every such close said "keep-alive not possible after
     * this response", whichever rule it was.
     */
    @ParameterizedTest(name = "{3}")
    @MethodSource("refusals")
    void E136_aConnectionKeptFromThePoolIsClosedWithTheRuleThatKeptIt(String response, String header,
            boolean disableKeepAlives, String reason, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("closed.jfr");
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     c.write(response); // before the body: an Expect: 100-continue request's body is never sent
                     c.readBody(io.gochan.http.testing.Heads.contentLength(head, 0));
                 }
             });
             Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection");
            rec.start();
            try (Transport t = Transport.builder().disableKeepAlives(disableKeepAlives)
                    .expectContinueTimeout(Duration.ofSeconds(30)).build()) {
                HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(30))
                        .PUT(RequestBody.of("abc"));
                if (header != null) {
                    String[] nv = header.split(": ", 2);
                    b.header(nv[0], nv[1]);
                }
                try (HttpResponse r = t.roundTrip(b.build())) {
                    r.body().bytes();
                }
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            }
            rec.stop();
            rec.dump(file);
            List<String> reasons = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("io.gochan.http.Connection"))
                    .filter(e -> "closed".equals(e.getString("action")))
                    .filter(e -> (e.getString("connection") + " ").contains(":" + server.port() + " "))
                    .map(e -> e.getString("reason")).toList();
            assertThat(reasons).containsExactly("connection not reused: " + reason);
        }
    }
}
