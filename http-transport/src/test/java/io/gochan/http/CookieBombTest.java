package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hostile server's cookies never make a later request unsendable (R57): as many cookies as the jar keeps,
 * each as long as it keeps, set by one host for itself and for its parent domain, against a raw loopback
 * server reached under several names.
 */
@NoGoroutineLeaks
class CookieBombTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Every name resolves to loopback, so one raw server is many hosts to the client and the jar. */
    private static Transport loopbackForEveryName() {
        return Transport.builder().resolver(host -> List.of(InetAddress.getLoopbackAddress())).build();
    }

    @Test
    void R57_aCookieFloodFromOneHostLeavesItsOwnAndItsSiblingsRequestsSendable() throws Exception {
        Map<String, Integer> cookieBytes = new ConcurrentHashMap<>();
        String filler = "v".repeat(MemoryCookieJar.MAX_COOKIE_CHARS - 8);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String host = head.lines().filter(l -> l.regionMatches(true, 0, "Host:", 0, 5))
                             .findFirst().orElseThrow().substring(5).strip();
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     int cookie = head.lines().filter(l -> l.regionMatches(true, 0, "Cookie:", 0, 7))
                             .mapToInt(String::length).sum();
                     cookieBytes.put(host.substring(0, host.indexOf(':')) + path, cookie);
                     StringBuilder resp = new StringBuilder("HTTP/1.1 200 OK\r\n");
                     if (path.startsWith("/bomb/")) {
                         // Sixty cookies of the longest kept size per response (the response-head limit is 256 KiB),
                         // half for the host itself, half for its parent domain, which its siblings share.
                         int batch = Integer.parseInt(path.substring(6));
                         for (int i = 0; i < 60; i++) {
                             resp.append("Set-Cookie: b").append(batch).append('x').append(i).append('=').append(filler)
                                     .append(i % 2 == 0 ? "; Path=/" : "; Path=/; Domain=evil.test").append("\r\n");
                         }
                     }
                     c.write(resp.append("Content-Length: 2\r\n\r\nok").toString());
                 }
             });
             Transport t = loopbackForEveryName()) {
            HttpClient client = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            URI sibling = URI.create("http://www.evil.test:" + server.port() + "/before");
            try (HttpResponse r = client.send(HttpRequest.newBuilder(sibling).build())) {
                r.body().string();
            }
            for (int batch = 0; batch < 12; batch++) {
                URI bomb = URI.create("http://a.evil.test:" + server.port() + "/bomb/" + batch);
                try (HttpResponse r = client.send(HttpRequest.newBuilder(bomb).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            for (String host : List.of("a.evil.test", "www.evil.test", "evil.test")) {
                URI after = URI.create("http://" + host + ":" + server.port() + "/after");
                try (HttpResponse r = client.send(HttpRequest.newBuilder(after).build())) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(cookieBytes.get(host + "/after")).as(host).isPositive()
                        .isLessThanOrEqualTo(MemoryCookieJar.MAX_FIELD_CHARS + "Cookie: ".length());
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    @Test
    void R58_theClientSendsOnlyTheJarCookiesThatFitTheTransportsHeadLimit() throws Exception {
        // A limit below the jar's own bound (R57): twenty 1 KiB cookies, the caller's own field, and room for some.
        Map<String, String> cookieField = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                     cookieField.put(path, head.lines().filter(l -> l.regionMatches(true, 0, "Cookie:", 0, 7))
                             .findFirst().orElse("none"));
                     StringBuilder resp = new StringBuilder("HTTP/1.1 200 OK\r\n");
                     if (path.equals("/set")) {
                         for (int i = 0; i < 20; i++) {
                             resp.append("Set-Cookie: k").append(i < 10 ? "0" : "").append(i).append('=')
                                     .append("v".repeat(1024)).append("\r\n");
                         }
                     }
                     c.write(resp.append("Content-Length: 2\r\n\r\nok").toString());
                 }
             });
             Transport t = Transport.builder().maxRequestHeaderBytes(8 * 1024).build()) {
            HttpClient client = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/set").toString()))) {
                r.body().string();
            }
            for (String own : new String[] {null, "mine=" + "m".repeat(2000)}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/get"));
                if (own != null) {
                    b.header("Cookie", own);
                }
                try (HttpResponse r = client.send(b.build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                String field = cookieField.get("/get");
                // The oldest first, as many as fit: all of them would be over 20 KiB.
                assertThat(field).startsWith(own == null ? "Cookie: k00=" : "Cookie: " + own + "; k00=")
                        .contains("; k01=").doesNotContain("k19=");
                assertThat(field.length()).isLessThan(8 * 1024);
            }
            // A request the caller made too large on its own is still refused as before, nothing sent (E12).
            HttpRequest huge = HttpRequest.newBuilder(server.uri("/huge")).header("X-Big", "x".repeat(9000)).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(huge))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRequestHeaderBytes");
            assertThat(cookieField).doesNotContainKey("/huge");
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * R124: an {@code Expires} of thousands of blanks inside (legal attribute characters, and the field within the 8 KiB
     * line limit) costs time linear in its length. Its zone was found by a regular expression searched over the whole
     * value, which restarted at every blank and ran over the rest of the run: ~300 ms a field, 30 such fields in one
     * response held the caller's thread for 6 to 11 s, past its timeout. Six hundred of them must now take well
     * under the generous bound here (a fraction of a second; they took about two minutes).
     */
    @Test
    void R124_anExpiresOfThousandsOfBlanksIsParsedInTimeLinearInItsLength() {
        String hostile = "c=v; Expires=a" + " ".repeat(8_100) + "!";
        org.junit.jupiter.api.Assertions.assertTimeout(java.time.Duration.ofSeconds(20), () -> {
            for (int i = 0; i < 600; i++) {
                assertThat(Cookie.parse(hostile).orElseThrow().expires()).isNull();
            }
        });
    }

    /** R124 keeps R25 and R35: blanks, however many, around a date's parts and before its zone name, as Go reads them. */
    @Test
    void R124_R35_blanksBeforeTheZoneAndAfterTheWeekdayStillMakeADate() {
        java.time.Instant epoch = java.time.Instant.EPOCH;
        for (String date : List.of("Thu, 01 Jan 1970 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00      UTC",
                "Thu,     01 Jan 1970 00:00:00 PST", "01 Jan 1970 00:00:00 GMT+1", "Thursday, 01-Jan-1970 00:00:00 CET")) {
            assertThat(Cookie.parse("c=v; Expires=" + date).orElseThrow().expires()).as(date).isEqualTo(epoch);
        }
        for (String notADate : List.of("Thu, 01 Jan 1970 00:00:00 ABCDEFG", "Thu, 01 Jan 1970 00:00:00", "GMT",
                "Thu, 01 Jan 1970 00:00:00" + " ".repeat(5_000) + "!")) {
            assertThat(Cookie.parse("c=v; Expires=" + notADate).orElseThrow().expires()).as(notADate).isNull();
        }
    }

    /**
     * R126 end to end (with R22): one send to a hostile site whose redirects go over its own host names, each answer
     * setting PER_DOMAIN cookies, leaves another site's session cookie in the jar: the crowded domains' cookies are
     * evicted first. (Session 44's client audit: it emptied the bank's session, no network attacker needed.)
     */
    @Test
    void R126_R22_oneSendThroughAHostileSitesRedirectsLeavesAnotherSitesSessionCookie() throws Exception {
        int hosts = MemoryCookieJar.TOTAL / MemoryCookieJar.PER_DOMAIN + 1;
        List<String> bankCookies = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (io.gochan.http.testing.RawServer server = io.gochan.http.testing.RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String host = hostOf(head);
                     if (host.equals("www.bank.test")) {
                         bankCookies.add(String.valueOf(field(head, "Cookie")));
                         c.write("HTTP/1.1 200 OK\r\nSet-Cookie: sid=real\r\nContent-Length: 2\r\n\r\nok");
                         continue;
                     }
                     int n = Integer.parseInt(host.substring(1, host.indexOf('.')));
                     boolean first = pathOf(head).equals("/");
                     // at most 100 fields a response: each host's cookies come in two answers, "/" then "/b"
                     StringBuilder r = new StringBuilder(first ? "HTTP/1.1 302 Found\r\nLocation: /b\r\n"
                             : n + 1 < hosts ? "HTTP/1.1 302 Found\r\nLocation: http://h" + (n + 1)
                             + ".evil.test:" + c.socket.getLocalPort() + "/\r\n" : "HTTP/1.1 200 OK\r\n");
                     int half = MemoryCookieJar.PER_DOMAIN / 2;
                     for (int i = first ? 0 : half; i < (first ? half : MemoryCookieJar.PER_DOMAIN); i++) {
                         r.append("Set-Cookie: x").append(i).append("=v\r\n");
                     }
                     c.write(r.append("Content-Length: 2\r\n\r\nok").toString());
                 }
             });
             Transport t = loopbackForEveryName()) {
            HttpClient client = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).maxRedirects(2 * hosts).build();
            URI bank = URI.create("http://www.bank.test:" + server.port() + "/");
            for (int i = 0; i < 2; i++) { // set, then sent: the client keeps using it
                try (HttpResponse r = client.send(HttpRequest.newBuilder(bank).build())) {
                    r.body().string();
                }
            }
            try (HttpResponse r = client.send(HttpRequest.newBuilder(URI.create("http://h0.evil.test:" + server.port() + "/")).build())) {
                assertThat(r.status()).isEqualTo(200);
                r.body().string();
            }
            try (HttpResponse r = client.send(HttpRequest.newBuilder(bank).build())) {
                r.body().string();
            }
            assertThat(bankCookies).as("the bank's session cookie, sent before and after the hostile site's flood")
                    .containsExactly("null", "sid=real", "sid=real");
        }
    }

    private static String hostOf(String head) {
        String h = head.lines().filter(l -> l.regionMatches(true, 0, "Host:", 0, 5)).findFirst().orElseThrow().substring(5).strip();
        return h.substring(0, h.lastIndexOf(':'));
    }

    private static String pathOf(String head) {
        return head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
    }

    private static String field(String head, String name) {
        return head.lines().filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                .map(l -> l.substring(name.length() + 1).strip()).findFirst().orElse(null);
    }

}
