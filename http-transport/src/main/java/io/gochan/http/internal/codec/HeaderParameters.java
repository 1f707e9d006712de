package io.gochan.http.internal.codec;

/**
 * The one reader of {@code ;}-separated parameters in this module (RFC 9110 §5.6.6): a {@code Content-Type}'s
 * {@code charset} (P66), and the quoted strings of a chunk extension (RFC 9112 §7.1.1, P27). A parameter value is a
 * token or a quoted string, and a quoted string may hold {@code ;}, {@code =} and {@code "} (the latter escaped as a
 * quoted-pair), so neither a split on {@code ;} nor one on {@code =} finds the parameters.
 */
public final class HeaderParameters {
    private HeaderParameters() {}

    /**
     * The value of the parameter {@code name} in {@code fieldValue} ({@code type/subtype *( OWS ";" OWS parameter )}),
     * or null if it has none. The name is matched with its ASCII letters in any case, nothing else folded (P67); blanks
     * (spaces, tabs) around {@code ;} and {@code =} are skipped (RFC 9110 allows none around {@code =}; the JDK's own
     * parser skips them too); a quoted value is
     * returned unquoted, each quoted-pair as the character it escapes; a token value without the blanks after it.
     * When the name is given more than once, the first one counts, as in the JDK's {@code HttpClient} and the WHATWG
     * MIME type parser. Whatever sits between parameters that is not one (a name without {@code =}) is skipped; a
     * quoted string that the field ends inside runs to the end, so nothing after its opening quote is a parameter.
     *
     * @param fieldValue the field's value, such as {@code text/plain; charset="utf-8"}
     * @param name the parameter's name
     * @return its value (possibly empty), or null
     */
    public static String parameter(String fieldValue, String name) {
        String s = fieldValue;
        int i = s.indexOf(';'); // the type and subtype are tokens: no quoted string before the first ';'
        while (i >= 0 && i < s.length()) {
            i = skipBlanks(s, i + 1); // past the ';'
            int nameStart = i;
            while (i < s.length() && s.charAt(i) != '=' && s.charAt(i) != ';') {
                i++;
            }
            int nameEnd = i;
            while (nameEnd > nameStart && isBlank(s.charAt(nameEnd - 1))) {
                nameEnd--;
            }
            if (i == s.length() || s.charAt(i) == ';') {
                continue; // a name without a value: not a parameter, skipped
            }
            boolean match = nameEnd - nameStart == name.length() && asciiEqualsIgnoreCase(s, nameStart, name);
            i = skipBlanks(s, i + 1); // past the '='
            String value;
            if (i < s.length() && s.charAt(i) == '"') {
                StringBuilder sb = match ? new StringBuilder() : null;
                i = quotedStringEnd(s, i, sb);
                value = match ? sb.toString() : null;
                if (i < 0) {
                    return value; // the field ends inside the quoted string
                }
            } else {
                int valueStart = i;
                while (i < s.length() && s.charAt(i) != ';') {
                    i++;
                }
                int valueEnd = i;
                while (valueEnd > valueStart && isBlank(s.charAt(valueEnd - 1))) {
                    valueEnd--;
                }
                value = match ? s.substring(valueStart, valueEnd) : null;
            }
            if (match) {
                return value;
            }
            i = s.indexOf(';', i); // whatever follows a quoted string up to the next ';' is no parameter
        }
        return null;
    }

    /**
     * Where the quoted string that opens at {@code open} ends: the index just after its closing quote, or -1 if
     * {@code s} ends inside it. A backslash takes the next character as it is (quoted-pair).
     *
     * @param s the text
     * @param open the index of the opening {@code "}
     * @param content if not null, receives the string's content, quoted-pairs unescaped
     * @return the index after the closing quote, or -1
     */
    public static int quotedStringEnd(String s, int open, StringBuilder content) {
        for (int i = open + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                c = s.charAt(++i);
            } else if (c == '"') {
                return i + 1;
            }
            if (content != null) {
                content.append(c);
            }
        }
        return -1;
    }

    /**
     * Whether {@code s} holds {@code name} at {@code from}, ASCII letters in any case (P67). A parameter name is a token,
     * ASCII only: {@link String#regionMatches(boolean, int, String, int, int)} folds Unicode case as well, so a hostile
     * {@code char\u017Fet} (LATIN SMALL LETTER LONG S, upper case {@code S}) was taken for {@code charset}.
     */
    private static boolean asciiEqualsIgnoreCase(String s, int from, String name) {
        for (int k = 0; k < name.length(); k++) {
            char a = s.charAt(from + k);
            char b = name.charAt(k);
            if (a != b && !(isAsciiLetter(a) && (a | 0x20) == (b | 0x20))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static int skipBlanks(String s, int i) {
        while (i < s.length() && isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }
}
