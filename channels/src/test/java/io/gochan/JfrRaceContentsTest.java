package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code io.gochan.ChannelBlocked} under races (JF5, JF7, JF9): sends and receives, plain, timed and with a context,
 * on buffered and unbuffered channels, racing a close, interrupts, their timeouts and a context's cancel, on virtual
 * and platform threads. Every event is matched to the one operation of its thread: its outcome is what that caller
 * saw, its channel and capacity that channel's, its duration not negative, and no thread has two.
 */
@ExtendWith(NoNewGoroutines.class)
class JfrRaceContentsTest {
    private static final String EVENT = "io.gochan.ChannelBlocked";

    interface Body {
        void run() throws Exception;
    }

    private static List<RecordedEvent> record(Path file, Body body) throws Exception {
        try (Recording r = new Recording()) {
            r.enable(EVENT).withThreshold(Duration.ZERO);
            r.start();
            body.run();
            r.stop();
            r.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(EVENT)).toList();
    }

    /** What a caller saw, as the event's outcome would say it. */
    record Seen(String operation, String outcome) {}

    /**
     * JF5: in rounds of sixteen callers on one channel (more receive than send; plain, timed or with a context) racing
     * a close, interrupts and the context's cancel (every other round once each caller ended or parked), each event's
     * thread is one of the callers, its operation and outcome what that caller saw, its channel the round's, and no
     * caller has two events.
     */
    @ParameterizedTest
    @EnumSource(Threads.Kind.class)
    void JF5_underRacesEachEventIsWhatItsCallerSaw(Threads.Kind kind, @TempDir Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(kind.ordinal() * 7919L + 11);
        Map<Long, Seen> seen = new ConcurrentHashMap<>();
        Map<Long, Integer> capacityOf = new ConcurrentHashMap<>();
        List<RecordedEvent> events = record(dir.resolve("race.jfr"), () -> {
            for (int round = 0; round < 24; round++) {
                int capacity = round % 3 == 0 ? 0 : round % 3 == 1 ? 1 : 3;
                Chan<Integer> ch = Chan.make(capacity);
                int callers = 16;
                CyclicBarrier start = new CyclicBarrier(callers + 1);
                AtomicLong finished = new AtomicLong();
                List<Thread> threads = new ArrayList<>();
                try (CancellableContext ctx = Context.withCancel(Context.background());
                        Threads t = new Threads(kind)) {
                    for (int i = 0; i < callers; i++) {
                        int mode = random.nextInt(3); // 0 plain, 1 timed, 2 with the context
                        boolean send = random.nextInt(3) == 0; // more receivers than senders: some park for good
                        long timeoutMs = 1 + random.nextInt(5);
                        threads.add(t.start(() -> {
                            start.await();
                            long id = Thread.currentThread().threadId();
                            capacityOf.put(id, capacity);
                            seen.put(id, operate(ch, send, mode, timeoutMs, ctx));
                            finished.incrementAndGet();
                        }));
                    }
                    start.await();
                    if (round % 2 == 1) {
                        // Every other round the race begins once each caller ended or parked, so the interrupts, the
                        // cancel and the close also land on parked operations, not only on arriving ones.
                        Threads.awaitTrue(() -> finished.get() + Threads.waiters(ch) == callers, "the callers ended or parked");
                    }
                    // Race: interrupt some, cancel the context, close the channel, in a random order.
                    int interrupts = random.nextInt(4);
                    for (int k = 0; k < interrupts; k++) {
                        Thread victim = threads.get(random.nextInt(callers));
                        if (victim.isAlive()) { // one still in its operation, parked or arriving
                            victim.interrupt();
                        }
                    }
                    if (random.nextBoolean()) {
                        ctx.cancel();
                    }
                    ch.close();
                    ctx.cancel();
                }
            }
        });
        Map<Long, Integer> perThread = new ConcurrentHashMap<>();
        assertThat(events).isNotEmpty().allSatisfy(e -> {
            long id = e.getThread().getJavaThreadId();
            Seen s = seen.get(id);
            assertThat(s).as("the event's thread is a caller: %s", e).isNotNull();
            assertThat(perThread.merge(id, 1, Integer::sum)).as("one event per operation: %s", e).isEqualTo(1);
            assertThat(e.getString("operation") + "/" + e.getString("outcome")).as("%s", e)
                    .isEqualTo(s.operation() + "/" + s.outcome());
            assertThat(e.getInt("capacity")).isEqualTo(capacityOf.get(id));
            assertThat(e.getString("channel")).contains("cap=" + capacityOf.get(id));
            assertThat(e.getDuration().isNegative()).as("duration of %s", e).isFalse();
        });
    }

