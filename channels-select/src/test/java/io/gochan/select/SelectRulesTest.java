package io.gochan.select;

import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.leakcheck.Synctest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.Timers;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** One test (or more) per select rule L1–L8 (docs/spec/select.md), and N1 for disabled cases. */
@NoGoroutineLeaks
class SelectRulesTest {
    static final Duration LONG = Duration.ofSeconds(20);

    @Test
    void L1_blocksUntilOneCaseProceedsAndRunsExactlyThatHandler() throws Exception {
        Chan<Integer> a = Chan.make();
        Chan<Integer> b = Chan.make();
        AtomicReference<String> got = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                got.set(Select.<String>cases().receive(a, v -> "a" + v).receive(b, v -> "b" + v).select());
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        awaitReceivers(b, 1);
        b.send(7);
        assertThat(t.join(LONG)).isTrue();
        assertThat(got.get()).isEqualTo("b7");
        assertThat(waiting(a)).isZero();
        assertThat(waiting(b)).isZero();
    }

    @Test
    void L1_sendCaseCompletesWhenAReceiverTakesTheValue() throws Exception {
        Chan<String> ch = Chan.make();
        // The handler's result is checked here: an assertion failing on the sender's thread would be lost.
        AtomicReference<Integer> got = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                got.set(Select.<Integer>cases().send(ch, "x", () -> 1).select());
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(ch.receive()).isEqualTo("x");
        assertThat(t.join(LONG)).isTrue();
        assertThat(got.get()).as("the send case's handler ran and its value was returned").isEqualTo(1);
    }

    @Test
    void L2_readyCasesAreChosenUniformly_chiSquare() throws Exception {
        // Three always-ready cases, 30,000 selects with a fixed seed: the outcome is deterministic, and the
        // bound (chi-square, 2 degrees of freedom, p = 1e-6 -> 27.6) also holds for ThreadLocalRandom with
        // overwhelming probability.
        int k = 3;
        int n = 30_000;
        List<Chan<Integer>> chans = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Chan<Integer> c = Chan.make(n);
            for (int j = 0; j < n; j++) {
                c.send(j);
            }
            chans.add(c);
        }
        int[] counts = new int[k];
        SelectStatement s = Select.statement().random(new SplittableRandom(42));
        for (int i = 0; i < k; i++) {
            int idx = i;
            s.receive(chans.get(i), v -> counts[idx]++);
        }
        for (int j = 0; j < n; j++) {
            s.run();
        }
        double expected = n / (double) k;
        double chi = 0;
        for (int c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        assertThat(chi).as("chi-square of %s", java.util.Arrays.toString(counts)).isLessThan(27.6);
    }

    @Test
    void L2_closedChannelCompetesEquallyWithAReadyValue() throws Exception {
        Chan<Integer> closed = Chan.make();
        closed.close();
        Chan<Integer> full = Chan.make(1);
        int closedWins = 0;
        SelectStatement s = Select.statement().random(new SplittableRandom(7));
        int[] last = new int[1];
        s.receiveOk(closed, r -> last[0] = 0).receive(full, v -> last[0] = 1);
        for (int i = 0; i < 2000; i++) {
            full.trySend(1);
            s.run();
            closedWins += last[0] == 0 ? 1 : 0;
        }
        assertThat(closedWins).isBetween(800, 1200);
    }

    @Test
    void L3_defaultNeverBlocks() throws Exception {
        Chan<Integer> ch = Chan.make();
        assertThat(Select.<String>cases().receive(ch, v -> "v").orElse(() -> "default").select()).isEqualTo("default");
        assertThat(Select.<String>cases().send(ch, 1, () -> "sent").orElse(() -> "default").select()).isEqualTo("default");
        assertThat(waiting(ch)).isZero();
        Chan<Integer> ready = Chan.make(1);
        ready.send(5);
        assertThat(Select.<String>cases().receive(ready, v -> "v" + v).orElse(() -> "default").select()).isEqualTo("v5");
    }

