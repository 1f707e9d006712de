package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Rule TM26: the time a timer delivers is its due time, read from both clocks side by side, whatever held the
 * delivering thread up between its look at the heap and the delivery. The clock here reads the wall clock a given
 * hold-up later than the monotonic clock was read before it, as a timer thread descheduled in between (a busy
 * machine, the lock's release) does. Before, the round and a look stamped the due time plus that hold-up: a ticker's
 * tick stamped by a held-up round came after, in time, the next tick a look stamped, so the receiver saw time go back
 * (a probe with a 200-700 us ticker reset by one thread while another received saw it about once in 1,400 ticks).
 */
class TimerStampRulesTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Instant ORIGIN = Instant.EPOCH.plusNanos(1_000_000_000L);

    /** A fake clock whose next wall-clock reads come {@link #holdUp} later than the monotonic time read before. */
    private static final class HeldUpClock implements TimerScheduler.Clock {
        private final TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        private final AtomicLong holdUp = new AtomicLong();

        void advance(long nanos) {
            fake.advance(nanos);
        }

        /** The next wall-clock read comes {@code nanos} later (on both clocks) than whatever was read before it. */
        void holdUpNextInstant(long nanos) {
            holdUp.set(nanos);
        }

        @Override
        public long nanoTime() {
            return fake.nanoTime();
        }

        @Override
        public Instant instant() {
            fake.advance(holdUp.getAndSet(0));
            return fake.instant();
        }
    }

    @Test
    void TM26_aRoundHeldUpBeforeItDeliversStampsTheDueTime() {
        HeldUpClock clock = new HeldUpClock();
        TimerScheduler s = new TimerScheduler(clock, false);
        Timer t = new Timer(s, false);
        t.resetNanos(10 * MS);
        clock.advance(13 * MS); // the round comes 3 ms late
        clock.holdUpNextInstant(5 * MS); // and is held up 5 ms more after its look at the heap
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(t.c().tryReceive().value()).isEqualTo(ORIGIN.plusNanos(10 * MS)); // before: 15 ms
    }

    @Test
    void TM26_aLookHeldUpBeforeItDeliversStampsTheDueTime() {
        HeldUpClock clock = new HeldUpClock();
        TimerScheduler s = new TimerScheduler(clock, false, true); // runs timers on a look (TM7), as the system's
        Timer t = new Timer(s, false);
        t.resetNanos(10 * MS);
        clock.advance(10 * MS);
        clock.holdUpNextInstant(5 * MS);
        assertThat(t.c().tryReceive().value()).isEqualTo(ORIGIN.plusNanos(10 * MS)); // before: 15 ms
    }

    @Test
    void TM26_aTickersTimeNeverGoesBackBetweenARoundAndALook() {
        HeldUpClock clock = new HeldUpClock();
        TimerScheduler s = new TimerScheduler(clock, false, true);
        Timer ticker = new Timer(s, true);
        ticker.resetNanos(10 * MS);
        clock.advance(10 * MS);
        clock.holdUpNextInstant(15 * MS); // the round that delivers the first tick is held up past the second's time
        assertThat(s.runDue()).isEqualTo(1);
        Instant first = ticker.c().tryReceive().value();
        Instant second = ticker.c().tryReceive().value(); // due at 20 ms, now 25 ms: this look delivers it
        assertThat(first).isEqualTo(ORIGIN.plusNanos(10 * MS)); // before: 25 ms
        assertThat(second).isEqualTo(ORIGIN.plusNanos(20 * MS)).isAfter(first); // before: 20 ms, back in time
    }
}
