package io.gochan.http;

import java.io.IOException;
import java.net.URI;

/**
 * A proxy refused or failed to set up the way to the origin: an HTTP proxy answered {@code CONNECT}
 * with a status other than 2xx (for example 407 Proxy Authentication Required; any 2xx opens the tunnel,
 * R55), answered with something that is not a well-formed HTTP response head, or a SOCKS5 proxy reported
 * an error or broke its protocol. The message names the proxy (never its credentials), the origin and what the proxy
 * said. A malformed answer has the {@link HttpProtocolException} with its reason as cause, as a
 * hostile origin's would. Rules R8–R10 in {@code docs/spec/transport-reach.md}.
 *
 * <p>For plain http through an HTTP proxy there is no setup: the proxy's answer (a 407 included) is
 * the response, as in Go.
 */
public final class ProxyException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The proxy, without user info. */
    private final String proxy;
    /** The HTTP status of the proxy's CONNECT answer, or the SOCKS5 reply code, or -1. */
    private final int status;

    /**
     * A proxy failure.
     *
     * @param proxy the proxy (its user info is not kept)
     * @param status the HTTP status the proxy answered, the SOCKS5 reply code, or -1 if it gave none
     * @param message what went wrong, naming the proxy, the origin and what the proxy said
     * @param cause the lower-level failure, or null
     */
    public ProxyException(URI proxy, int status, String message, Throwable cause) {
        super(message, cause);
        this.proxy = io.gochan.http.internal.pool.ConnectKey.redacted(proxy);
        this.status = status;
    }

    /**
     * A proxy setting that names no usable proxy, or may not be used (R38, R5).
     *
     * @param setting the setting's name, such as {@code HTTPS_PROXY}
     * @param message what is wrong with it (never its value, which may hold a password)
     */
    ProxyException(String setting, String message) {
        super(message);
        this.proxy = setting;
        this.status = -1;
    }

    /**
     * The proxy that failed.
     *
     * @return the proxy as {@code scheme://host[:port]}, without user info; or, for a proxy setting that
     *     names no usable proxy ({@code Proxies.fromEnvironment()}, R38), the setting's name, such as
     *     {@code HTTPS_PROXY}
     */
    public String proxy() {
        return proxy;
    }

    /**
     * What the proxy answered, as a number.
     *
     * @return the HTTP status of the proxy's answer to CONNECT, the SOCKS5 reply code, or -1 if there was none
     */
    public int status() {
        return status;
    }
}
