package io.gochan.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The transport's own deadline rule (it no longer borrows the one in io.gochan.spi). */
class DeadlinesTest {
    @Test
    void aFiniteTimeoutNeverReadsAsNoDeadline() {
        assertThat(Deadlines.after(Duration.ofDays(365L * 1_000))).isEqualTo(Deadlines.NONE - 1);
        assertThat(Deadlines.after(Duration.ofNanos(Long.MAX_VALUE))).isLessThan(Deadlines.NONE);
    }

    @Test
    void theDeadlineLiesTheTimeoutAhead() {
        long before = System.nanoTime();
        long d = Deadlines.after(Duration.ofSeconds(10));
        long after = System.nanoTime();
        assertThat(d - before).isGreaterThanOrEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(d - after).isLessThanOrEqualTo(Duration.ofSeconds(10).toNanos());
    }

    @Test
    void aNegativeTimeoutIsAlreadyDue() {
        long before = System.nanoTime();
        long d = Deadlines.after(Duration.ofSeconds(-5));
        assertThat(d - before).isGreaterThanOrEqualTo(0);
        assertThat(d - System.nanoTime()).isLessThanOrEqualTo(0);
    }
}
