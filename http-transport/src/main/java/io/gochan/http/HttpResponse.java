package io.gochan.http;

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

    /**
     * Created by the transport.
     *
     * @param body the body
     * @param request the request to send
     * @param trailers the trailer fields
     * @param version the HTTP version
     * @param status the status code
     * @param reason what was wrong
     * @param headers the header fields
     */
    public HttpResponse(HttpRequest request, String version, int status, String reason, Headers headers,
            ResponseBody body, Supplier<Headers> trailers) {
        this.request = request;
        this.version = version;
        this.status = status;
        this.reason = reason;
        this.headers = headers;
        this.body = body;
        this.trailers = trailers;
    }

    /** {@return the request this answers (after redirects: the last one)} */
    public HttpRequest request() {
        return request;
    }

    /** {@return "HTTP/1.1" or "HTTP/1.0"} */
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

    /** Closes the body. */
    @Override
    public void close() {
        body.close();
    }

    @Override
    public String toString() {
        return version + " " + status + (reason.isEmpty() ? "" : " " + reason) + " (" + request + ")";
    }
}
