package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Context;
import io.gochan.OverflowPolicy;
import io.gochan.ReceiveChan;
import io.gochan.Received;
import io.gochan.SendChan;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conservation probes of L1, L4, L6, L9, L17, I1, I2, K2, K5, OV3 and TM15 on shapes the
 * other race tests leave out: three-way cycles of selects, a select naming one buffered channel in both directions
 * under contention, send cases racing close on every shape (ring, above the ring, drop policies, unlimited, views),
 * interrupts, timeouts and context cancels landing as a partner arrives on every capacity, throwing handlers, many
 * parked selects woken by one close, and a timer's stop racing a select on its channel.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectRacesTest {
    enum Kind { VIRTUAL, PLATFORM }

    static final Duration LONG = Duration.ofSeconds(20);
    static final int[] CAPS = {0, 1, 2, 64, 4096, 5000};
    /** -Dselect.races.scale=N multiplies the rounds of the racing probes (a longer hunt; 2 is the audit's own length). */
    static final int SCALE = Integer.getInteger("select.races.scale", 1);

    interface Body {
        void run() throws Exception;
    }

    static Thread start(Kind kind, ConcurrentLinkedQueue<Throwable> failures, Body b) {
        Runnable r = () -> {
            try {
                b.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        };
        return kind == Kind.VIRTUAL ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
    }

    static void joinAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            assertThat(t.join(LONG)).as("thread ended (no hang): " + t).isTrue();
        }
    }

    static Stream<Arguments> capsAndKinds() {
        List<Arguments> out = new ArrayList<>();
        for (int c : CAPS) {
            for (Kind k : Kind.values()) {
                out.add(Arguments.of(c, k));
            }
        }
        return out.stream();
    }

    static <T> List<T> drain(ReceiveChan<T> c) {
        List<T> out = new ArrayList<>();
        for (Received<T> r; (r = c.tryReceive()).ok(); ) {
            out.add(r.value());
        }
        return out;
    }

    static int waiting(Chan<?>... chans) {
        int n = 0;
        for (Chan<?> c : chans) {
            n += ChannelCores.of(c).waitingSenders() + ChannelCores.of(c).waitingReceivers();
        }
        return n;
    }

    static void assertConserved(ConcurrentLinkedQueue<Long> sent, List<Long> receivedPlusLeft) {
        assertThat(receivedPlusLeft).as("no value received twice").doesNotHaveDuplicates();
        assertThat(receivedPlusLeft).as("every sent value received or still buffered, nothing else")
                .containsExactlyInAnyOrderElementsOf(sent);
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Three selects in a cycle (thread p sends on ch[p], receives on ch[p-1]), each with a done(ctx) case to stop.
     * Go: the selects pair with one another; every value sent is received exactly once or stays buffered.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L6_threeWayCycleOfSelectsConservesEveryValue(int cap, Kind kind) throws Exception {
        for (int trial = 0; trial < 1 * SCALE; trial++) {
            List<Chan<Long>> ch = List.of(Chan.make(cap), Chan.make(cap), Chan.make(cap));
            CancellableContext ctx = Context.withCancel(Context.background());
            ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger ops = new AtomicInteger();
            CountDownLatch enough = new CountDownLatch(1);
            int target = 20_000;
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                Chan<Long> out = ch.get(p);
                // views on one side, plain channels on the other: a view is its channel (C6)
                ReceiveChan<Long> in = p == 1 ? ch.get(0).receiveOnly() : ch.get((p + 2) % 3);
                SendChan<Long> outS = p == 2 ? out.sendOnly() : out;
                long base = (p + 1) * 10_000_000L;
                threads.add(start(kind, failures, () -> {
                    long i = 0;
                    while (true) {
                        long v = base + i;
                        boolean[] stop = {false};
                        Select.<Void>cases()
                                .send(outS, v, () -> {
                                    sent.add(v);
                                    return null;
                                })
                                .receive(in, x -> {
                                    got.add(x);
                                    return null;
                                })
                                .done(ctx, () -> {
                                    stop[0] = true;
                                    return null;
                                })
                                .select();
                        if (stop[0]) {
                            return;
                        }
                        i++;
                        if (ops.incrementAndGet() >= target) {
                            enough.countDown();
                        }
                    }
                }));
            }
            assertThat(enough.await(LONG.toSeconds(), TimeUnit.SECONDS)).as("progress").isTrue();
            ctx.cancel();
            joinAll(threads);
            assertThat(failures).isEmpty();
            List<Long> all = new ArrayList<>(got);
            for (Chan<Long> c : ch) {
                all.addAll(drain(c));
            }
            assertConserved(sent, all);
            assertThat(waiting(ch.get(0), ch.get(1), ch.get(2))).isZero();
        }
    }

    /**
     * Selects with a send and a receive case on one channel (L7), several threads at once, on every capacity, and
     * a done case to stop. Every value sent once, received once or left in the buffer.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L7_L6_sendAndReceiveOnOneChannelUnderContention(int cap, Kind kind) throws Exception {
        Chan<Long> c = Chan.make(cap);
        CancellableContext ctx = Context.withCancel(Context.background());
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger ops = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            long base = (p + 1) * 10_000_000L;
            threads.add(start(kind, failures, () -> {
                long i = 0;
                while (true) {
                    long v = base + i++;
                    boolean[] stop = {false};
                    Select.<Void>cases()
                            .receive(c, x -> {
                                got.add(x);
                                return null;
                            })
                            .send(c, v, () -> {
                                sent.add(v);
                                return null;
                            })
                            .done(ctx, () -> {
                                stop[0] = true;
                                return null;
                            })
                            .select();
                    if (stop[0]) {
                        return;
                    }
                    if (ops.incrementAndGet() >= 40_000) {
                        enough.countDown();
                    }
                }
            }));
        }
        assertThat(enough.await(LONG.toSeconds(), TimeUnit.SECONDS)).as("progress").isTrue();
        ctx.cancel();
        joinAll(threads);
        assertThat(failures).isEmpty();
        List<Long> all = new ArrayList<>(got);
        all.addAll(drain(c));
        assertConserved(sent, all);
        assertThat(waiting(c)).isZero();
    }

    enum Shape { PLAIN, VIEW, DROP_OLDEST, DROP_LATEST, UNLIMITED }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (Kind k : Kind.values()) {
            for (int c : CAPS) {
                out.add(Arguments.of(Shape.PLAIN, c, k));
                out.add(Arguments.of(Shape.VIEW, c, k));
                if (c > 0) {
                    out.add(Arguments.of(Shape.DROP_OLDEST, c, k));
                    out.add(Arguments.of(Shape.DROP_LATEST, c, k));
                }
            }
            out.add(Arguments.of(Shape.UNLIMITED, 0, k));
        }
        return out.stream();
    }

    /**
     * K2, K5, L4, OV3: selects whose send case on A races A's close, while their receive case on B is sometimes
     * ready. Each value: the send handler ran (then it is received, or still buffered, or dropped once), XOR
     * ChannelClosedException reached the sender (then nobody got it), XOR the B case fired (value never offered).
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void K5_L4_sendCasesRaceCloseOnEveryShape(Shape shape, int cap, Kind kind) throws Exception {
        for (int round = 0; round < 4 * SCALE; round++) {
            ConcurrentLinkedQueue<Long> dropped = new ConcurrentLinkedQueue<>();
            Chan<Long> a = switch (shape) {
                case PLAIN, VIEW -> Chan.make(cap);
                case DROP_OLDEST -> Chan.make(cap, OverflowPolicy.DROP_OLDEST, dropped::add);
                case DROP_LATEST -> Chan.make(cap, OverflowPolicy.DROP_LATEST, dropped::add);
                case UNLIMITED -> Chan.unlimited();
            };
            SendChan<Long> aS = shape == Shape.VIEW ? a.sendOnly() : a;
            Chan<Long> b = Chan.make(1);
            ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> refused = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> bGot = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch going = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                long base = (p + 1) * 10_000_000L;
                threads.add(start(kind, failures, () -> {
                    going.countDown();
                    for (long i = 0; i < 5_000; i++) { // bounded: drop policies and unlimited never wait
                        long v = base + i;
                        try {
                            Select.<Void>cases()
                                    .send(aS, v, () -> {
                                        sent.add(v);
                                        return null;
                                    })
                                    .receive(b, x -> {
                                        bGot.add(x);
                                        return null;
                                    })
                                    .select();
                        } catch (ChannelClosedException e) {
                            refused.add(v);
                            return;
                        }
                    }
                }));
            }
            // a consumer of A, a feeder of B
            threads.add(start(kind, failures, () -> {
                for (Received<Long> r; !(r = a.receiveOk()).closed(); ) {
                    got.add(r.value());
                }
            }));
            AtomicLong bSent = new AtomicLong();
            threads.add(start(kind, failures, () -> {
                for (long i = 0; i < 200; i++) {
                    try {
                        b.send(-1 - i);
                        bSent.incrementAndGet();
                    } catch (ChannelClosedException e) {
                        return;
                    }
                }
            }));
            going.await();
            int spin = ThreadLocalRandom.current().nextInt(20_000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            a.close();
            // every sender must leave through the close (its send case is refused)
            for (int i = 0; i < 3; i++) {
                assertThat(threads.get(i).join(LONG)).as("sender woken by close").isTrue();
            }
            b.close();
            joinAll(threads);
            assertThat(failures).isEmpty();
            assertThat(refused).hasSizeLessThanOrEqualTo(3);
            List<Long> all = new ArrayList<>(got);
            all.addAll(dropped);
            for (Long v : refused) {
                assertThat(all).as("refused value never delivered nor dropped").doesNotContain(v);
            }
            assertConserved(sent, all);
            List<Long> bAll = new ArrayList<>(bGot);
            bAll.addAll(drain(b));
            assertThat(bAll).doesNotHaveDuplicates().hasSize((int) bSent.get());
        }
    }

    /**
     * I2, L6: a thread parked in a select (receive on A, receive on a never-ready B) is interrupted at the moment a
     * sender (timed send) arrives on A. Either the select took the value (and the flag is set) or it threw
     * InterruptedException and the value is still with the sender (its send timed out) or in A's buffer.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void I2_interruptOfParkedSelectAsPartnerArrives(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        Chan<Long> b = Chan.make();
        CyclicBarrier barrier = new CyclicBarrier(3);
        int rounds = 200 * SCALE;
        AtomicReference<Thread> selector = new AtomicReference<>();
        AtomicInteger interruptsSent = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long[] got = new long[rounds];
        boolean[] sentOk = new boolean[rounds];
        boolean[] interruptedEx = new boolean[rounds];
        boolean[] flagAfterValue = new boolean[rounds];
        List<Thread> threads = new ArrayList<>();
        threads.add(start(kind, failures, () -> {
            selector.set(Thread.currentThread());
            for (int r = 0; r < rounds; r++) {
                barrier.await();
                got[r] = -1;
                try {
                    int fr = r;
                    Select.<Void>cases()
                            .receive(a, x -> {
                                got[fr] = x;
                                return null;
                            })
                            .receive(b, x -> null)
                            .select();
                } catch (InterruptedException e) {
                    interruptedEx[r] = true;
                }
                while (interruptsSent.get() <= r) { // the round's interrupt must land before the barrier
                    Thread.onSpinWait();
                }
                // one interrupt per round: kept by a select that completed (I2), consumed by one that threw
                flagAfterValue[r] = Thread.interrupted();
                barrier.await();
            }
        }));
        threads.add(start(kind, failures, () -> {
            for (int r = 0; r < rounds; r++) {
                barrier.await();
                int spin = ThreadLocalRandom.current().nextInt(3000);
                for (int s = 0; s < spin; s++) {
                    Thread.onSpinWait();
                }
                sentOk[r] = a.send((long) r, Duration.ofMillis(2));
                barrier.await();
            }
        }));
        for (int r = 0; r < rounds; r++) {
            barrier.await(LONG.toSeconds(), TimeUnit.SECONDS);
            int spin = ThreadLocalRandom.current().nextInt(3000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            selector.get().interrupt();
            interruptsSent.incrementAndGet();
            barrier.await(LONG.toSeconds(), TimeUnit.SECONDS);
            List<Long> left = drain(a);
            long gr = got[r];
            String where = "round " + r + " sentOk=" + sentOk[r] + " got=" + gr + " interruptedEx=" + interruptedEx[r]
                    + " left=" + left;
            if (sentOk[r]) {
                assertThat(gr == r ^ left.contains((long) r)).as("sent value received XOR buffered: " + where).isTrue();
            } else {
                assertThat(gr).as("value of a timed-out send not received: " + where).isEqualTo(-1);
                assertThat(left).as(where).isEmpty();
            }
            assertThat(interruptedEx[r] && gr != -1).as("InterruptedException with a value taken: " + where).isFalse();
            assertThat(flagAfterValue[r]).as("interrupt flag set iff the select completed: " + where)
                    .isEqualTo(!interruptedEx[r]);
            assertThat(waiting(a, b)).as(where).isZero();
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
    }

    /**
     * I2/S6/L6 with a timeout: a select with a timeout case whose time runs out as a timed sender arrives. The timed
     * send's true means the value was taken (by the select, or is buffered); false means nobody got it.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L6_S6_timeoutExpiringAsPartnerArrives(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        Chan<Long> b = Chan.make();
        CyclicBarrier barrier = new CyclicBarrier(3);
        int rounds = 200 * SCALE;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long[] got = new long[rounds];
        boolean[] timedOut = new boolean[rounds];
        boolean[] sentOk = new boolean[rounds];
        List<Thread> threads = new ArrayList<>();
        threads.add(start(kind, failures, () -> {
            for (int r = 0; r < rounds; r++) {
                barrier.await();
                got[r] = -1;
                int fr = r;
                long t = ThreadLocalRandom.current().nextLong(1, 60_000);
                Select.<Void>cases()
                        .receive(a, x -> {
                            got[fr] = x;
                            return null;
                        })
                        .receive(b, x -> null)
                        .timeout(Duration.ofNanos(t), () -> {
                            timedOut[fr] = true;
                            return null;
                        })
                        .select();
                barrier.await();
            }
        }));
        threads.add(start(kind, failures, () -> {
            for (int r = 0; r < rounds; r++) {
                barrier.await();
                long t = ThreadLocalRandom.current().nextLong(1, 60_000);
                sentOk[r] = a.send((long) r, Duration.ofNanos(t));
                barrier.await();
            }
        }));
        for (int r = 0; r < rounds; r++) {
            barrier.await(LONG.toSeconds(), TimeUnit.SECONDS);
            barrier.await(LONG.toSeconds(), TimeUnit.SECONDS);
            List<Long> left = drain(a);
            String where = "round " + r + " sentOk=" + sentOk[r] + " got=" + got[r] + " timedOut=" + timedOut[r]
                    + " left=" + left;
            assertThat(timedOut[r] ^ got[r] != -1).as("exactly one case: " + where).isTrue();
            if (sentOk[r]) {
                assertThat(got[r] == r ^ left.contains((long) r)).as(where).isTrue();
            } else {
                assertThat(got[r]).as(where).isEqualTo(-1);
                assertThat(left).as(where).isEmpty();
            }
            assertThat(waiting(a, b)).as(where).isZero();
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
    }

    /**
     * L9, L6: a select with a receive case and a done(ctx) case; the context is cancelled as a sender (send with its
     * own context, cancelled after the round) arrives. Exactly one case fires; the value is received once or stays
     * with the sender (its send failed) or in the buffer.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L9_L6_contextCancelledAsPartnerArrives(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        int rounds = 200 * SCALE;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int r = 0; r < rounds; r++) {
            CancellableContext ctx = Context.withCancel(Context.background());
            CancellableContext senderCtx = Context.withCancel(Context.background());
            CyclicBarrier go = new CyclicBarrier(3);
            AtomicLong got = new AtomicLong(-1);
            AtomicInteger fired = new AtomicInteger();
            AtomicReference<Boolean> sentOk = new AtomicReference<>();
            long v = r;
            Thread sel = start(kind, failures, () -> {
                go.await();
                Select.<Void>cases()
                        .receive(a, x -> {
                            got.set(x);
                            fired.incrementAndGet();
                            return null;
                        })
                        .done(ctx, () -> {
                            fired.incrementAndGet();
                            return null;
                        })
                        .select();
            });
            Thread snd = start(kind, failures, () -> {
                go.await();
                try {
                    a.send(v, senderCtx);
                    sentOk.set(true);
                } catch (RuntimeException | InterruptedException e) {
                    sentOk.set(false);
                }
            });
            go.await(LONG.toSeconds(), TimeUnit.SECONDS);
            int spin = ThreadLocalRandom.current().nextInt(3000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            ctx.cancel();
            assertThat(sel.join(LONG)).isTrue();
            senderCtx.cancel(); // a sender still waiting gives up
            assertThat(snd.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            List<Long> left = drain(a);
            String where = "round " + r + " sentOk=" + sentOk.get() + " got=" + got.get() + " left=" + left;
            assertThat(fired.get()).as(where).isEqualTo(1);
            if (sentOk.get()) {
                assertThat(got.get() == v ^ left.contains(v)).as(where).isTrue();
            } else {
                assertThat(got.get()).as(where).isEqualTo(-1);
                assertThat(left).as(where).isEmpty();
            }
            assertThat(waiting(a)).as(where).isZero();
        }
    }

    /**
     * L17: a receive handler that throws: the value is the handler's (consumed once, not put back, not given to
     * anyone else), the exception propagates as itself, and the channel keeps working. Contended, every capacity.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L17_throwingHandlersLoseNothing(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        Chan<Long> b = Chan.make(cap);
        ConcurrentLinkedQueue<Long> handled = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger thrown = new AtomicInteger();
        int perSender = 5000;
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            Chan<Long> ch = p == 0 ? a : b;
            long base = (p + 1) * 10_000_000L;
            threads.add(start(kind, failures, () -> {
                for (int i = 0; i < perSender; i++) {
                    ch.send(base + i);
                }
            }));
        }
        for (int q = 0; q < 3; q++) {
            threads.add(start(kind, failures, () -> {
                Select<Void> s = Select.<Void>cases()
                        .receive(a, x -> {
                            handled.add(x);
                            if ((x & 3) == 0) {
                                throw new IllegalStateException("boom " + x);
                            }
                            return null;
                        })
                        .receive(b, x -> {
                            handled.add(x);
                            if ((x & 3) == 1) {
                                throw new IllegalStateException("boom " + x);
                            }
                            return null;
                        })
                        .timeout(Duration.ofMillis(300), () -> {
                            throw new Done();
                        });
                while (true) {
                    try {
                        s.select();
                    } catch (Done d) {
                        return;
                    } catch (IllegalStateException e) {
                        assertThat(e.getMessage()).startsWith("boom ");
                        thrown.incrementAndGet();
                    }
                }
            }));
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
        assertThat(handled).doesNotHaveDuplicates().hasSize(2 * perSender);
        assertThat(thrown.get()).isGreaterThan(0);
        assertThat(drain(a)).isEmpty();
        assertThat(drain(b)).isEmpty();
    }

    static final class Done extends RuntimeException {
        Done() {
            super(null, null, false, false);
        }
    }

    /**
     * K2, K3, L4: many selects parked on one channel (receive cases, send cases, and both) beside cases on other
     * channels; one close wakes every one: receive cases see closed, send cases throw, none hangs.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void K3_L4_oneCloseWakesManyParkedSelects(int cap, Kind kind) throws Exception {
        for (int round = 0; round < 5; round++) {
            Chan<Long> x = Chan.make(cap);
            // fill so that send cases park (a full buffer), then let receive-case selects see values first
            for (int i = 0; i < cap; i++) {
                x.send(-1L - i);
            }
            Chan<Long> other = Chan.make();
            int n = 150;
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger closedSeen = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                int mode = i % 3;
                long v = i;
                threads.add(start(kind, failures, () -> {
                    started.countDown();
                    Select<Void> s = Select.<Void>cases().receive(other, y -> null);
                    if (mode != 1) {
                        s.receiveOk(x, r -> {
                            if (r.closed()) {
                                closedSeen.incrementAndGet();
                            } else {
                                got.add(r.value());
                            }
                            return null;
                        });
                    }
                    if (mode != 0) {
                        s.send(x, v, () -> {
                            sent.add(v);
                            return null;
                        });
                    }
                    try {
                        s.select();
                    } catch (ChannelClosedException e) {
                        refused.incrementAndGet();
                    }
                }));
            }
            started.await();
            int spin = ThreadLocalRandom.current().nextInt(200_000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            x.close();
            joinAll(threads);
            assertThat(failures).isEmpty();
            List<Long> all = new ArrayList<>(got);
            all.addAll(drain(x));
            ConcurrentLinkedQueue<Long> expected = new ConcurrentLinkedQueue<>(sent);
            for (int i = 0; i < cap; i++) {
                expected.add(-1L - i);
            }
            assertConserved(expected, all);
            assertThat(closedSeen.get() + refused.get() + got.size() + sent.size()).isEqualTo(n);
            assertThat(waiting(x, other)).isZero();
        }
    }

    /**
     * TM15 / L6 on a timer channel: a select receiving from a timer's channel races the timer's firing and its
     * stop(). stop() returning true means no value is ever received; false means the value was received. Exactly one.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM15_L6_timerStopRacesASelectOnItsChannel(Kind kind) throws Exception {
        int rounds = 200 * SCALE;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int r = 0; r < rounds; r++) {
            Timer t = Timers.newTimer(Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 200_000)));
            Chan<Object> quit = Chan.make();
            AtomicInteger got = new AtomicInteger();
            AtomicInteger quitSeen = new AtomicInteger();
            CountDownLatch ready = new CountDownLatch(1);
            Thread sel = start(kind, failures, () -> {
                ready.countDown();
                while (true) {
                    boolean[] q = {false};
                    Select.<Void>cases()
                            .receive(t.c(), x -> {
                                got.incrementAndGet();
                                return null;
                            })
                            .receiveOk(quit, x -> {
                                q[0] = true;
                                return null;
                            })
                            .select();
                    if (q[0]) {
                        quitSeen.incrementAndGet();
                        return;
                    }
                }
            });
            ready.await();
            int spin = ThreadLocalRandom.current().nextInt(100_000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            boolean stopped = t.stop();
            int seenAtStop = got.get();
            quit.close();
            assertThat(sel.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            Received<Instant> late = t.c().tryReceive();
            String where = "round " + r + " stopped=" + stopped + " gotAtStop=" + seenAtStop + " got=" + got.get()
                    + " late=" + late;
            assertThat(late.ok()).as("nothing receivable after stop: " + where).isFalse();
            assertThat(got.get()).as("value at most once: " + where).isLessThanOrEqualTo(1);
            if (stopped) {
                assertThat(got.get()).as("stop true: no value: " + where).isZero();
            } else {
                assertThat(got.get()).as("stop false: the value was received: " + where).isEqualTo(1);
            }
        }
    }

    /**
     * I2, L6, C7 with the send side: a select parked with a send case on a FULL channel (every capacity: a receiver
     * moves the first parked sender's value into the freed slot, on the ring one past the bound) and a never-ready
     * receive case is interrupted as a timed receiver arrives. The select's value is sent (select returned normally,
     * flag set) XOR it never reaches the channel (InterruptedException).
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void I2_C7_interruptOfParkedSendCaseAsReceiverArrives(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        Chan<Long> b = Chan.make();
        CyclicBarrier barrier = new CyclicBarrier(3);
        int rounds = 200 * SCALE;
        AtomicReference<Thread> selector = new AtomicReference<>();
        AtomicInteger interruptsSent = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        boolean[] sentByHandler = new boolean[rounds];
        boolean[] returned = new boolean[rounds];
        boolean[] flagSet = new boolean[rounds];
        boolean[] interruptedEx = new boolean[rounds];
        ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        long selBase = 1_000_000_000L;
        threads.add(start(kind, failures, () -> {
            selector.set(Thread.currentThread());
            for (int r = 0; r < rounds; r++) {
                barrier.await();
                int fr = r;
                try {
                    Select.<Void>cases()
                            .send(a, selBase + r, () -> {
                                sentByHandler[fr] = true;
                                return null;
                            })
                            .receive(b, x -> null)
                            .select();
                    returned[r] = true;
                } catch (InterruptedException e) {
                    interruptedEx[r] = true;
                }
                while (interruptsSent.get() <= r) {
                    Thread.onSpinWait();
                }
                flagSet[r] = Thread.interrupted();
                barrier.await();
            }
        }));
        threads.add(start(kind, failures, () -> {
            for (int r = 0; r < rounds; r++) {
                barrier.await();
                int spin = ThreadLocalRandom.current().nextInt(3000);
                for (int s = 0; s < spin; s++) {
                    Thread.onSpinWait();
                }
                Received<Long> got = a.receive(Duration.ofMillis(2));
                if (got.ok()) {
                    received.add(got.value());
                }
                barrier.await();
            }
        }));
        long filler = 0;
        for (int r = 0; r < rounds; r++) {
            received.clear();
            // fill the buffer so the send case parks
            List<Long> filled = new ArrayList<>();
            for (int i = 0; i < cap; i++) {
                assertThat(a.trySend(filler)).isTrue();
                filled.add(filler++);
            }
            barrier.await(LONG.toSeconds(), TimeUnit.SECONDS);
            int spin = ThreadLocalRandom.current().nextInt(3000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            selector.get().interrupt();
            interruptsSent.incrementAndGet();
            barrier.await(LONG.toSeconds(), TimeUnit.SECONDS);
            List<Long> all = new ArrayList<>(received);
            all.addAll(drain(a));
            long v = selBase + r;
            String where = "round " + r + " returned=" + returned[r] + " handler=" + sentByHandler[r] + " interruptedEx="
                    + interruptedEx[r] + " received=" + received + " total=" + all.size();
            assertThat(returned[r] ^ interruptedEx[r]).as(where).isTrue();
            assertThat(returned[r]).as("handler ran iff returned: " + where).isEqualTo(sentByHandler[r]);
            assertThat(flagSet[r]).as("interrupt flag set iff the select completed: " + where).isEqualTo(returned[r]);
            List<Long> expected = new ArrayList<>(filled);
            if (returned[r]) {
                expected.add(v);
            }
            assertThat(all).as(where).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            if (!all.isEmpty() && cap > 0) {
                assertThat(all.get(0)).as("FIFO: the oldest buffered value first: " + where).isEqualTo(filled.get(0));
            }
            assertThat(waiting(a, b)).as(where).isZero();
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
    }

    /**
     * L9, L6 with a send case: select { send(a, v); done(ctx) } while the context is cancelled as a timed receiver
     * arrives. Exactly one case fires; the value is received iff the send case fired.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L9_L6_sendCaseVersusContextCancelAsReceiverArrives(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        int rounds = 200 * SCALE;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long filler = 0;
        for (int r = 0; r < rounds; r++) {
            List<Long> filled = new ArrayList<>();
            for (int i = 0; i < cap; i++) {
                assertThat(a.trySend(filler)).isTrue();
                filled.add(filler++);
            }
            CancellableContext ctx = Context.withCancel(Context.background());
            CyclicBarrier go = new CyclicBarrier(3);
            AtomicInteger sentCase = new AtomicInteger();
            AtomicInteger doneCase = new AtomicInteger();
            ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
            long v = 1_000_000_000L + r;
            Thread sel = start(kind, failures, () -> {
                go.await();
                Select.<Void>cases()
                        .send(a, v, () -> {
                            sentCase.incrementAndGet();
                            return null;
                        })
                        .done(ctx, () -> {
                            doneCase.incrementAndGet();
                            return null;
                        })
                        .select();
            });
            Thread rcv = start(kind, failures, () -> {
                go.await();
                Received<Long> got = a.receive(Duration.ofMillis(1));
                if (got.ok()) {
                    received.add(got.value());
                }
            });
            go.await(LONG.toSeconds(), TimeUnit.SECONDS);
            int spin = ThreadLocalRandom.current().nextInt(3000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            ctx.cancel();
            assertThat(sel.join(LONG)).isTrue();
            assertThat(rcv.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            List<Long> all = new ArrayList<>(received);
            all.addAll(drain(a));
            String where = "round " + r + " sent=" + sentCase.get() + " done=" + doneCase.get() + " received=" + received;
            assertThat(sentCase.get() + doneCase.get()).as(where).isEqualTo(1);
            List<Long> expected = new ArrayList<>(filled);
            if (sentCase.get() == 1) {
                expected.add(v);
            }
            assertThat(all).as(where).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            assertThat(waiting(a)).as(where).isZero();
        }
    }

    /**
     * OV2, OV3, L7: selects with a send and a receive case on one conflated (or DROP_LATEST) channel, several threads:
     * every value sent is received once or dropped once (reported to the callback) or left buffered.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV3_L7_bothDirectionsOnADropChannel(Kind kind) throws Exception {
        for (OverflowPolicy policy : new OverflowPolicy[] {OverflowPolicy.DROP_OLDEST, OverflowPolicy.DROP_LATEST}) {
            for (int cap : new int[] {1, 2, 64, 4096}) {
                ConcurrentLinkedQueue<Long> dropped = new ConcurrentLinkedQueue<>();
                Chan<Long> c = Chan.make(cap, policy, dropped::add);
                ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                List<Thread> threads = new ArrayList<>();
                for (int p = 0; p < 3; p++) {
                    long base = (p + 1) * 10_000_000L;
                    threads.add(start(kind, failures, () -> {
                        for (int i = 0; i < 10_000; i++) {
                            long v = base + i;
                            Select.<Void>cases()
                                    .send(c, v, () -> {
                                        sent.add(v);
                                        return null;
                                    })
                                    .receive(c, x -> {
                                        got.add(x);
                                        return null;
                                    })
                                    .select();
                        }
                    }));
                }
                joinAll(threads);
                assertThat(failures).isEmpty();
                List<Long> all = new ArrayList<>(got);
                all.addAll(dropped);
                all.addAll(drain(c));
                assertConserved(sent, all);
            }
        }
    }

    /**
     * TM15, L6 on a ticker: a select receiving ticks races the ticker's stop; after stop() returns no tick is
     * receivable, and no tick is received twice.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM15_tickerStopRacesSelects(Kind kind) throws Exception {
        for (int r = 0; r < 200; r++) {
            Timer t = Timers.newTicker(Duration.ofNanos(ThreadLocalRandom.current().nextLong(1_000, 50_000)));
            Chan<Object> quit = Chan.make();
            ConcurrentLinkedQueue<Instant> got = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch ready = new CountDownLatch(2);
            for (int q = 0; q < 2; q++) {
                threads.add(start(kind, failures, () -> {
                    ready.countDown();
                    while (true) {
                        boolean[] stop = {false};
                        Select.<Void>cases()
                                .receive(t.c(), x -> {
                                    got.add(x);
                                    return null;
                                })
                                .receiveOk(quit, x -> {
                                    stop[0] = true;
                                    return null;
                                })
                                .select();
                        if (stop[0]) {
                            return;
                        }
                    }
                }));
            }
            ready.await();
            int spin = ThreadLocalRandom.current().nextInt(200_000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            t.stop();
            int atStop = got.size();
            quit.close();
            joinAll(threads);
            assertThat(failures).isEmpty();
            assertThat(t.c().tryReceive().ok()).as("no tick after stop").isFalse();
            assertThat(got).doesNotHaveDuplicates();
            assertThat(got.size() - atStop).as("ticks received after stop() returned (by selects woken before it)")
                    .isLessThanOrEqualTo(2);
        }
    }

    /**
     * L8, L9, L6 with timers: a select { receive a; done(ctx with a timeout of a few µs); receive Timers.after(few µs) }
     * against a timed sender. Exactly one case fires; the sender's true means the value was received or is buffered,
     * its false that nobody got it.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L8_L9_timerAndDeadlineCasesExpiringAsPartnerArrives(int cap, Kind kind) throws Exception {
        Chan<Long> a = Chan.make(cap);
        int rounds = 150 * SCALE;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int r = 0; r < rounds; r++) {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofNanos(rnd.nextLong(1, 100_000)));
            ReceiveChan<Instant> after = Timers.after(Duration.ofNanos(rnd.nextLong(1, 100_000)));
            CyclicBarrier go = new CyclicBarrier(2);
            AtomicLong got = new AtomicLong(-1);
            AtomicInteger fired = new AtomicInteger();
            AtomicReference<Boolean> sentOk = new AtomicReference<>();
            long v = r;
            long sendNanos = rnd.nextLong(1, 100_000);
            Thread sel = start(kind, failures, () -> {
                go.await();
                Select.<Void>cases()
                        .receive(a, x -> {
                            got.set(x);
                            fired.incrementAndGet();
                            return null;
                        })
                        .done(ctx, () -> {
                            fired.incrementAndGet();
                            return null;
                        })
                        .receive(after, x -> {
                            fired.incrementAndGet();
                            return null;
                        })
                        .select();
            });
            Thread snd = start(kind, failures, () -> {
                go.await();
                sentOk.set(a.send(v, Duration.ofNanos(sendNanos)));
            });
            assertThat(sel.join(LONG)).isTrue();
            assertThat(snd.join(LONG)).isTrue();
            ctx.cancel();
            assertThat(failures).isEmpty();
            List<Long> left = drain(a);
            String where = "round " + r + " sentOk=" + sentOk.get() + " got=" + got.get() + " left=" + left;
            assertThat(fired.get()).as(where).isEqualTo(1);
            if (sentOk.get()) {
                assertThat(got.get() == v ^ left.contains(v)).as(where).isTrue();
            } else {
                assertThat(got.get()).as(where).isEqualTo(-1);
                assertThat(left).as(where).isEmpty();
            }
            assertThat(waiting(a)).as(where).isZero();
        }
    }

    /**
     * I2, TM12 on a timer's channel: a select parked on a one-shot timer's channel is interrupted as the timer fires.
     * Either the select got the time (flag kept) or it threw InterruptedException and the time is still there for
     * the next receive: the firing is never lost, never delivered twice.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I2_TM12_interruptOfSelectOnATimerAsItFires(Kind kind) throws Exception {
        int rounds = 200 * SCALE;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Chan<Long> never = Chan.make();
        for (int r = 0; r < rounds; r++) {
            long delay = ThreadLocalRandom.current().nextLong(0, 100_000);
            Timer t = Timers.newTimer(Duration.ofNanos(delay));
            AtomicInteger got = new AtomicInteger();
            AtomicInteger ie = new AtomicInteger();
            AtomicInteger flag = new AtomicInteger();
            CountDownLatch interruptSent = new CountDownLatch(1);
            CountDownLatch started = new CountDownLatch(1);
            Thread sel = start(kind, failures, () -> {
                started.countDown();
                try {
                    Select.<Void>cases()
                            .receive(t.c(), x -> {
                                got.incrementAndGet();
                                return null;
                            })
                            .receive(never, x -> null)
                            .select();
                } catch (InterruptedException e) {
                    ie.incrementAndGet();
                }
                while (interruptSent.getCount() > 0) {
                    Thread.onSpinWait();
                }
                flag.set(Thread.interrupted() ? 1 : 0);
            });
            started.await();
            int spin = ThreadLocalRandom.current().nextInt(20_000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            sel.interrupt();
            interruptSent.countDown();
            assertThat(sel.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            String where = "round " + r + " delay=" + delay + "ns got=" + got.get() + " ie=" + ie.get() + " flag=" + flag.get();
            assertThat(got.get() + ie.get()).as(where).isEqualTo(1);
            assertThat(flag.get() == 1).as("flag kept iff completed: " + where).isEqualTo(got.get() == 1);
            Received<Instant> later = t.c().receive(got.get() == 1 ? Duration.ofMillis(1) : Duration.ofSeconds(5));
            assertThat(later.ok()).as("the firing received exactly once overall: " + where).isEqualTo(got.get() == 0);
        }
    }

    /**
     * I1, L18: a select entered with the interrupt flag set that would wait throws InterruptedException before any
     * case is queued: a partner's trySend / tryReceive spinning on its unbuffered channels never meets it (no value
     * taken, none handed over).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I1_flagSetSelectIsNeverSeenWaiting(Kind kind) throws Exception {
        int cap = 0; // on a buffered channel a try-operation succeeds against the buffer, not against a waiter
        Chan<Long> full = Chan.make(cap);
        for (int i = 0; i < cap; i++) {
            full.send(-1L);
        }
        Chan<Long> empty = Chan.make(cap);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger met = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread partner = start(kind, failures, () -> {
            while (!stop.get()) {
                if (empty.trySend(7L)) {
                    met.incrementAndGet();
                }
                if (cap == 0 && full.tryReceive().ok()) {
                    met.incrementAndGet();
                }
                Thread.onSpinWait();
            }
        });
        AtomicInteger thrown = new AtomicInteger();
        Thread sel = start(kind, failures, () -> {
            for (int i = 0; i < 10000 * SCALE; i++) {
                Thread.currentThread().interrupt();
                try {
                    Select.<Void>cases()
                            .receive(empty, x -> {
                                throw new AssertionError("received " + x + " though the flag was set");
                            })
                            .send(full, 1L, () -> {
                                throw new AssertionError("sent though the flag was set");
                            })
                            .select();
                } catch (InterruptedException e) {
                    thrown.incrementAndGet();
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                }
            }
        });
        assertThat(sel.join(LONG)).isTrue();
        stop.set(true);
        assertThat(partner.join(LONG)).isTrue();
        assertThat(failures).isEmpty();
        assertThat(met.get()).as("a partner met a select that should not have waited").isZero();
        assertThat(thrown.get()).isEqualTo(10000 * SCALE);
        assertThat(empty.len()).isZero();
        assertThat(full.len()).isEqualTo(cap);
        assertThat(waiting(full, empty)).isZero();
    }

    /**
     * L9, K3: many selects parked with a done case on one of several child contexts of one parent (and a receive and a
     * send case that never become ready) are all woken by the parent's cancel, each on its done case, none hangs, and
     * nothing is left queued.
     */
    @ParameterizedTest
    @MethodSource("capsAndKinds")
    void L9_parentCancelWakesManyParkedSelects(int cap, Kind kind) throws Exception {
        for (int round = 0; round < 3; round++) {
            Chan<Long> empty = Chan.make(cap);
            Chan<Long> full = Chan.make(cap);
            for (int i = 0; i < cap; i++) {
                full.send(-1L);
            }
            CancellableContext parent = Context.withCancel(Context.background());
            List<CancellableContext> children = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                children.add(Context.withCancel(parent));
            }
            int n = 120;
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger doneSeen = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(n);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Context ctx = children.get(i % children.size());
                threads.add(start(kind, failures, () -> {
                    started.countDown();
                    Select.<Void>cases()
                            .receive(empty, x -> {
                                throw new AssertionError("received " + x);
                            })
                            .send(full, 5L, () -> {
                                throw new AssertionError("sent");
                            })
                            .done(ctx, () -> {
                                assertThat(ctx.err()).isNotNull();
                                doneSeen.incrementAndGet();
                                return null;
                            })
                            .select();
                }));
            }
            started.await();
            int spin = ThreadLocalRandom.current().nextInt(200_000);
            for (int s = 0; s < spin; s++) {
                Thread.onSpinWait();
            }
            parent.cancel();
            joinAll(threads);
            assertThat(failures).isEmpty();
            assertThat(doneSeen.get()).isEqualTo(n);
            assertThat(empty.len()).isZero();
            assertThat(full.len()).isEqualTo(cap);
            assertThat(waiting(empty, full)).isZero();
        }
    }
}
