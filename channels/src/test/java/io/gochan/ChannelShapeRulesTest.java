package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCore;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules CH1–CH3 and CH8 (docs/spec/context-timers.md): equality, capacity bound, interrupt flag on a ready operation,
 * Go's words for a capacity out of range.
 */
@ExtendWith(NoNewGoroutines.class)
class ChannelShapeRulesTest {

    @Test
    void CH1_channelsAreEqualIfMadeByTheSameMakeOrBothNil() {
        Chan<Integer> c = Chan.make(1);
        Chan<Integer> other = Chan.make(1);
        assertThat(c.receiveOnly()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c.sendOnly()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c).isEqualTo(c.receiveOnly()).isEqualTo(c.sendOnly());
        assertThat((Object) c.sendOnly()).isEqualTo(c.receiveOnly()); // transitivity
        assertThat(c.receiveOnly()).isEqualTo(c.receiveOnly());
        assertThat(c).isNotEqualTo(other).isNotEqualTo(other.receiveOnly()).isNotEqualTo(null).isNotEqualTo("chan");
        assertThat(Chan.nil()).isEqualTo(Chan.nil()).hasSameHashCodeAs(Chan.nil());
        assertThat(Chan.nil().receiveOnly()).isEqualTo(Chan.nil().sendOnly());
        assertThat(Chan.nil()).isNotEqualTo(Chan.make()).isNotEqualTo(Chan.make(0));
        Timer t = Timers.newTimer(Duration.ofHours(1));
        assertThat(t.c()).isEqualTo(t.c()).isNotEqualTo(Timers.newTimer(Duration.ofHours(1)).c());
        t.stop();
    }

    /**
     * Go 1.19's {@code make(chan int, n)} panics "makechan: size out of range" for n = -1 and for n = 1 << 62 (run
     * on this machine); gochan's {@code IllegalArgumentException} for a capacity out of its range starts with those
     * words, then says which bound and which value, whichever factory is called.
     */
    @Test
    void CH8_aCapacityOutOfRangeThrowsWithGosMakechanPanicText() {
        for (int capacity : new int[] {-1, Integer.MIN_VALUE, ChannelCore.MAX_CAPACITY + 1, Integer.MAX_VALUE}) {
            for (OverflowPolicy policy : new OverflowPolicy[] {null, OverflowPolicy.SUSPEND, OverflowPolicy.DROP_OLDEST}) {
                assertThatThrownBy(() -> {
                    if (policy == null) {
                        Chan.make(capacity);
                    } else {
                        Chan.make(capacity, policy);
                    }
                }).as("capacity %d, policy %s", capacity, policy)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("makechan: size out of range")
                        .hasMessageContaining(String.valueOf(capacity));
            }
        }
    }

    @Test
    void CH2_aCapacityIsABoundNotAnAllocation() {
        assertThatThrownBy(() -> Chan.make(Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity").hasMessageContaining(String.valueOf(Integer.MAX_VALUE));
        // Before issue 15 this allocated its whole buffer up front (8 GiB here: OutOfMemoryError).
        Chan<Integer> huge = Chan.make(ChannelCore.MAX_CAPACITY);
        assertThat(huge.cap()).isEqualTo(ChannelCore.MAX_CAPACITY);
        assertThat(huge.trySend(1)).isTrue();
        assertThat(huge.len()).isEqualTo(1);
        // The buffer grows while its ring has wrapped (above 4,096: lazily grown), or wraps whole (a
        // capacity of 100: the lock-free ring, allocated whole): order and the bound survive either way.
        for (int capacity : new int[] {100, 10_000}) {
            Chan<Integer> c = Chan.make(capacity);
            int half = capacity / 2;
            for (int i = 0; i < half; i++) {
                assertThat(c.trySend(i)).isTrue();
            }
            for (int i = 0; i < half / 2; i++) {
                assertThat(c.tryReceive().value()).isEqualTo(i);
            }
            for (int i = half; i < capacity + half / 2; i++) {
                assertThat(c.trySend(i)).isTrue();
            }
            assertThat(c.trySend(-1)).as("still bounded at " + capacity).isFalse();
            assertThat(c.len()).isEqualTo(capacity);
            for (int i = half / 2; i < capacity + half / 2; i++) {
                assertThat(c.tryReceive().value()).isEqualTo(i);
            }
            assertThat(c.tryReceive().notReady()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH2_aGrowingBufferKeepsFifoUnderConcurrency(Kind kind) throws Exception {
        Chan<Integer> c = Chan.make(5_000);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    c.send(i);
                }
                c.close();
            });
            threads.start(() -> {
                int expected = 0;
                for (int v : c) {
                    assertThat(v).isEqualTo(expected++);
                }
                assertThat(expected).isEqualTo(20_000);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH3_anInterruptFlagDoesNotStopAnOperationThatNeedsNoWait(Kind kind) throws Exception {
        Chan<Integer> c = Chan.make(2);
        AtomicReference<Throwable> blocked = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Thread.currentThread().interrupt();
                c.send(1); // room: completes
                c.send(2, Duration.ofSeconds(1));
                assertThat(Thread.currentThread().isInterrupted()).as("flag kept").isTrue();
                assertThat(c.receive()).isEqualTo(1); // a value is there: returned, not InterruptedException
                assertThat(c.receive(Duration.ofSeconds(1)).value()).isEqualTo(2);
                assertThat(Thread.currentThread().isInterrupted()).as("flag kept").isTrue();
                try {
                    c.receive(); // would wait: throws at once (I1)
                } catch (InterruptedException e) {
                    blocked.set(e);
                }
            });
        }
        assertThat(blocked.get()).isInstanceOf(InterruptedException.class);
        assertThat(Threads.waiters(c)).isZero();
    }
}
