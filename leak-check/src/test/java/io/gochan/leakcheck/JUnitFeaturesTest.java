package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.leakcheck.fixtures.InterruptedCheckFixture;
import io.gochan.leakcheck.fixtures.InvocationsFixture;
import io.gochan.leakcheck.fixtures.LifecycleFormsFixture;
import io.gochan.leakcheck.fixtures.LightweightFailureFixture;
import io.gochan.leakcheck.fixtures.ParallelFactoryFixture;
import io.gochan.leakcheck.fixtures.TimeoutFixture;
import io.gochan.leakcheck.fixtures.UncheckedLeakyFixture;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The check as JUnit users run it (LK19-LK21): tests JUnit invokes more than once, dynamic tests, {@code @Timeout},
 * parallel execution beside classes without the check. Fixtures run through the launcher, as in {@link BlindSpotTest}.
 */
class JUnitFeaturesTest {
    private static final Map<String, String> PARALLEL = Map.of(
            "junit.jupiter.execution.parallel.enabled", "true",
            "junit.jupiter.execution.parallel.config.strategy", "fixed",
            "junit.jupiter.execution.parallel.config.fixed.parallelism", "2");

    /** Outcomes by unique id (less the engine and class), each with its message and its suppressed exceptions' messages. */
    private static Map<String, String> run(Map<String, String> config, DiscoverySelector... selectors) {
        return run(config, new CopyOnWriteArrayList<>(), selectors);
    }

