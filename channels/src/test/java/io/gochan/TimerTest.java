package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rule G2: timers, tickers, Go 1.23 semantics. */
class TimerTest {
    static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void G2_afterDeliversOnceAndNeverCloses() throws Exception {
        ReceiveChan<Instant> c = Timers.after(Duration.ofMillis(1));
        Received<Instant> r = c.receive(LONG);
        assertThat(r.ok()).isTrue();
        assertThat(c.tryReceive().notReady()).isTrue(); // not closed, nothing more
    }

    @Test
    void G2_stopPreventsDeliveryAndLeavesNoTask() throws Exception {
        int before = Timers.pendingTasks();
        List<Timer> timers = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            timers.add(Timers.newTimer(Duration.ofHours(1)));
        }
        assertThat(Timers.pendingTasks()).isGreaterThanOrEqualTo(before + 10_000);
        for (Timer t : timers) {
            assertThat(t.stop()).isTrue();
        }
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
        assertThat(timers.get(0).stop()).isFalse();
        assertThat(timers.get(0).c().tryReceive().notReady()).isTrue();
    }

    @Test
    void G2_noStaleValueAfterStopOrReset() throws Exception {
        Timer t = Timers.newTimer(Duration.ZERO);
        // Wait until it has fired (the value is pending), without receiving it.
        Threads.awaitTrue(t::hasPendingValue, "timer fired");
        assertThat(t.stop()).isTrue(); // the undelivered value is discarded
        assertThat(t.c().tryReceive().notReady()).isTrue();

        Timer r = Timers.newTimer(Duration.ZERO);
        Threads.awaitTrue(r::hasPendingValue, "timer fired");
        r.reset(Duration.ofHours(1));
        assertThat(r.c().tryReceive().notReady()).isTrue();
        r.reset(Duration.ofMillis(1));
        assertThat(r.c().receive(LONG).ok()).isTrue();
        r.stop();
    }

    @Test
    void G2_tickerTicksRepeatedlyAndASlowReceiverMissesTicks() throws Exception {
        Timer ticker = Timers.newTicker(Duration.ofMillis(1));
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(ticker.c().receive(LONG).ok()).isTrue();
            }
            // Not receiving for a while: at most one tick is ever pending.
            Threads.awaitTrue(ticker::hasPendingValue, "a pending tick");
            for (int i = 0; i < 1000; i++) {
                assertThat(ChannelCores.of(ticker.c()).len()).isLessThanOrEqualTo(1);
                Thread.yield();
            }
        } finally {
            assertThat(ticker.stop()).isTrue();
        }
        assertThat(ticker.c().tryReceive().notReady()).isTrue();
        assertThatThrownBy(() -> Timers.newTicker(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void G2_afterFuncRunsInAGoroutineUnlessStopped() throws Exception {
        Chan<String> ran = Chan.make(1);
        Timers.afterFunc(Duration.ofMillis(1), () -> ran.send("ran"));
        assertThat(ran.receive(LONG).value()).isEqualTo("ran");
        Timer stopped = Timers.afterFunc(Duration.ofHours(1), () -> ran.send("should not run"));
        assertThat(stopped.stop()).isTrue();
        assertThat(stopped.c().tryReceive().notReady()).isTrue();
    }
}
