package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Probe (G2, TM15, CX8-like for timers): a stop or reset made exactly in the window between a round's look at the heap
 * and its delivery (or its afterFunc's start), made there by the fake clock itself: the round's second monotonic read
 * (TM26's stamp) runs it, on the round's thread, with no lock held, as another thread's call would run there.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerRoundWindowProbeTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Instant ORIGIN = Instant.EPOCH.plusNanos(1_000_000_000L);

    /** A fake clock that runs an action right after the second monotonic read from now: the round's stamp. */
    private static final class WindowClock implements TimerScheduler.Clock {
        private final TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        private final AtomicInteger readsLeft = new AtomicInteger(-1);
        private final AtomicReference<Runnable> action = new AtomicReference<>();

        void advance(long nanos) {
            fake.advance(nanos);
        }

        void inTheWindow(Runnable r) {
            action.set(r);
            readsLeft.set(2);
        }

        @Override
        public long nanoTime() {
            long t = fake.nanoTime();
            if (readsLeft.get() > 0 && readsLeft.decrementAndGet() == 0) {
                action.getAndSet(null).run();
            }
            return t;
        }

        @Override
        public Instant instant() {
            return fake.instant();
        }
    }

    @Test
    void G2_TM15_aStopOrResetInTheRoundsWindowVoidsTheOldValueAndSaysSo() {
        for (boolean ticker : new boolean[] {false, true}) {
            for (boolean stop : new boolean[] {false, true}) {
                WindowClock clock = new WindowClock();
                TimerScheduler s = new TimerScheduler(clock, false);
                Timer t = new Timer(s, ticker);
                t.resetNanos(10 * MS);
                clock.advance(10 * MS);
                AtomicBoolean said = new AtomicBoolean();
                clock.inTheWindow(() -> said.set(stop ? t.stop() : t.resetNanos(7 * MS)));
                assertThat(s.runDue()).isEqualTo(1);
                String what = (ticker ? "ticker " : "timer ") + (stop ? "stop" : "reset");
                assertThat(said).as("%s: the old firing was pending", what).isTrue();
                assertThat(t.c().tryReceive().notReady()).as("%s: nothing stale", what).isTrue();
                clock.advance(7 * MS);
                assertThat(s.runDue()).as(what).isEqualTo(stop ? 0 : 1);
                if (!stop) {
                    // The new schedule, from the reset (at 10 ms), once: at 17 ms.
                    assertThat(t.c().tryReceive().value()).as(what).isEqualTo(ORIGIN.plusNanos(17 * MS));
                }
                assertThat(t.c().tryReceive().notReady()).as(what).isTrue();
                t.stop();
            }
        }
    }

    @Test
    void G2_anAfterFuncStoppedOrResetInTheRoundsWindowRunsAsItsAnswerSays() throws Exception {
        for (boolean stop : new boolean[] {false, true}) {
            WindowClock clock = new WindowClock();
            TimerScheduler s = new TimerScheduler(clock, false);
            Semaphore runs = new Semaphore(0);
            CountDownLatch ended = new CountDownLatch(stop ? 1 : 2);
            Timer t = new Timer(s, () -> {
                runs.release();
                ended.countDown();
            });
            t.resetNanos(10 * MS);
            clock.advance(10 * MS);
            AtomicBoolean said = new AtomicBoolean(true);
            clock.inTheWindow(() -> said.set(stop ? t.stop() : t.resetNanos(7 * MS)));
            assertThat(s.runDue()).isEqualTo(1);
            // Taken from the heap to start: stop and reset find it no longer pending (Go: f has been started).
            assertThat(said).as(stop ? "stop" : "reset").isFalse();
            clock.advance(7 * MS);
            assertThat(s.runDue()).isEqualTo(stop ? 0 : 1); // a reset schedules f to run again
            assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(runs.availablePermits()).isEqualTo(stop ? 1 : 2);
            assertThat(t.stop()).isFalse();
        }
    }
}