    /**
     * {@link #run(Map, DiscoverySelector...)}, adding to {@code published} each report entry published, as
     * {@code id|key=value} (the id as the outcomes' keys write it).
     */
    static Map<String, String> run(Map<String, String> config, List<String> published, DiscoverySelector... selectors) {
        Map<String, String> outcomes = java.util.Collections.synchronizedMap(new TreeMap<>());
        var request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).configurationParameters(config).build();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                outcomes.put(key(id), r.getStatus() + r.getThrowable().map(t -> ": " + t.getMessage() + Arrays.stream(t.getSuppressed())
                        .map(s -> "\nsuppressed: " + s.getMessage()).reduce("", String::concat)).orElse(""));
            }

            @Override
            public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
                entry.getKeyValuePairs().forEach((k, v) -> published.add(key(id) + "|" + k + "=" + v));
            }
        });
        return outcomes;
    }

    private static String key(TestIdentifier id) {
        return id.getUniqueId().replaceAll("^.*?\\[class:[^\\]]*\\]/?", "");
    }

    private static String outcome(Map<String, String> outcomes, String idPart) {
        return outcomes.entrySet().stream().filter(e -> e.getKey().endsWith(idPart)).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no " + idPart + " in " + outcomes.keySet()));
    }

    /** LK19: the invocation of a repeated or parameterized test that leaks fails, and the report names it. */
    @Test
    void LK19_anInvocationOfARepeatedOrParameterizedTestIsNamed() {
        InvocationsFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(InvocationsFixture.class));
            assertThat(outcome(o, "[test-template:repeated(org.junit.jupiter.api.RepetitionInfo)]/[test-template-invocation:#1]"))
                    .isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[test-template:repeated(org.junit.jupiter.api.RepetitionInfo)]/[test-template-invocation:#2]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"repeated-leak\"").contains("owned by \"test InvocationsFixture.repeated() repetition 2 of 3\"");
            assertThat(outcome(o, "[test-template:parameterized(java.lang.String)]/[test-template-invocation:#3]"))
                    .isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[test-template:parameterized(java.lang.String)]/[test-template-invocation:#2]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"parameterized-leak\"").contains("owned by \"test InvocationsFixture.parameterized() [2] \"pear\"\"");
        } finally {
            InvocationsFixture.release.countDown();
        }
    }

    /**
     * LK20: a dynamic test that failed keeps its own failure when its leak check is interrupted while it waits (the
     * interrupt used to replace the test's failure); the interrupt is added to it as suppressed.
     */
    @Test
    void LK20_aFailedDynamicTestKeepsItsFailureWhenItsCheckIsInterrupted() {
        try {
            Map<String, String> o = run(Map.of(), selectClass(InterruptedCheckFixture.class));
            assertThat(outcome(o, "[dynamic-test:#1]"))
                    .startsWith("FAILED: " + InterruptedCheckFixture.OWN_FAILURE).contains("\nsuppressed: ");
        } finally {
            Thread.interrupted(); // the fixture ran on this thread: its check's interrupt is not this test's
        }
    }

    /**
     * LK26: a dynamic test that leaks and fails with an exception made with suppression disabled still fails with that
     * exception (LK20), which keeps nothing attached; the leak report is published as the dynamic test's report entry
     * (and logged). Before, it was attached to nothing and lost: no entry was published.
     */
    @Test
    void LK26_aLeakReportTheDynamicTestsLightweightFailureCannotKeepIsPublished() throws Exception {
        LightweightFailureFixture.release = new CountDownLatch(1);
        Map<String, String> outcomes = java.util.Collections.synchronizedMap(new TreeMap<>());
        List<String> published = new CopyOnWriteArrayList<>();
        try {
            var request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(LightweightFailureFixture.class))
                    .build();
            LauncherFactory.create().execute(request, new TestExecutionListener() {
                @Override
                public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                    outcomes.put(id.getUniqueId(), r.getStatus() + r.getThrowable().map(t -> ": " + t.getMessage()
                            + " (suppressed: " + t.getSuppressed().length + ")").orElse(""));
                }

                @Override
                public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
                    entry.getKeyValuePairs().forEach((k, v) -> published.add(id.getUniqueId() + " " + k + "=" + v));
                }
            });
            assertThat(outcome(outcomes, "[dynamic-test:#1]"))
                    .isEqualTo("FAILED: " + LightweightFailureFixture.OWN_FAILURE + " (suppressed: 0)");
            assertThat(published).as("the leak report, published for the dynamic test").singleElement().asString()
                    .contains("[dynamic-test:#1] goroutine-leak-check=java.lang.AssertionError: 1 goroutine still running"
                            + " 200 ms after the dynamic test ended")
                    .contains("\"lightweight-leak\"");
        } finally {
            LightweightFailureFixture.release.countDown();
            LeakCheckTest.endGoroutines("lightweight-leak");
        }
    }

    /**
     * LK20: the dynamic test of a {@code @TestFactory} that leaks fails, named; its factory and its sibling dynamic
     * tests pass.
     */
    @Test
    void LK20_aDynamicTestIsJudgedOnItsOwn() {
        InvocationsFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(InvocationsFixture.class));
            assertThat(outcome(o, "[test-factory:factory()]/[dynamic-test:#2]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the dynamic test ended")
                    .contains("\"dynamic-leak\"").contains("owned by \"test InvocationsFixture.factory() > dyn-b\"");
            assertThat(outcome(o, "[test-factory:factory()]/[dynamic-test:#1]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[test-factory:factory()]/[dynamic-test:#3]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[test-factory:factory()]")).isEqualTo("SUCCESSFUL");
        } finally {
            InvocationsFixture.release.countDown();
        }
    }

    /**
     * LK20 with parallel execution: JUnit may run a dynamic test on another worker than its factory's, where no owner
     * is current; the leak is still that dynamic test's, never its factory's nor a clean test's running beside it.
     */
    @Test
    void LK20_aDynamicTestRunInParallelIsJudgedOnItsOwn() {
        ParallelFactoryFixture.release = new CountDownLatch(1);
        ParallelFactoryFixture.leaked = new CountDownLatch(1);
        ParallelFactoryFixture.cleanRunning = new CountDownLatch(1);
        try {
            Map<String, String> o = run(PARALLEL, selectClass(ParallelFactoryFixture.class));
            assertThat(ParallelFactoryFixture.leaked.getCount()).as("the dynamic test leaked while the clean test ran").isZero();
            assertThat(outcome(o, "[test-factory:factory()]/[dynamic-test:#2]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the dynamic test ended")
                    .contains("\"parallel-dynamic-leak\"").contains("owned by \"test ParallelFactoryFixture.factory() > dyn-b\"");
            assertThat(outcome(o, "[test-factory:factory()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:clean()]")).isEqualTo("SUCCESSFUL");
        } finally {
            ParallelFactoryFixture.release.countDown();
        }
    }

    /**
     * LK19: a test that {@code @Timeout} ends (JUnit's watcher interrupts it, or abandons the thread it ran the test
     * on) still fails for the goroutine it left, beside the timeout; JUnit's timeout threads are never reported.
     */
    @Test
    void LK19_aTestThatTimesOutIsStillCheckedAndJUnitsTimeoutThreadsAreNot() {
        TimeoutFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(TimeoutFixture.class));
            assertThat(outcome(o, "[method:timesOutSameThread()]")).startsWith("FAILED: timesOutSameThread() timed out")
                    .contains("suppressed: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"same-thread-timeout-leak\"").doesNotContain("platform thread");
            assertThat(outcome(o, "[method:timesOutSeparateThread()]")).startsWith("FAILED: timesOutSeparateThread() timed out")
                    .contains("suppressed: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"separate-thread-timeout-leak\"").doesNotContain("platform thread");
            assertThat(outcome(o, "[method:cleanSameThread()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:cleanSeparateThread()]")).isEqualTo("SUCCESSFUL");
        } finally {
            TimeoutFixture.release.countDown();
        }
    }

    /**
     * LK21: with parallel execution on, a goroutine with no owner the check can read, started while a checked test ran,
     * is judged by when it started (LK5) and may be a test's without the check: the report says so, even when no other
     * checked test ran beside it.
     */
    @Test
    void LK21_aParallelRunSaysThatTestsWithoutTheCheckMayHaveStartedIt() throws Exception {
        UncheckedLeakyFixture.release = new CountDownLatch(1);
        UncheckedLeakyFixture.checkedRunning = new CountDownLatch(1);
        UncheckedLeakyFixture.leaked = new CountDownLatch(1);
        try {
            Map<String, String> o = run(PARALLEL, selectClass(UncheckedLeakyFixture.class), selectClass(UncheckedLeakyFixture.Checked.class));
            assertThat(UncheckedLeakyFixture.leaked.getCount()).as("the unchecked test leaked while the checked one ran").isZero();
            assertThat(outcome(o, "[method:leaksWithoutTheCheck()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:runsBesideAnUncheckedLeak()]"))
                    .startsWith("FAILED: 1 goroutine still running 200 ms after the test ended").contains("\"unchecked-leak\"")
                    .contains("note: JUnit ran tests in parallel, and tests without @NoGoroutineLeaks are not known to the check");
        } finally {
            UncheckedLeakyFixture.release.countDown();
            LeakCheckTest.endGoroutines("unchecked-leak");
        }
    }

    /**
     * LK19: a per-class instance's non-static {@code @BeforeAll} and an outer {@code @AfterAll} leak for the class, not
     * its tests; an outer {@code @BeforeEach} leaks for the nested test it ran for; a test an assumption aborted after
     * it started a goroutine fails for it.
     */
    @Test
    void LK19_lifecycleFormsBlameTheWindowThatRan() {
        LifecycleFormsFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(LifecycleFormsFixture.class));
            assertThat(outcome(o, "[method:clean()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:abortedAfterStartingAGoroutine()]")).startsWith("FAILED: 1 goroutine still running")
                    .contains("\"aborted-leak\"");
            assertThat(outcome(o, "[method:leaksThroughTheOuterBeforeEach()]")).startsWith("FAILED: 1 goroutine still running")
                    .contains("\"outer-beforeeach-leak\"").doesNotContain("afterall").doesNotContain("per-class");
            assertThat(outcome(o, "[nested-class:Inner]")).isEqualTo("SUCCESSFUL");
            assertThat(o.get("")).as("the class").startsWith("FAILED: 2 goroutines still running 200 ms after the test class's @AfterAll")
                    .contains("\"per-class-beforeall-leak\"").contains("\"outer-afterall-leak\"").doesNotContain("aborted-leak")
                    .doesNotContain("outer-beforeeach-leak");
        } finally {
            LifecycleFormsFixture.release.countDown();
        }
    }
}
