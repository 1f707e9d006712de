package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E122: a {@link Dialer}'s socket that blocks where the transport asks it something for one request holds up that
 * request alone, never the pool's lock, which every request of every host, every connection put back, the idle reaper,
 * {@code stats()} and {@code Transport.close()} take. Against real loopback servers, the blocking forced with latches.
 */
@NoGoroutineLeaks
@Timeout(120)
class DialerSocketBlockingTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * A dialer whose plain loopback sockets' {@code available()} blocks, once armed, until {@code release} opens, as a
     * socket whose input is a {@code BufferedInputStream} does while the read loop of its idle connection is blocked in
     * a read of it (both take the stream's lock): until the server sends a byte or ends the connection.
     */
    private static Dialer dialer(AtomicBoolean armed, CountDownLatch entered, CountDownLatch release) {
        return HookedSocket.dialer(() -> new HookedSocket() {
            @Override
            protected int availableIn(InputStream raw) throws IOException {
                if (armed.compareAndSet(true, false)) {
                    entered.countDown();
                    try {
                        if (!release.await(60, TimeUnit.SECONDS)) {
                            throw new IOException("the test never released available()");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                }
                return raw.available();
            }
        });
    }

    private static String get(Transport t, RawServer server) throws IOException, InterruptedException {
        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build())) {
            return r.body().string();
        }
    }

    /**
     * E122: the {@code available()} of an idle connection's socket, asked as a request takes the connection (E55), is
     * asked outside the pool's lock: while it blocks, a request to another host is served, the counters are read and
     * idle connections are closed; the blocked request goes on once it returns. Before, it was asked under the pool's
     * lock, and every other request of the transport, {@code stats()}, {@code closeIdleConnections()} and
     * {@code Transport.close()} waited for it (for ever, if it never returned).
     */
    @Test
    void E122_anIdleConnectionsSocketThatBlocksWhenLookedAtHoldsUpOnlyTheRequestTakingIt() throws Exception {
        AtomicBoolean armed = new AtomicBoolean();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer a = RawServer.answeringOk(); RawServer b = RawServer.answeringOk();
                Transport t = Transport.builder().dialer(dialer(armed, entered, release)).build()) {
            try {
                assertThat(get(t, a)).isEqualTo("ok");
                Leaks.awaitTrue(() -> t.stats().idle() == 1, "the first connection idle");
                armed.set(true);
                AtomicReference<Object> blocked = new AtomicReference<>();
                Thread taker = Thread.ofVirtual().name("takes-the-idle-connection").start(() -> {
                    try {
                        blocked.set(get(t, a));
                    } catch (Throwable e) {
                        blocked.set(e);
                    }
                });
                assertThat(entered.await(10, TimeUnit.SECONDS)).as("the idle connection's available() was asked").isTrue();

                assertThat(Leaks.outcomeWithin10s("a request to another host", () -> get(t, b))).isEqualTo("ok");
                assertThat(Leaks.outcomeWithin10s("stats()", () -> t.stats().inUse())).isNotNull();
                assertThat(Leaks.outcomeWithin10s("closeIdleConnections()", () -> {
                    t.closeIdleConnections();
                    return "closed";
                })).isEqualTo("closed");

                release.countDown();
                assertThat(taker.join(java.time.Duration.ofSeconds(10))).as("the blocked request ended").isTrue();
                assertThat(blocked.get()).as("the blocked request's own outcome").isEqualTo("ok");
            } finally {
                release.countDown();
            }
            assertThat(Leaks.outcomeWithin10s("Transport.close()", () -> {
                t.close();
                return "closed";
            })).isEqualTo("closed");
            assertThat(t.stats().open()).isZero();
        }
    }
}
