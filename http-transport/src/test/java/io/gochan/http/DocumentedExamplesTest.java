package io.gochan.http;

import com.sun.net.httpserver.HttpServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP examples of the README and of {@link Transport}'s javadoc, each copied verbatim between
 * the {@code // example} markers of a test method and run against a server on the address they name
 * (127.0.0.1:8080). {@code ExamplesMatchDocsTest} (module {@code leak-check}) fails if a documented
 * example is not found here word for word. If port 8080 is taken on this machine the examples are
 * skipped (they still compile), rather than rewritten to a port a reader would not type.
 */
@NoGoroutineLeaks
class DocumentedExamplesTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @Test
    void transportJavadoc() throws Exception {
        String printed;
        try (Port8080 server = Port8080.serveHello()) {
            printed = capturingSystemOut(() -> {
                // example: Transport
                try (Transport t = Transport.builder().maxConnsPerHost(8).build();
                     HttpResponse r = t.roundTrip(HttpRequest.get("http://127.0.0.1:8080/"))) {
                    System.out.println(r.status() + " " + r.body().string());
                }
                // end
            });
        }
        assertThat(printed).isEqualTo("200 hello" + System.lineSeparator());
    }

    @Test
    void readmeHttpClient() throws Exception {
        String printed;
        try (Port8080 server = Port8080.serveHello()) {
            printed = capturingSystemOut(() -> {
                // example: README, HTTP client
                try (Transport transport = Transport.builder().maxConnsPerHost(8).responseHeaderTimeout(Duration.ofSeconds(5)).build();
                     HttpResponse resp = transport.roundTrip(HttpRequest.get("http://127.0.0.1:8080/"))) {
                    System.out.println(resp.status() + " " + resp.body().string());   // reading to the end pools the connection
                }
                // end
            });
        }
        assertThat(printed).isEqualTo("200 hello" + System.lineSeparator());
    }

    @Test
    void readmeHttpClientWithCookiesProxyAndStreaming() throws Exception {
        // 127.0.0.1:3128 plays the proxy the example names: a plain-http proxy gets each request in absolute form.
        HttpServer proxy;
        try {
            proxy = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 3128), 0);
        } catch (BindException e) {
            Assumptions.abort("127.0.0.1:3128 is in use on this machine: " + e.getMessage());
            throw e;
        }
        List<String> seen = new CopyOnWriteArrayList<>();
        proxy.createContext("/", exchange -> {
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " cookie="
                    + exchange.getRequestHeaders().getFirst("Cookie"));
            byte[] answer;
            if (exchange.getRequestURI().getPath().equals("/login")) {
                answer = ("welcome " + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Set-Cookie", "session=s1; Path=/");
            } else {
                answer = "exported rows".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(answer);
            }
        });
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        proxy.setExecutor(executor);
        proxy.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String printed;
        try {
            printed = capturingSystemOut(() -> {
                // example: README, HTTP client with cookies, a proxy and a streamed body
                try (Transport transport = Transport.builder()
                        .proxy(Proxies.fixed(URI.create("http://127.0.0.1:3128")))   // or Proxies.fromEnvironment()
                        .build()) {
                    HttpClient client = HttpClient.builder(transport)
                            .cookieJar(new MemoryCookieJar())                         // Set-Cookie kept, sent back by its rules
                            .timeout(Duration.ofSeconds(30))                         // the whole send, redirects and body included
                            .build();
                    HttpRequest login = HttpRequest.newBuilder("http://app.test/login")
                            .POST(RequestBody.of("user=gopher"))                     // text/plain; RequestBody.of(bytes, type) else
                            .build();
                    try (HttpResponse resp = client.send(login)) {
                        System.out.println(resp.status() + " " + resp.body().string());   // string()/bytes(): at most 64 MiB
                    }
                    try (HttpResponse resp = client.send(HttpRequest.get("http://app.test/export"));
                         InputStream in = resp.body().stream()) {                    // streamed: any size, never held whole
                        in.transferTo(out);
                    }
                }
                // end
            });
        } finally {
            proxy.stop(0);
            executor.close();
        }
        assertThat(printed).isEqualTo("200 welcome user=gopher" + System.lineSeparator());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("exported rows");
        assertThat(seen).containsExactly("POST http://app.test/login cookie=null",
                "GET http://app.test/export cookie=session=s1");
    }

    /** The JDK's server on 127.0.0.1:8080 answering "hello"; the test is skipped if the port is taken. */
    private record Port8080(HttpServer server, ExecutorService executor) implements AutoCloseable {
        static Port8080 serveHello() throws IOException {
            HttpServer s;
            try {
                s = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), 0);
            } catch (BindException e) {
                Assumptions.abort("127.0.0.1:8080 is in use on this machine: " + e.getMessage());
                throw e;
            }
            s.createContext("/", exchange -> {
                exchange.sendResponseHeaders(200, HELLO.length);
                try (OutputStream body = exchange.getResponseBody()) {
                    body.write(HELLO);
                }
            });
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            s.setExecutor(executor);
            s.start();
            return new Port8080(s, executor);
        }

        @Override
        public void close() {
            server.stop(0);
            executor.close();
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static String capturingSystemOut(Body body) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
