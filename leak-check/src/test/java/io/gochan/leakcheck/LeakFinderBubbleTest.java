package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Bubble;
import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule LK28: {@link LeakFinder#awaitQuiet}'s grace is real time, also when a member of a virtual-time bubble calls it.
 * Each bubble runs on a thread of its own, joined with a generous bound, so that the old behaviour fails an assertion
 * instead of hanging the test.
 */
class LeakFinderBubbleTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    private static final Duration GRACE = Duration.ofMillis(300);

    /** The bubbles end their goroutines: none of this class's outlives a test. */
    @AfterEach
    void nothingLeftBehind() throws InterruptedException {
        for (Goroutine g : Goroutines.live()) {
            if (g.name().startsWith("lk28-")) {
                assertThat(g.join(Duration.ofSeconds(20))).as("%s ended", g).isTrue();
            }
        }
    }

    private static Set<Long> live() {
        return Goroutines.live().stream().map(Goroutine::id).collect(Collectors.toSet());
    }

    /**
     * A member waiting on a channel made outside the bubble is not durably blocked, so the bubble's clock stands still:
     * a wait on that clock never ran out. The check returns once its grace has passed in real time, naming it.
     */
    @Test
    void LK28_inABubbleTheGraceEndsInRealTimeForAGoroutineThatIsNotDurablyBlocked() throws Exception {
        Chan<Integer> outside = Chan.make();
        AtomicReference<List<Goroutine>> found = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch checked = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                Bubble.run(() -> {
                    Set<Long> before = live();
                    Go.go("lk28-outside", () -> outside.receive());
                    found.set(LeakFinder.awaitQuiet(before, List.of(), GRACE));
                    checked.countDown();
                });
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        try {
            // A bound, not a speed: the check waits 300 ms.
            assertThat(checked.await(10, TimeUnit.SECONDS)).as("the check returned after its grace").isTrue();
            assertThat(found.get()).extracting(Goroutine::name).containsExactly("lk28-outside");
        } finally {
            outside.send(1); // the goroutine ends, and with it the bubble
            assertThat(t.join(Duration.ofSeconds(20))).isTrue();
        }
        assertThat(failed.get()).isNull();
    }

    /**
     * A member durably blocked for ever: the check's wait is not the bubble's, so the clock does not move for it (it
     * used to jump by the grace again and again until the grace had passed in real time).
     */
    @Test
    void LK28_inABubbleTheCheckDoesNotMoveTheClock() throws Exception {
        AtomicReference<List<Goroutine>> found = new AtomicReference<>();
        AtomicReference<Instant> after = new AtomicReference<>();
        Bubble.run(() -> {
            Set<Long> before = live();
            Chan<Integer> never = Chan.make();
            Go.go("lk28-stuck", () -> never.receiveOk());
            found.set(LeakFinder.awaitQuiet(before, List.of(), GRACE));
            after.set(Timers.now());
            never.close();
        });
        assertThat(found.get()).extracting(Goroutine::name).containsExactly("lk28-stuck");
        assertThat(after.get()).isEqualTo(EPOCH);
    }

    /** A member that ends within the grace is not reported, in a bubble as outside. */
    @Test
    void LK28_inABubbleAGoroutineEndingWithinTheGraceIsNotReported() throws Exception {
        AtomicReference<List<Goroutine>> found = new AtomicReference<>();
        Bubble.run(() -> {
            Set<Long> before = live();
            Chan<Integer> ch = Chan.make(1);
            Go.go("lk28-quick", () -> ch.send(1));
            found.set(LeakFinder.awaitQuiet(before, List.of(), Duration.ofSeconds(20)));
        });
        assertThat(found.get()).isEmpty();
    }
}
