package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.ChannelInterruptedException;
import io.gochan.Context;
import io.gochan.OverflowPolicy;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Probe of conservation across every form at once (K1, K5, I2, I3, L6, L7, OV3, OV4, CH4, C2): on every channel
 * shape (unbuffered, the locked buffer, the lock-free ring at and beyond its bounds, a grown buffer, the drop
 * policies, conflated, unlimited), senders use every send form (plain, timed with a zero, negative, short and
 * saturated timeout, try, the send-only view, context-aware with a context that ends or a long-lived one, selects
 * with a receive case on the same channel, with two channels, with disabled cases, with a default, with a
 * {@code done} case, with a saturated timeout) and receivers every receive form (plain, {@code receiveOk}, timed,
 * try, context-aware, selects over both channels, a select that also offers a value on the same channel, an
 * iterator, {@code range} and {@code stream()} stopped after a few values), while an interrupter hits them and two
 * closers race to close both channels. Threads are virtual, platform, or both at once.
 *
 * <p>Every value whose send reported success is received exactly once or reported dropped exactly once; no value
 * whose send failed (false, timeout, interrupt, context's end, a closed channel) is seen anywhere; of the two racing
 * closes of each channel exactly one succeeds; {@code len()} stays within {@code [0, cap()]}; nothing is left
 * queued on the channels or on the long-lived context's done channel. No defect found (session 31); kept as a
 * regression probe. Checked against two mutants of the core in one run each: a close that lets its parked senders
 * return as if they had sent failed 8 of the 36 cases, a wait that reports an interrupt where a partner's claim won
 * the race (I2) failed 1. {@code -Dprobe.seed=N} and {@code -Dprobe.perSender=N} vary it.
 */
@NoGoroutineLeaks
class EveryFormRaceProbeTest {
    enum Kind { VIRTUAL, PLATFORM, MIXED }

    static final String[] SHAPES = {"0", "1", "3", "63", "64", "100", "4096", "5000",
        "dropOldest4", "dropLatest4", "conflated", "unlimited"};

    static final Duration LONG = Duration.ofSeconds(60);

    static List<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        long seed = Long.getLong("probe.seed", 1);
        for (Kind kind : Kind.values()) {
            for (String shape : SHAPES) {
                list.add(Arguments.of(shape, kind, seed++));
            }
        }
        return list;
    }

    static Chan<Long> make(String shape, Consumer<Long> onDrop) {
        return switch (shape) {
            case "dropOldest4" -> Chan.make(4, OverflowPolicy.DROP_OLDEST, onDrop);
            case "dropLatest4" -> Chan.make(4, OverflowPolicy.DROP_LATEST, onDrop);
            case "conflated" -> Chan.conflated(onDrop);
            case "unlimited" -> Chan.unlimited();
            default -> Chan.make(Integer.parseInt(shape));
        };
    }

    /** Thrown by a consumer's action to stop a range or a stream after some values (the value is kept). */
    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop() {
            super(null, null, false, false);
        }
    }

    /** What the workers share: the channels, the context and the books. */
    record World(Chan<Long> a, Chan<Long> b, Context longLived, ConcurrentLinkedQueue<Long> sent,
            ConcurrentLinkedQueue<Long> failed, ConcurrentLinkedQueue<Long> received, AtomicLong fresh) {}

    @ParameterizedTest(name = "{0} on {1} threads, seed {2}")
    @MethodSource("cases")
    void K5_I2_L6_everyFormOnEveryShapeConservesValuesThroughInterruptsAndRacingCloses(String shape, Kind kind, long seed)
            throws Exception {
        ConcurrentLinkedQueue<Long> dropped = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> badLengths = new ConcurrentLinkedQueue<>();
        int senders = 4;
        int receivers = 4;
        int perSender = Integer.getInteger("probe.perSender", 3000);
        CountDownLatch halfway = new CountDownLatch(senders);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        int[] made = new int[1];
        java.util.function.Function<Runnable, Thread> starter = r ->
                kind == Kind.VIRTUAL || kind == Kind.MIXED && made[0]++ % 2 == 0
                        ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
        try (CancellableContext longLived = Context.withCancel(Context.background())) {
            World w = new World(make(shape, dropped::add), make(shape, dropped::add), longLived,
                    new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>(),
                    new AtomicLong(1_000_000_000L));
            for (int s = 0; s < senders; s++) {
                long base = (s + 1) * 10_000_000L;
                Random rnd = new Random(seed * 1_000 + s);
                workers.add(starter.apply(() -> {
                    try {
                        produce(rnd, w, base, perSender, halfway);
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        halfway.countDown();
                        Thread.interrupted();
                    }
                }));
            }
            for (int r = 0; r < receivers; r++) {
                Random rnd = new Random(seed * 2_000 + r);
                workers.add(starter.apply(() -> {
                    try {
                        consume(rnd, w);
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        Thread.interrupted();
                    }
                }));
            }
            // The test's own machinery on platform threads: a virtual thread that never parks would keep its
            // carrier (virtual threads are not time-sliced) and starve the workers.
            Thread observer = Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get()) {
                    for (Chan<Long> c : List.of(w.a(), w.b())) {
                        int len = c.len();
                        int cap = c.cap();
                        if (len < 0 || len > cap) {
                            badLengths.add("len " + len + ", cap " + cap + ": " + c);
                        }
                    }
                    Thread.yield();
                }
            });
            Random irnd = new Random(seed);
            Thread interrupter = Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get()) {
                    workers.get(irnd.nextInt(workers.size())).interrupt();
                    for (int i = irnd.nextInt(40); i > 0; i--) {
                        Thread.yield();
                    }
                }
            });
            try {
                assertThat(halfway.await(LONG.toSeconds(), TimeUnit.SECONDS)).as("senders halfway").isTrue();
                AtomicInteger closes = new AtomicInteger();
                AtomicInteger refusedCloses = new AtomicInteger();
                CyclicBarrier together = new CyclicBarrier(2);
                List<Thread> closers = new ArrayList<>();
                for (int k = 0; k < 2; k++) {
                    closers.add(starter.apply(() -> {
                        try {
                            together.await();
                            for (Chan<Long> c : List.of(w.a(), w.b())) {
                                try {
                                    c.close();
                                    closes.incrementAndGet();
                                } catch (ChannelClosedException e) {
                                    assertThat(e.getMessage()).startsWith("close of closed channel");
                                    refusedCloses.incrementAndGet();
                                }
                            }
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }));
                }
                for (Thread t : closers) {
                    assertThat(t.join(LONG)).as("closer ended").isTrue();
                }
                for (Thread t : workers) {
                    assertThat(t.join(LONG)).as("worker ended: %s (%s, %s)", t, w.a(), w.b()).isTrue();
                }
                assertThat(closes.get()).as("closes that succeeded (K1)").isEqualTo(2);
                assertThat(refusedCloses.get()).as("closes refused (K1)").isEqualTo(2);
            } finally {
                // After a failure above too: closed channels end every worker, so none is left behind.
                for (Chan<Long> c : List.of(w.a(), w.b())) {
                    if (!c.isClosed()) {
                        try {
                            c.close();
                        } catch (ChannelClosedException alreadyClosed) {
                            // a closer got there first
                        }
                    }
                }
                for (Thread t : workers) {
                    t.join(LONG);
                }
                stop.set(true);
                assertThat(interrupter.join(LONG)).isTrue();
                assertThat(observer.join(LONG)).isTrue();
            }
            assertThat(failures).isEmpty();
            assertThat(badLengths).as("len() outside [0, cap()] (C2)").isEmpty();
            for (Chan<Long> c : List.of(w.a(), w.b())) {
                assertThat(c.tryReceive().closed()).as("closed and drained: %s", c).isTrue();
                assertThat(c.len()).isZero();
                assertThat(ChannelCores.of(c).waitingSenders() + ChannelCores.of(c).waitingReceivers())
                        .as("left queued (I3): %s", c).isZero();
            }
            assertThat(ChannelCores.of(longLived.done()).waitingReceivers())
                    .as("left queued on the long-lived context's done channel (I3)").isZero();
            List<Long> got = new ArrayList<>(w.received());
            got.addAll(dropped);
            assertThat(got).as("received or dropped twice").doesNotHaveDuplicates();
            Set<Long> sent = new HashSet<>(w.sent());
            assertThat(sent).as("a value reported sent twice").hasSameSizeAs(w.sent());
            assertThat(new HashSet<>(got)).as("received or dropped, against sent").isEqualTo(sent);
            Set<Long> deliveredFailures = new HashSet<>(w.failed());
            deliveredFailures.retainAll(new HashSet<>(got));
            assertThat(deliveredFailures).as("values whose send failed, yet delivered").isEmpty();
        }
    }

    static void produce(Random rnd, World w, long base, int perSender, CountDownLatch halfway) {
        for (int i = 0; i < perSender; i++) {
            if (i == perSender / 2) {
                halfway.countDown();
            }
            long v = base + i;
            Boolean ok;
            try {
                ok = sendOnce(rnd, w, v);
            } catch (InterruptedException | CancellationException e) {
                ok = false;
            } catch (ChannelClosedException e) {
                w.failed().add(v);
                if (w.a().isClosed() && w.b().isClosed()) {
                    return;
                }
                continue;
            }
            if (ok != null) {
                (ok ? w.sent() : w.failed()).add(v);
            }
        }
    }

    /** One send in a random form: true if sent, false if not, null if a select received instead (counted there). */
    static Boolean sendOnce(Random rnd, World w, long v) throws InterruptedException {
        Chan<Long> c = rnd.nextBoolean() ? w.a() : w.b();
        switch (rnd.nextInt(15)) {
            case 0:
                c.send(v);
                return true;
            case 1:
                return c.send(v, Duration.ZERO);
            case 2:
                return c.send(v, Duration.ofNanos(-5));
            case 3:
                return c.send(v, Duration.ofNanos(rnd.nextInt(200_000)));
            case 4:
                return c.send(v, Duration.ofSeconds(Long.MAX_VALUE));
            case 5:
                return c.trySend(v);
            case 6:
                c.sendOnly().send(v);
                return true;
            case 7: {
                try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofNanos(rnd.nextInt(300_000)))) {
                    c.send(v, ctx);
                    return true;
                }
            }
            case 8:
                c.send(v, w.longLived());
                return true;
            case 9: {
                // The same channel in both directions (L7): the select never meets itself.
                Long[] got = new Long[1];
                int i = Select.statement().send(c, v, null).receiveOk(c, r -> {
                    if (r.ok()) {
                        got[0] = r.value();
                    }
                }).timeout(Duration.ofNanos(rnd.nextInt(300_000)), null).run();
                if (got[0] != null) {
                    w.received().add(got[0]);
                }
                return i == 0;
            }
            case 10:
                return Select.<Boolean>cases().send(w.a(), v, () -> true).send(w.b(), v, () -> true).select();
            case 11:
                return Select.<Boolean>cases().send(c, v, () -> true).receive(null, x -> false).send(Chan.nil(), v, () -> false)
                        .timeout(Duration.ofNanos(rnd.nextInt(100_000)), () -> false).select();
            case 12:
                return Select.<Boolean>cases().send(c, v, () -> true).orElse(() -> false).select();
            case 13: {
                try (CancellableContext ctx = Context.withCancel(Context.background())) {
                    if (rnd.nextInt(4) == 0) {
                        ctx.cancel();
                    }
                    return Select.onSend(c, v, () -> true).done(ctx, () -> false).select();
                }
            }
            default:
                return Select.<Boolean>cases().send(c, v, () -> true).timeout(Duration.ofSeconds(Long.MAX_VALUE), () -> false)
                        .select();
        }
    }

    /** Receives in random forms until both channels are closed and drained. */
    static void consume(Random rnd, World w) {
        boolean aDone = false;
        boolean bDone = false;
        ConcurrentLinkedQueue<Long> out = w.received();
        while (!aDone || !bDone) {
            Chan<Long> c = !aDone && (bDone || rnd.nextBoolean()) ? w.a() : w.b();
            Received<Long> r = Received.notReadyYet();
            try {
                switch (rnd.nextInt(14)) {
                    case 0 -> r = c.receiveOk();
                    case 1 -> {
                        try {
                            r = Received.of(c.receive());
                        } catch (ChannelClosedException e) {
                            assertThat(e.getMessage()).startsWith("receive from closed channel");
                            r = Received.closedChannel();
                        }
                    }
                    case 2 -> r = c.receive(Duration.ZERO);
                    case 3 -> r = c.receive(Duration.ofNanos(-1));
                    case 4 -> r = c.receive(Duration.ofNanos(rnd.nextInt(200_000)));
                    case 5 -> r = c.tryReceive();
                    case 6 -> {
                        try (CancellableContext ctx = Context.withTimeout(Context.background(),
                                Duration.ofNanos(rnd.nextInt(300_000)))) {
                            r = c.receiveOnly().receiveOk(ctx);
                        }
                    }
                    case 7 -> r = c.receiveOk(w.longLived());
                    case 8 -> {
                        if (aDone || bDone) {
                            r = c.receive(Duration.ofSeconds(Long.MAX_VALUE));
                        } else {
                            Received<?>[] got = new Received<?>[1];
                            int i = Select.statement().receiveOk(w.a(), x -> got[0] = x).receiveOk(w.b(), x -> got[0] = x).run();
                            @SuppressWarnings("unchecked")
                            Received<Long> x = (Received<Long>) got[0];
                            r = x;
                            c = i == 0 ? w.a() : w.b();
                        }
                    }
                    case 9 -> {
                        // A receiver that also offers a value of its own on the same channel (L7).
                        long offered = w.fresh().incrementAndGet();
                        Received<?>[] got = new Received<?>[1];
                        try {
                            int i = Select.statement().receiveOk(c, x -> got[0] = x).send(c, offered, null)
                                    .timeout(Duration.ofNanos(rnd.nextInt(300_000)), null).run();
                            if (i == 1) {
                                w.sent().add(offered);
                            } else if (i == 0) {
                                @SuppressWarnings("unchecked")
                                Received<Long> x = (Received<Long>) got[0];
                                r = x;
                            }
                        } catch (ChannelClosedException e) {
                            // The send case on the closed channel was chosen (Go panics there too): not sent. The
                            // channel may still hold values; the other forms drain it.
                            assertThat(e.getMessage()).startsWith("send on closed channel");
                        }
                    }
                    case 10 -> {
                        Iterator<Long> it = c.iterator();
                        int k = rnd.nextInt(5);
                        try {
                            for (int j = 0; j < k && it.hasNext(); j++) {
                                out.add(it.next());
                            }
                            if (it.hasNext()) {
                                out.add(it.next()); // the value hasNext took is ours: never leave it behind
                            } else {
                                r = Received.closedChannel();
                            }
                        } catch (ChannelInterruptedException e) {
                            Thread.interrupted(); // interrupted while it waited: it took nothing (S8)
                        }
                    }
                    case 11 -> {
                        int k = 1 + rnd.nextInt(4);
                        int[] n = new int[1];
                        try {
                            c.range(x -> {
                                out.add(x);
                                if (++n[0] == k) {
                                    throw new Stop();
                                }
                            });
                            r = Received.closedChannel();
                        } catch (Stop e) {
                            // stopped after k values, each counted
                        }
                    }
                    case 12 -> {
                        int k = 1 + rnd.nextInt(4);
                        int[] n = new int[1];
                        try {
                            c.stream().forEach(x -> {
                                out.add(x);
                                if (++n[0] == k) {
                                    throw new Stop();
                                }
                            });
                            r = Received.closedChannel();
                        } catch (Stop e) {
                            // stopped after k values, each counted
                        } catch (ChannelInterruptedException e) {
                            Thread.interrupted(); // interrupted while it waited: it took nothing (CH5)
                        }
                    }
                    default -> r = Select.onReceiveOk(c, (Received<Long> x) -> x)
                            .timeout(Duration.ofNanos(rnd.nextInt(100_000)), Received::notReadyYet).select();
                }
            } catch (InterruptedException | CancellationException e) {
                continue; // nothing taken
            }
            if (r.ok()) {
                out.add(r.value());
            } else if (r.closed()) {
                if (c == w.a()) {
                    aDone = true;
                } else {
                    bDone = true;
                }
            }
        }
    }
}
