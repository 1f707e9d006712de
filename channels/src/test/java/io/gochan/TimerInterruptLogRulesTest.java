package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Interrupts of the timer thread, however many, do not flood the log and stop no timer: rule TM25 of
 * docs/spec/context-timers.md. The timers' log ({@code io.gochan.timers}) is captured through java.util.logging, the
 * default backend of System.Logger, as {@code TimerThreadRulesTest} does. No thread of the test's own is started: the
 * interrupts go to the JVM's timer thread, each waited for (its count) before the next.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerInterruptLogRulesTest {
    private static final Pattern COUNT = Pattern.compile("interrupted (\\d+) times since ");

    /**
     * TM25: 5,000 interrupts of the timer thread, each seen before the next is sent, make one WARNING for the first and
     * one line per power of two after it (13 lines up to the 4,096th; one more per minute the storm lasted at most),
     * each line with the count so far; the count read afterwards is all 5,000; and a timer made afterwards fires on
     * time. Before, each interrupt logged its own WARNING: 5,000 lines.
     */
    @Test
    void TM25_interruptsOfTheTimerThreadAreCountedNotEachLogged() throws Exception {
        Timers.newTimer(Duration.ofHours(1)).stop(); // the JVM's timer thread started
        TimerScheduler s = TimerScheduler.SYSTEM;
        Thread timerThread = s.threadOrNull();
        assertThat(timerThread).as("the timer thread").isNotNull();
        int n = 5_000;
        Logger timers = Logger.getLogger("io.gochan.timers"); // held: JUL keeps its loggers weakly
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getMessage() != null && record.getMessage().contains("timer thread was interrupted")) {
                    lines.add(record.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        long before = s.interruptsSeen();
        long started = System.nanoTime();
        timers.addHandler(capture);
        try {
            for (int i = 1; i <= n; i++) {
                timerThread.interrupt();
                long expected = before + i;
                // Seen before the next is sent: two interrupts in flight would be one (a flag, not a count).
                Threads.awaitTrue(() -> s.interruptsSeen() == expected, "interrupt " + i + " to be seen");
            }
        } finally {
            timers.removeHandler(capture);
        }
        long minutes = Duration.ofNanos(System.nanoTime() - started).toMinutes();
        assertThat(s.interruptsSeen()).as("every interrupt counted").isEqualTo(before + n);
        List<Long> counts = new ArrayList<>();
        for (String line : lines) {
            Matcher m = COUNT.matcher(line);
            if (m.find()) {
                counts.add(Long.parseLong(m.group(1)));
            }
        }
        List<Long> powers = new ArrayList<>();
        for (long p = 1; p <= before + n; p <<= 1) {
            if (p > before && p > 1) {
                powers.add(p);
            }
        }
        assertThat(lines).as("lines logged for %d interrupts", n)
                .hasSizeLessThanOrEqualTo((before == 0 ? 1 : 0) + powers.size() + (int) minutes + 1);
        assertThat(counts).as("the counts logged").containsAll(powers).allMatch(c -> c > before && c <= before + n);
        if (before == 0) {
            assertThat(lines).as("the first, at once")
                    .anyMatch(l -> l.startsWith("the gochan timer thread was interrupted; ignored, it goes on"));
        }
        // The thread goes on: a timer made now fires on time.
        long made = System.nanoTime();
        Timer t = Timers.newTimer(Duration.ofMillis(20));
        CancellableContext bound = Context.withTimeout(Context.background(), Duration.ofSeconds(10));
        Instant fired;
        try {
            fired = t.c().receive(bound);
        } finally {
            bound.cancel(); // its deadline left in the heap would be counted by a later test's pendingTasks()
        }
        Duration took = Duration.ofNanos(System.nanoTime() - made);
        assertThat(fired).as("the timer fired").isNotNull();
        assertThat(took).as("arrived about on time").isBetween(Duration.ofMillis(20), Duration.ofSeconds(2));
    }
}
