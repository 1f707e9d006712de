package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.http.testing.Socks5Proxy;
import io.gochan.http.testing.TestProxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Proxy use against Go 1.19's transport where no test pinned it (R7, R8, R10, R23, R52): the absolute-form target, a
 * caller's {@code Proxy-Authorization} (R23: the only one sent, where Go sends both), no connection shared between
 * proxies, a {@code CONNECT} refused with a body, a proxy that is down (R52), credentials in no failure, a redirect
 * through a tunnel. Each probe was seen failing against a deliberately broken transport.
 */
@NoGoroutineLeaks
class ProxyParityProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    /** A plain HTTP proxy that records each request head and answers 200 "ok". */
    private static RawServer recordingProxy(List<String> heads) throws Exception {
        return RawServer.start(c -> {
            for (String h; (h = c.readRequest()) != null; ) {
                heads.add(h);
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
    }

    private static List<String> lines(String head, String prefix) {
        return head.lines().filter(l -> l.regionMatches(true, 0, prefix, 0, prefix.length())).toList();
    }

    @Test
    void R7_theAbsoluteFormDropsTheFragmentKeepsTheQueryAndNeverShowsUserInfo() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer proxy = recordingProxy(heads);
             Transport t = Transport.builder().proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port()))).build()) {
            for (String u : List.of("http://u:pw@origin.test/a%20b?q=1&r=%2F#frag", "http://[2001:db8::1]:8080/x?",
                    "http://origin.test:80", "HTTP://Origin.TEST:8080?q")) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(u))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
        }
        assertThat(heads).extracting(h -> h.lines().findFirst().orElseThrow()).containsExactly(
                "GET http://origin.test/a%20b?q=1&r=%2F HTTP/1.1",
                "GET http://[2001:db8::1]:8080/x? HTTP/1.1",
                "GET http://origin.test:80/ HTTP/1.1", // the port as written, as Go writes URL.Host (R122)
                "GET http://Origin.TEST:8080/?q HTTP/1.1"); // the host as written, as Go writes URL.Host
        assertThat(heads.get(0)).contains("\r\nHost: origin.test\r\n").doesNotContain("pw@")
                .doesNotContain("Authorization"); // user info is the client's (R17), as in Go's Client.send, not the transport's
        assertThat(heads.get(1)).contains("\r\nHost: [2001:db8::1]:8080\r\n");
    }

    @Test
    void R23_aCallerSetProxyAuthorizationOnAPlainProxyIsTheOnlyOneSent() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer proxy = recordingProxy(heads);
             Transport t = Transport.builder().proxy(r -> Optional.of(URI.create("http://uri:secret@127.0.0.1:" + proxy.port()))).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(URI.create("http://origin.test/"))
                    .header("Proxy-Authorization", "Bearer caller").build())) {
                r.body().string();
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.get("http://origin.test/"))) {
                r.body().string();
            }
        }
        assertThat(lines(heads.get(0), "Proxy-Authorization:")).containsExactly("Proxy-Authorization: Bearer caller");
        assertThat(lines(heads.get(1), "Proxy-Authorization:")).containsExactly("Proxy-Authorization: " + basic("uri:secret"));
    }

    @Test
    void R7_R8_twoProxiesNeverShareAConnectionToOneTarget() throws Exception {
        try (JdkServer origin = JdkServer.http(ex -> JdkServer.respond(ex, 200, "o"));
             JdkServer tls = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "t"));
             TestProxy a = TestProxy.start(); TestProxy b = TestProxy.start(); Socks5Proxy s = Socks5Proxy.start();
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(r -> Optional.of(URI.create(r.headers().get("X-Via")))).build()) {
            List<String> vias = List.of("http://127.0.0.1:" + a.port(), "http://127.0.0.1:" + b.port(),
                    "socks5://127.0.0.1:" + s.port(), "socks5h://127.0.0.1:" + s.port());
            for (int round = 0; round < 2; round++) {
                for (String via : vias) {
                    for (String u : List.of("http://origin.test:" + origin.port() + "/", "https://origin.test:" + tls.port() + "/")) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(URI.create(u)).header("X-Via", via).build())) {
                            r.body().string();
                        }
                    }
                }
            }
            // http via a: 1, https via a: 1; the same through b; socks5 and socks5h: two each (http, https) = 8 connections.
            assertThat(a.accepted()).isEqualTo(2);
            assertThat(b.accepted()).isEqualTo(2);
            assertThat(s.destinations).hasSize(4);
            assertThat(t.stats().reused()).isEqualTo(8);
        }
    }

    @Test
    void R10_aConnect407WithABodyIsAProxyExceptionAndTheConnectionIsClosed() throws Exception {
        try (RawServer proxy = RawServer.start(c -> {
            c.readRequestHead();
            c.write("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n"
                    + "Content-Length: 11\r\nConnection: keep-alive\r\n\r\nlogin first");
            c.readUntilClosed();
        }); Transport t = Transport.builder().proxy(r -> Optional.of(URI.create("http://who:s3cret@127.0.0.1:" + proxy.port()))).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://origin.test/")).close())
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.status()).isEqualTo(407);
                        assertThat(e.proxy()).isEqualTo("http://127.0.0.1:" + proxy.port());
                        assertThat(e).hasMessageContaining("407").hasMessageNotContaining("s3cret").hasMessageNotContaining("who");
                    });
            assertThat(t.stats().open()).isZero();
        }
    }

    @Test
    void R52_aRefusedOrUnresolvableProxyIsNamedInTheFailureOfItsType() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        for (String scheme : List.of("http", "socks5")) {
            for (String target : List.of("http://origin.test/", "https://origin.test/")) {
                try (Transport t = Transport.builder()
                        .proxy(r -> Optional.of(URI.create(scheme + "://who:s3cret@127.0.0.1:" + dead))).build()) {
                    assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(target)).close())
                            .as(scheme + " " + target).isInstanceOf(java.net.ConnectException.class)
                            .hasMessageContaining("proxy " + scheme + "://127.0.0.1:" + dead)
                            .hasMessageNotContaining("s3cret").hasMessageNotContaining("who");
                }
            }
        }
        Resolver noProxyName = host -> {
            if (host.equals("proxy.test")) {
                throw new java.net.UnknownHostException(host);
            }
            return Resolver.system().resolve(host);
        };
        try (Transport t = Transport.builder().resolver(noProxyName)
                .proxy(r -> Optional.of(URI.create("http://who:s3cret@proxy.test:3128"))).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("https://origin.test/")).close())
                    .isInstanceOf(java.net.UnknownHostException.class)
                    .hasMessageContaining("proxy http://proxy.test:3128").hasMessageNotContaining("s3cret");
        }
    }

    @Test
    void R10_proxyCredentialsAreInNoFailureMessage() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        for (String scheme : List.of("http", "https", "socks5", "socks5h")) {
            for (String target : List.of("http://origin.test/", "https://origin.test/")) {
                URI proxy = URI.create(scheme + "://who:s3cret@127.0.0.1:" + dead);
                try (Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(5)).proxy(r -> Optional.of(proxy)).build()) {
                    Throwable thrown = null;
                    try {
                        t.roundTrip(HttpRequest.get(target)).close();
                    } catch (Throwable e) {
                        thrown = e;
                    }
                    assertThat(thrown).as(scheme + " " + target).isNotNull();
                    for (Throwable c = thrown; c != null; c = c.getCause()) {
                        assertThat(String.valueOf(c)).as(scheme + " " + target).doesNotContain("s3cret").doesNotContain("who:");
                        for (Throwable sup : c.getSuppressed()) {
                            assertThat(String.valueOf(sup)).doesNotContain("s3cret");
                        }
                    }
                }
            }
        }
    }

    @Test
    void R23_aRedirectToAnotherHostThroughATunnelNeverCarriesProxyCredentialsToTheOrigin() throws Exception {
        com.sun.net.httpserver.HttpHandler echo = ex -> JdkServer.respond(ex, 200, "pa=" + ex.getRequestHeaders().getFirst("Proxy-Authorization"));
        try (JdkServer b = JdkServer.httpsFor("b.test", echo);
             JdkServer a = JdkServer.http(ex -> JdkServer.redirect(ex, 302, "https://b.test:" + b.port() + "/"));
             TestProxy proxy = TestProxy.requiring(basic("u:p"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("b.test"))
                     .proxy(r -> Optional.of(URI.create("http://u:p@127.0.0.1:" + proxy.port()))).build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get("http://a.test:" + a.port() + "/"))) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("pa=null");
            }
            assertThat(proxy.authorizations).containsExactly(basic("u:p"), basic("u:p"));
        }
    }
}
