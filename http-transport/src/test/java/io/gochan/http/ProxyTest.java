package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.Socks5Proxy;
import io.gochan.http.testing.TestProxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Proxies (R5, R7–R10) against real proxies on loopback written in the test sources ({@link TestProxy},
 * {@link Socks5Proxy}) and the JDK's HTTP(S) server as origin. Origins are named {@code *.test}: only the
 * proxies know them (they send every name to 127.0.0.1), so a response proves the request went through
 * the proxy.
 */
@NoGoroutineLeaks
class ProxyTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static Function<HttpRequest, Optional<URI>> always(URI proxy) {
        return r -> Optional.of(proxy);
    }

    private static JdkServer origin() throws Exception {
        return JdkServer.http(ex -> JdkServer.respond(ex, 200,
                ex.getRequestMethod() + " " + ex.getRequestURI() + " host=" + ex.getRequestHeaders().getFirst("Host")));
    }

    private static String get(Transport t, String uri) throws Exception {
        try (HttpResponse r = t.roundTrip(HttpRequest.get(uri))) {
            return r.status() + " " + r.body().string();
        }
    }

    /** The {@code Basic} credentials field value of {@code user:password} in UTF-8 (RFC 7617); other tests use it too. */
    static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void R7_plainHttpGoesToTheProxyInAbsoluteFormOverOneConnectionPerProxy() throws Exception {
        try (JdkServer origin = origin(); TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().proxy(always(proxy.uri())).build()) {
            String a = "http://a.test:" + origin.port() + "/one?x=1";
            String b = "http://b.test:" + origin.port() + "/two";
            assertThat(get(t, a)).isEqualTo("200 GET /one?x=1 host=a.test:" + origin.port());
            assertThat(get(t, b)).isEqualTo("200 GET /two host=b.test:" + origin.port());
            assertThat(proxy.requestLines).containsExactly("GET " + a + " HTTP/1.1", "GET " + b + " HTTP/1.1");
            // Two origins, one pooled connection to the proxy (Go's connectMethodKey without the target).
            assertThat(proxy.accepted()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(1);
            assertThat(proxy.authorizations).containsExactly("", "");
        }
    }

    @Test
    void R7_theProxyUrlsUserInfoIsSentAsBasicProxyAuthorization() throws Exception {
        try (JdkServer origin = origin(); TestProxy proxy = TestProxy.requiring(basic("user:p@ss word"));
             Transport t = Transport.builder()
                     .proxy(always(URI.create("http://user:p%40ss%20word@127.0.0.1:" + proxy.port()))).build()) {
            assertThat(get(t, "http://a.test:" + origin.port() + "/")).startsWith("200 GET / ");
            assertThat(proxy.authorizations).containsExactly(basic("user:p@ss word"));
        }
    }

    @Test
    void R7_differentProxyCredentialsNeverShareAConnection() throws Exception {
        try (JdkServer origin = origin(); TestProxy proxy = TestProxy.start()) {
            URI alice = URI.create("http://alice:1@127.0.0.1:" + proxy.port());
            URI bob = URI.create("http://bob:2@127.0.0.1:" + proxy.port());
            try (Transport t = Transport.builder()
                    .proxy(r -> Optional.of(r.uri().getHost().startsWith("a") ? alice : bob)).build()) {
                get(t, "http://a.test:" + origin.port() + "/");
                get(t, "http://b.test:" + origin.port() + "/");
                assertThat(proxy.accepted()).isEqualTo(2);
                assertThat(proxy.authorizations).containsExactly(basic("alice:1"), basic("bob:2"));
            }
        }
    }

    @Test
    void R23_aProxyUserWithoutPasswordIsSentWithTheColonRfc7617Asks() throws Exception {
        // "http://token@proxy" is user "token" with an empty password: Basic base64("token:"), as Go's
        // proxyAuth sends it. base64("token") without the colon is no user-pass at all: the proxy answered 407.
        try (JdkServer origin = origin();
             JdkServer tls = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "tls"));
             TestProxy proxy = TestProxy.requiring(basic("token:"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(always(URI.create("http://token@127.0.0.1:" + proxy.port()))).build()) {
            assertThat(get(t, "http://a.test:" + origin.port() + "/")).startsWith("200 GET / ");
            assertThat(get(t, "https://origin.test:" + tls.port() + "/")).isEqualTo("200 tls");
            assertThat(proxy.authorizations).containsExactly(basic("token:"), basic("token:"));
        }
    }

    /** Basic of raw bytes: {@code "us\u00e9r:p\u00e9ss\u00ff"} read as ISO-8859-1, one byte per character. */
    private static String basicOfBytes(String latin1) {
        return "Basic " + Base64.getEncoder().encodeToString(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void R76_percentEscapedProxyCredentialsAreSentAsTheBytesTheyName() throws Exception {
        // %E9 is one byte (an ISO-8859-1 e-acute), as Go's url.User unescapes it; decoding the bytes as UTF-8 sent
        // EF BF BD (U+FFFD) in its place, and the proxy refused a password that was right.
        String expected = basicOfBytes("us\u00e9r:p\u00e9ss\u00ff");
        try (JdkServer origin = origin();
             JdkServer tls = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "tls"));
             TestProxy proxy = TestProxy.requiring(expected);
             Socks5Proxy socks = Socks5Proxy.requiringBytes("us\u00e9r".getBytes(StandardCharsets.ISO_8859_1),
                     "p\u00e9ss\u00ff".getBytes(StandardCharsets.ISO_8859_1))) {
            String creds = "us%E9r:p%E9ss%FF@127.0.0.1:";
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                    .proxy(Proxies.fromEnvironment(Map.of("HTTP_PROXY", creds + proxy.port(),
                            "HTTPS_PROXY", "http://" + creds + proxy.port())::get)).build()) {
                assertThat(get(t, "http://a.test:" + origin.port() + "/")).startsWith("200 GET / ");
                assertThat(get(t, "https://origin.test:" + tls.port() + "/")).isEqualTo("200 tls");
                assertThat(proxy.authorizations).containsExactly(expected, expected);
            }
            try (Transport t = Transport.builder()
                    .proxy(Proxies.fromEnvironment(Map.of("HTTP_PROXY", "socks5://" + creds + socks.port())::get)).build()) {
                assertThat(get(t, "http://a.test:" + origin.port() + "/")).startsWith("200 GET / ");
            }
        }
    }

    @Test
    void R80_percentEscapedControlCharactersInProxyCredentialsAreRefusedAsForAuthorization() throws Exception {
        // A CR LF or NUL written %0D%0A or %00 is refused for the request's Authorization (R14, R76); for
        // Proxy-Authorization and SOCKS5 it was base64-encoded or sent as is, and proxies that take it answered 200.
        // Go sends them all. Each proxy here accepts exactly those bytes: the request fails before it is asked.
        String crlf = "u:p\r\nX-Injected: 1";
        try (JdkServer origin = origin();
             JdkServer tls = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "tls"));
             TestProxy proxy = TestProxy.requiring(basicOfBytes(crlf));
             Socks5Proxy socks = Socks5Proxy.requiringBytes("u\0".getBytes(StandardCharsets.ISO_8859_1),
                     "s3cret\r\n".getBytes(StandardCharsets.ISO_8859_1))) {
            URI http = URI.create("http://u:p%0D%0AX-Injected:%201@127.0.0.1:" + proxy.port());
            URI socks5 = URI.create("socks5://u%00:s3cret%0D%0A@127.0.0.1:" + socks.port());
            for (URI p : new URI[] {http, URI.create("https" + http.toString().substring(4)), socks5}) {
                boolean basic = p.getScheme().startsWith("http");
                try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                        .proxy(always(p)).build()) {
                    for (String target : new String[] {"http://a.test:" + origin.port() + "/", "https://origin.test:" + tls.port() + "/"}) {
                        assertThatThrownBy(() -> get(t, target)).isInstanceOfSatisfying(ProxyException.class,
                                        e -> assertThat(e.proxy()).contains("127.0.0.1"))
                                .hasMessageContaining("the user info of proxy ")
                                .hasMessageContaining("cannot be sent as " + (basic ? "basic auth: basic auth user-id" : "SOCKS5 credentials: SOCKS5 username")
                                        + " or password contains a control character")
                                .hasMessageNotContaining("s3cret").hasMessageNotContaining("%0D").hasMessageNotContaining("Injected");
                    }
                    assertThat(t.stats().dialed()).isZero();
                }
            }
            assertThat(proxy.accepted()).isZero();
            assertThat(socks.destinations).isEmpty();
            // The same through the environment, and a ':' in a Basic user (R14), which the proxy would read as the
            // end of the user; SOCKS5 sends the user with its length, so a colon there goes as it is.
            try (Transport t = Transport.builder().proxy(Proxies.fromEnvironment(Map.of(
                    "HTTP_PROXY", "u%0A:pw@127.0.0.1:" + proxy.port(), "HTTPS_PROXY", "us%3Aer:pw@127.0.0.1:" + proxy.port())::get)).build()) {
                assertThatThrownBy(() -> get(t, "http://a.test:" + origin.port() + "/")).isInstanceOf(ProxyException.class)
                        .hasMessageContaining("control character");
                assertThatThrownBy(() -> get(t, "https://origin.test:" + tls.port() + "/")).isInstanceOf(ProxyException.class)
                        .hasMessageContaining("basic auth user-id must not contain ':'");
            }
            // The request's own Authorization, for comparison: the same refusal (R14, R76).
            try (Transport t = Transport.builder().build()) {
                HttpClient c = HttpClient.builder(t).build();
                assertThatThrownBy(() -> c.send(HttpRequest.get("http://u:s3cret%00@127.0.0.1:" + origin.port() + "/")))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("cannot be sent as basic auth: basic auth user-id or password contains a control character")
                        .hasMessageNotContaining("s3cret");
            }
        }
    }

    @Test
    void R80_aColonInASocks5UserIsAByteLikeAnyOther() throws Exception {
        try (JdkServer origin = origin();
             Socks5Proxy socks = Socks5Proxy.requiring("us:er", "pw");
             Transport t = Transport.builder().proxy(always(URI.create("socks5://us%3Aer:pw@127.0.0.1:" + socks.port()))).build()) {
            assertThat(get(t, "http://a.test:" + origin.port() + "/")).startsWith("200 GET / ");
        }
    }

    @Test
    void R8_theProxysCredentialsNeverReachTheOrigin() throws Exception {
        // Through a CONNECT tunnel and through SOCKS5 the origin sees the request as sent directly: no
        // Proxy-Authorization made of the proxy URI's user info, and the origin-form target.
        com.sun.net.httpserver.HttpHandler echo = ex -> JdkServer.respond(ex, 200, ex.getRequestURI() + " pa="
                + ex.getRequestHeaders().getFirst("Proxy-Authorization") + " a=" + ex.getRequestHeaders().getFirst("Authorization"));
        try (JdkServer plain = JdkServer.http(echo); JdkServer tls = JdkServer.httpsFor("origin.test", echo);
             TestProxy proxy = TestProxy.requiring(basic("u:p")); Socks5Proxy socks = Socks5Proxy.requiring("sam", "s3cret")) {
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                    .proxy(always(URI.create("http://u:p@127.0.0.1:" + proxy.port()))).build()) {
                assertThat(get(t, "https://origin.test:" + tls.port() + "/t")).isEqualTo("200 /t pa=null a=null");
            }
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                    .proxy(always(URI.create("socks5://sam:s3cret@127.0.0.1:" + socks.port()))).build()) {
                assertThat(get(t, "https://origin.test:" + tls.port() + "/s")).isEqualTo("200 /s pa=null a=null");
                assertThat(get(t, "http://plain.test:" + plain.port() + "/p")).isEqualTo("200 /p pa=null a=null");
            }
        }
    }

    @Test
    void R7_aPlainHttp407IsTheResponse() throws Exception {
        try (JdkServer origin = origin(); TestProxy proxy = TestProxy.requiring(basic("u:p"));
             Transport t = Transport.builder().proxy(always(proxy.uri())).build()) {
            assertThat(get(t, "http://a.test:" + origin.port() + "/")).isEqualTo("407 ");
        }
    }

    @Test
    void R8_httpsGoesThroughAConnectTunnelWithTlsToTheOrigin() throws Exception {
        try (JdkServer origin = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "secret " + ex.getRequestURI()));
             TestProxy proxy = TestProxy.requiring(basic("u:p"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(always(URI.create("http://u:p@127.0.0.1:" + proxy.port()))).build()) {
            String uri = "https://origin.test:" + origin.port() + "/a";
            assertThat(get(t, uri)).isEqualTo("200 secret /a");
            assertThat(get(t, uri)).isEqualTo("200 secret /a");
            // One tunnel, reused; the proxy saw the CONNECT line only, never the path.
            assertThat(proxy.requestLines).containsExactly("CONNECT origin.test:" + origin.port() + " HTTP/1.1");
            assertThat(proxy.authorizations).containsExactly(basic("u:p"));
            assertThat(t.stats().reused()).isEqualTo(1);
        }
    }

    @Test
    void R8_theOriginsCertificateIsCheckedAgainstTheOriginNotTheProxy() throws Exception {
        try (JdkServer origin = JdkServer.httpsFor("other.test", ex -> JdkServer.respond(ex, 200, "x"));
             TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("other.test"))
                     .proxy(always(proxy.uri())).build()) {
            assertThatThrownBy(() -> get(t, "https://origin.test:" + origin.port() + "/"))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void R10_aConnectAnswered407IsAProxyExceptionNamingTheProxyAndItsAnswer() throws Exception {
        try (JdkServer origin = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "x"));
             TestProxy proxy = TestProxy.requiring(basic("u:p"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(always(URI.create("http://u:wrong@127.0.0.1:" + proxy.port()))).build()) {
            assertThatThrownBy(() -> get(t, "https://origin.test:" + origin.port() + "/"))
                    .isInstanceOfSatisfying(ProxyException.class, e -> {
                        assertThat(e.status()).isEqualTo(407);
                        assertThat(e.proxy()).isEqualTo("http://127.0.0.1:" + proxy.port());
                    })
                    .hasMessageContaining("proxy http://127.0.0.1:" + proxy.port())
                    .hasMessageContaining("CONNECT origin.test:" + origin.port())
                    .hasMessageContaining("407 Proxy Authentication Required")
                    .hasMessageNotContaining("wrong");
            assertThat(t.stats().open()).isZero();
        }
    }

    @Test
    void R9_socks5CarriesHttpAndHttpsWithTheNameResolvedByTheProxy() throws Exception {
        try (JdkServer plain = origin();
             JdkServer tls = JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "tls " + ex.getRequestURI()));
             Socks5Proxy socks = Socks5Proxy.start();
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(always(URI.create("socks5://127.0.0.1:" + socks.port()))).build()) {
            assertThat(get(t, "http://plain.test:" + plain.port() + "/p")).isEqualTo("200 GET /p host=plain.test:" + plain.port());
            assertThat(get(t, "https://origin.test:" + tls.port() + "/s")).isEqualTo("200 tls /s");
            assertThat(socks.destinations).containsExactly("plain.test:" + plain.port(), "origin.test:" + tls.port());
        }
    }

    @Test
    void R9_socks5UsernameAndPasswordFromTheProxyUrl() throws Exception {
        try (JdkServer plain = origin(); Socks5Proxy socks = Socks5Proxy.requiring("sam", "s3cret")) {
            try (Transport ok = Transport.builder().proxy(always(URI.create("socks5://sam:s3cret@127.0.0.1:" + socks.port()))).build()) {
                assertThat(get(ok, "http://plain.test:" + plain.port() + "/")).startsWith("200 ");
            }
            try (Transport bad = Transport.builder().proxy(always(URI.create("socks5://sam:nope@127.0.0.1:" + socks.port()))).build()) {
                assertThatThrownBy(() -> get(bad, "http://plain.test:" + plain.port() + "/"))
                        .isInstanceOf(ProxyException.class).hasMessageContaining("rejected the username and password")
                        .hasMessageNotContaining("nope");
            }
            try (Transport none = Transport.builder().proxy(always(URI.create("socks5://127.0.0.1:" + socks.port()))).build()) {
                assertThatThrownBy(() -> get(none, "http://plain.test:" + plain.port() + "/"))
                        .isInstanceOf(ProxyException.class).hasMessageContaining("accepts none of our authentication methods");
            }
        }
    }

    @Test
    void R10_aSocks5ErrorReplyIsAProxyExceptionWithTheReplyCode() throws Exception {
        try (Socks5Proxy socks = Socks5Proxy.refusing(5);
             Transport t = Transport.builder().proxy(always(URI.create("socks5://127.0.0.1:" + socks.port()))).build()) {
            assertThatThrownBy(() -> get(t, "http://origin.test:8080/"))
                    .isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e.status()).isEqualTo(5))
                    .hasMessageContaining("SOCKS5 proxy socks5://127.0.0.1:" + socks.port())
                    .hasMessageContaining("connection refused");
        }
    }

    @Test
    void R5_anEmptyProxyChoiceGoesDirect() throws Exception {
        try (JdkServer origin = origin(); TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().proxy(r -> Optional.empty()).build()) {
            assertThat(get(t, origin.uri("/d").toString())).startsWith("200 GET /d");
            assertThat(proxy.accepted()).isZero();
        }
    }

    @Test
    void R38_theTransportFailsTheRequestWithTheProxyExceptionBeforeDialling() throws Exception {
        Map<String, String> env = Map.of("HTTP_PROXY", "socks4://proxy.test:1080");
        try (Transport t = Transport.builder().proxy(Proxies.fromEnvironment(env::get)).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://origin.test/")))
                    .isInstanceOf(ProxyException.class)
                    .hasMessage("invalid proxy address in HTTP_PROXY: unsupported proxy scheme socks4:// (a proxy is"
                            + " host[:port], or http://, https://, socks5:// or socks5h:// and host[:port]; the value is"
                            + " not shown, it may hold a password)");
            assertThat(t.stats().dialed()).isZero();
        }
    }

    @Test
    void R5_anUnsupportedProxySchemeIsAProxyException() throws Exception {
        try (Transport t = Transport.builder().proxy(always(URI.create("ftp://127.0.0.1:21"))).build()) {
            assertThatThrownBy(() -> get(t, "http://origin.test/")).isInstanceOf(ProxyException.class)
                    .hasMessageContaining("unsupported proxy ftp://127.0.0.1:21");
        }
    }
}
