package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;
import io.gochan.testing.nulls.NullTester;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every public method of {@code io.gochan.leakcheck} that a user calls refuses {@code null} in every
 * reference parameter with a {@link NullPointerException} naming the parameter, before it waits or starts
 * anything (LK22). The extensions' callbacks are JUnit's to call, never with null.
 */
class NullArgumentRulesTest {

    @Test
    void LK22_everyPublicMethodRefusesNullNamingTheParameterBeforeItWaits() throws Exception {
        NullTester t = new NullTester(LeakFinder.class)
                .value(Set.class, Set::of)
                .value(List.class, List::of)
                .value(Duration.class, () -> Duration.ofMillis(1))
                .value(String.class, () -> "who")
                .value(GoroutineOwner.class, () -> Goroutines.owner("null-argument-check")) // owns nothing (LK34)
                .nullable("GoroutineLeakExtension.*", "JUnit's callbacks: called by the engine, never with null")
                .nullable("SynctestExtension.*", "JUnit's callbacks: called by the engine, never with null")
                .globalState(Goroutines::startedCount);
        List<String> failures = t.run();
        assertThat(failures).isEmpty();
        assertThat(t.calls()).as("the check made calls").isGreaterThanOrEqualTo(4);
    }
}
