package io.gochan.http.internal.conn;

import io.gochan.http.RequestListener;
import io.gochan.http.internal.codec.HttpLimits;

import java.time.Duration;

/**
 * What a connection needs to know of its transport's configuration.
 *
 * @param bodyReadTimeout longest wait for the next bytes of a response body (zero = none)
 * @param bodyProbeWait longest wait of the look at the first byte of a body of unknown length before its head (E133):
 *     {@link #GO_BODY_PROBE_WAIT} but in tests; zero or negative: only the looks that never block
 */
public record ConnConfig(HttpLimits limits, Duration responseHeaderTimeout, Duration expectContinueTimeout,
        Duration bodyReadTimeout, boolean disableKeepAlives, boolean disableCompression, RequestListener listener,
        long maxBufferedBodyBytes, Duration bodyProbeWait) {
    /** Go's bound on the look at a body's first byte (its {@code probeRequestBody}, transfer.go): 200 ms (E133). */
    public static final Duration GO_BODY_PROBE_WAIT = Duration.ofMillis(200);

    /**
     * With Go's wait for the look at a body's first byte ({@link #GO_BODY_PROBE_WAIT}, E133).
     *
     * @param limits the limits on response heads
     * @param responseHeaderTimeout the time allowed for the response head
     * @param expectContinueTimeout the wait for 100 Continue
     * @param bodyReadTimeout the longest wait for a body's next bytes
     * @param disableKeepAlives one request per connection
     * @param disableCompression do not ask for gzip
     * @param listener the request listener
     * @param maxBufferedBodyBytes the most a response body buffered in memory may hold (P65)
     */
    public ConnConfig(HttpLimits limits, Duration responseHeaderTimeout, Duration expectContinueTimeout,
            Duration bodyReadTimeout, boolean disableKeepAlives, boolean disableCompression, RequestListener listener,
            long maxBufferedBodyBytes) {
        this(limits, responseHeaderTimeout, expectContinueTimeout, bodyReadTimeout, disableKeepAlives, disableCompression,
                listener, maxBufferedBodyBytes, GO_BODY_PROBE_WAIT);
    }

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
