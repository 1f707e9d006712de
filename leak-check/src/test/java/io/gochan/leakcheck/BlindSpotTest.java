package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.leakcheck.fixtures.CommonPoolFixture;
import io.gochan.leakcheck.fixtures.LifecycleFixture;
import io.gochan.leakcheck.fixtures.NestedFixture;
import io.gochan.leakcheck.fixtures.ThreadKindsFixture;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Probes of what the check could miss, or report wrongly: each kind of thread a test can leave, JUnit's
 * nested classes, templates, factories and lifecycle methods, and the common pool.
 */
class BlindSpotTest {
    /** The outcome of each test (and container) of a fixture, by its unique id's last segments; a failure's message. */
    static Map<String, String> run(Class<?> fixture) {
        return run(selectClass(fixture));
    }

    static Map<String, String> run(DiscoverySelector selector) {
        return run(selector, Map.of());
    }

    /** {@link #run(DiscoverySelector)} with JUnit configuration parameters (parallel execution, say). */
    static Map<String, String> run(DiscoverySelector selector, Map<String, String> config) {
        // Synchronized: with parallel execution, JUnit reports from its worker threads (a TreeMap lost entries).
        Map<String, String> outcomes = java.util.Collections.synchronizedMap(new TreeMap<>());
        var request = LauncherDiscoveryRequestBuilder.request().selectors(selector).configurationParameters(config).build();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                String key = id.getUniqueId().replaceAll("^.*?\\[class:[^\\]]*\\]/?", "");
                outcomes.put(key, r.getStatus() + r.getThrowable().map(t -> ": " + t.getMessage()).orElse(""));
            }
        });
        return outcomes;
    }

    static String outcome(Map<String, String> outcomes, String idPart) {
        return outcomes.entrySet().stream().filter(e -> e.getKey().endsWith(idPart)).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no " + idPart + " in " + outcomes.keySet()));
    }

    /** LK12: a nested class's tests get the enclosing class's settings (its allow list, its grace period). */
    @Test
    void aNestedClassIsCheckedWithTheEnclosingClassesSettings() {
        try {
            Map<String, String> o = run(NestedFixture.class);
            assertThat(outcome(o, "[method:leavesAThreadTheOuterClassAllows()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:leavesAThreadTheOutermostClassAllows()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:leaksAGoroutine()]")).startsWith("FAILED")
                    .contains("still running 200 ms after the test ended").contains("\"nested-leak\"");
            assertThat(outcome(o, "[method:leavesAThreadOnlyTheOuterClassAllows()]")).startsWith("FAILED")
                    .contains("still running 300 ms after the test ended").contains("\"allowed-by-outer-3\"");
        } finally {
            NestedFixture.release.countDown();
        }
    }

    /**
     * LK13: a task the test left running on the common pool ({@code CompletableFuture.runAsync}) fails it, naming
     * the worker and the task's stack; a task that ended, and one the
     * configuration excuses do not.
     */
    @Test
    void aTaskLeftRunningOnTheCommonPoolFailsTheTest() {
        try {
            // One test per run, its task released after it: the common pool may have a single worker (two cores).
            for (String test : new String[] {"leavesARunAsyncTaskRunning", "waitsForItsTask",
                    "leavesATaskWithThePlatformCheckOff", "leavesATaskOnAnAllowedWorker"}) {
                Map<String, String> o = run(selectMethod(CommonPoolFixture.class, test));
                String outcome = outcome(o, "[method:" + test + "()]");
                CommonPoolFixture.release.countDown();
                CommonPoolFixture.release = new CountDownLatch(1);
                assertThat(ForkJoinPool.commonPool().awaitQuiescence(10, TimeUnit.SECONDS)).isTrue();
                if (test.equals("leavesARunAsyncTaskRunning")) {
                    assertThat(outcome).startsWith("FAILED")
                            .contains("1 platform thread still running 200 ms after the test ended")
                            .contains("\"ForkJoinPool.commonPool-worker-")
                            .contains("CommonPoolFixture.lambda$leavesARunAsyncTaskRunning")
                            .contains("a task of the common pool");
                } else {
                    assertThat(outcome).as(test).isEqualTo("SUCCESSFUL");
                }
            }
        } finally {
            CommonPoolFixture.release.countDown();
        }
    }

    /**
     * No defect (LK11, LK6): the JDK's scheduled pool, fork-join pool and timer, and an unclosed virtual-thread
     * executor, fail the test that leaves them; gochan's timers left scheduled are no goroutine (none runs until
     * one fires, as in Go, where goleak reports no timer) and their shared thread is excused (LK11).
     */
    @Test
    void everyKindOfThreadIsReportedAndTimersAreNot() throws Exception {
        try {
            Map<String, String> o = run(ThreadKindsFixture.class);
            assertThat(outcome(o, "[method:leavesAScheduledPool()]")).startsWith("FAILED").contains("\"probe-scheduled\"");
            assertThat(outcome(o, "[method:leavesAForkJoinPool()]")).startsWith("FAILED").contains("\"ForkJoinPool-")
                    .contains("ThreadKindsFixture.lambda$leavesAForkJoinPool");
            assertThat(outcome(o, "[method:leavesAUtilTimer()]")).startsWith("FAILED").contains("\"probe-util-timer\"");
            assertThat(outcome(o, "[method:leavesAVirtualThreadExecutorOpen()]")).startsWith("FAILED")
                    .contains("1 virtual thread still running").contains("ThreadPerTaskExecutor")
                    .contains("ThreadKindsFixture.lambda$leavesAVirtualThreadExecutorOpen");
            assertThat(outcome(o, "[method:leavesGochanTimersScheduled()]")).isEqualTo("SUCCESSFUL");
        } finally {
            ThreadKindsFixture.release.countDown();
            ThreadKindsFixture.scheduled.shutdownNow();
            ThreadKindsFixture.forkJoin.shutdownNow();
            ThreadKindsFixture.timer.cancel();
            ThreadKindsFixture.ticker.stop();
            ThreadKindsFixture.pendingFunc.stop();
            assertThat(ThreadKindsFixture.scheduled.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ThreadKindsFixture.forkJoin.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * No defect (LK3, LK8): lifecycle methods' threads stopped in their pairs are no leak; a parameterized or
     * repeated test fails only in the invocation that leaks; a dynamic test that leaks fails, not its factory (LK20).
     */
    @Test
    void templatesFactoriesAndLifecycleMethodsAreJudgedPerInvocation() {
        try {
            Map<String, String> o = run(LifecycleFixture.class);
            assertThat(outcome(o, "[method:usesTheThreadsOfItsLifecycleMethods()]")).isEqualTo("SUCCESSFUL");
            // LK20: the dynamic test that leaks fails, not its factory.
            assertThat(outcome(o, "[test-factory:aDynamicTestLeaks()]/[dynamic-test:#2]")).startsWith("FAILED")
                    .contains("\"dynamic-leak\"").contains("aDynamicTestLeaks() > leaking");
            assertThat(outcome(o, "[test-factory:aDynamicTestLeaks()]/[dynamic-test:#1]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[test-factory:aDynamicTestLeaks()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[test-template-invocation:#1]")).isEqualTo("SUCCESSFUL");
            assertThat(o.entrySet().stream().filter(e -> e.getKey().contains("theSecondInvocationLeaks")
                    && e.getKey().endsWith("#2]")).map(Map.Entry::getValue).findFirst().orElseThrow())
                    .startsWith("FAILED").contains("\"param-leak\"");
            assertThat(o.entrySet().stream().filter(e -> e.getKey().contains("theSecondRepetitionLeaks")
                    && e.getKey().endsWith("#2]")).map(Map.Entry::getValue).findFirst().orElseThrow())
                    .startsWith("FAILED").contains("\"repeated-leak\"");
            assertThat(o.entrySet().stream().filter(e -> e.getKey().endsWith("#3]")).map(Map.Entry::getValue))
                    .containsOnly("SUCCESSFUL");
            assertThat(o.get("")).as("the class").isEqualTo("SUCCESSFUL");
        } finally {
            LifecycleFixture.release.countDown();
        }
    }
}
