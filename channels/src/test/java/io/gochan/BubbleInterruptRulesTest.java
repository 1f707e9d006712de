package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule BB2: an interrupted member is not durably blocked, even before its thread has run to notice the
 * interrupt. Before the fix the driver could move the clock in that window (the interrupter blocking
 * durably at once), completing the member's sleep as if the interrupt had come an hour later.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BubbleInterruptRulesTest {
    @Test
    void BB2_anInterruptedMemberCountsAsRunningUntilItHasRun() throws Exception {
        Bubble.run(() -> {
            for (int i = 0; i < 300; i++) {
                Chan<String> outcome = Chan.make(1);
                Goroutine g = Go.go(() -> {
                    try {
                        Timers.sleep(Duration.ofHours(1));
                        outcome.send("slept");
                    } catch (InterruptedException e) {
                        outcome.send("interrupted");
                    }
                });
                Bubble.await(); // g sleeps
                Instant before = Timers.now();
                g.interrupt();
                assertThat(outcome.receive()).as("round %d", i).isEqualTo("interrupted"); // durable at once
                assertThat(Timers.now()).isEqualTo(before);
                g.join();
            }
        });
    }
}
