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

    /**
     * R96: the demo draws its progress line only on a terminal: its stderr redirected to a file or a pipe (CI logs,
     * {@code 2> log}) gets no carriage-return lines. Surefire's JVM has no terminal. On JDK 22 to 24, where
     * {@code System.console()} is not null with the streams redirected, this failed before R96 ("\r0/20 requests").
     */
    @Test
    void R96_demoDrawsNoProgressLineWithoutATerminal() throws Exception {
        assertThat(run("demo", "20", "2")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("20 requests (0 failed)");
        assertThat(err.toString(StandardCharsets.UTF_8))
                .as("stderr of a demo without a terminal (System.console() = %s)", System.console())
                .doesNotContain("\r")
                .doesNotContain(" requests");
    }

    /**
     * R96's decision, on every JDK: a console that says it is no terminal ({@code Console.isTerminal()}, JDK 22+,
     * asked by reflection) draws nothing; without the method (JDK 21) a console is a terminal, and no console never is.
     * The stand-in console lets JDK 25, whose {@code System.console()} is null here, run the JDK 22-24 path.
     */
    @Test
    void R96_aConsoleIsATerminalOnlyWhenItSaysSo() throws Exception {
        java.lang.reflect.Method isTerminal = StandInConsole.class.getMethod("isTerminal");
        assertThat(Demo.isTerminal(new StandInConsole(false), isTerminal)).as("JDK 22-24, redirected").isFalse();
        assertThat(Demo.isTerminal(new StandInConsole(true), isTerminal)).as("JDK 22+, on a terminal").isTrue();
        assertThat(Demo.isTerminal(new StandInConsole(false), null)).as("JDK 21: a console is a terminal").isTrue();
        assertThat(Demo.isTerminal(null, isTerminal)).as("no console").isFalse();
        assertThat(Demo.isTerminal(null, null)).isFalse();
        assertThat(Demo.isTerminal(new Object(), isTerminal)).as("a console that cannot be asked").isFalse();
        if (Runtime.version().feature() >= 22) {
            assertThat(Demo.IS_TERMINAL).as("Console.isTerminal() found where it exists").isNotNull();
            assertThat(Demo.IS_TERMINAL.getDeclaringClass()).isEqualTo(java.io.Console.class);
        } else {
            assertThat(Demo.IS_TERMINAL).isNull();
        }
        assertThat(Demo.isTerminal(System.console(), Demo.IS_TERMINAL)).as("Surefire's JVM has no terminal").isFalse();
    }

    /** Answers {@code isTerminal()} as {@code java.io.Console} does from JDK 22. */
    public static final class StandInConsole {
        private final boolean terminal;

        StandInConsole(boolean terminal) {
            this.terminal = terminal;
        }

        public boolean isTerminal() {
            return terminal;
        }
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

    /** R11: fetch honours HTTP_PROXY (absolute-form request to the proxy) and never proxies loopback. */
    @Test
    void R11_fetchHonoursTheProxyEnvironment() throws Exception {
        try (java.net.ServerSocket proxy = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try (java.net.Socket c = proxy.accept()) {
                    java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
                    for (String line; (line = r.readLine()) != null && !line.isEmpty(); ) {
                        lines.add(line);
                    }
                    c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied".getBytes(StandardCharsets.ISO_8859_1));
                } catch (java.io.IOException e) {
                    lines.add("proxy failed: " + e);
                }
            });
            java.util.Map<String, String> env = java.util.Map.of("http_proxy", "127.0.0.1:" + proxy.getLocalPort(), "NO_PROXY", "skip.test");
            PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
            assertThat(Fetch.run(java.util.List.of("http://origin.test/x?y=1"), o, e, env::get)).isZero();
            assertThat(t.join(java.time.Duration.ofSeconds(20))).as("the server thread ended").isTrue();
            assertThat(lines).first().isEqualTo("GET http://origin.test/x?y=1 HTTP/1.1");
            assertThat(lines).contains("Host: origin.test");
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("proxied");
            // Loopback is never proxied: this goes direct and, with nothing listening, fails without touching the proxy.
            assertThat(Fetch.run(java.util.List.of("http://127.0.0.1:1/"), o, e, env::get)).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("127.0.0.1:1");
        }
    }

    /** R11: fetch --unix-socket speaks HTTP over a Unix domain socket (Docker's API style). */
    @Test
    void R11_fetchOverAUnixSocket(@TempDir Path tmp) throws Exception {
        Path sock = tmp.resolve("api.sock");
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock));
            Thread t = Thread.ofVirtual().start(() -> {
                try (java.nio.channels.SocketChannel c = server.accept()) {
                    java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(java.nio.channels.Channels.newInputStream(c), StandardCharsets.ISO_8859_1));
                    String first = r.readLine();
                    while (!r.readLine().isEmpty()) {
                        // skip the headers
                    }
                    byte[] body = ("over unix: " + first).getBytes(StandardCharsets.UTF_8);
                    java.io.OutputStream w = java.nio.channels.Channels.newOutputStream(c);
                    w.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    w.write(body);
                } catch (java.io.IOException e) {
                    // the test fails on the missing output
                }
            });
            assertThat(run("fetch", "--unix-socket", sock.toString(), "http://docker/v1.43/version")).isZero();
            assertThat(t.join(java.time.Duration.ofSeconds(20))).as("the server thread ended").isTrue();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("over unix: GET /v1.43/version HTTP/1.1");
            assertThat(run("fetch", "--unix-socket")).isEqualTo(2);
        }
    }
}
