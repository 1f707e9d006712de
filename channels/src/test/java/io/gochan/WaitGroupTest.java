package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rules G4, G5: the wait group; BB4, BB16: its waits inside a virtual-time bubble. */
@ExtendWith(NoNewGoroutines.class)
class WaitGroupTest {
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Threads.Kind.class)
    void G5_goCountsTheTaskAndItsDoneEvenWhenItFails(Threads.Kind kind) throws Exception {
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> handled = new java.util.concurrent.ConcurrentLinkedQueue<>();
        var old = Goroutines.setUncaughtExceptionHandler((g, t) -> handled.add(t));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                WaitGroup wg = new WaitGroup();
                Chan<Integer> release = Chan.make();
                int[] slots = new int[50];
                java.util.List<Goroutine> started = new java.util.ArrayList<>();
                for (int i = 0; i < slots.length; i++) {
                    int n = i;
                    started.add(wg.go(() -> {
                        release.receiveOk();
                        slots[n] = n + 1;
                        if (n == 7) {
                            throw new java.io.IOException("seven");
                        }
                    }));
                }
                assertThat(wg.count()).as("counted before go returns").isEqualTo(50);
                release.close();
                wg.await();
                // done() comes once each goroutine has left the registry and its failure was reported.
                assertThat(Goroutines.live()).as("none of the group's goroutines listed").doesNotContainAnyElementsOf(started);
                assertThat(handled).as("the failure reported before await returned").hasSize(1);
                for (int i = 0; i < slots.length; i++) {
                    assertThat(slots[i]).isEqualTo(i + 1);
                }
                assertThatThrownBy(() -> wg.go(null)).isInstanceOf(NullPointerException.class);
                assertThat(wg.count()).isZero();
            });
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    @Test
    void G4_awaitReturnsAfterEveryDoneAndSeesTheirWrites() throws Exception {
        WaitGroup wg = new WaitGroup();
        int[] slots = new int[100];
        for (int i = 0; i < 100; i++) {
            int n = i;
            wg.add(1);
            Go.go(() -> {
                slots[n] = n + 1;
                wg.done();
            });
        }
        wg.await();
        for (int i = 0; i < 100; i++) {
            assertThat(slots[i]).isEqualTo(i + 1);
        }
        assertThat(wg.count()).isZero();
    }

    @Test
    void G4_negativeCounterIsRejected() {
        WaitGroup wg = new WaitGroup();
        assertThatThrownBy(wg::done).isInstanceOf(IllegalStateException.class).hasMessageContaining("negative");
        assertThat(wg.count()).isZero();
    }

    @Test
    void G4_awaitIsInterruptibleAndTimed() throws Exception {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        assertThat(wg.await(Duration.ofMillis(5))).isFalse();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicInteger started = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            started.incrementAndGet();
            try {
                wg.await();
            } catch (InterruptedException e) {
                thrown.set(e);
            }
        });
        Threads.awaitTrue(() -> t.getState() == Thread.State.WAITING, "waiting");
        t.interrupt();
        assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        wg.done();
        assertThat(wg.await(Duration.ofSeconds(1))).isTrue();
    }

    /**
     * The counter reaches zero and is raised again before the waiters have run: both waiters (untimed
     * and timed) were released by the zero and return. Before the fix they looked at the counter only
     * when they ran, found it at one, and waited on (for ever, or until the timeout).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Threads.Kind.class)
    void G4_everyWaiterPresentWhenTheCounterReachesZeroIsReleasedEvenIfItIsRaisedAtOnce(Threads.Kind kind)
            throws Exception {
        for (int round = 0; round < 20; round++) {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            AtomicBoolean untimedReturned = new AtomicBoolean();
            AtomicBoolean timedResult = new AtomicBoolean();
            boolean bothReturnedWhileRaised;
            try (Threads threads = new Threads(kind)) {
                Thread untimed = threads.start(() -> {
                    wg.await();
                    untimedReturned.set(true);
                });
                Thread timed = threads.start(() -> timedResult.set(wg.await(Duration.ofMinutes(10))));
                Threads.awaitTrue(() -> untimed.getState() == Thread.State.WAITING
                        && timed.getState() == Thread.State.TIMED_WAITING, "both waiters parked");
                wg.done(); // zero: both are due to leave
                wg.add(1); // raised again, before they have taken the lock back
                bothReturnedWhileRaised = untimed.join(Duration.ofSeconds(10)) && timed.join(Duration.ofSeconds(10));
                wg.done(); // lets a waiter the bug kept end, so that the failure below is the only one
            }
            assertThat(bothReturnedWhileRaised).as("round %d: both waiters returned while the counter was 1", round)
                    .isTrue();
            assertThat(untimedReturned).isTrue();
            assertThat(timedResult).as("the timed wait says the counter reached zero").isTrue();
        }
    }

    /** The same inside a bubble: a waiter released by the zero is not left durably blocked (no deadlock). */
    @Test
    @Timeout(60) // before the fix: the timed waiter waited in real time, and Bubble.await() for it
    void G4_BB16_inABubbleAWaiterReleasedByZeroIsNotLeftBlocked() throws Exception {
        Bubble.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Chan<String> returned = Chan.make(2);
            Go.go(() -> {
                wg.await();
                returned.send("untimed");
            });
            Go.go(() -> returned.send(wg.await(Duration.ofHours(1)) ? "timed: zero" : "timed: timed out"));
            Bubble.await(); // both are durably blocked in await
            Instant before = Timers.now();
            wg.done();
            wg.add(1);
            assertThat(List.of(returned.receive(), returned.receive()))
                    .containsExactlyInAnyOrder("untimed", "timed: zero");
            assertThat(Timers.now()).as("no time passed").isEqualTo(before);
            wg.done();
        });
    }

    /**
     * BB4: inside a bubble the timed wait runs on the bubble's clock and is durable (BB16): it times out
     * after exactly its virtual timeout, at once in real time, and sees a done() made at a virtual
     * instant before it. Before the fix it waited in real time (and counted as running meanwhile).
     */
    @Test
    @Timeout(60)
    void BB4_BB16_aTimedWaitInABubbleRunsOnTheBubblesClock() throws Exception {
        Bubble.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Instant start = Timers.now();
            assertThat(wg.await(Duration.ofSeconds(20))).isFalse();
            assertThat(Duration.between(start, Timers.now())).isEqualTo(Duration.ofSeconds(20));
            Go.go(() -> {
                Timers.sleep(Duration.ofMinutes(1));
                wg.done();
            });
            assertThat(wg.await(Duration.ofHours(1))).isTrue();
            assertThat(Duration.between(start, Timers.now())).isEqualTo(Duration.ofSeconds(80));
            assertThat(wg.await(Duration.ofHours(1))).as("at zero: at once").isTrue();
            assertThat(Duration.between(start, Timers.now())).isEqualTo(Duration.ofSeconds(80));
        });
    }

    /**
     * BB16: a timed wait in a bubble on a wait group of no bubble is not durable: the clock waits for
     * it, so its virtual timeout cannot pass before the outside done() arrives.
     */
    @Test
    @Timeout(60)
    void BB16_aTimedWaitOnAWaitGroupOfNoBubbleWaitsForTheOutsideDone() throws Exception {
        WaitGroup outside = new WaitGroup();
        outside.add(1);
        AtomicReference<Thread> waiter = new AtomicReference<>();
        Thread finisher = Thread.ofVirtual().start(() -> {
            Threads.awaitTrue(() -> waiter.get() != null
                    && waiter.get().getState() != Thread.State.RUNNABLE && waiter.get().getState() != Thread.State.NEW,
                    "the member waiting");
            outside.done();
        });
        try {
            Bubble.run(() -> {
                Instant start = Timers.now();
                waiter.set(Thread.currentThread());
                assertThat(outside.await(Duration.ofHours(1))).isTrue();
                assertThat(Timers.now()).as("the clock waited").isEqualTo(start);
            });
        } finally {
            assertThat(finisher.join(Duration.ofSeconds(30))).isTrue();
        }
    }
}
