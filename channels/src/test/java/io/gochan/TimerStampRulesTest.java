package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Rule TM26: the time a timer delivers is its due time, read from both clocks side by side, whatever held the
 * delivering thread up between its look at the heap and the delivery. The clock here moves on by a given hold-up right
 * after the scheduler's monotonic look at the heap, as when a timer thread is descheduled after it (a busy machine,
 * the lock's release). Before, the round and a look stamped the due time plus that hold-up: a ticker's
 * tick stamped by a held-up round came after, in time, the next tick a look stamped, so the receiver saw time go back
 * (a probe with a 200-700 us ticker reset by one thread while another received saw it about once in 1,400 ticks).
 */
class TimerStampRulesTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Instant ORIGIN = Instant.EPOCH.plusNanos(1_000_000_000L);

    /**
     * A fake clock that moves on by {@link #holdUp} (both clocks) right after the next monotonic read: the scheduler's
     * look at the heap, after which the thread is held up before it delivers.
     */
    private static final class HeldUpClock implements TimerScheduler.Clock {
        private final TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        private final AtomicLong holdUp = new AtomicLong();
        private final AtomicLong holdUpAfterWall = new AtomicLong();

        void advance(long nanos) {
            fake.advance(nanos);
        }

        /** Both clocks move on by {@code nanos} right after the next monotonic read returns. */
        void holdUpAfterNextLook(long nanos) {
            holdUp.set(nanos);
        }

        @Override
        public long nanoTime() {
            long t = fake.nanoTime();
            fake.advance(holdUp.getAndSet(0));
            return t;
        }

        /** Both clocks move on by {@code nanos} right after the next wall-clock read returns. */
        void holdUpAfterNextWallRead(long nanos) {
            holdUpAfterWall.set(nanos);
        }

        @Override
        public Instant instant() {
            Instant at = fake.instant();
            fake.advance(holdUpAfterWall.getAndSet(0));
            return at;
        }
    }

    @Test
    void TM26_aRoundHeldUpBeforeItDeliversStampsTheDueTime() {
        HeldUpClock clock = new HeldUpClock();
        TimerScheduler s = new TimerScheduler(clock, false);
        Timer t = new Timer(s, false);
        t.resetNanos(10 * MS);
        clock.advance(13 * MS); // the round comes 3 ms late
        clock.holdUpAfterNextLook(5 * MS); // and is held up 5 ms more after its look at the heap
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
        clock.holdUpAfterNextLook(5 * MS);
        assertThat(t.c().tryReceive().value()).isEqualTo(ORIGIN.plusNanos(10 * MS)); // before: 15 ms
    }

    @Test
    void TM26_aTickersTimeNeverGoesBackBetweenARoundAndALook() {
        HeldUpClock clock = new HeldUpClock();
        TimerScheduler s = new TimerScheduler(clock, false, true);
        Timer ticker = new Timer(s, true);
        ticker.resetNanos(10 * MS);
        clock.advance(10 * MS);
        clock.holdUpAfterNextLook(15 * MS); // the round that delivers the first tick is held up past the second's time
        assertThat(s.runDue()).isEqualTo(1);
        Instant first = ticker.c().tryReceive().value();
        // The tick due at 20 ms met the pending first one (Go's chanrecv runs the due timer before it takes the
        // buffered value: maybeRunChan), so it was dropped and the next is the grid point ahead, 30 ms (TM3, TM6).
        assertThat(ticker.c().tryReceive().notReady()).isTrue();
        clock.advance(5 * MS);
        Instant second = ticker.c().tryReceive().value(); // due at 30 ms, now 30 ms: this look delivers it
        assertThat(first).isEqualTo(ORIGIN.plusNanos(10 * MS)); // before: 25 ms
        assertThat(second).isEqualTo(ORIGIN.plusNanos(30 * MS)).isAfter(first); // before: 20 ms, back in time
    }

    @Test
    void TM26_aHoldUpBetweenTheTwoReadsNeverStampsAValueBeforeItWasDue() {
        HeldUpClock clock = new HeldUpClock();
        TimerScheduler s = new TimerScheduler(clock, false);
        Timer t = new Timer(s, false);
        t.resetNanos(10 * MS);
        clock.advance(10 * MS);
        clock.holdUpAfterNextWallRead(5 * MS); // the delivering thread is held up between the wall and the monotonic read
        assertThat(s.runDue()).isEqualTo(1);
        // Monotonic first: the hold-up falls after both reads. Read the other way round, the value was 5 ms early,
        // before the schedule was due, so it passed for an older schedule's value (G10 saw it under load).
        assertThat(t.c().tryReceive().value()).isEqualTo(ORIGIN.plusNanos(10 * MS));
    }
}
