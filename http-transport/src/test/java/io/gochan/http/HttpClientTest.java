package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The thin client: redirects with a limit, no credential leak across hosts, overall timeout. */
@NoGoroutineLeaks
class HttpClientTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void followsRedirectsChangingPostToGetOn303AndKeepingItOn307() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 String p = ex.getRequestURI().getPath();
                 JdkServer.body(ex);
                 switch (p) {
                     case "/a" -> { ex.getResponseHeaders().add("Location", "/b"); ex.sendResponseHeaders(303, -1); ex.close(); }
                     case "/t" -> { ex.getResponseHeaders().add("Location", "/b"); ex.sendResponseHeaders(307, -1); ex.close(); }
                     default -> JdkServer.respond(ex, 200, ex.getRequestMethod() + " " + p);
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/a")).POST(RequestBody.of("x")).build())) {
                assertThat(r.body().string()).isEqualTo("GET /b");
            }
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/t")).POST(RequestBody.of("x")).build())) {
                assertThat(r.body().string()).isEqualTo("POST /b");
            }
        }
    }

    @Test
    void redirectLoopStopsAtTheLimit() throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 ex.getResponseHeaders().add("Location", "/loop");
                 ex.sendResponseHeaders(302, -1);
                 ex.close();
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).maxRedirects(3).build();
            assertThatThrownBy(() -> c.send(HttpRequest.get(server.uri("/loop").toString())))
                    .isInstanceOf(IOException.class).hasMessageContaining("stopped after 3 redirects");
        }
    }

    @Test
    void credentialsAreNotSentToAnotherHost() throws Exception {
        AtomicReference<String> seenByOther = new AtomicReference<>("unset");
        AtomicReference<String> seenBySame = new AtomicReference<>("unset");
        try (JdkServer other = JdkServer.http(ex -> {
                 seenByOther.set(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                 JdkServer.respond(ex, 200, "other");
             });
             JdkServer origin = JdkServer.http(ex -> {
                 if (ex.getRequestURI().getPath().equals("/away")) {
                     ex.getResponseHeaders().add("Location", other.localhostUri("/x").toString());
                     ex.sendResponseHeaders(302, -1);
                     ex.close();
                 } else if (ex.getRequestURI().getPath().equals("/here")) {
                     ex.getResponseHeaders().add("Location", "/same");
                     ex.sendResponseHeaders(302, -1);
                     ex.close();
                 } else {
                     seenBySame.set(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                     JdkServer.respond(ex, 200, "same");
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(origin.uri("/away")).header("Authorization", "Bearer secret").build())) {
                assertThat(r.body().string()).isEqualTo("other");
            }
            assertThat(seenByOther.get()).isEqualTo("null");
            try (HttpResponse r = c.send(HttpRequest.newBuilder(origin.uri("/here")).header("Authorization", "Bearer secret").build())) {
                assertThat(r.body().string()).isEqualTo("same");
            }
            assertThat(seenBySame.get()).isEqualTo("Bearer secret");
        }
    }

    @Test
    void overallTimeoutCoversTheWholeExchange() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (JdkServer server = JdkServer.http(ex -> {
                 try {
                     release.await();
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 JdkServer.respond(ex, 200, "late");
             });
             Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).timeout(Duration.ofMillis(100)).build();
            assertThatThrownBy(() -> c.send(HttpRequest.get(server.uri("/").toString())))
                    .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("client timeout");
            release.countDown();
        }
    }
}
