package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E121 (docs/spec/transport-lifecycle.md): the {@code done()} of a body never closed, which the collector's watch
 * reports (E4, E22), runs no user code on the JVM's one cleaner thread: a listener that blocks there holds up only its
 * own request, never the reclaim of another dropped body. Found by hunter h-hunt2-30.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UnclosedBodyReportTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Blocks the done() of "/held" until released; records every other done(). */
    private static final class HoldingListener implements RequestListener {
        final CountDownLatch heldEntered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> dones = new CopyOnWriteArrayList<>();

        @Override
        public void done(HttpRequest request, Throwable error) {
            if (request.uri().getPath().equals("/held")) {
                heldEntered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                dones.add(request.uri().getPath() + (error == null ? "" : ": " + error.getMessage()));
            }
        }
    }

    /** Gets a response and drops it without closing its body: its frame ends here. */
    private static void drop(Transport t, RawServer server, String path) throws Exception {
        HttpResponse r = t.roundTrip(HttpRequest.get(server.uri(path).toString()));
        assertThat(r.status()).isEqualTo(200);
    }

    private static void collectUntil(java.util.function.BooleanSupplier done, long seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            System.gc();
            Thread.yield();
        }
    }

    /**
     * A dropped body whose request's done() blocks (a listener that waits on something that never comes) is reclaimed:
     * its connection closed, its done() reported, on a thread of its own. Then another dropped body, of another request,
     * is reclaimed as well while that done() still blocks. Before, the report ran on the JVM's one cleaner thread: the
     * blocked done() held it, and no other body dropped in the JVM was ever reclaimed, each connection kept open with its
     * per-host slot (a host at maxConnsPerHost then waited for ever) and its request's done() never reported.
     */
    @Test
    void E121_aDoneThatBlocksOnTheCollectorsWatchHoldsUpNoOtherReclaim() throws Exception {
        HoldingListener listener = new HoldingListener();
        try (RawServer server = RawServer.answeringOk();
                Transport t = Transport.builder().listener(listener).build()) {
            try {
                drop(t, server, "/held");
                collectUntil(() -> listener.heldEntered.getCount() == 0, 20);
                assertThat(listener.heldEntered.getCount()).as("the first dropped body's done() runs (and blocks)").isZero();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the first dropped body's connection closed: " + t.stats());
                drop(t, server, "/dropped");
                assertThat(t.stats().open()).isEqualTo(1);
                collectUntil(() -> t.stats().open() == 0 && !listener.dones.isEmpty(), 20);
                assertThat(t.stats().open()).as("the second dropped body's connection reclaimed: " + t.stats()).isZero();
                assertThat(listener.dones).as("the second dropped body's done()")
                        .containsExactly("/dropped: response body of GET " + server.uri("/dropped") + " was never closed");
            } finally {
                listener.release.countDown();
            }
        }
    }
}
