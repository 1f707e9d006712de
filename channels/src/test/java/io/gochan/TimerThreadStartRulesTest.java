package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A timer armed when the timer thread cannot start (a JVM out of native threads at the first timer): rule TM23 of
 * docs/spec/context-timers.md, with CX3. The start is made to fail by {@code TimerScheduler.threadStartFault} on a
 * scheduler of the test's own (the system one's thread is running already), which therefore never has a thread: the
 * test leaves none behind, and drives the scheduler by hand.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerThreadStartRulesTest {

    @AfterEach
    void clearFault() {
        TimerScheduler.threadStartFault = null;
    }

    private static TimerScheduler failingToStart() {
        // The system scheduler's thread started first, so that the fault can reach only the test's scheduler.
        Timers.newTimer(java.time.Duration.ofHours(1)).stop();
        TimerScheduler.threadStartFault = () -> {
            throw new OutOfMemoryError("simulated: unable to create native thread");
        };
        return new TimerScheduler(new TimerRulesTest.FakeClock(), true);
    }

    /**
     * TM23: an {@code afterFunc}, a one-shot timer's first arming and a {@code reset} that fail because the timer
     * thread cannot start throw that failure having armed nothing: nothing is scheduled, and the function of the
     * {@code afterFunc} that threw never runs, not once a later call starts the thread either. Before, the entry was
     * in the heap when the start threw: the caller was told it failed, and the function ran at the next round.
     */
    @Test
    void TM23_aTimerArmedWhileTheTimerThreadCannotStartFailsWholeAndArmsNothing() {
        TimerScheduler s = failingToStart();
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> new Timer(s, (Task) ran::incrementAndGet).resetNanos(0))
                .isInstanceOf(OutOfMemoryError.class);
        Timer t = new Timer(s, false);
        assertThatThrownBy(() -> t.resetNanos(10)).isInstanceOf(OutOfMemoryError.class);
        assertThat(s.pending()).as("scheduled after the failed calls").isZero();
        assertThat(t.stop()).as("the timer whose arming failed was never armed").isFalse();
        assertThat(s.runDue()).as("a round finds nothing to fire").isZero();
        assertThat(ran).hasValue(0);
    }

    /**
     * TM23, CX3: a context with a deadline of its own made while the timer thread cannot start throws that failure
     * with its parent unchanged: no child registered, nothing scheduled. Before, the child was registered with its
     * parent first and the start threw after, when its deadline was armed: the caller had no context, the parent kept
     * a child nobody could cancel, and its deadline stayed in the heap.
     */
    @Test
    void TM23_CX3_aDeadlineWhoseTimerThreadCannotStartLeavesTheParentUnchanged() {
        TimerScheduler s = failingToStart();
        CancellableContext root = Context.withCancel(Context.background());
        assertThatThrownBy(() -> Contexts.newChild(root, Instant.now().plusSeconds(3600), null, s))
                .isInstanceOf(OutOfMemoryError.class);
        assertThat(((Contexts.CancelContext) root).childCount()).as("children registered with the parent").isZero();
        assertThat(s.pending()).as("deadlines scheduled").isZero();
        // A child without a deadline of its own, or with one already past, needs no timer thread.
        CancellableContext plain = Contexts.newChild(root, null, null, s);
        CancellableContext past = Contexts.newChild(root, Instant.now().minusSeconds(1), null, s);
        assertThat(past.err()).isInstanceOf(DeadlineExceededException.class);
        assertThat(((Contexts.CancelContext) root).childCount()).isEqualTo(1);
        root.cancel();
        assertThat(plain.err()).isInstanceOf(ContextCanceledException.class);
    }

    /**
     * TM23 with CX15, TM13: a start that is owed (an afterFunc's goroutine that could not start after its
     * {@code stop()} already returned false) is armed for its retry even while the timer thread cannot start: the call
     * never throws (a context's cancel completes), the failure is logged, and the start runs at a later round. Failing
     * whole is only for a caller who can be told.
     */
    @Test
    void TM23_CX15_anOwedStartIsArmedEvenWhileTheTimerThreadCannotStart() {
        TimerRulesTest.FakeClock fake = new TimerRulesTest.FakeClock();
        Timers.newTimer(java.time.Duration.ofHours(1)).stop();
        TimerScheduler.threadStartFault = () -> {
            throw new OutOfMemoryError("simulated: unable to create native thread");
        };
        TimerScheduler s = new TimerScheduler(fake, true);
        AtomicInteger started = new AtomicInteger();
        s.startLater(started::incrementAndGet, new OutOfMemoryError("simulated: the goroutine could not start"));
        assertThat(s.pending()).as("the owed start, armed").isEqualTo(1);
        fake.advance(TimerScheduler.RETRY_NANOS);
        assertThat(s.runDue()).isEqualTo(1);
        assertThat(started).hasValue(1);
    }
}
