package io.gochan.stress.broken;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Broken twins of the transport's two ownership suites ({@code ExchangeStress}, {@code SlotStress}): the
 * orders the transport had before its exchange and slot redesign (ADR 0008), with the same outcomes.
 * jcstress must report FORBIDDEN results for both ({@code stress-tests/run.sh broken}).
 */
public final class BrokenLifecycleTwins {
    private BrokenLifecycleTwins() {}

    @JCStressTest
    @Description("Twin of ExchangeStress.CancelRacesBodylessCompletion, old order: the read loop pools the "
            + "connection, then hands the response over; a cancel that does not see the response yet closes "
            + "the connection, which the pool may already have given to the next request.")
    @Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "the cancel came first: closed, never pooled")
    @Outcome(id = "0, 1, 1", expect = Expect.ACCEPTABLE, desc = "completed first: pooled; the late cancel did nothing")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a pooled connection closed (the next request fails)")
    @State
    public static class PoolThenCancelClosesTheNextRequest {
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger reused = new AtomicInteger();
        final AtomicBoolean delivered = new AtomicBoolean();
        volatile int callerWon;
        volatile int readLoopWon;

        @Actor
        public void caller() {
            if (!delivered.get()) { // roundTrip's last look at resc, then close
                closed.incrementAndGet();
                callerWon = 1;
            }
        }

        @Actor
        public void readLoop() {
            reused.incrementAndGet(); // "pool before handing over"
            delivered.set(true);
            readLoopWon = 1;
        }

        @Arbiter
        public void settle(III_Result r) {
            r.r1 = closed.get();
            r.r2 = reused.get();
            r.r3 = callerWon + readLoopWon;
        }
    }

    @JCStressTest
    @Description("Twin of SlotStress.DialCompletionRacesClose, old order: the dial's completion records the "
            + "connection's slot in a map, the read loop's discard frees it only if recorded; a discard that "
            + "comes first frees nothing and the late record holds the slot forever.")
    @Outcome(id = "0, 0, 1", expect = Expect.ACCEPTABLE, desc = "the slot was freed exactly once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a slot leaked (the host is stuck at its limit)")
    @State
    public static class SlotRecordedAfterDiscardLeaks {
        final ReentrantLock lock = new ReentrantLock();
        final Map<Object, Boolean> slotHeld = new HashMap<>();
        final Object conn = new Object();
        int total = 1; // the dial's slot, counted when the dial started

        @Actor
        public void dialCompletes() {
            lock.lock();
            try {
                slotHeld.put(conn, Boolean.TRUE);
            } finally {
                lock.unlock();
            }
        }

        @Actor
        public void readLoopDiscards() {
            lock.lock();
            try {
                if (slotHeld.remove(conn) != null) {
                    total--;
                }
            } finally {
                lock.unlock();
            }
        }

        @Arbiter
        public void settle(III_Result r) {
            r.r1 = total;
            r.r2 = total;
            r.r3 = total < 1 ? 1 : 0;
        }
    }
}
