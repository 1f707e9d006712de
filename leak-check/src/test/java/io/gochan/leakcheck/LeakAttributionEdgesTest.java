package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.leakcheck.fixtures.BubbleDriverParallelFixture;
import io.gochan.leakcheck.fixtures.SeparateThreadTimeoutFixture;
import io.gochan.leakcheck.fixtures.BubbleLeftRunningFixture;
import io.gochan.leakcheck.fixtures.ConstructorGoroutineFixture;
import io.gochan.leakcheck.fixtures.DelaySchedulerLookalikeFixture;
import io.gochan.leakcheck.fixtures.DoubleRegistrationFixture;
import io.gochan.leakcheck.fixtures.InterruptFlagFixture;
import io.gochan.leakcheck.fixtures.JdkDelaySchedulerFixture;
import io.gochan.leakcheck.fixtures.MethodOnlyConstructorGoroutineFixture;
import io.gochan.leakcheck.fixtures.ParallelClassAFixture;
import io.gochan.leakcheck.fixtures.ParallelClassBFixture;
import io.gochan.leakcheck.fixtures.PerClassConstructorFixture;
import io.gochan.leakcheck.fixtures.ThrowingConstructorFixture;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Whose leak it is at the edges of JUnit's lifecycle: per-class and per-method test instances, a second
 * registration of the extension, classes run in parallel, the JDK's delayer thread, a stale interrupt flag; each
 * test failed before its fix (LK11's JDK fixture can fail only on
 * JDK 21-24; its lookalike fails on any JDK). Fixtures (package fixtures, excluded
 * from surefire as their neighbours are) run through the launcher as in {@link JUnitFeaturesTest}.
 */
class LeakAttributionEdgesTest {
    private static final Map<String, String> PARALLEL_METHODS = Map.of(
            "junit.jupiter.execution.parallel.enabled", "true",
            "junit.jupiter.execution.parallel.config.strategy", "fixed",
            "junit.jupiter.execution.parallel.config.fixed.parallelism", "2");
    private static final Map<String, String> PARALLEL_CLASSES = Map.of(
            "junit.jupiter.execution.parallel.enabled", "true",
            "junit.jupiter.execution.parallel.mode.classes.default", "concurrent",
            "junit.jupiter.execution.parallel.config.strategy", "fixed",
            "junit.jupiter.execution.parallel.config.fixed.parallelism", "2");

