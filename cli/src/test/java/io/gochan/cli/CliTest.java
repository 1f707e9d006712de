package io.gochan.cli;

import io.gochan.leakcheck.NoGoroutineLeaks;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.gochan.Goroutines;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job: the demo and fetch, end to end on loopback. */
@NoGoroutineLeaks
class CliTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void noGoroutineLeft() {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Goroutines.count() > 0 && System.nanoTime() < deadline) {
            Thread.yield();
        }
        assertThat(Goroutines.live()).as(Goroutines.dump()).isEmpty();
    }

    @Test
    void demoRunsAKeepAliveLoadAndPrintsTheSummary() throws Exception {
        assertThat(run("demo", "200", "4")).isZero();
        String s = out.toString(StandardCharsets.UTF_8);
        assertThat(s).contains("200 requests (0 failed)").contains("connections: ").contains("p50").contains("p99");
        assertThat(s).containsPattern("connections: [1-8] opened");
        assertThat(s).contains("what limits these figures: the server is the JDK's com.sun.net.httpserver on loopback")
                .contains("so they include the server's cost");
    }

    @Test
    void fetchPrintsStatusHeadersBodyAndSummary(@TempDir Path tmp) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] b = ("path=" + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("X-Test", "yes");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThat(run("fetch", "-i", base + "/a", base + "/b")).isZero();
            String s = out.toString(StandardCharsets.UTF_8);
            assertThat(s).contains("==> " + base + "/a <==").contains("HTTP/1.1 200").contains("X-test: yes")
                    .contains("path=/a").contains("path=/b");
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("2 requests (0 failed)");
            Path f = tmp.resolve("body.txt");
            assertThat(run("fetch", "-o", f.toString(), base + "/file")).isZero();
            assertThat(Files.readString(f)).isEqualTo("path=/file");
            assertThat(run("fetch", "http://127.0.0.1:1/unreachable")).isEqualTo(1);
            assertThat(run("fetch")).isEqualTo(2);
            assertThat(run("fetch", "ftp://x/")).isEqualTo(2);
        } finally {
            server.stop(0);
        }
    }

    /** E11: fetch is bounded, body included: a server that accepts and never answers ends in "timed out". */
    @Test
    void E11_fetchTimesOutOnAStalledServer() throws Exception {
        try (java.net.ServerSocket stalled = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            java.util.List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(stalled.accept()); // read nothing, answer nothing
                    }
                } catch (java.io.IOException closed) {
                    // the test closed the listening socket
                }
            });
            String url = "http://127.0.0.1:" + stalled.getLocalPort() + "/stall";
            long t0 = System.nanoTime();
            assertThat(run("fetch", "--timeout", "300ms", url)).isEqualTo(1);
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).as("bounded, not a hang").isLessThan(java.time.Duration.ofSeconds(20));
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("timed out after PT0.3S");
            assertThat(run("fetch", "--timeout", "soon", url)).isEqualTo(2);
            assertThat(run("fetch", "--timeout", "0s", url)).isEqualTo(2);
            stalled.close();
            for (java.net.Socket s : accepted) {
                s.close();
            }
            assertThat(acceptor.join(java.time.Duration.ofSeconds(10))).isTrue();
        }
    }
}
