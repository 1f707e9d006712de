package io.gochan.http;

import java.io.IOException;
import java.util.List;

/**
 * Decides whether {@link HttpClient} follows a redirect, as Go's {@code http.Client.CheckRedirect}
 * (R13). It is called before each redirect is followed, after the {@code maxRedirects} limit has been
 * checked, on the sending thread.
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
     * @throws IOException to fail the send with it; the redirect response is closed first
     */
    boolean follow(HttpRequest next, List<HttpRequest> via) throws IOException;
}
