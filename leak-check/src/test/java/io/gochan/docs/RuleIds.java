package io.gochan.docs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds rule IDs: their definitions in the catalogue ({@code docs/spec}) and their citations in Java
 * sources and Markdown. The conventions are those of {@code docs/spec/README.md}.
 */
final class RuleIds {
    /** One or two capitals, a number of one to three digits, an optional lower-case part letter: S3, TM1, B5a, R100. */
    static final String ID = "[A-Z]{1,2}[0-9]{1,3}[a-z]?";

    /** An ID standing alone: not glued to a word, and not a %-escape, an HTML entity or an anchor. */
    private static final Pattern TOKEN = Pattern.compile("(?<![\\w%&#])(" + ID + ")(?!\\w)");
    /** {@code S1–S6}, {@code I1-I3}, {@code R97–R100}: the same prefix on both ends names every ID in between. */
    private static final Pattern RANGE = Pattern.compile(
            "(?<![\\w%&#])([A-Z]{1,2})([0-9]{1,3})\\s*[–-]\\s*\\1([0-9]{1,3})(?!\\w)");
    private static final Pattern TEST_NAME = Pattern.compile("\\bvoid\\s+(" + ID + ")_\\w*\\s*\\(");
    /** A string literal that starts with a citation: {@code "I2: ..."}, {@code "L4/L6: ..."}, {@code "S1+S4: ..."}. */
    private static final Pattern LEADING_CITATION = Pattern.compile("^((?:" + ID + ")(?:\\s*[/+,]\\s*" + ID + ")*):");
    /** {@code - **S3** Order.}, or the ID opening a bold title: {@code - **TM1. Timer channels ...**}. */
    private static final Pattern DEFINITION_ITEM = Pattern.compile("^\\s*(?:[-*+]|\\d+\\.)\\s+\\*\\*(" + ID + ")(?:[.:]?\\*\\*|[.:]\\s)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*)$");

    /** One ID at one place. */
    record Citation(String id, String file, int line) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    private RuleIds() {}

    /** The IDs defined in one catalogue file: list items that start with {@code **ID**}, and headings. */
    static List<Citation> definitions(String markdown, String file) {
        List<Citation> found = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        boolean fenced = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher item = DEFINITION_ITEM.matcher(line);
            if (item.find()) {
                found.add(new Citation(item.group(1), file, i + 1));
                continue;
            }
            Matcher heading = HEADING.matcher(line);
            if (heading.matches()) {
                Matcher token = TOKEN.matcher(heading.group(1));
                while (token.find()) {
                    found.add(new Citation(token.group(1), file, i + 1));
                }
            }
        }
        return found;
    }

    /** Every ID cited in a Markdown file (all of its prose and code is read). */
    static List<Citation> citationsInMarkdown(String markdown, String file) {
        List<Citation> found = new ArrayList<>();
        tokens(markdown, 1, file, found);
        return found;
    }

    /**
     * Every ID cited in a Java source: test method names ({@code void S3_...}), any ID in a comment,
     * and string literals that start with a citation followed by a colon. Code outside comments and
     * strings is not read for IDs (type parameters such as {@code T1} are code).
     */
    static List<Citation> citationsInJava(String source, String file) {
        List<Citation> found = new ArrayList<>();
        Lines lines = new Lines(source);
        Matcher test = TEST_NAME.matcher(source);
        while (test.find()) {
            found.add(new Citation(test.group(1), file, lines.of(test.start(1))));
        }
        JavaText.forEach(source, (kind, text, start) -> {
            if (kind == JavaText.Kind.COMMENT) {
                tokens(text, lines.of(start), file, found);
            } else {
                Matcher lead = LEADING_CITATION.matcher(text);
                if (lead.find()) {
                    tokens(lead.group(1), lines.of(start), file, found);
                }
            }
        });
        return found;
    }

    private static void tokens(String text, int firstLine, String file, List<Citation> out) {
        Lines lines = new Lines(text);
        Matcher token = TOKEN.matcher(text);
        while (token.find()) {
            out.add(new Citation(token.group(1), file, firstLine + lines.of(token.start()) - 1));
        }
        Matcher range = RANGE.matcher(text);
        while (range.find()) {
            int from = Integer.parseInt(range.group(2));
            int to = Integer.parseInt(range.group(3));
            for (int n = from + 1; n < to; n++) {
                out.add(new Citation(range.group(1) + n, file, firstLine + lines.of(range.start()) - 1));
            }
        }
    }

    /** Line numbers (1-based) of character offsets, by binary search over the line starts. */
    private static final class Lines {
        private final int[] starts;

        Lines(String text) {
            int[] s = new int[16];
            int n = 0;
            s[n++] = 0;
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '\n') {
                    if (n == s.length) {
                        s = Arrays.copyOf(s, n * 2);
                    }
                    s[n++] = i + 1;
                }
            }
            starts = Arrays.copyOf(s, n);
        }

        int of(int offset) {
            int i = Arrays.binarySearch(starts, offset);
            return i >= 0 ? i + 1 : -i - 1;
        }
    }
}
