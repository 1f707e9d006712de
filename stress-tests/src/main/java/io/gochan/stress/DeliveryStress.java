package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.select.Select;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The transport's delivery protocol (PersistConn's read loop and roundTrip): the response goes on an
 * unbuffered channel in a select against {@code callerGone}, and the write result on a capacity-1
 * channel. These suites run that protocol on gochan's channels and select; their broken twins in
 * {@code io.gochan.stress.broken} show what a buffered response channel would do.
 */
public final class DeliveryStress {
    private DeliveryStress() {}

    @JCStressTest
    @Description("Leak-freedom: the read loop's delivery select racing with the caller leaving (a tiny "
            + "header timeout): either the caller took the response, or the read loop saw callerGone and "
            + "closes the connection; never both, never neither.")
    @Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "delivered to a caller that took it")
    @Outcome(id = "0, 0, 1", expect = Expect.ACCEPTABLE, desc = "caller gone: read loop closes the connection")
    @Outcome(expect = Expect.FORBIDDEN, desc = "delivered to nobody (leak), or taken and also closed")
    @State
    public static class ResponseDeliveryRacesCallerGone {
        final Chan<Integer> resc = Chan.make();          // unbuffered, as in PersistConn
        final Chan<Object> callerGone = Chan.make();     // closed when roundTrip returns

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
                r.r3 = delivered ? 0 : 1; // not delivered: the read loop closes the connection
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }

    @JCStressTest
    @Description("T3: the write loop's report on a capacity-1 channel never blocks, whether or not the "
            + "caller is still listening.")
    @Outcome(id = {"1, 1", "1, 0"}, expect = Expect.ACCEPTABLE, desc = "reported without blocking; caller saw it or left")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the report blocked")
    @State
    public static class WriteReportNeverBlocks {
        final Chan<Integer> writeErrCh = Chan.make(1);

        @Actor
        public void writeLoop(II_Result r) {
            r.r1 = writeErrCh.trySend(0) ? 1 : 0; // a capacity-1 channel with one sender: always room
        }

        @Actor
        public void caller(II_Result r) {
            try {
                r.r2 = writeErrCh.receive(Duration.ofNanos(5_000)).ok() ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }
    }
}
