package io.gochan.leakcheck;

import static io.gochan.leakcheck.LeakCheckTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.gochan.leakcheck.fixtures.SynctestHostileThrowableFixture;
import io.gochan.leakcheck.fixtures.SynctestPlainThrowableFixture;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * CH7 and BB46 for {@link Synctest}: a body that throws a {@link Throwable} that is neither an Exception nor an Error;
 * fixtures run through the JUnit Platform launcher.
 */
class SynctestThrowingTextTest {

    /**
     * CH7: a {@code @Synctest} body that throws a {@link Throwable} (neither an Exception nor an Error) whose
     * {@code toString()} throws fails its test with that very Throwable. Before, the extension carried it out of the
     * bubble in {@code new Exception(cause)}, whose constructor asked its {@code toString()}: the test failed with that
     * {@code toString()}'s {@link IllegalStateException} instead ("the body's own Throwable" failed).
     */
    @Test
    void CH7_aBodysThrowableWhoseTextThrowsIsTheTestsFailure() {
        TestExecutionSummary s = run(selectClass(SynctestHostileThrowableFixture.class));
        assertThat(s.getTestsFailedCount()).isEqualTo(1);
        Throwable failure = s.getFailures().get(0).getException();
        assertThat(failure == SynctestHostileThrowableFixture.THROWN)
                .as("the body's own Throwable (got a %s)", failure.getClass().getName()).isTrue();
    }

    /**
     * BB46 (BB17): a goroutine that fails after such a body threw (its own failure, answering the bubble's stop) is
     * attached to the body's Throwable, the test's failure. Before, it was attached to the extension's carrier of that
     * Throwable, which was dropped when unwrapped: the failure was lost, neither attached nor handled.
     */
    @Test
    void BB46_aGoroutinesLaterFailureIsAttachedToTheBodysPlainThrowable() {
        Throwable f = failureOf("aGoroutineFailsAfterTheBodyThrew");
        assertThat(f == SynctestPlainThrowableFixture.BODY_BESIDE_A_GOROUTINE).as("the body's own Throwable").isTrue();
        assertThat(Arrays.stream(f.getSuppressed()).map(Throwable::getMessage))
                .contains(SynctestPlainThrowableFixture.GOROUTINE_FAILURE);
    }

    /** BB46 (BB41): a cleanup that fails after such a body threw is attached to the body's Throwable. */
    @Test
    void BB46_aCleanupsFailureIsAttachedToTheBodysPlainThrowable() {
        Throwable f = failureOf("aCleanupFailsAfterTheBodyThrew");
        assertThat(f == SynctestPlainThrowableFixture.BODY_BESIDE_A_CLEANUP).as("the body's own Throwable").isTrue();
        assertThat(Arrays.stream(f.getSuppressed()).map(Throwable::getMessage))
                .contains(SynctestPlainThrowableFixture.CLEANUP_FAILURE);
    }

    private static Throwable failureOf(String method) {
        TestExecutionSummary s = run(selectMethod(SynctestPlainThrowableFixture.class, method));
        assertThat(s.getTestsFailedCount()).isEqualTo(1);
        return s.getFailures().get(0).getException();
    }
}
