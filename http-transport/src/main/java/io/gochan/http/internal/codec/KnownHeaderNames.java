package io.gochan.http.internal.codec;

import java.util.ArrayList;
import java.util.List;

/**
 * The header names servers send most, as constants, so that parsing a response head makes no String
 * for them. A name matches case-insensitively and is then reported in the canonical spelling below,
 * as Go's {@code CanonicalMIMEHeaderKey} does; names not in the table keep the server's spelling.
 * Immutable and thread-safe.
 */
final class KnownHeaderNames {
    private static final String[] NAMES = {
        "Accept-Ranges", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
        "Access-Control-Allow-Methods", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
        "Age", "Alt-Svc", "Cache-Control", "Connection", "Content-Disposition", "Content-Encoding",
        "Content-Language", "Content-Length", "Content-Location", "Content-Range", "Content-Security-Policy",
        "Content-Type", "Date", "ETag", "Expires", "Keep-Alive", "Last-Modified", "Link", "Location",
        "Pragma", "Proxy-Authenticate", "Referrer-Policy", "Retry-After", "Server", "Set-Cookie",
        "Strict-Transport-Security", "Trailer", "Transfer-Encoding", "Upgrade", "Vary", "Via",
        "WWW-Authenticate", "X-Content-Type-Options", "X-Frame-Options", "X-Powered-By", "X-Request-Id",
        "X-XSS-Protection",
    };
    /** By length: the names of that length, lower-cased as bytes, and their canonical Strings. */
    private static final byte[][][] LOWER_BY_LENGTH;
    private static final String[][] CANONICAL_BY_LENGTH;

    static {
        int max = 0;
        for (String n : NAMES) {
            max = Math.max(max, n.length());
        }
        List<List<String>> byLength = new ArrayList<>();
        for (int i = 0; i <= max; i++) {
            byLength.add(new ArrayList<>());
        }
        for (String n : NAMES) {
            byLength.get(n.length()).add(n);
        }
        LOWER_BY_LENGTH = new byte[max + 1][][];
        CANONICAL_BY_LENGTH = new String[max + 1][];
        for (int len = 0; len <= max; len++) {
            List<String> names = byLength.get(len);
            LOWER_BY_LENGTH[len] = new byte[names.size()][];
            CANONICAL_BY_LENGTH[len] = names.toArray(new String[0]);
            for (int j = 0; j < names.size(); j++) {
                LOWER_BY_LENGTH[len][j] = names.get(j).toLowerCase(java.util.Locale.ROOT).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            }
        }
    }

    private KnownHeaderNames() {}

    /** The canonical constant for the token in {@code b[0..length)}, or null if it is not a known name. */
    static String lookup(byte[] b, int length) {
        if (length >= LOWER_BY_LENGTH.length) {
            return null;
        }
        byte[][] candidates = LOWER_BY_LENGTH[length];
        outer:
        for (int j = 0; j < candidates.length; j++) {
            byte[] lower = candidates[j];
            for (int i = 0; i < length; i++) {
                byte c = b[i];
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }
                if (c != lower[i]) {
                    continue outer;
                }
            }
            return CANONICAL_BY_LENGTH[length][j];
        }
        return null;
    }
}
