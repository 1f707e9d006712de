package io.gochan.http.internal;

import java.net.URI;

/**
 * The host and port of a request or proxy URI, as every part of the transport reads them (R40).
 * {@link URI#getHost()} and {@link URI#getPort()} when {@link URI} parsed a server authority; otherwise,
 * for a registry authority, a host name {@link URI} refuses only for its underscores (Docker and Compose
 * service names such as {@code my_service}, {@code a_b.example}, SRV-style {@code _http._tcp.example}),
 * which Go's {@code url.Parse} and resolver accept: letters, digits, {@code -}, {@code _} and dots between
 * non-empty labels, at least one {@code _}, and an optional port of 1 to 5 digits, 1 to 65535. Any other
 * registry authority (user info, brackets, spaces, escapes, a bad port) has no host here, as before.
 */
public final class UriHost {
    private UriHost() {}

    /**
     * The host of {@code uri}, as the transport reads it.
     *
     * @param uri a URI
     * @return its host ({@link URI#getHost()}'s form), or null if it has none this transport accepts
     */
    public static String host(URI uri) {
        String host = uri.getHost();
        if (host != null) {
            return host;
        }
        String authority = uri.getRawAuthority();
        if (authority == null) {
            return null;
        }
        int colon = authority.indexOf(':');
        String name = colon < 0 ? authority : authority.substring(0, colon);
        return isUnderscoreName(name) && (colon < 0 || parsePort(authority.substring(colon + 1)) > 0) ? name : null;
    }

    /**
     * The port of {@code uri}, as the transport reads it.
     *
     * @param uri a URI
     * @return its port, or -1 if it has none (or no host {@link #host} accepts)
     */
    public static int port(URI uri) {
        if (uri.getHost() != null) {
            return uri.getPort();
        }
        if (host(uri) == null) {
            return -1;
        }
        String authority = uri.getRawAuthority();
        int colon = authority.indexOf(':');
        return colon < 0 ? -1 : parsePort(authority.substring(colon + 1));
    }

    /**
     * The port of {@code uri}, or its scheme's default.
     *
     * @param uri a URI
     * @return its port, or the scheme's default (443 for https, 80 otherwise) if it has none
     */
    public static int portOrDefault(URI uri) {
        int port = port(uri);
        return port != -1 ? port : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /**
     * Why {@link #host} gives no host for {@code uri}, for a message (null when it gives one).
     *
     * @param uri a URI
     * @return the reason, or null
     */
    public static String whyNoHost(URI uri) {
        if (host(uri) != null) {
            return null;
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty() || authority.startsWith(":")) {
            return "no host";
        }
        int colon = authority.indexOf(':');
        if (colon > 0 && isUnderscoreName(authority.substring(0, colon))) {
            return "port is not a number from 1 to 65535";
        }
        return "host[:port] is not valid (a name of letters, digits, '-', '_' and '.', or an IP address; a port from 1 to 65535)";
    }

    /** Dot-separated non-empty labels of letters, digits, '-' and '_', with at least one '_' (else URI would have parsed it). */
    private static boolean isUnderscoreName(String name) {
        if (name.isEmpty() || name.length() > 253 || name.indexOf('_') < 0) {
            return false;
        }
        int label = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (label == 0) {
                    return false;
                }
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                if (++label > 63) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return true; // a trailing dot (a fully qualified name) is allowed, as URI allows it
    }

    /** {@code s} as a port from 1 to 65535, or -1. */
    private static int parsePort(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return -1;
        }
        int port = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port >= 1 && port <= 65535 ? port : -1;
    }

    /**
     * Where the authority of URI text that starts at {@code from} (just after {@code //}) ends: at its first
     * {@code /}, {@code ?} or {@code #}, or at the end. By the text, for text {@link URI} may refuse.
     *
     * @param s the text
     * @param from where the authority starts
     * @return the index just past the authority
     */
    public static int authorityEnd(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return i;
            }
        }
        return s.length();
    }

    /**
     * URI text with each {@code @} of its authority's user info but the last percent-escaped ({@code %40}), so that
     * user info ends at the authority's last {@code @}, as Go's {@code url.Parse} and the WHATWG URL parser split it:
     * {@code http://u:p@ss@host/} is user {@code u}, password {@code p@ss} at {@code host}, where {@link URI} finds no
     * host (R26, R111). Text without {@code scheme://} at its start, or with one {@code @} or none in its authority,
     * is returned as it is; an {@code @} after the authority (path, query, fragment) is never touched.
     *
     * @param s URI text
     * @return the text with the user info's inner {@code @}s escaped
     */
    public static String escapeUserInfoAts(String s) {
        int sep = s.indexOf("://");
        if (sep <= 0 || !s.substring(0, sep).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
            return s;
        }
        int from = sep + 3;
        int end = authorityEnd(s, from);
        int last = s.lastIndexOf('@', end - 1);
        if (last < from || s.indexOf('@', from) == last) {
            return s;
        }
        return s.substring(0, from) + s.substring(from, last).replace("@", "%40") + s.substring(last);
    }

    /**
     * A host written with percent-escapes ({@code b%C3%BCcher.example}) as the name they spell, as Go's
     * {@code url.Parse} decodes a host: an escape may stand only for a byte of 0x80 or more (the UTF-8 of a
     * non-ASCII character, RFC 3986 section 3.2.2), and the bytes must be UTF-8 (R112).
     *
     * @param host a host name that holds a {@code %}
     * @return the name decoded; null if an escape is malformed or stands for an ASCII byte (Go refuses it); empty if
     *     the bytes are no UTF-8
     */
    public static String decodedHostEscapes(String host) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(host.length());
        for (int i = 0; i < host.length(); i++) {
            int c = host.codePointAt(i);
            if (c != '%') {
                bytes.writeBytes(Character.toString(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i += Character.charCount(c) - 1;
                continue;
            }
            int hi = i + 2 < host.length() ? Character.digit(host.charAt(i + 1), 16) : -1;
            int lo = i + 2 < host.length() ? Character.digit(host.charAt(i + 2), 16) : -1;
            if (hi < 8 || lo < 0) {
                return null;
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return "";
        }
    }
}
