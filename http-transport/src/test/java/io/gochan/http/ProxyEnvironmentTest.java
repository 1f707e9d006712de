package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Proxies}: Go's environment rules (R5) and {@code NO_PROXY} matching (R6), on the examples of
 * Go's own {@code httpproxy} tests, restated as rows here. No network.
 */
class ProxyEnvironmentTest {
    /** Go's NO_PROXY example list. */
    private static final String NO_PROXY = "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, "
            + "192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";

    @ParameterizedTest(name = "{0}:80 proxied: {1}")
    @CsvSource({
        "localhost, false", "127.0.0.1, false", "127.0.0.2, false", "[::1], false", "[::2], true",
        "192.168.1.1, false", "192.168.1.2, true", "192.168.1.3, false", "192.168.1.4, true", "10.0.0.2, false",
        "[2001:db8::52:0:1], false", "[2001:db8::52:0:2], true", "[2001:db8::52:0:3], false", "[2002:db8:a::123], false",
        "[fe80::424b:c8be:1643:a1b6], true",
        "barbaz.net, true", "www.barbaz.net, false", "foobar.com, false", "www.foobar.com, false", "foofoobar.com, true",
        "baz.com, true", "localhost.net, true", "local.localhost, true", "barbarbaz.net, true", "wildcard.io, true",
        "nested.wildcard.io, false", "awildcard.io, true",
    })
    void R6_noProxyMatchesAsGoDoes(String host, boolean proxied) {
        assertThat(Proxies.useProxy(NO_PROXY, host, 80)).isEqualTo(proxied);
    }

    @ParameterizedTest(name = "{0}:80 with NO_PROXY=*")
    @CsvSource({"example.com", "192.168.1.1", "[2001:db8::1]", "localhost"})
    void R6_aStarDisablesEveryProxy(String host) {
        assertThat(Proxies.useProxy("*", host, 80)).isFalse();
    }

    @Test
    void R6_aMalformedEntryIsIgnored() {
        assertThat(Proxies.useProxy(":1", "example.com", 80)).isTrue();
    }

    @ParameterizedTest(name = "NO_PROXY={0}, {1}:{2} proxied: {3}")
    @CsvSource({
        // An empty port is every port, as Go's SplitHostPort gives "" for it. Before, the entry was ignored.
        "example.com:, example.com, 80, false", "example.com:, www.example.com, 8080, false", "example.com:, example.org, 80, true",
        "10.0.0.1:, 10.0.0.1, 8080, false", "'[2001:db8::1]:', [2001:db8::1], 443, false",
        // An empty CIDR length is no CIDR block (Go: ParseCIDR refuses it), never one matching every address.
        "10.0.0.0/, 10.0.0.1, 80, true", "10.0.0.0/, 11.0.0.1, 80, true",
    })
    void R39_anEntryWithAnEmptyPortMatchesEveryPort(String noProxy, String host, int port, boolean proxied) {
        assertThat(Proxies.useProxy(noProxy, host, port)).isEqualTo(proxied);
    }

    @ParameterizedTest(name = "NO_PROXY={0}, {1} -> {2}")
    @CsvSource({
        // IDNA refused the entry with its leading dot (an empty label), so it was kept in Unicode and never
        // matched a request host, which is in ASCII form (R18). Go converts it and matches.
        "bücher.example, http://bücher.example/, direct", "bücher.example, http://www.BÜCHER.example/, direct",
        "bücher.example, http://xn--bcher-kva.example/, direct", ".bücher.example, http://bücher.example/, http://proxy:3128",
        ".bücher.example, http://a.bücher.example/, direct", "*.bücher.example, http://a.bücher.example:8080/, direct",
        "bücher.example:8080, http://bücher.example:8080/, direct", "bücher.example:8080, http://bücher.example/, http://proxy:3128",
        "xn--bcher-kva.example, http://bücher.example/, direct",
    })
    void R39_anInternationalizedEntryMatchesAsItsAsciiForm(String noProxy, String request, String want) {
        Map<String, String> env = Map.of("HTTP_PROXY", "proxy:3128", "NO_PROXY", noProxy);
        assertThat(choose(Proxies.fromEnvironment(env::get), request)).isEqualTo(want);
    }

