package io.gochan.stress;

import io.gochan.Chan;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.I_Result;

/** Buffered channels: S3 (FIFO), S4 (counting semaphore), C2 (len within [0, cap]). */
public final class BufferedStress {
    private BufferedStress() {}

    @JCStressTest
    @Description("S4: with capacity 1 and the buffer full, the second send completes only after the first "
            + "receive, so a write made before that receive is visible after the send returns.")
    @Outcome(id = "1", expect = Expect.ACCEPTABLE, desc = "the receive happened before the send completed")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the send completed without the receive's prior write being visible")
    @State
    public static class KthReceiveHappensBeforeKPlusCthSend {
        final Chan<Integer> ch = Chan.make(1);
        int x;

        public KthReceiveHappensBeforeKPlusCthSend() {
            ch.trySend(1); // buffer full
        }

        @Actor
        public void sender(I_Result r) {
            try {
                ch.send(2);
                r.r1 = x;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver() {
            try {
                x = 1;
                ch.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }

    @JCStressTest
    @Description("S3: values from one sender are received in the order sent (capacity 2).")
    @Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "in order")
    @Outcome(expect = Expect.FORBIDDEN, desc = "out of order, lost or duplicated")
    @State
    public static class FifoPerSender {
        final Chan<Integer> ch = Chan.make(2);

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
        public void receiver(II_Result r) {
            try {
                r.r1 = ch.receive();
                r.r2 = ch.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }

    @JCStressTest
    @Description("C2: len() observed while another thread sends and receives never leaves [0, cap].")
    @Outcome(id = {"0", "1"}, expect = Expect.ACCEPTABLE, desc = "within [0, 1]")
    @Outcome(expect = Expect.FORBIDDEN, desc = "outside [0, cap]")
    @State
    public static class LenWithinBounds {
        final Chan<Integer> ch = Chan.make(1);

        @Actor
        public void mutator() {
            ch.trySend(1);
            ch.tryReceive();
            ch.trySend(2);
        }

        @Actor
        public void observer(I_Result r) {
            r.r1 = ch.len();
        }

        @Arbiter
        public void drain() {
            ch.tryReceive();
        }
    }
}
