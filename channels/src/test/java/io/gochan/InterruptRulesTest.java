package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules I1–I3. (I2 under heavy random racing: {@link ChannelConservationTest}.) */
class InterruptRulesTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I1_blockedSendAndReceiveThrowInterruptedAndLeaveTheChannelUntouched(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(1);
        ch.send(1);
        AtomicReference<Throwable> sendThrew = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                try {
                    ch.send(2);
                } catch (InterruptedException e) {
                    sendThrew.set(e);
                }
            });
            Threads.awaitSenders(ch, 1);
            t.interrupt();
        }
        assertThat(sendThrew.get()).isInstanceOf(InterruptedException.class);
        assertThat(ch.receive()).isEqualTo(1);
        assertThat(ch.tryReceive().notReady()).isTrue(); // 2 was never sent
        AtomicReference<Throwable> receiveThrew = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                try {
                    ch.receive();
                } catch (InterruptedException e) {
                    receiveThrew.set(e);
                }
            });
            Threads.awaitReceivers(ch, 1);
            t.interrupt();
        }
        assertThat(receiveThrew.get()).isInstanceOf(InterruptedException.class);
        ch.send(3);
        assertThat(ch.receive()).isEqualTo(3); // the interrupted receiver took nothing
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I1_anInterruptSetBeforeABlockingCallThrowsAtOnce(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Thread.currentThread().interrupt();
                try {
                    ch.receive();
                } catch (InterruptedException e) {
                    thrown.set(e);
                }
            });
        }
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I2_interruptRacingAHandoffNeverLosesOrDuplicates(Kind kind) throws Exception {
        // The sender is interrupted at about the moment a receiver takes its value: either the send
        // returned normally (then the value was received, and the interrupt flag is still set) or it threw
        // (then the value is not in the channel).
        for (int r = 0; r < 500; r++) {
            int round = r;
            Chan<Integer> ch = Chan.make();
            AtomicReference<String> outcome = new AtomicReference<>();
            AtomicReference<Received<Integer>> got = new AtomicReference<>();
            try (Threads threads = new Threads(kind)) {
                Thread sender = threads.start(() -> {
                    try {
                        ch.send(round);
                        outcome.set(Thread.currentThread().isInterrupted() ? "sent+flag" : "sent");
                    } catch (InterruptedException e) {
                        outcome.set("interrupted");
                    }
                });
                Threads.awaitSenders(ch, 1);
                threads.start(sender::interrupt);
                got.set(ch.receive(Duration.ofMillis(1)));
            }
            if (outcome.get().startsWith("sent")) {
                assertThat(got.get().ok()).as("round %d: sent but not received", round).isTrue();
            } else {
                assertThat(got.get().ok()).as("round %d: received though the send threw", round).isFalse();
            }
            assertThat(ch.tryReceive().notReady()).isTrue();
            assertThat(Threads.waiters(ch)).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I3_cancelledWaitersDoNotStayReachable(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 0; i < 50_000; i++) {
                    ch.receive(Duration.ofNanos(1));
                    ch.send(i, Duration.ofNanos(1));
                }
            });
        }
        assertThat(Threads.waiters(ch)).isZero();
        Chan<Integer> b = Chan.make(1);
        b.send(0);
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    try {
                        b.send(1);
                    } catch (InterruptedException e) {
                        // expected: each send blocks on the full buffer until interrupted
                    }
                }
            });
            Threads.awaitTrue(() -> !t.isAlive() || interruptIfParked(t), "sender done");
        }
        assertThat(Threads.waiters(b)).isZero();
        assertThat(b.len()).isEqualTo(1);
    }

    private static boolean interruptIfParked(Thread t) {
        if (t.getState() == Thread.State.WAITING) {
            t.interrupt();
        }
        return false;
    }
}
