package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the channel and goroutine events hold in every way a wait can end, read back from a recording
 * (JF5). {@link JfrEventsTest} covers a completed send, a timed-out receive and a goroutine that returned.
 */
@ExtendWith(NoNewGoroutines.class)
class JfrContentsTest {

    private static List<RecordedEvent> record(Path file, String event, ThrowingRunnable body) throws Exception {
        try (Recording r = new Recording()) {
            r.enable(event).withThreshold(Duration.ZERO);
            r.start();
            body.run();
            r.stop();
            r.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(event)).toList();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * JF5: an operation with a context whose context ends the wait records "context done", and its operation
     * as "send" or "receive". Before the fix it recorded "receive (or context done)" and "closed", as if the
     * channel had been closed.
     */
    @Test
    void JF5_aWaitEndedByItsContextIsRecordedAsContextDoneNotClosed(@TempDir Path dir) throws Exception {
        Chan<Integer> ch = Chan.make();
        List<RecordedEvent> events = record(dir.resolve("ctx.jfr"), "io.gochan.ChannelBlocked", () -> {
            try (CancellableContext ctx = Context.withCancel(Context.background())) {
                // Futures, not bare goroutines: join() rethrows an assertion that failed in the goroutine.
                GoFuture<?> g = Go.future("ctx-receiver", () ->
                        assertThatThrownBy(() -> ch.receive(ctx)).isInstanceOf(ContextCanceledException.class));
                Threads.awaitReceivers(ch, 1);
                ctx.cancel();
                g.join();
            }
            try (CancellableContext ctx = Context.withCancel(Context.background())) {
                GoFuture<?> g = Go.future("ctx-sender", () ->
                        assertThatThrownBy(() -> ch.send(1, ctx)).isInstanceOf(ContextCanceledException.class));
                Threads.awaitSenders(ch, 1);
                ctx.cancel();
                g.join();
            }
        });
        assertThat(events).extracting(e -> e.getString("operation") + "/" + e.getString("outcome"))
                .containsExactlyInAnyOrder("receive/context done", "send/context done");
    }

    /**
     * JF5, a probe of what held before: a wait with a context that the channel ends records "closed" or
     * "completed", one ended by an interrupt "interrupted", each as "send" or "receive"; a plain receive
     * ended by a close records "closed"; every event names its channel.
     */
    @Test
    void JF5_eachWayAWaitEndsIsRecordedWithItsOperation(@TempDir Path dir) throws Exception {
        Chan<Integer> ctxClosed = Chan.make(2);
        Chan<Integer> ctxHandoff = Chan.make();
        Chan<Integer> plainClosed = Chan.make(3);
        Chan<Integer> interrupted = Chan.make(4);
        List<RecordedEvent> events = record(dir.resolve("ways.jfr"), "io.gochan.ChannelBlocked", () -> {
            try (CancellableContext ctx = Context.withCancel(Context.background())) {
                // Futures, not bare goroutines: join() rethrows an assertion that failed in the goroutine.
                GoFuture<?> g = Go.future(() -> assertThat(ctxClosed.receiveOk(ctx).ok()).isFalse());
                Threads.awaitReceivers(ctxClosed, 1);
                ctxClosed.close();
                g.join();
                g = Go.future(() -> assertThat(ctxHandoff.receive(ctx)).isEqualTo(7));
                Threads.awaitReceivers(ctxHandoff, 1);
                ctxHandoff.send(7);
                g.join();
            }
            GoFuture<?> g = Go.future(() -> assertThat(plainClosed.receiveOk().ok()).isFalse());
            Threads.awaitReceivers(plainClosed, 1);
            plainClosed.close();
            g.join();
            g = Go.future(() -> assertThatThrownBy(interrupted::receive).isInstanceOf(InterruptedException.class));
            Threads.awaitReceivers(interrupted, 1);
            g.interrupt();
            g.join();
        });
        assertThat(events).extracting(e -> e.getInt("capacity") + " " + e.getString("operation") + "/" + e.getString("outcome"))
                .contains("2 receive/closed", "0 receive/completed", "3 receive/closed",
                        "4 receive/interrupted");
        assertThat(events).allSatisfy(e -> assertThat(e.getString("channel")).contains("cap=" + e.getInt("capacity")));
    }

    /**
     * C4: a wait's event reports the capacity {@code cap()} reports (with {@code Integer.MAX_VALUE} for an
     * unlimited channel, whose {@code cap()} is {@code Chan.UNLIMITED}) and 0 for a timer's channel, whose
     * hidden slot is not its capacity (TM1), and its channel field says the same as the channel's
     * {@code toString()}. CreationRulesTest checks the descriptions; this checks the events.
     */
    @Test
    void C4_aWaitsEventReportsTheCapacityCapReportsForUnlimitedAndTimerChannels(@TempDir Path dir) throws Exception {
        Chan<Integer> unlimited = Chan.unlimited();
        Timer timer = Timers.newTimer(Duration.ofHours(1));
        List<RecordedEvent> events = record(dir.resolve("cap.jfr"), "io.gochan.ChannelBlocked", () -> {
            GoFuture<?> g = Go.future(() -> assertThat(unlimited.receive()).isEqualTo(5));
            Threads.awaitTrue(() -> io.gochan.spi.ChannelCores.of(unlimited).waitingReceivers() == 1, "a receiver waits");
            unlimited.send(5);
            g.join();
            g = Go.future(() -> assertThatThrownBy(() -> timer.c().receive()).isInstanceOf(InterruptedException.class));
            Threads.awaitTrue(() -> io.gochan.spi.ChannelCores.of(timer.c()).waitingReceivers() == 1, "a receiver waits");
            g.interrupt();
            g.join();
        });
        timer.stop();
        assertThat(unlimited.cap()).isEqualTo(Chan.UNLIMITED);
        assertThat(timer.c().cap()).isZero();
        assertThat(events).extracting(e -> e.getString("operation") + "/" + e.getString("outcome") + " " + e.getInt("capacity"))
                .containsExactlyInAnyOrder("receive/completed " + Integer.MAX_VALUE, "receive/interrupted 0");
        assertThat(events).extracting(e -> e.getString("channel"))
                .anySatisfy(c -> assertThat(c).startsWith("chan(unlimited, ").contains("cap=unlimited"))
                .anySatisfy(c -> assertThat(c).startsWith("chan(timer, ").contains("cap=0"))
                .allSatisfy(c -> assertThat(c).doesNotContain("cap=1,").doesNotContain("2147483639"));
    }

    /** JF5 probe: a goroutine ended by an exception records that exception, its type and message. */
    @Test
    void JF5_aFailedGoroutineRecordsItsException(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = record(dir.resolve("g.jfr"), "io.gochan.Goroutine", () -> {
            Goroutine g = Go.go("jfr-failing", () -> {
                throw new IllegalStateException("boom 42");
            });
            g.join();
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getString("name")).isEqualTo("jfr-failing");
            assertThat(e.getString("failure")).isEqualTo("java.lang.IllegalStateException: boom 42");
        });
    }

