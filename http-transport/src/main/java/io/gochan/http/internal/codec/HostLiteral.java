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
