package io.gochan.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * HTTP header fields: an immutable, case-insensitive multimap that keeps the order and the original
 * spelling of names. Build one with {@link #builder()} or {@link #toBuilder()}.
 *
 * <p>Validation (the request-side smuggling defence): a name must be an RFC 9110 token, and a value
 * must not contain CR, LF or NUL or other control characters except horizontal tab, nor a character above
 * {@code 0xff} (a value is written as ISO-8859-1, one byte a character, R129); a violation throws
 * {@link IllegalArgumentException} naming the header, before anything is written anywhere.
 *
 * <p>{@link #toString()} hides the values of credential fields ({@code Authorization}, {@code Proxy-Authorization},
 * {@code Cookie}, {@code Set-Cookie}), as a request's {@code toString} hides its URI's password (R17, R94); every
 * accessor gives the real values.
 */
public final class Headers {
    private static final Headers EMPTY = new Headers(new String[0]);

    /** name, value, name, value, ... */
    private final String[] fields;

    private Headers(String[] fields) {
        this.fields = fields;
    }

    /** {@return no headers} */
    public static Headers empty() {
        return EMPTY;
    }

    /**
     * Headers from alternating names and values, validated.
     *
     * @param namesAndValues names and values, alternating
     * @return the headers, in the given order
     * @throws IllegalArgumentException if there is a name without its value, a name that is no token or a value
     *     with a control character or one above {@code 0xff} (R129)
     * @throws NullPointerException if namesAndValues or one of its elements is null
     */
    public static Headers of(String... namesAndValues) {
        if (Objects.requireNonNull(namesAndValues, "namesAndValues").length % 2 != 0) {
            throw new IllegalArgumentException("names and values must alternate");
        }
        Builder b = builder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            b.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return b.build();
    }

    /**
     * An empty builder.
     *
     * @return a new empty builder
     */
    public static Builder builder() {
        return new Builder(new ArrayList<>());
    }

    /**
     * A builder starting from these headers.
     *
     * @return a new builder holding these headers
     */
    public Builder toBuilder() {
        List<String> l = new ArrayList<>(fields.length);
        Collections.addAll(l, fields);
        return new Builder(l);
    }

    /**
     * {@return the first value of {@code name}, if any}
     *
     * @param name the field name (an RFC 9110 token; matched ignoring case)
     * @throws NullPointerException if name is null
     */
    public Optional<String> first(String name) {
        Objects.requireNonNull(name, "name"); // a null name used to match nothing, silently (R72)
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) {
                return Optional.of(fields[i + 1]);
            }
        }
        return Optional.empty();
    }

    /**
     * {@return the first value of {@code name}, or null}
     *
     * @param name the field name (an RFC 9110 token; matched ignoring case)
     * @throws NullPointerException if name is null
     */
    public String get(String name) {
        Objects.requireNonNull(name, "name");
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) {
                return fields[i + 1];
            }
        }
        return null;
    }

    /**
     * {@return every value of {@code name}, in order; empty if none}
     *
     * @param name the field name (an RFC 9110 token; matched ignoring case)
     * @throws NullPointerException if name is null
     */
    public List<String> all(String name) {
        Objects.requireNonNull(name, "name");
        List<String> out = new ArrayList<>(2);
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) {
                out.add(fields[i + 1]);
            }
        }
        return List.copyOf(out);
    }

    /**
     * {@return true if {@code name} is present}
     *
     * @param name the field name (an RFC 9110 token; matched ignoring case)
     * @throws NullPointerException if name is null
     */
    public boolean contains(String name) {
        return get(name) != null;
    }

    /** {@return the distinct names, in first-seen order and original spelling} */
    public Set<String> names() {
        Set<String> lower = new LinkedHashSet<>();
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < fields.length; i += 2) {
            if (lower.add(fields[i].toLowerCase(Locale.ROOT))) {
                out.add(fields[i]);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** {@return number of fields (a name with two values counts twice)} */
    public int size() {
        return fields.length / 2;
    }

    /**
     * {@return the i-th field's name}
     *
     * @param i the field index, from 0 to {@code size() - 1}
     */
    public String name(int i) {
        return fields[2 * i];
    }

    /**
     * {@return the i-th field's value}
     *
     * @param i the field index, from 0 to {@code size() - 1}
     */
    public String value(int i) {
        return fields[2 * i + 1];
    }

    /**
     * {@return true if any value of {@code name}, split on commas, equals {@code token} ignoring
     *     case}
     *
     * @param name the field name (an RFC 9110 token; matched ignoring case)
     * @param token the token to look for, ignoring case
     * @throws NullPointerException if name or token is null
     */
    public boolean hasToken(String name, String token) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(token, "token");
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) {
                for (String part : fields[i + 1].split(",")) {
                    if (part.trim().equalsIgnoreCase(token)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers h && java.util.Arrays.equals(h.fields, fields);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(fields);
    }

    /**
     * The fields for a log or a message, {@code {name: value, ...}} in order, with the value of each credential field
     * ({@code Authorization}, {@code Proxy-Authorization}, {@code Cookie}, {@code Set-Cookie}, any spelling) written
     * {@code xxxxx}, as a request's {@code toString} hides its URI's password (R17, R94), and control characters
     * in the values escaped ({@code \x85} for the C1 NEL a server's obs-text may hold: R125). Only here: {@link #get},
     * {@link #value(int)}, {@link #equals} and what the transport writes keep the real values.
     *
     * @return the fields, credentials hidden
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < fields.length; i += 2) {
            // A server's value may hold obs-text: its control characters escaped (a C1 NEL would end a logged line).
            b.append(i == 0 ? "" : ", ").append(fields[i]).append(": ").append(isCredential(fields[i]) ? "xxxxx"
                    : io.gochan.http.internal.codec.ResponseHeadReader.escapeControls(fields[i + 1], true));
        }
        return b.append('}').toString();
    }

    /**
     * Whether {@code name} is a field whose value is a credential (OkHttp hides the same four in its toString):
     * a wrapper that logs a request's or a response's headers must not log a password, a token or a session (R94).
     */
    private static boolean isCredential(String name) {
        return name.equalsIgnoreCase("Authorization") || name.equalsIgnoreCase("Proxy-Authorization")
                || name.equalsIgnoreCase("Cookie") || name.equalsIgnoreCase("Set-Cookie");
    }

    /** Checks a header name; returns it. */
    static String checkName(String name) {
        Objects.requireNonNull(name, "header name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                throw new IllegalArgumentException("invalid character 0x" + Integer.toHexString(name.charAt(i))
                        + " in header name '" + printable(name) + "'");
            }
        }
        return name;
    }

    /** Checks a header value (no CR, LF, NUL or other CTLs except HTAB); returns it. */
    static String checkValue(String name, String value) {
        Objects.requireNonNull(value, "header value");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new IllegalArgumentException("invalid character 0x" + Integer.toHexString(c)
                        + " in value of header '" + name + "' (CR, LF, NUL and other controls are not allowed)");
            }
            if (c > 0xff) {
                // Not a control: a character the wire cannot carry as one byte (R129); the message says which.
                throw new IllegalArgumentException("invalid character 0x" + Integer.toHexString(c) + " in value of header '"
                        + name + "' (a value is written as ISO-8859-1: no character above 0xff; percent-encode it,"
                        + " or use RFC 8187's encoding where the field allows it)");
            }
        }
        return value;
    }

    /**
     * {@return RFC 9110 tchar}
     *
     * @param c the character (a byte value)
     */
    public static boolean isTokenChar(int c) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return true;
        }
        return c < 128 && "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** {@code s} with its control characters written {@code \xN} (tabs and C1 included), for a message. */
    static String printable(String s) {
        return io.gochan.http.internal.codec.ResponseHeadReader.escapeControls(s, false);
    }

    /** Builds {@link Headers}; every add validates. Not thread-safe. */
    public static final class Builder {
        private final List<String> fields;

        private Builder(List<String> fields) {
            this.fields = fields;
        }

        /**
         * Adds a field (keeps existing values of the same name).
         *
         * @param name the field name (an RFC 9110 token; matched ignoring case)
         * @param value the field value (no CR, LF, NUL or other control but the tab; ISO-8859-1 only, R129)
         * @return this builder
         * @throws NullPointerException if name or value is null; the builder is unchanged
         * @throws IllegalArgumentException if name is no token or value has a control character or one above {@code 0xff}
     *     (R129); the builder is
         *     unchanged
         */
        public Builder add(String name, String value) {
            // Both checked before either is stored: a refused value used to leave its name behind, and the
            // odd list built Headers whose toString and wire form broke (R72).
            String n = checkName(name);
            String v = checkValue(name, value);
            fields.add(n);
            fields.add(v);
            return this;
        }

        /**
         * Replaces every value of {@code name} with {@code value}.
         *
         * @param name the field name (an RFC 9110 token; matched ignoring case)
         * @param value the field value (no CR, LF, NUL or other control but the tab; ISO-8859-1 only, R129)
         * @return this builder
         * @throws NullPointerException if name or value is null; the builder is unchanged
         */
        public Builder set(String name, String value) {
            checkValue(checkName(name), value); // before the removal: a refused set changes nothing (R72)
            remove(name);
            return add(name, value);
        }

        /**
         * Removes every value of {@code name}.
         *
         * @param name the field name (an RFC 9110 token; matched ignoring case)
         * @return this builder
         * @throws NullPointerException if name is null
         */
        public Builder remove(String name) {
            Objects.requireNonNull(name, "name");
            for (int i = fields.size() - 2; i >= 0; i -= 2) {
                if (fields.get(i).equalsIgnoreCase(name)) {
                    fields.remove(i + 1);
                    fields.remove(i);
                }
            }
            return this;
        }

        /** {@return the immutable headers} */
        public Headers build() {
            return fields.isEmpty() ? EMPTY : new Headers(fields.toArray(new String[0]));
        }
    }
}
