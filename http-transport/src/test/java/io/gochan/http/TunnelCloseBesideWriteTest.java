package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E107: closing a tunnel while another thread's write to its output is blocked on a peer that reads nothing never waits
 * behind that write. The peer is a raw loopback server playing a proxy: it accepts the {@code CONNECT}, answers 200,
 * then never reads, so a large write fills the sockets' buffers and blocks for as long as the peer likes. Closing the
 * output, the response or the transport then returns within a bound, and the blocked write, and a second one waiting
 * for its turn, end with an exception. Before, the output's close waited for the lock the blocked write held, for ever
 * (the response's and the transport's closes, which close the socket, already returned: guards).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunnelCloseBesideWriteTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What closes the tunnel while a write is blocked. */
    enum Closer {
        /** {@code tunnelOutput().close()}: the case E107 fixes. */
        OUTPUT {
            @Override
            void close(OutputStream out, HttpResponse r, Transport t) throws IOException {
                out.close();
            }
        },
        /** The response (its body): closes the connection (E73); a guard. */
        RESPONSE {
            @Override
            void close(OutputStream out, HttpResponse r, Transport t) {
                r.close();
            }
        },
        /** The transport: closes every connection (E73); a guard. */
        TRANSPORT {
            @Override
            void close(OutputStream out, HttpResponse r, Transport t) {
                t.close();
            }
        };

        abstract void close(OutputStream out, HttpResponse r, Transport t) throws IOException;
    }

    /**
     * A writer of one write of {@code size} bytes; its outcome is the exception that ended it, or null. One write, not
     * a loop of smaller ones: a loop gives the turn up between its writes, while its bytes still flow into buffers not
     * yet full, so a second writer could take the turn there, or the close come there and find no write in progress.
     */
    private static Caller<Throwable> writer(String name, OutputStream out, int size) {
        return Caller.virtual(name, () -> {
            try {
                out.write(new byte[size]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
    }

    /**
     * E107: a write to a CONNECT tunnel blocks on a peer that reads nothing (its goroutine parked in the socket's write),
     * a second write waits for its turn; then the tunnel is closed by {@code closer}. The close returns within a bound,
     * the blocked write ends with {@link HttpConnectionException} saying the connection is closed, the waiting one with
     * an {@link IOException}, and the connection is closed. Before, {@code tunnelOutput().close()} waited for the output's
     * lock, which the blocked write held for as long as the peer read nothing: "the close returned" failed (false, after
     * 15 s) for {@code OUTPUT}; the two other closes close the socket without that lock and passed already.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Closer.class)
    void E107_aCloseBesideAWriteBlockedOnThePeerReturnsAndEndsTheWrite(Closer closer) throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 c.holdWithoutReading(); // until the server closes: the tunnel's bytes fill the buffers
             });
             Transport t = Transport.builder().build()) {
            // No timeout: nothing but the close under test may end the tunnel (E73).
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.none()).build();
            HttpResponse r = t.roundTrip(req);
            assertThat(r.status()).isEqualTo(200);
            OutputStream out = r.tunnelOutput().orElseThrow();
            // Far more than the sockets' buffers hold (a few MiB on loopback while the peer reads nothing): it never ends
            // on its own, so it has the turn until the close.
            Caller<Throwable> blocked = writer("tunnel-writer", out, 32 << 20);
            Caller<Throwable> waiting = null;
            Caller<Object> closing = null;
            try {
                // The caller waits for the goroutine that is parked in the socket's write: the write waits on the peer.
                Leaks.awaitTrue(() -> !blocked.thread.isAlive() || Lifecycle.tunnelWriteBlocked(blocked.thread),
                        "the tunnel write blocked on the peer");
                assertThat(blocked.thread.isAlive()).as("the first write still blocked").isTrue();
                Caller<Throwable> second = writer("tunnel-writer-2", out, 1);
                waiting = second;
                // Parked inside the output's write, but not in the connection: waiting for its turn (its lock, before).
                Leaks.awaitTrue(() -> !second.thread.isAlive() || Lifecycle.waitingIn(second.thread, "", "write")
                        && !Lifecycle.waitingIn(second.thread, "", "writeTunnel"), "the second write waiting for its turn");
                closing = Caller.virtual("tunnel-closer", () -> {
                    closer.close(out, r, t);
                    return null;
                });
                assertThat(closing.join(Lifecycle.BOUND)).as("the close returned, not waiting behind the write").isTrue();
                assertThat(closing.error()).isNull();
                assertThat(blocked.join(Lifecycle.BOUND)).as("the blocked write ended").isTrue();
                assertThat(second.join(Lifecycle.BOUND)).as("the waiting write ended").isTrue();
            } finally {
                if (closing != null) {
                    closing.abandon(r::close);
                }
                if (waiting != null) {
                    waiting.abandon(r::close);
                }
                blocked.abandon(r::close);
            }
            assertThat(blocked.error()).isNull();
            assertThat(blocked.value()).as("the blocked write's end").isInstanceOf(HttpConnectionException.class)
                    .hasMessageContaining("closed");
            assertThat(waiting.error()).isNull();
            assertThat(waiting.value()).as("the waiting write's end").isInstanceOf(IOException.class);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed");
            assertThat(t.stats().idle()).isZero();
            r.close();
        }
    }
}
