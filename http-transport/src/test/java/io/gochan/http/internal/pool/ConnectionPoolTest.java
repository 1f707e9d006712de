package io.gochan.http.internal.pool;

import io.gochan.leakcheck.NoGoroutineLeaks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The pool's policy (limits, FIFO waiters, cancellation, idle limits and timeout) with in-memory
 * connections; the transport's tests exercise it again with real sockets.
 */
@NoGoroutineLeaks
class ConnectionPoolTest {
    static final ConnectKey KEY = new ConnectKey("http", "example.test", 80);
    static final long NO_DEADLINE = Long.MAX_VALUE;

    static final class FakeConn implements PooledConnection {
        static final AtomicInteger IDS = new AtomicInteger();
        final int id = IDS.incrementAndGet();
        final ConnectKey key;
        final AtomicBoolean closed = new AtomicBoolean();

        FakeConn(ConnectKey key) {
            this.key = key;
        }

        @Override
        public ConnectKey key() {
            return key;
        }

        @Override
        public boolean isUsable() {
            return !closed.get();
        }

        @Override
        public void closeNow(String reason) {
            closed.set(true);
        }
    }

    final ConcurrentLinkedQueue<FakeConn> dialed = new ConcurrentLinkedQueue<>();

    ConnectionPool<FakeConn> pool(int maxIdle, int maxIdlePerHost, int maxConnsPerHost, Duration idleTimeout) {
        return new ConnectionPool<>(k -> {
            FakeConn c = new FakeConn(k);
            dialed.add(c);
            return c;
        }, maxIdle, maxIdlePerHost, maxConnsPerHost, idleTimeout);
    }

    @Test
    void T5_releasedConnectionIsReusedMostRecentlyUsedFirst() throws Exception {
        try (var p = pool(100, 2, 0, Duration.ZERO)) {
            var a = p.acquire(KEY, null, NO_DEADLINE);
            var b = p.acquire(KEY, null, NO_DEADLINE);
            assertThat(a.reused()).isFalse();
            p.release(a.conn());
            p.release(b.conn());
            var again = p.acquire(KEY, null, NO_DEADLINE);
            assertThat(again.reused()).isTrue();
            assertThat(again.conn()).isSameAs(b.conn());
            assertThat(p.stats().dialed()).isEqualTo(2);
            assertThat(p.stats().reused()).isEqualTo(1);
        }
    }

    @Test
    void idleLimitPerHostClosesTheSurplus() throws Exception {
        try (var p = pool(100, 1, 0, Duration.ZERO)) {
            var a = p.acquire(KEY, null, NO_DEADLINE);
            var b = p.acquire(KEY, null, NO_DEADLINE);
            p.release(a.conn());
            p.release(b.conn());
            assertThat(b.conn().closed).isTrue();
            assertThat(a.conn().closed).isFalse();
            assertThat(p.stats().idle()).isEqualTo(1);
            assertThat(p.stats().open()).isEqualTo(1);
        }
    }

    @Test
    void globalIdleLimitEvictsLeastRecentlyUsed() throws Exception {
        try (var p = pool(2, 2, 0, Duration.ZERO)) {
            ConnectKey k2 = new ConnectKey("http", "other.test", 80);
            var a = p.acquire(KEY, null, NO_DEADLINE);
            var b = p.acquire(k2, null, NO_DEADLINE);
            var c = p.acquire(KEY, null, NO_DEADLINE);
            p.release(a.conn());
            p.release(b.conn());
            p.release(c.conn());
            assertThat(a.conn().closed).as("least recently used").isTrue();
            assertThat(b.conn().closed).isFalse();
            assertThat(c.conn().closed).isFalse();
            assertThat(p.stats().idle()).isEqualTo(2);
        }
    }

