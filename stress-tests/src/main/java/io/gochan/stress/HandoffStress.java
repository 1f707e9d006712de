package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.Received;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/** Unbuffered handoff: S1 (exactly the value sent, exactly once) and S4 (writes before send are visible). */
public final class HandoffStress {
    /** Far longer than any correct hand-off; only a lost or duplicated value reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);

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
            + "exactly once. Every wait is bounded, so a lost or duplicated value is an outcome, not a hung "
            + "fork. (actor 1 got, actor 2 got: -1 nothing within the bound; sends that reported delivered)")
    @Outcome(id = {"1, 2, 2", "2, 1, 2"}, expect = Expect.ACCEPTABLE, desc = "each value received once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value lost (-1: a receive not served; a send not "
            + "delivered) or duplicated")
    @State
    public static class TwoSendersTwoReceivers {
        final Chan<Integer> ch = Chan.make();
        final AtomicInteger delivered = new AtomicInteger();

        int sendAndReceive(int value) {
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    if (ch.send(value, BOUND)) {
                        delivered.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                Received<Integer> got = ch.receive(BOUND);
                // The send is bounded too, so this returns; a join that times out leaves the count short.
                sender.join(BOUND);
                return got.ok() ? got.value() : -1;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void actor1(III_Result r) {
            r.r1 = sendAndReceive(1);
        }

        @Actor
        public void actor2(III_Result r) {
            r.r2 = sendAndReceive(2);
        }

        @Arbiter
        public void sends(III_Result r) {
            r.r3 = delivered.get();
        }
    }
}
