package io.gochan.http.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JDK's built-in HTTP(S) server on loopback for the transport's normal paths. HTTPS uses a
 * self-signed certificate made for this test run with the running JDK's {@code keytool}
 * (subject alternative names {@code localhost} and {@code 127.0.0.1}); {@link #clientTls()} trusts it.
 */
public final class JdkServer implements AutoCloseable {
    /**
     * At most this many exchanges run at once (more wait their turn): far above what a test keeps in flight, so
     * none waits for a handler that only a queued exchange would release.
     */
    private static final int HANDLER_THREADS = 256;
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final String DEFAULT_SAN = "dns:localhost,ip:127.0.0.1";
    /** Key stores made for this test run, by subject alternative names. */
    private static final java.util.Map<String, KeyStore> KEY_STORES = new java.util.concurrent.ConcurrentHashMap<>();

    private final HttpServer server;
    private final ExecutorService executor;
    private final boolean https;
    private final AtomicInteger connections = new AtomicInteger();

    private JdkServer(HttpServer server, boolean https) {
        this.server = server;
        this.https = https;
        // Platform threads, not virtual ones: the JDK server's exchange streams read and write a blocking channel
        // inside synchronized methods (Request.ReadStream, Request.WriteStream, LeftOverInputStream), which pins a
        // virtual thread's carrier on JDK 21 to 23 for as long as a slow client takes; two such handlers would leave
        // a 2-core machine no carrier for the client goroutines that must read those bodies. Daemon threads that end
        // after a second idle and all end in close(), so a test that closes its server leaves none (LK11).
        ThreadPoolExecutor pool = new ThreadPoolExecutor(HANDLER_THREADS, HANDLER_THREADS, 1, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().name("jdk-server-handler-", 0).daemon().factory());
        pool.allowCoreThreadTimeOut(true);
        this.executor = pool;
        server.setExecutor(executor);
        server.start();
    }

    /** An HTTP server with one handler at "/". */
    public static JdkServer http(HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", handler);
        return new JdkServer(s, false);
    }

    /** An HTTP server on {@code address} (e.g. ::1) with one handler at "/". */
    public static JdkServer httpOn(InetAddress address, HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(address, 0), 0);
        s.createContext("/", handler);
        return new JdkServer(s, false);
    }

    /** An HTTPS server with one handler at "/", using the test run's self-signed certificate. */
    public static JdkServer https(HttpHandler handler) throws Exception {
        return https(handler, DEFAULT_SAN);
    }

    /**
     * An HTTPS server whose self-signed certificate names only {@code dnsName} (for wrong-host-name
     * tests); {@link #clientTlsFor(String)} trusts it.
     */
    public static JdkServer httpsFor(String dnsName, HttpHandler handler) throws Exception {
        return https(handler, "dns:" + dnsName);
    }

    /** An HTTPS server like {@link #https(HttpHandler)} that speaks only the TLS versions {@code protocols}. */
    public static JdkServer httpsOnly(HttpHandler handler, String... protocols) throws Exception {
        return https(handler, DEFAULT_SAN, protocols);
    }

    /**
     * An HTTPS server on {@code address} (e.g. ::1) whose self-signed certificate has the subject alternative names
     * {@code san} (keytool's form, {@code "ip:::1"}); {@link #clientTrustingSan(String)} trusts it.
     */
    public static JdkServer httpsOn(InetAddress address, String san, HttpHandler handler) throws Exception {
        return https(address, handler, san);
    }

    private static JdkServer https(HttpHandler handler, String san, String... protocols) throws Exception {
        return https(InetAddress.getLoopbackAddress(), handler, san, protocols);
    }

    private static JdkServer https(InetAddress address, HttpHandler handler, String san, String... protocols)
            throws Exception {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(address, 0), 0);
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore(san), PASSWORD);
        ctx.init(kmf.getKeyManagers(), null, null);
        s.setHttpsConfigurator(new HttpsConfigurator(ctx) {
            @Override
            public void configure(com.sun.net.httpserver.HttpsParameters params) {
                javax.net.ssl.SSLParameters p = ctx.getDefaultSSLParameters();
                if (protocols.length > 0) {
                    p.setProtocols(protocols);
                }
                params.setSSLParameters(p);
            }
        });
        s.createContext("/", handler);
        return new JdkServer(s, true);
    }

    /** A client TLS context that trusts the test certificate. */
    public static SSLContext clientTls() throws Exception {
        return clientTrusting(DEFAULT_SAN);
    }

    /** A client TLS context that trusts the certificate of {@link #httpsOn(InetAddress, String, HttpHandler)}. */
    public static SSLContext clientTrustingSan(String san) throws Exception {
        return clientTrusting(san);
    }

    /** A client TLS context that trusts the certificate of {@link #httpsFor(String, HttpHandler)}. */
    public static SSLContext clientTlsFor(String dnsName) throws Exception {
        return clientTrusting("dns:" + dnsName);
    }

    /**
     * The server side of TLS over an accepted plain socket (a {@link RawServer} connection), with the test
     * certificate that {@link #clientTls()} trusts, so a raw script can speak TLS and still cut the TCP stream
     * wherever it wants. The TLS socket does not close {@code accepted} when it is closed.
     */
    public static javax.net.ssl.SSLSocket serverTls(java.net.Socket accepted) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore(DEFAULT_SAN), PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(accepted, null, false);
        tls.setUseClientMode(false);
        return tls;
    }

    private static SSLContext clientTrusting(String san) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keyStore(san));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyStore keyStore(String san) throws Exception {
        KeyStore ks = KEY_STORES.get(san);
        if (ks != null) {
            return ks;
        }
        synchronized (JdkServer.class) {
            if (!KEY_STORES.containsKey(san)) {
                KEY_STORES.put(san, makeKeyStore(san));
            }
            return KEY_STORES.get(san);
        }
    }

    private static KeyStore makeKeyStore(String san) throws Exception {
        Path dir = Files.createTempDirectory("gochan-tls");
        Path file = dir.resolve("test.p12");
        String cn = san.substring(san.indexOf(':') + 1).split(",")[0];
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "test", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=" + cn, "-ext", "SAN=" + san,
                "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        KeyStore k = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            k.load(in, PASSWORD);
        }
        Files.delete(file);
        Files.delete(dir);
        return k;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** scheme://127.0.0.1:port + path */
    public URI uri(String path) {
        return URI.create((https ? "https" : "http") + "://127.0.0.1:" + port() + path);
    }

    /** Same as {@link #uri} with host name localhost (for TLS host name checks). */
    public URI localhostUri(String path) {
        return URI.create((https ? "https" : "http") + "://localhost:" + port() + path);
    }

    /** Reads the whole request body of an exchange. */
    public static byte[] body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    /** Sends a complete response with a fixed-length body. */
    public static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    /** Answers with a redirect of {@code status} to {@code location}, with a short fixed-length body ("moved"). */
    public static void redirect(HttpExchange ex, int status, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        respond(ex, status, "moved");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                throw new AssertionError("JDK server threads did not end");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
