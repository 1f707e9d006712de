package io.gochan.http;

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
     * The addresses of {@code host}, preferred first.
     *
     * @param host a host name or an IP literal, as in the request's URI (brackets removed)
     * @return the addresses, at least one
     * @throws UnknownHostException if the name has no address
     * @throws IOException if the lookup itself failed
     */
    List<InetAddress> resolve(String host) throws IOException;

    /**
     * The JDK's system resolver, {@link InetAddress#getAllByName(String)} (which honours the JDK's
     * address-family preferences, {@code java.net.preferIPv6Addresses}).
     *
     * @return the system resolver
     */
    static Resolver system() {
        return host -> List.of(InetAddress.getAllByName(host));
    }
}
