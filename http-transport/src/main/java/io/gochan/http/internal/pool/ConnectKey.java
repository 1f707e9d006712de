package io.gochan.http.internal.pool;

import java.util.Locale;
import java.util.Objects;

/**
 * What makes two connections interchangeable: scheme, host and port (Go's connectMethodKey without
 * proxies). Host names are compared case-insensitively.
 */
public record ConnectKey(String scheme, String host, int port) {
    /** Normalises scheme and host to lower case. */
    public ConnectKey {
        scheme = Objects.requireNonNull(scheme, "scheme").toLowerCase(Locale.ROOT);
        host = Objects.requireNonNull(host, "host").toLowerCase(Locale.ROOT);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** True for https. */
    public boolean tls() {
        return scheme.equals("https");
    }

    @Override
    public String toString() {
        return scheme + "://" + host + ":" + port;
    }
}
