package io.gochan.stress;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.Timer;
import io.gochan.Timers;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A lazy one-shot channel timer (rule TM29: in the system scheduler's heap only while a receiver waits on its channel)
 * delivers its one value exactly once while receivers come and go around the moment it becomes due: the receiver's
 * arrival puts it in the heap, its leaving takes it out (armed, for a look to deliver when due, TM7), the timer thread's
 * round fires it, and a look fires it. Real time: the actor that looks first resets the timer (armed for an hour when
 * the state is made, so that the receiver waits on it) to fire 0, 20, 40 or {@value #MAX_DELAY_MICROS} µs later,
 * in turn from one state to the next, so that the round, the look and the receiver's leaving meet the moment it
 * becomes due in every order.
 */
public final class TimerStress {
    /** The longest delay the reset gives the timer: short enough to keep rounds quick. */
    static final long MAX_DELAY_MICROS = 60;
    /** The final receive's bound: far beyond the delay; reached only if the value was lost. */
    static final Duration LOST_AFTER = Duration.ofSeconds(5);
    private static final java.util.concurrent.atomic.AtomicInteger ROUNDS = new java.util.concurrent.atomic.AtomicInteger();

    private TimerStress() {}

    @JCStressTest
    @Description("TM29: a receiver that waits, then leaves through its context, a look after a reset, and a final "
            + "receive: exactly one of them gets the timer's value.")
    @Outcome(id = {"1, 0, 0", "0, 1, 0", "0, 0, 1"}, expect = Expect.ACCEPTABLE,
            desc = "the waiting receiver, the look or the final receive got the one value")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the value lost (nobody got it within 5 s) or delivered twice")
    @State
    public static class ReceiverComesAndGoesAsTheTimerFires {
        final CancellableContext ctx = Context.withCancel(Context.background());
        final Timer timer = Timers.newTimer(Duration.ofHours(1));
        /** 0, 20, 40 or 60 µs, in turn from one state to the next. */
        final long delayNanos = Math.floorMod(ROUNDS.getAndIncrement(), 4) * (MAX_DELAY_MICROS / 3) * 1_000;

        @Actor
        public void waitingReceiver(III_Result r) {
            try {
                r.r1 = timer.c().receiveOk(ctx).ok() ? 1 : 0;
            } catch (CancellationException e) {
                r.r1 = 0; // its context ended first: nothing taken (CH4)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.r1 = -1;
            }
        }

        @Actor
        public void resetLookThenCancel(III_Result r) {
            timer.reset(Duration.ofNanos(delayNanos)); // unfired: re-armed, no stale value (Go 1.23)
            r.r2 = timer.c().tryReceive().ok() ? 1 : 0; // delivers the timer if due (TM7)
            ctx.cancel(); // the waiting receiver leaves, unless it has its value
        }

        @Arbiter
        public void finalReceive(III_Result r) {
            try {
                // Waits only when neither actor got the value: it is then still due to come (a look or the round).
                r.r3 = (r.r1 == 1 || r.r2 == 1 ? timer.c().tryReceive() : timer.c().receive(LOST_AFTER)).ok() ? 1 : 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.r3 = -1;
            }
        }
    }
}