    /** Outcomes by full unique id, each with its message and its suppressed exceptions' messages. */
    private static Map<String, String> run(Map<String, String> config, DiscoverySelector... selectors) {
        Map<String, String> outcomes = java.util.Collections.synchronizedMap(new TreeMap<>());
        var request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).configurationParameters(config).build();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                outcomes.put(id.getUniqueId(), r.getStatus() + r.getThrowable().map(t -> ": " + t + Arrays.stream(t.getSuppressed())
                        .map(s -> "\nsuppressed: " + s).reduce("", String::concat)).orElse(""));
            }
        });
        return outcomes;
    }

    private static String outcome(Map<String, String> outcomes, String idSuffix) {
        return outcomes.entrySet().stream().filter(e -> e.getKey().endsWith(idSuffix)).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no " + idSuffix + " in " + outcomes.keySet()));
    }

    private static String classId(Class<?> c) {
        return "[class:" + c.getName() + "]";
    }

    /**
     * Finding 1 (LK14, LK8): with {@code @TestInstance(PER_CLASS)} JUnit constructs the instance before the
     * BeforeAllCallbacks, so before the class window opens; what its field initializers start is judged by nobody.
     */
    @Test
    void LK14_whatAPerClassInstanceStartsInItsFieldInitializersFailsTheClass() throws Exception {
        PerClassConstructorFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(PerClassConstructorFixture.class));
            assertThat(outcome(o, "[method:usesTheFields()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, classId(PerClassConstructorFixture.class))).as("the class")
                    .startsWith("FAILED")
                    .contains("\"per-class-field-goroutine\"")
                    .contains("\"per-class-field-thread\""); // before: SUCCESSFUL, both left running unreported
        } finally {
            PerClassConstructorFixture.release.countDown();
        }
    }

    /**
     * Finding 4 (LK3, LK14): a goroutine a PER_METHOD test instance's field initializer starts is the test's, as a
     * thread made there is (LK14); with the check on the method only it must not go unreported.
     */
    @Test
    void LK14_aGoroutineTheTestInstanceStartsIsTheTestsNotTheClasss() throws Exception {
        ConstructorGoroutineFixture.release = new CountDownLatch(1);
        MethodOnlyConstructorGoroutineFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(ConstructorGoroutineFixture.class));
            assertThat(outcome(o, "[method:startsNothingItself()]")).as("the test whose instance started it")
                    .startsWith("FAILED").contains("\"constructor-goroutine\""); // before: SUCCESSFUL
            assertThat(outcome(o, classId(ConstructorGoroutineFixture.class))).as("the class")
                    .doesNotContain("constructor-goroutine"); // before: FAILED, owned by "class ConstructorGoroutineFixture"

            Map<String, String> m = run(Map.of(), selectClass(MethodOnlyConstructorGoroutineFixture.class));
            assertThat(outcome(m, "[method:startsNothingItself()]")).as("checked on the method only")
                    .startsWith("FAILED").contains("\"method-only-constructor-goroutine\""); // before: SUCCESSFUL, no one reports it
        } finally {
            ConstructorGoroutineFixture.release.countDown();
            MethodOnlyConstructorGoroutineFixture.release.countDown();
        }
    }

    /**
     * Finding 2 (LK23): the extension registered twice (annotation and @RegisterExtension) must not leave a window's
     * owner entered on the thread that ran the tests (the launcher runs them on its calling thread). Before, the first
     * instance's windows were overwritten in the store, never ended nor closed: the thread kept the class's owner,
     * every goroutine it started afterwards was attributed to it, and the never-ended test window stayed "running"
     * beside every later test in the JVM.
     */
    @Test
    void LK23_aSecondRegistrationOfTheExtensionLeavesNoOwnerEnteredOnTheRunnersThread() throws Exception {
        assertThat(runAlone(DoubleRegistrationFixture.class, "[method:clean()]")).isEqualTo("SUCCESSFUL");
    }

    /** LK23, LK14: the test's window opens before its instance's construction; when that throws, it still closes. */
    @Test
    void LK23_aTestInstanceWhoseConstructionThrowsLeavesNoOwnerEnteredOnTheRunnersThread() throws Exception {
        assertThat(runAlone(ThrowingConstructorFixture.class, "[method:neverRuns()]"))
                .startsWith("FAILED").contains("constructor fails");
    }

    /**
     * Runs a fixture on a thread of its own, which ends with the meta-test (so an owner the run leaves entered cannot
     * reach later meta-tests through this runner's thread), and checks that no owner is current there afterwards.
     *
     * @return the outcome of the fixture's test {@code idSuffix}
     */
    private static String runAlone(Class<?> fixture, String idSuffix) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Object> probes = new java.util.concurrent.atomic.AtomicReference<>();
        Thread runner = Thread.ofPlatform().name("isolated-fixture-runner").start(() -> {
            try {
                Goroutine before = Go.go("isolated-probe-before", () -> { });
                before.join();
                Map<String, String> o = run(Map.of(), selectClass(fixture));
                Goroutine after = Go.go("isolated-probe-after", () -> { });
                after.join();
                probes.set(java.util.List.of(before.owner(), outcome(o, idSuffix), after.owner()));
            } catch (Throwable t) {
                probes.set(t);
            }
        });
        runner.join(60_000);
        assertThat(runner.isAlive()).as("the runner thread ended").isFalse();
        if (probes.get() instanceof Throwable t) {
            throw new AssertionError(t);
        }
        java.util.List<?> p = (java.util.List<?>) probes.get();
        assertThat(p.get(0)).as("precondition: no owner current on the runner's thread").isEqualTo(java.util.Optional.empty());
        assertThat(p.get(2)).as("an owner left entered by the run on the runner's thread").isEqualTo(java.util.Optional.empty());
        return (String) p.get(1);
    }

    /**
     * Finding 3 (LK14, LK6): with classes in parallel, a thread class A's @BeforeAll leaves running while a test of
     * class B runs fails class A; if B's test is blamed too (its id range holds the thread), its report names class
     * A. Before, class A passed (B's test's id range is subtracted from A's, as if B's test were A's own) and B's test
     * fails alone, naming no class.
     */
    @Test
    void LK14_aThreadAClassMakesWhileAnotherClasssTestRunsFailsThatClass() throws Exception {
        ParallelClassAFixture.bRunning = new CountDownLatch(1);
        ParallelClassAFixture.threadMade = new CountDownLatch(1);
        ParallelClassAFixture.release = new CountDownLatch(1);
        ParallelClassAFixture.overlapped = false;
        try {
            Map<String, String> o = run(PARALLEL_CLASSES, selectClass(ParallelClassAFixture.class),
                    selectClass(ParallelClassBFixture.class));
            assertThat(ParallelClassAFixture.overlapped).as("A's @BeforeAll ran while B's test ran").isTrue();
            assertThat(outcome(o, classId(ParallelClassAFixture.class))).as("class A")
                    .startsWith("FAILED").contains("\"class-a-beforeall-thread\""); // before: SUCCESSFUL
            // The thread's id lies in B's test's range too, and ids alone cannot tell whose it is: B's test reports it
            // as well, naming class A as having run beside it (LK18's "each that ran reports it, naming the others").
            assertThat(outcome(o, "[method:cleanWhileClassAStartsItsThread()]")).as("B's test, blamed by its id range")
                    .startsWith("FAILED").contains("\"class-a-beforeall-thread\"").contains("class ParallelClassAFixture");
        } finally {
            ParallelClassAFixture.release.countDown();
        }
    }

    /**
     * Finding 5 (LK11): the JDK's own shared thread that CompletableFuture.orTimeout/completeOnTimeout/delayedExecutor
     * start on JDK 21-24 ("CompletableFutureDelayScheduler", a ScheduledThreadPoolExecutor's worker, all java.* frames,
     * alive for the JVM's life) is not a test's leak. Passes on JDK 25 (no such thread); fails on JDK 21-24 unless
     * an earlier test of the JVM already started that thread.
     */
    @Test
    void LK11_theJdksCompletableFutureDelaySchedulerIsNotATestsLeak() {
        Map<String, String> o = run(Map.of(), selectClass(JdkDelaySchedulerFixture.class));
        assertThat(outcome(o, "[method:boundsAFutureWithOrTimeout()]")).isEqualTo("SUCCESSFUL");
    }

    /**
     * Finding 5 (LK11) on the JDK 25 toolchain, where the JDK starts no such thread: one made as JDK 21-24's
     * {@code CompletableFuture.Delayer} makes it is excused; a thread of user code that only takes its name is not.
     */
    @Test
    void LK11_aThreadShapedAsTheJdksDelaySchedulerIsExcusedItsNameAloneIsNot() throws Exception {
        DelaySchedulerLookalikeFixture.release = new CountDownLatch(1);
        try {
            Map<String, String> o = run(Map.of(), selectClass(DelaySchedulerLookalikeFixture.class));
            assertThat(outcome(o, "[method:startsTheJdksDelayerThread()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "[method:leaksAThreadThatOnlyTakesItsName()]")).startsWith("FAILED")
                    .contains("\"CompletableFutureDelayScheduler\"").contains("RawVirtualThreadFixture.awaitQuietly");
        } finally {
            DelaySchedulerLookalikeFixture.release.countDown();
            if (DelaySchedulerLookalikeFixture.delayer != null) {
                DelaySchedulerLookalikeFixture.delayer.shutdownNow();
                assertThat(DelaySchedulerLookalikeFixture.delayer.awaitTermination(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    /**
     * Finding 6: a test that returns with its interrupt flag set (after checking that code under test restores it)
     * while a goroutine of its own is still finishing: the check waits for the goroutine as for any test and passes.
     * Before, the first join of the grace period threw at once on the stale flag: the test fails with a bare
     * InterruptedException from the leak check, and the goroutine is neither waited for nor reported.
     */
    @Test
    void LK24_aStaleInterruptFlagOfTheTestDoesNotAbortTheGracePeriod() throws Exception {
        try {
            Map<String, String> o = run(Map.of(), selectClass(InterruptFlagFixture.class));
            assertThat(outcome(o, "[method:returnsWithItsInterruptFlagSet()]")).isEqualTo("SUCCESSFUL");
        } finally {
            Thread.interrupted(); // the fixture ran on this thread
            LeakCheckTest.endGoroutines("interrupt-flag-finishing");
        }
    }
    /**
     * Rule LK27: the thread that drives a virtual-time bubble is not a leak. A test that ran beside another test's
     * bubble (JUnit's parallel execution) failed with that bubble's driver, made while it ran, as a virtual thread it
     * left running; a test that left a goroutine running a bubble had the driver reported beside that goroutine.
     */
    @Test
    void LK27_aBubblesDriverIsNeitherTheLeakOfATestBesideItNorReportedBesideTheGoroutineKeepingIt() throws Exception {
        BubbleDriverParallelFixture.reset();
        Map<String, String> parallel = run(PARALLEL_METHODS, selectClass(BubbleDriverParallelFixture.class));
        assertThat(BubbleDriverParallelFixture.bubbleRuns.getCount()).as("the bubble ran while quick() ran").isZero();
        assertThat(outcome(parallel, "quick()]")).isEqualTo("SUCCESSFUL");
        assertThat(outcome(parallel, "longBubble()]")).isEqualTo("SUCCESSFUL");

        try {
            Map<String, String> left = run(Map.of(), selectClass(BubbleLeftRunningFixture.class));
            assertThat(outcome(left, "leavesABubbleRunning()]"))
                    .startsWith("FAILED: java.lang.AssertionError: 1 goroutine still running 200 ms after the test ended")
                    .contains("\"bubble-root\"")
                    .doesNotContain("virtual thread").doesNotContain("gochan-bubble-");
        } finally {
            BubbleLeftRunningFixture.RELEASE.send(1); // its bubble ends, and with it the goroutine
            for (Goroutine g : Goroutines.live()) {
                if (g.name().equals("bubble-root")) {
                    assertThat(g.join(Duration.ofSeconds(20))).as("%s ended", g).isTrue();
                }
            }
        }
    }

    /**
     * Rule LK36: a goroutine started by a test that JUnit's {@code @Timeout(threadMode = SEPARATE_THREAD)} runs on a
     * thread of its own is that test's leak alone, with tests in parallel. Before, that thread, made under the test's
     * owner, only inherited it (LK17): the goroutine was judged by when it started, and the test running beside it
     * failed for it too (LK18), with a note that which of them handed that thread the task was not known.
     */
    @Test
    void LK36_aGoroutineStartedOnJUnitsSeparateTimeoutThreadIsThatTestsAlone() throws Exception {
        SeparateThreadTimeoutFixture.reset();
        try {
            Map<String, String> o = run(PARALLEL_METHODS, selectClass(SeparateThreadTimeoutFixture.class));
            assertThat(outcome(o, "runsBesideIt()]")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "leavesAGoroutineFromTheTimeoutThread()]"))
                    .startsWith("FAILED: java.lang.AssertionError: 1 goroutine still running")
                    .contains("\"left-from-the-timeout-thread\"")
                    .contains("owned by \"test SeparateThreadTimeoutFixture.leavesAGoroutineFromTheTimeoutThread()\"")
                    .doesNotContain("inherited");
        } finally {
            SeparateThreadTimeoutFixture.release.countDown();
            LeakCheckTest.endGoroutines("left-from-the-timeout-thread");
        }
    }
}
