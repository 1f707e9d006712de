package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.leakcheck.fixtures.BusyCommonPoolFixture;
import io.gochan.leakcheck.fixtures.ClassThreadFixture;
import io.gochan.leakcheck.fixtures.IdlePoolFixture;
import io.gochan.leakcheck.fixtures.InheritedParallelFixture;
import io.gochan.leakcheck.fixtures.InheritedPoolFixture;
import io.gochan.leakcheck.fixtures.UnstartedThreadFixture;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Round 2 of the probes of what the check could miss (see {@link BlindSpotTest}): a thread a class's
 * {@code @BeforeAll} leaves running (LK14), a task left on a common-pool worker that was busy when the test
 * began (LK15).
 */
class BlindSpot2Test {
    private static String outcome(Map<String, String> outcomes, String idPart) {
        return outcomes.entrySet().stream().filter(e -> e.getKey().endsWith(idPart)).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no " + idPart + " in " + outcomes.keySet()));
    }

    /**
     * LK14: threads started in {@code @BeforeAll} and never stopped fail the class, once, and none of its tests; a
     * nested class's fail the nested class, not the enclosing one.
     */
    @Test
    void LK14_threadsTheClassLeavesFailTheClassOnce() throws Exception {
        ClassThreadFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(ClassThreadFixture.class));
            assertThat(outcome(o, "[method:first()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:second()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:third()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[nested-class:Inner]")).as("the nested class")
                    .startsWith("FAILED: 1 platform thread still running 200 ms after the test class's @AfterAll methods ended")
                    .contains("\"nested-class-leak\"").doesNotContain("class-platform-leak").doesNotContain("class-virtual-leak");
            assertThat(o.get("")).as("the class").doesNotContain("nested-class-leak").startsWith("FAILED: 1 virtual thread and 1 platform thread still running"
                    + " 200 ms after the test class's @AfterAll methods ended")
                    .contains("\"class-virtual-leak\"").contains("\"class-platform-leak\"")
                    .contains("ClassThreadFixture.lambda$startsThreadsItNeverStops").doesNotContain("note:");
        } finally {
            ClassThreadFixture.release.countDown();
        }
    }

    /**
     * LK15: a task the test left on a common-pool worker that was already running another task when the test
     * began fails the test; the earlier task, still running when a later test ends, is not that test's leak.
     */
    @Test
    void LK15_aTaskLeftOnAWorkerThatWasBusyWhenTheTestBeganFailsTheTest() throws Exception {
        BusyCommonPoolFixture.handedOver = new CountDownLatch(1);
        CountDownLatch earlierStarted = new CountDownLatch(1);
        CountDownLatch earlierRelease = new CountDownLatch(1);
        Thread[] earlierWorker = new Thread[1];
        // Runs before the test and ends once it has forked the test's task onto its own worker's queue: the
        // worker takes it next (LIFO), as soon as this task returns.
        CompletableFuture<Void> handOver = CompletableFuture.runAsync(() -> {
            earlierWorker[0] = Thread.currentThread();
            earlierStarted.countDown();
            try {
                BusyCommonPoolFixture.handedOver.await();
                ForkJoinTask.adapt(BusyCommonPoolFixture.handed).fork();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, ForkJoinPool.commonPool());
        BusyCommonPoolFixture.release = new CountDownLatch(1);
        try {
            assertThat(earlierStarted.await(10, TimeUnit.SECONDS)).isTrue();
            Map<String, String> o = BlindSpotTest.run(selectMethod(BusyCommonPoolFixture.class, "leavesATaskOnAWorkerBusyWhenItBegan"));
            assertThat(handOver).succeedsWithin(java.time.Duration.ofSeconds(10));
            assertThat(BusyCommonPoolFixture.taskWorker).as("the test's task ran on the worker busy when it began")
                    .isSameAs(earlierWorker[0]);
            assertThat(outcome(o, "[method:leavesATaskOnAWorkerBusyWhenItBegan()]")).startsWith("FAILED")
                    .contains("1 platform thread still running 200 ms after the test ended")
                    .contains("\"" + earlierWorker[0].getName() + "\"")
                    .contains("BusyCommonPoolFixture.lambda$leavesATaskOnAWorkerBusyWhenItBegan")
                    .contains("a task of the common pool");
            BusyCommonPoolFixture.release.countDown();
            assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();

            // No false accusation: a task running before the test and after it is not its leak.
            CountDownLatch running = new CountDownLatch(1);
            CompletableFuture<Void> earlier = CompletableFuture.runAsync(() -> {
                running.countDown();
                try {
                    earlierRelease.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, ForkJoinPool.commonPool());
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            o = BlindSpotTest.run(selectMethod(BusyCommonPoolFixture.class, "leavesNothing"));
            assertThat(outcome(o, "[method:leavesNothing()]")).isEqualTo("SUCCESSFUL");
            earlierRelease.countDown();
            assertThat(earlier).succeedsWithin(java.time.Duration.ofSeconds(10));
        } finally {
            BusyCommonPoolFixture.release.countDown();
            earlierRelease.countDown();
            BusyCommonPoolFixture.handedOver.countDown();
            assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();
        }
    }
    /**
     * LK14: threads the test instance's field initializers made unstarted, and the test started, are the test's
     * (its window begins before JUnit constructs its instance, and a nested test's before the enclosing instance),
     * not the class's, and never nobody's.
     */
    @Test
    void LK14_threadsTheTestInstanceMadeAndTheTestStartedAreTheTests() {
        UnstartedThreadFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(UnstartedThreadFixture.class));
            assertThat(outcome(o, "[method:startsTheThreadsItsInstanceMade()]"))
                    .startsWith("FAILED: 1 virtual thread and 1 platform thread still running 200 ms after the test ended")
                    .contains("\"field-virtual\"").contains("\"field-platform\"");
            assertThat(outcome(o, "[method:startsTheThreadsTheEnclosingInstanceMade()]"))
                    .startsWith("FAILED: 1 virtual thread and 1 platform thread still running 200 ms after the test ended")
                    .contains("\"field-virtual\"").contains("\"field-platform\"");
            assertThat(outcome(o, "[nested-class:Inner]")).as("the nested class").isEqualTo("SUCCESSFUL");
            assertThat(o.get("")).as("the class").isEqualTo("SUCCESSFUL");
        } finally {
            UnstartedThreadFixture.release.countDown();
        }
    }

    /**
     * LK16: a fixed pool the test used and never shut down fails it, virtual workers as platform ones, each worker
     * named with its stack, although an idle worker's stack is the JDK's queue code alone (no frame of user code:
     * nothing there tells it from the JDK's own threads but where its code starts); a pool shut down passes.
     */
    @Test
    void LK16_idleWorkersOfAPoolNeverShutDownFailTheTestThatMadeThem() {
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(IdlePoolFixture.class));
            assertThat(outcome(o, "[method:leavesAnIdleFixedPoolOfVirtualThreads()]"))
                    .startsWith("FAILED: 2 virtual threads still running 200 ms after the test ended")
                    .contains("\"idle-virtual-worker-0\"").contains("\"idle-virtual-worker-1\"")
                    .contains("java.util.concurrent.LinkedBlockingQueue.take").doesNotContain("idle-platform-worker");
            assertThat(outcome(o, "[method:leavesAnIdleFixedPoolOfPlatformThreads()]"))
                    .startsWith("FAILED: 2 platform threads still running 200 ms after the test ended")
                    .contains("\"idle-platform-worker-0\"").contains("\"idle-platform-worker-1\"")
                    .doesNotContain("idle-virtual-worker");
            assertThat(outcome(o, "[method:shutsItsVirtualPoolDown()]")).isEqualTo("SUCCESSFUL");
            assertThat(o.get("")).as("the class").isEqualTo("SUCCESSFUL");
        } finally {
            IdlePoolFixture.LEFT.forEach(ExecutorService::shutdownNow);
            IdlePoolFixture.LEFT.clear();
        }
    }

    /**
     * LK17: a goroutine started by a task a test submitted to a pool whose worker the class's {@code @BeforeAll}
     * created (so the worker carries the class's owner) is that test's leak, with what it starts and an afterFunc the
     * task registers; the class, and the tests before and after, pass. Before, the test passed and the class failed.
     * A worker an earlier test made (and ended) was handled before, and still is.
     */
    @Test
    void LK17_aGoroutineStartedThroughAWorkerTheClassMadeIsTheLeakOfTheTestThatRan() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(InheritedPoolFixture.class));
            assertThat(outcome(o, "[method:before()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:leaksAGoroutineThroughTheClassesPool()]"))
                    .startsWith("FAILED: 2 goroutines still running 200 ms after the test ended")
                    .contains("\"pool-leak\"").contains("\"pool-leak-child\"")
                    .contains("owned by \"class InheritedPoolFixture\" (inherited by the thread that started it)")
                    .contains("was started while this test ran, by a thread that carries the owner \"class InheritedPoolFixture\""
                            + " only because it was created under that owner")
                    .contains("descends from goroutine") // the child, judged by its parent's start
                    .doesNotContain("in parallel").doesNotContain("was created by this test");
            assertThat(outcome(o, "[method:leaksAnAfterFuncGoroutineThroughTheClassesPool()]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"gochan-afterfunc\"").contains("(inherited by the thread that started it)")
                    .doesNotContain("pool-leak");
            assertThat(outcome(o, "[method:after()]")).isEqualTo("SUCCESSFUL");
            // As before LK17: a worker an earlier, ended, test made.
            assertThat(outcome(o, "[method:makesAPoolTheNextTestUses()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:leaksAGoroutineThroughAnEarlierTestsPool()]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"earlier-pool-leak\"").doesNotContain("\"pool-leak\"");
            assertThat(o.get("")).as("the class").isEqualTo("SUCCESSFUL");
        } finally {
            LeakCheckTest.endGoroutines("pool-leak", "pool-leak-child", "gochan-afterfunc", "earlier-pool-leak");
        }
    }

    /**
     * LK18: with tests in parallel, a goroutine started through a worker that another, still running, test made is
     * reported by the test that submitted the task; nothing tells the check that it was that test and not the other,
     * which also ran when it started: both report it, each naming the other and saying the submitter is not known.
     * Before, only the test that made the pool failed, and the one that submitted the task passed.
     */
    @Test
    void LK18_inParallelEachTestRunningWhenAnInheritedGoroutineStartedReportsItAndSaysSo() throws Exception {
        InheritedParallelFixture.poolMade = new CountDownLatch(1);
        InheritedParallelFixture.submitted = new CountDownLatch(1);
        try {
            Map<String, String> o = BlindSpotTest.run(selectClass(InheritedParallelFixture.class), Map.of(
                    "junit.jupiter.execution.parallel.enabled", "true",
                    "junit.jupiter.execution.parallel.config.strategy", "fixed",
                    "junit.jupiter.execution.parallel.config.fixed.parallelism", "2"));
            assertThat(InheritedParallelFixture.submitted.getCount()).as("the task was submitted").isZero();
            assertThat(outcome(o, "[method:submitsATaskThatLeaksAGoroutine()]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"shared-pool-leak\"")
                    .contains("owned by \"test InheritedParallelFixture.makesAPoolAnotherTestUses()\"") // closed, or not yet
                    .contains("(inherited by the thread that started it)")
                    .contains("ran in parallel with test InheritedParallelFixture.makesAPoolAnotherTestUses()")
                    .contains("which of them handed that thread the task is not known")
                    .doesNotContain("was created by this test");
            assertThat(outcome(o, "[method:makesAPoolAnotherTestUses()]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"shared-pool-leak\"")
                    .contains("ran in parallel with test InheritedParallelFixture.submitsATaskThatLeaksAGoroutine()")
                    .contains("which of them handed that thread the task is not known")
                    .doesNotContain("was created by this test");
            assertThat(o.get("")).as("the class").isEqualTo("SUCCESSFUL");
        } finally {
            LeakCheckTest.endGoroutines("shared-pool-leak");
        }
    }
}
