package io.gochan.http.internal.conn;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The transport's real body types decide their connection's fate exactly once, however a read to EOF
 * and a close race (T5/T6). Lives in the transport's package to reach its package-private types (the
 * stress jar runs on the class path).
 */
public final class BodyFateStress {
    private BodyFateStress() {}

    @JCStressTest
    @Description("BufferedBody: a reader reading to EOF races a close from another thread; the "
            + "connection's fate (true = release, false = close) is reported exactly once.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "every byte was read first: released")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "closed before the end: connection closed")
    @Outcome(expect = Expect.FORBIDDEN, desc = "no fate, or two fates (released and closed)")
    @State
    public static class BufferedBodyReadRacesClose {
        final ExchangeStress.Conn conn = new ExchangeStress.Conn();
        final BufferedBody body = new BufferedBody(new byte[] {1, 2, 3}, new Exchange(conn, ExchangeStress.SCOPE),
                () -> null, error -> { }, () -> false);

        @Actor
        public void reader() {
            try {
                byte[] buf = new byte[2];
                while (body.read(buf, 0, buf.length) >= 0) {
                    // read to EOF
                }
            } catch (IOException closedUnderUs) {
                // the other actor closed first: its close reported the fate
            }
        }

        @Actor
        public void closer() {
            body.close();
        }

        @Arbiter
        public void fate(II_Result r) {
            r.r1 = conn.closed.get() + conn.reused.get();
            r.r2 = conn.reused.get();
        }
    }
}