    /** One operation on {@code ch}; what it ended with, in the event's words. */
    private static Seen operate(Chan<Integer> ch, boolean send, int mode, long timeoutMs, Context ctx) {
        String op = send ? "send" : "receive";
        try {
            if (send) {
                switch (mode) {
                    case 0 -> ch.send(1);
                    case 1 -> {
                        if (!ch.send(1, Duration.ofMillis(timeoutMs))) {
                            return new Seen(op, "timed out");
                        }
                    }
                    default -> ch.send(1, ctx);
                }
                return new Seen(op, "completed");
            }
            Received<Integer> r = switch (mode) {
                case 0 -> ch.receiveOk();
                case 1 -> ch.receive(Duration.ofMillis(timeoutMs));
                default -> ch.receiveOk(ctx);
            };
            return new Seen(op, r.notReady() ? "timed out" : r.ok() ? "completed" : "closed");
        } catch (InterruptedException e) {
            return new Seen(op, "interrupted");
        } catch (ChannelClosedException e) {
            return new Seen(op, "closed");
        } catch (ContextCanceledException e) {
            return new Seen(op, "context done");
        }
    }

    /**
     * JF5, JF7, JF9: an operation that did not park records nothing: one that completed at once, one whose timeout
     * was already up, and one entered with the interrupt flag set (it throws before queueing, I1), on any channel,
     * the nil channel too.
     */
    @Test
    void JF9_anOperationThatDidNotParkRecordsNothing(@TempDir Path dir) throws Exception {
        Chan<Integer> buffered = Chan.make(1);
        Chan<Integer> unbuffered = Chan.make();
        Chan<Integer> nil = Chan.nil();
        List<RecordedEvent> events = record(dir.resolve("none.jfr"), () -> {
            buffered.send(1);
            assertThat(buffered.receive()).isEqualTo(1);
            assertThat(unbuffered.receive(Duration.ZERO).notReady()).isTrue();
            assertThat(nil.receive(Duration.ZERO).notReady()).isTrue();
            List<Body> entered = List.of(unbuffered::receive, () -> unbuffered.send(1), () -> buffered.receiveOk(),
                    () -> unbuffered.receive(Duration.ofSeconds(30)), nil::receive, () -> nil.send(1),
                    () -> nil.receive(Duration.ofSeconds(30)), () -> nil.send(1, Duration.ofSeconds(30)));
            for (Body b : entered) {
                Thread.currentThread().interrupt();
                try {
                    b.run();
                    throw new AssertionError("no InterruptedException");
                } catch (InterruptedException expected) {
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                }
            }
        });
        assertThat(events).extracting(e -> e.getString("operation") + "/" + e.getString("outcome") + " " + e.getString("channel"))
                .isEmpty();
    }

    /**
     * JF1, JF9: recordings started and stopped while operations park and complete (the gate opening and closing under
     * them) never lose or duplicate a value and never throw: every value sent is received once.
     */
    @Test
    void JF9_recordingsStartingAndStoppingUnderParkedOperationsLoseNothing(@TempDir Path dir) throws Exception {
        for (int capacity : new int[] {0, 2}) {
            Chan<Long> ch = Chan.make(capacity);
            int senders = 4;
            long perSender = 2_000;
            AtomicLong sum = new AtomicLong();
            AtomicLong count = new AtomicLong();
            try (Threads t = new Threads(Threads.Kind.VIRTUAL)) {
                WaitGroup sent = new WaitGroup();
                for (int s = 0; s < senders; s++) {
                    sent.add(1);
                    t.start(() -> {
                        try {
                            for (long v = 1; v <= perSender; v++) {
                                ch.send(v);
                            }
                        } finally {
                            sent.done();
                        }
                    });
                }
                for (int r = 0; r < 3; r++) {
                    t.start(() -> {
                        for (Long v : ch) {
                            sum.addAndGet(v);
                            count.incrementAndGet();
                        }
                    });
                }
                t.start(() -> {
                    sent.await();
                    ch.close();
                });
                // Recordings come and go while the channel's operations run.
                int i = 0;
                while (!ch.isClosed() || Threads.waiters(ch) > 0) {
                    try (Recording rec = new Recording()) {
                        rec.enable(EVENT).withThreshold(Duration.ZERO);
                        rec.start();
                        Thread.onSpinWait();
                        rec.stop();
                        if (i++ % 8 == 0) {
                            rec.dump(dir.resolve("toggle-" + capacity + "-" + i + ".jfr"));
                        }
                    }
                }
            }
            assertThat(count.get()).isEqualTo(senders * perSender);
            assertThat(sum.get()).isEqualTo(senders * perSender * (perSender + 1) / 2);
        }
    }
}
