package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules BB2, BB4, BB5: gochan's own waits for goroutines ({@link Goroutine#join}, {@link GoFuture#join},
 * {@link ErrGroup#await}, a {@link ErrGroup#go} held by the group's limit, {@link ErrGroup#close}) are
 * durable inside a bubble, and their timeouts run on the bubble's clock. Before the fix each of these
 * counted as running, so the clock never moved and the test hung (each test has a timeout for that).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a regression hangs: fail, do not wait
class BubbleJoinRulesTest {
    private static Duration since(Instant start) {
        return Duration.between(start, Timers.now());
    }

    @Test
    void BB2_joiningAGoroutineOfTheBubbleIsDurable() throws Exception {
        Bubble.run(() -> {
            Instant start = Timers.now();
            Goroutine g = Go.go(() -> Timers.sleep(Duration.ofHours(1)));
            g.join();
            assertThat(g.isAlive()).isFalse();
            assertThat(since(start)).isEqualTo(Duration.ofHours(1));
        });
    }

    @Test
    void BB4_aTimedJoinRunsOnTheBubblesClock() throws Exception {
        Bubble.run(() -> {
            Instant start = Timers.now();
            Goroutine g = Go.go(() -> Timers.sleep(Duration.ofHours(1)));
            assertThat(g.join(Duration.ofMinutes(10))).isFalse();
            assertThat(since(start)).isEqualTo(Duration.ofMinutes(10));
            assertThat(g.isAlive()).isTrue();
            assertThat(g.join(Duration.ofHours(2))).isTrue();
            assertThat(since(start)).isEqualTo(Duration.ofHours(1));
            assertThat(g.join(Duration.ZERO)).as("ended: true at once").isTrue();
        });
    }

    @Test
    void BB2_BB4_aFuturesJoinIsDurableAndItsTimeoutVirtual() throws Exception {
        Bubble.run(() -> {
            Instant start = Timers.now();
            GoFuture<String> f = Go.future(() -> {
                Timers.sleep(Duration.ofHours(1));
                return "slept";
            });
            assertThatThrownBy(() -> f.join(Duration.ofMinutes(1))).isInstanceOf(TimeoutException.class);
            assertThat(since(start)).isEqualTo(Duration.ofMinutes(1));
            assertThat(f.join()).isEqualTo("slept");
            assertThat(since(start)).isEqualTo(Duration.ofHours(1));
        });
    }

    @Test
    void BB2_anErrGroupsAwaitAndItsLimitAreDurable() throws Exception {
        Bubble.run(() -> {
            Instant start = Timers.now();
            try (ErrGroup g = ErrGroup.withContext(Context.background())) {
                g.setLimit(1);
                g.go(() -> Timers.sleep(Duration.ofHours(1)));
                g.go(() -> Timers.sleep(Duration.ofHours(1))); // waits for the first to end: durable
                assertThat(since(start)).isEqualTo(Duration.ofHours(1));
                g.await();
            }
            assertThat(since(start)).isEqualTo(Duration.ofHours(2));
        });
    }

    @Test
    void BB2_anErrGroupsCloseWaitsDurablyForAGoroutineThatOutlivesItsInterrupt() throws Exception {
        Bubble.run(() -> {
            Instant start = Timers.now();
            CountDownLatch ignored = new CountDownLatch(1);
            try (ErrGroup g = ErrGroup.withContext(Context.background())) {
                g.go(() -> {
                    try {
                        Timers.sleep(Duration.ofHours(1));
                    } catch (InterruptedException stop) {
                        ignored.countDown();
                        Timers.sleep(Duration.ofMinutes(5)); // winds down on the bubble's clock
                    }
                });
                Bubble.await(); // the goroutine sleeps
            } // close(): interrupts it, then waits for it
            assertThat(ignored.getCount()).isZero();
            assertThat(since(start)).isEqualTo(Duration.ofMinutes(5));
        });
    }

    @Test
    void G9_BB17_aGoroutineJoiningItselfIsRefusedNotADeadlock() {
        // Was reported as a deadlock (BB5); now refused at once (G9), and the refusal, not caught, is the goroutine's
        // failure, which fails the bubble (BB17). A join cycle is still a deadlock: SelfJoinRulesTest, GF9.
        assertThatThrownBy(() -> Bubble.run(() -> {
            Chan<Goroutine> self = Chan.make(1);
            Goroutine g = Go.go("self-joiner", () -> self.receive().join());
            self.send(g);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("self-joiner joins itself");
    }

    @Test
    void BB2_joiningAGoroutineOfNoBubbleIsNotDurable() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Goroutine outside = Go.go(() -> release.await());
        try {
            Bubble.run(() -> {
                Instant start = Timers.now();
                Thread root = Thread.currentThread();
                Thread releaser = Thread.ofPlatform().daemon().start(() -> {
                    Threads.awaitTrue(() -> root.getState() == Thread.State.WAITING, "the root joining");
                    release.countDown();
                });
                outside.join();
                assertThat(since(start)).as("the clock waited for it").isEqualTo(Duration.ZERO);
                assertThat(releaser.join(Duration.ofSeconds(30))).isTrue();
            });
        } finally {
            release.countDown();
            assertThat(outside.join(Duration.ofSeconds(30))).isTrue();
        }
    }
}
