package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.leakcheck.fixtures.AutoCloseFixture;
import io.gochan.leakcheck.fixtures.ClassLifecycleFixture;
import io.gochan.leakcheck.fixtures.FailingLeakFixture;
import io.gochan.leakcheck.fixtures.ParameterizedClassFixture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A test class's lifecycle as goleak's users expect it (LK40 to LK42): what {@code @BeforeAll} starts and
 * {@code @AfterAll} stops is nobody's leak (goleak's {@code VerifyTestMain} looks only after all tests); what it never
 * stops is the class's, once, never a test's; a failure and a leak are both reported. Fixtures run through the launcher.
 */
class ClassLifecycleTest {
    private static Map<String, String> run(Class<?> fixture, List<String> published) {
        return JUnitFeaturesTest.run(Map.of(), published, selectClass(fixture));
    }

    private static Map<String, String> runLifecycle(boolean stop) {
        ClassLifecycleFixture.stopInAfterAll = stop;
        ClassLifecycleFixture.release = new CountDownLatch(1);
        return run(ClassLifecycleFixture.class, new CopyOnWriteArrayList<>());
    }

    /**
     * LK42: a goroutine, a raw virtual thread, a JDK HttpServer and an afterFunc started in {@code @BeforeAll} (a
     * per-class nested class's non-static one too) and stopped in {@code @AfterAll}, and a server started in
     * {@code @BeforeEach} and stopped in {@code @AfterEach}, are nobody's leak: not the tests' (plain, repeated,
     * parameterized, nested) that used them, not the classes'.
     */
    @Test
    void LK42_whatAfterAllStopsIsNobodysLeak() {
        try {
            Map<String, String> o = runLifecycle(true);
            assertThat(o).hasSize(11).allSatisfy((id, outcome) -> assertThat(outcome).as(id).isEqualTo("SUCCESSFUL"));
        } finally {
            ClassLifecycleFixture.release.countDown();
        }
    }

    /**
     * LK41, LK42: what {@code @BeforeAll} never stops fails its class once, after its {@code @AfterAll} methods, each
     * thing named with where it was started, and none of the tests that ran meanwhile; a nested class's fails the
     * nested class only. The server's threads say the class's callbacks started them, not a test (LK41: before, the
     * report said "started while the test ran" in the class's report).
     */
    @Test
    void LK41_LK42_whatBeforeAllLeavesFailsItsClassOnceNamingWhoStartedIt() {
        try {
            Map<String, String> o = runLifecycle(false);
            o.forEach((id, outcome) -> {
                if (id.contains("method:") || id.contains("test-template")) {
                    assertThat(outcome).as(id).isEqualTo("SUCCESSFUL");
                }
            });
            assertThat(o.get("")).as("the class")
                    .startsWith("FAILED: 1 goroutine and 1 virtual thread and 2 platform threads still running 1000 ms after"
                            + " the test class's @AfterAll methods ended")
                    .contains("\"class-goroutine\"", "owned by \"class ClassLifecycleFixture\"",
                            "ClassLifecycleFixture.startsWhatItsTestsUse(", "\"class-raw-virtual\"", "\"HTTP-Dispatcher\"",
                            "the dispatcher of a JDK HttpServer (com.sun.net.httpserver) started while the test class's"
                                    + " @BeforeAll or @AfterAll methods ran and never stopped",
                            "a timer of a JDK HttpServer (com.sun.net.httpserver) created while the test class's @BeforeAll"
                                    + " or @AfterAll methods ran (HttpServer.create",
                            "class ClassLifecycleFixture left 1 timer scheduled")
                    .doesNotContain("while the test ran").doesNotContain("nested-class-goroutine");
            assertThat(o.get("[nested-class:PerClassInner]")).as("the nested class")
                    .startsWith("FAILED: 1 goroutine and 2 platform threads still running 1000 ms after the test class's"
                            + " @AfterAll methods ended")
                    .contains("\"nested-class-goroutine\"", "owned by \"class PerClassInner\"", "\"HTTP-Dispatcher\"")
                    .doesNotContain("while the test ran").doesNotContain("\"class-goroutine\"");
        } finally {
            ClassLifecycleFixture.release.countDown();
            ClassLifecycleFixture.timer.stop();
            ClassLifecycleFixture.server.stop(0);
            ClassLifecycleFixture.innerServer.stop(0);
        }
    }

