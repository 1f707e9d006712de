package io.gochan.select;

import static io.gochan.select.SelectRulesTest.awaitReceivers;
import static io.gochan.select.SelectRulesTest.awaitSenders;
import static io.gochan.select.SelectRulesTest.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Select rules on channels whose buffer is the lock-free ring (capacities 64 to 4096, ADR 0015), alone
 * and next to locked channels: a fast send or receive, which takes no lock, must still wake a select
 * registered on the ring, and every rule of select.md holds as on the locked buffer. Each test runs on
 * both thread kinds where it starts threads.
 */
@NoGoroutineLeaks
class SelectRingRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);

    private static Thread start(boolean virtual, ThrowingRunnable body, ConcurrentLinkedQueue<Throwable> failures) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        };
        return virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static void fill(Chan<Integer> ch) {
        for (int i = 0; i < ch.cap(); i++) {
            assertThat(ch.trySend(i)).isTrue();
        }
        assertThat(ch.trySend(-1)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {63, 64, 4096, 4097})
    void L3_defaultOnAFullBufferSendsNothing(int capacity) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        int chosen = Select.statement().send(ch, 1_000_000, null).orElse(null).run();
        assertThat(chosen).isEqualTo(SelectStatement.DEFAULT);
        assertThat(ch.len()).isEqualTo(capacity);
        for (int i = 0; i < capacity; i++) {
            assertThat(ch.receive()).isEqualTo(i);
        }
        assertThat(ch.tryReceive().notReady()).isTrue();
        assertThat(Select.statement().receive(ch, v -> { }).orElse(null).run()).isEqualTo(SelectStatement.DEFAULT);
        assertThat(waiting(ch)).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {63, 64, 4096, 4097})
    void L4_sendCaseOnAClosedBufferThrowsEvenWithDefault_andAReceiveCaseDrainsThenReportsClosed(int capacity)
            throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        ch.send(1);
        ch.close();
        assertThatThrownBy(() -> Select.statement().send(ch, 2, null).orElse(null).run())
                .isInstanceOf(ChannelClosedException.class).hasMessageStartingWith("send on closed channel");
        AtomicReference<Received<Integer>> got = new AtomicReference<>();
        SelectStatement s = Select.statement().receiveOk(ch, got::set).orElse(null);
        assertThat(s.run()).isZero();
        assertThat(got.get().value()).isEqualTo(1);
        assertThat(s.run()).isZero();
        assertThat(got.get().closed()).isTrue();
        assertThatThrownBy(() -> Select.statement().receive(ch, v -> { }).run()).isInstanceOf(ChannelClosedException.class);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void L4_aSelectBlockedOnASendToAFullRingThrowsWhenItCloses(boolean virtual) throws Exception {
        Chan<Integer> ring = Chan.make(64);
        Chan<Integer> other = Chan.make();
        fill(ring);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start(virtual, () -> {
            try {
                Select.statement().send(ring, 1_000_000, null).receive(other, v -> { }).run();
            } catch (ChannelClosedException e) {
                thrown.set(e);
            }
        }, failures);
        awaitSenders(ring, 1);
        ring.close();
        assertThat(t.join(LONG)).isTrue();
        assertThat(failures).isEmpty();
        assertThat(thrown.get()).isInstanceOf(ChannelClosedException.class);
        List<Integer> rest = new ArrayList<>();
        ring.range(rest::add);
        assertThat(rest).hasSize(64).doesNotContain(1_000_000);
        assertThat(waiting(ring) + waiting(other)).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64, 4096})
    void L7_sendAndReceiveCaseOnOneBufferedChannel(int capacity) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        int[] sum = new int[1];
        SelectStatement s = Select.statement().send(ch, 1_000_000, null).receive(ch, v -> sum[0] += v);
        // Empty: only the send can proceed.
        assertThat(s.run()).isZero();
        assertThat(ch.len()).isEqualTo(1);
        // Full: only the receive can proceed, and it takes the oldest value.
        while (ch.trySend(5)) {
            // fill up
        }
        assertThat(s.run()).isEqualTo(1);
        assertThat(sum[0]).isEqualTo(1_000_000);
        assertThat(ch.len()).isEqualTo(capacity - 1);
        // Two receive cases on one channel: exactly one value is taken.
        ch.trySend(6);
        int before = ch.len();
        int chosen = Select.statement().receive(ch, v -> { }).receive(ch, v -> { }).run();
        assertThat(chosen).isBetween(0, 1);
        assertThat(ch.len()).isEqualTo(before - 1);
        assertThat(waiting(ch)).isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void L7_twoReceiveCasesOnOneEmptyRingTakeOneFastSentValue(boolean virtual) throws Exception {
        for (int round = 0; round < 200; round++) {
            Chan<Integer> ring = Chan.make(64);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Integer> got = new ArrayList<>();
            Thread t = start(virtual, () -> Select.statement().receive(ring, got::add).receive(ring, got::add).run(),
                    failures);
            if (round % 2 == 0) {
                awaitReceivers(ring, 2);
            }
            ring.send(round);
            ring.send(round + 1);
            assertThat(t.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            assertThat(got).containsExactly(round);
            assertThat(ring.len()).isEqualTo(1);
            assertThat(ring.receive()).isEqualTo(round + 1);
            assertThat(waiting(ring)).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void L1_aSelectBlockedOnARingIsWokenByAFastSendAndByAFastReceive(boolean virtual) throws Exception {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int round = 0; round < 200; round++) {
            Chan<Integer> ring = Chan.make(64);
            Chan<Integer> locked = Chan.make(1);
            locked.send(0); // full: its send case never proceeds, its receive case is left out
            AtomicReference<String> got = new AtomicReference<>();
            Thread t = start(virtual, () -> got.set(Select.<String>cases().receive(ring, v -> "ring " + v)
                    .send(locked, 9, () -> "locked").select()), failures);
            if (round % 2 == 0) {
                awaitReceivers(ring, 1); // else the send races the select's registration
            }
            ring.send(round); // the fast path: no lock unless it sees the receivers' mirror bit
            assertThat(t.join(LONG)).as("round %d: select woken", round).isTrue();
            assertThat(got.get()).isEqualTo("ring " + round);
            assertThat(ring.len()).isZero();
            assertThat(locked.len()).isEqualTo(1);
            assertThat(waiting(ring) + waiting(locked)).isZero();

            // The other direction: a select blocked on a send to the full ring, woken by a fast receive.
            fill(ring);
            Chan<Integer> never = Chan.make();
            AtomicReference<String> sent = new AtomicReference<>();
            Thread u = start(virtual, () -> sent.set(Select.<String>cases().send(ring, 1_000_000, () -> "sent")
                    .receive(never, v -> "never").select()), failures);
            if (round % 2 == 0) {
                awaitSenders(ring, 1);
            }
            assertThat(ring.receive()).isEqualTo(0);
            assertThat(u.join(LONG)).as("round %d: select woken by a receive", round).isTrue();
            assertThat(sent.get()).isEqualTo("sent");
            for (int i = 1; i < 64; i++) {
                assertThat(ring.receive()).isEqualTo(i);
            }
            assertThat(ring.receive()).isEqualTo(1_000_000);
            assertThat(waiting(ring) + waiting(never)).isZero();
        }
        assertThat(failures).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void L6_selectsOnARingAndALockedChannelAgainstFastSendersTakeEveryValueOnce(boolean virtual) throws Exception {
        Chan<Integer> ring = Chan.make(64);
        Chan<Integer> locked = Chan.make();
        int perSender = 20_000;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long[] sum = new long[2];
        int[] count = new int[2];
        CountDownLatch done = new CountDownLatch(2);
        List<Thread> ts = new ArrayList<>();
        ts.add(start(virtual, () -> {
            for (int i = 1; i <= perSender; i++) {
                ring.send(i);
            }
            done.countDown();
        }, failures));
        ts.add(start(virtual, () -> {
            for (int i = 1; i <= perSender; i++) {
                locked.send(-i);
            }
            done.countDown();
        }, failures));
        for (int c = 0; c < 2; c++) {
            int me = c;
            ts.add(start(virtual, () -> {
                SelectStatement s = Select.statement()
                        .receive(ring, v -> { sum[me] += v; count[me]++; })
                        .receive(locked, v -> { sum[me] += v; count[me]++; });
                for (int i = 0; i < perSender; i++) {
                    s.run();
                }
            }, failures));
        }
        for (Thread t : ts) {
            assertThat(t.join(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(failures).isEmpty();
        assertThat(count[0] + count[1]).isEqualTo(2 * perSender);
        assertThat(sum[0] + sum[1]).as("ring values sum minus locked values sum").isZero();
        assertThat(ring.len() + locked.len()).isZero();
        assertThat(waiting(ring) + waiting(locked)).isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void L2_readyCasesOnRingAndLockedChannelsAreChosenUniformly(boolean threadLocalRandom) throws Exception {
        // A ring with values, a small locked buffer with a value, a closed ring and a closed unbuffered
        // channel: four ready cases, chosen uniformly (chi-square, 3 degrees of freedom, p = 1e-6 -> 30.7).
        int n = 20_000;
        Chan<Integer> ring = Chan.make(4096);
        Chan<Integer> small = Chan.make(1);
        Chan<Integer> closedRing = Chan.make(64);
        closedRing.close();
        Chan<Integer> closedUnbuffered = Chan.make();
        closedUnbuffered.close();
        int[] counts = new int[4];
        SelectStatement s = Select.statement()
                .receive(ring, v -> counts[0]++)
                .receive(small, v -> counts[1]++)
                .receiveOk(closedRing, r -> counts[2]++)
                .receiveOk(closedUnbuffered, r -> counts[3]++);
        if (!threadLocalRandom) {
            s.random(new SplittableRandom(2026));
        }
        for (int j = 0; j < n; j++) {
            while (ring.len() < 2 && ring.trySend(j)) {
                // keep it ready
            }
            small.trySend(j);
            s.run();
        }
        double expected = n / 4.0;
        double chi = 0;
        for (int c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        assertThat(chi).as("chi-square of %s", java.util.Arrays.toString(counts)).isLessThan(30.7);
    }
}
