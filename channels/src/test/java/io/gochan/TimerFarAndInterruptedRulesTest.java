package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Round 2 of the Go-parity audit of timers and contexts: an interrupted {@code Timers.sleep} (TM10) and
 * "never" inside a virtual-time bubble (BB23).
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerFarAndInterruptedRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    /** The last instant of a bubble's clock: its start plus the largest nanosecond count (BB23). */
    private static final Instant BUBBLE_END = EPOCH.plusNanos(Long.MAX_VALUE);

    /**
     * TM10: a sleep in a bubble that ends by an interrupt (while it waits, or because the flag was already
     * set) leaves no timer behind: nothing is pending, and a deadlock right after it is reported at once, at
     * the instant the clock stood at. Before the fix the sleep's timer stayed in the bubble's heap, so the
     * clock jumped to it (an hour on, or to the end of time) before the deadlock was seen.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void TM10_anInterruptedSleepInABubbleLeavesNoTimerBehind(boolean flagAlreadySet) {
        for (Duration d : new Duration[] {Duration.ofHours(1), ChronoUnit.FOREVER.getDuration()}) {
            assertThatThrownBy(() -> Bubble.run(() -> {
                Chan<String> outcome = Chan.make(1);
                Goroutine g = Go.go("sleeper", () -> {
                    if (flagAlreadySet) {
                        Thread.currentThread().interrupt();
                    }
                    try {
                        Timers.sleep(d);
                        outcome.send("slept");
                    } catch (InterruptedException e) {
                        outcome.send("interrupted");
                    }
                });
                if (!flagAlreadySet) {
                    Bubble.await(); // the sleeper sleeps
                    g.interrupt();
                }
                assertThat(outcome.receive()).isEqualTo("interrupted");
                g.join();
                assertThat(TimerScheduler.current().pending()).as("timers left by the interrupted sleep").isZero();
                Chan.<Integer>make().receive(); // nothing can wake this: a deadlock, now
            })).as("sleep(%s)", d).isInstanceOf(BubbleDeadlockException.class)
                    .hasMessageContaining("at 2000-01-01T00:00:00Z");
        }
    }

    /**
     * BB23: inside a bubble "never" is the clock's last instant. A sleep of any length returns once every
     * member is durably blocked, the clock having jumped to the saturated deadline (Go's synctest does the
     * same for {@code time.Sleep(math.MaxInt64)}: its timer's {@code when} saturates and the bubble's clock
     * jumps to it); the clock then stands there, and a later sleep returns at once.
     */
    @Test
    void BB23_aSleepOfAnyLengthInABubbleReturnsAtTheEndOfTheBubblesTime() throws Exception {
        for (Duration d : new Duration[] {Duration.ofNanos(Long.MAX_VALUE), Duration.ofDays(1_000_000_000L),
                ChronoUnit.FOREVER.getDuration()}) {
            Bubble.run(() -> {
                Timers.sleep(Duration.ofHours(1));
                Timers.sleep(d);
                assertThat(Timers.now()).as("after sleep(%s)", d).isEqualTo(BUBBLE_END);
                Timers.sleep(Duration.ofHours(1)); // at the end: saturates to now, returns at once
                assertThat(Timers.now()).isEqualTo(BUBBLE_END);
                assertThat(Timers.after(Duration.ofNanos(1)).receive()).isEqualTo(BUBBLE_END);
            });
        }
    }

    /**
     * BB23: a context deadline beyond the end of a bubble's time (up to {@link Instant#MAX}) fires when the
     * clock jumps to its end, as Go's context timer (its delay saturates) fires in a synctest bubble; the
     * deadline still reads as given. Outside a bubble such a deadline never fires (CX2).
     */
    @Test
    void BB23_aDeadlineBeyondTheBubblesTimeFiresAtItsEnd() throws Exception {
        for (Instant deadline : new Instant[] {Instant.MAX, BUBBLE_END.plusSeconds(1)}) {
            Bubble.run(() -> {
                Timers.sleep(Duration.ofHours(1)); // the clock off its origin: the delay's sum must saturate
                CancellableContext ctx = Context.withDeadline(Context.background(), deadline);
                assertThat(ctx.done().receiveOk().closed()).isTrue();
                assertThat(Timers.now()).isEqualTo(BUBBLE_END);
                assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
                assertThat(ctx.deadline()).contains(deadline);
            });
        }
    }

    /**
     * G1, G2: an {@code afterFunc} task (timer or context) that throws is never swallowed: the very instance
     * reaches the uncaught-exception handler, and the timers go on firing. Fails if the task ran on the
     * timer thread itself (the thread's catch would only log it).
     */
    @Test
    void G1_G2_aThrowingAfterFuncTaskReachesTheHandlerAndTimersGoOn() throws Exception {
        ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
        CountDownLatch reported = new CountDownLatch(2);
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> {
            handled.add(t);
            reported.countDown();
        });
        try {
            IllegalStateException fromTimer = new IllegalStateException("timer task");
            Error fromContext = new AssertionError("context task");
            Timers.afterFunc(Duration.ZERO, () -> {
                throw fromTimer;
            });
            CancellableContext ctx = Context.withCancel(Context.background());
            Context.afterFunc(ctx, () -> {
                throw fromContext;
            });
            ctx.cancel();
            assertThat(reported.await(10, TimeUnit.SECONDS)).as("both failures reported").isTrue();
            assertThat(handled).containsExactlyInAnyOrder(fromTimer, fromContext);
            // The scheduler keeps working: a timer and an afterFunc made afterwards fire. The receive's backstop
            // deadline is cancelled at once, so no 10 s timer is left for later tests that count pending timers.
            try (CancellableContext backstop = Context.withTimeout(Context.background(), Duration.ofSeconds(10))) {
                assertThat(Timers.after(Duration.ofMillis(1)).receive(backstop)).isNotNull();
            }
            CountDownLatch ran = new CountDownLatch(1);
            Timers.afterFunc(Duration.ofMillis(1), ran::countDown);
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /**
     * TM4: the timer heap itself. An action that throws on the scheduler's thread (it is logged through
     * System.Logger, logger {@code io.gochan.timers}) neither escapes the round nor stops the other entries
     * due in it, nor later rounds: one failing action would otherwise end the one timer thread of the JVM.
     */
    @Test
    void TM4_aThrowingTimerActionStopsNoOtherTimer() {
        TimerRulesTest.FakeClock clock = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(clock, false);
        List<String> ran = new ArrayList<>();
        s.schedule(s.actionEntry(() -> ran.add("before")), 0L, 0L);
        s.schedule(s.actionEntry(() -> {
            throw new RuntimeException("boom");
        }), 1L, 0L);
        s.schedule(s.actionEntry(() -> {
            throw new AssertionError("an Error too");
        }), 2L, 0L);
        s.schedule(s.actionEntry(() -> ran.add("after")), 3L, 0L);
        clock.advance(10);
        assertThat(s.runDue()).isEqualTo(4);
        assertThat(ran).containsExactly("before", "after");
        s.schedule(s.actionEntry(() -> ran.add("next round")), 5L, 0L);
        clock.advance(10);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(ran).containsExactly("before", "after", "next round");
    }

    /**
     * TM11: a firing that fails outside the action's own code (here the clock's read of the time a timer
     * delivers, with an Error) costs that firing only: the same round's other timers deliver and later rounds run.
     * Before, the Error escaped the round, the round's other due timers were lost (taken from the heap, never
     * delivered), and on the system scheduler the one timer thread died, so no timer in the JVM fired again.
     */
    @Test
    void TM11_aFailingFiringCostsThatFiringOnly() throws InterruptedException {
        java.util.concurrent.atomic.AtomicBoolean failOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler.Clock clock = new TimerScheduler.Clock() {
            @Override
            public long nanoTime() {
                return fake.nanoTime();
            }

            @Override
            public Instant instant() {
                if (failOnce.getAndSet(false)) {
                    throw new OutOfMemoryError("simulated: the clock's read failed");
                }
                return fake.instant();
            }
        };
        TimerScheduler s = new TimerScheduler(clock, false);
        Timer first = new Timer(s, false);
        Timer second = new Timer(s, false);
        first.resetNanos(1);
        second.resetNanos(2);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(2);
        assertThat(first.c().tryReceive().ok()).as("the failed firing delivers nothing").isFalse();
        assertThat(second.c().tryReceive().ok()).as("the round's other timer delivered").isTrue();
        Timer later = new Timer(s, false);
        later.resetNanos(1);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(later.c().tryReceive().ok()).isTrue();
    }

    /**
     * TM11: a ticker's delivery that finds its channel's lock busy is handed off; when no hand-off thread can
     * start for it (an {@code OutOfMemoryError} from the thread's start), that tick is lost and nothing more:
     * the next tick that finds the lock busy is handed off again and delivered. Before, the ticker's "hand-off
     * in flight" mark stayed set after the failed start, so every later tick that found the lock busy was
     * dropped for the ticker's whole life.
     */
    @Test
    void TM11_aTickerWhoseHandOffCouldNotStartHandsOffItsNextTick() throws Exception {
        List<Runnable> handedOff = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor handOff = work -> {
            if (attempts.incrementAndGet() == 1) {
                throw new OutOfMemoryError("simulated: unable to create native thread");
            }
            handedOff.add(work); // run below, once the lock is free
        };
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, handOff);
        Timer ticker = new Timer(s, true);
        ticker.resetNanos(10);
        io.gochan.spi.ChannelCore core = io.gochan.spi.ChannelCores.of(ticker.c());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Threads threads = new Threads(Threads.Kind.PLATFORM)) {
            threads.start(() -> {
                core.lock(); // as a receiver hammering the channel, or one descheduled inside its critical section
                try {
                    held.countDown();
                    release.await();
                } finally {
                    core.unlock();
                }
            });
            try {
                held.await();
                fake.advance(10);
                assertThat(s.runDue()).isEqualTo(1); // the lock is busy: handed off, and the hand-off fails (logged)
                assertThat(attempts).as("first tick handed off").hasValue(1);
                fake.advance(10);
                assertThat(s.runDue()).isEqualTo(1); // busy again: this tick must be handed off, not dropped
                assertThat(attempts).as("the next busy tick handed off again").hasValue(2);
            } finally {
                release.countDown();
            }
        }
        assertThat(handedOff).hasSize(1);
        handedOff.get(0).run();
        assertThat(ticker.c().tryReceive().ok()).as("the handed-off tick delivered").isTrue();
        ticker.stop();
    }

    /**
     * TM12: a one-shot timer's delivery handed off because its channel's lock was busy, whose hand-off thread
     * could not start, is tried again {@code RETRY_NANOS} later (the timer stays scheduled meanwhile) and then
     * delivers: a timer's only firing is never lost to a failed thread start. A stop after the failure still
     * prevents it, leaving nothing scheduled. Before, the firing was gone: taken from the heap, never delivered,
     * while {@code stop()} still reported the timer pending, so a receiver waiting on it waited for ever.
     */
    @Test
    void TM12_aOneShotWhoseHandOffCouldNotStartIsRetriedNotLost() throws Exception {
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor handOff = work -> {
            attempts.incrementAndGet();
            throw new OutOfMemoryError("simulated: unable to create native thread");
        };
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, handOff);
        Timer retried = new Timer(s, false);
        Timer stopped = new Timer(s, false);
        io.gochan.spi.ChannelCore retriedCore = io.gochan.spi.ChannelCores.of(retried.c());
        io.gochan.spi.ChannelCore stoppedCore = io.gochan.spi.ChannelCores.of(stopped.c());
        retried.resetNanos(10);
        stopped.resetNanos(20);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Threads threads = new Threads(Threads.Kind.PLATFORM)) {
            threads.start(() -> {
                retriedCore.lock(); // as a thread descheduled inside the channels' critical sections
                stoppedCore.lock();
                try {
                    held.countDown();
                    release.await();
                } finally {
                    stoppedCore.unlock();
                    retriedCore.unlock();
                }
            });
            try {
                held.await();
                fake.advance(20);
                assertThat(s.runDue()).isEqualTo(2); // busy locks: handed off; no thread can start (logged)
                assertThat(attempts).hasValue(2);
                assertThat(s.pending()).as("the failed firings wait for their retry").isEqualTo(2);
            } finally {
                release.countDown();
            }
        }
        assertThat(stopped.stop()).as("a stop after the failure prevents the firing").isTrue();
        assertThat(s.pending()).as("the stopped timer's retry is gone").isEqualTo(1);
        fake.advance(TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).as("the retry").isEqualTo(1);
        assertThat(retried.c().tryReceive().ok()).as("the retried firing delivered").isTrue();
        assertThat(retried.stop()).as("delivered and received: nothing left to prevent").isFalse();
        fake.advance(10 * TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).isZero();
        assertThat(stopped.c().tryReceive().notReady()).as("the stopped timer delivers nothing").isTrue();
        assertThat(s.pending()).isZero();
    }

    /**
     * TM12, CX11: a context's passed deadline whose cancel could not be handed off (no thread could start) is
     * tried again {@code RETRY_NANOS} later, and the context is then cancelled with {@code
     * DeadlineExceededException}; a context cancelled before the retry leaves it nothing to do. Before, the
     * deadline was gone: the context stayed live for ever, past its deadline.
     */
    @Test
    void TM12_aDeadlineWhoseCancelCouldNotBeHandedOffIsRetried() {
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor handOff = work -> {
            if (attempts.incrementAndGet() == 1) {
                throw new OutOfMemoryError("simulated: unable to create native thread");
            }
            work.run();
        };
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false, false, handOff);
        Contexts.CancelContext ctx = new Contexts.CancelContext(Context.background(), null, Instant.MAX, s, null);
        ctx.armDeadline(10);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1); // the hand-off of the cancel fails (logged)
        assertThat(ctx.err()).as("not cancelled yet").isNull();
        assertThat(s.pending()).as("the deadline waits for its retry").isEqualTo(1);
        fake.advance(TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(ctx.err()).as("cancelled by the retried deadline").isInstanceOf(DeadlineExceededException.class);
        assertThat(s.pending()).isZero();
    }

    /**
     * CX5, CX6, G3: a child made under an already cancelled parent is done at once with the parent's error
     * and cause, even with a deadline of its own already past (Go's propagateCancel runs before the child's
     * own deadline check), and a future deadline of its own leaves no timer behind.
     */
    @Test
    void CX5_CX6_aChildOfACancelledParentTakesTheParentsOutcomeAndArmsNothing() {
        CancellableContext parent = Context.withCancelCause(Context.background());
        IllegalStateException why = new IllegalStateException("parent's cause");
        parent.cancel(why);
        int before = Timers.pendingTasks();
        RuntimeException own = new RuntimeException("own cause");
        for (CancellableContext child : new CancellableContext[] {
            Context.withDeadline(parent, Instant.now().minusSeconds(1), own),
            Context.withDeadline(parent, Instant.MIN, own),
            Context.withTimeout(parent, Duration.ofHours(1), own),
            Context.withTimeout(Context.withValue(parent, ContextKey.<String>of("k"), "v"), Duration.ofHours(1)),
            Context.withCancel(parent),
        }) {
            assertThat(child.isDone()).as("%s", child).isTrue();
            assertThat(child.err()).isInstanceOf(ContextCanceledException.class);
            assertThat(child.cause()).isSameAs(why);
        }
        assertThat(Timers.pendingTasks()).as("no deadline timer armed").isLessThanOrEqualTo(before);
    }
}
