package io.gochan.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The user's tests: gochan's leak check with whatever JUnit the user chose. */
@NoGoroutineLeaks
class ExamplesTest {
    @Test
    void theJUnitVersionIsTheUsersNotLeakChecks() {
        // Surefire passes the version the POM asked for; leak-check must not have moved it.
        String expected = System.getProperty("expected.junit.version");
        assertEquals(expected, Test.class.getPackage().getImplementationVersion());
    }

    @Test
    void theTestsRunWhereSurefireWasAsked() {
        // The module-path run must really be one: leak-check and @Synctest inside a named module.
        boolean named = ExamplesTest.class.getModule().isNamed();
        assertEquals(System.getProperty("expected.test.path"), named ? "module-path" : "class-path");
    }

    @Test
    void errorGroupSumsEveryLength() throws Exception {
        assertEquals(6, WorkerPool.totalLength(List.of("ab", "cd", "ef"), 1));
    }

    @Test
    void workerPoolSquaresEveryJob() throws InterruptedException {
        List<Integer> squares = WorkerPool.squares(50, 3);
        assertEquals(50, squares.size());
        assertEquals(42_925L, squares.stream().mapToLong(Integer::longValue).sum());
    }

    @Test
    void cancellingTheContextStopsTheProducer() throws InterruptedException {
        assertEquals(List.of(0, 1, 2), WorkerPool.takeThenCancel(3));
    }

    @Test
    void fanInGetsEveryBody() throws Exception {
        Map<String, String> bodies = FanIn.fetchAll(List.of("/a", "/b", "/c"));
        assertEquals(Map.of("/a", "200 hello /a", "/b", "200 hello /b", "/c", "200 hello /c"), bodies);
    }
}
