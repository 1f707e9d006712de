package io.gochan.nojfr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Rule JF3: gochan runs in a runtime without {@code jdk.jfr}. Each test starts a child JVM whose
 * observable modules are limited to {@code java.base} and gochan's ({@code --limit-modules}: what a
 * jlink image without {@code jdk.jfr} offers) and runs {@link NoJfrProgram}, which drives every path
 * that emits an event when JFR is there. On the code before ADR 0011 the child fails: the module
 * descriptors required {@code jdk.jfr} (the module path refuses to start) and the first goroutine
 * loaded an event class ({@code NoClassDefFoundError: jdk/jfr/Event} on the class path).
 * The child is waited for and destroyed if it outlives its bound: no process is left behind.
 */
class NoJfrRuntimeTest {
    private static final Set<String> GOCHAN = Set.of("io.gochan", "io.gochan.select", "io.gochan.http");

    @Test
    void JF3_classPathProgramRunsWithoutJdkJfr() throws Exception {
        String out = run(List.of("--limit-modules", "java.base", "-cp", System.getProperty("java.class.path"),
                NoJfrProgram.class.getName()));
        assertThat(out).contains("no-jfr OK");
    }

    @Test
    void JF3_modulePathProgramRunsWithoutJdkJfr() throws Exception {
        String modulePath = gochanModulePath();
        String out = run(List.of("--limit-modules", "java.base,io.gochan.http", "-p", modulePath,
                "--add-modules", "io.gochan.http", "-cp", codeSourceOf(NoJfrProgram.class).toString(),
                NoJfrProgram.class.getName()));
        assertThat(out).contains("no-jfr OK");
    }

    /** The class-path entries that hold gochan's three modules (jars or target/classes with module-info). */
    private static String gochanModulePath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!Files.exists(p) || !(Files.isDirectory(p) ? Files.exists(p.resolve("module-info.class")) : entry.endsWith(".jar"))) {
                continue;
            }
            boolean gochan = ModuleFinder.of(p).findAll().stream()
                    .map(ModuleReference::descriptor)
                    .anyMatch(d -> GOCHAN.contains(d.name()));
            if (gochan) {
                entries.add(entry);
            }
        }
        assertThat(entries).as("gochan's modules on the test class path").hasSize(GOCHAN.size());
        return String.join(File.pathSeparator, entries);
    }

    private static Path codeSourceOf(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Runs {@code java args...} with this JVM's java; returns stdout+stderr after asserting exit 0. */
    private static String run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(args);
        Path log = Files.createTempFile("no-jfr", ".log");
        // To a file, not a pipe: a hung child then fails the bounded wait instead of blocking a read.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean ended = p.waitFor(60, TimeUnit.SECONDS);
            String text = Files.readString(log);
            assertThat(ended).as("child JVM ended within 60 s%n%s", text).isTrue();
            assertThat(p.exitValue()).as("exit of %s%n%s", cmd.stream().collect(Collectors.joining(" ")), text).isZero();
            assertThat(text).doesNotContain("NoClassDefFoundError", "jdk/jfr", "jdk.jfr.");
            return text;
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(log);
        }
    }
}
