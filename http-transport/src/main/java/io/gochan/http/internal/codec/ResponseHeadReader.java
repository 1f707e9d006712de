package io.gochan.http.internal.codec;

import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a response's status line and header block, strictly and within {@link HttpLimits}.
 *
 * <p>Decisions (documented because browsers differ; see ADR 0006 and {@code docs/hostile-input.md}):
 * a bare LF ends a line (tolerated, like Go and browsers); a bare CR, NUL or other control characters
 * are rejected; obsolete line folding is rejected (a smuggling vector); whitespace between a header
 * name and the colon is rejected (RFC 9112 §5.1); a response whose first bytes cannot begin
 * {@code HTTP/} is rejected as soon as they arrive, without waiting for a line end.
 */
public final class ResponseHeadReader {
    private static final String STATUS_PREFIX = "HTTP/";
    /** {@code HTTP/DIGIT.DIGIT}: the length of a version. */
    private static final int VERSION_LENGTH = 8;

    private ResponseHeadReader() {}

    /**
     * Reads one head.
     *
     * @return the head, or null if the connection was at EOF before the first byte
     * @throws HttpProtocolException if the head is malformed or over a limit
     */
    public static ResponseHead read(ConnInput in, HttpLimits limits) throws IOException {
        return read(in, limits, in.bytesRead(), 0);
    }

    /**
     * Reads one head of a response whose earlier heads, the {@code informationalBefore} 1xx heads read since
     * {@code budgetStart}, share its {@code maxHeaderBytes} (P92): all the heads read for one request count together,
     * as Go 1.24 counts them when no 1xx is handed to the caller.
     *
     * @param budgetStart {@link ConnInput#bytesRead()} where the response's first head began
     * @param informationalBefore how many 1xx heads were read since then, named in the refusal
     * @return the head, or null if the connection was at EOF before the first byte
     * @throws HttpProtocolException if the head is malformed or over a limit
     */
    public static ResponseHead read(ConnInput in, HttpLimits limits, long budgetStart, int informationalBefore)
            throws IOException {
        String prefix = in.peekAscii(1);
        if (prefix.isEmpty()) {
            return null;
        }
        // One arrival at a time, and no further than the bytes can still begin "HTTP/": a short answer that cannot
        // ("ERR\n", "\r\n") followed by silence is refused now, not when five bytes or the connection's end come (P73).
        while (prefix.length() < STATUS_PREFIX.length() && STATUS_PREFIX.startsWith(prefix)) {
            String more = in.peekAscii(prefix.length() + 1); // returns once one more byte is here, or at EOF
            if (more.length() == prefix.length()) {
                break; // EOF inside the prefix: readLine below says PREMATURE_EOF
            }
            prefix = in.bufferedAscii(STATUS_PREFIX.length());
        }
        if (!STATUS_PREFIX.startsWith(prefix)) {
            // Reject at once: an HTTP/0.9 body or another protocol may have no line end for a long time.
            throw new HttpProtocolException(Reason.MALFORMED_STATUS_LINE,
                    "response does not start with an HTTP/1.x status line (HTTP/0.9 or another protocol?): '"
                            + shorten(in.bufferedAscii(40)) + "'");
        }
        String statusLine = in.readLine(limits.maxLineLength(), Reason.LINE_TOO_LONG, "the status line");
        ResponseHead partial = parseStatusLine(statusLine);
        List<String> fields = new ArrayList<>(16);
        while (true) {
            int length = in.readLineBytes(limits.maxLineLength(), Reason.LINE_TOO_LONG, "a response header line");
            if (length < 0) {
                throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed inside the response headers");
            }
            if (in.bytesRead() - budgetStart > limits.maxHeaderBytes()) {
                throw headersTooLarge(limits, informationalBefore);
            }
            if (length == 0) {
                break;
            }
            if (fields.size() / 2 >= limits.maxHeaderCount()) {
                throw new HttpProtocolException(Reason.TOO_MANY_HEADERS,
                        "more than " + limits.maxHeaderCount() + " response header fields");
            }
            parseField(in.lineBytes(), length, fields, "header");
        }
        return new ResponseHead(partial.version(), partial.status(), partial.reason(), toHeaders(fields));
    }

    /**
     * The refusal of heads over {@code maxHeaderBytes}: with 1xx heads before it, it says they counted (P92), so a
     * final head far under the limit is not taken for the one that was too large.
     */
    private static HttpProtocolException headersTooLarge(HttpLimits limits, int informationalBefore) {
        String counted = informationalBefore == 0 ? "" : ", counting the " + informationalBefore
                + " informational (1xx) head" + (informationalBefore == 1 ? "" : "s")
                + " read before this head: all the heads of one response share the limit (P92)";
        return new HttpProtocolException(Reason.HEADERS_TOO_LARGE,
                "response headers larger than " + limits.maxHeaderBytes() + " bytes" + counted);
    }

