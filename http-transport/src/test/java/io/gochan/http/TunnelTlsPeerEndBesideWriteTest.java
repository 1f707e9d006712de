package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E117: the peer of a TLS tunnel ends its half ({@code close_notify}) while another thread's write to the tunnel is
 * blocked on it (the peer reads nothing, the TCP send buffer is full, the write's TLS layer holds its record lock). The
 * body's read returns what the peer sent before its {@code close_notify}, then the end of stream, within a bound, as Go's
 * {@code tls.Conn.Read} returns {@code io.EOF} there (Go never answers a {@code close_notify}). The peer is a loopback
 * server speaking TLS that answers an upgrade with {@code 101}, reads a ping, then never reads again.
 *
 * <p>Under TLS 1.2 the JDK answers the peer's {@code close_notify} with its own from inside the read (RFC 5246 §7.2.1),
 * which takes the record lock the blocked write holds. Before E117 the read waited for that lock for as long as the write
 * was blocked: for ever, unless the response, the output or the transport was closed ("the body's read ended" failed,
 * false after 15 s, TLS 1.2 only). Under TLS 1.3 the JDK sends no answer: a guard.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunnelTlsPeerEndBesideWriteTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** The server side of TLS over {@code c}'s socket, only {@code protocol} enabled, its handshake done. */
    private static SSLSocket startTls(RawServer.Conn c, String protocol) throws Exception {
        SSLSocket tls = JdkServer.serverTls(c.socket);
        tls.setEnabledProtocols(new String[] {protocol});
        tls.startHandshake();
        return tls;
    }

    /** What the server does once told to end, after it sent {@code bye}. */
    @FunctionalInterface
    interface Ending {
        void end(SSLSocket tls, RawServer.Conn c) throws Exception;
    }

    /**
     * A server that switches to {@code websocket} over TLS, reads the client's 4-byte ping and never reads again; once
     * {@code go} is counted down it sends {@code bye} and does {@code ending}, then holds the connection until it closes.
     */
    private static RawServer upgradingServer(String protocol, CountDownLatch pinged, CountDownLatch go, Ending ending)
            throws Exception {
        return RawServer.start(raw -> {
            SSLSocket tls = startTls(raw, protocol);
            RawServer.Conn c = raw.over(tls);
            c.readRequestHead();
            c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            c.readBody(4);
            pinged.countDown();
            if (!go.await(Lifecycle.BOUND.toSeconds() * 4, TimeUnit.SECONDS)) {
                throw new AssertionError("never told to end");
            }
            c.write("bye");
            ending.end(tls, c);
            c.holdWithoutReading(); // until the server closes: whatever the client sends fills the buffers
        });
    }

    private static HttpRequest upgrade(RawServer server) {
        // No timeout: nothing but the peer's end and the test's close may end the tunnel (E73).
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/chat"))
                .header("Connection", "Upgrade").header("Upgrade", "websocket").build();
    }

    /** Reads {@code body} to its end: what it read, or what the read threw. */
    private static Object readToEnd(InputStream body) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            byte[] buf = new byte[1024];
            for (int n; (n = body.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
            return got.toString(StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return e;
        }
    }

    /** A large write to {@code out} that blocks on the peer, started and seen blocked in the socket's write. */
    private static Caller<Throwable> blockedWrite(OutputStream out) {
        // Far more than the sockets' buffers hold: it never ends on its own, so it is in progress until something ends it.
        Caller<Throwable> blocked = Caller.virtual("tunnel-writer", () -> {
            try {
                out.write(new byte[32 << 20]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Leaks.awaitTrue(() -> !blocked.thread.isAlive() || Lifecycle.tunnelWriteBlocked(blocked.thread),
                "the tunnel write blocked on the peer");
        assertThat(blocked.thread.isAlive()).as("the write still blocked").isTrue();
        return blocked;
    }

    /**
     * E117: the peer sends {@code bye} and its {@code close_notify} ({@code shutdownOutput()}) while a tunnel write is
     * blocked on it. The body's read returns {@code bye} and then the end of stream within a bound. Under TLS 1.2 the
     * blocked write then ends too, with {@link HttpConnectionException} saying why (the JDK's TLS 1.2 answers the peer's
     * {@code close_notify} and closes our output, RFC 5246 §7.2.1: what we would still send is discarded); under TLS 1.3
     * it stays blocked (our half is still open, as in Go) until the response's close ends it. Nothing is left.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void E117_aTlsTunnelsBodyReadsThePeersCloseNotifyBesideAWriteBlockedOnThePeer(String protocol) throws Exception {
        CountDownLatch pinged = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        try (RawServer server = upgradingServer(protocol, pinged, go, (tls, c) -> tls.shutdownOutput());
                Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            HttpResponse r = t.roundTrip(upgrade(server));
            assertThat(r.status()).isEqualTo(101);
            OutputStream out = r.tunnelOutput().orElseThrow();
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(pinged.await(Lifecycle.BOUND.toSeconds(), TimeUnit.SECONDS)).as("the server read the ping").isTrue();
            Caller<Throwable> blocked = blockedWrite(out);
            Caller<Object> reader = Caller.virtual("tunnel-reader", () -> readToEnd(r.body().stream()));
            try {
                go.countDown(); // the server sends bye, then its close_notify
                assertThat(reader.join(Lifecycle.BOUND)).as("the body's read ended (it hangs in: %s)",
                        Arrays.asList(reader.thread.getStackTrace())).isTrue();
                assertThat(reader.error()).isNull();
                assertThat(reader.value()).as("what the peer sent before its close_notify, then the end of stream")
                        .isEqualTo("bye");
                if (protocol.equals("TLSv1.2")) {
                    assertThat(blocked.join(Lifecycle.BOUND)).as("the blocked write ended (it hangs in: %s)",
                            Arrays.asList(blocked.thread.getStackTrace())).isTrue();
                    assertThat(blocked.error()).isNull();
                    assertThat(blocked.value()).as("the blocked write's end").isInstanceOf(HttpConnectionException.class)
                            .hasMessageContaining("close_notify");
                } else {
                    assertThat(blocked.thread.isAlive()).as("our half is still open: the write still blocked").isTrue();
                    r.close();
                    assertThat(blocked.join(Lifecycle.BOUND)).as("the blocked write ended").isTrue();
                    assertThat(blocked.error()).isNull();
                    assertThat(blocked.value()).as("the blocked write's end").isInstanceOf(HttpConnectionException.class)
                            .hasMessageContaining("closed");
                }
            } finally {
                reader.abandon(r::close);
                blocked.abandon(r::close);
            }
            r.close();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed: " + t.stats());
            assertThat(t.stats().idle()).isZero();
        }
    }

    /**
     * E117, guard: under TLS 1.3 the peer updates its keys and asks for ours ({@code startHandshake()} on an established
     * TLS 1.3 socket sends a {@code KeyUpdate} with {@code update_requested}) while a tunnel write is blocked on it. Our
     * TLS layer's answer, written from inside the read, waits for the record lock the blocked write holds, so the body's
     * read waits with the write, as Go's {@code tls.Conn.Read} does ({@code handleKeyUpdate} takes the output's lock to
     * answer). Nothing hangs for good: closing the response ends both, and nothing is left.
     */
    @Test
    void E117_aTls13KeyUpdateBesideAWriteBlockedOnThePeerWaitsWithItAndACloseEndsBoth() throws Exception {
        CountDownLatch pinged = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch updated = new CountDownLatch(1);
        try (RawServer server = upgradingServer("TLSv1.3", pinged, go, (tls, c) -> {
            tls.startHandshake(); // a KeyUpdate asking for ours
            updated.countDown();
        }); Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            HttpResponse r = t.roundTrip(upgrade(server));
            assertThat(r.status()).isEqualTo(101);
            OutputStream out = r.tunnelOutput().orElseThrow();
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(pinged.await(Lifecycle.BOUND.toSeconds(), TimeUnit.SECONDS)).as("the server read the ping").isTrue();
            Caller<Throwable> blocked = blockedWrite(out);
            Caller<Object> reader = Caller.virtual("tunnel-reader", () -> readToEnd(r.body().stream()));
            try {
                go.countDown(); // the server sends bye, then its KeyUpdate
                assertThat(updated.await(Lifecycle.BOUND.toSeconds(), TimeUnit.SECONDS)).as("the KeyUpdate sent").isTrue();
                Leaks.awaitTrue(() -> !reader.thread.isAlive() || Arrays.stream(reader.thread.getStackTrace())
                        .anyMatch(e -> e.getClassName().contains("KeyUpdate")), "the read answering the KeyUpdate");
                assertThat(reader.thread.isAlive()).as("the read waits with the blocked write, as Go's").isTrue();
                r.close();
                assertThat(reader.join(Lifecycle.BOUND)).as("the body's read ended (it hangs in: %s)",
                        Arrays.asList(reader.thread.getStackTrace())).isTrue();
                assertThat(blocked.join(Lifecycle.BOUND)).as("the blocked write ended").isTrue();
                assertThat(blocked.value()).as("the blocked write's end").isInstanceOf(HttpConnectionException.class)
                        .hasMessageContaining("closed");
                assertThat(reader.error()).isNull();
                assertThat(reader.value()).as("the body's read after the response's close").isInstanceOf(IOException.class);
            } finally {
                reader.abandon(r::close);
                blocked.abandon(r::close);
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed: " + t.stats());
            assertThat(t.stats().idle()).isZero();
        }
    }
}
