package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link HttpClient}'s redirects held to Go 1.19's {@code http.Client} (client.go: the drain of
 * a followed redirect, {@code maxBodySlurpSize}, {@code redirectBehavior}), against raw loopback servers whose
 * accepted connections are counted. Each probe asserts what Go does (or what the spec promises); a failing one shows a
 * divergence.
 */
@Timeout(60)
class HttpClientRedirectShapesTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** First line of a request head. */
    private static String line(String head) {
        return head.substring(0, head.indexOf("\r\n"));
    }

    /** The path of a request line. */
    private static String path(String head) {
        return line(head).split(" ")[1];
    }

    /**
     * A HEAD redirected by a 301 whose head declares {@code Content-Length: 5000} (a HEAD response has no body
     * whatever it declares): Go's persistConn treats a HEAD response as bodiless and puts the connection back at once,
     * so the chain runs on one connection; the client's drain skips a body "declared" over 2 KiB, which must not cost
     * the connection.
     */
    @Test
    void headRedirectDeclaringALargeLengthKeepsItsConnection() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(c.index + " " + line(head));
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 301 Moved\r\nLocation: /end\r\nContent-Length: 5000\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.newBuilder(server.uri("/a")).HEAD().build())) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().stream().readAllBytes()).isEmpty();
            }
            assertThat(seen).containsExactly("0 HEAD /a HTTP/1.1", "0 HEAD /end HTTP/1.1");
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * A redirect whose body is exactly 2 KiB by {@code Content-Length}: Go's {@code io.CopyN(io.Discard, body, 2048)}
     * reads it whole, the body's last read reporting EOF (transfer.go's {@code body} says EOF once the limit is reached),
     * so the connection is reused for the next hop.
     */
    @Test
    void redirectBodyOfExactly2KiBByLengthIsDrainedAndItsConnectionReused() throws Exception {
        String body = "x".repeat(2048);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 2048\r\n\r\n" + body);
                     } else {
                         c.write(RawServer.OK);
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * A chunked redirect body of exactly 2 KiB, its last chunk sent with it: Go's chunked reader, having read the 2048
     * bytes, reads the buffered {@code 0} chunk in the same call and returns EOF with them, so the connection is put
     * back and reused (checked with Go 1.19.8 against this very script: one connection).
     */
    @Test
    void chunkedRedirectBodyOfExactly2KiBEndedInTheSameWriteIsReused() throws Exception {
        String body = "x".repeat(2048);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /end\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"
                                 + body + "\r\n0\r\n\r\n");
                     } else {
                         c.write(RawServer.OK);
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * The client's overall timeout passing while a followed redirect's body stalls in its drain: the send fails with
     * the client timeout named (Go: "(Client.Timeout exceeded while awaiting headers)" on the next hop), kind REQUEST,
     * within a generous bound, nothing sent for the next hop.
     */
    @Test
    void clientTimeoutWhileARedirectBodyStallsIsNamedAsTheClientTimeout() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch end = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(line(head));
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /end\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
                         end.await(30, TimeUnit.SECONDS);
                         return;
                     }
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).timeout(Duration.ofMillis(500)).build();
            long start = System.nanoTime();
            try {
                assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/a").toString())))
                        .isInstanceOf(HttpTimeoutException.class)
                        .hasMessageContaining("client timeout")
                        .satisfies(e -> assertThat(((HttpTimeoutException) e).kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
            } finally {
                end.countDown();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(seen).containsExactly("GET /a HTTP/1.1");
        }
    }

    /**
     * A redirect check that throws fails the send, the redirect drained and closed first (Go drains it before returning
     * the check's error), so its connection serves the next send.
     */
    @Test
    void aFailingRedirectCheckLeavesTheConnectionReusable() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 5\r\n\r\nhello");
                     } else {
                         c.write(RawServer.OK);
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> {
                throw new IOException("no redirects please");
            }).build();
            assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/a").toString())))
                    .isInstanceOf(IOException.class).hasMessage("no redirects please");
            try (HttpResponse r = HttpClient.builder(t).build().send(HttpRequest.get(server.uri("/end").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * The redirect limit's failure drains the last redirect (R13), so the connection serves the next send: one
     * connection for the whole loop and the request after it.
     */
    @Test
    void theRedirectLimitLeavesTheConnectionReusable() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (path(head).startsWith("/loop")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 3\r\n\r\nabc");
                     } else {
                         c.write(RawServer.OK);
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).maxRedirects(3).build();
            assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/loop").toString())))
                    .isInstanceOf(IOException.class).hasMessageStartingWith("stopped after 3 redirects");
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/end").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * The transport closed between two hops (by the redirect check): the next hop is refused as any request on a
     * closed transport (E28), an {@link IOException}, the server seeing only the first request, nothing left running.
     */
    @Test
    void aTransportClosedBetweenHopsFailsTheNextHop() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(line(head));
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 5\r\n\r\nhello");
                     } else {
                         c.write(RawServer.OK);
                     }
                 }
             })) {
            Transport t = Transport.builder().build();
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> {
                t.close();
                return true;
            }).build();
            assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/a").toString())))
                    .isInstanceOf(IOException.class);
            assertThat(seen).containsExactly("GET /a HTTP/1.1");
        }
    }

    /**
     * A 3xx that Go does not follow (300, 304, 305) is the response, even with a {@code Location}.
     */
    @Test
    void statusesGoDoesNotFollowAreTheResponse() throws Exception {
        for (int status : new int[] {300, 304, 305, 306}) {
            List<String> seen = new CopyOnWriteArrayList<>();
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequestHead()) != null; ) {
                         seen.add(line(head));
                         if (path(head).equals("/a")) {
                             c.write("HTTP/1.1 " + status + " X\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n");
                         } else {
                             c.write(RawServer.OK);
                         }
                     }
                 });
                 Transport t = Transport.builder().build()) {
                try (HttpResponse r = HttpClient.builder(t).build().send(HttpRequest.get(server.uri("/a").toString()))) {
                    assertThat(r.status()).isEqualTo(status);
                }
                assertThat(seen).containsExactly("GET /a HTTP/1.1");
            }
        }
    }

    /**
     * A POST redirected by 301/302/303 goes as GET with no body and no framing field; with a {@code Location} that
     * has a fragment, the fragment is not sent (Go's {@code URL.RequestURI}).
     */
    @Test
    void aPostRedirectedWithAFragmentGoesAsGetWithoutBodyOrFragment() throws Exception {
        for (int status : new int[] {301, 302, 303}) {
            List<String> seen = new CopyOnWriteArrayList<>();
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequest()) != null; ) {
                         String lower = head.toLowerCase(java.util.Locale.ROOT);
                         seen.add(line(head) + (lower.contains("content-length") || lower.contains("transfer-encoding") ? " framed" : ""));
                         if (path(head).equals("/a")) {
                             c.write("HTTP/1.1 " + status + " X\r\nLocation: /end?q=1#frag\r\nContent-Length: 0\r\n\r\n");
                         } else {
                             c.write(RawServer.OK);
                         }
                     }
                 });
                 Transport t = Transport.builder().build()) {
                HttpRequest post = HttpRequest.newBuilder(server.uri("/a"))
                        .POST(RequestBody.of("data".getBytes(StandardCharsets.UTF_8), "text/plain")).build();
                try (HttpResponse r = HttpClient.builder(t).build().send(post)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(seen).containsExactly("POST /a HTTP/1.1 framed", "GET /end?q=1 HTTP/1.1");
                assertThat(server.accepted()).isEqualTo(1);
            }
        }
    }
    /**
     * A {@code Location} whose query holds a {@code %} not followed by two hex digits ({@code ?q=100%},
     * {@code ?a=%zz}, as servers write a discount or a raw search term): Go 1.19's {@code url.Parse} checks escapes in
     * the path, the host and the fragment only, never in the query (it keeps {@code RawQuery} as written), so its client
     * follows the redirect and sends {@code GET /x?q=100%} (checked with Go 1.19.8 against this script). R16 promises a
     * {@code BAD_LOCATION} only for a {@code Location} that cannot be followed "as Go fails it". The query may go
     * as written or with the lone {@code %} escaped ({@code %25}, which a server decodes to the same text).
     */
    @Test
    void aLocationWithALonePercentInItsQueryIsFollowedAsGoFollowsIt() throws Exception {
        for (String location : new String[] {"/x?q=100%", "/x?a=%zz&b=1"}) {
            List<String> seen = new CopyOnWriteArrayList<>();
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequestHead()) != null; ) {
                         seen.add(path(head));
                         if (path(head).equals("/a")) {
                             c.write("HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n");
                         } else {
                             c.write(RawServer.OK);
                         }
                     }
                 });
                 Transport t = Transport.builder().build()) {
                try (HttpResponse r = HttpClient.builder(t).build().send(HttpRequest.get(server.uri("/a").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(seen).hasSize(2);
                assertThat(seen.get(1)).isIn(location, location.replace("%", "%25"));
            }
        }
    }

    /**
     * The same query written by the caller: Go's {@code http.Get("http://h/x?q=100%")} sends it ({@code url.Parse}
     * keeps a query as written); R115 reads request text "as Go reads it" where {@code java.net.URI} refuses only what
     * Go takes. Sent as written or with the lone {@code %} escaped.
     */
    @Test
    void aRequestUriWithALonePercentInItsQueryIsSentAsGoSendsIt() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(path(head));
                     c.write(RawServer.OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            String text = "http://127.0.0.1:" + server.port() + "/x?q=100%";
            try (HttpResponse r = HttpClient.builder(t).build().send(HttpRequest.get(text))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).singleElement().isIn("/x?q=100%", "/x?q=100%25");
        }
    }
    /** Two {@code Location} fields: the first is followed, as Go's {@code Header.Get} reads it. */
    @Test
    void theFirstOfTwoLocationFieldsIsFollowed() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(path(head));
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /first\r\nLocation: /second\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         c.write(RawServer.OK);
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = HttpClient.builder(t).build().send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly("/a", "/first");
        }
    }

    /** A HEAD redirected by a 302 that says {@code Transfer-Encoding: chunked} (no body on a HEAD): one connection. */
    @Test
    void headRedirectSayingChunkedKeepsItsConnection() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /end\r\nTransfer-Encoding: chunked\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = HttpClient.builder(t).build().send(HttpRequest.newBuilder(server.uri("/a")).HEAD().build())) {
                assertThat(r.status()).isEqualTo(200);
            }
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * The transport closed while a followed redirect's next hop waits for its answer: the send fails with an
     * {@link IOException} promptly (no hang, no retry on a new connection), and closing idle connections through the
     * client afterwards is a no-op.
     */
    @Test
    void aTransportClosedWhileTheNextHopWaitsFailsTheSend() throws Exception {
        CountDownLatch slowSeen = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(path(head));
                     if (path(head).equals("/a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /slow\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         slowSeen.countDown();
                         end.await(30, TimeUnit.SECONDS);
                         return;
                     }
                 }
             })) {
            Transport t = Transport.builder().build();
            HttpClient client = HttpClient.builder(t).build();
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    if (slowSeen.await(20, TimeUnit.SECONDS)) {
                        t.close();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long start = System.nanoTime();
            try {
                assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/a").toString())))
                        .isInstanceOf(IOException.class);
            } finally {
                end.countDown();
                closer.join();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThat(seen).containsExactly("/a", "/slow");
            client.closeIdleConnections();
        }
    }
    /**
     * R14 as written (a guard, passing): the caller's {@code Authorization} and {@code Cookie} are dropped on a redirect
     * to a subdomain of the request's host, and stay dropped. Go 1.19 differs, which R14 does not say: its
     * {@code shouldCopyHeaderOnRedirect} keeps them from {@code a.test:P} to {@code sub.a.test:P} (a domain or subdomain
     * match of the previous hop, port included), then drops them at {@code A.TEST:P} (it compares ASCII hosts with their
     * case) and for the rest of the chain. Go 1.19.8 on this chain: {@code /a auth, /b auth, /c -, /d -, /e -}.
     */
    @Test
    void credentialsAreDroppedOnARedirectToASubdomainWhereGoKeepsThem() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String lower = head.toLowerCase(java.util.Locale.ROOT);
                     seen.add(path(head) + (lower.contains("\r\nauthorization:") ? " auth" : " -"));
                     String next = switch (path(head)) {
                         case "/a" -> "http://sub.a.test:" + c.socket.getLocalPort() + "/b";
                         case "/b" -> "http://A.TEST:" + c.socket.getLocalPort() + "/c";
                         case "/c" -> "http://other.test:" + c.socket.getLocalPort() + "/d";
                         case "/d" -> "http://a.test:" + c.socket.getLocalPort() + "/e";
                         default -> null;
                     };
                     c.write(next == null ? RawServer.OK : "HTTP/1.1 302 Found\r\nLocation: " + next + "\r\nContent-Length: 0\r\n\r\n");
                 }
             });
             Transport t = Transport.builder()
                     .resolver(host -> List.of(java.net.InetAddress.getLoopbackAddress())).build()) {
            HttpRequest req = HttpRequest.newBuilder("http://a.test:" + server.port() + "/a")
                    .header("Authorization", "Bearer T").header("Cookie", "k=v").build();
            try (HttpResponse r = HttpClient.builder(t).build().send(req)) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly("/a auth", "/b -", "/c -", "/d -", "/e -");
        }
    }
    /**
     * The client's overall timeout passing while the redirect check runs: the next hop is not sent and the send fails
     * naming the client timeout, as Go's next {@code c.send} fails with "(Client.Timeout exceeded while awaiting
     * headers)". The check holds for a bounded while (the timeout must pass inside it).
     */
    @Test
    void clientTimeoutPassingInTheRedirectCheckIsNamedAndNothingMoreIsSent() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     seen.add(path(head));
                     c.write(path(head).equals("/a")
                             ? "HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n" : RawServer.OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).timeout(Duration.ofMillis(300)).checkRedirect((next, via) -> {
                try {
                    never.await(1500, TimeUnit.MILLISECONDS); // outlasts the 300 ms timeout
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }).build();
            assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/a").toString())))
                    .isInstanceOf(HttpTimeoutException.class).hasMessageContaining("client timeout");
            assertThat(seen).containsExactly("/a");
        }
    }

    /**
     * R135: a {@code Location} without a scheme whose authority is empty names no server, so the redirect stays on the
     * request's, as Go 1.19.8 follows it (checked against this script): {@code ///y} is the path {@code ///y}, its
     * slashes kept and its dot segments removed; {@code //} is the request's own URI again, {@code //?z=2} its path
     * with that query. The {@code Host} override stays, as for any path (R120). Before, {@code ///y} went to {@code /y}
     * and {@code ////y} to {@code //y} (another resource), the override dropped, and {@code //} failed with
     * {@code BAD_LOCATION} ("Expected authority").
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "///y|/y0/a?q=1|///y",
        "///../y/./z|/y0/a?q=1|//y/z",
        "////y|/y0/a|////y",
        "///y?b=1#f|/y0/a|///y?b=1",
        "//|/y0/a?q=1|/y0/a?q=1",
        "//?z=2|/y0/a?q=1|/y0/a?z=2",
        "//#f|/y0/a?q=1|/y0/a?q=1",
    })
    void R135_aLocationWithAnEmptyAuthorityStaysOnTheRequestsServer(String location, String start, String next) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String host = head.lines().filter(l -> l.regionMatches(true, 0, "Host:", 0, 5)).findFirst().orElse("none");
                     seen.add(path(head) + " " + host.substring(5).strip());
                     c.write(requests.getAndIncrement() == 0
                             ? "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 5\r\n\r\nmoved" : RawServer.OK);
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri(start)).host("app.example").build();
            try (HttpResponse r = HttpClient.builder(t).build().send(req)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly(start + " app.example", next + " app.example");
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    /**
     * A 3xx whose {@code Location} field is empty or blank is the response, as one without the field (R16), the check
     * not asked, as Go 1.19.8 returns it ({@code Header.Get} trims the value, and an empty one ends the chain).
     * Resolved instead, the empty reference is the request's own URI: the client would loop until its limit.
     */
    @Test
    void R16_aRedirectWithAnEmptyOrBlankLocationIsTheResponse() throws Exception {
        for (String field : new String[] {"Location:\r\n", "Location: \r\n", "Location: \t \r\n"}) {
            List<String> seen = new CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequestHead()) != null; ) {
                         seen.add(path(head));
                         c.write("HTTP/1.1 302 Found\r\n" + field + "Content-Length: 5\r\n\r\nmoved");
                     }
                 });
                 Transport t = Transport.builder().build()) {
                HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> asked.incrementAndGet() > 0).build();
                try (HttpResponse r = client.send(HttpRequest.get(server.uri("/a").toString()))) {
                    assertThat(r.status()).isEqualTo(302);
                    assertThat(r.body().string()).isEqualTo("moved");
                }
                assertThat(seen).as(field).containsExactly("/a");
                assertThat(asked).hasValue(0);
            }
        }
    }
}
