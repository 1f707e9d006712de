package io.gochan.http;

import java.net.URI;
import java.util.List;

/**
 * Stores cookies from responses and chooses those to send with requests, as Go's
 * {@code http.CookieJar}. {@link HttpClient} calls {@link #setCookies} with every response's
 * {@code Set-Cookie} fields (redirects included) and {@link #cookies} before every request it sends.
 * {@link #inMemory()} is Go's {@code net/http/cookiejar} without a public suffix list (R12), stricter against a
 * hostile server (R22, R57, R59; over plain http no {@code Secure} cookie is set or overwritten, R75);
 * {@link #inMemory(java.util.function.UnaryOperator)} takes one (R27).
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
     * @return the cookies (name and value matter), possibly empty; null is taken as empty, as Go's nil slice,
     *     and a null cookie in the list fails the send with an {@link IllegalStateException} (E147)
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

    /**
     * A new, empty in-memory jar that also refuses cookies for a public suffix (R27), as Go's
     * {@code cookiejar} with a {@code PublicSuffixList}: without one, {@code evil.co.uk} can set a cookie
     * with {@code Domain=co.uk} that every {@code *.co.uk} site then receives.
     *
     * @param publicSuffix the public suffix of a lower-case ASCII domain ({@code co.uk} for
     *     {@code www.bank.co.uk}), null or empty for none known; called on the thread storing cookies,
     *     never under the jar's lock
     * @return the jar
     * @throws NullPointerException if publicSuffix is null
     */
    static CookieJar inMemory(java.util.function.UnaryOperator<String> publicSuffix) {
        return new MemoryCookieJar(java.time.Clock.systemUTC(), publicSuffix);
    }
}
