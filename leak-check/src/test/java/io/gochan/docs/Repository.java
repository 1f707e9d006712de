package io.gochan.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** The repository's checkout, found from the test's working directory, and its source files. */
final class Repository {
    /** Directories never scanned: build output, VCS data, generated benchmark results, the catalogue. */
    private static final Set<String> SKIPPED_DIRS = Set.of("target", ".git", ".github", ".idea", "node_modules");

    private Repository() {}

    /**
     * The repository root: the first directory at or above {@code user.dir} that holds
     * {@code docs/spec}. Surefire runs each module's tests in the module's directory.
     */
    static Path root() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("docs/spec"))) {
                return d;
            }
        }
        throw new IllegalStateException("no docs/spec at or above " + dir);
    }

    /**
     * Every {@code *.java} file under {@code <module>/src} of each module (a directory with a pom.xml),
     * except the documentation checks' own sources, whose test fixtures cite made-up IDs on purpose.
     */
    static List<Path> javaSources(Path root) {
        Path checks = root.resolve("leak-check/src/test/java/io/gochan/docs");
        try (Stream<Path> modules = Files.list(root)) {
            return modules.filter(m -> Files.isRegularFile(m.resolve("pom.xml")) && Files.isDirectory(m.resolve("src")))
                    .flatMap(m -> walk(m.resolve("src"), ".java").stream())
                    .filter(p -> !p.startsWith(checks))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every Markdown file of the repository outside the catalogue, build output and benchmark results. */
    static List<Path> markdownOutsideCatalogue(Path root) {
        Path spec = root.resolve("docs/spec");
        Path results = root.resolve("benchmarks/results");
        return walk(root, ".md").stream()
                .filter(p -> !p.startsWith(spec) && !p.startsWith(results))
                .sorted()
                .toList();
    }

    /** Every Markdown file of the repository outside build output and VCS data, benchmark results included. */
    static List<Path> markdown(Path root) {
        return walk(root, ".md").stream().sorted().toList();
    }

    /** The catalogue's files, {@code docs/spec/*.md}. */
    static List<Path> catalogue(Path root) {
        return walk(root.resolve("docs/spec"), ".md");
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> walk(Path dir, String suffix) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix) && Files.isRegularFile(p))
                    .filter(p -> dir.relativize(p).getNameCount() == 1 || notSkipped(dir.relativize(p.getParent())))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean notSkipped(Path relativeDir) {
        for (Path part : relativeDir) {
            if (SKIPPED_DIRS.contains(part.toString())) {
                return false;
            }
        }
        return true;
    }
}