    /** Builds Headers from alternating names and values (validated again by the builder: cheap). */
    static Headers toHeaders(List<String> fields) {
        Headers.Builder b = Headers.builder();
        for (int i = 0; i < fields.size(); i += 2) {
            b.add(fields.get(i), fields.get(i + 1));
        }
        return b.build();
    }

    /**
     * Parses {@code HTTP-version SP 3DIGIT [SP reason-phrase]} (RFC 9112 §4), each part told apart before it is
     * judged, so a message names the part that was wrong (P84). The version is {@code HTTP/DIGIT.DIGIT}; an
     * HTTP/1.x version whose minor is above 1 is read (and reported) as HTTP/1.1, as RFC 9112 §2.3 asks and Go
     * does; any other major version is refused, its text being no HTTP/1 message (RFC 9110 §2.5). The code is
     * exactly three digits from 100 to 999, after exactly one space and followed by a space or the line's end;
     * the reason phrase may be empty or absent but must not hold control characters.
     */
    static ResponseHead parseStatusLine(String line) throws HttpProtocolException {
        if (!line.startsWith(STATUS_PREFIX)) {
            throw new HttpProtocolException(Reason.MALFORMED_STATUS_LINE,
                    "response does not start with an HTTP/1.x status line: '" + shorten(line) + "'");
        }
        String version = version(line);
        int sp = VERSION_LENGTH;
        if (line.length() == sp) {
            throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status line has no status code: '" + shorten(line) + "'");
        }
        if (line.charAt(sp) != ' ') {
            throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status line: the version is followed by 0x"
                    + Integer.toHexString(line.charAt(sp)) + ", not one space: '" + shorten(line) + "'");
        }
        int codeEnd = line.indexOf(' ', sp + 1);
        String code = line.substring(sp + 1, codeEnd < 0 ? line.length() : codeEnd);
        if (code.length() != 3) {
            throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status code is not three digits followed by a space or the line's end: '"
                    + shorten(code) + "' in '" + shorten(line) + "'");
        }
        int status = 0;
        for (int i = 0; i < 3; i++) {
            char c = code.charAt(i);
            if (c < '0' || c > '9') {
                throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status code is not three digits: '" + shorten(code) + "' in '"
                        + shorten(line) + "'");
            }
            status = status * 10 + (c - '0');
        }
        if (status < 100) {
            throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status code '" + code + "' out of range 100-999");
        }
        String reason = "";
        if (codeEnd >= 0) {
            reason = line.substring(codeEnd + 1);
            checkText(reason, "reason phrase");
        }
        return new ResponseHead(version, status, reason, null);
    }

    /**
     * The version of a status line starting with {@code HTTP/}, as this client reads it: "HTTP/1.0" or "HTTP/1.1".
     * Whatever stands before the first space or tab is quoted when refused, so a separator that is not a space is
     * not mistaken for part of the version.
     */
    private static String version(String line) throws HttpProtocolException {
        int end = VERSION_LENGTH;
        while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '\t') {
            end++;
        }
        boolean shaped = line.length() >= VERSION_LENGTH && isDigit(line.charAt(5)) && line.charAt(6) == '.'
                && isDigit(line.charAt(7)) && end == VERSION_LENGTH;
        if (!shaped) {
            int first = 0;
            while (first < line.length() && line.charAt(first) != ' ' && line.charAt(first) != '\t') {
                first++;
            }
            String token = line.substring(0, first);
            throw new HttpProtocolException(Reason.UNSUPPORTED_VERSION,
                    "malformed protocol version '" + shorten(token) + "' (HTTP/DIGIT.DIGIT expected)");
        }
        char major = line.charAt(5);
        if (major != '1') {
            throw new HttpProtocolException(Reason.UNSUPPORTED_VERSION, "unsupported protocol version '" + line.substring(0, VERSION_LENGTH)
                    + "': an HTTP/1.1 connection carries HTTP/1.x answers only (major version " + major + " is another message syntax)");
        }
        // RFC 9112 §2.3: a higher minor version of a major we implement is processed as our highest minor.
        return line.charAt(7) == '0' ? "HTTP/1.0" : "HTTP/1.1";
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Parses the header or trailer line {@code line[0..length)} as "name: value" into fields, straight
     * from the bytes: a known name is a constant ({@link KnownHeaderNames}) and the value is the one
     * String made per field. Obsolete line folding, a missing colon, an empty name, whitespace before
     * the colon, a name that is not a token, and a control character (other than a tab) anywhere in the
     * value are rejected; only spaces and tabs around the value are removed. Headers and trailers go
     * through this one parser, so a trailer is held to exactly the rules of a header (T10).
     *
     * @param what "header" or "trailer", for the messages
     */
    static void parseField(byte[] line, int length, List<String> fields, String what) throws HttpProtocolException {
        byte first = line[0];
        if (first == ' ' || first == '\t') {
            throw new HttpProtocolException(Reason.OBSOLETE_LINE_FOLDING, "obsolete line folding in response " + what + "s");
        }
        int colon = -1;
        for (int i = 0; i < length; i++) {
            if (line[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon < 0) {
            throw new HttpProtocolException(Reason.MALFORMED_HEADER,
                    "response " + what + " line without a colon: '" + shorten(latin1(line, 0, length)) + "'");
        }
        if (colon == 0) {
            throw new HttpProtocolException(Reason.MALFORMED_HEADER, "response " + what + " with an empty name");
        }
        for (int i = 0; i < colon; i++) {
            char c = (char) (line[i] & 0xff);
            if (c == ' ' || c == '\t') {
                // Say which: a blank that only precedes the colon (RFC 9112 §5.1) or one that splits the name, so the
                // message names the fault a reader of the line sees (P96).
                String where = onlyBlanksUntil(line, i, colon) ? "whitespace before the colon" : "whitespace inside the name";
                throw new HttpProtocolException(Reason.MALFORMED_HEADER,
                        where + " in response " + what + " '" + shorten(latin1(line, 0, length)) + "'");
            }
            if (!Headers.isTokenChar(c)) {
                throw new HttpProtocolException(Reason.INVALID_CHARACTER,
                        "invalid character 0x" + Integer.toHexString(c) + " in response " + what + " name");
            }
        }
        int from = colon + 1;
        int to = length;
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        for (int i = from; i < to; i++) {
            int c = line[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new HttpProtocolException(Reason.INVALID_CHARACTER,
                        "control character 0x" + Integer.toHexString(c) + " in response " + what + " value");
            }
        }
        String name = KnownHeaderNames.lookup(line, colon);
        fields.add(name != null ? name : latin1(line, 0, colon));
        fields.add(from == to ? "" : latin1(line, from, to - from));
    }

    /** Whether {@code line[from..to)} holds only spaces and tabs. */
    private static boolean onlyBlanksUntil(byte[] line, int from, int to) {
        for (int i = from; i < to; i++) {
            if (line[i] != ' ' && line[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    private static String latin1(byte[] b, int from, int length) {
        return new String(b, from, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void checkText(String s, String what) throws HttpProtocolException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new HttpProtocolException(Reason.INVALID_CHARACTER,
                        "control character 0x" + Integer.toHexString(c) + " in response " + what);
            }
        }
    }

    /**
     * At most 80 characters of {@code s}, control characters escaped (0x00–0x1f, DEL and the range 0x80–0x9f,
     * whose NEL some readers take as a line end): for quoting peer bytes in messages and logs.
     */
    public static String shorten(String s) {
        return escapeControls(s.length() > 80 ? s.substring(0, 80) + "..." : s, false);
    }

    /**
     * {@code s} whole, its control characters written {@code \xNN}, two hex digits (0x00–0x1f, DEL, 0x80–0x9f): the one escaping of
     * text for a message or a log, what {@link #shorten} quotes of a peer's bytes, a {@code toString} of what a peer sent
     * (a reason phrase, a field value, which may hold obs-text, whose 0x85 is NEL, a line end to some log readers, R125)
     * and a refusal's quote of the caller's text (R129). The same string when there is nothing to escape.
     *
     * @param s the text
     * @param keepTabs whether a tab stays as it is (text that may hold one, such as a field value: it ends no line)
     * @return the text, escaped
     */
    public static String escapeControls(String s, boolean keepTabs) {
        int i = 0;
        while (i < s.length() && !mustEscape(s.charAt(i), keepTabs)) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (mustEscape(c, keepTabs)) {
                // Two digits always (R133): "\\x9B" must not be read as the C1 character 0x9b when it is a tab and a B.
                b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static boolean mustEscape(char c, boolean keepTabs) {
        return (c < 0x20 && !(keepTabs && c == '\t')) || (c >= 0x7f && c <= 0x9f);
    }
}
