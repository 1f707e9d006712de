package io.gochan.stress;

import io.gochan.Chan;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/** Unbuffered handoff: S1 (exactly the value sent, exactly once) and S4 (writes before send are visible). */
public final class HandoffStress {
    private HandoffStress() {}

    @JCStressTest
    @Description("S1+S4: a plain write made before an unbuffered send is visible after the matching receive, "
            + "and the receiver gets exactly the value sent.")
    @Outcome(id = "7, 42", expect = Expect.ACCEPTABLE, desc = "value delivered, earlier write visible")
    @Outcome(expect = Expect.FORBIDDEN, desc = "wrong value, or the write before the send is not visible")
    @State
    public static class WritesBeforeSendAreVisible {
        final Chan<Integer> ch = Chan.make();
        int data; // plain field: only the channel orders it

        @Actor
        public void sender() {
            try {
                data = 42;
                ch.send(7);
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver(II_Result r) {
            try {
                r.r1 = ch.receive();
                r.r2 = data;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }

    @JCStressTest
    @Description("S1: two senders and two receivers on one unbuffered channel (each actor also starts a "
            + "sending goroutine, since this machine has only two CPUs for actors): every value arrives "
            + "exactly once.")
    @Outcome(id = {"1, 2", "2, 1"}, expect = Expect.ACCEPTABLE, desc = "each value received once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value lost or duplicated")
    @State
    public static class TwoSendersTwoReceivers {
        final Chan<Integer> ch = Chan.make();

        int sendAndReceive(int value) {
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    ch.send(value);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                int got = ch.receive();
                sender.join();
                return got;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void actor1(II_Result r) {
            r.r1 = sendAndReceive(1);
        }

        @Actor
        public void actor2(II_Result r) {
            r.r2 = sendAndReceive(2);
        }
    }
}
