package io.gochan.http.internal.conn;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The stream of a request body on its way to the server, closed exactly once by whichever comes first:
 * the write loop, when it is done with the body, or the request, when it ends without a response while
 * the write loop may still be reading the body (Go's transport closes the body then too: a round trip
 * always closes its request's body, on errors included). The request's close may come while the write
 * loop is blocked in a read of the source; closing is what unblocks a source that can be unblocked (a
 * pipe, a socket, another response's body), so the write loop ends instead of waiting on it for good
 * (E18). The same holds when the response came before the body was all sent and the connection is
 * closed later (the response's body closed early, its deadline): the connection closes the stream then.
 */
final class RequestBodyStream extends FilterInputStream {
    private final AtomicBoolean closed = new AtomicBoolean();

    RequestBodyStream(InputStream source) {
        super(source);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return in.read(b, off, len); // FilterInputStream's own does the same; said here for the one hot path
    }

    /**
     * The stream the transport opened from the request's body, under this wrapper: its class says whether the body is
     * read from memory, which decides whether its head goes out on its own first (E91).
     *
     * @return the wrapped stream
     */
    InputStream source() {
        return in;
    }

    /** @return true once closed, by either party */
    boolean isClosed() {
        return closed.get();
    }

    /** Closes the source, the first time only; callable from any thread, during a read on another. */
    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            in.close();
        }
    }
}
