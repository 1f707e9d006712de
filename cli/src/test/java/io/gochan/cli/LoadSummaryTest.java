package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.TransportStats;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The summary line counts failed requests and says why the first one failed (a count alone swallowed the reason). */
class LoadSummaryTest {
    private static final TransportStats STATS = new TransportStats(0, 0, 0, 0, 0, 1, 2, 0);

    @Test
    void theFirstFailureIsNamedBesideTheCount() {
        LoadSummary s = new LoadSummary(4);
        s.record(1_000, 10);
        s.failed(new IOException("connection refused"));
        s.failed(new IOException("a later failure"));
        assertThat(s.render(STATS)).contains("3 requests (2 failed)")
                .endsWith("; first failure: java.io.IOException: connection refused");
    }

    @Test
    void aRunWithoutFailuresNamesNone() {
        LoadSummary s = new LoadSummary(4);
        s.record(1_000, 10);
        assertThat(s.render(STATS)).contains("1 requests (0 failed)").doesNotContain("failure");
    }

    /**
     * R87: a run in which no request succeeded measured no latency and says so. Before, it printed "latency p50 0 µs,
     * p99 0 µs", a latency no request had.
     */
    @Test
    void R87_aRunWithoutASuccessShowsNoLatency() {
        LoadSummary s = new LoadSummary(4);
        s.failed(new IOException("connection refused"));
        assertThat(s.render(STATS)).contains("1 requests (1 failed)").contains("no latency measured")
                .doesNotContain("p50").doesNotContain("0 µs");
    }

    /** R87: the percentiles are nearest-rank: one request is its own p50 and p99; of 1..100 µs, p50 is 50 and p99 99. */
    @Test
    void R87_percentilesAreNearestRankForOneAndMany() {
        LoadSummary one = new LoadSummary(1);
        one.record(7_000, 1);
        assertThat(one.render(STATS)).contains("latency p50 7 µs, p99 7 µs");
        LoadSummary many = new LoadSummary(100);
        for (int i = 100; i >= 1; i--) {
            many.record(i * 1_000L, 1);
        }
        assertThat(many.render(STATS)).contains("latency p50 50 µs, p99 99 µs");
    }
}
