package io.gochan.http;

import io.gochan.Context;

import java.io.IOException;

/**
 * Carries one request to a response, as Go's {@code http.RoundTripper}: no redirects, no cookies, no
 * client timeout (that is {@link HttpClient}'s job). {@link Transport} is the implementation that talks
 * to the network; a user adds behaviour around it (headers, logging, metrics) by writing a
 * {@code RoundTripper} that calls another one, and gives the outer one to
 * {@link HttpClient#builder(RoundTripper)} (ADR 0010).
 *
 * <p>Implementations must be safe for concurrent use, must not change {@code request} (it is
 * immutable; build a new one with {@link HttpRequest#toBuilder()}), and hand the caller a response it
 * closes. A wrapper that does not return the inner response must close it.
 */
@FunctionalInterface
public interface RoundTripper {
    /**
     * Sends {@code request} under {@code ctx} and returns its response; blocks until the response
     * headers are read (or the wrapper's own work is done).
     *
     * @param request the request to send
     * @param ctx the request's context: cancelling it, or its deadline passing, ends the request
     * @return the response, headers read and body streaming; the caller closes it
     * @throws IOException if the exchange failed (for {@link Transport}, see
     *     {@link Transport#roundTrip(HttpRequest, Context)})
     * @throws InterruptedException if the calling thread was interrupted while waiting
     */
    HttpResponse roundTrip(HttpRequest request, Context ctx) throws IOException, InterruptedException;

    /**
     * Closes the idle connections of whatever carries the requests, as Go's {@code closeIdler} that
     * {@code Client.CloseIdleConnections} looks for (R43). {@link Transport} closes its pool's idle
     * connections ({@link Transport#closeIdleConnections()}); a wrapper that owns no connection forwards the
     * call to the round tripper it wraps, or it reaches nothing. Never blocks on a request in progress.
     *
     * <p>The default does nothing: a round tripper without connections of its own, or a wrapper that does
     * not forward, has none to close.
     */
    default void closeIdleConnections() {
        // nothing of its own to close
    }
}
