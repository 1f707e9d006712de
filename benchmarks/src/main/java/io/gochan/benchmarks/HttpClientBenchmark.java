package io.gochan.benchmarks;

import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * H1–H3 against a real server on loopback that is not ours (nginx, started by
 * {@code benchmarks/http.sh}, which passes its address as {@code -p server=...}): gochan's Transport,
 * the JDK's {@code java.net.http.HttpClient} (HTTP/1.1, virtual-thread executor) and OkHttp 5, each
 * with keep-alive and at most 8 connections per host. Score: ns per request, body read to the end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HttpClientBenchmark {
    static final int CALLERS = 64;
    static final int PER_CALLER = 16;

    /** Base URL of the server, e.g. http://127.0.0.1:8080; the files are /plain/small.txt and /plain/big.bin. */
    @Param("http://127.0.0.1:8080")
    public String server;

    @Param({"GOCHAN", "JDK", "OKHTTP"})
    public String peer;

    private Client client;

    interface Client extends AutoCloseable {
        long get(URI uri) throws Exception;

        @Override
        void close();
    }

    @Setup(Level.Trial)
    public void start() {
        client = switch (peer) {
            case "GOCHAN" -> new Client() {
                final Transport t = Transport.builder().maxConnsPerHost(8).maxIdleConnsPerHost(8)
                        .disableCompression(true).build();

                public long get(URI uri) throws Exception {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).build())) {
                        return drain(r.body().stream());
                    }
                }

                public void close() {
                    t.close();
                }
            };
            case "JDK" -> new Client() {
                final ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
                final HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(ex).build();

                public long get(URI uri) throws Exception {
                    java.net.http.HttpResponse<InputStream> r = c.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        return drain(in);
                    }
                }

                public void close() {
                    c.close();
                    ex.shutdownNow();
                }
            };
            case "OKHTTP" -> new Client() {
                final OkHttpClient c = new OkHttpClient.Builder()
                        .connectionPool(new ConnectionPool(8, 5, TimeUnit.MINUTES))
                        .dispatcher(dispatcher())
                        .build();

                public long get(URI uri) throws Exception {
                    try (Response r = c.newCall(new Request.Builder().url(uri.toURL()).build()).execute()) {
                        return drain(r.body().byteStream());
                    }
                }

                public void close() {
                    c.dispatcher().executorService().shutdownNow();
                    c.connectionPool().evictAll();
                }
            };
            default -> throw new IllegalArgumentException(peer);
        };
    }

    static Dispatcher dispatcher() {
        Dispatcher d = new Dispatcher();
        d.setMaxRequestsPerHost(8);
        return d;
    }

    @TearDown(Level.Trial)
    public void stop() {
        client.close();
    }

    static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[16 * 1024];
        long n = 0;
        for (int r; (r = in.read(buf)) > 0; ) {
            n += r;
        }
        return n;
    }

    /** H1: sequential keep-alive GETs of a small body (one caller). */
    @Benchmark
    public long h1SequentialSmall() throws Exception {
        return client.get(URI.create(server + "/plain/small.txt"));
    }

    /**
     * H1 from a virtual thread: 100 sequential GETs per invocation on one virtual caller (how gochan is
     * meant to be used; a platform caller pays a futex wake-up for each of its handoffs).
     */
    @Benchmark
    @OperationsPerInvocation(100)
    public void h1SequentialSmallVirtualCaller() throws Exception {
        URI uri = URI.create(server + "/plain/small.txt");
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 100; i++) {
                    client.get(uri);
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.join();
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
    }

    /** H2: 64 concurrent callers (virtual threads), small body, at most 8 connections. */
    @Benchmark
    @OperationsPerInvocation(CALLERS * PER_CALLER)
    public void h2Concurrent64() throws Exception {
        URI uri = URI.create(server + "/plain/small.txt");
        List<Thread> threads = new ArrayList<>(CALLERS);
        Throwable[] failure = new Throwable[1];
        for (int i = 0; i < CALLERS; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int j = 0; j < PER_CALLER; j++) {
                        client.get(uri);
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                }
            }));
        }
        for (Thread t : threads) {
            t.join(Duration.ofMinutes(1));
        }
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0]);
        }
    }

    /** H3: 1 MiB bodies, sequential (streaming throughput). */
    @Benchmark
    public long h3LargeBody() throws Exception {
        return client.get(URI.create(server + "/plain/big.bin"));
    }
}
