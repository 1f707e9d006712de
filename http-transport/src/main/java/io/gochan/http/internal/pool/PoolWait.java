package io.gochan.http.internal.pool;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.select.Select;

import java.time.Duration;

/** Waiting for a pool outcome against a cancellation channel and a deadline: one select. */
final class PoolWait {
    private PoolWait() {}

    /** The outcome, or null if {@code cancel} became ready (value or closed) or the deadline passed. */
    static <T> T await(Chan<T> ready, ReceiveChan<?> cancel, long deadlineNanos) throws InterruptedException {
        Select<T> s = Select.<T>cases().receive(ready, v -> v).receiveOk(cancel, r -> null);
        if (deadlineNanos != Long.MAX_VALUE) {
            s.timeout(Duration.ofNanos(Math.max(0L, deadlineNanos - System.nanoTime())), () -> null);
        }
        return s.select();
    }

    /** True if the cancellation channel has fired (closed, or holds a value). */
    static boolean isReady(ReceiveChan<?> cancel) {
        return !cancel.tryReceive().notReady();
    }
}
