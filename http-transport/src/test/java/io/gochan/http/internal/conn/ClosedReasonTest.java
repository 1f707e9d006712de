package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Context;
import io.gochan.Goroutines;
import io.gochan.http.HttpRequest;
import io.gochan.http.RequestListener;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.internal.codec.HttpLimits;
import io.gochan.http.internal.pool.ConnectKey;
import io.gochan.http.internal.pool.ConnectionPool;
import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JF8: every "closed" Connection event has a reason. A connection closed for a cause that carries no message (the
 * JDK's socket layer can throw one) recorded a null reason, since the reason was the cause's message alone.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ClosedReasonTest {

    @Test
    void JF8_aCloseForACauseWithoutAMessageRecordsItsTypeAsTheReason(@TempDir Path dir) throws Exception {
        ConnConfig cfg = new ConnConfig(HttpLimits.DEFAULTS, Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO,
                false, false, RequestListener.NONE);
        Path file = dir.resolve("closed.jfr");
        try (RawServer server = RawServer.start(c -> c.readUntilClosed())) {
            try (Recording rec = new Recording()) {
                rec.enable("io.gochan.http.Connection");
                rec.start();
                AtomicReference<ConnectionPool<PersistConn>> poolRef = new AtomicReference<>();
                ConnectionPool<PersistConn> pool = new ConnectionPool<>((key, slot) -> {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(key.host(), key.port()));
                    return PersistConn.start(key, new SocketDialer.Dialed(s, s), cfg, slot, c -> poolRef.get().put(c));
                }, 10, 2, 0, Duration.ZERO);
                poolRef.set(pool);
                try {
                    PersistConn conn = pool.acquire(new ConnectKey("http", "127.0.0.1", server.port()),
                            new RequestScope(HttpRequest.get("http://example.test/"), Context.background())).conn();
                    SocketException noMessage = new SocketException();
                    assertThat(noMessage.getMessage()).isNull();
                    conn.close(noMessage);
                } finally {
                    pool.close();
                }
                rec.stop();
                rec.dump(file);
            }
        }
        List<RecordedEvent> closed = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("io.gochan.http.Connection"))
                .filter(e -> "closed".equals(e.getString("action"))).toList();
        assertThat(closed).hasSize(1);
        assertThat(closed.get(0).getString("reason")).as("the closed event's reason").isEqualTo("java.net.SocketException");
        long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Goroutines.live().stream().anyMatch(g -> g.name().startsWith("http-")) && System.nanoTime() < bound) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(Goroutines.live()).noneMatch(g -> g.name().startsWith("http-"));
    }

    /**
     * JF12: a close cause whose {@code getMessage()} throws gives the "closed" event its type and what
     * {@code getMessage()} threw as the reason. Before, the reason's {@code getMessage()} threw in the middle of
     * {@code close}, after the sockets were closed and before the per-host slot was released.
     */
    @Test
    void JF12_aCloseCauseWhoseGetMessageThrowsGivesItsTypeAsTheReason() {
        IOException cause = HostileExceptions.ioWhoseMessageThrows(); // a dialer's socket's, a body source's
        assertThat(PersistConn.closeReason(cause))
                .isEqualTo(cause.getClass().getName() + " (getMessage() threw java.lang.IllegalStateException)");
    }
}
