package io.gochan.http.internal.codec;

import java.io.IOException;

/**
 * The connection's input stream broke the contract of {@link java.io.InputStream#read(byte[], int, int)} (P80): it
 * made no progress (0 bytes, read after read, where it must block until a byte is available), or it returned a
 * count it cannot have read. Its own type, so that the read loop never takes it for the server's close of the
 * connection: the socket a {@link io.gochan.http.Dialer} returned is broken, and a new connection from it would
 * fail the same way.
 */
public final class StreamContractException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure of the stream, in words.
     *
     * @param message what the stream did
     */
    public StreamContractException(String message) {
        super(message);
    }
}
