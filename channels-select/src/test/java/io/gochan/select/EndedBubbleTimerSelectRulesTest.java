package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Bubble;
import io.gochan.Chan;
import io.gochan.Goroutines;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.spi.ChannelCores;
import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule BB52 (docs/spec/bubbles.md): a select without timeout or default whose every enabled case receives from the empty
 * channel of a timer or ticker made in a bubble that has ended is refused with {@code IllegalStateException}, as BB51
 * refuses the plain receive: those clocks never move again, so it would wait for ever. A select with any other case, a
 * timeout or a default still runs as before. Found by session 47's synctest parity audit, with BB51.
 */
class EndedBubbleTimerSelectRulesTest {
    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
        assertThat(Goroutines.live()).isEmpty();
    }

    /** A timer and a ticker the bubble left pending. */
    private static List<Timer> leftPendingByABubble() throws Exception {
        AtomicReference<List<Timer>> made = new AtomicReference<>();
        Bubble.run(() -> made.set(List.of(Timers.newTimer(Duration.ofSeconds(1)), Timers.newTicker(Duration.ofSeconds(1)))));
        return made.get();
    }

    /** What {@code select} threw on a platform thread of no bubble; fails the test if it waited 10 s. */
    private static Throwable onAThreadOfNoBubble(SelectBody select) throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                select.run();
                outcome.set(new AssertionError("the select completed"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        if (!t.join(Duration.ofSeconds(10))) {
            t.interrupt();
            t.join();
            throw new AssertionError("the select waited (for ever: the timers' bubble has ended); then " + outcome.get());
        }
        return outcome.get();
    }

    interface SelectBody {
        void run() throws Exception;
    }

    @Test
    void BB52_aSelectOnlyOnAnEndedBubblesTimersIsRefused() throws Exception {
        List<Timer> timers = leftPendingByABubble();
        Timer tm = timers.get(0);
        Timer ticker = timers.get(1);
        assertThat(onAThreadOfNoBubble(() -> Select.<String>cases().receive(tm.c(), v -> "timer").select()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("BB52");
        assertThat(onAThreadOfNoBubble(() -> Select.<String>cases().receive(tm.c(), v -> "timer")
                .receiveOk(ticker.c(), r -> "ticker").receive(Chan.<String>nil(), v -> v).select()))
                .as("with a nil channel's case, which never fires").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("BB52");
        assertThat(onAThreadOfNoBubble(() -> Select.statement().receive(ticker.c(), v -> { }).run()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("BB52");
        assertThat(tm.stop()).as("left as it was").isTrue();
        assertThat(ticker.stop()).isTrue();
    }

    @Test
    void BB52_aSelectWithAnotherCaseATimeoutOrADefaultStillWaitsOrReturns() throws Exception {
        List<Timer> timers = leftPendingByABubble();
        Timer tm = timers.get(0);
        assertThat(Select.<String>cases().receive(tm.c(), v -> "timer").orElse(() -> "default").select()).isEqualTo("default");
        assertThat(Select.<String>cases().receive(tm.c(), v -> "timer").timeout(Duration.ofMillis(20), () -> "timeout")
                .select()).isEqualTo("timeout");
        Chan<String> live = Chan.make();
        Thread sender = Thread.ofPlatform().daemon().start(() -> {
            try {
                while (ChannelCores.of(live).waitingReceivers() == 0) {
                    Thread.onSpinWait();
                }
                live.send("live");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(Select.<String>cases().receive(tm.c(), v -> "timer").receive(live, v -> v).select()).isEqualTo("live");
        assertThat(sender.join(Duration.ofSeconds(30))).isTrue();
        assertThat(tm.stop()).isTrue();
        timers.get(1).stop();
    }
}
