package io.gochan.http;

/**
 * Per-request events, like Go's {@code httptrace.ClientTrace} and OkHttp's {@code EventListener}.
 * Every method has an empty default; override what you need. Callbacks run on transport threads
 * (the caller's thread, a connection's read or write loop); they must be quick and must not block,
 * and an exception thrown by one is logged and otherwise ignored (it never fails the request).
 */
public interface RequestListener {
    /** A listener that does nothing. */
    RequestListener NONE = new RequestListener() {};

    /**
     * The transport starts looking for a connection for {@code request}.
     *
     * @param request the request
     * @param hostPort host:port of the connection
     */
    default void getConn(HttpRequest request, String hostPort) {}

    /**
     * A connection was obtained; {@code reused} is true if it came from the idle pool.
     *
     * @param request the request
     * @param reused true if the connection was reused from the pool
     */
    default void gotConn(HttpRequest request, boolean reused) {}

    /**
     * The request line and headers were written and flushed.
     *
     * @param request the request
     */
    default void wroteHeaders(HttpRequest request) {}

    /**
     * The whole request (headers and body) was written, or the write failed ({@code error} non-null).
     *
     * @param request the request
     * @param error the failure, or null if there was none
     */
    default void wroteRequest(HttpRequest request, Throwable error) {}

    /**
     * The first byte of the response arrived.
     *
     * @param request the request
     */
    default void gotFirstResponseByte(HttpRequest request) {}

    /**
     * The request is over: its body was read to the end or closed, or it failed ({@code error} non-null).
     *
     * @param request the request
     * @param error the failure, or null if there was none
     */
    default void done(HttpRequest request, Throwable error) {}
}
