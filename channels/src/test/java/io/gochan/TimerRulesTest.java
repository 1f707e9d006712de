package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules TM1–TM8 (docs/spec/context-timers.md): timers under pressure. */
@ExtendWith(NoNewGoroutines.class)
class TimerRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM1_timerChannelsReportLenAndCapZero(Kind kind) throws Exception {
        Timer t = Timers.newTimer(Duration.ZERO);
        Threads.awaitTrue(t::hasPendingValue, "timer fired");
        assertThat(t.c().len()).isZero();
        assertThat(t.c().cap()).isZero();
        Timer ticker = Timers.newTicker(Duration.ofMillis(1));
        ReceiveChan<Instant> after = Timers.after(Duration.ofHours(1));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(t.c().receive(LONG).ok()).isTrue(); // the value is there though len says 0
                assertThat(ticker.c().receive(LONG).ok()).isTrue();
                assertThat(ticker.c().len()).isZero();
                assertThat(ticker.c().cap()).isZero();
                assertThat(after.len()).isZero();
                assertThat(after.cap()).isZero();
            });
        }
        ticker.stop();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM2_timersAndTickersNobodyReferencesAreCollected(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        List<WeakReference<Object>> refs = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> dropTimers(refs));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(refs.stream().allMatch(r -> r.get() == null) && Timers.pendingTasks() <= before)) {
            assertThat(System.nanoTime() - deadline).as("dropped timers collected within 30 s; pending %d, was %d",
                    Timers.pendingTasks(), before).isNegative();
            System.gc();
            Thread.onSpinWait();
        }
    }

    /** Makes timers and tickers and keeps only weak references to them (in a frame of its own). */
    private static void dropTimers(List<WeakReference<Object>> refs) {
        // Held until all are counted: a collection during the loop would purge the first ones, and
        // timers of earlier tests collected meanwhile would lower the count too (it failed now and then).
        List<ReceiveChan<Instant>> held = new ArrayList<>();
        int before = Timers.pendingTasks();
        for (int i = 0; i < 10_000; i++) {
            ReceiveChan<Instant> c = Timers.after(Duration.ofHours(1)); // Go's select { case <-time.After(1h) }
            held.add(c);
            if (i % 1000 == 0) {
                refs.add(new WeakReference<>(c));
            }
        }
        // Nobody waits on them: none entered the heap (TM29), referenced or not.
        assertThat(Timers.pendingTasks()).as("none in the heap, nobody waiting").isLessThan(before + 10_000);
        held.clear();
        Timer ticker = Timers.newTicker(Duration.ofMillis(1));
        refs.add(new WeakReference<>(ticker));
        refs.add(new WeakReference<>(ticker.c()));
        Timer timer = Timers.newTimer(Duration.ofHours(1));
        refs.add(new WeakReference<>(timer));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM2_aReceiverBlockedOnATimerKeepsItAlive(Kind kind) throws Exception {
        AtomicBoolean received = new AtomicBoolean();
        try (Threads threads = new Threads(kind)) {
            // Nothing but the blocked receive refers to this timer.
            Thread t = threads.start(() -> received.set(Timers.after(Duration.ofMillis(50)).receive() != null));
            while (t.isAlive() && t.join(Duration.ofMillis(1)) == false) {
                System.gc();
            }
        }
        assertThat(received).isTrue();
    }

    /**
     * TM8 holds a timer's channel strongly only while a receiver waits on it: once every receiver has
     * stopped waiting (timed out, or its context was done), a timer nobody references is garbage again
     * (TM2). Its converse, a waiting goroutine that nothing else reaches surviving collections, needs
     * the leak detection's JVM flags: {@code GcLeakDetectionTest}.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM8_TM2_aTimerWhoseReceiversStoppedWaitingIsCollected(Kind kind) throws Exception {
        int before = Timers.pendingTasks();
        List<WeakReference<Object>> refs = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> waitOnTimersThenDropThem(refs));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(refs.stream().allMatch(r -> r.get() == null) && Timers.pendingTasks() <= before)) {
            assertThat(System.nanoTime() - deadline).as("timers collected within 30 s; pending %d, was %d",
                    Timers.pendingTasks(), before).isNegative();
            System.gc();
            Thread.onSpinWait();
        }
    }

    /** Waits on timers until the wait gives up, then keeps only weak references (a frame of its own). */
    private static void waitOnTimersThenDropThem(List<WeakReference<Object>> refs) throws InterruptedException {
        for (int i = 0; i < 20; i++) {
            Timer t = i % 2 == 0 ? Timers.newTimer(Duration.ofHours(1)) : Timers.newTicker(Duration.ofHours(1));
            assertThat(t.c().receive(Duration.ofMillis(1)).notReady()).isTrue();
            refs.add(new WeakReference<>(ChannelCores.of(t.c()))); // the channel itself, not a view
        }
        for (int i = 0; i < 20; i++) {
            ReceiveChan<Instant> c = Timers.after(Duration.ofHours(1));
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(1));
            assertThatThrownBy(() -> c.receive(ctx)).isInstanceOf(DeadlineExceededException.class);
            refs.add(new WeakReference<>(ChannelCores.of(c)));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM3_aTickerDropsTicksForASlowReceiver(Kind kind) throws Exception {
        // In a virtual-time bubble (ADR 0013), so the count is exact: time does not move while this
        // thread looks. The system scheduler's tickers stay tested by TM1 and TM4.
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(() -> {
                Instant start = Timers.now();
                Timer ticker = Timers.newTicker(Duration.ofMillis(1));
                try {
                    Timers.after(Duration.ofMillis(30)).receive(); // 30 periods without receiving
                    assertThat(ticker.hasPendingValue()).as("a pending tick").isTrue();
                    assertThat(ticker.c().tryReceive().ok()).isTrue();
                    // One tick was kept, the other 29 dropped: no second one is waiting.
                    assertThat(ticker.c().tryReceive().notReady()).isTrue();
                    // The next comes a period later, on the grid.
                    assertThat(ticker.c().receive()).isEqualTo(start.plusMillis(31));
                } finally {
                    ticker.stop();
                }
            }));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM3_aTickerHeldUpNeverReplaysMissedPeriods(Kind kind) throws Exception {
        // Virtual time: a scheduler without a thread, driven by hand. The timer thread is "held up"
        // for 300 ms, then a receiver takes every tick for 100 ms: Go's ticker gives 20 ticks on the
        // period grid; replaying the missed periods (scheduleAtFixedRate) would give 80.
        FakeClock clock = new FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false);
        Timer ticker = new Timer(scheduler, true);
        ticker.resetNanos(ms(5));
        clock.advance(ms(300));
        assertThat(scheduler.runDue()).isEqualTo(1);
        AtomicInteger ticks = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(ticker.c().tryReceive().ok()).isTrue(); // the one tick kept while held up
                assertThat(ticker.c().tryReceive().notReady()).isTrue();
                for (int step = 1; step <= 100; step++) {
                    clock.advance(ms(1));
                    scheduler.runDue();
                    while (ticker.c().tryReceive().ok()) {
                        ticks.incrementAndGet();
                    }
                }
            });
        }
        assertThat(ticks).hasValue(20); // at 305, 310, ..., 400 ms
        ticker.stop();
        clock.advance(ms(100));
        assertThat(scheduler.runDue()).isZero();
        assertThat(scheduler.pending()).isZero();
    }

    /**
     * Rule TM7, on the system scheduler. Go 1.23 runs a timer whose time has come when its channel is
     * looked at (runtime maybeRunChan, called by chanrecv and selectgo), so in Go a non-blocking receive
     * on {@code time.After(0)} gets the value every time; the oracle program is
     * {@code channels/src/test/go-evidence/tm7_due_timer_is_ready.go}. Here the timer thread has not run
     * yet when the receive looks, nearly every time: the look itself must deliver.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM7_aTimerWhoseTimeHasComeIsReadyToAReceiveThatDoesNotWait(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    assertThat(Timers.after(Duration.ZERO).tryReceive().ok()).as("after(0), try %d", i).isTrue();
                    Timer t = Timers.newTimer(Duration.ofHours(1));
                    assertThat(t.reset(Duration.ofNanos(-1))).isTrue();
                    assertThat(t.c().receive(Duration.ZERO).ok()).as("reset(-1), try %d", i).isTrue();
                    assertThat(t.stop()).as("its one value was received").isFalse();
                    assertThat(t.c().tryReceive().notReady()).as("and it came once").isTrue();
                }
                Timer ticker = Timers.newTicker(Duration.ofNanos(1));
                for (int i = 0; i < 100; i++) {
                    assertThat(ticker.c().tryReceive().ok()).as("a 1 ns ticker's tick, try %d", i).isTrue();
                }
                ticker.stop();
                assertThat(ticker.c().tryReceive().notReady()).isTrue();
            });
        }
    }

    /**
     * Rule TM7 while the timer thread's own delivery is under way: it took the timer from the heap but
     * waits for the channel's lock, which this thread holds. A look then delivers the value itself, and
     * the delayed delivery is void: the value comes exactly once.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM7_aLookDuringTheTimerThreadsDeliveryGetsTheValueOnce(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                List<Timer> timers = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    Timer t = Timers.newTimer(Duration.ofHours(1));
                    timers.add(t);
                    ChannelCore core = ChannelCores.of(t.c());
                    // A receiver waits, so the round takes the timer (TM29), and leaves before the look.
                    try (TimerWatcher watcher = new TimerWatcher(kind, t)) {
                        core.lock();
                        try {
                            t.reset(Duration.ZERO);
                            Threads.awaitTrue(() -> {
                                TimerScheduler.SYSTEM.nextDue(); // its lock orders this read after the round's removal
                                return t.toString().contains("not scheduled");
                            }, "the timer thread took the timer");
                            watcher.leave();
                            assertThat(t.c().tryReceive().ok()).as("try %d", i).isTrue();
                        } finally {
                            core.unlock();
                        }
                    }
                    // The hand-off thread now gets the lock: it must deliver nothing.
                    assertThat(t.c().receive(Duration.ofMillis(50)).notReady()).as("no second value, try %d", i).isTrue();
                    assertThat(t.stop()).isFalse();
                }
                // Every delayed delivery has long had its lock: still no second value anywhere.
                assertThat(timers.get(0).c().receive(Duration.ofMillis(200)).notReady()).isTrue();
                for (Timer t : timers) {
                    assertThat(t.c().tryReceive().notReady()).isTrue();
                }
            });
        }
    }

    /**
     * Rule TM7 under races: threads look at a timer's channel (non-blocking receives) while the timer
     * thread fires it; whoever delivers, the look or the round, the value is received exactly once.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM7_aDueTimerIsReceivedExactlyOnceByRacingLooks(Kind kind) throws Exception {
        int rounds = 1_000;
        int lookers = 3;
        for (int round = 0; round < rounds; round++) {
            Timer t = Timers.newTimer(Duration.ofNanos(java.util.concurrent.ThreadLocalRandom.current().nextLong(0, 50_000)));
            AtomicInteger received = new AtomicInteger();
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < lookers; i++) {
                    threads.start(() -> {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (received.get() == 0 && System.nanoTime() < deadline) {
                            if (t.c().tryReceive().ok()) {
                                received.incrementAndGet();
                            }
                        }
                    });
                }
            }
            assertThat(received.get()).as("round %d: received", round).isEqualTo(1);
            // A delivery the round had under way must not come after the look's.
            assertThat(t.c().receive(Duration.ofMillis(1)).notReady()).as("round %d: no second value", round).isTrue();
            assertThat(t.stop()).as("round %d: stop after the one value was received", round).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM6_aTickerWhoseTickWaitsUnreceivedLeavesTheSchedulerUntilItIsTaken(Kind kind) throws Exception {
        FakeClock clock = new FakeClock();
        TimerScheduler scheduler = new TimerScheduler(clock, false);
        Timer ticker = new Timer(scheduler, true);
        Instant start = clock.instant();
        ticker.resetNanos(ms(5)); // the grid: 5, 10, 15, ... ms
        clock.advance(ms(5));
        assertThat(scheduler.runDue()).isEqualTo(1); // the first tick waits in the channel
        clock.advance(ms(5));
        assertThat(scheduler.runDue()).isEqualTo(1); // the second finds it unreceived: dropped
        assertThat(scheduler.pending()).as("the ticker left the heap").isZero();
        for (int i = 0; i < 100; i++) {
            clock.advance(ms(5));
            assertThat(scheduler.runDue()).as("nothing fires while the tick waits").isZero();
        }
        clock.advance(ms(2)); // 512 ms: between two grid points
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(ticker.c().tryReceive().value()).isEqualTo(start.plusMillis(5)); // the kept tick
                assertThat(ticker.c().tryReceive().notReady()).isTrue(); // nothing replayed
            });
        }
        assertThat(scheduler.pending()).as("back on its grid once taken").isEqualTo(1);
        assertThat(scheduler.nextDue()).isEqualTo(ms(515));
        assertThat(ticker.toString()).contains("scheduled");
        clock.advance(ms(3));
        assertThat(scheduler.runDue()).isEqualTo(1);
        assertThat(ticker.c().tryReceive().value()).isEqualTo(start.plusMillis(515));
        // Stop and reset of a dozing ticker: it is running (true), and nothing of it is left or replayed.
        clock.advance(ms(5));
        scheduler.runDue(); // 520: delivered, waits
        clock.advance(ms(5));
        scheduler.runDue(); // 525: dropped, dozes
        assertThat(scheduler.pending()).isZero();
        assertThat(ticker.reset(Duration.ofMillis(7))).as("reset of a dozing ticker prevented a delivery").isTrue();
        assertThat(ticker.c().tryReceive().notReady()).as("its pending tick was discarded").isTrue();
        assertThat(scheduler.nextDue()).isEqualTo(ms(532));
        clock.advance(ms(7));
        scheduler.runDue(); // 532: delivered, waits
        clock.advance(ms(7));
        scheduler.runDue(); // 539: dropped, dozes
        assertThat(scheduler.pending()).isZero();
        assertThat(ticker.stop()).as("stop of a dozing ticker").isTrue();
        assertThat(ticker.stop()).isFalse();
        assertThat(ticker.c().tryReceive().notReady()).isTrue();
        clock.advance(ms(100));
        assertThat(scheduler.runDue()).isZero();
        assertThat(scheduler.pending()).as("the drain in stop did not wake it").isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM4_aFastTickerDelaysNoOtherTimer(Kind kind) throws Exception {
        // Warm the paths first (untimed): on a loaded 2-core machine a cold first timer or deadline
        // (class loading, the first virtual threads) alone can take a few hundred ms.
        Timers.after(Duration.ofMillis(1)).receive();
        try (CancellableContext warm = Context.withTimeout(Context.background(), Duration.ofMillis(1))) {
            warm.done().receiveOk();
        }
        for (Duration period : List.of(Duration.ofNanos(1), Duration.ofNanos(100))) {
            Timer ticker = Timers.newTicker(period);
            AtomicBoolean stop = new AtomicBoolean();
            try (Threads threads = new Threads(kind)) {
                threads.start(() -> {
                    while (!stop.get()) {
                        ticker.c().receive(Duration.ofMillis(10));
                    }
                });
                threads.start(() -> {
                    try {
                        for (int i = 0; i < 5; i++) {
                            ReceiveChan<Instant> c = Timers.after(Duration.ofMillis(10));
                            // Generous bounds: a starved timer never fires; a loaded CI machine's scheduling
                            // delays are tens to hundreds of milliseconds, now and then seconds (10 s, was 2 s: a
                            // working timer returns at once, so only a failing run waits the bound).
                            assertThat(c.receive(Duration.ofSeconds(10)).ok())
                                    .as("a 10 ms timer fired within 10 s beside a %s ticker", period).isTrue();
                            try (CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(10))) {
                                // Two hand-offs here (the timer thread starts a virtual thread that cancels,
                                // as Go's AfterFunc starts a goroutine), each a wake-up on a loaded machine
                                // whose cores the ticker keeps busy: a wider bound (it took > 3 s before).
                                assertThat(ctx.done().receive(Duration.ofSeconds(5)).closed())
                                        .as("a 10 ms context done within 5 s beside a %s ticker", period).isTrue();
                            }
                        }
                    } finally {
                        stop.set(true);
                    }
                });
            } finally {
                ticker.stop();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM4_aTimerWhoseChannelIsLockedDelaysNoOtherTimer(Kind kind) throws Exception {
        Timer blocked = Timers.newTimer(Duration.ofHours(1));
        ChannelCore core = ChannelCores.of(blocked.c());
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                core.lock(); // as a thread descheduled inside the channel's critical section would
                try {
                    blocked.reset(Duration.ZERO); // due now: the timer thread finds its channel locked
                    // A generous bound, as beside the ticker above: a timer thread stuck on the lock never fires the
                    // other timer; a loaded CI machine's scheduling delays are tens to hundreds of milliseconds.
                    assertThat(Timers.after(Duration.ofMillis(10)).receive(Duration.ofSeconds(10)).ok())
                            .as("another timer fired within 10 s while one channel's lock was held").isTrue();
                } finally {
                    core.unlock();
                }
                assertThat(blocked.c().receive(LONG).ok()).as("the held-up timer delivered afterwards").isTrue();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM5_anyDurationIsAcceptedAndSaturates(Kind kind) throws Exception {
        List<Duration> far = List.of(ChronoUnit.FOREVER.getDuration(), Duration.ofSeconds(Long.MAX_VALUE),
                Duration.ofDays(300L * 365), Duration.ofNanos(Long.MAX_VALUE));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (Duration d : far) {
                    Timer t = Timers.newTimer(d);
                    Timer ticker = Timers.newTicker(d);
                    Timer func = Timers.afterFunc(d, () -> { });
                    assertThat(t.c().tryReceive().notReady()).isTrue();
                    assertThat(t.reset(d)).isTrue();
                    assertThat(ticker.reset(d)).isTrue();
                    assertThat(t.stop()).isTrue();
                    assertThat(ticker.stop()).isTrue();
                    assertThat(func.stop()).isTrue();
                }
                // Far in the past: at once.
                assertThat(Timers.newTimer(Duration.ofSeconds(Long.MIN_VALUE)).c().receive(LONG).ok()).isTrue();
                assertThat(Timers.after(ChronoUnit.FOREVER.getDuration().negated()).receive(LONG).ok()).isTrue();
            });
        }
        assertThat(TimerScheduler.later(1_000, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(TimerScheduler.later(1_000, -5)).isEqualTo(1_000);
        assertThat(TimerScheduler.nextTick(Long.MAX_VALUE - 10, 7, Long.MAX_VALUE - 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(TimerScheduler.nextTick(100, 5, 117)).isEqualTo(120);
    }

    private static long ms(long n) {
        return TimeUnit.MILLISECONDS.toNanos(n);
    }

    /** A clock that moves only when told (TimerScheduler's seam). */
    static final class FakeClock implements TimerScheduler.Clock {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        void advance(long n) {
            nanos.addAndGet(n);
        }

        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public Instant instant() {
            return Instant.EPOCH.plusNanos(nanos.get());
        }
    }
}
