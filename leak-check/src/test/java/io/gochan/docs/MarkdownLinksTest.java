package io.gochan.docs;

import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Every relative link of every Markdown file of the repository ({@code [text](path)},
 * {@code ![alt](path)}, {@code [ref]: path}) points to a file or directory that exists. A moved ADR,
 * a renamed results directory or a deleted example otherwise leaves a dead link that nothing notices.
 * Links with a scheme ({@code https:}, {@code mailto:}) and pure anchors ({@code #section}) are not
 * checked, nor is text inside code (fenced blocks and {@code `spans`}), where brackets are code.
 */
class MarkdownLinksTest {
    /** An inline link or image: the target ends at the first space (a title may follow) or ')'. */
    private static final Pattern INLINE = Pattern.compile("!?\\[[^\\]]*]\\(\\s*(?:<([^>]+)>|([^)\\s]+))[^)]*\\)");
    /** A reference definition: {@code [label]: target}. */
    private static final Pattern REFERENCE = Pattern.compile("^ {0,3}\\[[^\\]]+]:\\s*(?:<([^>]+)>|(\\S+))");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)[^`].*?\\1", Pattern.DOTALL);

    record Link(String file, int line, String target) {
        @Override
        public String toString() {
            return file + ":" + line + " -> " + target;
        }
    }

    @Test
    void everyRelativeMarkdownLinkPointsToAnExistingPath() {
        Path root = Repository.root();
        List<Path> files = Repository.markdown(root);
        List<Link> checked = new ArrayList<>();
        List<Link> dead = new ArrayList<>();
        for (Path file : files) {
            for (Link link : relativeLinks(Repository.read(file), root.relativize(file).toString())) {
                checked.add(link);
                if (!resolves(root, file, link.target())) {
                    dead.add(link);
                }
            }
        }
        assertThat(dead).as("relative Markdown links to paths that do not exist").isEmpty();
        // The scan itself works: README, docs/ and the benchmark results link to files far more often.
        assertThat(files).hasSizeGreaterThan(30);
        assertThat(checked).hasSizeGreaterThan(30);
    }

    @Test
    void linksAreFoundOutsideCodeAndWithoutTheirAnchorsOrTitles() {
        String md = """
                See [the ADR](docs/adr/0001-x.md#consequences), ![plot](results/a.svg "A plot"),
                [a site](https://example.com/x.md), [mail](mailto:a@b.c), [here](#local) and
                [spaced](<dir/a b.md>).
                [ref]: ../CHANGELOG.md
                Code is not a link: `[a](not/a/link.md)` nor
                ```java
                m[i](x)
                ```
                """;
        assertThat(relativeLinks(md, "x.md")).extracting(Link::line, Link::target).containsExactly(
                tuple(1, "docs/adr/0001-x.md#consequences"),
                tuple(1, "results/a.svg"),
                tuple(3, "dir/a b.md"),
                tuple(4, "../CHANGELOG.md"));
    }

    @Test
    void aLinkResolvesAgainstItsOwnFilesDirectory() {
        Path root = Repository.root();
        Path adr = root.resolve("docs/adr/0001-channel-algorithm.md");

        assertThat(resolves(root, adr, "../spec/README.md#families")).isTrue();
        assertThat(resolves(root, adr, "../spec/")).isTrue();
        assertThat(resolves(root, adr, "spec/README.md")).isFalse();
        assertThat(resolves(root, root.resolve("README.md"), "docs/adr/no-such-adr.md")).isFalse();
    }

    /** The relative link targets of one Markdown text, with their line numbers. */
    static List<Link> relativeLinks(String markdown, String file) {
        List<Link> found = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        boolean fenced = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.stripLeading().startsWith("```") || line.stripLeading().startsWith("~~~")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            String text = CODE_SPAN.matcher(line).replaceAll("");
            for (Pattern p : List.of(INLINE, REFERENCE)) {
                Matcher m = p.matcher(text);
                while (m.find()) {
                    String target = m.group(1) != null ? m.group(1) : m.group(2);
                    if (!target.startsWith("#") && !SCHEME.matcher(target).find()) {
                        found.add(new Link(file, i + 1, target));
                    }
                }
            }
        }
        return found;
    }

    /** Whether {@code target}, without its anchor and %-escapes, names an existing path next to {@code file}. */
    static boolean resolves(Path root, Path file, String target) {
        int hash = target.indexOf('#');
        String path = URLDecoder.decode(
                (hash < 0 ? target : target.substring(0, hash)).replace("+", "%2B"), StandardCharsets.UTF_8);
        Path resolved = (path.startsWith("/") ? root.resolve(path.substring(1)) : file.getParent().resolve(path)).normalize();
        return resolved.startsWith(root) && Files.exists(resolved);
    }
}
