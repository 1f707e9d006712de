package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E130 (docs/spec/transport-lifecycle.md): a server that resets a connection waiting in the pool (idle after a
 * response, or never used) is said to have reset it, in the words of the failure a request that took that connection
 * meets, as E128 names a reset before the response.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleResetTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Plain loopback sockets whose read loop's first read once it has taken {@code gateAfter} bytes waits at a gate:
     * so the read loop meets the server's reset exactly when the test lets it, while a request holds the connection the
     * pool handed it.
     */
    private static final class GatedWire {
        final ReadLoopGate gate;
        final CountDownLatch firstClosed = new CountDownLatch(1);

        GatedWire(int gateAfter) {
            this.gate = new ReadLoopGate(gateAfter);
        }

        Dialer dialer() {
            return HookedSocket.dialer(() -> new HookedSocket() {
                @Override
                protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                    return gate.read(raw, b, off, len);
                }

                @Override
                public void close() throws IOException {
                    super.close();
                    firstClosed.countDown();
                }
            });
        }
    }

    /**
     * The server resets a pooled connection, idle after a response or never used; the read loop meets the reset while a
     * POST with a single-use body holds the connection the pool handed it (in its {@code gotConn}), before a byte of it is
     * written. The POST fails (not retried: its body cannot be sent again) saying the server reset the idle connection,
     * or reset it before it was used, the JDK's "Connection reset" its cause; the connection is closed and the next
     * request is served on a new one. Before, it said "server closed idle connection" ("server closed the connection
     * before it was used"), the words of a FIN.
     */
    @ParameterizedTest(name = "used before: {0}")
    @ValueSource(booleans = {true, false})
    void E130_aPooledConnectionTheServerResetIsSaidToHaveBeenReset(boolean used) throws Exception {
        // The read loop's look for the next response: after the first response's bytes, or the first read of a new one.
        GatedWire wire = new GatedWire(used ? OK.length() : 0);
        BlockingQueue<Object> resetNow = new LinkedBlockingQueue<>();
        CountDownLatch reset = new CountDownLatch(1);
        AtomicReference<CancellableContext> unusedContext = new AtomicReference<>();
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     if (used && c.readRequest() != null) {
                         c.write(OK);
                     }
                     if (resetNow.poll(30, TimeUnit.SECONDS) != null) {
                         c.reset();
                         reset.countDown();
                     }
                     return;
                 }
                 while (c.readRequest() != null) {
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().dialer(wire.dialer()).maxConnsPerHost(1)
                     .listener(new RequestListener() {
                         @Override
                         public void gotConn(HttpRequest request, boolean reused) {
                             if (request.uri().getPath().equals("/unused")) {
                                 unusedContext.get().cancel(); // ends it as the pool hands it the connection: put back unused (E90)
                             } else if (request.uri().getPath().equals("/post")) {
                                 // The server's reset has come; the read loop meets it now, the connection this
                                 // request holds closed for it before a byte of the request is written.
                                 wire.gate.release.countDown();
                                 Lifecycle.awaitUninterruptibly(wire.firstClosed);
                             }
                         }
                     }).build()) {
            if (used) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/first").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            } else {
                CancellableContext ctx = Context.withCancel(Context.background());
                unusedContext.set(ctx);
                assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/unused").toString()), ctx))
                        .isInstanceOf(RequestCancelledException.class);
            }
            assertThat(wire.gate.held.await(20, TimeUnit.SECONDS)).as("the read loop at its gate").isTrue();
            Leaks.awaitTrue(() -> t.stats().idle() == 1, "the connection idle in the pool");
            resetNow.add(Boolean.TRUE);
            assertThat(reset.await(20, TimeUnit.SECONDS)).isTrue();
            HttpRequest post = HttpRequest.newBuilder(server.uri("/post"))
                    .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream("abc".getBytes(StandardCharsets.UTF_8)), 3,
                            "text/plain"))
                    .timeout(Duration.ofSeconds(20)).build();
            assertThatThrownBy(() -> t.roundTrip(post).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.SERVER_CLOSED_BEFORE_RESPONSE))
                    .hasMessageStartingWith(used ? "server reset idle connection"
                            : "server reset the connection before it was used")
                    .hasMessageNotContaining("closed")
                    .hasRootCauseInstanceOf(java.net.SocketException.class)
                    .hasRootCauseMessage("Connection reset");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the reset connection closed");
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }
}
