package io.gochan.docs;

/**
 * Splits a Java source into its comments and string literals (a small lexer: enough to tell a
 * comment from code, a {@code "//"} inside a string from a comment, and a text block from a string).
 */
final class JavaText {
    enum Kind { COMMENT, STRING }

    @FunctionalInterface
    interface Visitor {
        /** Called with the comment's text (without its delimiters) or the literal's raw content. */
        void visit(Kind kind, String text, int start);
    }

    private JavaText() {}

    static void forEach(String src, Visitor visitor) {
        int i = 0;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                int end = src.indexOf('\n', i);
                end = end < 0 ? n : end;
                visitor.visit(Kind.COMMENT, src.substring(i + 2, end), i + 2);
                i = end;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? n : end;
                visitor.visit(Kind.COMMENT, src.substring(i + 2, end), i + 2);
                i = Math.min(n, end + 2);
            } else if (src.startsWith("\"\"\"", i)) {
                int end = closingTextBlock(src, i + 3);
                visitor.visit(Kind.STRING, src.substring(i + 3, end), i + 3);
                i = Math.min(n, end + 3);
            } else if (c == '"' || c == '\'') {
                int end = closingQuote(src, i + 1, c);
                if (c == '"') {
                    visitor.visit(Kind.STRING, src.substring(i + 1, end), i + 1);
                }
                i = Math.min(n, end + 1);
            } else {
                i++;
            }
        }
    }

    private static int closingQuote(String src, int from, char quote) {
        for (int i = from; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote || c == '\n') {
                return i;
            }
        }
        return src.length();
    }

    private static int closingTextBlock(String src, int from) {
        for (int i = from; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\\') {
                i++;
            } else if (src.startsWith("\"\"\"", i)) {
                return i;
            }
        }
        return src.length();
    }
}
