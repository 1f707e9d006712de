package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule JF5 (docs/spec/jfr.md): a goroutine's event names what ended it, also when its body caught the failure to publish
 * it (a future's, an error group member's). Found by session 45's JFR audit: both recorded {@code failure = null}, as if
 * they had returned.
 */
class JfrPublishedFailureTest {

    private static List<RecordedEvent> goroutineEvents(Path file, String name, ThrowingRunnable body) throws Exception {
        try (Recording r = new Recording()) {
            r.enable("io.gochan.Goroutine").withThreshold(Duration.ZERO);
            r.start();
            body.run();
            r.stop();
            r.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("io.gochan.Goroutine") && name.equals(e.getString("name")))
                .toList();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void JF5_aFuturesGoroutineEndedByItsCallablesFailureRecordsIt(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = goroutineEvents(dir.resolve("f.jfr"), "jf5-future", () -> {
            GoFuture<Object> f = Go.future("jf5-future", () -> {
                throw new IOException("future-boom");
            });
            assertThatThrownBy(f::join).isInstanceOf(IOException.class);
        });
        assertThat(events).singleElement().satisfies(e -> assertThat(e.getString("failure"))
                .isEqualTo("java.io.IOException: future-boom"));
    }

    @Test
    void JF5_aFutureThatReturnedRecordsNoFailure(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = goroutineEvents(dir.resolve("r.jfr"), "jf5-returned", () -> {
            assertThat(Go.future("jf5-returned", () -> 42).join()).isEqualTo(42);
        });
        assertThat(events).singleElement().satisfies(e -> assertThat(e.getString("failure")).isNull());
    }

    @Test
    void JF5_anErrGroupMemberEndedByItsFailureRecordsIt(@TempDir Path dir) throws Exception {
        List<RecordedEvent> events = goroutineEvents(dir.resolve("g.jfr"), "jf5-member", () -> {
            ErrGroup g = ErrGroup.create();
            g.go("jf5-member", () -> {
                throw new IOException("member-boom");
            });
            assertThatThrownBy(g::await).isInstanceOf(IOException.class);
        });
        assertThat(events).singleElement().satisfies(e -> assertThat(e.getString("failure"))
                .isEqualTo("java.io.IOException: member-boom"));
    }
}
