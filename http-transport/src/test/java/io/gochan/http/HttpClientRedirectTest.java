package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How {@link HttpClient} follows a redirect's {@code Location} (R16), turns a URI's user info into
 * credentials (R17), sends an internationalized host name (R18) and treats {@code Referer} (R19), against real loopback servers. Each test ends with no transport goroutine and, where a redirect went wrong, no
 * connection left in use.
 */
@NoGoroutineLeaks
class HttpClientRedirectTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A redirect whose body is not in memory when its head arrives: only closing it frees its connection. */
    private static void redirectWithLargeBody(com.sun.net.httpserver.HttpExchange ex, String location) throws java.io.IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(302, 0);
        try (var out = ex.getResponseBody()) {
            byte[] chunk = new byte[16 * 1024];
            for (int i = 0; i < 16; i++) {
                out.write(chunk);
            }
        } catch (java.io.IOException gone) {
            // the client closed the connection: expected
        }
    }

    @Test
    void R16_locationIsResolvedByRfc3986() throws Exception {
        Map<String, String> locations = Map.of(
                "/q", "?page=2",            // a query alone keeps the path (java.net.URI drops its last segment)
                "/up", "../../../x",        // dot segments never climb above the root
                "/dots", "/./p/../y",       // dot segments of an absolute path are removed
                "/space", "c d?e f",        // unescaped blanks are sent escaped, as Go does
                "/frag", "/f#part");        // the fragment is never sent
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getRawPath();
                 String q = ex.getRequestURI().getRawQuery();
                 String location = "z=1".equals(q) && p.startsWith("/a/") ? locations.get(p.substring(2)) : null;
                 if (location != null) {
                     JdkServer.redirect(ex, 302, location);
                 } else {
                     seen.add(ex.getRequestURI().toString());
                     JdkServer.respond(ex, 200, p + (q == null ? "" : "?" + q));
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            Map<String, String> want = Map.of(
                    "/q", "/a/q?page=2",
                    "/up", "/x",
                    "/dots", "/y",
                    "/space", "/a/c%20d?e%20f",
                    "/frag", "/f");
            for (var e : want.entrySet()) {
                try (HttpResponse r = c.send(HttpRequest.get(server.uri("/a" + e.getKey() + "?z=1").toString()))) {
                    assertThat(r.status()).as(e.getKey()).isEqualTo(200);
                    assertThat(r.body().string()).as(e.getKey()).isEqualTo(e.getValue());
                }
            }
            assertThat(seen).noneMatch(s -> s.contains("#") || s.contains(".."));
            // Scheme-relative: another authority, the request's scheme.
            String hostRelative = "//localhost:" + server.port() + "/other";
            try (JdkServer front = JdkServer.http(ex -> JdkServer.redirect(ex, 301, hostRelative))) {
                try (HttpResponse r = c.send(HttpRequest.get(front.uri("/start").toString()))) {
                    assertThat(r.body().string()).isEqualTo("/other");
                }
            }
        }
    }

    // An underscore host is followed (R40, as Go); one with a bad port or user info is not.
    @ParameterizedTest
    @ValueSource(strings = {"http://under_score.example:99999/x", "http://user@under_score.example/x", "ftp://127.0.0.1/x", "http://[::1/x", "mailto:a@b", "/bad%zz"})
    void R16_aLocationThatCannotBeFollowedFailsTheSendAndClosesTheRedirect(String location) throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 // A body larger than the client drains: closing the redirect must close its connection.
                 redirectWithLargeBody(ex, location);
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            assertThatThrownBy(() -> c.send(HttpRequest.get(server.uri("/r").toString())))
                    .isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(HttpProtocolException.Reason.BAD_LOCATION))
                    .hasMessageContaining("302 redirect from " + server.uri("/r"));
            Leaks.awaitTrue(() -> t.stats().inUse() == 0 && t.stats().open() == 0, "the redirect's connection closed");
        }
    }

    @Test
    void R16_aRedirectWithoutLocationIsTheResponse() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 308, "no location"));
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/r").toString()))) {
                assertThat(r.status()).isEqualTo(308);
                assertThat(r.body().string()).isEqualTo("no location");
            }
        }
    }

    @Test
    void R76_percentEscapedUserInfoIsSentAsTheBytesItNames() throws Exception {
        // %E9 is one byte, as Go's url.User unescapes it and its client sends it; read as UTF-8 it became EF BF BD.
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 seen.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            try (HttpResponse r = c.send(HttpRequest.get("http://us%E9r:p%E9ss%FF@127.0.0.1:" + server.port() + "/"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly("Basic " + Base64.getEncoder().encodeToString(
                    "us\u00e9r:p\u00e9ss\u00ff".getBytes(StandardCharsets.ISO_8859_1)));
            // The checks of R14 hold for the bytes: an escaped control character is still refused, naming no password.
            assertThatThrownBy(() -> c.send(HttpRequest.get("http://u:p%0D%0Ax@127.0.0.1:" + server.port() + "/")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control character")
                    .hasMessageNotContaining("p%0D");
        }
    }

    @Test
    void R17_userInfoIsSentAsBasicAuthToItsOwnAuthorityOnly() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (JdkServer other = JdkServer.http(ex -> {
                 seen.put("other", String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                 JdkServer.respond(ex, 200, "other");
             });
             JdkServer server = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getPath();
                 seen.put(p, String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                 switch (p) {
                     case "/here" -> JdkServer.redirect(ex, 302, "/there");
                     case "/away" -> JdkServer.redirect(ex, 302, other.localhostUri("/x").toString());
                     default -> JdkServer.respond(ex, 200, "ok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            URI base = server.uri("/");
            String authority = "us%20er:p%3Aw%C3%B6rd@127.0.0.1:" + base.getPort();
            String basic = "Basic " + Base64.getEncoder().encodeToString("us er:p:wörd".getBytes(StandardCharsets.UTF_8));
            try (HttpResponse r = c.send(HttpRequest.get("http://" + authority + "/here"))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen.get("/here")).isEqualTo(basic);
            assertThat(seen.get("/there")).isEqualTo(basic); // a relative redirect keeps the user info
            try (HttpResponse r = c.send(HttpRequest.get("http://" + authority + "/away"))) {
                assertThat(r.body().string()).isEqualTo("other");
            }
            assertThat(seen.get("other")).isEqualTo("null");
            // An Authorization field of the caller wins.
            try (HttpResponse r = c.send(HttpRequest.newBuilder(URI.create("http://" + authority + "/own"))
                    .header("Authorization", "Bearer t").build())) {
                r.body().string();
            }
            assertThat(seen.get("/own")).isEqualTo("Bearer t");
        }
    }

    @Test
    void R14_sensitiveFieldsStayDroppedWhenTheChainComesBackToTheOrigin() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        String[] names = {"Authorization", "Proxy-Authorization", "WWW-Authenticate", "Cookie", "Cookie2", "X-Kept"};
        URI[] back = new URI[1];
        try (JdkServer other = JdkServer.http(ex -> {
                 for (String n : names) {
                     seen.put("other " + n, String.valueOf(ex.getRequestHeaders().getFirst(n)));
                 }
                 JdkServer.redirect(ex, 307, back[0].toString());
             });
             JdkServer origin = JdkServer.http(ex -> {
                 if (ex.getRequestURI().getPath().equals("/start")) {
                     JdkServer.redirect(ex, 302, other.localhostUri("/x").toString());
                 } else {
                     for (String n : names) {
                         seen.put("back " + n, String.valueOf(ex.getRequestHeaders().getFirst(n)));
                     }
                     JdkServer.respond(ex, 200, "back");
                 }
             });
             Transport t = Transport.builder().build()) {
            back[0] = origin.uri("/back");
            HttpClient c = HttpClient.builder(t).build();
            HttpRequest.Builder b = HttpRequest.newBuilder(origin.uri("/start"));
            for (String n : names) {
                b.header(n, "v-" + n);
            }
            try (HttpResponse r = c.send(b.build())) {
                assertThat(r.body().string()).isEqualTo("back");
            }
            for (String where : List.of("other ", "back ")) {
                for (String n : names) {
                    assertThat(seen.get(where + n)).as(where + n).isEqualTo(n.equals("X-Kept") ? "v-X-Kept" : "null");
                }
            }
        }
    }

    @Test
    void R18_aNonAsciiHostIsSentInItsIdnaAsciiForm() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        List<String> hosts = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 hosts.add(ex.getRequestHeaders().getFirst("Host"));
                 if (ex.getRequestURI().getPath().equals("/start")) {
                     JdkServer.redirect(ex, 302, "http://münchen.example:" + ex.getLocalAddress().getPort() + "/end");
                 } else {
                     JdkServer.respond(ex, 200, "ok");
                 }
             });
             Transport t = Transport.builder().resolver(host -> {
                 asked.add(host);
                 return List.of(java.net.InetAddress.getLoopbackAddress());
             }).build()) {
            HttpClient c = HttpClient.builder(t).build();
            HttpRequest req = HttpRequest.get("http://Bücher.example:" + server.port() + "/start?q=ü");
            assertThat(req.uri().getHost()).isEqualTo("xn--bcher-kva.example");
            assertThat(req.uri().getRawQuery()).isEqualTo("q=ü");
            try (HttpResponse r = c.send(req)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(asked).containsExactly("xn--bcher-kva.example", "xn--mnchen-3ya.example");
            assertThat(hosts).containsExactly("xn--bcher-kva.example:" + server.port(), "xn--mnchen-3ya.example:" + server.port());
        }
    }

    @Test
    void R19_theCallersRefererIsDroppedFromHttpsToHttpAndNoneIsAdded() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (JdkServer plain = JdkServer.http(ex -> {
                 seen.put(ex.getRequestURI().getPath(), String.valueOf(ex.getRequestHeaders().getFirst("Referer")));
                 JdkServer.respond(ex, 200, "plain");
             });
             JdkServer tls = JdkServer.https(ex -> {
                 String p = ex.getRequestURI().getPath();
                 seen.put(p, String.valueOf(ex.getRequestHeaders().getFirst("Referer")));
                 switch (p) {
                     case "/down" -> JdkServer.redirect(ex, 302, plain.uri("/insecure").toString());
                     case "/same" -> JdkServer.redirect(ex, 302, "/secure");
                     default -> JdkServer.respond(ex, 200, "tls");
                 }
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            HttpClient c = HttpClient.builder(t).build();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(tls.uri("/down")).header("Referer", "https://secret.example/x?token=1").build())) {
                assertThat(r.body().string()).isEqualTo("plain");
            }
            assertThat(seen.get("/down")).isEqualTo("https://secret.example/x?token=1");
            assertThat(seen.get("/insecure")).isEqualTo("null");
            try (HttpResponse r = c.send(HttpRequest.newBuilder(tls.uri("/same")).header("Referer", "https://me.example/").build())) {
                assertThat(r.body().string()).isEqualTo("tls");
            }
            assertThat(seen.get("/secure")).isEqualTo("https://me.example/");
            try (HttpResponse r = c.send(HttpRequest.get(tls.uri("/same").toString()))) {
                r.body().string();
            }
            assertThat(seen.get("/secure")).isEqualTo("null");
        }
    }

    @Test
    void methodAndBodyPerStatusAndAOneShotBodyStopsAt307() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getPath();
                 byte[] body = JdkServer.body(ex);
                 seen.add(ex.getRequestMethod() + " " + p + " len=" + ex.getRequestHeaders().getFirst("Content-Length")
                         + " type=" + ex.getRequestHeaders().getFirst("Content-Type") + " body=" + new String(body, StandardCharsets.UTF_8));
                 if (p.startsWith("/s")) {
                     JdkServer.redirect(ex, Integer.parseInt(p.substring(2)), "/end");
                 } else {
                     JdkServer.respond(ex, 200, "end");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            for (int status : new int[] {301, 302, 303, 307, 308}) {
                seen.clear();
                try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s" + status)).method("PATCH", RequestBody.of("abc")).build())) {
                    assertThat(r.body().string()).isEqualTo("end");
                }
                String again = status >= 307 ? "PATCH /end len=3 type=text/plain; charset=utf-8 body=abc" : "GET /end len=null type=null body=";
                assertThat(seen).as("status %d", status).containsExactly(
                        "PATCH /s" + status + " len=3 type=text/plain; charset=utf-8 body=abc", again);
            }
            seen.clear();
            var once = RequestBody.ofStreamOnce(new java.io.ByteArrayInputStream("xyz".getBytes(StandardCharsets.UTF_8)), 3, null);
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s307")).POST(once).build())) {
                assertThat(r.status()).isEqualTo(307);
                assertThat(r.body().string()).isEqualTo("moved");
            }
            assertThat(seen).containsExactly("POST /s307 len=3 type=null body=xyz");
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection left in use");
        }
    }

    @Test
    void R17_thePasswordOfTheUserInfoNeverAppearsInMessages() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.redirect(ex, 302, "/loop"));
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).maxRedirects(1).build();
            HttpRequest req = HttpRequest.get("http://user:s3cret@127.0.0.1:" + server.port() + "/loop");
            assertThat(req.toString()).isEqualTo("GET http://user:xxxxx@127.0.0.1:" + server.port() + "/loop");
            assertThatThrownBy(() -> c.send(req))
                    .hasMessageContaining("stopped after 1 redirects (last: http://user:xxxxx@127.0.0.1:")
                    .hasMessageNotContaining("s3cret");
            assertThatThrownBy(() -> HttpRequest.get("ftp://user:s3cret@h/"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
        }
    }

    /**
     * R94: Headers.toString() hides the values of Authorization, Proxy-Authorization, Cookie and Set-Cookie (any
     * spelling), as the request's toString hides its URI's password (R17); the accessors keep the real values. Before:
     * every value was printed, so logging a request's or a response's headers logged basicAuth's base64 of
     * user:password, a bearer token or a session cookie.
     */
    @Test
    void R94_headersToStringHidesCredentialValuesAndTheAccessorsKeepThem() {
        Headers h = Headers.of("Authorization", "Bearer s3cret-token", "proxy-authorization", "Basic czNjcmV0",
                "Cookie", "session=s3cret", "SET-COOKIE", "sid=s3cret; Path=/", "Accept", "text/html");
        assertThat(h.toString()).isEqualTo("{Authorization: xxxxx, proxy-authorization: xxxxx, Cookie: xxxxx,"
                + " SET-COOKIE: xxxxx, Accept: text/html}");
        assertThat(h.get("authorization")).isEqualTo("Bearer s3cret-token");
        assertThat(h.value(1)).isEqualTo("Basic czNjcmV0");
        assertThat(h.get("Set-Cookie")).isEqualTo("sid=s3cret; Path=/");
        HttpRequest r = HttpRequest.newBuilder("http://example.com/").basicAuth("alice", "s3cret").build();
        assertThat(r.headers().toString()).contains("Authorization: xxxxx").doesNotContain("YWxpY2U6czNjcmV0");
        assertThat(r.headers().get("Authorization")).isEqualTo("Basic YWxpY2U6czNjcmV0"); // base64("alice:s3cret")
    }

    /**
     * E52: when a send fails after a redirect's response arrived (its check refused by throwing, the redirect limit),
     * the redirect's body is closed as a followed one is; a {@link RoundTripper}'s body that throws an unchecked
     * exception there (its read, its close) never replaces the send's failure: the caller gets the original, with
     * the body's exception added as suppressed, and the wrapped transport's connection is given back. Before, the
     * client caught only an {@link java.io.IOException} there, so the body's exception was thrown instead and the
     * send's own failure was lost.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"check", "limit"})
    void E52_aRedirectBodyThatThrowsWhenDiscardedNeverHidesTheSendsFailure(String failure) throws Exception {
        IllegalStateException checkBug = new IllegalStateException("redirect check bug");
        IllegalStateException readBug = new IllegalStateException("wrapper body read bug");
        IllegalStateException closeBug = new IllegalStateException("wrapper body close bug");
        try (JdkServer server = JdkServer.http(ex -> {
                 if (ex.getRequestURI().getPath().equals("/a")) {
                     JdkServer.redirect(ex, 302, "/b");
                 } else {
                     byte[] b = "ok".getBytes(StandardCharsets.UTF_8);
                     ex.sendResponseHeaders(200, b.length);
                     ex.getResponseBody().write(b);
                     ex.close();
                 }
             });
             Transport t = Transport.builder().build()) {
            RoundTripper wrapping = (req, ctx) -> {
                HttpResponse inner = t.roundTrip(req, ctx);
                java.io.InputStream bad = new java.io.InputStream() {
                    @Override
                    public int read() {
                        throw readBug;
                    }

                    @Override
                    public void close() {
                        inner.close(); // the wrapped connection is given back first
                        throw closeBug;
                    }
                };
                return new HttpResponse(inner.request(), inner.version(), inner.status(), inner.reason(), inner.headers(),
                        new ResponseBody(bad, null), Headers::empty);
            };
            HttpClient.Builder b = HttpClient.builder(wrapping);
            if (failure.equals("check")) {
                b.checkRedirect((next, via) -> {
                    throw checkBug;
                });
            } else {
                b.maxRedirects(0);
            }
            HttpClient c = b.build();
            Throwable thrown = org.junit.jupiter.api.Assertions.assertThrows(Throwable.class,
                    () -> c.send(HttpRequest.get(server.uri("/a").toString())).close());
            if (failure.equals("check")) {
                assertThat(thrown).as("the send's own failure").isSameAs(checkBug);
            } else {
                assertThat(thrown).as("the send's own failure").isInstanceOf(java.io.IOException.class)
                        .hasMessageContaining("stopped after 0 redirects");
            }
            assertThat(thrown.getSuppressed()).as("the body's failure, kept").containsExactly(readBug);
            assertThat(readBug.getSuppressed()).as("its close's failure, kept").containsExactly(closeBug);
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "the wrapped connection given back");
        }
    }
}
