package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A matrix of hostile and malformed answers (status line, header section, framing, 1xx, bodiless answers), each
 * through a transport of one connection per host with a listener counting {@code done()}: every answer ends with
 * the response as expected or an {@link HttpProtocolException} of the expected reason, thrown by the round trip or
 * by the body's read; the request reports exactly one {@code done()}, carrying that very failure; a connection that
 * cannot be trusted is closed by the client (the server sees its end) and a trusted one reused; and the next request,
 * which needs the one slot back, is served. T10, T11, P29, P37, P40, P41, P79, P84 (probe).
 */
@NoGoroutineLeaks
class HostileMatrixProbeTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What one answer must lead to. */
    record Expect(Reason reason, String body, boolean reused) {
        static Expect fails(Reason reason) {
            return new Expect(reason, null, false);
        }

        static Expect reads(String body, boolean reused) {
            return new Expect(null, body, reused);
        }
    }

    private static Arguments c(String name, String method, String bytes, boolean closeAfter, Expect expect) {
        return Arguments.of(name, method, bytes, closeAfter, expect);
    }

    private static Arguments get(String name, String bytes, Expect expect) {
        return c(name, "GET", bytes, false, expect);
    }

    private static String fields(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("X-").append(i).append(": v\r\n");
        }
        return b.toString();
    }

    static Stream<Arguments> answers() {
        String chunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n";
        return Stream.of(
                // ---- status line
                get("HTTP/1.0 keep-alive framed", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", true)),
                get("HTTP/1.0 without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.reads("hi", false)),
                c("HTTP/1.0 keep-alive without a length, closed", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nhi",
                        true, Expect.reads("hi", false)),
                get("HTTP/1.1 keep-alive token in upper case", "HTTP/1.1 200 OK\r\nConnection: CLOSE\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", false)),
                get("HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.UNSUPPORTED_VERSION)),
                get("HTTP/0.9 version", "HTTP/0.9 200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.UNSUPPORTED_VERSION)),
                get("tab after the version", "HTTP/1.1\t200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("HTTP/1.2, read as HTTP/1.1", "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.reads("hi", true)),
                get("HTTP/3.0", "HTTP/3.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.UNSUPPORTED_VERSION)),
                get("code 0200", "HTTP/1.1 0200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("tab after the code", "HTTP/1.1 200\tOK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("code 099", "HTTP/1.1 099 X\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("code 000", "HTTP/1.1 000 X\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("code 600", "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nhi", Expect.reads("hi", true)),
                get("code 1000", "HTTP/1.1 1000 X\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("code of two digits then space", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.BAD_STATUS_CODE)),
                get("ESC in the reason", "HTTP/1.1 200 O\u001bK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.INVALID_CHARACTER)),
                get("status line over 8 KiB", "HTTP/1.1 200 " + "x".repeat(8200) + "\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.fails(Reason.LINE_TOO_LONG)),
                get("space and no reason", "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nhi", Expect.reads("hi", true)),
                get("no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nhi", Expect.reads("hi", true)),
                get("HTTP/1.10", "HTTP/1.10 200 OK\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.UNSUPPORTED_VERSION)),
                get("Connection keep-alive, close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", false)),
                get("Connection keep-alive then close in a second field",
                        "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", Expect.reads("hi", false)),
                get("Connection close between tabs", "HTTP/1.1 200 OK\r\nConnection:\tclose\t\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", false)),
                get("HTTP/1.0 Keep-Alive in mixed case", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", true)),
                get("HTTP/1.0 keep-alive, close", "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", false)),
                get("length 0 and Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                        Expect.reads("", false)),
                get("HTTP/1.0 204 without keep-alive", "HTTP/1.0 204 No Content\r\n\r\n", Expect.reads("", false)),
                // ---- header section
                get("obs-fold after Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 0\r\n\r\nhi",
                        Expect.fails(Reason.OBSOLETE_LINE_FOLDING)),
                get("space before the colon of Transfer-Encoding",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.MALFORMED_HEADER)),
                get("a line of one space in the head", "HTTP/1.1 200 OK\r\n \r\nContent-Length: 2\r\n\r\nhi",
                        Expect.fails(Reason.OBSOLETE_LINE_FOLDING)),
                get("empty name", "HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.MALFORMED_HEADER)),
                get("NUL in a value", "HTTP/1.1 200 OK\r\nX: a\u0000b\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.INVALID_CHARACTER)),
                get("bare CR in a value", "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.INVALID_CHARACTER)),
                get("bare LF inside a value", "HTTP/1.1 200 OK\r\nX: a\nb\r\nContent-Length: 2\r\n\r\nhi", Expect.fails(Reason.MALFORMED_HEADER)),
                get("bare LF then a space inside a value", "HTTP/1.1 200 OK\r\nX: a\n b\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.fails(Reason.OBSOLETE_LINE_FOLDING)),
                get("bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", Expect.reads("hi", true)),
                get("CRLF head ended by a bare LF", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\nhi", Expect.reads("hi", true)),
                get("vertical tab before a length", "HTTP/1.1 200 OK\r\nContent-Length: \u000b2\r\n\r\nhi",
                        Expect.fails(Reason.INVALID_CHARACTER)),
                get("100 fields", "HTTP/1.1 200 OK\r\n" + fields(99) + "Content-Length: 2\r\n\r\nhi", Expect.reads("hi", true)),
                get("101 fields", "HTTP/1.1 200 OK\r\n" + fields(100) + "Content-Length: 2\r\n\r\nhi", Expect.fails(Reason.TOO_MANY_HEADERS)),
                get("20000 tiny fields", "HTTP/1.1 200 OK\r\n" + "a:\r\n".repeat(20000) + "Content-Length: 2\r\n\r\nhi",
                        Expect.fails(Reason.TOO_MANY_HEADERS)),
                // ---- framing
                get("Content-Length twice and Transfer-Encoding",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
                        Expect.fails(Reason.CONFLICTING_FRAMING)),
                get("Content-Length twice, equal", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
                        Expect.reads("hi", true)),
                get("Content-Length twice, different", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!",
                        Expect.fails(Reason.CONFLICTING_CONTENT_LENGTH)),
                get("Content-Length +2", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nhi", Expect.fails(Reason.INVALID_CONTENT_LENGTH)),
                get("Content-Length 002", "HTTP/1.1 200 OK\r\nContent-Length: 002\r\n\r\nhi", Expect.reads("hi", true)),
                get("Content-Length with tabs around", "HTTP/1.1 200 OK\r\nContent-Length:\t2\t\r\n\r\nhi", Expect.reads("hi", true)),
                get("Content-Length 2^63", "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\nhi",
                        Expect.fails(Reason.INVALID_CONTENT_LENGTH)),
                get("Content-Length of 40 digits", "HTTP/1.1 200 OK\r\nContent-Length: " + "9".repeat(40) + "\r\n\r\nhi",
                        Expect.fails(Reason.INVALID_CONTENT_LENGTH)),
                get("Transfer-Encoding gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                        Expect.fails(Reason.UNSUPPORTED_TRANSFER_ENCODING)),
                get("Transfer-Encoding chunked, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
                        Expect.fails(Reason.UNSUPPORTED_TRANSFER_ENCODING)),
                get("Transfer-Encoding chunked in two fields",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        Expect.fails(Reason.UNSUPPORTED_TRANSFER_ENCODING)),
                get("Transfer-Encoding chunked then a trailing comma", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n0\r\n\r\n",
                        Expect.fails(Reason.UNSUPPORTED_TRANSFER_ENCODING)),
                get("Transfer-Encoding chunked with a parameter", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n",
                        Expect.fails(Reason.UNSUPPORTED_TRANSFER_ENCODING)),
                get("Transfer-Encoding empty", "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\nhi",
                        Expect.fails(Reason.UNSUPPORTED_TRANSFER_ENCODING)),
                get("chunk size after a space", chunkedHead + "\r\n 2\r\nhi\r\n0\r\n\r\n", Expect.fails(Reason.BAD_CHUNK)),
                get("chunk size -2", chunkedHead + "\r\n-2\r\nhi\r\n0\r\n\r\n", Expect.fails(Reason.BAD_CHUNK)),
                get("chunk size 0x2", chunkedHead + "\r\n0x2\r\nhi\r\n0\r\n\r\n", Expect.fails(Reason.BAD_CHUNK)),
                get("blank before a chunk extension", chunkedHead + "\r\n2 ;x\r\nhi\r\n0\r\n\r\n", Expect.reads("hi", true)),
                get("last chunk without its empty line, then a response", chunkedHead + "\r\n2\r\nhi\r\n0\r\n" + OK,
                        Expect.fails(Reason.MALFORMED_HEADER)),
                get("chunk size of 17 hex digits", chunkedHead + "\r\n" + "1".repeat(17) + "\r\nhi\r\n0\r\n\r\n", Expect.fails(Reason.BAD_CHUNK)),
                get("chunk size 2^64-1", chunkedHead + "\r\nffffffffffffffff\r\nhi\r\n0\r\n\r\n", Expect.fails(Reason.BAD_CHUNK)),
                get("chunk extension of 5000 bytes", chunkedHead + "\r\n2;" + "a".repeat(5000) + "\r\nhi\r\n0\r\n\r\n",
                        Expect.fails(Reason.CHUNK_EXTENSION_TOO_LONG)),
                get("no CRLF after chunk data", chunkedHead + "\r\n2\r\nhiXX0\r\n\r\n", Expect.fails(Reason.BAD_CHUNK)),
                get("trailers of 20 KiB", chunkedHead + "\r\n2\r\nhi\r\n0\r\n" + ("T: " + "t".repeat(1000) + "\r\n").repeat(20) + "\r\n",
                        Expect.fails(Reason.TRAILERS_TOO_LARGE)),
                get("obs-fold in the trailers", chunkedHead + "\r\n2\r\nhi\r\n0\r\nT: a\r\n b\r\n\r\n", Expect.fails(Reason.OBSOLETE_LINE_FOLDING)),
                get("framing fields sent as trailers (not announced)",
                        chunkedHead + "\r\n2\r\nhi\r\n0\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n", Expect.reads("hi", true)),
                c("body shorter than its length, then close", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", true,
                        Expect.fails(Reason.PREMATURE_EOF)),
                c("chunked body cut before the last chunk", "GET", chunkedHead + "\r\n2\r\nhi\r\n", true, Expect.fails(Reason.PREMATURE_EOF)),
                get("a response after a length body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" + OK, Expect.reads("hi", false)),
                get("a response after a chunked body", chunkedHead + "\r\n2\r\nhi\r\n0\r\n\r\n" + OK, Expect.reads("hi", false)),
                get("a CRLF after a length body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\r\n", Expect.reads("hi", false)),
                // ---- 1xx and bodiless answers
                get("six 1xx (no count of them: P92)", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(3)
                        + "HTTP/1.1 100 Continue\r\n\r\n".repeat(3) + OK, Expect.reads("ok", true)),
                get("five 1xx of 99 fields each", ("HTTP/1.1 103 Early Hints\r\n" + fields(99) + "\r\n").repeat(5) + OK,
                        Expect.reads("ok", true)),
                get("199 then the answer", "HTTP/1.1 199 Odd\r\n\r\n" + OK, Expect.reads("ok", true)),
                get("102 Processing then the answer", "HTTP/1.1 102 Processing\r\n\r\n" + OK, Expect.reads("ok", true)),
                get("1xx in HTTP/1.0 then the answer", "HTTP/1.0 100 Continue\r\n\r\n" + OK, Expect.reads("ok", true)),
                get("unasked 101 with bytes after it",
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0005hello",
                        Expect.reads("", false)),
                get("204 with a body", "HTTP/1.1 204 No Content\r\n\r\nhello", Expect.reads("", false)),
                get("304 with a length and its body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello", Expect.reads("", false)),
                c("HEAD answer with a length and bytes after it", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false,
                        Expect.reads("", false)),
                c("HEAD answer with a length", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, Expect.reads("", true)),
                c("HEAD answer chunked with its last chunk", "HEAD", chunkedHead + "\r\n0\r\n\r\n", false, Expect.reads("", false)));
    }

    /**
     * The server's first connection answers the first request with {@code bytes} (then closes its output if
     * {@code closeAfter}) and every later request with {@link #OK}; every other connection answers {@link #OK}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void everyHostileAnswerEndsCleanlyAndLeavesTheSlotUsable(String name, String method, String bytes, boolean closeAfter,
            Expect expect) throws Exception {
        CountDownLatch firstClosed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(conn -> {
                 try {
                     if (conn.index == 0) {
                         if (conn.readRequest() == null) {
                             return;
                         }
                         conn.write(bytes);
                         if (closeAfter) {
                             conn.socket.shutdownOutput();
                         }
                     }
                     while (conn.readRequest() != null) {
                         conn.write(OK);
                     }
                 } catch (SocketException e) {
                     // reset by the client: closed as well
                 } finally {
                     if (conn.index == 0) {
                         firstClosed.countDown();
                     }
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).listener(dones).build()) {
            HttpRequest first = HttpRequest.newBuilder(server.uri("/")).method(method, RequestBody.none())
                    .timeout(Duration.ofSeconds(10)).build();
            Throwable failure = null;
            String body = null;
            try (HttpResponse r = t.roundTrip(first)) {
                body = r.body().string();
            } catch (IOException e) {
                failure = e;
            }
            if (expect.reason() != null) {
                assertThat(failure).as("the failure").isInstanceOf(HttpProtocolException.class);
                assertThat(((HttpProtocolException) failure).reason()).as("%s", failure).isEqualTo(expect.reason());
            } else {
                assertThat(failure).as("no failure").isNull();
                assertThat(body).isEqualTo(expect.body());
            }
            Leaks.awaitTrue(() -> dones.done.containsKey(first), "done() of the first request");
            List<Throwable> reported = dones.done.get(first);
            assertThat(reported).as("done() of the first request").hasSize(1);
            if (failure != null) {
                assertThat(reported.get(0)).as("done() carries the failure").isSameAs(failure);
            } else {
                assertThat(reported.get(0).getMessage()).isEqualTo("ok");
            }
            // The one slot is free and the pool holds nothing poisoned: the next request is served "ok".
            HttpRequest second = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(second)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("connections dialled (reused: %s)", expect.reused())
                    .isEqualTo(expect.reused() ? 1 : 2);
            if (!expect.reused()) {
                assertThat(firstClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the first connection").isTrue();
            }
            assertThat(dones.done.get(second)).hasSize(1);
            assertThat(server.failures()).isEmpty();
        }
    }
    /**
     * Hostile answers on kept-alive connections, each request served by the next answer of a cycle, from 16 callers
     * through two connections: a hostile answer often comes on a reused connection, some answers smuggle a second
     * response ({@code EVIL}) behind a complete one. Every request ends with a response from the cycle's legitimate
     * bodies, or an {@link HttpProtocolException}; {@code EVIL} is never read as an answer; every request reports
     * exactly one {@code done()}; the pool ends idle and nothing is left running.
     */
    @org.junit.jupiter.api.Test
    void hostileAnswersOnReusedConnectionsNeverPoisonThePool() throws Exception {
        String evil = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";
        List<String> cycle = List.of(
                OK,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" + evil,
                "HTTP/1.1 204 No Content\r\n\r\n" + evil,
                "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n" + evil,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + evil,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + evil,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nhi" + evil,
                "HTTP/1.1 103 Early Hints\r\n\r\n" + OK,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX" + evil,
                "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nhi" + evil,
                "HTTP/1.1 101 Switching Protocols\r\n\r\n" + evil,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\r\n");
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        int callers = 16;
        int each = 25;
        Dones dones = new Dones();
        java.util.Queue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(conn -> {
                 try {
                     while (conn.readRequest() != null) {
                         conn.write(cycle.get(served.getAndIncrement() % cycle.size()));
                     }
                 } catch (SocketException e) {
                     // reset by the client
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(2).listener(dones).build()) {
            List<Thread> threads = new java.util.ArrayList<>();
            for (int c = 0; c < callers; c++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < each; i++) {
                        HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(20)).build();
                        try (HttpResponse r = t.roundTrip(req)) {
                            String body = r.body().string();
                            if (!List.of("ok", "hi", "").contains(body)) {
                                wrong.add("body '" + body + "' (status " + r.status() + ")");
                            }
                        } catch (HttpProtocolException e) {
                            // a hostile answer refused: expected
                        } catch (Exception e) {
                            wrong.add("unexpected " + e);
                        }
                    }
                }));
            }
            for (Thread th : threads) {
                assertThat(th.join(Duration.ofSeconds(120))).as("caller ended").isTrue();
            }
            assertThat(wrong).isEmpty();
            Leaks.awaitTrue(() -> dones.done.size() == callers * each, "every done()");
            assertThat(dones.done.values()).allSatisfy(l -> assertThat(l).hasSize(1));
            Leaks.awaitTrue(() -> t.stats().inUse() == 0 && t.stats().waiting() == 0, "pool idle");
        }
    }
}
