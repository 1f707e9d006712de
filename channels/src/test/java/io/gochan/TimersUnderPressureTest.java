package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Timers and contexts under pressure: G2, TM1, TM3, TM6, TM14, TM15, G3, CX1, CX4, CX5, CX6, CX7, CX8, CX12, CX16 and the interrupt
 * rules probed as Go 1.23 promises them, on both kinds of caller thread, each probe run while 3 platform threads spin
 * on the 2-core machine (CPU saturation), so that the timer thread, the hand-off threads and the carriers are
 * descheduled at arbitrary points. Each probe asserts an invariant that holds whichever side of every race wins; time
 * is used only as a generous upper bound, or through the timers' own stamps (TM14: a value is the instant it was due).
 */
@ExtendWith(NoNewGoroutines.class)
class TimersUnderPressureTest {
    static final Duration LONG = Duration.ofSeconds(30);

    /** 3 platform threads spinning for the duration of a probe; stopped by close (in a finally, via try). */
    static final class Saturation implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> spinners = new ArrayList<>();

        Saturation(int n) {
            for (int i = 0; i < n; i++) {
                spinners.add(Thread.ofPlatform().daemon().name("pressure-spin-" + i).start(() -> {
                    long x = 0;
                    while (!stop.get()) {
                        x++;
                        Thread.onSpinWait();
                    }
                    if (x == 42) {
                        System.out.print("");
                    }
                }));
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : spinners) {
                assertThat(t.join(Duration.ofSeconds(10))).isTrue();
            }
        }
    }

    private static Duration jitter(long maxNanos) {
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, maxNanos));
    }

    private static void spin() {
        for (int i = ThreadLocalRandom.current().nextInt(3_000); i > 0; i--) {
            Thread.onSpinWait();
        }
    }

    // ------------------------------------------------------------------------------------------ timers

    /**
     * G2 (Go 1.23): with nobody receiving, a timer that fired at the same instant is still "pending": stop and reset
     * return true, a second stop false, and nothing is received after either returned; a reset's value is of the new
     * schedule (stamped at least the reset's time plus its delay, TM14); after that value was received, stop and reset
     * return false.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_stopAndResetReturnExactlyGo123sAnswersAtTheFiringInstant(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 2; th++) {
                threads.start(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int round = 0; round < 1_500; round++) {
                        Timer t = Timers.newTimer(jitter(60_000));
                        spin();
                        switch (round % 3) {
                            case 0 -> {
                                if (!t.stop()) {
                                    wrong.add(round + ": first stop of an unreceived timer false");
                                }
                                if (t.stop()) {
                                    wrong.add(round + ": second stop true");
                                }
                                if (!t.c().tryReceive().notReady()) {
                                    wrong.add(round + ": value after stop");
                                }
                            }
                            case 1 -> {
                                Instant asked = Timers.now();
                                if (!t.reset(Duration.ofMillis(2))) {
                                    wrong.add(round + ": reset of an unreceived timer false");
                                }
                                Received<Instant> v = t.c().receive(LONG);
                                if (!v.ok()) {
                                    wrong.add(round + ": reset timer never fired");
                                } else if (v.value().isBefore(asked.plusMillis(1))) {
                                    wrong.add(round + ": old schedule's value " + v.value() + " after reset at " + asked);
                                }
                                if (t.stop() || t.c().tryReceive().ok()) {
                                    wrong.add(round + ": stop after receive true, or a second value");
                                }
                            }
                            default -> {
                                Received<Instant> first = t.c().receive(LONG);
                                if (!first.ok()) {
                                    wrong.add(round + ": timer never fired");
                                }
                                boolean viaReset = r.nextBoolean();
                                if (viaReset ? t.reset(Duration.ofHours(1)) : t.stop()) {
                                    wrong.add(round + ": stop/reset after the value was received returned true");
                                }
                                Instant asked = Timers.now();
                                if (t.reset(Duration.ofMillis(2)) != viaReset) {
                                    wrong.add(round + ": reset after " + (viaReset ? "reset(1h)" : "stop")
                                            + " returned " + !viaReset);
                                }
                                Received<Instant> v = t.c().receive(LONG);
                                if (!v.ok() || v.value().isBefore(asked.plusMillis(1))) {
                                    wrong.add(round + ": second schedule " + v + " asked " + asked);
                                }
                            }
                        }
                    }
                });
            }
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * G2: a receiver blocked on the channel while the timer fires and another thread resets it to 2 ms: if reset
     * returned true the receiver's value is the new schedule's (the old one was never delivered) and nothing else
     * comes; if false the receiver had the old value and the new schedule still delivers one value.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_aResetRacingABlockedReceiverAtTheFiringInstantNeverLetsAnOldValueThrough(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        int rounds = 1_500;
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            Chan<Timer> jobs = Chan.make();
            Chan<Received<Instant>> results = Chan.make(1);
            threads.start(() -> {
                for (int i = 0; i < rounds; i++) {
                    Timer t = jobs.receive();
                    results.send(t.c().receive(LONG));
                }
            });
            threads.start(() -> {
                for (int round = 0; round < rounds; round++) {
                    Timer t = Timers.newTimer(jitter(80_000));
                    jobs.send(t);
                    spin();
                    Instant asked = Timers.now();
                    boolean pending = t.reset(Duration.ofMillis(2));
                    Received<Instant> got = results.receive();
                    if (!got.ok()) {
                        wrong.add(round + ": receiver got nothing");
                        continue;
                    }
                    boolean fresh = !got.value().isBefore(asked.plusMillis(1));
                    if (pending && !fresh) {
                        wrong.add(round + ": reset returned true but the receiver got the old value " + got.value()
                                + " (reset at " + asked + ")");
                    }
                    if (pending) {
                        if (t.stop() || t.c().tryReceive().ok()) {
                            wrong.add(round + ": a second value after the new schedule was received");
                        }
                    } else {
                        if (fresh) {
                            wrong.add(round + ": reset returned false but the receiver got the new value");
                        }
                        Received<Instant> again = t.c().receive(LONG);
                        if (!again.ok() || again.value().isBefore(asked.plusMillis(1))) {
                            wrong.add(round + ": the new schedule after reset false: " + again);
                        }
                    }
                }
            });
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * TM1, TM3, TM6, TM15: a ticker's channel reports len 0 and cap 0 also with a tick pending; a slow receiver gets
     * one pending tick and then the next grid point after it took it (no burst); reset changes the period (the next
     * tick stamped a new period after the reset, the following one a period later); after stop nothing comes.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM1_TM3_TM15_aTickerUnderSaturationKeepsLenCapPeriodAndStop(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < 5; round++) {
                    Timer tk = Timers.newTicker(Duration.ofMillis(5));
                    Timers.sleep(Duration.ofMillis(60)); // a slow receiver: 12 periods pass
                    if (!tk.hasPendingValue()) {
                        wrong.add(round + ": no tick pending after 12 periods");
                    }
                    if (tk.c().len() != 0 || tk.c().cap() != 0) {
                        wrong.add(round + ": len/cap " + tk.c().len() + "/" + tk.c().cap() + " with a tick pending");
                    }
                    Instant beforeTake = Timers.now();
                    Received<Instant> first = tk.c().tryReceive();
                    if (!first.ok()) {
                        wrong.add(round + ": pending tick not received");
                        continue;
                    }
                    Instant second = tk.c().receive();
                    if (!second.isAfter(first.value()) || second.isBefore(beforeTake.minusMillis(1))) {
                        wrong.add(round + ": missed periods replayed: pending " + first.value() + ", next " + second
                                + ", taken at " + beforeTake);
                    }
                    // reset to a longer period
                    Instant asked = Timers.now();
                    tk.reset(Duration.ofMillis(40));
                    Instant a = tk.c().receive();
                    Instant b = tk.c().receive();
                    if (a.isBefore(asked.plusMillis(39))) {
                        wrong.add(round + ": first tick after reset(40ms) at " + asked + " stamped " + a);
                    }
                    if (Duration.between(a, b).toMillis() < 39) {
                        wrong.add(round + ": period after reset " + Duration.between(a, b));
                    }
                    tk.stop();
                    if (tk.c().receive(Duration.ofMillis(120)).ok()) {
                        wrong.add(round + ": a tick after stop");
                    }
                }
            });
            // many resets at the firing instant: nothing of an old grid after reset returns
            threads.start(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                Timer tk = Timers.newTicker(Duration.ofNanos(100_000));
                for (int round = 0; round < 1_500; round++) {
                    tk.reset(Duration.ofNanos(r.nextLong(20_000, 200_000)));
                    spin();
                    tk.c().tryReceive();
                    spin();
                    Instant asked = Timers.now();
                    tk.reset(Duration.ofMillis(30));
                    Received<Instant> v = tk.c().tryReceive();
                    if (v.ok() && v.value().isBefore(asked.plusMillis(29))) {
                        wrong.add(round + ": old grid's tick " + v.value() + " after reset(30ms) at " + asked);
                    }
                    if (tk.c().len() != 0 || tk.c().cap() != 0) {
                        wrong.add(round + ": len/cap not 0");
                    }
                }
                tk.stop();
                if (tk.c().tryReceive().ok()) {
                    wrong.add("tick after the final stop");
                }
            });
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * TM3, TM6, TM7 (Go 1.23's maybeRunChan): a ticker whose tick is pending while the timer thread is held up for 9
     * periods (no round ran) gives the pending tick, and then its next tick on the grid after the current time, never
     * a grid point 8 periods old. Go's chanrecv runs a due timer before it looks at the buffer, so the stale tick meets
     * the full buffer and is dropped, and the ticker's next time is the first grid point ahead. Before, gochan's look
     * ran only when the channel was empty, so after the pending tick it delivered the stale grid point at once: two
     * ticks back to back after a delay. The hand-driven scheduler stands for the held-up timer thread (seen for real
     * under saturation by {@link #TM1_TM3_TM15_aTickerUnderSaturationKeepsLenCapPeriodAndStop}: pending 47.7334, next
     * 47.7434 received after 47.8028).
     */
    @org.junit.jupiter.api.Test
    void TM3_TM7_aHeldUpTickerGivesThePendingTickThenTheNextGridPointAhead() {
        long ms = 1_000_000L;
        TimerRulesTest.FakeClock clock = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(clock, false, true); // runs timers on a look (TM7), as the system's
        Timer ticker = new Timer(s, true);
        Instant origin = clock.instant();
        ticker.resetNanos(10 * ms);
        clock.advance(10 * ms);
        assertThat(s.runDue()).isEqualTo(1); // tick 1 (10 ms) pending
        clock.advance(90 * ms); // now 100 ms: no round for 9 periods (the timer thread held up)
        assertThat(ticker.c().tryReceive().value()).isEqualTo(origin.plusNanos(10 * ms));
        Received<Instant> next = ticker.c().tryReceive();
        assertThat(next.notReady())
                .as("right after the pending tick, at 100 ms, a tick stamped %s (Go: none until 110 ms)",
                        next.ok() ? next.value() : null)
                .isTrue();
        clock.advance(10 * ms);
        assertThat(ticker.c().tryReceive().value()).isEqualTo(origin.plusNanos(110 * ms));
    }

    /**
     * G2: a ticker's stop() or reset(1h) at a tick, with a receiver blocked on its channel in short timed receives:
     * once the receiver has seen (before it starts a receive) that stop/reset returned, that receive gets nothing: no
     * tick of the old grid is handed to a waiting receiver after stop or reset returned.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_aTickerStoppedOrResetUnderABlockedReceiverHandsItNoOldTick(Kind kind) throws Exception {
        int rounds = 600;
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            Chan<Object[]> jobs = Chan.make();
            Chan<Boolean> ended = Chan.make();
            threads.start(() -> {
                for (int round = 0; round < rounds; round++) {
                    Object[] job = jobs.receive();
                    Timer tk = (Timer) job[0];
                    AtomicBoolean returned = (AtomicBoolean) job[1];
                    while (true) {
                        boolean after = returned.get();
                        Received<Instant> v = tk.c().receive(Duration.ofMillis(2));
                        if (after) {
                            if (v.ok()) {
                                wrong.add(round + ": tick " + v.value() + " received after " + job[2] + " returned");
                            }
                            break;
                        }
                    }
                    ended.send(true);
                }
            });
            threads.start(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int round = 0; round < rounds; round++) {
                    Timer tk = Timers.newTicker(Duration.ofNanos(r.nextLong(50_000, 400_000)));
                    AtomicBoolean returned = new AtomicBoolean();
                    boolean stop = round % 2 == 0;
                    jobs.send(new Object[] {tk, returned, stop ? "stop" : "reset(1h)"});
                    for (int k = r.nextInt(1, 20); k > 0; k--) {
                        spin();
                    }
                    if (stop) {
                        tk.stop();
                    } else {
                        tk.reset(Duration.ofHours(1));
                    }
                    returned.set(true);
                    ended.receive();
                    tk.stop();
                }
            });
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * TM7 (Go 1.23: {@code select { case <-time.After(0): default: }} takes the timer case every time): under
     * saturation, after(0), newTimer of a negative delay, and a reset to zero of a timer whose old schedule may be
     * firing at that instant, are ready to a look that does not wait, once each; then stop is false and nothing more
     * comes.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM7_aTimerDueNowIsReadyToTheNextLookEveryTime(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 2; th++) {
                threads.start(() -> {
                    Timer t = Timers.newTimer(Duration.ofHours(1));
                    for (int round = 0; round < 5_000; round++) {
                        if (!Timers.after(Duration.ZERO).tryReceive().ok()) {
                            wrong.add(round + ": after(0) not ready to tryReceive");
                        }
                        Timer neg = Timers.newTimer(Duration.ofNanos(-1));
                        if (!neg.c().receive(Duration.ZERO).ok() || neg.stop()) {
                            wrong.add(round + ": newTimer(-1ns) not ready to receive(0), or still pending");
                        }
                        t.reset(jitter(30_000)); // may fire while it is reset to now
                        spin();
                        Instant asked = Timers.now();
                        t.reset(Duration.ZERO);
                        Received<Instant> v = t.c().tryReceive();
                        if (!v.ok()) {
                            wrong.add(round + ": reset(0) not ready to tryReceive");
                        } else if (v.value().isBefore(asked.minusMillis(1))) {
                            wrong.add(round + ": old schedule's " + v.value() + " after reset(0) at " + asked);
                        }
                        if (t.stop() || t.c().tryReceive().ok()) {
                            wrong.add(round + ": pending or a second value after reset(0) was received");
                        }
                    }
                });
            }
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * G2 (Go's AfterFunc Stop): stop() true means the function never runs; false means it ran or was started and
     * then runs exactly once; a second stop is false. 3,000 timers from each of 2 threads, stopped around the firing.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_anAfterFuncStoppedAtItsFiringRunsExactlyWhenStopReturnedFalse(Kind kind) throws Exception {
        int perThread = 3_000;
        AtomicIntegerArray runs = new AtomicIntegerArray(2 * perThread);
        boolean[] stopped = new boolean[2 * perThread];
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger falses = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 2; th++) {
                int base = th * perThread;
                threads.start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        int id = base + i;
                        Timer t = Timers.afterFunc(jitter(60_000), () -> {
                            runs.incrementAndGet(id);
                            ran.incrementAndGet();
                        });
                        spin();
                        boolean st = t.stop();
                        stopped[id] = st;
                        if (!st) {
                            falses.incrementAndGet();
                        }
                        if (t.stop()) {
                            wrong.add(id + ": second stop true");
                        }
                    }
                });
            }
        }
        Threads.awaitTrue(() -> ran.get() >= falses.get(), "every function whose stop returned false to run");
        Timers.sleep(Duration.ofMillis(300)); // a generous bound for a function wrongly started after stop() true
        for (int id = 0; id < 2 * perThread; id++) {
            int n = runs.get(id);
            if (stopped[id] && n != 0) {
                wrong.add(id + ": stop() returned true but the function ran " + n + " times");
            }
            if (!stopped[id] && n != 1) {
                wrong.add(id + ": stop() returned false but the function ran " + n + " times");
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(falses.get()).as("the race was run: some stops came too late").isPositive();
    }

    /**
     * G2, TM14: 4,000 timers, half of them with one equal deadline, half with shuffled deadlines 0.1 ms apart, armed in
     * random order and each waited on by a receiver that takes its timers in deadline order: none is lost, none is
     * received before its deadline, each value is its due instant, and values follow the deadlines' order.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G2_TM14_thousandsOfEqualAndShuffledDeadlinesFireInOrderNoneLost(Kind kind) throws Exception {
        int n = 4_000;
        int receivers = kind == Kind.VIRTUAL ? 400 : 100;
        long baseNanos = System.nanoTime() + 300_000_000L;
        Instant baseWall = Timers.now().plusNanos(baseNanos - System.nanoTime());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order);
        long[] offset = new long[n];
        for (int i = 0; i < n; i++) {
            offset[i] = i < n / 2 ? 0L : (i - n / 2) * 100_000L; // equal, then 0.1 ms apart up to 200 ms
        }
        Timer[] timers = new Timer[n];
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3)) {
            for (int i : order) {
                timers[i] = Timers.newTimer(Duration.ofNanos(baseNanos + offset[i] - System.nanoTime()));
            }
            assertThat(System.nanoTime()).as("all armed before the first deadline (test setup)").isLessThan(baseNanos);
            try (Threads threads = new Threads(kind)) {
                for (int rcv = 0; rcv < receivers; rcv++) {
                    int first = rcv;
                    threads.start(() -> {
                        Instant prev = Instant.EPOCH;
                        for (int i = first; i < n; i += receivers) { // ascending index = ascending deadline
                            Received<Instant> v = timers[i].c().receive(LONG);
                            long at = System.nanoTime();
                            if (!v.ok()) {
                                wrong.add("timer " + i + " lost");
                                continue;
                            }
                            if (at < baseNanos + offset[i]) {
                                wrong.add("timer " + i + " received " + (baseNanos + offset[i] - at) + " ns early");
                            }
                            Instant due = baseWall.plusNanos(offset[i]);
                            if (v.value().isBefore(due.minusMillis(2)) || v.value().isAfter(due.plusMillis(50))) {
                                wrong.add("timer " + i + " stamped " + v.value() + ", due " + due);
                            }
                            if (v.value().isBefore(prev.minusMillis(20))) { // equal deadlines differ by the arming's delay (preemption)
                                wrong.add("timer " + i + " stamped " + v.value() + " before an earlier deadline's " + prev);
                            }
                            prev = v.value();
                        }
                    });
                }
            }
        }
        for (Timer t : timers) {
            if (t.stop()) {
                wrong.add("a timer still pending after its value was received");
            }
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * I1, I2, G2: a thread blocked in a receive from a one-shot timer's channel, interrupted as the timer fires,
     * either gets the value (flag kept) or throws InterruptedException (flag cleared) and the value is then still
     * there: one value per timer, never lost, never doubled. The same on a done() channel racing its cancel.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I1_I2_anInterruptedReceiveOnATimerOrDoneLosesNoValue(Kind kind) throws Exception {
        int rounds = 1_000;
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger interrupted = new AtomicInteger();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            Chan<Object> jobs = Chan.make();
            Chan<Boolean> ready = Chan.make(1);
            Chan<String> done = Chan.make(1);
            Chan<Boolean> interruptSent = Chan.make(1);
            Thread receiver = threads.start(() -> {
                for (int i = 0; i < 2 * rounds; i++) {
                    Object job = jobs.receive();
                    ready.send(true);
                    String outcome;
                    if (job instanceof Timer t) {
                        try {
                            t.c().receive();
                            outcome = "value";
                            if (t.c().tryReceive().ok()) {
                                outcome = "doubled";
                            }
                        } catch (InterruptedException e) {
                            interrupted.incrementAndGet();
                            if (Thread.currentThread().isInterrupted()) {
                                outcome = "flag kept after InterruptedException";
                            } else {
                                Received<Instant> later = t.c().receive(LONG);
                                outcome = later.ok() ? "interrupted, value later" : "interrupted, value LOST";
                            }
                        }
                    } else {
                        CancellableContext c = (CancellableContext) job;
                        try {
                            Received<Object> r = c.done().receiveOk();
                            outcome = r.closed() && c.err() != null ? "closed" : "done() not closed: " + r;
                        } catch (InterruptedException e) {
                            interrupted.incrementAndGet();
                            Received<Object> later = c.done().receive(LONG);
                            outcome = later.closed() && c.err() != null ? "interrupted, closed later"
                                    : "interrupted, done() LOST: " + later;
                        }
                    }
                    // the round's interrupt has been made once its signal is here; it is consumed before the next
                    while (true) {
                        try {
                            interruptSent.receive();
                            break;
                        } catch (InterruptedException e) {
                            // the round's interrupt, landing after the outcome
                        }
                    }
                    Thread.interrupted();
                    done.send(outcome);
                }
            });
            threads.start(() -> {
                for (int round = 0; round < 2 * rounds; round++) {
                    boolean timer = round % 2 == 0;
                    Timer t = timer ? Timers.newTimer(jitter(100_000)) : null;
                    CancellableContext c = timer ? null : Context.withCancel(Context.background());
                    jobs.send(timer ? t : c);
                    ready.receive();
                    spin();
                    if (!timer) {
                        if (ThreadLocalRandom.current().nextBoolean()) {
                            c.cancel();
                            receiver.interrupt();
                        } else {
                            receiver.interrupt();
                            c.cancel();
                        }
                    } else {
                        receiver.interrupt();
                    }
                    interruptSent.send(true);
                    String outcome = done.receive();
                    if (outcome.contains("LOST") || outcome.contains("doubled") || outcome.contains("kept")
                            || outcome.contains("not closed")) {
                        wrong.add(round + ": " + outcome);
                    }
                }
            });
        }
        assertThat(wrong).isEmpty();
        assertThat(interrupted.get()).as("the interrupt won some races").isPositive();
    }

    // ------------------------------------------------------------------------------------------ contexts

    /**
     * G3, CX1, CX4, CX5: a root 10,000 children wide (of every kind), cancelled by 4 threads at once with 4 different
     * causes while 16 threads wait on children's done() and 4 poll isDone(): exactly one cause wins, seen by every
     * child (error instance shared, CX18); each canceller, as its cancel returns, finds every child done with that
     * outcome (CX4: also the losers); a thread that sees done() closed or isDone() true reads err() and cause()
     * non-null and the winner's.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX1_CX4_CX5_tenThousandChildrenCancelledByRacingCausesEndWithOneCause(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        ContextKey<String> key = ContextKey.of("k");
        for (int rep = 0; rep < 3; rep++) {
            CancellableContext root = Context.withCancelCause(Context.background());
            int n = 10_000;
            List<Context> kids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                kids.add(switch (i % 5) {
                    case 0 -> Context.withCancel(root);
                    case 1 -> Context.withTimeout(root, Duration.ofHours(1));
                    case 2 -> Context.withDeadline(root, Instant.now().plusSeconds(3600), new RuntimeException("own"));
                    case 3 -> Context.withCancel(Context.withValue(root, key, "v"));
                    default -> Context.withCancel(Context.withCancel(root)); // a grandchild
                });
            }
            Throwable[] causes = new Throwable[4];
            for (int i = 0; i < 4; i++) {
                causes[i] = new RuntimeException("cause " + i);
            }
            CyclicBarrier go = new CyclicBarrier(4);
            CountDownLatch waiting = new CountDownLatch(16);
            try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
                for (int w = 0; w < 16; w++) {
                    Context kid = kids.get(ThreadLocalRandom.current().nextInt(n));
                    threads.start(() -> {
                        waiting.countDown();
                        Received<Object> r = kid.done().receiveOk();
                        CancellationException e = kid.err();
                        Throwable c = kid.cause();
                        if (!r.closed() || e == null || c == null) {
                            wrong.add("woken by done() but err " + e + " cause " + c);
                        }
                    });
                }
                for (int w = 0; w < 4; w++) {
                    threads.start(() -> {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        waiting.await();
                        while (true) {
                            Context kid = kids.get(r.nextInt(n));
                            if (kid.isDone()) {
                                if (kid.err() == null || kid.cause() == null) {
                                    wrong.add("isDone() true but err " + kid.err() + " cause " + kid.cause());
                                }
                                if (kids.get(0).isDone() && kids.get(n - 1).isDone()) {
                                    return;
                                }
                            }
                            Threads.letOthersRun(); // a virtual poller that never parks would keep the cancellers off the carriers
                        }
                    });
                }
                for (int w = 0; w < 4; w++) {
                    Throwable cause = causes[w];
                    threads.start(() -> {
                        waiting.await();
                        go.await();
                        root.cancel(cause);
                        Throwable winner = root.cause();
                        CancellationException err = root.err();
                        int notDone = 0;
                        int other = 0;
                        for (Context kid : kids) {
                            if (!kid.isDone() || !kid.done().tryReceive().closed()) {
                                notDone++;
                            } else if (kid.cause() != winner || kid.err() != err) {
                                other++;
                            }
                        }
                        if (notDone + other > 0) {
                            wrong.add("after cancel(" + cause.getMessage() + ") returned: " + notDone + " children not"
                                    + " done, " + other + " with another outcome than the root's " + winner);
                        }
                    });
                }
            }
            assertThat(List.of(causes)).contains(root.cause());
            assertThat(root.err()).isInstanceOf(ContextCanceledException.class);
            assertThat(((Contexts.CancelContext) root).childCount()).isZero();
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * G3, CX2, CX6, CX12: withDeadline in the past is done as it returns (DeadlineExceededException, its own cause);
     * a child asking a later deadline than its parent's has the parent's, and when the parent's deadline passes it is
     * done with DeadlineExceededException and the parent's cause; a child's earlier deadline is its own. Many rounds
     * from 4 threads under saturation.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX2_CX6_CX12_deadlinesPastInheritedAndOwnUnderSaturation(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 4; th++) {
                threads.start(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int round = 0; round < 300; round++) {
                        RuntimeException pc = new RuntimeException("parent");
                        RuntimeException cc = new RuntimeException("child");
                        CancellableContext past = Context.withDeadline(Context.background(),
                                Timers.now().minusNanos(r.nextLong(1, 1_000_000)), cc);
                        if (!past.isDone() || !(past.err() instanceof DeadlineExceededException) || past.cause() != cc
                                || !past.done().tryReceive().closed()) {
                            wrong.add("past deadline: done " + past.isDone() + " err " + past.err() + " cause "
                                    + past.cause());
                        }
                        CancellableContext parent = Context.withTimeout(Context.background(),
                                Duration.ofNanos(r.nextLong(0, 2_000_000)), pc);
                        CancellableContext later = Context.withTimeout(parent, Duration.ofHours(1), cc);
                        CancellableContext earlier = Context.withDeadline(parent, Instant.MIN.plusSeconds(1), cc);
                        if (!later.deadline().equals(parent.deadline())) {
                            wrong.add("later child's deadline " + later.deadline() + " parent's " + parent.deadline());
                        }
                        if (!earlier.isDone() || earlier.cause() != cc && earlier.cause() != pc) {
                            wrong.add("an earlier child's own past deadline: " + earlier.err() + "/" + earlier.cause());
                        }
                        later.done().receiveOk(); // closed when the parent's deadline passes
                        if (!(later.err() instanceof DeadlineExceededException) || later.cause() != pc) {
                            wrong.add("inheriting child: err " + later.err() + " cause " + later.cause());
                        }
                        if (parent.cause() != pc || later.err() != parent.err()) {
                            wrong.add("parent: " + parent.err() + "/" + parent.cause() + " child err not shared");
                        }
                        later.cancel(new RuntimeException("late")); // no-op
                        if (later.cause() != pc) {
                            wrong.add("a late cancel changed the cause");
                        }
                    }
                });
            }
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * CX4, CX5, CX6 (Go: whichever cancel takes a context's mutex first sets its err and cause and cancels its
     * children with them): a parent cancelled with its cause at the instant 40 children's own deadlines pass (each with
     * its deadline cause, each with a grandchild and a value-context grandchild): every child is done when cancel
     * returns, with the parent's pair (ContextCanceledException, parent cause) or its own (DeadlineExceededException,
     * its deadline cause), never a mix, and each grandchild has exactly its own parent's error instance and cause.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX4_CX5_CX6_aCancelRacingChildDeadlinesGivesEverySubtreeOneOutcome(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        ContextKey<String> key = ContextKey.of("k");
        AtomicInteger own = new AtomicInteger();
        AtomicInteger parents = new AtomicInteger();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 2; th++) {
                threads.start(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int round = 0; round < 300; round++) {
                        CancellableContext root = Context.withCancelCause(Context.background());
                        RuntimeException rootCause = new RuntimeException("root");
                        int n = 40;
                        CancellableContext[] kids = new CancellableContext[n];
                        RuntimeException[] kidCause = new RuntimeException[n];
                        Context[][] grand = new Context[n][];
                        for (int i = 0; i < n; i++) {
                            kidCause[i] = new RuntimeException("deadline " + i);
                            kids[i] = Context.withTimeout(root, jitter(150_000), kidCause[i]);
                            grand[i] = new Context[] {Context.withCancel(kids[i]),
                                    Context.withCancel(Context.withValue(kids[i], key, "v")),
                                    Context.withTimeout(kids[i], Duration.ofHours(1))};
                        }
                        for (int k = r.nextInt(1, 60); k > 0; k--) {
                            spin();
                        }
                        root.cancel(rootCause);
                        for (int i = 0; i < n; i++) {
                            CancellableContext c = kids[i];
                            CancellationException e = c.err();
                            Throwable cause = c.cause();
                            boolean byRoot = e instanceof ContextCanceledException && cause == rootCause
                                    && e == root.err();
                            boolean byOwn = e instanceof DeadlineExceededException && cause == kidCause[i];
                            if (byRoot) {
                                parents.incrementAndGet();
                            } else if (byOwn) {
                                own.incrementAndGet();
                            } else {
                                wrong.add(round + "/" + i + ": child err " + e + " cause " + cause);
                            }
                            for (Context g : grand[i]) {
                                if (g.err() != e || g.cause() != cause) {
                                    wrong.add(round + "/" + i + ": grandchild " + g.err() + "/" + g.cause()
                                            + " against its parent's " + e + "/" + cause);
                                }
                            }
                        }
                    }
                });
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(own.get()).as("some deadlines won").isPositive();
        assertThat(parents.get()).as("some cancels won").isPositive();
    }

    /**
     * CX8 (Go's context.AfterFunc): f runs exactly once after the context is done; stop() true means f never runs,
     * false means it was started (or already stopped); a second stop is false; a registration on a done context runs
     * f at once and its stop is false. Stops race the context's own deadline under saturation.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX8_contextAfterFuncRunsOnceAndStopIsExactUnderSaturation(Kind kind) throws Exception {
        int perThread = 1_500;
        AtomicIntegerArray runs = new AtomicIntegerArray(4 * perThread);
        boolean[] stopped = new boolean[4 * perThread];
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger expect = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 2; th++) {
                int base = th * 2 * perThread;
                threads.start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        int id = base + 2 * i;
                        CancellableContext c = Context.withTimeout(Context.background(), jitter(80_000));
                        AfterFunc a = Context.afterFunc(c, () -> {
                            runs.incrementAndGet(id);
                            ran.incrementAndGet();
                        });
                        spin();
                        boolean st = a.stop();
                        stopped[id] = st;
                        if (!st) {
                            expect.incrementAndGet();
                        }
                        if (a.stop()) {
                            wrong.add(id + ": second stop true");
                        }
                        c.cancel();
                        // on a done context: runs at once, stop false
                        int id2 = id + 1;
                        AfterFunc b = Context.afterFunc(c, () -> {
                            runs.incrementAndGet(id2);
                            ran.incrementAndGet();
                        });
                        expect.incrementAndGet();
                        if (b.stop()) {
                            wrong.add(id2 + ": stop of a registration on a done context true");
                        }
                        if (((Contexts.CancelContext) c).childCount() != 0) {
                            wrong.add(id + ": registration left on the cancelled context");
                        }
                    }
                });
            }
        }
        Threads.awaitTrue(() -> ran.get() >= expect.get(), "every function whose stop returned false to run");
        Timers.sleep(Duration.ofMillis(300));
        for (int id = 0; id < 4 * perThread; id++) {
            int n = runs.get(id);
            if (stopped[id] && n != 0 || !stopped[id] && n != 1) {
                wrong.add(id + ": stop() " + stopped[id] + " and the function ran " + n + " times");
            }
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * CX7: withoutCancel of a context that is then cancelled (or whose deadline passes) keeps its values, has no
     * deadline, a done() that never delivers and null err()/cause(); its children end only by their own cancel or
     * deadline; an afterFunc on it never runs and its first stop is true (Go's stop of a never-run AfterFunc).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX7_aDetachedContextIgnoresItsParentUnderSaturation(Kind kind) throws Exception {
        ContextKey<String> key = ContextKey.of("req");
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger ranDetached = new AtomicInteger();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int round = 0; round < 500; round++) {
                    CancellableContext parent = Context.withTimeout(Context.withValue(Context.background(), key, "r"),
                            Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 200_000)));
                    Context detached = Context.withoutCancel(parent);
                    AfterFunc a = Context.afterFunc(detached, ranDetached::incrementAndGet);
                    CancellableContext own = Context.withTimeout(detached, Duration.ofMillis(1));
                    CancellableContext plain = Context.withCancel(detached);
                    parent.done().receiveOk();
                    if (detached.isDone() || detached.err() != null || detached.cause() != null
                            || detached.deadline().isPresent() || !detached.done().tryReceive().notReady()
                            || !"r".equals(detached.value(key).orElse(null))) {
                        wrong.add(round + ": detached context changed with its parent");
                    }
                    own.done().receiveOk();
                    if (!(own.err() instanceof DeadlineExceededException)) {
                        wrong.add(round + ": own deadline " + own.err());
                    }
                    if (plain.isDone()) {
                        wrong.add(round + ": a detached child cancelled by the parent");
                    }
                    plain.cancel();
                    if (!a.stop() || a.stop()) {
                        wrong.add(round + ": afterFunc on a never-done context: stop not true once then false");
                    }
                }
            });
        }
        assertThat(ranDetached.get()).isZero();
        assertThat(wrong).isEmpty();
    }

    /**
     * G3, CX16: a long-lived parent keeps nothing of children that ended (cancelled, their deadline passed, or their
     * afterFunc stopped): none stays registered and every one is collected while the parent lives. A context held only
     * by its child (a value context between) goes with that child.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G3_CX16_endedChildrenOfALongLivedParentAreCollected(Kind kind) throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        ContextKey<Integer> key = ContextKey.of("i");
        ConcurrentLinkedQueue<WeakReference<Object>> refs = new ConcurrentLinkedQueue<>();
        try (Saturation s = new Saturation(3); Threads threads = new Threads(kind)) {
            for (int th = 0; th < 4; th++) {
                threads.start(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        switch (i % 4) {
                            case 0 -> {
                                CancellableContext c = Context.withCancel(parent);
                                refs.add(new WeakReference<>(c));
                                c.cancel();
                            }
                            case 1 -> {
                                Context mid = Context.withValue(parent, key, i); // held only by its child
                                CancellableContext c = Context.withTimeout(mid, Duration.ofHours(1));
                                refs.add(new WeakReference<>(mid));
                                refs.add(new WeakReference<>(c));
                                c.cancel();
                            }
                            case 2 -> {
                                CancellableContext c = Context.withTimeout(parent, jitter(100_000));
                                refs.add(new WeakReference<>(c));
                                c.done().receiveOk(); // its deadline ends it
                            }
                            default -> {
                                AfterFunc a = Context.afterFunc(parent, () -> { });
                                refs.add(new WeakReference<>(a));
                                a.stop();
                            }
                        }
                    }
                });
            }
        }
        assertThat(((Contexts.CancelContext) parent).childCount()).isZero();
        Threads.awaitTrue(() -> {
            System.gc();
            return refs.stream().allMatch(r -> r.get() == null);
        }, "every ended child to be collected while the parent lives");
        assertThat(parent.isDone()).isFalse();
        parent.cancel();
    }
}
