package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * BB39: the bubble's clock stops when the body returns, as Go's runtime stops a bubble's time once its root
 * goroutine has exited; what is then left durably blocked is a deadlock (BB5), named at once, while goroutines that
 * still run are waited for. Before, the clock kept moving after the body: a goroutine left looping on a ticker ran
 * for ever in virtual time, until a JUnit {@code @Timeout} (here: the bound each test has) or never.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleStoppedClockRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    /** What the root's end-wait parks on (BubbleState's blocker text): how a thread outside sees the body returned. */
    private static final String END = "the end of the bubble's other goroutines";

    @AfterEach
    void hookRemoved() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // a generous bound: before BB39 this ran until it
    void BB39_aGoroutineLoopingOnATickerAfterTheBodyReturnedIsADeadlock() {
        List<Instant> ticks = new CopyOnWriteArrayList<>();
        assertThatThrownBy(() -> Bubble.run(() -> {
            Go.go("ticking", () -> {
                Timer ticker = Timers.newTicker(Duration.ofMinutes(1));
                while (true) {
                    ticks.add(ticker.c().receive()); // a forgotten loop: nothing ever stops it
                }
            });
            Timers.sleep(Duration.ofSeconds(90)); // the loop has ticked once; the body returns between ticks
        }))
                .isInstanceOf(BubbleDeadlockException.class)
                .hasMessageStartingWith("the body of Bubble.run and its cleanups have returned, so the bubble's clock"
                        + " has stopped")
                .hasMessageContaining("a timer due at 2000-01-01T00:02:00Z will never fire")
                .hasMessageContaining("(at 2000-01-01T00:01:30Z")
                .hasMessageContaining("\"ticking\"");
        assertThat(ticks).as("the clock stopped at the body's end").containsExactly(EPOCH.plus(Duration.ofMinutes(1)));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB39_aGoroutineSleepingAnHourAfterTheBodyReturnedIsADeadlock() {
        AtomicReference<Instant> woke = new AtomicReference<>();
        assertThatThrownBy(() -> Bubble.run(() -> Go.go("sleeper", () -> {
            Timers.sleep(Duration.ofHours(1));
            woke.set(Timers.now());
        })))
                .isInstanceOf(BubbleDeadlockException.class)
                .hasMessageStartingWith("the body of Bubble.run and its cleanups have returned, so the bubble's clock"
                        + " has stopped")
                .hasMessageContaining("a timer due at 2000-01-01T01:00:00Z will never fire")
                .hasMessageContaining("\"sleeper\"")
                .hasMessageContaining(END); // the root's own paragraph: it waits for the end
        assertThat(woke).as("the sleeper was interrupted, never woken by its timer").hasNullValue();
    }

    /** Goroutines that end by themselves after the body returned, with no time passing, are waited for. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB39_goroutinesThatEndByThemselvesAfterTheBodyReturnedAreWaitedFor() throws Exception {
        List<Integer> received = new CopyOnWriteArrayList<>();
        AtomicReference<Instant> endedAt = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<Integer> work = Chan.make();
            Chan<Void> gate = Chan.make();
            Go.go("consumer", () -> {
                for (Integer v : work) {
                    received.add(v);
                }
                endedAt.set(Timers.now());
            });
            Go.go("producer", () -> {
                gate.receiveOk(); // the body closed it
                Bubble.await(); // released once the root waits for the end: the body has returned
                for (int i = 0; i < 3; i++) {
                    work.send(i);
                }
                work.close();
            });
            gate.close();
        });
        assertThat(received).containsExactly(0, 1, 2);
        assertThat(endedAt.get()).as("no time passed: the clock stopped with the body").isEqualTo(EPOCH);
    }

    /**
     * A goroutine that still runs when the body returns (here: waiting on a latch, which is not durable, BB2) is
     * waited for, and the stopped clock is no deadlock while it runs: the deadlock needs every goroutine durably
     * blocked. A durable wait it then releases ends too.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void BB39_aGoroutineStillRunningAfterTheBodyReturnedIsWaitedFor() throws Exception {
        CountDownLatch outside = new CountDownLatch(1);
        Thread root = Thread.currentThread();
        Thread releaser = Thread.ofPlatform().start(() -> {
            Threads.awaitTrue(() -> END.equals(String.valueOf(LockSupport.getBlocker(root))), "the root's end-wait");
            outside.countDown();
        });
        AtomicReference<Instant> endedAt = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<Void> handed = Chan.make();
            Go.go("waits-durably", () -> {
                handed.receiveOk();
                endedAt.set(Timers.now());
            });
            Go.go("runs", () -> {
                outside.await(); // not durable: the bubble waits for it, clock stopped or not
                handed.close();
            });
        });
        assertThat(releaser.join(Duration.ofSeconds(30))).isTrue();
        assertThat(endedAt.get()).isEqualTo(EPOCH);
    }
}
