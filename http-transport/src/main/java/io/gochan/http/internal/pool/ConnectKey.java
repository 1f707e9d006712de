package io.gochan.http.internal.pool;

import io.gochan.http.internal.UriHost;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * What makes two connections interchangeable: scheme, host and port of the origin, and the proxy they
 * go through (Go's {@code connectMethodKey}). Host names are compared case-insensitively, an IPv6 zone
 * case-sensitively (R90). For plain
 * http through an HTTP proxy, host and port are the proxy's, so that every origin shares the
 * connections to that proxy (Go leaves the target address out of that key). The proxy URI includes
 * its user info: different credentials never share a connection; {@link #toString()} never shows
 * them.
 *
 * @param scheme the origin's scheme, http or https
 * @param host the origin's host (the proxy's for plain http through an HTTP proxy)
 * @param port the origin's port (the proxy's for plain http through an HTTP proxy)
 * @param proxy the proxy, or null for a direct connection
 */
public record ConnectKey(String scheme, String host, int port, URI proxy) {
    /**
     * Normalises the scheme and the host to lower case, except an IPv6 literal's zone ({@code [fe80::1%25enP8p1s0]}),
     * which is kept as written: it names a network interface, and is dialled as it is (R20, R90).
     */
    public ConnectKey {
        scheme = Objects.requireNonNull(scheme, "scheme").toLowerCase(Locale.ROOT);
        host = lowerCaseButZone(Objects.requireNonNull(host, "host"));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * A direct connection's key.
     *
     * @param scheme http or https
     * @param host the host
     * @param port the port
     */
    public ConnectKey(String scheme, String host, int port) {
        this(scheme, host, port, null);
    }

    /**
     * The host in lower case, but for the zone of an IPv6 literal, from its {@code %} on. Linux interface names are
     * case-sensitive ({@code enP8p1s0}, systemd's name for a non-zero PCI domain, is not {@code enp8p1s0}), and
     * {@link #host()} is what the dialer is given: lowering the zone dialled an interface that does not exist ("no
     * such interface enp8p1s0"). It is also why two zones that differ only in case stay two keys: they may be two
     * interfaces, and a connection on one must never serve the other (R90). Two spellings of one zone, {@code %25eth0}
     * and {@code %eth0}, are two keys too: a pool each, never a wrong connection. {@code HttpClient} compares the hosts
     * of a redirect's two origins by it too (R14), so an origin is the same host for its credentials exactly when it is
     * for the pool.
     *
     * @param host a host as {@code UriHost.host} reads it
     * @return the host to compare: lower case but for a zone
     */
    public static String lowerCaseButZone(String host) {
        int zone = host.indexOf('%');
        return zone < 0 ? host.toLowerCase(Locale.ROOT) : host.substring(0, zone).toLowerCase(Locale.ROOT) + host.substring(zone);
    }

    /** @return true for https */
    public boolean tls() {
        return scheme.equals("https");
    }

    /** @return true if requests on this connection go to an HTTP proxy in absolute form (plain http through an HTTP proxy) */
    public boolean forwardsToProxy() {
        return proxy != null && !tls() && isHttpProxy(proxy);
    }

    /**
     * @param proxy a proxy URI
     * @return true for an http:// or https:// proxy (as opposed to socks5://)
     */
    public static boolean isHttpProxy(URI proxy) {
        String s = proxy.getScheme().toLowerCase(Locale.ROOT);
        return s.equals("http") || s.equals("https");
    }

    /**
     * @param proxy a proxy URI, or null
     * @return the URI without user info, for messages and logs
     */
    public static String redacted(URI proxy) {
        if (proxy == null) {
            return "";
        }
        return proxy.getScheme() + "://" + UriHost.host(proxy) + (UriHost.port(proxy) == -1 ? "" : ":" + UriHost.port(proxy));
    }

    @Override
    public String toString() {
        String origin = scheme + "://" + host + ":" + port;
        if (proxy == null) {
            return origin;
        }
        return (forwardsToProxy() ? "http://* via " : origin + " via ") + redacted(proxy);
    }
}
