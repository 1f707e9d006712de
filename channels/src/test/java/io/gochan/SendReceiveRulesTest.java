package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules S1–S6, on virtual and on platform threads. */
class SendReceiveRulesTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S1_unbufferedSendCompletesOnlyWhenAReceiverTookTheValue(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        AtomicBoolean sendReturned = new AtomicBoolean();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                ch.send(42);
                sendReturned.set(true);
            });
            Threads.awaitSenders(ch, 1);
            assertThat(sendReturned).isFalse(); // parked until a receiver comes
            assertThat(ch.receive()).isEqualTo(42);
        }
        assertThat(sendReturned).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S1_eachValueIsReceivedExactlyOnce(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        int n = 2000;
        try (Threads threads = new Threads(kind)) {
            for (int p = 0; p < 2; p++) {
                int base = p * n;
                threads.start(() -> {
                    for (int i = 0; i < n; i++) {
                        ch.send(base + i);
                    }
                });
            }
            for (int c = 0; c < 2; c++) {
                threads.start(() -> {
                    for (int i = 0; i < n; i++) {
                        got.add(ch.receive());
                    }
                });
            }
        }
        assertThat(got).hasSize(2 * n).doesNotHaveDuplicates();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S2_bufferedSendCompletesWhileThereIsRoomThenBlocks(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(2);
        ch.send(1);
        ch.send(2);
        AtomicBoolean third = new AtomicBoolean();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                ch.send(3);
                third.set(true);
            });
            Threads.awaitSenders(ch, 1);
            assertThat(third).isFalse();
            assertThat(ch.receive()).isEqualTo(1);
        }
        assertThat(third).isTrue();
        assertThat(ch.receive()).isEqualTo(2);
        assertThat(ch.receive()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S2_receiveBlocksWhileEmpty(Kind kind) throws Exception {
        Chan<String> ch = Chan.make(4);
        List<String> got = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> got.add(ch.receive()));
            Threads.awaitReceivers(ch, 1);
            ch.send("x");
        }
        assertThat(got).containsExactly("x");
        assertThat(ch.len()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S3_blockedSendersAreServedInArrivalOrder(Kind kind) throws Exception {
        for (int capacity : new int[] {0, 2}) {
            Chan<Integer> ch = Chan.make(capacity);
            for (int i = 0; i < capacity; i++) {
                ch.send(-1);
            }
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < 5; i++) {
                    int v = i;
                    threads.start(() -> ch.send(v));
                    Threads.awaitSenders(ch, i + 1); // sender i is queued before sender i+1 starts
                }
                List<Integer> got = new ArrayList<>();
                for (int i = 0; i < capacity + 5; i++) {
                    got.add(ch.receive());
                }
                assertThat(got.subList(capacity, got.size())).containsExactly(0, 1, 2, 3, 4);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S3_blockedReceiversAreServedInArrivalOrder(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(1);
        Integer[] got = new Integer[5];
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 5; i++) {
                int slot = i;
                threads.start(() -> got[slot] = ch.receive());
                Threads.awaitReceivers(ch, i + 1);
            }
            for (int i = 0; i < 5; i++) {
                ch.send(i * 10);
            }
        }
        assertThat(got).containsExactly(0, 10, 20, 30, 40);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S3_fifoPerChannelAcrossBufferAndWaitingSenders(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(3);
        int n = 20_000;
        List<Integer> got = new ArrayList<>(n);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < n; i++) {
                    ch.send(i);
                }
            });
            for (int i = 0; i < n; i++) {
                got.add(ch.receive());
            }
        }
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i)).isEqualTo(i);
        }
    }

    /** A plain (non-volatile) payload: visibility after receive must come from the channel alone. */
    static final class Box {
        int a;
        long b;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S4_writesBeforeASendAreVisibleAfterTheReceive(Kind kind) throws Exception {
        for (int capacity : new int[] {0, 1, 16}) {
            Chan<Box> ch = Chan.make(capacity);
            Chan<Box> back = Chan.make(capacity);
            int n = 5000;
            try (Threads threads = new Threads(kind)) {
                threads.start(() -> {
                    for (int i = 0; i < n; i++) {
                        Box box = new Box();
                        box.a = i;
                        box.b = i * 3L;
                        ch.send(box);
                        Box r = back.receive();
                        assertThat(r.a).isEqualTo(-i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    Box box = ch.receive();
                    assertThat(box.a).isEqualTo(i);
                    assertThat(box.b).isEqualTo(i * 3L);
                    box.a = -i;
                    back.send(box);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S4_kthReceiveHappensBeforeTheKPlusCthSendCompletes(Kind kind) throws Exception {
        // A buffered channel of capacity C is a counting semaphore: with C = 1, the second send can only
        // complete after the first receive, so the receiver's plain write before its receive is visible.
        int[] seen = new int[1];
        Chan<Integer> sem = Chan.make(1);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                sem.send(1);
                sem.send(2); // completes only after the receiver's first receive
                assertThat(seen[0]).isEqualTo(7);
            });
            Threads.awaitSenders(sem, 1);
            seen[0] = 7;
            assertThat(sem.receive()).isEqualTo(1);
            assertThat(sem.receive()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S5_tryOpsSucceedOnlyIfTheyCanCompleteNow(Kind kind) throws Exception {
        Chan<Integer> u = Chan.make();
        assertThat(u.trySend(1)).isFalse();
        assertThat(u.tryReceive().notReady()).isTrue();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(u.receive()).isEqualTo(9));
            Threads.awaitReceivers(u, 1);
            assertThat(u.trySend(9)).isTrue();
        }
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> u.send(8));
            Threads.awaitSenders(u, 1);
            assertThat(u.tryReceive().value()).isEqualTo(8);
        }
        Chan<Integer> b = Chan.make(1);
        assertThat(b.trySend(1)).isTrue();
        assertThat(b.trySend(2)).isFalse();
        assertThat(b.tryReceive().value()).isEqualTo(1);
        assertThat(b.tryReceive().notReady()).isTrue();
        b.close();
        assertThat(b.tryReceive().closed()).isTrue();
        assertThatThrownBy(() -> b.trySend(3)).isInstanceOf(ChannelClosedException.class);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void S6_timedOpsGiveUpAndLeaveTheValueWhereItWas(Kind kind) throws Exception {
        Chan<Integer> u = Chan.make();
        assertThat(u.send(1, Duration.ofMillis(5))).isFalse();
        assertThat(u.receive(Duration.ofMillis(5)).notReady()).isTrue();
        assertThat(u.tryReceive().notReady()).isTrue(); // the timed-out value was not left behind
        assertThat(Threads.waiters(u)).isZero();
        Chan<Integer> b = Chan.make(1);
        b.send(1);
        assertThat(b.send(2, Duration.ofMillis(5))).isFalse();
        assertThat(b.receive(Duration.ofMillis(5)).value()).isEqualTo(1);
        assertThat(b.receive(Duration.ZERO).notReady()).isTrue();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(u.send(5, Duration.ofSeconds(30))).isTrue());
            assertThat(u.receive(Duration.ofSeconds(30)).value()).isEqualTo(5);
        }
    }
}
