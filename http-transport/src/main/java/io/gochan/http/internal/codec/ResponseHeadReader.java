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

    private ResponseHeadReader() {}

    /**
     * Reads one head.
     *
     * @return the head, or null if the connection was at EOF before the first byte
     * @throws HttpProtocolException if the head is malformed or over a limit
     */
    public static ResponseHead read(ConnInput in, HttpLimits limits) throws IOException {
        long start = in.bytesRead();
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
        String statusLine = in.readLine(limits.maxLineLength(), Reason.LINE_TOO_LONG);
        ResponseHead partial = parseStatusLine(statusLine);
        List<String> fields = new ArrayList<>(16);
        while (true) {
            int length = in.readLineBytes(limits.maxLineLength(), Reason.LINE_TOO_LONG);
            if (length < 0) {
                throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed inside the response headers");
            }
            if (in.bytesRead() - start > limits.maxHeaderBytes()) {
                throw new HttpProtocolException(Reason.HEADERS_TOO_LARGE,
                        "response headers larger than " + limits.maxHeaderBytes() + " bytes");
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

    /** Builds Headers from alternating names and values (validated again by the builder: cheap). */
    static Headers toHeaders(List<String> fields) {
        Headers.Builder b = Headers.builder();
        for (int i = 0; i < fields.size(); i += 2) {
            b.add(fields.get(i), fields.get(i + 1));
        }
        return b.build();
    }

    /**
     * Parses {@code HTTP-version SP 3DIGIT [SP reason-phrase]} (RFC 9112 §4). Only HTTP/1.0 and
     * HTTP/1.1 are accepted; the code must be three digits from 100 to 999; the reason phrase may be
     * empty or absent but must not hold control characters.
     */
    static ResponseHead parseStatusLine(String line) throws HttpProtocolException {
        if (!line.startsWith(STATUS_PREFIX)) {
            throw new HttpProtocolException(Reason.MALFORMED_STATUS_LINE,
                    "response does not start with an HTTP/1.x status line: '" + shorten(line) + "'");
        }
        int sp = line.indexOf(' ');
        String version = sp < 0 ? line : line.substring(0, sp);
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new HttpProtocolException(Reason.UNSUPPORTED_VERSION, "unsupported protocol version '" + shorten(version) + "'");
        }
        if (sp < 0 || line.length() < sp + 4) {
            throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status line has no three-digit status code: '" + shorten(line) + "'");
        }
        int status = 0;
        for (int i = sp + 1; i < sp + 4; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status code is not three digits: '" + shorten(line) + "'");
            }
            status = status * 10 + (c - '0');
        }
        if (status < 100) {
            throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status code out of range 100-999: " + status);
        }
        String reason = "";
        if (line.length() > sp + 4) {
            if (line.charAt(sp + 4) != ' ') {
                throw new HttpProtocolException(Reason.BAD_STATUS_CODE, "status code is not three digits: '" + shorten(line) + "'");
            }
            reason = line.substring(sp + 5);
            checkText(reason, "reason phrase");
        }
        return new ResponseHead(version, status, reason, null);
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
                throw new HttpProtocolException(Reason.MALFORMED_HEADER,
                        "whitespace before the colon in response " + what + " '" + shorten(latin1(line, 0, length)) + "'");
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
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder();
        for (char c : t.toCharArray()) {
            b.append(c < 0x20 || (c >= 0x7f && c <= 0x9f) ? "\\x" + Integer.toHexString(c) : String.valueOf(c));
        }
        return b.toString();
    }
}
