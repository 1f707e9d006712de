package io.gochan.http;

import java.net.IDN;
import java.util.Locale;

/**
 * Checks and normalises a request's {@code Host} override (R116), Go's {@code Request.Host}: {@code host[:port]},
 * where host is a name of letters, digits, {@code -} and {@code _} between dots (an internationalized name in its
 * IDNA ASCII form, as Go's {@code cleanHost} writes it), an IPv4 address, or an IPv6 literal in brackets (its zone
 * left out, R20); the port, if any, digits from 1 to 65535 as written, an empty one dropped (as Go's
 * {@code removeEmptyPort} drops a URL's). Go 1.19 checks nothing (a CR LF in it went into the head,
 * CVE-2023-29406; it cuts the value at a blank or a {@code /}): here anything else is refused when it is set.
 */
final class HostOverride {
    /** RFC 1035's bound on a name's length, as the names the transport reads from a URI (R40). */
    private static final int MAX_NAME = 253;

    private HostOverride() {}

    /**
     * {@code host} as the {@code Host} field carries it.
     *
     * @param host the caller's value
     * @return the value to send
     * @throws IllegalArgumentException naming the value (its control characters written {@code \xN}) if it is no
     *     {@code host[:port]}
     */
    static String checked(String host) {
        if (host.isEmpty()) {
            throw refused(host, "it is empty (null sends the URI's host)");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c < 0x20 || c == 0x7f || c == ' ' || c == '/' || c == '@' || c == '?' || c == '#') {
                // A CR or LF would end the field and start another (header injection, request splitting).
                throw refused(host, "invalid character 0x" + Integer.toHexString(c));
            }
        }
        String name;
        String port;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                throw refused(host, "an IPv6 literal without its ']'");
            }
            name = ipv6Literal(host, host.substring(0, close + 1));
            port = host.substring(close + 1);
        } else {
            int colon = host.indexOf(':');
            if (colon >= 0 && host.indexOf(':', colon + 1) >= 0) {
                throw refused(host, "an IPv6 address is written in brackets ([::1]:8080)");
            }
            name = hostName(host, colon < 0 ? host : host.substring(0, colon));
            port = colon < 0 ? "" : host.substring(colon);
        }
        return name + port(host, port);
    }

    /** The name, in its IDNA ASCII form if it has non-ASCII characters, checked as a DNS name (underscores allowed). */
    private static String hostName(String host, String name) {
        String ascii = name;
        if (!name.chars().allMatch(c -> c < 0x80)) {
            try {
                ascii = IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                throw refused(host, "not a valid internationalized name (" + e.getMessage() + ")");
            }
        }
        if (ascii.isEmpty() || ascii.length() > MAX_NAME) {
            throw refused(host, "a name has 1 to " + MAX_NAME + " characters");
        }
        int label = 0;
        for (int i = 0; i < ascii.length(); i++) {
            char c = ascii.charAt(i);
            if (c == '.') {
                if (label == 0) {
                    throw refused(host, "an empty label");
                }
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                if (++label > 63) {
                    throw refused(host, "a label of more than 63 characters");
                }
            } else {
                throw refused(host, "invalid character 0x" + Integer.toHexString(c) + " in the name");
            }
        }
        return ascii; // a trailing dot (a fully qualified name) is kept, as a URI's
    }

    /** A bracketed IPv6 literal as {@link java.net.URI} reads one, its zone left out (R20). */
    private static String ipv6Literal(String host, String literal) {
        String address;
        try {
            address = new java.net.URI("http://" + literal + "/").getHost();
        } catch (java.net.URISyntaxException e) {
            address = null;
        }
        if (address == null) {
            throw refused(host, "not an IPv6 literal");
        }
        return io.gochan.http.internal.codec.HostLiteral.forHostField(address);
    }

    /** {@code ""}, or {@code :digits} from 1 to 65535 as written; an empty port is dropped. */
    private static String port(String host, String port) {
        if (port.isEmpty() || port.equals(":")) {
            return "";
        }
        String digits = port.substring(1);
        if (port.charAt(0) != ':' || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(digits) < 1 || Integer.parseInt(digits) > 65535) {
            throw refused(host, "the port is not a number from 1 to 65535");
        }
        return port;
    }

    private static IllegalArgumentException refused(String host, String why) {
        return new IllegalArgumentException("invalid Host '" + Headers.printable(host) + "': " + why
                + " (host[:port]: a name, an IPv4 address or a bracketed IPv6 one; a port from 1 to 65535)");
    }
}
