package io.gochan.http.internal.conn;

import io.gochan.http.Headers;
import io.gochan.http.HttpRequest;
import io.gochan.http.internal.codec.BodyFraming;
import io.gochan.http.internal.codec.ResponseHead;

/**
 * The one owner of "may this connection serve the next request?" (E136), asked by the read loop for every final
 * response, and by nobody else: what the exchange's end does (pool or close) follows from its answer alone. The answer
 * is a reason, or null: the connection's close says which rule kept it from the pool.
 *
 * <p>Two questions, in the order Go's {@code persistConn.readLoop} asks them. What the response allows
 * ({@link #forbiddenBy}: Go's {@code alive}, from {@code resp.Close}, {@code req.Close}, the status and an unbounded
 * body), asked once its final head is read; then, when the response is done with the connection, what happened
 * meanwhile (the read loop's own {@code unsolicited}, {@code loopEnding} and the write loop's word: Go's
 * {@code !pc.sawEOF && pc.wroteRequest()}), which the read loop or the body held in memory asks through
 * {@link #notWritten()}. Stricter than Go where a rule says so (P21, P22, P29, P41: {@code ReuseParityTest} pins each
 * against Go 1.19's answer, E135).
 */
final class KeepAlive {
    /** Why the connection was closed when the write loop's word did not come in time (E138). */
    private static final String NOT_WRITTEN = "its request was not reported written whole within 50 ms (E138)";
    /** Why, when the thread that waited for the write loop's word was interrupted meanwhile (E89, E99). */
    private static final String INTERRUPTED = "interrupted while it waited for the word that its request was written";

    private KeepAlive() {
    }

    /**
     * What the final response and its request allow, before anything else is looked at.
     *
     * @param req the request
     * @param head the final response's head
     * @param framing the response body's framing (a tunnel's is {@code UNTIL_CLOSE})
     * @param disableKeepAlives the transport's option: one request per connection
     * @param noContinue the request asked for {@code 100-continue} and its final status came without a {@code 100}: its
     *     body was skipped, or sent after the expect-continue timeout, and whether the server read it is unknowable
     *     (P21, CVE-2024-24791)
     * @return why the connection may not serve another request, or null if it may
     */
    static String forbiddenBy(HttpRequest req, ResponseHead head, BodyFraming framing, boolean disableKeepAlives,
            boolean noContinue) {
        Headers h = head.headers();
        if (disableKeepAlives) {
            return "keep-alives are disabled";
        }
        if (h.hasToken("Connection", "close")) {
            return "the response said Connection: close (P22)";
        }
        if (req.headers().hasToken("Connection", "close")) {
            return "the request said Connection: close (P22)";
        }
        if (head.isHttp10() && !h.hasToken("Connection", "keep-alive")) {
            return "an HTTP/1.0 response without Connection: keep-alive (P22)";
        }
        if (framing.kind() == BodyFraming.Kind.UNTIL_CLOSE) {
            return "the response's body ends with the connection (P22)";
        }
        if (head.status() < 200) {
            return "a 101 response that switched to no protocol (R64)";
        }
        if (BodyFraming.declaresAForbiddenBody(head)) {
            return "a 204 that declares a body, which may still come (P29)";
        }
        if (BodyFraming.ignoresTransferEncoding(head)) {
            return "an HTTP/1.0 response with a Transfer-Encoding (P41)";
        }
        if (req.method().equals("CONNECT") && !req.body().isEmpty()) {
            // A CONNECT's body is the tunnel's first bytes (R66): a peer that refused the tunnel may read them as the
            // next request, whatever Content-Length said (a CONNECT has no content, RFC 9110 §9.3.6).
            return "a refused CONNECT whose body was sent (R66)";
        }
        if (noContinue) {
            return "a final status came without 100 Continue: whether the server read the request's body is unknowable"
                    + " (P21)";
        }
        return null;
    }

    /**
     * Why the connection may not be pooled when the write loop's word was not "written whole": its wait ran out (50 ms,
     * E138), or the thread that waited was interrupted (its flag is set, and left set, when this is asked).
     *
     * @return the reason
     */
    static String notWritten() {
        return Thread.currentThread().isInterrupted() ? INTERRUPTED : NOT_WRITTEN;
    }
}
