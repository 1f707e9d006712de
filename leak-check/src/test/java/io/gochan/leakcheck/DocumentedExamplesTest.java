package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.Goroutine;
import io.gochan.Goroutines;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The README's leak-checking example ({@code fixtures/OrderServiceTest}, copied verbatim there) fails
 * with the report the README shows. {@code ExamplesMatchDocsTest} fails if the README's example is not
 * found word for word in the fixture.
 */
class DocumentedExamplesTest {

    @Test
    void readmeLeakExampleFailsWithTheReportTheReadmeShows() throws Exception {
        TestExecutionSummary s = LeakCheckTest.run(selectClass("io.gochan.leakcheck.fixtures.OrderServiceTest"));
        try {
            assertThat(s.getTestsFailedCount()).isEqualTo(1);
            String report = s.getFailures().get(0).getException().getMessage();
            assertThat(report)
                    .startsWith("1 goroutine still running 5000 ms after the test ended:\n\n")
                    .containsPattern("goroutine \\d+ \"stuck-sender\" \\[waiting, blocked on send on chan\\(cap=0, len=0, "
                            + "open, waiting senders=1, waiting receivers=0\\)\\] owned by \"test OrderServiceTest.leaks\\(\\)\"\n    at java.base/java.lang.VirtualThread.park")
                    .contains("    at io.gochan.Chan.send(Chan.java:")
                    .containsPattern("  started at:\n    at io.gochan.Go.start\\(Go.java:\\d+\\)\n    at io.gochan.Go.go\\(Go.java:")
                    .contains("OrderServiceTest.leaks(OrderServiceTest.java:");
        } finally {
            // The example leaks on purpose: end its goroutine so this module's other tests start clean.
            List<Goroutine> stuck = Goroutines.live().stream().filter(g -> g.name().equals("stuck-sender")).toList();
            for (Goroutine g : stuck) {
                g.thread().interrupt();
                assertThat(g.join(Duration.ofSeconds(20))).isTrue();
            }
        }
    }

    @Test
    void readmeSharedGoroutinesExampleFailsOnlyTheTestThatLeaksAThread() {
        TestExecutionSummary s = LeakCheckTest.run(selectClass("io.gochan.leakcheck.fixtures.PriceFeedTest"));
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        java.util.Map<String, String> failed = LeakCheckTest.failures(s);
        assertThat(failed).containsOnlyKeys("leaksAThread()");
        assertThat(failed.get("leaksAThread()"))
                .startsWith("1 virtual thread still running 500 ms after the test ended:\n\n")
                .containsPattern("virtual thread #\\d+ \"\" \\[waiting\\], not a goroutine \\(container <root>\\)\n"
                        + "    at java.base/java.lang.VirtualThread.park")
                .contains("PriceFeedTest.lambda$leaksAThread$");
        // @AfterAll closed the channel, so the leaked thread has ended; the ticker was joined there.
        assertThat(Goroutines.live()).noneMatch(g -> g.name().equals("ticker"));
    }

    @Test
    void readmeSynctestExampleRunsADayOfTickerInVirtualTime() {
        long start = System.nanoTime();
        TestExecutionSummary s = LeakCheckTest.run(selectClass("io.gochan.leakcheck.fixtures.HourlyReportTest"));
        assertThat(LeakCheckTest.failures(s)).isEmpty();
        assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        // A generous bound, not a speed requirement: 26 hours of virtual time.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(1));
        assertThat(Goroutines.live()).noneMatch(g -> g.name().equals("reporter"));
    }
}
