package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import io.gochan.spi.ParkHook;
import io.gochan.spi.WaitNode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a waiting operation leaves queued, and who it may be passed by: a receiver queued on a ring channel is
 * served before a newcomer's poll (S3), an operation a bubble refuses queues nothing (I3), and a context-aware
 * wait is judged by a bubble on both its channels (BB2). Each test failed before its fix.
 */
@ExtendWith(NoNewGoroutines.class)
class WaitRegistrationRulesTest {
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ParkHook.active()).isNull();
    }

    /**
     * S3, GO2: a receiver blocked on an empty lock-free ring is served before a receiver that comes later.
     * Go's receive from an empty buffer queues behind the blocked receivers (recvq), and a send hands its
     * value to the first of them, so a try-receive that starts after a receiver blocked never gets the value
     * that receiver is owed. It used to: the newcomer's locked poll settled (nothing to hand over yet) and
     * then took from the ring although a receiver was queued, so a fast send whose position CAS landed
     * between the two went to the newcomer. The window is a few instructions, so the test repeats the
     * round many times (a bound on rounds and on time, whichever comes first); before the fix it failed
     * within the first few thousand rounds.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void S3_aReceiverBlockedOnARingIsServedBeforeAPollingNewcomer(Threads.Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(64); // the smallest capacity with the lock-free ring
        ChannelCore core = ChannelCores.of(ch);
        AtomicInteger served = new AtomicInteger(); // the last value the blocked receiver got
        AtomicInteger stolen = new AtomicInteger(); // a value a newcomer got, 0 if none
        AtomicBoolean stop = new AtomicBoolean();
        int stolenInRound = 0;
        int rounds = 0;
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (Received<Integer> r; (r = ch.receiveOk()).ok(); ) {
                    served.set(r.value());
                }
            });
            for (int i = 0; i < 2; i++) { // two newcomers: twice the polls for the send to land in
                threads.start(() -> {
                    for (int polls = 1; !stop.get(); polls++) {
                        Received<Integer> r = ch.tryReceive(); // the receivers' gate is shut: each poll takes the lock
                        if (r.ok()) {
                            stolen.set(r.value());
                            return;
                        }
                        if (kind == Threads.Kind.VIRTUAL && polls % 1024 == 0) {
                            Threads.letOthersRun(); // two virtual spinners must not keep the receiver off the carriers
                        }
                    }
                });
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            try {
                for (int round = 1; round <= 20_000 && System.nanoTime() < end; round++) {
                    rounds = round;
                    Threads.awaitTrue(() -> core.waitingReceivers() == 1, "the receiver to block");
                    ch.send(round); // room: a fast send, landing anywhere in the newcomer's polls
                    int r = round;
                    Threads.awaitTrue(() -> served.get() == r || stolen.get() != 0, "someone to take " + round);
                    if (stolen.get() != 0) {
                        stolenInRound = round;
                        break;
                    }
                }
            } finally {
                stop.set(true);
                ch.close(); // the blocked receiver ends
            }
        }
        assertThat(stolenInRound).as("%s: a newcomer took the value owed to the blocked receiver (round %d of %d)",
                kind, stolenInRound, rounds).isZero();
    }

    /**
     * I3, I4, BB6: an operation refused because its thread is outside the channel's bubble leaves no waiter
     * record (and no value) on the channel, as a timed-out or interrupted one does. The refusal used to be
     * thrown from inside the wait, past the code that unlinks the node: the node, with a send's value, stayed
     * queued, the channel described a waiting sender or receiver that was not there (C4, K6), and on the
     * ring its gate stayed shut. Now it is refused before anything is queued.
     */
    @Test
    void I3_anOperationRefusedOnABubbleChannelLeavesNothingQueued() throws Exception {
        for (int capacity : new int[] {0, 1, 64}) {
            for (int op = 0; op < 3; op++) {
                boolean send = op == 1;
                boolean withContext = op == 2;
                AtomicReference<Throwable> outsider = new AtomicReference<>();
                AtomicReference<Thread> thread = new AtomicReference<>();
                AtomicReference<Chan<Integer>> channel = new AtomicReference<>();
                CancellableContext ctx = Context.withCancel(Context.background()); // of no bubble
                try {
                    Bubble.run(() -> {
                        Chan<Integer> inner = Chan.make(capacity);
                        channel.set(inner);
                        if (send) {
                            for (int i = 0; i < capacity; i++) {
                                inner.send(i); // full: the outsider's send must wait
                            }
                        }
                        CountDownLatch done = new CountDownLatch(1);
                        thread.set(Thread.ofPlatform().daemon().start(() -> {
                            try {
                                if (send) {
                                    inner.send(-1);
                                } else if (withContext) {
                                    inner.receive(ctx);
                                } else {
                                    inner.receive();
                                }
                            } catch (Throwable t) {
                                outsider.set(t);
                            } finally {
                                done.countDown();
                            }
                        }));
                        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue(); // a latch: not durable, time waits
                    });
                } finally {
                    ctx.cancel();
                }
                assertThat(thread.get().join(Duration.ofSeconds(30))).isTrue();
                String what = (send ? "send" : withContext ? "receive(ctx)" : "receive") + " on capacity " + capacity;
                assertThat(outsider.get()).as(what).isInstanceOf(IllegalStateException.class).hasMessageContaining("BB6");
                ChannelCore core = ChannelCores.of(channel.get());
                assertThat(core.waitingSenders()).as(what + ": senders queued after the refusal").isZero();
                assertThat(core.waitingReceivers()).as(what + ": receivers queued after the refusal").isZero();
                assertThat(ChannelCores.of(ctx.done()).waitingReceivers()).as(what + ": on the context's done").isZero();
                assertThat(channel.get().toString()).as(what).contains("waiting senders=0, waiting receivers=0");
                assertThat(channel.get().len()).as(what + ": nothing entered the buffer").isEqualTo(send ? capacity : 0);
            }
        }
    }

    /**
     * BB2, CH4: {@code ch.receive(ctx)} is Go's {@code select { case <-ch: case <-ctx.Done(): }}; with a context
     * made outside the bubble only a thread outside can end it, so the wait is not durable: the clock stands
     * still while it lasts. It used to park with the data channel's node alone as its blocker, so the bubble
     * counted the root as durably blocked: the clock jumped to the sleeper's hour and a deadlock followed. The
     * root's record is read while it is parked in the wait (the bubble records it before the park).
     */
    @Test
    void BB2_aReceiveWithAContextMadeOutsideTheBubbleIsNotDurable() throws Exception {
        CancellableContext outside = Context.withCancel(Context.background()); // of no bubble
        AtomicReference<Thread> canceller = new AtomicReference<>();
        AtomicReference<Object> recorded = new AtomicReference<>("not read");
        try {
            Bubble.run(() -> {
                BubbleState.Member rootMember = Bubbles.current();
                BubbleState bubble = rootMember.bubble;
                Thread root = Thread.currentThread();
                Chan<String> ch = Chan.make(); // the bubble's
                Goroutine sleeper = Go.go("sleeper", () -> Timers.sleep(Duration.ofHours(1)));
                canceller.set(Thread.ofPlatform().daemon().start(() -> {
                    Threads.awaitTrue(() -> blockedOrGone(bubble, sleeper) && parkedInAChannelWait(root),
                            "the sleeper asleep and the root parked in its receive");
                    Object on = bubble.durablyBlockedOn(rootMember);
                    recorded.set(on == null ? "nothing" : on);
                    outside.cancel();
                }));
                Throwable thrown = catchThrowable(() -> ch.receive(outside));
                assertThat(recorded.get()).as("what the root counted as durably blocked on").isEqualTo("nothing");
                assertThat(thrown).isInstanceOf(ContextCanceledException.class);
                assertThat(Timers.now()).as("the clock waited for the outside cancel").isEqualTo(EPOCH);
                sleeper.join(); // its hour passes while the body waits (after the body, the clock stops: BB39)
            });
        } finally {
            outside.cancel();
            Thread c = canceller.get();
            if (c != null) {
                assertThat(c.join(Duration.ofSeconds(60))).isTrue();
            }
        }
    }

    private static boolean parkedInAChannelWait(Thread t) {
        Object blocker = LockSupport.getBlocker(t);
        return t.getState() == Thread.State.WAITING && (blocker instanceof WaitNode || blocker instanceof ParkHook.Cases);
    }

    private static boolean blockedOrGone(BubbleState bubble, Goroutine g) {
        for (BubbleState.Member m : bubble.membersSnapshot()) {
            if (m.goroutine == g) {
                return bubble.durablyBlockedOn(m) != null;
            }
        }
        return true;
    }
}
