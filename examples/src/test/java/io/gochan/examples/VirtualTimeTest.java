package io.gochan.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gochan.Bubble;
import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.leakcheck.Synctest;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The README's {@code @Synctest} example, in a user's project: leak-check's second extension. */
@Synctest
@NoGoroutineLeaks
class VirtualTimeTest {
    @Test
    void aDayOfHourlyReportsTakesMilliseconds() throws Exception {
        Chan<Instant> reports = Chan.make();
        Go.go("reporter", () -> {
            Timer hourly = Timers.newTicker(Duration.ofHours(1));
            for (int i = 0; i < 24; i++) {
                reports.send(hourly.c().receive());
            }
            hourly.stop();
        });
        Instant start = Timers.now();
        // The bubble's clock, not the wall clock: fails if @Synctest was not applied.
        assertEquals(Instant.parse("2000-01-01T00:00:00Z"), start);
        for (int i = 1; i <= 24; i++) {
            assertEquals(start.plus(Duration.ofHours(i)), reports.receive());
        }
        Bubble.await();
        assertFalse(reports.receive(Duration.ofHours(2)).ok());
        assertEquals(Instant.parse("2000-01-02T02:00:00Z"), Timers.now());
    }
}
