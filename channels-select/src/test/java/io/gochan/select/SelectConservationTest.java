package io.gochan.select;

import io.gochan.leakcheck.NoGoroutineLeaks;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * L6 under stress: selects racing with selects, plain operations, close, timeouts and interrupts
 * never lose or duplicate a value. Every value whose send returned normally is received exactly
 * once; no value whose send failed is ever received.
 */
@NoGoroutineLeaks
class SelectConservationTest {

    @ParameterizedTest(name = "capacities {0} and {3}, {1} threads, seed {2}")
    @CsvSource({
        "0, VIRTUAL, 1, 0", "1, VIRTUAL, 2, 1", "16, VIRTUAL, 3, 16",
        "0, PLATFORM, 4, 0", "1, PLATFORM, 5, 1", "16, PLATFORM, 6, 16",
        // The lock-free ring (ADR 0015) on both channels, and a ring channel next to locked ones.
        "64, VIRTUAL, 7, 64", "64, PLATFORM, 8, 64", "4096, VIRTUAL, 9, 4096", "4096, PLATFORM, 10, 4096",
        "64, VIRTUAL, 11, 0", "64, PLATFORM, 12, 0", "100, VIRTUAL, 13, 1", "100, PLATFORM, 14, 63",
    })
    void L6_noValueLostOrDuplicated(int capacity, String kind, long seed, int capacityOfB) throws Exception {
        Chan<Long> a = Chan.make(capacity);
        Chan<Long> b = Chan.make(capacityOfB);
        int producers = 3;
        int consumers = 3;
        int perProducer = 3000;
        Map<Long, Boolean> sent = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch halfway = new CountDownLatch(producers);
        AtomicBoolean stopInterrupting = new AtomicBoolean();
        Thread.Builder builder = kind.equals("VIRTUAL") ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        List<Thread> workers = new ArrayList<>();

        for (int p = 0; p < producers; p++) {
            long base = (p + 1) * 1_000_000L;
            Random rnd = new Random(seed * 31 + p);
            workers.add(builder.start(() -> {
                try {
                    for (int i = 0; i < perProducer; i++) {
                        if (i == perProducer / 2) {
                            halfway.countDown();
                        }
                        long v = base + i;
                        try {
                            if (sendOnce(rnd.nextInt(4), a, b, v)) {
                                sent.put(v, Boolean.TRUE);
                            }
                        } catch (InterruptedException e) {
                            // interrupted: the value was not sent
                        }
                    }
                } catch (ChannelClosedException closed) {
                    // the channels closed in the middle: stop producing
                } catch (Throwable t) {
                    failures.add(t);
                } finally {
                    halfway.countDown();
                }
            }));
        }
        List<Thread> consumerThreads = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            Random rnd = new Random(seed * 17 + c);
            consumerThreads.add(builder.start(() -> {
                try {
                    consume(rnd, a, b, received);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        workers.addAll(consumerThreads);
        Random irnd = new Random(seed);
        Thread interrupter = builder.start(() -> {
            while (!stopInterrupting.get()) {
                workers.get(irnd.nextInt(workers.size())).interrupt();
                for (int i = 0; i < 50; i++) {
                    Thread.yield();
                }
            }
        });

        halfway.await();
        a.close();
        b.close();
        for (Thread t : workers) {
            assertThat(t.join(Duration.ofSeconds(60))).as("worker ended").isTrue();
        }
        stopInterrupting.set(true);
        assertThat(interrupter.join(Duration.ofSeconds(10))).isTrue();

        assertThat(failures).isEmpty();
        List<Long> got = new ArrayList<>(received);
        assertThat(got).doesNotHaveDuplicates();
        assertThat(got).containsExactlyInAnyOrderElementsOf(sent.keySet());
        assertThat(ChannelCores.of(a).waitingReceivers() + ChannelCores.of(a).waitingSenders()
                + ChannelCores.of(b).waitingReceivers() + ChannelCores.of(b).waitingSenders()).isZero();
    }

    /** One send by one of four routes; true if it reported the value as sent. */
    static boolean sendOnce(int route, Chan<Long> a, Chan<Long> b, long v) throws InterruptedException {
        return switch (route) {
            case 0 -> {
                a.send(v);
                yield true;
            }
            case 1 -> b.send(v, Duration.ofNanos(50_000));
            case 2 -> Select.<Boolean>cases().send(a, v, () -> true).send(b, v, () -> true)
                    .timeout(Duration.ofNanos(100_000), () -> false).select();
            default -> Select.<Boolean>cases().send(a, v, () -> true).orElse(() -> false).select();
        };
    }

    static void consume(Random rnd, Chan<Long> a, Chan<Long> b, ConcurrentLinkedQueue<Long> out) {
        AtomicReference<Chan<Long>> ca = new AtomicReference<>(a);
        AtomicReference<Chan<Long>> cb = new AtomicReference<>(b);
        while (ca.get() != null || cb.get() != null) {
            try {
                int route = rnd.nextInt(3);
                if (route == 0) {
                    Select.statement()
                            .receiveOk(ca.get(), r -> take(r, out, () -> ca.set(null)))
                            .receiveOk(cb.get(), r -> take(r, out, () -> cb.set(null)))
                            .run();
                } else if (route == 1) {
                    Select.statement()
                            .receiveOk(ca.get(), r -> take(r, out, () -> ca.set(null)))
                            .receiveOk(cb.get(), r -> take(r, out, () -> cb.set(null)))
                            .timeout(Duration.ofNanos(20_000), null)
                            .run();
                } else {
                    Chan<Long> c = ca.get() != null ? ca.get() : cb.get();
                    Received<Long> r = c.receive(Duration.ofNanos(20_000));
                    take(r, out, () -> {
                        if (c == a) {
                            ca.set(null);
                        } else {
                            cb.set(null);
                        }
                    });
                }
            } catch (InterruptedException e) {
                // nothing was taken by the interrupted operation
            }
        }
        Thread.interrupted();
    }

    static void take(Received<Long> r, ConcurrentLinkedQueue<Long> out, Runnable onClosed) {
        if (r.ok()) {
            out.add(r.value());
        } else if (r.closed()) {
            onClosed.run();
        }
    }
}
