package io.gochan.stress.broken;

import io.gochan.Chan;
import io.gochan.select.Select;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
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
 * Deliberately broken toy models, run only on demand ({@code stress-tests/run.sh broken}): jcstress must
 * report FORBIDDEN outcomes for each. They are jcstress self-tests: each shows that jcstress, at these
 * settings, sees the kind of race a suite guards against, in a hand-written model with its own actors and
 * timing. Except {@link BufferedResponseChannelLeaks} (the delivery protocol on gochan's real channels with
 * one deliberate change), none runs a suite's actors against gochan's core, so none shows that the suite it
 * names can fail: the mutants of the real core do that ({@code stress-tests/mutants}, {@code run.sh mutants}).
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
    @Description("BROKEN toy model for CloseStress.CloseRacesSend (hand-written, not gochan's core): "
            + "check-then-act close lets a reported send vanish.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "sent and kept")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "refused")
    @Outcome(expect = Expect.FORBIDDEN, desc = "reported sent but lost (the bug this model has)")
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

    @JCStressTest
    @Description("BROKEN toy model for HandoffStress.TwoSendersTwoReceivers (hand-written, not gochan's core): "
            + "a one-slot hand-off that checks the "
            + "slot is free and then fills it (not atomically) lets two senders both report success for "
            + "one slot: a value vanishes.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "one sender got the slot, its value is there")
    @Outcome(expect = Expect.FORBIDDEN, desc = "two reported sends, one value (the bug this model has)")
    @State
    public static class BrokenSlotLosesAValue {
        volatile Integer slot;
        final AtomicInteger reported = new AtomicInteger();

        private void send(int v) {
            if (slot == null) {      // check ...
                slot = v;            // ... then act: another sender may have filled it in between
                reported.incrementAndGet();
            }
        }

        @Actor
        public void sender1() {
            send(1);
        }

        @Actor
        public void sender2() {
            send(2);
        }

        @Arbiter
        public void settle(II_Result r) {
            r.r1 = reported.get();
            r.r2 = slot == null ? 0 : 1;
        }
    }

    @JCStressTest
    @Description("BROKEN toy model, hand-written, not gochan's Ring (no suite races two senders on one ring): a ring "
            + "buffer whose send reads "
            + "and writes its count without a lock; two senders into capacity 2 overwrite one slot.")
    @Outcome(id = "2", expect = Expect.ACCEPTABLE, desc = "both values buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a buffered value was overwritten (the bug this model has)")
    @State
    public static class BrokenRingBufferOverwrites {
        final Integer[] buffer = new Integer[2];
        volatile int count;

        private void send(int v) {
            int c = count;       // read ...
            buffer[c] = v;
            count = c + 1;       // ... modify, write: not atomic
        }

        @Actor
        public void sender1() {
            send(1);
        }

        @Actor
        public void sender2() {
            send(2);
        }

        @Arbiter
        public void settle(org.openjdk.jcstress.infra.results.I_Result r) {
            r.r1 = (buffer[0] != null ? 1 : 0) + (buffer[1] != null ? 1 : 0);
        }
    }

    @JCStressTest
    @Description("BROKEN toy model for InterruptStress.TimeoutRacesHandoff (hand-written, not gochan's core): "
            + "a receive that times out and then "
            + "'cleans up' the slot it found empty wipes a value sent in between: lost.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "received")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "timed out; the value is still in the channel")
    @Outcome(expect = Expect.FORBIDDEN, desc = "timed out and the value is gone (the bug this model has)")
    @State
    public static class BrokenTimeoutLosesAValue {
        final AtomicReference<Integer> slot = new AtomicReference<>();
        volatile int received;

        @Actor
        public void sender() {
            slot.set(7);
        }

        @Actor
        public void receiverThatTimesOut() {
            Integer v = slot.getAndSet(null);
            if (v != null) {
                received = 1;
                return;
            }
            slot.set(null); // "cancel the registration": wipes a value that arrived after the check
        }

        @Arbiter
        public void settle(II_Result r) {
            r.r1 = received;
            r.r2 = slot.get() != null ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("BROKEN toy model, hand-written, not gochan's Waiter (SelectClaimStress.TwoChannelsClaimOneSelect with "
            + "mutant MUT6 tests the real claim; SelectStress.TwoSelectsOneValue never parks): a waiter claimed by "
            + "check-then-set instead of CAS lets both selects win the one value: duplicated.")
    @Outcome(id = "1", expect = Expect.ACCEPTABLE, desc = "exactly one select won")
    @Outcome(expect = Expect.FORBIDDEN, desc = "both selects took the value (the bug this model has)")
    @State
    public static class BrokenClaimDuplicates {
        volatile boolean claimed;
        final AtomicInteger winners = new AtomicInteger();

        private void select() {
            if (!claimed) {        // the real engine claims with one CAS on the waiter
                claimed = true;
                winners.incrementAndGet();
            }
        }

        @Actor
        public void select1() {
            select();
        }

        @Actor
        public void select2() {
            select();
        }

        @Arbiter
        public void settle(org.openjdk.jcstress.infra.results.I_Result r) {
            r.r1 = winners.get();
        }
    }

    /** Today's (before issue 15) context: err written (volatile), then done closed; err() reads the field. */
    static final class ErrFirstContext {
        final Chan<Object> done = Chan.make();
        volatile Exception err;

        void cancel() {
            err = new java.util.concurrent.CancellationException("context canceled");
            done.close();
        }
    }

    @JCStressTest
    @Description("BROKEN toy model for ContextStress.ErrThenDone (hand-written, not gochan's core): "
            + "err is published before done closes and err() "
            + "reads it alone, so an observer sees err set while done is still open.")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "not cancelled yet")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "cancelled between the two reads")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "cancelled")
    @Outcome(id = "1, 0", expect = Expect.FORBIDDEN, desc = "err set while done still open (the bug this model has)")
    @State
    public static class BrokenErrBeforeDone {
        final ErrFirstContext ctx = new ErrFirstContext();

        @Actor
        public void canceller() {
            ctx.cancel();
        }

        @Actor
        public void observer(II_Result r) {
            boolean err = false;
            for (int i = 0; i < 200 && !err; i++) { // as ContextStress.ErrThenDone polls
                err = ctx.err != null;
            }
            r.r1 = err ? 1 : 0;
            r.r2 = ctx.done.tryReceive().closed() ? 1 : 0;
        }
    }

    /**
     * A buffered "channel" whose receiver checks the buffer, then announces that it waits, and parks
     * without checking again: a send between the check and the announcement is never noticed (the
     * lost wake-up a lock-free fast path must rule out with a Dekker handshake).
     */
    static final class LostWakeupBuffer {
        final ConcurrentLinkedQueue<Integer> q = new ConcurrentLinkedQueue<>();
        volatile Thread waiter;
        volatile boolean signalled;

        void send(int v) {
            q.offer(v);
            Thread w = waiter;
            if (w != null) {
                signalled = true;
                LockSupport.unpark(w);
            }
        }

        int receive(long nanos) {
            Integer v = q.poll();
            if (v != null) {
                return v;
            }
            for (int i = 0; i < 50; i++) {
                Thread.onSpinWait(); // widens the window the bug lives in, so jcstress meets it quickly
            }
            waiter = Thread.currentThread(); // the bug: no second look at the buffer after this
            long deadline = System.nanoTime() + nanos;
            for (long left; !signalled && (left = deadline - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(left);
            }
            Integer got = signalled ? q.poll() : null;
            return got == null ? -1 : got;
        }
    }

    @JCStressTest
    @Description("BROKEN toy model for WakeStress.SendWakesReceiverOnEmptyBuffer (hand-written, not gochan's core): "
            + "check, announce, park without a "
            + "second check loses the wake-up of a send that lands in between.")
    @Outcome(id = "7, 1", expect = Expect.ACCEPTABLE, desc = "received the value sent")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the receiver was not woken (the bug this model has)")
    @State
    public static class BrokenLostWakeup {
        final LostWakeupBuffer ch = new LostWakeupBuffer();

        @Actor
        public void receiver(II_Result r) {
            r.r1 = ch.receive(1_000_000L); // 1 ms: enough for any wake-up that was not lost
        }

        @Actor
        public void sender(II_Result r) {
            ch.send(7);
            r.r2 = 1;
        }
    }
}
