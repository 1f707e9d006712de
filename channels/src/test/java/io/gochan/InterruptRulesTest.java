package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    /** The blocking spellings a thread whose interrupt flag is already set may call, each on {@code ch}. */
    enum Entry { SEND, RECEIVE, SEND_WITH_CONTEXT, RECEIVE_WITH_CONTEXT, TIMED_SEND, TIMED_RECEIVE }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I1_aCallEnteredWithTheFlagSetIsNeverSeenByAPartner(Kind kind) throws Exception {
        // A partner polling without blocking all the while must never see or meet the interrupted caller: it
        // throws before the channel shows it waiting. (It used to queue first and look at the flag only when it came
        // to park: a partner arriving in between, or during the rendezvous spin before the park, completed it.)
        for (Entry entry : Entry.values()) {
            for (int capacity : new int[] {0, 1}) {
                for (int round = 0, rounds = kind == Kind.VIRTUAL ? 300 : 100; round < rounds; round++) {
                    Chan<Integer> ch = Chan.make(capacity);
                    boolean sends = entry.name().contains("SEND");
                    if (sends && capacity == 1) {
                        ch.send(-1); // full: the send would wait
                    }
                    AtomicReference<Throwable> thrown = new AtomicReference<>();
                    AtomicInteger met = new AtomicInteger();
                    java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
                    try (Threads threads = new Threads(kind)) {
                        threads.start(() -> {
                            while (!over.get()) {
                                // Seen waiting at all is the failure; on the unbuffered channel a partner
                                // also tries to complete it (on the buffered one that would end the wait).
                                if (Threads.waiters(ch) > 0
                                        || capacity == 0 && (sends ? ch.tryReceive().ok() : ch.trySend(7))) {
                                    met.incrementAndGet();
                                }
                                Thread.onSpinWait();
                            }
                        });
                        threads.start(() -> {
                            Thread.currentThread().interrupt();
                            try {
                                switch (entry) {
                                    case SEND -> ch.send(1);
                                    case RECEIVE -> ch.receive();
                                    case SEND_WITH_CONTEXT -> ch.send(1, Context.background());
                                    case RECEIVE_WITH_CONTEXT -> ch.receive(Context.background());
                                    case TIMED_SEND -> ch.send(1, Duration.ofMinutes(1));
                                    case TIMED_RECEIVE -> ch.receive(Duration.ofMinutes(1));
                                }
                            } catch (InterruptedException e) {
                                thrown.set(e);
                            } finally {
                                over.set(true);
                            }
                        });
                    }
                    String what = entry + " capacity " + capacity + " round " + round + " on " + kind;
                    assertThat(thrown.get()).as(what).isInstanceOf(InterruptedException.class);
                    assertThat(met.get()).as(what + ": the partner met the interrupted caller").isZero();
                    assertThat(Threads.waiters(ch)).as(what).isZero();
                }
            }
        }
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
        int sends = 20_000;
        AtomicInteger answered = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                for (int i = 0; i < sends; i++) {
                    try {
                        b.send(1);
                    } catch (InterruptedException e) {
                        answered.incrementAndGet(); // expected: each send blocks on the full buffer until interrupted
                    }
                }
            });
            // Each send gets its own generous bound: one bound for all of them made the test's speed a
            // requirement (a loaded machine took 19 s of the 30 s for the 20,000 round trips).
            for (int i = 0; i < sends; i++) {
                int done = i;
                Threads.awaitTrue(() -> t.getState() == Thread.State.WAITING, "send " + i + " parked");
                t.interrupt();
                Threads.awaitTrue(() -> answered.get() > done, "send " + i + " answered its interrupt");
            }
        }
        assertThat(Threads.waiters(b)).isZero();
        assertThat(b.len()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I4_noValueStaysReachableFromAThreadThatStillLives(Kind kind) throws Exception {
        // A thread keeps its waiter for its next operation (ADR 0015): the value of the operation it
        // did last (moved, offered, or given up on) must not stay reachable through it. So the worker
        // stops after each kind of operation while the values are checked, synchronised with a j.u.c.
        // queue (a channel operation would rebind the waiter's node and hide a leftover).
        List<WeakReference<Object>> values = new CopyOnWriteArrayList<>();
        SynchronousQueue<String> reached = new SynchronousQueue<>();
        SynchronousQueue<String> proceed = new SynchronousQueue<>();
        Chan<Object> ch = Chan.make();
        Chan<Object> closing = Chan.make();
        CancellableContext ctx = Context.withCancel(Context.background());
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                ch.send(tracked(values));
                pause(reached, proceed, "send, received");
                assertThat(ch.send(tracked(values), Duration.ofMillis(1))).isFalse();
                pause(reached, proceed, "send, timed out");
                assertThat(ch.receive()).isNotNull();
                pause(reached, proceed, "receive");
                Thread.currentThread().interrupt();
                assertThatThrownBy(() -> ch.send(tracked(values))).isInstanceOf(InterruptedException.class);
                pause(reached, proceed, "send, interrupted");
                assertThatThrownBy(() -> ch.send(tracked(values), ctx)).isInstanceOf(ContextCanceledException.class);
                pause(reached, proceed, "send with a context, cancelled");
                assertThatThrownBy(() -> closing.send(tracked(values))).isInstanceOf(ChannelClosedException.class);
                pause(reached, proceed, "send, closed");
                assertThat(ch.receive(Context.background())).isNotNull();
                pause(reached, proceed, "receive with a context");
                assertThat(ch.receive(Duration.ofMillis(1)).ok()).isFalse();
                pause(reached, proceed, "receive, timed out");
                assertThat(receiveOnAFreshChannel(values)).isFalse();
                pause(reached, proceed, "receive on a channel the program dropped");
            });
            Threads.awaitSenders(ch, 1);
            assertThat(ch.receive()).isNotNull();
            assertNothingReachable(values, reached, proceed, 1);
            assertNothingReachable(values, reached, proceed, 2);
            Threads.awaitReceivers(ch, 1);
            ch.send(tracked(values));
            assertNothingReachable(values, reached, proceed, 3);
            assertNothingReachable(values, reached, proceed, 4);
            Threads.awaitSenders(ch, 1);
            ctx.cancel();
            assertNothingReachable(values, reached, proceed, 5);
            Threads.awaitSenders(closing, 1);
            closing.close();
            assertNothingReachable(values, reached, proceed, 6);
            Threads.awaitReceivers(ch, 1);
            ch.send(tracked(values));
            assertNothingReachable(values, reached, proceed, 7);
            assertNothingReachable(values, reached, proceed, 7);
            assertNothingReachable(values, reached, proceed, 8); // the channel itself: not kept either
        }
    }

    private static void pause(SynchronousQueue<String> reached, SynchronousQueue<String> proceed, String after)
            throws InterruptedException {
        reached.put(after);
        proceed.take();
    }

    /** Waits for the worker's pause, then proves every value made so far is collectable, then lets it go on. */
    private static void assertNothingReachable(List<WeakReference<Object>> values, SynchronousQueue<String> reached,
            SynchronousQueue<String> proceed, int made) throws InterruptedException {
        String after = reached.poll(60, TimeUnit.SECONDS);
        assertThat(after).as("the worker's next pause").isNotNull();
        assertThat(values).hasSize(made);
        for (int i = 0; i < 100 && values.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
        }
        assertThat(values).as("after %s", after).allSatisfy(r -> assertThat(r.get()).as("a value still reachable").isNull());
        proceed.put("go on");
    }

    /** Blocks (briefly) on a channel only this method references, and lets it go. */
    private static boolean receiveOnAFreshChannel(List<WeakReference<Object>> values) throws InterruptedException {
        Chan<Object> fresh = Chan.make();
        values.add(new WeakReference<>(fresh));
        return fresh.receive(Duration.ofMillis(1)).ok();
    }

    /** A fresh value whose only strong reference is the one returned (the list holds it weakly). */
    private static Object tracked(List<WeakReference<Object>> values) {
        Object v = new byte[4096];
        values.add(new WeakReference<>(v));
        return v;
    }
}
