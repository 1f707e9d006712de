package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * E139 (docs/spec/transport-lifecycle.md): a server that ends a connection (here: resets it) after reading a request's
 * head, while the request's body is still going out and before a byte of an answer, is reported as a server's end before
 * the response whichever of the connection's loops meets it first: the write loop, whose write fails on the reset, or the
 * read loop, whose look for the response finds it.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerEndMidUploadTest {
    /** Far more than the loopback socket buffers hold: the upload is still going out when the reset comes. */
    private static final int BODY = 16 << 20;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * The first connection's sockets: the read loop's look for the second response waits at a gate, so the write loop
     * meets the server's reset first (its write fails); the gate opens as the write loop shuts the output down after
     * its failure (its report is made by then), and the read loop then finds the reset too.
     */
    private static final class WriteFirst {
        final AtomicInteger dialed = new AtomicInteger();
        final ReadLoopGate gate;

        /** @param gateAfter the bytes the read loop takes before its gate: the first response's, or none */
        WriteFirst(int gateAfter) {
            this.gate = new ReadLoopGate(gateAfter);
        }

        Dialer dialer() {
            return HookedSocket.dialer(() -> dialed.getAndIncrement() > 0 ? new HookedSocket() : new HookedSocket() {
                @Override
                protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                    return gate.read(raw, b, off, len);
                }

                @Override
                public void shutdownOutput() throws IOException {
                    gate.release.countDown(); // the write loop's word on its failed write is out: the read loop may look
                    super.shutdownOutput();
                }
            });
        }
    }

    private static HttpRequest upload(String path, boolean idempotencyKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(java.net.URI.create(path))
                .POST(RequestBody.ofStream(() -> new ByteArrayInputStream(new byte[BODY]), BODY, "application/octet-stream"))
                .timeout(Duration.ofSeconds(30));
        if (idempotencyKey) {
            b.header("Idempotency-Key", "k1");
        }
        return b.build();
    }

    /**
     * The server reads a large upload's head and resets the connection, on a reused or a new connection; the write
     * loop's write fails on the reset before the read loop looks. On a reused connection a replayable request (a
     * {@code POST} with an {@code Idempotency-Key} and a body that can be produced again) is sent again on a new
     * connection and succeeds, as when the read loop meets the reset first (Go's {@code transportReadFromServerError});
     * any other request fails with {@code SERVER_CLOSED_BEFORE_RESPONSE} saying the server closed (or reset) the
     * connection before sending a response, and is not sent again (a plain {@code POST}; anything on a new connection).
     * Either way nothing is left in use. Before, all four failed with an {@code HttpConnectionException} "write failed:
     * Connection reset by peer" (or "Broken pipe"), never retried: a failure of another type and retry rule than the
     * same server's reset met by the read loop, decided by which loop got there first.
     */
    @ParameterizedTest(name = "replayable: {0}, reused: {1}")
    @CsvSource({"true, true", "false, true", "true, false", "false, false"})
    void E139_aServerResetMidUploadIsTheServersEndWhicheverLoopMeetsItFirst(boolean replayable, boolean reused) throws Exception {
        WriteFirst wire = new WriteFirst(reused ? RawServer.OK.length() : 0);
        AtomicInteger uploadsServed = new AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     if (reused && c.readRequest() != null) {
                         c.write(RawServer.OK);
                     }
                     if (c.readRequestHead() != null) {
                         c.reset(); // the body still coming, unread
                     }
                     return;
                 }
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("POST")) {
                         uploadsServed.incrementAndGet();
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().dialer(wire.dialer()).build()) {
            if (reused) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/first").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            HttpRequest post = upload(server.uri("/upload").toString(), replayable);
            if (replayable && reused) {
                try (HttpResponse r = t.roundTrip(post)) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(uploadsServed.get()).as("the upload, sent again on a new connection").isEqualTo(1);
                assertThat(t.stats().retries()).isEqualTo(1);
            } else {
                assertThatThrownBy(() -> t.roundTrip(post).close())
                        .isInstanceOfSatisfying(HttpProtocolException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.SERVER_CLOSED_BEFORE_RESPONSE))
                        // The words are the read loop's (E128): the socket reports a reset once, and the failed write
                        // may have taken it, leaving the read loop an end of stream.
                        .hasMessageMatching("server (closed|reset) the connection before sending a response \\(on a "
                                + (reused ? "reused" : "new") + " connection.*not retried.*");
                assertThat(uploadsServed.get()).as("not sent again: a POST, or a failure on a new connection").isZero();
                assertThat(t.stats().retries()).isZero();
            }
            assertThat(wire.gate.held.getCount()).as("the read loop waited at its gate").isZero();
            Leaks.awaitTrue(() -> t.stats().inUse() == 0 && t.stats().open() == t.stats().idle(),
                    "nothing in use once the request ended");
        }
    }
}
