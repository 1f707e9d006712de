package io.gochan.http.internal;

/**
 * A response body stream of the transport that can tell, without reading, that the reads so far took it to its end:
 * the read that returned its last bytes did what the EOF read does (E49, as Go's body returns {@code io.EOF} with the
 * last bytes of a length-delimited body), so no read that returns -1 need follow. {@code HttpClient} asks it after
 * each read that returned bytes, and ends the send's own context there (E44), as it does at a read of -1.
 */
public interface BodyEnd {
    /**
     * Whether a read of this body has reached its end: it returned the body's last bytes (or -1), the exchange is
     * over (the connection back in the pool, or closed), and every later read answers -1. False for a body that
     * failed, or was closed, before its end. Never reads, never blocks.
     *
     * @return true once the body was read to its end
     */
    boolean bodyEnded();
}
