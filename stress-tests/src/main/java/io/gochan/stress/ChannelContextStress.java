package io.gochan.stress;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.Received;
import io.gochan.spi.ChannelCores;
import java.util.concurrent.CancellationException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/** A context-aware receive racing a send, a close and a cancel (CH4): exactly one outcome, nothing lost or left behind. */
public final class ChannelContextStress {
    static final int VALUE = 1;
    static final int CLOSED = 2;
    static final int CANCELLED = 3;

    private ChannelContextStress() {}

    static int receive(Chan<Integer> ch, Context ctx) {
        try {
            Received<Integer> r = ch.receiveOk(ctx);
            return r.ok() ? VALUE : CLOSED;
        } catch (CancellationException e) {
            return CANCELLED;
        } catch (InterruptedException e) {
            throw new IllegalStateException("unexpected interrupt", e);
        }
    }

    @JCStressTest
    @Description("CH4: receive(ctx) racing a send then a cancel takes the value, or is cancelled and leaves it in the channel.")
    @Outcome(id = "1, 0, 0", expect = Expect.ACCEPTABLE, desc = "received the value")
    @Outcome(id = "3, 1, 0", expect = Expect.ACCEPTABLE, desc = "cancelled first; the value stays buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "value lost or duplicated, or a registration left behind")
    @State
    public static class ReceiveRacesSendAndCancel {
        final Chan<Integer> ch = Chan.make(1);
        final CancellableContext ctx = Context.withCancel(Context.background());

        @Actor
        public void receiver(III_Result r) {
            r.r1 = receive(ch, ctx);
        }

        @Actor
        public void senderThenCanceller() {
            ch.trySend(7);
            ctx.cancel();
        }

        @Arbiter
        public void leftovers(III_Result r) {
            r.r2 = ch.tryReceive().ok() ? 1 : 0;
            r.r3 = ChannelCores.of(ch).waitingReceivers() + ChannelCores.of(ctx.done()).waitingReceivers();
        }
    }

    @JCStressTest
    @Description("CH4: receive(ctx) racing a close and a cancel reports closed or cancelled, and leaves no registration.")
    @Outcome(id = "2, 0", expect = Expect.ACCEPTABLE, desc = "saw the close first")
    @Outcome(id = "3, 0", expect = Expect.ACCEPTABLE, desc = "saw the cancel first")
    @Outcome(expect = Expect.FORBIDDEN, desc = "another outcome, or a registration left behind")
    @State
    public static class ReceiveRacesCloseAndCancel {
        final Chan<Integer> ch = Chan.make();
        final CancellableContext ctx = Context.withCancel(Context.background());

        @Actor
        public void receiver(II_Result r) {
            r.r1 = receive(ch, ctx);
        }

        @Actor
        public void closerAndCanceller() {
            // Alternate the order across runs through the channel's identity, so both interleavings occur.
            if ((System.identityHashCode(ch) & 1) == 0) {
                ch.close();
                ctx.cancel();
            } else {
                ctx.cancel();
                ch.close();
            }
        }

        @Arbiter
        public void leftovers(II_Result r) {
            r.r2 = ChannelCores.of(ch).waitingReceivers() + ChannelCores.of(ctx.done()).waitingReceivers();
        }
    }
}
