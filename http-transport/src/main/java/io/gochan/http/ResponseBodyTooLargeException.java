package io.gochan.http;

import java.net.URI;

/**
 * A response body larger than {@link ResponseBody#bytes()} or {@link ResponseBody#string()} may read into memory: the
 * transport's {@code maxBufferedBodyBytes} (default 64 MiB), or the limit given to the call (P65). The message names
 * the limit and the request's URI (without its user info). The body was closed before its end, so its connection is
 * closed, never pooled; read a larger body through {@link ResponseBody#stream()}, which has no limit.
 */
public final class ResponseBodyTooLargeException extends HttpProtocolException {
    private static final long serialVersionUID = 1L;

    /** The limit the body went over, in bytes. */
    private final long limit;
    /** The URI of the request the body answers, or null if it is not known. */
    private final transient URI uri;

    /**
     * Creates the exception.
     *
     * @param message what went over which limit, and for which request
     * @param limit the limit, in bytes
     * @param uri the request's URI, or null if it is not known
     */
    public ResponseBodyTooLargeException(String message, long limit, URI uri) {
        super(Reason.BODY_TOO_LARGE, message);
        this.limit = limit;
        this.uri = uri;
    }

    /** {@return the limit the body went over, in bytes} */
    public long limit() {
        return limit;
    }

    /** {@return the URI of the request the body answers, or null if it is not known} */
    public URI uri() {
        return uri;
    }
}