    /**
     * JF7: a send or receive on the nil channel parks too, and records its event like any other channel: a
     * goroutine stuck on a nil channel is what a recording looks for. Before the fix it recorded nothing.
     */
    @Test
    void JF7_aWaitOnTheNilChannelIsRecorded(@TempDir Path dir) throws Exception {
        Chan<Integer> nil = Chan.nil();
        List<RecordedEvent> events = record(dir.resolve("nil.jfr"), "io.gochan.ChannelBlocked", () -> {
            assertThat(nil.receive(Duration.ofMillis(30)).notReady()).isTrue();
            GoFuture<?> g = Go.future("nil-sender", () -> assertThatThrownBy(() -> nil.send(1)).isInstanceOf(InterruptedException.class));
            Threads.awaitTrue(() -> g.goroutine().blockedOn().isPresent(), "the sender parked on the nil channel");
            g.interrupt();
            g.join();
        });
        assertThat(events).extracting(e -> e.getString("operation") + "/" + e.getString("outcome") + " " + e.getString("channel")
                + " " + e.getInt("capacity")).containsExactlyInAnyOrder("receive/timed out chan(nil) 0", "send/interrupted chan(nil) 0");
    }

    /**
     * JF12: a goroutine ended by an exception whose {@code toString()} and {@code getMessage()} throw leaves the
     * registry when it ends, its failure reaches the handler as itself, and its event records the exception's type
     * and what its {@code toString()} threw. Before, the event's {@code toString()} threw in the goroutine's
     * {@code finally}, before the goroutine left the registry: {@code live()} listed it for ever after its thread had
     * ended (a false leak), and the event was lost.
     */
    @Test
    void JF12_aFailureWhoseToStringThrowsIsRecordedByItsTypeAndTheGoroutineLeavesTheRegistry(@TempDir Path dir)
            throws Exception {
        RuntimeException broken = HostileExceptions.runtime(); // a task's exception: a caller's type with a broken text
        CompletableFuture<Throwable> handled = new CompletableFuture<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((g, t) -> handled.complete(t));
        Goroutine[] started = new Goroutine[1];
        List<RecordedEvent> events;
        try {
            events = record(dir.resolve("broken.jfr"), "io.gochan.Goroutine", () -> {
                started[0] = Go.go("jfr-broken-text", () -> {
                    throw broken;
                });
                started[0].join(); // its thread has ended: whatever its end does is done
            });
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
        assertThat(Goroutines.live()).as("the ended goroutine is no longer listed").doesNotContain(started[0]);
        // By identity: a failed assertion must not format the broken exception.
        assertThat(handled.getNow(null) == broken).as("the handler got the task's own exception").isTrue();
        assertThat(events).filteredOn(e -> "jfr-broken-text".equals(e.getString("name")))
                .extracting(e -> e.getString("failure"))
                .containsExactly(broken.getClass().getName() + " (toString() threw java.lang.IllegalStateException)");
    }
}
