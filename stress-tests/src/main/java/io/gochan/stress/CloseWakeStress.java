package io.gochan.stress;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.spi.ChannelCores;
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
 * K2, K3, K5 and S4's close clause where the other suites cannot see them.
 * {@code CloseStress.CloseWakesBlockedReceiver} meets a parked receiver only in the ~100 ns between its
 * failed try-send and its close, so "close does not wake a parked receiver" (mutant MUT3) is rarely reached
 * there; here the closer waits (bounded) until the partner is queued, so the parked path is the common
 * case, and the receive is bounded, so a missed wake-up is the FORBIDDEN -2, not a hung fork.
 * {@code WakeStress.CloseRacesFastSend} drains in the arbiter, after everything settled, so a fast send
 * that lands after the close (mutant MUT4) is reported "sent before the close, drained after it" and
 * accepted; {@link NoValueLandsAfterClose} looks between the two. The mutants are in
 * {@code stress-tests/mutants} ({@code run.sh mutants}): MUT3 ({@link CloseWakesParkedReceiver},
 * {@link CloseWakesParkedRingReceiver}), MUT3b ({@link CloseWakesParkedSender}), MUT4.
 */
public final class CloseWakeStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);

    private CloseWakeStress() {}

    /** What a bounded receive saw: the value, -1 closed, -2 not woken within BOUND. */
    static int receive(Chan<Integer> ch) {
        try {
            Received<Integer> got = ch.receive(BOUND);
            return got.ok() ? got.value() : got.closed() ? -1 : -2;
        } catch (InterruptedException e) {
            throw new IllegalStateException("unexpected interrupt", e);
        }
    }

    /** Waits (bounded) until a receiver is queued; 1 if it was. */
    static int awaitQueuedReceiver(Chan<Integer> ch) {
        for (int i = 0; i < 200_000; i++) {
            if (ChannelCores.of(ch).waitingReceivers() == 1) {
                return 1;
            }
            Thread.onSpinWait();
        }
        return 0;
    }

    @JCStressTest
    @Description("K3: a receive parked on an empty unbuffered channel is woken by close and sees closed. "
            + "(receive's result, the receiver was queued at the close)")
    @Outcome(id = "-1, 1", expect = Expect.ACCEPTABLE, desc = "parked, woken by the close")
    @Outcome(id = "-1, 0", expect = Expect.ACCEPTABLE_INTERESTING, desc = "not yet queued at the close: saw closed at once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the close did not wake the parked receiver (-2), or it got a value")
    @State
    public static class CloseWakesParkedReceiver {
        final Chan<Integer> ch = Chan.make();

        @Actor
        public void receiver(II_Result r) {
            r.r1 = receive(ch);
        }

        @Actor
        public void closer(II_Result r) {
            r.r2 = awaitQueuedReceiver(ch);
            ch.close();
        }
    }

    @JCStressTest
    @Description("K3 on the ring (capacity 64): a receive parked on an empty ring is woken by close and sees closed.")
    @Outcome(id = "-1, 1", expect = Expect.ACCEPTABLE, desc = "parked, woken by the close")
    @Outcome(id = "-1, 0", expect = Expect.ACCEPTABLE_INTERESTING, desc = "not yet queued at the close: saw closed at once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the close did not wake the parked receiver (-2), or it got a value")
    @State
    public static class CloseWakesParkedRingReceiver {
        final Chan<Integer> ch = Chan.make(64);

        @Actor
        public void receiver(II_Result r) {
            r.r1 = receive(ch);
        }

        @Actor
        public void closer(II_Result r) {
            r.r2 = awaitQueuedReceiver(ch);
            ch.close();
        }
    }

    @JCStressTest
    @Description("K3/K5 on the ring: a fast send races close; the closer then looks once. A send that returned "
            + "normally was in the ring before the close (the closer's look finds it); once a look saw "
            + "'closed', no value appears later. (send returned, closer's look, arbiter's look: 1 value, "
            + "0 closed, 2 not ready)")
    @Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "sent before the close; the closer drained it")
    @Outcome(id = "0, 0, 0", expect = Expect.ACCEPTABLE, desc = "closed first: the send threw, nothing buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a value landed after a receive saw 'closed' (1, 0, 1), a sent "
            + "value lost, or a refused send left its value")
    @State
    public static class NoValueLandsAfterClose {
        final Chan<Integer> ch = Chan.make(64);

        static int look(Received<Integer> got) {
            return got.ok() ? 1 : got.closed() ? 0 : 2;
        }

        @Actor
        public void sender(III_Result r) {
            try {
                ch.send(1);
                r.r1 = 1;
            } catch (ChannelClosedException e) {
                r.r1 = 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void closerThenReceiver(III_Result r) {
            ch.close();
            r.r2 = look(ch.tryReceive());
        }

        @Arbiter
        public void after(III_Result r) {
            r.r3 = look(ch.tryReceive());
        }
    }

    @JCStressTest
    @Description("K2: a send parked on a full buffer (capacity 1, not the ring) is woken by close and throws; its "
            + "value is not delivered. (send's result: 1 sent, -1 threw closed, -2 not woken; sender queued at the "
            + "close; left in the buffer after it)")
    @Outcome(id = "-1, 1, 1", expect = Expect.ACCEPTABLE, desc = "parked, woken by the close, threw; only the first value buffered")
    @Outcome(id = "-1, 0, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "not yet queued at the close: threw at once")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the close did not wake the parked sender (-2, mutant MUT3b), or its value got in")
    @State
    public static class CloseWakesParkedSender {
        final Chan<Integer> ch = Chan.make(1);

        public CloseWakesParkedSender() {
            ch.trySend(1); // full
        }

        @Actor
        public void sender(III_Result r) {
            try {
                r.r1 = ch.send(2, BOUND) ? 1 : -2;
            } catch (ChannelClosedException e) {
                r.r1 = -1;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unexpected interrupt", e);
            }
        }

        @Actor
        public void closer(III_Result r) {
            int queued = 0;
            for (int i = 0; i < 200_000 && queued == 0; i++) {
                queued = ChannelCores.of(ch).waitingSenders();
                Thread.onSpinWait();
            }
            r.r2 = queued;
            ch.close();
        }

        @Arbiter
        public void leftover(III_Result r) {
            int n = 0;
            while (ch.tryReceive().ok()) {
                n++;
            }
            r.r3 = n;
        }
    }

    @JCStressTest
    @Description("S4: a close happens before every receive that returns because the channel is closed: a plain "
            + "write made before close() is visible to a receiver that saw 'closed'. (saw closed, the write)")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "saw closed, and the write before the close")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "looked before the close")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "looked before the close; the write landed after the look")
    @Outcome(id = "1, 0", expect = Expect.FORBIDDEN, desc = "saw closed but not the write made before the close")
    @State
    public static class CloseHappensBeforeClosedReceive {
        final Chan<Integer> ch = Chan.make(64); // the ring: 'closed' read on the lock-free path too
        int data; // plain field: only the channel orders it

        @Actor
        public void closer() {
            data = 1;
            ch.close();
        }

        @Actor
        public void receiver(II_Result r) {
            boolean closed = false;
            for (int i = 0; i < 200 && !closed; i++) { // as ContextStress polls: look right after the close
                closed = ch.tryReceive().closed();
            }
            r.r1 = closed ? 1 : 0;
            r.r2 = data;
        }
    }
}