    /**
     * LK40: a test that fails and leaks keeps its own failure as the one reported, the leak report attached; one whose
     * failure was made with suppression disabled (and a class whose {@code @AfterAll} failed so) still fails with it,
     * and the leak report is published as the test's (the class's) report entry. Before, JUnit's
     * {@code addSuppressed} kept nothing of it and nothing said the test had leaked.
     */
    @Test
    void LK40_aFailureThatCannotKeepTheLeakReportHasItPublished() {
        FailingLeakFixture.release = new CountDownLatch(1);
        List<String> published = new CopyOnWriteArrayList<>();
        try {
            Map<String, String> o = run(FailingLeakFixture.class, published);
            assertThat(o.get("[method:failsAndLeaks()]")).startsWith("FAILED: " + FailingLeakFixture.TEST_FAILURE
                    + "\nsuppressed: 1 goroutine still running 200 ms after the test ended").contains("\"failing-leak\"");
            assertThat(o.get("[method:failsLightweightAndLeaks()]")).isEqualTo("FAILED: " + FailingLeakFixture.LIGHTWEIGHT_FAILURE);
            assertThat(o.get("")).as("the class").isEqualTo("FAILED: " + FailingLeakFixture.CLASS_FAILURE);
            assertThat(published).as("the reports the failures could not keep").hasSize(2);
            assertThat(published).filteredOn(e -> e.startsWith("[method:failsLightweightAndLeaks()]|")).singleElement()
                    .asString().contains("goroutine-leak-check=java.lang.AssertionError: 1 goroutine still running 200 ms"
                            + " after the test ended").contains("\"lightweight-test-leak\"").doesNotContain("class-leak");
            assertThat(published).filteredOn(e -> e.startsWith("|")).singleElement().asString()
                    .contains("goroutine-leak-check=java.lang.AssertionError: 1 goroutine still running 200 ms after the"
                            + " test class's @AfterAll methods ended").contains("\"class-leak\"").doesNotContain("test-leak");
        } finally {
            FailingLeakFixture.release.countDown();
        }
    }

    /**
     * LK43: what JUnit ends after the check's after callbacks is no leak: an instance's and a class's {@code @AutoClose}
     * pools, a thread an extension registered before the check stops in its {@code afterEach}. Before, the check ran
     * in its own {@code afterEach} and {@code afterAll}, before JUnit closed them: the test failed for both pools'
     * workers and the extension's thread.
     */
    @Test
    void LK43_whatJUnitEndsAfterTheChecksCallbacksIsNoLeak() {
        Map<String, String> o = run(AutoCloseFixture.class, new CopyOnWriteArrayList<>());
        assertThat(o).hasSize(3).allSatisfy((id, outcome) -> assertThat(outcome).as(id).isEqualTo("SUCCESSFUL"));
    }

    /**
     * LK19: a test of a {@code @ParameterizedClass} that leaks in one invocation of the class fails there alone, and its
     * report names that invocation. Before, both invocations' tests were named {@code test C.leaksForPear()}.
     */
    @Test
    void LK19_aParameterizedClassesInvocationIsNamed() {
        ParameterizedClassFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(ParameterizedClassFixture.class, new CopyOnWriteArrayList<>());
            assertThat(BlindSpotTest.outcome(o, "[class-template-invocation:#1]/[method:leaksForPear()]")).isEqualTo("SUCCESSFUL");
            assertThat(BlindSpotTest.outcome(o, "[class-template-invocation:#2]/[method:leaksForPear()]")).startsWith("FAILED: 1 goroutine")
                    .contains("\"pear-leak\"", "owned by \"test ParameterizedClassFixture.leaksForPear() of [2] fruit = \"pear\"\"");
            assertThat(BlindSpotTest.outcome(o, "[class-template:" + ParameterizedClassFixture.class.getName() + "]"))
                    .as("the class template").isEqualTo("SUCCESSFUL");
        } finally {
            ParameterizedClassFixture.release.countDown();
        }
    }
}
