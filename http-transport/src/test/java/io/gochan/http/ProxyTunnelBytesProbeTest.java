package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * R8–R10: bytes a proxy sends after it opened the tunnel and before the origin could have said anything (its
 * {@code CONNECT} answer or SOCKS5 reply came first, our TLS ClientHello not yet, or just begun) belong to nobody:
 * never the origin's answer. R10's check refuses those that arrive with the answer ({@code HostileProxyTest}); these
 * arrive later (after the ClientHello began, or in a TLS record of an {@code https://} proxy after the one holding
 * the answer, which the check cannot see without another read) and end the origin's TLS handshake instead, which
 * names the proxy; over SOCKS5 to a plain http origin they are on the new connection before its request (P52).
 * Either way the request fails once, on that one connection, with nothing left counted.
 */
@NoGoroutineLeaks
class ProxyTunnelBytesProbeTest {
    private static final String FORGED = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"http-late", "https-records", "https-late", "socks5", "socks5-late", "socks5-http"})
    void R10_bytesAProxySendsBeforeTheOriginCouldAnswerNeverBecomeTheResponse(String how) throws Exception {
        Dones dones = new Dones();
        boolean tlsProxy = how.startsWith("https");
        try (RawServer proxy = RawServer.start(c -> {
            java.io.InputStream in = c.in;
            OutputStream out = c.out;
            if (tlsProxy) {
                SSLSocket tls = JdkServer.serverTls(c.socket);
                tls.startHandshake();
                in = tls.getInputStream();
                out = tls.getOutputStream();
            }
            if (how.startsWith("socks5")) {
                in.readNBytes(3);
                out.write(new byte[] {5, 0});
                out.flush();
                in.readNBytes(4 + 1 + "localhost".length() + 2);
                byte[] reply = {5, 0, 0, 1, 127, 0, 0, 1, 0, 80};
                byte[] forged = FORGED.getBytes(StandardCharsets.ISO_8859_1);
                if (how.endsWith("late")) {
                    out.write(reply);
                    out.flush();
                    in.read(); // the origin's ClientHello has begun: the reply was read
                    out.write(forged);
                } else {
                    byte[] both = java.util.Arrays.copyOf(reply, reply.length + forged.length); // one arrival
                    System.arraycopy(forged, 0, both, reply.length, forged.length);
                    out.write(both);
                }
                out.flush();
                c.readUntilClosed();
                return;
            }
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int ch = in.read();
                if (ch < 0) {
                    return;
                }
                head.append((char) ch);
            }
            out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (how.endsWith("late")) {
                in.read(); // the origin's ClientHello has begun: the answer was read
            }
            out.write(FORGED.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            c.readUntilClosed();
        });
             Transport t = Transport.builder().listener(dones).sslContext(JdkServer.clientTls())
                     .proxy(r -> Optional.of(URI.create(how.split("-")[0] + "://127.0.0.1:" + proxy.port()))).build()) {
            // Plain http through SOCKS5: the bytes are on the new connection before its request (P52).
            HttpRequest req = HttpRequest.newBuilder(URI.create((how.endsWith("http") ? "http" : "https") + "://localhost/")).timeout(Duration.ofSeconds(20)).build();
            assertThatThrownBy(() -> {
                try (HttpResponse r = t.roundTrip(req)) {
                    throw new AssertionError("the proxy's bytes were the answer: " + r.status() + " " + r.body().string());
                }
            }).isInstanceOf(IOException.class).isNotInstanceOf(HttpTimeoutException.class)
                    .hasMessageContaining("127.0.0.1:" + proxy.port());
            TransportStats s = t.stats();
            assertThat(List.of(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
            Leaks.awaitTrue(() -> dones.done.containsKey(req), "done()");
            assertThat(dones.done.get(req)).as("one done()").hasSize(1);
            assertThat(proxy.accepted()).isEqualTo(1);
        }
    }
}
