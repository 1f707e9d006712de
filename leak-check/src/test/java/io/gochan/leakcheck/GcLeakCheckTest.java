package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.Goroutines;
import io.gochan.leakcheck.fixtures.CleanFixture;
import io.gochan.leakcheck.fixtures.OrphanFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * LK10 through {@code @NoGoroutineLeaks}: with the JVM's opt-in GC detection on, a test that leaves a
 * goroutine blocked on a channel nothing reaches fails, naming it as blocked forever, with where it was
 * started. Runs in its own JVM (the {@code gc-leaks} surefire execution of leak-check/pom.xml).
 */
@EnabledIfSystemProperty(named = "gochan.goroutine.gcLeaks", matches = "true")
class GcLeakCheckTest {

    @Test
    void LK10_aTestThatOrphansAGoroutineFailsWithItsNameAndStartSite() {
        TestExecutionSummary s = LeakCheckTest.run(selectClass(OrphanFixture.class));
        assertThat(s.getTestsFailedCount()).isEqualTo(1);
        Throwable failure = s.getFailures().get(0).getException();
        assertThat(failure).isInstanceOf(AssertionError.class);
        assertThat(failure.getMessage())
                .contains("1 goroutine blocked forever on something nothing live can reach (collected by the GC, LK10)")
                .contains("\"orphan\" was collected while blocked")
                .contains("OrphanFixture.leavesAnOrphan")
                .doesNotContain("still running");
        assertThat(Goroutines.live()).extracting(g -> g.name()).doesNotContain("orphan");
    }

    @Test
    void LK10_aCleanTestStillPasses() {
        TestExecutionSummary s = LeakCheckTest.run(selectMethod(CleanFixture.class, "joinsItsGoroutine"));
        assertThat(s.getTestsFailedCount()).as("failures: %s", s.getFailures().isEmpty() ? "none"
                : s.getFailures().get(0).getException().getMessage()).isZero();
        assertThat(s.getTestsSucceededCount()).isPositive();
    }
}
