package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A function whose goroutine cannot start (an {@code OutOfMemoryError} "unable to create native thread" from
 * the thread's start, simulated through {@code Go.startFault}) is neither lost nor thrown at whoever happened
 * to fire it: a {@code Timers.afterFunc} timer (TM13) and a context's {@code afterFunc} (CX15) are started
 * again {@code TimerScheduler.RETRY_NANOS} later, each failure logged at ERROR (not
 * checked here: the tests run on the module path, which does not read {@code java.logging}); a cancel completes.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class AfterFuncStartRulesTest {
    @AfterEach
    void restore() {
        Go.startFault = null;
    }

    /** Fails the first {@code failures} starts of goroutines named {@code name}, running {@code during} in each. */
    private static AtomicInteger failStarts(String name, int failures, Runnable during) {
        AtomicInteger attempts = new AtomicInteger();
        Consumer<String> fault = n -> {
            if (n.equals(name) && attempts.incrementAndGet() <= failures) {
                during.run();
                // An Error as the real one (OutOfMemoryError), but not one JUnit treats as unrecoverable (it would end the run).
                throw new InternalError("simulated: unable to create native thread");
            }
        };
        Go.startFault = fault;
        return attempts;
    }

    /**
     * TM13: an afterFunc timer whose goroutine could not start is scheduled again {@code RETRY_NANOS} later (the
     * failure logged), then runs its function; meanwhile it is pending and {@code stop()} would prevent it.
     * Before, the function was lost: the timer was disarmed, nothing stayed scheduled, the function never ran,
     * and {@code stop()} returned false as though it had started.
     */
    @Test
    void TM13_anAfterFuncWhoseGoroutineCouldNotStartIsStartedLater() throws Exception {
        AtomicInteger attempts = failStarts("gochan-afterfunc", 1, () -> {});
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false);
        CountDownLatch ran = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        Timer t = new Timer(s, () -> {
            runs.incrementAndGet();
            ran.countDown();
        });
        t.resetNanos(10);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(attempts).as("the start was tried and failed").hasValue(1);
        assertThat(s.pending()).as("the function waits for its retry").isEqualTo(1);
        fake.advance(TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(ran.await(10, TimeUnit.SECONDS)).as("the function ran after the retry").isTrue();
        assertThat(t.stop()).as("started: nothing left to prevent").isFalse();
        assertThat(s.pending()).isZero();
        assertThat(runs).hasValue(1);
    }

    /**
     * TM13: {@code stop()} after the failed start and before its retry prevents the function and returns true;
     * nothing stays scheduled. Before, it returned false and the function never ran: the false claimed a start
     * that never happened.
     */
    @Test
    void TM13_aStopBeforeTheRetryPreventsTheFunction() {
        failStarts("gochan-afterfunc", 1, () -> {});
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false);
        AtomicInteger runs = new AtomicInteger();
        Timer t = new Timer(s, runs::incrementAndGet);
        t.resetNanos(10);
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(t.stop()).as("the function never started: the stop prevents it").isTrue();
        assertThat(s.pending()).isZero();
        fake.advance(10 * TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).isZero();
        assertThat(runs).hasValue(0);
        assertThat(t.stop()).isFalse();
    }

    /**
     * TM13, G2: a {@code stop()} that comes after the round took the firing and before the start failed returns
     * false, as for a function already started (Go: "the function f has been started in its own goroutine"); so
     * the function must run, and it does at the retry, once. A reset at that moment arms a second run, as in Go.
     */
    @Test
    void TM13_aStopThatFoundTheFiringUnderWayStillGetsTheFunctionRun() throws Exception {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        TimerScheduler s = new TimerScheduler(fake, false);
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(2);
        Timer[] timers = new Timer[2];
        Boolean[] stopped = new Boolean[2];
        failStarts("gochan-afterfunc", 2, () -> {
            // On the firing thread, between the round's take and the failed start: the one window a stop can hit.
            int i = stopped[0] == null ? 0 : 1;
            stopped[i] = i == 0 ? timers[0].stop() : timers[1].reset(Duration.ofNanos(5));
        });
        for (int i = 0; i < 2; i++) {
            timers[i] = new Timer(s, () -> {
                runs.incrementAndGet();
                ran.countDown();
            });
            timers[i].resetNanos(10);
        }
        fake.advance(10);
        assertThat(s.runDue()).isEqualTo(2);
        assertThat(stopped).as("stop and reset found the firing under way").containsExactly(false, false);
        fake.advance(TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).as("the two claimed runs and the reset's new schedule").isEqualTo(3);
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        Threads.awaitTrue(() -> runs.get() == 3, "the three runs");
        assertThat(s.pending()).isZero();
        assertThat(runs).hasValue(3);
    }

    /**
     * CX15, CX8, CX4: a cancel that finds an afterFunc whose goroutine cannot start completes all the same: the
     * context and its children are done, the other afterFuncs run, the context leaves its parent, and the
     * cancel returns normally; the failure is logged at ERROR and the function runs once a start succeeds
     * (its {@code stop()} already returned false). Before, the failure was thrown out of {@code cancel()}, the
     * afterFuncs after it were never started, the failed one was lost, and the cancelled context stayed
     * registered with its parent.
     */
    @Test
    void CX15_aCancelWhoseAfterFuncCannotStartCompletes() throws Exception {
        AtomicInteger attempts = failStarts("context-afterfunc", 1, () -> {});
        CancellableContext parent = Context.withCancel(Context.background());
        CancellableContext ctx = Context.withCancel(parent);
        CancellableContext child = Context.withCancel(ctx);
        CountDownLatch ran = new CountDownLatch(3);
        AtomicInteger runs = new AtomicInteger();
        List<AfterFunc> fs = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 3; i++) {
            fs.add(Context.afterFunc(i == 2 ? child : ctx, () -> {
                runs.incrementAndGet();
                ran.countDown();
            }));
        }
        ctx.cancel(); // must not throw
        assertThat(attempts.get()).as("a start failed").isGreaterThanOrEqualTo(1);
        assertThat(ctx.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(child.err()).isInstanceOf(ContextCanceledException.class);
        assertThat(((Contexts.CancelContext) parent).childCount()).as("the cancelled context left its parent").isZero();
        assertThat(fs).allSatisfy(f -> assertThat(f.stop()).isFalse());
        assertThat(ran.await(10, TimeUnit.SECONDS)).as("every function ran, the failed one at its retry").isTrue();
        assertThat(runs).hasValue(3);
        parent.cancel();
    }

    /**
     * CX15, CX8: an afterFunc registered on a context already done whose goroutine cannot start is started at
     * the retry; the registration returns normally (its {@code stop()} returns false, as for any function
     * already started). Before, the failure was thrown out of {@code Context.afterFunc}.
     */
    @Test
    void CX15_anAfterFuncOnADoneContextWhoseGoroutineCannotStartRunsLater() throws Exception {
        failStarts("context-afterfunc", 1, () -> {});
        CancellableContext ctx = Context.withCancel(Context.background());
        ctx.cancel();
        CountDownLatch ran = new CountDownLatch(1);
        AfterFunc f = Context.afterFunc(ctx, ran::countDown);
        assertThat(f.stop()).isFalse();
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * CX15, CX11: a deadline whose cancel finds an afterFunc that cannot start still ends the context, on the
     * hand-off thread, and the function runs at the retry.
     */
    @Test
    void CX15_aDeadlineWhoseAfterFuncCannotStartStillEndsTheContext() throws Exception {
        failStarts("context-afterfunc", 1, () -> {});
        CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(1));
        CountDownLatch ran = new CountDownLatch(1);
        Context.afterFunc(ctx, ran::countDown);
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ctx.err()).isInstanceOf(DeadlineExceededException.class);
    }
}
