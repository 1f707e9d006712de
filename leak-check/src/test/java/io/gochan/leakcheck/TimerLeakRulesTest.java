package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.CancellableContext;
import io.gochan.Goroutines;
import io.gochan.GoroutineOwner;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.Context;
import io.gochan.leakcheck.fixtures.TimerLeakClassFixture;
import io.gochan.leakcheck.fixtures.TimerLeakFixture;
import io.gochan.leakcheck.fixtures.TimerLeakOffFixture;
import io.gochan.leakcheck.fixtures.TimerLeakOptOutFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Rule LK32: with {@code @NoGoroutineLeaks(timers = true)} a test that leaves an afterFunc timer or a context's own
 * deadline scheduled fails, naming the timer's kind, when it is due and where it was made; one that stopped or
 * cancelled what it made, or left only channel timers or timers due within the grace, passes; with the check off (the
 * default) nothing changes. Before, no check looked at timers: every fixture test passed. Rule LK33: the configuration
 * parameter {@code gochan.leakcheck.timers} turns the check on for every annotation that states no {@code timers}
 * value. Rule LK34: {@code LeakFinder} finds and reports an owner's timers as the check does. Rule LK37: the time left
 * is written as Go writes a duration.
 */
@NoGoroutineLeaks(timers = true)
class TimerLeakRulesTest {

    @Test
    void LK32_aTestThatLeavesAnAfterFuncOrADeadlineScheduledFailsNamingWhereItWasMade() {
        TimerLeakFixture.LEFT_TIMERS.clear();
        TimerLeakFixture.LEFT_CONTEXTS.clear();
        TestExecutionSummary s = LeakCheckTest.run(selectClass(TimerLeakFixture.class));
        try {
            Map<String, String> failed = LeakCheckTest.failures(s);
            assertThat(failed).containsOnlyKeys("leavesAnAfterFunc()", "leavesADeadlineFromAGoroutine()");
            assertThat(s.getTestsSucceededCount()).as("the tests that left nothing beyond the grace").isEqualTo(2);
            assertThat(failed.get("leavesAnAfterFunc()"))
                    .contains("test TimerLeakFixture.leavesAnAfterFunc() left 1 timer scheduled")
                    .contains("Stop it, or cancel its context, before test TimerLeakFixture.leavesAnAfterFunc() ends") // LK38
                    .contains("afterFunc due ")
                    .contains("at io.gochan.leakcheck.fixtures.TimerLeakFixture.leavesAnAfterFunc(TimerLeakFixture.java:")
                    .doesNotContain("goroutine still running");
            assertThat(failed.get("leavesADeadlineFromAGoroutine()"))
                    .contains("left 1 timer scheduled")
                    .contains("context deadline due ")
                    .contains("at io.gochan.leakcheck.fixtures.TimerLeakFixture.lambda$leavesADeadlineFromAGoroutine");
        } finally {
            TimerLeakFixture.LEFT_TIMERS.forEach(Timer::stop);
            TimerLeakFixture.LEFT_CONTEXTS.forEach(CancellableContext::cancel);
        }
        assertThat(TimerLeakFixture.LEFT_TIMERS).hasSize(1);
        assertThat(TimerLeakFixture.LEFT_CONTEXTS).hasSize(1);
    }

    @Test
    void LK32_aTimerTheClassesBeforeAllLeavesFailsTheClassNotItsTests() {
        TestExecutionSummary s = LeakCheckTest.run(selectClass(TimerLeakClassFixture.class));
        try {
            assertThat(s.getTestsSucceededCount()).isEqualTo(1);
            assertThat(s.getFailures()).singleElement().satisfies(f -> assertThat(f.getException().getMessage())
                    .contains("class TimerLeakClassFixture left 1 timer scheduled")
                    .contains("at io.gochan.leakcheck.fixtures.TimerLeakClassFixture.arm(TimerLeakClassFixture.java:"));
        } finally {
            assertThat(TimerLeakClassFixture.left.stop()).as("it was still scheduled").isTrue();
        }
    }

    @Test
    void LK32_theTimerCheckIsOffByDefault() {
        TestExecutionSummary s = LeakCheckTest.run(selectClass(TimerLeakOffFixture.class));
        try {
            assertThat(LeakCheckTest.failures(s)).isEmpty();
            assertThat(s.getTestsSucceededCount()).isEqualTo(1);
        } finally {
            assertThat(TimerLeakOffFixture.left.stop()).as("it was still scheduled").isTrue();
        }
    }

