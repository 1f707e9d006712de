package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule G2: timers, tickers, Go 1.23 semantics. In a virtual-time bubble (ADR 0013), so each timer
 * fires at an exact instant and no test waits in real time; {@link #G2_onTheSystemClockAfterTickerAndAfterFuncFire}
 * keeps the system scheduler (real clock, timer thread) tested.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerTest {
    static final Duration LONG = Duration.ofSeconds(30);
    static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @Test
    void G2_afterDeliversOnceAndNeverCloses() throws Exception {
        Bubble.run(() -> {
            ReceiveChan<Instant> c = Timers.after(Duration.ofMillis(1));
            Received<Instant> r = c.receive(LONG);
            assertThat(r.ok()).isTrue();
            assertThat(r.value()).isEqualTo(EPOCH.plusMillis(1));
            assertThat(Timers.now()).isEqualTo(EPOCH.plusMillis(1));
            // Not closed, and nothing more however long one waits.
            Received<Instant> more = c.receive(Duration.ofHours(1));
            assertThat(more.ok()).isFalse();
            assertThat(more.closed()).isFalse();
            assertThat(c.tryReceive().notReady()).isTrue();
        });
    }

    /** On the system scheduler: Timers.pendingTasks() counts its tasks only. */
    @Test
    void G2_stopPreventsDeliveryAndLeavesNoTask() throws Exception {
        int before = Timers.pendingTasks();
        List<Timer> timers = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            timers.add(Timers.newTimer(Duration.ofHours(1)));
        }
        // Armed, and out of the heap while nobody waits on them (TM29): stop still says it prevented each.
        assertThat(Timers.pendingTasks()).isLessThan(before + 10_000);
        for (Timer t : timers) {
            assertThat(t.stop()).isTrue();
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
        assertThat(timers.get(0).stop()).isFalse();
        assertThat(timers.get(0).c().tryReceive().notReady()).isTrue();
    }

    @Test
    void G2_noStaleValueAfterStopOrReset() throws Exception {
        Bubble.run(() -> {
            Timer t = Timers.newTimer(Duration.ZERO);
            Timers.sleep(Duration.ofNanos(1)); // the zero timer has fired (its value is pending) when this returns
            assertThat(t.hasPendingValue()).as("timer fired").isTrue();
            assertThat(t.stop()).isTrue(); // the undelivered value is discarded
            assertThat(t.c().tryReceive().notReady()).isTrue();

            Timer r = Timers.newTimer(Duration.ZERO);
            Timers.sleep(Duration.ofNanos(1));
            assertThat(r.hasPendingValue()).as("timer fired").isTrue();
            r.reset(Duration.ofHours(1));
            assertThat(r.c().tryReceive().notReady()).isTrue();
            Instant reset = Timers.now();
            r.reset(Duration.ofMillis(1));
            assertThat(r.c().receive(LONG).value()).isEqualTo(reset.plusMillis(1));
            assertThat(Timers.now()).as("the hour of the first reset never came").isEqualTo(reset.plusMillis(1));
            r.stop();
        });
    }

    @Test
    void G2_tickerTicksRepeatedlyAndASlowReceiverMissesTicks() throws Exception {
        Bubble.run(() -> {
            Timer ticker = Timers.newTicker(Duration.ofMillis(1));
            try {
                for (int i = 1; i <= 3; i++) {
                    assertThat(ticker.c().receive(LONG).value()).isEqualTo(EPOCH.plusMillis(i));
                }
                // Not receiving for 100 periods: one tick is pending, the others were dropped.
                Timers.sleep(Duration.ofMillis(100));
                assertThat(ticker.hasPendingValue()).as("a pending tick").isTrue();
                assertThat(ChannelCores.of(ticker.c()).len()).isLessThanOrEqualTo(1);
                Instant kept = ticker.c().tryReceive().value();
                assertThat(kept).isBetween(EPOCH.plusMillis(4), EPOCH.plusMillis(103));
                assertThat(Duration.between(EPOCH, kept).toNanos() % 1_000_000).as("on the period grid").isZero();
                assertThat(ticker.c().tryReceive().notReady()).as("no second tick kept").isTrue();
                // The next tick comes on the grid, never a replay of a missed period.
                assertThat(ticker.c().receive(LONG).value()).isEqualTo(EPOCH.plusMillis(104));
            } finally {
                assertThat(ticker.stop()).isTrue();
            }
            assertThat(ticker.c().tryReceive().notReady()).isTrue();
            assertThatThrownBy(() -> Timers.newTicker(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        });
    }

    @Test
    void G2_afterFuncRunsInAGoroutineUnlessStopped() throws Exception {
        Bubble.run(() -> {
            Chan<Instant> ran = Chan.make(1);
            Timers.afterFunc(Duration.ofMillis(1), () -> ran.send(Timers.now()));
            assertThat(ran.receive(LONG).value()).isEqualTo(EPOCH.plusMillis(1));
            Timer stopped = Timers.afterFunc(Duration.ofHours(1), () -> ran.send(EPOCH));
            assertThat(stopped.stop()).isTrue();
            assertThat(stopped.c().tryReceive().notReady()).isTrue();
            assertThat(ran.receive(Duration.ofHours(2)).ok()).as("the stopped function never ran").isFalse();
        });
    }

    /**
     * Go's {@code NewTicker} and {@code Ticker.Reset} panic for a period that is not positive; here both
     * throw {@code IllegalArgumentException} naming it, and a refused reset leaves the ticker as it was
     * (same period, same grid). A zero or negative delay is "at once" for the other timers (TM5): a
     * timer's value is there without waiting, an afterFunc runs without the clock moving.
     */
    @Test
    void G2_TM5_aNonPositivePeriodIsRefusedAndChangesNothingWhileOtherTimersFireAtOnce() throws Exception {
        Bubble.run(() -> {
            assertThatThrownBy(() -> Timers.newTicker(Duration.ofNanos(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-positive");
            Timer ticker = Timers.newTicker(Duration.ofMillis(2));
            for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(-2), Duration.ofSeconds(Long.MIN_VALUE))) {
                assertThatThrownBy(() -> ticker.reset(bad))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-positive");
            }
            assertThat(ticker.c().receive(LONG).value()).as("still on its first grid").isEqualTo(EPOCH.plusMillis(2));
            assertThat(ticker.c().receive(LONG).value()).isEqualTo(EPOCH.plusMillis(4));
            assertThat(ticker.stop()).isTrue();
            Instant start = Timers.now();
            assertThat(Timers.newTimer(Duration.ofSeconds(-1)).c().tryReceive().value()).isEqualTo(start);
            Chan<Instant> ran = Chan.make(1);
            Timer func = Timers.afterFunc(Duration.ofDays(-1), () -> ran.send(Timers.now()));
            assertThat(ran.receive(LONG).value()).as("ran without the clock moving").isEqualTo(start);
            assertThat(func.stop()).as("it ran: nothing to stop").isFalse();
        });
    }

    /** The same features on the system scheduler (real clock, its timer thread): it stays tested. */
    @Test
    void G2_onTheSystemClockAfterTickerAndAfterFuncFire() throws Exception {
        ReceiveChan<Instant> c = Timers.after(Duration.ofMillis(1));
        assertThat(c.receive(LONG).ok()).isTrue();
        assertThat(c.tryReceive().notReady()).isTrue();
        Timer ticker = Timers.newTicker(Duration.ofMillis(1));
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(ticker.c().receive(LONG).ok()).isTrue();
            }
        } finally {
            assertThat(ticker.stop()).isTrue();
        }
        Chan<String> ran = Chan.make(1);
        Timers.afterFunc(Duration.ofMillis(1), () -> ran.send("ran"));
        assertThat(ran.receive(LONG).value()).isEqualTo("ran");
    }

    /**
     * G2 on the system scheduler, where the timer thread's delivery really races stop and reset: whatever
     * the timing, once {@code stop()} or {@code reset(d)} has returned no value of the old schedule can be
     * received, and as nothing was received, {@code stop()} reports that it prevented the delivery (Go
     * 1.23: an unreceived value is discarded and counts as stopped).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Threads.Kind.class)
    void G2_stopAndResetRacingTheFiringLeaveNoStaleValue(Threads.Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                java.util.SplittableRandom r = new java.util.SplittableRandom(1123);
                for (int i = 0; i < 2000; i++) {
                    Timer t = Timers.newTimer(Duration.ofNanos(r.nextInt(50_000)));
                    for (int spin = r.nextInt(20_000); spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                    if (r.nextBoolean()) {
                        assertThat(t.stop()).as("round %d: nothing was received, so stop prevented it", i).isTrue();
                    } else {
                        t.reset(Duration.ofHours(1));
                        assertThat(t.c().tryReceive().notReady()).as("round %d: no value of the old schedule", i).isTrue();
                        assertThat(t.stop()).isTrue();
                    }
                    assertThat(t.c().tryReceive().notReady()).as("round %d: no stale value", i).isTrue();
                    assertThat(t.stop()).isFalse();
                }
            });
        }
    }
}
