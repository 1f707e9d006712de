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
        return redacted(uri);
    }

    /** How many characters of a URI a message shows at most (a URI may be hundreds of kilobytes). */
    static final int MESSAGE_LENGTH = 200;

    /**
     * {@code uri} as {@link #of} gives it, cut to its first {@value #MESSAGE_LENGTH} characters for an exception
     * message or a {@code toString}, the cut said with the whole length: a request with a huge URI (refused for its
     * size, P43) must not repeat it in every message that names the request.
     *
     * @param uri a URI, or null
     * @return its text without the password, at most {@value #MESSAGE_LENGTH} characters plus a note of the cut
     */
    public static String shortened(URI uri) {
        String s = redacted(uri);
        return s.length() <= MESSAGE_LENGTH ? s : s.substring(0, MESSAGE_LENGTH) + "... (" + s.length() + " characters)";
    }

    private static String redacted(URI uri) {
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
