package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * BB21: the timers due at the instant a bubble's clock reached are all ready to the first member that
 * looks, however far the driver has got in delivering them (TM7 on the bubble's clock). Before, the
 * driver delivered equal-deadline timers one by one and a member woken by the first could find the
 * others empty: {@code BubbleTest.BB3_equalDeadlines...} failed about once in eight runs.
 */
class BubbleTimerLookTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    /** Timers sharing one instant: the more there are, the further the woken member runs ahead. */
    private static final int TIMERS = 64;
    private static final int ROUNDS = 200;

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    @Test
    void BB21_everyTimerDueAtTheClocksInstantIsReadyToALookThatDoesNotWait() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            int r = round;
            Bubble.run(() -> {
                List<ReceiveChan<Instant>> timers = new ArrayList<>();
                for (int i = 0; i < TIMERS; i++) {
                    timers.add(Timers.after(Duration.ofMinutes(10)));
                }
                assertThat(timers.get(0).receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
                for (int i = 1; i < TIMERS; i++) {
                    Received<Instant> got = timers.get(i).tryReceive();
                    assertThat(got.ok()).as("round %d: timer %d, due at the clock's instant, is ready", r, i).isTrue();
                    assertThat(got.value()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
                }
            });
        }
    }
}
