package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
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

/** Close racing with send, with a blocked receiver, and with close (K1, K2, K3, K5). */
public final class CloseStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);

    private CloseStress() {}

    @JCStressTest
    @Description("K2/K5: a send racing with close either delivers its value or throws; never both, never neither.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "sent before close, value drained after")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "closed first: the send threw, nothing buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value reported sent was lost, or a failed send left its value")
    @State
    public static class CloseRacesSend {
        final Chan<Integer> ch = Chan.make(1);

        @Actor
        public void sender(II_Result r) {
            try {
                try {
                    ch.send(1);
                    r.r1 = 1;
                } catch (ChannelClosedException e) {
                    r.r1 = 0;
                }
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
            r.r2 = ch.tryReceive().ok() ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("K3: a receiver blocked on an unbuffered channel sees either a value sent before the close "
            + "(and the try-send reports it) or 'closed'. The receive is bounded, so one the close fails to "
            + "wake is the outcome -2, not a hung fork (CloseWakeStress makes the parked case the common one).")
    @Outcome(id = "5, 1", expect = Expect.ACCEPTABLE, desc = "the value was handed over, then the channel closed")
    @Outcome(id = "-1, 0", expect = Expect.ACCEPTABLE, desc = "no receiver was waiting yet: the receiver saw closed")
    @Outcome(expect = Expect.FORBIDDEN, desc = "value lost, invented, receive and send disagree, or the receiver "
            + "not woken by the close (-2)")
    @State
    public static class CloseWakesBlockedReceiver {
        final Chan<Integer> ch = Chan.make();

        @Actor
        public void receiver(II_Result r) {
            try {
                Received<Integer> got = ch.receive(BOUND);
                r.r1 = got.ok() ? got.value() : got.closed() ? -1 : -2;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void senderThenCloser(II_Result r) {
            r.r2 = ch.trySend(5) ? 1 : 0;
            ch.close();
        }
    }

    @JCStressTest
    @Description("K1: two racing closes: exactly one succeeds, the other throws.")
    @Outcome(id = {"1, 0", "0, 1"}, expect = Expect.ACCEPTABLE, desc = "exactly one close succeeded")
    @Outcome(expect = Expect.FORBIDDEN, desc = "both or neither succeeded")
    @State
    public static class CloseRacesClose {
        final Chan<Integer> ch = Chan.make();

        @Actor
        public void close1(II_Result r) {
            r.r1 = tryClose(ch);
        }

        @Actor
        public void close2(II_Result r) {
            r.r2 = tryClose(ch);
        }

        static int tryClose(Chan<Integer> ch) {
            try {
                ch.close();
                return 1;
            } catch (ChannelClosedException e) {
                return 0;
            }
        }
    }
}
