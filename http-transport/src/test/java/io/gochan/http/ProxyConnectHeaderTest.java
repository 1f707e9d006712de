package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.TestProxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a {@code CONNECT} request carries (R54: the caller's fields, fixed or from a function, and which
 * {@code Proxy-Authorization} and {@code User-Agent} go) and which answers open the tunnel (R55: any 2xx), against
 * the real loopback {@link TestProxy} and the JDK's HTTPS server as origin.
 */
@NoGoroutineLeaks
class ProxyConnectHeaderTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> lines(String head, String prefix) {
        return head.lines().filter(l -> l.regionMatches(true, 0, prefix, 0, prefix.length())).toList();
    }

    /** An https origin that echoes the fields the proxy must never pass on to it. */
    private static JdkServer echoingOrigin() throws Exception {
        return JdkServer.httpsFor("origin.test", ex -> JdkServer.respond(ex, 200, "tenant="
                + ex.getRequestHeaders().getFirst("X-Tenant") + " ua=" + ex.getRequestHeaders().getFirst("User-Agent")));
    }

    private static String get(Transport t, String uri) throws Exception {
        try (HttpResponse r = t.roundTrip(HttpRequest.get(uri))) {
            return r.status() + " " + r.body().string();
        }
    }

    @Test
    void R54_fixedFieldsGoOnTheConnectOnlyWithoutHostOrFramingOverrides() throws Exception {
        Headers extra = Headers.of("X-Tenant", "blue", "User-Agent", "corp-agent/1", "Host", "evil.test:1",
                "Content-Length", "5", "Transfer-Encoding", "chunked", "Trailer", "X", "X-Tenant", "green");
        try (JdkServer origin = echoingOrigin(); JdkServer plain = JdkServer.http(ex -> JdkServer.respond(ex, 200,
                "tenant=" + ex.getRequestHeaders().getFirst("X-Tenant")));
             TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(r -> Optional.of(proxy.uri())).proxyConnectHeaders(extra).build()) {
            // Inside the tunnel the origin sees the request's own fields, none of the CONNECT's.
            assertThat(get(t, "https://origin.test:" + origin.port() + "/")).isEqualTo("200 tenant=null ua=gochan-http/0.1");
            // Plain http through the proxy: the request is the request, no CONNECT fields (as Go).
            assertThat(get(t, "http://plain.test:" + plain.port() + "/")).isEqualTo("200 tenant=null");
            String connect = proxy.heads.get(0);
            String authority = "origin.test:" + origin.port();
            assertThat(connect).startsWith("CONNECT " + authority + " HTTP/1.1\r\n");
            assertThat(lines(connect, "Host:")).containsExactly("Host: " + authority);
            assertThat(lines(connect, "X-Tenant:")).containsExactly("X-Tenant: blue", "X-Tenant: green");
            assertThat(lines(connect, "User-Agent:")).containsExactly("User-Agent: corp-agent/1");
            assertThat(lines(connect, "Content-Length:")).isEmpty();
            assertThat(lines(connect, "Transfer-Encoding:")).isEmpty();
            assertThat(lines(connect, "Trailer:")).isEmpty();
            assertThat(lines(proxy.heads.get(1), "X-Tenant:")).isEmpty();
        }
    }

    @Test
    void R54_aConnectCarriesNoUserAgentUnlessGivenAndAnEmptyOneIsNotSent() throws Exception {
        try (JdkServer origin = echoingOrigin(); TestProxy proxy = TestProxy.start()) {
            for (Headers extra : List.of(Headers.empty(), Headers.of("User-Agent", "", "User-Agent", "second"))) {
                try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                        .proxy(r -> Optional.of(proxy.uri())).proxyConnectHeaders(extra).build()) {
                    assertThat(get(t, "https://origin.test:" + origin.port() + "/")).startsWith("200 ");
                }
            }
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                    .proxy(r -> Optional.of(proxy.uri())).build()) {
                assertThat(get(t, "https://origin.test:" + origin.port() + "/")).startsWith("200 ");
            }
            assertThat(proxy.heads).hasSize(3).allSatisfy(h -> assertThat(lines(h, "User-Agent:")).isEmpty());
        }
    }

    @Test
    void R54_theFunctionIsAskedOncePerTunnelWithTheProxyAndTheTarget() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        try (JdkServer origin = echoingOrigin(); TestProxy proxy = TestProxy.requiring("Bearer t-1");
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(r -> Optional.of(proxy.uri()))
                     .proxyConnectHeaders((p, target) -> {
                         calls.add(p + " " + target);
                         return Headers.of("Proxy-Authorization", "Bearer t-" + calls.size());
                     }).build()) {
            String uri = "https://origin.test:" + origin.port() + "/";
            assertThat(get(t, uri)).startsWith("200 ");
            assertThat(get(t, uri)).startsWith("200 "); // the same tunnel: the function is not asked again
            assertThat(calls).containsExactly(proxy.uri() + " origin.test:" + origin.port());
            assertThat(proxy.authorizations).containsExactly("Bearer t-1");
            assertThat(t.stats().reused()).isEqualTo(1);
        }
    }

    @Test
    void R54_theFunctionsFailureIsTheRequestsFailureAndNothingIsSent() throws Exception {
        IOException noToken = new IOException("no proxy token");
        try (TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().proxy(r -> Optional.of(proxy.uri()))
                     .proxyConnectHeaders((p, target) -> {
                         throw noToken;
                     }).build()) {
            assertThatThrownBy(() -> get(t, "https://origin.test:443/")).isSameAs(noToken);
            assertThat(proxy.heads).isEmpty();
            assertThat(t.stats().open()).isZero();
        }
        IllegalStateException bug = new IllegalStateException("a bug in the function");
        try (TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().proxy(r -> Optional.of(proxy.uri()))
                     .proxyConnectHeaders((p, target) -> {
                         throw bug;
                     }).build()) {
            assertThatThrownBy(() -> get(t, "https://origin.test:443/")).isInstanceOf(HttpConnectionException.class)
                    .hasCause(bug);
            assertThat(proxy.heads).isEmpty();
            assertThat(t.stats().open()).isZero();
        }
    }

    @Test
    void R54_theProxyUrisCredentialsAreTheOnlyProxyAuthorizationWhenItHasUserInfo() throws Exception {
        // Go sets the URI's Basic value over the fields' (hdr.Set): one field, the URI's.
        Headers extra = Headers.of("Proxy-Authorization", "Bearer from-headers", "X-Tenant", "blue");
        try (JdkServer origin = echoingOrigin(); TestProxy withUser = TestProxy.requiring(basic("u:p"));
             TestProxy withoutUser = TestProxy.requiring("Bearer from-headers")) {
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                    .proxy(r -> Optional.of(URI.create("http://u:p@127.0.0.1:" + withUser.port())))
                    .proxyConnectHeaders(extra).build()) {
                assertThat(get(t, "https://origin.test:" + origin.port() + "/")).startsWith("200 ");
            }
            try (Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                    .proxy(r -> Optional.of(withoutUser.uri())).proxyConnectHeaders(extra).build()) {
                assertThat(get(t, "https://origin.test:" + origin.port() + "/")).startsWith("200 ");
            }
            assertThat(lines(withUser.heads.get(0), "Proxy-Authorization:")).containsExactly("Proxy-Authorization: " + basic("u:p"));
            assertThat(lines(withUser.heads.get(0), "X-Tenant:")).containsExactly("X-Tenant: blue");
            assertThat(lines(withoutUser.heads.get(0), "Proxy-Authorization:")).containsExactly("Proxy-Authorization: Bearer from-headers");
        }
    }

    @Test
    void R54_theLastCallOfEitherFormIsTheSetting() throws Exception {
        try (JdkServer origin = echoingOrigin(); TestProxy proxy = TestProxy.start();
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(r -> Optional.of(proxy.uri()))
                     .proxyConnectHeaders((p, target) -> Headers.of("X-Form", "function"))
                     .proxyConnectHeaders(Headers.of("X-Form", "fixed")).build()) {
            assertThat(get(t, "https://origin.test:" + origin.port() + "/")).startsWith("200 ");
            assertThat(lines(proxy.heads.get(0), "X-Form:")).containsExactly("X-Form: fixed");
        }
    }

    @Test
    void R55_anyTwoHundredAnswerOpensTheTunnelItsFramingFieldsIgnored() throws Exception {
        // RFC 9110 section 9.3.6: any 2xx switches to tunnel mode, and a client ignores its Content-Length or
        // Transfer-Encoding. Go accepts 200 only; curl any 2xx.
        for (String answer : List.of("HTTP/1.1 200 Connection established\r\n\r\n", "HTTP/1.1 201 Created\r\n\r\n",
                "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n",
                "HTTP/1.1 299 Whatever\r\nTransfer-Encoding: chunked\r\n\r\n")) {
            try (JdkServer origin = echoingOrigin(); TestProxy proxy = TestProxy.openingTunnelsWith(answer);
                 Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                         .proxy(r -> Optional.of(proxy.uri())).build()) {
                assertThat(get(t, "https://origin.test:" + origin.port() + "/")).as(answer).startsWith("200 tenant=null");
            }
        }
    }

    /**
     * P82: a 2xx from the proxy that declares a transfer coding the client cannot read (anything but a lone
     * {@code chunked}: {@link #R55_anyTwoHundredAnswerOpensTheTunnelItsFramingFieldsIgnored} keeps that one) opens no
     * tunnel: the dial fails with a {@link ProxyException} carrying the answer's status, its message naming the field,
     * its cause the {@code UNSUPPORTED_TRANSFER_ENCODING} an origin's response would get, as Go's dial fails on its
     * {@code ReadResponse}'s error; nothing stays open. An HTTP/1.0 answer's field is ignored, as everywhere (P41): that
     * tunnel opens. Before, every such 2xx opened the tunnel: "Expecting code to raise a throwable" for each coding.
     */
    @Test
    void P82_aTwoHundredWithATransferCodingItCannotReadIsAProxyException() throws Exception {
        for (String fields : List.of("Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, gzip\r\n",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")) {
            try (JdkServer origin = echoingOrigin();
                 TestProxy proxy = TestProxy.openingTunnelsWith("HTTP/1.1 200 Connection established\r\n" + fields + "\r\n");
                 Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                         .proxy(r -> Optional.of(proxy.uri())).build()) {
                assertThatThrownBy(() -> get(t, "https://origin.test:" + origin.port() + "/")).as(fields)
                        .isInstanceOfSatisfying(ProxyException.class, e -> {
                            assertThat(e.status()).isEqualTo(200);
                            assertThat(e.getCause()).isInstanceOfSatisfying(HttpProtocolException.class, cause -> assertThat(
                                    cause.reason()).isEqualTo(HttpProtocolException.Reason.UNSUPPORTED_TRANSFER_ENCODING));
                        })
                        .hasMessageContaining("Transfer-Encoding");
                assertThat(t.stats().open()).isZero();
            }
        }
        try (JdkServer origin = echoingOrigin();
             TestProxy proxy = TestProxy.openingTunnelsWith("HTTP/1.0 200 Connection established\r\nTransfer-Encoding: gzip\r\n\r\n");
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                     .proxy(r -> Optional.of(proxy.uri())).build()) {
            assertThat(get(t, "https://origin.test:" + origin.port() + "/")).startsWith("200 tenant=null");
        }
    }

    @Test
    void R55_anyOtherAnswerIsAProxyExceptionWithItsStatus() throws Exception {
        for (int status : List.of(100, 101, 199, 300, 302, 407, 503)) {
            try (JdkServer origin = echoingOrigin();
                 TestProxy proxy = TestProxy.openingTunnelsWith("HTTP/1.1 " + status + " No\r\n\r\n");
                 Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("origin.test"))
                         .proxy(r -> Optional.of(proxy.uri())).build()) {
                assertThatThrownBy(() -> get(t, "https://origin.test:" + origin.port() + "/")).as("" + status)
                        .isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e.status()).isEqualTo(status))
                        .hasMessageContaining("refused: " + status);
                assertThat(t.stats().open()).isZero();
            }
        }
    }
}
