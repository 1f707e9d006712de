package io.gochan.http.internal;

/**
 * A response body stream of the transport that knows, without reading, how many bytes of it are still to come, when
 * its framing says so (a {@code Content-Length} body read as sent, not decoded): {@code ResponseBody.bytes()} refuses
 * at once a body that cannot fit its limit (P95), instead of waiting for bytes it would refuse anyway.
 */
public interface BodyLength {
    /**
     * How many bytes the body still has to give, or -1 when that is not known without reading (a chunked body, one
     * delimited by the close, a decoded one) or a read would not give them (the body ended, failed or was closed, the
     * request or the transport ended, a read under way on another thread). Never reads, never blocks.
     *
     * @return the bytes still to come, or -1
     */
    long remainingLength();
}
