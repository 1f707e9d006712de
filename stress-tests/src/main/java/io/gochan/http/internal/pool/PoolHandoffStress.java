package io.gochan.http.internal.pool;

import io.gochan.Chan;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The real {@link ConnectionPool}: a connection released at the moment its only waiter gives up is
 * never lost and never handed out twice (Go's wantConn "exactly one outcome"; T8).
 */
public final class PoolHandoffStress {
    private PoolHandoffStress() {}

    static final ConnectKey KEY = new ConnectKey("http", "stress.invalid", 80);
    static final io.gochan.http.HttpRequest REQUEST = io.gochan.http.HttpRequest.get("http://stress.invalid/");
    static final io.gochan.http.internal.RequestScope NO_DEADLINE =
            new io.gochan.http.internal.RequestScope(REQUEST, io.gochan.Context.background());

    /** A connection that only remembers whether it was closed. */
    static final class FakeConn implements PooledConnection {
        final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public ConnectKey key() {
            return KEY;
        }

        @Override
        public boolean isUsable() {
            return !closed.get();
        }

        Slot slot;

        @Override
        public void close(java.io.IOException cause) {
            closed.set(true);
            slot.release();
        }
    }

    @JCStressTest
    @Description("One connection, limit one per host, held; a waiter queues for it; the holder releases "
            + "it right after the waiter's cancellation. (waiter got it, idle, in use) after both settle.")
    @Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "the waiter got the released connection")
    @Outcome(id = "0, 1, 0", expect = Expect.ACCEPTABLE, desc = "the waiter left first: the connection went idle")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the connection was lost or handed out twice")
    @State
    public static class ReleaseRacesWaiterCancel {
        final ConnectionPool<FakeConn> pool = new ConnectionPool<>((k, s) -> {
            FakeConn c = new FakeConn();
            c.slot = s;
            return c;
        }, 10, 10, 1, java.time.Duration.ZERO);
        final FakeConn held;
        final io.gochan.CancellableContext cancel = io.gochan.Context.withCancel(io.gochan.Context.background());
        volatile FakeConn got;

        public ReleaseRacesWaiterCancel() {
            try {
                held = pool.acquire(KEY, NO_DEADLINE).conn();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        @Actor
        public void waiter() {
            try {
                got = pool.acquire(KEY, new io.gochan.http.internal.RequestScope(REQUEST, cancel)).conn();
            } catch (IOException cancelled) {
                // gave up: fine, as long as the connection is not lost
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        @Actor
        public void waiterCancelsThenHolderReleases() {
            // Two actors fit two CPUs: the cancel and the release come from one thread, in the order
            // that makes the release meet a waiter that is leaving at that moment.
            cancel.cancel();
            pool.put(held);
        }

        @Arbiter
        public void settle(III_Result r) {
            ConnectionPool.Stats s = pool.stats();
            r.r1 = got != null ? 1 : 0;
            r.r2 = s.idle();
            r.r3 = s.inUse();
        }
    }
}
