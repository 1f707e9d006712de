package io.gochan.docs;

import io.gochan.docs.RuleIds.Citation;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every rule ID that the repository cites is defined in its rule catalogue, {@code docs/spec/*.md},
 * exactly once. What counts as a citation and as a definition: {@code docs/spec/README.md}.
 */
class RuleCatalogueTest {

    @Test
    void everyCitedRuleIdIsDefinedInDocsSpec() {
        Path root = Repository.root();
        Map<String, List<Citation>> defined = definitions(root);
        List<Citation> cited = citations(root);

        String undefined = undefined(cited, defined);
        assertThat(undefined)
                .as("rule IDs cited but not defined in docs/spec/*.md (define each as a list item starting with "
                        + "**ID**, or in a heading; see docs/spec/README.md)")
                .isEmpty();
        // The scan itself works: the rule tests alone cite far more than this.
        assertThat(cited.stream().filter(c -> c.file().endsWith("Test.java")).count()).isGreaterThan(80);
    }

    @Test
    void noRuleIdIsDefinedTwice() {
        String twice = definitions(Repository.root()).entrySet().stream()
                .filter(e -> e.getValue().size() > 1)
                .map(e -> e.getKey() + " at " + e.getValue())
                .collect(Collectors.joining("\n"));
        assertThat(twice).as("rule IDs defined more than once").isEmpty();
    }

    @Test
    void citationsAreFoundInEveryFormTheCatalogueDocuments() {
        String java = """
                package x;
                /** Rules ZA1–ZA3; see (ZB1, ZB2) and rule ZC1. */
                class X {
                    // ZD1: a line comment, and ZD2/ZD3
                    // three digits: ZJ99–ZJ101 and (ZK100); four are no ID: ZX1000
                    @Description("ZE1/ZE2: a jcstress description")
                    @Test void ZF1_aRuleTest() {
                        String notACitation = "ZG1 in the middle of a string, %E4%B8 in a URL";
                        Map<T1, T2> code = null; // type parameters are code
                    }
                }
                """;
        List<String> ids = RuleIds.citationsInJava(java, "X.java").stream().map(Citation::id).toList();

        assertThat(ids).containsExactlyInAnyOrder(
                "ZA1", "ZA2", "ZA3", "ZB1", "ZB2", "ZC1", "ZD1", "ZD2", "ZD3", "ZE1", "ZE2", "ZF1",
                "ZJ99", "ZJ100", "ZJ101", "ZK100");
    }

    @Test
    void definitionsAreBoldListItemsAndHeadings() {
        String md = """
                # Rules ZH1 and more
                - **ZA1** A rule.
                * **ZA2.** Another.
                  - **ZA3**: nested.
                1. **ZA4** Numbered.
                - **ZA100** Three digits.
                - ZX1 is only mentioned here, (ZX2) too: not definitions.
                ```
                - **ZX3** inside a code block
                ```
                """;
        List<String> ids = RuleIds.definitions(md, "x.md").stream().map(Citation::id).toList();

        assertThat(ids).containsExactlyInAnyOrder("ZH1", "ZA1", "ZA2", "ZA3", "ZA4", "ZA100");
    }

    @Test
    void anUndefinedCitationFailsTheCheckAndNamesWhereItIs() {
        Map<String, List<Citation>> defined = new TreeMap<>();
        defined.put("S3", List.of(new Citation("S3", "docs/spec/channels.md", 1)));
        List<Citation> cited = new ArrayList<>(RuleIds.citationsInJava(
                "class Y {\n  @Test void S3_ok() {}\n  // see (Q9)\n}\n", "Y.java"));

        assertThat(undefined(cited, defined)).isEqualTo("Q9: Y.java:3");
    }

    private static Map<String, List<Citation>> definitions(Path root) {
        Map<String, List<Citation>> defined = new TreeMap<>();
        for (Path file : Repository.catalogue(root)) {
            for (Citation d : RuleIds.definitions(Repository.read(file), root.relativize(file).toString())) {
                defined.computeIfAbsent(d.id(), k -> new ArrayList<>()).add(d);
            }
        }
        assertThat(defined).as("definitions in docs/spec").isNotEmpty();
        return defined;
    }

    private static List<Citation> citations(Path root) {
        List<Citation> cited = new ArrayList<>();
        for (Path file : Repository.javaSources(root)) {
            cited.addAll(RuleIds.citationsInJava(Repository.read(file), root.relativize(file).toString()));
        }
        for (Path file : Repository.markdownOutsideCatalogue(root)) {
            cited.addAll(RuleIds.citationsInMarkdown(Repository.read(file), root.relativize(file).toString()));
        }
        return cited;
    }

    /** "ID: file:line, file:line" per undefined ID, one per line; empty if all are defined. */
    private static String undefined(List<Citation> cited, Map<String, List<Citation>> defined) {
        Map<String, List<Citation>> missing = new TreeMap<>();
        for (Citation c : cited) {
            if (!defined.containsKey(c.id())) {
                missing.computeIfAbsent(c.id(), k -> new ArrayList<>()).add(c);
            }
        }
        return missing.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue().stream().map(Citation::toString).collect(Collectors.joining(", ")))
                .collect(Collectors.joining("\n"));
    }
}
