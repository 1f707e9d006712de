package io.gochan.leakcheck;

import static io.gochan.leakcheck.LeakCheckTest.failures;
import static io.gochan.leakcheck.LeakCheckTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.BubbleDeadlockException;
import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.leakcheck.fixtures.SynctestCleanupFixture;
import io.gochan.leakcheck.fixtures.SynctestDoubleRegistrationFixture;
import io.gochan.leakcheck.fixtures.SynctestFailureFixture;
import io.gochan.leakcheck.fixtures.SynctestFixture;
import io.gochan.leakcheck.fixtures.SynctestLeakFixture;
import io.gochan.leakcheck.fixtures.SynctestParallelBubblesFixture;
import io.gochan.leakcheck.fixtures.SynctestThrowingBodyFixture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** {@link Synctest} (rules BB11-BB15, BB17): fixtures run through the JUnit Platform launcher. */
class SynctestTest {
    private static final List<String> FIXTURE_GOROUTINES = List.of("waits-for-b", "forgotten-receiver", "worker", "waits-outside", "asserts",
            "sleeper-beside", "stuck-beside", "left-by-the-deadlocking-test", "ctx-worker", "cleanup-worker");

    /** The bubbles interrupt what they leave blocked: none of the fixtures' goroutines outlives them. */
    @AfterEach
    void noFixtureGoroutineLeft() throws InterruptedException {
        for (Goroutine g : Goroutines.live()) {
            if (FIXTURE_GOROUTINES.contains(g.name())) {
                assertThat(g.join(Duration.ofSeconds(20))).as("%s ended", g).isTrue();
            }
        }
    }

    private static Throwable failure(TestExecutionSummary s) {
        assertThat(s.getTestsFailedCount()).isEqualTo(1);
        return s.getFailures().get(0).getException();
    }

    @Test
    void BB11_eachTestBodyRunsInABubbleAndLifecycleMethodsRunOutside() {
        SynctestFixture.SEEN.clear();
        long start = System.nanoTime();
        TestExecutionSummary s = run(selectClass(SynctestFixture.class));
        // A generous bound, not a speed requirement: the fixture's tests cover a day of virtual time.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(1));
        assertThat(failures(s)).isEmpty();
        assertThat(s.getTestsSucceededCount()).as("2 tests, 3 argument sets, 3 repetitions").isEqualTo(8);
        assertThat(SynctestFixture.SEEN).hasSize(24).containsOnly(
                "beforeEach inBubble=false", "test inBubble=true", "afterEach inBubble=false");
        for (int i = 0; i < 24; i += 3) {
            assertThat(SynctestFixture.SEEN.subList(i, i + 3))
                    .containsExactly("beforeEach inBubble=false", "test inBubble=true", "afterEach inBubble=false");
        }
    }

    /**
     * BB40, BB41: a {@code @Synctest} body's workers, bound to {@code Bubble.context()} or stopped by a
     * {@code Bubble.cleanup}, end inside the bubble before its end-wait, so the tests pass; {@code @AfterEach} runs
     * after, outside the bubble. Before, a worker left for {@code @AfterEach} was a deadlock on the stopped clock.
     */
    @Test
    void BB40_BB41_workersStoppedByTheContextOrACleanupEndInTheBubble() {
        SynctestCleanupFixture.SEEN.clear();
        TestExecutionSummary s = run(selectClass(SynctestCleanupFixture.class));
        assertThat(failures(s)).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(2);
        assertThat(SynctestCleanupFixture.SEEN).containsExactlyInAnyOrder(
                "ctx-worker stopped at 2000-01-01T01:30:00Z", "afterEach inBubble=false",
                "cleanup inBubble=true stopped the worker at 2000-01-01T00:01:00Z", "afterEach inBubble=false");
        assertThat(SynctestCleanupFixture.SEEN.indexOf("afterEach inBubble=false")).as("after the worker or cleanup")
                .isEqualTo(1);
    }

    @Test
    void BB12_aDeadlockFailsTheTestWithTheDumpOfTheBubble() {
        Throwable f = failure(run(selectMethod(SynctestFailureFixture.class, "deadlocks")));
        assertThat(f).isInstanceOf(BubbleDeadlockException.class);
        assertThat(f.getMessage())
                .contains("deadlock!")
                .contains("at 2000-01-01T00:05:00Z")
                .contains("\"waits-for-b\" [durably blocked on receive from chan(cap=0")
                .contains("SynctestFailureFixture.lambda$deadlocks$")
                .contains("SynctestFailureFixture.deadlocks(SynctestFailureFixture.java:");
    }

