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
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule E36 (docs/spec/transport-lifecycle.md): a connection's flight-recorder "closed" event is committed
 * before anyone can learn that the connection closed. The window is a few instructions wide, so a storm never
 * hit it; this test holds the first closer inside the event's commit (the close cause's {@code getMessage()},
 * which the commit reads for the event's reason) and looks at what the rest of the world sees meanwhile.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ClosedEventOrderTest {

    /**
     * A close cause whose message, read once by the "closed" event's commit on the first closer's thread, waits until
     * released. Only that thread's read is held: the connection's read loop, woken by the close, also reads the cause's
     * message for its own failure (E103), and holding that read instead held no commit (a CI run saw the test's
     * premise broken that way).
     */
    private static final String FIRST_CLOSER = "first-closer";

    private static final class HeldCause extends IOException {
        final CountDownLatch inCommit = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final AtomicBoolean held = new AtomicBoolean();

        HeldCause() {
            super("held closed");
        }

        @Override
        public String getMessage() {
            if (Thread.currentThread().getName().equals(FIRST_CLOSER) && held.compareAndSet(false, true)) {
                inCommit.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.getMessage();
        }
    }

    /**
     * E36: while the first close of a connection is committing its "closed" event, the connection is still
     * counted open (its slot not yet freed), and the pool's close (a second closer of that connection, as
     * {@code Transport.close()} is) does not return. Before the fix the event came last: the slot was free
     * and the second closer had returned while the event did not exist yet.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E36_theClosedEventIsCommittedBeforeTheCloseIsAnnounced() throws Exception {
        ConnConfig cfg = new ConnConfig(HttpLimits.DEFAULTS, Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO,
                false, false, RequestListener.NONE);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection"); // the connection's lifetime event exists only with a recorder
            rec.start();
            AtomicReference<ConnectionPool<PersistConn>> poolRef = new AtomicReference<>();
            ConnectionPool<PersistConn> pool = new ConnectionPool<>((key, slot) -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(key.host(), key.port()));
                return PersistConn.start(key, new SocketDialer.Dialed(s, s), cfg, slot, c -> poolRef.get().put(c));
            }, 10, 2, 0, Duration.ZERO);
            poolRef.set(pool);
            HeldCause cause = new HeldCause();
            Thread first = null;
            Thread second = null;
            AtomicInteger openDuringCommit = new AtomicInteger(-1);
            boolean secondReturnedDuringCommit;
            try {
                PersistConn conn = pool.acquire(new ConnectKey("http", "127.0.0.1", server.port()),
                        new RequestScope(HttpRequest.get("http://example.test/"), Context.background())).conn();
                first = Thread.ofPlatform().name(FIRST_CLOSER).start(() -> conn.close(cause));
                assertThat(cause.inCommit.await(20, TimeUnit.SECONDS)).as("the first close commits its event").isTrue();
                openDuringCommit.set(pool.stats().open());
                second = Thread.ofPlatform().name("second-closer").start(pool::close);
                long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (second.isAlive() && second.getState() != Thread.State.WAITING && System.nanoTime() < bound) {
                    Thread.onSpinWait(); // until it has returned, or waits (for the first close to complete)
                }
                secondReturnedDuringCommit = !second.isAlive();
            } finally {
                cause.release.countDown();
                if (first != null) {
                    first.join(20_000);
                }
                if (second != null) {
                    second.join(20_000);
                }
                pool.close();
            }
            java.util.List<String> wrong = new java.util.ArrayList<>();
            if (openDuringCommit.get() != 1) {
                wrong.add("counted open while its \"closed\" event was committed: " + openDuringCommit.get() + " (expected 1)");
            }
            if (secondReturnedDuringCommit) {
                wrong.add("the pool's close returned while the \"closed\" event was committed");
            }
            assertThat(wrong).isEmpty();
            long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Goroutines.live().stream().anyMatch(g -> g.name().startsWith("http-")) && System.nanoTime() < bound) {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertThat(Goroutines.live()).noneMatch(g -> g.name().startsWith("http-"));
        }
    }
}