    @ParameterizedTest(name = "HTTP_PROXY={0} NO_PROXY={1}, {2} -> {3}")
    @CsvSource({
        // Before, java.net.URI found no host in a name with '_': the request could not be built, and such a
        // proxy value named no usable proxy (R38). Go accepts both.
        "my_proxy:3128, -, http://example.com/, http://my_proxy:3128",
        "http://my_proxy:3128, -, http://my_service:8080/, http://my_proxy:3128",
        "socks5h://socks_1.internal, -, http://example.com/, socks5h://socks_1.internal",
        "proxy:3128, my_service, http://my_service:8080/, direct", "proxy:3128, my_service, http://other_service/, http://proxy:3128",
        "proxy:3128, MY_SERVICE, http://my_service/, direct", "proxy:3128, .example, http://a_b.example/, direct",
        "proxy:3128, my_service:8080, http://my_service/, http://proxy:3128", "proxy:3128, my_service:8080, http://my_service:8080/, direct",
        "proxy:3128, a_b.example, http://c.a_b.example/, direct",
    })
    void R40_underscoreNamesAsProxiesAndInNoProxy(String httpProxy, String noProxy, String request, String want) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("HTTP_PROXY", httpProxy));
        if (!noProxy.equals("-")) {
            env.put("NO_PROXY", noProxy);
        }
        assertThat(choose(Proxies.fromEnvironment(env::get), request)).isEqualTo(want);
    }

    @ParameterizedTest(name = "HTTP_PROXY={0}")
    @CsvSource({"my_proxy:99999", "my_proxy:0", "http://user@my_proxy:3128", "my_proxy:31a8", "'my proxy:3128'"})
    void R40_anUnderscoreProxyWithABadAuthorityStillNamesNoUsableProxy(String value) {
        Map<String, String> env = Map.of("HTTP_PROXY", value);
        assertThatThrownBy(() -> choose(Proxies.fromEnvironment(env::get), "http://example.com/"))
                .isInstanceOf(java.io.UncheckedIOException.class)
                .hasCauseInstanceOf(ProxyException.class).cause().hasMessageContaining("invalid proxy address in HTTP_PROXY");
    }

    private static String choose(Function<HttpRequest, Optional<URI>> f, String request) {
        return f.apply(HttpRequest.get(request)).map(URI::toString).orElse("direct");
    }

    @ParameterizedTest(name = "http_proxy={0} https_proxy={1} no_proxy={2} {3} -> {4}")
    @CsvSource(nullValues = "-", value = {
        "127.0.0.1:8080, -, -, http://example.com, http://127.0.0.1:8080",
        "cache.corp.example.com:1234, -, -, http://example.com, http://cache.corp.example.com:1234",
        "cache.corp.example.com, -, -, http://example.com, http://cache.corp.example.com",
        "https://cache.corp.example.com, -, -, http://example.com, https://cache.corp.example.com",
        "socks5://127.0.0.1, -, -, http://example.com, socks5://127.0.0.1",
        "http.proxy.tld, secure.proxy.tld, -, http://insecure.tld/, http://http.proxy.tld",
        "http.proxy.tld, secure.proxy.tld, -, https://secure.tld/, http://secure.proxy.tld",
        "http.proxy.tld, https://secure.proxy.tld, -, https://secure.tld/, https://secure.proxy.tld",
        "http.proxy.tld, -, -, https://secure.tld/, direct",
        "-, -, -, http://example.com, direct",
        "proxy, -, example.com, http://example.com/, direct",
        "proxy, -, .example.com, http://example.com/, http://proxy",
        "proxy, -, ample.com, http://example.com/, http://proxy",
        "proxy, -, example.com, http://foo.example.com/, direct",
        "proxy, -, .foo.com, http://example.com/, http://proxy",
        "proxy, -, -, http://localhost:8080/, direct",
        "proxy, -, -, http://127.0.0.1:8080/, direct",
        "proxy, -, -, http://[::1]:8080/, direct",
    })
    void R5_goesRulesChooseTheProxy(String http, String https, String noProxy, String request, String want) {
        assertThat(choose(Proxies.of(http, https, noProxy), request)).isEqualTo(want);
    }

    @Test
    void R5_upperCaseWinsOverLowerCaseAndLowerCaseIsRead() {
        Map<String, String> env = Map.of("HTTP_PROXY", "upper:1", "http_proxy", "lower:2", "https_proxy", "lower:3",
                "no_proxy", "skip.test");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThat(choose(f, "http://example.com/")).isEqualTo("http://upper:1");
        assertThat(choose(f, "https://example.com/")).isEqualTo("http://lower:3");
        assertThat(choose(f, "http://www.skip.test/")).isEqualTo("direct");
    }

    @Test
    void R5_httpProxyIsRefusedInACgiEnvironmentButHttpsProxyIsUsed() {
        Map<String, String> env = Map.of("HTTP_PROXY", "http://10.1.2.3:8080", "HTTPS_PROXY", "https://secure.proxy.tld",
                "REQUEST_METHOD", "GET");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThatThrownBy(() -> choose(f, "http://example.com/")).isInstanceOf(UncheckedIOException.class)
                .cause().isInstanceOf(ProxyException.class).hasMessageContaining("CGI");
        assertThat(choose(f, "https://secure.tld/")).isEqualTo("https://secure.proxy.tld");
    }

    @Test
    void R24_aSocks5hProxyFromTheEnvironmentIsKept() {
        // socks5h:// is a scheme the transport takes (R5, R9); taking it for a bare host and putting
        // http:// in front made "http://socks5h" out of it, a proxy named socks5h on port 80.
        Map<String, String> env = Map.of("HTTPS_PROXY", "socks5h://user:pw@127.0.0.1:1080", "HTTP_PROXY", "SOCKS5H://10.0.0.1");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThat(choose(f, "https://example.com/")).isEqualTo("socks5h://user:pw@127.0.0.1:1080");
        assertThat(choose(f, "http://example.com/")).isEqualTo("socks5h://10.0.0.1"); // scheme in lower case (R38)
    }

    @Test
    void R24_inACgiEnvironmentEveryHttpRequestFailsBeforeNoProxyIsLookedAtAsInGo() {
        // Go's proxyForURL refuses HTTP_PROXY in CGI before useProxy: localhost and NO_PROXY hosts fail too.
        Map<String, String> env = Map.of("HTTP_PROXY", "http://10.1.2.3:8080", "NO_PROXY", "internal.tld",
                "REQUEST_METHOD", "GET");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        for (String uri : List.of("http://localhost:8080/", "http://api.internal.tld/", "http://example.com/")) {
            assertThatThrownBy(() -> choose(f, uri)).as(uri).isInstanceOf(UncheckedIOException.class);
        }
        // Without HTTP_PROXY nothing is refused.
        Function<HttpRequest, Optional<URI>> g = Proxies.fromEnvironment(Map.of("REQUEST_METHOD", "GET")::get);
        assertThat(choose(g, "http://example.com/")).isEqualTo("direct");
    }

    @ParameterizedTest(name = "HTTPS_PROXY={0}")
    @CsvSource(quoteCharacter = '"', value = {
        // Go 1.19 (src/test/go-oracle/proxy-go1.19.8.txt): a proxy named after the scheme ("ftp:80", "http:80")
        "ftp://proxy:21", "socks4://user:s3cret@proxy:1080", "http://pro xy:3128", "\"http://proxy:3128 \"", "http://[::1",
        "http://proxy:abc",
        // Go: no host, so its transport dials the local machine (":80", ":3128", ":")
        "http://", "https://:3128", ":3128", "://proxy:3128", "//proxy:3128", "http:proxy:3128", "proxy:abc", "\"proxy:3128 \"",
        // Go: dials the port, which fails
        "proxy:99999", "proxy:0",
        // Go: url.Parse refuses it, so Go goes direct
        "%zz", "\" proxy:3128\"", "[2001:db8::1",
    })
    void R38_aValueNamingNoUsableProxyFailsTheRequestsItWouldServe(String value) {
        Map<String, String> env = Map.of("HTTPS_PROXY", value, "NO_PROXY", "internal.test");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThatThrownBy(() -> choose(f, "https://example.com/")).isInstanceOf(UncheckedIOException.class)
                .cause().isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e.proxy()).isEqualTo("HTTPS_PROXY"))
                .hasMessageStartingWith("invalid proxy address in HTTPS_PROXY: ")
                .hasMessageNotContaining("s3cret");
        // Requests it would not serve are not affected.
        assertThat(choose(f, "http://example.com/")).isEqualTo("direct");
        assertThat(choose(f, "https://localhost/")).isEqualTo("direct");
        assertThat(choose(f, "https://api.internal.test/")).isEqualTo("direct");
        // The same through Proxies.of, named by its parameter.
        assertThatThrownBy(() -> choose(Proxies.of(null, value, null), "https://example.com/"))
                .cause().hasMessageStartingWith("invalid proxy address in httpsProxy: ");
    }

    @ParameterizedTest(name = "HTTPS_PROXY={0}")
    @ValueSource(strings = {"::1:3128", "2001:db8::1", "http://2001:db8::1:3128", "socks5://u:s3cret@fe80::1%eth0:1080",
        "2001:db8:0:0:0:0:0:1", "u:s3cret@::1"})
    void R78_anIpv6AddressOutsideBracketsIsRefusedSayingHowToWriteIt(String value) {
        // Go guesses the port from the last colon: "::1:3128" is [::1]:3128 there, "2001:db8::1" is [2001:db8:]:1.
        // Refused (R38), with a message saying what is wrong; it said "no host name or address" or "not a URL".
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(Map.of("HTTPS_PROXY", value)::get);
        assertThatThrownBy(() -> choose(f, "https://example.com/")).cause()
                .hasMessageStartingWith("invalid proxy address in HTTPS_PROXY: an IPv6 address outside brackets")
                .hasMessageNotContaining("s3cret");
        String bracketed = Proxies.fromEnvironment(Map.of("HTTPS_PROXY", "[2001:db8::1]:3128")::get)
                .apply(HttpRequest.get("https://example.com/")).orElseThrow().toString();
        assertThat(bracketed).isEqualTo("http://[2001:db8::1]:3128");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "u:s3cret%@proxy:3128, user info", "u:s3%G1cret@proxy:3128, user info", "http://u%0:s3cret@proxy:3128, user info",
        "socks5://u:s3cret%zz@proxy:1080, user info", "me@corp:s3@cr%t@proxy.corp, user info",
        "pro%xy:3128, host", "http://u:s3cret@proxy%G1:3128, host", "%zz, host", "http://proxy%0, host",
        "proxy:31%G8, port", "http://proxy:3128/%, path", "proxy:3128/p?q=%0, query", "http://proxy:3128/#%, fragment",
    })
    void R79_aMalformedPercentEscapeIsNamedByItsPartNeverShown(String value, String part) {
        // Go: invalid URL escape "%G1" (quoting the escape, which may be in the password). It said "not a URL".
        for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY")) {
            Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(Map.of(name, value)::get);
            assertThatThrownBy(() -> choose(f, name.equals("HTTP_PROXY") ? "http://example.com/" : "https://example.com/"))
                    .isInstanceOf(UncheckedIOException.class).cause().isInstanceOf(ProxyException.class)
                    .hasMessageStartingWith("invalid proxy address in " + name + ": a malformed percent-escape in the " + part
                            + " (a % not followed by two hex digits) (")
                    .hasMessageNotContaining("s3cret");
        }
        assertThatThrownBy(() -> choose(Proxies.of(value, null, null), "http://example.com/")).cause()
                .isInstanceOf(ProxyException.class).hasMessageContaining("a malformed percent-escape in the " + part)
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void R79_anIpv6ZoneInBracketsIsNoMalformedEscape() {
        // A zone after '%' in brackets (R20, R42) is taken as before, written %25 or bare.
        for (String v : List.of("http://[fe80::1%25eth0]:3128", "http://[fe80::1%eth0]:3128")) {
            assertThat(choose(Proxies.fromEnvironment(Map.of("HTTP_PROXY", v)::get), "http://example.com/")).isEqualTo(v);
        }
    }

    @Test
    void R38_aSchemeIsGivenInLowerCaseAsGoParsesIt() {
        Map<String, String> env = Map.of("HTTP_PROXY", "HTTP://Proxy.Example:8080", "HTTPS_PROXY", "SOCKS5://socks:1080");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThat(choose(f, "http://example.com/")).isEqualTo("http://Proxy.Example:8080");
        assertThat(choose(f, "https://example.com/")).isEqualTo("socks5://socks:1080");
    }

    @Test
    void R38_anInternationalizedProxyNameIsDialledInItsAsciiFormAsGoDoes() {
        // Go dials xn--prxy-hra.example:3128 (its URL keeps the name percent-encoded); java.net.URI found no host
        // in it, so we went direct (R38 then made it fail).
        Map<String, String> env = Map.of("HTTP_PROXY", "prøxy.example:3128", "HTTPS_PROXY", "http://u:pw@PRØXY.example:3128/");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThat(choose(f, "http://example.com/")).isEqualTo("http://xn--prxy-hra.example:3128");
        assertThat(choose(f, "https://example.com/")).isEqualTo("http://u:pw@xn--prxy-hra.example:3128/");
        assertThatThrownBy(() -> choose(Proxies.of("http://\u00ad\u00ad", null, null), "http://example.com/"))
                .cause().isInstanceOf(ProxyException.class).hasMessageContaining("invalid proxy address in httpProxy");
    }

    @Test
    void R38_inACgiEnvironmentAnUnusableHttpProxyIsRefusedToo() {
        // Go goes direct when url.Parse refuses HTTP_PROXY, even in CGI, where a client sets it: ours fails.
        Map<String, String> env = Map.of("HTTP_PROXY", "%zz", "REQUEST_METHOD", "GET");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThatThrownBy(() -> choose(f, "http://example.com/")).isInstanceOf(UncheckedIOException.class)
                .cause().isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e.proxy()).isEqualTo("HTTP_PROXY"))
                .hasMessageContaining("CGI");
    }

    @Test
    void R26_aPasswordWithAnAtSignInTheEnvironmentKeepsTheProxy() {
        // Go's url.Parse splits user info at the last '@'. java.net.URI found no host in it, so the value got
        // http:// in front: "http://http://user:p@ss@...", a proxy named "http" on port 80.
        Map<String, String> env = Map.of("HTTP_PROXY", "http://user:p@ss@proxy.corp:8080",
                "HTTPS_PROXY", "me@corp:s3@cr@t@proxy.corp");
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        assertThat(choose(f, "http://example.com/")).isEqualTo("http://user:p%40ss@proxy.corp:8080");
        assertThat(choose(f, "https://example.com/")).isEqualTo("http://me%40corp:s3%40cr%40t@proxy.corp");
        assertThat(f.apply(HttpRequest.get("http://example.com/")).orElseThrow().getHost()).isEqualTo("proxy.corp");
    }
}
