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
 * thread whose failure cannot even be logged (TM18), and a ticker's tick handed off to another thread (TM19).
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
     * next tick, which finds the lock free. The receiver gets its ticks in time order: the handed-off one, then the
     * next one after it; the tick that came while the hand-off was in flight is dropped, as for a slow receiver
     * (TM3). A reset starts a schedule whose ticks that hand-off does not hold up (a guard). Before, the next tick
     * was delivered around the hand-off, received first, and the handed-off one, earlier, was received after it.
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
        handedOff.get(0).run(); // the hand-off, late
        receiveIfThere(ticker, received);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1); // the third tick
        receiveIfThere(ticker, received);
        assertThat(received).as("the ticks received, in order").containsExactly(tick(10), tick(30));

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