    @Test
    void L4_receiveOnClosedIsReadyAndReportsClosed() throws Exception {
        Chan<Integer> ch = Chan.make(2);
        ch.send(1);
        ch.close();
        Chan<Integer> never = Chan.make();
        assertThat(Select.<Received<Integer>>cases().receiveOk(ch, r -> r).receive(never, v -> null).select().value()).isEqualTo(1);
        assertThat(Select.<Received<Integer>>cases().receiveOk(ch, r -> r).receive(never, v -> null).select().closed()).isTrue();
        assertThatThrownBy(() -> Select.<Integer>cases().receive(ch, v -> v).select())
                .isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void L4_sendOnClosedThrowsWhenChosen_evenWithDefault() {
        Chan<Integer> ch = Chan.make(1);
        ch.close();
        assertThatThrownBy(() -> Select.<String>cases().send(ch, 1, () -> "sent").orElse(() -> "d").select())
                .isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void L4_blockedSendCaseThrowsWhenTheChannelCloses() throws Exception {
        Chan<Integer> ch = Chan.make();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Select.<String>cases().send(ch, 1, () -> "sent").select();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        awaitSenders(ch, 1);
        ch.close();
        assertThat(t.join(LONG)).isTrue();
        assertThat(thrown.get()).isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void L5_noEnabledCaseBlocksForeverButIsInterruptible() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                started.countDown();
                Select.cases().receive(null, v -> v).send(null, 1, () -> null).receive(Chan.nil(), v -> v).select();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        started.await();
        awaitParked(t);
        assertThat(t.isAlive()).isTrue();
        t.interrupt();
        assertThat(t.join(LONG)).isTrue();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void N1_disabledCasesAreNeverChosen() throws Exception {
        Chan<Integer> ready = Chan.make(1);
        for (int i = 0; i < 100; i++) {
            ready.send(i);
            assertThat(Select.<String>cases().receive(null, v -> "disabled").receive(Chan.<Integer>nil(), v -> "nil")
                    .receive(ready, v -> "ready").select()).isEqualTo("ready");
        }
    }

    @Test
    void L6_registrationsOnLosingChannelsAreRemoved() throws Exception {
        Chan<Integer> a = Chan.make();
        Chan<Integer> b = Chan.make();
        Chan<Integer> c = Chan.make();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Select.cases().receive(a, v -> v).receive(b, v -> v).send(c, 1, () -> null).select();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        awaitReceivers(a, 1);
        a.send(1);
        assertThat(t.join(LONG)).isTrue();
        assertThat(waiting(a) + waiting(b) + waiting(c)).isZero();
    }

    @Test
    void L6_interruptedSelectLeavesNothingBehindAndTakesNothing() throws Exception {
        Chan<Integer> a = Chan.make();
        Chan<Integer> b = Chan.make(1);
        b.send(99);
        Chan<Integer> full = b; // a select with a send case on a full channel and a receive case on a
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Select.cases().receive(a, v -> v).send(full, 1, () -> null).select();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        awaitReceivers(a, 1);
        t.interrupt();
        assertThat(t.join(LONG)).isTrue();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(waiting(a) + waiting(b)).isZero();
        assertThat(b.tryReceive().value()).isEqualTo(99);
        assertThat(b.tryReceive().notReady()).isTrue();
    }

    @Test
    void L6_aSelectEnteredWithTheFlagSetThrowsBeforeAnyPartnerCanSeeIt() throws Exception {
        // I1 for select: a select that would wait with the flag already set throws before queueing any case, so a
        // partner polling all the while never sees it waiting nor completes a case. (It queued every case first and
        // looked at the flag only when it came to park: a partner in between, or during its spin, completed it.)
        for (boolean virtual : new boolean[] {true, false}) {
            for (int round = 0, rounds = virtual ? 300 : 100; round < rounds; round++) {
                Chan<Integer> in = Chan.make();
                Chan<Integer> out = Chan.make();
                java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicInteger met = new java.util.concurrent.atomic.AtomicInteger();
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                Thread.Builder builder = virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
                Thread partner = builder.start(() -> {
                    while (!over.get()) {
                        if (waiting(in) + waiting(out) > 0 || in.trySend(7) || out.tryReceive().ok()) {
                            met.incrementAndGet();
                        }
                        Thread.onSpinWait();
                    }
                });
                Thread caller = builder.start(() -> {
                    Thread.currentThread().interrupt();
                    try {
                        Select.cases().receive(in, v -> v).send(out, 1, () -> null).select();
                    } catch (Throwable e) {
                        thrown.set(e);
                    } finally {
                        over.set(true);
                    }
                });
                assertThat(caller.join(LONG)).isTrue();
                assertThat(partner.join(LONG)).isTrue();
                String what = (virtual ? "virtual" : "platform") + " round " + round;
                assertThat(thrown.get()).as(what).isInstanceOf(InterruptedException.class);
                assertThat(met.get()).as(what + ": the partner met the interrupted select").isZero();
                assertThat(waiting(in) + waiting(out)).as(what).isZero();
            }
        }
    }

    @Test
    void L7_sameChannelInSeveralCases() throws Exception {
        Chan<Integer> ch = Chan.make(1);
        ch.send(1);
        int[] hits = new int[2];
        SelectStatement s = Select.statement().receive(ch, v -> hits[0]++).receive(ch, v -> hits[1]++);
        assertThat(s.run()).isBetween(0, 1);
        assertThat(hits[0] + hits[1]).isEqualTo(1);
        // A send case and a receive case on one unbuffered channel: neither is ready by itself.
        Chan<Integer> u = Chan.make();
        assertThat(Select.<String>cases().send(u, 1, () -> "s").receive(u, v -> "r").orElse(() -> "none").select())
                .isEqualTo("none");
        // ... but a partner can complete either; both registrations are removed afterwards.
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Select.cases().send(u, 5, () -> null).receive(u, v -> null).select();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        awaitReceivers(u, 1);
        assertThat(u.receive()).isEqualTo(5);
        assertThat(t.join(LONG)).isTrue();
        assertThat(waiting(u)).isZero();
    }

    /** In a virtual-time bubble (BB11): the timeout fires at exactly its instant, in no real time. */
    @Test
    @Synctest
    void L8_timeoutCaseFiresWhenNothingIsReady() throws Exception {
        Instant start = Timers.now();
        Chan<Integer> ch = Chan.make();
        assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(Duration.ofMillis(10), () -> "timeout").select())
                .isEqualTo("timeout");
        assertThat(Timers.now()).isEqualTo(start.plusMillis(10));
        assertThat(waiting(ch)).isZero();
        assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(Duration.ZERO, () -> "now").select()).isEqualTo("now");
        assertThat(Timers.now()).isEqualTo(start.plusMillis(10));
        // A day-long timeout costs no more.
        assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(Duration.ofDays(1), () -> "a day").select())
                .isEqualTo("a day");
        assertThat(Timers.now()).isEqualTo(start.plusMillis(10).plus(Duration.ofDays(1)));
    }

