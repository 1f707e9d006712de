package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.http.testing.Socks5Proxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the client composes from a request: its target and its {@code Host} field, against what Go 1.19's client
 * sends for the same request (printed by a Go client against a raw socket server: {@code url.Parse} and
 * {@code EscapedPath} for the target, {@code NewRequest}'s {@code removeEmptyPort} and {@code Request.Host} for the
 * field, {@code Client.Do}'s redirect step for the override). Every request reaches a loopback {@link RawServer}
 * whatever its host, through a dialer that records what it was asked to dial; the server records the raw head.
 * Rules R115, R116, R120, R121, R122.
 */
@NoGoroutineLeaks
class RequestCompositionTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** What a send did: the heads the server received and the host:port pairs the dialer was asked for. */
    private record Sent(List<String> heads, List<String> dialled) {
        String first() {
            return heads.get(0);
        }
    }

    /**
     * Sends {@code req} through a client whose transport dials the server whatever the host; the server answers each
     * request with the answer {@code answer} gives for its head (its port substituted for {@code PORT}).
     */
    private static Sent send(HttpRequest req, Consumer<Transport.Builder> options, java.util.function.Function<String, String> answer)
            throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        List<String> dialled = new CopyOnWriteArrayList<>();
        int[] port = new int[1];
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     heads.add(head);
                     c.write(answer.apply(head).replace("PORT", Integer.toString(port[0])));
                 }
             })) {
            port[0] = server.port();
            Transport.Builder tb = Transport.builder().dialer((host, p, timeout) -> {
                dialled.add(host + ":" + p);
                return new Socket("127.0.0.1", server.port());
            });
            options.accept(tb);
            try (Transport t = tb.build();
                 HttpResponse resp = HttpClient.builder(t).build().send(req.toBuilder().timeout(Duration.ofSeconds(10)).build())) {
                resp.body().string();
            }
            server.close(); // joins the handlers
            assertThat(server.failures()).isEmpty();
        }
        return new Sent(List.copyOf(heads), List.copyOf(dialled));
    }

    private static Sent send(HttpRequest req) throws Exception {
        return send(req, t -> {}, head -> "HTTP/1.1 204 No Content\r\n\r\n");
    }

    private static String requestLine(String head) {
        return head.substring(0, head.indexOf("\r\n"));
    }

    private static String hostField(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Host:", 0, 5)) {
                return line.substring(5).strip();
            }
        }
        return null;
    }

    /**
     * R115: text Go's url.Parse takes with a blank, a '|' or a non-ASCII space in its path goes out escaped, as Go's
     * EscapedPath escapes it, instead of being refused. Before: "not a URI (Illegal character in path at index ...)".
     * A query's blank and '|' are escaped too (Go sends them raw, a blank splitting the request line); the caller's
     * own escapes stay as written (Go re-escapes the decoded path: "/a%2Fb c" goes as "/a/b%20c", another path).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "http://example.com/a b                    | GET /a%20b HTTP/1.1                  | http://example.com/a%20b",
            "'http://example.com/a|b'                  | GET /a%7Cb HTTP/1.1                  | http://example.com/a%7Cb",
            "http://example.com/caf\u00e9\u00a0x       | GET /caf%C3%A9%C2%A0x HTTP/1.1       | http://example.com/caf\u00e9%C2%A0x",
            "http://example.com/a%2Fb c!               | GET /a%2Fb%20c! HTTP/1.1             | http://example.com/a%2Fb%20c!",
            "http://example.com/a[1] {x}^`             | GET /a%5B1%5D%20%7Bx%7D%5E%60 HTTP/1.1 | http://example.com/a%5B1%5D%20%7Bx%7D%5E%60",
            "'http://example.com/p?a b|c<d>'           | GET /p?a%20b%7Cc%3Cd%3E HTTP/1.1     | http://example.com/p?a%20b%7Cc%3Cd%3E",
            "http://example.com/a b#frag ment          | GET /a%20b HTTP/1.1                  | http://example.com/a%20b",
    })
    void R115_aRequestUriWithCharactersGoEscapesIsSentEscaped(String text, String line, String uri) throws Exception {
        HttpRequest req = HttpRequest.get(text.strip());
        assertThat(req.uri()).isEqualTo(URI.create(uri.strip()));
        assertThat(HttpRequest.newBuilder(text.strip()).build().uri()).isEqualTo(req.uri());
        assertThat(HttpRequest.newBuilder("http://example.com/").uri(text.strip()).build().uri()).isEqualTo(req.uri());
        Sent sent = send(req);
        assertThat(requestLine(sent.first())).isEqualTo(line.strip());
        assertThat(hostField(sent.first())).isEqualTo("example.com");
    }

    /**
     * R115: what could end the request line or the head stays refused, as Go's url.Parse refuses a control character
     * ("net/url: invalid control character in URL"), and a blank in the host as Go refuses it; the message names the
     * reason and where, no connection is made.
     */
    @Test
    void R115_controlCharactersAndABlankInTheAuthorityStayRefused() {
        for (String text : List.of("http://example.com/a\r\nX-Injected: 1", "http://example.com/a\nb", "http://example.com/a\rb",
                "http://example.com/a\u0000b", "http://example.com/a\tb", "http://example.com/a\u007fb",
                "http://example.com/?q=a\r\nX: y", "http://exa mple.com/a b", "http://alice:pw@example.com/a\r\nb")) {
            assertThatThrownBy(() -> HttpRequest.get(text)).as(text).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a URI (Illegal character in ").hasMessageContaining(" at index ")
                    .hasMessageNotContaining("pw@").hasNoCause();
        }
    }

    /**
     * R122: the Host field carries the URI's port as written, as Go's NewRequest keeps URL.Host (":80" and ":443"
     * included, leading zeros too); an empty port is none, as Go's removeEmptyPort drops it. Before: "Host:
     * example.com" for ":80". Through an HTTP proxy the absolute-form target's authority is the same.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "http://example.com:80/,   example.com:80,   example.com:80",
            "http://example.com:443/,  example.com:443,  example.com:443",
            "http://example.com:080/,  example.com:080,  example.com:80",
            "http://example.com:/,     example.com,      example.com:80",
            "http://example.com/,      example.com,      example.com:80",
            "http://[::1]:80/,         [::1]:80,         ::1:80",
    })
    void R122_theHostFieldKeepsTheUrisPortAsWritten(String uri, String host, String dialled) throws Exception {
        Sent direct = send(HttpRequest.newBuilder(URI.create(uri)).build());
        assertThat(hostField(direct.first())).isEqualTo(host);
        assertThat(direct.dialled()).containsExactly(dialled);
        Sent proxied = send(HttpRequest.newBuilder(URI.create(uri)).build(),
                t -> t.proxy(r -> Optional.of(URI.create("http://proxy.test:3128"))), head -> "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(requestLine(proxied.first())).isEqualTo("GET http://" + host + "/ HTTP/1.1");
        assertThat(hostField(proxied.first())).isEqualTo(host);
        assertThat(proxied.dialled()).containsExactly("proxy.test:3128");
    }

    /**
     * R116: a Host override (Go's Request.Host) is sent as the Host field, normalised as Go's cleanHost writes it (an
     * internationalized name in IDNA ASCII form) and without an IPv6 zone (R20) or an empty port; the connection goes to
     * the URI's host. Before: there was no override, and a caller's Host field is dropped (it still is).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "other.example:8080,   other.example:8080",
            "other.example,        other.example",
            "other.example:,       other.example",
            "B\u00fccher.example,  xn--bcher-kva.example",
            "Other.Example.,       Other.Example.",
            "my_service:9000,      my_service:9000",
            "10.0.0.1:80,          10.0.0.1:80",
            "[fe80::1%25eth0]:8080, [fe80::1]:8080",
    })
    void R116_aHostOverrideIsTheHostFieldAndTheUrisHostIsDialled(String override, String sentAs) throws Exception {
        HttpRequest req = HttpRequest.newBuilder("http://example.com:8000/p").host(override).header("Host", "ignored.example").build();
        assertThat(req.host()).contains(sentAs);
        assertThat(req.toString()).isEqualTo("GET http://example.com:8000/p (Host: " + sentAs + ")");
        assertThat(req.toBuilder().build().host()).contains(sentAs);
        assertThat(req.toBuilder().host(null).build().host()).isEmpty();
        Sent sent = send(req);
        assertThat(requestLine(sent.first())).isEqualTo("GET /p HTTP/1.1");
        assertThat(hostField(sent.first())).isEqualTo(sentAs);
        assertThat(sent.first()).doesNotContain("ignored.example");
        assertThat(sent.dialled()).containsExactly("example.com:8000");
    }

    /**
     * R116: an override that could end the field or is no host[:port] is refused when it is set, naming it (controls
     * written \xN), the builder unchanged. Go 1.19 wrote a CR LF in it into the head (CVE-2023-29406).
     */
    @Test
    void R116_aHostOverrideThatIsNoHostAndPortIsRefused() {
        HttpRequest.Builder b = HttpRequest.newBuilder("http://example.com/").host("kept.example");
        for (String bad : List.of("a\r\nX-Injected: 1", "a\nb", "a\u0000b", "a\tb", "", "a b", "a/b", "u@h", "h?x", "h#x",
                "h:0", "h:65536", "h:8o", "h:80:80", "::1", "[::1", "[::1]x", "[zz]", "a..b", ".a", "a!b",
                "x".repeat(64) + ".example", "\u00e9".repeat(300))) {
            assertThatThrownBy(() -> b.host(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid Host '" + Headers.printable(bad) + "'");
        }
        assertThatThrownBy(() -> b.host("a\r\nX: 1")).hasMessageStartingWith("invalid Host 'a\\x0d\\x0aX: 1': invalid character 0xd");
        assertThat(b.build().host()).contains("kept.example");
        assertThat(b.host(null).build().host()).isEmpty();
    }

    /**
     * R120: the client keeps a Host override on a redirect whose Location is a path, as Go does (issue 22233), and
     * drops it on one with a scheme (Go too) or an authority ("//host/...", where Go keeps it: the Location names its
     * own server), the request's own authority too. Before: there was no override.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "/next,                      other.example",
            "next,                       other.example",
            "?page=2,                    other.example",
            "http://127.0.0.1:PORT/next, 127.0.0.1:PORT",
            "//127.0.0.1:PORT/next,      127.0.0.1:PORT",
            // the request's own authority named again: dropped all the same (Go keeps it for "//", R120)
            "http://127.0.0.1:1/next,    127.0.0.1:1",
            "//127.0.0.1:1/next,         127.0.0.1:1",
    })
    void R120_aRedirectToAPathKeepsTheHostOverrideAndAnyOtherDropsIt(String location, String nextHost) throws Exception {
        Sent sent = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:1/r")).host("other.example").build(), t -> {},
                head -> head.startsWith("GET /r ") ? "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n"
                        : "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(sent.heads()).hasSize(2);
        assertThat(hostField(sent.first())).isEqualTo("other.example");
        if (nextHost.contains("PORT")) {
            // another authority: the server's real port, dialled anew, and named in the field
            assertThat(sent.dialled()).hasSize(2);
            assertThat(hostField(sent.heads().get(1))).isEqualTo(sent.dialled().get(1)).startsWith("127.0.0.1:").isNotEqualTo("127.0.0.1:1");
        } else {
            assertThat(hostField(sent.heads().get(1))).isEqualTo(nextHost);
            assertThat(sent.dialled()).containsOnly("127.0.0.1:1");
        }
    }

    /**
     * R123: a Host override counts against {@code maxRequestHeaderBytes} as a caller's field of the same length does
     * ("Xost: " for "Host: "): it is the field that goes out. At that size the request is sent, its Host field the
     * override; a byte less refuses it, nothing sent. Before, the override was not counted (the URI's authority in
     * the field is the transport's): a head over the limit by the whole field went out.
     */
    @Test
    void R123_aHostOverrideCountsAgainstTheRequestHeadLimit() throws Exception {
        String override = "other.example:8080";
        HttpRequest overridden = HttpRequest.newBuilder("http://127.0.0.1:1/p").host(override).build();
        HttpRequest sameLength = HttpRequest.newBuilder("http://127.0.0.1:1/p").header("Xost", override).build();
        long size = refusedSize(sameLength);
        assertThat(refusedSize(overridden)).as("the override's head size").isEqualTo(size);

        Sent sent = send(overridden, t -> t.maxRequestHeaderBytes((int) size), head -> "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(hostField(sent.first())).isEqualTo(override);
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().maxRequestHeaderBytes((int) size - 1)
                     .dialer((host, port, timeout) -> new Socket("127.0.0.1", server.port())).build()) {
            assertThatThrownBy(() -> t.roundTrip(overridden.toBuilder().timeout(Duration.ofSeconds(10)).build()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(size + " bytes, more than maxRequestHeaderBytes (" + (size - 1) + ")");
            assertThat(server.accepted()).isZero();
        }
    }

    /** The head size the transport holds {@code req}'s head to, as its refusal at a limit of 1 byte states it. */
    private static long refusedSize(HttpRequest req) throws Exception {
        try (Transport t = Transport.builder().maxRequestHeaderBytes(1).build()) {
            IllegalArgumentException refusal = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> t.roundTrip(req).close());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" is (\\d+) bytes, more than maxRequestHeaderBytes")
                    .matcher(refusal.getMessage());
            assertThat(m.find()).as(refusal.getMessage()).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    /**
     * R121: forwarded to an HTTP proxy, the absolute-form target names the override as the Host field does, as Go
     * writes it (a proxy takes the target's authority over the field, RFC 9112 section 3.2.2); the proxy is chosen for
     * the URI, and dialled. A CONNECT of the caller's asks for the override (Go's idiom: dial a proxy by the URL, name
     * the tunnel's end in Request.Host), the URI's default port added when the override has none. Before: there was no
     * override.
     */
    @Test
    void R121_throughAProxyTheTargetNamesTheOverride() throws Exception {
        List<URI> askedFor = new CopyOnWriteArrayList<>();
        Sent proxied = send(HttpRequest.newBuilder("http://example.com/p?q=1").host("other.example:8080").build(),
                t -> t.proxy(r -> {
                    askedFor.add(r.uri());
                    return Optional.of(URI.create("http://proxy.test:3128"));
                }), head -> "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(requestLine(proxied.first())).isEqualTo("GET http://other.example:8080/p?q=1 HTTP/1.1");
        assertThat(hostField(proxied.first())).isEqualTo("other.example:8080");
        assertThat(askedFor).containsExactly(URI.create("http://example.com/p?q=1"));
        assertThat(proxied.dialled()).containsExactly("proxy.test:3128");

        for (String[] c : List.of(new String[] {"target.example:443", "CONNECT target.example:443 HTTP/1.1", "target.example:443"},
                new String[] {"target.example", "CONNECT target.example:80 HTTP/1.1", "target.example"})) {
            Sent connect = send(HttpRequest.newBuilder("http://proxy.test:3128").method("CONNECT", RequestBody.none()).host(c[0]).build(),
                    t -> {}, head -> "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
            assertThat(requestLine(connect.first())).isEqualTo(c[1]);
            assertThat(hostField(connect.first())).isEqualTo(c[2]);
            assertThat(connect.dialled()).containsExactly("proxy.test:3128");
        }
    }

    /**
     * R121: through SOCKS5 the tunnel goes to the URI's host and port (the name sent to the proxy to resolve, R9) and
     * the head inside it carries the override as its Host field, in origin-form, as direct.
     */
    @Test
    void R121_throughSocks5TheTunnelGoesToTheUrisHostAndTheHeadNamesTheOverride() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer origin = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     heads.add(head);
                     c.write("HTTP/1.1 204 No Content\r\n\r\n");
                 }
             });
             Socks5Proxy socks = Socks5Proxy.start()) {
            try (Transport t = Transport.builder().proxy(r -> Optional.of(URI.create("socks5://127.0.0.1:" + socks.port()))).build();
                 HttpResponse r = t.roundTrip(HttpRequest.newBuilder("http://origin.test:" + origin.port() + "/p")
                         .host("other.example").timeout(Duration.ofSeconds(10)).build())) {
                assertThat(r.status()).isEqualTo(204);
            }
            assertThat(socks.destinations).containsExactly("origin.test:" + origin.port());
            origin.close(); // joins the handler
            assertThat(origin.failures()).isEmpty();
        }
        assertThat(heads).hasSize(1);
        assertThat(requestLine(heads.get(0))).isEqualTo("GET /p HTTP/1.1");
        assertThat(hostField(heads.get(0))).isEqualTo("other.example");
    }
}
