package io.gochan.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One cookie as a server set it in a {@code Set-Cookie} field (RFC 6265 section 5.2), Go's
 * {@code http.Cookie}: attributes the server did not send are null.
 *
 * @param name the cookie name (an RFC 9110 token)
 * @param value the value, surrounding double quotes removed
 * @param domain the Domain attribute as sent, or null
 * @param path the Path attribute as sent, or null
 * @param expires the Expires attribute, or null (also null when it could not be parsed)
 * @param maxAge the Max-Age attribute, or null; zero or negative means "delete now"
 * @param secure whether the Secure attribute was present
 * @param httpOnly whether the HttpOnly attribute was present
 */
public record Cookie(String name, String value, String domain, String path, Instant expires,
                     Duration maxAge, boolean secure, boolean httpOnly) {

    /**
     * A zone named by letters, with Go's optional {@code GMT} hour offset: matched against one token only, the last of
     * a date (anchored, bounded repetition: linear in the token's length).
     */
    private static final java.util.regex.Pattern ZONE_NAME = java.util.regex.Pattern.compile("[A-Za-z]{1,5}([+-][0-9]{1,2})?");
    /**
     * The two {@code Expires} forms, strict: a date that does not exist (31 February, 24:00:00) is no date
     * (R37), where the JDK's default resolver made it 28 February, or the next midnight.
     */
    private static final DateTimeFormatter[] EXPIRES = {
            DateTimeFormatter.RFC_1123_DATE_TIME.withResolverStyle(java.time.format.ResolverStyle.STRICT),
            DateTimeFormatter.ofPattern("dd-MMM-uuuu HH:mm:ss zzz", Locale.ROOT)
                    .withResolverStyle(java.time.format.ResolverStyle.STRICT)};

    /**
     * Checks the name and value.
     *
     * @throws IllegalArgumentException if the name is not a token or the value has a character a
     *     cookie value must not have (control characters, {@code "}, {@code ;}, backslash)
     * @throws NullPointerException if name or value is null
     */
    public Cookie {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty() || !name.chars().allMatch(Headers::isTokenChar)) {
            throw new IllegalArgumentException("invalid cookie name '" + Headers.printable(name) + "'"); // R129
        }
        if (!value.chars().allMatch(Cookie::isValueChar)) {
            throw new IllegalArgumentException("invalid cookie value for '" + name + "'");
        }
    }

    /**
     * The cookie for a log, its value hidden ({@code xxxxx}), as {@link Headers#toString()} hides the {@code Cookie} and
     * {@code Set-Cookie} fields' (R94, R130): a cookie is often a session, and a jar's cookies logged printed it.
     * {@link #value()} gives the real value.
     *
     * @return {@code Cookie[name=sid, value=xxxxx, domain=..., path=..., expires=..., maxAge=..., secure=..., httpOnly=...]}
     */
    @Override
    public String toString() {
        return "Cookie[name=" + name + ", value=xxxxx, domain=" + domain + ", path=" + path + ", expires=" + expires
                + ", maxAge=" + maxAge + ", secure=" + secure + ", httpOnly=" + httpOnly + "]";
    }

    /**
     * A cookie with only a name and value (as in a {@code Cookie} request field).
     *
     * @param name the cookie name (a token)
     * @param value the value
     * @return the cookie
     * @throws IllegalArgumentException as the canonical constructor
     * @throws NullPointerException if name or value is null
     */
    public static Cookie of(String name, String value) {
        return new Cookie(name, value, null, null, null, null, false, false);
    }

    /**
     * Parses one {@code Set-Cookie} field value, as Go's {@code readSetCookies}: a malformed
     * name-value pair drops the cookie; an unknown or malformed attribute is ignored, an attribute
     * whose value holds a character a cookie value may not hold (a control character, {@code "},
     * backslash, non-ASCII) included. Only spaces and tabs are blanks around names and values (R34).
     *
     * @param setCookie the field value, or null (a missing field: empty)
     * @return the cookie, or empty if the field holds none
     */
    public static Optional<Cookie> parse(String setCookie) {
        if (setCookie == null) {
            return Optional.empty();
        }
        String[] parts = setCookie.split(";", -1);
        String pair = trimBlanks(parts[0]);
        int eq = pair.indexOf('=');
        if (eq <= 0) {
            return Optional.empty();
        }
        String name = trimBlanks(pair.substring(0, eq));
        String value = unquote(trimBlanks(pair.substring(eq + 1)));
        if (name.isEmpty() || !name.chars().allMatch(Headers::isTokenChar)
                || !value.chars().allMatch(Cookie::isValueChar)) {
            return Optional.empty();
        }
        String domain = null;
        String path = null;
        Instant expires = null;
        Duration maxAge = null;
        boolean secure = false;
        boolean httpOnly = false;
        for (int i = 1; i < parts.length; i++) {
            String attr = trimBlanks(parts[i]);
            if (attr.isEmpty()) {
                continue;
            }
            int e = attr.indexOf('=');
            String key = trimBlanks(e < 0 ? attr : attr.substring(0, e)).toLowerCase(Locale.ROOT);
            String val = e < 0 ? "" : trimBlanks(attr.substring(e + 1));
            if (!val.chars().allMatch(Cookie::isValueChar)) {
                continue; // as Go: a control, quote, backslash or non-ASCII character makes the attribute malformed (R34)
            }
            switch (key) {
                case "secure" -> secure = true;
                case "httponly" -> httpOnly = true;
                case "domain" -> domain = val;
                case "path" -> path = val;
                case "max-age" -> {
                    Duration d = parseMaxAge(val);
                    if (d != null) {
                        maxAge = d;
                    }
                }
                case "expires" -> {
                    Instant t = parseExpires(val);
                    if (t != null) {
                        expires = t;
                    }
                }
                default -> { } // SameSite and unknown attributes do not change what a client sends
            }
        }
        return Optional.of(new Cookie(name, value, domain, path, expires, maxAge, secure, httpOnly));
    }

    /** RFC 6265 5.2.2: an optional '-' then digits; anything else makes the attribute ignored. */
    private static Duration parseMaxAge(String v) {
        if (!v.matches("-?[0-9]{1,18}")) {
            return null;
        }
        long secs = Long.parseLong(v);
        return Duration.ofSeconds(secs <= 0 ? 0 : secs);
    }

    /**
     * RFC 1123 or Netscape's {@code dd-MMM-yyyy}; the day of the week is skipped, not checked against the
     * date, as Go's {@code time.Parse} does: a deletion cookie with a wrong weekday must still delete (R25).
     * A zone named by letters ({@code GMT}, {@code UTC}, {@code PST}, {@code GMT+1}) is read as UTC, as Go
     * reads any abbreviation its machine does not use and RFC 6265 5.1.1 reads every cookie date (R35): the
     * JDK knows only {@code GMT} in RFC 1123 dates, and a deletion dated {@code UTC} was ignored. A date
     * that does not exist is ignored, as Go and RFC 6265 5.1.1 ignore it (R37).
     */
    private static Instant parseExpires(String v) {
        String date = zoneNameAsGmt(withoutWeekday(v));
        for (DateTimeFormatter f : EXPIRES) {
            try {
                return ZonedDateTime.parse(date, f).toInstant();
            } catch (DateTimeParseException ignored) {
                // try the next format; an unparsable Expires is ignored (RFC 6265 5.2.1)
            }
        }
        return null;
    }

    /** {@code date} without a leading day of the week and the comma and blanks after it ({@code "Thu, "}). */
    private static String withoutWeekday(String date) {
        int i = 0;
        while (i < date.length() && isAsciiLetter(date.charAt(i))) {
            i++;
        }
        if (i == 0 || i == date.length() || date.charAt(i) != ',') {
            return date;
        }
        i++;
        while (i < date.length() && Character.isWhitespace(date.charAt(i))) {
            i++;
        }
        return date.substring(i);
    }

    /**
     * {@code date} with its last token, if it is a zone named by letters ({@code UTC}, {@code PST}, {@code GMT+1}) after
     * blanks, replaced by {@code GMT}, the blanks before it by one space (R35). By hand, not by a regular expression
     * searched over the whole value: a search for "blanks, a zone, the end" restarts at every blank and runs over the
     * rest of each run, so an {@code Expires} of thousands of spaces inside (legal attribute characters; a field is
     * 8 KiB at most) took hundreds of milliseconds a field, on the caller's thread, past the request's timeout (R124).
     */
    private static String zoneNameAsGmt(String date) {
        int tokenStart = date.length();
        while (tokenStart > 0 && !Character.isWhitespace(date.charAt(tokenStart - 1))) {
            tokenStart--;
        }
        int blanksStart = tokenStart;
        while (blanksStart > 0 && Character.isWhitespace(date.charAt(blanksStart - 1))) {
            blanksStart--;
        }
        if (blanksStart == tokenStart || tokenStart == date.length()
                || !ZONE_NAME.matcher(date).region(tokenStart, date.length()).matches()) {
            return date;
        }
        return date.substring(0, blanksStart) + " GMT";
    }

    private static boolean isAsciiLetter(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
    }

    /**
     * {@code s} without leading and trailing blanks: spaces and tabs, RFC 6265's WSP (R34). Not
     * {@link String#trim()}, which also strips control characters: a field starting with U+0001 then
     * {@code a=1} would be cookie {@code a}, where Go, whose {@code textproto.TrimString} strips only
     * blanks, finds an invalid name.
     */
    static String trimBlanks(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        return s.substring(from, to);
    }

    private static String unquote(String v) {
        return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
    }

    /** RFC 6265 cookie-octet, plus space and comma inside, as Go accepts them on reading. */
    private static boolean isValueChar(int c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != ';' && c != '\\';
    }
}
