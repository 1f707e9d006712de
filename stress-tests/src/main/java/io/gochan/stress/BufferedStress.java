package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.Received;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Buffered channels: S3 (FIFO; a blocked sender's value takes the freed slot), S4 (counting semaphore), C2
 * (len within [0, cap], on the ring, the only buffer whose {@code len()} races). Waits that a bug could
 * make endless are bounded (10 s), so a lost value is an outcome, not a hung run.
 */
public final class BufferedStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);

    private BufferedStress() {}

    @JCStressTest
    @Description("S4 and S3: with capacity 1 and the buffer full, the second send completes only after the "
            + "first receive, so a write made before that receive is visible after the send returns; that "
            + "receive moves the blocked sender's value into the freed slot, where it is afterwards. (x seen "
            + "by the sender, -1 the send did not complete within the bound; left in the buffer)")
    @Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "the receive happened before the send completed; 2 buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the send completed without the receive's prior write being visible, "
            + "never completed, or its value was lost when the receive moved it (mutant MUT5)")
    @State
    public static class KthReceiveHappensBeforeKPlusCthSend {
        final Chan<Integer> ch = Chan.make(1);
        int x;

        public KthReceiveHappensBeforeKPlusCthSend() {
            ch.trySend(1); // buffer full
        }

        @Actor
        public void sender(II_Result r) {
            try {
                r.r1 = ch.send(2, BOUND) ? x : -1;
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

        @Arbiter
        public void leftover(II_Result r) {
            r.r2 = ch.tryReceive().orElse(0);
        }
    }

    @JCStressTest
    @Description("S3: values from one sender are received in the order sent (capacity 2). (first, second "
            + "received: -1 nothing within the bound)")
    @Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "in order")
    @Outcome(expect = Expect.FORBIDDEN, desc = "out of order, lost (-1) or duplicated")
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
            r.r1 = receive();
            r.r2 = receive();
        }

        int receive() {
            try {
                Received<Integer> got = ch.receive(BOUND);
                return got.ok() ? got.value() : -1;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }

    @JCStressTest
    @Description("C2 on the ring (capacity 64), the one len() that reads two racing positions: len() of a full "
            + "ring, read 64 times while another thread receives one value and sends one back, 32 times. "
            + "(least seen, most seen)")
    @Outcome(id = {"63, 63", "63, 64", "64, 64"}, expect = Expect.ACCEPTABLE, desc = "within [cap - 1, cap]")
    @Outcome(expect = Expect.FORBIDDEN, desc = "another value; above cap is mutant MUT7 (two racy position reads, "
            + "no clamp)")
    @State
    public static class RingLenWithinBounds {
        final Chan<Integer> ch = WakeStress.full(); // 64 values in the ring

        @Actor
        public void churn() {
            for (int i = 0; i < 32; i++) {
                ch.tryReceive(); // the ring is full: takes one
                ch.trySend(0); // a slot is free and no one else sends: puts one back
            }
        }

        @Actor
        public void observer(II_Result r) {
            int min = Integer.MAX_VALUE;
            int max = Integer.MIN_VALUE;
            for (int i = 0; i < 64; i++) {
                int n = ch.len();
                min = Math.min(min, n);
                max = Math.max(max, n);
            }
            r.r1 = min;
            r.r2 = max;
        }
    }
}
