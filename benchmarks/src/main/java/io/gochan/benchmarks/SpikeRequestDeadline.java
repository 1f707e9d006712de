package io.gochan.benchmarks;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Spike (not in the summary): what a request's own deadline costs gochan's Transport. H1's sequential
 * small GET against the same nginx ({@code -p server=...}, as {@code benchmarks/http.sh} starts it),
 * once with no context and once under a fresh {@code Context.withTimeout(30 s)} per request, the shape
 * of every call a caller bounds (the read loop's wait and an in-memory body's watch on the request's end
 * are armed per request). Run: {@code java -jar benchmarks.jar SpikeRequestDeadline -p server=http://127.0.0.1:PORT}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SpikeRequestDeadline {
    /** Base URL of the server; the file is /plain/small.txt. */
    @Param("http://127.0.0.1:8080")
    public String server;

    private Transport transport;
    private HttpRequest request;

    @Setup(Level.Trial)
    public void start() {
        transport = Transport.builder().maxConnsPerHost(HttpClientBenchmark.MAX_CONNS)
                .maxIdleConnsPerHost(HttpClientBenchmark.MAX_CONNS).disableCompression(true).build();
        request = HttpRequest.newBuilder(URI.create(server + "/plain/small.txt")).build();
    }

    @TearDown(Level.Trial)
    public void stop() {
        transport.close();
    }

    /** No context: the request may take as long as it takes. */
    @Benchmark
    public long noDeadline() throws Exception {
        try (HttpResponse r = transport.roundTrip(request)) {
            return HttpClientBenchmark.drain(r.body().stream());
        }
    }

    /** A context with a 30 s timeout per request, cancelled when the request is done (Go's defer cancel()). */
    @Benchmark
    public long withDeadline() throws Exception {
        try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(30));
                HttpResponse r = transport.roundTrip(request, ctx)) {
            return HttpClientBenchmark.drain(r.body().stream());
        }
    }
}