    /** On the real clock: the system scheduler's timeouts stay tested here and in SelectConservationTest. */
    @Test
    void L8_timeoutCaseFiresOnTheSystemClock() throws Exception {
        Chan<Integer> ch = Chan.make();
        assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(Duration.ofMillis(10), () -> "timeout").select())
                .isEqualTo("timeout");
        assertThat(waiting(ch)).isZero();
    }

    @Test
    @Synctest
    void L8_timerChannelIsAnOrdinaryReceiveCase() throws Exception {
        Instant start = Timers.now();
        Chan<Integer> ch = Chan.make();
        Instant[] fired = new Instant[1];
        String r = Select.<String>cases().receive(ch, v -> "v")
                .receive(Timers.after(Duration.ofMillis(5)), (Instant at) -> {
                    fired[0] = at;
                    return "timer";
                }).select();
        assertThat(r).isEqualTo("timer");
        assertThat(fired[0]).isEqualTo(start.plusMillis(5)).isEqualTo(Timers.now());
    }

    @Test
    void aBuiltSelectCanRunManyTimes() throws Exception {
        Chan<Integer> ch = Chan.make(4);
        int[] sum = new int[1];
        SelectStatement s = Select.statement().receive(ch, v -> sum[0] += v).orElse(null);
        for (int i = 1; i <= 100; i++) {
            ch.send(i);
            assertThat(s.run()).isZero();
        }
        assertThat(s.run()).isEqualTo(SelectStatement.DEFAULT);
        assertThat(sum[0]).isEqualTo(5050);
    }

    static int waiting(Chan<?> ch) {
        return ChannelCores.of(ch).waitingReceivers() + ChannelCores.of(ch).waitingSenders();
    }

    static void awaitReceivers(Chan<?> ch, int n) {
        awaitTrue(() -> ChannelCores.of(ch).waitingReceivers() >= n, "receivers on " + ch);
    }

    static void awaitSenders(Chan<?> ch, int n) {
        awaitTrue(() -> ChannelCores.of(ch).waitingSenders() >= n, "senders on " + ch);
    }

    static void awaitParked(Thread t) {
        awaitTrue(() -> t.getState() == Thread.State.WAITING, "thread parked");
    }

    static void awaitTrue(java.util.function.BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            letOthersRun();
        }
    }

    /**
     * From a spinning loop, leaves the CPU to other threads for a moment: a platform thread yields, a
     * virtual thread parks for a microsecond. Two virtual threads that only yield on one carrier hand
     * it to each other forever (JDK 25 runs a carrier's own queue until it is empty), and a virtual
     * thread woken from outside (a platform thread, a timer) then never runs: channels' Threads
     * explains the measurement.
     */
    static void letOthersRun() {
        if (Thread.currentThread().isVirtual()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000);
        } else {
            Thread.yield();
        }
    }
}
