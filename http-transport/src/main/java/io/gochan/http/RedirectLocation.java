package io.gochan.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * Resolves a redirect's {@code Location} against the URI of the request it answered, by RFC 3986
 * section 5.2 as Go's {@code url.URL.ResolveReference} does (R16). {@link URI#resolve(URI)} follows the
 * older RFC 2396 and gets common references wrong: {@code ?page=2} against {@code /a/b} gives
 * {@code /a/?page=2} (RFC 3986: {@code /a/b?page=2}), and dot segments of an absolute path or above the
 * root stay in the path ({@code /../x}, {@code /./x}), so the request would go to another resource.
 */
final class RedirectLocation {
    /** Characters servers put in a Location unescaped that {@link URI} refuses; sent percent-escaped as Go does. */
    private static final String ESCAPED = " \"<>\\^`{|}";

    private RedirectLocation() {}

    /**
     * The absolute URI {@code location} refers to from {@code base}, fragment included.
     *
     * @param base the absolute URI of the request the redirect answered
     * @param location the {@code Location} field's value, surrounding blanks removed
     * @return the target
     * @throws URISyntaxException if {@code location} is not a URI reference (a control character, a
     *     malformed escape or authority)
     */
    static URI resolve(URI base, String location) throws URISyntaxException {
        if (emptyAuthority(location)) {
            return resolveEmptyAuthority(base, location);
        }
        URI ref = new URI(escapeLenient(location, true));
        String scheme;
        String authority;
        String path;
        String query;
        String rawPath = ref.getRawPath() == null ? "" : ref.getRawPath();
        if (ref.getScheme() != null) {
            if (ref.isOpaque()) {
                return ref; // "mailto:x", "http:x": no hierarchy to resolve; the caller refuses it
            }
            scheme = ref.getScheme();
            authority = ref.getRawAuthority();
            path = removeDotSegments(rawPath);
            query = ref.getRawQuery();
        } else {
            scheme = base.getScheme();
            if (ref.getRawAuthority() != null) {
                authority = ref.getRawAuthority();
                path = removeDotSegments(rawPath);
                query = ref.getRawQuery();
            } else {
                authority = base.getRawAuthority();
                if (rawPath.isEmpty()) {
                    path = base.getRawPath() == null ? "" : base.getRawPath();
                    query = ref.getRawQuery() != null ? ref.getRawQuery() : base.getRawQuery();
                } else {
                    path = removeDotSegments(rawPath.startsWith("/") ? rawPath : merge(base, rawPath));
                    query = ref.getRawQuery();
                }
            }
        }
        StringBuilder sb = new StringBuilder(scheme).append(':');
        if (authority != null) {
            sb.append("//").append(authority);
        }
        sb.append(path);
        if (query != null) {
            sb.append('?').append(query);
        }
        if (ref.getRawFragment() != null) {
            sb.append('#').append(ref.getRawFragment());
        }
        return new URI(sb.toString());
    }

    /**
     * Whether {@code location} has no scheme and starts with a {@code //} whose authority is empty: {@code //} alone or
     * before {@code ?} or {@code #}, or {@code ///...} (R135). Go's {@code url.Parse} reads neither as naming a server:
     * {@code ///y} is the path {@code ///y} (it parses no authority after a third {@code /}), and {@code //}'s empty
     * host is no host, so {@code ResolveReference} keeps the request's server. Such a {@code Location} is a path
     * reference (R120).
     */
    static boolean emptyAuthority(String location) {
        return location.startsWith("//") && (location.length() == 2 || "/?#".indexOf(location.charAt(2)) >= 0);
    }

    /**
     * {@code location} of {@link #emptyAuthority} resolved as Go resolves it (R135): {@code ///y} as the absolute path
     * {@code ///y} on the request's server, its slashes kept ({@link URI} reads {@code //} as an empty authority and
     * keeps {@code /y}, another resource); {@code //}, {@code //?q} and {@code //#f} as the empty reference, {@code ?q}
     * and {@code #f} are ({@link URI} refuses an empty authority there).
     */
    private static URI resolveEmptyAuthority(URI base, String location) throws URISyntaxException {
        if (location.length() > 2 && location.charAt(2) == '/') {
            // Parsed behind a placeholder authority, so that URI keeps every slash of the path.
            URI ref = new URI(escapeLenient("//h" + location, true));
            StringBuilder sb = new StringBuilder(base.getScheme()).append("://").append(base.getRawAuthority())
                    .append(removeDotSegments(ref.getRawPath()));
            if (ref.getRawQuery() != null) {
                sb.append('?').append(ref.getRawQuery());
            }
            if (ref.getRawFragment() != null) {
                sb.append('#').append(ref.getRawFragment());
            }
            return new URI(sb.toString());
        }
        return resolve(base, location.substring(2));
    }

