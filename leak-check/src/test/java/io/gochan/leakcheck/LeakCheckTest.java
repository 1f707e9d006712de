package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.Goroutines;
import io.gochan.leakcheck.fixtures.CleanFixture;
import io.gochan.leakcheck.fixtures.LeakingFixture;
import java.time.Duration;
import java.util.List;
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
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selector).build();
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
                Thread.onSpinWait();
                Thread.yield();
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
        List<io.gochan.Goroutine> leaked = LeakFinder.awaitQuiet(java.util.Set.of(), List.of(), Duration.ofMillis(50));
        assertThat(leaked).contains(g);
        assertThat(LeakFinder.report(leaked, 50)).contains("plain-leak").contains("receive from chan");
        ch.send(1);
        assertThat(g.join(Duration.ofSeconds(10))).isTrue();
    }
}
