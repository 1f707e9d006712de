package io.gochan.cli;

import io.gochan.http.TransportStats;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts requests, bytes and latencies of a run, and renders the summary line, which names the first failure (a count
 * alone would swallow why requests failed). Thread-safe.
 */
final class LoadSummary {
    private final AtomicLongArray latencies;
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private final long started = System.nanoTime();

    LoadSummary(int capacity) {
        this.latencies = new AtomicLongArray(capacity);
    }

    void record(long latencyNanos, long bodyBytes) {
        int i = count.getAndIncrement();
        if (i < latencies.length()) {
            latencies.set(i, latencyNanos);
        }
        bytes.addAndGet(bodyBytes);
    }

    void failed(Throwable why) {
        firstFailure.compareAndSet(null, why);
        failures.incrementAndGet();
    }

    int done() {
        return count.get() + failures.get();
    }

    String render(TransportStats stats) {
        int n = Math.min(count.get(), latencies.length());
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = latencies.get(i);
        }
        Arrays.sort(l);
        double secs = (System.nanoTime() - started) / 1e9;
        // No request succeeded: no latency was measured, and 0 µs would be one nobody had (R87).
        String latency = n == 0 ? "no latency measured (no request succeeded)"
                : "latency p50 " + micros(percentile(l, 50)) + ", p99 " + micros(percentile(l, 99));
        return String.format("%d requests (%d failed) in %.2f s, %.0f req/s; connections: %d opened, %d reuses; "
                        + "%d bytes of bodies; %s",
                count.get() + failures.get(), failures.get(), secs, count.get() / Math.max(secs, 1e-9),
                stats.dialed(), stats.reused(), bytes.get(), latency)
                + firstFailure();
    }

    private String firstFailure() {
        Throwable t = firstFailure.get();
        return t == null ? "" : "; first failure: " + t; // the exception's type and message (URIs in it are redacted, R62)
    }

    private static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    private static String micros(long nanos) {
        return nanos >= 10_000_000 ? (nanos / 1_000_000) + " ms" : (nanos / 1_000) + " µs";
    }
}
