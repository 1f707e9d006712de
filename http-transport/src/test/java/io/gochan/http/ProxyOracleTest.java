package io.gochan.http;

import io.gochan.http.internal.UriHost;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Proxies#fromEnvironment(Function)} against Go 1.19's {@code http.ProxyFromEnvironment} as an oracle:
 * each environment is a case of {@code http-transport/src/test/go-oracle/proxy-cases.txt}, run there by
 * {@code proxy_oracle.sh} in a process of its own holding only that case's variables; Go's answer for each
 * request URL is written here as a literal (rows printed by {@code ./proxy_oracle.sh -java}). An answer is the
 * proxy URL and the host and port a transport dials for it, {@code direct}, or {@code error: ...} (an error
 * is compared as "an error", not by its text). Where we differ on purpose the row holds Go's answer, ours,
 * and the rule that says why (R24, R38, R39, R18, R77). The environment is a map given to
 * {@code fromEnvironment}, never the process's. Pure work: no server, no threads.
 */
class ProxyOracleTest {

    /** One request URL asked in an environment: Go's answer and ours. */
    record Query(String url, String go, String ours, String why) {
        @Override
        public String toString() {
            return url;
        }
    }

    record Case(String name, Map<String, String> env, Query query) {
        @Override
        public String toString() {
            return name + ": " + query;
        }
    }

    /** A query we answer as Go does. */
    private static Query go(String url, String go) {
        return new Query(url, go, go, null);
    }

    /** A query where we differ from Go on purpose, for the reason {@code why} (a rule). */
    private static Query differs(String url, String go, String ours, String why) {
        return new Query(url, go, ours, why);
    }

    /** An environment ({@code NAME=value} strings) and the queries asked in it. */
    private static List<Case> env(String name, Object... items) {
        Map<String, String> env = new HashMap<>();
        List<Case> cases = new ArrayList<>();
        for (Object item : items) {
            if (item instanceof String s) {
                env.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
            } else {
                cases.add(new Case(name, env, (Query) item));
            }
        }
        return cases;
    }

    static Stream<Case> cases() {
        return Arrays.stream(CASES).flatMap(List::stream);
    }

    /**
     * Our answer, written as the oracle writes Go's: {@code direct}, {@code error: ...}, or the proxy URI and, in
     * brackets, the address the transport dials for it (its host, and its port or the scheme's: 443 for https,
     * 80 for http, 1080 for socks5 and socks5h), or {@code bad request URL: ...} when we cannot build the request.
     */
    static String ours(Map<String, String> env, String url) {
        Function<HttpRequest, Optional<URI>> f = Proxies.fromEnvironment(env::get);
        HttpRequest request;
        try {
            request = HttpRequest.get(url);
        } catch (IllegalArgumentException e) {
            return "bad request URL: " + e.getMessage();
        }
        Optional<URI> proxy;
        try {
            proxy = f.apply(request);
        } catch (UncheckedIOException e) {
            return "error: " + e.getCause().getMessage();
        }
        if (proxy.isEmpty()) {
            return "direct";
        }
        URI p = proxy.get();
        String scheme = p.getScheme().toLowerCase(Locale.ROOT);
        int port = UriHost.port(p) != -1 ? UriHost.port(p) : scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : 1080;
        return p + " (dials \"" + UriHost.host(p) + ":" + port + "\")"; // the host and port the transport reads (R40)
    }

