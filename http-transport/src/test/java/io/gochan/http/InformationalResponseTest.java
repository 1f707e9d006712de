package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * P79, P92: 1xx responses from a hostile server. Sequences of informational heads that would keep the client reading, or
 * whose framing fields a final answer could not have, each end with a specific {@link HttpProtocolException} in
 * bounded time, the connection closed by the client (the server sees its end), nothing pooled, and the next request
 * served on a new connection; framing fields that Go tolerates on a 1xx are tolerated. A {@code 101} the request asked
 * for is held to the same checks before its tunnel opens. {@code docs/hostile-input.md} lists the cases.
 */
@NoGoroutineLeaks
class InformationalResponseTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A server whose first connection runs {@code first}, and whose later ones answer every request with {@link #OK}. */
    private static RawServer firstConnectionThenOk(RawServer.Handler first) throws IOException {
        return RawServer.start(c -> {
            if (c.index > 0) {
                while (c.readRequest() != null) {
                    c.write(OK);
                }
                return;
            }
            first.handle(c);
        });
    }

    private static HttpRequest bounded(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
    }

    /**
     * P79, P92: a server that sends {@code 103 Early Hints} without end, never a final status. The request fails with
     * {@code HEADERS_TOO_LARGE} once the hints add up to more than {@code maxHeaderBytes} (P92: they share the
     * response's budget; before P92, {@code TOO_MANY_INFORMATIONAL_RESPONSES} after the sixth), well within its own
     * timeout: the client does not read on while the hints keep coming. The server's writes then fail (the client
     * closed the connection), nothing is pooled, and the next request, on a new connection, gets its answer. A guard
     * that the budget, now the only bound on the hints, ends them.
     */
    @Test
    void P79_anEndlessStreamOfEarlyHintsFailsTheRequestAndClosesItsConnection() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        AtomicLong hintsSent = new AtomicLong();
        try (RawServer server = firstConnectionThenOk(c -> {
                 c.readRequest();
                 try {
                     while (true) {
                         c.write("HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n");
                         hintsSent.incrementAndGet();
                     }
                 } catch (IOException e) {
                     clientClosed.countDown(); // the client closed the connection under the hints
                 }
             });
             Transport t = Transport.builder().build()) {
            Object outcome = Leaks.outcomeWithin10s("a request answered by endless 1xx", () -> {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    return r.status();
                }
            });
            assertThat(outcome).isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.HEADERS_TOO_LARGE);
                assertThat(e.getMessage()).contains("informational (1xx) heads read before this head");
            });
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("the client closed the connection (the server's hints stopped going out)").isTrue();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(t.stats().idle()).as("nothing pooled").isZero();
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the next request dialed").isEqualTo(2);
            assertThat(hintsSent.get()).as("hints the server could send before the client closed").isPositive();
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * P92: six {@code 103 Early Hints} heads of about 730 bytes, each far under a 4096-byte {@code maxHeaderBytes} and
     * together over it, fail the request with {@code HEADERS_TOO_LARGE}, saying that the informational heads counted;
     * the client closes the connection (the server sees its end), nothing is pooled, and the next request dials. Fails
     * on the code before P92, which refused them as {@code TOO_MANY_INFORMATIONAL_RESPONSES} (a count of six).
     */
    @Test
    void P92_informationalHeadsEachUnderTheLimitAndTogetherOverItAreRefused() throws Exception {
        String hint = "HTTP/1.1 103 Early Hints\r\nLink: </" + "a".repeat(700) + ">\r\n\r\n";
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = firstConnectionThenOk(c -> {
                 c.readRequest();
                 c.write(hint.repeat(6) + OK);
                 c.readUntilClosed();
                 clientClosed.countDown();
             });
             Transport t = Transport.builder().responseLimits(1024, 4096, 100).build()) {
            assertThatThrownBy(() -> t.roundTrip(bounded(server)))
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.HEADERS_TOO_LARGE);
                        assertThat(e.getMessage()).contains("4096 bytes")
                                .contains("the 5 informational (1xx) heads read before this head");
                    });
            assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the client closed the connection")
                    .isTrue();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(t.stats().idle()).as("nothing pooled").isZero();
            try (HttpResponse r = t.roundTrip(bounded(server))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).as("the next request dialed").isEqualTo(2);
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * P92: thirty small {@code 102 Processing} heads and a final head, together under {@code maxHeaderBytes}, are read
     * (their number has no bound of its own, as in Go 1.24), twice on one connection, reused. Fails on the code before
     * P92, which refused the sixth 1xx ({@code TOO_MANY_INFORMATIONAL_RESPONSES}).
     */
    @Test
    void P92_manySmallInformationalHeadsWithinTheLimitAreRead() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 102 Processing\r\n\r\n".repeat(30) + OK);
                 }
             });
             Transport t = Transport.builder().responseLimits(1024, 4096, 100).build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(t.stats().reused()).isEqualTo(1);
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * P92: the shared budget is exact, a {@code 100 Continue} (which this transport hands to no caller, as Go's
     * {@code Got100Continue} hook does not reset its limit) counted as any 1xx: five 1xx heads and a final head of 223
     * bytes together are read under a limit of 223, and the connection reused; under 222 the request fails with
     * {@code HEADERS_TOO_LARGE} and the connection is closed. Fails on the code before P92, which read them under 222
     * (each head alone is far under it).
     */
    @Test
    void P92_theSharedLimitIsExact() throws Exception {
        String heads = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(4) + "HTTP/1.1 100 Continue\r\n\r\n";
        String finalHead = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
        int total = heads.length() + finalHead.length();
        assertThat(total).isEqualTo(223);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(heads + finalHead + "ok");
                 }
             });
             Transport exact = Transport.builder().responseLimits(64, total, 100).build();
             Transport under = Transport.builder().responseLimits(64, total - 1, 100).build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = exact.roundTrip(bounded(server))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(exact.stats().reused()).as("read whole at the limit: reused").isEqualTo(1);
            assertThatThrownBy(() -> under.roundTrip(bounded(server)))
                    .isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.HEADERS_TOO_LARGE));
            Leaks.awaitTrue(() -> under.stats().open() == 0, "the connection closed");
            assertThat(under.stats().idle()).isZero();
        }
    }

    static Stream<Arguments> refusedFraming() {
        return Stream.of(
                Arguments.of("103 declaring a transfer coding other than chunked",
                        "HTTP/1.1 103 Early Hints\r\nLink: x\r\nTransfer-Encoding: gzip\r\n\r\n" + OK,
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("102 declaring chunked, then another coding",
                        "HTTP/1.1 102 Processing\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" + OK,
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("100 declaring chunked twice",
                        "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + OK,
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("103 with differing Content-Length fields",
                        "HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n" + OK,
                        Reason.CONFLICTING_CONTENT_LENGTH),
                Arguments.of("103 with both Content-Length and Transfer-Encoding",
                        "HTTP/1.1 103 Early Hints\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n" + OK,
                        Reason.CONFLICTING_FRAMING),
                Arguments.of("a fine 103, then a 103 declaring a transfer coding",
                        "HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 103 Early Hints\r\nTransfer-Encoding: br\r\n\r\n" + OK,
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("an unasked 101 declaring a transfer coding",
                        "HTTP/1.1 101 Switching Protocols\r\nTransfer-Encoding: gzip\r\n\r\n" + OK,
                        Reason.UNSUPPORTED_TRANSFER_ENCODING));
    }

    /**
     * P79: framing fields that make a final answer refused make a 1xx refused too, as Go's {@code ReadResponse} refuses
     * them on every status; a good final answer follows each, which the request must not get. The connection is
     * closed. Before, a 1xx's fields were never looked at: the 1xx was skipped and the request got the 200 (the
     * unasked 101 was returned as the answer), so each case failed on "Expecting code to raise a throwable".
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedFraming")
    void P79_framingFieldsRefusedOnAFinalAnswerAreRefusedOnAnInformationalOne(String name, String response, Reason reason)
            throws Exception {
        HostileServerTest.assertResponseRejected(response, false, reason);
    }

    /** A request that asks to switch to WebSocket (R67). */
    private static HttpRequest upgrade(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade").header("Upgrade", "websocket")
                .timeout(Duration.ofSeconds(10)).build();
    }

    static Stream<Arguments> refusedOnAnAskedSwitch() {
        return Stream.of(
                Arguments.of("a transfer coding other than chunked", "Transfer-Encoding: gzip\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("chunked, then another coding", "Transfer-Encoding: chunked, gzip\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                        Reason.UNSUPPORTED_TRANSFER_ENCODING),
                Arguments.of("differing Content-Length fields", "Content-Length: 5\r\nContent-Length: 7\r\n",
                        Reason.CONFLICTING_CONTENT_LENGTH),
                Arguments.of("both Content-Length and Transfer-Encoding", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
                        Reason.CONFLICTING_FRAMING));
    }

    /**
     * P79: a {@code 101 Switching Protocols} the request asked for (R67) is held to the framing checks of any 101 before
     * its tunnel opens, as Go's {@code ReadResponse} refuses a transfer coding it cannot read, and differing lengths, on
     * every status before its transport looks at the switch: the request fails with the reason, no tunnel is handed
     * over, and the connection is closed. Before, an asked switch skipped the checks (only an unasked 101 had them): the
     * caller got the 101 and its tunnel, and each case failed on "Expecting code to raise a throwable".
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedOnAnAskedSwitch")
    void P79_framingFieldsRefusedOnAnyOther101AreRefusedOnAnAskedSwitchToo(String name, String fields, Reason reason)
            throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" + fields
                         + "\r\nhello from the new protocol");
                 HostileServerTest.awaitClientClose(c, clientClosed);
             });
             Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(upgrade(server)).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> assertThat(e.reason()).isEqualTo(reason));
            HostileServerTest.assertClosedNotPooled(t, clientClosed);
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * P79: a lone {@code chunked} on an asked switch is tolerated, as on any 1xx and as Go tolerates it (a 101 has no body
     * to frame): the tunnel opens, and its bytes are the peer's as they come, never read as chunks (R67). A guard: the
     * code before P79 passes it too; it pins that P79's checks refuse no more than Go does.
     */
    @Test
    void P79_aLoneChunkedOnAnAskedSwitchStillOpensItsTunnel() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                         + "Transfer-Encoding: chunked\r\n\r\nhello from the new protocol");
                 c.socket.shutdownOutput(); // the peer's end of stream: the tunnel's body ends there
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(upgrade(server))) {
                assertThat(r.status()).isEqualTo(101);
                assertThat(r.body().string()).isEqualTo("hello from the new protocol");
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed, never pooled");
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * P92: an asked {@code 101 Switching Protocols} is the final head, and shares the budget of the 1xx heads before it
     * as Go's does (its {@code readLimit} runs on until the 101): three small hints and the 101 within a 256-byte
     * {@code maxHeaderBytes} open the tunnel; five and the 101 over it fail the request with {@code HEADERS_TOO_LARGE},
     * no tunnel handed over, the connection closed. Fails on the code before P92, which opened the second tunnel too.
     */
    @Test
    void P92_anAskedSwitchSharesTheBudgetOfTheInformationalHeadsBeforeIt() throws Exception {
        String hint = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
        String switched = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        assertThat(3 * hint.length() + switched.length()).isLessThanOrEqualTo(256);
        assertThat(5 * hint.length() + switched.length()).isGreaterThan(256);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write(hint.repeat(c.index == 0 ? 3 : 5) + switched + "hello");
                 c.socket.shutdownOutput();
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().responseLimits(128, 256, 100).build()) {
            try (HttpResponse r = t.roundTrip(upgrade(server))) {
                assertThat(r.status()).isEqualTo(101);
                assertThat(r.body().string()).isEqualTo("hello");
            }
            assertThatThrownBy(() -> t.roundTrip(upgrade(server)))
                    .isInstanceOfSatisfying(HttpProtocolException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.HEADERS_TOO_LARGE);
                        assertThat(e.getMessage()).contains("the 5 informational (1xx) heads");
                    });
            Leaks.awaitTrue(() -> t.stats().open() == 0, "both connections closed, never pooled");
            assertThat(server.accepted()).isEqualTo(2);
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * P79: what Go tolerates on a 1xx is tolerated: a length that is no number, a list of equal lengths, a lone
     * {@code chunked} (no body follows a 1xx either way: the next bytes are the next head). Each 1xx is skipped, the
     * final answer read, and the connection reused. A guard: the code before P79 passes it too (it checked nothing on
     * a 1xx); it pins that P79's checks refuse no more than Go does.
     */
    @Test
    void P79_framingFieldsGoToleratesOnAnInformationalResponseAreSkippedWithIt() throws Exception {
        String informational = "HTTP/1.1 103 Early Hints\r\nContent-Length: abc\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nContent-Length: 2, 2\r\n\r\n"
                + "HTTP/1.1 102 Processing\r\nTransfer-Encoding: chunked\r\n\r\n";
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(informational + OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 2; i++) {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.headers().contains("Transfer-Encoding")).isFalse();
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(t.stats().dialed()).as("the connection is reused after the 1xx").isEqualTo(1);
        }
    }
}
