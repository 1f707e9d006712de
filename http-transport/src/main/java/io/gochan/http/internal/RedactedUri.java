package io.gochan.http.internal;

import java.net.URI;

/**
 * A request URI as messages, {@code toString} and JFR events show it: the password of its user info
 * replaced by {@code xxxxx}, as Go's {@code URL.Redacted} does (R17). User info in a request URI is a
 * credential the client sends, so it must not reach logs through an exception message.
 */
public final class RedactedUri {
    private RedactedUri() {}

    /**
     * {@code uri} with the password of its user info, if any, replaced by {@code xxxxx}.
     *
     * @param uri a URI, or null
     * @return its text without the password ({@code "null"} for null)
     */
    public static String of(URI uri) {
        if (uri == null) {
            return "null";
        }
        String s = uri.toString();
        String info = uri.getRawUserInfo();
        int colon = info == null ? -1 : info.indexOf(':');
        int start = s.indexOf("//");
        if (colon < 0 || start < 0 || !s.startsWith(info, start + 2)) {
            return s;
        }
        start += 2;
        return s.substring(0, start) + info.substring(0, colon) + ":xxxxx" + s.substring(start + info.length());
    }
}
