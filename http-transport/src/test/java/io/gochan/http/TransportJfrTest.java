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
    /**
     * E25: a connection's "opened" event is committed before its "closed" event, also for a connection that
     * the server closes at once (its read loop closes it as soon as it starts). Before the fix "opened" was
     * committed by the dial after the connection's loops had started, so such a connection's "opened" could
     * come after its "closed" and describe a connection already closed.
     */
    @Test
    void E25_aConnectionsOpenedEventComesBeforeItsClosedEvent(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("order.jfr");
        int connections = 300;
        try (io.gochan.http.testing.RawServer server = io.gochan.http.testing.RawServer.start(c -> c.socket.close());
             Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection");
            rec.start();
            try (Transport t = Transport.builder().build()) {
                for (int i = 0; i < connections; i++) {
                    try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                        r.body().string();
                    } catch (java.io.IOException expected) {
                        // the server closed the connection: what is looked at is its events
                    }
                }
            }
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().isEmpty(), "loops ended");
            rec.stop();
            rec.dump(file);
        }
        java.util.Map<String, java.time.Instant> opened = new java.util.HashMap<>();
        java.util.Map<String, java.time.Instant> closed = new java.util.HashMap<>();
        List<String> wrong = new java.util.ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("io.gochan.http.Connection")) {
                continue;
            }
            String conn = e.getString("connection");
            String id = conn.substring(0, conn.indexOf(' '));
            switch (e.getString("action")) {
                case "opened" -> {
                    opened.put(id, e.getStartTime());
                    if (conn.endsWith("(closed)")) {
                        wrong.add(conn + ": opened describes a closed connection");
                    }
                }
                case "closed" -> closed.put(id, e.getEndTime());
                default -> { }
            }
        }
        assertThat(closed).as("closed events").hasSize(connections);
        for (var c : closed.entrySet()) {
            java.time.Instant o = opened.get(c.getKey());
            if (o == null || o.isAfter(c.getValue())) {
                wrong.add(c.getKey() + ": opened " + o + ", closed " + c.getValue());
            }
        }
        assertThat(wrong).as("%d of %d connections", wrong.size(), connections).isEmpty();
    }

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
