package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import io.gochan.TimerRulesTest.FakeClock;
import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules TM14, TM15, CX18, CX19 and G10 (docs/spec/context-timers.md): promises that Go's own tests of package
 * {@code time} (sleep_test.go, tick_test.go: TestAfterTimes, TestChan, TestAdjustTimers, TestTimerModifiedEarlier,
 * TestTickerConcurrentStress, TestAfterFunc) and {@code context} (x_test.go: TestAfterFuncCalledAsynchronously,
 * TestValues) make, checked here.
 */
@ExtendWith(NoNewGoroutines.class)
class TimerContextParityTest {
    static final Duration LONG = Duration.ofSeconds(30);

    private static long ms(long n) {
        return TimeUnit.MILLISECONDS.toNanos(n);
    }

    /**
     * TM14: a timer delivers the time it was due, however late the timer thread's round takes it (Go 1.23's
     * {@code sendTime} subtracts the delay; TestAfterTimes: {@code After(10ms)} read after 500 ms gives start+10ms).
     * A ticker held up past several periods delivers the first grid point it missed. Before, a round delivered
     * its own instant: 500 ms here.
     */
    @Test
    void TM14_aLateRoundDeliversTheTimeTheTimerWasDue() {
        FakeClock clock = new FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false);
        Instant start = clock.instant();
        Timer timer = new Timer(scheduler, false);
        timer.resetNanos(ms(10));
        Timer ticker = new Timer(scheduler, true);
        ticker.resetNanos(ms(5));
        clock.advance(ms(500));
        assertThat(scheduler.runDue()).isEqualTo(2);
        assertThat(timer.c().tryReceive().value()).isEqualTo(start.plusNanos(ms(10)));
        assertThat(ticker.c().tryReceive().value()).isEqualTo(start.plusNanos(ms(5)));
        clock.advance(ms(2)); // 502: the ticker's grid after 500 is 505
        assertThat(scheduler.runDue()).isZero();
        clock.advance(ms(7)); // 509
        assertThat(scheduler.runDue()).isEqualTo(1);
        assertThat(ticker.c().tryReceive().value()).isEqualTo(start.plusNanos(ms(505)));
        ticker.stop();
        assertThat(scheduler.pending()).isZero();
    }

    /**
     * TM14, TM12: a firing retried because its hand-off thread could not start delivers the time it was first
     * due. Before, the retry delivered the retry round's instant, 100 ms later.
     */
    @Test
    void TM14_aRetriedFiringDeliversItsFirstDueTime() throws Exception {
        Executor failing = work -> {
            throw new OutOfMemoryError("simulated: unable to create native thread");
        };
        FakeClock clock = new FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false, false, failing);
        Instant start = clock.instant();
        Timer byRound = new Timer(scheduler, false);
        Timer second = new Timer(scheduler, false);
        ChannelCore roundCore = ChannelCores.of(byRound.c());
        ChannelCore secondCore = ChannelCores.of(second.c());
        byRound.resetNanos(10);
        second.resetNanos(20);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Threads threads = new Threads(Kind.PLATFORM)) {
            threads.start(() -> {
                roundCore.lock(); // both deliveries find the lock busy and are handed off, which fails
                secondCore.lock();
                try {
                    held.countDown();
                    release.await();
                } finally {
                    secondCore.unlock();
                    roundCore.unlock();
                }
            });
            try {
                held.await();
                clock.advance(30);
                assertThat(scheduler.runDue()).isEqualTo(2);
            } finally {
                release.countDown();
            }
        }
        clock.advance(TimerScheduler.RETRY_NANOS);
        assertThat(scheduler.runDue()).as("both retries").isEqualTo(2);
        assertThat(byRound.c().tryReceive().value()).isEqualTo(start.plusNanos(10));
        assertThat(second.c().tryReceive().value()).isEqualTo(start.plusNanos(20));
        assertThat(scheduler.pending()).isZero();
    }

    /**
     * TM15: a ticker's reset starts a new grid one new period after the reset (Go: "the next tick will arrive
     * after the new period elapses"), and a stopped ticker's reset starts it again, as Go's TestChan resets a
     * stopped ticker; a timer's reset after its value was received returns false and fires again.
     */
    @Test
    void TM15_aTickersResetStartsANewGridAndRestartsAStoppedTicker() {
        FakeClock clock = new FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false);
        Timer ticker = new Timer(scheduler, true);
        ticker.resetNanos(ms(10));
        clock.advance(ms(7));
        assertThat(ticker.resetNanos(ms(10))).isTrue();
        clock.advance(ms(5)); // 12: the old grid's tick at 10 is gone
        assertThat(scheduler.runDue()).isZero();
        clock.advance(ms(5)); // 17
        assertThat(scheduler.runDue()).isEqualTo(1);
        assertThat(ticker.c().tryReceive().ok()).isTrue();
        assertThat(ticker.stop()).isTrue();
        clock.advance(ms(50));
        assertThat(scheduler.runDue()).isZero();
        assertThat(ticker.c().tryReceive().notReady()).isTrue();
        assertThat(ticker.resetNanos(ms(10))).as("a stopped ticker was not pending").isFalse();
        clock.advance(ms(10));
        assertThat(scheduler.runDue()).isEqualTo(1);
        assertThat(ticker.c().tryReceive().ok()).as("the reset restarted it").isTrue();
        ticker.stop();

        Timer timer = new Timer(scheduler, false);
        timer.resetNanos(ms(1));
        clock.advance(ms(1));
        scheduler.runDue();
        assertThat(timer.c().tryReceive().ok()).isTrue();
        assertThat(timer.resetNanos(0)).as("reset of a received timer (TestAdjustTimers)").isFalse();
        scheduler.runDue();
        assertThat(timer.c().tryReceive().ok()).as("it fires again").isTrue();
        assertThat(scheduler.pending()).isZero();
    }

    /**
     * TM15: receivers blocked on a timer's channel (Go's TestChan: "stop while timer in heap because goroutine is
     * blocked") are not woken by a reset far away nor by a stop, and are woken by a reset to now: one of them for
     * a one-shot timer (nothing is left for the other), every one for a 1 ns ticker.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM15_blockedReceiversAreWokenByAResetToNowNeverByAStop(Kind kind) throws Exception {
        for (boolean isTicker : new boolean[] {false, true}) {
            Timer t = isTicker ? Timers.newTicker(Duration.ofHours(1)) : Timers.newTimer(Duration.ofHours(1));
            AtomicInteger got = new AtomicInteger();
            CancellableContext giveUp = Context.withCancel(Context.background());
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < 2; i++) {
                    threads.start(() -> {
                        try {
                            t.c().receive(giveUp);
                            got.incrementAndGet();
                        } catch (CancellationException e) {
                            // the test is over for this receiver
                        }
                    });
                }
                ChannelCore core = ChannelCores.of(t.c());
                Threads.awaitTrue(() -> core.waitingReceivers() == 2, "two receivers wait");
                assertThat(t.reset(Duration.ofHours(2))).isTrue();
                assertThat(t.stop()).isTrue();
                assertThat(core.waitingReceivers()).as("nobody woken by a far reset or a stop").isEqualTo(2);
                assertThat(got).hasValue(0);
                assertThat(t.reset(isTicker ? Duration.ofNanos(1) : Duration.ZERO)).as("stopped: not pending").isFalse();
                Threads.awaitTrue(() -> got.get() == (isTicker ? 2 : 1), "woken by the reset");
                if (!isTicker) {
                    assertThat(t.c().tryReceive().notReady()).as("a one-shot's one value").isTrue();
                    assertThat(core.waitingReceivers()).isEqualTo(1);
                }
                t.stop();
                giveUp.cancel();
            }
            assertThat(got.get()).isEqualTo(isTicker ? 2 : 1);
        }
    }

    /**
     * TM15: a timer moved to the past again and again, stopped and drained in between, fires once
     * (TestTimerModifiedEarlier); ten receivers of one 1 ns ticker each get their 100 ticks
     * (TestTickerConcurrentStress); an afterFunc that arms another afterFunc(0) from its function, ten deep, runs
     * every one (TestAfterFunc).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM15_timersMovedEarlierTickersSharedAndAfterFuncsChainedAsInGo(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int n = 0; n < 200; n++) {
                    Timer t = Timers.newTimer(Duration.ofHours(1));
                    for (int j = 0; j < 10; j++) {
                        if (!t.stop()) {
                            t.c().receive();
                        }
                        t.reset(Duration.ofSeconds(-1_000));
                    }
                    assertThat(t.c().receive(LONG).ok()).isTrue();
                    assertThat(t.c().tryReceive().notReady()).isTrue();
                }
            });
        }
        Timer ticker = Timers.newTicker(Duration.ofNanos(1));
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 10; i++) {
                threads.start(() -> {
                    for (int j = 0; j < 100; j++) {
                        assertThat(ticker.c().receive(LONG).ok()).isTrue();
                    }
                });
            }
        }
        ticker.stop();
        Chan<Boolean> chained = Chan.make(1);
        AtomicInteger left = new AtomicInteger(10);
        Task[] f = new Task[1];
        f[0] = () -> {
            if (left.decrementAndGet() >= 0) {
                Timers.afterFunc(Duration.ZERO, f[0]);
            } else {
                chained.send(true);
            }
        };
        Timers.afterFunc(Duration.ZERO, f[0]);
        assertThat(chained.receive(LONG).ok()).isTrue();
    }

    /**
     * TM15 in a virtual-time bubble: an {@code afterFunc} timer re-armed from its own function (Go's {@code Reset} on a
     * func timer whose function started: it returns false and "schedules f to run again") runs once per reset, each run
     * exactly one delay after the one before on the bubble's clock, whether the delay is zero (due at once: BB27) or
     * not; once the chain ends, {@code stop()} finds nothing to prevent. A guard from session 34's pressure probes (no
     * defect found): the system-clock form is {@code TimerContextPressureTest}.
     */
    @Test
    void TM15_BB27_anAfterFuncResetFromItsOwnFunctionInABubbleRunsOncePerResetOnTheClock() throws Exception {
        int chain = 100;
        for (Duration d : List.of(Duration.ZERO, Duration.ofMillis(1))) {
            // Each run adds its reset's result after the reset returned, when the next run may already be going: the
            // last run can report to the body before the one before it has added its result. So they are counted
            // once Bubble.run has waited for every goroutine of the bubble to end.
            ConcurrentLinkedQueue<Boolean> resets = new ConcurrentLinkedQueue<>();
            Bubble.run(() -> {
                Instant start = Timers.now();
                ConcurrentLinkedQueue<Instant> ranAt = new ConcurrentLinkedQueue<>();
                Timer[] self = new Timer[1];
                CountDownLatch armed = new CountDownLatch(1);
                Chan<Integer> finished = Chan.make(1);
                self[0] = Timers.afterFunc(d, () -> {
                    armed.await(); // a zero delay may run the function before afterFunc returned
                    ranAt.add(Timers.now());
                    if (ranAt.size() < chain) {
                        resets.add(self[0].reset(d));
                    } else {
                        finished.send(ranAt.size());
                    }
                });
                armed.countDown();
                assertThat(finished.receive()).isEqualTo(chain);
                assertThat(self[0].stop()).as("the last run re-armed nothing").isFalse();
                List<Instant> expected = new ArrayList<>();
                for (int i = 1; i <= chain; i++) {
                    expected.add(start.plus(d.multipliedBy(i)));
                }
                assertThat(ranAt).containsExactlyElementsOf(expected);
            });
            assertThat(resets).hasSize(chain - 1).containsOnly(false);
        }
    }

    /**
     * CX18: the errors read as Go's ({@code context canceled}, {@code context deadline exceeded}); a cancel does
     * not wait for an afterFunc's function (TestAfterFuncCalledAsynchronously: the function blocks until the
     * canceller, after its cancel returned, receives); registrations are independent (stopping one leaves the
     * others).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX18_errorsReadAsGosAndAfterFuncsAreAsynchronousAndIndependent(Kind kind) throws Exception {
        CancellableContext cancelled = Context.withCancel(Context.background());
        cancelled.cancel();
        assertThat(cancelled.err()).hasMessage("context canceled").hasNoCause();
        CancellableContext expired = Context.withTimeout(Context.background(), Duration.ZERO);
        assertThat(expired.err()).hasMessage("context deadline exceeded").hasNoCause();

        CancellableContext ctx = Context.withCancel(Context.background());
        Chan<Integer> donec = Chan.make();
        AfterFunc blocking = Context.afterFunc(ctx, () -> {
            try {
                donec.send(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        AtomicInteger runs = new AtomicInteger();
        AfterFunc other = Context.afterFunc(ctx, runs::incrementAndGet);
        AfterFunc stopped = Context.afterFunc(ctx, runs::incrementAndGet);
        assertThat(stopped.stop()).isTrue();
        try (Threads threads = new Threads(kind)) {
            threads.start(ctx::cancel); // returns while the blocking function waits for its receiver
        }
        assertThat(donec.receive(LONG).value()).isEqualTo(1);
        Threads.awaitTrue(() -> runs.get() == 1, "the other registration ran");
        assertThat(blocking.stop()).isFalse();
        assertThat(other.stop()).isFalse();
        assertThat(stopped.stop()).isFalse();
        assertThat(runs).hasValue(1);
    }

    /**
     * CX19: a value is never null, so a binding cannot be masked by a null one as Go's
     * {@code WithValue(ctx, k, nil)} masks it (TestValues); the call is refused, naming the parameter, and the
     * parent's binding stays visible through any other child.
     */
    @Test
    void CX19_aNullValueIsRefusedNotAMask() {
        ContextKey<String> key = ContextKey.of("k1");
        Context bound = Context.withValue(Context.background(), key, "c1k1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Context.withValue(bound, key, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("value");
        Context shadow = Context.withValue(bound, key, "c4k1");
        assertThat(shadow.value(key)).contains("c4k1");
        assertThat(bound.value(key)).contains("c1k1");
    }

    /**
     * G10: 10,000 timers (one-shots and tickers) armed by 20 threads and, while they fire, reset and stopped from
     * 20 others: after any stop or reset returned, no value of an older schedule is received (each value is
     * stamped no earlier than the schedule it belongs to was due); every one-shot reset to fire does fire
     * (and only once: nothing is received after its stop); once all are stopped nothing is left scheduled. The
     * values are stamped with the time they were due (TM14), so one stamped before a reset (by more than the
     * 1 ms the wall clock may differ from the monotonic one) belongs to an older schedule.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G10_tenThousandTimersResetAndStoppedWhileFiringDeliverNoOldValueAndLoseNone(Kind kind) throws Exception {
        int threadsN = 20;
        int perThread = 500;
        int before = Timers.pendingTasks();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        CyclicBarrier barrier = new CyclicBarrier(threadsN);
        try (Threads threads = new Threads(kind)) {
            for (int th = 0; th < threadsN; th++) {
                int base = th * perThread;
                threads.start(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    Timer[] timers = new Timer[perThread];
                    barrier.await();
                    for (int i = 0; i < perThread; i++) {
                        Duration d = Duration.ofNanos(r.nextLong(0, 1_000_000));
                        timers[i] = i % 5 == 0 ? Timers.newTicker(d.plusNanos(1)) : Timers.newTimer(d);
                    }
                    for (int i = 0; i < perThread; i++) {
                        Timer t = timers[i];
                        String id = "timer " + (base + i);
                        for (int k = 0; k < 3; k++) {
                            Instant asked = Timers.now();
                            boolean stop = r.nextInt(3) == 0;
                            if (stop) {
                                t.stop();
                            } else {
                                t.reset(Duration.ofNanos(r.nextLong(0, 200_000) + (i % 5 == 0 ? 1 : 0)));
                            }
                            Received<Instant> v = t.c().tryReceive();
                            if (stop && v.ok()) {
                                wrong.add(id + ": a value after stop returned");
                            }
                            if (v.ok() && v.value().isBefore(asked.minusMillis(1))) {
                                wrong.add(id + ": an old schedule's value " + v.value() + " after a reset at " + asked);
                            }
                        }
                        Instant asked = Timers.now();
                        t.reset(Duration.ZERO.plusNanos(i % 5 == 0 ? 1 : 0));
                        Received<Instant> v = t.c().receive(LONG);
                        if (!v.ok()) {
                            wrong.add(id + ": a reset to now never fired");
                        } else if (v.value().isBefore(asked.minusMillis(1))) {
                            wrong.add(id + ": an old schedule's value " + v.value() + " after the last reset at " + asked);
                        }
                        t.stop();
                        if (t.c().tryReceive().ok()) {
                            wrong.add(id + ": a value after stop returned");
                        }
                    }
                });
            }
        }
        assertThat(wrong).isEmpty();
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "nothing left scheduled");
    }

    /**
     * G10: a context 10,000 children wide, cancelled while 8 threads add children (of every kind) and cancel or
     * stop some of them: every child ends cancelled with the parent's outcome or its own, no child is left
     * registered, every afterFunc registered meanwhile runs unless its stop returned true, and the children's
     * deadlines leave nothing scheduled.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G10_aTenThousandWideTreeCancelledWhileChildrenComeAndGoEndsWhole(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        CancellableContext root = Context.withCancel(Context.background());
        List<CancellableContext> first = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            first.add(i % 2 == 0 ? Context.withCancel(root) : Context.withTimeout(root, Duration.ofHours(1)));
        }
        RuntimeException cause = new RuntimeException("stop");
        int threadsN = 8;
        CyclicBarrier barrier = new CyclicBarrier(threadsN + 1);
        List<List<CancellableContext>> made = new ArrayList<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicInteger afterFuncs = new AtomicInteger();
        AtomicInteger registered = new AtomicInteger();
        AtomicInteger stopped = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            for (int th = 0; th < threadsN; th++) {
                List<CancellableContext> mine = new ArrayList<>();
                made.add(mine);
                threads.start(() -> {
                    barrier.await();
                    for (int k = 0; k < 2_000 || !cancelled.get(); k++) {
                        CancellableContext c = switch (k % 3) {
                            case 0 -> Context.withCancel(root);
                            case 1 -> Context.withTimeout(root, Duration.ofHours(1));
                            default -> Context.withCancel(Context.withValue(root, ContextKey.<Integer>of("k"), k));
                        };
                        mine.add(c);
                        if (k % 4 == 0) {
                            c.cancel(); // a child that leaves again
                        }
                        if (k % 7 == 0) {
                            AfterFunc f = Context.afterFunc(root, afterFuncs::incrementAndGet);
                            if (k % 14 == 0 && f.stop()) {
                                stopped.incrementAndGet();
                            } else {
                                registered.incrementAndGet();
                            }
                        }
                        if (k % 64 == 0) {
                            Threads.letOthersRun();
                        }
                    }
                });
            }
            barrier.await();
            root.cancel(cause);
            cancelled.set(true);
        }
        for (CancellableContext c : first) {
            assertThat(c.cause()).isSameAs(cause);
        }
        for (List<CancellableContext> mine : made) {
            for (CancellableContext c : mine) {
                assertThat(c.err()).isInstanceOf(ContextCanceledException.class);
                assertThat(c.cause()).isIn(cause, c.err());
            }
        }
        assertThat(((Contexts.CancelContext) root).childCount()).isZero();
        Threads.awaitTrue(() -> afterFuncs.get() == registered.get(), "every afterFunc not stopped ran");
        Threads.awaitTrue(() -> Timers.pendingTasks() <= before, "no deadline left scheduled");
    }
}
