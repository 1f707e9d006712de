package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rule L21 (review oracle26, finding 1): which case of a PARKED select fires when two of its cases wait on one
 * channel in the same direction. Go's selectgo queues a parked select's cases in lockorder, and builds lockorder
 * from the random pollorder "to permute cases on the same channel" (runtime/select.go), so a partner (a send, a
 * receive, a close) completes either case about half the time. gochan queued the nodes in the order the cases
 * were added, and every partner takes the head of the queue: the first-added case fired every time (counts
 * [400, 0]). SelectEngine now queues them in its poll's random order. L2 covers the cases ready when the select
 * starts ({@link SelectChoiceRulesTest}); GO2 leaves these scripts out of its corpora as "Go's random choice".
 *
 * <p>Threads are ordered with SelectRulesTest.awaitSenders / awaitReceivers (the select's nodes are queued),
 * never with sleeps. Capacities 0 and 1 are the locked buffer, 64 the lock-free ring (its settle also takes the
 * first live node). The bound: 400 runs of a fair coin give a count of the second case with mean 200 and standard
 * deviation 10; chi-square with 1 degree of freedom is (c - 200)^2 / 100, below 23.9 (p = 1e-6) for every c in
 * 152..248, so a fair choice fails a test once in a million (nine tests: about 1e-5 a suite run), while the old
 * order gives 400.
 */
@NoGoroutineLeaks
class ParkedSelectChoiceOracleTest {
    private static final int RUNS = 400;

    private static double chiSquare(int[] counts) {
        double expected = Arrays.stream(counts).sum() / (double) counts.length;
        double chi = 0;
        for (int c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        return chi;
    }

    /**
     * Go:
     * <pre>
     * ch := make(chan int)            // or make(chan int, c) filled with c values of -1
     * go func() { select { case ch &lt;- 0: case ch &lt;- 1: } }()
     * // once the select is parked:
     * fmt.Println(&lt;-ch)               // after the c buffered -1s: prints 0 or 1, about half each
     * </pre>
     * gochan before L21: always 0 (the first case added).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void L21_aParkedSelectWithTwoSendCasesOnOneChannelSendsEitherValue(int capacity) throws Exception {
        int[] got = new int[2];
        for (int run = 0; run < RUNS; run++) {
            Chan<Integer> ch = Chan.make(capacity);
            for (int i = 0; i < capacity; i++) {
                ch.send(-1); // full: the select's two send cases must park
            }
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    Select.statement().send(ch, 0, null).send(ch, 1, null).run();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            SelectRulesTest.awaitSenders(ch, 2);
            for (int i = 0; i < capacity; i++) {
                assertThat(ch.receive()).isEqualTo(-1); // the first receive moves the select's value into the buffer
            }
            got[ch.receive()]++;
            assertThat(t.join(SelectRulesTest.LONG)).isTrue();
            assertThat(ch.len()).isZero();
        }
        assertThat(got[1]).as("value of the second case, got %s", Arrays.toString(got)).isPositive();
        assertThat(chiSquare(got)).as("got %s", Arrays.toString(got)).isLessThan(23.9);
    }

    /**
     * Go:
     * <pre>
     * ch := make(chan int, c)
     * go func() { select { case &lt;-ch: fmt.Println(0); case &lt;-ch: fmt.Println(1) } }()
     * // once parked:
     * ch &lt;- 7                          // prints 0 or 1, about half each
     * </pre>
     * gochan before L21: always case 0.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void L21_aParkedSelectWithTwoReceiveCasesOnOneChannelIsCompletedOnEitherCase(int capacity) throws Exception {
        int[] got = new int[2];
        for (int run = 0; run < RUNS; run++) {
            Chan<Integer> ch = Chan.make(capacity);
            AtomicInteger chosen = new AtomicInteger(-9);
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    chosen.set(Select.statement().receive(ch, null).receive(ch, null).run());
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            SelectRulesTest.awaitReceivers(ch, 2);
            ch.send(7);
            assertThat(t.join(SelectRulesTest.LONG)).isTrue();
            assertThat(ch.len()).isZero(); // the value went to the select, not into the buffer
            got[chosen.get()]++;
        }
        assertThat(got[1]).as("second case, got %s", Arrays.toString(got)).isPositive();
        assertThat(chiSquare(got)).as("got %s", Arrays.toString(got)).isLessThan(23.9);
    }

    /**
     * The same through close, where the two cases differ in kind: Go's
     * {@code select { case <-ch: println(0); case _, ok := <-ch: println(1, ok) }} parked, then {@code close(ch)},
     * prints either line. Here a plain receive case (case 0, which throws ChannelClosedException when chosen on a
     * closed channel, L4/L10) and a receiveOk case (case 1): both outcomes must occur. Before L21: always the exception.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void L21_closeWakesAParkedSelectOnEitherOfTwoReceiveCasesOfTheClosedChannel(int capacity) throws Exception {
        int[] got = new int[2];
        for (int run = 0; run < RUNS; run++) {
            Chan<Integer> ch = Chan.make(capacity);
            AtomicInteger outcome = new AtomicInteger(-9);
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    outcome.set(Select.statement()
                            .receive(ch, v -> { throw new AssertionError("no value was sent"); })
                            .receiveOk(ch, r -> { })
                            .run());
                } catch (ChannelClosedException e) {
                    outcome.set(0);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            SelectRulesTest.awaitReceivers(ch, 2);
            ch.close();
            assertThat(t.join(SelectRulesTest.LONG)).isTrue();
            got[outcome.get()]++;
        }
        assertThat(got[1]).as("receiveOk case, got %s", Arrays.toString(got)).isPositive();
        assertThat(chiSquare(got)).as("got %s", Arrays.toString(got)).isLessThan(23.9);
    }
}
