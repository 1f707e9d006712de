package io.gochan.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.Goroutine;
import io.gochan.GoroutineOwner;
import io.gochan.leakcheck.NoGoroutineLeaks;
import org.junit.jupiter.api.Test;

/**
 * LK14 as a user meets it, with the JUnit run.sh chose: what a test instance's field initializer starts is that
 * test's. leak-check asks JUnit for the test's own context while the instance is constructed
 * ({@code TestInstantiationAwareExtension.getTestInstantiationExtensionContextScope}, JUnit 5.12); an older JUnit
 * never asks and hands over the class's context, so the goroutine would silently be the class's. This is why the
 * README promises JUnit Jupiter 5.13+ (5.13 for the cleanup of LK23), and why run.sh's oldest version is one.
 */
@NoGoroutineLeaks
class ConstructorOwnerTest {
    private final Chan<String> stop = Chan.make();
    private final Goroutine started = Go.go("field-initializer", () -> stop.receiveOk());

    @Test
    void aGoroutineTheTestInstanceStartsBelongsToTheTest() throws InterruptedException {
        try {
            String owner = started.owner().map(GoroutineOwner::name).orElse("<none>");
            // JUnit 5.10 and 5.11 say "class ConstructorOwnerTest".
            assertEquals("test ConstructorOwnerTest.aGoroutineTheTestInstanceStartsBelongsToTheTest()", owner,
                    "owner of a goroutine started by the test instance's field initializer (JUnit "
                            + Test.class.getPackage().getImplementationVersion() + ")");
        } finally {
            stop.close();
            started.join();
        }
    }
}
