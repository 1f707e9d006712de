package io.gochan.http;

import io.gochan.http.internal.conn.AddressDialer;
import io.gochan.http.internal.conn.UnixSocket;

import java.io.IOException;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Opens the byte stream a connection runs over: Go's {@code Transport.DialContext}. The transport
 * calls it on a dial goroutine for each new connection (to the origin, or to the proxy when one is
 * used), and puts TLS on top of what it returns for https.
 *
 * <p>Contract: blocks until connected or failed, at most about {@code timeout} (zero: no limit). The
 * dial goroutine is interrupted when the transport closes: an implementation must then give up and
 * throw (a virtual thread's interrupt closes the socket it connects on); {@link Transport#close()} waits
 * for it to do so, and closes a socket it returns anyway (rule E29). The returned socket is the
 * transport's: it closes it. Failures the transport passes on of the same type: a
 * {@link java.net.ConnectException} (as a new one whose message names the peer it was for,
 * {@code connect to http://host:port failed: ...}, the dialer's as its cause, rule P71),
 * {@link java.net.UnknownHostException} (as it is); a {@link java.net.SocketTimeoutException} becomes an
 * {@link HttpTimeoutException} of kind {@code CONNECT}; other failures an {@link HttpConnectionException}.
 */
@FunctionalInterface
public interface Dialer {
    /**
     * Connects to {@code host}:{@code port}.
     *
     * @param host the host name or IP literal to reach
     * @param port the port
     * @param timeout the transport's dial timeout (zero: none)
     * @return a connected socket
     * @throws IOException if the connection failed or timed out
     */
    Socket dial(String host, int port, Duration timeout) throws IOException;

    /**
     * Go's default dialer: resolves {@code host}, then tries each address in turn, each with a share
     * of the timeout (the time left divided by the addresses left, at least 2 s, as Go's
     * {@code partialDeadline}); when the addresses include both IPv4 and IPv6, the family of the first
     * address is tried first and the other family starts after {@code fallbackDelay}, or at once when
     * the first family has failed, and the first connection made wins (Go's {@code dialParallel},
     * RFC 6555 / RFC 8305). The loser is closed. A refused connection is a {@link java.net.ConnectException} that
     * names the host, the address and the port tried, the JDK's exception as its cause (R82). Rules R1–R3 in
     * {@code docs/spec/transport-reach.md}.
     *
     * @param resolver the name resolver
     * @param fallbackDelay how long the first family runs alone (Go's default 300 ms); zero or
     *     negative means 300 ms
     * @return the dialer
     * @throws NullPointerException if an argument is null
     */
    static Dialer tcp(Resolver resolver, Duration fallbackDelay) {
        return new AddressDialer(Objects.requireNonNull(resolver, "resolver"), Objects.requireNonNull(fallbackDelay, "fallbackDelay"));
    }

    /**
     * A dialer that connects every request to the Unix domain socket {@code path}, whatever its host
     * and port (which still make the request's {@code Host} header and the pool's key), as curl's
     * {@code --unix-socket} and Docker's API clients do. Rule R4. A dial "to a proxy" goes to the socket too, as
     * Go's {@code DialContext} is given the proxy's address: with a {@link Transport.Builder#proxy} function that
     * chooses an HTTP proxy, the program on the socket receives the forwarded request (absolute form, with the
     * {@code Proxy-Authorization} meant for the proxy, R92). Choose no proxy for such a transport, as curl does.
     *
     * @param path the socket file
     * @return the dialer
     * @throws NullPointerException if path is null
     */
    static Dialer unixSocket(Path path) {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path"));
        return (host, port, timeout) -> UnixSocket.connect(address);
    }
}
