package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.Socks5Proxy;
import io.gochan.http.testing.TestProxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * R7–R9: pool keys of proxied connections. A connection is shared only by requests that go the same way: through
 * the same proxy with the same credentials (Go's {@code connectMethodKey}, the proxy URL with its user info), or
 * direct. An audit found no defect here; this pins it for tunnels and SOCKS5, beside R7's own test for forwards.
 */
@NoGoroutineLeaks
class ProxyPoolKeyTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * R8/R9 with R7: https requests through CONNECT tunnels of one HTTP proxy with other credentials, or none,
     * through one SOCKS5 proxy with and without user info and as {@code socks5h}, and direct, each get a
     * connection of their own, and each finds its own again: as many dials as ways, every later request reusing.
     * A failure means a tunnel opened with one user's credentials carried another's request, or a direct
     * connection was taken for a proxied request (or the other way round).
     */
    @Test
    void R8_tunnelsThroughDifferentProxiesCredentialsOrDirectAreNeverShared() throws Exception {
        try (JdkServer origin = JdkServer.https(ex -> JdkServer.respond(ex, 200, ex.getRequestURI().getPath()));
             TestProxy http = TestProxy.start();
             Socks5Proxy socks = Socks5Proxy.start()) {
            Map<String, Optional<URI>> ways = new LinkedHashMap<>();
            ways.put("direct", Optional.empty());
            ways.put("alice", Optional.of(URI.create("http://alice:1@127.0.0.1:" + http.port())));
            ways.put("alice2", Optional.of(URI.create("http://alice:2@127.0.0.1:" + http.port())));
            ways.put("anon", Optional.of(URI.create("http://127.0.0.1:" + http.port())));
            ways.put("socks", Optional.of(URI.create("socks5://127.0.0.1:" + socks.port())));
            ways.put("socksuser", Optional.of(URI.create("socks5://u:p@127.0.0.1:" + socks.port())));
            ways.put("socksh", Optional.of(URI.create("socks5h://127.0.0.1:" + socks.port())));
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTls())
                    .proxy(r -> ways.get(r.uri().getPath().substring(1))).build()) {
                for (int round = 0; round < 3; round++) {
                    for (String way : ways.keySet()) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get("https://localhost:" + origin.port() + "/" + way))) {
                            assertThat(r.body().string()).isEqualTo("/" + way);
                        }
                    }
                    assertThat(t.stats().dialed()).as("round %d: one connection a way: %s", round, t.stats()).isEqualTo(ways.size());
                }
                assertThat(http.accepted()).isEqualTo(3);
                assertThat(http.authorizations).containsExactly(basic("alice:1"), basic("alice:2"), "");
                assertThat(socks.destinations).hasSize(3);
            }
        }
    }

    /**
     * R7: plain http forwarded to an HTTP proxy and plain http sent direct to the same origin never share a
     * connection, nor do forwards with other credentials (R7's own test has two users; here a third way, none).
     */
    @Test
    void R7_forwardedAndDirectPlainHttpAreNeverShared() throws Exception {
        try (JdkServer origin = JdkServer.http(ex -> JdkServer.respond(ex, 200, ex.getRequestURI().getPath()));
             TestProxy http = TestProxy.start()) {
            Map<String, Optional<URI>> ways = new LinkedHashMap<>();
            ways.put("direct", Optional.empty());
            ways.put("alice", Optional.of(URI.create("http://alice:1@127.0.0.1:" + http.port())));
            ways.put("anon", Optional.of(URI.create("http://127.0.0.1:" + http.port())));
            try (Transport t = Transport.builder().proxy(r -> ways.get(r.uri().getPath().substring(1))).build()) {
                for (int round = 0; round < 3; round++) {
                    for (String way : ways.keySet()) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get("http://127.0.0.1:" + origin.port() + "/" + way))) {
                            assertThat(r.body().string()).isEqualTo("/" + way);
                        }
                    }
                    assertThat(t.stats().dialed()).as("round %d: %s", round, t.stats()).isEqualTo(ways.size());
                }
                assertThat(http.accepted()).isEqualTo(2);
                assertThat(http.authorizations).hasSize(6).containsOnly(basic("alice:1"), "");
            }
        }
    }
}
