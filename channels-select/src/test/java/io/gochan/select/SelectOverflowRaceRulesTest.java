package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.OverflowPolicy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.select.SelectContextRulesTest.Kind;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Select over the shapes of rules OV1–OV4 (conflated, drop-oldest, drop-latest, unlimited), both thread kinds: a send
 * case on them competes uniformly with a ready receive (L2) and completes with the interrupt flag set (CH3); selects
 * racing selects, a close, or an interrupt lose and duplicate no value (L6, I2, OV3). No defect found by the audit
 * these come from; kept as regression tests of the select engine on these shapes.
 */
@NoGoroutineLeaks
class SelectOverflowRaceRulesTest {

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

    static Thread start(Kind kind, Runnable r) {
        return kind == Kind.VIRTUAL ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void L2_CH3_OV1_aSendCaseCompetesUniformlyAndIgnoresASetInterruptFlag(String shape, Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            Chan<Integer> source = Chan.unlimited();
            int rounds = 4000;
            for (int i = 0; i < rounds; i++) {
                source.send(i);
            }
            int sends = 0;
            for (int i = 0; i < rounds; i++) {
                int v = i;
                String r = Select.<String>cases().receive(source, x -> "received").send(ch, v, () -> "sent")
                        .orElse(() -> "default").select();
                assertThat(r).isNotEqualTo("default");
                if (r.equals("sent")) {
                    sends++;
                }
            }
            assertThat(sends).as("sends chosen of %d", rounds).isBetween(rounds / 2 - 300, rounds / 2 + 300);
            assertThat(dropped.size() + ch.len()).isEqualTo(sends);
            // the interrupt flag: a select whose send case completes at once does not throw
            Thread.currentThread().interrupt();
            try {
                for (int i = 0; i < 10; i++) {
                    assertThat(Select.<String>cases().send(ch, i, () -> "sent").select()).isEqualTo("sent");
                    assertThat(Select.statement().send(ch, i, () -> { }).run()).isZero();
                }
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            ch.close();
            assertThatThrownBy(() -> Select.<String>cases().send(ch, 1, () -> "sent").orElse(() -> "default").select())
                    .isInstanceOf(ChannelClosedException.class);
        });
    }

    /** Select senders and select receivers on one channel, a close racing them: conservation. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void L6_OV3_selectsRacingSelectsAndACloseConserveValues(String shape, Kind kind) throws Exception {
        for (int round = 0; round < 40; round++) {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            Chan<Integer> idle = Chan.make();
            CyclicBarrier barrier = new CyclicBarrier(5);
            List<Thread> threads = new ArrayList<>();
            int base0 = round * 100_000;
            for (int s = 0; s < 2; s++) {
                int base = base0 + s * 10_000;
                threads.add(start(kind, () -> {
                    try {
                        barrier.await();
                        for (int i = 0; i < 300; i++) {
                            int v = base + i;
                            try {
                                Select.<String>cases().send(ch, v, () -> "s").receive(idle, x -> "i").select();
                                sent.add(v);
                            } catch (ChannelClosedException e) {
                                // not sent
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (int r = 0; r < 2; r++) {
                threads.add(start(kind, () -> {
                    try {
                        barrier.await();
                        boolean open = true;
                        while (open) {
                            AtomicReference<Boolean> o = new AtomicReference<>(true);
                            Select.<String>cases().receiveOk(ch, got -> {
                                if (got.closed()) {
                                    o.set(false);
                                } else {
                                    received.add(got.value());
                                }
                                return "r";
                            }).receive(idle, x -> "i").select();
                            open = o.get();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            threads.add(start(kind, () -> {
                try {
                    barrier.await();
                    for (int i = 0; i < 50; i++) {
                        Thread.onSpinWait();
                    }
                    ch.close();
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
            for (Thread t : threads) {
                assertThat(t.join(Duration.ofSeconds(60))).isTrue();
            }
            assertThat(failures).isEmpty();
            List<Integer> all = new ArrayList<>(received);
            all.addAll(dropped);
            assertThat(new HashSet<>(all)).as("no value counted twice").hasSize(all.size());
            assertThat(new HashSet<>(all)).as("every sent value received or dropped").isEqualTo(new HashSet<>(sent));
            assertThat(ChannelCores.of(idle).waitingReceivers()).isZero();
        }
    }

    /** A select parked on a receive case, a send and an interrupt racing: the value is received, or stays, or is dropped. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapes")
    void I2_OV3_anInterruptRacingAHandoffToASelectLosesNothing(String shape, Kind kind) throws Exception {
        Chan<Integer> idle = Chan.make();
        for (int round = 0; round < 300; round++) {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = make(shape, dropped::add);
            AtomicReference<Object> got = new AtomicReference<>();
            CountDownLatch parked = new CountDownLatch(1);
            Thread selector = start(kind, () -> {
                try {
                    parked.countDown();
                    got.set(Select.<Integer>cases().receive(ch, v -> v).receive(idle, v -> -1).select());
                } catch (Throwable t) {
                    got.set(t);
                }
            });
            parked.await();
            Thread sender = start(kind, () -> {
                try {
                    ch.send(1);
                    ch.send(2);
                } catch (Throwable t) {
                    got.compareAndSet(null, t);
                }
            });
            selector.interrupt();
            assertThat(selector.join(Duration.ofSeconds(30))).isTrue();
            assertThat(sender.join(Duration.ofSeconds(30))).isTrue();
            List<Integer> all = new ArrayList<>(dropped);
            if (got.get() instanceof Integer v) {
                all.add(v);
            } else {
                assertThat(got.get()).isInstanceOf(InterruptedException.class);
            }
            ch.close();
            ch.range(all::add);
            assertThat(all).containsExactlyInAnyOrder(1, 2);
            assertThat(ChannelCores.of(idle).waitingReceivers()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void L6_OV2_twoSelectsExchangingOnAConflatedChannelConserveValues(Kind kind) throws Exception {
        // Each select offers a value and also takes one: never both at once, and every value ends somewhere once.
        for (int round = 0; round < 200; round++) {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = Chan.conflated(dropped::add);
            ConcurrentLinkedQueue<Integer> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
            CyclicBarrier barrier = new CyclicBarrier(2);
            AtomicInteger failures = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                int base = s * 1000;
                ts.add(start(kind, () -> {
                    try {
                        barrier.await();
                        for (int i = 0; i < 20; i++) {
                            int v = base + i;
                            Select.<String>cases().send(ch, v, () -> {
                                sent.add(v);
                                return "s";
                            }).receive(ch, x -> {
                                received.add(x);
                                return "r";
                            }).select();
                        }
                    } catch (Throwable t) {
                        failures.incrementAndGet();
                    }
                }));
            }
            for (Thread t : ts) {
                assertThat(t.join(Duration.ofSeconds(30))).isTrue();
            }
            assertThat(failures.get()).isZero();
            ch.close();
            ch.range(received::add);
            Set<Integer> all = new HashSet<>(received);
            all.addAll(dropped);
            assertThat(received.size() + dropped.size()).isEqualTo(all.size());
            assertThat(all).isEqualTo(new HashSet<>(sent));
        }
    }
}
