package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TM29 (docs/spec/context-timers.md): on the system scheduler a one-shot channel timer is in the timer heap only while
 * a receiver waits on its channel, as Go 1.23 keeps a channel timer in its heap only while a goroutine is blocked on
 * the channel; a look at the channel delivers a due timer nobody waited on (TM7). A ticker keeps its place on its grid
 * between receives (it leaves the heap only when a tick is left unreceived, TM6). Each test looks at its own
 * timers' entries, so timers other tests left scheduled change nothing here.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class LazyChannelTimerRulesTest {

    private static boolean inHeap(Timer t) {
        return TimerScheduler.SYSTEM.inHeap(t.entry());
    }

    /** A timer nobody waits on takes no place in the heap, armed as it is; a ticker keeps its place on its grid. */
    @Test
    void TM29_aChannelTimerNobodyWaitsOnStaysOutOfTheHeap() {
        Timer timer = Timers.newTimer(Duration.ofHours(1));
        Timer ticker = Timers.newTicker(Duration.ofHours(1));
        try {
            assertThat(inHeap(timer)).isFalse();
            assertThat(inHeap(ticker)).as("a ticker: on its grid").isTrue();
            assertThat(timer.reset(Duration.ofHours(2))).as("armed all the same: reset says so").isTrue();
            assertThat(inHeap(timer)).isFalse();
        } finally {
            assertThat(timer.stop()).as("armed all the same: stop says so").isTrue();
            assertThat(ticker.stop()).isTrue();
        }
    }

    /** A receiver that waits puts the timer in the heap; once it stops waiting (interrupted), the timer leaves it. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM29_aWaitingReceiverPutsTheTimerInAndLeavingTakesItOut(Kind kind) throws Exception {
        Timer timer = Timers.newTimer(Duration.ofHours(1));
        try (Threads threads = new Threads(kind)) {
            Thread receiver = threads.start(() -> {
                try {
                    timer.c().receive();
                } catch (InterruptedException expected) {
                    // how this receiver stops waiting
                }
            });
            Threads.awaitTrue(() -> inHeap(timer), "the waiting receiver put the timer in the heap");
            receiver.interrupt();
            assertThat(receiver.join(Duration.ofSeconds(30))).isTrue();
            assertThat(inHeap(timer)).as("out once nobody waits").isFalse();
        } finally {
            timer.stop();
        }
    }

    /**
     * A timer whose time has come while nobody waited delivers to the first look, once, the time it was due (TM7,
     * TM14), and was never in the heap.
     */
    @Test
    void TM29_aDueTimerNobodyWaitedOnIsReadyToALook() {
        long before = System.nanoTime();
        Instant made = Instant.now();
        Timer timer = Timers.newTimer(Duration.ofMillis(1));
        assertThat(inHeap(timer)).isFalse();
        while (System.nanoTime() - before < TimeUnit.MILLISECONDS.toNanos(2)) {
            Thread.onSpinWait(); // its time passes with nobody waiting
        }
        assertThat(inHeap(timer)).isFalse();
        Received<Instant> r = timer.c().tryReceive();
        assertThat(r.ok()).as("the look delivers it").isTrue();
        assertThat(r.value()).isAfterOrEqualTo(made.minusMillis(50));
        assertThat(timer.c().tryReceive().ok()).as("once").isFalse();
        assertThat(timer.stop()).as("delivered: nothing left to stop").isFalse();
    }

    /** A receiver that waits for a timer is woken by it, and the timer is out of the heap once it fired. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM29_aWaitedOnTimerFiresAndLeavesTheHeap(Kind kind) throws Exception {
        Timer timer = Timers.newTimer(Duration.ofMillis(20));
        List<Instant> got = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> got.add(timer.c().receive()));
        }
        assertThat(got).hasSize(1).doesNotContainNull();
        assertThat(inHeap(timer)).isFalse();
        assertThat(timer.stop()).isFalse();
    }

    /** A stopped timer a receiver waits on is reset: it enters the heap at once, and its receiver gets its value. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM29_aTimerResetWhileAReceiverWaitsEntersTheHeap(Kind kind) throws Exception {
        Timer timer = Timers.newTimer(Duration.ofHours(1));
        assertThat(timer.stop()).isTrue();
        List<Instant> got = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            Thread receiver = threads.start(() -> got.add(timer.c().receive()));
            Threads.awaitTrue(() -> receiver.getState() == Thread.State.WAITING, "the receiver waits");
            assertThat(inHeap(timer)).as("stopped: a waiting receiver puts nothing in").isFalse();
            timer.reset(Duration.ofMillis(10));
        }
        assertThat(got).hasSize(1).doesNotContainNull();
        assertThat(inHeap(timer)).isFalse();
    }

    /**
     * Receivers that come and go (timed receives of random lengths, two at once) as the timer falls due, so that its
     * entry goes in and out of the heap while a round may be taking it and a look may be delivering it: its one value
     * is never lost nor doubled. Whoever times out leaves it to the next look, which finds it once its time has come.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM29_aValueIsNeverLostNorDoubledAsReceiversComeAndGo(Kind kind) throws Exception {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int round = 0; round < 500; round++) {
            Timer timer = Timers.newTimer(Duration.ofNanos(random.nextLong(300_000)));
            java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
            long[] waits = {random.nextLong(300_000), random.nextLong(300_000)};
            try (Threads threads = new Threads(kind)) {
                for (long wait : waits) {
                    threads.start(() -> {
                        if (timer.c().receive(Duration.ofNanos(wait)).ok()) {
                            got.incrementAndGet();
                        }
                    });
                }
            }
            if (got.get() == 0) {
                assertThat(timer.c().receive(Duration.ofSeconds(30)).ok()).as("round %d: the value waits for a look", round)
                        .isTrue();
                got.incrementAndGet();
            }
            assertThat(got.get()).as("round %d: one value", round).isEqualTo(1);
            assertThat(timer.c().tryReceive().ok()).as("round %d: no second value", round).isFalse();
            assertThat(inHeap(timer)).as("round %d: nothing left in the heap", round).isFalse();
        }
    }

    /**
     * A ticker delivers every tick its receiver waits for, in time order, and stays on its grid between receives
     * (nobody waiting), in the heap: its receiver comes back every period.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM29_aTickerDeliversToItsReceiverAndStaysOnItsGridBetweenReceives(Kind kind) throws Exception {
        Timer ticker = Timers.newTicker(Duration.ofMillis(1));
        List<Instant> ticks = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 5; i++) {
                    ticks.add(ticker.c().receive());
                }
            });
        }
        try {
            assertThat(ticks).hasSize(5).isSorted();
            assertThat(inHeap(ticker) || ticker.hasPendingValue()).as("on its grid, or dozing on an unreceived tick (TM6)")
                    .isTrue();
            // Its grid goes on: a receive now waits for the next tick, or takes one a look finds due.
            assertThat(ticker.c().receive(Duration.ofSeconds(30)).ok()).isTrue();
        } finally {
            ticker.stop();
        }
    }
}
