package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What is due now in a virtual-time bubble, and what its members wait for: a timer due at the clock's instant
 * runs before await() returns, an afterFunc due as the body ends runs before run() returns, a join with no time left
 * does not wait for a non-member. Each test failed before its fix without hanging (a regression of the join's is bounded by a 20 s
 * release valve, a generous bound, not an ordering). A receive with a context made outside the bubble
 * (BB2) is tested in WaitRegistrationRulesTest.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BubbleDueNowRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    /**
     * BB10, BB21 (Go: runtime/synctest.go maybeWakeLocked wakes the timer-running root before the Wait-er when
     * a bubble timer is due at the current instant). A one-shot timer reset to now while a member is already
     * blocked on its channel is due at the clock's instant: {@code Bubble.await()} must not return before that
     * member has received it. The driver released the await first (it checked {@code awaiting} before it
     * looked at the heap), and the receiver got its value only once the bubble was idle again.
     */
    @ParameterizedTest
    @ValueSource(longs = {0L, -1_000_000_000L})
    void BB10_BB21_awaitRunsATimerResetToNowBeforeItReturns(long resetNanos) throws Exception {
        Bubble.run(() -> {
            Timer t = Timers.newTimer(Duration.ofHours(1));
            AtomicReference<Instant> got = new AtomicReference<>();
            Goroutine receiver = Go.go("timer-receiver", () -> got.set(t.c().receive()));
            Bubble.await(); // the receiver waits, durably, on the timer's channel
            assertThat(t.reset(Duration.ofNanos(resetNanos))).as("was pending").isTrue();
            Bubble.await(); // the timer is due at this instant: it runs, the receiver takes its value and ends
            assertThat(got.get()).as("the value of the timer reset to now, received before await() returned")
                    .isEqualTo(EPOCH);
            assertThat(Timers.now()).as("the clock did not move").isEqualTo(EPOCH);
            receiver.join();
        });
    }

    /**
     * BB4 and {@link Goroutine#join(Duration)}'s contract ("false if the time ran out"): a join with no time
     * left never waits. From inside a bubble, for a goroutine (or future) that is not a member of it,
     * {@code awaitLeft} returned true ("not a member") and the untimed {@code Thread.join()} followed: the call
     * waited until the goroutine ended. Outside bubbles and for members the same call returns false at once.
     */
    @Test
    void BB4_aJoinWithNoTimeLeftOfAGoroutineOutsideTheBubbleDoesNotWait() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch testOver = new CountDownLatch(1);
        // Release valve (a bound, not an ordering): today the joins below wait until the goroutines end.
        Thread valve = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!testOver.await(20, TimeUnit.SECONDS)) {
                    release.countDown();
                }
            } catch (InterruptedException e) {
                release.countDown();
            }
        });
        Goroutine outside = Go.go("outside", release::await);
        GoFuture<String> future = Go.future("outside-future", () -> {
            release.await();
            return "done";
        });
        try {
            Bubble.run(() -> {
                assertThat(outside.join(Duration.ZERO)).as("running: false at once").isFalse();
                assertThat(outside.join(Duration.ofSeconds(-1))).as("negative: false at once").isFalse();
                assertThatThrownBy(() -> future.join(Duration.ZERO)).isInstanceOf(TimeoutException.class);
                assertThat(Timers.now()).isEqualTo(EPOCH);
            });
        } finally {
            testOver.countDown();
            release.countDown();
            assertThat(valve.join(Duration.ofSeconds(30))).isTrue();
            assertThat(outside.join(Duration.ofSeconds(30))).isTrue();
            assertThat(future.join(Duration.ofSeconds(30))).isEqualTo("done");
        }
    }

    /**
     * BB27 ("an afterFunc task due at the instant the clock stands at runs at once") and BB18 (when
     * {@code Bubble.run} returns every goroutine of the bubble has ended). The body's last act schedules an
     * afterFunc due now. The root's end-wait ({@code awaitOthersEnded}) looked only at the member count:
     * it found no other member before the driver had run the due action, set {@code closing}, and the
     * driver's {@code Go.start} then failed in {@code BubbleState.join} ("goroutine started in a virtual-time
     * bubble that has ended"): the task never ran, and an ERROR "tried again in 100 ms" was logged for a retry
     * on a clock that never moves again. If the driver's join landed between the root's last look and
     * {@code closing}, the task ran after {@code Bubble.run} returned instead (BB18). Which outcome happens
     * depends on thread timing; the loop made the usual one (never run) show in the first iterations.
     */
    @Test
    void BB27_BB18_anAfterFuncDueNowScheduledAsTheBodyEndsRunsBeforeRunReturns() throws Exception {
        for (int i = 0; i < 500; i++) {
            AtomicInteger started = new AtomicInteger();
            AtomicInteger ended = new AtomicInteger();
            Bubble.run(() -> Timers.afterFunc(Duration.ZERO, () -> {
                started.incrementAndGet();
                ended.incrementAndGet();
            }));
            assertThat(started.get()).as("iteration %d: the task due now ran", i).isEqualTo(1);
            assertThat(ended.get()).as("iteration %d: and ended before Bubble.run returned (BB18)", i).isEqualTo(1);
        }
    }

    /**
     * BB10, BB21, the same with a receiver whose wait has a deadline of its own (a second entry in the heap,
     * later than the timer reset to now): the due timer, not the deadline, ends its wait before
     * {@code await()} returns, and the clock does not move.
     */
    @Test
    void BB10_BB21_awaitRunsATimerResetToNowForATimedReceiver() throws Exception {
        Bubble.run(() -> {
            Timer t = Timers.newTimer(Duration.ofHours(1));
            AtomicReference<Received<Instant>> got = new AtomicReference<>();
            Goroutine receiver = Go.go("timed-receiver", () -> got.set(t.c().receive(Duration.ofHours(2))));
            Bubble.await();
            assertThat(t.reset(Duration.ZERO)).isTrue();
            Bubble.await();
            assertThat(got.get()).as("received before await() returned").isNotNull();
            assertThat(got.get().value()).isEqualTo(EPOCH);
            assertThat(Timers.now()).isEqualTo(EPOCH);
            receiver.join();
        });
    }

    /**
     * BB27, BB18, a goroutine's last act: it schedules an afterFunc due now and ends, while the root already
     * waits for the end. The task's goroutine joins the bubble before the root finds it empty.
     */
    @Test
    void BB27_BB18_anAfterFuncDueNowScheduledAsTheLastGoroutineEndsRunsBeforeRunReturns() throws Exception {
        for (int i = 0; i < 300; i++) {
            AtomicInteger ended = new AtomicInteger();
            Bubble.run(() -> {
                Go.go("last", () -> Timers.afterFunc(Duration.ZERO, ended::incrementAndGet));
            });
            assertThat(ended.get()).as("iteration %d: the task due now ran before Bubble.run returned", i)
                    .isEqualTo(1);
        }
    }

    /**
     * BB27, BB18, the clock moving: the body's sleep and many afterFuncs are due at the same instant. The round
     * that fires them wakes the body, which returns, and the goroutines the round started so far may end too,
     * before the round has started the rest; the root's end-wait must not take that moment for the end (the
     * round is still under way).
     */
    @Test
    void BB27_BB18_afterFuncsDueWithTheLastSleepersWakeAllRunBeforeRunReturns() throws Exception {
        int tasks = 64;
        for (int i = 0; i < 100; i++) {
            AtomicInteger ended = new AtomicInteger();
            Bubble.run(() -> {
                for (int k = 0; k < tasks; k++) {
                    Timers.afterFunc(Duration.ofHours(1), ended::incrementAndGet);
                }
                // The body is the sleeper: woken by the round, it returns and the root's end-wait begins while the
                // round may still start tasks (a sleeper goroutine left after the body would be a deadlock: the clock
                // stops when the body returns, BB39).
                Timers.sleep(Duration.ofHours(1));
            });
            assertThat(ended.get()).as("iteration %d: every task ran before Bubble.run returned", i).isEqualTo(tasks);
        }
    }

    /**
     * BB4: a join with no time left of a goroutine of the bubble that has already left it returns true (its
     * thread's last steps are waited for, as an untimed join waits for them), not false for a thread that
     * is still taking them.
     */
    @Test
    void BB4_aJoinWithNoTimeLeftOfAMemberThatLeftReturnsTrue() throws Exception {
        Bubble.run(() -> {
            for (int i = 0; i < 100; i++) {
                Chan<Integer> done = Chan.make();
                int n = i;
                Goroutine g = Go.go("short", () -> done.send(n));
                assertThat(done.receive()).isEqualTo(n);
                Bubble.await(); // g has left the bubble (or is about to: await waits for members)
                assertThat(g.join(Duration.ZERO)).as("iteration %d", i).isTrue();
            }
        });
    }
}
