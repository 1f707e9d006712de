package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Rules LK50 and LK51 (docs/spec/leak-check.md), fixtures run through the JUnit launcher: a common-pool task blocked
 * through the pool's managed blocking is seen (and one running since before the test is not the test's), and a pool of
 * the test's that runs only its delay scheduler is its leak. Found by session 44's leak-check audit.
 */
class CommonPoolAndDelayerTest {

    private static String outcome(Map<String, String> outcomes) {
        return BlindSpotTest.outcome(outcomes, "()]");
    }

    /** Until {@code t} blocks (waiting in its task), bounded. */
    private static void awaitBlocked(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (t.getState() == Thread.State.RUNNABLE || t.getState() == Thread.State.NEW) {
            assertThat(System.nanoTime()).as("the task blocks").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @NoGoroutineLeaks(graceMillis = 200)
    static class JoinFixture {
        static volatile CompletableFuture<Void> gate;
        static volatile CountDownLatch started;

        @Test
        void leavesACommonPoolTaskJoiningAFuture() throws Exception {
            CompletableFuture.runAsync(() -> {
                started.countDown();
                gate.join(); // a managed block: the worker counts as inactive
            });
            started.await();
        }
    }

    /** LK50: a common-pool task left blocked in {@code join()} (a managed block) fails the test that left it. */
    @Test
    void LK50_aCommonPoolTaskLeftBlockedInJoinFailsTheTest() {
        JoinFixture.gate = new CompletableFuture<>();
        JoinFixture.started = new CountDownLatch(1);
        try {
            assertThat(outcome(BlindSpotTest.run(JoinFixture.class))).startsWith("FAILED")
                    .contains("lambda$leavesACommonPoolTaskJoiningAFuture");
        } finally {
            JoinFixture.gate.complete(null);
        }
    }

    @NoGoroutineLeaks(graceMillis = 200)
    static class TakeFixture {
        static final BlockingQueue<Integer> QUEUE = new LinkedBlockingQueue<>();
        static volatile Thread worker;
        static volatile CountDownLatch started;

        @Test
        void leavesACommonPoolTaskTakingFromAQueue() throws Exception {
            ForkJoinPool.commonPool().submit(() -> {
                worker = Thread.currentThread();
                started.countDown();
                return QUEUE.take();
            });
            started.await();
            awaitBlocked(worker);
        }
    }

    /** LK50: the same for a task left in a blocking queue's {@code take()}. */
    @Test
    void LK50_aCommonPoolTaskLeftBlockedInTakeFailsTheTest() throws Exception {
        TakeFixture.started = new CountDownLatch(1);
        try {
            assertThat(outcome(BlindSpotTest.run(TakeFixture.class))).startsWith("FAILED")
                    .contains("lambda$leavesACommonPoolTaskTakingFromAQueue");
        } finally {
            TakeFixture.QUEUE.put(1);
        }
    }

    @NoGoroutineLeaks(graceMillis = 200)
    static class OwnTaskFixture {
        static volatile CountDownLatch gate;
        static volatile CountDownLatch started;

        @Test
        void leavesAParkedCommonPoolTask() throws Exception {
            CompletableFuture.runAsync(() -> {
                started.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            started.await();
        }
    }

    /**
     * LK50 with LK15: a common-pool task blocked in {@code join()} since before the test is not its leak; the test's own
     * task still is.
     */
    @Test
    void LK50_LK15_aTaskBlockedSinceBeforeTheTestIsNotItsLeak() throws Exception {
        CompletableFuture<Void> earlierGate = new CompletableFuture<>();
        CountDownLatch earlierStarted = new CountDownLatch(1);
        Thread[] earlier = new Thread[1];
        CompletableFuture.runAsync(() -> earlierTaskBody(earlierGate, earlierStarted, earlier));
        earlierStarted.await();
        awaitBlocked(earlier[0]);
        OwnTaskFixture.gate = new CountDownLatch(1);
        OwnTaskFixture.started = new CountDownLatch(1);
        try {
            assertThat(outcome(BlindSpotTest.run(OwnTaskFixture.class))).startsWith("FAILED")
                    .contains("lambda$leavesAParkedCommonPoolTask").doesNotContain("earlierTaskBody");
        } finally {
            OwnTaskFixture.gate.countDown();
            earlierGate.complete(null);
        }
    }

    static void earlierTaskBody(CompletableFuture<Void> gate, CountDownLatch started, Thread[] me) {
        me[0] = Thread.currentThread();
        started.countDown();
        gate.join();
    }

    @NoGoroutineLeaks(graceMillis = 200)
    static class OwnPoolDelayFixture {
        static volatile ForkJoinPool pool;

        @Test
        void leavesItsPoolWithADelayedTask() throws Exception {
            ForkJoinPool p = new ForkJoinPool(1);
            pool = p;
            // ForkJoinPool.schedule is JDK 25's (ScheduledExecutorService); by reflection, as the release is 21. Only
            // the pool's delay scheduler runs until the delay passes.
            ForkJoinPool.class.getMethod("schedule", Runnable.class, long.class, TimeUnit.class)
                    .invoke(p, (Runnable) () -> { }, 1L, TimeUnit.HOURS);
        }
    }

    /** LK51: a pool of the test's whose only running thread is its delay scheduler is the test's leak. */
    @Test
    void LK51_aPoolOfTheTestsRunningOnlyItsDelaySchedulerFailsTheTest() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 25, "a pool's delay scheduler: JDK 25");
        try {
            assertThat(outcome(BlindSpotTest.run(OwnPoolDelayFixture.class))).startsWith("FAILED").contains("delayScheduler");
        } finally {
            if (OwnPoolDelayFixture.pool != null) {
                OwnPoolDelayFixture.pool.shutdownNow();
            }
        }
    }
}
