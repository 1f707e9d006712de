package io.gochan.http.internal.pool;

import java.io.IOException;
import java.time.Duration;
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
 * E2 on the real {@link ConnectionPool}: a new connection that the server closes at once is closed by its
 * read loop (which releases its slot) at any moment relative to the dial's completion being recorded.
 * Whatever the order, the slot is freed exactly once: nothing stays open, and the host can dial again.
 * The broken twin ({@code BrokenLifecycleTwins.SlotRecordedAfterDiscardLeaks}) keeps the old order, where
 * a discard that came first found no slot to free and the late record then held it forever.
 */
public final class SlotStress {
    private SlotStress() {}

    static final ConnectKey KEY = new ConnectKey("http", "stress.invalid", 80);

    /** A connection that releases its slot when it closes, as PersistConn does. */
    static final class FakeConn implements PooledConnection {
        final Slot slot;
        final AtomicBoolean closed = new AtomicBoolean();

        FakeConn(Slot slot) {
            this.slot = slot;
        }

        @Override
        public ConnectKey key() {
            return KEY;
        }

        @Override
        public boolean isUsable() {
            return !closed.get();
        }

        @Override
        public void close(IOException cause) {
            closed.set(true);
            slot.release();
        }
    }

    @JCStressTest
    @Description("E2: the dial's completion is recorded while the new connection closes itself (server closed "
            + "at once). (open, slots held, a new slot can be reserved under the limit of 1).")
    @Outcome(id = "0, 0, 1", expect = Expect.ACCEPTABLE, desc = "the slot was freed exactly once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a slot leaked (the host is stuck at its limit) or was freed twice")
    @State
    public static class DialCompletionRacesClose {
        final ConnectionPool<FakeConn> pool = new ConnectionPool<>((k, s) -> {
            throw new IOException("not used");
        }, 10, 10, 1, Duration.ZERO);
        final Slot slot = pool.reserveForDial(KEY);
        final FakeConn conn = new FakeConn(slot);
        final ConnectionPool.WantConn<FakeConn> want = new ConnectionPool.WantConn<>(KEY);

        @Actor
        public void dialCompletes() {
            pool.dialFinished(slot, want, conn, null);
        }

        @Actor
        public void readLoopClosesIt() {
            conn.close(new IOException("server closed at once"));
        }

        @Arbiter
        public void settle(III_Result r) {
            ConnectionPool.Stats s = pool.stats();
            r.r1 = s.open();
            r.r2 = s.open() + s.dialing();
            // With the limit of 1, a freed slot can be reserved again (without a dial) exactly once.
            Slot again = pool.reserveForDial(KEY);
            r.r3 = pool.stats().dialing() == 1 ? 1 : 0;
            again.release();
        }
    }
}
