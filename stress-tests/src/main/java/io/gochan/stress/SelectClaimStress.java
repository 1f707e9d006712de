package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.select.Select;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * L6 where only the waiter decides: a select parked on two channels that two partners try to complete.
 * {@code SelectStress.TwoSelectsOneValue} never parks (both selects have a default), so no suite before
 * this one made a channel meet a select's node that another channel had already claimed. The mutants
 * these suites must catch ({@code stress-tests/mutants}, {@code run.sh mutants}): MUT1 (the ring's settle
 * takes the value before the claim decides) by {@link RingLosingCaseKeepsItsValue}; MUT6 (the waiter claimed by
 * check-then-set) by {@link TwoChannelsClaimOneSelect}, whose window is a few nanoseconds, so a short run
 * may miss it (the ring suite is the one with reliable power). The waits are bounded (10 s) so a lost
 * wake-up shows as an outcome, not a hung run.
 */
public final class SelectClaimStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);
    /** The smallest capacity that has the lock-free ring (as WakeStress.RING). */
    static final int RING = 64;

    private SelectClaimStress() {}

    static boolean queuedOnBoth(Chan<Integer> a, Chan<Integer> b) {
        return ChannelCores.of(a).waitingReceivers() == 1 && ChannelCores.of(b).waitingReceivers() == 1;
    }

    @JCStressTest
    @Description("L6 on the ring: a select waits on two empty rings; one actor sends 1 on a, then 2 on b. The "
            + "send on b meets the select's node after a already claimed it (a dead node): its value must stay "
            + "at the head of b's ring. (select's result, left in a, left in b)")
    @Outcome(id = "1, 0, 2", expect = Expect.ACCEPTABLE, desc = "the select took a's value; b's value is still in b")
    @Outcome(id = "2, 1, 0", expect = Expect.ACCEPTABLE, desc = "both were ready when the select looked; it chose b")
    @Outcome(expect = Expect.FORBIDDEN, desc = "b's value taken for a select that had already won (lost), a value "
            + "duplicated, or the select not woken (-1)")
    @State
    public static class RingLosingCaseKeepsItsValue {
        final Chan<Integer> a = Chan.make(RING);
        final Chan<Integer> b = Chan.make(RING);

        @Actor
        public void selector(III_Result r) {
            try {
                r.r1 = Select.<Integer>cases().receive(a, v -> v).receive(b, v -> v).timeout(BOUND, () -> -1).select();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void sender() {
            a.trySend(1); // a ring with room: always true
            b.trySend(2); // the select's node on b is usually still queued (dead) here
        }

        @Arbiter
        public void leftovers(III_Result r) {
            r.r2 = a.tryReceive().orElse(0);
            r.r3 = b.tryReceive().orElse(0);
        }
    }

    @JCStressTest
    @Description("L6 with two claimers: a select parked on two unbuffered channels; two threads try-send on "
            + "a and on b at the same moment, each under its own channel's lock, so only the waiter's CAS "
            + "decides. Exactly one try-send delivers. (select's result, a delivered, b delivered)")
    @Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "a's send won the select; b's found a dead node")
    @Outcome(id = "2, 0, 1", expect = Expect.ACCEPTABLE, desc = "b's send won the select; a's found a dead node")
    @Outcome(id = "1, 2, 0", expect = Expect.ACCEPTABLE_INTERESTING,
            desc = "the select was not queued within the spin bound: no race this time, a timed send on a completed it")
    @Outcome(expect = Expect.FORBIDDEN, desc = "both sends reported delivered to one select (a value lost), "
            + "the select's result disagrees with the sends, or it was not woken (-1)")
    @State
    public static class TwoChannelsClaimOneSelect {
        final Chan<Integer> a = Chan.make();
        final Chan<Integer> b = Chan.make();
        volatile boolean go;

        @Actor
        public void selector(III_Result r) {
            try {
                r.r1 = Select.<Integer>cases().receive(a, v -> v).receive(b, v -> v).timeout(BOUND, () -> -1).select();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void twoSenders(III_Result r) {
            // Bounded: wait until the select is parked on both channels, so both sends meet its nodes.
            boolean queued = false;
            for (int i = 0; i < 200_000 && !(queued = queuedOnBoth(a, b)); i++) {
                Thread.onSpinWait();
            }
            if (!queued) {
                // The selector is late (descheduled, or a state behind: jcstress runs each actor through the
                // states on its own). Two try-sends would both find nobody and leave the select to wait out its
                // 10 s bound, and this actor, running on ahead, would do the same to every later state: complete
                // it with a timed send instead, an outcome of its own.
                try {
                    r.r2 = a.send(1, BOUND) ? 2 : 0;
                } catch (InterruptedException e) {
                    throw new IllegalStateException("unexpected interrupt", e);
                }
                return;
            }
            // Only two actors fit two CPUs: the second claimer is a goroutine, released by `go` with this one.
            Thread other = Thread.ofVirtual().start(() -> {
                while (!go) {
                    Thread.onSpinWait();
                }
                r.r3 = b.trySend(2) ? 1 : 0;
            });
            go = true;
            r.r2 = a.trySend(1) ? 1 : 0;
            try {
                other.join(); // a trySend never blocks
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }
}
