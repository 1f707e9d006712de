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
        Duration bodyReadTimeout, boolean disableKeepAlives, boolean disableCompression, RequestListener listener,
        long maxBufferedBodyBytes) {
    /**
     * With the default {@code maxBufferedBodyBytes} (P65).
     *
     * @param limits the limits on response heads
     * @param responseHeaderTimeout the time allowed for the response head
     * @param expectContinueTimeout the wait for 100 Continue
     * @param bodyReadTimeout the longest wait for a body's next bytes
     * @param disableKeepAlives one request per connection
     * @param disableCompression do not ask for gzip
     * @param listener the request listener
     */
    public ConnConfig(HttpLimits limits, Duration responseHeaderTimeout, Duration expectContinueTimeout,
            Duration bodyReadTimeout, boolean disableKeepAlives, boolean disableCompression, RequestListener listener) {
        this(limits, responseHeaderTimeout, expectContinueTimeout, bodyReadTimeout, disableKeepAlives, disableCompression,
                listener, io.gochan.http.ResponseBody.DEFAULT_MAX_BUFFERED_BYTES);
    }
}
