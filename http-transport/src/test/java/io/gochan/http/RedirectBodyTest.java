package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 307 and 308 redirects of requests with a body, for every kind of {@link RequestBody}: followed with
 * the same bytes when the body can be opened again, the redirect returned when it cannot (Go's
 * {@code GetBody} rule, client.go redirectBehavior); chains, other hosts, and a 303 after a 307.
 */
@NoGoroutineLeaks
class RedirectBodyTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Counts closes of a stream. */
    static final class Counted extends FilterInputStream {
        final AtomicInteger closes;

        Counted(InputStream in, AtomicInteger closes) {
            super(in);
            this.closes = closes;
        }

        @Override
        public void close() throws IOException {
            closes.incrementAndGet();
            super.close();
        }
    }

    /** A server redirecting /sNNN (and /sNNN/sMMM...) hop by hop to /end, recording what each request carried. */
    static JdkServer recording(List<String> seen) throws IOException {
        return JdkServer.http(ex -> {
            String p = ex.getRequestURI().getPath();
            byte[] body = JdkServer.body(ex);
            seen.add(ex.getRequestMethod() + " " + p + " len=" + ex.getRequestHeaders().getFirst("Content-Length")
                    + " te=" + ex.getRequestHeaders().getFirst("Transfer-Encoding")
                    + " type=" + ex.getRequestHeaders().getFirst("Content-Type") + " body=" + new String(body, StandardCharsets.UTF_8));
            if (p.startsWith("/s")) {
                int slash = p.indexOf('/', 1);
                String rest = slash < 0 ? "/end" : p.substring(slash);
                JdkServer.redirect(ex, Integer.parseInt(p.substring(2, slash < 0 ? p.length() : slash)), rest);
            } else {
                JdkServer.respond(ex, 200, "end");
            }
        });
    }

    private static RequestBody fileBody(Path file, long length) {
        return RequestBody.ofStream(() -> {
            try {
                return Files.newInputStream(file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, length, null);
    }

    /** R48: every body that can be opened again is sent again, the same bytes framed the same way, on a 307 and a 308. */
    @Test
    void R48_aReplayableBodyIsSentAgainByteForByteOn307And308(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("body");
        Files.writeString(file, "file-bytes");
        Map<String, Supplier<RequestBody>> kinds = new LinkedHashMap<>();
        kinds.put("len=9 te=null type=application/x body=bytes-abc", () -> RequestBody.of("bytes-abc".getBytes(StandardCharsets.UTF_8), "application/x"));
        kinds.put("len=6 te=null type=text/plain; charset=utf-8 body=h\u00e9llo", () -> RequestBody.of("h\u00e9llo"));
        kinds.put("len=10 te=null type=null body=file-bytes", () -> fileBody(file, 10));
        kinds.put("len=null te=chunked type=null body=file-bytes", () -> fileBody(file, -1));
        kinds.put("len=0 te=null type=null body=", () -> RequestBody.of(new byte[0], null));
        kinds.put("len=0 te=null type=null body=", RequestBody::none);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = recording(seen); Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            for (int status : new int[] {307, 308}) {
                for (var k : kinds.entrySet()) {
                    seen.clear();
                    try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s" + status)).POST(k.getValue().get()).build())) {
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.body().string()).isEqualTo("end");
                    }
                    assertThat(seen).as("%d %s", status, k.getKey()).containsExactly("POST /s" + status + " " + k.getKey(), "POST /end " + k.getKey());
                }
            }
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection left in use");
        }
    }

    /**
     * R48: a one-shot body with bytes to send is not sent again: the 307 or 308 is the response, its body
     * readable, the stream closed exactly once, the connection not left in use.
     */
    @Test
    void R48_aOneShotBodyGetsTheRedirectItselfAndIsClosedOnce() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = recording(seen); Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            for (int status : new int[] {307, 308}) {
                for (long length : new long[] {4, -1}) {
                    seen.clear();
                    AtomicInteger closes = new AtomicInteger();
                    var once = RequestBody.ofStreamOnce(new Counted(new ByteArrayInputStream("once".getBytes(StandardCharsets.UTF_8)), closes), length, null);
                    try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s" + status)).POST(once).build())) {
                        assertThat(r.status()).isEqualTo(status);
                        assertThat(r.headers().get("Location")).isEqualTo("/end");
                        assertThat(r.body().string()).isEqualTo("moved");
                    }
                    assertThat(seen).as("%d %d", status, length).hasSize(1);
                    assertThat(seen.get(0)).startsWith("POST /s" + status + " ").endsWith(" body=once");
                    assertThat(closes).as("closed once").hasValue(1);
                }
            }
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection left in use");
        }
    }

    /**
     * R48: a one-shot body declared empty has nothing to send again, so the 307 or 308 is followed with an empty
     * body (Go follows when the outgoing length is 0), its content type kept, its stream never opened twice and
     * closed once. Before, the redirect itself was returned.
     */
    @Test
    void R48_aOneShotBodyDeclaredEmptyIsFollowed() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = recording(seen); Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            for (int status : new int[] {307, 308}) {
                seen.clear();
                AtomicInteger closes = new AtomicInteger();
                var empty = RequestBody.ofStreamOnce(new Counted(new ByteArrayInputStream(new byte[0]), closes), 0, "application/json");
                try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s" + status)).method("PUT", empty).build())) {
                    assertThat(r.status()).as("followed").isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("end");
                }
                assertThat(seen).containsExactly("PUT /s" + status + " len=0 te=null type=application/json body=",
                        "PUT /end len=0 te=null type=application/json body=");
                assertThat(closes).as("closed once").hasValue(1);
            }
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection left in use");
        }
    }

    /** R48: a chain 307 then 308 opens the body once per hop and sends it whole each time. */
    @Test
    void R48_aChainOf307And308SendsTheBodyAtEachHop() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer server = recording(seen); Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            AtomicInteger opens = new AtomicInteger();
            AtomicInteger closes = new AtomicInteger();
            var body = RequestBody.ofStream(() -> {
                opens.incrementAndGet();
                return new Counted(new ByteArrayInputStream("twice".getBytes(StandardCharsets.UTF_8)), closes);
            }, 5, "a/b");
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s307/s308/end")).POST(body).build())) {
                assertThat(r.body().string()).isEqualTo("end");
            }
            assertThat(seen).containsExactly("POST /s307/s308/end len=5 te=null type=a/b body=twice",
                    "POST /s308/end len=5 te=null type=a/b body=twice", "POST /end len=5 te=null type=a/b body=twice");
            assertThat(opens).hasValue(3);
            assertThat(closes).hasValue(3);
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection left in use");
        }
    }

    /**
     * R48 with R14: a 307 to another host keeps the body and drops {@code Authorization}; a 303 after a 307 turns the
     * request into a GET without body, {@code Content-Length} or {@code Content-Type}.
     */
    @Test
    void R48_a307ToAnotherHostKeepsTheBodyAndA303AfterItDropsIt() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (JdkServer other = JdkServer.http(ex -> {
                 byte[] b = JdkServer.body(ex);
                 seen.add("other " + ex.getRequestMethod() + " auth=" + ex.getRequestHeaders().getFirst("Authorization")
                         + " body=" + new String(b, StandardCharsets.UTF_8));
                 JdkServer.respond(ex, 200, "other");
             });
             JdkServer server = recording(seen);
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            // The same port on localhost is another host for R14.
            String away = other.localhostUri("/x").toString();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s307")).basicAuth("u", "p")
                    .POST(RequestBody.of("keep")).build())) {
                assertThat(r.body().string()).isEqualTo("end");
            }
            seen.clear();
            try (JdkServer origin = JdkServer.http(ex -> {
                     JdkServer.body(ex);
                     JdkServer.redirect(ex, 307, away);
                 })) {
                try (HttpResponse r = c.send(HttpRequest.newBuilder(origin.uri("/a")).basicAuth("u", "p").POST(RequestBody.of("keep")).build())) {
                    assertThat(r.body().string()).isEqualTo("other");
                }
            }
            assertThat(seen).containsExactly("other POST auth=null body=keep");
            seen.clear();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/s307/s303/end")).POST(RequestBody.of("x=1")).build())) {
                assertThat(r.body().string()).isEqualTo("end");
            }
            assertThat(seen).containsExactly("POST /s307/s303/end len=3 te=null type=text/plain; charset=utf-8 body=x=1",
                    "POST /s303/end len=3 te=null type=text/plain; charset=utf-8 body=x=1", "GET /end len=null te=null type=null body=");
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection left in use");
        }
    }
}