    @Test
    void T8_maxConnsPerHostIsNeverExceededAndWaitersAreServed() throws Exception {
        int limit = 3;
        int callers = 40;
        try (var p = pool(100, 2, limit, Duration.ZERO)) {
            AtomicInteger inUse = new AtomicInteger();
            AtomicInteger maxSeen = new AtomicInteger();
            List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (int j = 0; j < 50; j++) {
                            var a = p.acquire(KEY, null, NO_DEADLINE);
                            int n = inUse.incrementAndGet();
                            maxSeen.accumulateAndGet(n, Math::max);
                            var snap = p.stats();
                            assertThat(snap.open() + snap.dialing()).isLessThanOrEqualTo(limit);
                            inUse.decrementAndGet();
                            if (j % 7 == 0) {
                                p.discard(a.conn(), "test");
                            } else {
                                p.release(a.conn());
                            }
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            for (Thread t : threads) {
                assertThat(t.join(Duration.ofSeconds(30))).isTrue();
            }
            assertThat(errors).isEmpty();
            assertThat(maxSeen.get()).isLessThanOrEqualTo(limit);
            var s = p.stats();
            assertThat(s.inUse()).isZero();
            assertThat(s.waiting()).isZero();
            assertThat(s.open()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void T8_waitersAreServedInArrivalOrder() throws Exception {
        try (var p = pool(100, 2, 1, Duration.ZERO)) {
            var held = p.acquire(KEY, null, NO_DEADLINE);
            List<Integer> order = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        var a = p.acquire(KEY, null, NO_DEADLINE);
                        order.add(n);
                        p.release(a.conn());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
                awaitWaiting(p, i + 1);
            }
            p.release(held.conn());
            for (Thread t : threads) {
                assertThat(t.join(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(order).containsExactly(0, 1, 2, 3, 4);
            assertThat(dialed).hasSize(1);
        }
    }

    @Test
    void T8_aWaiterThatCancelsLeavesTheQueueAndOthersKeepTheirPlace() throws Exception {
        try (var p = pool(100, 2, 1, Duration.ZERO)) {
            var held = p.acquire(KEY, null, NO_DEADLINE);
            Chan<Object> cancel = Chan.make();
            CountDownLatch cancelledSeen = new CountDownLatch(1);
            Thread quitter = Thread.ofVirtual().start(() -> {
                try {
                    p.acquire(KEY, cancel, NO_DEADLINE);
                } catch (InterruptedIOException e) {
                    cancelledSeen.countDown();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            awaitWaiting(p, 1);
            var second = new Object() { volatile ConnectionPool.Acquired<FakeConn> got; };
            Thread stayer = Thread.ofVirtual().start(() -> {
                try {
                    second.got = p.acquire(KEY, null, NO_DEADLINE);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            awaitWaiting(p, 2);
            cancel.close();
            assertThat(cancelledSeen.await(10, TimeUnit.SECONDS)).isTrue();
            awaitWaiting(p, 1);
            p.release(held.conn());
            assertThat(stayer.join(Duration.ofSeconds(10))).isTrue();
            assertThat(quitter.join(Duration.ofSeconds(10))).isTrue();
            assertThat(second.got.conn()).isSameAs(held.conn());
        }
    }

    @Test
    void waitingPastTheDeadlineFailsClearly() throws Exception {
        try (var p = pool(100, 2, 1, Duration.ZERO)) {
            p.acquire(KEY, null, NO_DEADLINE);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            assertThatThrownBy(() -> p.acquire(KEY, null, deadline))
                    .isInstanceOf(InterruptedIOException.class)
                    .hasMessageContaining("timed out waiting for a connection");
            assertThat(p.stats().waiting()).isZero();
        }
    }

    @Test
    void dialErrorsReachTheCallerAndFreeTheSlot() throws Exception {
        AtomicBoolean fail = new AtomicBoolean(true);
        try (var p = new ConnectionPool<FakeConn>(k -> {
            if (fail.get()) {
                throw new IOException("connection refused (test)");
            }
            return new FakeConn(k);
        }, 100, 2, 1, Duration.ZERO)) {
            assertThatThrownBy(() -> p.acquire(KEY, null, NO_DEADLINE)).hasMessageContaining("connection refused");
            fail.set(false);
            assertThat(p.acquire(KEY, null, NO_DEADLINE).conn().isUsable()).isTrue();
        }
    }

    @Test
    void idleTimeoutClosesIdleConnectionsAndTheReaperEnds() throws Exception {
        try (var p = pool(100, 2, 0, Duration.ofMillis(30))) {
            var a = p.acquire(KEY, null, NO_DEADLINE);
            p.release(a.conn());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!a.conn().closed.get() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertThat(a.conn().closed).isTrue();
            assertThat(p.stats().idle()).isZero();
            assertThat(p.stats().open()).isZero();
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("gochan-http-idle"));
    }

    @Test
    void discardIsIdempotent() throws Exception {
        try (var p = pool(100, 2, 2, Duration.ZERO)) {
            var a = p.acquire(KEY, null, NO_DEADLINE);
            p.discard(a.conn(), "x");
            p.discard(a.conn(), "x");
            assertThat(p.stats().open()).isZero();
            p.acquire(KEY, null, NO_DEADLINE);
            p.acquire(KEY, null, NO_DEADLINE);
            assertThat(p.stats().open()).isEqualTo(2);
        }
    }

    static void awaitWaiting(ConnectionPool<?> p, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (p.stats().waiting() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " waiters, have " + p.stats().waiting());
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