    @Test
    void LK32_anOwnerListsTheTimersMadeUnderItUntilTheyAreStopped() {
        boolean capture = Goroutines.startSiteCapture();
        Goroutines.setStartSiteCapture(true);
        try (GoroutineOwner owner = Goroutines.owner("timer-owner")) {
            Timer far;
            CancellableContext never;
            try (GoroutineOwner.Scope ignored = owner.enter()) {
                far = Timers.afterFunc(Duration.ofHours(1), () -> { });
                never = Context.withTimeout(Context.background(), Duration.ofSeconds(Long.MAX_VALUE));
            }
            Timer elsewhere = Timers.afterFunc(Duration.ofHours(1), () -> { }); // not the owner's
            try {
                var listed = owner.scheduledTimers();
                assertThat(listed).extracting(GoroutineOwner.ScheduledTimer::kind).containsExactly("afterFunc", "context deadline");
                assertThat(listed.get(0).due()).isBetween(Instant.now().plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofHours(1)));
                assertThat(listed.get(1).due()).isEqualTo(Instant.MAX);
                assertThat(listed.get(0).createdAt()).anySatisfy(f -> assertThat(f.getMethodName())
                        .isEqualTo("LK32_anOwnerListsTheTimersMadeUnderItUntilTheyAreStopped"));
                far.stop();
                never.cancel();
                assertThat(owner.scheduledTimers()).isEmpty();
            } finally {
                far.stop();
                never.cancel();
                elsewhere.stop();
            }
        } finally {
            Goroutines.setStartSiteCapture(capture);
        }
    }

    /**
     * LK33: with the configuration parameter set to {@code true}, a class annotated {@code @NoGoroutineLeaks} alone (no
     * {@code timers} value) fails a test that leaves an afterFunc. Before, the parameter was not read: the test passed.
     */
    @Test
    void LK33_theConfigurationParameterTurnsTheCheckOnWhereTheAnnotationStatesNoValue() {
        TestExecutionSummary s = LeakCheckTest.run(selectClass(TimerLeakOffFixture.class),
                Map.of(GoroutineLeakExtension.TIMERS_PARAMETER, "true"));
        try {
            assertThat(LeakCheckTest.failures(s)).containsOnlyKeys("leavesAnAfterFunc()");
            assertThat(LeakCheckTest.failures(s).get("leavesAnAfterFunc()"))
                    .contains("test TimerLeakOffFixture.leavesAnAfterFunc() left 1 timer scheduled")
                    .contains("at io.gochan.leakcheck.fixtures.TimerLeakOffFixture.leavesAnAfterFunc(TimerLeakOffFixture.java:");
        } finally {
            assertThat(TimerLeakOffFixture.left.stop()).as("it was still scheduled").isTrue();
        }
    }

    /**
     * LK33: a {@code timers} value the annotation states wins over the parameter, either way: {@code timers = false}
     * passes with the parameter {@code true}, {@code timers = true} fails with it {@code false}.
     */
    @Test
    void LK33_aValueTheAnnotationStatesWinsOverTheParameter() {
        TestExecutionSummary off = LeakCheckTest.run(selectClass(TimerLeakOptOutFixture.class),
                Map.of(GoroutineLeakExtension.TIMERS_PARAMETER, "TRUE"));
        try {
            assertThat(LeakCheckTest.failures(off)).isEmpty();
            assertThat(off.getTestsSucceededCount()).isEqualTo(1);
        } finally {
            assertThat(TimerLeakOptOutFixture.left.stop()).as("it was still scheduled").isTrue();
        }
        TimerLeakFixture.LEFT_TIMERS.clear();
        TestExecutionSummary on = LeakCheckTest.run(selectMethod(TimerLeakFixture.class, "leavesAnAfterFunc"),
                Map.of(GoroutineLeakExtension.TIMERS_PARAMETER, "false"));
        try {
            assertThat(LeakCheckTest.failures(on)).containsOnlyKeys("leavesAnAfterFunc()");
        } finally {
            TimerLeakFixture.LEFT_TIMERS.forEach(Timer::stop);
        }
    }

    /**
     * LK33: a parameter neither {@code true} nor {@code false} fails the checked class, naming the parameter and the
     * value, before any of its tests runs. Before, it was not read: the class passed with the check off.
     */
    @Test
    void LK33_aParameterNeitherTrueNorFalseFailsTheClassNamingIt() {
        TestExecutionSummary s = LeakCheckTest.run(selectClass(TimerLeakOptOutFixture.class),
                Map.of(GoroutineLeakExtension.TIMERS_PARAMETER, "yes"));
        assertThat(s.getTestsSucceededCount()).as("the class's own value wins, so a wrong parameter is harmless here").isEqualTo(1);
        TimerLeakOptOutFixture.left.stop();
        s = LeakCheckTest.run(selectClass(TimerLeakOffFixture.class), Map.of(GoroutineLeakExtension.TIMERS_PARAMETER, "yes"));
        assertThat(s.getTestsSucceededCount()).isZero();
        assertThat(s.getFailures()).singleElement().satisfies(f -> assertThat(f.getException())
                .isInstanceOf(org.junit.jupiter.api.extension.ExtensionConfigurationException.class)
                .hasMessageContaining("gochan.leakcheck.timers must be true or false, not \"yes\""));
    }

    /**
     * LK34: {@code LeakFinder.timersLeft} lists the timers an owner's code left scheduled beyond the grace (one made
     * inside {@code enter()}, one in the owner's goroutine), not one due within it nor one made outside the owner, and
     * {@code LeakFinder.timerReport} writes them as the extension does. Before, {@code LeakFinder} had no timer check.
     */
    @Test
    void LK34_leakFinderFindsAndReportsTheTimersAnOwnersCodeLeftBeyondTheGrace() throws Exception {
        boolean capture = Goroutines.startSiteCapture();
        Goroutines.setStartSiteCapture(true);
        List<CancellableContext> contexts = new java.util.concurrent.CopyOnWriteArrayList<>();
        Timer far = null;
        Timer elsewhere = Timers.afterFunc(Duration.ofHours(1), () -> { }); // not the owner's
        try (GoroutineOwner owner = Goroutines.owner("import-job")) {
            try (GoroutineOwner.Scope ignored = owner.enter()) {
                far = Timers.afterFunc(Duration.ofHours(1), () -> { });
                Timers.afterFunc(Duration.ofMillis(1), () -> { }); // fires within the grace: not reported
            }
            owner.go(() -> contexts.add(Context.withTimeout(Context.background(), Duration.ofHours(2)))).join();

            List<GoroutineOwner.ScheduledTimer> left = LeakFinder.timersLeft(owner, Duration.ofSeconds(5));
            assertThat(left).extracting(GoroutineOwner.ScheduledTimer::kind).containsExactly("afterFunc", "context deadline");
            assertThat(LeakFinder.timerReport(left, "the import job"))
                    .contains("the import job left 2 timers scheduled")
                    .contains("Stop each, or cancel its context, before the import job ends") // LK38
                    .containsPattern("afterFunc due \\S+ \\(in 59m5\\d(\\.\\d+)?s\\), made here:")
                    .containsPattern("context deadline due \\S+ \\(in 1h59m5\\d(\\.\\d+)?s\\), made here:")
                    .contains("at io.gochan.leakcheck.TimerLeakRulesTest.LK34_leakFinderFindsAndReportsTheTimersAnOwnersCodeLeftBeyondTheGrace(");
            assertThat(LeakFinder.timersLeft(owner, Duration.ofHours(3))).as("both due within this grace").isEmpty();
            assertThat(LeakFinder.timersLeft(owner, Duration.ofSeconds(Long.MAX_VALUE))).as("a grace beyond the clock's range").isEmpty();

            far.stop();
            contexts.forEach(CancellableContext::cancel);
            assertThat(LeakFinder.timersLeft(owner, Duration.ofSeconds(5))).as("stopped and cancelled").isEmpty();
        } finally {
            if (far != null) {
                far.stop();
            }
            contexts.forEach(CancellableContext::cancel);
            elsewhere.stop();
            Goroutines.setStartSiteCapture(capture);
        }
    }

    /**
     * LK38: the report's head says whose end the timers should be stopped before, {@code who}'s, for the extension (a
     * test, a class) and for {@code LeakFinder.timerReport}'s caller alike. Before, it always said "before the test
     * ends", also to code checked without JUnit.
     */
    @Test
    void LK38_theReportHeadNamesWhoseEndTheTimersOutlive() {
        Instant due = Instant.now().plus(Duration.ofHours(1));
        GoroutineOwner.ScheduledTimer one = new GoroutineOwner.ScheduledTimer("afterFunc", due, List.of());
        assertThat(LeakFinder.timerReport(List.of(one), "the import job"))
                .startsWith("\nthe import job left 1 timer scheduled (an afterFunc never stopped, a context never cancelled;"
                        + " LK32): each fires later, in whatever runs then. Stop it, or cancel its context, before the"
                        + " import job ends\n\n")
                .doesNotContain("the test");
        assertThat(LeakFinder.timerReport(List.of(one, one), "class AFixture"))
                .contains("class AFixture left 2 timers scheduled")
                .contains("Stop each, or cancel its context, before class AFixture ends\n\n");
    }

    /**
     * LK37: the report writes each timer's time left as Go writes a duration ({@code 59m59.996s}, {@code 1h59m59.9s}),
     * never Java's ISO form. Before, it read {@code (in PT59M59.996S)}.
     */
    @Test
    void LK37_theReportWritesTheTimeLeftAsGoWritesADuration() {
        TimerLeakFixture.LEFT_TIMERS.clear();
        TimerLeakFixture.LEFT_CONTEXTS.clear();
        TestExecutionSummary s = LeakCheckTest.run(selectMethod(TimerLeakFixture.class, "leavesAnAfterFunc"));
        try {
            assertThat(LeakCheckTest.failures(s).get("leavesAnAfterFunc()"))
                    .containsPattern("afterFunc due \\S+ \\(in 59m5\\d(\\.\\d+)?s\\)")
                    .doesNotContain("(in PT");
        } finally {
            TimerLeakFixture.LEFT_TIMERS.forEach(Timer::stop);
        }
    }
}
