package io.gochan.benchmarks;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;
import io.gochan.http.TransportStats;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.pool.PoolStats;
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
 * H1–H4 against a real server on loopback that is not ours (nginx, started by
 * {@code benchmarks/http.sh}, which passes its address as {@code -p server=...}): gochan's Transport,
 * the JDK's {@code java.net.http.HttpClient} (HTTP/1.1, virtual-thread executor), OkHttp 5 and Apache
 * HttpClient 5 classic (pooling connection manager), each with keep-alive and at most 8 connections per
 * host, no transparent compression where it can be turned off. Score: ns per request, body read to the
 * end.
 *
 * <p>gochan, Apache and Go cap connections per host themselves and make a request wait for one of 8.
 * The JDK client has no such cap, and OkHttp caps only asynchronous calls ({@code Dispatcher}) and idle
 * connections ({@code ConnectionPool}), not synchronous {@code execute()}: both get a {@link Gate} of 8
 * around each request instead, a FIFO wait that a cancel aborts, as the others' pool waits are
 * ({@code benchmarks/conns.sh} counts the connections each peer opens).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HttpClientBenchmark {
    static final int CALLERS = 64;
    static final int PER_CALLER = 16;
    /** Connections per host for every peer (H2, H4). */
    static final int MAX_CONNS = 8;

    /** Base URL of the server, e.g. http://127.0.0.1:8080; the files are /plain/small.txt and /plain/big.bin. */
    @Param("http://127.0.0.1:8080")
    public String server;

    @Param({"GOCHAN", "JDK", "OKHTTP", "APACHE"})
    public String peer;

    private Client client;

    interface Client extends AutoCloseable {
        long get(URI uri) throws Exception;

        /** A GET that another thread may cancel at any moment, even before {@link Call#execute()}. */
        Call newCall(URI uri);

        /** Throws if the client still holds a connection or a request after every request ended. */
        default void assertNothingLeaked() throws InterruptedException {}

        @Override
        void close();
    }

    /** One cancellable request: {@code execute} returns the body length or throws once cancelled. */
    interface Call {
        long execute() throws Exception;

        void cancel();
    }

    @Setup(Level.Trial)
    public void start() {
        client = switch (peer) {
            case "GOCHAN" -> new Client() {
                final Transport t = Transport.builder().maxConnsPerHost(MAX_CONNS).maxIdleConnsPerHost(MAX_CONNS)
                        .disableCompression(true).build();

                public long get(URI uri) throws Exception {
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).build())) {
                        return drain(r.body().stream());
                    }
                }

                public Call newCall(URI uri) {
                    // Go's way: the request runs under a context; cancelling it aborts the request at
                    // whatever stage it is (pool wait, write, headers, body).
                    CancellableContext ctx = Context.withCancel(Context.background());
                    HttpRequest req = HttpRequest.newBuilder(uri).build();
                    return new Call() {
                        public long execute() throws Exception {
                            try (ctx; HttpResponse r = t.roundTrip(req, ctx)) {
                                return drain(r.body().stream());
                            }
                        }

                        public void cancel() {
                            ctx.cancel();
                        }
                    };
                }

                public void assertNothingLeaked() throws InterruptedException {
                    // Cancelled requests close their connections asynchronously: allow them a moment.
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    for (TransportStats st; ; Thread.sleep(10)) {
                        st = t.stats();
                        if (st.inUse() == 0 && st.waiting() == 0 && st.dialing() == 0 && st.open() == st.idle()) {
                            return;
                        }
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("gochan transport leaked after the storm: " + st);
                        }
                    }
                }

                public void close() {
                    t.close();
                }
            };
            case "JDK" -> new Client() {
                final ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
                final HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(ex).build();
                final Gate gate = new Gate(MAX_CONNS);

                public long get(URI uri) throws Exception {
                    gate.enter().get();
                    try {
                        java.net.http.HttpResponse<InputStream> r = c.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                        try (InputStream in = r.body()) {
                            return drain(in);
                        }
                    } finally {
                        gate.leave();
                    }
                }

                public Call newCall(URI uri) {
                    java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(uri).build();
                    return new Call() {
                        final GatedCall gated = new GatedCall(gate);
                        volatile CompletableFuture<java.net.http.HttpResponse<InputStream>> future;

                        public long execute() throws Exception {
                            gated.enter();
                            try {
                                CompletableFuture<java.net.http.HttpResponse<InputStream>> f =
                                        c.sendAsync(req, java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                                future = f;
                                if (gated.cancelled) { // cancel() ran before the future existed
                                    f.cancel(true);
                                }
                                try (InputStream in = f.get().body()) {
                                    return drain(in);
                                }
                            } finally {
                                gate.leave();
                            }
                        }

                        public void cancel() {
                            // cancel(true) on sendAsync's future aborts the exchange (JDK 16+); once the
                            // headers arrived it no longer reaches the body (small bodies come with them).
                            gated.cancel();
                            CompletableFuture<?> f = future;
                            if (f != null) {
                                f.cancel(true);
                            }
                        }
                    };
                }

                public void assertNothingLeaked() throws InterruptedException {
                    gate.assertIdle("JDK");
                }

                public void close() {
                    // Not c.close(): after the cancellation storm it waited forever for an exchange that a
                    // cancel had abandoned (seen once in a full run, JDK 25.0.3). Bounded instead.
                    c.shutdownNow();
                    try {
                        if (!c.awaitTermination(Duration.ofSeconds(10))) {
                            System.err.println("[JDK] HttpClient still had operations 10 s after shutdownNow()");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        ex.shutdownNow();
                    }
                }
            };
            case "OKHTTP" -> new Client() {
                final OkHttpClient c = new OkHttpClient.Builder()
                        .connectionPool(new ConnectionPool(8, 5, TimeUnit.MINUTES))
                        .dispatcher(dispatcher())
                        .build();
                final Gate gate = new Gate(MAX_CONNS);

                public long get(URI uri) throws Exception {
                    gate.enter().get();
                    try (Response r = c.newCall(new Request.Builder().url(uri.toURL()).build()).execute()) {
                        return drain(r.body().byteStream());
                    } finally {
                        gate.leave();
                    }
                }

                public Call newCall(URI uri) {
                    okhttp3.Call call;
                    try {
                        call = c.newCall(new Request.Builder().url(uri.toURL()).build());
                    } catch (java.net.MalformedURLException e) {
                        throw new IllegalArgumentException(e);
                    }
                    return new Call() {
                        final GatedCall gated = new GatedCall(gate);

                        public long execute() throws Exception {
                            gated.enter();
                            try (Response r = call.execute()) {
                                return drain(r.body().byteStream());
                            } finally {
                                gate.leave();
                            }
                        }

                        public void cancel() {
                            gated.cancel();
                            call.cancel(); // before execute() too: execute() then fails at once
                        }
                    };
                }

                public void assertNothingLeaked() throws InterruptedException {
                    gate.assertIdle("OkHttp");
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    for (; ; Thread.sleep(10)) {
                        int running = c.dispatcher().runningCallsCount();
                        int busy = c.connectionPool().connectionCount() - c.connectionPool().idleConnectionCount();
                        if (running == 0 && busy == 0) {
                            return;
                        }
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("OkHttp leaked after the storm: " + running
                                    + " calls running, " + busy + " connections busy");
                        }
                    }
                }

                public void close() {
                    c.dispatcher().executorService().shutdownNow();
                    c.connectionPool().evictAll();
                }
            };
            case "APACHE" -> new Client() {
                final PoolingHttpClientConnectionManager cm = PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnPerRoute(MAX_CONNS).setMaxConnTotal(MAX_CONNS).build();
                final CloseableHttpClient c = HttpClients.custom().setConnectionManager(cm)
                        .disableContentCompression().build();

                public long get(URI uri) throws Exception {
                    return c.execute(new HttpGet(uri), r -> drain(r.getEntity().getContent()));
                }

                public Call newCall(URI uri) {
                    // Classic requests are Cancellable: cancel() aborts the exchange, also before it starts.
                    HttpGet get = new HttpGet(uri);
                    return new Call() {
                        public long execute() throws Exception {
                            return c.execute(get, r -> drain(r.getEntity().getContent()));
                        }

                        public void cancel() {
                            get.cancel();
                        }
                    };
                }

                public void assertNothingLeaked() throws InterruptedException {
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    for (PoolStats st; ; Thread.sleep(10)) {
                        st = cm.getTotalStats();
                        if (st.getLeased() == 0 && st.getPending() == 0) {
                            return;
                        }
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("Apache HttpClient leaked after the storm: " + st);
                        }
                    }
                }

                public void close() {
                    try {
                        c.close();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            };
            default -> throw new IllegalArgumentException(peer);
        };
    }

    static Dispatcher dispatcher() {
        Dispatcher d = new Dispatcher();
        d.setMaxRequestsPerHost(MAX_CONNS); // asynchronous calls only (none here); the Gate caps execute()
        return d;
    }

    /**
     * The per-host connection cap for the peers that have none: at most {@code permits} requests at once,
     * the others wait in FIFO order (as Go's and gochan's pool waiters do), and a waiter's cancel removes
     * it from the queue, as cancelling a request aborts its pool wait in gochan, Apache and Go. With at
     * most 8 requests in flight a keep-alive pool needs no 9th connection ({@code benchmarks/conns.sh}
     * checks it does not open one).
     */
    static final class Gate {
        private static final CompletableFuture<Void> ADMITTED = CompletableFuture.completedFuture(null);
        private final ReentrantLock lock = new ReentrantLock();
        private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
        private final int permits;
        private int free;

        Gate(int permits) {
            this.permits = permits;
            this.free = permits;
        }

        /**
         * Asks for a permit: the future completes once it is granted (at once if one is free and nobody
         * waits); cancelling the future gives up the wait. Whoever is granted one must {@link #leave()}.
         */
        CompletableFuture<Void> enter() {
            lock.lock();
            try {
                if (free > 0 && waiters.isEmpty()) {
                    free--;
                    return ADMITTED;
                }
                CompletableFuture<Void> w = new CompletableFuture<>();
                waiters.add(w);
                return w;
            } finally {
                lock.unlock();
            }
        }

        /** Hands the permit to the oldest waiter still waiting, or frees it. */
        void leave() {
            lock.lock();
            try {
                for (CompletableFuture<Void> w; (w = waiters.poll()) != null; ) {
                    if (w.complete(null)) { // false: cancelled, its caller gave up
                        return;
                    }
                }
                free++;
            } finally {
                lock.unlock();
            }
        }

        void assertIdle(String peer) {
            lock.lock();
            try {
                waiters.removeIf(CompletableFuture::isDone); // cancelled waits not yet skipped by a leave()
                if (free != permits || !waiters.isEmpty()) {
                    throw new IllegalStateException(peer + " gate leaked after the storm: " + (permits - free)
                            + " permits held, " + waiters.size() + " waiting");
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * A cancellable request's wait at the {@link Gate}: {@link #cancel()} aborts the wait whether it
     * comes before or during it; once the permit is granted, cancelling is the client's own business.
     */
    static final class GatedCall {
        private final Gate gate;
        volatile boolean cancelled;
        private volatile CompletableFuture<Void> ticket;

        GatedCall(Gate gate) {
            this.gate = gate;
        }

        /** Waits for a permit; throws {@link CancellationException} if cancelled first (then holds none). */
        void enter() throws Exception {
            CompletableFuture<Void> t = gate.enter();
            ticket = t;
            if (cancelled) { // cancel() may have read ticket before it was set: give up here
                t.cancel(false); // no-op if already granted
            }
            try {
                t.get();
            } catch (CancellationException e) {
                throw new CancellationException("cancelled while waiting for one of " + MAX_CONNS + " connections");
            }
        }

        void cancel() {
            cancelled = true;
            CompletableFuture<Void> t = ticket;
            if (t != null) {
                t.cancel(false); // fails if the permit was already granted: then the request runs on
            }
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        client.close();
        cancellers.shutdownNow();
    }

    /**
     * One read buffer per calling thread, the same for every peer. A fresh 16 KiB array per request
     * showed as 45 % of H2's JFR execution samples; with one per thread H2 got ~15 % faster for gochan
     * and the JDK client alike (44.7 vs 40.8 µs, 2 forks), so the ratios hardly moved.
     */
    private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[16 * 1024]);

    static long drain(InputStream in) throws IOException {
        byte[] buf = READ_BUFFER.get();
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
        joinCallers("H2", threads, failure);
    }

    /**
     * Joins the callers under one one-minute bound for all of them (a hung request fails the iteration
     * instead of stalling the run), then rethrows a caller's failure.
     */
    private static void joinCallers(String workload, List<Thread> callers, Throwable[] failure)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        for (Thread t : callers) {
            if (!t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                throw new IllegalStateException(workload + " caller " + t + " still running after a minute: a request hung");
            }
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

    static final int STORM = 10_000;
    static final long STORM_SEED = 20261125L;
    static final long MAX_CANCEL_DELAY_NANOS = 2_000_000;

    /** Which storm requests are cancelled (exactly half) and after how long: the same every trial. */
    private final boolean[] stormCancel = new boolean[STORM];
    private final long[] stormDelay = new long[STORM];
    private final ScheduledThreadPoolExecutor cancellers = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "storm-canceller");
        t.setDaemon(true);
        return t;
    });
    final AtomicInteger stormCompleted = new AtomicInteger();
    final AtomicInteger stormAborted = new AtomicInteger();

    @Setup(Level.Trial)
    public void planStorm() {
        Random rnd = new Random(STORM_SEED);
        for (int i = 0; i < STORM / 2; i++) {
            stormCancel[i] = true;
        }
        for (int i = STORM - 1; i > 0; i--) { // Fisher-Yates: exactly half cancelled, spread at random
            int j = rnd.nextInt(i + 1);
            boolean b = stormCancel[i];
            stormCancel[i] = stormCancel[j];
            stormCancel[j] = b;
        }
        for (int i = 0; i < STORM; i++) {
            stormDelay[i] = (long) (rnd.nextDouble() * MAX_CANCEL_DELAY_NANOS);
        }
        cancellers.setRemoveOnCancelPolicy(true);
    }

    @TearDown(Level.Iteration)
    public void checkStormLeaks() throws InterruptedException {
        if (stormCompleted.get() + stormAborted.get() > 0) {
            client.assertNothingLeaked();
            System.out.printf("%n[H4 %s] cancelled requests that completed anyway: %d, aborted: %d%n", peer,
                    stormCompleted.getAndSet(0), stormAborted.getAndSet(0));
        }
    }

    /**
     * H4, cancellation storm: {@value #STORM} GETs of the small body from {@value #CALLERS} virtual-thread
     * callers (at most 8 connections); a seeded half of them is cancelled by a single canceller thread
     * after a seeded delay uniform in [0, 2 ms) from the moment the caller created the call — so
     * cancellation lands anywhere: before the request starts, while it waits for a pooled connection,
     * while in flight, during the body, or after it completed (then it is a no-op). Every request goes
     * through the cancellable path (gochan: {@code roundTrip(req, ctx)} with
     * {@code Context.withCancel}; JDK: {@code sendAsync} then {@code CompletableFuture.cancel(true)};
     * OkHttp: {@code Call.cancel()}; Apache: {@code HttpGet.cancel()}). Score: ns per request. A request
     * that was not cancelled must succeed; after each iteration the client must hold no connection in
     * use and no waiting request (gochan {@code TransportStats}, OkHttp's dispatcher and pool, Apache's
     * pool stats; the JDK's client exposes nothing to check).
     */
    @Benchmark
    @OperationsPerInvocation(STORM)
    public void h4CancellationStorm() throws Exception {
        URI uri = URI.create(server + "/plain/small.txt");
        List<Thread> threads = new ArrayList<>(CALLERS);
        Throwable[] failure = new Throwable[1];
        for (int k = 0; k < CALLERS; k++) {
            int first = k;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = first; i < STORM; i += CALLERS) {
                    Call call = client.newCall(uri);
                    if (stormCancel[i]) {
                        cancellers.schedule(call::cancel, stormDelay[i], TimeUnit.NANOSECONDS);
                    }
                    try {
                        call.execute();
                        if (stormCancel[i]) {
                            stormCompleted.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        if (!stormCancel[i]) {
                            failure[0] = new IllegalStateException("request " + i + " failed but was not cancelled", t);
                        } else {
                            stormAborted.incrementAndGet();
                        }
                    }
                }
            }));
        }
        joinCallers("H4", threads, failure);
    }
}
