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
        // The module-path run must really be one: these tests, with leak-check's checks and @Synctest, inside the
        // named module io.gochan.examples. Surefire builds the module path from the main module's requires only, so
        // leak-check and JUnit themselves stay on the class path (unnamed): leak-check's descriptor is resolved by
        // ModuleDescriptorsTest in http-transport instead.
        boolean named = ExamplesTest.class.getModule().isNamed();
        assertEquals(System.getProperty("expected.test.path"), named ? "module-path" : "class-path");
    }

    @Test
    void gochansModulesAreNamedOnTheModulePath() {
        // What the main module requires is resolved as modules in the module-path run: channels, select and http
        // are read through their descriptors there (requires transitive io.gochan included), as a modular user's.
        String run = System.getProperty("expected.test.path");
        for (Class<?> c : List.of(io.gochan.Chan.class, io.gochan.select.Select.class, io.gochan.http.Transport.class)) {
            // Each module is named after its one exported package; on the class path every class is in the unnamed one.
            String expected = "module-path".equals(run) ? c.getPackageName() : null;
            assertEquals(expected, c.getModule().getName(), c + "'s module in the " + run + " run");
        }
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
