package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * R69: a failed TLS handshake is an {@link SSLHandshakeException} that says it was the TLS handshake and names the
 * peer ({@code https://host:port}), the JDK's failure as its cause, whatever failed: a certificate nobody trusts, one
 * for another name, a server that closes or resets the connection during the handshake, a plain-HTTP server (P53).
 * Nothing is left behind: the connection closed, no pool entry, no goroutine, no retry.
 */
@NoGoroutineLeaks
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsHandshakeFailureTest {
    /** Generous: on a loaded machine the JDK's trust store and the first handshake are slow; no fault here is a stall. */
    private static final Duration HANDSHAKE_BOUND = Duration.ofSeconds(40);

    /**
     * The test certificate is made once, on first use: made here, not in the server's half of a handshake that the
     * client's handshake timeout bounds.
     */
    @BeforeAll
    static void makeTheTestCertificate() throws Exception {
        JdkServer.clientTls();
    }

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static void assertNothingLeft(Transport t) {
        Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "the failed dial left nothing open");
        assertThat(t.stats().idle()).isZero();
        assertThat(t.stats().dialed()).as("no connection was made").isZero();
    }

    /**
     * Certificate faults. Before, the JDK's words alone: "(certificate_unknown) PKIX path building failed: ..." named
     * neither the host nor the port; "No subject alternative DNS name matching wrong.test found." not the port.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"untrusted", "another name"})
    void R69_aCertificateFaultNamesTheHandshakeAndThePeer(String fault) throws Exception {
        boolean untrusted = fault.equals("untrusted");
        CountDownLatch clientClosed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 try (SSLSocket tls = JdkServer.serverTls(c.socket)) {
                     tls.startHandshake();
                 } catch (IOException e) {
                     // the client refused the certificate: its alert ends the handshake
                 }
                 awaitClientClose(c, clientClosed);
             });
             Transport t = (untrusted ? Transport.builder()
                     : Transport.builder().sslContext(JdkServer.clientTls())
                             .resolver(host -> List.of(InetAddress.getByName("127.0.0.1"))))
                     .tlsHandshakeTimeout(HANDSHAKE_BOUND).build()) {
            String host = untrusted ? "127.0.0.1" : "wrong.test";
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://" + host + ":" + server.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasMessageStartingWith("TLS handshake with https://" + host + ":" + server.port() + " failed: ")
                    .hasMessageContaining(untrusted ? "PKIX" : "wrong.test")
                    .cause().isInstanceOf(SSLHandshakeException.class);
            assertThat(clientClosed.await(20, TimeUnit.SECONDS)).as("the client closed its socket").isTrue();
            assertThat(server.accepted()).as("not retried").isEqualTo(1);
            assertNothingLeft(t);
        }
    }

    /** Reads the TCP stream under TLS until the client closes it (EOF or reset), then counts down. */
    private static void awaitClientClose(RawServer.Conn c, CountDownLatch clientClosed) throws IOException {
        try {
            while (c.in.read() >= 0) {
                // whatever the client still sends
            }
        } catch (SocketException e) {
            // reset by the client: closed as well
        }
        clientClosed.countDown();
    }

    /**
     * A server that closes or resets the connection during the handshake. Before: "Remote host terminated the
     * handshake" (no peer), and a bare {@code SocketException: Connection reset}, not even an {@link SSLException}.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"close", "reset"})
    void R69_aServerThatEndsTheHandshakeIsNamed(String how) throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.in.read(new byte[5]); // a part of the ClientHello
                 if (how.equals("reset")) {
                     c.reset();
                 } else {
                     c.socket.close();
                 }
                 ended.countDown();
             });
             Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://127.0.0.1:" + server.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasMessageStartingWith("TLS handshake with https://127.0.0.1:" + server.port() + " failed: ")
                    .cause().isInstanceOf(how.equals("reset") ? SocketException.class : SSLException.class);
            assertThat(ended.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(server.accepted()).as("not retried").isEqualTo(1);
            assertNothingLeft(t);
        }
    }

    /** P53's answer keeps its own words, which already name the peer and the ClientHello: not said twice. */
    @Test
    void R69_aPlainHttpServerKeepsP53sWords() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
                 try {
                     c.readUntilClosed();
                 } catch (IOException e) {
                     // reset by the client: closed as well
                 }
             });
             Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://127.0.0.1:" + server.port() + "/")))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasMessage("server gave HTTP response to HTTPS client: https://127.0.0.1:" + server.port()
                            + " answered the TLS ClientHello in plain HTTP");
            assertNothingLeft(t);
        }
    }
}
