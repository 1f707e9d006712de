package io.gochan.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gate for a {@link HookedSocket}'s {@code readFrom}: the connection's read loop, once it has taken {@code gateAfter}
 * bytes, waits at its next read until the test opens the gate, once. So the read loop meets what the server did (its
 * close, its reset) exactly when the test lets it: after the request took the pooled connection, after the write loop
 * met it first, and so on.
 */
final class ReadLoopGate {
    private final int gateAfter;
    private final AtomicBoolean armed = new AtomicBoolean(true);
    private final AtomicInteger taken = new AtomicInteger();
    /** Counted down as the read loop reaches the gate. */
    final CountDownLatch held = new CountDownLatch(1);
    /** Opens the gate. */
    final CountDownLatch release = new CountDownLatch(1);

    /** @param gateAfter the bytes the read loop takes before it waits: a first response's, or 0 for its first read */
    ReadLoopGate(int gateAfter) {
        this.gateAfter = gateAfter;
    }

    /** A {@code readFrom} of {@code raw} that waits at the gate first if it is the read loop's gated read. */
    int read(InputStream raw, byte[] b, int off, int len) throws IOException {
        boolean readLoop = Thread.currentThread().getName().startsWith("http-read-loop");
        if (readLoop && taken.get() >= gateAfter && armed.getAndSet(false)) {
            held.countDown();
            Lifecycle.awaitUninterruptibly(release);
        }
        int n = raw.read(b, off, len);
        if (n > 0) {
            taken.addAndGet(n);
        }
        return n;
    }
}
