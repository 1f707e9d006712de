package io.gochan.http.internal.conn;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Context;
import io.gochan.http.HttpRequest;
import io.gochan.http.internal.RequestScope;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Rule E158 (docs/spec/transport-lifecycle.md) at the exchange itself: whichever way a party tries to end an exchange
 * that an abort already ended (its own abort, E26, or its completion: a body's end, the read loop's answer without a
 * body), it returns only once the winner's close of the connection is complete; a completion that won leaves the
 * connection alone for a late abort (E1). The connection here is a stand-in that keeps
 * {@link Exchange.Connection#close}'s contract (a close that finds another under way returns once that one is done)
 * and holds the winner's close open until the test releases it.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ExchangeEndRaceTest {
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** A connection whose first close is held open until released; later closes wait for it, as PersistConn's do. */
    private static final class HeldConnection implements Exchange.Connection {
        final CountDownLatch closing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicBoolean first = new AtomicBoolean();
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public void close(IOException cause) {
            calls.add("close(" + cause.getMessage() + ")");
            if (first.compareAndSet(false, true)) {
                closing.countDown();
                awaitUninterruptibly(release);
                closed.countDown();
            } else {
                awaitUninterruptibly(closed);
            }
        }

        @Override
        public void reuse() {
            calls.add("reuse");
        }
    }

    private static Exchange exchangeOn(Exchange.Connection conn) {
        return new Exchange(conn, new RequestScope(HttpRequest.get("http://example.test/"), Context.background()));
    }

    @Test
    void E158_aCompletionThatLostToAnAbortReturnsOnlyOnceThatAbortsCloseIsComplete() throws Exception {
        HeldConnection conn = new HeldConnection();
        Exchange ex = exchangeOn(conn);
        Thread aborter = Thread.ofVirtual().start(() -> ex.abort(new IOException("context canceled")));
        try {
            assertThat(conn.closing.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            AtomicReference<Boolean> completed = new AtomicReference<>();
            AtomicBoolean closedWhenItReturned = new AtomicBoolean();
            Thread completer = Thread.ofVirtual().start(() -> {
                completed.set(ex.complete(true, null));
                closedWhenItReturned.set(conn.closed.getCount() == 0);
            });
            awaitWaitingOrEnded(completer);
            conn.release.countDown();
            assertThat(completer.join(BOUND)).isTrue();
            assertThat(completed.get()).as("the completion lost").isFalse();
            assertThat(closedWhenItReturned).as("the winner's close was complete when it returned").isTrue();
            assertThat(conn.calls).doesNotContain("reuse").first().isEqualTo("close(context canceled)");
        } finally {
            conn.release.countDown();
            aborter.join(BOUND);
        }
    }

    @Test
    void E26_anAbortThatLostToAnAbortReturnsOnlyOnceThatAbortsCloseIsComplete() throws Exception {
        HeldConnection conn = new HeldConnection();
        Exchange ex = exchangeOn(conn);
        Thread aborter = Thread.ofVirtual().start(() -> ex.abort(new IOException("timed out")));
        try {
            assertThat(conn.closing.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            AtomicReference<Boolean> aborted = new AtomicReference<>();
            AtomicBoolean closedWhenItReturned = new AtomicBoolean();
            Thread second = Thread.ofVirtual().start(() -> {
                aborted.set(ex.abort(new IOException("body closed")));
                closedWhenItReturned.set(conn.closed.getCount() == 0);
            });
            awaitWaitingOrEnded(second);
            conn.release.countDown();
            assertThat(second.join(BOUND)).isTrue();
            assertThat(aborted.get()).isFalse();
            assertThat(closedWhenItReturned).isTrue();
            assertThat(ex.abortCause()).hasMessage("timed out");
        } finally {
            conn.release.countDown();
            aborter.join(BOUND);
        }
    }

    @Test
    void E1_anAbortAfterTheCompletionLeavesTheConnectionAlone() {
        HeldConnection conn = new HeldConnection();
        Exchange ex = exchangeOn(conn);
        assertThat(ex.complete(true, null)).isTrue();
        assertThat(ex.abort(new IOException("context canceled"))).isFalse();
        ex.awaitAbortersClose(); // nothing to wait for: it completed
        assertThat(conn.calls).containsExactly("reuse");
        assertThat(ex.abortCause()).isNull();
    }

    /** Until {@code t} parks (waiting for the winner's close, as it must) or ends (had it not waited). */
    private static void awaitWaitingOrEnded(Thread t) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING
                && t.getState() != Thread.State.TERMINATED) {
            assertThat(System.nanoTime()).as("the thread waits or ends").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                if (latch.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                    break;
                }
                throw new AssertionError("not released in " + BOUND);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
