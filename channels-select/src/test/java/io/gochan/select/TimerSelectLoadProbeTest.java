package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.Go;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Probes of selects over timer and ticker channels under load, and of a select's interrupt-flag handling when a
 * timer case is due (G2, TM3, TM7, CH3). No defect found; kept as regression tests.
 */
@NoGoroutineLeaks
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerSelectLoadProbeTest {

    /**
     * G2, TM3, L6: 1,500 goroutines at once, each a select with a timer case and a timeout case. A timer of d
     * (1–15 ms) beside a timeout of 10 d + 5 s is always the case taken, never before d; a timeout of d beside
     * an hour's timer is always taken, never before d; a ticker's select beside a buffered channel that is
     * ready every other round gets every tick the rounds need (none is lost when the other case wins). Time
     * appears only as lower bounds (never early) and a generous upper bound.
     */
    @Test
    void G2_TM3_selectsOverTimersUnderLoadNeverFireEarlyAndLoseNoTick() throws Exception {
        int n = 1_500;
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            long d = 1 + (i % 15);
            int kind = i % 3;
            Go.go("select-load-" + i, () -> {
                try {
                    long t0 = System.nanoTime();
                    if (kind == 0) {
                        Timer t = Timers.newTimer(Duration.ofMillis(d));
                        String r = Select.<String>cases().receive(t.c(), v -> "timer")
                                .timeout(Duration.ofMillis(d * 10 + 5_000), () -> "timeout").select();
                        long elapsed = System.nanoTime() - t0;
                        if (!r.equals("timer") || elapsed < TimeUnit.MILLISECONDS.toNanos(d)) {
                            wrong.add("timer of " + d + " ms: " + r + " after " + elapsed + " ns");
                        }
                    } else if (kind == 1) {
                        Timer t = Timers.newTimer(Duration.ofHours(1));
                        String r = Select.<String>cases().receive(t.c(), v -> "timer")
                                .timeout(Duration.ofMillis(d), () -> "timeout").select();
                        long elapsed = System.nanoTime() - t0;
                        if (!r.equals("timeout") || elapsed < TimeUnit.MILLISECONDS.toNanos(d)) {
                            wrong.add("timeout of " + d + " ms: " + r + " after " + elapsed + " ns");
                        }
                        t.stop();
                    } else {
                        Timer ticker = Timers.newTicker(Duration.ofMillis(d));
                        Chan<Integer> other = Chan.make(1);
                        int ticks = 0;
                        for (int k = 0; k < 6; k++) {
                            if (k % 2 == 0 && other.len() == 0) {
                                other.send(k);
                            }
                            int got = Select.<Integer>cases().receive(ticker.c(), v -> 1).receive(other, v -> 0)
                                    .timeout(Duration.ofSeconds(30), () -> -1).select();
                            if (got < 0) {
                                wrong.add("ticker of " + d + " ms: no tick for 30 s");
                            }
                            ticks += Math.max(got, 0);
                        }
                        if (ticks < 3) { // at most 3 rounds can take the other case: 3 sends
                            wrong.add("ticker of " + d + " ms: " + ticks + " ticks in 6 rounds");
                        }
                        ticker.stop();
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        assertThat(done.await(90, TimeUnit.SECONDS)).as("every select ended").isTrue();
        assertThat(wrong).isEmpty();
    }

    /**
     * TM7, CH3: a select that can complete at once completes whatever the caller's interrupt flag says, and
     * leaves the flag set: a due timer's case (its value not yet delivered by the timer thread), a zero timeout,
     * a done context.
     */
    @Test
    void TM7_CH3_aSelectThatNeedNotWaitCompletesWithTheFlagSet() throws Exception {
        Timer t = Timers.newTimer(Duration.ZERO);
        CancellableContext c = Context.withCancel(Context.background());
        c.cancel();
        Thread.currentThread().interrupt();
        try {
            assertThat(Select.<String>cases().receive(t.c(), v -> "timer").timeout(Duration.ofSeconds(5), () -> "timeout")
                    .select()).isEqualTo("timer");
            assertThat(Select.<String>cases().receive(Chan.<Integer>make(), v -> "value").timeout(Duration.ZERO, () -> "timeout")
                    .select()).isEqualTo("timeout");
            assertThat(Select.<String>cases().receive(Chan.<Integer>make(), v -> "value").done(c, () -> "done").select())
                    .isEqualTo("done");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
