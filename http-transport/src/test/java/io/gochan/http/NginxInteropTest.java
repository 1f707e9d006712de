package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Interop with nginx, a server that is not Java: keep-alive reuse, chunked (gzip on the fly) and
 * large bodies. Runs only when {@code http-transport/interop/run-nginx.sh} started nginx and passed
 * its address ({@code -Dgochan.interop.nginx}); CI runs that script.
 */
@NoGoroutineLeaks
@EnabledIfSystemProperty(named = "gochan.interop.nginx", matches = "http://.+")
class NginxInteropTest {
    final String base = System.getProperty("gochan.interop.nginx");
    final Path www = Path.of(System.getProperty("gochan.interop.dir", "/nonexistent"));

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void keepAliveReuseSmallAndLargeBodies() throws Exception {
        byte[] big = Files.readAllBytes(www.resolve("plain/big.bin"));
        try (Transport t = Transport.builder().build()) {
            for (int i = 0; i < 20; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(base + "/plain/small.txt"))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("hello from nginx\n");
                }
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.get(base + "/plain/big.bin"))) {
                assertThat(r.headers().get("Content-Length")).isEqualTo(String.valueOf(big.length));
                assertThat(r.body().bytes()).isEqualTo(big);
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(java.net.URI.create(base + "/plain/big.bin")).HEAD().build())) {
                assertThat(r.body().bytes()).isEmpty();
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(21);
        }
    }

    @Test
    void chunkedGzipBodiesAreDecodedAndTheConnectionReused() throws Exception {
        String text = Files.readString(www.resolve("gz/text.txt"));
        try (Transport t = Transport.builder().build()) {
            for (int i = 0; i < 3; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(base + "/gz/text.txt"))) {
                    assertThat(r.body().string()).isEqualTo(text);
                }
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(java.net.URI.create(base + "/gz/text.txt"))
                    .header("Accept-Encoding", "gzip").build())) {
                assertThat(r.headers().get("Transfer-Encoding")).isEqualTo("chunked");
                assertThat(r.headers().get("Content-Encoding")).isEqualTo("gzip");
                assertThat(r.body().bytes().length).isLessThan(text.length());
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
    }

    @Test
    void concurrentRequestsThroughAPoolOfEight() throws Exception {
        try (Transport t = Transport.builder().maxConnsPerHost(8).maxIdleConnsPerHost(8).build()) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int i = 0; i < 32; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int j = 0; j < 25; j++) {
                        try (HttpResponse r = t.roundTrip(HttpRequest.get(base + "/plain/small.txt"))) {
                            r.body().string();
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            for (Thread th : threads) {
                th.join();
            }
            assertThat(errors).isEmpty();
            assertThat(t.stats().dialed()).isLessThanOrEqualTo(8);
        }
    }
}
