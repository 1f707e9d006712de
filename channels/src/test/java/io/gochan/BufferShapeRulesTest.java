package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Go's rules for blocked senders and receivers at every buffer shape: capacities on both sides of the
 * lock-free ring's bounds (64 and 4096, ADR 0015), so that the ring and the locked buffer are held to the
 * same rules (S2, S3, S6, C2, K2, K3, K5, I1, I2), on both thread kinds.
 */
class BufferShapeRulesTest {
    static final int[] BUFFERED = {1, 16, 63, 64, 65, 100, 4096, 4097};

    static List<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int c : BUFFERED) {
                list.add(Arguments.of(c, kind));
            }
        }
        return list;
    }

    static List<Arguments> shapesWithUnbuffered() {
        List<Arguments> list = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            list.add(Arguments.of(0, kind));
            for (int c : BUFFERED) {
                list.add(Arguments.of(c, kind));
            }
        }
        return list;
    }

    /** Fills {@code ch} with 0 .. cap-1, checking len after each send (C2). */
    private static void fill(Chan<Integer> ch) {
        for (int i = 0; i < ch.cap(); i++) {
            assertThat(ch.trySend(i)).isTrue();
            assertThat(ch.len()).isEqualTo(i + 1);
        }
        assertThat(ch.trySend(-1)).as("full").isFalse();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void S3_aBlockedSendersValueEntersTheBufferWithTheReceiveThatFreesASlot(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> ch.send(1_000_000));
            Threads.awaitSenders(ch, 1);
            assertThat(ch.len()).isEqualTo(capacity);
            assertThat(ch.receive()).isEqualTo(0);
            // The receive moved the blocked sender's value in (Go's recv does it in the same step): the
            // buffer is full again and a newcomer cannot take the freed slot ahead of it.
            assertThat(ch.len()).isEqualTo(capacity);
            assertThat(ch.trySend(2_000_000)).as("a newcomer must not overtake the blocked sender").isFalse();
        }
        List<Integer> rest = new ArrayList<>();
        for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
            rest.add(r.value());
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i < capacity; i++) {
            expected.add(i);
        }
        expected.add(1_000_000);
        assertThat(rest).isEqualTo(expected);
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void S3_aNewcomerRacingTheReceiveNeverOvertakesBlockedSenders(int capacity, Kind kind) throws Exception {
        // Blocked senders' values enter the buffer in the order they blocked, before any value of a sender
        // that arrives while receives free slots (the newcomer retries trySend and then blocks).
        for (int round = 0; round < 30; round++) {
            newcomerRound(capacity, kind);
        }
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void C7_lenStaysAtTheCapacityWhileReceivesMoveBlockedSendersIn(int capacity, Kind kind) throws Exception {
        // Go's receive from a full buffer with a parked sender moves that sender's value into the freed slot
        // in the same locked step and never changes the count, so a goroutine reading len meanwhile reads cap
        // every time (Go 1.19: 0 of about 10^9 reads in this shape). Before C7, len() dipped to cap - 1 for a
        // moment in each such receive (in 1 to 15 of 20 rounds at every capacity, both thread kinds).
        for (int round = 0; round < 6; round++) {
            lenRound(capacity, kind, round);
        }
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void C7_lenStaysZeroWhileSendsHandTheirValuesToBlockedReceivers(int capacity, Kind kind) throws Exception {
        // Go's send to a channel with a parked receiver hands the value over directly, never through the
        // buffer, so len reads 0 throughout (Go 1.19: 0 of about 10^9 reads in this shape). Before C7, the
        // lock-free ring's fast send put the value in and the settle under the lock handed it on: len() read 1
        // for a moment (in 1 to 4 of 10 rounds at capacities 64 and 4096).
        for (int round = 0; round < 6; round++) {
            int blocked = 80;
            Chan<Integer> ch = Chan.make(capacity);
            List<Integer> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicInteger offLen = new AtomicInteger(-1);
            AtomicBoolean stop = new AtomicBoolean();
            try (Threads threads = new Threads(kind)) {
                for (int b = 0; b < blocked; b++) {
                    threads.start(() -> got.add(ch.receive()));
                    Threads.awaitReceivers(ch, b + 1);
                }
                readLenUntil(threads, ch, 0, stop, offLen);
                for (int i = 0; i < blocked; i++) { // each finds a blocked receiver; the plain, try and timed forms
                    switch ((i + round) % 3) {
                        case 0 -> ch.send(i);
                        case 1 -> assertThat(ch.trySend(i)).as("a trySend to a blocked receiver").isTrue();
                        default -> assertThat(ch.send(i, Duration.ofSeconds(30))).isTrue();
                    }
                }
                Threads.awaitTrue(() -> got.size() == blocked, "every receiver got its value");
                stop.set(true);
            }
            assertThat(offLen.get()).as("a len() read while every send found a blocked receiver").isEqualTo(-1);
            assertThat(got).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, blocked).boxed().toList());
            assertThat(ch.len()).isZero();
        }
    }

    /** Starts senders of 1_000_000, 1_000_001, ... one at a time, each blocked before the next starts. */
    private static void blockSenders(Threads threads, Chan<Integer> ch, int blocked) {
        for (int b = 0; b < blocked; b++) {
            int v = 1_000_000 + b;
            threads.start(() -> ch.send(v));
            Threads.awaitSenders(ch, b + 1);
        }
    }

    /**
     * Starts a thread that reads {@code ch.len()} until {@code stop} and keeps the first read other than
     * {@code expected} in {@code offLen} (which starts at -1); returns once it reads.
     */
    private static void readLenUntil(Threads threads, Chan<Integer> ch, int expected, AtomicBoolean stop,
            AtomicInteger offLen) throws InterruptedException {
        CountDownLatch reading = new CountDownLatch(1);
        threads.start(() -> {
            reading.countDown();
            while (!stop.get()) {
                int n = ch.len();
                if (n != expected) {
                    offLen.compareAndSet(-1, n);
                }
            }
        });
        reading.await();
    }

    private static void lenRound(int capacity, Kind kind, int round) throws Exception {
        int blocked = 80;
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        List<Integer> got = new ArrayList<>();
        AtomicInteger offLen = new AtomicInteger(-1);
        AtomicBoolean stop = new AtomicBoolean();
        try (Threads threads = new Threads(kind)) {
            blockSenders(threads, ch, blocked);
            readLenUntil(threads, ch, capacity, stop, offLen);
            for (int i = 0; i < blocked; i++) { // each finds a blocked sender; the plain, try and timed forms
                got.add(switch ((i + round) % 3) {
                    case 0 -> ch.receive();
                    case 1 -> ch.tryReceive().value();
                    default -> ch.receive(Duration.ofSeconds(30)).value();
                });
            }
            stop.set(true);
        }
        assertThat(offLen.get()).as("a len() read while every receive found a blocked sender").isEqualTo(-1);
        for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
            got.add(r.value());
        }
        List<Integer> expected = new ArrayList<>(java.util.stream.IntStream.range(0, capacity).boxed().toList());
        java.util.stream.IntStream.range(0, blocked).forEach(b -> expected.add(1_000_000 + b));
        assertThat(got).as("S3: the buffer, then the blocked senders in the order they blocked").isEqualTo(expected);
    }

    private static void newcomerRound(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        int blocked = 3;
        List<Integer> got = new ArrayList<>();
        try (Threads threads = new Threads(kind)) {
            blockSenders(threads, ch, blocked);
            CountDownLatch newcomerReady = new CountDownLatch(1);
            threads.start(() -> {
                newcomerReady.countDown();
                for (int i = 0; i < 100_000 && !ch.trySend(2_000_000); i++) {
                    Thread.onSpinWait();
                }
                ch.send(2_000_001); // after its value: blocks until the receiver below frees a slot
            });
            newcomerReady.await();
            for (int i = 0; i < capacity + blocked + 1; i++) {
                got.add(ch.receive());
            }
        }
        // The newcomer's trySend may or may not have succeeded; its blocking send found room by now.
        for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
            got.add(r.value());
        }
        List<Integer> blockedValues = got.stream().filter(v -> v >= 1_000_000 && v < 2_000_000).toList();
        assertThat(blockedValues).containsExactly(1_000_000, 1_000_001, 1_000_002);
        int lastBlocked = got.indexOf(1_000_002);
        int firstNewcomer = got.indexOf(2_000_000) >= 0 ? got.indexOf(2_000_000) : got.indexOf(2_000_001);
        assertThat(firstNewcomer).as("the newcomer's value comes after every blocked sender's: %s", got.subList(
                Math.max(0, capacity - 2), got.size())).isGreaterThan(lastBlocked);
        assertThat(got.subList(0, capacity)).isEqualTo(java.util.stream.IntStream.range(0, capacity).boxed().toList());
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void K2_closeFailsBlockedSendersAndKeepsWhatWasBuffered(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        ConcurrentLinkedQueue<Throwable> thrown = new ConcurrentLinkedQueue<>();
        AtomicInteger returned = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 3; i++) {
                int v = 1_000_000 + i;
                threads.start(() -> {
                    try {
                        ch.send(v);
                        returned.incrementAndGet();
                    } catch (ChannelClosedException e) {
                        thrown.add(e);
                    }
                });
            }
            Threads.awaitSenders(ch, 3);
            ch.close();
        }
        assertThat(returned).hasValue(0);
        assertThat(thrown).hasSize(3).allMatch(t -> t.getMessage().startsWith("send on closed channel"));
        assertThat(ch.len()).isEqualTo(capacity);
        List<Integer> drained = new ArrayList<>();
        for (int v : ch) {
            drained.add(v);
        }
        assertThat(drained).isEqualTo(java.util.stream.IntStream.range(0, capacity).boxed().toList());
        assertThat(ch.receiveOk().closed()).isTrue();
        assertThat(ch.len()).isZero();
        assertThatThrownBy(() -> ch.trySend(5)).isInstanceOf(ChannelClosedException.class)
                .hasMessageStartingWith("send on closed channel");
        assertThatThrownBy(ch::close).isInstanceOf(ChannelClosedException.class).hasMessageStartingWith("close of closed channel");
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void K3_closeWakesBlockedReceiversWithClosed(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        ConcurrentLinkedQueue<Received<Integer>> got = new ConcurrentLinkedQueue<>();
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 3; i++) {
                threads.start(() -> got.add(ch.receiveOk()));
            }
            Threads.awaitReceivers(ch, 3);
            ch.close();
        }
        assertThat(got).hasSize(3).allMatch(Received::closed);
        assertThat(ch.len()).isZero();
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void K5_closeRacingBlockedAndArrivingSendersDeliversExactlyTheSendsThatReturned(int capacity, Kind kind)
            throws Exception {
        for (int round = 0; round < 20; round++) {
            Chan<Integer> ch = Chan.make(capacity);
            int senders = 4;
            ConcurrentLinkedQueue<Integer> returned = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> failed = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
            CountDownLatch started = new CountDownLatch(senders + 1);
            try (Threads threads = new Threads(kind)) {
                for (int s = 0; s < senders; s++) {
                    int base = s * 1_000_000;
                    threads.start(() -> {
                        started.countDown();
                        for (int i = 0; ; i++) {
                            try {
                                ch.send(base + i);
                                returned.add(base + i);
                            } catch (ChannelClosedException e) {
                                failed.add(base + i);
                                return;
                            }
                        }
                    });
                }
                threads.start(() -> {
                    started.countDown();
                    for (Received<Integer> r; !(r = ch.receiveOk()).closed(); ) {
                        received.add(r.value());
                    }
                });
                started.await();
                for (int i = 0; i < 50 + round * 10; i++) {
                    Thread.onSpinWait();
                }
                ch.close();
            }
            assertThat(failed).hasSize(senders);
            // Sorted lists and a set, not AssertJ's any-order comparison: that one is quadratic, and a close that a
            // loaded machine delays lets the senders hand over millions of values first (seen: over ten minutes).
            assertThat(sorted(received)).as("the values received are the sends that returned").isEqualTo(sorted(returned));
            assertThat(java.util.Collections.disjoint(new java.util.HashSet<>(received), failed))
                    .as("no failed send was received").isTrue();
            assertThat(Threads.waiters(ch)).isZero();
        }
    }

    private static java.util.List<Integer> sorted(java.util.Collection<Integer> values) {
        return values.stream().sorted().toList();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void I1_interruptedBlockedSendAndReceiveChangeNothing(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        AtomicReference<Throwable> sendThrew = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                try {
                    ch.send(1_000_000);
                } catch (InterruptedException e) {
                    sendThrew.set(e);
                }
            });
            Threads.awaitSenders(ch, 1);
            t.interrupt();
        }
        assertThat(sendThrew.get()).isInstanceOf(InterruptedException.class);
        assertThat(ch.len()).isEqualTo(capacity);
        assertThat(Threads.waiters(ch)).isZero();
        for (int i = 0; i < capacity; i++) {
            assertThat(ch.receive()).isEqualTo(i);
        }
        assertThat(ch.tryReceive().notReady()).as("the interrupted send's value is not in the channel").isTrue();
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
        assertThat(Threads.waiters(ch)).isZero();
        if (capacity > 0) {
            assertThat(ch.trySend(7)).isTrue();
            assertThat(ch.len()).isEqualTo(1);
            assertThat(ch.receive()).isEqualTo(7); // the interrupted receiver took nothing
        }
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void I2_interruptRacingAReceiveThatFreesTheBlockedSendersSlot(int capacity, Kind kind) throws Exception {
        // The value of a sender interrupted while a receive frees a slot is either sent (the send returns,
        // interrupt status set) and then received exactly once, or not sent and never received.
        for (int round = 0; round < 100; round++) {
            Chan<Integer> ch = Chan.make(capacity);
            fill(ch);
            AtomicBoolean sent = new AtomicBoolean();
            AtomicBoolean interruptedAfterSend = new AtomicBoolean();
            AtomicReference<Throwable> threw = new AtomicReference<>();
            int drainedBefore;
            List<Integer> got = new ArrayList<>();
            try (Threads threads = new Threads(kind)) {
                Thread sender = threads.start(() -> {
                    try {
                        ch.send(1_000_000);
                        sent.set(true);
                        interruptedAfterSend.set(Thread.currentThread().isInterrupted());
                    } catch (InterruptedException e) {
                        threw.set(e);
                    }
                });
                Threads.awaitSenders(ch, 1);
                CountDownLatch go = new CountDownLatch(1);
                threads.start(() -> {
                    go.await();
                    sender.interrupt();
                });
                go.countDown();
                if (capacity == 0) {
                    Received<Integer> r = ch.receive(Duration.ofMillis(50));
                    if (r.ok()) {
                        got.add(r.value());
                    }
                } else {
                    got.add(ch.receive());
                }
                drainedBefore = got.size();
            }
            for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
                got.add(r.value());
            }
            long count = got.stream().filter(v -> v == 1_000_000).count();
            assertThat(sent.get() ^ threw.get() != null).as("exactly one outcome").isTrue();
            assertThat(count).as("round %d: sent=%s, received %s", round, sent.get(), got).isEqualTo(sent.get() ? 1 : 0);
            if (sent.get() && capacity > 0) {
                assertThat(got.get(got.size() - 1)).as("in FIFO order").isEqualTo(1_000_000);
            }
            assertThat(drainedBefore).isLessThanOrEqualTo(1);
            assertThat(Threads.waiters(ch)).isZero();
        }
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void S6_timedSendOnAFullBufferAndTimedReceiveOnAnEmptyOneChangeNothing(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(ch.receive(Duration.ofMillis(5)).notReady()).isTrue();
                fill(ch);
                assertThat(ch.send(1_000_000, Duration.ofMillis(5))).isFalse();
                assertThat(ch.len()).isEqualTo(capacity);
                assertThat(Threads.waiters(ch)).isZero();
                for (int i = 0; i < capacity; i++) {
                    assertThat(ch.receive(Duration.ofMillis(5)).value()).isEqualTo(i);
                }
                assertThat(ch.receive(Duration.ofMillis(5)).notReady()).isTrue();
                assertThat(ch.len()).isZero();
                assertThat(Threads.waiters(ch)).isZero();
            });
        }
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void C2_lenStaysWithinZeroAndCapWhileSendersAndReceiversRace(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> bad = new AtomicReference<>();
        int perSender = 20_000;
        try (Threads threads = new Threads(kind)) {
            for (int s = 0; s < 2; s++) {
                threads.start(() -> {
                    for (int i = 0; i < perSender; i++) {
                        ch.send(i);
                    }
                });
            }
            threads.start(() -> {
                for (int i = 0; i < 2 * perSender; i++) {
                    ch.receive();
                }
                stop.set(true);
            });
            threads.start(() -> {
                while (!stop.get()) {
                    int len = ch.len();
                    if (len < 0 || len > capacity) {
                        bad.set("len " + len);
                    }
                }
            });
        }
        assertThat(bad.get()).isNull();
        assertThat(ch.len()).isZero();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapes")
    void CH3_anInterruptFlagStopsOnlyTheOperationsThatWouldWait(int capacity, Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(capacity);
        AtomicReference<String> outcome = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Thread.currentThread().interrupt();
                for (int i = 0; i < capacity; i++) {
                    if (i % 3 == 0) {
                        ch.send(i); // room: completes, flag kept
                    } else if (i % 3 == 1) {
                        assertThat(ch.send(i, Duration.ofSeconds(1))).isTrue();
                    } else {
                        assertThat(ch.trySend(i)).isTrue();
                    }
                }
                assertThat(Thread.currentThread().isInterrupted()).as("flag kept").isTrue();
                try {
                    ch.send(-1); // full: would wait, so it throws at once (I1)
                    outcome.set("send on a full buffer returned");
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                assertThat(ch.len()).isEqualTo(capacity);
                for (int i = 0; i < capacity; i++) {
                    assertThat(i % 2 == 0 ? ch.receive() : ch.receive(Duration.ofSeconds(1)).value()).isEqualTo(i);
                }
                assertThat(Thread.currentThread().isInterrupted()).as("flag kept").isTrue();
                try {
                    ch.receive(); // empty: would wait
                    outcome.set("receive on an empty buffer returned");
                    return;
                } catch (InterruptedException e) {
                    // expected
                }
                outcome.set("ok");
            });
        }
        assertThat(outcome.get()).isEqualTo("ok");
        assertThat(ch.len()).isZero();
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void S3_blockedReceiversAreServedInArrivalOrderAtEveryShape(int capacity, Kind kind) throws Exception {
        // On a ring the sends below take the fast path; the receivers' gate sends them to the lock, where
        // the first queued receiver gets the oldest value. A receiver that arrives while others wait queues
        // behind them (its tryReceive finds nothing: INV1).
        Chan<Integer> ch = Chan.make(capacity);
        Integer[] got = new Integer[5];
        try (Threads threads = new Threads(kind)) {
            for (int i = 0; i < 5; i++) {
                int slot = i;
                threads.start(() -> got[slot] = ch.receive());
                Threads.awaitReceivers(ch, i + 1);
            }
            assertThat(ch.tryReceive().notReady()).isTrue();
            for (int i = 0; i < 5; i++) {
                ch.send(i * 10);
            }
        }
        assertThat(got).containsExactly(0, 10, 20, 30, 40);
        assertThat(ch.len()).isZero();
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest(name = "capacity {0} on {1} threads")
    @MethodSource("shapesWithUnbuffered")
    void CH4_contextAwareSendAndReceiveAtEveryShape(int capacity, Kind kind) throws Exception {
        // A send blocked on a full buffer ends with ctx.err() when the context is cancelled, having sent
        // nothing; a receive blocked on an empty one is completed by a (fast) send.
        Chan<Integer> ch = Chan.make(capacity);
        fill(ch);
        CancellableContext ctx = Context.withCancel(Context.background());
        AtomicReference<Throwable> sendThrew = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                try {
                    ch.send(1_000_000, ctx);
                } catch (ContextCanceledException e) {
                    sendThrew.set(e);
                }
            });
            Threads.awaitSenders(ch, 1);
            ctx.cancel();
        }
        assertThat(sendThrew.get()).isInstanceOf(ContextCanceledException.class);
        assertThat(ch.len()).isEqualTo(capacity);
        assertThat(Threads.waiters(ch)).isZero();
        for (int i = 0; i < capacity; i++) {
            assertThat(ch.receive()).isEqualTo(i);
        }
        assertThat(ch.tryReceive().notReady()).as("the cancelled send sent nothing").isTrue();
        CancellableContext live = Context.withCancel(Context.background());
        AtomicReference<Integer> got = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> got.set(ch.receive(live)));
            Threads.awaitReceivers(ch, 1);
            ch.send(42);
        }
        live.cancel();
        assertThat(got.get()).isEqualTo(42);
        assertThat(ch.len()).isZero();
        assertThat(Threads.waiters(ch)).isZero();
    }
}
