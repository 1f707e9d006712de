package io.gochan.stress;

import io.gochan.Chan;
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

/**
 * I2, the receive side: {@code InterruptStress} interrupts only a sender, and every ring receiver in
 * {@code WakeStress} waits 10 s, so no suite before this one interrupted a parked receive while a partner
 * hands it a value, and none made a ring's settle meet a cancelled receiver. The mutants it must catch
 * ({@code stress-tests/mutants}, {@code run.sh mutants}): MUT2 (a receive that was handed its value throws
 * the interrupt anyway) by both suites; MUT1 (the ring's settle takes the value before the claim decides) by
 * {@link InterruptRacesRingReceive}.
 * Results: (what the receive returned: the value, 0 interrupted, -2 not woken; try-send reported delivered;
 * value left in the channel).
 */
public final class InterruptReceiveStress {
    /** Far longer than any correct wake-up; only a lost one reaches it. */
    static final Duration BOUND = Duration.ofSeconds(10);

    private InterruptReceiveStress() {}

    static int receive(Chan<Integer> ch) {
        try {
            Received<Integer> got = ch.receive(BOUND);
            return got.ok() ? got.value() : -2;
        } catch (InterruptedException e) {
            return 0;
        }
    }

    /**
     * Bounded wait until a receiver is queued on {@code ch}, so the interrupt usually meets a parked
     * receive (the path under test) rather than one not yet queued; after the bound the test goes on.
     */
    static void awaitQueuedReceiver(Chan<Integer> ch) {
        for (int i = 0; i < 200_000 && ChannelCores.of(ch).waitingReceivers() == 0; i++) {
            Thread.onSpinWait();
        }
    }

    @JCStressTest
    @Description("I2: a receive parked on an unbuffered channel is interrupted while a try-send hands it a value: "
            + "the receive returns the value (flag kept) exactly when the try-send reports it delivered.")
    @Outcome(id = "7, 1, 0", expect = Expect.ACCEPTABLE, desc = "the hand-off beat the interrupt: value received")
    @Outcome(id = "0, 0, 0", expect = Expect.ACCEPTABLE, desc = "the interrupt won; the try-send found no receiver")
    @Outcome(expect = Expect.FORBIDDEN, desc = "delivered to a receive that threw (value lost), or not woken (-2)")
    @State
    public static class InterruptRacesReceive {
        final Chan<Integer> ch = Chan.make();
        volatile Thread receiver;
        volatile boolean interruptDone;

        @Actor
        public void receiver(III_Result r) {
            receiver = Thread.currentThread();
            r.r1 = receive(ch);
            // Keep the interrupt inside this test: wait until it was delivered, then clear it.
            while (!interruptDone) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
        }

        @Actor
        public void interrupterThenSender(III_Result r) {
            Thread t;
            while ((t = receiver) == null) {
                Thread.onSpinWait();
            }
            awaitQueuedReceiver(ch);
            t.interrupt();
            interruptDone = true;
            r.r2 = ch.trySend(7) ? 1 : 0;
        }

        @Arbiter
        public void leftover(III_Result r) {
            r.r3 = ch.tryReceive().orElse(0);
        }
    }

    @JCStressTest
    @Description("I2 on the ring (capacity 64): a receive parked on an empty ring is interrupted while a fast "
            + "try-send puts a value in and settles: the receive returns it, or throws and the value stays "
            + "in the ring.")
    @Outcome(id = "7, 1, 0", expect = Expect.ACCEPTABLE, desc = "the settle handed the value over first")
    @Outcome(id = "0, 1, 7", expect = Expect.ACCEPTABLE, desc = "the interrupt won; the value stays buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the value vanished with an interrupted receive, was duplicated, "
            + "or the receive was not woken (-2)")
    @State
    public static class InterruptRacesRingReceive {
        final Chan<Integer> ch = Chan.make(64);
        volatile Thread receiver;
        volatile boolean interruptDone;

        @Actor
        public void receiver(III_Result r) {
            receiver = Thread.currentThread();
            r.r1 = receive(ch);
            while (!interruptDone) {
                Thread.onSpinWait();
            }
            Thread.interrupted();
        }

        @Actor
        public void interrupterThenSender(III_Result r) {
            Thread t;
            while ((t = receiver) == null) {
                Thread.onSpinWait();
            }
            awaitQueuedReceiver(ch);
            t.interrupt();
            interruptDone = true;
            r.r2 = ch.trySend(7) ? 1 : 0; // a ring with room: true
        }

        @Arbiter
        public void leftover(III_Result r) {
            r.r3 = ch.tryReceive().orElse(0);
        }
    }
}
