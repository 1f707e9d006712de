package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every documented {@code fetch} use end to end, against loopback servers and proxies of the test's
 * own (raw sockets). Each probe asserts what README.md or docs/spec/transport-reach.md promises; a failing probe is a
 * defect or a divergence between the documents and the behaviour.
 */
@NoGoroutineLeaks
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FetchEndToEndTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** fetch as Main runs it, but with {@code env} for the environment (R11's injection point, as CliTest uses it). */
    int fetchWithEnv(Map<String, String> env, String... args) throws Exception {
        out.reset();
        err.reset();
        return Fetch.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env::get);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @AfterEach
    void noGoroutineLeft() {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Goroutines.count() > 0 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(Goroutines.live()).as(Goroutines.dump()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------------------
    // A raw HTTP server: records each request head, answers by a function of it, then waits for the client's EOF so
    // the test can tell whether the run closed every connection it opened.

    /** One request head as received: the request line and the header lines, byte for byte (ISO-8859-1). */
    record Head(String line, List<String> fields) {
        String field(String name) {
            for (String f : fields) {
                int c = f.indexOf(':');
                if (c > 0 && f.substring(0, c).equalsIgnoreCase(name)) {
                    return f.substring(c + 1).strip();
                }
            }
            return null;
        }
    }

    static Head readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int prev = -1;
        for (int b; (b = in.read()) >= 0; prev = b) {
            if (b == '\n' && prev == '\r') {
                byte[] l = line.toByteArray();
                String s = new String(l, 0, l.length - 1, StandardCharsets.ISO_8859_1);
                if (s.isEmpty()) {
                    return new Head(lines.get(0), List.copyOf(lines.subList(1, lines.size())));
                }
                lines.add(s);
                line.reset();
            } else {
                line.write(b);
            }
        }
        return lines.isEmpty() ? null : new Head(lines.get(0), List.copyOf(lines.subList(1, lines.size())));
    }

    static final class RawServer implements AutoCloseable {
        final ServerSocket socket;
        final List<Socket> accepted = new CopyOnWriteArrayList<>();
        final List<Head> heads = new CopyOnWriteArrayList<>();
        final List<CountDownLatch> closedByClient = new CopyOnWriteArrayList<>();
        final Thread acceptor;
        volatile boolean closeAfterAnswer;

        RawServer(InetAddress bind, Function<Head, byte[]> answer) throws IOException {
            socket = new ServerSocket(0, 50, bind);
            acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket s = socket.accept();
                        accepted.add(s);
                        CountDownLatch eof = new CountDownLatch(1);
                        closedByClient.add(eof);
                        Thread.ofVirtual().start(() -> serve(s, answer, eof));
                    }
                } catch (IOException closed) {
                    // the test closed the listening socket
                }
            });
        }

        RawServer(Function<Head, byte[]> answer) throws IOException {
            this(InetAddress.getLoopbackAddress(), answer);
        }

        private void serve(Socket s, Function<Head, byte[]> answer, CountDownLatch eof) {
            try {
                InputStream in = s.getInputStream();
                while (true) {
                    Head h = readHead(in);
                    if (h == null) {
                        eof.countDown();
                        return;
                    }
                    heads.add(h);
                    OutputStream o = s.getOutputStream();
                    o.write(answer.apply(h));
                    o.flush();
                    if (closeAfterAnswer) {
                        s.close();
                        eof.countDown();
                        return;
                    }
                }
            } catch (IOException gone) {
                eof.countDown(); // reset by the client: closed too
            }
        }

        int port() {
            return socket.getLocalPort();
        }

        String url(String path) {
            return "http://127.0.0.1:" + port() + path;
        }

        /** Every connection accepted was closed by the client (EOF or reset) within a generous bound. */
        void assertAllClosedByClient() throws InterruptedException {
            for (CountDownLatch l : closedByClient) {
                assertThat(l.await(10, TimeUnit.SECONDS)).as("a connection the run opened was closed by it").isTrue();
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
            assertThat(acceptor.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    static byte[] ok(String body) {
        return ok(body.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] ok(byte[] body) {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    static byte[] raw(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------------------------------------------------
    // Proxies (README "HTTP client"/Reach, R5-R8, R10, R11, R23)

    /**
     * R11 + R7 + R23: HTTP_PROXY with credentials: the request goes to the proxy in absolute form, byte for byte as the
     * URL was written (percent-escapes kept), with the origin's Host and Proxy-Authorization made of the percent-decoded
     * user info; exit 0, the proxy's body printed; the run closes its connection to the proxy.
     */
    @Test
    void forwardProxyFromEnvironmentWithCredentials() throws Exception {
        try (RawServer proxy = new RawServer(h -> ok("proxied"))) {
            Map<String, String> env = Map.of("HTTP_PROXY", "http://al%40ice:p%3Ass@127.0.0.1:" + proxy.port());
            assertThat(fetchWithEnv(env, "http://origin.test/a%2Fb/%7e?q=%41%2B+x&y=%2f")).as(err()).isZero();
            assertThat(proxy.heads).hasSize(1);
            Head h = proxy.heads.get(0);
            assertThat(h.line()).isEqualTo("GET http://origin.test/a%2Fb/%7e?q=%41%2B+x&y=%2f HTTP/1.1");
            assertThat(h.field("Host")).isEqualTo("origin.test");
            assertThat(h.field("Proxy-Authorization")).isEqualTo(basic("al@ice:p:ss"));
            assertThat(out()).contains("HTTP/1.1 200 OK").contains("proxied");
            assertThat(err()).doesNotContain("p%3Ass").doesNotContain("p:ss");
            proxy.assertAllClosedByClient();
        }
    }

    /**
     * R6 + R11: NO_PROXY excludes a host and its subdomains; the excluded one goes direct (here: a DNS failure, exit
     * 1), the other through the proxy; the proxy never sees the excluded one.
     */
    @Test
    void noProxyExcludesHostButNotOthers() throws Exception {
        try (RawServer proxy = new RawServer(h -> ok("via proxy " + h.line()))) {
            Map<String, String> env = Map.of("http_proxy", "127.0.0.1:" + proxy.port(), "no_proxy", "skip.invalid, other.example");
            int rc = fetchWithEnv(env, "http://sub.skip.invalid/x", "http://kept.invalid/y");
            assertThat(rc).as(err()).isEqualTo(1);
            assertThat(proxy.heads).extracting(Head::line).containsExactly("GET http://kept.invalid/y HTTP/1.1");
            assertThat(out()).contains("via proxy GET http://kept.invalid/y");
            assertThat(err()).contains("fetch http://sub.skip.invalid/x: ").contains("sub.skip.invalid");
            proxy.assertAllClosedByClient();
            // NO_PROXY=* disables every proxy.
            int rc2 = fetchWithEnv(Map.of("HTTP_PROXY", "127.0.0.1:" + proxy.port(), "NO_PROXY", "*"), "http://kept.invalid/z");
            assertThat(rc2).isEqualTo(1);
            assertThat(proxy.heads).hasSize(1);
        }
    }

    /**
     * R11 as the README writes it: the real process environment (not an injected map). A child JVM with HTTP_PROXY
     * in its environment fetches through the proxy; one with the lower-case name too.
     */
    @Test
    void forwardProxyFromTheRealEnvironmentInAChildJvm(@TempDir Path tmp) throws Exception {
        try (RawServer proxy = new RawServer(h -> ok("child via proxy"))) {
            for (String name : List.of("HTTP_PROXY", "http_proxy")) {
                Child c = runChild(tmp, Map.of(name, "http://127.0.0.1:" + proxy.port()), List.of(), "fetch", "http://origin.test/env");
                assertThat(c.rc()).as(name + ": " + c.err()).isZero();
                assertThat(c.outText()).contains("child via proxy");
            }
            assertThat(proxy.heads).extracting(Head::line).containsOnly("GET http://origin.test/env HTTP/1.1").hasSize(2);
        }
    }

    /**
     * R7: a plain http request through an HTTP proxy that answers 407 gets that answer as its response: as curl
     * without -f, an error status is a response (R49): exit 0, the status line printed.
     */
    @Test
    void forwardProxy407IsTheResponse() throws Exception {
        try (RawServer proxy = new RawServer(h -> raw("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 4\r\n\r\nauth"))) {
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", "127.0.0.1:" + proxy.port()), "http://origin.test/")).as(err()).isZero();
            assertThat(out()).startsWith("HTTP/1.1 407 Proxy Authentication Required\n").contains("auth");
            proxy.assertAllClosedByClient();
        }
    }

    /**
     * R8 + R10 + R23: https through HTTPS_PROXY sends CONNECT host:443 with the proxy's credentials; a refusal (407,
     * 502) fails the fetch: exit 1, a message naming the proxy and its answer, never its password, no stack trace; the
     * connection to the proxy is closed.
     */
    @Test
    void connectProxyRefusalIsAClearFailure() throws Exception {
        for (String answer : List.of("407 Proxy Authentication Required", "502 Bad Gateway")) {
            try (RawServer proxy = new RawServer(h -> raw("HTTP/1.1 " + answer + "\r\nContent-Length: 0\r\n\r\n"))) {
                Map<String, String> env = Map.of("HTTPS_PROXY", "http://bob:s3cret@127.0.0.1:" + proxy.port());
                int rc = fetchWithEnv(env, "https://origin.test/secure");
                assertThat(rc).as(err()).isEqualTo(1);
                assertThat(proxy.heads).hasSize(1);
                Head h = proxy.heads.get(0);
                assertThat(h.line()).isEqualTo("CONNECT origin.test:443 HTTP/1.1");
                assertThat(h.field("Host")).isEqualTo("origin.test:443");
                assertThat(h.field("Proxy-Authorization")).isEqualTo(basic("bob:s3cret"));
                assertThat(err()).contains("fetch https://origin.test/secure: ")
                        .contains("127.0.0.1:" + proxy.port()).contains(answer.substring(0, 3))
                        .doesNotContain("s3cret").doesNotContain("\tat ");
                proxy.assertAllClosedByClient();
            }
        }
    }

    /** R5/R30 via the README ("a setting naming no usable proxy fails the requests it would serve"): exit 1, clear. */
    @Test
    void unusableProxySettingFailsTheFetchInsteadOfGoingDirect() throws Exception {
        int rc = fetchWithEnv(Map.of("HTTP_PROXY", "http://:3128"), "http://kept.invalid/");
        assertThat(rc).isEqualTo(1);
        assertThat(err()).contains("fetch http://kept.invalid/: ").containsIgnoringCase("proxy").doesNotContain("\tat ");
    }

    /**
     * R8 end to end: https through a CONNECT tunnel proxy (raw ServerSocket) to a TLS origin on loopback whose
     * certificate names origin.test, in a child JVM that trusts it; HTTPS_PROXY from the real environment. The
     * origin gets an origin-form request, its own Host and no Proxy-Authorization (R23).
     */
    @Test
    void connectTunnelEndToEndInAChildJvm(@TempDir Path tmp) throws Exception {
        Path keys = tmp.resolve("origin.p12");
        Path trust = tmp.resolve("trust.p12");
        Path pem = tmp.resolve("origin.pem");
        keytool("-genkeypair", "-alias", "origin", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=origin.test",
                "-ext", "SAN=dns:origin.test,ip:127.0.0.1", "-validity", "2", "-keystore", keys.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "origin", "-file", pem.toString(), "-keystore", keys.toString(),
                "-storepass", "changeit");
        keytool("-importcert", "-noprompt", "-alias", "origin", "-file", pem.toString(), "-keystore", trust.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        List<Head> originHeads = new CopyOnWriteArrayList<>();
        List<Head> proxyHeads = new CopyOnWriteArrayList<>();
        try (SSLServerSocket origin = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread o = Thread.ofVirtual().start(() -> {
                try (Socket s = origin.accept()) {
                    Head h = readHead(s.getInputStream());
                    originHeads.add(h);
                    s.getOutputStream().write(raw("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntunnelled"));
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    originHeads.add(new Head("origin failed: " + e, List.of()));
                }
            });
            Thread p = Thread.ofVirtual().start(() -> {
                try (Socket c = proxy.accept(); Socket up = new Socket(InetAddress.getLoopbackAddress(), origin.getLocalPort())) {
                    Head h = readHead(c.getInputStream());
                    proxyHeads.add(h);
                    c.getOutputStream().write(raw("HTTP/1.1 200 Connection established\r\n\r\n"));
                    c.getOutputStream().flush();
                    Thread back = Thread.ofVirtual().start(() -> {
                        try {
                            up.getInputStream().transferTo(c.getOutputStream());
                            c.shutdownOutput();
                        } catch (IOException ignored) {
                            // either side went away
                        }
                    });
                    try {
                        c.getInputStream().transferTo(up.getOutputStream());
                        up.shutdownOutput();
                    } catch (IOException ignored) {
                        // either side went away
                    }
                    back.join(Duration.ofSeconds(30));
                } catch (IOException | InterruptedException e) {
                    proxyHeads.add(new Head("proxy failed: " + e, List.of()));
                }
            });
            Child c = runChild(tmp, Map.of("HTTPS_PROXY", "http://carol:pw@127.0.0.1:" + proxy.getLocalPort()),
                    List.of("-Djavax.net.ssl.trustStore=" + trust, "-Djavax.net.ssl.trustStorePassword=changeit",
                            "-Djavax.net.ssl.trustStoreType=PKCS12"),
                    "fetch", "-i", "https://origin.test/tls?x=%41");
            assertThat(c.rc()).as(c.err()).isZero();
            assertThat(c.outText()).contains("HTTP/1.1 200 OK").contains("tunnelled");
            assertThat(o.join(Duration.ofSeconds(20))).isTrue();
            assertThat(p.join(Duration.ofSeconds(20))).isTrue();
            assertThat(proxyHeads).hasSize(1);
            assertThat(proxyHeads.get(0).line()).isEqualTo("CONNECT origin.test:443 HTTP/1.1");
            assertThat(proxyHeads.get(0).field("Proxy-Authorization")).isEqualTo(basic("carol:pw"));
            assertThat(originHeads).hasSize(1);
            assertThat(originHeads.get(0).line()).isEqualTo("GET /tls?x=%41 HTTP/1.1");
            assertThat(originHeads.get(0).field("Host")).isEqualTo("origin.test");
            assertThat(originHeads.get(0).field("Proxy-Authorization")).isNull();
            // The same origin direct (no proxy), for the timing comparison.
            Thread o2 = Thread.ofVirtual().start(() -> {
                try (Socket s = origin.accept()) {
                    readHead(s.getInputStream());
                    s.getOutputStream().write(raw("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndirect"));
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    // reported by the child's failure
                }
            });
            Child d = runChild(tmp, Map.of(), List.of("-Djavax.net.ssl.trustStore=" + trust, "-Djavax.net.ssl.trustStorePassword=changeit",
                    "-Djavax.net.ssl.trustStoreType=PKCS12"), "fetch", "https://127.0.0.1:" + origin.getLocalPort() + "/direct");
            assertThat(d.rc()).as(d.err()).isZero();
            assertThat(o2.join(Duration.ofSeconds(20))).isTrue();
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
    }

    /**
     * R9 + R11: a socks5:// (and socks5h://) proxy from HTTP_PROXY carries plain http: the origin's name goes to the
     * proxy to resolve (type 3), RFC 1929 credentials from the user info; the request inside is origin-form.
     */
    @Test
    void socks5ProxyFromEnvironment() throws Exception {
        for (String scheme : List.of("socks5", "socks5h")) {
            List<String> seen = new CopyOnWriteArrayList<>();
            try (ServerSocket socks = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Thread t = Thread.ofVirtual().start(() -> {
                    try (Socket c = socks.accept()) {
                        java.io.DataInputStream in = new java.io.DataInputStream(c.getInputStream());
                        OutputStream o = c.getOutputStream();
                        int ver = in.readUnsignedByte();
                        byte[] methods = new byte[in.readUnsignedByte()];
                        in.readFully(methods);
                        seen.add("greeting " + ver + " methods " + java.util.Arrays.toString(methods));
                        o.write(new byte[] {5, 2});
                        in.readUnsignedByte();
                        byte[] user = new byte[in.readUnsignedByte()];
                        in.readFully(user);
                        byte[] pass = new byte[in.readUnsignedByte()];
                        in.readFully(pass);
                        seen.add("auth " + new String(user, StandardCharsets.UTF_8) + ":" + new String(pass, StandardCharsets.UTF_8));
                        o.write(new byte[] {1, 0});
                        in.readUnsignedByte();
                        int cmd = in.readUnsignedByte();
                        in.readUnsignedByte();
                        int atyp = in.readUnsignedByte();
                        String host;
                        if (atyp == 3) {
                            byte[] h = new byte[in.readUnsignedByte()];
                            in.readFully(h);
                            host = new String(h, StandardCharsets.US_ASCII);
                        } else {
                            byte[] a = new byte[atyp == 1 ? 4 : 16];
                            in.readFully(a);
                            host = InetAddress.getByAddress(a).getHostAddress();
                        }
                        int port = in.readUnsignedShort();
                        seen.add("connect " + cmd + " " + atyp + " " + host + ":" + port);
                        o.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 80});
                        Head h = readHead(in);
                        seen.add(h.line() + " / Host: " + h.field("Host"));
                        o.write(raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nsocks"));
                        o.flush();
                    } catch (IOException e) {
                        seen.add("failed " + e);
                    }
                });
                int rc = fetchWithEnv(Map.of("HTTP_PROXY", scheme + "://sam:pa%24s@127.0.0.1:" + socks.getLocalPort()),
                        "http://origin.test:8080/s?q=%41");
                assertThat(t.join(Duration.ofSeconds(20))).isTrue();
                assertThat(rc).as(scheme + ": " + err() + seen).isZero();
                assertThat(out()).contains("socks");
                assertThat(seen).as(scheme).containsSubsequence("auth sam:pa$s", "connect 1 3 origin.test:8080",
                        "GET /s?q=%41 HTTP/1.1 / Host: origin.test:8080");
            }
        }
    }

    /** The proxy named by HTTP_PROXY refuses connections: exit 1, the message names the proxy (not the origin alone). */
    @Test
    void proxyRefusingConnectionsNamesTheProxy() throws Exception {
        int port;
        try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = tmp.getLocalPort();
        }
        assertThat(fetchWithEnv(Map.of("HTTP_PROXY", "http://127.0.0.1:" + port), "http://origin.test/")).isEqualTo(1);
        assertThat(err()).contains("fetch http://origin.test/: ").contains("127.0.0.1:" + port).doesNotContain("\tat ");
        assertThat(fetchWithEnv(Map.of("HTTPS_PROXY", "http://127.0.0.1:" + port), "https://origin.test/")).isEqualTo(1);
        assertThat(err()).contains("fetch https://origin.test/: ").contains("127.0.0.1:" + port).doesNotContain("\tat ");
    }

    /** R10: a CONNECT proxy that never answers: with --timeout, exit 1 "timed out", its connection closed. */
    @Test
    void connectProxyThatNeverAnswersTimesOut() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer proxy = new RawServer(h -> {
            try {
                never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new byte[0];
        })) {
            long t0 = System.nanoTime();
            assertThat(fetchWithEnv(Map.of("HTTPS_PROXY", "127.0.0.1:" + proxy.port()), "--timeout", "700ms", "https://origin.test/"))
                    .isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            assertThat(err()).containsIgnoringCase("timed out").doesNotContain("\tat ");
            never.countDown();
        }
    }

    /** R10: a CONNECT proxy that says 200 then closes: exit 1, a message, no trace. */
    @Test
    void connectProxyThatClosesAfter200() throws Exception {
        try (RawServer proxy = new RawServer(h -> raw("HTTP/1.1 200 OK\r\n\r\n"))) {
            proxy.closeAfterAnswer = true;
            assertThat(fetchWithEnv(Map.of("HTTPS_PROXY", "127.0.0.1:" + proxy.port()), "--timeout", "5s", "https://origin.test/x"))
                    .isEqualTo(1);
            assertThat(err()).contains("fetch https://origin.test/x: ").doesNotContain("\tat ");
        }
    }

    /** R24 in a real process: with REQUEST_METHOD set (CGI), HTTP_PROXY is refused: the request fails, exit 1. */
    @Test
    void cgiEnvironmentRefusesHttpProxy(@TempDir Path tmp) throws Exception {
        try (RawServer proxy = new RawServer(h -> ok("WRONG"))) {
            Child c = runChild(tmp, Map.of("HTTP_PROXY", "127.0.0.1:" + proxy.port(), "REQUEST_METHOD", "GET"), List.of(),
                    "fetch", "http://origin.test/cgi");
            assertThat(c.rc()).as(c.err()).isEqualTo(1);
            assertThat(c.err()).contains("fetch http://origin.test/cgi: ").doesNotContain("\tat ");
            assertThat(proxy.heads).isEmpty();
        }
    }

    /** A proxy at an IPv6 literal ([::1]:port) from HTTP_PROXY. */
    @Test
    void ipv6LiteralProxy() throws Exception {
        try (RawServer proxy = new RawServer(InetAddress.getByName("::1"), h -> ok("v6 proxy"))) {
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", "http://[::1]:" + proxy.port()), "http://origin.test/p")).as(err()).isZero();
            assertThat(proxy.heads.get(0).line()).isEqualTo("GET http://origin.test/p HTTP/1.1");
        }
    }

    /** Go's rule: HTTPS_PROXY, not HTTP_PROXY, serves https; upper case before lower case. */
    @Test
    void proxyVariablePrecedence() throws Exception {
        try (RawServer upper = new RawServer(h -> raw("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
             RawServer lower = new RawServer(h -> raw("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"))) {
            Map<String, String> env = Map.of("HTTPS_PROXY", "127.0.0.1:" + upper.port(), "https_proxy", "127.0.0.1:" + lower.port());
            assertThat(fetchWithEnv(env, "https://origin.test/")).isEqualTo(1);
            assertThat(upper.heads).hasSize(1);
            assertThat(lower.heads).isEmpty();
            // HTTP_PROXY alone does not serve https: direct (a DNS failure here), the proxy untouched.
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", "127.0.0.1:" + upper.port()), "https://origin.invalid/")).isEqualTo(1);
            assertThat(upper.heads).hasSize(1);
        }
    }

    /**
     * R5 + R6 (line "localhost in any case never uses a proxy"; NO_PROXY case-insensitive, with a port that port only).
     */
    @Test
    void noProxyCaseAndPortAndLocalhostInAnyCase() throws Exception {
        try (RawServer proxy = new RawServer(h -> ok("via proxy " + h.line()));
             RawServer origin = new RawServer(h -> ok("direct " + h.line()))) {
            Map<String, String> env = Map.of("HTTP_PROXY", "127.0.0.1:" + proxy.port(), "NO_PROXY", "Origin.TEST:8080");
            // Excluded: ORIGIN.test:8080 (case-insensitive), so direct: a DNS failure, the proxy untouched.
            assertThat(fetchWithEnv(env, "http://ORIGIN.test:8080/x")).isEqualTo(1);
            assertThat(proxy.heads).isEmpty();
            // Not excluded: another port.
            assertThat(fetchWithEnv(env, "http://origin.test/y")).as(err()).isZero();
            assertThat(proxy.heads).extracting(Head::line).containsExactly("GET http://origin.test/y HTTP/1.1");
            // localhost in any case is never proxied: reaches the origin directly.
            assertThat(fetchWithEnv(env, "http://LocalHost:" + origin.port() + "/z")).as(err()).isZero();
            assertThat(out()).contains("direct GET /z HTTP/1.1");
            assertThat(fetchWithEnv(env, "http://[::1]:1/")).isEqualTo(1);
            assertThat(proxy.heads).hasSize(1);
        }
    }

    /** No platform thread started by a run outlives it (the JVM-wide gochan singletons excused, as leak-check does). */
    @Test
    void noPlatformThreadLeftAfterRuns(@TempDir Path tmp) throws Exception {
        java.util.Set<Thread> before = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
        try (RawServer s = new RawServer(h -> ok("t"))) {
            assertThat(run("fetch", s.url("/1"), s.url("/2"))).isZero();
            assertThat(run("fetch", "-o", tmp.resolve("f").toString(), s.url("/3"))).isZero();
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", "127.0.0.1:" + s.port()), "http://origin.test/4")).isZero();
            assertThat(run("fetch", "--timeout", "2s", "http://no-such.invalid/")).isEqualTo(1);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                    .filter(t -> !t.getName().startsWith("gochan-timer") && !t.getName().equals("gochan-unix-poller")
                            && !t.getName().equals("gochan-body-cleaner") && !t.getName().equals("gochan-unobserved-failures"))
                    .filter(t -> !t.getName().startsWith("process reaper") && !t.getName().startsWith("ForkJoinPool")
                            && !t.getName().startsWith("Common-Cleaner") && !t.getName().startsWith("VirtualThread-unparker")
                            && !t.getName().startsWith("surefire") && !t.getName().startsWith("junit"))
                    .map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : "") + " " + t.getState()).toList();
            if (!left.isEmpty()) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
            }
        } while (!left.isEmpty() && System.nanoTime() < deadline);
        assertThat(left).isEmpty();
    }

    /**
     * The README's main-job command, {@code mvn -B -q -Prun -DskipTests package}, "fresh machine: java on PATH may be
     * 17; the build finds a JDK 21+ itself". With Maven itself on JDK 21+ (JAVA_HOME), select-jdk-toolchain sets no
     * toolchain, so exec-maven-plugin's bare {@code java} is looked up on PATH, which may be 17: the run then dies with
     * UnsupportedClassVersionError. The parent pom already works around this for {@code jar} and {@code javadoc}
     * (profile jar-tool-of-running-jdk); the run profile's executable must be resolved the same way.
     */
    @Test
    void runProfileUsesTheRunningJdksJavaWhenMavenRunsOn21OrNewer() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("README.md"))) {
            root = root.getParent();
        }
        assertThat(root).isNotNull();
        String cliPom = Files.readString(root.resolve("cli/pom.xml"));
        String parentPom = Files.readString(root.resolve("pom.xml"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<executable>([^<]*)</executable>").matcher(cliPom);
        assertThat(m.find()).isTrue();
        String exe = m.group(1).strip();
        assertThat(exe).as("the run profile's executable").startsWith("${").endsWith("}");
        String property = exe.substring(2, exe.length() - 1);
        int profile = parentPom.indexOf("<id>jar-tool-of-running-jdk</id>");
        assertThat(profile).isPositive();
        String profileText = parentPom.substring(profile, parentPom.indexOf("</profile>", profile));
        assertThat(profileText).contains("<" + property + ">${java.home}/bin/java</" + property + ">");
        assertThat(parentPom).contains("<" + property + ">java</" + property + ">"); // the toolchain's otherwise
    }

    /** Go's getEnvAny: an empty HTTP_PROXY is unset, so http_proxy serves; an empty value alone means direct. */
    @Test
    void emptyUpperCaseVariableFallsBackToLowerCase() throws Exception {
        try (RawServer proxy = new RawServer(h -> ok("lower"))) {
            Map<String, String> env = Map.of("HTTP_PROXY", "", "http_proxy", "127.0.0.1:" + proxy.port());
            assertThat(fetchWithEnv(env, "http://origin.test/e")).as(err()).isZero();
            assertThat(proxy.heads).hasSize(1);
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", ""), "http://origin.invalid/e")).isEqualTo(1);
            assertThat(err()).contains("origin.invalid").doesNotContainIgnoringCase("proxy");
        }
    }

    /** R10/R62: a proxy's password is never printed, whatever fails: refused connection, SOCKS5 auth refused. */
    @Test
    void proxyPasswordNeverPrinted() throws Exception {
        int port;
        try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = tmp.getLocalPort();
        }
        for (String proxy : List.of("http://u:Zecret42@127.0.0.1:" + port, "socks5://u:Zecret42@127.0.0.1:" + port)) {
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", proxy, "HTTPS_PROXY", proxy), "http://origin.test/", "https://origin.test/"))
                    .isEqualTo(1);
            assertThat(out() + err()).doesNotContain("Zecret42").contains("127.0.0.1:" + port);
        }
        try (ServerSocket socks = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofVirtual().start(() -> {
                try (Socket c = socks.accept()) {
                    java.io.DataInputStream in = new java.io.DataInputStream(c.getInputStream());
                    in.readUnsignedByte();
                    in.readFully(new byte[in.readUnsignedByte()]);
                    c.getOutputStream().write(new byte[] {5, 2});
                    in.readUnsignedByte();
                    in.readFully(new byte[in.readUnsignedByte()]);
                    in.readFully(new byte[in.readUnsignedByte()]);
                    c.getOutputStream().write(new byte[] {1, 1}); // refused
                    c.getOutputStream().flush();
                    in.read();
                } catch (IOException e) {
                    // gone
                }
            });
            assertThat(fetchWithEnv(Map.of("HTTP_PROXY", "socks5://u:Zecret42@127.0.0.1:" + socks.getLocalPort()), "http://origin.test/"))
                    .isEqualTo(1);
            assertThat(err()).doesNotContain("Zecret42").contains("127.0.0.1:" + socks.getLocalPort()).doesNotContain("\tat ");
            assertThat(t.join(Duration.ofSeconds(20))).isTrue();
        }
    }

    /**
     * R20/R90: an IPv6 literal with a zone, written as RFC 6874 asks ({@code %25}), is dialled in that zone; when the
     * dial cannot be made, the failure names the host it was for, as every other failure line does (a refused connection
     * names "[::1]:port", a DNS failure the name). Here: "java.net.UnknownHostException: no scope_id found", no host.
     */
    @Test
    void zonedIpv6LiteralFailureNamesTheHost() throws Exception {
        assertThat(run("fetch", "--timeout", "5s", "http://[fe80::1%25lo]:1/")).isEqualTo(1);
        assertThat(err()).contains("fetch http://[fe80::1%25lo]:1/: ").contains("fe80::1");
        String line = err().lines().findFirst().orElseThrow();
        assertThat(line.substring(line.indexOf(": ") + 2)).as(line).contains("fe80::1");
    }

    /**
     * A URL's user info never reaches a proxy as user info: the absolute-form target is scheme://host/path (Go writes the
     * host alone), the CONNECT line host:port and no field of the CONNECT carries the URL's credentials. A plain-http
     * request through a forward proxy carries them as its Authorization field (R134), as curl's and Go's do: the proxy
     * is that request's hop; over a tunnel they go to the origin only.
     */
    @Test
    void urlUserInfoNeverSentToTheProxy() throws Exception {
        try (RawServer proxy = new RawServer(h -> h.line().startsWith("CONNECT")
                ? raw("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n") : ok("p"))) {
            Map<String, String> env = Map.of("HTTP_PROXY", "127.0.0.1:" + proxy.port(), "HTTPS_PROXY", "127.0.0.1:" + proxy.port());
            fetchWithEnv(env, "http://alice:Pw0rd9@origin.test/x", "https://alice:Pw0rd9@origin.test/y");
            assertThat(proxy.heads).extracting(Head::line)
                    .containsExactlyInAnyOrder("GET http://origin.test/x HTTP/1.1", "CONNECT origin.test:443 HTTP/1.1");
            for (Head h : proxy.heads) {
                assertThat(h.line()).doesNotContain("Pw0rd9").doesNotContain("alice");
                assertThat(String.join("\n", h.fields())).doesNotContain("Pw0rd9");
                if (h.line().startsWith("CONNECT")) {
                    assertThat(String.join("\n", h.fields()))
                            .doesNotContain(Base64.getEncoder().encodeToString("alice:Pw0rd9".getBytes(StandardCharsets.UTF_8)));
                } else {
                    assertThat(h.field("Authorization")).isEqualTo(basic("alice:Pw0rd9"));
                }
            }
            assertThat(out() + err()).doesNotContain("Pw0rd9");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Unix sockets (R4, R11)

    /**
     * R11: --unix-socket sends every request over the socket, without a proxy even when HTTP_PROXY is set; the URL's
     * host makes the Host header; the run closes the connection.
     */
    @Test
    void unixSocketIgnoresTheProxyAndSendsTheUrlsHost(@TempDir Path tmp) throws Exception {
        Path sock = tmp.resolve("api.sock");
        List<Head> heads = new CopyOnWriteArrayList<>();
        CountDownLatch eof = new CountDownLatch(1);
        try (RawServer proxy = new RawServer(h -> ok("WRONG: via proxy"));
             java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock));
            Thread t = Thread.ofVirtual().start(() -> {
                try (java.nio.channels.SocketChannel c = server.accept()) {
                    InputStream in = java.nio.channels.Channels.newInputStream(c);
                    Head h = readHead(in);
                    heads.add(h);
                    OutputStream w = java.nio.channels.Channels.newOutputStream(c);
                    w.write(ok("over unix"));
                    w.flush();
                    if (readHead(in) == null) {
                        eof.countDown();
                    }
                } catch (IOException e) {
                    eof.countDown();
                }
            });
            int rc = fetchWithEnv(Map.of("HTTP_PROXY", "127.0.0.1:" + proxy.port()), "--unix-socket", sock.toString(),
                    "http://Docker.Local:2375/v1.43/containers/json?all=1&filters=%7B%7D");
            assertThat(rc).as(err()).isZero();
            assertThat(out()).contains("over unix");
            assertThat(proxy.heads).isEmpty();
            assertThat(heads).hasSize(1);
            assertThat(heads.get(0).line()).isEqualTo("GET /v1.43/containers/json?all=1&filters=%7B%7D HTTP/1.1");
            assertThat(heads.get(0).field("Host")).isEqualToIgnoringCase("docker.local:2375");
            assertThat(eof.await(10, TimeUnit.SECONDS)).as("the run closed its Unix connection").isTrue();
            assertThat(t.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    /** R4: nothing listening at the path: exit 1, a message naming the path, no stack trace. */
    @Test
    void unixSocketMissingPathIsAClearFailure(@TempDir Path tmp) throws Exception {
        Path sock = tmp.resolve("nobody.sock");
        assertThat(run("fetch", "--unix-socket", sock.toString(), "http://docker/version")).isEqualTo(1);
        assertThat(err()).contains("fetch http://docker/version: ").contains(sock.toString()).doesNotContain("\tat ");
    }

    // ------------------------------------------------------------------------------------------------------------
    // Addresses and request lines

    /** An IPv6 literal URL: reached over ::1, Host "[::1]:port", exit 0. */
    @Test
    void ipv6LiteralUrl() throws Exception {
        try (RawServer s = new RawServer(InetAddress.getByName("::1"), h -> ok("v6"))) {
            assertThat(run("fetch", "http://[::1]:" + s.port() + "/six?x=1")).as(err()).isZero();
            assertThat(out()).contains("v6");
            assertThat(s.heads.get(0).line()).isEqualTo("GET /six?x=1 HTTP/1.1");
            assertThat(s.heads.get(0).field("Host")).isEqualTo("[::1]:" + s.port());
            s.assertAllClosedByClient();
        }
    }

    /**
     * A scheme and host in upper case reach the server (names are case-insensitive; Go and curl accept them); the path's
     * case is kept.
     */
    @Test
    void upperCaseSchemeAndHost() throws Exception {
        try (RawServer s = new RawServer(h -> ok("upper"))) {
            assertThat(run("fetch", "HTTP://LOCALHOST:" + s.port() + "/MiXeD")).as(err()).isZero();
            assertThat(out()).contains("upper");
            assertThat(s.heads.get(0).line()).isEqualTo("GET /MiXeD HTTP/1.1");
            assertThat(s.heads.get(0).field("Host")).isEqualToIgnoringCase("localhost:" + s.port());
        }
    }

    /**
     * A URL with user info: never on the request line nor in Host, and never printed with its password (R62) in the
     * "==>" lines of several URLs.
     */
    @Test
    void urlWithUserInfo() throws Exception {
        try (RawServer s = new RawServer(h -> ok("ui"))) {
            String u = "http://alice:pw0rd@127.0.0.1:" + s.port() + "/ui";
            assertThat(run("fetch", u, u + "2")).as(err()).isZero();
            assertThat(s.heads).extracting(Head::line).containsExactlyInAnyOrder("GET /ui HTTP/1.1", "GET /ui2 HTTP/1.1");
            assertThat(s.heads.get(0).field("Host")).isEqualTo("127.0.0.1:" + s.port());
            assertThat(out() + err()).doesNotContain("pw0rd").contains("==> http://alice:xxxxx@127.0.0.1:");
        }
    }

    /**
     * R134: fetch sends a URL's user info as Authorization: Basic of the percent-decoded user and password, as curl
     * and Go's http.Get do (R17 for this library's HttpClient). Before, fetch used Transport.roundTrip alone, which
     * sends nothing: the credentials in the URL were dropped without a word.
     */
    @Test
    void urlUserInfoIsSentAsBasicAuthAsCurlAndGoClientsDo() throws Exception {
        try (RawServer s = new RawServer(h -> ok("ui"))) {
            assertThat(run("fetch", "http://alice:pw0rd@127.0.0.1:" + s.port() + "/ui")).as(err()).isZero();
            assertThat(s.heads.get(0).field("Authorization")).isEqualTo(basic("alice:pw0rd"));
            // Percent-decoded, a colon in the password kept; a user alone has an empty password (Go's url.User).
            assertThat(run("fetch", "http://al%40ice:p%3Aw%20%E2%82%AC@127.0.0.1:" + s.port() + "/ui")).as(err()).isZero();
            assertThat(s.heads.get(1).field("Authorization")).isEqualTo(basic("al@ice:p:w \u20ac"));
            assertThat(run("fetch", "http://bob@127.0.0.1:" + s.port() + "/ui")).as(err()).isZero();
            assertThat(s.heads.get(2).field("Authorization")).isEqualTo(basic("bob:"));
            // A colon in the user cannot be sent (RFC 7617): refused before any request, naming no credential.
            assertThat(run("fetch", "http://a%3Ab:secret@127.0.0.1:" + s.port() + "/ui")).isEqualTo(1);
            assertThat(err()).contains("basic auth").doesNotContain("secret");
            assertThat(s.heads).hasSize(3);
        }
    }

    /** Percent-escapes in path and query (any case, reserved ones, %00) go on the request line byte for byte. */
    @Test
    void percentEncodedPathAndQueryKeptByteForByte() throws Exception {
        try (RawServer s = new RawServer(h -> ok("pct"))) {
            String target = "/a%2Fb/%7e%E2%82%AC/c%20d;p=%3B/%00?q=%41%2B+x&y=%2f&z=%26%3D#frag";
            assertThat(run("fetch", "http://127.0.0.1:" + s.port() + target)).as(err()).isZero();
            assertThat(s.heads.get(0).line()).isEqualTo("GET " + target.substring(0, target.indexOf('#')) + " HTTP/1.1");
        }
    }

    /** R49: a redirect is printed, not followed (as curl without -L): exit 0, one request. */
    @Test
    void redirectIsPrintedNotFollowed() throws Exception {
        try (RawServer s = new RawServer(h -> raw("HTTP/1.1 302 Found\r\nLocation: /next\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n"))) {
            assertThat(run("fetch", "-i", s.url("/start"))).as(err()).isZero();
            assertThat(out()).startsWith("HTTP/1.1 302 Found\n").contains("Location: /next");
            assertThat(s.heads).hasSize(1);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Bodies

    static byte[] allBytes(int repeat) {
        byte[] b = new byte[256 * repeat];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 7 + i / 256);
        }
        return b;
    }

    /** R101: -o - writes a binary body to stdout byte for byte; the head goes to stderr. -o FILE likewise. */
    @Test
    void binaryBodyByteForByteToStdoutAndFile(@TempDir Path tmp) throws Exception {
        byte[] body = allBytes(1000);
        try (RawServer s = new RawServer(h -> ok(body))) {
            assertThat(run("fetch", "-o", "-", s.url("/bin"))).as(err()).isZero();
            assertThat(out.toByteArray()).isEqualTo(body);
            assertThat(err()).startsWith("HTTP/1.1 200 OK\n");
            Path f = tmp.resolve("b.bin");
            assertThat(run("fetch", "-o", f.toString(), s.url("/bin"))).as(err()).isZero();
            assertThat(Files.readAllBytes(f)).isEqualTo(body);
            // Two URLs: each body printed whole after its ==> line (R53).
            assertThat(run("fetch", s.url("/1"), s.url("/2"))).as(err()).isZero();
            byte[] all = out.toByteArray();
            assertThat(indexOf(all, body)).isPositive();
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * R101 in a real process: the binary body through the JVM's own System.out (a child JVM whose stdout is a file),
     * byte for byte.
     */
    @Test
    void binaryBodyByteForByteThroughARealStdout(@TempDir Path tmp) throws Exception {
        byte[] body = allBytes(4096);
        try (RawServer s = new RawServer(h -> ok(body))) {
            Child c = runChild(tmp, Map.of(), List.of(), "fetch", "-o", "-", s.url("/bin"));
            assertThat(c.rc()).as(c.err()).isZero();
            assertThat(c.out()).isEqualTo(body);
        }
    }

    /**
     * R53/R101/R49 in a real process with a small heap: a body of 8x the heap streamed to stdout, to -o FILE, and two of
     * them spooled; none held in memory.
     */
    @Test
    void largeBodiesAreStreamedNotHeld(@TempDir Path tmp) throws Exception {
        long size = 256L << 20;
        byte[] chunk = new byte[64 << 10];
        java.util.Arrays.fill(chunk, (byte) 'z');
        List<CountDownLatch> done = new CopyOnWriteArrayList<>();
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket sock = ss.accept();
                        Thread.ofVirtual().start(() -> {
                            try (sock) {
                                readHead(sock.getInputStream());
                                OutputStream o = sock.getOutputStream();
                                o.write(raw("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n"));
                                for (long n = 0; n < size; n += chunk.length) {
                                    o.write(chunk);
                                }
                                o.flush();
                                sock.getInputStream().read();
                            } catch (IOException gone) {
                                // client went away
                            }
                        });
                    }
                } catch (IOException closed) {
                    // done
                }
            });
            String url = "http://127.0.0.1:" + ss.getLocalPort() + "/big";
            Child toStdout = runChild(tmp, Map.of(), List.of("-Xmx32m"), ProcessBuilder.Redirect.DISCARD, "fetch", "-o", "-", url);
            assertThat(toStdout.rc()).as(toStdout.err()).isZero();
            assertThat(toStdout.err()).contains("wrote " + size + " bytes to stdout");
            Child plain = runChild(tmp, Map.of(), List.of("-Xmx32m"), ProcessBuilder.Redirect.DISCARD, "fetch", url);
            assertThat(plain.rc()).as(plain.err()).isZero();
            assertThat(plain.err()).contains(size + " bytes of bodies");
            Path f = tmp.resolve("big.bin");
            Child toFile = runChild(tmp, Map.of(), List.of("-Xmx32m"), ProcessBuilder.Redirect.DISCARD, "fetch", "-o", f.toString(), url);
            assertThat(toFile.rc()).as(toFile.err()).isZero();
            assertThat(Files.size(f)).isEqualTo(size);
            Files.delete(f);
            Child spooled = runChild(tmp, Map.of(), List.of("-Xmx32m"), ProcessBuilder.Redirect.DISCARD, "fetch", "--max-spool", "300M", url, url);
            assertThat(spooled.rc()).as(spooled.err()).isZero();
            assertThat(spooled.err()).contains("2 requests (0 failed)");
            ss.close();
            assertThat(acceptor.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Exit codes and messages

    /** R49/R74/R86: each failure's exit code and a one-line message naming what failed, never a stack trace. */
    @Test
    void exitCodesAndMessages() throws Exception {
        assertThat(run("fetch", "notaurl")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: not an http(s) URL: notaurl").doesNotContain("\tat ");
        assertThat(run("fetch", "ftp://example.com/")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: not an http(s) URL: ftp://example.com/");
        assertThat(run("fetch", "http:///nohost")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: not an http(s) URL: http:///nohost");

        int refusedPort;
        try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedPort = tmp.getLocalPort();
        }
        assertThat(run("fetch", "http://127.0.0.1:" + refusedPort + "/")).isEqualTo(1);
        assertThat(err()).contains("127.0.0.1:" + refusedPort).containsIgnoringCase("refused").doesNotContain("\tat ");

        assertThat(run("fetch", "http://no-such-host.invalid/")).isEqualTo(1);
        assertThat(err()).contains("fetch http://no-such-host.invalid/: ").contains("no-such-host.invalid").doesNotContain("\tat ");

        assertThat(run("fetch", "--frobnicate", "http://x/")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: unknown option --frobnicate\nusage:");
        assertThat(run("fetch", "--timeout")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: --timeout needs a duration");
        assertThat(run("fetch", "--parallel-max", "0", "http://x/")).isEqualTo(2);
        assertThat(run("fetch", "--max-spool", "1T", "http://x/")).isEqualTo(2);
        assertThat(run("bogus")).isEqualTo(2);
        assertThat(err()).startsWith("unknown command 'bogus'\nusage:");
    }

    /** E11/R99: a head that never comes within --timeout: exit 1, "timed out", the connection closed. */
    @Test
    void timeoutOnAStalledHead() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer s = new RawServer(h -> {
            try {
                never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new byte[0];
        })) {
            long t0 = System.nanoTime();
            assertThat(run("fetch", "--timeout", "500ms", s.url("/stall"))).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            assertThat(err()).contains("fetch " + s.url("/stall") + ": ").containsIgnoringCase("timed out").doesNotContain("\tat ");
            never.countDown();
        }
    }

    /**
     * The usage lists every option the README documents for fetch, and the README documents every option the usage
     * lists (README "Two commands": -i, -o FILE, -o -, --timeout, --parallel-max, --max-spool).
     */
    @Test
    void usageAndReadmeNameTheSameFetchOptions() throws Exception {
        Path readme = Path.of("").toAbsolutePath();
        while (readme != null && !Files.exists(readme.resolve("README.md"))) {
            readme = readme.getParent();
        }
        assertThat(readme).isNotNull();
        String text = Files.readString(readme.resolve("README.md"));
        int from = text.indexOf("-Dcli.args=\"fetch");
        String cli = text.substring(from, text.indexOf("\n\n", from));
        for (String option : List.of("-i", "-o", "--timeout", "--max-spool", "--parallel-max", "--unix-socket")) {
            assertThat(Main.USAGE).as("usage names " + option).contains(option);
            assertThat(cli).as("README's cli paragraph names " + option).contains(option);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // A child JVM, as FetchTargetTest runs one.

    record Child(int rc, byte[] out, String err) {
        String outText() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    static Child runChild(Path dir, Map<String, String> env, List<String> jvmArgs, String... args) throws Exception {
        return runChild(dir, env, jvmArgs, null, args);
    }

    static Child runChild(Path dir, Map<String, String> env, List<String> jvmArgs, ProcessBuilder.Redirect stdout,
            String... args) throws Exception {
        String mp = System.getProperty("jdk.module.path");
        String path = System.getProperty("java.class.path") + (mp == null ? "" : File.pathSeparator + mp);
        String cp = Stream.of(path.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Xlog:disable", "-Xlog:all=warning:stderr"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", cp, Main.class.getName()));
        cmd.addAll(List.of(args));
        Path o = Files.createTempFile(dir, "child", ".out");
        Path e = Files.createTempFile(dir, "child", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(stdout == null ? ProcessBuilder.Redirect.to(o.toFile()) : stdout)
                .redirectError(ProcessBuilder.Redirect.to(e.toFile()));
        pb.environment().keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).endsWith("_proxy"));
        pb.environment().putAll(new HashMap<>(env));
        Process p = pb.start();
        try {
            assertThat(p.waitFor(100, TimeUnit.SECONDS)).as("the child ended").isTrue();
            return new Child(p.exitValue(), Files.readAllBytes(o), Files.readString(e, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A socket the run leaves open would show as a descriptor of this process; the count is back after runs. */
    @Test
    void noSocketDescriptorLeftAfterRuns() throws Exception {
        try (RawServer s = new RawServer(h -> ok("x"))) {
            run("fetch", s.url("/warm"));
            long before = socketDescriptors();
            for (int i = 0; i < 5; i++) {
                assertThat(run("fetch", s.url("/a"), s.url("/b"), s.url("/c"))).isZero();
            }
            s.assertAllClosedByClient();
            // The server's own accepted sockets count too; close them before comparing.
            for (Socket a : s.accepted) {
                a.close();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long after = socketDescriptors();
            while (after > before - 1 && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L); // polling a count, not ordering threads
                after = socketDescriptors();
            }
            // before counted the warm-up connection's server side (closed now) at most once.
            assertThat(after).as("socket descriptors before %d after %d", before, after).isLessThanOrEqualTo(before);
        }
    }

    private static long socketDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith("socket:");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }
}
