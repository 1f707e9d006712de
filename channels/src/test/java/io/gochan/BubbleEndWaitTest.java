package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BB7, BB20: the root's wait for the end of the bubble's goroutines never hides from the driver. The
 * root is unparked by every change of the bubble (to see whether the others have ended); while it woke
 * and queued for the bubble's lock it counted as running ({@code leaving}), and a driver that looked
 * just then waited for the next change, which never came: the root parked again without announcing
 * it, and the bubble hung with every goroutine durably blocked (twice in one loaded CI run,
 * {@code BubbleTest.BB16_...} and {@code BubbleGoroutineFailureTest.BB17_...}).
 */
class BubbleEndWaitTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    private static final int ROUNDS = 3_000;

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a generous bound: a missed wake-up hangs for ever
    void BB7_theDriverReleasesAnAwaitOnceTheBodyReturned() throws Exception {
        // Before BB39 the driver's act here was moving the clock for a sleeper; the clock now stops when the body
        // returns, and releasing Bubble.await() is what the driver still does for the root's end-wait.
        for (int round = 0; round < ROUNDS; round++) {
            Instant[] woke = new Instant[1];
            Bubble.run(() -> Go.go("awaiter", () -> {
                Bubble.await(); // released only once the root is durably blocked: in its end-wait
                woke[0] = Timers.now();
            }));
            assertThat(woke[0]).as("round %d", round).isEqualTo(EPOCH);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void BB7_aGoroutineBlockedForEverAfterTheBodyReturnedIsADeadlock() throws Exception {
        for (int round = 0; round < ROUNDS / 3; round++) {
            assertThatThrownBy(() -> Bubble.run(() -> {
                WaitGroup never = new WaitGroup();
                never.add(1);
                Go.go("never-done", never::await);
            })).as("round %d", round).isInstanceOf(BubbleDeadlockException.class);
        }
    }
}
