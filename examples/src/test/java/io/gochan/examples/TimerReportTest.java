package io.gochan.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.leakcheck.LeakFinder;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Leak-check's timer report (what {@code @NoGoroutineLeaks(timers = true)} fails a test with) written from a user's
 * project. In the module-path run Surefire puts leak-check on the class path beside the named {@code io.gochan}: the
 * report's Go-style durations come from gochan's internal package, which must link there (rule M1).
 */
@NoGoroutineLeaks(timers = true)
class TimerReportTest {
    @Test
    void aTimerLeftScheduledIsReportedWithItsTimeLeft() throws Exception {
        try (GoroutineOwner owner = Goroutines.owner("timer-report")) {
            Timer left;
            GoroutineOwner.Scope scope = owner.enter();
            try {
                left = Timers.afterFunc(Duration.ofHours(1), () -> {}); // the owner's: made inside its scope
            } finally {
                scope.close();
            }
            try {
                List<GoroutineOwner.ScheduledTimer> timers = LeakFinder.timersLeft(owner, Duration.ZERO);
                assertEquals(1, timers.size());
                String report = LeakFinder.timerReport(timers, "the example");
                assertTrue(report.contains("the example left 1 timer scheduled"), report);
                assertTrue(report.matches("(?s).*\\(in 59m59\\.\\d{3}s\\).*"), report);
            } finally {
                left.stop();
            }
        }
    }
}
