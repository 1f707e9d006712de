package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rules C1–C4: creation, len/cap, null, the description. */
@ExtendWith(NoNewGoroutines.class)
class CreationRulesTest {
    @Test
    void C1_capacityZeroIsUnbufferedPositiveIsBufferedNegativeIsRejected() {
        assertThat(Chan.make().cap()).isZero();
        assertThat(Chan.make(0).cap()).isZero();
        assertThat(Chan.make(16).cap()).isEqualTo(16);
        assertThatThrownBy(() -> Chan.make(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    @Test
    void C2_lenCountsBufferedValuesAndStaysWithinZeroAndCap() throws Exception {
        Chan<Integer> ch = Chan.make(3);
        assertThat(ch.len()).isZero();
        ch.send(1);
        ch.send(2);
        assertThat(ch.len()).isEqualTo(2);
        ch.send(3);
        assertThat(ch.trySend(4)).isFalse();
        assertThat(ch.len()).isEqualTo(3);
        ch.receive();
        assertThat(ch.len()).isEqualTo(2);
        Chan<Integer> u = Chan.make();
        assertThat(u.len()).isZero();
        assertThat(u.sendOnly().len()).isZero();
        assertThat(ch.receiveOnly().cap()).isEqualTo(3);
    }

    @Test
    void C3_nullIsRejectedBeforeAnythingBlocks() {
        Chan<String> ch = Chan.make();
        assertThatThrownBy(() -> ch.send(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ch.trySend(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ch.send(null, java.time.Duration.ofDays(1))).isInstanceOf(NullPointerException.class);
        assertThat(Threads.waiters(ch)).isZero();
    }

    @Test
    void viewsCannotBeCastBackAndBehaveLikeTheChannel() throws Exception {
        Chan<Integer> ch = Chan.make(1);
        SendChan<Integer> s = ch.sendOnly();
        ReceiveChan<Integer> r = ch.receiveOnly();
        assertThat(s).isNotInstanceOf(Chan.class).isNotInstanceOf(ReceiveChan.class);
        assertThat(r).isNotInstanceOf(Chan.class).isNotInstanceOf(SendChan.class);
        s.send(5);
        assertThat(r.receive()).isEqualTo(5);
        s.close();
        assertThat(r.receiveOk().closed()).isTrue();
        assertThat(s.toString()).contains("closed");
    }

    @Test
    void toStringShowsCapacityLengthStateAndWaiters() throws Exception {
        Chan<Integer> ch = Chan.make(4);
        ch.send(1);
        assertThat(ch.toString()).contains("cap=4").contains("len=1").contains("open")
                .contains("waiting senders=0").contains("waiting receivers=0");
        ch.close();
        assertThat(ch.toString()).contains("closed");
    }

    /**
     * C4: the description reports the shape {@code cap()} and {@code len()} report. Before, an unlimited
     * channel's said {@code cap=2147483639} (its internal bound) where {@code cap()} is {@code UNLIMITED}, and a
     * timer's channel said {@code cap=1} (its hidden slot) where {@code cap()} and {@code len()} are 0 (TM1).
     */
    @Test
    void C4_theDescriptionReportsTheCapAndLenTheQueriesReport() throws Exception {
        Chan<Integer> unlimited = Chan.unlimited();
        unlimited.send(1);
        unlimited.send(2);
        assertThat(unlimited.toString()).contains("cap=unlimited").contains("len=2").doesNotContain("2147483639");
        assertThat(unlimited.sendOnly().toString()).contains("cap=unlimited");
        ReceiveChan<java.time.Instant> timer = Timers.after(java.time.Duration.ZERO);
        timer.receive(); // fired and taken: the slot is empty again
        assertThat(timer.cap()).isZero();
        assertThat(timer.toString()).contains("cap=" + timer.cap()).contains("len=" + timer.len());
        Chan<Integer> dropping = Chan.make(2, OverflowPolicy.DROP_OLDEST);
        dropping.send(1);
        assertThat(dropping.toString()).contains("cap=2").contains("len=1");
        assertThat(Chan.nil().toString()).contains("nil");
    }
}
