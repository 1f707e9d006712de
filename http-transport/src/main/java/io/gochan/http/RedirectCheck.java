package io.gochan.http;

import java.io.IOException;
import java.util.List;

/**
 * Decides whether {@link HttpClient} follows a redirect, as Go's {@code http.Client.CheckRedirect}
 * (R13). It is called before each redirect is followed, after the {@code maxRedirects} limit has been
 * checked, on the sending thread; never for a {@code Location} the client cannot send (a scheme other than http and
 * https, no host), which fails the send with {@code BAD_LOCATION} first, where Go asks its check about it (R137).
 */
@FunctionalInterface
public interface RedirectCheck {
    /**
     * Whether to send {@code next}.
     *
     * @param next the request the redirect leads to (method, body and headers as the client would send
     *     them, before the cookie jar's cookies are added)
     * @param via the requests already sent for this call, oldest first; never empty
     * @return true to follow; false to stop and return the redirect response itself, body unread (Go's
     *     {@code ErrUseLastResponse})
     * @throws IOException to fail the send with it, as thrown (not wrapped, as Go wraps it in a {@code url.Error}); the
     *     redirect response is drained and closed first, so its connection is reused (R136). An unchecked exception
     *     or an error fails the send the same way.
     */
    boolean follow(HttpRequest next, List<HttpRequest> via) throws IOException;
}
