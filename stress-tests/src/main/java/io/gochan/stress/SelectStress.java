package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.select.Select;
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

/** Select races (L1, L4, L6): competing selects, select against close, registration cleanup. */
public final class SelectStress {
    private SelectStress() {}

    @JCStressTest
    @Description("L6: two selects compete for one buffered value: exactly one gets it.")
    @Outcome(id = {"1, 0", "0, 1"}, expect = Expect.ACCEPTABLE, desc = "exactly one select won")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the value was lost or duplicated")
    @State
    public static class TwoSelectsOneValue {
        final Chan<Integer> ch = Chan.make(1);
        final Chan<Integer> other = Chan.make();

        public TwoSelectsOneValue() {
            ch.trySend(1);
        }

        int take() throws InterruptedException {
            return Select.<Integer>cases().receive(ch, v -> v).receive(other, v -> 100).orElse(() -> 0).select();
        }

        @Actor
        public void select1(II_Result r) {
            try {
                r.r1 = take();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void select2(II_Result r) {
            try {
                r.r2 = take();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }

    @JCStressTest
    @Description("L4/L6: a blocked select with a send case racing with close of that channel and a receiver: "
            + "the value is delivered exactly when the select reports 'sent'; otherwise it threw.")
    @Outcome(id = {"1, 1, 0", "2, 0, 0"}, expect = Expect.ACCEPTABLE, desc = "sent and received / closed and thrown")
    @Outcome(expect = Expect.FORBIDDEN, desc = "outcome and delivery disagree, or a registration remained")
    @State
    public static class SelectSendRacesClose {
        final Chan<Integer> ch = Chan.make();
        final Chan<Integer> never = Chan.make();

        @Actor
        public void selector(III_Result r) {
            try {
                try {
                    r.r1 = Select.<Integer>cases().send(ch, 1, () -> 1).receive(never, v -> 9).select();
                } catch (ChannelClosedException e) {
                    r.r1 = 2;
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiverThenCloser(III_Result r) {
            try {
                r.r2 = ch.receive(Duration.ofNanos(20_000)).ok() ? 1 : 0;
                ch.close();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void registrationsGone(III_Result r) {
            r.r3 = ChannelCores.of(never).waitingReceivers() + ChannelCores.of(ch).waitingSenders();
        }
    }

    @JCStressTest
    @Description("L6/L7: a select with a send and a receive case on the same channel, racing with a plain "
            + "receiver: the value moves exactly once and every registration is removed.")
    @Outcome(id = {"1, 1, 0", "0, 0, 0"}, expect = Expect.ACCEPTABLE, desc = "sent once, or timed out with nothing moved")
    @Outcome(expect = Expect.FORBIDDEN, desc = "value lost or duplicated, or a registration remained")
    @State
    public static class SendAndReceiveOnOneChannel {
        final Chan<Integer> ch = Chan.make();

        @Actor
        public void selector(III_Result r) {
            try {
                r.r1 = Select.<Integer>cases().send(ch, 1, () -> 1).receive(ch, v -> 5)
                        .timeout(Duration.ofNanos(30_000), () -> 0).select();
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void receiver(III_Result r) {
            try {
                r.r2 = ch.receive(Duration.ofNanos(30_000)).ok() ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Arbiter
        public void registrationsGone(III_Result r) {
            r.r3 = ChannelCores.of(ch).waitingReceivers() + ChannelCores.of(ch).waitingSenders();
        }
    }
}
