package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The transport's waits with their timeouts at the extremes (E78, I7). */
@NoGoroutineLeaks
class BlockingInventoryProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    static Duration extreme(boolean seconds) {
        return seconds ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofNanos(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void E78_theLongestDialAndIdleTimeoutsServeTheRequest(boolean seconds) throws Exception {
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "hello"));
             Transport t = Transport.builder().dialTimeout(extreme(seconds)).idleConnTimeout(extreme(seconds))
                     .fallbackDelay(extreme(seconds)).build()) {
            for (int i = 0; i < 2; i++) { // the second on the idle connection the reaper kept
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("hello");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void E78_theLongestBodyReadTimeoutWaitsForTheRestOfTheBody(boolean seconds) throws Exception {
        CountDownLatch rest = new CountDownLatch(1);
        try (JdkServer server = JdkServer.http(ex -> {
                 ex.sendResponseHeaders(200, 10);
                 try (OutputStream out = ex.getResponseBody()) {
                     out.write("first".getBytes(StandardCharsets.ISO_8859_1));
                     out.flush();
                     rest.await(30, TimeUnit.SECONDS);
                     out.write("-rest".getBytes(StandardCharsets.ISO_8859_1));
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
             });
             Transport t = Transport.builder().bodyReadTimeout(extreme(seconds)).build();
             HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
            InputStream body = r.body().stream();
            assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
            CompletableFuture<String> tail = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(body.readAllBytes(), StandardCharsets.ISO_8859_1);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            try {
                // A lower bound, not a speed: the read waits through several of its 100 ms slices (before, the
                // first one's end threw ArithmeticException); it may only pass falsely on a stalled machine.
                tail.get(1, TimeUnit.SECONDS);
                throw new AssertionError("the read ended before the rest was sent: " + tail);
            } catch (TimeoutException stillWaiting) {
                // expected
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("the read failed while it waited", e.getCause());
            } finally {
                rest.countDown();
            }
            assertThat(tail.get(30, TimeUnit.SECONDS)).isEqualTo("-rest");
        }
    }
}
