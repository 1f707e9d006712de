package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules K1–K5. */
class CloseRulesTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K1_closeOfAClosedChannelIsAnError(Kind kind) {
        Chan<Integer> ch = Chan.make(1);
        ch.close();
        assertThat(ch.isClosed()).isTrue();
        assertThatThrownBy(ch::close).isInstanceOf(ChannelClosedException.class).hasMessageStartingWith("close of closed channel");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K2_sendOnClosedThrows_alsoForBlockedSenders(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        ConcurrentLinkedQueue<Throwable> thrown = new ConcurrentLinkedQueue<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 3; i++) {
                int v = i;
                threads.start(() -> {
                    try {
                        ch.send(v);
                    } catch (ChannelClosedException e) {
                        thrown.add(e);
                    }
                });
            }
            Threads.awaitSenders(ch, 3);
            ch.close();
        }
        assertThat(thrown).hasSize(3);
        assertThat(ch.receiveOk().closed()).isTrue(); // their values were not delivered
        assertThatThrownBy(() -> ch.send(1)).isInstanceOf(ChannelClosedException.class).hasMessageContaining("send on closed channel");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K3_receiversDrainBufferedValuesInOrderThenSeeClosed(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(3);
        ch.send(1);
        ch.send(2);
        ch.close();
        assertThat(ch.receive()).isEqualTo(1);
        assertThat(ch.receiveOk().value()).isEqualTo(2);
        assertThat(ch.receiveOk().closed()).isTrue();
        assertThat(ch.tryReceive().closed()).isTrue();
        assertThatThrownBy(ch::receive).isInstanceOf(ChannelClosedException.class);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K3_blockedReceiversAllWakeAndSeeClosed(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(2);
        ConcurrentLinkedQueue<Received<Integer>> got = new ConcurrentLinkedQueue<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 4; i++) {
                threads.start(() -> got.add(ch.receiveOk()));
            }
            Threads.awaitReceivers(ch, 4);
            ch.close();
        }
        assertThat(got).hasSize(4).allMatch(Received::closed);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K4_iterationAndRangeEndAfterTheLastValue(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        List<Integer> viaFor = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 100; i++) {
                    ch.send(i);
                }
                ch.close();
            });
            for (int v : ch) {
                viaFor.add(v);
            }
        }
        assertThat(viaFor).hasSize(100).startsWith(0, 1).endsWith(99);
        Chan<Integer> b = Chan.make(5);
        b.send(1);
        b.send(2);
        b.close();
        List<Integer> viaForEach = new ArrayList<>();
        b.receiveOnly().range(viaForEach::add);
        assertThat(viaForEach).containsExactly(1, 2);
        Iterator<Integer> it = b.iterator();
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K4_iteratorInterruptKeepsTheFlagAndLosesNothing(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                try {
                    ch.iterator().hasNext();
                } catch (ChannelInterruptedException e) {
                    thrown.set(e);
                    flag.set(Thread.currentThread().isInterrupted());
                }
            });
            Threads.awaitReceivers(ch, 1);
            t.interrupt();
        }
        assertThat(thrown.get()).hasCauseInstanceOf(InterruptedException.class);
        assertThat(flag.get()).isTrue();
        ch.send(3);
        assertThat(ch.receive()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void K5_closeNeverLosesAValueReportedSentNorReportsSentAValueNobodyGets(Kind kind) throws Exception {
        for (int round = 0; round < 50; round++) {
            Chan<Integer> ch = Chan.make(round % 3);
            ConcurrentLinkedQueue<Integer> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
            try (Threads threads = new Threads(kind)) {
                for (int p = 0; p < 3; p++) {
                    int base = p * 1000;
                    threads.start(() -> {
                        try {
                            for (int i = 0; i < 1000; i++) {
                                ch.send(base + i);
                                sent.add(base + i);
                            }
                        } catch (ChannelClosedException expected) {
                            // closed in the middle
                        }
                    });
                }
                threads.start(() -> {
                    for (int v : ch) {
                        got.add(v);
                    }
                });
                threads.start(() -> {
                    for (int i = 0; i < 100; i++) {
                        Thread.yield();
                    }
                    ch.close();
                });
            }
            assertThat(got).containsExactlyInAnyOrderElementsOf(sent);
        }
    }
}