    /** RFC 3986 5.2.3: the base path up to its last '/', then the reference's path. */
    private static String merge(URI base, String refPath) {
        String bp = base.getRawPath() == null ? "" : base.getRawPath();
        if (base.getRawAuthority() != null && bp.isEmpty()) {
            return "/" + refPath;
        }
        return bp.substring(0, bp.lastIndexOf('/') + 1) + refPath;
    }

    /** RFC 3986 5.2.4: "." and ".." segments removed; ".." never climbs above the root. */
    static String removeDotSegments(String path) {
        if (path.indexOf('.') < 0) {
            return path;
        }
        String in = path;
        StringBuilder out = new StringBuilder(path.length());
        while (!in.isEmpty()) {
            if (in.startsWith("../")) {
                in = in.substring(3);
            } else if (in.startsWith("./")) {
                in = in.substring(2);
            } else if (in.startsWith("/./")) {
                in = in.substring(2);
            } else if (in.equals("/.")) {
                in = "/";
            } else if (in.startsWith("/../")) {
                in = in.substring(3);
                removeLastSegment(out);
            } else if (in.equals("/..")) {
                in = "/";
                removeLastSegment(out);
            } else if (in.equals(".") || in.equals("..")) {
                in = "";
            } else {
                int next = in.indexOf('/', 1);
                String segment = next < 0 ? in : in.substring(0, next);
                out.append(segment);
                in = in.substring(segment.length());
            }
        }
        return out.toString();
    }

    private static void removeLastSegment(StringBuilder out) {
        int slash = out.lastIndexOf("/");
        out.setLength(Math.max(slash, 0));
    }

