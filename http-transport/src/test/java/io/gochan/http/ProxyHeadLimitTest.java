package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * R56: {@code maxRequestHeaderBytes} holds for every head the transport writes to a proxy, not only the request's
 * own: the {@code CONNECT} head (the caller's fields of R54, the proxy URI's credentials) and the head of a plain
 * http request forwarded to the proxy (absolute-form target, the credentials). A head over the limit fails the
 * request with the {@link IllegalArgumentException} of E12, and no byte reaches the proxy.
 */
@NoGoroutineLeaks
class ProxyHeadLimitTest {
    private static final int LIMIT = 1024;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * A loopback "proxy" that accepts connections and reads each to its end, counting every byte that arrives; it
     * never answers, so a request that wrote anything would wait (and the test's bound fails it).
     */
    private static final class CountingProxy implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicLong bytes = new AtomicLong();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger ended = new AtomicInteger();
        private final Thread acceptor;

        CountingProxy() throws IOException {
            acceptor = Thread.ofPlatform().name("counting-proxy").start(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        accepted.incrementAndGet();
                        Thread.ofPlatform().name("counting-proxy-conn").start(() -> drain(s));
                    }
                } catch (IOException closed) {
                    // the test closed the server socket
                }
            });
        }

        private void drain(Socket s) {
            try (s; InputStream in = s.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    bytes.addAndGet(n);
                }
            } catch (IOException e) {
                // reset by the client: what arrived is counted
            } finally {
                ended.incrementAndGet();
            }
        }

        URI uri(String userInfo) {
            return URI.create("http://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + server.getLocalPort());
        }

        /** Waits until every connection accepted so far was closed by the client (bounded). */
        void awaitClientsGone() {
            Leaks.awaitTrue(() -> ended.get() == accepted.get(), "the proxy's connections closed by the transport");
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    /** A transport with the limit whose waits are bounded: a request that wrote its head would wait for an answer. */
    private static Transport.Builder bounded() {
        return Transport.builder().maxRequestHeaderBytes(LIMIT).dialTimeout(Duration.ofSeconds(5))
                .responseHeaderTimeout(Duration.ofSeconds(5));
    }

    private static void assertRefused(Transport t, String uri) {
        assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(uri)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than maxRequestHeaderBytes (" + LIMIT + "); nothing was sent")
                .hasMessageNotContaining("secret");
    }

    @Test
    void R56_aConnectHeadOverTheLimitFailsTheRequestAndSendsNothing() throws Exception {
        // The caller's fields (R54) alone are over the limit; the request's own head is small.
        try (CountingProxy proxy = new CountingProxy();
             Transport t = bounded().proxy(r -> Optional.of(proxy.uri(null)))
                     .proxyConnectHeaders(Headers.of("X-Token", "t".repeat(2 * LIMIT))).build()) {
            assertRefused(t, "https://origin.test:443/");
            proxy.awaitClientsGone();
            assertThat(proxy.bytes.get()).as("bytes that reached the proxy").isZero();
            assertThat(t.stats().open()).isZero();
        }
    }

    @Test
    void R56_theProxyUrisCredentialsCountInTheConnectHead() throws Exception {
        String user = "user-secret-" + "u".repeat(LIMIT);
        try (CountingProxy proxy = new CountingProxy();
             Transport t = bounded()
                     .proxy(r -> Optional.of(proxy.uri(user + ":pw-secret"))).build()) {
            assertRefused(t, "https://origin.test:443/");
            proxy.awaitClientsGone();
            assertThat(proxy.bytes.get()).as("bytes that reached the proxy").isZero();
        }
    }

    @Test
    void R56_aForwardedHeadOverTheLimitFailsTheRequestAndSendsNothing() throws Exception {
        // Plain http through the proxy: the absolute-form target and the URI's credentials go on the request's head.
        String user = "user-secret-" + "u".repeat(LIMIT);
        try (CountingProxy proxy = new CountingProxy();
             Transport t = bounded()
                     .proxy(r -> Optional.of(proxy.uri(user + ":pw-secret"))).build()) {
            assertRefused(t, "http://origin.test/");
            proxy.awaitClientsGone();
            assertThat(proxy.bytes.get()).as("bytes that reached the proxy").isZero();
        }
        // Within the limit without the proxy's part, over it with it: the absolute-form authority counts.
        String host = "h".repeat(60) + "." + "i".repeat(60) + "." + "j".repeat(60) + ".test"; // 194 bytes with "http://"
        String path = "/" + "p".repeat(LIMIT - 200);
        try (CountingProxy proxy = new CountingProxy();
             Transport t = bounded()
                     .proxy(r -> Optional.of(proxy.uri(null))).build()) {
            assertRefused(t, "http://" + host + path);
            proxy.awaitClientsGone();
            assertThat(proxy.bytes.get()).as("bytes that reached the proxy").isZero();
        }
    }
}
