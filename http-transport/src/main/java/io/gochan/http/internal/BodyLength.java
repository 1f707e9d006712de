package io.gochan.http.internal;

/**
 * A response body stream of the transport that knows, without reading, how many bytes of it are at least still to
 * come, when its framing says so (the rest of a {@code Content-Length} body, or of the chunk under way, read as sent,
 * not decoded): {@code ResponseBody.bytes()} refuses a body that cannot fit its limit as soon as that is known (P95),
 * instead of waiting for bytes it would refuse anyway.
 */
public interface BodyLength {
    /**
     * How many bytes the body has at least still to give (all of them, for a {@code Content-Length} body; the rest of
     * the chunk under way, for a chunked one), or -1 when nothing is known without reading (between chunks, a body
     * delimited by the close, a decoded one) or a read would not give them (the body ended, failed or was closed, the
     * request or the transport ended, a read under way on another thread). Never reads, never blocks.
     *
     * @return at least the bytes still to come, or -1
     */
    long remainingLength();
}