    /**
     * The {@code Location} as {@link URI} accepts what Go's {@code url.Parse} accepts (R16): percent-escaped are
     * the characters a URI may not hold but servers send (a space above all, {@link #ESCAPED}), {@code [} and
     * {@code ]} in the path (Go leaves them there; URI allows them only around an IPv6 literal and in a query or
     * fragment), every {@code #} after the first (Go's fragment is all that follows the first) and every byte
     * above 0x7f outside the authority, escaped as that byte ({@code %C3%A9}), as Go escapes it: the field was read
     * as ISO-8859-1, one char a byte, so URI's own escaping (UTF-8 of each char) sent {@code %C3%83%C2%A9}, and a
     * byte URI reads as a space or control character (0xA0 of {@code à}) made it refuse the location. In the
     * authority those bytes are read as the UTF-8 they are, so an IDN host reaches IDNA as its name, and each
     * {@code @} before the authority's last is escaped, the user info ending at the last as Go's {@code url.Parse}
     * ends it (R111). A control character stays, so that URI refuses it.
     *
     * <p>For a request URI the caller wrote ({@code fieldBytes} false, R115) the text is characters, not a field's
     * bytes: a non-ASCII character is escaped only where {@link URI} refuses it (a space or control character beyond
     * ASCII, {@code U+00A0}), as the UTF-8 of that character, and the authority is left as written, so that a blank
     * or another such character in a host is refused with URI's reason, as Go's {@code url.Parse} refuses it.
     */
    private static String escapeLenient(String s, boolean fieldBytes) {
        int authFrom = authorityStart(s);
        int authTo = authFrom < 0 ? 0 : firstOf(s, "/?#", authFrom);
        int pathTo = firstOf(s, "?#", Math.max(authTo, 0));
        int hash = s.indexOf('#');
        StringBuilder sb = new StringBuilder(s.length() + 16);
        boolean changed = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (authFrom >= 0 && i == authFrom && authTo > authFrom) {
                String authority = fieldBytes ? utf8OrAsIs(s.substring(authFrom, authTo)) : s.substring(authFrom, authTo);
                changed |= !authority.equals(s.substring(authFrom, authTo));
                int lastAt = authority.lastIndexOf('@'); // user info ends at the last '@', as Go's url.Parse reads it (R111)
                for (int j = 0; j < authority.length(); j++) {
                    char a = authority.charAt(j);
                    changed |= escapeOrAppend(sb, a, (fieldBytes && ESCAPED.indexOf(a) >= 0) || (a == '@' && j < lastAt), fieldBytes);
                }
                i = authTo - 1;
                continue;
            }
            boolean escape = ESCAPED.indexOf(c) >= 0
                    || ((c == '[' || c == ']') && i >= authTo && i < pathTo)
                    || (c == '#' && i > hash)
                    || (c == '%' && inQuery(s, i, pathTo, hash) && !escapePairAt(s, i))
                    || (fieldBytes ? c > 0x7f && c <= 0xff : c > 0x7f && (Character.isSpaceChar(c) || Character.isISOControl(c)));
            changed |= escapeOrAppend(sb, c, escape, fieldBytes);
        }
        return changed ? sb.toString() : s;
    }

    /**
     * A request URI the caller wrote, as {@link URI} takes what Go's {@code url.Parse} takes (R115): the characters Go
     * sends escaped in a path, and a URI may not hold, percent-escaped as {@link #escapeLenient} escapes a
     * {@code Location}'s, in the path, query and fragment; the authority and every control character left as written,
     * for {@link URI} to refuse. Text that does not start with {@code http://} or {@code https://} is returned as it is.
     *
     * @param s the caller's text
     * @return the text to parse
     */
    static String escapeRequestText(String s) {
        String lower = s.length() < 8 ? s : s.substring(0, 8).toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://") ? escapeLenient(s, false) : s;
    }

    /**
     * Whether index {@code i} is in the query: after the {@code ?} at {@code pathTo} and before the first {@code #}.
     * Go's {@code url.Parse} keeps a query as written ({@code RawQuery}), its escapes unchecked, so a {@code %} there
     * that starts no escape ({@code ?q=100%}, {@code ?a=%zz}) is sent, where {@link URI} refuses it: it goes as
     * {@code %25}, the text a server decodes from it.
     */
    private static boolean inQuery(String s, int i, int pathTo, int hash) {
        return pathTo < s.length() && s.charAt(pathTo) == '?' && i > pathTo && (hash < 0 || i < hash);
    }

    /** Whether a {@code %} at {@code i} starts an escape: two hex digits follow. */
    private static boolean escapePairAt(String s, int i) {
        return i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0 && s.charAt(i + 1) < 0x80
                && Character.digit(s.charAt(i + 2), 16) >= 0 && s.charAt(i + 2) < 0x80;
    }

    /** Appends {@code c}, escaped if asked: as one byte when the text is a field's bytes, else as its UTF-8. */
    private static boolean escapeOrAppend(StringBuilder sb, char c, boolean escape, boolean fieldBytes) {
        if (!escape) {
            sb.append(c);
            return false;
        }
        byte[] bytes = c <= 0xff && fieldBytes ? new byte[] {(byte) c} : String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                    .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
        }
        return true;
    }

    /** Where the authority starts (after {@code scheme://} or a leading {@code //}), or -1 if there is none. */
    private static int authorityStart(String s) {
        if (s.startsWith("//")) {
            return 2;
        }
        int colon = s.indexOf(':');
        if (colon <= 0 || firstOf(s, "/?#", 0) < colon || !Character.isLetter(s.charAt(0))) {
            return -1;
        }
        for (int i = 1; i < colon; i++) {
            char c = s.charAt(i);
            if (!(c < 0x80 && (Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.'))) {
                return -1;
            }
        }
        return s.startsWith("//", colon + 1) ? colon + 3 : -1;
    }

    private static int firstOf(String s, String chars, int from) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    /** {@code latin1}'s chars as bytes decoded as UTF-8, or {@code latin1} itself if they are ASCII or not UTF-8. */
    private static String utf8OrAsIs(String latin1) {
        if (latin1.chars().allMatch(c -> c < 0x80) || latin1.chars().anyMatch(c -> c > 0xff)) {
            return latin1;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return latin1;
        }
    }
}