    @Test
    void BB12_aGoroutineLeftBlockedWhenTheBodyReturnsFailsTheTest() {
        Throwable f = failure(run(selectMethod(SynctestFailureFixture.class, "leavesAGoroutineBlocked")));
        assertThat(f).isInstanceOf(BubbleDeadlockException.class);
        // What the README shows.
        assertThat(f.getMessage())
                .startsWith("all goroutines in the virtual-time bubble are durably blocked and no timer is pending - deadlock!"
                        + " (at 2000-01-01T00:00:00Z, PT0S of virtual time)\n\n")
                .containsPattern("bubble root \"[^\"]*\" \\[durably blocked on the end of the bubble's other goroutines\\]\n")
                .contains("    at io.gochan.BubbleState.awaitOthersEnded(BubbleState.java:")
                .containsPattern("goroutine \\d+ \"forgotten-receiver\" \\[durably blocked on receive from chan\\(cap=0, len=0, "
                        + "open, waiting senders=0, waiting receivers=1\\)\\]\n")
                .contains("at io.gochan.Chan.receive(Chan.java:");
    }

    /**
     * Rule BB36 (with BB14): a goroutine a {@code @Synctest @NoGoroutineLeaks} test leaves blocked is reported by the
     * bubble's dump, which now says where it was started, as the leak check's own report of it outside a bubble does
     * (and Go's "created by"). Before, the start site the leak check had captured was dropped.
     */
    @Test
    void BB36_aLeakReportedByTheBubbleUnderTheLeakCheckSaysWhereItWasStarted() {
        Throwable f = failure(run(selectMethod(SynctestFailureFixture.class, "leavesAGoroutineBlockedUnderTheLeakCheck")));
        assertThat(f).isInstanceOf(BubbleDeadlockException.class);
        assertThat(f.getMessage()).containsPattern("goroutine \\d+ \"forgotten-receiver\" \\[durably blocked on receive[^\n]*\n"
                + "(    at .*\n)+  started at:\n(    at .*\n)*    at io\\.gochan\\.leakcheck\\.fixtures\\.SynctestFailureFixture"
                + "\\.leavesAGoroutineBlockedUnderTheLeakCheck\\(SynctestFailureFixture\\.java:");
    }

    /**
     * Rule BB15 (with BB12): JUnit's {@code @Timeout} interrupts the test's thread while the bubble
     * waits for a goroutine blocked on a channel made outside it; the goroutine is interrupted and the
     * test fails with JUnit's timeout. Before the fix the interrupt was ignored and the test never ended.
     */
    @Test
    void BB15_aTimeoutEndsATestWaitingForAGoroutineBlockedOutsideTheBubble() throws Exception {
        Throwable f = failure(run(selectMethod(SynctestFailureFixture.class, "timesOutWaitingForAGoroutineBlockedOutside")));
        assertThat(f).isInstanceOf(java.util.concurrent.TimeoutException.class).hasMessageContaining("timed out after 1 second");
        assertThat(f.getSuppressed()).anySatisfy(s -> assertThat(s).isInstanceOf(InterruptedException.class)
                .hasMessageContaining("BB15"));
    }

