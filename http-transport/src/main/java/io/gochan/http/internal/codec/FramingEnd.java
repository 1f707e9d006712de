package io.gochan.http.internal.codec;

/**
 * A body stream that can tell, without reading, that its framing has ended (E49): every byte of the body and its
 * end were consumed by the reads so far, so the next read would return -1 without touching the connection. The
 * read that completes a body's declared length, or whose chunk is followed by the last chunk already buffered,
 * then does what the EOF read does (as Go's body returns {@code io.EOF} with the last bytes of a
 * length-delimited body).
 */
public interface FramingEnd {
    /**
     * {@return true once the body's framing has ended: its last byte and its end consumed, nothing left to read}
     * Never reads. Asked by the body's reader after a read that returned bytes.
     */
    boolean framingEnded();
}
