package io.gochan.http.internal.conn;

import io.gochan.http.RequestListener;
import io.gochan.http.internal.codec.HttpLimits;

import java.time.Duration;

/**
 * What a connection needs to know of its transport's configuration.
 *
 * @param bodyReadTimeout longest wait for the next bytes of a response body (zero = none)
 */
public record ConnConfig(HttpLimits limits, Duration responseHeaderTimeout, Duration expectContinueTimeout,
        Duration bodyReadTimeout, boolean disableKeepAlives, boolean disableCompression, RequestListener listener) {}
