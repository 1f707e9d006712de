package io.gochan.http;

import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A response: status, headers, and a {@link ResponseBody} that the caller must close (this object
 * is {@link AutoCloseable} for that). Trailers of a chunked body are available after the body was
 * read to its end.
 */
public final class HttpResponse implements AutoCloseable {
    private final HttpRequest request;
    private final String version;
    private final int status;
    private final String reason;
    private final Headers headers;
    private final ResponseBody body;
    private final Supplier<Headers> trailers;
    private final OutputStream tunnelOutput;

    /**
     * Created by the transport.
     *
     * @param body the body; closing the response closes it
     * @param request the request this answers
     * @param trailers the trailer fields
     * @param version the HTTP version
     * @param status the status code
     * @param reason the reason phrase (may be empty)
     * @param headers the header fields
     * @throws NullPointerException if an argument is null
     */
    public HttpResponse(HttpRequest request, String version, int status, String reason, Headers headers,
            ResponseBody body, Supplier<Headers> trailers) {
        this(request, version, status, reason, headers, body, trailers, null);
    }

    /**
     * Created by the transport, for a response that turned its connection into a tunnel (R67).
     *
     * @param body the body; closing the response closes it
     * @param request the request this answers
     * @param trailers the trailer fields
     * @param version the HTTP version
     * @param status the status code
     * @param reason the reason phrase (may be empty)
     * @param headers the header fields
     * @param tunnelOutput the write side of the tunnel, or null if the response is no tunnel
     * @throws NullPointerException if an argument but tunnelOutput is null
     */
    public HttpResponse(HttpRequest request, String version, int status, String reason, Headers headers,
            ResponseBody body, Supplier<Headers> trailers, OutputStream tunnelOutput) {
        // Checked here, not where a caller (a RoundTripper of the user's) first reads one on another thread (R72).
        this.tunnelOutput = tunnelOutput;
        this.request = Objects.requireNonNull(request, "request");
        this.version = Objects.requireNonNull(version, "version");
        this.status = status;
        this.reason = Objects.requireNonNull(reason, "reason");
        this.headers = Objects.requireNonNull(headers, "headers");
        this.body = Objects.requireNonNull(body, "body");
        this.trailers = Objects.requireNonNull(trailers, "trailers");
    }

    /** {@return the request this answers (after redirects: the last one)} */
    public HttpRequest request() {
        return request;
    }

    /** {@return "HTTP/1.1" or "HTTP/1.0" (an answer of a later HTTP/1.x minor version is read, and named, as HTTP/1.1)} */
    public String version() {
        return version;
    }

    /** {@return the status code, e.g. 200} */
    public int status() {
        return status;
    }

    /** {@return the reason phrase (may be empty)} */
    public String reason() {
        return reason;
    }

    /** {@return the header fields} */
    public Headers headers() {
        return headers;
    }

    /** {@return the body; read it to its end or close the response to free the connection} */
    public ResponseBody body() {
        return body;
    }

    /** {@return Trailer fields of a chunked body; empty until the body was read to its end} */
    public Headers trailers() {
        return trailers.get();
    }

    /**
     * The write side of the connection this response turned into a tunnel, as Go's transport gives a writable body
     * (R67): a {@code 101 Switching Protocols} to a request that asked for it (an {@code Upgrade} field and
     * {@code Connection: upgrade}, as a WebSocket or {@code h2c} handshake does), whose own {@code Upgrade} and
     * {@code Connection: upgrade} fields accept it, or a 2xx to a {@code CONNECT} (R65). The {@link #body()} of such a
     * response is every byte the peer sends after the head until it closes; what is written here goes to the peer at
     * once (each write flushed), after the request and its body. The tunnel's two halves end apart (E74): reading the
     * body to its end (the peer's end of stream) leaves this output writable; closing this output ends our half (the
     * peer reads the end of the stream; the body can still be read). Once both ended, in either order, the connection
     * is closed. Closing the response (its body) closes the connection at any time, after which a write fails with
     * {@link HttpConnectionException} and closing the output does nothing more. The connection is the caller's: never
     * pooled, and a request's timeout (or {@link HttpClient}'s) ends it too, so a long-lived tunnel is sent without one,
     * as does the transport's close (E73). A write that waits (for the request to be written, for another thread's
     * write, or on a peer that reads nothing) ends when its thread is interrupted, on a platform or a virtual thread:
     * it throws {@link java.io.InterruptedIOException} and leaves the interrupt flag set; a write cut that way closes
     * the connection, as part of it may have reached the peer. A write entered with the flag set throws it at once,
     * nothing written (E80). A close that waits for the request's body to be written ends on an interrupt the same way,
     * having ended nothing: the output stays open, and a later close ends it (E93). A close never waits for another
     * thread's write: one that comes while a write is in progress (blocked on a peer that reads nothing, say) closes the
     * connection, which ends that write with {@link HttpConnectionException}, and the tunnel with it (E107).
     *
     * @return the tunnel's output; empty for any other response (a 101 nobody asked for included, R64)
     */
    public Optional<OutputStream> tunnelOutput() {
        return Optional.ofNullable(tunnelOutput);
    }

    /**
     * Closes the body.
     *
     * @throws java.io.UncheckedIOException if the body's stream failed to close (a transport's body never does), as
     *     {@link ResponseBody#close()}
     */
    @Override
    public void close() {
        body.close();
    }

    /**
     * The status line and the request, for a log: {@code HTTP/1.1 200 OK (GET http://host/path)}, the reason phrase's
     * control characters escaped as {@link Headers#toString()} escapes a value's (R125).
     *
     * @return the text
     */
    @Override
    public String toString() {
        // The reason phrase is the server's (obs-text allowed): its control characters escaped, as a logged line must
        // not end inside it (a C1 NEL).
        return version + " " + status + (reason.isEmpty() ? "" : " "
                + io.gochan.http.internal.codec.ResponseHeadReader.escapeControls(reason, true)) + " (" + request + ")";
    }
}
