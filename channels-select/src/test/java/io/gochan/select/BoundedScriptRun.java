package io.gochan.select;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs the oracle tests' scripts on one thread of a chosen kind, bounded in time: a script Go completes
 * never blocks, so a body still running at the bound has blocked where Go's would not, and that fails the
 * test with the thread's stack (taken before the interrupt that tries to end it).
 */
final class BoundedScriptRun {
    /** A script body: may throw, which fails the test with what it threw. */
    interface Body {
        void run() throws Exception;
    }

    private BoundedScriptRun() {
    }

    /**
     * Runs {@code body} on a new virtual or platform (daemon) thread and waits at most {@code boundSeconds}.
     *
     * @param soFar what the body has found so far (mismatches), for the failure message
     * @throws AssertionError if the body threw or is still running at the bound
     */
    static void run(boolean virtual, long boundSeconds, Body body, Supplier<String> soFar) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable task = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        };
        Thread t = virtual ? Thread.ofVirtual().start(task) : Thread.ofPlatform().daemon().start(task);
        t.join(TimeUnit.SECONDS.toMillis(boundSeconds));
        if (t.isAlive()) {
            StackTraceElement[] stack = t.getStackTrace();
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(10)); // a thread spinning in the ring may not end: fail anyway
            throw new AssertionError("an operation blocked where Go's would not; mismatches so far: " + soFar.get()
                    + "; stack: " + Arrays.toString(stack));
        }
        if (failure.get() != null) {
            throw new AssertionError("script failed; mismatches so far: " + soFar.get(), failure.get());
        }
    }
}
