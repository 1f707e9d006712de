package io.gochan.stress;

import io.gochan.Chan;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Drop-oldest (conflated) channels, rules OV1–OV3: a send that drops races a receive; every value is
 * received, reported dropped, or left buffered, exactly once. Results are (received, dropped, left
 * buffered), 0 for none.
 */
public final class OverflowStress {
    private OverflowStress() {}

    @JCStressTest
    @Description("OV1/OV3: conflated channel holding 1; a send of 2 (which drops 1 if the buffer is still full) "
            + "races a tryReceive. Each value is received, dropped or left buffered exactly once.")
    @Outcome(id = "1, 0, 2", expect = Expect.ACCEPTABLE, desc = "the receive took 1 first; 2 buffered")
    @Outcome(id = "2, 1, 0", expect = Expect.ACCEPTABLE, desc = "the send dropped 1 first; the receive took 2")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value lost, duplicated, or a receive found the channel empty")
    @State
    public static class DropOldestSendRacesReceive {
        int dropped; // written by the callback on the sender's thread; read by the arbiter
        final Chan<Integer> ch = Chan.conflated(v -> dropped = dropped * 10 + v);

        public DropOldestSendRacesReceive() {
            ch.trySend(1); // full
        }

        @Actor
        public void sender() {
            try {
                ch.send(2);
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
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

    @JCStressTest
    @Description("OV1/OV3: a receiver blocked on an empty conflated channel races two sends (1 then 2): a waiting "
            + "receiver is handed the value before the buffer; each value is received, dropped or left exactly once.")
    @Outcome(id = "1, 0, 2", expect = Expect.ACCEPTABLE, desc = "the receiver got 1 (handed over or buffered); 2 buffered")
    @Outcome(id = "2, 1, 0", expect = Expect.ACCEPTABLE, desc = "both sends came before the receive: 1 dropped, 2 received")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value lost or duplicated")
    @State
    public static class BlockedReceiverRacesTwoSends {
        int dropped;
        final Chan<Integer> ch = Chan.conflated(v -> dropped = dropped * 10 + v);

        @Actor
        public void sender() {
            try {
                ch.send(1);
                ch.send(2);
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver(III_Result r) {
            try {
                r.r1 = ch.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void leftovers(III_Result r) {
            r.r2 = dropped;
            r.r3 = ch.tryReceive().orElse(0);
        }
    }
}
