package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.CancellableContext;
import io.gochan.Goroutines;
import io.gochan.GoroutineOwner;
import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.Context;
import io.gochan.leakcheck.fixtures.TimerLeakClassFixture;
import io.gochan.leakcheck.fixtures.TimerLeakFixture;
import io.gochan.leakcheck.fixtures.TimerLeakOffFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Rule LK32: with {@code @NoGoroutineLeaks(timers = true)} a test that leaves an afterFunc timer or a context's own
 * deadline scheduled fails, naming the timer's kind, when it is due and where it was made; one that stopped or
 * cancelled what it made, or left only channel timers or timers due within the grace, passes; with the check off (the
 * default) nothing changes. Before, no check looked at timers: every fixture test passed.
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
}
