package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule TM16: a timer closes as it stops, so try-with-resources stops a ticker as Go's {@code defer ticker.Stop()}.
 * On a scheduler without a thread, driven by hand (as {@code TimerRulesTest}): "no value after close" is checked
 * against ticks that are due, not against a wait.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerCloseTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void TM16_closingATickerInTryWithResourcesStopsItAndASecondCloseIsHarmless() throws Exception {
        TimerRulesTest.FakeClock clock = new TimerRulesTest.FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false);
        Timer ticker = new Timer(scheduler, true);
        ticker.resetNanos(5 * MS);
        try (Timer t = ticker) {
            clock.advance(5 * MS);
            assertThat(scheduler.runDue()).isEqualTo(1);
            assertThat(t.c().tryReceive().ok()).as("the first tick").isTrue();
            clock.advance(5 * MS);
            assertThat(scheduler.runDue()).isEqualTo(1); // a second tick waits, unreceived, when the block ends
        }
        assertThat(ticker.c().tryReceive().notReady()).as("the pending tick is discarded by close").isTrue();
        for (int i = 0; i < 10; i++) {
            clock.advance(5 * MS);
            assertThat(scheduler.runDue()).as("nothing fires after close").isZero();
        }
        assertThat(scheduler.pending()).isZero();
        assertThat(ticker.c().tryReceive().notReady()).isTrue();
        ticker.close(); // a second close: nothing changes, nothing thrown
        assertThat(ticker.stop()).as("still stopped").isFalse();
        assertThat(ticker.c().tryReceive().notReady()).isTrue();
        // A closed ticker can be reset, as a stopped one (TM15).
        ticker.resetNanos(5 * MS);
        clock.advance(5 * MS);
        assertThat(scheduler.runDue()).isEqualTo(1);
        assertThat(ticker.c().tryReceive().ok()).isTrue();
        ticker.close();
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void TM16_closingAOneShotTimerOrAnAfterFuncBeforeItFiresStopsIt() throws Exception {
        TimerRulesTest.FakeClock clock = new TimerRulesTest.FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false);
        Timer timer = new Timer(scheduler, false);
        timer.resetNanos(5 * MS);
        timer.close();
        clock.advance(10 * MS);
        assertThat(scheduler.runDue()).isZero();
        assertThat(timer.c().tryReceive().notReady()).isTrue();
        timer.close();

        AtomicInteger ran = new AtomicInteger();
        Timer after = Timers.afterFunc(Duration.ofDays(1), ran::incrementAndGet);
        after.close();
        after.close();
        assertThat(after.stop()).as("close already stopped it").isFalse();
        assertThat(ran).hasValue(0);
    }

    @Test
    void TM16_aTickerOnTheSystemClockInTryWithResourcesDeliversInsideAndIsStoppedAfter() throws Exception {
        Timer kept;
        try (Timer ticker = Timers.newTicker(Duration.ofMillis(1))) {
            kept = ticker;
            assertThat(ticker.c().receive(Duration.ofSeconds(20)).ok()).isTrue();
        }
        assertThat(kept.stop()).as("close stopped it: nothing left to prevent").isFalse();
        assertThat(kept.hasPendingValue()).isFalse();
        assertThat(kept.toString()).isEqualTo("Ticker[not scheduled]");
    }

    @Test
    void TM16_aContextAfterFuncClosedInTryWithResourcesNeverStartsAndASecondCloseIsHarmless() {
        AtomicInteger ran = new AtomicInteger();
        AfterFunc kept;
        try (CancellableContext ctx = Context.withCancel(Context.background())) {
            try (AfterFunc cleanup = Context.afterFunc(ctx, ran::incrementAndGet)) {
                kept = cleanup;
                assertThat(cleanup.toString()).isEqualTo("AfterFunc[pending]");
            }
            assertThat(kept.toString()).isEqualTo("AfterFunc[stopped]");
            ctx.cancel();
            // The state machine only goes pending -> started or pending -> stopped: still "stopped" after the cancel
            // means the cancel could not start it (no wait needed to see that it never runs).
            assertThat(kept.toString()).isEqualTo("AfterFunc[stopped]");
        }
        kept.close();
        assertThat(kept.stop()).isFalse();
        assertThat(ran).hasValue(0);
    }
}
