package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.internal.pool.ConnectKey;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.http.testing.Socks5Proxy;
import io.gochan.http.testing.TestProxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reach desk-check of session 26 (R90–R92, R39): an IPv6 zone dialled as written, every {@code Cookie} field of the
 * caller's kept beside the jar's, a caller's {@code Proxy-Authorization} only ever sent to an HTTP proxy, and
 * {@code NO_PROXY} entries of digits and dots never looked up. Style as {@code DialTest} and
 * {@code ProxyParityProbeTest}.
 */
@NoGoroutineLeaks
class ReachReview26Test {
    private static final String CALLERS = "Basic Y29ycDpwcm94eS1wdw=="; // corp:proxy-pw

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Answers with the {@code Proxy-Authorization} the origin received ({@code pa=null} for none). */
    private static final com.sun.net.httpserver.HttpHandler ECHO_PA =
            ex -> JdkServer.respond(ex, 200, "pa=" + ex.getRequestHeaders().getFirst("Proxy-Authorization"));

    /**
     * R90: the zone names an interface of this machine. Linux interface names are case-sensitive and systemd gives
     * upper-case ones (enP8p1s0). ConnectKey lowered its whole host, zone included, and the dialer was asked for
     * "fe80::1%enp8p1s0": the JDK's resolver behind the default dialer says "no such interface". A recording dialer
     * refuses, so no real interface is needed.
     */
    @ParameterizedTest(name = "zone written as {0}")
    @ValueSource(strings = {"%25enP8p1s0", "%enP8p1s0"})
    void R90_theZoneIsDialledAsWrittenNotLowerCased(String zone) throws Exception {
        List<String> dialled = new CopyOnWriteArrayList<>();
        try (Transport t = Transport.builder().dialer((host, port, timeout) -> {
                 dialled.add(host + " " + port);
                 throw new ConnectException("refused by the test's dialer");
             }).build()) {
            URI uri = URI.create("http://[FE80::1" + zone + "]:8080/z");
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.newBuilder(uri).build()).close())
                    .isInstanceOf(ConnectException.class);
            // Before: "fe80::1%enp8p1s0 8080". The address is lowered (it is the same address in any case), the zone not.
            assertThat(dialled).isNotEmpty().containsOnly("fe80::1%enP8p1s0 8080");
        }
    }

    /** R90: zones that differ only in case may be two interfaces: two pool keys, never one connection for both. */
    @Test
    void R90_zonesThatDifferOnlyInCaseAreTwoPoolKeys() {
        ConnectKey upper = new ConnectKey("HTTP", "[FE80::1%25enP8p1s0]", 8080);
        assertThat(upper.host()).isEqualTo("[fe80::1%25enP8p1s0]"); // before: "[fe80::1%25enp8p1s0]"
        assertThat(upper).isEqualTo(new ConnectKey("http", "[fe80::1%25enP8p1s0]", 8080));
        assertThat(upper).isNotEqualTo(new ConnectKey("http", "[fe80::1%25enp8p1s0]", 8080)); // before: equal
        assertThat(new ConnectKey("http", "Example.COM", 80).host()).isEqualTo("example.com"); // names as before
    }

    /**
     * R91: the jar's cookies go after the caller's Cookie fields, all of them. With two fields of the caller's
     * ({@code HttpRequest.Builder.header} appends), the client read the first with {@code headers().get} and
     * replaced every field with {@code setHeader}: the second was lost, but only when the jar had a cookie for the URI.
     */
    @Test
    void R91_jarCookiesAreAddedWithoutDroppingTheCallersSecondCookieField() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 if (ex.getRequestURI().getPath().equals("/set")) {
                     ex.getResponseHeaders().add("Set-Cookie", "j=1; Path=/");
                 } else {
                     List<String> fields = ex.getRequestHeaders().get("Cookie");
                     seen.add(fields == null ? "" : String.join(" | ", fields));
                 }
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/set")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/echo"))
                    .header("Cookie", "a=1").header("Cookie", "b=2").build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            // One field, the caller's in order, then the jar's. Before: "a=1; j=1" (b=2 lost).
            assertThat(seen).containsExactly("a=1; b=2; j=1");
        }
    }

    /**
     * R92: a Proxy-Authorization the caller set for its HTTP proxy (R23 makes it the one the proxy gets) was kept by a
     * redirect to the same host and port that changes the scheme, http to https. The https hop takes another route
     * (HTTPS_PROXY unset here: direct), so the origin that answered the redirect received the proxy's credential. A
     * server that speaks TLS and plain http on one port can ask for it. Go leaks it too (golang/go#79792). Either fix
     * alone makes the origin's answer right: the hops the client hands its round tripper show the client's.
     */
    @Test
    void R92_aProxyCredentialOfTheCallersNeverReachesTheOriginOnASchemeChangingRedirect() throws Exception {
        List<String> proxied = new CopyOnWriteArrayList<>();
        List<String> hops = new CopyOnWriteArrayList<>();
        try (JdkServer origin = JdkServer.httpsFor("a.test", ECHO_PA);
             RawServer proxy = RawServer.start(c -> {
                 String head;
                 while ((head = c.readRequest()) != null) {
                     proxied.add(head);
                     // The http hop, as the origin answers it through the proxy: up to https on the same port.
                     c.write("HTTP/1.1 302 Found\r\nLocation: https://a.test:" + origin.port()
                             + "/\r\nContent-Length: 0\r\n\r\n");
                 }
             });
             Transport t = Transport.builder()
                     .sslContext(JdkServer.clientTlsFor("a.test"))
                     .resolver(host -> List.of(InetAddress.getLoopbackAddress()))
                     .proxy(Proxies.fromEnvironment(Map.of("HTTP_PROXY", "http://127.0.0.1:" + proxy.port())::get))
                     .build()) {
            HttpClient c = HttpClient.builder((req, ctx) -> {
                hops.add(req.uri().getScheme() + " " + req.headers().get("Proxy-Authorization"));
                return t.roundTrip(req, ctx);
            }).build();
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://a.test:" + origin.port() + "/"))
                    .header("Proxy-Authorization", CALLERS).build();
            try (HttpResponse r = c.send(req)) {
                assertThat(r.status()).isEqualTo(200);
                // Before: "pa=Basic Y29ycDpwcm94eS1wdw==", the proxy's credential at the origin.
                assertThat(r.body().string()).isEqualTo("pa=null");
            }
            // Before: the https hop kept it ("https Basic ...").
            assertThat(hops).containsExactly("http " + CALLERS, "https null");
            assertThat(proxied).hasSize(1);
            assertThat(proxied.get(0)).contains("Proxy-Authorization: " + CALLERS); // the proxy got it, as R23 says
        }
    }

    /**
     * R92: the transport writes a caller's Proxy-Authorization only on a head forwarded to an HTTP proxy. Direct (http
     * and https), inside a CONNECT tunnel and through SOCKS5 the head goes to the origin, which received the field
     * before (Go sends it too: its Request.write writes every field). A CONNECT carries only the proxy URI's
     * credentials (none here) and never the request's.
     */
    @Test
    void R92_aCallersProxyAuthorizationGoesOnlyToAnHttpProxyNeverToAnOrigin() throws Exception {
        List<String> forwarded = new CopyOnWriteArrayList<>();
        try (JdkServer plain = JdkServer.http(ECHO_PA);
             JdkServer tls = JdkServer.httpsFor("origin.test", ECHO_PA);
             TestProxy tunnel = TestProxy.start();
             Socks5Proxy socks = Socks5Proxy.start();
             RawServer httpProxy = RawServer.start(c -> {
                 for (String h; (h = c.readRequest()) != null; ) {
                     forwarded.add(h);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder()
                     .sslContext(JdkServer.clientTlsFor("origin.test"))
                     .resolver(host -> List.of(InetAddress.getLoopbackAddress()))
                     .proxy(r -> Optional.ofNullable(r.headers().get("X-Via")).map(URI::create))
                     .build()) {
            String http = "http://origin.test:" + plain.port() + "/";
            String https = "https://origin.test:" + tls.port() + "/";
            List<String[]> routes = List.of(
                    new String[] {"direct http", http, null},
                    new String[] {"direct https", https, null},
                    new String[] {"https through a CONNECT tunnel", https, "http://127.0.0.1:" + tunnel.port()},
                    new String[] {"http through SOCKS5", http, "socks5://127.0.0.1:" + socks.port()},
                    new String[] {"https through SOCKS5", https, "socks5://127.0.0.1:" + socks.port()});
            for (String[] route : routes) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(route[1])).header("Proxy-Authorization", CALLERS);
                if (route[2] != null) {
                    b.header("X-Via", route[2]);
                }
                try (HttpResponse r = t.roundTrip(b.build())) {
                    // Before: "pa=Basic Y29ycDpwcm94eS1wdw==" on every route.
                    assertThat(r.body().string()).as(route[0]).isEqualTo("pa=null");
                }
            }
            assertThat(tunnel.requestLines).containsExactly("CONNECT origin.test:" + tls.port() + " HTTP/1.1");
            assertThat(tunnel.authorizations).containsExactly(""); // the CONNECT carried none: the proxy URI has no user info
            // Forwarded to an HTTP proxy, the caller's field is the one the proxy gets (R23), as before.
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(URI.create(http))
                    .header("Proxy-Authorization", CALLERS).header("X-Via", "http://127.0.0.1:" + httpProxy.port()).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(forwarded).hasSize(1);
            assertThat(forwarded.get(0)).contains("\r\nProxy-Authorization: " + CALLERS + "\r\n");
        }
    }

    /**
     * R39: building the NO_PROXY matcher never resolves a name. An entry of digits and dots that is no IPv4 address
     * (a part above 255, an empty part) went to InetAddress.getByName, which looked it up in DNS; it is now a host
     * name suffix, as Go's httpproxy makes it (ParseIP refuses it). The lookup itself cannot be seen from here (no
     * DNS server answers these names on a test machine, so the old code also ended with a domain entry, and this test
     * passes on it: a guard, not a proof of the fix): this pins what the entry means, and that ipLiteral reads the IPv4
     * literals it read before, leading zeros as decimal.
     */
    @Test
    void R39_aNoProxyEntryOfDigitsThatIsNoAddressIsANameSuffix() throws Exception {
        for (String text : List.of("10.0.0.256", "999.1.1.1", "1..2.3", "1.2.3.4.5", "1.2.3", "00000000000000000000256.1.1.1")) {
            assertThat(Proxies.ipLiteral(text)).as(text).isNull();
        }
        assertThat(Proxies.ipLiteral("10.0.0.255")).isEqualTo(InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) 255}));
        assertThat(Proxies.ipLiteral("127.000.000.001")).isEqualTo(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        assertThat(Proxies.ipLiteral("010.0.0.1")).isEqualTo(InetAddress.getByAddress(new byte[] {10, 0, 0, 1}));
        assertThat(Proxies.ipLiteral("::1")).isEqualTo(InetAddress.getByName("::1"));
        assertThat(Proxies.ipLiteral("::1:zz")).isNull();

        assertThat(Proxies.useProxy("10.0.0.256", "10.0.0.256", 80)).isFalse();
        assertThat(Proxies.useProxy("10.0.0.256", "x.10.0.0.256", 80)).isFalse();
        assertThat(Proxies.useProxy("10.0.0.256", "10.0.0.1", 80)).isTrue();
        assertThat(Proxies.useProxy("10.0.0.256", "example.com", 80)).isTrue();
    }
}
