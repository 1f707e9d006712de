package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The JFR events are emitted when enabled and carry the right fields (read back from a recording). */
@ExtendWith(NoNewGoroutines.class)
class JfrEventsTest {

    @Test
    void JF1_channelBlockedAndGoroutineEventsAreRecorded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gochan.jfr");
        Chan<Integer> ch = Chan.make();
        try (Recording r = new Recording()) {
            r.enable("io.gochan.ChannelBlocked").withThreshold(Duration.ZERO);
            r.enable("io.gochan.Goroutine");
            r.start();
            Goroutine g = Go.go("jfr-sender", () -> ch.send(5));
            Threads.awaitSenders(ch, 1);
            assertThat(ch.receive()).isEqualTo(5);
            g.join();
            Chan<Integer> idle = Chan.make(1);
            // Times out. A receive whose deadline has passed before it would park returns without
            // parking, so without an event: a loaded machine once took the whole millisecond before
            // that (CI); three waits of 50 ms leave the event no way to be missing.
            for (int i = 0; i < 3; i++) {
                idle.receive(Duration.ofMillis(50));
            }
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("io.gochan.ChannelBlocked");
            assertThat(e.getString("operation")).isEqualTo("send");
            assertThat(e.getInt("capacity")).isZero();
            assertThat(e.getString("outcome")).isEqualTo("completed");
            assertThat(e.getString("channel")).contains("cap=0");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("io.gochan.ChannelBlocked");
            assertThat(e.getString("operation")).isEqualTo("receive");
            assertThat(e.getString("outcome")).isEqualTo("timed out");
            assertThat(e.getInt("capacity")).isEqualTo(1);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("io.gochan.Goroutine");
            assertThat(e.getString("name")).isEqualTo("jfr-sender");
            assertThat(e.getString("failure")).isNull();
        });
        assertThat(Files.size(file)).isPositive();
    }

    @Test
    void JF2_eventsAreOffByDefault(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("default.jfr");
        try (Recording r = new Recording()) {
            r.start();
            Chan<Integer> idle = Chan.make();
            idle.receive(Duration.ofMillis(20));
            Go.go(() -> { }).join();
            r.stop();
            r.dump(file);
        }
        assertThat(RecordingFile.readAllEvents(file))
                .noneMatch(e -> e.getEventType().getName().startsWith("io.gochan."));
    }
}
