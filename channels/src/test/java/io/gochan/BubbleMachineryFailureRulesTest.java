package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bubble's own machinery failing (BB31, BB32), simulated through {@code BubbleState.machineryFault} and, for the
 * afterFunc starts that make a start owed (BB29), {@code Go.startFault}, as {@code AfterFuncBubbleRetryRulesTest} does.
 * Before, an owed start whose real-time wait could not be arranged threw out of the cancel that owed it (or killed
 * the bubble's driver) and stayed counted as a running member for ever: {@code Bubble.run} waited until its caller
 * gave up (JUnit's {@code @Timeout}) instead of failing with the cause. A driver that could not start left the bubble
 * counted as running, its park hook installed for the JVM's life.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class BubbleMachineryFailureRulesTest {
    @AfterEach
    void restore() {
        Go.startFault = null;
        BubbleState.machineryFault = null;
    }

    /** Fails the first {@code failures} starts of afterFunc goroutines of contexts; each failure is recorded. */
    private static List<Throwable> failAfterFuncStarts(int failures) {
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        Go.startFault = name -> {
            if (name.equals("context-afterfunc") && attempts.incrementAndGet() <= failures) {
                InternalError e = new InternalError("simulated: unable to create native thread");
                thrown.add(e);
                throw e;
            }
        };
        return thrown;
    }

    /** Fails the {@code n}th arrangement of an owed start's real-time wait with {@code failure}. */
    private static void failRetryWait(int n, Error failure) {
        AtomicInteger arrangements = new AtomicInteger();
        BubbleState.machineryFault = step -> {
            if (step.equals(BubbleState.RETRY_WAIT) && arrangements.incrementAndGet() == n) {
                throw failure;
            }
        };
    }

    /**
     * BB31, CX15: the body cancels a context whose afterFunc's start fails, and the owed start's wait cannot be
     * arranged. The cancel returns normally, and {@code Bubble.run} throws that failure with the start's failure
     * attached. Before, the failure came out of {@code cancel()} ({@code cancelReturned} false), the body threw it,
     * and the owed start, still counted, held {@code Bubble.run} for the failed bubble's whole grace (10 s); the
     * start's failure was attached to nothing.
     */
    @Test
    void BB31_aCancelWhoseOwedStartCannotWaitCompletesAndRunThrowsTheFailure() {
        List<Throwable> startFailures = failAfterFuncStarts(1);
        InternalError retryFailure = new InternalError("simulated: no thread for the system timer");
        failRetryWait(1, retryFailure);
        AtomicBoolean cancelReturned = new AtomicBoolean();
        AtomicReference<CancellableContext> ctx = new AtomicReference<>();
        Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
            ctx.set(Context.withCancel(Context.background()));
            Context.afterFunc(ctx.get(), () -> {});
            ctx.get().cancel();
            cancelReturned.set(true);
        }));
        assertThat(cancelReturned).as("the cancel completed (CX15)").isTrue();
        assertThat(ctx.get().isDone()).isTrue();
        assertThat(thrown).as("Bubble.run throws what the bubble could not do").isSameAs(retryFailure);
        assertThat(startFailures).hasSize(1);
        assertThat(thrown.getSuppressed()).as("with why the start was owed").contains(startFailures.get(0));
        assertThat(Thread.currentThread().isInterrupted()).as("the bubble's interrupt is not left on the caller").isFalse();
    }

    /**
     * BB31, BB29: a deadline fired by the bubble's driver owes the start of its afterFunc, and the wait cannot be
     * arranged. Before, the failure left the driver's round as a failed firing (logged, TM11), the owed start stayed
     * counted, and {@code Bubble.run} never returned once the body had: the test hung until its {@code @Timeout}.
     */
    @Test
    void BB31_aDeadlineWhoseOwedStartCannotWaitFailsTheBubbleInsteadOfHangingIt() {
        List<Throwable> startFailures = failAfterFuncStarts(1);
        InternalError retryFailure = new InternalError("simulated: no thread for the system timer");
        failRetryWait(1, retryFailure);
        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<CancellableContext> ctx = new AtomicReference<>();
        Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
            ctx.set(Context.withTimeout(Context.background(), Duration.ofSeconds(1)));
            Context.afterFunc(ctx.get(), ran::countDown);
            ctx.get().done().receiveOk(); // durable: the clock jumps, and the driver fires the deadline
        }));
        assertThat(thrown).isSameAs(retryFailure);
        assertThat(thrown.getSuppressed()).contains(startFailures.get(0));
        assertThat(ctx.get().err()).as("the deadline's cancel completed").isInstanceOf(DeadlineExceededException.class);
        assertThat(ran.getCount()).as("the function could not run: that is what run() reports").isEqualTo(1);
    }

    /**
     * BB31: the wait is arranged, the driver's retry 100 ms later fails again, and the next wait cannot be arranged.
     * Before, that failure escaped the driver's loop and ended its thread: no clock, no deadlock check, and the owed
     * start counted for ever, so {@code Bubble.run} hung until the test's {@code @Timeout}.
     */
    @Test
    void BB31_aRetryOnTheDriverThatCannotWaitAgainFailsTheBubble() {
        List<Throwable> startFailures = failAfterFuncStarts(2); // the canceller's start and the driver's retry
        InternalError retryFailure = new InternalError("simulated: no thread for the system timer");
        failRetryWait(2, retryFailure); // the first wait is arranged, the second is not
        Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
            CancellableContext ctx = Context.withCancel(Context.background());
            Context.afterFunc(ctx, () -> {});
            ctx.cancel();
        }));
        assertThat(thrown).isSameAs(retryFailure);
        assertThat(startFailures).hasSize(2);
        assertThat(thrown.getSuppressed()).as("with the retry's own failure").contains(startFailures.get(1));
    }

    /**
     * BB32: the driver's thread cannot start. {@code Bubble.run} throws that failure at once, the body never runs,
     * and nothing of the bubble is left: no bubble counted as running (so no park hook kept installed for it, BB9),
     * the caller in no bubble, and the next bubble runs as ever. Before, the failure came out of {@code run} with the
     * bubble still counted ({@code Bubbles.running()} one more than before) for the JVM's life.
     */
    @Test
    void BB32_aDriverThatCannotStartFailsRunAtOnceAndLeavesNoBubbleBehind() throws Exception {
        int before = Bubbles.running();
        InternalError failure = new InternalError("simulated: unable to create native thread");
        BubbleState.machineryFault = step -> {
            if (step.equals(BubbleState.DRIVER_START)) {
                throw failure;
            }
        };
        AtomicBoolean bodyRan = new AtomicBoolean();
        Throwable thrown = catchThrowable(() -> Bubble.run(() -> bodyRan.set(true)));
        assertThat(thrown).isSameAs(failure);
        assertThat(bodyRan).as("the body never ran").isFalse();
        assertThat(Bubbles.running()).as("no bubble left counted as running").isEqualTo(before);
        assertThat(Bubble.inBubble()).isFalse();

        BubbleState.machineryFault = null;
        AtomicReference<Instant> woke = new AtomicReference<>();
        Bubble.run(() -> {
            Timers.sleep(Duration.ofHours(1));
            woke.set(Timers.now());
        });
        assertThat(woke.get()).as("the next bubble runs as ever").isEqualTo(BubbleState.EPOCH.plus(Duration.ofHours(1)));
    }
}
