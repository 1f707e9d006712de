package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.http.testing.Socks5Proxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Address forms and redirect locations: IPv4-mapped address through SOCKS5
 * and from a resolver (R9), {@code Location}s Go follows that were refused or escaped twice (R16), and what R58's
 * room for jar cookies covers through an HTTP proxy. Every peer is a real loopback server.
 */
@NoGoroutineLeaks
class AddressAndRedirectReachTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * R9 with R42 (finding 1): an IPv4-mapped IPv6 literal ({@code [::ffff:10.0.0.1]}) goes to a SOCKS5 proxy as
     * the IPv4 address it is, type 1 and 4 bytes, as Go's socks client sends it ({@code ip.To4() != nil}). Today the
     * JDK parses it to an {@code Inet4Address} (4 bytes) while the request says type 4 (IPv6, 16 bytes): a
     * malformed CONNECT that a real proxy reads 12 bytes too far into.
     */
    @Test
    void R9_anIpv4MappedAddressGoesToASocks5ProxyAsTheIpv4AddressItIs() throws Exception {
        List<byte[]> requests = new CopyOnWriteArrayList<>();
        try (RawServer proxy = RawServer.start(c -> {
                 c.in.readNBytes(3);
                 c.write(new byte[] {5, 0});
                 requests.add(c.in.readNBytes(4 + 4 + 2)); // what an IPv4 request is, whatever the type byte says
                 c.write(new byte[] {5, 5, 0, 1, 0, 0, 0, 0, 0, 0}); // connection refused
             });
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(20))
                     .proxy(r -> Optional.of(URI.create("socks5://127.0.0.1:" + proxy.port()))).build()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://[::ffff:10.0.0.1]:8080/z")))
                    .isInstanceOfSatisfying(ProxyException.class, e -> assertThat(e.status()).isEqualTo(5));
            assertThat(requests).hasSize(1);
            assertThat(requests.get(0)).isEqualTo(new byte[] {5, 1, 0, 1, 10, 0, 0, 1, (byte) (8080 >> 8), (byte) 8080});
        }
    }

    /**
     * R9 (finding 1), end to end: through the test SOCKS5 server, which reads the address its type byte announces, a
     * request to {@code [::ffff:127.0.0.1]:port} reaches the origin. Today the proxy waits for the 12 address bytes
     * that never come and the request fails after the dial timeout with an {@link HttpTimeoutException}.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R9_anIpv4MappedOriginIsReachedThroughARealSocks5Proxy() throws Exception {
        try (RawServer origin = RawServer.answeringOk();
             Socks5Proxy socks = Socks5Proxy.start();
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(5))
                     .proxy(r -> Optional.of(URI.create("socks5://127.0.0.1:" + socks.port()))).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get("http://[::ffff:127.0.0.1]:" + origin.port() + "/x"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(socks.destinations).containsExactly("127.0.0.1:" + origin.port());
        }
    }

    /**
     * R9 with R2 (finding 1's neighbour): an IPv4-mapped address a resolver returns as an {@code Inet6Address} (which
     * {@code Inet6Address.getByAddress} builds, unlike the JDK's parser) is the IPv4 address it holds, as Go's
     * {@code To4()} makes it: dialled in the IPv4 family with the host's other IPv4 addresses (one after the other, R1)
     * and named {@code 127.0.0.2}. Before, it was raced as the IPv6 family and named
     * {@code [0:0:0:0:0:ffff:7f00:2]}.
     */
    @Test
    void R9_anIpv4MappedAddressFromAResolverIsDialledAsTheIpv4AddressItIs() throws Exception {
        int closedPort;
        try (RawServer server = RawServer.answeringOk()) {
            closedPort = server.port();
        }
        InetAddress mapped = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 2}, -1);
        InetAddress v4 = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        try (Transport t = Transport.builder().resolver(h -> List.of(mapped, v4)).build()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.roundTrip(HttpRequest.get("http://two.test:" + closedPort + "/")))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageStartingWith("connect to two.test (127.0.0.2):" + closedPort + " failed: ")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement().extracting(Throwable::getMessage)
                            .asString().startsWith("connect to two.test (127.0.0.1):" + closedPort + " failed: "));
        }
    }

    /**
     * R16 (finding 2): a {@code Location} whose path holds {@code [} or {@code ]} (a file name such as
     * {@code report[1].pdf}), or whose fragment holds a second {@code #}, is followed, as Go's {@code url.Parse}
     * accepts both (its {@code validEncoded} leaves brackets alone; the fragment is everything after the first
     * {@code #}). {@link URI} refuses them raw, so they go percent-escaped, as the characters R16 already lists do;
     * an IPv6 literal's brackets in the authority stay brackets. Today: {@code URISyntaxException} ("Illegal
     * character in path"), so the send fails with {@code BAD_LOCATION}.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "/files/report[1].pdf|http://h/files/report%5B1%5D.pdf",
        "report[1].pdf|http://h/a/report%5B1%5D.pdf",
        "http://[::1]:8080/x[1]|http://[::1]:8080/x%5B1%5D",
        "//[::1]:8080/x]|http://[::1]:8080/x%5D",
        "/a#b#c|http://h/a#b%23c",
        // Neighbours: a query's brackets stay (URI allows them there, Go sends them as they are).
        "/x?a[0]=1#f[2]|http://h/x?a[0]=1#f[2]",
        // The field's bytes above 0x7f (read as ISO-8859-1, one char a byte: "café" in UTF-8 is "cafÃ©"): each is
        // escaped as that byte, as Go sends it, not UTF-8 again (%C3%83%C2%A9); 0xA0 (of "à") is no space.
        "/caf\u00c3\u00a9|http://h/caf%C3%A9",
        "/\u00c3\u00a0/x|http://h/%C3%A0/x",
        "/a?q=\u00c3\u00a9|http://h/a?q=%C3%A9",
        "/a\u00e9|http://h/a%E9",
        // In the authority the bytes are the UTF-8 of the name (IDNA makes it ASCII when the request is built).
        "http://b\u00c3\u00bccher.test/x|http://b\u00fccher.test/x",
    })
    void R16_bracketsInAPathAndASecondHashInAFragmentAreFollowedAsGoFollowsThem(String reference, String target) throws Exception {
        assertThat(RedirectLocation.resolve(URI.create("http://h/a/b?z"), reference).toString()).isEqualTo(target);
    }

    /**
     * R16 (finding 2), end to end: a 302 to {@code /files/report[1].pdf} is followed to that file (its brackets
     * escaped, which the server decodes to the same path) instead of failing the send with {@code BAD_LOCATION}.
     */
    @Test
    void R16_aRedirectToAPathWithBracketsIsFollowed() throws Exception {
        List<String> targets = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     targets.add(target);
                     c.write(target.equals("/start")
                             ? "HTTP/1.1 302 Found\r\nLocation: /files/report[1].pdf\r\nContent-Length: 0\r\n\r\n"
                             : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/start").toString()))) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(targets).containsExactly("/start", "/files/report%5B1%5D.pdf");
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * R16 (finding 2's neighbour), end to end: a 302 whose {@code Location} holds UTF-8 ({@code /café/à}, as
     * servers send file names) is followed to {@code /caf%C3%A9/%C3%A0}, the bytes escaped as Go escapes them.
     * Before, {@code à} (whose second byte, 0xA0, the field's ISO-8859-1 reading makes a no-break space) failed the
     * send with {@code BAD_LOCATION}, and {@code é} went out as {@code %C3%83%C2%A9}, another resource.
     */
    @Test
    void R16_aRedirectToAUtf8PathIsFollowedWithItsBytesEscaped() throws Exception {
        List<String> targets = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     targets.add(target);
                     if (target.equals("/start")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: ");
                         c.write("/caf\u00e9/\u00e0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                         c.write("\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/start").toString()))) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(targets).containsExactly("/start", "/caf%C3%A9/%C3%A0");
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * R58 (finding 3), what holds through an HTTP proxy: the client leaves room for the {@code scheme://authority}
     * a forwarded request adds, so a jar that fills the head up to {@code maxRequestHeaderBytes} still goes through
     * a proxy without credentials; the {@code Proxy-Authorization} the transport adds from the proxy URI (R56) is
     * not counted (the client does not know the proxy: asking the proxy function again per hop would call a user's
     * function twice), so with a long credential the transport refuses the request as R56 says, naming the proxy,
     * nothing sent. R58 said "never"; its text now says exactly this.
     */
    @Test
    void R58_jarCookiesLeaveRoomForTheForwardedTargetButNotForProxyCredentials() throws Exception {
        Map<String, String> cookieField = new ConcurrentHashMap<>();
        try (RawServer proxy = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     cookieField.put(target, head.lines().filter(l -> l.regionMatches(true, 0, "Cookie:", 0, 7))
                             .findFirst().orElse("none"));
                     StringBuilder resp = new StringBuilder("HTTP/1.1 200 OK\r\n");
                     if (target.endsWith("/set")) {
                         for (int i = 0; i < 20; i++) {
                             resp.append("Set-Cookie: k").append(i < 10 ? "0" : "").append(i).append('=')
                                     .append("v".repeat(1024)).append("\r\n");
                         }
                     }
                     c.write(resp.append("Content-Length: 2\r\n\r\nok").toString());
                 }
             });
             Transport plain = Transport.builder().maxRequestHeaderBytes(8 * 1024)
                     .proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port()))).build();
             // A proxy password of 3000 characters: its Basic value is about 4 KiB, half the head limit.
             Transport credentialed = Transport.builder().maxRequestHeaderBytes(8 * 1024)
                     .proxy(r -> Optional.of(URI.create("http://user:" + "p".repeat(3000) + "@127.0.0.1:" + proxy.port())))
                     .build()) {
            CookieJar jar = CookieJar.inMemory();
            HttpClient client = HttpClient.builder(plain).cookieJar(jar).build();
            try (HttpResponse r = client.send(HttpRequest.get("http://origin.test/set"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            try (HttpResponse r = client.send(HttpRequest.get("http://origin.test/get"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(cookieField.get("http://origin.test/get")).startsWith("Cookie: k00=");
            HttpClient withCredentials = HttpClient.builder(credentialed).cookieJar(jar).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> withCredentials.send(HttpRequest.get("http://origin.test/again")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("through proxy http://127.0.0.1:" + proxy.port() + " is ")
                    .hasMessageEndingWith("more than maxRequestHeaderBytes (8192); nothing was sent")
                    .hasMessageNotContaining("pppp");
            assertThat(cookieField).doesNotContainKey("http://origin.test/again");
            assertThat(proxy.failures()).isEmpty();
        }
    }
}
