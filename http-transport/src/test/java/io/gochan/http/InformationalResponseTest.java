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
 * P79: 1xx responses from a hostile server. Sequences of informational heads that would keep the client reading, or
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

    private static HttpRequest bounded(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
    }

    /**
     * P79: a server that sends {@code 103 Early Hints} without end, never a final status. The request fails with
     * {@code TOO_MANY_INFORMATIONAL_RESPONSES} after the sixth (the bound of P21), well within its own timeout: the
     * client does not read on while the hints keep coming. The server's writes then fail (the client closed the
     * connection), nothing is pooled, and the next request, on a new connection, gets its answer. A guard: the code
     * before P79 passes it too (P21's bound already ended the hints); it pins that the framing checks added beside
     * that bound do not lift it.
     */
    @Test
    void P79_anEndlessStreamOfEarlyHintsFailsTheRequestAndClosesItsConnection() throws Exception {
        CountDownLatch clientClosed = new CountDownLatch(1);
        AtomicLong hintsSent = new AtomicLong();
        try (RawServer server = RawServer.start(c -> {
                 if (c.index > 0) {
                     while (c.readRequest() != null) {
                         c.write(OK);
                     }
                     return;
                 }
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
            assertThat(outcome).isInstanceOfSatisfying(HttpProtocolException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_INFORMATIONAL_RESPONSES));
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
