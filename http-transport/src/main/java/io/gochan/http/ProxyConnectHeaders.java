package io.gochan.http;

import java.io.IOException;
import java.net.URI;

/**
 * The header fields of the {@code CONNECT} request that opens a tunnel through an HTTP proxy (https through an
 * {@code http://} or {@code https://} proxy): Go's {@code Transport.GetProxyConnectHeader}. Set it with
 * {@link Transport.Builder#proxyConnectHeaders(ProxyConnectHeaders)}; for the same fields on every tunnel,
 * {@link Transport.Builder#proxyConnectHeaders(Headers)}. Rule R54 in {@code docs/spec/transport-reach.md}.
 *
 * <p>Contract: called once for each tunnel the transport opens (a tunnel is a pooled connection that later requests
 * to the same origin through the same proxy reuse, so not once per request), on the transport's dial goroutine,
 * before the {@code CONNECT} request is written; never for plain http through a proxy, nor for SOCKS5. It may block
 * (to fetch a token, say) and must be thread-safe and interruptible or bounded: {@link Transport#close()} interrupts
 * it, and the dial timeout does not count its time. An {@link IOException} it throws fails the request that waited
 * for the tunnel with that very exception, after the connection to the proxy is closed and before anything is
 * written to it; an unchecked exception fails it with an {@link HttpConnectionException} whose cause it is.
 */
@FunctionalInterface
public interface ProxyConnectHeaders {
    /**
     * The header fields to send on the {@code CONNECT} request to {@code proxy} for {@code target}.
     *
     * <p>The fields were validated when the {@link Headers} were built (no CR, LF or other control character can
     * reach the wire). The transport writes {@code Host} itself (the target) and never sends the returned
     * {@code Host}, {@code Content-Length}, {@code Transfer-Encoding} or {@code Trailer}: a {@code CONNECT} has no
     * body, and its target is not the caller's to change. A {@code Proxy-Authorization} among them is sent only when
     * {@code proxy} has no user info; with user info, the Basic credentials made of it are the only one sent (as in
     * Go). {@code User-Agent} is sent only if given here, the first one, and not if it is empty.
     *
     * @param proxy the proxy as the {@linkplain Transport.Builder#proxy proxy function} chose it, user info included
     * @param target the origin the tunnel is for, {@code host:port} as on the {@code CONNECT} line (an IPv6 address
     *     in brackets, without its zone)
     * @return the fields to add; {@code null} or {@link Headers#empty()} for none
     * @throws IOException to fail the request that waited for this tunnel with this exception
     */
    Headers headers(URI proxy, String target) throws IOException;
}
