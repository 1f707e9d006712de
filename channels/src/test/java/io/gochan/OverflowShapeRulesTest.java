package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The general channel rules on every shape of rules OV1–OV4 (conflated, drop-oldest, drop-latest, unlimited), both
 * thread kinds: close then drain (K3, K4), the queries and the non-blocking forms (C2, S5), null refused with
 * nothing dropped (C3, OV3), a set interrupt flag not stopping a send that never waits (CH3), no value kept once
 * dropped or received (I4), conservation with the order of each producer kept (S3, OV3), an unlimited channel at its
 * limit (OV4), a drop callback that uses its channel (OV3). No defect found by the audit these come from; kept
 * because each would catch a plausible regression of the overflow path (a check moved in front of the policy, a
 * slot not cleared, a drop reported twice).
 */
@ExtendWith(NoNewGoroutines.class)
class OverflowShapeRulesTest {

    static List<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (String s : List.of("conflated", "dropOldest3", "dropLatest3", "unlimited")) {
                list.add(Arguments.of(s, kind));
            }
        }
        return list;
    }

    static Chan<Integer> make(String shape, Consumer<Integer> onDrop) {
        return switch (shape) {
            case "conflated" -> Chan.conflated(onDrop);
            case "dropOldest3" -> Chan.make(3, OverflowPolicy.DROP_OLDEST, onDrop);
            case "dropLatest3" -> Chan.make(3, OverflowPolicy.DROP_LATEST, onDrop);
            case "unlimited" -> Chan.unlimited();
            default -> throw new IllegalArgumentException(shape);
        };
    }

    static int room(String shape) {
        return switch (shape) {
            case "conflated" -> 1;
            case "unlimited" -> 1000;
            default -> 3;
        };
    }

    static void on(Kind kind, Threads.Body body) throws Exception {
        try (Threads t = new Threads(kind)) {
            t.start(body);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void K3_K4_OV1_closeThenDrainOnEveryShape(String shape, Kind kind) throws Exception {
        on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            int n = room(shape);
            for (int i = 0; i < n; i++) {
                ch.send(i);
            }
            assertThat(ch.len()).isEqualTo(n);
            ch.close();
            assertThat(ch.len()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                Received<Integer> r = ch.receiveOk();
                assertThat(r.closed()).isFalse();
                assertThat(r.value()).isEqualTo(i);
            }
            assertThat(ch.receiveOk().closed()).isTrue();
            assertThat(ch.tryReceive().closed()).isTrue();
            assertThat(ch.receive(Duration.ofSeconds(5)).closed()).isTrue();
            assertThatThrownBy(ch::receive).isInstanceOf(ChannelClosedException.class);
            assertThat(dropped).isEmpty();
            assertThatThrownBy(() -> ch.send(9)).isInstanceOf(ChannelClosedException.class)
                    .hasMessageStartingWith("send on closed channel");
            assertThatThrownBy(() -> ch.trySend(9)).isInstanceOf(ChannelClosedException.class);
            assertThatThrownBy(() -> ch.send(9, Duration.ZERO)).isInstanceOf(ChannelClosedException.class);
            assertThatThrownBy(() -> ch.send(9, Context.background())).isInstanceOf(ChannelClosedException.class);
            assertThatThrownBy(ch::close).isInstanceOf(ChannelClosedException.class)
                    .hasMessageStartingWith("close of closed channel");
            assertThat(dropped).as("a refused value is not reported dropped").isEmpty();
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void K4_OV1_iterationEndsAfterTheBufferedValuesOnEveryShape(String shape, Kind kind) throws Exception {
        on(kind, () -> {
            int n = room(shape);
            for (int form = 0; form < 3; form++) {
                Chan<Integer> ch = make(shape, v -> { });
                for (int i = 0; i < n; i++) {
                    ch.send(i);
                }
                ch.close();
                List<Integer> got = new ArrayList<>();
                switch (form) {
                    case 0 -> ch.range(got::add);
                    case 1 -> ch.forEach(got::add);
                    default -> got.addAll(ch.stream().collect(Collectors.toList()));
                }
                assertThat(got).hasSize(n);
                for (int i = 0; i < n; i++) {
                    assertThat(got.get(i)).isEqualTo(i);
                }
                Iterator<Integer> it = ch.iterator();
                assertThat(it.hasNext()).isFalse();
            }
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void C2_S5_OV1_lenCapAndTheTryFormsOnEveryShape(String shape, Kind kind) throws Exception {
        on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            int expectedCap = switch (shape) {
                case "conflated" -> 1;
                case "unlimited" -> Integer.MAX_VALUE;
                default -> 3;
            };
            assertThat(ch.cap()).isEqualTo(expectedCap);
            assertThat(ch.sendOnly().cap()).isEqualTo(expectedCap);
            assertThat(ch.receiveOnly().cap()).isEqualTo(expectedCap);
            assertThat(ch.len()).isZero();
            assertThat(ch.tryReceive().notReady()).isTrue();
            int sent = 0;
            for (int i = 0; i < 10; i++) {
                assertThat(ch.trySend(i)).isTrue();
                sent++;
                assertThat(ch.len()).isEqualTo(Math.min(sent, shape.equals("unlimited") ? sent : expectedCap));
            }
            assertThat(ch.send(10, Duration.ZERO)).isTrue();
            assertThat(ch.send(11, Duration.ofDays(1))).isTrue();
            ch.send(12, Context.background());
            Received<Integer> r = ch.tryReceive();
            assertThat(r.ok()).isTrue();
            int first = switch (shape) {
                case "conflated" -> 12;
                case "dropOldest3" -> 10;
                default -> 0;
            };
            assertThat(r.value()).isEqualTo(first);
            int buffered = ch.len();
            assertThat(dropped.size() + buffered + 1).isEqualTo(13);
            assertThat(ch.toString()).contains("len=" + buffered);
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void C3_OV3_aNullIsRefusedWithNothingDroppedOnEveryShape(String shape, Kind kind) throws Exception {
        on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            int n = room(shape);
            for (int i = 0; i < n; i++) {
                ch.send(i);
            }
            assertThatThrownBy(() -> ch.send(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("null is not a channel value");
            assertThatThrownBy(() -> ch.trySend(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("null is not a channel value");
            assertThatThrownBy(() -> ch.send(null, Duration.ZERO)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("null is not a channel value");
            assertThatThrownBy(() -> ch.send(null, Context.background())).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("null is not a channel value");
            assertThatThrownBy(() -> ch.sendOnly().send(null)).isInstanceOf(NullPointerException.class);
            assertThat(dropped).isEmpty();
            assertThat(ch.len()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                assertThat(ch.tryReceive().value()).isEqualTo(i);
            }
            ch.close();
            assertThatThrownBy(() -> ch.send(null)).isInstanceOf(NullPointerException.class);
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void CH3_OV1_theInterruptFlagDoesNotStopASendThatNeverWaits(String shape, Kind kind) throws Exception {
        on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            int n = room(shape) + 2;
            int s = 0;
            Thread.currentThread().interrupt();
            try {
                for (int i = 0; i < n; i++) {
                    ch.send(s++);
                    assertThat(Thread.currentThread().isInterrupted()).isTrue();
                    assertThat(ch.send(s++, Duration.ofDays(1))).isTrue();
                    assertThat(ch.send(s++, Duration.ZERO)).isTrue();
                    ch.send(s++, Context.withCancel(Context.background()));
                    assertThat(ch.trySend(s++)).isTrue();
                    assertThat(Thread.currentThread().isInterrupted()).isTrue();
                }
                // A receive that finds a value does not wait either.
                assertThat(ch.receive()).isNotNull();
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(dropped.size() + ch.len() + 1).isEqualTo(s);
        });
    }

    /** A parked receiver gets the value on every shape: never buffered past it, never dropped (OV1's rendezvous first). */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void OV1_OV2_OV4_aParkedReceiverGetsTheValueOnEveryShape(Kind kind) throws Exception {
        for (String shape : List.of("conflated", "dropOldest3", "dropLatest3", "unlimited")) {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            for (int round = 0; round < 100; round++) {
                int v = round;
                AtomicInteger got = new AtomicInteger(-1);
                try (Threads t = new Threads(kind)) {
                    t.start(() -> got.set(ch.receive()));
                    Threads.awaitReceivers(ch, 1);
                    ch.send(v);
                }
                assertThat(got.get()).as(shape).isEqualTo(v);
                assertThat(ch.len()).as(shape).isZero();
            }
            assertThat(dropped).as(shape).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void I4_OV1_aDroppedValueIsNotKept(Kind kind) throws Exception {
        on(kind, () -> {
            for (String shape : List.of("conflated", "dropOldest3")) {
                Chan<Object> ch = shape.equals("conflated") ? Chan.conflated()
                        : Chan.make(3, OverflowPolicy.DROP_OLDEST);
                Object v = new byte[1024];
                WeakReference<Object> ref = new WeakReference<>(v);
                ch.send(v);
                v = null;
                for (int i = 0; i < 3; i++) {
                    ch.send("x" + i);
                }
                awaitCleared(ref, shape + " keeps a dropped value");
            }
            // Drop-latest: the dropped (refused-by-policy) value.
            Chan<Object> latest = Chan.make(1, OverflowPolicy.DROP_LATEST, x -> { });
            latest.send("kept");
            Object v = new byte[1024];
            WeakReference<Object> ref = new WeakReference<>(v);
            latest.send(v);
            v = null;
            awaitCleared(ref, "drop-latest keeps its dropped value");
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void I4_OV4_anUnlimitedChannelKeepsNoReceivedValue(Kind kind) throws Exception {
        on(kind, () -> {
            Chan<Object> ch = Chan.unlimited();
            List<WeakReference<Object>> refs = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                Object v = new int[16];
                refs.add(new WeakReference<>(v));
                ch.send(v);
            }
            for (int i = 0; i < 5000; i++) {
                ch.receive();
            }
            for (WeakReference<Object> r : refs) {
                awaitCleared(r, "unlimited keeps a received value");
            }
            // and through the wrap-around of a grown ring
            for (int i = 0; i < 3000; i++) {
                ch.send(new int[1]);
                ch.receive();
            }
            assertThat(ch.len()).isZero();
        });
    }

    static void awaitCleared(WeakReference<?> ref, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ref.get() != null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what);
            }
            System.gc();
            Threads.letOthersRun();
        }
    }

    /** Three producers, two consumers, capacity 1 to 4: received + dropped == sent, nothing twice, each producer's order kept. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void S3_OV3_dropPoliciesConserveValuesAndEachProducersOrderAtCapacitiesOneToFour(Kind kind) throws Exception {
        int producers = 3;
        int consumers = 2;
        int perProducer = 4000;
        for (int cap = 1; cap <= 4; cap++) {
            for (OverflowPolicy policy : List.of(OverflowPolicy.DROP_OLDEST, OverflowPolicy.DROP_LATEST)) {
                ConcurrentLinkedQueue<Long> dropped = new ConcurrentLinkedQueue<>();
                Chan<Long> ch = Chan.make(cap, policy, dropped::add);
                List<List<Long>> got = new ArrayList<>();
                CountDownLatch start = new CountDownLatch(1);
                AtomicInteger producing = new AtomicInteger(producers);
                try (Threads t = new Threads(kind)) {
                    for (int c = 0; c < consumers; c++) {
                        List<Long> mine = new ArrayList<>();
                        got.add(mine);
                        t.start(() -> {
                            start.await();
                            ch.range(mine::add);
                        });
                    }
                    for (int p = 0; p < producers; p++) {
                        long base = (long) p << 32;
                        int form = p;
                        t.start(() -> {
                            start.await();
                            for (int i = 0; i < perProducer; i++) {
                                switch ((i + form) % 3) {
                                    case 0 -> ch.send(base + i);
                                    case 1 -> assertThat(ch.trySend(base + i)).isTrue();
                                    default -> assertThat(ch.send(base + i, Duration.ZERO)).isTrue();
                                }
                            }
                            if (producing.decrementAndGet() == 0) {
                                ch.close();
                            }
                        });
                    }
                    start.countDown();
                }
                Set<Long> all = new HashSet<>(dropped);
                assertThat(all).hasSize(dropped.size());
                int received = 0;
                for (List<Long> mine : got) {
                    received += mine.size();
                    long[] last = new long[producers];
                    java.util.Arrays.fill(last, -1);
                    for (long v : mine) {
                        assertThat(all.add(v)).as("value %x seen twice", v).isTrue();
                        int p = (int) (v >>> 32);
                        long seq = v & 0xffffffffL;
                        assertThat(seq).as("order of producer %d (cap %d, %s)", p, cap, policy).isGreaterThan(last[p]);
                        last[p] = seq;
                    }
                }
                assertThat(received + dropped.size()).as("cap %d %s", cap, policy).isEqualTo(producers * perProducer);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void C2_OV4_unlimitedLenStaysInRangeUnderConcurrency(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.unlimited();
        int producers = 2;
        int per = 20_000;
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong bad = new AtomicLong();
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try (Threads t = new Threads(kind)) {
            t.start(() -> {
                start.await();
                while (!done.get()) {
                    int len = ch.len();
                    int sentAfter = sent.get();
                    // A send counted in len may not have returned yet: at most one per producer is in between.
                    if (len < 0 || len > sentAfter + producers) {
                        bad.incrementAndGet();
                    }
                }
            });
            t.start(() -> {
                start.await();
                while (received.get() < producers * per) {
                    ch.receive();
                    received.incrementAndGet();
                }
                done.set(true);
            });
            for (int p = 0; p < producers; p++) {
                t.start(() -> {
                    start.await();
                    for (int i = 0; i < per; i++) {
                        ch.send(i);
                        sent.incrementAndGet();
                    }
                });
            }
            start.countDown();
        }
        assertThat(bad.get()).isZero();
        assertThat(ch.len()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void OV4_atItsLimitUnderConcurrencyNothingIsLost(Kind kind) throws Exception {
        for (int round = 0; round < 20; round++) {
            Chan<Integer> ch = Chan.unlimited(8);
            ConcurrentLinkedQueue<Integer> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> refused = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
            AtomicInteger producing = new AtomicInteger(3);
            CountDownLatch start = new CountDownLatch(1);
            try (Threads t = new Threads(kind)) {
                t.start(() -> {
                    start.await();
                    ch.range(received::add);
                });
                for (int p = 0; p < 3; p++) {
                    int base = p * 100_000;
                    t.start(() -> {
                        start.await();
                        for (int i = 0; i < 2000; i++) {
                            try {
                                if ((i & 1) == 0) {
                                    ch.send(base + i);
                                } else {
                                    assertThat(ch.trySend(base + i)).isTrue();
                                }
                                sent.add(base + i);
                            } catch (IllegalStateException e) {
                                assertThat(e).isNotInstanceOf(ChannelClosedException.class);
                                refused.add(base + i);
                            }
                            assertThat(ch.len()).isBetween(0, 8);
                        }
                        if (producing.decrementAndGet() == 0) {
                            ch.close();
                        }
                    });
                }
                start.countDown();
            }
            assertThat(new HashSet<>(received)).hasSize(received.size()).isEqualTo(new HashSet<>(sent));
            assertThat(sent.size() + refused.size()).isEqualTo(6000);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void OV3_aCallbackMayUseItsChannelAndWaitForAnotherThreadUsingIt(Kind kind) throws Exception {
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch othersDone = new CountDownLatch(1);
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        AtomicReference<Chan<Integer>> self = new AtomicReference<>();
        Chan<Integer> ch = Chan.conflated(v -> {
            dropped.add(v);
            if (v == 1) {
                assertThat(self.get().toString()).contains("len=1");
                assertThat(self.get().trySend(100)).isTrue(); // drops 2, reported from this nested send
                inCallback.countDown();
                try {
                    assertThat(othersDone.await(30, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        self.set(ch);
        try (Threads t = new Threads(kind)) {
            t.start(() -> {
                ch.send(1);
                ch.send(2); // drops 1: its callback re-sends and waits for the other thread
            });
            t.start(() -> {
                inCallback.await();
                assertThat(ch.receive()).isEqualTo(100);
                ch.send(200);
                othersDone.countDown();
            });
        }
        assertThat(dropped).containsExactly(1, 2);
        assertThat(ch.receive()).isEqualTo(200);
    }
}
