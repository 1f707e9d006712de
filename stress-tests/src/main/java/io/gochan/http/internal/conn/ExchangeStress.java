package io.gochan.http.internal.conn;

import io.gochan.Context;
import io.gochan.http.HttpRequest;
import io.gochan.http.internal.RequestScope;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * E1 on the real {@link Exchange}: a request's cancellation (its context, a timeout, an interrupt) races
 * the read loop completing the exchange for a response without a body, which puts the connection back
 * for the next request. Exactly one of them decides: the connection is either closed (the cancel won;
 * never put back) or put back and never closed by that cancel, and the loser learns it lost. The broken
 * twin ({@code BrokenLifecycleTwins.PoolThenCancelClosesTheNextRequest}) keeps the old order, where the
 * read loop pooled first and the cancel then closed the connection the next request had.
 */
public final class ExchangeStress {
    private ExchangeStress() {}

    static final RequestScope SCOPE = new RequestScope(HttpRequest.get("http://stress.invalid/"), Context.background());

    /**
     * Counts what the exchange did to it. Its close is idempotent, as {@link PersistConn#close}'s: a second call (the
     * loser of the race waiting for the winner's close, E158) closes nothing more, so {@code closed} counts closes.
     */
    static final class Conn implements Exchange.Connection {
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger reused = new AtomicInteger();
        private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public void close(IOException cause) {
            if (closing.compareAndSet(false, true)) {
                closed.incrementAndGet();
            }
        }

        @Override
        public void reuse() {
            reused.incrementAndGet();
        }
    }

    @JCStressTest
    @Description("E1: cancel (abort) races the read loop completing a body-less exchange. "
            + "(closed, put back, exactly one caller won).")
    @Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "the cancel came first: closed, never pooled")
    @Outcome(id = "0, 1, 1", expect = Expect.ACCEPTABLE, desc = "completed first: pooled; the late cancel did nothing")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a pooled connection closed (the next request fails), or no decision, or two")
    @State
    public static class CancelRacesBodylessCompletion {
        final Conn conn = new Conn();
        final Exchange ex = new Exchange(conn, SCOPE);
        volatile int abortWon;
        volatile int completeWon;

        @Actor
        public void caller() {
            abortWon = ex.abort(new IOException("request cancelled")) ? 1 : 0;
        }

        @Actor
        public void readLoop() {
            completeWon = ex.complete(true, "n/a") ? 1 : 0;
        }

        @Arbiter
        public void settle(III_Result r) {
            r.r1 = conn.closed.get();
            r.r2 = conn.reused.get();
            r.r3 = abortWon + completeWon;
        }
    }
}
