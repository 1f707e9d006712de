package io.gochan.http;

import io.gochan.http.internal.codec.HostLiteral;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a host name into the addresses a {@link Dialer#tcp TCP dialer} tries, in the order given: Go's
 * {@code net.Resolver} as a plug-in point (tests, service discovery, a fixed table).
 *
 * <p>Contract: may block; must be interruptible or bounded; must return at least one address or throw.
 * Called on the transport's dial goroutine, once per new connection. {@link Transport#close()} does not
 * wait for a resolver that is running: it fails the request at once, and the dial, when the resolver
 * returns, opens nothing (rule E29).
 */
@FunctionalInterface
public interface Resolver {
    /**
     * The addresses of {@code host}, preferred first. It runs on the transport's dial thread, whose interrupt is the
     * transport's to set: an interrupt a resolver leaves set on it is cleared, and the dial goes on (E148).
     *
     * @param host a host name or an IP literal, as in the request's URI (brackets removed)
     * @return the addresses, at least one
     * @throws UnknownHostException if the name has no address
     * @throws IOException if the lookup itself failed
     */
    List<InetAddress> resolve(String host) throws IOException;

    /**
     * The JDK's system resolver, {@link InetAddress#getAllByName(String)} (which honours the JDK's
     * address-family preferences, {@code java.net.preferIPv6Addresses}), for the hosts Go's resolver resolves
     * (R110): a host of digits and dots only is an IPv4 address when it is four decimal numbers from 0 to 255
     * without leading zeros ({@code 10.0.0.1}, as Go's {@code net.ParseIP} reads one), and any other such text
     * ({@code 2130706433}, {@code 0177.0.0.1}, {@code 127.000.000.001}, {@code 4294967296}), or an IPv6 literal
     * whose dotted end is no such address ({@code ::ffff:0177.0.0.1}), is refused with an
     * {@link UnknownHostException}, never read by the JDK's wider grammar nor looked up, as Go's resolver finds
     * no such host.
     *
     * @return the system resolver
     */
    static Resolver system() {
        return host -> {
            // The JDK reads 2130706433 as 127.0.0.1 and 0177.0.0.1 as 177.0.0.1 (decimal, where inet_aton, curl and
            // browsers read octal 0177 as 127), and looks up 4294967296 in DNS. Go's ParseIP refuses each, and its
            // resolver takes none for a host name (one has a letter or a hyphen): "no such host", no lookup. A URL
            // that names another machine to every other client must not reach one here (R110).
            HostLiteral.refuseNumericNonAddress(host);
            try {
                return List.of(InetAddress.getAllByName(host));
            } catch (UnknownHostException e) {
                String why = e.getMessage();
                if (why != null && why.contains(host)) {
                    throw e;
                }
                // The JDK's refusal of a zoned IPv6 literal ("no scope_id found", "no such interface eth9") names no
                // host: the failure line said what went wrong but not for which URL's host (R20, R90).
                UnknownHostException named = new UnknownHostException(host + ": " + (why == null ? "no such host" : why));
                named.initCause(e);
                throw named;
            }
        };
    }
}
