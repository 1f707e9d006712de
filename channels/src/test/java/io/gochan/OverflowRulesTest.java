package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules OV1–OV5 (docs/spec/channels.md): overflow policies, conflated and unlimited channels, both thread kinds. */
class OverflowRulesTest {

    /** Sends 1..n on a thread of the given kind; the Threads bound fails the test if a send waited. */
    private static void sendAll(Kind kind, SendChan<Integer> ch, int n) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 1; i <= n; i++) {
                    ch.send(i);
                }
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_dropOldestNeverWaitsAndKeepsTheNewestValues(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = Chan.make(2, OverflowPolicy.DROP_OLDEST, dropped::add);
        sendAll(kind, ch, 5);
        assertThat(ch.len()).isEqualTo(2);
        assertThat(ch.cap()).isEqualTo(2);
        assertThat(ch.receive()).isEqualTo(4);
        assertThat(ch.receive()).isEqualTo(5);
        assertThat(dropped).containsExactly(1, 2, 3);
        assertThat(ch.toString()).contains("DROP_OLDEST");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_dropOldestKeepsFifoOrderWhileTheBufferGrowsAndWraps(Kind kind) throws Exception {
        // Capacity 40: the ring starts at 16 slots, grows to 32, then to 40; receives move its head.
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = Chan.make(40, OverflowPolicy.DROP_OLDEST, dropped::add);
        List<Integer> got = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 1; i <= 1000; i++) {
                    ch.send(i);
                    if (i % 7 == 0) {
                        got.add(ch.receive());
                    }
                }
                ch.close();
                ch.range(got::add);
            });
        }
        List<Integer> all = new ArrayList<>(got);
        all.addAll(dropped);
        assertThat(all).hasSize(1000).doesNotHaveDuplicates();
        assertThat(got).as("received in the order sent").isSorted();
        assertThat(new ArrayList<>(dropped)).as("dropped oldest first").isSorted();
        assertThat(got.subList(got.size() - 40, got.size())).as("the newest 40 survive")
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(961, 1000).boxed().toList());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_dropLatestNeverWaitsAndKeepsTheOldestValues(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = Chan.make(2, OverflowPolicy.DROP_LATEST, dropped::add);
        sendAll(kind, ch, 5);
        assertThat(ch.len()).isEqualTo(2);
        assertThat(ch.receive()).isEqualTo(1);
        assertThat(ch.receive()).isEqualTo(2);
        assertThat(dropped).containsExactly(3, 4, 5);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_everySendFormCompletesOnAFullBuffer(Kind kind) throws Exception {
        for (OverflowPolicy policy : new OverflowPolicy[] {OverflowPolicy.DROP_OLDEST, OverflowPolicy.DROP_LATEST}) {
            Chan<Integer> ch = Chan.make(1, policy);
            try (Threads threads = new Threads(kind)) {
                threads.start(() -> {
                    ch.send(1);
                    assertThat(ch.trySend(2)).as("trySend on a full %s buffer", policy).isTrue();
                    assertThat(ch.send(3, Duration.ofDays(1))).isTrue();
                    ch.send(4, Context.withCancel(Context.background()));
                });
            }
            assertThat(ch.receive()).isEqualTo(policy == OverflowPolicy.DROP_OLDEST ? 4 : 1);
            assertThat(ch.tryReceive().ok()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_aWaitingReceiverGetsTheValueBeforeTheBufferOrThePolicy(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = Chan.make(1, OverflowPolicy.DROP_LATEST, dropped::add);
        AtomicReference<Integer> got = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> got.set(ch.receive()));
            Threads.awaitReceivers(ch, 1);
            ch.send(1); // to the receiver, not into the buffer
            ch.send(2); // into the buffer
            ch.send(3); // dropped: the buffer is full
        }
        assertThat(got.get()).isEqualTo(1);
        assertThat(ch.receive()).isEqualTo(2);
        assertThat(dropped).containsExactly(3);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_closeKeepsGoSemantics(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = Chan.make(2, OverflowPolicy.DROP_OLDEST, dropped::add);
        ch.send(1);
        ch.send(2);
        ch.close();
        assertThatThrownBy(() -> ch.send(3)).isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(() -> ch.trySend(3)).isInstanceOf(ChannelClosedException.class);
        List<Integer> drained = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> ch.range(drained::add));
        }
        assertThat(drained).containsExactly(1, 2);
        assertThat(dropped).as("buffered values are drained, not dropped, by a close").isEmpty();
        assertThat(ch.receiveOk().ok()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV2_conflatedReceiverGetsTheNewestValue(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = Chan.conflated(dropped::add);
        assertThat(ch.cap()).isEqualTo(1);
        sendAll(kind, ch, 3);
        assertThat(ch.len()).isEqualTo(1);
        assertThat(ch.receive()).isEqualTo(3);
        assertThat(dropped).containsExactly(1, 2);
        AtomicReference<Integer> got = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> got.set(ch.receive())); // nothing new: waits
            Threads.awaitReceivers(ch, 1);
            ch.send(7);
        }
        assertThat(got.get()).isEqualTo(7);
        assertThat(Chan.<Integer>conflated().cap()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV3_theCallbackRunsOnTheSenderAfterTheLockIsReleased(Kind kind) throws Exception {
        List<Thread> callbackThreads = new ArrayList<>();
        AtomicBoolean otherThreadGotTheLock = new AtomicBoolean();
        Chan<Integer>[] box = new Chan[1];
        box[0] = Chan.conflated(v -> {
            callbackThreads.add(Thread.currentThread());
            // Another thread needs this channel's lock: it would wait forever if we still held it.
            Thread other = Thread.ofPlatform().start(() -> otherThreadGotTheLock.set(box[0].tryReceive().ok()));
            try {
                assertThat(other.join(Duration.ofSeconds(30))).as("lock free during the callback").isTrue();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Chan<Integer> ch = box[0];
        Thread[] sender = new Thread[1];
        try (Threads threads = new Threads(kind)) {
            sender[0] = threads.start(() -> {
                ch.send(1);
                ch.send(2); // drops 1; the callback's thread then takes 2
            });
        }
        assertThat(callbackThreads).containsExactly(sender[0]);
        assertThat(otherThreadGotTheLock).isTrue();
    }

    @Test
    void OV3_aFailingCallbackNeitherFailsTheSendNorStopsLaterReports() throws Exception {
        List<Integer> seen = new ArrayList<>();
        Chan<Integer> ch = Chan.make(1, OverflowPolicy.DROP_OLDEST, v -> {
            seen.add(v);
            throw new IllegalStateException("callback failure (expected by the test; logged)");
        });
        ch.send(1);
        ch.send(2); // drops 1: the callback throws, the send completes
        ch.send(3); // drops 2
        assertThat(seen).containsExactly(1, 2);
        assertThat(ch.receive()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV4_unlimitedSendsNeverWaitAndKeepEveryValue(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.unlimited();
        int n = 100_000;
        sendAll(kind, ch, n);
        assertThat(ch.len()).isEqualTo(n);
        assertThat(ch.cap()).isEqualTo(Chan.UNLIMITED).isEqualTo(Integer.MAX_VALUE);
        assertThat(ch.sendOnly().cap()).isEqualTo(Chan.UNLIMITED);
        assertThat(ch.toString()).contains("unlimited");
        ch.close();
        List<Integer> got = new ArrayList<>();
        ch.range(got::add);
        assertThat(got).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i)).isEqualTo(i + 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV4_atTheLimitASendThrowsAndNothingIsLost(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.unlimited(3); // the JVM's array limit, scaled down
        sendAll(kind, ch, 3);
        assertThatThrownBy(() -> ch.send(4)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not sent");
        assertThatThrownBy(() -> ch.trySend(4)).isInstanceOf(IllegalStateException.class);
        assertThat(ch.len()).isEqualTo(3);
        assertThat(ch.receive()).isEqualTo(1);
        ch.send(4);
        assertThat(List.of(ch.receive(), ch.receive(), ch.receive())).containsExactly(2, 3, 4);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV4_aWaitingReceiverGetsTheValueOfAnUnlimitedChannel(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.unlimited();
        CountDownLatch got = new CountDownLatch(1);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(ch.receive()).isEqualTo(9);
                got.countDown();
            });
            Threads.awaitReceivers(ch, 1);
            ch.send(9);
            assertThat(got.await(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(ch.len()).isZero();
    }

    @Test
    void OV5_aDropPolicyNeedsABuffer() {
        assertThatThrownBy(() -> Chan.make(0, OverflowPolicy.DROP_OLDEST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity >= 1");
        assertThatThrownBy(() -> Chan.make(0, OverflowPolicy.DROP_LATEST, v -> { }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Chan.make(-1, OverflowPolicy.DROP_LATEST)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Chan.make(1, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Chan.make(1, OverflowPolicy.DROP_OLDEST, null)).isInstanceOf(NullPointerException.class);
        assertThat(Chan.make(0, OverflowPolicy.SUSPEND).cap()).as("SUSPEND is Go's channel").isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_suspendIsGosChannel(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(1, OverflowPolicy.SUSPEND);
        ch.send(1);
        assertThat(ch.trySend(2)).isFalse();
        AtomicBoolean sent = new AtomicBoolean();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                ch.send(2);
                sent.set(true);
            });
            Threads.awaitSenders(ch, 1);
            assertThat(sent).isFalse();
            assertThat(ch.receive()).isEqualTo(1);
        }
        assertThat(ch.receive()).isEqualTo(2);
    }
}
