package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transport's JFR events: connection opened/reused/closed and per-request phases. */
@NoGoroutineLeaks
class TransportJfrTest {
    @Test
    void JF1_connectionAndRequestEventsCarryTheirFields(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("http.jfr");
        try (JdkServer server = JdkServer.http(ex -> JdkServer.respond(ex, 200, "ok"));
             Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection");
            rec.enable("io.gochan.http.Request");
            rec.start();
            try (Transport t = Transport.builder().build()) {
                for (int i = 0; i < 2; i++) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/p").toString()))) {
                        r.body().string();
                    }
                }
            }
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().isEmpty(), "loops ended");
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        List<String> actions = events.stream().filter(e -> e.getEventType().getName().equals("io.gochan.http.Connection"))
                .map(e -> e.getString("action")).toList();
        assertThat(actions).contains("opened", "reused", "closed");
        List<RecordedEvent> requests = events.stream()
                .filter(e -> e.getEventType().getName().equals("io.gochan.http.Request")).toList();
        assertThat(requests).hasSize(2);
        assertThat(requests).allSatisfy(e -> {
            assertThat(e.getString("method")).isEqualTo("GET");
            assertThat(e.getString("url")).endsWith("/p");
            assertThat(e.getInt("status")).isEqualTo(200);
        });
        assertThat(requests).anySatisfy(e -> assertThat(e.getBoolean("reused")).isTrue());
    }
}
