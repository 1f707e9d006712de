package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Bubble;
import io.gochan.Chan;
import io.gochan.GoFuture;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.Timers;
import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rules BB48 and BB49 (docs/spec/bubbles.md): inside a bubble, a channel wait or select whose timeout runs past the
 * clock's end, and a timed join of a member as far, end at the clock's last instant, as a far sleep or timer does (BB23).
 * Found by session 45's bubble audit: the channel waits ended 1 ns before it, and the far join was a false deadlock.
 */
class FarDeadlineInBubbleTest {
    private static final Instant LAST = Instant.parse("2000-01-01T00:00:00Z").plusNanos(Long.MAX_VALUE);
    private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
        assertThat(Goroutines.live()).isEmpty();
    }

    @Test
    void BB48_farChannelWaitsAndSelectTimeoutsEndAtTheClocksLastInstant() throws Exception {
        Map<String, Instant> at = new TreeMap<>();
        Bubble.run(() -> {
            Timers.sleep(FOREVER);
            at.put("sleep(FOREVER), the reference", Timers.now());
        });
        Bubble.run(() -> {
            Select.<String>cases().receive(Chan.<Integer>make(), v -> "v").timeout(FOREVER, () -> "t").select();
            at.put("select timeout(FOREVER)", Timers.now());
        });
        Bubble.run(() -> {
            Select.<String>cases().receive(Chan.<Integer>make(), v -> "v").timeout(Duration.ofNanos(Long.MAX_VALUE), () -> "t")
                    .select();
            at.put("select timeout(MAX ns)", Timers.now());
        });
        Bubble.run(() -> {
            Chan.<Integer>make().receive(FOREVER);
            at.put("receive(FOREVER)", Timers.now());
        });
        Bubble.run(() -> {
            Chan.<Integer>make().send(1, FOREVER);
            at.put("send(FOREVER)", Timers.now());
        });
        Bubble.run(() -> {
            Timers.sleep(Duration.ofNanos(1));
            Select.<String>cases().receive(Chan.<Integer>make(), v -> "v").timeout(Duration.ofNanos(Long.MAX_VALUE - 1), () -> "t")
                    .select();
            at.put("select timeout(MAX-1 ns) at 1 ns", Timers.now());
        });
        assertThat(at).hasSize(6).allSatisfy((what, when) -> assertThat(when).as(what).isEqualTo(LAST));
    }

    @Test
    void BB48_aFarSelectTimeoutAndAFarTimerEndAtTheSameInstant() throws Exception {
        Bubble.run(() -> {
            Select.<String>cases().receive(Timers.after(FOREVER), x -> "timer").timeout(FOREVER, () -> "timeout").select();
            assertThat(Timers.now()).isEqualTo(LAST); // whichever won, at the last instant (before: the timeout, 1 ns early)
        });
    }

    @Test
    void BB49_aFarTimedJoinOfAMemberEndsAtTheLastInstantNotADeadlock() throws Exception {
        for (Duration far : List.of(FOREVER, Duration.ofNanos(Long.MAX_VALUE))) {
            Bubble.run(() -> {
                Goroutine g = Go.go(() -> {
                    try {
                        Chan.<Integer>make().receive(Bubble.context()); // until the body ends
                    } catch (io.gochan.ContextCanceledException ended) {
                        // the bubble's context, cancelled as its body returned (BB7)
                    }
                });
                assertThat(g.join(far)).as("join(%s)", far).isFalse();
                assertThat(Timers.now()).isEqualTo(LAST);
            });
            Bubble.run(() -> {
                GoFuture<Integer> f = Go.future(() -> Chan.<Integer>make().receive(Bubble.context()));
                try {
                    f.join(far);
                    throw new AssertionError("future.join(" + far + ") returned");
                } catch (TimeoutException expected) {
                    assertThat(Timers.now()).isEqualTo(LAST);
                }
                Bubble.cleanup(() -> {
                    // Observe its failure (the bubble's context, cancelled as the body returned): an unobserved one is
                    // reported once the future is collected, by a goroutine another test would find running (GF2).
                    try {
                        f.join();
                    } catch (io.gochan.ContextCanceledException expected) {
                        // how it ended
                    }
                });
            });
        }
    }
}
