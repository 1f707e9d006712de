package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.Received;
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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Buffered channels: S3 (FIFO; a blocked sender's value takes the freed slot), S4 (counting semaphore), C2
 * (len within [0, cap], on the ring, the only buffer whose {@code len()} races), C7 (len steady while a receive
 * moves a blocked sender's value in). Waits that a bug could
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

    /**
     * C7's blocked sender, a virtual thread the state starts (jcstress has two CPUs here, so two actors): it sends
     * onto the full channel, bounded; {@link #joined} tells whether that send completed.
     */
    static Thread sendOntoFull(Chan<Integer> ch, int[] completed) {
        return Thread.ofVirtual().start(() -> {
            try {
                completed[0] = ch.send(0, BOUND) ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        });
    }

    /** 1 if the sender's send completed (joined within the bound), else 0. */
    static int joined(Thread sender, int[] completed) {
        try {
            return sender.join(BOUND) ? completed[0] : 0;
        } catch (InterruptedException e) {
            throw new IllegalStateException("unexpected interrupt", e);
        }
    }

    /** C7's receiver: waits (bounded) until the sender is queued, then takes one value; 1 if it was queued. */
    static int receiveOnceSenderQueued(Chan<Integer> ch) {
        int queued = 0;
        for (int i = 0; i < 200_000 && queued == 0; i++) {
            if (ChannelCores.of(ch).waitingSenders() == 1) {
                queued = 1;
            } else {
                Thread.onSpinWait();
            }
        }
        ch.tryReceive();
        return queued;
    }

    /** C7's observer: the least of 64 reads of len(), minus the capacity (0: never below it). */
    static int leastLenBelowCapacity(Chan<Integer> ch) {
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < 64; i++) {
            min = Math.min(min, ch.len());
        }
        return min - ch.cap();
    }

    @JCStressTest
    @Description("C7 on the ring (capacity 64): while a sender is blocked on a full ring, a receive that moves its "
            + "value in never lets len() read below the capacity, as Go's qcount stays put. (sender queued at the "
            + "receive, least len() minus cap, send completed)")
    @Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "len() stayed at the capacity throughout")
    @Outcome(id = {"0, 0, 1", "0, -1, 1"}, expect = Expect.ACCEPTABLE_INTERESTING,
            desc = "the sender was not queued yet at the receive: a fast receive and a fast send, len() may dip")
    @Outcome(expect = Expect.FORBIDDEN, desc = "len() read cap - 1 while the sender waited, or the send never completed")
    @State
    public static class RingLenSteadyWhileReceiveMovesSenderIn {
        final Chan<Integer> ch = WakeStress.full(64);
        final int[] completed = new int[1];
        final Thread sender = sendOntoFull(ch, completed);

        @Actor
        public void receiver(III_Result r) {
            r.r1 = receiveOnceSenderQueued(ch);
        }

        @Actor
        public void observer(III_Result r) {
            r.r2 = leastLenBelowCapacity(ch);
        }

        @Arbiter
        public void sent(III_Result r) {
            r.r3 = joined(sender, completed);
        }
    }

    @JCStressTest
    @Description("C7 on the locked buffer (capacity 16): as RingLenSteadyWhileReceiveMovesSenderIn; the receive "
            + "writes the blocked sender's value into the slot it frees and never lowers the count. (sender queued "
            + "at the receive, least len() minus cap, send completed)")
    @Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "len() stayed at the capacity throughout")
    @Outcome(id = {"0, 0, 1", "0, -1, 1"}, expect = Expect.ACCEPTABLE_INTERESTING,
            desc = "the sender was not queued yet at the receive: len() may dip until it sends")
    @Outcome(expect = Expect.FORBIDDEN, desc = "len() read cap - 1 while the sender waited, or the send never completed")
    @State
    public static class LockedLenSteadyWhileReceiveMovesSenderIn {
        final Chan<Integer> ch = WakeStress.full(16);
        final int[] completed = new int[1];
        final Thread sender = sendOntoFull(ch, completed);

        @Actor
        public void receiver(III_Result r) {
            r.r1 = receiveOnceSenderQueued(ch);
        }

        @Actor
        public void observer(III_Result r) {
            r.r2 = leastLenBelowCapacity(ch);
        }

        @Arbiter
        public void sent(III_Result r) {
            r.r3 = joined(sender, completed);
        }
    }
}
