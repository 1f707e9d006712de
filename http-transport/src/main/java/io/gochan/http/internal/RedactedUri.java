package io.gochan.http.internal;

import java.net.URI;
import java.util.Locale;

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
        return shorten(redacted(uri));
    }

    /**
     * {@code text}, which {@link URI} refused, shortened as {@link #shortened(URI)} and with the password of what
     * looks like its user info (between {@code //}, or an http(s) scheme's {@code :} in a text without {@code //}, and
     * the authority's last {@code @}) written {@code xxxxx}, as {@link #ofText} says: the malformed part may be the
     * password itself (R81, R93).
     *
     * @param text what the caller gave as a URI
     * @return the text without its password, at most {@value #MESSAGE_LENGTH} characters and a note of the length
     */
    public static String shortenedText(String text) {
        return shorten(ofText(text));
    }

    private static String redacted(URI uri) {
        return uri == null ? "null" : ofText(uri.toString());
    }

    /**
     * {@code text}, perhaps no valid URI, with the password of what looks like its user info (between the first
     * {@code :} of the authority and the {@code @} that ends the user info) written {@code xxxxx}, not shortened. By the
     * text, not by {@link URI#getRawUserInfo()}: a URI whose authority is no server name ({@code http://a:b@@host}) has
     * none there, yet its text holds the password all the same (R62, R81). The authority is what follows the {@code //}
     * right after the scheme's {@code :} (or at the text's start); in a text without it ({@code http:alice:pw@host/},
     * an opaque URI to {@link URI}, refused for no host), it is what follows an http, https, socks5 or socks5h
     * scheme's {@code :} (and any {@code /}), else the text from its start ({@code alice:pw@proxy:3128}), as
     * {@code Proxies.fixed} reads a proxy written so (R83, R93). That hides more than Go's {@code URL.Redacted}, which
     * sees no user info in such a text: a refusal that printed the password the caller meant to send would be worse
     * than one that hides a name.
     *
     * <p>The authority ends at its first {@code /}, {@code ?} or {@code #}, as every parser reads it; its last
     * {@code @} ends the user info. A password holding one of those three unescaped ({@code http://alice:p#ss@host/},
     * {@code http://alice:a/b@host/}) cuts that authority short, before any {@code @}: what is left reads as
     * {@code alice:p}, a host with a port that is no number, so no server, and the rest of the password was printed.
     * Such an authority (a {@code :} followed by anything but digits, not in brackets) with an {@code @} anywhere after
     * it is taken for user info cut short, and ends at the text's last {@code @} (R93): no character of the password
     * is printed, at the price of the host and path when the path or query holds an {@code @} too. When the {@code :}
     * is followed by no port at all ({@code http://host:/p?m=a@b}), the text as it is is a server's URL to every
     * parser: an {@code @} in its query is the server's, not the user info's end (R104).
     *
     * @param s a URI as given
     * @return the text without its password
     */
    public static String ofText(String s) {
        int start = authorityStart(s);
        int end = UriHost.authorityEnd(s, start);
        int at = s.lastIndexOf('@', end - 1);
        if (at < start && cutShort(s, start, end)) {
            // The password ran on past a '/', '?' or '#' (R93); after an empty port the text is a server's URL as it is,
            // so its query's '@'s are left to it (R104).
            at = s.indexOf(':', start) == end - 1 ? lastAtOutsideQuery(s, end) : s.lastIndexOf('@');
        }
        int colon = at < start ? -1 : s.indexOf(':', start);
        return colon >= 0 && colon < at ? s.substring(0, colon) + ":xxxxx" + s.substring(at) : s;
    }

    /**
     * The last {@code @} of {@code s} that is not in its query as the text reads with its authority ending at
     * {@code end} (R104): the query begins at the first {@code ?} from {@code end} unless a {@code #} comes first, and
     * ends at the next {@code #}. {@code http://alice:/pw@host/p?m=a@b} ends its user info at {@code pw@};
     * {@code http://host:/p?m=a@b} has none. -1 when there is no such {@code @}.
     */
    private static int lastAtOutsideQuery(String s, int end) {
        int hash = s.indexOf('#', end);
        int fragment = hash < 0 ? s.length() : hash;
        int query = s.indexOf('?', end);
        int at = s.lastIndexOf('@');
        if (query >= 0 && query < fragment && at > query && at < fragment) {
            at = s.lastIndexOf('@', query - 1); // the last '@' before the query, if any
        }
        return at;
    }

    /**
     * Where the authority of {@code s} begins: after a {@code //} that starts the text or follows its first {@code :}
     * with no {@code @} before it ({@code scheme://user:password@host}, {@code //user:password@host}); without one, as
     * {@link #afterKnownScheme} says (R93). A {@code //} further on belongs to a password or a path
     * ({@code http:alice:p//w@host}), not to the form. Any {@code /} more is skipped: {@code http:///a:pw@host} has more
     * slashes than the form, still in front of the user info.
     */
    private static int authorityStart(String s) {
        int slashes = s.indexOf("//");
        int start;
        if (slashes >= 0 && (slashes == 0 || slashes == s.indexOf(':') + 1) && s.lastIndexOf('@', slashes) < 0) {
            start = slashes + 2;
        } else {
            start = afterKnownScheme(s); // no "//" before the user info (R93)
        }
        while (start < s.length() && s.charAt(start) == '/') {
            start++;
        }
        return start;
    }

    /**
     * Whether the authority {@code s[start, end)}, which holds no {@code @}, is user info cut short by a {@code /},
     * {@code ?} or {@code #} of its password (R93): it was cut (a character follows), is no IPv6 literal, and holds a
     * {@code :} not followed by a port (one or more digits to its end). {@code host:8080} followed by a path is a
     * server's authority and stays as it is, whatever {@code @} its path or query holds.
     */
    private static boolean cutShort(String s, int start, int end) {
        if (end >= s.length() || start >= end || s.charAt(start) == '[') {
            return false;
        }
        int colon = s.indexOf(':', start);
        if (colon < 0 || colon >= end) {
            return false;
        }
        if (colon + 1 == end) {
            return true; // "alice:" then the password's '/', '?' or '#': no port is empty
        }
        for (int i = colon + 1; i < end; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return true;
            }
        }
        return false;
    }

    /**
     * Where the authority of {@code s}, written without {@code //}, begins: after the {@code :} of a scheme the
     * transport speaks ({@code http:alice:pw@host}); else at 0, as {@code Proxies.fixed} puts {@code http://} in front
     * of any other text ({@code alice:pw@proxy:3128}, whose "scheme" is the user name).
     */
    private static int afterKnownScheme(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            return 0;
        }
        String scheme = s.substring(0, colon).toLowerCase(Locale.ROOT);
        boolean known = scheme.equals("http") || scheme.equals("https") || scheme.equals("socks5") || scheme.equals("socks5h");
        return known ? colon + 1 : 0;
    }

    private static String shorten(String s) {
        return s.length() <= MESSAGE_LENGTH ? s : s.substring(0, MESSAGE_LENGTH) + "... (" + s.length() + " characters)";
    }
}
