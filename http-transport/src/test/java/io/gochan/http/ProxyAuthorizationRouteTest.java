package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * R92 with the head limit (E12, R56) and with a {@code CONNECT} of the caller's (R65): the head limit counts a caller's
 * {@code Proxy-Authorization} only where the transport writes it, and a {@code CONNECT} the caller writes itself keeps
 * it, as Go sends it. Style as {@code ReachReview26Test} and {@code ConnectMethodTest}.
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyAuthorizationRouteTest {
    private static final int LIMIT = 4096;
    private static final String CALLERS = "Basic Y29ycDpwcm94eS1wdw=="; // corp:proxy-pw
    /** A credential that is over the head limit on its own. */
    private static final String TOO_LONG = "Basic " + "Q".repeat(2 * LIMIT);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * A direct request whose only excess is a Proxy-Authorization the transport never writes (R92) is sent, without
     * it; forwarded to an HTTP proxy, where the field is written, the same request is refused before a byte goes out
     * (R56). Before, headSize counted every field of the caller's, written or not, and the direct request was refused
     * with "more than maxRequestHeaderBytes".
     */
    @Test
    void R92_aProxyAuthorizationThatIsNeverWrittenDoesNotCountAgainstTheHeadLimit() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String h; (h = c.readRequest()) != null; ) {
                     heads.add(h);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             RawServer proxy = RawServer.start(RawServer.Conn::readUntilClosed);
             Transport direct = Transport.builder().maxRequestHeaderBytes(LIMIT).build();
             Transport forwarding = Transport.builder().maxRequestHeaderBytes(LIMIT)
                     .proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port()))).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/direct")).header("Proxy-Authorization", TOO_LONG)
                    .timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = direct.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(heads).singleElement().asString().startsWith("GET /direct HTTP/1.1\r\n")
                    .doesNotContainIgnoringCase("Proxy-Authorization");

            HttpRequest forwarded = HttpRequest.newBuilder(URI.create("http://origin.test/forwarded"))
                    .header("Proxy-Authorization", TOO_LONG).timeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> forwarding.roundTrip(forwarded))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageEndingWith("more than maxRequestHeaderBytes (" + LIMIT + "); nothing was sent");
            assertThat(proxy.accepted()).as("nothing of the forwarded request was sent").isZero();
        }
    }

    /**
     * R92, R65: a CONNECT the caller sends itself, direct, carries its Proxy-Authorization: the server it names is the
     * proxy it asks for a tunnel, and the field is for it (Go sends it). Counted against the head limit as it is
     * written: one over the limit is refused, nothing dialled. Before, the field was left out of the head (a direct
     * head went to "the origin"), so a proxy that asks for credentials could never be given them.
     */
    @Test
    void R92_aConnectTheCallerWritesItselfKeepsItsProxyAuthorization() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 heads.add(c.readRequestHead());
                 c.write("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
             });
             Transport t = Transport.builder().maxRequestHeaderBytes(LIMIT).build()) {
            URI proxyUri = URI.create("http://127.0.0.1:" + server.port());
            HttpRequest connect = HttpRequest.newBuilder(proxyUri).method("CONNECT", RequestBody.none())
                    .header("Proxy-Authorization", CALLERS).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(connect)) {
                assertThat(r.status()).isEqualTo(407);
            }
            // Before: the head had no Proxy-Authorization.
            assertThat(heads).singleElement().asString()
                    .startsWith("CONNECT 127.0.0.1:" + server.port() + " HTTP/1.1\r\n")
                    .contains("\r\nProxy-Authorization: " + CALLERS + "\r\n");

            HttpRequest tooLong = HttpRequest.newBuilder(proxyUri).method("CONNECT", RequestBody.none())
                    .header("Proxy-Authorization", TOO_LONG).timeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> t.roundTrip(tooLong))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than maxRequestHeaderBytes");
            assertThat(server.accepted()).as("only the first CONNECT dialled").isEqualTo(1);
        }
    }
}
