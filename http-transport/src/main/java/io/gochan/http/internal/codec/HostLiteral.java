package io.gochan.http.internal.codec;

/**
 * The host of a request URI as the two places that use it need it (rule R20): {@link #forDial} gives
 * the dialer the address with its IPv6 zone (the interface, as Go dials it), and {@link #forHostField}
 * gives the {@code Host} field the address without the zone, which means nothing to the server (Go's
 * {@code removeZone}). A zone may be written as RFC 6874 asks, {@code [fe80::1%25eth0]} (as Go's URLs
 * write it), or bare, {@code [fe80::1%eth0]} (which {@link java.net.URI} also accepts).
 */
public final class HostLiteral {
    private HostLiteral() {}

    /**
     * The host to dial: brackets removed, an IPv6 zone kept and its {@code %25} decoded.
     *
     * @param uriHost {@link java.net.URI#getHost()}'s form: a name, an IPv4 literal or a bracketed IPv6 one
     * @return {@code fe80::1%eth0} for {@code [fe80::1%25eth0]}; other hosts unchanged
     */
    public static String forDial(String uriHost) {
        if (!(uriHost.startsWith("[") && uriHost.endsWith("]"))) {
            return uriHost;
        }
        String bare = uriHost.substring(1, uriHost.length() - 1);
        int zone = bare.indexOf('%');
        if (zone >= 0 && bare.startsWith("%25", zone)) {
            bare = bare.substring(0, zone) + "%" + bare.substring(zone + 3);
        }
        return bare;
    }

    /**
     * Whether {@code host} is an IPv4 address as Go's {@code net.ParseIP} reads one: four decimal numbers from 0 to
     * 255, each without a leading zero, between dots. The JDK's own grammar is wider ({@code 2130706433},
     * {@code 127.000.000.001}, {@code 0177.0.0.1} as 177.0.0.1), and other readers read some of that text otherwise
     * (BSD's {@code inet_aton}, curl and browsers read {@code 0177} as octal: 127.0.0.1).
     *
     * @param host a host, without brackets
     * @return true for a dotted quad such as {@code 10.0.0.1}
     */
    public static boolean isDottedQuad(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')
                    || !p.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code host} is text the JDK's {@link java.net.InetAddress} reads as an IPv4 address (or looks up) where
     * Go's {@code net.ParseIP} finds no address and Go's resolver no host (R110): text of digits and dots only that is
     * no dotted quad ({@link #isDottedQuad}: {@code 2130706433}, {@code 0177.0.0.1}, {@code 127.000.000.001},
     * {@code 4294967296}, {@code 127.0.0.1.}; {@code isDomainName} wants a letter or a hyphen, so Go looks up
     * nothing), or an IPv6 literal whose dotted end is no dotted quad ({@code ::ffff:0177.0.0.1}, which the JDK
     * reads as 177.0.0.1).
     *
     * @param host a host without brackets, an IPv6 zone allowed ({@code fe80::1%eth0})
     * @return true for text that names no address nor host to Go
     */
    public static boolean isNumericNonAddress(String host) {
        if (host.indexOf(':') >= 0) {
            int zone = host.indexOf('%');
            String address = zone >= 0 ? host.substring(0, zone) : host;
            return address.indexOf('.') >= 0 && !isDottedQuad(address.substring(address.lastIndexOf(':') + 1));
        }
        return !host.isEmpty() && host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')) && !isDottedQuad(host);
    }

    /**
     * Refuses {@code host} if {@link #isNumericNonAddress} (R110), as Go's resolver finds no such host.
     *
     * @param host a host without brackets, an IPv6 zone allowed
     * @throws java.net.UnknownHostException "{@code host}: no such host (...)" if it is such text
     */
    public static void refuseNumericNonAddress(String host) throws java.net.UnknownHostException {
        if (isNumericNonAddress(host)) {
            throw new java.net.UnknownHostException(host + ": no such host (an IPv4 address, alone or at the end of an IPv6"
                    + " address, is four decimal numbers from 0 to 255 without leading zeros, as Go's net.ParseIP reads"
                    + " one; other text of digits and dots is no host name either, and is not looked up)");
        }
    }

    /**
     * The host for the {@code Host} field and the absolute request target: bracketed, without a zone.
     *
     * @param uriHost {@link java.net.URI#getHost()}'s form
     * @return {@code [fe80::1]} for {@code [fe80::1%25eth0]}; other hosts unchanged
     */
    public static String forHostField(String uriHost) {
        int zone = uriHost.indexOf('%');
        if (uriHost.startsWith("[") && zone >= 0) {
            return uriHost.substring(0, zone) + "]";
        }
        return uriHost;
    }
}
