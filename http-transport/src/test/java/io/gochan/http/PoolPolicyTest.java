package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's policy and timeouts against Go's {@code net/http} Transport, with real loopback connections (session 47):
 * the idle reaper's life (P106, P8).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolPolicyTest {

    /** Well under the default idle timeout (90 s) the reaper slept towards before P106. */
    private static final Duration NO_GOROUTINE_BOUND = Duration.ofSeconds(5);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * P106, P8: one request leaves its connection idle (the reaper runs, the idle timeout the default 90 s); once
     * {@code closeIdleConnections()} has closed it, no goroutine of the transport is left, the transport still open.
     * Before, {@code http-idle-reaper} slept on until the 90 s were up.
     */
    @Test
    void P106_closeIdleConnectionsLeavesNoGoroutineOfTheTransport() throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            t.closeIdleConnections();
            assertThat(Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), NO_GOROUTINE_BOUND))
                    .as("transport goroutines left: %s", Leaks.transportGoroutines()).isTrue();
        }
    }

    /**
     * P106, P8: the server ends the one idle connection (it closes once the connection is idle in the pool, without
     * having said so): once the connection is closed, no goroutine of the transport is left, the transport still open. Before, the reaper slept
     * on until the default 90 s were up.
     */
    @Test
    void P106_anIdleConnectionItsServerEndedLeavesNoGoroutineOfTheTransport() throws Exception {
        CountDownLatch idle = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write(RawServer.OK);
                     idle.await(); // closes once the connection is idle in the pool, the reaper watching it
                 }
             });
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            assertThat(Leaks.transportGoroutines()).extracting(g -> g.name()).contains("http-idle-reaper");
            idle.countDown();
            assertThat(Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), NO_GOROUTINE_BOUND))
                    .as("transport goroutines left: %s, %s", Leaks.transportGoroutines(), t.stats()).isTrue();
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * P106, P17: the reaper that ended for {@code closeIdleConnections()} is started again by the next connection that
     * becomes idle, and that connection is still closed at its idle timeout (a short one here), after which no
     * goroutine of the transport is left; several rounds, so a rescan asked for while no reaper ran costs nothing.
     */
    @Test
    void P106_P17_afterCloseIdleConnectionsTheNextIdleConnectionIsStillClosedAtItsTimeout() throws Exception {
        Duration idle = Duration.ofMillis(200);
        Map<Integer, Long> endedAt = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(RawServer.OK);
                 }
                 endedAt.put(c.index, System.nanoTime());
             });
             Transport t = Transport.builder().idleConnTimeout(idle).build()) {
            for (int round = 0; round < 3; round++) {
                int closedByCall = 2 * round;
                int reaped = 2 * round + 1;
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/a" + round).toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                t.closeIdleConnections();
                t.closeIdleConnections(); // a second call finds no reaper: nothing to ask
                Lifecycle.await(() -> endedAt.containsKey(closedByCall), Lifecycle.BOUND, "the closed connection ended");
                long beforeIdle;
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/b" + round).toString()))) {
                    beforeIdle = System.nanoTime(); // the connection becomes idle inside the read below
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(server.accepted()).isEqualTo(reaped + 1);
                Lifecycle.await(() -> endedAt.containsKey(reaped), Lifecycle.BOUND, "the idle connection reaped");
                assertThat(endedAt.get(reaped) - beforeIdle).as("reaped no earlier than its idle timeout")
                        .isGreaterThanOrEqualTo(idle.toNanos());
                assertThat(Lifecycle.within(() -> Leaks.transportGoroutines().isEmpty(), NO_GOROUTINE_BOUND))
                        .as("transport goroutines left: %s", Leaks.transportGoroutines()).isTrue();
            }
        }
    }
}
