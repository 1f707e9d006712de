package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.testing.TimerDiagnostics;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules L6 (docs/spec/select.md) and G2 (docs/spec/context-timers.md) together: a select waiting on a
 * timer's channel and another channel that takes the other case leaves the timer's value where a
 * later stop can find it (stop then reports it prevented a delivery); a select that takes the timer's
 * case leaves nothing for stop. Whichever wins each round, no timer value is lost or duplicated.
 */
@NoGoroutineLeaks
class TimerSelectRulesTest {
    enum Kind { VIRTUAL, PLATFORM }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L6_G2_aTimerValueIsNeverLostWhenASelectTakesAnotherCase(Kind kind) throws Exception {
        Runnable body = () -> {
            try {
                for (int round = 0; round < 5_000; round++) {
                    Timer t = Timers.newTimer(Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 30_000)));
                    Chan<Integer> other = Chan.make(1);
                    int spins = ThreadLocalRandom.current().nextInt(3_000);
                    Thread sender = Thread.ofVirtual().start(() -> {
                        for (int i = 0; i < spins; i++) Thread.onSpinWait();
                        other.trySend(1);
                    });
                    String won = Select.<String>cases()
                            .receive(t.c(), v -> "timer")
                            .receive(other, v -> "other")
                            .select();
                    sender.join();
                    boolean stopped = t.stop();
                    if (won.equals("timer")) {
                        assertThat(stopped).as("round %d: timer won, stop", round).isFalse();
                    } else {
                        assertThat(stopped).as("round %d: other won; the timer's value must not be lost", round).isTrue();
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        };
        Thread th = kind == Kind.VIRTUAL ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().unstarted(body);
        java.util.concurrent.atomic.AtomicReference<Throwable> fail = new java.util.concurrent.atomic.AtomicReference<>();
        th.setUncaughtExceptionHandler((x, e) -> fail.set(e));
        th.start();
        th.join();
        assertThat(fail.get()).isNull();
    }

    /**
     * Rule TM7 in a select (docs/spec/context-timers.md): Go 1.23's selectgo runs a due timer before it
     * polls the cases, so {@code select { case <-time.After(0): ...; default: }} takes the timer case
     * every time, and against another ready case the timer case wins about half the time (L2). Oracle:
     * {@code channels/src/test/go-evidence/tm7_due_timer_is_ready.go}.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM7_aDueTimerCaseIsReadyAndCompetesUniformly(Kind kind) throws Exception {
        Runnable body = () -> {
            try {
                for (int i = 0; i < 1_000; i++) {
                    String r = Select.<String>cases().receive(Timers.after(Duration.ZERO), v -> "timer")
                            .orElse(() -> "default").select();
                    assertThat(r).as("try %d", i).isEqualTo("timer");
                }
                Chan<Integer> ready = Chan.make(1);
                int n = 4_000;
                int timer = 0;
                for (int i = 0; i < n; i++) {
                    ready.trySend(1);
                    String r = Select.<String>cases().receive(Timers.after(Duration.ZERO), v -> "timer")
                            .receive(ready, v -> "value").select();
                    if (r.equals("timer")) {
                        timer++;
                    }
                }
                // Chi-square with one degree of freedom, p = 1e-6: 23.9.
                double half = n / 2.0;
                double chi = 2 * (timer - half) * (timer - half) / half;
                assertThat(chi).as("timer case taken %d of %d", timer, n).isLessThan(23.9);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        };
        Thread th = kind == Kind.VIRTUAL ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().unstarted(body);
        java.util.concurrent.atomic.AtomicReference<Throwable> fail = new java.util.concurrent.atomic.AtomicReference<>();
        th.setUncaughtExceptionHandler((x, e) -> fail.set(e));
        th.start();
        th.join();
        assertThat(fail.get()).isNull();
    }

    /**
     * Rule TM8 through select: while a select waits on a timer's channel the timer holds it, and once the
     * select has left (another case won) the hold ends, so timers that selects waited on and then
     * dropped are collected (TM2). Go's {@code for { select { case <-time.After(1h): case v := <-ch: } }}.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM8_TM2_aTimerASelectWaitedOnAndLeftIsCollected(Kind kind) throws Exception {
        java.util.List<java.lang.ref.WeakReference<Object>> refs = new java.util.ArrayList<>();
        int before = TimerDiagnostics.pendingTasks();
        Runnable body = () -> {
            try {
                Chan<Integer> other = Chan.make(1);
                for (int i = 0; i < 20; i++) {
                    io.gochan.ReceiveChan<java.time.Instant> c = Timers.after(Duration.ofHours(1));
                    io.gochan.spi.ChannelCore timerCore = io.gochan.spi.ChannelCores.of(c);
                    refs.add(new java.lang.ref.WeakReference<>(timerCore)); // the channel itself, not a view
                    Thread sender = Thread.ofVirtual().start(() -> {
                        while (timerCore.waitingReceivers() == 0) {
                            Thread.onSpinWait(); // until the select waits on the timer's channel too
                            SelectRulesTest.letOthersRun();
                        }
                        other.trySend(1);
                    });
                    String won = Select.<String>cases().receive(c, v -> "timer").receive(other, v -> "other").select();
                    assertThat(won).isEqualTo("other");
                    sender.join();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        };
        Thread th = kind == Kind.VIRTUAL ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().unstarted(body);
        java.util.concurrent.atomic.AtomicReference<Throwable> fail = new java.util.concurrent.atomic.AtomicReference<>();
        th.setUncaughtExceptionHandler((x, e) -> fail.set(e));
        th.start();
        th.join();
        assertThat(fail.get()).isNull();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!(refs.stream().allMatch(r -> r.get() == null) && TimerDiagnostics.pendingTasks() <= before)) {
            assertThat(System.nanoTime() - deadline).as("dropped timers collected within 30 s; pending %d, was %d",
                    TimerDiagnostics.pendingTasks(), before).isNegative();
            System.gc();
            Thread.onSpinWait();
        }
    }
}
