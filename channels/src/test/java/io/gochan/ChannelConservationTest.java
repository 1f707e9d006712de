package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Randomized, seeded many-thread test of S1, K5 and I2 together: senders and receivers use blocking,
 * timed and try operations, an interrupter hits them at random, and the channel closes in the middle.
 * Every value whose send returned normally is received exactly once (or drained after close); no
 * value whose send failed is ever received.
 */
class ChannelConservationTest {

    static List<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        long seed = 1;
        for (Kind kind : Kind.values()) {
            for (int capacity : new int[] {0, 1, 2, 16, 64, 1024, 5000}) {
                list.add(Arguments.of(capacity, kind, seed++));
            }
        }
        return list;
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads, seed {2}")
    @MethodSource("cases")
    void noValueLostOrDuplicated(int capacity, Kind kind, long seed) throws Exception {
        Chan<Long> ch = Chan.make(capacity);
        int senders = 3;
        int receivers = 3;
        int perSender = 4000;
        ConcurrentHashMap<Long, Boolean> sent = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
        CountDownLatch halfway = new CountDownLatch(senders);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> targets = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            for (int s = 0; s < senders; s++) {
                long base = (s + 1) * 10_000_000L;
                Random rnd = new Random(seed * 101 + s);
                targets.add(threads.start(() -> {
                    try {
                        for (int i = 0; i < perSender; i++) {
                            if (i == perSender / 2) {
                                halfway.countDown();
                            }
                            long v = base + i;
                            boolean ok;
                            try {
                                ok = switch (rnd.nextInt(3)) {
                                    case 0 -> {
                                        ch.send(v);
                                        yield true;
                                    }
                                    case 1 -> ch.send(v, Duration.ofNanos(rnd.nextInt(100_000)));
                                    default -> ch.trySend(v);
                                };
                            } catch (InterruptedException e) {
                                ok = false;
                            }
                            if (ok) {
                                sent.put(v, Boolean.TRUE);
                            }
                        }
                    } catch (ChannelClosedException closed) {
                        // closed in the middle
                    } finally {
                        halfway.countDown();
                        Thread.interrupted();
                    }
                }));
            }
            for (int r = 0; r < receivers; r++) {
                Random rnd = new Random(seed * 211 + r);
                targets.add(threads.start(() -> {
                    while (true) {
                        Received<Long> got;
                        try {
                            got = switch (rnd.nextInt(3)) {
                                case 0 -> ch.receiveOk();
                                case 1 -> ch.receive(Duration.ofNanos(rnd.nextInt(100_000)));
                                default -> ch.tryReceive();
                            };
                        } catch (InterruptedException e) {
                            continue;
                        }
                        if (got.ok()) {
                            received.add(got.value());
                        } else if (got.closed()) {
                            Thread.interrupted();
                            return;
                        }
                    }
                }));
            }
            Random irnd = new Random(seed);
            threads.start(() -> {
                while (!stop.get()) {
                    targets.get(irnd.nextInt(targets.size())).interrupt();
                    for (int i = 0; i < 20; i++) {
                        Thread.yield();
                    }
                }
            });
            halfway.await();
            ch.close();
            for (Thread t : targets) {
                assertThat(t.join(Duration.ofSeconds(60))).isTrue();
            }
            stop.set(true);
        }
        List<Long> got = new ArrayList<>(received);
        assertThat(got).doesNotHaveDuplicates();
        assertThat(got).containsExactlyInAnyOrderElementsOf(sent.keySet());
        assertThat(Threads.waiters(ch)).isZero();
    }

    /**
     * S1 and S3 when the sender's next operation is on another channel: one thread sends 1, 2, 3, ...
     * on two unbuffered channels in turn, each with its own receiver, so the sender starts its next
     * send the moment a receiver claims it. Each receiver must see exactly its own channel's values in
     * order. (A thread reuses its wait record for its next operation, ADR 0015: a claimer that read a
     * sender's value after claiming it would read the next operation's value, or none.)
     */
    @ParameterizedTest(name = "on {0} threads")
    @org.junit.jupiter.params.provider.EnumSource(Kind.class)
    void S3_aSenderAlternatingBetweenChannelsNeverMixesTheirValues(Kind kind) throws Exception {
        int rounds = 300_000;
        Chan<Long> odd = Chan.make();
        Chan<Long> even = Chan.make();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (long v = 1; v <= 2L * rounds; v++) {
                    (v % 2 == 1 ? odd : even).send(v);
                }
            });
            threads.start(() -> {
                for (long expected = 1; expected <= 2L * rounds; expected += 2) {
                    assertThat(odd.receive()).isEqualTo(expected);
                }
            });
            threads.start(() -> {
                for (long expected = 2; expected <= 2L * rounds; expected += 2) {
                    assertThat(even.receive()).isEqualTo(expected);
                }
            });
        }
    }

    /**
     * Many senders and many receivers on one ring (capacity 64, and the largest ring) with plain blocking
     * operations only: every value arrives exactly once and each sender's values in order (S1, S3). A
     * thread held up between claiming a position and filling or emptying its slot lets others run a lap
     * ahead; per-slot lap numbers keep two of them off one slot (the sum of values received was short
     * in the contended benchmark before they were added).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "capacity {0} on {1} threads")
    @org.junit.jupiter.params.provider.CsvSource({"64, VIRTUAL", "64, PLATFORM", "4096, VIRTUAL", "4096, PLATFORM"})
    void S3_manySendersAndReceiversThroughTheRingLoseNothingAndKeepEachSendersOrder(int capacity, Kind kind) throws Exception {
        Chan<Long> ch = Chan.make(capacity);
        int senders = 4;
        int receivers = 4;
        int perSender = 50_000;
        long[][] lastSeen = new long[receivers][senders];
        long[] counts = new long[receivers];
        long[] sums = new long[receivers];
        boolean[] ordered = new boolean[receivers];
        try (Threads threads = new Threads(kind)) {
            for (int s = 0; s < senders; s++) {
                long base = (long) s << 32;
                threads.start(() -> {
                    for (int i = 1; i <= perSender; i++) {
                        ch.send(base + i);
                    }
                });
            }
            for (int r = 0; r < receivers; r++) {
                int me = r;
                threads.start(() -> {
                    boolean inOrder = true;
                    for (int i = 0; i < senders * perSender / receivers; i++) {
                        long v = ch.receive();
                        int sender = (int) (v >>> 32);
                        long n = v & 0xFFFF_FFFFL;
                        inOrder &= n > lastSeen[me][sender]; // values of one sender reach one receiver in order
                        lastSeen[me][sender] = n;
                        counts[me]++;
                        sums[me] += n;
                    }
                    ordered[me] = inOrder;
                });
            }
        }
        long total = 0;
        long sum = 0;
        for (int r = 0; r < receivers; r++) {
            total += counts[r];
            sum += sums[r];
            assertThat(ordered[r]).as("receiver %d saw each sender's values in order", r).isTrue();
        }
        assertThat(total).isEqualTo((long) senders * perSender);
        assertThat(sum).as("every value exactly once").isEqualTo((long) senders * perSender * (perSender + 1) / 2);
        assertThat(ch.tryReceive().notReady()).isTrue();
    }
}
