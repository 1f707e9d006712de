package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Starts test threads of one kind (virtual or platform), collects their failures, and proves at the
 * end that every one of them ended. Use in try-with-resources.
 */
final class Threads implements AutoCloseable {
    enum Kind { VIRTUAL, PLATFORM }

    interface Body {
        void run() throws Exception;
    }

    private final Kind kind;
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    Threads(Kind kind) {
        this.kind = kind;
    }

    Thread start(Body body) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        };
        Thread t = kind == Kind.VIRTUAL ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
        threads.add(t);
        return t;
    }

    /** Joins every thread (generous bound) and rethrows the first failure. */
    @Override
    public void close() throws Exception {
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(60))).as("thread %s ended", t).isTrue();
        }
        Throwable first = failures.peek();
        if (first != null) {
            AssertionError e = new AssertionError("a test thread failed: " + first, first);
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            letOthersRun();
        }
    }

    /**
     * From a spinning loop, leaves the CPU to other threads for a moment. A platform thread yields. A
     * virtual thread parks for a microsecond instead: JDK 25's scheduler runs a carrier's own queue
     * until it is empty, so two virtual threads that only yield on one carrier hand it to each other
     * forever, and a virtual thread woken from outside (by a platform thread, a timer) never runs again:
     * four yielding spinners on two carriers starved a woken thread for 10 s in 3 of 3 runs (parking
     * ones: woken at once). This hung TimerContextAdversarialTest on CI, and with it every later test of
     * its JVM. A park leaves the queue; the other spinner's yield then finds it empty and lets the
     * carrier look elsewhere.
     */
    static void letOthersRun() {
        if (Thread.currentThread().isVirtual()) {
            LockSupport.parkNanos(1_000);
        } else {
            Thread.yield();
        }
    }

    static void awaitSenders(Chan<?> ch, int n) {
        awaitTrue(() -> ChannelCores.of(ch).waitingSenders() == n, n + " waiting senders on " + ch);
    }

    static void awaitReceivers(Chan<?> ch, int n) {
        awaitTrue(() -> ChannelCores.of(ch).waitingReceivers() == n, n + " waiting receivers on " + ch);
    }

    static int waiters(Chan<?> ch) {
        return ChannelCores.of(ch).waitingSenders() + ChannelCores.of(ch).waitingReceivers();
    }
}
