package io.gochan.stress;

import io.gochan.Chan;
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
 * I2: an interrupt or a timeout racing with a handoff never loses or duplicates the value; I3: a timed-out
 * operation leaves nothing queued. The receive side of I2 is {@code InterruptReceiveStress}.
 */
public final class InterruptStress {
    private InterruptStress() {}

    @JCStressTest
    @Description("I2 and I3: a timed send and a timed receive with tiny timeouts: both succeed or both fail, "
            + "and neither leaves a registration queued on the channel. (sent, received, registrations left)")
    @Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "handed over")
    @Outcome(id = "0, 0, 0", expect = Expect.ACCEPTABLE, desc = "both timed out; nothing moved, nothing left queued")
    @Outcome(expect = Expect.FORBIDDEN, desc = "sent but not received, or received but not sent; or a timed-out "
            + "operation's node left queued (I3, mutant MUT8)")
    @State
    public static class TimeoutRacesHandoff {
        final Chan<Integer> ch = Chan.make();

        @Actor
        public void sender(III_Result r) {
            try {
                r.r1 = ch.send(1, Duration.ofNanos(20_000)) ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver(III_Result r) {
            try {
                r.r2 = ch.receive(Duration.ofNanos(20_000)).ok() ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void registrationsGone(III_Result r) {
            // Both operations have returned: a node still queued is one its owner failed to unlink (I3).
            r.r3 = ChannelCores.of(ch).waitingSenders() + ChannelCores.of(ch).waitingReceivers();
        }
    }

    @JCStressTest
    @Description("I2: a real interrupt of a sender racing with a receiver: the value is received exactly "
            + "when the send reports success.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "handed over (the interrupt came too late)")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "interrupted first; nothing moved")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value lost or duplicated")
    @State
    public static class InterruptRacesHandoff {
        final Chan<Integer> ch = Chan.make();
        volatile Thread sender;
        volatile boolean interruptDone;

        @Actor
        public void sender(II_Result r) {
            sender = Thread.currentThread();
            try {
                ch.send(1);
                r.r1 = 1;
            } catch (InterruptedException e) {
                r.r1 = 0;
            }
            // Keep the interrupt inside this test: wait until it was delivered, then clear it.
            while (!interruptDone) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
        }

        @Actor
        public void interrupterAndReceiver(II_Result r) {
            try {
                Thread t;
                while ((t = sender) == null) {
                    Thread.onSpinWait();
                }
                t.interrupt();
                interruptDone = true;
                r.r2 = ch.receive(Duration.ofNanos(50_000)).ok() ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }
}
