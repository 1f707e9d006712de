package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The threads behind the timers: what gochan's own threads take from the thread that starts them (TM17), a timer
 * thread whose failure cannot even be logged (TM18), a ticker's tick handed off to another thread (TM19), and a
 * ticker whose hand-off waits behind other channels' held locks (TM20).
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerThreadRulesTest {
    /** What a thread saw of itself, from inside. */
    private record Seen(String name, ThreadGroup group, int priority, boolean daemon, ClassLoader loader, String local) {}

    /**
     * TM17: the timer thread, a timer hand-off thread and the cleaner of unobserved failures, each made on a thread
     * with its own group, the lowest priority, its own context class loader and an inheritable thread-local, take
     * none of them: they run in gochan's group under the JVM's root group, at the normal priority, with the system
     * class loader, and see no inherited value. Before, each took the group and the priority of whoever started it
     * (the first timer, a busy delivery, the first future), and the cleaner took its class loader and thread-locals too.
     */
    @Test
    void TM17_gochansThreadsTakeNothingFromTheThreadWhoseCallMakesThem() throws Exception {
        InheritableThreadLocal<String> local = new InheritableThreadLocal<>();
        ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
        Runnable probe = () -> {
            Thread self = Thread.currentThread();
            seen.add(new Seen(self.getName(), self.getThreadGroup(), self.getPriority(), self.isDaemon(),
                    self.getContextClassLoader(), local.get()));
        };
        ThreadGroup callersGroup = new ThreadGroup("tm17-caller");
        List<Thread> made = new ArrayList<>();
        try (URLClassLoader callersLoader = new URLClassLoader(new URL[0], TimerThreadRulesTest.class.getClassLoader())) {
            Thread caller = Thread.ofPlatform().group(callersGroup).priority(Thread.MIN_PRIORITY).unstarted(() -> {
                local.set("the caller's");
                Thread.currentThread().setContextClassLoader(callersLoader);
                made.add(TimerScheduler.timerThread(probe));
                made.add(TimerScheduler.HandOff.THREADS.newThread(probe));
                made.add(Failures.CLEANER_THREADS.newThread(probe));
                made.forEach(Thread::start);
            });
            caller.start();
            assertThat(caller.join(Duration.ofSeconds(30))).as("the caller ended").isTrue();
            for (Thread t : made) {
                assertThat(t.join(Duration.ofSeconds(30))).as("%s ended", t).isTrue();
            }
        }
        assertThat(seen).extracting(Seen::name).hasSize(3).allMatch(name -> name.startsWith("gochan-"));
        for (Seen s : seen) {
            assertThat(s.group()).as("%s: its group", s.name()).isSameAs(ServiceThreads.GROUP);
            assertThat(s.group().getParent().getParent()).as("%s: its group is a child of the root group", s.name())
                    .isNull();
            assertThat(s.priority()).as("%s: its priority", s.name()).isEqualTo(Thread.NORM_PRIORITY);
            assertThat(s.daemon()).as("%s: a daemon", s.name()).isTrue();
            assertThat(s.loader()).as("%s: its context class loader", s.name()).isSameAs(ClassLoader.getSystemClassLoader());
            assertThat(s.local()).as("%s: an inherited thread-local", s.name()).isNull();
        }
    }

    /**
     * TM18: a timer action fails, and so does the log of that failure (the logger throws, as one out of memory
     * would): the round still fires its other due timer and returns, and the failure goes to the thread's
     * uncaught-exception handler with the log's failure suppressed in it. Before, the log's throw escaped the
     * round: its later firings, already out of the heap, were lost, and on the timer thread the next log's throw
     * ended the thread, so that no timer of the JVM fired again.
     */
    @Test
    void TM18_aFiringWhoseFailureCannotBeLoggedCutsNoRoundShort() throws Exception {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false);
        IllegalStateException actionFailure = new IllegalStateException("TM18: a timer action failed");
        TimerEntry failing = s.actionEntry(() -> {
            throw actionFailure;
        });
        Timer later = new Timer(s, false);
        s.schedule(failing, 1, 0L);
        later.resetNanos(2); // due after the failing action: fired after it in the same round
        fake.advance(10);
        AtomicInteger fired = new AtomicInteger(-1);
        List<Throwable> reported = whereTimerLogsFail(() -> fired.set(s.runDue()));
        assertThat(fired).as("the round went on past the failure it could not log").hasValue(2);
        assertThat(later.c().tryReceive().ok()).as("the round's later timer delivered").isTrue();
        assertThat(reported).as("what reached the uncaught-exception handler").containsExactly(actionFailure);
        assertThat(actionFailure.getSuppressed()).extracting(Throwable::getMessage).containsExactly(LOG_FAILED);
    }

    /**
     * TM18: a turn of the timer thread whose wait fails (the clock's read throws an {@code Error}), and whose log of
     * that failure fails too, returns; the next turn fires the due timer. Before, the loop's log of the failure threw
     * out of the loop and the timer thread ended, for good: the scheduler starts its thread once.
     */
    @Test
    void TM18_aTurnWhoseFailureCannotBeLoggedLeavesTheTimerThreadGoingOn() throws Exception {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        AtomicBoolean failNextRead = new AtomicBoolean();
        // An Error as the real one (OutOfMemoryError), but not one JUnit treats as unrecoverable.
        InternalError clockFailure = new InternalError("TM18: simulated, the clock's read failed");
        TimerScheduler.Clock clock = new TimerScheduler.Clock() {
            @Override
            public long nanoTime() {
                if (failNextRead.getAndSet(false)) {
                    throw clockFailure;
                }
                return fake.nanoTime();
            }

            @Override
            public Instant instant() {
                return fake.instant();
            }
        };
        TimerScheduler s = new TimerScheduler(clock, false);
        Timer timer = new Timer(s, false);
        timer.resetNanos(1);
        fake.advance(10);
        failNextRead.set(true);
        AtomicInteger turns = new AtomicInteger();
        List<Throwable> reported = whereTimerLogsFail(() -> {
            s.turn(); // its wait reads the clock, which fails; so does the log of that
            turns.incrementAndGet();
            s.turn(); // the timer is due: this turn fires it
            turns.incrementAndGet();
        });
        assertThat(turns).as("both turns returned: the timer thread goes on").hasValue(2);
        assertThat(timer.c().tryReceive().ok()).as("the second turn fired the due timer").isTrue();
        assertThat(reported).as("what reached the uncaught-exception handler").containsExactly(clockFailure);
        assertThat(clockFailure.getSuppressed()).extracting(Throwable::getMessage).containsExactly(LOG_FAILED);
    }

    /**
     * TM18: an afterFunc's start that failed is owed (its {@code stop()} already returned false), and its retry is
     * scheduled even when the log announcing the retry fails. Before, that log threw first, so the retry was never
     * scheduled and the function never ran.
     */
    @Test
    void TM18_anOwedStartWhoseLogFailsIsStillTriedAgain() throws Exception {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false);
        InternalError startFailure = new InternalError("TM18: simulated, unable to create native thread");
        AtomicInteger started = new AtomicInteger();
        List<Throwable> reported = whereTimerLogsFail(() -> s.startLater(started::incrementAndGet, startFailure));
        assertThat(s.pending()).as("the start's retry is scheduled").isEqualTo(1);
        assertThat(reported).as("what reached the uncaught-exception handler").containsExactly(startFailure);
        fake.advance(TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(started).as("the owed start was made").hasValue(1);
    }

    /**
     * TM19: a ticker's tick is handed off (its channel's lock is busy, TM9) and the hand-off runs late, after the
     * next tick, which finds the lock free. The receiver gets its ticks in time order: the next tick is delivered and
     * the handed-off one, earlier, is void when it runs, dropped as for a slow receiver (TM3, TM20); then the tick
     * after. A reset starts a schedule whose ticks that hand-off does not hold up (a guard). Before TM19, the
     * handed-off tick was delivered after the later one and received after it; before TM20, the later tick was
     * dropped and the handed-off one delivered instead.
     */
    @Test
    void TM19_aTickerNeverDeliversATickAroundOneHandedOff() throws Exception {
        List<Runnable> handedOff = new ArrayList<>();
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, handedOff::add);
        Timer ticker = new Timer(s, true);
        ticker.resetNanos(10);
        holdLockWhile(ChannelCores.of(ticker.c()), () -> {
            fake.advance(10);
            assertThat(s.runDue()).isEqualTo(1); // the first tick finds the lock busy: handed off
        });
        assertThat(handedOff).as("the first tick handed off").hasSize(1);
        List<Instant> received = new ArrayList<>();
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1); // the second tick: the lock is free, the first tick's hand-off not yet run
        receiveIfThere(ticker, received);
        handedOff.get(0).run(); // the hand-off, late: void
        receiveIfThere(ticker, received);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1); // the third tick
        receiveIfThere(ticker, received);
        assertThat(received).as("the ticks received, in order").containsExactly(tick(20), tick(30));

        // A guard: a reset's schedule is not held up by a hand-off of the old schedule still in flight.
        holdLockWhile(ChannelCores.of(ticker.c()), () -> {
            fake.advance(10);
            assertThat(s.runDue()).isEqualTo(1); // the fourth tick finds the lock busy: handed off
        });
        assertThat(handedOff).hasSize(2);
        ticker.resetNanos(10);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1); // the new schedule's first tick
        received.clear();
        receiveIfThere(ticker, received);
        handedOff.get(1).run(); // the old schedule's: void
        receiveIfThere(ticker, received);
        assertThat(received).as("the reset ticker's first tick, and nothing of the old schedule").containsExactly(tick(50));
        ticker.stop();
    }

    /**
     * More held channel locks than the hand-off pool has threads ({@code min(4, cores)}): enough to take every one of
     * them, each waiting for one of these locks.
     */
    private static final int HELD_LOCKS = 4;

    /**
     * TM20: a ticker's tick is handed off (its channel's lock was busy once) and the hand-off has not run yet (its thread
     * waits for another channel's lock held for long, or, before TM21, its place in the pool's queue behind such
     * waits): here a hand-off executor that keeps the work until the test runs it. The ticker's channel is free again:
     * its later ticks are delivered, in time order, meanwhile; the hand-off, once it runs, delivers nothing older. A Go
     * ticker keeps ticking whatever other channels do. Before, every later tick was dropped while the hand-off had not
     * run (TM19): locks held elsewhere silenced the ticker until they were released. On a hand-driven clock.
     */
    @Test
    void TM20_aTickerKeepsTickingWhileItsHandOffWaitsBehindOtherChannelsHeldLocks() throws Exception {
        List<Runnable> notRunYet = new ArrayList<>();
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, notRunYet::add);
        Timer ticker = new Timer(s, true);
        List<Instant> received = new ArrayList<>();
        fake.advance(10);
        ticker.resetNanos(10);
        holdLockWhile(ChannelCores.of(ticker.c()), () -> {
            fake.advance(10);
            assertThat(s.runDue()).isEqualTo(1); // the ticker's first tick finds its lock busy: handed off
        });
        assertThat(notRunYet).as("the tick's hand-off, not run yet").hasSize(1);
        for (int k = 1; k <= 5; k++) {
            fake.advance(10);
            assertThat(s.runDue()).isEqualTo(1); // the ticker's lock is free
            receiveIfThere(ticker, received);
        }
        assertThat(received).as("the ticks received while the hand-off has not run")
                .containsExactly(tick(30), tick(40), tick(50), tick(60), tick(70));
        notRunYet.remove(0).run(); // the late hand-off: void, it delivers nothing older
        receiveIfThere(ticker, received);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1);
        receiveIfThere(ticker, received);
        assertThat(received).as("every tick, in time order, none twice")
                .containsExactly(tick(30), tick(40), tick(50), tick(60), tick(70), tick(80));
        assertThat(notRunYet).as("no other hand-off").isEmpty();
        ticker.stop();
    }

    /**
     * TM20 on the system clock, as the HTTP server that paced itself with a ticker: a thread waits on a 20 ms ticker
     * while every hand-off thread of the JVM waits for another channel's lock, held; the ticker meets its own lock busy
     * once. Released, the ticker goes on waking its receiver with ticks in time order, while the other locks are still
     * held. Before, the receiver was never woken again until those other locks were released (a CI run saw 20 s).
     */
    @Test
    void TM20_aSystemTickerKeepsWakingItsReceiverWhileOtherChannelsLocksAreHeld() throws Exception {
        Duration period = Duration.ofMillis(20);
        Duration bound = Duration.ofSeconds(10);
        List<Timer> others = new ArrayList<>();
        for (int i = 0; i < HELD_LOCKS; i++) {
            others.add(Timers.newTimer(Duration.ofHours(1)));
        }
        int wanted = 5;
        CountDownLatch afterRelease = new CountDownLatch(wanted);
        AtomicBoolean released = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        List<Instant> received = java.util.Collections.synchronizedList(new ArrayList<>());
        try (Timer ticker = Timers.newTicker(period); Threads receiver = new Threads(Threads.Kind.VIRTUAL)) {
            ChannelCore core = ChannelCores.of(ticker.c());
            receiver.start(() -> {
                while (!done.get()) {
                    // Longer than the bound below: a receive that times out and tries again looks at the ticker (TM7).
                    Received<Instant> r = ticker.c().receive(bound.multipliedBy(6));
                    if (r.ok()) {
                        received.add(r.value());
                        if (released.get()) {
                            afterRelease.countDown();
                        }
                    }
                }
            });
            try {
                // Their timers fire while their locks are held: every hand-off thread takes one and waits for its lock.
                holdLocksWhile(others, () -> others.forEach(other -> other.reset(Duration.ZERO)), () -> {
                    assertThat(Timers.after(period).receive(bound).ok()).as("a later timer fired").isTrue();
                    // The ticker's lock, taken while its receiver waits (registered, so it looks no more: TM7):
                    // a tick meets it.
                    for (;;) {
                        core.lock();
                        if (core.waitingReceivers() == 1) {
                            break;
                        }
                        core.unlock();
                        Thread.onSpinWait();
                    }
                    try {
                        assertThat(Timers.after(period.multipliedBy(3)).receive(bound).ok())
                                .as("a timer due after the ticker's next tick fired").isTrue();
                        released.set(true);
                    } finally {
                        core.unlock();
                    }
                    assertThat(afterRelease.await(bound.toMillis(), TimeUnit.MILLISECONDS))
                            .as("%d ticks received within %s while the other locks are held (got %s)",
                                    wanted, bound, received)
                            .isTrue();
                });
            } finally {
                done.set(true); // the receiver ends at its next tick (it is closed before the ticker)
            }
        }
        List<Instant> ticks = List.copyOf(received);
        for (int i = 1; i < ticks.size(); i++) {
            assertThat(ticks.get(i)).as("tick %d after tick %d", i, i - 1).isAfter(ticks.get(i - 1));
        }
        for (Timer other : others) {
            assertThat(other.c().receive(bound).ok()).as("a handed-off timer delivered once its lock was free")
                    .isTrue();
        }
    }

    /**
     * TM21: a one-shot timer whose delivery is handed off (its channel's lock was busy as it fired) while as many other
     * channels' locks are held, for long, as the hand-off pool once had threads, each with a handed-off delivery
     * waiting for it, still wakes its waiting receiver once its own lock is free. Before, the pool had
     * {@code min(4, cores)} threads and a queue: the timer's hand-off waited behind the others until their locks were
     * released. A Go timer fires whatever other channels do.
     */
    @Test
    void TM21_aOneShotTimerHandedOffBehindOtherChannelsHeldLocksStillFires() throws Exception {
        Duration bound = Duration.ofSeconds(10);
        List<Timer> others = new ArrayList<>();
        for (int i = 0; i < HELD_LOCKS; i++) {
            others.add(Timers.newTimer(Duration.ofHours(1)));
        }
        Duration due = Duration.ofMillis(50);
        try (Timer timer = Timers.newTimer(Duration.ofHours(1)); Threads receiver = new Threads(Threads.Kind.PLATFORM)) {
            ChannelCore core = ChannelCores.of(timer.c());
            AtomicBoolean got = new AtomicBoolean();
            CountDownLatch received = new CountDownLatch(1);
            receiver.start(() -> {
                got.set(timer.c().receive(bound.multipliedBy(6)).ok());
                received.countDown();
            });
            holdLocksWhile(others, () -> others.forEach(other -> other.reset(Duration.ZERO)), () -> {
                assertThat(Timers.after(due).receive(bound).ok()).as("a later timer fired").isTrue();
                lockOnceItsReceiverWaits(core);
                try {
                    timer.reset(due);
                    assertThat(Timers.after(due.multipliedBy(3)).receive(bound).ok())
                            .as("a timer due after the one-shot fired").isTrue();
                } finally {
                    core.unlock();
                }
                assertThat(received.await(bound.toMillis(), TimeUnit.MILLISECONDS))
                        .as("the one-shot's receiver woken while the other locks are held").isTrue();
                assertThat(got).isTrue();
            });
        }
        for (Timer other : others) {
            assertThat(other.c().receive(bound).ok()).as("a handed-off timer delivered once its lock was free").isTrue();
        }
    }

    /**
     * TM21 for a context's deadline, whose cancel always runs on a hand-off thread (CX11): it passes, and its
     * {@code done()} closes, while as many other channels' locks are held as the hand-off pool once had threads, each
     * with a handed-off delivery waiting for it. Before, the cancel waited in the pool's queue behind them: every
     * deadline of the JVM (an HTTP request's timeout among them) passed only once those locks were released.
     */
    @Test
    void TM21_aContextDeadlinePassesWhileOtherChannelsHeldLocksKeepHandOffsWaiting() throws Exception {
        Duration bound = Duration.ofSeconds(10);
        List<Timer> others = new ArrayList<>();
        for (int i = 0; i < HELD_LOCKS; i++) {
            others.add(Timers.newTimer(Duration.ofHours(1)));
        }
        holdLocksWhile(others, () -> others.forEach(other -> other.reset(Duration.ZERO)), () -> {
            assertThat(Timers.after(Duration.ofMillis(50)).receive(bound).ok()).as("a later timer fired").isTrue();
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(20));
            try {
                assertThat(ctx.done().receive(bound).closed()).as("done() closed within the bound").isTrue();
                assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
            } finally {
                ctx.cancel();
            }
        });
        for (Timer other : others) {
            assertThat(other.c().receive(bound).ok()).as("a handed-off timer delivered once its lock was free").isTrue();
        }
    }

    /** Takes {@code core}'s lock once one receiver waits on it (registered: it looks at the channel no more, TM7). */
    private static void lockOnceItsReceiverWaits(ChannelCore core) {
        for (;;) {
            core.lock();
            if (core.waitingReceivers() == 1) {
                return;
            }
            core.unlock();
            Thread.onSpinWait();
        }
    }

    /**
     * Runs {@code during} while one other thread holds the locks of every timer channel in {@code timers}, as threads
     * holding them for long would (a virtual thread waiting for a carrier inside the critical section).
     */
    private static void holdLocksWhile(List<Timer> timers, ThrowingRunnable during) throws Exception {
        holdLocksWhile(timers, () -> {}, during);
    }

    /** As above, {@code whenHeld} run by the holding thread once it holds them (a reset of those timers, say). */
    private static void holdLocksWhile(List<Timer> timers, ThrowingRunnable whenHeld, ThrowingRunnable during)
            throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Threads threads = new Threads(Threads.Kind.PLATFORM)) {
            threads.start(() -> {
                List<ChannelCore> locked = new ArrayList<>();
                try {
                    for (Timer t : timers) {
                        ChannelCore core = ChannelCores.of(t.c());
                        core.lock();
                        locked.add(core);
                    }
                    whenHeld.run();
                    held.countDown();
                    release.await();
                } finally {
                    locked.forEach(ChannelCore::unlock);
                }
            });
            try {
                held.await();
                during.run();
            } finally {
                release.countDown();
            }
        }
    }

    /** A test body that may throw. */
    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static final String LOG_FAILED = "TM18: the log failed";

    /**
     * Runs {@code body} on a platform thread where every record of the timers' logger ({@code io.gochan.timers}) fails
     * to be logged, as when the logger throws or no memory is left for its record; other threads log as usual.
     *
     * @return what reached that thread's uncaught-exception handler
     */
    private static List<Throwable> whereTimerLogsFail(Runnable body) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> reported = new ConcurrentLinkedQueue<>();
        Thread runner = Thread.ofPlatform().name("tm18-runner").uncaughtExceptionHandler((t, e) -> reported.add(e))
                .unstarted(body);
        Logger timers = Logger.getLogger("io.gochan.timers"); // held: JUL keeps its loggers weakly
        Handler failing = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (Thread.currentThread() == runner) {
                    throw new IllegalStateException(LOG_FAILED);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        timers.addHandler(failing);
        try {
            runner.start();
            assertThat(runner.join(Duration.ofSeconds(30))).as("the runner ended").isTrue();
        } finally {
            timers.removeHandler(failing);
        }
        return List.copyOf(reported);
    }

    /** Runs {@code during} while another thread holds {@code core}'s lock (a receiver hammering it, say). */
    private static void holdLockWhile(ChannelCore core, Runnable during) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Threads threads = new Threads(Threads.Kind.PLATFORM)) {
            threads.start(() -> {
                core.lock();
                try {
                    held.countDown();
                    release.await();
                } finally {
                    core.unlock();
                }
            });
            try {
                held.await();
                during.run();
            } finally {
                release.countDown();
            }
        }
    }

    private static void receiveIfThere(Timer ticker, List<Instant> received) {
        Received<Instant> r = ticker.c().tryReceive();
        if (r.ok()) {
            received.add(r.value());
        }
    }

    /** The instant of the fake clock {@code nanos} after the scheduler's origin: the value of a tick due then. */
    private static Instant tick(long nanos) {
        return new TimerRulesTest.FakeClock().instant().plusNanos(nanos);
    }
}
