package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The channel API under misuse and odd input, as a demanding user tries it: null in every parameter,
 * capacities and timeouts at the extremes, iteration pushed past its end, one channel ranged by two
 * threads. These probes found no defect; each stays as a regression test of the rule it exercises.
 */
@ExtendWith(NoNewGoroutines.class)
class ChannelMisuseRulesTest {
    static final Duration LONG = Duration.ofSeconds(20);

    /**
     * Every null argument throws NullPointerException naming what was null, before anything happens: no
     * value moves, no waiter is left registered, the channel is as before (C3 for values; the same
     * discipline for timeouts, contexts and actions).
     */
    @Test
    void C3_everyNullArgumentIsRefusedBeforeAnythingHappens() throws Exception {
        Chan<String> ch = Chan.make(1);
        ch.send("kept");
        Chan<String> empty = Chan.make();
        for (SendChan<String> s : List.<SendChan<String>>of(empty, empty.sendOnly())) {
            assertThatThrownBy(() -> s.send(null, Context.background())).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("null is not a channel value");
            assertThatThrownBy(() -> s.send("v", (Context) null)).isInstanceOf(NullPointerException.class).hasMessage("ctx");
            assertThatThrownBy(() -> s.send("v", (Duration) null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
            assertThatThrownBy(() -> s.send(null, (Duration) null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("null is not a channel value");
        }
        for (ReceiveChan<String> r : List.<ReceiveChan<String>>of(ch, ch.receiveOnly())) {
            assertThatThrownBy(() -> r.receive((Duration) null)).isInstanceOf(NullPointerException.class).hasMessage("timeout");
            assertThatThrownBy(() -> r.receive((Context) null)).isInstanceOf(NullPointerException.class).hasMessage("ctx");
            assertThatThrownBy(() -> r.receiveOk((Context) null)).isInstanceOf(NullPointerException.class).hasMessage("ctx");
            assertThatThrownBy(() -> r.range(null)).isInstanceOf(NullPointerException.class).hasMessage("action");
        }
        assertThat(Threads.waiters(empty)).isZero();
        assertThat(ch.len()).as("nothing was taken").isEqualTo(1);
        assertThat(ch.receive()).isEqualTo("kept");
        assertThatThrownBy(() -> Chan.make(1, null)).isInstanceOf(NullPointerException.class).hasMessage("overflow");
        assertThatThrownBy(() -> Chan.make(1, OverflowPolicy.DROP_OLDEST, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("onUndelivered");
        assertThatThrownBy(() -> Chan.conflated(null)).isInstanceOf(NullPointerException.class).hasMessage("onUndelivered");
    }

    /** Timers and goroutines refuse null before they schedule or start anything (TM5 accepts every non-null Duration). */
    @Test
    void TM5_nullDurationsAndTasksAreRefusedBeforeAnythingIsScheduledOrStarted() throws Exception {
        int pending = Timers.pendingTasks();
        long started = Go.lastId();
        assertThatThrownBy(() -> Timers.after(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Timers.newTimer(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Timers.newTicker(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Timers.newTicker(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Timers.newTicker(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Timers.afterFunc(null, () -> { })).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Timers.afterFunc(Duration.ZERO, null)).isInstanceOf(NullPointerException.class).hasMessage("task");
        assertThatThrownBy(() -> Timers.sleep(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Go.go(null)).isInstanceOf(NullPointerException.class).hasMessage("task");
        assertThatThrownBy(() -> Go.go(null, () -> { })).isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThatThrownBy(() -> Go.go("n", null)).isInstanceOf(NullPointerException.class).hasMessage("task");
        assertThat(Timers.pendingTasks()).isEqualTo(pending);
        assertThat(Go.lastId()).as("no goroutine was started").isEqualTo(started);
        Timer t = Timers.newTimer(Duration.ofDays(1));
        assertThatThrownBy(() -> t.reset(null)).isInstanceOf(NullPointerException.class);
        assertThat(t.stop()).as("the refused reset left the schedule as it was").isTrue();
        Timer ticker = Timers.newTicker(Duration.ofDays(1));
        assertThatThrownBy(() -> ticker.reset(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ticker.stop()).as("the refused reset left the ticker scheduled").isTrue();
    }

    /** Capacities at the extremes (C1, CH2): every out-of-range one is refused with its value in the message. */
    @Test
    void C1_capacitiesAtTheExtremes() {
        for (int bad : new int[] {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 7}) {
            assertThatThrownBy(() -> Chan.make(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Integer.toString(bad));
            assertThatThrownBy(() -> Chan.make(bad, OverflowPolicy.DROP_OLDEST)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Chan.make(Integer.MAX_VALUE - 8).cap()).isEqualTo(Integer.MAX_VALUE - 8);
    }

    /**
     * Timeouts at the extremes (S6): zero and negative ones give up at once when the operation would wait
     * and still complete when it need not; the largest Duration waits (it does not overflow into the past).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void S6_zeroNegativeAndHugeTimeouts(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(1);
        for (Duration d : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(Long.MIN_VALUE))) {
            assertThat(ch.receive(d).notReady()).isTrue();
            assertThat(ch.send(1, d)).isTrue();
            assertThat(ch.send(2, d)).isFalse();
            assertThat(ch.len()).isEqualTo(1);
            assertThat(ch.receive(d).value()).isEqualTo(1);
        }
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(ch.receive(huge).value()).isEqualTo(7));
            Threads.awaitReceivers(ch, 1);
            ch.send(7);
            ch.send(8);
            threads.start(() -> assertThat(ch.send(9, huge)).isTrue());
            Threads.awaitSenders(ch, 1);
            assertThat(ch.receive()).isEqualTo(8);
        }
        assertThat(ch.receive()).isEqualTo(9);
    }

    /**
     * An iterator pushed past its contract (K4): hasNext() twice takes one value, next() without hasNext()
     * works, next() after the end throws NoSuchElementException every time, remove() is unsupported.
     */
    @Test
    void K4_anIteratorPushedPastItsEnd() throws Exception {
        Chan<Integer> ch = Chan.make(3);
        ch.send(1);
        ch.send(2);
        ch.close();
        Iterator<Integer> it = ch.iterator();
        assertThat(it.hasNext()).isTrue();
        assertThat(it.hasNext()).isTrue();
        assertThat(ch.len()).as("a second hasNext() took nothing more").isEqualTo(1);
        assertThatThrownBy(it::remove).isInstanceOf(UnsupportedOperationException.class);
        assertThat(it.next()).isEqualTo(1);
        assertThat(it.next()).isEqualTo(2);
        assertThat(it.hasNext()).isFalse();
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
        assertThat(ch.iterator().hasNext()).as("a new iterator of a drained channel ends at once").isFalse();
    }

    /** Two threads ranging over one channel (Go's two "for range" loops): each value reaches exactly one (S1, K4). */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void K4_twoThreadsRangingOneChannelShareItsValuesExactlyOnce(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(4);
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        int n = 20_000;
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> ch.range(got::add));
            threads.start(() -> {
                for (Integer v : ch) {
                    got.add(v);
                }
            });
            for (int i = 0; i < n; i++) {
                ch.send(i);
            }
            ch.close();
        }
        List<Integer> sorted = new ArrayList<>(got);
        sorted.sort(null);
        assertThat(sorted).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(sorted.get(i)).isEqualTo(i);
        }
    }
}
