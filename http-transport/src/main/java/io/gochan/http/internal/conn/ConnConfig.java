package io.gochan.http.internal.conn;

import io.gochan.http.RequestListener;
import io.gochan.http.internal.codec.HttpLimits;

import java.time.Duration;

/** What a connection needs to know of its transport's configuration. */
public record ConnConfig(HttpLimits limits, Duration responseHeaderTimeout, Duration expectContinueTimeout,
        boolean disableKeepAlives, boolean disableCompression, RequestListener listener) {}
