package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule JF16 (docs/spec/jfr.md): a connection's "reused" is an instant of its own, recorded by a recording started after
 * the connection opened, so that the reused counter and the events agree (E35). Run in a fresh JVM, whose flight recorder
 * does not exist when the connection opens. Found by session 45's JFR audit.
 */
@NoGoroutineLeaks
class JfrLateReuseTest {

    @Test
    void JF16_aRecordingStartedAfterAConnectionOpenedSeesItsReuse(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("late.jfr");
        Path log = dir.resolve("child.log");
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), JfrLateReuseProbe.class.getName(), file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String out;
        try {
            boolean ended = p.waitFor(90, TimeUnit.SECONDS);
            out = Files.readString(log);
            assertThat(ended).as("the child JVM ended within 90 s%n%s", out).isTrue();
            assertThat(p.exitValue()).as("the child's exit%n%s", out).isZero();
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(out).contains("before, recorder initialized: false").contains("stats reused: 1").contains("late reuse probe done");
        List<String> seen = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.gochan.http."))
                .map(JfrLateReuseTest::describe).toList();
        assertThat(seen).as("a reuse recorded by the request, and by its connection")
                .contains("request reused=true").containsOnlyOnce("connection reused");
    }

    private static String describe(RecordedEvent e) {
        return e.getEventType().getName().equals("io.gochan.http.Request")
                ? "request reused=" + e.getBoolean("reused") : "connection " + e.getString("action");
    }
}
