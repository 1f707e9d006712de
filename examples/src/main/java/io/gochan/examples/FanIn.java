package io.gochan.examples;

import com.sun.net.httpserver.HttpServer;
import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** HTTP fan-in: one goroutine per URL, every answer on one channel. */
public final class FanIn {
    private FanIn() {}

    /**
     * Starts a server on loopback that answers {@code hello <path>}, fetches {@code paths} from it
     * concurrently and stops it.
     *
     * @param paths the paths to fetch, each starting with "/"
     * @return each path's body
     * @throws IOException if the server cannot start or a request fails
     * @throws InterruptedException if interrupted while waiting
     */
    public static Map<String, String> fetchAll(List<String> paths) throws IOException, InterruptedException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = ("hello " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            server.setExecutor(executor);
            server.start();
            try {
                URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
                return fetch(base, paths);
            } finally {
                server.stop(0);
            }
        }
    }

    private static Map<String, String> fetch(URI base, List<String> paths) throws InterruptedException {
        record Result(String path, String body, Exception error) {}
        Chan<Result> results = Chan.make();
        try (Transport transport = Transport.builder()
                .maxConnsPerHost(4)
                .responseHeaderTimeout(Duration.ofSeconds(10))
                .build()) {
            for (String path : paths) {
                Go.go("fetch " + path, () -> {
                    try (HttpResponse resp = transport.roundTrip(HttpRequest.get(base.resolve(path).toString()))) {
                        results.send(new Result(path, resp.status() + " " + resp.body().string(), null));
                    } catch (IOException e) {
                        results.send(new Result(path, null, e));
                    }
                });
            }
            Map<String, String> bodies = new HashMap<>();
            for (int i = 0; i < paths.size(); i++) {
                Result r = results.receive();
                if (r.error() != null) {
                    throw new IllegalStateException("GET " + r.path() + " failed", r.error());
                }
                bodies.put(r.path(), r.body());
            }
            return bodies;
        }
    }
}
