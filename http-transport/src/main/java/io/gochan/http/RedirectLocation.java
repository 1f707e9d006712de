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
        URI ref = new URI(escapeLenient(location));
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
     * Percent-escapes (UTF-8) the characters a URI may not hold but servers send, a space above all, as
     * Go's {@code url.Parse} accepts them; a control character stays, so that {@link URI} refuses it.
     */
    private static String escapeLenient(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (ESCAPED.indexOf(c) >= 0) {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                }
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }
}
