package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule I9 (docs/spec/channels.md), with GF7 (docs/spec/context-timers.md): a join that is already waiting when the
 * end it waits for is decided, and is interrupted after that, returns (a future's join: its outcome) with the
 * interrupt flag set, as a channel operation completes when an interrupt races its handoff (I2). Each round parks a
 * joiner in the join, releases the task, waits (spinning, no sleep) until the end is visible from outside, then
 * interrupts the joiner: the interrupt always comes after the end, so after the fix no round can fail whatever the
 * timing. Before, the wait was {@code Thread.join}, which throws InterruptedException for an interrupt that reaches
 * the joiner before it has run again, also once the thread has ended (a future's thread takes its last steps after
 * {@code done()} closed), so the end, and a future's value, was lost to the interrupt.
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a regression may hang: fail, do not wait
class JoinInterruptRulesTest {
    private static final int ROUNDS = 1_000;

    /** How a join ended: "returned" or the value, then whether the flag was set; or the exception's class. */
    private interface Join {
        String run() throws Exception;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I9_GF7_aFutureJoinInterruptedAfterDoneClosedReturnsTheOutcome(Kind kind) throws Exception {
        List<String> wrong = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < ROUNDS; i++) {
                boolean timed = (i & 1) == 1;
                Chan<Integer> release = Chan.make();
                GoFuture<Integer> f = Go.future(release::receive);
                String got = round(threads, i,
                        () -> String.valueOf(timed ? f.join(Duration.ofDays(1)) : f.join()),
                        () -> f.done().tryReceive().closed(), release);
                if (!(i + ", flag set").equals(got)) {
                    wrong.add("round " + i + (timed ? " (timed)" : "") + ": " + got);
                }
            }
        }
        assertThat(wrong).as("future joins that lost a decided outcome to a later interrupt (of %d)", ROUNDS).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I9_aGoroutineJoinInterruptedAfterTheGoroutineEndedReturns(Kind kind) throws Exception {
        List<String> wrong = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < ROUNDS; i++) {
                boolean timed = (i & 1) == 1;
                Chan<Integer> release = Chan.make();
                Goroutine g = Go.go("i9-" + i, release::receive);
                String got = round(threads, i, () -> {
                    if (timed) {
                        return g.join(Duration.ofDays(1)) ? "returned" : "timed out";
                    }
                    g.join();
                    return "returned";
                }, () -> !g.isAlive(), release);
                if (!"returned, flag set".equals(got)) {
                    wrong.add("round " + i + (timed ? " (timed)" : "") + ": " + got);
                }
            }
        }
        assertThat(wrong).as("goroutine joins that threw for an interrupt after the end (of %d)", ROUNDS).isEmpty();
    }

    /**
     * One round: a joiner of the test's kind runs {@code join} until it waits (parked), the task is released with
     * {@code round}, the main thread spins until {@code ended} holds, then interrupts the joiner.
     *
     * @return what the join gave, with ", flag set" or ", flag clear"; or the exception it threw
     */
    private static String round(Threads threads, int round, Join join, BooleanSupplier ended, Chan<Integer> release)
            throws Exception {
        AtomicReference<String> got = new AtomicReference<>();
        AtomicBoolean interruptSent = new AtomicBoolean();
        Thread joiner = threads.start(() -> {
            String outcome;
            try {
                outcome = join.run();
                // A join that returned before the interrupt came looks at the flag only once it was sent.
                Threads.awaitTrue(interruptSent::get, "the interrupt to be sent");
                outcome += Thread.interrupted() ? ", flag set" : ", flag clear";
            } catch (Exception e) {
                outcome = e.getClass().getSimpleName();
            }
            got.set(outcome);
        });
        Threads.awaitTrue(() -> joiner.getState() == Thread.State.WAITING
                || joiner.getState() == Thread.State.TIMED_WAITING, "the joiner waiting in the join");
        release.send(round);
        long give = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!ended.getAsBoolean()) {
            assertThat(System.nanoTime() - give).as("round %d: the task to end", round).isNegative();
            Thread.onSpinWait();
        }
        joiner.interrupt();
        interruptSent.set(true);
        assertThat(joiner.join(Duration.ofSeconds(30))).as("round %d: the joiner ended", round).isTrue();
        return got.get();
    }
}
