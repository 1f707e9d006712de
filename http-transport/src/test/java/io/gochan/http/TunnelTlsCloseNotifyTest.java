package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E113: every way this side ends a TLS tunnel, or its output, while the peer reads nothing and the TCP send buffer is
 * full returns within a bound, and leaves nothing behind. A TLS half-close is a write: {@code tunnelOutput().close()}
 * sends a {@code close_notify} record, which a full send buffer blocks for as long as the peer reads nothing. The peer
 * is a loopback server speaking TLS (TLS 1.3 and TLS 1.2) that answers an upgrade with {@code 101} and then never reads.
 *
 * <p>Two shapes. With no write in progress: the buffer the {@code close_notify} meets is really full, filled on the
 * socket by the test's dialer ({@link FillingSocket}) right before that record's bytes, because Linux leaves room for a
 * small record after a write that returned, except when that write ended exactly at a full socket buffer, which no test
 * can aim at. With a write in progress: a large tunnel write blocked on the peer (E107 over TLS), its TLS layer's record
 * lock held by the blocked write. Each is closed by the output, the response or the transport.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunnelTlsCloseNotifyTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What ends the tunnel, or its output. */
    enum Closer {
        /** {@code tunnelOutput().close()}: our half-close, a {@code close_notify} under TLS. */
        OUTPUT {
            @Override
            void close(OutputStream out, HttpResponse r, Transport t) throws IOException {
                out.close();
            }
        },
        /** The response (its body): closes the connection (E73). */
        RESPONSE {
            @Override
            void close(OutputStream out, HttpResponse r, Transport t) {
                r.close();
            }
        },
        /** The transport: closes every connection (E73). */
        TRANSPORT {
            @Override
            void close(OutputStream out, HttpResponse r, Transport t) {
                t.close();
            }
        };

        abstract void close(OutputStream out, HttpResponse r, Transport t) throws IOException;
    }

    static java.util.stream.Stream<Arguments> closersAndProtocols() {
        return Arrays.stream(Closer.values())
                .flatMap(c -> java.util.stream.Stream.of(Arguments.of(c, "TLSv1.3"), Arguments.of(c, "TLSv1.2")));
    }

    /**
     * A TCP socket whose writes, once {@link #armed}, first fill its send buffer with filler bytes on the real socket:
     * the peer reads nothing, so the kernel takes them until the buffers are full and then blocks the write, which ends
     * only when the socket is closed (as any write blocked on a peer that reads nothing). So the write the TLS layer
     * makes next (the {@code close_notify}) meets a full send buffer, on the thread that makes it.
     */
    static final class FillingSocket extends HookedSocket {
        volatile boolean armed;
        /** Counted down when an armed write starts filling: the TLS layer's next record is being written. */
        final CountDownLatch filling = new CountDownLatch(1);

        @Override
        protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
            if (armed) {
                filling.countDown();
                byte[] filler = new byte[64 << 10];
                while (true) { // blocks once the buffers are full; a closed socket ends it with an exception
                    raw.write(filler);
                }
            }
            raw.write(b, off, len);
        }
    }

    /** The server side of TLS over {@code c}'s socket, only {@code protocol} enabled, its handshake done. */
    private static SSLSocket startTls(RawServer.Conn c, String protocol) throws Exception {
        SSLSocket tls = JdkServer.serverTls(c.socket);
        tls.setEnabledProtocols(new String[] {protocol});
        tls.startHandshake();
        return tls;
    }

    /** A server that switches to {@code websocket} over TLS, reads the client's 4-byte ping, then never reads again. */
    private static RawServer upgradingServer(String protocol, CountDownLatch pinged) throws Exception {
        return RawServer.start(raw -> {
            RawServer.Conn c = raw.over(startTls(raw, protocol));
            c.readRequestHead();
            c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            c.readBody(4);
            pinged.countDown();
            c.holdWithoutReading(); // until the server closes: whatever the client sends fills the buffers
        });
    }

    private static HttpRequest upgrade(RawServer server) {
        // No timeout: nothing but the close under test may end the tunnel (E73).
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/chat"))
                .header("Connection", "Upgrade").header("Upgrade", "websocket").build();
    }

    /** A transport over TLS whose dialer hands out {@link FillingSocket}s, the last one kept in {@code dialed}. */
    private static Transport transport(AtomicReference<FillingSocket> dialed) throws Exception {
        return Transport.builder().sslContext(JdkServer.clientTls()).dialer((host, port, timeout) -> {
            FillingSocket s = new FillingSocket();
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            dialed.set(s);
            return s;
        }).build();
    }

    /**
     * E113: the tunnel ended by {@code closer} while no write is in progress and the {@code close_notify} (or any record
     * the close writes) meets a full send buffer on a peer that reads nothing. The close returns within a bound; the
     * connection is closed (a half-close whose {@code close_notify} could not go within Go's 5 s bound closes it, as
     * Go's {@code tls.Conn} gives its {@code close_notify} 5 s and then fails its writes) and nothing of it is left.
     * Before, {@code tunnelOutput().close()} blocked in the {@code close_notify}'s socket write for as long as the peer
     * read nothing ("the close returned" failed, false after 15 s, for {@code OUTPUT}, both protocols); the response's
     * and the transport's closes close the TCP socket before the TLS one and already returned (guards).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("closersAndProtocols")
    void E113_aTlsTunnelsCloseWithNoWriteInProgressReturnsWhenTheSendBufferIsFull(Closer closer, String protocol)
            throws Exception {
        CountDownLatch pinged = new CountDownLatch(1);
        AtomicReference<FillingSocket> dialed = new AtomicReference<>();
        try (RawServer server = upgradingServer(protocol, pinged); Transport t = transport(dialed)) {
            HttpResponse r = t.roundTrip(upgrade(server));
            assertThat(r.status()).isEqualTo(101);
            OutputStream out = r.tunnelOutput().orElseThrow();
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(pinged.await(Lifecycle.BOUND.toSeconds(), TimeUnit.SECONDS)).as("the server read the ping").isTrue();
            FillingSocket socket = dialed.get();
            socket.armed = true; // no write is in progress: the next record written meets a full buffer
            Caller<Object> closing = Caller.virtual("tunnel-closer", () -> {
                closer.close(out, r, t);
                return null;
            });
            try {
                assertThat(closing.join(Lifecycle.BOUND)).as("the close returned (it hangs in: %s)",
                        Arrays.asList(closing.thread.getStackTrace())).isTrue();
            } finally {
                closing.abandon(r::close);
            }
            if (closer == Closer.OUTPUT) {
                assertThat(socket.filling.getCount()).as("the close_notify met the full buffer").isZero();
                assertThat(closing.error()).as("the half-close that could not send its close_notify says so")
                        .isInstanceOf(HttpConnectionException.class).hasMessageContaining("close_notify");
            } else {
                assertThat(closing.error()).isNull();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed: " + t.stats());
            assertThat(t.stats().idle()).isZero();
            InputStream body = r.body().stream();
            Object read = Leaks.outcomeWithin10s("the body's read after the close", body::read);
            assertThat(read).as("the body's read after the connection closed").isInstanceOf(IOException.class);
            r.close();
        }
    }

    /**
     * E113, guard (E107 over TLS): a large tunnel write blocks on a peer that reads nothing (its goroutine parked in the
     * TCP socket's write, holding its TLS layer's record lock); then {@code closer} ends the tunnel. The close returns
     * within a bound, the write ends with {@link HttpConnectionException}, and nothing is left: the TCP socket is closed
     * before the TLS one, so neither the blocked write nor the TLS socket's {@code close_notify} waits on the peer.
     * Passed before E113's change too (a guard).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("closersAndProtocols")
    void E113_aTlsTunnelsCloseBesideAWriteBlockedOnThePeerReturns(Closer closer, String protocol) throws Exception {
        CountDownLatch pinged = new CountDownLatch(1);
        AtomicReference<FillingSocket> dialed = new AtomicReference<>();
        try (RawServer server = upgradingServer(protocol, pinged); Transport t = transport(dialed)) {
            HttpResponse r = t.roundTrip(upgrade(server));
            assertThat(r.status()).isEqualTo(101);
            OutputStream out = r.tunnelOutput().orElseThrow();
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(pinged.await(Lifecycle.BOUND.toSeconds(), TimeUnit.SECONDS)).as("the server read the ping").isTrue();
            // Far more than the sockets' buffers hold: it never ends on its own, so it is in progress until the close.
            Caller<Throwable> blocked = Caller.virtual("tunnel-writer", () -> {
                try {
                    out.write(new byte[32 << 20]);
                    return null;
                } catch (IOException e) {
                    return e;
                }
            });
            Caller<Object> closing = null;
            try {
                Leaks.awaitTrue(() -> !blocked.thread.isAlive() || Lifecycle.tunnelWriteBlocked(blocked.thread),
                        "the tunnel write blocked on the peer");
                assertThat(blocked.thread.isAlive()).as("the write still blocked").isTrue();
                closing = Caller.virtual("tunnel-closer", () -> {
                    closer.close(out, r, t);
                    return null;
                });
                assertThat(closing.join(Lifecycle.BOUND)).as("the close returned").isTrue();
                assertThat(closing.error()).isNull();
                assertThat(blocked.join(Lifecycle.BOUND)).as("the blocked write ended").isTrue();
            } finally {
                if (closing != null) {
                    closing.abandon(r::close);
                }
                blocked.abandon(r::close);
            }
            assertThat(blocked.error()).isNull();
            assertThat(blocked.value()).as("the blocked write's end").isInstanceOf(HttpConnectionException.class)
                    .hasMessageContaining("closed");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed: " + t.stats());
            assertThat(t.stats().idle()).isZero();
            r.close();
        }
    }
}
