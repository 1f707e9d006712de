package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The select's JFR event, read back from a recording (JF1): through io.gochan's gate since ADR 0011. */
@NoGoroutineLeaks
class SelectJfrTest {

    @Test
    void JF1_selectBlockedEventCarriesCasesChoiceAndChannels(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("select.jfr");
        Chan<String> a = Chan.make();
        Chan<String> b = Chan.make();
        try (Recording r = new Recording()) {
            r.enable("io.gochan.SelectBlocked").withThreshold(Duration.ZERO);
            r.start();
            // The sender waits until the select has parked on b, so the select surely blocks.
            Goroutine sender = Go.go(() -> {
                SelectRulesTest.awaitReceivers(b, 1);
                b.send("b");
            });
            assertThat(Select.<String>cases().receive(a, v -> v).receive(b, v -> v).select()).isEqualTo("b");
            sender.join();
            // Long enough to be sure to park: a select whose timeout is already up when it would queue records no
            // event (JF10), and 1 ms could pass before it got there on a loaded machine.
            assertThat(Select.<String>cases().receive(a, v -> v).timeout(Duration.ofMillis(200), () -> "t").select())
                    .isEqualTo("t");
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("io.gochan.SelectBlocked")).toList();
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getInt("cases")).isEqualTo(2);
            assertThat(e.getInt("chosen")).isEqualTo(1);
            assertThat(e.getString("select")).contains("cap=0");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getInt("cases")).isEqualTo(1);
            assertThat(e.getInt("chosen")).isEqualTo(-1);
        });
    }
}