    /**
     * Rules BB8, BB12 with BB14, LK3 and LK36: two {@code @Synctest} tests of one class run at once (JUnit's parallel
     * execution, two workers; one of them on JUnit's separate timeout thread), their order fixed by latches. The bubble
     * whose root waits on a latch (not durable) keeps its clock at the epoch while the other bubble moves its own by
     * five hours and deadlocks; the deadlock fails that test alone, with a dump of its own goroutines; the first
     * bubble's sleeper is not disturbed and wakes at its own instant; the leak check reports the goroutine the
     * deadlocking test's {@code @BeforeEach} left in that test only, never the other bubble's goroutine that is alive
     * during its check. Replaces session 34's guard of parallel bubbles, which failed in CI: a goroutine started on
     * JUnit's separate timeout thread only inherited its test's owner, so the tests running beside it also reported it
     * (LK18); since LK36 the owner is entered there.
     */
    @Test
    void BB8_BB12_parallelBubblesKeepTheirClocksDeadlocksAndGoroutinesApart() {
        SynctestParallelBubblesFixture.reset();
        TestExecutionSummary s = run(selectClass(SynctestParallelBubblesFixture.class), java.util.Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "2"));
        assertThat(failures(s)).containsOnlyKeys("deadlocksBesideTheOther()");
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        Throwable f = s.getFailures().get(0).getException();
        assertThat(f).isInstanceOf(BubbleDeadlockException.class);
        assertThat(f.getMessage()).contains("deadlock!").contains("at 2000-01-01T05:00:00Z")
                .contains("\"stuck-beside\" [durably blocked on receive").doesNotContain("sleeper-beside");
        // Beside the body's InterruptedException (BB5), the leak check's report of the test's own goroutine.
        assertThat(f.getSuppressed()).filteredOn(AssertionError.class::isInstance).as("leak reports")
                .singleElement().satisfies(leak -> assertThat(leak.getMessage())
                        .startsWith("1 goroutine still running").contains("\"left-by-the-deadlocking-test\"")
                        .doesNotContain("sleeper-beside").doesNotContain("stuck-beside"));
        assertThat(SynctestParallelBubblesFixture.readAtRelease).as("the waiting bubble's clock while the other ran")
                .isEqualTo(java.time.Instant.parse("2000-01-01T00:00:00Z"));
        assertThat(SynctestParallelBubblesFixture.sleeperWokeAt).isEqualTo(java.time.Instant.parse("2000-01-01T01:00:00Z"));
    }

    @Test
    void BB12_theBodysOwnFailureIsReportedUnchanged() {
        Throwable f = failure(run(selectMethod(SynctestFailureFixture.class, "failsAnAssertionInVirtualTime")));
        assertThat(f).isInstanceOf(AssertionError.class);
        assertThat(f.getMessage()).contains("2000-01-01T00:00:05Z");
    }

    /**
     * Rule BB17 (with BB12): an assertion that fails in a goroutine of the test's bubble fails the test
     * with that AssertionError, although the test body returned normally. Before the rule the test
     * passed, the failure only logged by the uncaught-exception handler.
     */
    @Test
    void BB17_anAssertionFailingInAGoroutineFailsTheTest() {
        Throwable f = failure(run(selectMethod(SynctestFailureFixture.class, "failsAnAssertionInAGoroutine")));
        assertThat(f).isInstanceOf(AssertionError.class).hasMessageContaining("2000-01-01T00:01:00Z");
        assertThat(f.getStackTrace()).anySatisfy(e -> assertThat(e.getMethodName()).contains("failsAnAssertionInAGoroutine"));
    }

    /**
     * Rule BB35: {@code @Synctest} and a {@code @RegisterExtension} instance of {@link SynctestExtension} on one class
     * run each invocation (a test, a repetition, a {@code @Nested} test) once, in one bubble. Before, the second
     * interceptor found itself in the first one's bubble and refused it as a nested one: every test failed with
     * "bubbles do not nest".
     */
    @Test
    void BB35_registeredTwiceEachInvocationRunsOnceInOneBubble() {
        SynctestDoubleRegistrationFixture.RUNS.clear();
        TestExecutionSummary s = run(selectClass(SynctestDoubleRegistrationFixture.class));
        assertThat(failures(s)).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(4);
        assertThat(SynctestDoubleRegistrationFixture.RUNS)
                .containsExactlyInAnyOrder("test", "repetition", "repetition", "nested");
    }

    @Test
    void BB13_aNestedBubbleAndATestFactoryAreRefused() {
        Throwable nested = failure(run(selectMethod(SynctestFailureFixture.class, "nestsABubble")));
        assertThat(nested).isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest");
        // A @TestFactory is a container: its failure is the container's, and no dynamic test ran.
        TestExecutionSummary s = run(selectMethod(SynctestFailureFixture.class, "isAFactory"));
        assertThat(s.getContainersFailedCount()).isEqualTo(1);
        assertThat(s.getTestsStartedCount()).isZero();
        Throwable factory = s.getFailures().get(0).getException();
        assertThat(factory).isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("@Synctest does not support @TestFactory method isAFactory()");
    }

    @Test
    void BB14_withNoGoroutineLeaksTheLeakCheckJudgesWhatTheBubbleCannotSee() {
        SynctestLeakFixture.release = new CountDownLatch(1);
        try {
            TestExecutionSummary s = run(selectClass(SynctestLeakFixture.class));
            assertThat(failures(s)).containsOnlyKeys("aThreadThatIsNotAGoroutineIsLeftToTheLeakCheck()");
            assertThat(failures(s).get("aThreadThatIsNotAGoroutineIsLeftToTheLeakCheck()"))
                    .startsWith("1 virtual thread still running")
                    .contains("\"raw-in-bubble\"");
            assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        } finally {
            SynctestLeakFixture.release.countDown();
        }
    }

    /**
     * BB7, BB18 with LK: a body that throws while its goroutines are parked in every kind of durable wait fails
     * with its own exception, unchanged, and the leak check finds none of them: the bubble stopped them all.
     */
    @Test
    void BB7_BB18_aBodyThrowingOverParkedGoroutinesLeavesNothingForTheLeakCheck() {
        TestExecutionSummary s = run(selectClass(SynctestThrowingBodyFixture.class));
        assertThat(failures(s)).containsExactly(java.util.Map.entry("throwsWhileGoroutinesAreParked()", "the body fails"));
        assertThat(s.getFailures().get(0).getException()).isInstanceOf(IllegalArgumentException.class)
                .hasNoSuppressedExceptions();
    }
}
