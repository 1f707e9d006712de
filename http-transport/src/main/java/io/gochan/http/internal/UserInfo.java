package io.gochan.http.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The credentials of a URI's user info, as Go's {@code url.User} unescapes them (R76): each {@code %XX} is the one
 * byte it names, every other character its UTF-8 bytes. A password written {@code p%E9ss} (an ISO-8859-1 e-acute,
 * as many proxies and servers still compare) is the four bytes {@code 70 E9 73 73}, the bytes Go sends; read through
 * {@link java.net.URLDecoder} as UTF-8, {@code %E9} alone is no character and became U+FFFD (EF BF BD on the wire):
 * a right password that the server refused. One decoder for the request's {@code Authorization} (R17), an HTTP
 * proxy's {@code Proxy-Authorization} (R7, R23) and SOCKS5 username/password authentication (R9).
 */
public final class UserInfo {
    private UserInfo() {}

    /**
     * The user part of raw user info ({@link java.net.URI#getRawUserInfo()}): before its first {@code :}, decoded.
     *
     * @param rawUserInfo the raw user info, not null
     * @return the user's bytes
     */
    public static byte[] user(String rawUserInfo) {
        int colon = rawUserInfo.indexOf(':');
        return decode(colon < 0 ? rawUserInfo : rawUserInfo.substring(0, colon));
    }

    /**
     * The password part of raw user info: after its first {@code :}, decoded; empty when there is no colon.
     *
     * @param rawUserInfo the raw user info, not null
     * @return the password's bytes
     */
    public static byte[] password(String rawUserInfo) {
        int colon = rawUserInfo.indexOf(':');
        return colon < 0 ? new byte[0] : decode(rawUserInfo.substring(colon + 1));
    }

    /**
     * {@code Basic} and the base64 of user, a colon, and password (RFC 7617, Go's {@code basicAuth}), of the bytes
     * of {@link #user} and {@link #password}: the colon is always there ({@code token@proxy} sends {@code token:}, R23).
     *
     * @param rawUserInfo the raw user info, not null
     * @return the field value
     */
    public static String basic(String rawUserInfo) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(user(rawUserInfo));
        b.write(':');
        b.writeBytes(password(rawUserInfo));
        return "Basic " + Base64.getEncoder().encodeToString(b.toByteArray());
    }

    /**
     * Why the credentials of raw user info cannot be sent, or null if they can: R14's checks of
     * {@code HttpRequest.Builder.basicAuth} on the decoded bytes (R80). A control character (a percent-escaped CR,
     * LF or NUL, say) is refused for every use, as for the request's {@code Authorization}; for {@code Basic}
     * ({@code Authorization}, an HTTP proxy's {@code Proxy-Authorization}) a {@code :} in the user too, which would
     * make the receiver split user and password elsewhere. SOCKS5 (RFC 1929) sends each with its length, so a colon
     * there is a byte like any other.
     *
     * @param rawUserInfo the raw user info, not null
     * @param basic true for {@code Basic} credentials, false for SOCKS5's
     * @return the reason, or null
     */
    public static String refusal(String rawUserInfo, boolean basic) {
        byte[] user = user(rawUserInfo);
        if (basic && indexOf(user, ':') >= 0) {
            return "basic auth user-id must not contain ':' (RFC 7617)";
        }
        if (hasControl(user) || hasControl(password(rawUserInfo))) {
            return (basic ? "basic auth user-id" : "SOCKS5 username") + " or password contains a control character";
        }
        return null;
    }

    private static int indexOf(byte[] b, int c) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** A byte below 0x20 or DEL, as {@code basicAuth} refuses (bytes from 0x80 are a charset's, not controls). */
    private static boolean hasControl(byte[] b) {
        for (byte x : b) {
            if ((x >= 0 && x < 0x20) || x == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code s} with each {@code %XX} made the byte it names; any other character is its UTF-8 bytes ({@code +} is
     * a plus, as in a URI's authority). A {@code %} not followed by two hex digits stays as it is ({@link java.net.URI}
     * refuses such user info before it gets here).
     *
     * @param s percent-encoded text
     * @return its bytes
     */
    static byte[] decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 3;
                continue;
            }
            int cp = s.codePointAt(i);
            out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }

    /** An ASCII hex digit's value, or -1 ({@link Character#digit} also takes other scripts' digits). */
    private static int hex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
