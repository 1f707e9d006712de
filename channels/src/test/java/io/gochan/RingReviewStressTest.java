package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Probes of the lock-free ring (buffered channels of capacity 64..4096, ADR 0015) where its lock-free
 * fast path meets the locked slow path, each beside the locked buffer that the capacity 4097 picks
 * (the same rules must hold for both). Every probe counts and sums values instead of ordering threads
 * with sleeps; a lost wake-up shows as a thread that does not end within the generous bound of
 * {@link Threads#close()}.
 */
class RingReviewStressTest {

    static List<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int capacity : new int[] {64, 4096, 4097}) {
                list.add(Arguments.of(capacity, kind));
            }
        }
        return list;
    }

    /**
     * K2, K3, K5 with close racing fast sends: in each round senders send (blocking, timed, try) while a
     * receiver drains and another thread closes. A send that starts after close() returned throws; every
     * value whose send returned normally is received exactly once, all of them before the receiver's
     * first "closed"; nothing is received after it; len() is 0 at the end.
     */
    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void K5_closeRacingFastSendsLosesNothingAndLetsNothingInAfterIt(int capacity, Kind kind) throws Exception {
        int rounds = capacity == 64 ? 200 : 40;
        long perSender = 3L * capacity; // enough to fill the buffer and wait at its full edge before the close
        int senders = 3;
        AtomicInteger sentAfterClose = new AtomicInteger();
        AtomicInteger receivedAfterClosed = new AtomicInteger();
        for (int round = 0; round < rounds; round++) {
            Chan<Long> ch = Chan.make(capacity);
            AtomicBoolean closeReturned = new AtomicBoolean();
            ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
            CountDownLatch started = new CountDownLatch(senders);
            long seed = round;
            try (Threads threads = new Threads(kind)) {
                for (int s = 0; s < senders; s++) {
                    long base = (s + 1L) << 40;
                    SplittableRandom rnd = new SplittableRandom(seed * 31 + s);
                    threads.start(() -> {
                        try {
                            for (long i = 0; i < perSender; i++) {
                                if (i == capacity / 2) {
                                    started.countDown();
                                }
                                boolean after = closeReturned.get();
                                long v = base + i;
                                boolean ok = switch (rnd.nextInt(3)) {
                                    case 0 -> {
                                        ch.send(v);
                                        yield true;
                                    }
                                    case 1 -> ch.send(v, Duration.ofMillis(1));
                                    default -> ch.trySend(v);
                                };
                                if (ok) {
                                    sent.add(v);
                                    if (after) {
                                        sentAfterClose.incrementAndGet();
                                    }
                                }
                            }
                        } catch (ChannelClosedException expected) {
                            // closed in the middle
                        } finally {
                            started.countDown();
                        }
                    });
                }
                threads.start(() -> {
                    while (true) {
                        Received<Long> got = ch.receiveOk();
                        if (!got.ok()) {
                            break;
                        }
                        received.add(got.value());
                    }
                    for (int i = 0; i < 100; i++) { // closed and drained stays so (Go: zero, false forever)
                        if (ch.tryReceive().ok()) {
                            receivedAfterClosed.incrementAndGet();
                        }
                    }
                });
                threads.start(() -> {
                    started.await();
                    ch.close();
                    closeReturned.set(true);
                });
            }
            assertConserved(sent, received, "round " + round);
            assertThat(ch.len()).isZero();
            assertThat(Threads.waiters(ch)).isZero();
        }
        assertThat(sentAfterClose.get()).as("sends that started after close() returned and did not throw").isZero();
        assertThat(receivedAfterClosed.get()).as("values received after (zero, false)").isZero();
    }

    /**
     * S2, S3 and the lost wake-up: one or four senders and receivers with blocking operations only, so
     * both ends keep filling and emptying the buffer and parking at its edges, while a sampler checks
     * that len() stays within [0, cap] (C2). Every value arrives once (count and sum), each sender's in
     * order; a wake-up lost between the fast path and the queue leaves a thread parked for good.
     */
    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void S3_edgesOfTheBufferLoseNoWakeUpAndLenStaysInRange(int capacity, Kind kind) throws Exception {
        for (int pairs : new int[] {1, 4}) {
            Chan<Long> ch = Chan.make(capacity);
            int perSender = 60_000 / pairs;
            AtomicLong count = new AtomicLong();
            AtomicLong sum = new AtomicLong();
            AtomicInteger disorder = new AtomicInteger();
            AtomicInteger lenOutOfRange = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();
            try (Threads threads = new Threads(kind)) {
                for (int s = 0; s < pairs; s++) {
                    long base = (long) s << 32;
                    threads.start(() -> {
                        for (int i = 1; i <= perSender; i++) {
                            ch.send(base + i);
                        }
                    });
                }
                List<Thread> receivers = new ArrayList<>();
                for (int r = 0; r < pairs; r++) {
                    receivers.add(threads.start(() -> {
                        long[] last = new long[pairs];
                        for (int i = 0; i < perSender; i++) {
                            long v = ch.receive();
                            int sender = (int) (v >>> 32);
                            long n = v & 0xFFFF_FFFFL;
                            if (n <= last[sender]) {
                                disorder.incrementAndGet();
                            }
                            last[sender] = n;
                            count.incrementAndGet();
                            sum.addAndGet(n);
                        }
                    }));
                }
                threads.start(() -> {
                    while (!done.get()) {
                        int len = ch.len();
                        if (len < 0 || len > capacity) {
                            lenOutOfRange.incrementAndGet();
                        }
                        Threads.letOthersRun();
                    }
                });
                try {
                    for (Thread t : receivers) {
                        assertThat(t.join(Duration.ofSeconds(60))).as("receiver %s ended (no lost wake-up)", t).isTrue();
                    }
                } finally {
                    done.set(true); // the sampler ends even when a receiver hangs
                }
            }
            assertThat(count.get()).isEqualTo((long) pairs * perSender);
            assertThat(sum.get()).isEqualTo((long) pairs * perSender * (perSender + 1L) / 2);
            assertThat(disorder.get()).isZero();
            assertThat(lenOutOfRange.get()).isZero();
            assertThat(ch.len()).isZero();
            assertThat(Threads.waiters(ch)).isZero();
        }
    }

    /**
     * I2 and I3 on the buffer's edges: receivers and senders that wait with short timeouts and are
     * interrupted at random race fast operations on the other end. A value is either delivered (once)
     * or still in the channel: what was sent equals what was received plus what is drained at the end.
     */
    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void I2_timeoutsAndInterruptsRacingFastHandoffsMoveEachValueOnceOrNotAtAll(int capacity, Kind kind) throws Exception {
        Chan<Long> ch = Chan.make(capacity);
        int senders = 3;
        int receivers = 3;
        int perSender = 30_000;
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger sendersLeft = new AtomicInteger(senders);
        List<Thread> targets = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            for (int s = 0; s < senders; s++) {
                long base = (s + 1L) << 40;
                SplittableRandom rnd = new SplittableRandom(17 + s);
                targets.add(threads.start(() -> {
                    try {
                        for (int i = 0; i < perSender; i++) {
                            long v = base + i;
                            boolean ok;
                            try {
                                // Bursts fill the buffer so that senders wait at its full edge too.
                                ok = rnd.nextInt(4) == 0 ? ch.send(v, Duration.ofNanos(rnd.nextInt(50_000))) : sendBlocking(ch, v);
                            } catch (InterruptedException e) {
                                ok = false;
                            }
                            if (ok) {
                                sent.add(v);
                            }
                        }
                    } finally {
                        sendersLeft.decrementAndGet();
                        Thread.interrupted();
                    }
                }));
            }
            for (int r = 0; r < receivers; r++) {
                SplittableRandom rnd = new SplittableRandom(71 + r);
                targets.add(threads.start(() -> {
                    while (sendersLeft.get() > 0 || ch.len() > 0) {
                        try {
                            Received<Long> got = rnd.nextBoolean() ? ch.receive(Duration.ofNanos(rnd.nextInt(50_000)))
                                    : ch.receive(Duration.ofMillis(5));
                            if (got.ok()) {
                                received.add(got.value());
                            }
                        } catch (InterruptedException e) {
                            // gave up: nothing taken (I2)
                        }
                    }
                    Thread.interrupted();
                }));
            }
            SplittableRandom irnd = new SplittableRandom(5);
            threads.start(() -> {
                while (!stop.get()) {
                    targets.get(irnd.nextInt(targets.size())).interrupt();
                    Threads.letOthersRun();
                }
            });
            for (Thread t : targets) {
                assertThat(t.join(Duration.ofSeconds(60))).as("%s ended", t).isTrue();
            }
            stop.set(true);
        }
        for (Received<Long> got; (got = ch.tryReceive()).ok(); ) {
            received.add(got.value());
        }
        assertConserved(sent, received, "whole run");
        assertThat(Threads.waiters(ch)).isZero();
    }

    /**
     * Every value sent was received exactly once and nothing else: names the lost, duplicated and
     * never-sent values (a linear check; AssertJ's any-order comparison is quadratic on these sizes).
     */
    private static void assertConserved(ConcurrentLinkedQueue<Long> sent, ConcurrentLinkedQueue<Long> received, String what) {
        java.util.Set<Long> expected = new java.util.HashSet<>(sent);
        java.util.Set<Long> seen = new java.util.HashSet<>();
        List<Long> duplicated = new ArrayList<>();
        List<Long> neverSent = new ArrayList<>();
        for (Long v : received) {
            if (!seen.add(v)) {
                duplicated.add(v);
            } else if (!expected.contains(v)) {
                neverSent.add(v);
            }
        }
        expected.removeAll(seen);
        assertThat(expected).as("%s: values sent but never received", what).isEmpty();
        assertThat(duplicated).as("%s: values received twice", what).isEmpty();
        assertThat(neverSent).as("%s: values received but whose send failed", what).isEmpty();
    }

    private static boolean sendBlocking(Chan<Long> ch, long v) throws InterruptedException {
        ch.send(v);
        return true;
    }
}
