package io.gochan.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rule OV6 (docs/spec/channels.md): an unlimited channel gives its buffer's memory back as it drains, and loses,
 * reorders or duplicates nothing while its array grows and shrinks. Single-threaded: the array is only ever
 * replaced under the channel's lock, which the channel rules' concurrent tests exercise.
 */
class UnlimitedShrinkRulesTest {

    @Test
    void OV6_aDrainedBurstLeavesTheInitialArray() {
        ChannelCore c = ChannelCore.createUnlimited(ChannelCore.MAX_CAPACITY);
        int burst = 1_000_000;
        for (int i = 0; i < burst; i++) {
            assertThat(c.trySend(i)).isTrue();
        }
        assertThat(c.bufferSlots()).as("grown to hold the burst").isGreaterThanOrEqualTo(burst);
        for (int i = 0; i < burst; i++) {
            assertThat(c.tryReceive()).isEqualTo(i);
        }
        assertThat(c.tryReceive()).isSameAs(ChannelCore.NOT_READY);
        assertThat(c.bufferSlots()).as("the burst's array given back").isEqualTo(16);
    }

    @Test
    void OV6_closedThenDrainedShrinksToo() {
        ChannelCore c = ChannelCore.createUnlimited(ChannelCore.MAX_CAPACITY);
        for (int i = 0; i < 10_000; i++) {
            c.trySend(i);
        }
        c.close();
        for (int i = 0; i < 10_000; i++) {
            assertThat(c.tryReceive()).isEqualTo(i);
        }
        assertThat(c.tryReceive()).isSameAs(ChannelCore.CLOSED);
        assertThat(c.bufferSlots()).isEqualTo(16);
    }

    /**
     * Random swings across sizes, with the ring's head anywhere when the array is copied: every value comes out once,
     * in order, and the array is never more than four times the values it holds once past its initial size.
     */
    @Test
    void OV6_swingingLengthsKeepOrderAndBound() {
        SplittableRandom random = new SplittableRandom(47);
        for (int limit : new int[] {ChannelCore.MAX_CAPACITY, 100, 25}) {
            ChannelCore c = ChannelCore.createUnlimited(limit);
            ArrayDeque<Integer> model = new ArrayDeque<>();
            int next = 0;
            for (int phase = 0; phase < 60; phase++) {
                boolean filling = phase % 2 == 0;
                int steps = random.nextInt(1, 3_000);
                for (int k = 0; k < steps; k++) {
                    boolean send = random.nextInt(100) < (filling ? 70 : 30);
                    if (send) {
                        boolean sent;
                        try {
                            sent = c.trySend(next);
                        } catch (IllegalStateException full) {
                            sent = false; // at a test's small limit (OV4): not sent
                            assertThat(model).hasSize(limit);
                        }
                        if (sent) {
                            model.addLast(next);
                        }
                        next++;
                    } else {
                        Object v = c.tryReceive();
                        if (model.isEmpty()) {
                            assertThat(v).isSameAs(ChannelCore.NOT_READY);
                        } else {
                            assertThat(v).isEqualTo(model.removeFirst());
                        }
                    }
                    assertThat(c.len()).isEqualTo(model.size());
                    int slots = c.bufferSlots();
                    assertThat(slots).isGreaterThanOrEqualTo(Math.min(model.size(), limit));
                    if (slots > 16) {
                        assertThat(model.size()).as("limit %d, %d slots", limit, slots).isGreaterThan(slots / 4);
                    }
                }
            }
        }
    }
}
