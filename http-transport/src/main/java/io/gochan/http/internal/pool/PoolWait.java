package io.gochan.http.internal.pool;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.Received;
import io.gochan.spi.ChannelCore;

import java.time.Duration;

/** Waiting for a pool outcome against a cancellation channel and a deadline. */
final class PoolWait {
    private PoolWait() {}

    /** The outcome, or null if cancelled or timed out. */
    static <T> T await(Chan<T> ready, ReceiveChan<?> cancel, long deadlineNanos) throws InterruptedException {
        // TODO(select): replace with a select over ready, cancel and the deadline once channels-select lands.
        long left = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
        Received<T> r = left == Long.MAX_VALUE ? ready.receiveOk() : ready.receive(Duration.ofNanos(Math.max(0, left)));
        return r.ok() ? r.value() : null;
    }

    static boolean isReady(ReceiveChan<?> cancel) {
        return ChannelCore.CLOSED != null && !cancel.tryReceive().notReady();
    }
}
