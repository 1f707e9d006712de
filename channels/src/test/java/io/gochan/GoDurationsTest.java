package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.GoDurations;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rules LK37, CX27: a leak report and a context's description write a duration as Go's {@code time.Duration.String}
 * does, through the one formatter in {@code io.gochan.spi}. The first rows are the cases of
 * Go's own {@code durationTests} (src/time/time_test.go), its extremes included; the rest are Java's: a whole hour,
 * negatives with and without a fraction, and a duration beyond Go's range of about 292 years.
 */
class GoDurationsTest {

    @Test
    void LK37_CX27_durationsAreWrittenAsGoWritesThem() {
        Map<Duration, String> cases = new LinkedHashMap<>();
        cases.put(Duration.ZERO, "0s");
        cases.put(Duration.ofNanos(1), "1ns");
        cases.put(Duration.ofNanos(1_100), "1.1µs");
        cases.put(Duration.ofNanos(2_200_000), "2.2ms");
        cases.put(Duration.ofMillis(3_300), "3.3s");
        cases.put(Duration.ofSeconds(245), "4m5s");
        cases.put(Duration.ofMillis(245_001), "4m5.001s");
        cases.put(Duration.ofMillis(18_367_001), "5h6m7.001s");
        cases.put(Duration.ofNanos(480_000_000_001L), "8m0.000000001s");
        cases.put(Duration.ofNanos(Long.MAX_VALUE), "2562047h47m16.854775807s");
        cases.put(Duration.ofNanos(Long.MIN_VALUE), "-2562047h47m16.854775808s");
        cases.put(Duration.ofHours(1), "1h0m0s");
        cases.put(Duration.ofMillis(3_599_996), "59m59.996s");
        cases.put(Duration.ofMillis(-1_500), "-1.5s");
        cases.put(Duration.ofSeconds(-60), "-1m0s");
        cases.put(Duration.ofNanos(-999), "-999ns");
        cases.put(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), "2562047788015215h30m7.999999999s");
        cases.put(Duration.ofSeconds(Long.MIN_VALUE), "-2562047788015215h30m8s");
        cases.forEach((d, go) -> assertThat(GoDurations.format(d)).as("%s", d).isEqualTo(go));
    }
}
