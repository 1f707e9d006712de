package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ChannelCores;
import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule BB51 (docs/spec/bubbles.md): a plain receive, by a thread of no bubble, on the empty channel of a timer or ticker
 * made in a bubble that has ended is refused with {@code IllegalStateException}: the bubble's clock never moves again
 * and a reset is refused (BB39, BB22), so the receive would wait for ever. Go's runtime fails it ("receive on synctest
 * channel from outside bubble", {@code TestTimerFromInsideBubble}). A value already in the channel is still received; a
 * timed receive and a look stay allowed (BB6: an ended bubble's channels are ordinary otherwise). Found by session 47's
 * synctest parity audit: the receive hung silently.
 */
@ExtendWith(NoNewGoroutines.class)
class EndedBubbleTimerRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    private static Timer leftPendingByABubble(boolean ticker) throws Exception {
        AtomicReference<Timer> made = new AtomicReference<>();
        Bubble.run(() -> made.set(ticker ? Timers.newTicker(Duration.ofSeconds(1)) : Timers.newTimer(Duration.ofSeconds(1))));
        return made.get();
    }

    /** What a plain receive on {@code c} threw on a thread of {@code kind}; fails the test if it waited 10 s. */
    private static Throwable plainReceiveOn(Threads.Kind kind, ReceiveChan<Instant> c, boolean iterate) throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Runnable r = () -> {
            try {
                if (iterate) {
                    c.iterator().next();
                } else {
                    c.receive();
                }
                outcome.set(new AssertionError("received a value"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        };
        Thread t = kind == Threads.Kind.VIRTUAL ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
        if (!t.join(Duration.ofSeconds(10))) {
            t.interrupt();
            t.join();
            throw new AssertionError("the receive waited (for ever: the timer's bubble has ended); then " + outcome.get());
        }
        return outcome.get();
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB51_aPlainReceiveOnAnEndedBubblesPendingTimerIsRefused(Threads.Kind kind) throws Exception {
        Timer tm = leftPendingByABubble(false);
        assertThat(plainReceiveOn(kind, tm.c(), false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("timer made in a virtual-time bubble that has ended").hasMessageContaining("BB51");
        assertThat(tm.stop()).as("still pending, untouched by the refusal").isTrue();
    }

    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB51_iteratingAnEndedBubblesTickerIsRefused(Threads.Kind kind) throws Exception {
        Timer ticker = leftPendingByABubble(true);
        assertThat(plainReceiveOn(kind, ticker.c(), true)).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB51");
        assertThat(ticker.stop()).isTrue();
    }

    /** A value the timer delivered before the end is received; the next plain receive is refused. */
    @Test
    void BB51_aValueDeliveredBeforeTheEndIsReceivedThenTheReceiveIsRefused() throws Exception {
        AtomicReference<Timer> made = new AtomicReference<>();
        Bubble.run(() -> {
            Timer tm = Timers.newTimer(Duration.ofSeconds(1));
            Timers.sleep(Duration.ofSeconds(2)); // it fired: its value waits in the channel
            made.set(tm);
        });
        Timer tm = made.get();
        assertThat(tm.c().receive()).isEqualTo(EPOCH.plusSeconds(1));
        assertThat(plainReceiveOn(Threads.Kind.VIRTUAL, tm.c(), false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("BB51");
    }

    /** A timed receive waits its timeout on the system clock and a look finds nothing: neither can hang. */
    @Test
    void BB51_aTimedReceiveAndALookAreNotRefused() throws Exception {
        Timer tm = leftPendingByABubble(false);
        assertThat(tm.c().receive(Duration.ofMillis(20)).ok()).isFalse();
        assertThat(tm.c().tryReceive().ok()).isFalse();
        assertThat(tm.stop()).isTrue();
    }

    /**
     * A receive with a context that is never done (background) is the plain receive, refused; with a context that can
     * end, the wait is allowed and ends with it.
     */
    @Test
    void BB51_aReceiveWithAContextIsRefusedOnlyIfTheContextIsNeverDone() throws Exception {
        Timer tm = leftPendingByABubble(false);
        assertThatThrownBy(() -> tm.c().receive(Context.background())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("BB51");
        CancellableContext ctx = Context.withCancel(Context.background());
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                tm.c().receive(ctx);
                outcome.set(new AssertionError("received a value"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        Threads.awaitTrue(() -> ChannelCores.of(tm.c()).waitingReceivers() == 1, "the receiver waits");
        ctx.cancel();
        assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(outcome.get()).isInstanceOf(ContextCanceledException.class);
        assertThat(tm.stop()).isTrue();
    }

    /** Outside bubbles nothing changes: a receive on a stopped timer of no bubble waits (until interrupted). */
    @Test
    void BB51_aStoppedTimerOfNoBubbleStillWaits() throws Exception {
        Timer tm = Timers.newTimer(Duration.ofHours(1));
        assertThat(tm.stop()).isTrue();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                tm.c().receive();
                outcome.set(new AssertionError("received a value"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        Threads.awaitTrue(() -> ChannelCores.of(tm.c()).waitingReceivers() == 1, "the receiver waits");
        t.interrupt();
        assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    }
}
