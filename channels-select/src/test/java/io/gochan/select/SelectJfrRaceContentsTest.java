package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Context;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.ChannelCores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code io.gochan.SelectBlocked} under races (JF6, JF10): selects racing other selects, a close, interrupts, their
 * timeouts and a context's cancel, on buffered and unbuffered channels, virtual and platform threads. Every event is
 * matched to the one select of its thread: the case it says fired and how are what that caller saw.
 */
@NoGoroutineLeaks
class SelectJfrRaceContentsTest {
    private static final String EVENT = "io.gochan.SelectBlocked";

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

    /**
     * JF6: in rounds of twelve selects of three cases each (two in three {@code receiveOk(a), send(b), done}, the others
     * {@code send(a), receiveOk(b), done}, some with a timeout) racing each other, a close of {@code a}, interrupts and
     * the context's cancel (every other round once each select ended or parked), each event's thread is one of the selects, its chosen case and outcome what that caller saw,
     * its cases 3, and no select has two events.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void JF6_underRacesEachSelectsEventIsWhatItsCallerSaw(boolean virtual, @TempDir Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(virtual ? 17 : 29);
        Map<Long, String> seen = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<RecordedEvent> events = record(dir.resolve("race.jfr"), () -> {
            for (int round = 0; round < 24; round++) {
                Chan<Integer> a = Chan.make(round % 2 == 0 ? 0 : 2);
                Chan<Integer> b = Chan.make();
                int callers = 12;
                CyclicBarrier start = new CyclicBarrier(callers + 1);
                AtomicInteger finished = new AtomicInteger();
                List<Thread> threads = new ArrayList<>();
                try (CancellableContext ctx = Context.withCancel(Context.background())) {
                    for (int i = 0; i < callers; i++) {
                        boolean receivesA = random.nextInt(3) != 0; // uneven: some park for good
                        long timeoutMs = random.nextInt(3) == 0 ? 1 + random.nextInt(5) : -1;
                        Runnable r = () -> {
                            try {
                                start.await();
                                seen.put(Thread.currentThread().threadId(), selectOnce(a, b, ctx, receivesA, timeoutMs));
                                finished.incrementAndGet();
                            } catch (Throwable t) {
                                failures.add(t);
                            }
                        };
                        threads.add(virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r));
                    }
                    start.await();
                    if (round % 2 == 1) {
                        // Every other round the race begins once each select ended or parked (each parked one waits on
                        // a), so the interrupts, the cancel and the closes also land on parked selects.
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        while (finished.get() + waiters(a) != callers) {
                            assertThat(System.nanoTime()).as("the selects ended or parked").isLessThan(deadline);
                            LockSupport.parkNanos(100_000);
                        }
                    }
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
                    a.close();
                    b.close(); // what is left ends: a send case on b throws, a receive case sees it closed
                    for (Thread t : threads) {
                        assertThat(t.join(Duration.ofSeconds(60))).as("select %s ended", t).isTrue();
                    }
                }
            }
        });
        assertThat(failures).isEmpty();
        Map<Long, Integer> perThread = new ConcurrentHashMap<>();
        assertThat(events).isNotEmpty().allSatisfy(e -> {
            long id = e.getThread().getJavaThreadId();
            assertThat(seen.get(id)).as("the event's thread is a caller: %s", e).isNotNull();
            assertThat(perThread.merge(id, 1, Integer::sum)).as("one event per select: %s", e).isEqualTo(1);
            assertThat(e.getInt("chosen") + " " + e.getString("outcome")).as("%s", e).isEqualTo(seen.get(id));
            assertThat(e.getInt("cases")).isEqualTo(3);
            assertThat(e.getDuration().isNegative()).as("duration of %s", e).isFalse();
        });
    }

    private static int waiters(Chan<?> ch) {
        return ChannelCores.of(ch).waitingSenders() + ChannelCores.of(ch).waitingReceivers();
    }

    /** One select; what it ended with, as "chosen outcome" in the event's words. */
    private static String selectOnce(Chan<Integer> a, Chan<Integer> b, Context ctx, boolean receivesA, long timeoutMs) {
        Select<String> s = receivesA
                ? Select.<String>cases().receiveOk(a, r -> r.ok() ? "0 completed" : "0 closed").send(b, 1, () -> "1 completed")
                : Select.<String>cases().send(a, 1, () -> "0 completed").receiveOk(b, r -> r.ok() ? "1 completed" : "1 closed");
        s.done(ctx, () -> "2 context done");
        if (timeoutMs > 0) {
            s.timeout(Duration.ofMillis(timeoutMs), () -> "-1 timed out");
        }
        try {
            return s.select();
        } catch (InterruptedException e) {
            return "-1 interrupted";
        } catch (ChannelClosedException e) { // the send case's channel was closed
            return (receivesA ? 1 : 0) + " closed";
        }
    }

    /**
     * JF10: a select that did not park records nothing: one with a ready case, one with a default, one whose timeout was
     * already up, and one entered with the interrupt flag set (it throws before queueing any case, I1), with channels
     * or only nil ones.
     */
    @Test
    void JF10_aSelectThatDidNotParkRecordsNothing(@TempDir Path dir) throws Exception {
        Chan<Integer> ready = Chan.make(1);
        Chan<Integer> idle = Chan.make();
        Chan<Integer> nil = Chan.nil();
        List<RecordedEvent> events = record(dir.resolve("none.jfr"), () -> {
            ready.send(1);
            assertThat(Select.<String>cases().receive(idle, v -> "idle").receive(ready, v -> "ready").select()).isEqualTo("ready");
            assertThat(Select.<String>cases().receive(idle, v -> "idle").orElse(() -> "default").select()).isEqualTo("default");
            assertThat(Select.<String>cases().receive(idle, v -> "idle").timeout(Duration.ZERO, () -> "t").select()).isEqualTo("t");
            List<Select<String>> entered = List.of(
                    Select.<String>cases().receive(idle, v -> "idle").send(idle, 1, () -> "sent"),
                    Select.<String>cases().receive(idle, v -> "idle").timeout(Duration.ofSeconds(30), () -> "t"),
                    Select.<String>cases().receive(nil, v -> "nil"),
                    Select.<String>cases().send(nil, 1, () -> "nil").timeout(Duration.ofSeconds(30), () -> "t"));
            for (Select<String> s : entered) {
                Thread.currentThread().interrupt();
                try {
                    s.select();
                    throw new AssertionError("no InterruptedException");
                } catch (InterruptedException expected) {
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                }
            }
        });
        assertThat(events).extracting(e -> e.getInt("chosen") + " " + e.getString("outcome") + " " + e.getString("select")).isEmpty();
    }
}
