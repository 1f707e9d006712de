package io.gochan.stress.broken;

import io.gochan.Chan;
import io.gochan.Received;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Broken toy model for OverflowStress (run by {@code run.sh broken}; must be caught): a hand-rolled drop-oldest,
 * not the core's overflow path, so a jcstress self-test, not evidence that the suite can fail (see
 * {@code BrokenTwins}).
 */
public final class BrokenOverflowTwins {
    private BrokenOverflowTwins() {}

    @JCStressTest
    @Description("BROKEN toy model for OverflowStress.DropOldestSendRacesReceive (hand-written, not gochan's core): "
            + "a hand-rolled drop-oldest send on a "
            + "plain capacity-1 channel (trySend, else take the old value and retry) that forgets to report the "
            + "value it takes out, and lets a receive find the channel empty between its two steps.")
    @Outcome(id = "1, 0, 2", expect = Expect.ACCEPTABLE, desc = "the receive took 1 first; 2 buffered")
    @Outcome(id = "2, 1, 0", expect = Expect.ACCEPTABLE, desc = "the send dropped 1 first; the receive took 2")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value lost (the bug this model has)")
    @State
    public static class BrokenDropOldestLosesTheOldValue {
        int dropped;
        final Chan<Integer> ch = Chan.make(1);

        public BrokenDropOldestLosesTheOldValue() {
            ch.trySend(1);
        }

        @Actor
        public void sender() {
            if (!ch.trySend(2)) {
                Received<Integer> old = ch.tryReceive(); // taken out, never reported: lost
                ch.trySend(2);
            }
        }

        @Actor
        public void receiver(III_Result r) {
            r.r1 = ch.tryReceive().orElse(0);
        }

        @Arbiter
        public void leftovers(III_Result r) {
            r.r2 = dropped;
            r.r3 = ch.tryReceive().orElse(0);
        }
    }
}
