package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Timers;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Select's choice compared with Go's (rules L2, L4, L7 of docs/spec/select.md), on the default random
 * source (ThreadLocalRandom), as Go's selectgo polls in a fresh random order. What Go does here was
 * checked with Go programs: a ready case is ready whatever makes it so (a buffered value, room in the
 * buffer, a parked partner, a closed channel, a drop-policy channel, a due timer), a send case on a
 * closed channel is "ready" and panics only when it is the one picked, and a select never meets itself.
 */
@NoGoroutineLeaks
class SelectChoiceRulesTest {
    /** Chi-square critical values at p = 1e-6: generous, so the tests never fail by chance. */
    private static double chiSquare(int[] counts) {
        double expected = Arrays.stream(counts).sum() / (double) counts.length;
        double chi = 0;
        for (int c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        return chi;
    }

    /**
     * L2 with six ready cases of six kinds: a send with room, a receive of a buffered value, a receive
     * from a parked sender (a full buffer, or unbuffered), a send to a parked receiver, a send on a
     * conflated channel, and a due timer (TM7). Each is chosen about a sixth of the time, at a capacity
     * of the locked buffer and one of the lock-free ring.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 64})
    void L2_readyCasesOfEveryKindAreChosenUniformly(int capacity) throws Exception {
        Chan<Integer> room = Chan.make(capacity);
        Chan<Integer> buffered = Chan.make(capacity);
        Chan<Integer> fullWithSender = Chan.make(capacity);
        Chan<Integer> withReceiver = Chan.make();
        Chan<Integer> conflated = Chan.conflated();
        for (int i = 0; i < capacity; i++) {
            fullWithSender.send(i);
        }
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                for (;;) {
                    fullWithSender.send(1);
                }
            } catch (InterruptedException e) {
                // the test is over
            }
        });
        Thread receiver = Thread.ofVirtual().start(() -> {
            try {
                for (;;) {
                    withReceiver.receive();
                }
            } catch (InterruptedException e) {
                // the test is over
            }
        });
        int[] hits = new int[6];
        try {
            for (int i = 0; i < 9_000; i++) {
                while (room.len() > 0) {
                    room.receive();
                }
                buffered.trySend(1);
                SelectRulesTest.awaitSenders(fullWithSender, 1);
                SelectRulesTest.awaitReceivers(withReceiver, 1);
                Select.statement()
                        .send(room, 1, () -> hits[0]++)
                        .receive(buffered, v -> hits[1]++)
                        .receive(fullWithSender, v -> hits[2]++)
                        .send(withReceiver, 1, () -> hits[3]++)
                        .send(conflated, 1, () -> hits[4]++)
                        .receive(Timers.after(Duration.ZERO), v -> hits[5]++)
                        .run();
            }
        } finally {
            sender.interrupt();
            receiver.interrupt();
            sender.join();
            receiver.join();
        }
        // 5 degrees of freedom, p = 1e-6: 35.9.
        assertThat(chiSquare(hits)).as("hits %s", Arrays.toString(hits)).isLessThan(35.9);
    }

    /**
     * L4 with L2: a send case on a closed channel is ready like any other, so among three ready cases it
     * is picked (and the select throws) about a third of the time, never always and never never.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void L4_aClosedSendCaseIsPickedAsOftenAsAnyOtherReadyCase(int capacity) throws Exception {
        Chan<Integer> closed = Chan.make(capacity);
        closed.close();
        Chan<Integer> a = Chan.make(1);
        Chan<Integer> b = Chan.make(1);
        int[] hits = new int[3];
        for (int i = 0; i < 6_000; i++) {
            a.trySend(1);
            b.trySend(2);
            try {
                Select.statement()
                        .receive(a, v -> hits[0]++)
                        .send(closed, 3, () -> { throw new AssertionError("a send on a closed channel completed"); })
                        .receive(b, v -> hits[2]++)
                        .run();
            } catch (ChannelClosedException e) {
                hits[1]++;
            }
        }
        // 2 degrees of freedom, p = 1e-6: 27.6.
        assertThat(chiSquare(hits)).as("hits %s", Arrays.toString(hits)).isLessThan(27.6);
    }

    /**
     * L7: a select with a send and a receive case on one channel never pairs them (Go: a goroutine never
     * meets itself), also once it is blocked with both registered; it times out and leaves nothing. On a
     * buffered channel each case is judged on its own: empty, only the send is ready; full, only the
     * receive; in between, both, each about half the time.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 2, 64})
    void L7_aSelectNeverMeetsItselfAndJudgesEachCaseOnItsOwn(int capacity) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        if (capacity == 0) {
            for (int i = 0; i < 20; i++) {
                int r = Select.statement().send(ch, 1, () -> { }).receive(ch, v -> { })
                        .timeout(Duration.ofMillis(1), () -> { }).run();
                assertThat(r).isEqualTo(SelectStatement.TIMEOUT);
            }
            assertThat(ChannelCores.of(ch).waitingSenders() + ChannelCores.of(ch).waitingReceivers()).isZero();
            return;
        }
        SelectStatement s = Select.statement().send(ch, 1, () -> { }).receive(ch, v -> { });
        assertThat(s.run()).as("empty: only the send is ready").isZero();
        while (ch.len() < capacity) {
            ch.send(1);
        }
        assertThat(s.run()).as("full: only the receive is ready").isEqualTo(1);
        int[] hits = new int[2];
        for (int i = 0; i < 4_000; i++) {
            while (ch.len() > 1) {
                ch.receive();
            }
            while (ch.len() < 1) {
                ch.send(1);
            }
            hits[s.run()]++;
        }
        // 1 degree of freedom, p = 1e-6: 23.9.
        assertThat(chiSquare(hits)).as("hits %s", Arrays.toString(hits)).isLessThan(23.9);
    }
}
