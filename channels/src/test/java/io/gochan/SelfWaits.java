package io.gochan;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * What {@link SelfWaitRulesTest} and {@link SelfJoinRulesTest} share: running a call that must be refused and
 * keeping what it threw, waiting a bounded time for a refusal that, before the fix, never came (the hang), and
 * catching the goroutine failures reported meanwhile.
 */
final class SelfWaits {
    /** How long a refusal that never comes is waited for; only a bound, never a speed requirement. */
    static final long BOUND_SECONDS = 10;

    private SelfWaits() {}

    interface Call {
        void run() throws Exception;
    }

    /** What {@code call} threw, or null if it returned. */
    static Throwable outcome(Call call) {
        try {
            call.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** What {@code seen} completed with, failing the test if it still waits after {@link #BOUND_SECONDS}. */
    static <T> T within(CompletableFuture<T> seen, String what) throws Exception {
        try {
            return seen.get(BOUND_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " still waits for itself after " + BOUND_SECONDS + " s", e);
        }
    }

    /** The goroutine failures reported while open ({@code handled}); close restores the previous handler. */
    static final class Reports implements AutoCloseable {
        final ConcurrentLinkedQueue<Throwable> handled = new ConcurrentLinkedQueue<>();
        private final BiConsumer<Goroutine, Throwable> previous =
                Goroutines.setUncaughtExceptionHandler((g, t) -> handled.add(t));

        @Override
        public void close() {
            Goroutines.setUncaughtExceptionHandler(previous);
        }
    }
}
