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
}
