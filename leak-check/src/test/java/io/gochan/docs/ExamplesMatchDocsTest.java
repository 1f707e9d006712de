package io.gochan.docs;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Documented examples cannot drift from compiled ones. Every Java code block of the README and every
 * {@code <pre>{@code ...}</pre>} example in the javadoc of the modules' main sources must equal, word
 * for word (whitespace aside), a region of a test source between a line {@code // example: <where>}
 * and the next line {@code // end}, where a {@code DocumentedExamplesTest} of its module compiles and
 * runs it; and every such region must equal a documented example (no stale copies). Fix a failure by
 * copying the documented example into the test (or the test's copy back into the documentation),
 * never by loosening this check.
 */
class ExamplesMatchDocsTest {
    private static final Pattern README_JAVA = Pattern.compile("(?ms)^```java\\n(.*?)^```");
    private static final Pattern JAVADOC_EXAMPLE = Pattern.compile("(?s)<pre>\\{@code(.*?)}</pre>");
    private static final Pattern JAVADOC_MARGIN = Pattern.compile("(?m)^\\s*\\*( |$)");
    private static final Pattern TEST_REGION = Pattern.compile("(?ms)^[ \\t]*// example: ([^\\n]*)\\n(.*?)^[ \\t]*// end$");
    /** Javadoc examples that are fragments by design, with the reason; keep this list short. */
    private static final Map<String, String> FRAGMENTS = Map.of(
            "leak-check/src/main/java/io/gochan/leakcheck/NoGoroutineLeaks.java",
            "shows only where the annotation goes (the class body is elided); the README's full example is compiled");

    record Example(String where, String code) {}

    @Test
    void everyReadmeAndJavadocExampleIsCompiledByATest() {
        Path root = Repository.root();
        List<Example> examples = new ArrayList<>(readmeExamples(root));
        examples.addAll(javadocExamples(root));
        List<Example> compiled = new ArrayList<>();
        for (Path file : Repository.javaSources(root)) {
            String name = root.relativize(file).toString();
            if (name.contains("/src/test/")) {
                compiled.addAll(testRegions(Repository.read(file), name));
            }
        }
        Set<String> documented = examples.stream().map(e -> normalize(e.code())).collect(Collectors.toSet());
        Set<String> tested = compiled.stream().map(e -> normalize(e.code())).collect(Collectors.toSet());

        List<String> untested = examples.stream()
                .filter(e -> !tested.contains(normalize(e.code())))
                .map(e -> e.where() + ":\n" + e.code())
                .toList();
        List<String> stale = compiled.stream()
                .filter(e -> !documented.contains(normalize(e.code())))
                .map(e -> e.where() + ":\n" + e.code())
                .toList();

        assertThat(untested).as("documented examples that no test region (// example: ... // end) holds verbatim").isEmpty();
        assertThat(stale).as("test regions (// example: ... // end) that match no documented example").isEmpty();
        // The extraction works: the README has 10 Java blocks and the javadoc 12 examples (2026-12-05; was 5 and 7).
        assertThat(examples).hasSizeGreaterThanOrEqualTo(20);
    }

    @Test
    void javadocExamplesAreReadWithoutTheirCommentMargin() {
        String source = """
                /**
                 * Text.
                 * <pre>{@code
                 * Chan<String> ch = Chan.make(16);
                 * for (String s : ch) { use(s); }
                 * }</pre>
                 */
                """;
        List<Example> found = javadocExamples(source, "X.java");

        assertThat(found).extracting(Example::code)
                .containsExactly("Chan<String> ch = Chan.make(16);\nfor (String s : ch) { use(s); }");
        assertThat(normalize("  a(b,\n\t c) ")).isEqualTo("a(b, c)");
    }

    @Test
    void testRegionsLieBetweenTheMarkers() {
        String test = """
                void t() {
                    int before = 0;
                    // example: README, block 1
                    Chan<String> ch = Chan.make(16);   // a comment stays part of it
                    // end
                    int after = 0;
                }
                """;
        assertThat(testRegions(test, "T.java")).extracting(Example::where, e -> normalize(e.code()))
                .containsExactly(tuple("T.java (README, block 1)", "Chan<String> ch = Chan.make(16); // a comment stays part of it"));
    }

    static List<Example> testRegions(String source, String file) {
        List<Example> found = new ArrayList<>();
        Matcher m = TEST_REGION.matcher(source);
        while (m.find()) {
            found.add(new Example(file + " (" + m.group(1).strip() + ")", m.group(2)));
        }
        return found;
    }

    private static List<Example> readmeExamples(Path root) {
        List<Example> found = new ArrayList<>();
        Matcher m = README_JAVA.matcher(Repository.read(root.resolve("README.md")));
        while (m.find()) {
            found.add(new Example("README.md, block " + (found.size() + 1), m.group(1).strip()));
        }
        return found;
    }

    private static List<Example> javadocExamples(Path root) {
        List<Example> found = new ArrayList<>();
        for (Path file : Repository.javaSources(root)) {
            String name = root.relativize(file).toString();
            if (name.contains("/src/main/") && !FRAGMENTS.containsKey(name)) {
                found.addAll(javadocExamples(Repository.read(file), name));
            }
        }
        return found;
    }

    static List<Example> javadocExamples(String source, String where) {
        List<Example> found = new ArrayList<>();
        Matcher m = JAVADOC_EXAMPLE.matcher(source);
        while (m.find()) {
            String code = JAVADOC_MARGIN.matcher(m.group(1)).replaceAll("").strip();
            found.add(new Example(where, code));
        }
        return found;
    }

    /** One space for every run of whitespace, none at the ends. */
    static String normalize(String code) {
        return code.strip().replaceAll("\\s+", " ");
    }
}
