package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.Goroutines;
import io.gochan.leakcheck.fixtures.CleanFixture;
import io.gochan.leakcheck.fixtures.LeakingFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import io.gochan.Goroutine;
import io.gochan.leakcheck.fixtures.IgnoreFixture;
import io.gochan.leakcheck.fixtures.LateIgnoreFixture;
import io.gochan.leakcheck.fixtures.OwnerFixture;
import io.gochan.leakcheck.fixtures.OwnerLeakFixture;
import io.gochan.leakcheck.fixtures.ParallelFixture;
import io.gochan.leakcheck.fixtures.ParallelPlatformFixture;
import io.gochan.leakcheck.fixtures.PlatformThreadFixture;
import io.gochan.leakcheck.fixtures.RawVirtualThreadFixture;
import org.junit.platform.launcher.listeners.TestExecutionSummary.Failure;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.DiscoverySelector;

/** Runs the fixtures through the JUnit Platform launcher and checks what the extension reports. */
class LeakCheckTest {

    static TestExecutionSummary run(DiscoverySelector selector) {
        return run(selector, Map.of());
    }

    static TestExecutionSummary run(DiscoverySelector selector, Map<String, String> configuration) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selector)
                .configurationParameters(configuration).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        return listener.getSummary();
    }

    @Test
    void aLeakingTestFailsWithTheGoroutinesNameBlockerStackAndStartSite() throws Exception {
        TestExecutionSummary s = run(selectClass(LeakingFixture.class));
        try {
            assertThat(s.getTestsFailedCount()).isEqualTo(1);
            Throwable failure = s.getFailures().get(0).getException();
            assertThat(failure).isInstanceOf(AssertionError.class);
            assertThat(failure.getMessage())
                    .contains("1 goroutine still running")
                    .contains("\"stuck-sender\"")
                    .contains("blocked on send on chan(cap=0")
                    .contains("at io.gochan.Chan.send")
                    .contains("started at:")
                    .contains("LeakingFixture.leaksASender");
        } finally {
            LeakingFixture.STUCK.receive(); // release the leaked goroutine
        }
    }

    @Test
    void cleanAndAllowListedTestsPass() throws Exception {
        TestExecutionSummary s = run(selectMethod(CleanFixture.class, "joinsItsGoroutine"));
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        s = run(selectMethod(CleanFixture.class, "allowListedGoroutineIsIgnored"));
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        CleanFixture.ALLOWED.send(1);
    }

    @Test
    void theGracePeriodWaitsForGoroutinesThatAreFinishing() throws Exception {
        // Close FINISH as soon as the fixture's goroutine is running, from outside the fixture: the
        // extension's check is then waiting on it (or about to), and must let it finish.
        Thread closer = Thread.ofVirtual().start(() -> {
            while (Goroutines.live().stream().noneMatch(g -> g.name().equals("finishing"))) {
                // A virtual spinner parks, never only yields: with another on its carrier they would
                // hand it to each other forever (JDK 25), and the fixture's goroutine might not run.
                java.util.concurrent.locks.LockSupport.parkNanos(1_000);
            }
            CleanFixture.FINISH.close();
        });
        TestExecutionSummary s = run(selectMethod(CleanFixture.class, "goroutineStillFinishingGetsTheGracePeriod"));
        assertThat(closer.join(Duration.ofSeconds(20))).isTrue();
        assertThat(s.getFailures()).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
    }

    @Test
    void leakFinderWorksWithoutJUnit() throws Exception {
        var ch = io.gochan.Chan.<Integer>make();
        var g = io.gochan.Go.go("plain-leak", ch::receive);
        // Parked in its receive before the report is made (not "within the 50 ms grace", which a loaded machine
        // may not give a new virtual thread): the report below must name that receive.
        long parkedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (g.blockedOn().isEmpty()) {
            assertThat(System.nanoTime() - parkedBy).as("plain-leak parked in its receive within 20 s").isNegative();
            Thread.onSpinWait();
            Thread.yield();
        }
        List<io.gochan.Goroutine> leaked = LeakFinder.awaitQuiet(java.util.Set.of(), List.of(), Duration.ofMillis(50));
        assertThat(leaked).contains(g);
        assertThat(LeakFinder.report(leaked, 50)).contains("plain-leak").contains("receive from chan");
        ch.send(1);
        assertThat(g.join(Duration.ofSeconds(10))).isTrue();
    }

    /** The failure messages by test method name. */
    static Map<String, String> failures(TestExecutionSummary s) {
        return s.getFailures().stream().collect(Collectors.toMap(
                f -> f.getTestIdentifier().getDisplayName(), f -> String.valueOf(f.getException().getMessage())));
    }

    @Test
    void LK7_aGoroutineThatParksInAnIgnoredFunctionAfterTheCheckBeganIsIgnoredWithoutWaitingOutTheGrace()
            throws Exception {
        // The gate opens once this thread, which runs the fixture, waits in the check for the goroutine:
        // only then does the goroutine park in its ignored function. The check used to join it until the
        // grace period (60 s here) was over before looking again.
        Thread runner = Thread.currentThread();
        Thread opener = Thread.ofPlatform().daemon().start(() -> {
            try {
                while (!waitsInTheCheck(runner)) {
                    if (Thread.currentThread().isInterrupted()) {
                        return; // the check never waited: the assertions below say so
                    }
                    Thread.onSpinWait();
                    Thread.yield();
                }
                LateIgnoreFixture.GATE.send(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();
        try {
            TestExecutionSummary s = run(selectClass(LateIgnoreFixture.class));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(failures(s)).isEmpty();
            assertThat(s.getTestsSucceededCount()).isEqualTo(1);
            assertThat(took).as("the check saw the goroutine ignored before its 60 s grace period was over")
                    .isLessThan(Duration.ofSeconds(30));
        } finally {
            endGoroutines("late-parker");
            opener.interrupt();
            assertThat(opener.join(Duration.ofSeconds(20))).as("opener ended").isTrue();
        }
    }

    private static boolean waitsInTheCheck(Thread t) {
        if (t.getState() != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(Judge.class.getName()) && e.getMethodName().equals("await")) {
                return true;
            }
        }
        return false;
    }

    /** Ends the fixtures' leaked goroutines (by name) so that the next meta-test starts clean. */
    static void endGoroutines(String... names) throws InterruptedException {
        List<String> list = List.of(names);
        for (Goroutine g : Goroutines.live()) {
            if (list.contains(g.name())) {
                g.interrupt();
                assertThat(g.join(Duration.ofSeconds(20))).as("%s ended", g).isTrue();
            }
        }
    }

    @Test
    void LK6_virtualThreadsThatAreNotGoroutinesAreLeaksToo() throws Exception {
        RawVirtualThreadFixture.release = new CountDownLatch(1);
        try {
            TestExecutionSummary s = run(selectClass(RawVirtualThreadFixture.class));
            Map<String, String> failed = failures(s);
            assertThat(failed).containsOnlyKeys("leaksAThreadOfVirtual()", "leaksAnExecutorTask()");
            assertThat(failed.get("leaksAThreadOfVirtual()"))
                    .startsWith("1 virtual thread still running 200 ms after the test ended:")
                    .contains("\"raw-blocked\" [waiting], not a goroutine (container <root>)")
                    .contains("RawVirtualThreadFixture.awaitQuietly(RawVirtualThreadFixture.java:")
                    .contains("RawVirtualThreadFixture.lambda$leaksAThreadOfVirtual$");
            assertThat(failed.get("leaksAnExecutorTask()"))
                    .startsWith("1 virtual thread still running")
                    .contains("container java.util.concurrent.ThreadPerTaskExecutor@")
                    .contains("RawVirtualThreadFixture.lambda$leaksAnExecutorTask$");
            // joinsItsThread, ignoredByTopFunction, notCheckedWhenTurnedOff, and the platform thread (LK6).
            assertThat(s.getTestsSucceededCount()).isEqualTo(4);
        } finally {
            RawVirtualThreadFixture.release.countDown();
        }
    }

    @Test
    void LK11_platformThreadsCreatedByATestAreLeaksByDefault() throws Exception {
        PlatformThreadFixture.release = new CountDownLatch(1);
        try {
            TestExecutionSummary s = run(selectClass(PlatformThreadFixture.class));
            Map<String, String> failed = failures(s);
            assertThat(failed).containsOnlyKeys("leaksAThread()", "leaksAFixedPool()");
            assertThat(failed.get("leaksAThread()"))
                    .startsWith("1 platform thread still running 200 ms after the test ended:")
                    .contains("\"raw-platform\" [waiting, daemon]")
                    .contains("RawVirtualThreadFixture.awaitQuietly(RawVirtualThreadFixture.java:")
                    .contains("PlatformThreadFixture.lambda$leaksAThread$");
            assertThat(failed.get("leaksAFixedPool()"))
                    .startsWith("1 platform thread still running")
                    .contains("\"fixed-pool-worker\" [waiting]")
                    .contains("java.util.concurrent.ThreadPoolExecutor.getTask(");
            // joinsItsThread, itsThreadEndsWithinTheGracePeriod, usesTheCommonPoolAndVirtualThreads, hasATimeout,
            // allowedByName, notCheckedWhenTurnedOff.
            assertThat(s.getTestsSucceededCount()).isEqualTo(6);
        } finally {
            PlatformThreadFixture.release.countDown();
            if (PlatformThreadFixture.leakedPool != null) {
                PlatformThreadFixture.leakedPool.shutdownNow();
                assertThat(PlatformThreadFixture.leakedPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void LK9_noThreadDumpWhenOnlyGoroutinesWereCreatedAndTheyEnded() {
        long before = ThreadDump.TAKEN.get();
        TestExecutionSummary s = run(selectMethod(CleanFixture.class, "joinsItsGoroutine"));
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        assertThat(ThreadDump.TAKEN.get()).as("dumps taken for a test that created only goroutines").isEqualTo(before);

        s = run(selectMethod(RawVirtualThreadFixture.class, "joinsItsThread"));
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        assertThat(ThreadDump.TAKEN.get()).as("a test that created another thread is dumped").isGreaterThan(before);
    }

    @Test
    void LK3_parallelTestsAreJudgedOnTheirOwnGoroutines() throws Exception {
        ParallelFixture.bothRunning = new CountDownLatch(2);
        ParallelFixture.leaked = new CountDownLatch(1);
        try {
            TestExecutionSummary s = run(selectClass(ParallelFixture.class), Map.of(
                    "junit.jupiter.execution.parallel.enabled", "true",
                    "junit.jupiter.execution.parallel.config.strategy", "fixed",
                    "junit.jupiter.execution.parallel.config.fixed.parallelism", "2"));
            assertThat(ParallelFixture.bothRunning.getCount()).as("the two tests overlapped").isZero();
            Map<String, String> failed = failures(s);
            assertThat(failed).containsOnlyKeys("leaky()");
            assertThat(failed.get("leaky()")).startsWith("1 goroutine still running")
                    .contains("\"parallel-leak\"").contains("owned by \"test ParallelFixture.leaky()\"")
                    .doesNotContain("note:");
            assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        } finally {
            endGoroutines("parallel-leak");
        }
    }

    @Test
    void LK11_theTestRunnersParallelWorkersAreNotATestsLeak() {
        ParallelPlatformFixture.arrived = new CountDownLatch(6);
        TestExecutionSummary s = run(selectClass(ParallelPlatformFixture.class), Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "2"));
        assertThat(failures(s)).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(6);
    }

    @Test
    void LK4_LK8_aSharedOwnersGoroutinesAreTheClasssNotItsTests() throws Exception {
        OwnerFixture.endOnClose = true;
        TestExecutionSummary s = run(selectClass(OwnerFixture.class));
        assertThat(s.getFailures()).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(2);

        OwnerFixture.endOnClose = false;
        try {
            s = run(selectClass(OwnerFixture.class));
            assertThat(s.getTestsSucceededCount()).isEqualTo(2);
            Map<String, String> failed = failures(s);
            assertThat(failed).containsOnlyKeys("OwnerFixture");
            assertThat(failed.get("OwnerFixture"))
                    .startsWith("2 goroutines still running 300 ms after the test class's @AfterAll methods ended:")
                    .contains("\"idle-loop\"").contains("\"idle-read\"")
                    .contains("owned by \"shared-pool\" (closed)");
        } finally {
            endGoroutines("idle-loop", "idle-read");
            OwnerFixture.endOnClose = true;
        }
    }

    @Test
    void LK4_anOwnerLeftOpenOrWhoseGoroutinesOutliveItsCloseIsTheTestsLeak() throws Exception {
        try {
            Map<String, String> failed = failures(run(selectClass(OwnerLeakFixture.class)));
            assertThat(failed).containsOnlyKeys("neverClosesItsOwner()", "closesItsOwnerButTheGoroutineStays()");
            assertThat(failed.get("neverClosesItsOwner()")).contains("\"forgotten-worker\"")
                    .contains("owned by \"forgotten-pool\"\n")
                    .contains("note: owner \"forgotten-pool\" was created by this test and is still open");
            assertThat(failed.get("closesItsOwnerButTheGoroutineStays()")).contains("\"outliving-worker\"")
                    .contains("owned by \"closed-pool\" (closed)");
        } finally {
            endGoroutines("forgotten-worker", "outliving-worker", "ignored-worker");
        }
    }

    @Test
    void LK5_LK7_goleaksOptions() throws Exception {
        Goroutine before = io.gochan.Go.go("started-before", IgnoreFixture.STUCK::receive);
        try {
            Map<String, String> failed = failures(run(selectClass(IgnoreFixture.class)));
            assertThat(failed).containsOnlyKeys("withoutIgnoreCurrentEarlierGoroutinesAreReported()");
            assertThat(failed.get("withoutIgnoreCurrentEarlierGoroutinesAreReported()")).contains("\"started-before\"");
        } finally {
            endGoroutines("started-before", "any-function", "created-here");
        }
        assertThat(before.isAlive()).isFalse();
    }
}
