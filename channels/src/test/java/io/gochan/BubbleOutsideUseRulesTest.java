package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ParkHook;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Use of a running bubble's channels and timers from outside it, as Go 1.25's runtime checks it ("close of synctest
 * channel from outside bubble", "stop of synctest timer from outside bubble"): what gochan refuses (BB43, BB44) and
 * what it allows on purpose (BB45). The outsider is a thread of no bubble of either kind, or a goroutine of another
 * bubble; the bubble's root waits for it with a plain join, which is not durable (BB2), so its clock stands still.
 */
class BubbleOutsideUseRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).as("the park hook is removed when the last bubble ends").isNull();
        assertThat(Goroutines.live()).as("goroutines left").isEmpty();
    }

    /**
     * BB43: a thread of no bubble cannot close a running bubble's channel; the channel stays open and the member
     * waiting on it is not woken. Before BB43 the close went through and woke the member behind the clock's back.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB43_closingARunningBubblesChannelFromOutsideIsRefused(Threads.Kind kind) throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<String> ch = Chan.make();
            GoFuture<String> waiter = Go.future(() -> ch.receive());
            Bubble.await(); // the member waits on the channel, durably
            try (Threads outsider = new Threads(kind)) {
                outsider.start(() -> refused.set(SelfWaits.outcome(ch::close)));
            }
            ch.send("still open"); // a closed channel would throw here
            assertThat(waiter.join()).isEqualTo("still open");
            ch.close(); // a goroutine of the bubble may close it
            assertThat(Timers.now()).isEqualTo(EPOCH);
        });
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("close of a channel made in a virtual-time bubble, from outside that bubble")
                .hasMessageContaining("(BB43)");
    }

    /** BB43, BB24: a goroutine of another bubble is as much outside: its close of this bubble's channel is refused. */
    @Test
    void BB43_closingAChannelOfAnotherRunningBubbleIsRefused() throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<String> mine = Chan.make(1);
            try (Threads other = new Threads(Threads.Kind.PLATFORM)) {
                other.start(() -> Bubble.run(() -> refused.set(SelfWaits.outcome(mine::close))));
            }
            assertThat(mine.trySend("open")).isTrue();
        });
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("by a goroutine of another bubble").hasMessageContaining("(BB43)");
    }

    /**
     * BB43, BB6: a send-only view is refused as its channel is; once the bubble has ended its channels are ordinary,
     * and a close from outside goes through (Go still fails it: a deliberate difference).
     */
    @Test
    void BB43_aViewIsRefusedAsItsChannelAndAnEndedBubblesChannelClosesFromOutside() throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        AtomicReference<Chan<String>> escaped = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<String> ch = Chan.make(1);
            escaped.set(ch);
            SendChan<String> view = ch.sendOnly();
            try (Threads outsider = new Threads(Threads.Kind.VIRTUAL)) {
                outsider.start(() -> refused.set(SelfWaits.outcome(view::close)));
            }
        });
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("(BB43)");
        escaped.get().close();
        assertThat(escaped.get().receiveOk().ok()).as("closed").isFalse();
    }

    /**
     * BB44: a thread of no bubble cannot stop a running bubble's timer, ticker or afterFunc; each is left armed and
     * fires on the bubble's clock. Before BB44 the stop went through: the timer never fired, and whether the member
     * got its value depended on whether the outside stop came before the clock reached it.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB44_stoppingARunningBubblesTimerFromOutsideIsRefused(Threads.Kind kind) throws Exception {
        List<Throwable> refused = new ArrayList<>();
        AtomicReference<Instant> ran = new AtomicReference<>();
        Bubble.run(() -> {
            Timer timer = Timers.newTimer(Duration.ofHours(1));
            Timer ticker = Timers.newTicker(Duration.ofMinutes(30));
            Timer func = Timers.afterFunc(Duration.ofMinutes(10), () -> ran.set(Timers.now()));
            try (Threads outsider = new Threads(kind)) {
                outsider.start(() -> {
                    for (Timer t : List.of(timer, ticker, func)) {
                        refused.add(SelfWaits.outcome(t::stop));
                    }
                    refused.add(SelfWaits.outcome(timer::close));
                });
            }
            assertThat(timer.c().receive()).as("still armed").isEqualTo(EPOCH.plus(Duration.ofHours(1)));
            assertThat(ticker.c().receive()).isEqualTo(EPOCH.plus(Duration.ofMinutes(30)));
            assertThat(ran.get()).isEqualTo(EPOCH.plus(Duration.ofMinutes(10)));
            assertThat(ticker.stop()).as("a goroutine of the bubble may stop it; its next tick was armed").isTrue();
        });
        assertThat(refused).hasSize(4).allSatisfy(t -> assertThat(t).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("stop of a timer made in a virtual-time bubble, from outside that bubble")
                .hasMessageContaining("(BB44)"));
    }

    /** BB44: a goroutine of another bubble cannot stop it either; once the bubble has ended, anyone may (BB27). */
    @Test
    void BB44_anotherBubbleCannotStopItButAnyoneMayAfterTheEnd() throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        AtomicReference<Timer> escaped = new AtomicReference<>();
        Bubble.run(() -> {
            Timer mine = Timers.newTimer(Duration.ofHours(1));
            escaped.set(mine);
            try (Threads other = new Threads(Threads.Kind.PLATFORM)) {
                other.start(() -> Bubble.run(() -> refused.set(SelfWaits.outcome(mine::stop))));
            }
        });
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("(BB44)");
        assertThat(escaped.get().stop()).as("after the end: cleanup, still armed, never fired").isTrue();
    }

    /**
     * BB45, a deliberate difference: use of a running bubble's channel from outside that completes without blocking (a
     * buffered send with room, {@code trySend}, {@code tryReceive}, a receive of a ready value, {@code len}) is not
     * refused, so that operations that never park carry no bubble check (BB9). Go fails each of them.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void BB45_nonBlockingUseFromOutsideIsNotRefused(Threads.Kind kind) throws Exception {
        AtomicReference<Object> seen = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<String> ch = Chan.make(3);
            ch.send("ready");
            try (Threads outsider = new Threads(kind)) {
                outsider.start(() -> {
                    ch.send("a"); // room: no wait
                    assertThat(ch.trySend("b")).isTrue();
                    assertThat(ch.receive()).isEqualTo("ready"); // a value is ready: no wait
                    assertThat(ch.tryReceive().value()).isEqualTo("a");
                    seen.set(ch.len());
                });
            }
            assertThat(ch.receive()).isEqualTo("b");
            assertThatThrownBy(() -> blockFromOutside(kind, ch)).hasRootCauseInstanceOf(IllegalStateException.class)
                    .rootCause().hasMessageContaining("BB6");
        });
        assertThat(seen.get()).isEqualTo(1);
    }

    /** A receive from {@code ch} by a thread of {@code kind} that would block (refused: BB6); its failure rethrown. */
    private static void blockFromOutside(Threads.Kind kind, Chan<String> ch) throws Exception {
        try (Threads outsider = new Threads(kind)) {
            outsider.start(ch::receive);
        }
    }
}
