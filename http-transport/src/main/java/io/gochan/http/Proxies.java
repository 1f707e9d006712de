package io.gochan.http;

import io.gochan.http.internal.RedactedUri;
import io.gochan.http.internal.UriHost;
import java.net.IDN;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Proxy functions for {@link Transport.Builder#proxy}: Go's {@code http.ProxyFromEnvironment}
 * ({@code golang.org/x/net/http/httpproxy}) without {@link java.net.ProxySelector} (R5, R6).
 *
 * <p>Rules, as Go's: {@code HTTPS_PROXY} serves https requests, {@code HTTP_PROXY} http requests (the
 * upper-case name wins over the lower-case one when both are set and not empty). A value without a
 * scheme gets {@code http://} in front; a scheme is given in lower case. Unlike Go, a value that names no
 * usable proxy (no host, a port out of range, another scheme than http, https, socks5 and socks5h, not a
 * URL) is not sent direct nor to a host named after its scheme: each request it would serve fails with a
 * {@link ProxyException} naming the variable (R38). Requests to
 * {@code localhost} and to loopback IP addresses never use a proxy. {@code NO_PROXY} is a
 * comma-separated list, each entry without the leading and trailing white space Go's {@code TrimSpace}
 * removes (R50): {@code *} (no proxy at all), an IP address or CIDR block (an IPv4-mapped block such as
 * {@code ::ffff:10.0.0.0/104} holds the IPv4 addresses under it, R51), optionally with a port, or a domain ({@code example.com} matches it and its subdomains; {@code .example.com} and
 * {@code *.example.com} only subdomains), optionally with a port (an empty one: every port), compared in
 * its IDNA ASCII form, as the request host is (R39). In a CGI environment
 * ({@code REQUEST_METHOD} set) {@code HTTP_PROXY} is refused, as a client could have set it: every http
 * request fails, before {@code NO_PROXY} and loopback are looked at, as in Go (Go issue 16405, "httpoxy").
 *
 * <p>An IPv6 address is written in brackets ({@code [2001:db8::1]:3128}); one without them names no usable proxy
 * (R78). A request to an IPv6 address with a zone ({@code http://[fe80::1%25eth0]/}) matches a {@code NO_PROXY}
 * address or block without a zone, in every zone, and an entry with a zone ({@code fe80::1%eth0}, or in brackets
 * {@code [fe80::1%25eth0]}) in that zone only (R77). Only the variables named here are read: {@code ALL_PROXY}
 * (curl's) is not, as Go does not read it; a proxy meant for every request is set in both {@code HTTP_PROXY} and
 * {@code HTTPS_PROXY}.
 */
public final class Proxies {
    private Proxies() {}

    /**
     * Go's environment rules on this process's environment, read once now.
     *
     * @return the proxy function
     */
    public static Function<HttpRequest, Optional<URI>> fromEnvironment() {
        return fromEnvironment(System::getenv);
    }

    /**
     * Go's environment rules on the variables {@code getenv} gives.
     *
     * @param getenv a variable's value by name, null when not set
     * @return the proxy function
     * @throws NullPointerException if getenv is null
     */
    public static Function<HttpRequest, Optional<URI>> fromEnvironment(Function<String, String> getenv) {
        Objects.requireNonNull(getenv, "getenv");
        String cgi = getenv.apply("REQUEST_METHOD");
        String[] noProxy = any(getenv, "NO_PROXY", "no_proxy");
        return of(setting(any(getenv, "HTTP_PROXY", "http_proxy")), setting(any(getenv, "HTTPS_PROXY", "https_proxy")),
                noProxy == null ? null : noProxy[1], cgi != null && !cgi.isEmpty());
    }

    /**
     * Go's {@code httpproxy.Config.ProxyFunc} for explicit settings.
     *
     * @param httpProxy the proxy for http requests, or null or empty for none (a value naming no usable proxy
     *     makes each request it would serve fail, R38)
     * @param httpsProxy the proxy for https requests, or null or empty for none
     * @param noProxy the {@code NO_PROXY} list, or null
     * @return the proxy function
     */
    public static Function<HttpRequest, Optional<URI>> of(String httpProxy, String httpsProxy, String noProxy) {
        return of(Setting.parse("httpProxy", httpProxy), Setting.parse("httpsProxy", httpsProxy), noProxy, false);
    }

    /**
     * The same proxy for every request (except to localhost and loopback addresses, which never use one).
     * The proxy is checked now, not at the first request (R83): it must be {@code http://}, {@code https://},
     * {@code socks5://} or {@code socks5h://} with a host and a port, if any, from 1 to 65535, such as
     * {@code URI.create("http://localhost:3128")}. {@code URI.create("localhost:3128")} is refused: without
     * {@code //}, {@link URI} reads {@code localhost} as the scheme and finds no host. A host name with non-ASCII
     * characters is taken in its IDNA ASCII form, as the request's is (R18).
     *
     * @param proxy the proxy
     * @return the proxy function
     * @throws NullPointerException if proxy is null
     * @throws IllegalArgumentException if {@code proxy} names no usable proxy: the message says why and how to write
     *     it, with the proxy's password written {@code xxxxx} (R81), never as given
     */
    public static Function<HttpRequest, Optional<URI>> fixed(URI proxy) {
        URI checked = checkedProxy(Objects.requireNonNull(proxy, "proxy"));
        return request -> isLoopback(UriHost.host(request.uri())) ? Optional.empty() : Optional.of(checked);
    }

    /**
     * {@code proxy} if the transport can use it (its host in IDNA ASCII form), else why not (R83). Before, such a
     * URI was taken and every request failed with "the proxy function chose a proxy URI without a host", which named
     * neither the proxy nor the fix.
     */
    static URI checkedProxy(URI proxy) {
        String how = " (write a proxy as scheme://host:port, e.g. http://localhost:3128; the scheme is http, https,"
                + " socks5 or socks5h)";
        if (proxy.isOpaque()) {
            // "localhost:3128": java.net.URI takes what comes before the first ':' as the scheme. The text is shown as it
            // would read with http:// in front, redacted as such: "alice:pw@proxy:3128" has its password after the first
            // ':', which URI reads as part of an opaque URI, not as user info.
            String scheme = proxy.getScheme();
            String meant = isProxyScheme(scheme) ? scheme + "://" + proxy.getRawSchemeSpecificPart() : "http://" + proxy;
            throw new IllegalArgumentException("proxy URI without a host: java.net.URI reads "
                    + (scheme.length() <= 16 ? "\"" + scheme + "\"" : "the text before the first ':'")
                    + " as its scheme, as there is no \"//\" after the ':'; did you mean "
                    + RedactedUri.shortenedText(meant) + "?" + how);
        }
        if (proxy.getScheme() == null) {
            throw new IllegalArgumentException("proxy URI without a scheme: " + RedactedUri.shortened(proxy) + how);
        }
        if (!isProxyScheme(proxy.getScheme())) {
            throw new IllegalArgumentException("unsupported proxy scheme: " + RedactedUri.shortened(proxy) + how);
        }
        URI u = proxy;
        if (u.getHost() == null && u.getRawAuthority() != null) {
            try {
                u = HttpRequest.Builder.withAsciiHost(u); // an internationalized name: its IDNA ASCII form, as Go dials
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("proxy URI with a host name IDNA refuses: " + RedactedUri.shortened(proxy));
            }
        }
        String host = UriHost.host(u);
        if (host == null || host.isEmpty()) {
            String why = UriHost.whyNoHost(u);
            throw new IllegalArgumentException("proxy URI without a host"
                    + (why == null || why.equals("no host") ? "" : " (" + why + ")") + ": " + RedactedUri.shortened(proxy) + how);
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
            throw new IllegalArgumentException("proxy URI's port is not a number from 1 to 65535: " + RedactedUri.shortened(proxy));
        }
        return u;
    }

    /** Whether {@code scheme} (any case) is one the transport speaks to a proxy: http, https, socks5 or socks5h (R5, R24). */
    static boolean isProxyScheme(String scheme) {
        String s = scheme.toLowerCase(Locale.ROOT);
        return s.equals("http") || s.equals("https") || s.equals("socks5") || s.equals("socks5h");
    }

    private static Function<HttpRequest, Optional<URI>> of(Setting http, Setting https, String noProxy, boolean cgi) {
        NoProxy exclusions = new NoProxy(noProxy == null ? "" : noProxy);
        return request -> {
            URI uri = request.uri();
            String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
            Setting proxy = scheme.equals("https") ? https : scheme.equals("http") ? http : null;
            if (proxy == null) {
                return Optional.empty();
            }
            if (cgi && scheme.equals("http")) {
                throw new java.io.UncheckedIOException(proxy.failure(
                        "refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set; a client could have set HTTP_PROXY)"));
            }
            if (!exclusions.useProxy(UriHost.host(uri), UriHost.portOrDefault(uri))) {
                return Optional.empty();
            }
            if (proxy.uri() == null) {
                throw new java.io.UncheckedIOException(proxy.failure("invalid proxy address in " + proxy.name() + ": "
                        + proxy.invalid() + " (a proxy is host[:port], or http://, https://, socks5:// or socks5h:// and"
                        + " host[:port]; the value is not shown, it may hold a password)"));
            }
            return Optional.of(proxy.uri());
        };
    }

    /** The first of {@code names} set and not empty, as {name, value}; null if none. */
    private static String[] any(Function<String, String> getenv, String... names) {
        for (String n : names) {
            String v = getenv.apply(n);
            if (v != null && !v.isEmpty()) {
                return new String[] {n, v};
            }
        }
        return null;
    }

    private static Setting setting(String[] nameValue) {
        return nameValue == null ? null : Setting.parse(nameValue[0], nameValue[1]);
    }

    /**
     * A proxy setting that is set: its name ({@code HTTPS_PROXY}, or {@code httpsProxy} for {@link #of}) and
     * the proxy it names, or, when it names none, why (R38).
     */
    record Setting(String name, URI uri, String invalid) {
        /** The setting for {@code value}, or null if it is null or empty (not set). */
        static Setting parse(String name, String value) {
            if (value == null || value.isEmpty()) {
                return null;
            }
            try {
                return new Setting(name, Proxies.parse(value), null);
            } catch (IllegalArgumentException e) {
                return new Setting(name, null, e.getMessage());
            }
        }

        /** A failure naming the proxy, or the setting when it names none. */
        ProxyException failure(String message) {
            return uri == null ? new ProxyException(name, message) : new ProxyException(uri, -1, message, null);
        }
    }

    /**
     * Go's parseProxy, stricter (R38): a value with a scheme ({@code scheme://...}) keeps it, given in lower
     * case as Go's {@code url.Parse} gives it, and it must be http, https, socks5 or socks5h (socks5h kept, R24:
     * the transport carries it, R5, R9); any other value is a host[:port], with user info or not, and gets
     * {@code http://} in front. Either way the result must have a host and a port, if any, from 1 to 65535.
     *
     * @throws IllegalArgumentException why the value names no usable proxy (never the value itself)
     */
    static URI parse(String value) {
        int sep = value.indexOf("://");
        boolean hasScheme = sep > 0 && value.substring(0, sep).matches("[A-Za-z][A-Za-z0-9+.-]*");
        String text;
        if (hasScheme) {
            String scheme = value.substring(0, sep).toLowerCase(Locale.ROOT);
            if (!isProxyScheme(scheme)) {
                throw new IllegalArgumentException("unsupported proxy scheme"
                        + (scheme.length() <= 16 ? " " + scheme + "://" : ""));
            }
            text = scheme + value.substring(sep);
        } else {
            text = "http://" + value;
        }
        if (unbracketedIpv6(text)) {
            // "::1:3128" or "2001:db8::1": which colon starts a port is a guess (Go takes the last, and dials
            // [2001:db8:]:1 for the second), so it is refused, saying how to write it (R78).
            throw new IllegalArgumentException("an IPv6 address outside brackets (write it as [2001:db8::1]:3128)");
        }
        String escaped = UriHost.escapeUserInfoAts(text); // user info ends at the last @ (R26)
        URI u;
        try {
            u = new URI(escaped);
        } catch (URISyntaxException e) {
            // A '%' without two hex digits after it (Go: invalid URL escape "%"): say in which part, never the escape
            // itself, which may be in the password (R79).
            String part = e.getReason().startsWith("Malformed escape pair") ? partAt(escaped, e.getIndex()) : null;
            throw new IllegalArgumentException(part == null ? "not a URL"
                    : "a malformed percent-escape in the " + part + " (a % not followed by two hex digits)");
        }
        if (u.getHost() == null && u.getRawAuthority() != null) {
            try {
                u = HttpRequest.Builder.withAsciiHost(u); // an internationalized name: its IDNA ASCII form, as Go dials
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a host name IDNA refuses");
            }
        }
        String host = UriHost.host(u);
        if (host == null || host.isEmpty()) {
            String why = UriHost.whyNoHost(u);
            throw new IllegalArgumentException(why == null || why.equals("no host") ? "no host name or address"
                    : why.startsWith("port") ? why
                    : "no host[:port] this client takes (a name of letters, digits, '-', '_' and '.', or an IP address; a port of digits)");
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
            throw new IllegalArgumentException("port " + u.getPort() + " out of range (1 to 65535)");
        }
        return u;
    }

    /**
     * True if the host[:port] of {@code scheme://authority...} is no bracketed literal and has {@code ::} or more than
     * two colons: an IPv6 address (a name with two colons, {@code proxy:80:80}, is left to the other checks).
     */
    private static boolean unbracketedIpv6(String s) {
        int from = s.indexOf("://") + 3;
        int end = UriHost.authorityEnd(s, from);
        String hostPort = s.substring(Math.max(from, s.lastIndexOf('@', end - 1) + 1), end);
        return !hostPort.startsWith("[") && (hostPort.contains("::") || hostPort.chars().filter(c -> c == ':').count() > 2);
    }

    /**
     * The part of {@code scheme://authority...} that holds index {@code i}: "user info", "host", "port", "path",
     * "query" or "fragment"; null if {@code i} is outside the string.
     */
    private static String partAt(String s, int i) {
        int from = s.indexOf("://") + 3;
        int end = UriHost.authorityEnd(s, from);
        if (i < from || i >= s.length()) {
            return null;
        }
        if (i >= end) {
            int query = s.indexOf('?', end);
            int fragment = s.indexOf('#', end);
            return fragment >= 0 && i > fragment ? "fragment" : query >= 0 && i > query && (fragment < 0 || query < fragment) ? "query" : "path";
        }
        int at = s.lastIndexOf('@', end - 1);
        if (at >= from && i < at) {
            return "user info";
        }
        int hostFrom = at >= from ? at + 1 : from;
        int close = s.indexOf(']', hostFrom);
        int colon = s.indexOf(':', close >= 0 && close < end ? close : hostFrom);
        return colon >= 0 && colon < end && i > colon ? "port" : "host";
    }

    /** {@code localhost}, or an IP literal in 127.0.0.0/8 or ::1: never proxied. */
    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = bare(host).toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return true;
        }
        InetAddress ip = ipLiteral(h);
        return ip != null && ip.isLoopbackAddress();
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * The address of an IP literal, never a name lookup; null for a name. Four decimal parts each 0 to 255 are an IPv4
     * address (leading zeros read as decimal, as the JDK reads them, R39), built here from their bytes: handed to
     * {@link InetAddress#getByName} instead, text of digits and dots that is no literal ({@code 10.0.0.256},
     * {@code 999.1.1.1}, {@code 1..2.3}) fell through to the name service, so building the {@code NO_PROXY} matcher did
     * a blocking DNS lookup, and an address a wildcard record gave back became an entry nobody wrote (R39). Such
     * text is a name here, a domain entry, as Go's {@code ParseIP} refuses it. Text with a {@code :} is given to the
     * JDK only when it could be IPv6: the JDK refuses a malformed one without a lookup.
     */
    static InetAddress ipLiteral(String s) {
        if (!s.isEmpty() && s.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
            return dottedQuad(s);
        }
        boolean v6 = s.indexOf(':') >= 0 && s.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
        if (!v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s); // an IPv6 literal: parsed, not looked up (refused if malformed)
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Four non-empty decimal parts of digits, each 0 to 255, as an address; null for any other text of digits and dots. */
    private static InetAddress dottedQuad(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty()) {
                return null;
            }
            int value = 0;
            for (int j = 0; j < p.length(); j++) {
                value = value * 10 + (p.charAt(j) - '0');
                if (value > 255) {
                    return null; // checked each digit: leading zeros keep it small, a long part cannot overflow
                }
            }
            address[i] = (byte) value;
        }
        try {
            return InetAddress.getByAddress(address); // bytes only: no name, nothing looked up
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // only for an address of another length than 4 or 16
        }
    }

    /** A parsed {@code NO_PROXY} list (Go's ipMatchers and domainMatchers). */
    static final class NoProxy {
        private record Cidr(byte[] network, int bits) {}

        /** An address, its port (-1: every port) and its IPv6 zone (null: every zone, R77). */
        private record Ip(InetAddress ip, int port, String zone) {}

        private record Domain(String suffix, int port, boolean matchHost) {}

        private boolean all;
        private final List<Cidr> cidrs = new ArrayList<>();
        private final List<Ip> ips = new ArrayList<>();
        private final List<Domain> domains = new ArrayList<>();

        NoProxy(String list) {
            for (String raw : list.split(",")) {
                String p = trimSpace(raw).toLowerCase(Locale.ROOT);
                if (p.isEmpty()) {
                    continue;
                }
                if (p.equals("*")) {
                    all = true;
                    return;
                }
                int slash = p.indexOf('/');
                if (slash > 0) {
                    Cidr block = cidr(p.substring(0, slash), parsePort(p.substring(slash + 1)));
                    if (block != null) {
                        cidrs.add(block);
                    }
                    continue; // a malformed CIDR entry is ignored
                }
                String host = p;
                int port = -1;
                int colon = p.lastIndexOf(':');
                boolean bracketed = p.startsWith("[");
                if (bracketed) {
                    int close = p.indexOf(']');
                    if (close < 0) {
                        continue;
                    }
                    host = p.substring(1, close);
                    if (close + 1 < p.length()) {
                        Integer pp = p.charAt(close + 1) == ':' ? parsePort(p.substring(close + 2)) : null;
                        if (pp == null) {
                            continue;
                        }
                        port = pp;
                    }
                } else if (colon >= 0 && p.indexOf(':') == colon) { // host:port (one colon; more is a bare IPv6)
                    Integer pp = parsePort(p.substring(colon + 1));
                    if (pp != null) {
                        host = p.substring(0, colon);
                        port = pp;
                    }
                }
                if (host.isEmpty()) {
                    continue; // ":1" and the like: no host part, ignored as Go does
                }
                String[] addressZone = zoned(host, bracketed);
                InetAddress ip = ipLiteral(addressZone[0]);
                if (ip != null) {
                    ips.add(new Ip(ip, port, addressZone[1]));
                    continue;
                }
                if (host.startsWith("*.")) {
                    host = host.substring(1);
                }
                boolean matchHost = false;
                if (host.charAt(0) != '.') {
                    matchHost = true;
                    host = "." + host;
                }
                domains.add(new Domain("." + ascii(host.substring(1)), port, matchHost)); // IDNA refuses the empty label (R39)
            }
        }

        /**
         * The block {@code prefix/bits}, or null if it is none. A prefix written as an IPv6 address is a 128-bit
         * block even when it is IPv4-mapped ({@code ::ffff:10.0.0.0/104}), which the JDK reads as an IPv4 address:
         * with 96 bits or more it holds the IPv4 addresses under its last 32 bits (10.0.0.0/8 here), as Go's
         * {@code IPNet.Contains} matches them; with fewer, IPv6 addresses only (R51). Before, such an entry was
         * dropped (104 bits are more than an IPv4 address has) and its addresses went through the proxy.
         */
        private static Cidr cidr(String prefix, Integer bits) {
            InetAddress net = ipLiteral(prefix);
            if (net == null || bits == null || bits < 0) {
                return null;
            }
            byte[] a = net.getAddress();
            if (a.length == 4 && prefix.indexOf(':') >= 0) {
                if (bits > 128) {
                    return null;
                }
                if (bits >= 96) {
                    return new Cidr(a, bits - 96);
                }
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(a, 0, mapped, 12, 4);
                return new Cidr(mapped, bits);
            }
            return bits <= a.length * 8 ? new Cidr(a, bits) : null;
        }

        /**
         * {@code s} without the leading and trailing white space of Go's {@code strings.TrimSpace}
         * ({@code unicode.IsSpace}: tab, line feed, vertical tab, form feed, carriage return, space, U+0085, and the
         * Unicode space separators such as U+00A0 and U+2003), no more (R50): {@link String#trim()} kept U+00A0
         * and took control characters such as U+001F, which Go keeps, so the entry named another host than Go's.
         */
        static String trimSpace(String s) {
            int from = 0;
            int to = s.length();
            while (from < to && isGoSpace(s.charAt(from))) {
                from++;
            }
            while (to > from && isGoSpace(s.charAt(to - 1))) {
                to--;
            }
            return s.substring(from, to);
        }

        private static boolean isGoSpace(char c) {
            return (c >= '\t' && c <= '\r') || c == ' ' || c == '\u0085' || Character.isSpaceChar(c);
        }

        /** A port: -1 (every port) for an empty one, as Go's {@code SplitHostPort} gives "" (R39); null if not digits. */
        private static Integer parsePort(String s) {
            if (s.isEmpty()) {
                return -1;
            }
            if (s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            return Integer.parseInt(s);
        }

        private static String ascii(String host) {
            try {
                return IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                return host;
            }
        }

        /**
         * Go's useProxy.
         *
         * @param host the request's host (brackets allowed)
         * @param port its port
         * @return false if the request must go direct
         */
        boolean useProxy(String host, int port) {
            if (host == null || host.isEmpty()) {
                return true;
            }
            if (isLoopback(host)) {
                return false;
            }
            if (all) {
                return false;
            }
            String h = ascii(trimSpace(bare(host).toLowerCase(Locale.ROOT)));
            // An IPv6 zone chooses the client's interface (R20): the address is compared without it, the zone only
            // with an entry that names one (R77). Go compares the text, so "fe80::1%eth0" matched no address entry.
            String[] addressZone = zoned(trimSpace(bare(host).toLowerCase(Locale.ROOT)), host.startsWith("["));
            InetAddress ip = ipLiteral(addressZone[0]);
            String zone = addressZone[1];
            if (ip != null) {
                for (Cidr c : cidrs) {
                    if (contains(c, ip)) {
                        return false;
                    }
                }
                for (Ip m : ips) {
                    if (m.ip().equals(ip) && (m.port() == -1 || m.port() == port) && (m.zone() == null || m.zone().equals(zone))) {
                        return false;
                    }
                }
            }
            for (Domain d : domains) {
                if ((h.endsWith(d.suffix()) || (d.matchHost() && h.equals(d.suffix().substring(1))))
                        && (d.port() == -1 || d.port() == port)) {
                    return false;
                }
            }
            return true;
        }

        /**
         * {address, zone} of an IPv6 literal with a zone ({@code fe80::1%eth0}), else {text, null}. In brackets (a
         * request host, or an entry written as a URL writes it) a zone starting {@code %25} is RFC 6874's escape of
         * {@code %}, as {@link io.gochan.http.internal.codec.HostLiteral#forDial} reads a request's (R20).
         */
        private static String[] zoned(String text, boolean bracketed) {
            int pct = text.indexOf('%');
            if (pct <= 0 || text.indexOf(':') < 0 || text.indexOf(':') > pct) {
                return new String[] {text, null};
            }
            String zone = text.substring(pct + 1);
            if (bracketed && zone.startsWith("25") && zone.length() > 2) {
                zone = zone.substring(2);
            }
            return new String[] {text.substring(0, pct), zone.isEmpty() ? null : zone};
        }

        private static boolean contains(Cidr c, InetAddress ip) {
            byte[] a = ip.getAddress();
            if (a.length != c.network().length) {
                return false;
            }
            int bits = c.bits();
            for (int i = 0; i < a.length && bits > 0; i++, bits -= 8) {
                int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
                if ((a[i] & mask) != (c.network()[i] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Go's useProxy on a {@code NO_PROXY} list, for this package's tests. Not public: a user asks
     * {@link #fromEnvironment()} or {@link #of(String, String, String)} for the proxy of a request, and an
     * exported static method "for tests" would be API to keep from the first release on.
     *
     * @param noProxy the list, or null for none
     * @param host a request host (IPv6 in brackets or not)
     * @param port its port
     * @return true if a request to {@code host:port} would use the proxy
     * @throws NullPointerException if host is null
     */
    static boolean useProxy(String noProxy, String host, int port) {
        return new NoProxy(noProxy == null ? "" : noProxy).useProxy(Objects.requireNonNull(host, "host"), port);
    }

}
