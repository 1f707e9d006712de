package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.http.HttpRequest;
import io.gochan.http.internal.RequestScope;
import io.gochan.http.HttpResponse;

import java.io.IOException;
import java.io.InputStream;

/** The values that travel on a connection's channels. */
final class Messages {
    private Messages() {}

    /** The write loop's result for one request; {@link #OK} when it was written and flushed. */
    record WriteResult(IOException error) {
        static final WriteResult OK = new WriteResult(null);
    }

    /**
     * roundTrip to write loop, on {@code writech}. {@code body} is the stream the caller opened from the
     * request's body (null for none); the write loop closes it, written or not. {@code attempt} is the
     * request's attempt this write belongs to (its listener events are not reported once it ended: E33).
     * {@code written} is closed by the write loop once it is done with the request (written, failed or never
     * taken): a tunnel's output waits for it before its first byte (R67); null for a request whose response cannot
     * become a tunnel (neither a {@code CONNECT} nor asking to upgrade).
     */
    record WriteRequest(RequestScope scope, int attempt, InputStream body, Chan<WriteResult> writeErrCh, Chan<Boolean> continueCh,
            boolean acceptGzip, boolean close, Chan<Object> written) {
        HttpRequest req() {
            return scope.request();
        }

        /** Tells a tunnel's output, if this request may have one, that the write loop is done with the request. */
        void markWritten() {
            if (written != null) {
                written.close();
            }
        }
    }

    /**
     * roundTrip to read loop, on {@code reqch}: the exchange, where to deliver, and how to know the caller left;
     * {@code startBytesWritten} is the connection's count of bytes handed to its socket before this request;
     * {@code written} is {@link WriteRequest#written}'s receiving side, or null as it is.
     */
    record RequestAndChan(Exchange ex, Chan<ResponseOrError> resc, ReceiveChan<Object> callerGone,
            Chan<Boolean> continueCh, boolean addedGzip, long startBytesWritten, ReceiveChan<Object> written) {
        HttpRequest req() {
            return ex.scope().request();
        }
    }

    /** Exactly one of response and error is set. */
    record ResponseOrError(HttpResponse response, IOException error) {
        ResponseOrError {
            if ((response == null) == (error == null)) {
                throw new IllegalArgumentException("exactly one of response and error must be set");
            }
        }
    }
}
