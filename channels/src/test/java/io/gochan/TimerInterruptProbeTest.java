package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Probes of timers where interrupts and several stoppers race a firing (rules G2, TM10, TM15, I2 of docs/spec): no
 * defect found (session 31). Nothing sleeps to order threads: barriers, and time only as a generous bound.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerInterruptProbeTest {

    /**
     * G2, I2: a receiver blocked on a one-shot timer's channel is interrupted while the timer fires. Whichever wins, the
     * value is never lost nor doubled: the receiver got it, or it threw
     * {@code InterruptedException} and the value is still there to take, or (never fired yet) a {@code stop()} prevents
     * it. Exactly one of the three, every round.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_I2_anInterruptRacingTheFiringLosesAndDoublesNoValue(Kind kind) throws Exception {
        int got = 0;
        int left = 0;
        int prevented = 0;
        for (int round = 0; round < 400; round++) {
            Timer t = Timers.newTimer(Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 300_000)));
            AtomicReference<Instant> received = new AtomicReference<>();
            AtomicReference<Boolean> flagAfter = new AtomicReference<>();
            CountDownLatch waiting = new CountDownLatch(1);
            Thread receiver;
            try (Threads threads = new Threads(kind)) {
                receiver = threads.start(() -> {
                    waiting.countDown();
                    try {
                        received.set(t.c().receive());
                        flagAfter.set(Thread.interrupted());
                    } catch (InterruptedException e) {
                        flagAfter.set(Thread.currentThread().isInterrupted());
                    }
                });
                waiting.await();
                receiver.interrupt();
            }
            if (received.get() != null) {
                got++;
                // The flag is not checked: the receive may have completed before the interrupt came.
                assertThat(t.c().tryReceive().notReady()).isTrue();
                assertThat(t.stop()).as("round %d: received, nothing to prevent", round).isFalse();
            } else {
                assertThat(flagAfter.get()).as("round %d: the exception clears the flag", round).isFalse();
                if (t.stop()) {
                    prevented++; // pending or fired unreceived: discarded, and nothing comes after (Go 1.23)
                    assertThat(t.c().receive(Duration.ofMillis(2)).ok()).as("round %d: nothing after", round).isFalse();
                } else {
                    left++;
                    throw new AssertionError("round " + round + ": the interrupted receive lost the value: stop() false");
                }
            }
        }
        assertThat(got + prevented + left).isEqualTo(400);
    }

    /**
     * TM5, TM10: a sleep of the longest duration, on either kind of thread, ends by an interrupt at once (with
     * {@code InterruptedException}, the flag cleared) and leaves nothing scheduled.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM5_TM10_aSleepForeverEndsByAnInterrupt(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        try (Threads threads = new Threads(kind)) {
            Thread sleeper = threads.start(() -> {
                started.countDown();
                try {
                    Timers.sleep(ChronoUnit.FOREVER.getDuration());
                } catch (InterruptedException e) {
                    thrown.set(e);
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                }
            });
            started.await();
            Threads.awaitTrue(() -> sleeper.getState() == Thread.State.TIMED_WAITING
                    || sleeper.getState() == Thread.State.WAITING, "the sleeper to sleep");
            sleeper.interrupt();
        }
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }

    /**
     * G2: of two {@code stop()}s racing an {@code afterFunc} timer's firing, at most one returns true, and the function
     * runs exactly when neither did (Go: "Stop returns false if the function has already been started"), over many
     * timers at once.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_twoStopsRacingAnAfterFuncFiringAreExact(Kind kind) throws Exception {
        int n = 2_000;
        AtomicInteger[] runs = new AtomicInteger[n];
        AtomicInteger[] stops = new AtomicInteger[n];
        Timer[] timers = new Timer[n];
        for (int i = 0; i < n; i++) {
            AtomicInteger r = runs[i] = new AtomicInteger();
            stops[i] = new AtomicInteger();
            timers[i] = Timers.afterFunc(Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 2_000_000)),
                    r::incrementAndGet);
        }
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (Threads threads = new Threads(kind)) {
            for (int s = 0; s < 2; s++) {
                threads.start(() -> {
                    barrier.await();
                    for (int i = 0; i < n; i++) {
                        if (timers[i].stop()) {
                            stops[i].incrementAndGet();
                        }
                    }
                });
            }
        }
        for (int i = 0; i < n; i++) {
            int stopped = stops[i].get();
            assertThat(stopped).as("timer %d: true stops", i).isLessThanOrEqualTo(1);
            int ran = i;
            if (stopped == 0) {
                Threads.awaitTrue(() -> runs[ran].get() == 1, "timer " + i + "'s function");
            }
        }
        // Every function not stopped has run; none ran twice or after a true stop.
        for (int i = 0; i < n; i++) {
            assertThat(runs[i].get() + stops[i].get()).as("timer %d: ran or stopped, once", i).isEqualTo(1);
        }
    }
}
