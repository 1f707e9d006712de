package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Context;
import io.gochan.OverflowPolicy;
import io.gochan.Received;
import io.gochan.Timers;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.select.SelectContextRulesTest.Kind;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Probes of L6 (exactly once under races) on shapes the other conservation tests do not take: selects
 * that pair with each other, close of a parked select's channels, an interrupt landing at any moment of
 * a parked select with several cases, channels of every kind in one select, and reused builders.
 */
@NoGoroutineLeaks
class SelectRaceAuditTest {
    static final Duration LONG = Duration.ofSeconds(30);

    static Thread start(Kind kind, Runnable r) {
        return kind == Kind.VIRTUAL ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
    }

    interface Body {
        void run() throws Exception;
    }

    static Runnable catching(ConcurrentLinkedQueue<Throwable> failures, Body b) {
        return () -> {
            try {
                b.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        };
    }

    static void joinAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            assertThat(t.join(LONG)).as("thread ended: " + t).isTrue();
        }
    }

    static int waiting(Chan<?>... chans) {
        int n = 0;
        for (Chan<?> c : chans) {
            n += ChannelCores.of(c).waitingSenders() + ChannelCores.of(c).waitingReceivers();
        }
        return n;
    }

    /** Two selects, each with a send case and a receive case on the same two unbuffered channels, crossed. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L6_twoCrossedSelectsPairEveryValueExactlyOnce(Kind kind) throws Exception {
        Chan<Long> a = Chan.make();
        Chan<Long> b = Chan.make();
        int rounds = 20_000;
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            Chan<Long> out = p == 0 ? a : b;
            Chan<Long> in = p == 0 ? b : a;
            long base = (p + 1) * 1_000_000L;
            threads.add(start(kind, catching(failures, () -> {
                for (int i = 0; i < rounds; i++) {
                    long v = base + i;
                    // Unbuffered: every select of one side pairs with exactly one of the other's.
                    Select.<Void>cases()
                            .send(out, v, () -> {
                                sent.add(v);
                                return null;
                            })
                            .receive(in, x -> {
                                got.add(x);
                                return null;
                            })
                            .select();
                }
            })));
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
        assertThat(got).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
        assertThat(got).hasSize(rounds);
        assertThat(waiting(a, b)).isZero();
    }

    /** The same pairing with a one-slot buffer and a timeout case, and a reused select per thread. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L6_crossedSelectsOnBufferedChannelsWithTimeouts(Kind kind) throws Exception {
        Chan<Long> a = Chan.make(1);
        Chan<Long> b = Chan.make(1);
        int rounds = 10_000;
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            Chan<Long> out = p % 2 == 0 ? a : b;
            Chan<Long> in = p % 2 == 0 ? b : a;
            long base = (p + 1) * 1_000_000L;
            threads.add(start(kind, catching(failures, () -> {
                long[] next = {base};
                for (int i = 0; i < rounds; i++) {
                    long v = next[0];
                    int r = Select.statement()
                            .send(out, v, () -> {
                                sent.add(v);
                                next[0]++;
                            })
                            .receive(in, got::add)
                            .timeout(Duration.ofNanos(20_000), null)
                            .run();
                    assertThat(r).isBetween(SelectStatement.TIMEOUT, 1);
                }
            })));
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
        for (Received<Long> r; (r = a.tryReceive()).ok(); ) {
            got.add(r.value());
        }
        for (Received<Long> r; (r = b.tryReceive()).ok(); ) {
            got.add(r.value());
        }
        assertThat(got).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
        assertThat(waiting(a, b)).isZero();
    }

    /**
     * A parked select with a send case on a channel nobody receives from and a receive case on a
     * one-slot channel: close of the send case's channel races with a value arriving on the other.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L4_L6_closeOfAParkedSendCaseRacesAReadyReceiveCase(Kind kind) throws Exception {
        for (int i = 0; i < 400; i++) {
            Chan<Integer> s = Chan.make();
            Chan<Integer> r = Chan.make(1);
            AtomicReference<Object> outcome = new AtomicReference<>();
            CyclicBarrier go = new CyclicBarrier(2);
            Thread selector = start(kind, () -> {
                try {
                    outcome.set(Select.<Object>cases().send(s, 7, () -> "sent").receive(r, v -> v).select());
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            SelectRulesTest.awaitTrue(() -> waiting(s, r) == 2, "select registered");
            Thread closer = start(kind, () -> {
                try {
                    go.await();
                    s.close();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            go.await();
            r.send(42);
            assertThat(selector.join(LONG)).isTrue();
            assertThat(closer.join(LONG)).isTrue();
            Object o = outcome.get();
            if (o instanceof ChannelClosedException) {
                assertThat(r.tryReceive().value()).as("the value stays in its channel").isEqualTo(42);
            } else {
                assertThat(o).isEqualTo(42);
                assertThat(r.len()).isZero();
            }
            assertThat(waiting(s, r)).isZero();
        }
    }

    /** A parked select whose every channel closes at once: exactly one case fires, nothing stays queued. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L4_L6_everyChannelOfAParkedSelectClosesAtOnce(Kind kind) throws Exception {
        for (int i = 0; i < 300; i++) {
            Chan<Integer> a = Chan.make();
            Chan<Integer> b = Chan.make(2);
            Chan<Integer> c = Chan.make();
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicInteger handlers = new AtomicInteger();
            Thread selector = start(kind, () -> {
                try {
                    outcome.set(Select.<Object>cases()
                            .receiveOk(a, v -> {
                                handlers.incrementAndGet();
                                return "a " + v.closed();
                            })
                            .receiveOk(b, v -> {
                                handlers.incrementAndGet();
                                return "b " + v.closed();
                            })
                            .send(c, 1, () -> {
                                handlers.incrementAndGet();
                                return "sent";
                            })
                            .receiveOk(c, v -> {
                                handlers.incrementAndGet();
                                return "c " + v.closed();
                            })
                            .select());
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            SelectRulesTest.awaitTrue(() -> waiting(a, b, c) == 4, "select registered");
            CyclicBarrier go = new CyclicBarrier(3);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> closers = new ArrayList<>();
            for (Chan<Integer> ch : List.of(a, b, c)) {
                closers.add(start(kind, catching(failures, () -> {
                    go.await();
                    ch.close();
                })));
            }
            joinAll(closers);
            assertThat(selector.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            Object o = outcome.get();
            if (o instanceof ChannelClosedException) {
                assertThat(handlers.get()).isZero();
            } else {
                assertThat(o).isIn("a true", "b true", "c true");
                assertThat(handlers.get()).isEqualTo(1);
            }
            assertThat(waiting(a, b, c)).isZero();
        }
    }

    /**
     * An interrupt lands at any moment of a select with several cases while a partner completes one of
     * them: the select either completed (the value moved once, the flag still set) or threw
     * InterruptedException (flag clear, nothing moved: the value is still in its channel). With a timeout
     * case, a timeout also moved nothing.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I2_L6_interruptAtAnyMomentOfAParkedMultiCaseSelect(Kind kind) throws Exception {
        for (boolean withTimeout : new boolean[] {false, true}) {
            for (int i = 0; i < 800; i++) {
                Chan<Integer> a = Chan.make(1);
                Chan<Integer> b = Chan.make();
                Chan<Integer> c = Chan.make();
                AtomicReference<Object> outcome = new AtomicReference<>();
                AtomicReference<Boolean> flagAfter = new AtomicReference<>();
                CyclicBarrier go = new CyclicBarrier(3);
                java.util.concurrent.CountDownLatch interrupted = new java.util.concurrent.CountDownLatch(1);
                int round = i;
                boolean timed = withTimeout;
                Thread selector = start(kind, () -> {
                    try {
                        go.await();
                        Select<Object> s = Select.<Object>cases()
                                .receive(a, v -> v)
                                .receive(b, v -> "b")
                                .receive(c, v -> "c")
                                .send(c, -1, () -> "c sent")
                                .receive(Chan.<Integer>nil(), v -> "nil");
                        if (timed) {
                            s.timeout(Duration.ofNanos(1000 * (round % 50)), () -> "timeout");
                        }
                        outcome.set(s.select());
                    } catch (Throwable t) {
                        outcome.set(t);
                    }
                    try {
                        interrupted.await();
                    } catch (InterruptedException e) {
                        flagAfter.set(Boolean.TRUE); // the flag was still set
                        return;
                    }
                    flagAfter.set(Thread.interrupted());
                });
                Thread interrupter = start(kind, () -> {
                    try {
                        go.await();
                        for (int k = 0; k < round % 20; k++) {
                            Thread.yield();
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    selector.interrupt();
                    interrupted.countDown();
                });
                go.await();
                for (int k = 0; k < round % 13; k++) {
                    Thread.yield();
                }
                a.send(round);
                assertThat(selector.join(LONG)).isTrue();
                assertThat(interrupter.join(LONG)).isTrue();
                Object o = outcome.get();
                if (o instanceof InterruptedException) {
                    assertThat(flagAfter.get()).as("flag cleared by the throw").isFalse();
                    assertThat(a.tryReceive().value()).as("value kept").isEqualTo(round);
                } else if ("timeout".equals(o)) {
                    assertThat(timed).isTrue();
                    assertThat(flagAfter.get()).as("flag kept after a timeout").isTrue();
                    assertThat(a.tryReceive().value()).as("value kept").isEqualTo(round);
                } else {
                    assertThat(o).isEqualTo(round);
                    assertThat(flagAfter.get()).as("flag kept after completing").isTrue();
                    assertThat(a.len()).isZero();
                }
                assertThat(waiting(a, b, c)).isZero();
            }
        }
    }

    /** The same, with the value offered by a parked partner's timed receive on the send case's channel. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I2_L6_interruptRacesAPartnerTakingTheSendCase(Kind kind) throws Exception {
        for (int i = 0; i < 800; i++) {
            Chan<Integer> a = Chan.make();
            Chan<Integer> c = Chan.make();
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicReference<Received<Integer>> partner = new AtomicReference<>();
            CyclicBarrier go = new CyclicBarrier(3);
            int round = i;
            Thread selector = start(kind, () -> {
                try {
                    go.await();
                    outcome.set(Select.<Object>cases().receive(a, v -> v).send(c, round, () -> "sent")
                            .receive(c, v -> "got " + v).select());
                } catch (Throwable t) {
                    outcome.set(t);
                }
                Thread.interrupted();
            });
            Thread taker = start(kind, () -> {
                try {
                    go.await();
                    partner.set(c.receive(Duration.ofMillis(2)));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            go.await();
            for (int k = 0; k < round % 17; k++) {
                Thread.yield();
            }
            selector.interrupt();
            assertThat(selector.join(LONG)).isTrue();
            assertThat(taker.join(LONG)).isTrue();
            Object o = outcome.get();
            Received<Integer> p = partner.get();
            if ("sent".equals(o)) {
                assertThat(p.ok()).isTrue();
                assertThat(p.value()).isEqualTo(round);
            } else {
                assertThat(o).isInstanceOf(InterruptedException.class);
                assertThat(p.notReady()).as("partner got nothing").isTrue();
            }
            assertThat(waiting(a, c)).isZero();
        }
    }

    /**
     * Channels of every kind in one select, several consumers, producers on each: every value a producer
     * sent is received once or reported dropped once by its overflow policy; the context's done case and
     * a timer's channel fire without taking anything.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L6_selectsOverEveryKindOfChannel(Kind kind) throws Exception {
        ConcurrentLinkedQueue<Long> dropped = new ConcurrentLinkedQueue<>();
        Chan<Long> plain = Chan.make();
        Chan<Long> ring = Chan.make(64);
        Chan<Long> dropOldest = Chan.make(2, OverflowPolicy.DROP_OLDEST, dropped::add);
        Chan<Long> dropLatest = Chan.make(1, OverflowPolicy.DROP_LATEST, dropped::add);
        Chan<Long> conflated = Chan.conflated(dropped::add);
        Chan<Long> unlimited = Chan.unlimited();
        List<Chan<Long>> all = List.of(plain, ring, dropOldest, dropLatest, conflated, unlimited);
        CancellableContext ctx = Context.withCancel(Context.background());
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger producersLeft = new AtomicInteger(all.size());
        List<Thread> threads = new ArrayList<>();
        int perProducer = 1500;
        for (int p = 0; p < all.size(); p++) {
            Chan<Long> out = all.get(p);
            long base = (p + 1) * 1_000_000L;
            threads.add(start(kind, catching(failures, () -> {
                try {
                    for (int i = 0; i < perProducer; i++) {
                        long v = base + i;
                        // A select send case next to a disabled case and the done case.
                        boolean ok = Select.<Boolean>cases()
                                .send(out, v, () -> true)
                                .send(null, v, () -> {
                                    throw new AssertionError("disabled case fired");
                                })
                                .done(ctx, () -> false)
                                .select();
                        if (ok) {
                            sent.add(v);
                        } else {
                            return;
                        }
                    }
                } finally {
                    if (producersLeft.decrementAndGet() == 0) {
                        ctx.cancel();
                    }
                }
            })));
        }
        for (int q = 0; q < 3; q++) {
            threads.add(start(kind, catching(failures, () -> {
                SelectStatement s = Select.statement();
                for (Chan<Long> c : all) {
                    s.receive(c, got::add);
                }
                s.receive(plain, got::add); // the same channel twice (L7)
                s.receive(Chan.<Long>nil(), v -> {
                    throw new AssertionError("nil case fired");
                });
                boolean[] done = {false};
                s.done(ctx, () -> done[0] = true);
                while (!done[0]) {
                    // A fresh timer each round beside the reused statement.
                    ReceiveChanProbe.run(s, got);
                }
            })));
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
        for (Chan<Long> c : all) {
            for (Received<Long> r; (r = c.tryReceive()).ok(); ) {
                got.add(r.value());
            }
        }
        List<Long> accounted = new ArrayList<>(got);
        accounted.addAll(dropped);
        assertThat(accounted).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
        assertThat(waiting(all.toArray(new Chan<?>[0]))).isZero();
    }

    /** Runs a reused statement, then a one-off select on a fresh timer's channel beside two of its channels. */
    static final class ReceiveChanProbe {
        static void run(SelectStatement s, ConcurrentLinkedQueue<Long> got) throws InterruptedException {
            s.run();
            Select.<Void>cases()
                    .receive(Timers.after(Duration.ofNanos(5_000)), t -> null)
                    .orElse(() -> null)
                    .select();
        }
    }

    /**
     * One statement built once and run many times by its thread, with the same channel in a receive and
     * a send case, disabled cases, and a timeout: consumers and producers share the channels.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L7_L12_reusedStatementsWithRepeatedAndDisabledCases(Kind kind) throws Exception {
        Chan<Long> x = Chan.make();
        Chan<Long> y = Chan.make(3);
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        int rounds = 8000;
        for (int p = 0; p < 3; p++) {
            long base = (p + 1) * 1_000_000L;
            threads.add(start(kind, catching(failures, () -> {
                // The send value is fixed when a case is built: one statement per value is the only way
                // to send distinct values, so this thread reuses a receive-heavy statement instead and
                // sends with a fresh select.
                SelectStatement recv = Select.statement()
                        .receive(x, got::add)
                        .receive(y, got::add)
                        .receive(x, got::add)
                        .receive(null, v -> {
                            throw new AssertionError("disabled");
                        })
                        .timeout(Duration.ofNanos(10_000), null);
                for (int i = 0; i < rounds; i++) {
                    long v = base + i;
                    int r = Select.statement()
                            .send(x, v, () -> sent.add(v))
                            .receive(x, got::add)
                            .send(y, v, () -> sent.add(v))
                            .send(Chan.<Long>nil(), v, () -> {
                                throw new AssertionError("nil");
                            })
                            .timeout(Duration.ofNanos(10_000), null)
                            .run();
                    if (r == SelectStatement.TIMEOUT || i % 3 == 0) {
                        recv.run();
                    }
                }
            })));
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
        for (Received<Long> r; (r = y.tryReceive()).ok(); ) {
            got.add(r.value());
        }
        assertThat(got).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
        assertThat(waiting(x, y)).isZero();
    }
    /** Two selects, each with a send and a receive case on the same unbuffered channel, pair with each other. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L7_L6_selectsWithBothDirectionsOnOneChannelPair(Kind kind) throws Exception {
        Chan<Long> c = Chan.make();
        int rounds = 20_000;
        ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            long base = (p + 1) * 1_000_000L;
            threads.add(start(kind, catching(failures, () -> {
                for (int i = 0; i < rounds; i++) {
                    long v = base + i;
                    Select.statement().send(c, v, () -> sent.add(v)).receive(c, got::add).run();
                }
            })));
        }
        joinAll(threads);
        assertThat(failures).isEmpty();
        assertThat(got).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent).hasSize(rounds);
        assertThat(waiting(c)).isZero();
    }

    /**
     * Close of a parked select's send-case channel races an interrupt: the select throws
     * ChannelClosedException with the flag still set (the close claimed it first) or InterruptedException
     * with the flag clear; never both, never neither.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I2_L4_closeOfASendCaseRacesAnInterrupt(Kind kind) throws Exception {
        for (int i = 0; i < 600; i++) {
            Chan<Integer> s = Chan.make();
            Chan<Integer> r = Chan.make(1);
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicReference<Boolean> flag = new AtomicReference<>();
            java.util.concurrent.CountDownLatch interrupted = new java.util.concurrent.CountDownLatch(1);
            Thread selector = start(kind, () -> {
                try {
                    outcome.set(Select.<Object>cases().send(s, 1, () -> "sent").receive(r, v -> v).select());
                } catch (Throwable t) {
                    outcome.set(t);
                }
                try {
                    interrupted.await();
                    flag.set(Thread.interrupted());
                } catch (InterruptedException e) {
                    flag.set(true);
                }
            });
            SelectRulesTest.awaitTrue(() -> waiting(s, r) == 2, "select registered");
            CyclicBarrier go = new CyclicBarrier(2);
            Thread closer = start(kind, () -> {
                try {
                    go.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                s.close();
            });
            go.await();
            for (int k = 0; k < i % 7; k++) {
                Thread.yield();
            }
            selector.interrupt();
            interrupted.countDown();
            assertThat(selector.join(LONG)).isTrue();
            assertThat(closer.join(LONG)).isTrue();
            Object o = outcome.get();
            if (o instanceof ChannelClosedException) {
                assertThat(flag.get()).as("flag kept").isTrue();
            } else {
                assertThat(o).isInstanceOf(InterruptedException.class);
                assertThat(flag.get()).as("flag cleared").isFalse();
            }
            assertThat(waiting(s, r)).isZero();
        }
    }
    /**
     * Selects with send and receive cases on the same channels in every thread, racing close (at halfway)
     * and a stream of interrupts: every value whose send case ran its handler is received once or left
     * in a buffer; no other value is.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L6_mixedDirectionSelectsRaceCloseAndInterrupts(Kind kind) throws Exception {
        for (int[] caps : new int[][] {{0, 0}, {0, 1}, {2, 64}}) {
            Chan<Long> a = Chan.make(caps[0]);
            Chan<Long> b = Chan.make(caps[1]);
            int threadsN = 4;
            int rounds = 4000;
            ConcurrentLinkedQueue<Long> sent = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            java.util.concurrent.CountDownLatch halfway = new java.util.concurrent.CountDownLatch(threadsN);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int p = 0; p < threadsN; p++) {
                long base = (p + 1) * 1_000_000L;
                int self = p;
                workers.add(start(kind, catching(failures, () -> {
                    try {
                        for (int i = 0; i < rounds; i++) {
                            if (i == rounds / 2) {
                                halfway.countDown();
                            }
                            long v = base + i;
                            try {
                                SelectStatement st = Select.statement()
                                        .send(self % 2 == 0 ? a : b, v, () -> sent.add(v))
                                        .receiveOk(a, r -> {
                                            if (r.ok()) {
                                                got.add(r.value());
                                            }
                                        })
                                        .receiveOk(b, r -> {
                                            if (r.ok()) {
                                                got.add(r.value());
                                            }
                                        });
                                if (i % 3 == 0) {
                                    st.send(self % 2 == 0 ? b : a, v, () -> sent.add(v));
                                }
                                if (i % 2 == 0) {
                                    st.timeout(Duration.ofNanos(30_000), null);
                                }
                                st.timeout(Duration.ofMillis(50), null); // nobody left to pair with
                                st.run();
                            } catch (InterruptedException e) {
                                // nothing happened
                            }
                        }
                    } catch (ChannelClosedException closed) {
                        // a send case on a closed channel was chosen
                    } finally {
                        halfway.countDown();
                        Thread.interrupted();
                    }
                })));
            }
            java.util.Random irnd = new java.util.Random(caps[1]);
            Thread interrupter = start(kind, () -> {
                while (!stop.get()) {
                    workers.get(irnd.nextInt(workers.size())).interrupt();
                    for (int i = 0; i < 50; i++) {
                        Thread.yield();
                    }
                }
            });
            halfway.await();
            a.close();
            b.close();
            joinAll(workers);
            stop.set(true);
            assertThat(interrupter.join(LONG)).isTrue();
            assertThat(failures).isEmpty();
            for (Received<Long> r; (r = a.tryReceive()).ok(); ) {
                got.add(r.value());
            }
            for (Received<Long> r; (r = b.tryReceive()).ok(); ) {
                got.add(r.value());
            }
            assertThat(got).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
            assertThat(waiting(a, b)).isZero();
        }
    }
    /**
     * L14: a select whose timeout case's time is up when it would start waiting takes the timeout case,
     * as a timed send or receive does (I5): a flag already set does not stop it and stays set, and nothing
     * is queued. Before, it queued its cases and then threw InterruptedException for the flag. The time is
     * made to pass while the select waits for a channel's lock the test holds, after it read its clock.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L14_aSelectWhoseTimeIsUpTakesTheTimeoutWhateverTheFlag(Kind kind) throws Exception {
        for (boolean withNilCase : new boolean[] {false, true}) {
            Chan<Integer> a = Chan.make();
            Chan<Integer> nil = Chan.nil();
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicReference<Boolean> flag = new AtomicReference<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            ChannelCores.of(a).lock();
            Thread selector;
            try {
                selector = start(kind, () -> {
                    try {
                        go.await();
                        Thread.currentThread().interrupt();
                        // The case on a is locked by the test: the select reads its clock, then waits for the lock.
                        outcome.set(Select.statement()
                                .receive(withNilCase ? nil : a, v -> { })
                                .send(a, 1, () -> { })
                                .timeout(Duration.ofNanos(1), null)
                                .run());
                    } catch (Throwable t) {
                        outcome.set(t);
                    }
                    flag.set(Thread.interrupted());
                });
                go.countDown();
                SelectRulesTest.awaitTrue(() -> waitsForALock(selector), "select waiting for a's lock");
                long t0 = System.nanoTime();
                SelectRulesTest.awaitTrue(() -> System.nanoTime() - t0 > 1_000_000, "the select's time is up");
            } finally {
                ChannelCores.of(a).unlock();
            }
            assertThat(selector.join(LONG)).isTrue();
            assertThat(outcome.get()).as("the timeout case").isEqualTo(SelectStatement.TIMEOUT);
            assertThat(flag.get()).as("the flag stays set").isTrue();
            assertThat(waiting(a)).isZero();
        }
    }

    /** True while {@code t} is parked acquiring a channel's lock (its park blocker is the lock). */
    static boolean waitsForALock(Thread t) {
        Object blocker = java.util.concurrent.locks.LockSupport.getBlocker(t);
        return blocker != null && blocker.getClass().getSimpleName().equals("ChannelLock");
    }
}
