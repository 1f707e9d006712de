package io.gochan.select;

import static io.gochan.select.SelectRulesTest.awaitReceivers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.Go;
import io.gochan.GoFuture;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a select's event holds in every way its wait can end (JF6). {@link SelectJfrTest} covers a case that
 * fired and a timeout by their chosen index.
 */
@NoGoroutineLeaks
class SelectJfrContentsTest {

    /**
     * JF6: an interrupted select, which has no timeout, records chosen -1 with the outcome "interrupted"; a
     * timeout "timed out", a received value "completed", a closed channel "closed", a context's done case
     * "context done", each with the index of its case. Before the fix the event had no outcome, so an interrupt
     * read as the timeout of a select that had none (chosen -1, "-1 for timeout").
     */
    @Test
    void JF6_aSelectsEventSaysHowItsWaitEnded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("select.jfr");
        Chan<String> interrupted = Chan.make(1);
        Chan<String> timedOut = Chan.make(2);
        Chan<String> completed = Chan.make(3);
        Chan<String> closed = Chan.make(4);
        Chan<String> other = Chan.make(5);
        try (Recording r = new Recording()) {
            r.enable("io.gochan.SelectBlocked").withThreshold(Duration.ZERO);
            r.start();
            // Futures, not bare goroutines: join() rethrows an assertion that failed in the goroutine.
            GoFuture<?> g = Go.future(() -> assertThatThrownBy(
                    () -> Select.<String>cases().receive(interrupted, v -> v).select()).isInstanceOf(InterruptedException.class));
            awaitReceivers(interrupted, 1);
            g.interrupt();
            g.join();
            assertThat(Select.<String>cases().receive(timedOut, v -> v).timeout(Duration.ofMillis(20), () -> "t").select())
                    .isEqualTo("t");
            g = Go.future(() -> assertThat(Select.<String>cases().receive(other, v -> v).receive(completed, v -> v).select())
                    .isEqualTo("v"));
            awaitReceivers(completed, 1);
            completed.send("v");
            g.join();
            g = Go.future(() -> assertThat(Select.<String>cases().receive(other, v -> v).receiveOk(closed, v -> v.ok() ? "v" : "closed")
                    .select()).isEqualTo("closed"));
            awaitReceivers(closed, 1);
            closed.close();
            g.join();
            try (CancellableContext ctx = Context.withCancel(Context.background())) {
                g = Go.future(() -> assertThat(Select.<String>cases().receive(other, v -> v).done(ctx, () -> "done").select())
                        .isEqualTo("done"));
                awaitReceivers(other, 1);
                ctx.cancel();
                g.join();
            }
            r.stop();
            r.dump(file);
        }
        List<String> seen = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("io.gochan.SelectBlocked"))
                .map(e -> e.getInt("cases") + " " + e.getInt("chosen") + " " + outcome(e) + " " + firstCapacity(e)).toList();
        assertThat(seen).containsExactlyInAnyOrder(
                "1 -1 interrupted cap=1", "1 -1 timed out cap=2", "2 1 completed cap=5", "2 1 closed cap=5",
                "2 1 context done cap=5");
    }

    private static String outcome(RecordedEvent e) {
        return e.hasField("outcome") ? e.getString("outcome") : "(no outcome)";
    }

    private static String firstCapacity(RecordedEvent e) {
        String s = e.getString("select");
        int i = s.indexOf("cap=");
        return s.substring(i, s.indexOf(',', i));
    }
}
