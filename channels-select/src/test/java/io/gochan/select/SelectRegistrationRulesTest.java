package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Bubble;
import io.gochan.Chan;
import io.gochan.Goroutines;
import io.gochan.spi.ChannelCores;
import io.gochan.spi.ParkHook;
import io.gochan.spi.Waiter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A select a bubble refuses leaves no node queued (I3), non-positive timeouts tie (L18), a thread keeps few select nodes (I4); each test failed before its fix. */
class SelectRegistrationRulesTest {

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
        assertThat(Goroutines.live()).isEmpty();
    }

    /**
     * L6, I3, BB6: a select refused because one of its channels belongs to a bubble its thread is outside of takes
     * nothing and leaves nothing registered, on the bubble's channel or on its other channels. The refusal used to
     * be thrown from {@code waiter.await} in {@code SelectEngine.run}, before the loop that unlinks the nodes: the
     * receive node stayed on {@code outside} (a channel of no bubble) and the send node, holding 7, on the bubble's
     * channel. Now it is refused before any case is queued.
     */
    @Test
    void L6_aSelectRefusedOnABubbleChannelLeavesNoNodeOnAnyChannel() throws Exception {
        Chan<Integer> outside = Chan.make(); // made outside every bubble
        AtomicReference<Chan<Integer>> inner = new AtomicReference<>();
        AtomicReference<Throwable> outsider = new AtomicReference<>();
        AtomicReference<Thread> thread = new AtomicReference<>();
        Bubble.run(() -> {
            inner.set(Chan.make());
            CountDownLatch done = new CountDownLatch(1);
            thread.set(Thread.ofPlatform().daemon().start(() -> {
                try {
                    Select.<String>cases().receive(outside, v -> "outside").send(inner.get(), 7, () -> "sent").select();
                } catch (Throwable t) {
                    outsider.set(t);
                } finally {
                    done.countDown();
                }
            }));
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue(); // a latch: not durable, time waits
        });
        assertThat(thread.get().join(Duration.ofSeconds(30))).isTrue();
        assertThat(outsider.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB6");
        assertThat(ChannelCores.of(outside).waitingReceivers()).as("the refused select's receive case").isZero();
        assertThat(ChannelCores.of(inner.get()).waitingSenders()).as("the refused select's send case (value 7)").isZero();
    }

    /**
     * L18: of several timeouts the shortest counts, the first given among equal ones. All zero-or-negative timeouts are
     * "no time left" (I7) and tie, so the first given counts. A later negative timeout used to replace an earlier
     * zero-or-negative one ({@code SelectEngine.timeout} compared the raw value with the stored one, clamped to 0).
     */
    @Test
    void L18_ofTwoNegativeTimeoutsTheFirstAndShorterCounts() throws Exception {
        assertThat(Select.<String>cases().timeout(Duration.ofNanos(-10), () -> "first")
                .timeout(Duration.ofNanos(-5), () -> "second").select()).isEqualTo("first");
        // The statement shares the engine: the same rule, with whole seconds.
        int[] fired = new int[1];
        assertThat(Select.statement().timeout(Duration.ofSeconds(-10), () -> fired[0] = 1)
                .timeout(Duration.ofSeconds(-5), () -> fired[0] = 2).run()).isEqualTo(SelectStatement.TIMEOUT);
        assertThat(fired[0]).isEqualTo(1);
    }

    /**
     * I4: a thread that blocked once in a select of many cases (L16 makes 200,000 usable) does not keep that many
     * nodes for the rest of its life: its waiter keeps at most 64 for reuse. It used to keep every node of the
     * largest select it ever blocked in (here 100, in an array of 128).
     */
    @Test
    void I4_aThreadDoesNotKeepTheNodesOfAHugeSelectForLife() throws Exception {
        List<Chan<Integer>> chans = new ArrayList<>();
        Select<Integer> select = Select.cases();
        for (int i = 0; i < 100; i++) {
            Chan<Integer> c = Chan.make();
            chans.add(c);
            select.receive(c, v -> v);
        }
        AtomicInteger got = new AtomicInteger();
        AtomicInteger kept = new AtomicInteger(-1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                got.set(select.select()); // blocks: one node per case
                kept.set(Waiter.keptCaseNodes());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        Chan<Integer> last = chans.get(99);
        SelectRulesTest.awaitTrue(() -> ChannelCores.of(last).waitingReceivers() == 1, "the select to block");
        last.send(7);
        assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(failed.get()).isNull();
        assertThat(got.get()).isEqualTo(7);
        assertThat(kept.get()).as("select nodes the thread keeps after the select").isBetween(0, 64);
    }

    /**
     * L21 with I4: a select queues its cases in its poll's random order, so its thread's waiter binds their nodes in
     * that order, and the size of the waiter's node array must not depend on it. Sized "first index + 1, then
     * doubled", a select of 50 cases whose poll starts with case 40 grew it to 41, then to 82 for case 41: past the
     * 64 nodes a thread keeps (I4), so every blocking run of that select made its nodes again (0 kept here). Sized
     * to a power of two, it is 64, as in index order. The generator makes that poll order certain: case 40 first
     * (the first pick among 50), then the rest in order.
     */
    @Test
    void L21_I4_aSelectQueuedInPollOrderKeepsItsNodesForItsNextRun() throws Exception {
        List<Chan<Integer>> chans = new ArrayList<>();
        Select<Integer> select = Select.<Integer>cases().random(new java.util.random.RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public int nextInt(int bound) {
                return bound == 50 ? 40 : 0; // Fisher-Yates: order[0] = case 40, then every other case in turn
            }
        });
        for (int i = 0; i < 50; i++) {
            Chan<Integer> c = Chan.make();
            chans.add(c);
            select.receive(c, v -> v);
        }
        AtomicInteger got = new AtomicInteger();
        AtomicInteger kept = new AtomicInteger(-1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                got.set(select.select()); // blocks: one node per case, bound in the poll's order
                kept.set(Waiter.keptCaseNodes());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        Chan<Integer> last = chans.get(49);
        SelectRulesTest.awaitTrue(() -> ChannelCores.of(last).waitingReceivers() == 1, "the select to block");
        last.send(7);
        assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(failed.get()).isNull();
        assertThat(got.get()).isEqualTo(7);
        assertThat(kept.get()).as("select nodes the thread keeps after a 50-case select").isEqualTo(64);
    }
}
