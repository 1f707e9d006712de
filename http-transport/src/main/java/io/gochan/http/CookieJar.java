package io.gochan.http;

import java.net.URI;
import java.util.List;

/**
 * Stores cookies from responses and chooses those to send with requests, as Go's
 * {@code http.CookieJar}. {@link HttpClient} calls {@link #setCookies} with every response's
 * {@code Set-Cookie} fields (redirects included) and {@link #cookies} before every request it sends.
 * {@link #inMemory()} is Go's {@code net/http/cookiejar} without a public suffix list (R12).
 *
 * <p>Implementations must be safe for concurrent use and must not block for long: they are called on
 * the sending thread.
 */
public interface CookieJar {
    /**
     * Takes the cookies a response to {@code uri} set; the jar decides which it keeps.
     *
     * @param uri the request URI the response answered
     * @param cookies the cookies parsed from its {@code Set-Cookie} fields, in order
     */
    void setCookies(URI uri, List<Cookie> cookies);

    /**
     * The cookies to send with a request to {@code uri}, in the order they go into the
     * {@code Cookie} field.
     *
     * @param uri the request URI
     * @return the cookies (name and value matter), possibly empty
     */
    List<Cookie> cookies(URI uri);

    /**
     * A new, empty in-memory jar with RFC 6265 rules and the system clock (R12).
     *
     * @return the jar
     */
    static CookieJar inMemory() {
        return new MemoryCookieJar(java.time.Clock.systemUTC());
    }
}
