package io.gochan.leakcheck;

import static io.gochan.leakcheck.LeakCheckTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.gochan.leakcheck.fixtures.SynctestHostileThrowableFixture;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** CH7 for {@link Synctest}: a fixture run through the JUnit Platform launcher. */
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
}
