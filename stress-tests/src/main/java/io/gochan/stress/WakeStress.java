package io.gochan.stress;

import io.gochan.Chan;
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
 * No lost wake-up on a buffered channel (S2, S3, L6): a thread that blocks on an empty or full buffer
 * while its partner's operation makes it ready is always woken. Under a lock these hold by
 * construction; they are the properties a lock-free buffered fast path (ADR 0015, "Still open") must
 * keep, where a fast operation and a thread going to sleep meet only through a Dekker handshake.
 * The waits are bounded (10 s) so a lost wake-up shows as an outcome, not a hung run.
 */
public final class WakeStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);

    private WakeStress() {}

    @JCStressTest
    @Description("S2: a receive on an empty buffer (capacity 2) racing with a send gets the value; the send never waits.")
    @Outcome(id = "7, 1", expect = Expect.ACCEPTABLE, desc = "received the value sent")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the receiver was not woken (a lost wake-up) or got something else")
    @State
    public static class SendWakesReceiverOnEmptyBuffer {
        final Chan<Integer> ch = Chan.make(2);

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
    @Description("S2/S3: a send blocked on a full buffer (capacity 1) racing with a receive completes; the receive "
            + "gets the older value and the blocked sender's value is buffered after it.")
    @Outcome(id = "1, 1, 2", expect = Expect.ACCEPTABLE, desc = "the receive freed the slot; the sender's value took it")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the sender was not woken, or a value was lost, reordered or duplicated")
    @State
    public static class ReceiveWakesSenderOnFullBuffer {
        final Chan<Integer> ch = Chan.make(1);

        public ReceiveWakesSenderOnFullBuffer() {
            ch.trySend(1);
        }

        @Actor
        public void sender(III_Result r) {
            try {
                r.r1 = ch.send(2, BOUND) ? 1 : 0;
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
            Received<Integer> left = ch.tryReceive();
            r.r3 = left.ok() && !ch.tryReceive().ok() ? left.value() : -1;
        }
    }

    @JCStressTest
    @Description("L6/S2: a select blocked on receives from two empty buffered channels racing with a send on one "
            + "of them takes that value, and nothing is left behind.")
    @Outcome(id = "5, 0", expect = Expect.ACCEPTABLE, desc = "the select took the value")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the select was not woken, or the value was lost or duplicated")
    @State
    public static class SendWakesSelectOnEmptyBuffer {
        final Chan<Integer> a = Chan.make(1);
        final Chan<Integer> b = Chan.make(1);

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
}
