package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.select.Select;
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
 * The lock-free ring of buffered channels of capacity 64 to 4,096 (ADR 0015): no lost wake-up (S2, S3,
 * L6), a thread that blocks on an empty or full ring while its partner's fast operation makes it ready
 * is always woken (a fast operation and a thread going to sleep meet only through a Dekker handshake);
 * a send racing a close delivers or throws (K5; that no send lands after the close is
 * {@code CloseWakeStress.NoValueLandsAfterClose}); order through the ring and the queue of blocked
 * senders (S3). The waits are bounded (10 s) so a lost wake-up shows as an outcome, not a hung run.
 */
public final class WakeStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);
    /** The smallest capacity that has the lock-free ring. */
    static final int RING = 64;

    /**
     * A ring capacity that is not a power of two: the ring has 256 slots (capacity plus slack, rounded up
     * to a power of two) and only the positions bound it at 100 values.
     */
    static final int ODD_RING = 100;

    /** A ring channel holding 1..RING (full). */
    static Chan<Integer> full() {
        return full(RING);
    }

    /** A ring channel of {@code capacity} holding 1..capacity (full). */
    static Chan<Integer> full(int capacity) {
        Chan<Integer> ch = Chan.make(capacity);
        for (int i = 1; i <= capacity; i++) {
            ch.trySend(i);
        }
        return ch;
    }

    private WakeStress() {}

    @JCStressTest
    @Description("S2: a receive on an empty ring racing with a send gets the value; the send never waits.")
    @Outcome(id = "7, 1", expect = Expect.ACCEPTABLE, desc = "received the value sent")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the receiver was not woken (a lost wake-up) or got something else")
    @State
    public static class SendWakesReceiverOnEmptyBuffer {
        final Chan<Integer> ch = Chan.make(RING);

        @Actor
        public void receiver(II_Result r) {
            try {
                Received<Integer> got = ch.receive(BOUND);
                r.r1 = got.ok() ? got.value() : -1;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void sender(II_Result r) {
            r.r2 = ch.trySend(7) ? 1 : 0; // a buffered send with room never waits (S2)
        }
    }

    @JCStressTest
    @Description("S2/S3: a send blocked on a full ring racing with a receive completes; the receive gets the "
            + "oldest value and the blocked sender's value is buffered last, after all the others.")
    @Outcome(id = "1, 1, 65", expect = Expect.ACCEPTABLE, desc = "the receive freed a slot; the sender's value took it")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the sender was not woken, or a value was lost, reordered or duplicated")
    @State
    public static class ReceiveWakesSenderOnFullBuffer {
        final Chan<Integer> ch = full();

        @Actor
        public void sender(III_Result r) {
            try {
                r.r1 = ch.send(RING + 1, BOUND) ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver(III_Result r) {
            try {
                r.r2 = ch.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void rest(III_Result r) {
            r.r3 = drainInOrder(ch, 2);
        }
    }

    @JCStressTest
    @Description("S2/S3/CH2: as ReceiveWakesSenderOnFullBuffer on a ring of capacity 100 (256 slots): the blocked "
            + "sender's value is the 101st, never buffered before a receive freed a position.")
    @Outcome(id = "1, 1, 101", expect = Expect.ACCEPTABLE, desc = "the receive freed a position; the sender's value took it")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the sender was not woken, or a value was lost, reordered or duplicated")
    @State
    public static class ReceiveWakesSenderOnFullOddBuffer {
        final Chan<Integer> ch = full(ODD_RING);

        @Actor
        public void sender(III_Result r) {
            try {
                r.r1 = ch.send(ODD_RING + 1, BOUND) ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver(III_Result r) {
            try {
                r.r2 = ch.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void rest(III_Result r) {
            r.r3 = ch.len() == ODD_RING ? drainInOrder(ch, 2) : -ch.len(); // never more than the capacity
        }
    }

    /** Receives what is buffered; the last value if they were exactly from, from+1, ..., else -1. */
    static int drainInOrder(Chan<Integer> ch, int from) {
        int expected = from;
        for (Received<Integer> got; (got = ch.tryReceive()).ok(); expected++) {
            if (got.value() != expected) {
                return -1;
            }
        }
        return expected - 1;
    }

    @JCStressTest
    @Description("L6/S2: a select blocked on receives from two empty rings racing with a send on one "
            + "of them takes that value, and nothing is left behind.")
    @Outcome(id = "5, 0", expect = Expect.ACCEPTABLE, desc = "the select took the value")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the select was not woken, or the value was lost or duplicated")
    @State
    public static class SendWakesSelectOnEmptyBuffer {
        final Chan<Integer> a = Chan.make(RING);
        final Chan<Integer> b = Chan.make(RING);

        @Actor
        public void select(II_Result r) {
            try {
                r.r1 = Select.<Integer>cases().receive(a, v -> v).receive(b, v -> 100 + v).timeout(BOUND, () -> -1).select();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void sender() {
            a.trySend(5);
        }

        @Arbiter
        public void rest(II_Result r) {
            r.r2 = a.len() + b.len();
        }
    }

    @JCStressTest
    @Description("K5: a fast send racing with close either leaves its value in the ring (drained after the close) "
            + "or throws, never both, never neither. The drain runs after both actors, so it cannot tell a value "
            + "that landed after the close; CloseWakeStress.NoValueLandsAfterClose looks in between.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "sent before the close, drained after it")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "closed first: the send threw, nothing buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value reported sent was lost, or a failed send left its value")
    @State
    public static class CloseRacesFastSend {
        final Chan<Integer> ch = Chan.make(RING);

        @Actor
        public void sender(II_Result r) {
            try {
                ch.send(1);
                r.r1 = 1;
            } catch (ChannelClosedException e) {
                r.r1 = 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void closer() {
            ch.close();
        }

        @Arbiter
        public void drain(II_Result r) {
            Received<Integer> got = ch.tryReceive();
            r.r2 = got.ok() && ch.tryReceive().closed() ? 1 : got.closed() ? 0 : -1;
        }
    }

    @JCStressTest
    @Description("S3: a sender's four values pass through a ring while a receiver takes two of them: all four "
            + "are received in the order sent, none lost or duplicated.")
    @Outcome(id = "1, 4", expect = Expect.ACCEPTABLE, desc = "per-sender order kept, all four values accounted for")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a sender's values out of order, or a value lost or duplicated")
    @State
    public static class FifoPerSenderThroughTheRing {
        final Chan<Integer> ch = Chan.make(RING);
        final int[] got = new int[2];

        @Actor
        public void senders() {
            try {
                ch.send(10);
                ch.send(20);
                ch.send(11);
                ch.send(21);
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver() {
            try {
                got[0] = ch.receive();
                got[1] = ch.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void check(II_Result r) {
            int[] all = new int[4];
            all[0] = got[0];
            all[1] = got[1];
            Received<Integer> third = ch.tryReceive();
            Received<Integer> fourth = ch.tryReceive();
            all[2] = third.ok() ? third.value() : -1;
            all[3] = fourth.ok() ? fourth.value() : -1;
            boolean ordered = all[0] == 10 && all[1] == 20 && all[2] == 11 && all[3] == 21;
            r.r1 = ordered ? 1 : 0;
            r.r2 = ch.tryReceive().notReady() ? 4 : 5;
        }
    }
}
