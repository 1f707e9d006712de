package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client's conveniences against real loopback servers: cookie jar (R12), redirect check (R13),
 * basic auth and no credential leak across hosts (R14), composed round trippers (R15). The hosts
 * 127.0.0.1 and localhost are different hosts to the client and the jar.
 */
@NoGoroutineLeaks
class HttpClientReachTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static String header(com.sun.net.httpserver.HttpExchange ex, String name) {
        return String.valueOf(ex.getRequestHeaders().getFirst(name));
    }

    @Test
    void R12_setCookieOfARedirectIsStoredAndSentToItsTarget() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getPath();
                 seen.put(p, header(ex, "Cookie"));
                 switch (p) {
                     case "/login" -> {
                         ex.getResponseHeaders().add("Set-Cookie", "sid=abc; Path=/");
                         ex.getResponseHeaders().add("Set-Cookie", "scoped=1; Path=/login");
                         JdkServer.redirect(ex, 302, "/app");
                     }
                     case "/again" -> JdkServer.redirect(ex, 302, "/app2");
                     case "/logout" -> {
                         ex.getResponseHeaders().add("Set-Cookie", "sid=gone; Max-Age=0; Path=/");
                         JdkServer.respond(ex, 200, "bye");
                     }
                     default -> JdkServer.respond(ex, 200, "ok");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/login").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen.get("/login")).isEqualTo("null");
            assertThat(seen.get("/app")).isEqualTo("sid=abc");
            // A same-origin redirect gets the jar's cookies once: chosen for it, not copied from the last hop.
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/again").toString()))) {
                r.body().string();
            }
            assertThat(seen.get("/again")).isEqualTo("sid=abc");
            assertThat(seen.get("/app2")).isEqualTo("sid=abc");
            // Host-only: the same server under another host name gets nothing.
            try (HttpResponse r = c.send(HttpRequest.get(server.localhostUri("/app").toString()))) {
                r.body().string();
            }
            assertThat(seen.get("/app")).isEqualTo("null");
            // The caller's own Cookie field is kept and the jar's cookies appended.
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/login/x")).header("Cookie", "mine=1").build())) {
                r.body().string();
            }
            assertThat(seen.get("/login/x")).isEqualTo("mine=1; scoped=1; sid=abc");
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/logout").toString()))) {
                r.body().string();
            }
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/app").toString()))) {
                r.body().string();
            }
            assertThat(seen.get("/app")).isEqualTo("null");
        }
    }

    @Test
    void R36_aCookieValueWithASpaceOrCommaIsSentQuoted() throws Exception {
        // Sent bare, "pref=x, admin=1" is two cookies to a server that splits the field at commas (RFC 2109):
        // a value the server set, maybe holding what a user typed, became a cookie it never set. Go quotes it.
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 seen.put(ex.getRequestURI().getPath(), header(ex, "Cookie"));
                 if (ex.getRequestURI().getPath().equals("/set")) {
                     ex.getResponseHeaders().add("Set-Cookie", "pref=x, admin=1");
                     ex.getResponseHeaders().add("Set-Cookie", "name=Ada Lovelace");
                     ex.getResponseHeaders().add("Set-Cookie", "plain=1");
                 }
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            for (String p : List.of("/set", "/get")) {
                try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri(p)).header("Cookie", "own=a b").build())) {
                    r.body().string();
                }
            }
            // The caller's own field is sent as given; only the jar's values are quoted.
            assertThat(seen.get("/get")).isEqualTo("own=a b; pref=\"x, admin=1\"; name=\"Ada Lovelace\"; plain=1");
        }
    }

    @Test
    void R12_secureCookiesOnlyOverHttpsAndExpiryByTheJarsClock() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        CookieJarTest.ManualClock clock = new CookieJarTest.ManualClock();
        CookieJar jar = new MemoryCookieJar(clock);
        com.sun.net.httpserver.HttpHandler h = ex -> {
            seen.put(ex.getRequestURI().getPath(), header(ex, "Cookie"));
            if (ex.getRequestURI().getPath().equals("/set")) {
                ex.getResponseHeaders().add("Set-Cookie", "s=1; Secure");
                ex.getResponseHeaders().add("Set-Cookie", "short=1; Max-Age=30");
            }
            JdkServer.respond(ex, 200, "ok");
        };
        try (JdkServer tls = JdkServer.https(h);
             JdkServer plain = JdkServer.http(h);
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            HttpClient c = HttpClient.builder(t).cookieJar(jar).build();
            for (URI u : List.of(tls.localhostUri("/set"), tls.localhostUri("/get"), plain.localhostUri("/plain"))) {
                try (HttpResponse r = c.send(HttpRequest.newBuilder(u).build())) {
                    r.body().string();
                }
            }
            assertThat(seen.get("/get")).isEqualTo("s=1; short=1");
            assertThat(seen.get("/plain")).isEqualTo("short=1"); // same host (cookies ignore ports), not https
            clock.advance(Duration.ofSeconds(31));
            try (HttpResponse r = c.send(HttpRequest.newBuilder(tls.localhostUri("/later")).build())) {
                r.body().string();
            }
            assertThat(seen.get("/later")).isEqualTo("s=1");
        }
    }

    @Test
    void R13_checkRedirectCanStopAndReturnTheRedirectResponse() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 switch (ex.getRequestURI().getPath()) {
                     case "/a" -> JdkServer.redirect(ex, 302, "/b");
                     case "/b" -> JdkServer.redirect(ex, 301, "/c");
                     default -> JdkServer.respond(ex, 200, "final");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).checkRedirect((next, via) -> {
                asked.add(next.uri().getPath() + " via " + via.stream().map(r -> r.uri().getPath()).toList());
                return !next.uri().getPath().equals("/c");
            }).build();
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.status()).isEqualTo(301);
                assertThat(r.headers().get("Location")).isEqualTo("/c");
                assertThat(r.body().string()).isEqualTo("moved");
            }
            assertThat(asked).containsExactly("/b via [/a]", "/c via [/a, /b]");
        }
    }

    @Test
    void R13_checkRedirectCanFailTheSend() throws Exception {
        try (JdkServer other = JdkServer.http(ex -> JdkServer.respond(ex, 200, "other"));
             JdkServer server = JdkServer.http(ex -> JdkServer.redirect(ex, 302, other.localhostUri("/x").toString()));
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).checkRedirect((next, via) -> {
                if (!next.uri().getHost().equals(via.get(0).uri().getHost())) {
                    throw new IOException("refusing redirect to " + next.uri().getHost());
                }
                return true;
            }).build();
            assertThatThrownBy(() -> c.send(HttpRequest.get(server.uri("/").toString())))
                    .isInstanceOf(IOException.class).hasMessage("refusing redirect to localhost");
        }
    }

    @Test
    void R13_maxRedirectsIsCheckedBeforeTheHook() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<Integer> viaSizes = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> JdkServer.redirect(ex, 302, "/loop"));
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).maxRedirects(3).checkRedirect((next, via) -> {
                calls.incrementAndGet();
                viaSizes.add(via.size());
                return true;
            }).build();
            assertThatThrownBy(() -> c.send(HttpRequest.get(server.uri("/loop").toString())))
                    .isInstanceOf(IOException.class).hasMessageContaining("stopped after 3 redirects");
            assertThat(calls.get()).isEqualTo(3);
            assertThat(viaSizes).containsExactly(1, 2, 3);
        }
    }

    @Test
    void R14_basicAuthHeaderIsRfc7617Exactly() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 seen.add(header(ex, "Authorization"));
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            // RFC 7617 section 2 and 2.1 examples (the second is UTF-8: 123£).
            for (HttpRequest req : List.of(
                    HttpRequest.newBuilder(server.uri("/")).basicAuth("Aladdin", "open sesame").build(),
                    HttpRequest.newBuilder(server.uri("/")).header("Authorization", "old").basicAuth("test", "123\u00a3").build())) {
                try (HttpResponse r = c.send(req)) {
                    r.body().string();
                }
            }
            assertThat(seen).containsExactly("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Basic dGVzdDoxMjPCow==");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://example.com/"));
        assertThatThrownBy(() -> b.basicAuth("a:b", "x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("':'");
        assertThatThrownBy(() -> b.basicAuth("a", "x\r\nX-Evil: 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.basicAuth("a\n", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    /** R81: text that is no URI is refused naming why and where, and never quoting its password. */
    @Test
    void R81_aMalformedUriTextIsRefusedWithoutItsPassword() {
        for (String text : List.of("http://alice:s3cret%zz@example.com/", "http://alice:s3cret@exa mple.com/",
                "http://alice:s3cret@example.com/a\tb")) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> HttpRequest.get(text));
            assertThat(t).as(text).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a URI (")
                    .hasMessageContaining(" at index ").hasMessageContaining("alice:xxxxx@");
            for (Throwable c = t; c != null; c = c.getCause()) {
                assertThat(c.getMessage()).as("%s: %s", text, c).doesNotContain("s3cret");
            }
        }
        // A text java.net.URI takes, but only as an authority that names no server (no user info to redact by),
        // and a valid URI of another scheme: each refused with its own message, still without the password.
        for (String text : List.of("http://alice:s3cret@@example.com:8o/", "ftp://alice:s3cret@example.com/")) {
            assertThatThrownBy(() -> HttpRequest.get(text)).as(text).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageNotContaining("s3cret").hasMessageContaining("alice:xxxxx@");
        }
        // Without user info the text is quoted whole.
        assertThatThrownBy(() -> HttpRequest.get("http://exa mple.com/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://exa mple.com/");
    }

    /**
     * R93: an http(s) URI written without "//" ("http:alice:s3cret@host/", a curl-style slip) is an opaque URI to
     * java.net.URI, refused for no host; the refusal hides its password as Proxies.fixed hides a proxy's written so.
     * Before: RedactedUri redacted only after "//", so "URI has no host: http:alice:s3cret@example.com/".
     */
    @Test
    void R93_anHttpUriWithoutSlashesIsRefusedWithoutItsPassword() {
        for (String text : List.of("http:alice:s3cret@example.com/", "https:alice:s3cret@example.com:8443/x?q=1",
                "HTTP:/alice:s3cret@example.com/", "http:alice:s3cret@example.com//x")) {
            Throwable fromText = org.assertj.core.api.Assertions.catchThrowable(() -> HttpRequest.get(text));
            Throwable fromUri = org.assertj.core.api.Assertions.catchThrowable(() -> HttpRequest.newBuilder(URI.create(text)));
            for (Throwable t : List.of(fromText, fromUri)) {
                assertThat(t).as(text).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("URI has no host")
                        .hasMessageContaining("alice:xxxxx@example.com");
                for (Throwable c = t; c != null; c = c.getCause()) {
                    assertThat(c.getMessage()).as("%s: %s", text, c).doesNotContain("s3cret");
                }
            }
        }
        // Text with "//" is redacted as before; a text with no user info is quoted whole.
        assertThatThrownBy(() -> HttpRequest.get("http:example.com/a:b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http:example.com/a:b");
    }

    @Test
    void R14_credentialsAndCookiesDoNotFollowARedirectToAnotherHost() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (JdkServer other = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getPath();
                 seen.put("other " + p + " auth", header(ex, "Authorization"));
                 seen.put("other " + p + " cookie", header(ex, "Cookie"));
                 if (p.equals("/hello")) {
                     ex.getResponseHeaders().add("Set-Cookie", "theirs=2");
                 }
                 JdkServer.respond(ex, 200, "other");
             });
             JdkServer origin = JdkServer.http(ex -> {
                 seen.put("origin auth", header(ex, "Authorization"));
                 ex.getResponseHeaders().add("Set-Cookie", "ours=1");
                 JdkServer.redirect(ex, 302, other.localhostUri("/x").toString());
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            try (HttpResponse r = c.send(HttpRequest.get(other.localhostUri("/hello").toString()))) {
                r.body().string();
            }
            HttpRequest req = HttpRequest.newBuilder(origin.uri("/start"))
                    .basicAuth("user", "secret").header("Cookie", "callers=3").build();
            try (HttpResponse r = c.send(req)) {
                assertThat(r.body().string()).isEqualTo("other");
            }
            assertThat(seen.get("origin auth")).isEqualTo("Basic dXNlcjpzZWNyZXQ=");
            assertThat(seen.get("other /x auth")).isEqualTo("null");
            // Only the jar's cookie for localhost: not the caller's Cookie field, not 127.0.0.1's cookie.
            assertThat(seen.get("other /x cookie")).isEqualTo("theirs=2");
        }
    }

    @Test
    void R14_credentialsDoNotFollowARedirectToAnotherPortOfTheSameHost() throws Exception {
        // Same host name, another port: another origin (RFC 6454), maybe another program. The caller's
        // Authorization and Cookie stay behind; the jar's host cookie goes, as RFC 6265 cookies ignore ports.
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (JdkServer other = JdkServer.http(ex -> {
                 seen.put("auth", header(ex, "Authorization"));
                 seen.put("proxy-auth", header(ex, "Proxy-Authorization"));
                 seen.put("cookie", header(ex, "Cookie"));
                 JdkServer.respond(ex, 200, "other");
             });
             JdkServer origin = JdkServer.http(ex -> {
                 ex.getResponseHeaders().add("Set-Cookie", "jar=1");
                 JdkServer.redirect(ex, 307, other.uri("/x").toString());
             });
             Transport t = Transport.builder().build()) {
            assertThat(other.port()).isNotEqualTo(origin.port());
            HttpClient c = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            HttpRequest req = HttpRequest.newBuilder(origin.uri("/start")).basicAuth("user", "secret")
                    .header("Proxy-Authorization", "Basic cHJveHk6cHc=").header("Cookie", "callers=3").build();
            try (HttpResponse r = c.send(req)) {
                assertThat(r.body().string()).isEqualTo("other");
            }
            assertThat(seen).containsEntry("auth", "null").containsEntry("proxy-auth", "null").containsEntry("cookie", "jar=1");
        }
    }

    @Test
    void R15_wrappingRoundTrippersAddAHeaderAndLogEachHop() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 seen.add(ex.getRequestURI().getPath() + " " + header(ex, "X-Trace"));
                 if (ex.getRequestURI().getPath().equals("/a")) {
                     JdkServer.redirect(ex, 302, "/b");
                 } else {
                     JdkServer.respond(ex, 200, "ok");
                 }
             });
             Transport t = Transport.builder().build()) {
            RoundTripper tracing = addHeader(t, "X-Trace", "abc");
            RoundTripper logging = logging(tracing, log);
            HttpClient c = HttpClient.builder(logging).build();
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
                assertThat(r.request().headers().get("X-Trace")).isEqualTo("abc");
            }
            assertThat(seen).containsExactly("/a abc", "/b abc");
            assertThat(log).containsExactly("GET /a -> 302", "GET /b -> 200");
        }
    }

    /**
     * R15: a round tripper that returns null, no response and no exception, breaks its contract: the send fails with
     * an {@link IllegalStateException} that says so, naming the round tripper's class and the request, as Go's
     * "RoundTripper implementation (T) returned a nil *Response with a nil error", with a cookie jar too. Before,
     * a {@link NullPointerException} from inside the client ("Cannot invoke HttpResponse.status() because resp is
     * null") named neither.
     */
    @Test
    void R15_aRoundTripperThatReturnsNoResponseFailsTheSendSayingSo() {
        RoundTripper broken = (req, ctx) -> null;
        for (HttpClient c : List.of(HttpClient.builder(broken).build(),
                HttpClient.builder(broken).cookieJar(CookieJar.inMemory()).build())) {
            assertThatThrownBy(() -> c.send(HttpRequest.get("http://app.test/x")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("returned no response")
                    .hasMessageContaining(broken.getClass().getName())
                    .hasMessageContaining("GET http://app.test/x");
        }
    }

    @Test
    void R15_theTransportIsARoundTripperAndAFailingWrapperFailsTheSend() throws Exception {
        try (Transport t = Transport.builder().build()) {
            RoundTripper asInterface = t;
            assertThat(asInterface).isSameAs(t);
            RoundTripper refusing = (req, ctx) -> {
                throw new IOException("blocked by policy: " + req.uri().getHost());
            };
            HttpClient c = HttpClient.builder(refusing).build();
            assertThatThrownBy(() -> c.send(HttpRequest.get("http://blocked.example/")))
                    .isInstanceOf(IOException.class).hasMessage("blocked by policy: blocked.example");
        }
    }

    @Test
    void R43_closeIdleConnectionsReachesTheTransportDirectlyOrThroughAForwardingWrapperOnly() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "ok"));
             Transport t = Transport.builder().build()) {
            RoundTripper silent = (req, ctx) -> t.roundTrip(req, ctx); // as a Go wrapper without the method
            RoundTripper forwarding = new RoundTripper() {
                @Override
                public HttpResponse roundTrip(HttpRequest req, io.gochan.Context ctx) throws IOException, InterruptedException {
                    return t.roundTrip(req, ctx);
                }

                @Override
                public void closeIdleConnections() {
                    t.closeIdleConnections();
                }
            };
            String uri = server.uri("/").toString();

            HttpClient direct = HttpClient.builder(t).build();
            okOnce(direct, uri);
            idle.assertIdle(t, 1); // pooled after the response, or closed by E138: closeIdleConnections closes it or nothing
            direct.closeIdleConnections();
            assertThat(t.stats().open()).as("closed through the client: %s", t.stats()).isZero();

            HttpClient overSilent = HttpClient.builder(silent).build();
            okOnce(overSilent, uri);
            assertThat(t.stats().dialed()).as("the request after the close dialled: %s", t.stats()).isEqualTo(2);
            overSilent.closeIdleConnections();
            idle.assertIdle(t, 1); // a wrapper that does not forward closes nothing: E138 may have, no other close

            HttpClient overForwarding = HttpClient.builder(forwarding).build();
            overForwarding.closeIdleConnections();
            assertThat(t.stats().open()).as("closed through the forwarding wrapper: %s", t.stats()).isZero();
            okOnce(overForwarding, uri);
            assertThat(t.stats().dialed()).as("and the next request dialled: %s", t.stats()).isEqualTo(3);
            idle.assertIdle(t, 1); // and its connection is pooled again (or closed by E138)
        }
    }

    private static void okOnce(HttpClient c, String uri) throws Exception {
        try (HttpResponse r = c.send(HttpRequest.get(uri))) {
            assertThat(r.body().string()).isEqualTo("ok");
        }
    }

    /** A RoundTripper that sets a header on every request and delegates. */
    private static RoundTripper addHeader(RoundTripper inner, String name, String value) {
        return (req, ctx) -> inner.roundTrip(req.toBuilder().setHeader(name, value).build(), ctx);
    }

    /** A RoundTripper that logs each request it carries with the response status. */
    private static RoundTripper logging(RoundTripper inner, List<String> log) {
        return (req, ctx) -> {
            HttpResponse r = inner.roundTrip(req, ctx);
            log.add(req.method() + " " + req.uri().getPath() + " -> " + r.status());
            return r;
        };
    }

    /** A resolver that maps every name with an underscore to the loopback address, like a Compose network. */
    private static Resolver composeNetwork(List<String> asked) {
        return host -> {
            asked.add(host);
            return host.indexOf('_') >= 0 ? List.of(java.net.InetAddress.getByName("127.0.0.1")) : Resolver.system().resolve(host);
        };
    }

    @Test
    void R40_aRedirectToAnUnderscoreHostIsFollowedAndItsCookiesGoBackToIt() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        List<String> asked = new CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getPath();
                 seen.put(p, header(ex, "Host") + " " + header(ex, "Cookie") + " " + header(ex, "Authorization"));
                 switch (p) {
                     case "/start" -> JdkServer.redirect(ex, 302, "http://my_service:" + ex.getLocalAddress().getPort() + "/login");
                     case "/login" -> {
                         ex.getResponseHeaders().add("Set-Cookie", "sid=abc; Path=/");
                         JdkServer.redirect(ex, 302, "/app");
                     }
                     case "/away" -> JdkServer.redirect(ex, 302, "http://other_service:" + ex.getLocalAddress().getPort() + "/there");
                     default -> JdkServer.respond(ex, 200, "ok");
                 }
             });
             Transport t = Transport.builder().resolver(composeNetwork(asked)).build()) {
            int port = server.port();
            HttpClient c = HttpClient.builder(t).cookieJar(CookieJar.inMemory()).build();
            try (HttpResponse r = c.send(HttpRequest.get(server.uri("/start").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
                assertThat(r.request().uri().toString()).isEqualTo("http://my_service:" + port + "/app");
            }
            assertThat(seen.get("/login")).isEqualTo("my_service:" + port + " null null");
            assertThat(seen.get("/app")).isEqualTo("my_service:" + port + " sid=abc null");
            // Host-only cookie of my_service: sent back to it, not to another underscore host; credentials stay
            // with their host across a redirect to another one (R14).
            try (HttpResponse r = c.send(HttpRequest.newBuilder(URI.create("http://my_service:" + port + "/away"))
                    .header("Authorization", "Bearer t").build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen.get("/away")).isEqualTo("my_service:" + port + " sid=abc Bearer t");
            assertThat(seen.get("/there")).isEqualTo("other_service:" + port + " null null");
            assertThat(asked).contains("my_service", "other_service");
        }
    }
}
