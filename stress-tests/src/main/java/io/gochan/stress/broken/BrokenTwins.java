package io.gochan.stress.broken;

import io.gochan.Chan;
import io.gochan.select.Select;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
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
 * Deliberately broken twins of the suites, run only on demand ({@code stress-tests/run.sh broken}),
 * to show the suites can fail: jcstress must report FORBIDDEN outcomes for each.
 */
public final class BrokenTwins {
    private BrokenTwins() {}

    /** A "channel" whose close discards the buffer and whose send checks closed without a lock. */
    static final class CheckThenActChannel {
        volatile boolean closed;
        final AtomicReference<Integer> slot = new AtomicReference<>();

        boolean send(int v) {
            if (closed) {
                return false;
            }
            slot.set(v); // not atomic with the check above
            return true;
        }

        void close() {
            closed = true;
            slot.set(null); // discards what was buffered: breaks drain-after-close
        }
    }

    @JCStressTest
    @Description("BROKEN twin of CloseStress.CloseRacesSend: check-then-act close lets a reported send vanish.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "sent and kept")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "refused")
    @Outcome(expect = Expect.FORBIDDEN, desc = "reported sent but lost (the bug this twin has)")
    @State
    public static class BrokenCloseRacesSend {
        final CheckThenActChannel ch = new CheckThenActChannel();

        @Actor
        public void sender(II_Result r) {
            r.r1 = ch.send(1) ? 1 : 0;
        }

        @Actor
        public void closer() {
            ch.close();
        }

        @Arbiter
        public void drain(II_Result r) {
            r.r2 = ch.slot.get() != null ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("BROKEN twin of DeliveryStress.ResponseDeliveryRacesCallerGone: a buffered response channel "
            + "lets the read loop 'deliver' to a caller that already left — a leaked response and connection.")
    @Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "delivered to a caller that took it")
    @Outcome(id = "0, 0, 1", expect = Expect.ACCEPTABLE, desc = "caller gone: read loop closes the connection")
    @Outcome(expect = Expect.FORBIDDEN, desc = "delivered to nobody (the leak this twin has)")
    @State
    public static class BufferedResponseChannelLeaks {
        final Chan<Integer> resc = Chan.make(1);         // the bug: buffered
        final Chan<Object> callerGone = Chan.make();

        @Actor
        public void roundTrip(III_Result r) {
            try {
                try {
                    r.r2 = Select.<Integer>cases().receive(resc, v -> 1)
                            .timeout(Duration.ofNanos(10_000), () -> 0).select();
                } finally {
                    callerGone.close();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void readLoop(III_Result r) {
            try {
                boolean delivered = Select.<Boolean>cases()
                        .send(resc, 200, () -> true)
                        .receiveOk(callerGone, x -> false)
                        .select();
                r.r1 = delivered ? 1 : 0;
                r.r3 = delivered ? 0 : 1;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }
}
