package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An afterFunc whose goroutine could not start (CX15, TM13; simulated through {@code Go.startFault} as in
 * {@code AfterFuncStartRulesTest}) when the thread that made the start was a member of a virtual-time bubble or its
 * driver (CX20, BB29). The start is owed: its {@code stop()} already returned false. Before, the retry was an entry
 * of the bubble's heap 100 virtual ms ahead. The bubble's end-wait did not wait for it, and a pending timer never
 * fires after the end (BB27), so the function was lost. While a member waited non-durably, the 100 ms never passed.
 * While members waited durably, the clock jumped 100 ms for the retry. Now the bubble waits 100 ms of real time and
 * counts the start as a running member meanwhile, and its driver makes the start, so the goroutine joins the bubble.
 * Found by review ctx26 (its {@code ContextBubbleReviewTest}, adapted here). Each test takes about 100 ms: one real
 * retry wait.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class AfterFuncBubbleRetryRulesTest {
    @AfterEach
    void restore() {
        Go.startFault = null;
    }

    /**
     * Fails the first {@code failures} starts of goroutines named {@code name}, running {@code during} in each (an
     * Error, as the real OOM, but not one JUnit treats as unrecoverable).
     */
    private static AtomicInteger failStarts(String name, int failures, Runnable during) {
        AtomicInteger attempts = new AtomicInteger();
        Consumer<String> fault = n -> {
            if (n.equals(name) && attempts.incrementAndGet() <= failures) {
                during.run();
                throw new InternalError("simulated: unable to create native thread");
            }
        };
        Go.startFault = fault;
        return attempts;
    }

    /**
     * CX20, CX15, BB18: a cancel that is the body's last act, whose afterFunc's start fails once. The cancel claimed
     * the function (its {@code stop()} returns false), so it must run. Had the start succeeded, its goroutine would
     * have joined the bubble and {@code Bubble.run} would have waited for it: so it does now. Before, the root's
     * end-wait found no other member and closed the bubble with the retry pending in its heap: the function never
     * ran ({@code ran.getCount()} was 1).
     */
    @Test
    void CX20_BB18_anAfterFuncWhoseStartFailedInABubbleRunsInItBeforeRunReturns() throws Exception {
        AtomicInteger attempts = failStarts("context-afterfunc", 1, () -> {});
        CountDownLatch ran = new CountDownLatch(1);
        AtomicBoolean ranInTheBubble = new AtomicBoolean();
        AtomicReference<AfterFunc> registration = new AtomicReference<>();
        Bubble.run(() -> {
            CancellableContext ctx = Context.withCancel(Context.background());
            registration.set(Context.afterFunc(ctx, () -> {
                ranInTheBubble.set(Bubble.inBubble());
                ran.countDown();
            }));
            ctx.cancel(); // must not throw (CX15); the start fails once and is retried
        });
        assertThat(attempts.get()).as("the first start was tried and failed").isGreaterThanOrEqualTo(1);
        assertThat(registration.get().stop()).as("the cancel claimed it: the function must run (CX8)").isFalse();
        assertThat(ran.getCount()).as("the function ran before Bubble.run returned (BB18, BB29)").isZero();
        assertThat(ranInTheBubble).as("its goroutine was the bubble's, as a start that succeeded").isTrue();
    }

    /**
     * CX20, CX15, CX8: the mix. The context and the registration are made outside every bubble, a bubble's root
     * cancels the context and the start fails once. The goroutine is the canceller's (Go's {@code go f()} in
     * {@code cancel}), so the bubble owes the start and waits for it. Before, the retry went to the bubble's heap and
     * was lost when the bubble ended at once: the function, whose {@code stop()} returned false, never ran.
     */
    @Test
    void CX20_anAfterFuncRegisteredOutsideAndCancelledInABubbleIsNotLost() throws Exception {
        failStarts("context-afterfunc", 1, () -> {});
        CancellableContext ctx = Context.withCancel(Context.background()); // of no bubble
        CountDownLatch ran = new CountDownLatch(1);
        AfterFunc f = Context.afterFunc(ctx, ran::countDown); // registered outside every bubble
        Bubble.run(() -> ctx.cancel()); // cancelled by the bubble's root
        assertThat(f.stop()).as("claimed by the cancel").isFalse();
        assertThat(ran.getCount()).as("the function ran before Bubble.run returned (BB29)").isZero();
        assertThat(ran.await(10, TimeUnit.SECONDS)).as("the function whose stop() failed ran (CX8, CX15)").isTrue();
    }

    /**
     * CX20, BB2: the retry's 100 ms are for a JVM out of threads to recover, which takes real time. On the bubble's
     * clock they would pass only when every member is durably blocked. A member waiting for the function with a
     * {@code CountDownLatch} (not durable, BB2: the clock stands still) gets it after the real-time wait. Before, the
     * retry waited for virtual time that never passed: the latch timed out after 10 s ({@code ranInTime} false).
     */
    @Test
    void CX20_BB2_aRetriedStartDoesNotWaitForVirtualTimeThatANonDurableWaitNeverLetsPass() throws Exception {
        failStarts("context-afterfunc", 1, () -> {});
        CountDownLatch ran = new CountDownLatch(1);
        AtomicBoolean ranInTime = new AtomicBoolean();
        Bubble.run(() -> {
            CancellableContext ctx = Context.withCancel(Context.background());
            Context.afterFunc(ctx, ran::countDown);
            ctx.cancel();
            ranInTime.set(ran.await(10, TimeUnit.SECONDS)); // not durable: the bubble's clock stands still
        });
        assertThat(ranInTime).as("the retried start came while the member waited").isTrue();
    }

    /**
     * CX20, BB29: a deadline fired by the bubble's driver is a cancel made by the driver. The afterFunc's start fails
     * once, after the body, woken by the closed {@code done()}, has returned (or while it returns). The function runs
     * in the bubble, at the deadline's instant, before {@code Bubble.run} returns. Before, the retry was an entry
     * 100 virtual ms ahead: the end-wait closed the bubble once the driver's round was over, and the function was
     * lost ({@code ran.getCount()} was 1).
     */
    @Test
    void CX20_BB29_aDeadlineFiredByTheDriverWhoseAfterFuncCannotStartRunsInTheBubble() throws Exception {
        failStarts("context-afterfunc", 1, () -> {});
        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<Instant> deadline = new AtomicReference<>();
        AtomicReference<Instant> ranAt = new AtomicReference<>();
        AtomicReference<AfterFunc> registration = new AtomicReference<>();
        Bubble.run(() -> {
            deadline.set(Timers.now().plusSeconds(1));
            CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(1));
            registration.set(Context.afterFunc(ctx, () -> {
                ranAt.set(Timers.now());
                ran.countDown();
            }));
            ctx.done().receiveOk(); // durable: the clock jumps to the deadline, which the driver fires
        });
        assertThat(registration.get().stop()).as("claimed by the deadline's cancel").isFalse();
        assertThat(ran.getCount()).as("the function ran before Bubble.run returned (BB18, BB29)").isZero();
        assertThat(ranAt.get()).as("in the bubble, at the deadline: the retry did not move the clock").isEqualTo(deadline.get());
    }

    /**
     * BB29, BB10, BB3: an owed start counts as a running member. Go's goroutine would be running from the cancel on:
     * {@code Bubble.await()} is not released before the goroutine has started and blocked, and the clock does not
     * move for the retry. Before, the await was released at once, with the function not started
     * ({@code startedWhenAwaitReturned} false), and the receive that followed let the clock jump 100 ms to the
     * retry's entry ({@code after} was {@code before} plus 100 ms).
     */
    @Test
    void BB29_anOwedStartCountsAsARunningMemberForAwaitAndTheClock() throws Exception {
        failStarts("context-afterfunc", 1, () -> {});
        AtomicBoolean startedWhenAwaitReturned = new AtomicBoolean();
        AtomicReference<Instant> before = new AtomicReference<>();
        AtomicReference<Instant> after = new AtomicReference<>();
        AtomicReference<String> received = new AtomicReference<>();
        Bubble.run(() -> {
            Chan<String> c = Chan.make();
            AtomicBoolean started = new AtomicBoolean();
            CancellableContext ctx = Context.withCancel(Context.background());
            Context.afterFunc(ctx, () -> {
                started.set(true);
                try {
                    c.send("ran"); // durable: the bubble's channel
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            before.set(Timers.now());
            ctx.cancel(); // the start fails once: owed
            Bubble.await(); // until every other member is durably blocked: the function's goroutine in its send
            startedWhenAwaitReturned.set(started.get());
            received.set(c.receive());
            after.set(Timers.now());
        });
        assertThat(startedWhenAwaitReturned).as("await was released only once the owed goroutine ran").isTrue();
        assertThat(received).hasValue("ran");
        assertThat(after.get()).as("the clock did not move for the retry").isEqualTo(before.get());
    }

    /**
     * BB29, TM13: a bubble's {@code Timers.afterFunc} timer stopped while its firing's start was under way (the
     * {@code stop()} returns false, so the function is owed) and whose start fails. It runs in the bubble at the
     * timer's instant, and the clock does not move on before it has run. Before, the retry was an entry of the
     * bubble's heap 100 virtual ms ahead: the body's sleep, 1 ns after the timer, ended first
     * ({@code ranBeforeTheClockMoved} false), then the bubble ended and the function was lost.
     */
    @Test
    void BB29_aBubblesAfterFuncTimerStoppedDuringItsFailedStartRunsInTheBubbleAtItsInstant() throws Exception {
        AtomicReference<Timer> timer = new AtomicReference<>();
        AtomicReference<Boolean> stopped = new AtomicReference<>();
        // On the driver, between the round's take and the failed start: the one window a stop can hit (TM13).
        failStarts("gochan-afterfunc", 1, () -> stopped.set(timer.get().stop()));
        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<Instant> due = new AtomicReference<>();
        AtomicReference<Instant> ranAt = new AtomicReference<>();
        AtomicBoolean ranInTheBubble = new AtomicBoolean();
        AtomicBoolean ranBeforeTheClockMoved = new AtomicBoolean();
        Bubble.run(() -> {
            due.set(Timers.now().plusSeconds(1));
            timer.set(Timers.afterFunc(Duration.ofSeconds(1), () -> {
                ranAt.set(Timers.now());
                ranInTheBubble.set(Bubble.inBubble());
                ran.countDown();
            }));
            Timers.sleep(Duration.ofSeconds(1).plusNanos(1)); // durable; ends 1 ns after the timer's instant
            ranBeforeTheClockMoved.set(ran.getCount() == 0);
        });
        assertThat(stopped.get()).as("the stop found the firing under way: the function is owed").isFalse();
        assertThat(ranBeforeTheClockMoved).as("the clock stood until the owed goroutine had run").isTrue();
        assertThat(ran.getCount()).as("it ran before Bubble.run returned (BB18)").isZero();
        assertThat(ranInTheBubble).as("its goroutine was the bubble's").isTrue();
        assertThat(ranAt.get()).as("at the timer's instant").isEqualTo(due.get());
        assertThat(timer.get().stop()).as("started: nothing left to prevent").isFalse();
    }
}