    /** An answer as compared: an error's text (Go's or ours) is not compared, only that it is one. */
    private static String kind(String answer) {
        return answer.startsWith("error:") ? "error" : answer.startsWith("bad request URL:") ? "bad request URL" : answer;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void R38_theEnvironmentChoosesTheProxyGoChooses(Case c) {
        Query q = c.query();
        if (q.why() != null) {
            assertThat(kind(q.ours())).as("our answer, kept on purpose (Go's is recorded beside it)")
                    .isNotEqualTo(kind(q.go()));
        }
        assertThat(kind(ours(c.env(), q.url()))).as(c + (q.why() == null ? ": Go's answer" : ": ours (" + q.why() + ")"))
                .isEqualTo(kind(q.ours()));
    }

    /**
     * Rows from {@code ./proxy_oracle.sh -java} in {@code src/test/go-oracle}, Go 1.19.8; then each deliberate
     * difference turned from {@code go} into {@code differs} by hand.
     */
    @SuppressWarnings("unchecked")
    private static final List<Case>[] CASES = new List[] {
            env("nothing set",
                    go("http://example.com/", "direct"),
                    go("https://example.com/", "direct")),
            env("upper case wins", "HTTPS_PROXY=supper:3", "HTTP_PROXY=upper:1", "http_proxy=lower:2", "https_proxy=slower:4",
                    go("http://example.com/", "http://upper:1 (dials \"upper:1\")"),
                    go("https://example.com/", "http://supper:3 (dials \"supper:3\")")),
            env("empty upper case falls to lower case", "HTTPS_PROXY=", "HTTP_PROXY=", "http_proxy=lower:2", "https_proxy=slower:4",
                    go("http://example.com/", "http://lower:2 (dials \"lower:2\")"),
                    go("https://example.com/", "http://slower:4 (dials \"slower:4\")")),
            env("lower case only", "http_proxy=lower:2",
                    go("http://example.com/", "http://lower:2 (dials \"lower:2\")"),
                    go("https://example.com/", "direct")),
            env("https request with only HTTP_PROXY", "HTTP_PROXY=proxy:3128",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("https://example.com/", "direct"),
                    go("HTTP://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("HTTPS://example.com/", "direct")),
            env("https request with only HTTPS_PROXY", "HTTPS_PROXY=proxy:3128",
                    go("http://example.com/", "direct"),
                    go("https://example.com/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("ALL_PROXY alone", "ALL_PROXY=socks5://all:1080", "all_proxy=socks5://all:1081",
                    go("http://example.com/", "direct"),
                    go("https://example.com/", "direct")),
            env("ALL_PROXY beside HTTP_PROXY", "ALL_PROXY=socks5://all:1080", "HTTP_PROXY=proxy:3128",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("https://example.com/", "direct")),
            env("CGI", "HTTPS_PROXY=https://secure.proxy", "HTTP_PROXY=http://10.1.2.3:8080", "NO_PROXY=internal.test", "REQUEST_METHOD=GET",
                    go("http://example.com/", "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"),
                    go("https://example.com/", "https://secure.proxy (dials \"secure.proxy:443\")"),
                    go("http://localhost/", "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"),
                    go("http://127.0.0.1/", "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"),
                    go("http://api.internal.test/", "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"),
                    go("https://api.internal.test/", "direct")),
            env("CGI lower case http_proxy", "REQUEST_METHOD=POST", "http_proxy=proxy:3128",
                    go("http://example.com/", "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"),
                    go("https://example.com/", "direct")),
            env("CGI without HTTP_PROXY", "HTTPS_PROXY=proxy:3128", "REQUEST_METHOD=GET",
                    go("http://example.com/", "direct"),
                    go("https://example.com/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("CGI REQUEST_METHOD empty", "HTTP_PROXY=proxy:3128", "REQUEST_METHOD=",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("no scheme host:port", "HTTPS_PROXY=10.0.0.1:3129", "HTTP_PROXY=proxy:3128",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("https://example.com/", "http://10.0.0.1:3129 (dials \"10.0.0.1:3129\")")),
            env("no scheme bare host and IPv6", "HTTPS_PROXY=[2001:db8::1]:3129", "HTTP_PROXY=proxy",
                    go("http://example.com/", "http://proxy (dials \"proxy:80\")"),
                    go("https://example.com/", "http://[2001:db8::1]:3129 (dials \"[2001:db8::1]:3129\")")),
            env("no scheme localhost", "HTTPS_PROXY=localhost", "HTTP_PROXY=localhost:3128",
                    go("http://example.com/", "http://localhost:3128 (dials \"localhost:3128\")"),
                    go("https://example.com/", "http://localhost (dials \"localhost:80\")")),
            env("socks5 and https", "HTTPS_PROXY=https://secure:8443", "HTTP_PROXY=socks5://socks:1080",
                    go("http://example.com/", "socks5://socks:1080 (dials \"socks:1080\")"),
                    go("https://example.com/", "https://secure:8443 (dials \"secure:8443\")")),
            env("socks5h", "HTTPS_PROXY=socks5h://user:pw@socks", "HTTP_PROXY=socks5h://socks:1080",
                    differs("http://example.com/", "http://socks5h://socks:1080 (dials \"socks5h:80\")",
                            "socks5h://socks:1080 (dials \"socks:1080\")",
                            "R24: the transport carries socks5h; Go 1.19 takes it for a host named socks5h"),
                    differs("https://example.com/", "http://socks5h://user:pw@socks (dials \"socks5h:80\")",
                            "socks5h://user:pw@socks (dials \"socks:1080\")",
                            "R24: the transport carries socks5h; Go 1.19 takes it for a host named socks5h")),
            env("upper case scheme", "HTTPS_PROXY=SOCKS5://socks:1080", "HTTP_PROXY=HTTP://Proxy.Example:8080",
                    go("http://example.com/", "http://Proxy.Example:8080 (dials \"Proxy.Example:8080\")"),
                    go("https://example.com/", "socks5://socks:1080 (dials \"socks:1080\")")),
            env("user info", "HTTPS_PROXY=user:pw@proxy:3129", "HTTP_PROXY=http://user:p%40ss@proxy:3128",
                    go("http://example.com/", "http://user:p%40ss@proxy:3128 (dials \"proxy:3128\")"),
                    go("https://example.com/", "http://user:pw@proxy:3129 (dials \"proxy:3129\")")),
            env("user info with an at sign", "HTTPS_PROXY=me@corp:s3@cr@t@proxy.corp", "HTTP_PROXY=http://user:p@ss@proxy:3128",
                    go("http://example.com/", "http://user:p%40ss@proxy:3128 (dials \"proxy:3128\")"),
                    go("https://example.com/", "http://me%40corp:s3%40cr%40t@proxy.corp (dials \"proxy.corp:80\")")),
            env("path query and fragment", "HTTPS_PROXY=proxy:3129/path", "HTTP_PROXY=http://proxy:3128/some/path?q=1#f",
                    go("http://example.com/", "http://proxy:3128/some/path?q=1#f (dials \"proxy:3128\")"),
                    go("https://example.com/", "http://proxy:3129/path (dials \"proxy:3129\")")),
            env("other schemes", "HTTPS_PROXY=socks4://proxy:1080", "HTTP_PROXY=ftp://proxy:21",
                    differs("http://example.com/", "http://ftp://proxy:21 (dials \"ftp:80\")",
                            "error: invalid proxy address in HTTP_PROXY: unsupported proxy scheme ftp://",
                            "R38: fails; Go dials a host named after the scheme (ftp:80)"),
                    differs("https://example.com/", "http://socks4://proxy:1080 (dials \"socks4:80\")",
                            "error: invalid proxy address in HTTPS_PROXY: unsupported proxy scheme socks4://",
                            "R38: fails; Go dials a host named after the scheme (socks4:80)")),
            env("empty host", "HTTPS_PROXY=https://:3128", "HTTP_PROXY=http://",
                    differs("http://example.com/", "http: (dials \":80\")",
                            "error: invalid proxy address in HTTP_PROXY: not a URL",
                            "R38: no host, fails; Go dials the local machine (:80)"),
                    differs("https://example.com/", "https://:3128 (dials \":3128\")",
                            "error: invalid proxy address in HTTPS_PROXY: no host name or address",
                            "R38: no host, fails; Go dials the local machine (:3128)")),
            env("bad port", "HTTPS_PROXY=http://proxy:abc", "HTTP_PROXY=proxy:abc",
                    differs("http://example.com/", "proxy:abc (dials \":\")",
                            "error: invalid proxy address in HTTP_PROXY: no host[:port] this client takes (a name of letters, digits, '-', '_' and '.', or an IP address; a port of digits)",
                            "R38: no host, fails; Go dials the local machine (:)"),
                    differs("https://example.com/", "http://http://proxy:abc (dials \"http:80\")",
                            "error: invalid proxy address in HTTPS_PROXY: no host[:port] this client takes (a name of letters, digits, '-', '_' and '.', or an IP address; a port of digits)",
                            "R38: fails; Go dials a host named after the scheme (http:80)")),
            env("port out of range", "HTTPS_PROXY=http://proxy:65536", "HTTP_PROXY=proxy:99999",
                    differs("http://example.com/", "http://proxy:99999 (dials \"proxy:99999\")",
                            "error: invalid proxy address in HTTP_PROXY: port 99999 out of range (1 to 65535)",
                            "R38: port out of range, fails; Go dials proxy:99999, which fails"),
                    differs("https://example.com/", "http://proxy:65536 (dials \"proxy:65536\")",
                            "error: invalid proxy address in HTTPS_PROXY: port 65536 out of range (1 to 65535)",
                            "R38: port out of range, fails; Go dials proxy:65536, which fails")),
            env("bad escape", "HTTPS_PROXY=http://pro%zzxy:3128", "HTTP_PROXY=%zz",
                    differs("http://example.com/", "direct",
                            "error: invalid proxy address in HTTP_PROXY: a malformed percent-escape in the host (a % not followed by two hex digits)",
                            "R38, R79: fails; Go drops its url.Parse error and goes direct"),
                    differs("https://example.com/", "direct",
                            "error: invalid proxy address in HTTPS_PROXY: a malformed percent-escape in the host (a % not followed by two hex digits)",
                            "R38, R79: fails; Go drops its url.Parse error and goes direct")),
            env("space in value", "HTTPS_PROXY= proxy:3128", "HTTP_PROXY=http://pro xy:3128",
                    differs("http://example.com/", "http://http://pro%20xy:3128 (dials \"http:80\")",
                            "error: invalid proxy address in HTTP_PROXY: not a URL",
                            "R38: fails; Go dials a host named after the scheme (http:80)"),
                    differs("https://example.com/", "direct",
                            "error: invalid proxy address in HTTPS_PROXY: not a URL",
                            "R38: fails; Go drops its url.Parse error and goes direct")),
            env("trailing space", "HTTPS_PROXY=http://proxy:3128 ", "HTTP_PROXY=proxy:3128 ",
                    differs("http://example.com/", "proxy:3128  (dials \":\")",
                            "error: invalid proxy address in HTTP_PROXY: not a URL",
                            "R38: no host, fails; Go dials the local machine (:)"),
                    differs("https://example.com/", "http://http://proxy:3128%20 (dials \"http:80\")",
                            "error: invalid proxy address in HTTPS_PROXY: not a URL",
                            "R38: fails; Go dials a host named after the scheme (http:80)")),
            env("unclosed bracket", "HTTPS_PROXY=[2001:db8::1", "HTTP_PROXY=http://[::1",
                    differs("http://example.com/", "http://http://[::1 (dials \"http:80\")",
                            "error: invalid proxy address in HTTP_PROXY: not a URL",
                            "R38: fails; Go dials a host named after the scheme (http:80)"),
                    differs("https://example.com/", "direct",
                            "error: invalid proxy address in HTTPS_PROXY: not a URL",
                            "R38: fails; Go drops its url.Parse error and goes direct")),
            env("scheme only separator", "HTTPS_PROXY=//proxy:3128", "HTTP_PROXY=://proxy:3128",
                    differs("http://example.com/", "http://://proxy:3128 (dials \":80\")",
                            "error: invalid proxy address in HTTP_PROXY: no host name or address",
                            "R38: no host, fails; Go dials the local machine (:80)"),
                    differs("https://example.com/", "http:////proxy:3128 (dials \":80\")",
                            "error: invalid proxy address in HTTPS_PROXY: no host name or address",
                            "R38: no host, fails; Go dials the local machine (:80)")),
            env("loopback never proxied", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128",
                    go("http://localhost/", "direct"),
                    go("https://localhost:8443/", "direct"),
                    differs("http://LOCALHOST/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39: localhost in any case is this machine; Go compares before lowering the case"),
                    differs("http://Localhost:8080/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39: localhost in any case is this machine; Go compares before lowering the case"),
                    go("http://localhost./", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://foo.localhost/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://127.0.0.1/", "direct"),
                    go("http://127.255.255.254:8080/", "direct"),
                    go("https://127.0.0.1/", "direct"),
                    differs("http://127.000.000.001/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39: leading zeros read as the JDK's resolver reads them for a direct connection; Go's ParseIP refuses them"),
                    differs("http://127.1/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "bad request URL: URI has no host: http://127.1/",
                            "not a proxy choice: java.net.URI finds no host in 127.1, HttpRequest refuses the URL"),
                    go("http://2130706433/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[::1]/", "direct"),
                    go("http://[::1]:8080/", "direct"),
                    go("http://[0:0:0:0:0:0:0:1]/", "direct"),
                    go("http://[::ffff:127.0.0.1]/", "direct"),
                    go("http://0.0.0.0/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[::]/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[fe80::1%25lo]/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY star", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=*",
                    go("http://example.com/", "direct"),
                    go("https://example.com/", "direct"),
                    go("http://10.0.0.1/", "direct")),
            env("NO_PROXY star in a list", "HTTP_PROXY=proxy:3128", "NO_PROXY=a.test, *",
                    go("http://example.com/", "direct")),
            env("NO_PROXY star with spaces", "HTTP_PROXY=proxy:3128", "NO_PROXY= * ",
                    go("http://example.com/", "direct")),
            env("NO_PROXY star prefix", "HTTP_PROXY=proxy:3128", "NO_PROXY=*example.com,*.,.",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://www.example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://foo.bar/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY list with spaces", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=a.test,  .b.test ,\t*.c.test,d.test:8080,,",
                    go("http://a.test/", "direct"),
                    go("http://x.a.test/", "direct"),
                    go("http://xa.test/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://b.test/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://x.b.test/", "direct"),
                    go("http://c.test/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://x.c.test/", "direct"),
                    go("http://d.test/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://d.test:8080/", "direct"),
                    go("https://d.test:8080/", "direct"),
                    go("http://x.d.test:8080/", "direct")),
            env("NO_PROXY apex and subdomains", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=example.com",
                    go("http://example.com/", "direct"),
                    go("http://www.example.com/", "direct"),
                    go("http://a.b.example.com/", "direct"),
                    go("http://notexample.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://example.com.evil/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://EXAMPLE.COM/", "direct"),
                    go("http://Www.Example.Com/", "direct"),
                    go("http://example.com./", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://www.example.com./", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://example.com:80/", "direct"),
                    go("https://example.com:443/", "direct"),
                    go("http://user@example.com/", "direct")),
            env("NO_PROXY leading dot", "HTTP_PROXY=proxy:3128", "NO_PROXY=.example.com",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://www.example.com/", "direct"),
                    go("http://example.com./", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY trailing dot", "HTTP_PROXY=proxy:3128", "NO_PROXY=example.com.",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://example.com./", "direct"),
                    go("http://www.example.com./", "direct")),
            env("NO_PROXY upper case", "HTTP_PROXY=proxy:3128", "NO_PROXY=EXAMPLE.COM,.Other.Test",
                    go("http://example.com/", "direct"),
                    go("http://www.other.test/", "direct")),
            env("NO_PROXY domain with port", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=example.com:8080,.b.test:80,c.test:443",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://example.com:8080/", "direct"),
                    go("https://example.com:8080/", "direct"),
                    go("http://www.example.com:8080/", "direct"),
                    go("http://x.b.test/", "direct"),
                    go("http://x.b.test:80/", "direct"),
                    go("https://x.b.test/", "http://proxy:3129 (dials \"proxy:3129\")"),
                    go("https://c.test/", "direct"),
                    go("http://c.test:443/", "direct"),
                    go("http://c.test/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY domain with empty port", "HTTP_PROXY=proxy:3128", "NO_PROXY=example.com:,b.test:0",
                    go("http://example.com/", "direct"),
                    go("http://example.com:8080/", "direct"),
                    go("http://b.test/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY IPv4", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=192.168.1.1,192.168.1.2:8080,10.0.0.1:80",
                    go("http://192.168.1.1/", "direct"),
                    go("http://192.168.1.1:9/", "direct"),
                    go("https://192.168.1.1/", "direct"),
                    go("http://192.168.1.2/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://192.168.1.2:8080/", "direct"),
                    go("http://10.0.0.1/", "direct"),
                    go("https://10.0.0.1/", "http://proxy:3129 (dials \"proxy:3129\")"),
                    go("http://[::ffff:192.168.1.1]/", "direct"),
                    differs("http://192.168.001.001/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39: leading zeros read as the JDK's resolver reads them for a direct connection; Go's ParseIP refuses them")),
            env("NO_PROXY CIDR", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=10.0.0.0/8, 172.16.0.0/12,192.168.1.7/24,::1/128,2001:db8::/32,fd00::/8",
                    go("http://10.1.2.3/", "direct"),
                    go("https://10.255.255.255:8443/", "direct"),
                    go("http://11.0.0.1/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://172.31.0.1/", "direct"),
                    go("http://172.32.0.1/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://192.168.1.200/", "direct"),
                    go("http://192.168.2.1/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[2001:db8:ffff::1]/", "direct"),
                    go("http://[2001:db9::1]/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[fd12::1]/", "direct"),
                    go("http://[::ffff:10.0.0.1]/", "direct"),
                    differs("http://010.0.0.1/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39: leading zeros read as the JDK's resolver reads them for a direct connection; Go's ParseIP refuses them")),
            env("NO_PROXY bad CIDR", "HTTP_PROXY=proxy:3128", "NO_PROXY=10.0.0.0/33,10.0.0/8,10.0.0.0/,/8",
                    go("http://10.0.0.1/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY IPv6", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=2001:db8::1,[2001:db8::2]:443,[2001:db8::3],2001:DB8::4,2001:db8:0:0:0:0:0:5",
                    go("http://[2001:db8::1]/", "direct"),
                    go("http://[2001:db8::2]/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("https://[2001:db8::2]/", "direct"),
                    differs("http://[2001:db8::3]/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39: a bracketed IPv6 entry without a port matches its address"),
                    go("http://[2001:db8::4]/", "direct"),
                    go("http://[2001:db8::5]/", "direct"),
                    go("http://[2001:DB8::1]/", "direct")),
            env("NO_PROXY loopback and localhost entries", "HTTP_PROXY=proxy:3128", "NO_PROXY=localhost,127.0.0.1,::1",
                    go("http://localhost/", "direct"),
                    go("http://www.localhost/", "direct"),
                    go("http://127.0.0.2/", "direct")),
            env("NO_PROXY malformed entries", "HTTP_PROXY=proxy:3128", "NO_PROXY=:80,[]:80,[,],example.com/path",
                    go("http://example.com/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://example.com:80/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY upper wins over lower", "HTTP_PROXY=proxy:3128", "NO_PROXY=a.test", "no_proxy=b.test",
                    go("http://a.test/", "direct"),
                    go("http://b.test/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY empty falls to lower", "HTTP_PROXY=proxy:3128", "NO_PROXY=", "no_proxy=b.test",
                    go("http://a.test/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://b.test/", "direct")),
            env("NO_PROXY IDN", "HTTP_PROXY=proxy:3128", "NO_PROXY=bücher.example,.faß.example,xn--mnchen-3ya.example",
                    go("http://bücher.example/", "direct"),
                    go("http://xn--bcher-kva.example/", "direct"),
                    go("http://www.bücher.example/", "direct"),
                    go("http://BÜCHER.example/", "direct"),
                    go("http://faß.example/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://www.faß.example/", "direct"),
                    differs("http://www.xn--fa-hia.example/", "direct",
                            "http://proxy:3128 (dials \"proxy:3128\")",
                            "R39, R18: ß by IDNA 2003 (faß is fass), as the request host is; Go's UTS 46 keeps it"),
                    differs("http://www.fass.example/", "http://proxy:3128 (dials \"proxy:3128\")",
                            "direct",
                            "R39, R18: ß by IDNA 2003 (faß is fass), as the request host is; Go's UTS 46 keeps it"),
                    go("http://münchen.example/", "direct")),
            env("NO_PROXY IDN in ASCII form", "HTTP_PROXY=proxy:3128", "NO_PROXY=xn--bcher-kva.example",
                    go("http://bücher.example/", "direct"),
                    go("http://BÜCHER.EXAMPLE/", "direct")),
            env("empty host with a port", "HTTPS_PROXY=http://:3128", "HTTP_PROXY=:3128",
                    differs("http://example.com/", "http://:3128 (dials \":3128\")",
                            "error: invalid proxy address in HTTP_PROXY: no host name or address",
                            "R38: no host, fails; Go dials the local machine (:3128)"),
                    differs("https://example.com/", "http://:3128 (dials \":3128\")",
                            "error: invalid proxy address in HTTPS_PROXY: no host name or address",
                            "R38: no host, fails; Go dials the local machine (:3128)")),
            env("scheme without slashes", "HTTPS_PROXY=socks5:proxy:1080", "HTTP_PROXY=http:proxy:3128",
                    differs("http://example.com/", "http:proxy:3128 (dials \":80\")",
                            "error: invalid proxy address in HTTP_PROXY: no host[:port] this client takes (a name of letters, digits, '-', '_' and '.', or an IP address; a port of digits)",
                            "R38: no host, fails; Go dials the local machine (:80)"),
                    differs("https://example.com/", "socks5:proxy:1080 (dials \":1080\")",
                            "error: invalid proxy address in HTTPS_PROXY: no host[:port] this client takes (a name of letters, digits, '-', '_' and '.', or an IP address; a port of digits)",
                            "R38: no host, fails; Go dials the local machine (:1080)")),
            env("port zero", "HTTPS_PROXY=https://proxy:0", "HTTP_PROXY=proxy:0",
                    differs("http://example.com/", "http://proxy:0 (dials \"proxy:0\")",
                            "error: invalid proxy address in HTTP_PROXY: port 0 out of range (1 to 65535)",
                            "R38: port out of range, fails; Go dials proxy:0, which fails"),
                    differs("https://example.com/", "https://proxy:0 (dials \"proxy:0\")",
                            "error: invalid proxy address in HTTPS_PROXY: port 0 out of range (1 to 65535)",
                            "R38: port out of range, fails; Go dials proxy:0, which fails")),
            env("underscore in the proxy name", "HTTPS_PROXY=http://squid_1.internal:3128", "HTTP_PROXY=my_proxy:3128",
                    go("http://example.com/", "http://my_proxy:3128 (dials \"my_proxy:3128\")"),
                    go("https://example.com/", "http://squid_1.internal:3128 (dials \"squid_1.internal:3128\")")),
            env("IDN proxy name", "HTTPS_PROXY=http://prøxy.example:3128", "HTTP_PROXY=prøxy.example:3128",
                    differs("http://example.com/", "http://pr%C3%B8xy.example:3128 (dials \"xn--prxy-hra.example:3128\")",
                            "http://xn--prxy-hra.example:3128 (dials \"xn--prxy-hra.example:3128\")",
                            "R38: the same host dialled; our URI holds its ASCII form, Go's URL the name percent-encoded"),
                    differs("https://example.com/", "http://pr%C3%B8xy.example:3128 (dials \"xn--prxy-hra.example:3128\")",
                            "http://xn--prxy-hra.example:3128 (dials \"xn--prxy-hra.example:3128\")",
                            "R38: the same host dialled; our URI holds its ASCII form, Go's URL the name percent-encoded")),
            env("CGI with an unusable HTTP_PROXY", "HTTPS_PROXY=ftp://proxy", "HTTP_PROXY=%zz", "REQUEST_METHOD=GET",
                    differs("http://example.com/", "direct",
                            "error: refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set; a client could have set HTTP_PROXY)",
                            "R38, R24: in CGI a set HTTP_PROXY is refused, usable or not"),
                    differs("https://example.com/", "http://ftp://proxy (dials \"ftp:80\")",
                            "error: invalid proxy address in HTTPS_PROXY: unsupported proxy scheme ftp://",
                            "R38: fails; Go dials a host named after the scheme (ftp:80)")),
            env("NO_PROXY IPv4-mapped CIDR", "HTTP_PROXY=proxy:3128", "NO_PROXY=::ffff:10.0.0.0/104",
                    go("http://10.1.2.3/", "direct"),
                    go("http://11.0.0.1/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[::ffff:10.1.2.3]/", "direct"),
                    go("http://[2001:db8::1]/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY IPv4-mapped CIDR shorter than 96 bits", "HTTP_PROXY=proxy:3128", "NO_PROXY=::ffff:0:0/80",
                    go("http://1.2.3.4/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[::5]/", "direct"),
                    go("http://[2001:db8::5]/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY Unicode spaces", "HTTP_PROXY=proxy:3128", "NO_PROXY=\u00a0a.test,b.test\u2003,\u0085c.test,\u000bd.test,\u001fe.test,f.test\u001c",
                    go("http://a.test/", "direct"),
                    go("http://b.test/", "direct"),
                    go("http://c.test/", "direct"),
                    go("http://d.test/", "direct"),
                    go("http://e.test/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://f.test/", "http://proxy:3128 (dials \"proxy:3128\")")),
            env("NO_PROXY port with leading zeros", "HTTPS_PROXY=proxy:3129", "HTTP_PROXY=proxy:3128", "NO_PROXY=a.test:080,[2001:db8::1]:0443",
                    differs("http://a.test/", "http://proxy:3128 (dials \"proxy:3128\")", "direct",
                            "R50: a port with leading zeros is its number (80); Go compares the text \"080\""),
                    go("http://a.test:080/", "direct"),
                    differs("https://[2001:db8::1]/", "http://proxy:3129 (dials \"proxy:3129\")", "direct",
                            "R50: a port with leading zeros is its number (443); Go compares the text \"0443\"")),
            env("NO_PROXY IPv6 zone", "HTTP_PROXY=proxy:3128", "NO_PROXY=fe80::1%eth0,fe80::3,[fe80::4%eth1],[fe80::5%25eth0]:8080",
                    go("http://[fe80::1%25eth0]/", "direct"),
                    differs("http://[fe80::1%eth0]/", "bad request URL: parse \"http://[fe80::1%eth0]/\": invalid URL escape \"%et\"",
                            "direct", "R77, R20: the bare zone is a zone here; Go refuses the URL"),
                    go("http://[FE80::1%25eth0]/", "direct"),
                    go("http://[fe80::1]/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    go("http://[fe80::1%25eth1]/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    differs("http://[fe80::3%25eth0]/", "http://proxy:3128 (dials \"proxy:3128\")", "direct",
                            "R77: an address without a zone matches it in every zone; Go takes the zoned host for a name"),
                    go("http://[fe80::3]/", "direct"),
                    differs("http://[fe80::4%25eth1]/", "http://proxy:3128 (dials \"proxy:3128\")", "direct",
                            "R77, R39: the bracketed address with its zone matches it; Go takes the entry for a name"),
                    go("http://[fe80::4%25eth0]/", "http://proxy:3128 (dials \"proxy:3128\")"),
                    differs("http://[fe80::5%25eth0]:8080/", "http://proxy:3128 (dials \"proxy:3128\")", "direct",
                            "R77: in brackets %25 starts the zone, as in a URL (R20); Go compares the text \"%25eth0\"")),
            env("NO_PROXY IPv6 zone and a block", "HTTP_PROXY=proxy:3128", "NO_PROXY=fe80::/10",
                    differs("http://[fe80::9%25eth0]/", "http://proxy:3128 (dials \"proxy:3128\")", "direct",
                            "R77: a block holds the address in every zone; Go takes the zoned host for a name"),
                    go("http://[fe80::9]/", "direct")),
    };
}
