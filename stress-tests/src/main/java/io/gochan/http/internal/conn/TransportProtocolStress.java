package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.http.Headers;
import io.gochan.http.HttpRequest;
import io.gochan.http.HttpResponse;
import io.gochan.http.ResponseBody;
import io.gochan.http.internal.conn.Messages.RequestAndChan;
import io.gochan.http.internal.conn.Messages.ResponseOrError;
import io.gochan.http.internal.conn.Messages.WriteResult;
import io.gochan.select.Select;
import java.io.InputStream;
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
 * The leak-freedom protocol of {@link PersistConn}, driven through the transport's own code: the read
 * loop's {@code PersistConn.deliver} (a select sending on the unbuffered {@code resc} against
 * {@code callerGone}), roundTrip's give-up path ({@code PersistConn.raceWinner}, then closing
 * {@code callerGone}), and the write loop's {@code PersistConn.reportWriteResult}, with the real
 * message types. (The caller's side is roundTrip's select reduced to the response case and its
 * timeout: the other cases only end the wait earlier.)
 */
public final class TransportProtocolStress {
    private TransportProtocolStress() {}

    static final HttpRequest REQUEST = HttpRequest.get("http://stress.invalid/");
    static final ResponseOrError RESPONSE = new ResponseOrError(new HttpResponse(REQUEST, "HTTP/1.1", 200, "OK",
            Headers.empty(), new ResponseBody(InputStream.nullInputStream(), null), Headers::empty), null);

    @JCStressTest
    @Description("T2/T11: the read loop delivers while the caller gives up (a tiny timeout, then roundTrip's "
            + "last look at resc, then callerGone closes). (caller has it, read loop delivered, read loop "
            + "closes the connection).")
    @Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "the caller took the response")
    @Outcome(id = "0, 0, 1", expect = Expect.ACCEPTABLE, desc = "caller gone: the read loop closes the connection")
    @Outcome(expect = Expect.FORBIDDEN, desc = "delivered to nobody (a leaked connection), or taken and also closed")
    @State
    public static class DeliverRacesCallerGone {
        final Chan<ResponseOrError> resc = Chan.make();
        final Chan<Object> callerGone = Chan.make();
        final RequestAndChan rc = new RequestAndChan(new Exchange(new ExchangeStress.Conn(),
                new io.gochan.http.internal.RequestScope(REQUEST, io.gochan.Context.background())), resc, callerGone.receiveOnly(), null, false, 0L,
                null); // a GET: no tunnel, so no written channel (R67)

        @Actor
        public void roundTrip(III_Result r) {
            try {
                HttpResponse got;
                try {
                    ResponseOrError v = Select.<ResponseOrError>cases().receive(resc, x -> x)
                            .timeout(Duration.ofNanos(5_000), () -> null).select();
                    got = v != null ? v.response() : PersistConn.raceWinner(resc);
                } finally {
                    callerGone.close();
                }
                r.r1 = got != null ? 1 : 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        @Actor
        public void readLoop(III_Result r) {
            try {
                boolean delivered = PersistConn.deliver(rc, RESPONSE);
                r.r2 = delivered ? 1 : 0;
                r.r3 = delivered ? 0 : 1;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @JCStressTest
    @Description("T3: the write loop reports its result while the caller leaves without waiting for it; the "
            + "report never blocks, and the result is either taken or still in writeErrCh's one slot. "
            + "(write loop returned, result taken or buffered).")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "reported without blocking; the result is accounted for")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the result was lost or seen twice")
    @State
    public static class WriteReportRacesCallerLeaving {
        final Chan<WriteResult> toReadLoop = Chan.make(1);
        final Chan<WriteResult> writeErrCh = Chan.make(1);
        volatile int taken;
        volatile int returned;

        @Actor
        public void writeLoop() {
            PersistConn.reportWriteResult(toReadLoop, writeErrCh, WriteResult.OK);
            returned = 1;
        }

        @Actor
        public void caller() {
            if (writeErrCh.tryReceive().ok()) { // a caller that looks once, then is gone
                taken = 1;
            }
        }

        @Arbiter
        public void settle(II_Result r) {
            r.r1 = returned;
            r.r2 = taken + writeErrCh.len() + (toReadLoop.len() == 1 ? 0 : 10);
        }
    }
}
