package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Bubble;
import io.gochan.BubbleDeadlockException;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.Go;
import io.gochan.Goroutines;
import io.gochan.Timer;
import io.gochan.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Select inside virtual-time bubbles: rules BB2, BB4, BB5, BB6 (ADR 0013). */
class BubbleSelectTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void noGoroutineLeft() {
        assertThat(Goroutines.live()).isEmpty();
    }

    @Test
    void BB4_selectTimeoutFiresAtItsVirtualInstant() throws Exception {
        Bubble.run(() -> {
            Chan<String> ch = Chan.make();
            String r = Select.<String>cases().receive(ch, v -> v).timeout(Duration.ofMinutes(10), () -> "timeout").select();
            assertThat(r).isEqualTo("timeout");
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
        });
    }

    /** A heartbeat loop: a ticker, a context deadline and a work channel in one select, an hour long. */
    @Test
    void BB4_anHourOfHeartbeatsAgainstAContextDeadlineTakesNoRealTime() throws Exception {
        long realStart = System.nanoTime();
        Bubble.run(() -> {
            var ctx = Context.withTimeout(Context.background(), Duration.ofHours(1));
            Timer heartbeat = Timers.newTicker(Duration.ofSeconds(30));
            Chan<String> work = Chan.make();
            int beats = 0;
            for (boolean done = false; !done; ) {
                int[] b = {beats};
                done = Select.<Boolean>cases()
                        .receive(heartbeat.c(), t -> { b[0]++; return false; })
                        .receive(work, w -> false)
                        .receiveOk(ctx.done(), x -> true)
                        .select();
                beats = b[0];
            }
            heartbeat.stop();
            // 120 ticks are due in the hour; the one at exactly 1 h races the deadline in the select.
            assertThat(beats).isBetween(119, 120);
            assertThat(Timers.now()).isEqualTo(EPOCH.plus(Duration.ofHours(1)));
        });
        assertThat(Duration.ofNanos(System.nanoTime() - realStart)).isLessThan(Duration.ofMinutes(1));
    }

    @Test
    void BB5_aSelectOnChannelsNobodyUsesIsADeadlock() {
        assertThatThrownBy(() -> Bubble.run(() -> {
            Chan<Integer> a = Chan.make();
            Chan<Integer> b = Chan.make();
            Select.<Integer>cases().receive(a, v -> v).receive(b, v -> v).select();
        })).isInstanceOf(BubbleDeadlockException.class).hasMessageContaining("bubble root");
    }

    /** A select with one case on a channel made outside is not durable: time waits for it. */
    @Test
    void BB2_aSelectWithAnOutsideChannelIsNotDurable() throws Exception {
        Chan<String> outside = Chan.make();
        AtomicReference<Thread> root = new AtomicReference<>();
        Thread sender = Thread.ofPlatform().daemon().start(() -> {
            while (root.get() == null || root.get().getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            try {
                outside.send("outside");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Bubble.run(() -> {
            root.set(Thread.currentThread());
            String r = Select.<String>cases().receive(outside, v -> v).timeout(Duration.ofSeconds(1), () -> "timeout").select();
            assertThat(r).isEqualTo("outside");
            assertThat(Timers.now()).isEqualTo(EPOCH);
        });
        assertThat(sender.join(Duration.ofSeconds(60))).isTrue();
    }

    @Test
    void BB6_aSelectFromOutsideOnABubbleChannelIsAnError() throws Exception {
        AtomicReference<Throwable> outsider = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<Integer> inner = Chan.make();
            CountDownLatch done = new CountDownLatch(1);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    Select.<Integer>cases().receive(inner, v -> v).select();
                } catch (Throwable t) {
                    outsider.set(t);
                } finally {
                    done.countDown();
                }
            });
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            Go.go(() -> { }).join();
        });
        assertThat(outsider.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB6");
    }

    /**
     * BB21: a select with a default, run by a member woken at an instant many timers share, takes a due
     * timer's case, not the default, however far the driver has got in delivering them (TM7, L2).
     */
    @Test
    void BB21_aSelectWithADefaultTakesATimerDueAtTheClocksInstant() throws Exception {
        for (int round = 0; round < 200; round++) {
            int r = round;
            Bubble.run(() -> {
                java.util.List<io.gochan.ReceiveChan<Instant>> timers = new java.util.ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    timers.add(Timers.after(Duration.ofMinutes(10)));
                }
                timers.get(0).receive();
                int chosen = Select.statement().receive(timers.get(63), v -> { }).orElse(() -> { }).run();
                assertThat(chosen).as("round %d: the timer's case, not the default", r).isZero();
            });
        }
    }
}
