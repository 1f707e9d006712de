package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule BB50 (docs/spec/bubbles.md): a goroutine that runs until the bubble's context ends, with an operation bound to it
 * (the README's ticker loop, {@code ticker.c().receive(Bubble.context())}), ends with the body: the context's own error
 * thrown out of it is how it ends, not a failure of the bubble, as Go's {@code <-t.Context().Done()} is. Found by session
 * 45's documentation audit: the README's loop, written as it says, failed the test with the ContextCanceledException.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleContextEndTest {

    @Test
    void BB50_aTickerLoopBoundToTheBubblesContextEndsWithTheBody() throws Exception {
        AtomicInteger ticks = new AtomicInteger();
        List<Throwable> handled = new CopyOnWriteArrayList<>();
        var previous = Goroutines.setUncaughtExceptionHandler((g, e) -> handled.add(e));
        try {
            Bubble.run(() -> {
                Go.go("worker", () -> {
                    try (Timer ticker = Timers.newTicker(Duration.ofMinutes(1))) {
                        while (true) {
                            ticker.c().receive(Bubble.context());
                            ticks.incrementAndGet();
                        }
                    }
                });
                // Not a whole number of periods: a tick due at the instant the body wakes races its return.
                Timers.sleep(Duration.ofMinutes(90).plusSeconds(30));
            });
        } finally {
            Goroutines.setUncaughtExceptionHandler(previous);
        }
        assertThat(ticks.get()).isEqualTo(90);
        assertThat(handled).as("nothing reported: the loop's end is no failure").isEmpty();
    }

    @Test
    void BB50_anotherFailureAfterTheEndStillFailsTheBubble() {
        // The context's error wrapped, or a failure of another kind, is still a goroutine failure (BB17).
        assertThatThrownBy(() -> Bubble.run(() -> Go.go("worker", () -> {
            try {
                Chan.<Integer>make().receive(Bubble.context());
            } catch (ContextCanceledException e) {
                throw new IllegalStateException("worker ended badly", e);
            }
        }))).isInstanceOf(IllegalStateException.class).hasMessage("worker ended badly");
    }
}
