package io.gochan.http;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.internal.BodyEnd;
import io.gochan.http.internal.Deadlines;
import io.gochan.http.internal.DecodedBody;
import io.gochan.http.internal.RedactedUri;
import io.gochan.http.internal.UriHost;
import io.gochan.http.internal.UserInfo;
import io.gochan.http.internal.codec.ResponseHeadReader;
import io.gochan.http.internal.pool.ConnectKey;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A thin client over a {@link RoundTripper} (normally a {@link Transport}), like Go's
 * {@code http.Client}: follows redirects (at most {@code maxRedirects}, default 10, and as a
 * {@link RedirectCheck} allows), never sends credentials to another host, keeps cookies in an optional
 * {@link CookieJar}, and bounds the whole exchange, body included, with an overall timeout. A request's own
 * {@linkplain HttpRequest#timeout() timeout} bounds the whole send too, its redirects included: each hop gets
 * what is left of it (E46).
 *
 * <p>Redirects: 301, 302 and 303 are followed with GET (HEAD stays HEAD), no body and none of the fields that
 * describe one ({@code Content-Type}, {@code Content-Encoding}, {@code Content-Language}, {@code Content-Location},
 * {@code Expect: 100-continue}; R108); 307 and 308
 * keep the method and body if the body can be sent again (or is declared empty), else the 3xx response is
 * returned (R48). A
 * {@code Location} is resolved by RFC 3986 as Go does (a redirect without one is the response); one
 * that cannot be followed fails the send with an {@link HttpProtocolException} of reason
 * {@code BAD_LOCATION}, the redirect closed (R16). The headers {@code Authorization},
 * {@code Proxy-Authorization}, {@code WWW-Authenticate}, {@code Cookie} and {@code Cookie2} are dropped
 * when a redirect leads to a different host (or from https to http), for the rest of the chain (R14);
 * {@code Proxy-Authorization} also when it changes the scheme, http to https included: a proxy credential belongs
 * to the route, and the two schemes take different ones (R92).
 * A URI's user info is sent as {@code Authorization: Basic} unless the request has that field (R17).
 * The client adds no {@code Referer}; the caller's is dropped on a redirect from https to http (R19).
 * Cookies from the jar are chosen for each request's own URI, redirects included, so they follow the
 * jar's rules, not the caller's headers, and go after the caller's own {@code Cookie} fields, which are merged
 * with them into one field, in order (R91); {@code Set-Cookie} fields of every response, redirects
 * included, go to the jar (R12). A cookie of the caller's own {@code Cookie} field that a redirect sets again is
 * dropped from it, so only the jar's new value is sent (R44). Over a {@link Transport}, the jar's cookies are added
 * only while the request head stays within its {@code maxRequestHeaderBytes}, the first in the jar's order; an HTTP
 * proxy's credentials (the transport's choice) are not counted (R58).
 * The overall timeout passing while the final body is
 * read fails the read with an {@link HttpTimeoutException} that names it (R45).
 * Thread-safe. The client holds nothing to close; the transport is shared, not owned: close it yourself when every
 * client over it is done ({@link #closeIdleConnections()} only closes its idle connections).
 */
public final class HttpClient {
    private static final Set<String> SENSITIVE = Set.of(
            "authorization", "proxy-authorization", "www-authenticate", "cookie", "cookie2");
    /**
     * The fields that describe a request's body, dropped with it by a 301, 302 or 303 (R108): the Fetch standard's
     * request-body-header names (the framing fields are the transport's, never the caller's, P44).
     */
    private static final List<String> BODY_FIELDS = List.of(
            "Content-Type", "Content-Encoding", "Content-Language", "Content-Location");

    private final RoundTripper transport;
    private final int maxRedirects;
    private final Duration timeout;
    private final CookieJar jar;
    private final RedirectCheck checkRedirect;

    private HttpClient(Builder b) {
        this.transport = b.transport;
        this.maxRedirects = b.maxRedirects;
        this.timeout = b.timeout;
        this.jar = b.jar;
        this.checkRedirect = b.checkRedirect;
    }

    /**
     * A builder for a client over {@code transport}.
     *
     * @param transport the transport that carries the requests; the client does not close it
     * @return a new builder with the defaults
     * @throws NullPointerException if transport is null
     */
    public static Builder builder(Transport transport) {
        return new Builder(transport);
    }

    /**
     * A builder for a client over {@code roundTripper}, e.g. a wrapper around a {@link Transport}
     * that adds headers or logs (R15).
     *
     * @param roundTripper what carries each request (each redirect is a separate call)
     * @return a new builder with the defaults
     * @throws NullPointerException if roundTripper is null
     */
    public static Builder builder(RoundTripper roundTripper) {
        return new Builder(Objects.requireNonNull(roundTripper, "roundTripper"));
    }

    /**
     * Closes the idle connections of the round tripper this client sends through, as Go's
     * {@code Client.CloseIdleConnections} (R43): a {@link Transport}'s pool closes its idle connections
     * ({@link Transport#closeIdleConnections()}, E34, E56); a wrapping {@link RoundTripper} is asked through
     * {@link RoundTripper#closeIdleConnections()}, which does nothing unless the wrapper forwards it. Requests
     * in progress are not touched. The transport stays open and shared.
     */
    public void closeIdleConnections() {
        transport.closeIdleConnections();
    }

    /**
     * Sends the request, following redirects; the caller closes the response.
     *
     * @param request the request to send
     * @return the final response (after redirects), headers read and body streaming
     * @throws IOException if the exchange failed (see {@link Transport#roundTrip(HttpRequest,
     *     Context)})
     * @throws InterruptedException if the calling thread is interrupted while waiting
     * @throws NullPointerException if request is null
     */
    public HttpResponse send(HttpRequest request) throws IOException, InterruptedException {
        return send(request, Context.background());
    }

    /**
     * Sends the request under {@code parent} (and the overall timeout, if any), following redirects.
     *
     * @param request the request to send
     * @param parent the context the send follows; cancelling it abandons the send
     * @return the final response (after redirects), headers read and body streaming
     * @throws IOException including "stopped after N redirects", timeouts and an
     *     {@link HttpProtocolException} for a {@code Location} that cannot be followed (R16)
     * @throws InterruptedException if the calling thread is interrupted while waiting
     * @throws IllegalArgumentException if the request URI's user info cannot be sent as basic auth (a {@code :} in
     *     the user name or a control character, R17)
     * @throws IllegalStateException if the client's {@link RoundTripper} returned null instead of a response (R15)
     * @throws NullPointerException if request or parent is null
     */
    public HttpResponse send(HttpRequest request, Context parent) throws IOException, InterruptedException {
        Objects.requireNonNull(request, "request");
        if (parent == null) {
            NullPointerException refusal = new NullPointerException("parent");
            request.body().closeUnsent(refusal); // refused before anything of it happened (E92)
            throw refusal;
        }
        // As Go's Client: a context of the send's own only for the overall timeout, ended by the final body's EOF or
        // close (E44); without a timeout the hops run under the caller's, so nothing is registered with it.
        CancellableContext timed = timeout == null ? null : Context.withTimeout(parent, timeout);
        Context ctx = timed == null ? parent : timed;
        // The request's own timeout bounds the whole send, its redirects included (E46), as its context's deadline
        // does: each hop after the first is sent with what is left of it, not with all of it again.
        Duration own = request.timeout().orElse(null);
        long ownDeadline = own == null ? Deadlines.NONE : Deadlines.after(own);
        boolean handedOver = false;
        try {
            HttpRequest current = request;
            List<HttpRequest> via = new ArrayList<>();
            for (int redirects = 0; ; redirects++) {
                HttpRequest hop;
                try {
                    hop = onTheWire(current);
                } catch (Throwable e) {
                    // Refused before the transport saw it (user info that cannot be sent, R17; the jar failing, also with
                    // a checked exception it lets out undeclared, E118): a single-use body's stream, the caller's and open
                    // already, is closed as the transport closes it for its own refusals (E92). A no-op after the first
                    // hop: that hop took the stream.
                    current.body().closeUnsent(e);
                    throw e;
                }
                if (redirects > 0 && own != null) {
                    long left = ownDeadline - System.nanoTime();
                    if (left <= 0) {
                        throw ownTimeout(own, current, null);
                    }
                    hop = hop.toBuilder().timeout(Duration.ofNanos(left)).build();
                }
                HttpResponse resp;
                try {
                    resp = transport.roundTrip(hop, ctx);
                } catch (HttpTimeoutException e) {
                    if (ctx.err() instanceof io.gochan.DeadlineExceededException && !(parent.err() instanceof io.gochan.DeadlineExceededException)) {
                        throw new HttpTimeoutException(HttpTimeoutException.Kind.REQUEST,
                                "request timed out after " + timeout + " (client timeout)", e);
                    }
                    if (redirects > 0 && own != null && e.kind() == HttpTimeoutException.Kind.REQUEST
                            && System.nanoTime() - ownDeadline >= 0) {
                        throw ownTimeout(own, current, e); // said with the timeout the caller set, not what was left of it
                    }
                    throw e;
                }
                if (resp == null) {
                    // A broken RoundTripper (R15), said as Go's Client says it, not as a NullPointerException from
                    // inside the redirect logic that names neither the round tripper nor the request.
                    throw new IllegalStateException("the RoundTripper " + transport.getClass().getName()
                            + " returned no response (null) and no exception for " + hop);
                }
                HttpRequest next;
                try {
                    // Whatever fails from here on (the jar, a Location that cannot be followed, the limit,
                    // the check) fails the send with this response drained and closed as a followed redirect
                    // is, so its connection can be reused (cancelling the send's context would abort it).
                    storeCookies(current, resp);
                    next = redirectFor(current, resp);
                    if (next != null && jar != null) {
                        next = withoutCookiesSetBy(next, resp); // R44
                    }
                    if (next != null) {
                        if (redirects + 1 > maxRedirects) {
                            throw new IOException("stopped after " + maxRedirects + " redirects (last: " + RedactedUri.shortened(current.uri()) + ")");
                        }
                        via.add(current);
                        if (checkRedirect != null && !checkRedirect.follow(next, List.copyOf(via))) {
                            next = null;
                        }
                    }
                } catch (Throwable e) {
                    discardAfter(resp, e);
                    throw e;
                }
                if (next == null) {
                    handedOver = true;
                    // After a redirect the last hop ran under what was left of the request's own timeout, which the
                    // transport names when it passes in the body: the body names the caller's instead (E46).
                    Duration ownNamed = redirects > 0 ? own : null;
                    return timed == null && ownNamed == null ? resp
                            : withContextEndedAtBodyEnd(resp, timed, parent, timeout, ownNamed, ownDeadline);
                }
                discard(resp);
                current = next;
            }
        } finally {
            if (!handedOver && timed != null) {
                timed.cancel();
            }
        }
    }

    /** The request's own timeout passed while its redirects were followed (E46). */
    private static HttpTimeoutException ownTimeout(Duration own, HttpRequest hop, HttpTimeoutException cause) {
        return new HttpTimeoutException(HttpTimeoutException.Kind.REQUEST, "request timed out after " + own
                + " (its timeout, redirects included) while following a redirect to " + RedactedUri.shortened(hop.uri()), cause);
    }

    /** {@code req} as this hop sends it: credentials from its URI's user info (R17), then the jar's cookies (R12). */
    private HttpRequest onTheWire(HttpRequest req) {
        return withJarCookies(withUserInfoAuthorization(req));
    }

    /**
     * {@code req} with {@code Authorization: Basic} made of its URI's user info, percent-decoded, unless
     * it has an {@code Authorization} field already (Go's {@code Client.send}). The request the redirect
     * logic keeps is the one without it: a relative redirect keeps the user info and so the credentials,
     * a redirect to another authority has neither (R17).
     */
    static HttpRequest withUserInfoAuthorization(HttpRequest req) {
        String info = req.uri().getRawUserInfo();
        if (info == null || req.headers().contains("Authorization")) {
            return req;
        }
        // The bytes each %XX names, as Go's url.User (R76); the checks of basicAuth (R14: no ':' in the user, no
        // control character) run on them one character per byte, and the field is made of the bytes themselves.
        String user = new String(UserInfo.user(info), java.nio.charset.StandardCharsets.ISO_8859_1);
        String password = new String(UserInfo.password(info), java.nio.charset.StandardCharsets.ISO_8859_1);
        try {
            return req.toBuilder().basicAuth(user, password).setHeader("Authorization", UserInfo.basic(info)).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the user info of " + req.method() + " " + req.uri().getScheme() + "://"
                    + UriHost.host(req.uri()) + " cannot be sent as basic auth: " + e.getMessage(), e);
        }
    }

    /**
     * {@code req} with the jar's cookies for its URI added to its {@code Cookie} field; the request the
     * redirect logic keeps is the one without them, so jar cookies never follow a redirect by copying.
     */
    private HttpRequest withJarCookies(HttpRequest req) {
        if (jar == null) {
            return req;
        }
        List<Cookie> cookies = jar.cookies(req.uri());
        if (cookies == null) {
            cookies = List.of(); // as Go's nil slice: no cookies, not a NullPointerException naming nothing (E147)
        } else if (cookies.stream().anyMatch(java.util.Objects::isNull)) { // not contains(null): List.of refuses it
            // Go's AddCookie panics on a nil cookie; said here naming the jar and the request, not as a bare
            // NullPointerException from inside the Cookie field's making (E147).
            throw new IllegalStateException("the CookieJar " + jar.getClass().getName() + " returned a null cookie among "
                    + cookies.size() + " for " + RedactedUri.shortened(req.uri()));
        }
        if (!cookies.isEmpty() && transport instanceof Transport t) { // no head to measure without cookies
            cookies = fitting(req, cookies, t.maxRequestHeaderBytes());
        }
        if (cookies.isEmpty()) {
            return req;
        }
        return req.toBuilder().setHeader("Cookie", cookieHeader(callersCookies(req), cookies)).build();
    }

    /**
     * Every {@code Cookie} field of the caller's, in order, joined with {@code "; "} into the one field RFC 6265
     * (section 5.4) sends, blank ones left out; {@code ""} for none. The jar's cookies go after it (R12, R91): the
     * field replaces all of them, and reading only the first lost the others (a second {@code header("Cookie", ...)},
     * a wrapper's field beside the application's), but only when the jar had a cookie for the URI.
     */
    static String callersCookies(HttpRequest req) {
        StringBuilder sb = new StringBuilder();
        for (String v : req.headers().all("Cookie")) {
            if (!v.isBlank()) {
                if (!sb.isEmpty()) {
                    sb.append("; ");
                }
                sb.append(v);
            }
        }
        return sb.toString();
    }

    /**
     * The first of {@code cookies}, in the jar's order, that {@code req}'s head can carry within {@code limit}
     * bytes (R58): whatever the jar holds (a custom jar, or a {@code maxRequestHeaderBytes} smaller than
     * {@link MemoryCookieJar}'s bound), its cookies do not make the transport refuse the request. Counted as the head
     * is forwarded to an HTTP proxy, the larger of the two forms of the caller's part of it: with the
     * {@code scheme://authority} a plain http request through such a proxy adds, and the caller's own
     * {@code Proxy-Authorization}, which R92 writes there (elsewhere on a {@code CONNECT} only); the head sent direct,
     * through a tunnel or SOCKS5 is never larger. Not the {@code Proxy-Authorization} such a proxy's user info adds
     * (the proxy is chosen by the transport, and asking the proxy function here would call it twice per hop), so long
     * proxy credentials can still make the transport refuse it (R56). A head the caller made too large is left for
     * the transport to refuse.
     */
    static List<Cookie> fitting(HttpRequest req, List<Cookie> cookies, int limit) {
        String existing = callersCookies(req);
        boolean hasField = !existing.isEmpty();
        long head = io.gochan.http.internal.codec.RequestWriter.headSize(req, true, null)
                + (hasField ? "Cookie: \r\n".length() + existing.length() // the caller's fields, merged into one (R91)
                        : "Cookie: \r\n".length() - 2); // without a field of its own, the first cookie opens one
        for (String v : req.headers().all("Cookie")) {
            head -= "Cookie: \r\n".length() + v.length(); // each field of the caller's, as headSize counted it, is replaced
        }
        for (int i = 0; i < cookies.size(); i++) {
            Cookie c = cookies.get(i);
            head += fieldChars(c.name(), c.value());
            if (head > limit) {
                return cookies.subList(0, i);
            }
        }
        return cookies;
    }

    /**
     * The {@code Cookie} field that carries {@code cookies} after the caller's own {@code existing} field
     * (null or blank for none), each as {@code name=value}, separated by {@code "; "} (Go's {@code AddCookie}).
     * A value with a space or comma goes in double quotes, as Go's {@code sanitizeCookieValue} sends it
     * (R36): bare, a server that splits the field at commas (RFC 2109's separator) reads {@code a=x, b=y}
     * as two cookies, so a value the server set becomes a cookie it never set.
     */
    static String cookieHeader(String existing, List<Cookie> cookies) {
        StringBuilder sb = new StringBuilder();
        if (existing != null && !existing.isBlank()) {
            sb.append(existing);
        }
        for (Cookie c : cookies) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            String v = c.value();
            sb.append(c.name()).append('=').append(quoted(v) ? "\"" + v + "\"" : v);
        }
        return sb.toString();
    }

    /** Whether {@link #cookieHeader} sends {@code value} in double quotes: it has a space or a comma (R36). */
    static boolean quoted(String value) {
        return value.indexOf(' ') >= 0 || value.indexOf(',') >= 0;
    }

    /**
     * What one cookie adds to a {@code Cookie} field as {@link #cookieHeader} writes it: {@code "; "}, the name,
     * {@code =} and the value, quoted if {@link #quoted} (the jar's bound R57 and the head's room R58 count alike).
     */
    static int fieldChars(String name, String value) {
        return 2 + name.length() + 1 + value.length() + (quoted(value) ? 2 : 0);
    }

    /**
     * {@code next} without the cookies of the caller's own {@code Cookie} field whose names {@code redirect}
     * sets (R44), as Go's client does with a jar ({@code makeHeadersCopier}, issue 17494): the jar now holds the
     * server's new value and sends it, so the caller's old one must not go beside it ({@code s=old; s=new}, and
     * a server reads the first). The caller's other cookies stay, in their order; a field left empty is removed.
     */
    static HttpRequest withoutCookiesSetBy(HttpRequest next, HttpResponse redirect) {
        List<String> fields = next.headers().all("Cookie");
        if (fields.isEmpty()) {
            return next;
        }
        Set<String> names = new java.util.HashSet<>();
        for (String field : redirect.headers().all("Set-Cookie")) {
            Cookie.parse(field).ifPresent(c -> names.add(c.name()));
        }
        if (names.isEmpty()) {
            return next;
        }
        List<String> kept = new ArrayList<>();
        boolean changed = false;
        for (String field : fields) {
            for (String pair : field.split(";")) {
                String p = pair.strip();
                if (p.isEmpty()) {
                    continue;
                }
                int eq = p.indexOf('=');
                if (names.contains((eq < 0 ? p : p.substring(0, eq)).strip())) {
                    changed = true;
                } else {
                    kept.add(p);
                }
            }
        }
        if (!changed) {
            return next;
        }
        HttpRequest.Builder b = next.toBuilder().removeHeader("Cookie");
        if (!kept.isEmpty()) {
            b.setHeader("Cookie", String.join("; ", kept));
        }
        return b.build();
    }

    private void storeCookies(HttpRequest req, HttpResponse resp) {
        if (jar == null) {
            return;
        }
        List<Cookie> cookies = new ArrayList<>();
        for (String field : resp.headers().all("Set-Cookie")) {
            Cookie.parse(field).ifPresent(cookies::add);
        }
        if (!cookies.isEmpty()) {
            jar.setCookies(req.uri(), cookies);
        }
    }

    /**
     * The request to send next, or null if {@code resp} is final: not a redirect, a redirect without
     * {@code Location} (Go returns it as is), or a 307/308 whose body cannot be sent again.
     *
     * @throws IOException if {@code resp} is a redirect whose {@code Location} cannot be followed: not a
     *     URI reference, no host, or a scheme other than http and https (R16)
     */
    static HttpRequest redirectFor(HttpRequest req, HttpResponse resp) throws IOException {
        int s = resp.status();
        if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
            return null;
        }
        boolean keepMethod = s == 307 || s == 308;
        RequestBody again = req.body();
        if (keepMethod && !again.isEmpty() && !again.replayable()) {
            if (again.length() != 0) {
                return null; // cannot send the body again: the caller gets the redirect response
            }
            // Declared empty: there is nothing to send again, so it is followed with an empty body without opening the
            // one-shot stream a second time (Go follows whenever outgoingLength() is 0, R48).
            again = RequestBody.of(new byte[0], again.contentType());
        }
        String location = resp.headers().get("Location");
        if (location == null || location.isBlank()) {
            return null;
        }
        URI target;
        try {
            target = RedirectLocation.resolve(req.uri(), location.strip());
        } catch (URISyntaxException e) {
            // Named by its text with the password hidden (R61, R81), and without the JDK's exception, neither as the
            // cause nor quoted: its message repeats the Location whole. Its reason and index are all it adds.
            throw new HttpProtocolException(HttpProtocolException.Reason.BAD_LOCATION, "failed to parse Location \""
                    + printable(RedactedUri.ofText(location)) + "\" of a " + s + " redirect from " + RedactedUri.shortened(req.uri())
                    + " (" + e.getReason() + " at index " + e.getIndex() + ")");
        }
        HttpRequest.Builder b;
        try {
            b = req.toBuilder().uri(target);
            if (again != req.body()) {
                b.method(req.method(), again);
            }
            if (!isPathReference(location.strip())) {
                // A Host override names the server the request went to; a Location with a scheme or an authority names
                // its own (R120). Go keeps it for any Location without a scheme (issue 22233), "//other/" included.
                b.host(null);
            }
        } catch (IllegalArgumentException e) {
            throw new HttpProtocolException(HttpProtocolException.Reason.BAD_LOCATION, "cannot follow the " + s + " redirect from " + RedactedUri.shortened(req.uri()) + " to "
                    + printable(redacted(location)) + ": " + e.getMessage(), e);
        }
        if (target.getRawUserInfo() != null) {
            try {
                // The Location's user info becomes the next hop's credentials (R17): one that cannot be sent as basic
                // auth is the server's fault, a Location that cannot be followed, not the caller's bad argument (R61).
                withUserInfoAuthorization(HttpRequest.newBuilder(target).build());
            } catch (IllegalArgumentException e) {
                throw new HttpProtocolException(HttpProtocolException.Reason.BAD_LOCATION, "cannot follow the " + s + " redirect from "
                        + RedactedUri.shortened(req.uri()) + " to " + printable(RedactedUri.shortened(target))
                        + ": its user info cannot be sent as basic auth", e);
            }
        }
        if (!keepMethod) {
            if (!req.method().equals("HEAD")) {
                b.method("GET", RequestBody.none());
            } else {
                b.method("HEAD", RequestBody.none());
            }
            // The body is dropped, and with it every field that describes it (R108): the Fetch standard's request-body
            // headers, which browsers drop here, and the 100-continue expectation RFC 9110 (10.1.1) forbids on a request
            // without content. Kept, the GET announced a gzip or JSON body it did not have. (Go copies them all.)
            for (String name : BODY_FIELDS) {
                b.removeHeader(name);
            }
            if (req.headers().hasToken("Expect", "100-continue")) {
                b.removeHeader("Expect");
            }
        }
        if (isDowngrade(req.uri(), target)) {
            b.removeHeader("Referer"); // RFC 9110 10.1.3: no Referer from a secure page on an insecure request (R19)
        }
        // The next hop's URI as the builder made it (an internationalized or escaped host in its IDNA ASCII form, R18,
        // R112), compared as the request's was made (R113): the Location's own text has no host to URI when it spells
        // the name in Unicode, and a redirect to the very host the request went to dropped the credentials. Read from
        // the builder, so that the next request is built once, with what it keeps.
        if (!sameOrigin(req.uri(), b.normalisedUri())) {
            for (String name : req.headers().names()) {
                if (SENSITIVE.contains(name.toLowerCase(Locale.ROOT))) {
                    b.removeHeader(name);
                }
            }
        } else if (!req.uri().getScheme().equalsIgnoreCase(target.getScheme())) {
            // A proxy credential belongs to the route, and http and https take separate ones (HTTP_PROXY and
            // HTTPS_PROXY; forwarded, or tunnelled to the origin): kept across http -> https on one host and port, it
            // reached the origin that asked for the upgrade (R92). Go's client keeps it (golang/go#79792).
            b.removeHeader("Proxy-Authorization");
        }
        return b.build();
    }

    /**
     * Whether a {@code Location} is a path reference: no scheme (RFC 3986's {@code ALPHA *( ALPHA / DIGIT / "+" / "-" /
     * "." ) ":"} before any {@code /}, {@code ?} or {@code #}) and no authority ({@code //host}; an empty one,
     * {@code ///y} or {@code //}, names no server, R135), so that it stays on the server the request went to (R120).
     */
    private static boolean isPathReference(String location) {
        if (location.startsWith("//")) {
            return RedirectLocation.emptyAuthority(location); // "///y", "//": the request's server (R135)
        }
        for (int i = 0; i < location.length(); i++) {
            char c = location.charAt(i);
            if (c == ':') {
                return i == 0; // a scheme needs a letter first; ":x" is a path
            }
            boolean schemeChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
            if (!schemeChar) {
                return true;
            }
        }
        return true;
    }

    /**
     * A {@code Location} for a message: its password hidden (R17, R61), by the text, not by {@code target}'s user
     * info, which {@link URI} does not see in {@code http://u:pw@@host} or {@code http:u:pw@host} (R81, R93).
     */
    private static String redacted(String location) {
        return RedactedUri.ofText(location);
    }

    /** {@code s} with control characters escaped, for an error message. */
    private static String printable(String s) {
        // The transport's one escaping (C1 too, R133), cut at 200 characters as a Location is quoted.
        return s.length() > 200 ? ResponseHeadReader.escapeControls(s.substring(0, 200), false) + "..."
                : ResponseHeadReader.escapeControls(s, false);
    }

    private static boolean isDowngrade(URI from, URI to) {
        return from.getScheme().equalsIgnoreCase("https") && to.getScheme().equalsIgnoreCase("http");
    }

    /**
     * Whether a redirect from {@code a} to {@code b} stays with the origin its credentials belong to (R14): no downgrade,
     * the same port, and the same host as the pool tells hosts apart (R90): a name or an address in any case, but an
     * IPv6 zone exactly as written, since {@code %eth0} and {@code %ETH0} may be two interfaces, dialled as two hosts.
     * Before, the zone was compared ignoring case, and a redirect to the other interface's peer kept
     * {@code Authorization} and {@code Cookie}. (Go compares the two hosts exactly, and drops them here too.)
     */
    private static boolean sameOrigin(URI a, URI b) {
        String hostA = UriHost.host(a);
        String hostB = UriHost.host(b);
        return !isDowngrade(a, b) && hostA != null && hostB != null
                && ConnectKey.lowerCaseButZone(hostA).equals(ConnectKey.lowerCaseButZone(hostB)) && port(a) == port(b);
    }

    private static int port(URI u) {
        return UriHost.portOrDefault(u);
    }

    /** Go's {@code maxBodySlurpSize}: how much of a redirect's body is read to keep its connection. */
    private static final int MAX_BODY_SLURP = 2 * 1024;

    /**
     * Closes a response that is not handed to the caller (a followed redirect), reading its body first only
     * if it is short, so its connection can be reused: as Go, a body that declares more than 2 KiB is
     * closed unread (its connection closed), and one of unknown length is read for at most 2 KiB, to its end if
     * it ends there (P31), a gzip body the transport decodes by the length declared for its gzip data (E45). Reading a
     * declared-large body (up to 64 KiB, before) let a redirect that declared a large body and then stalled hold
     * the send until its deadline, or forever without one. A failed read only means
     * the connection is not reused; an interrupt stays set (the transport keeps it, and a
     * {@link RoundTripper}'s body that cleared it has it set again, R109), so the next hop's round trip ends the send
     * with {@link InterruptedException}.
     */
    private static void discard(HttpResponse resp) {
        try (resp) {
            InputStream in = resp.body().stream();
            // A body the transport un-gzips has lost its Content-Length from the headers (P25), not its declaration (E45).
            long declared = in instanceof DecodedBody d ? d.declaredEncodedLength() : declaredLength(resp.headers());
            if (declared > MAX_BODY_SLURP) {
                return;
            }
            // At most MAX_BODY_SLURP bytes, as Go's io.CopyN, never a read past them (P31): reading on while the total
            // was no more than the budget waited, on a body that stalled once it had sent its 2 KiB, for bytes Go never
            // asks for. Its EOF, if it comes within them, returns the connection to the pool (T5).
            byte[] buf = new byte[MAX_BODY_SLURP];
            for (int total = 0, n; total < MAX_BODY_SLURP && (n = in.read(buf, 0, MAX_BODY_SLURP - total)) >= 0; ) {
                total += n;
            }
        } catch (IOException | UncheckedIOException e) {
            // The redirect's body does not matter; its connection is closed by the failed read. (A body's close
            // that fails with an IOException is thrown as an UncheckedIOException by HttpResponse.close.) An interrupt
            // does (R109): it must end the send at the next hop, as the transport's bodies, which leave the flag set,
            // make it do. A RoundTripper's body may clear it (a PipedInputStream's InterruptedIOException does), and
            // dropped with its exception the interrupt was lost: the next hop was sent, the send succeeded.
            if (endedByInterrupt(e instanceof UncheckedIOException u ? u.getCause() : e)) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether {@code e} says its read was ended by an interrupt of the reading thread (R109): an
     * {@link InterruptedIOException} of exactly that class (its subclasses say other things: a timeout, a
     * cancellation of a context or a transport), a {@link RequestCancelledException} of reason {@code INTERRUPT}, or a
     * {@link java.nio.channels.ClosedByInterruptException}.
     */
    private static boolean endedByInterrupt(Throwable e) {
        return e != null && (e.getClass() == InterruptedIOException.class
                || e instanceof RequestCancelledException rc && rc.reason() == RequestCancelledException.Reason.INTERRUPT
                || e instanceof java.nio.channels.ClosedByInterruptException);
    }

    /**
     * {@link #discard} for a send that is failing with {@code failure}: whatever the body throws (a
     * {@link RoundTripper}'s body may throw any unchecked exception from its read or close) never replaces that
     * failure, and is not lost either: it is added to it as suppressed (E52).
     */
    private static void discardAfter(HttpResponse resp, Throwable failure) {
        try {
            discard(resp);
        } catch (Throwable t) {
            if (t != failure) {
                failure.addSuppressed(t);
            }
        }
    }

    /** The response's Content-Length (the framing has checked it: one value, maybe listed), or -1 if none. */
    private static long declaredLength(Headers headers) {
        String v = headers.get("Content-Length");
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.split(",", 2)[0].trim());
        } catch (NumberFormatException e) {
            return -1; // on a response without a body (HEAD, 304) it is not checked; nothing to read there
        }
    }

    /**
     * The overall timeout also covers the body: the context lives until the body's EOF is read or the body is
     * closed, whichever comes first, as Go's {@code cancelTimerBody} (E44). Ended only by the close, a body read to
     * its end and left open kept the timer until the timeout. The EOF is also the read that returned the body's last
     * bytes when the transport's body says that read was its end (E49: a {@code Content-Length} body read to exactly
     * its length, by {@code readNBytes(n)} or {@code readFully}, sees no -1): before, that read ended the exchange but
     * not the context, which lived on until the close or the whole timeout. With {@code ownNamed}, the request's own
     * timeout that redirects shortened for the last hop, a body read that it ends names it (E46).
     *
     * @param ctx the send's context of the overall timeout, or null if the client has none
     * @param ownNamed the request's own timeout if the send followed a redirect, else null
     * @param ownDeadline the deadline of {@code ownNamed} ({@link System#nanoTime()})
     */
    private static HttpResponse withContextEndedAtBodyEnd(HttpResponse r, CancellableContext ctx, Context parent,
            Duration timeout, Duration ownNamed, long ownDeadline) {
        // A tunnel's body ending is the peer's end of stream, not the tunnel's (E74): its context lives on until the
        // output is closed too (or the body is). Each half counts down once.
        OutputStream tunnel = r.tunnelOutput().orElse(null);
        java.util.concurrent.atomic.AtomicInteger halvesOpen = new java.util.concurrent.atomic.AtomicInteger(tunnel != null ? 2 : 1);
        java.util.concurrent.atomic.AtomicBoolean eofSeen = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable atEof = () -> {
            if (ctx != null && eofSeen.compareAndSet(false, true) && halvesOpen.decrementAndGet() == 0) {
                ctx.cancel();
            }
        };
        OutputStream output = tunnel == null || ctx == null ? tunnel : new OutputStream() {
            private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

            @Override
            public void write(int b) throws IOException {
                try {
                    tunnel.write(b);
                } catch (HttpConnectionException e) {
                    throw clientTimeout(e);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    tunnel.write(b, off, len);
                } catch (HttpConnectionException e) {
                    throw clientTimeout(e);
                }
            }

            /**
             * A write refused because the client's overall timeout closed the tunnel names that timeout (E76), as the
             * body's read does (R45): the transport names only "its context's deadline", which the caller never set.
             */
            private HttpConnectionException clientTimeout(HttpConnectionException e) {
                if (ctx.err() instanceof io.gochan.DeadlineExceededException
                        && !(parent.err() instanceof io.gochan.DeadlineExceededException)) {
                    return new HttpConnectionException("the tunnel's connection is closed: request timed out after "
                            + timeout + " (client timeout) while using the tunnel", e);
                }
                return e;
            }

            @Override
            public void flush() throws IOException {
                tunnel.flush();
            }

            @Override
            public void close() throws IOException {
                boolean ended = true;
                try {
                    tunnel.close();
                } catch (InterruptedIOException e) {
                    // Exactly the transport's interrupted wait (not a timeout, whose types extend it): that close
                    // ended nothing, the output is still open and a later close ends it (E93), so the half is not
                    // counted. Counted, a close that did nothing could cancel the send's context, and the tunnel with it.
                    ended = e.getClass() != InterruptedIOException.class;
                    throw e;
                } finally {
                    if (ended && closed.compareAndSet(false, true) && halvesOpen.decrementAndGet() == 0) {
                        ctx.cancel();
                    }
                }
            }
        };
        InputStream body = r.body().stream();
        InputStream wrapped = new FilterInputStream(body) {
            @Override
            public int read() throws IOException {
                int c;
                try {
                    c = super.read();
                } catch (HttpTimeoutException e) {
                    throw clientTimeout(e);
                }
                if (c < 0 || endedAt(body)) {
                    atEof.run(); // the EOF read returns once the connection is back in the pool or closed (E38)
                }
                return c;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n;
                try {
                    n = super.read(b, off, len);
                } catch (HttpTimeoutException e) {
                    throw clientTimeout(e);
                }
                if (n < 0 || n > 0 && endedAt(body)) {
                    atEof.run();
                }
                return n;
            }

            /**
             * Through this stream's own read, not the body's skip ({@code FilterInputStream} would pass it on): a skip
             * that reaches the end ends the context as a read of the EOF does (E44), and the client timeout ending it
             * is named (R45).
             */
            @Override
            public long skip(long n) throws IOException {
                if (n <= 0) {
                    return 0;
                }
                byte[] scratch = new byte[(int) Math.min(8192, n)];
                long left = n;
                while (left > 0) {
                    int r = read(scratch, 0, (int) Math.min(scratch.length, left));
                    if (r < 0) {
                        break;
                    }
                    left -= r;
                }
                return n - left;
            }

            /**
             * The body's read failed because the client's overall timeout passed (not the caller's own deadline):
             * said so, as the send says it for a hop and as Go's "(Client.Timeout or context cancellation while
             * reading body)" (R45); the transport names only "its context's deadline", which the caller never set.
             * Likewise the request's own timeout after a redirect (E46), which the transport names by what was left.
             */
            private HttpTimeoutException clientTimeout(HttpTimeoutException e) {
                HttpTimeoutException[] last = renaming;
                if (last != null && last[0] == e) {
                    return last[1]; // the body throws its failure again at each read (P61): so does this stream
                }
                HttpTimeoutException named = null;
                if (e.kind() == HttpTimeoutException.Kind.REQUEST && ctx != null && ctx.err() instanceof io.gochan.DeadlineExceededException
                        && !(parent.err() instanceof io.gochan.DeadlineExceededException)) {
                    named = new HttpTimeoutException(HttpTimeoutException.Kind.REQUEST,
                            "request timed out after " + timeout + " (client timeout) while reading the response body", e);
                } else if (e.kind() == HttpTimeoutException.Kind.REQUEST && ownNamed != null
                        && System.nanoTime() - ownDeadline >= 0) {
                    // The transport named what was left of it for the last hop, a duration the caller never set (E46).
                    named = new HttpTimeoutException(HttpTimeoutException.Kind.REQUEST, "request timed out after "
                            + ownNamed + " (its timeout, redirects included) while reading the response body", e);
                }
                if (named == null) {
                    return e;
                }
                renaming = new HttpTimeoutException[] {e, named};
                return named;
            }

            /** The body's failure last named a client timeout, and that name, as one pair (P61: one failure, one exception). */
            private volatile HttpTimeoutException[] renaming;

            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    if (ctx != null) {
                        ctx.cancel();
                    }
                }
            }
        };
        return new HttpResponse(r.request(), r.version(), r.status(), r.reason(), r.headers(),
                r.body().wrapping(wrapped, r.request().uri()), r::trailers, output);
    }

    /**
     * Whether the read of {@code body} that just returned bytes was its end (E49): the transport's bodies say so
     * ({@link BodyEnd}); a body of another round tripper's is ended by its -1 alone. A gzip body the transport decodes
     * ends at its decoded -1 (E50), so it says nothing here.
     */
    private static boolean endedAt(InputStream body) {
        return body instanceof BodyEnd e && e.bodyEnded();
    }

    /** Configures an {@link HttpClient}. */
    public static final class Builder {
        private final RoundTripper transport;
        private int maxRedirects = 10;
        private Duration timeout;
        private CookieJar jar;
        private RedirectCheck checkRedirect;

        private Builder(RoundTripper transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
        }

        /**
         * Keeps cookies in {@code jar}: its cookies for each request's URI are sent, and every
         * response's {@code Set-Cookie} fields (redirects included) are given to it (R12). Default:
         * none, cookies are neither sent nor kept.
         *
         * @param jar the jar, e.g. {@link CookieJar#inMemory()}, or null for none
         * @return this builder
         */
        public Builder cookieJar(CookieJar jar) {
            this.jar = jar;
            return this;
        }

        /**
         * Asks {@code check} before following each redirect (R13), Go's {@code CheckRedirect}; the
         * {@link #maxRedirects(int)} limit is checked first. Default: none (follow up to the limit).
         *
         * @param check the check, or null for none
         * @return this builder
         */
        public Builder checkRedirect(RedirectCheck check) {
            this.checkRedirect = check;
            return this;
        }

        /**
         * Redirects followed at most (default 10): a send makes at most {@code n + 1} requests, and a redirect that
         * answers the last of them fails the send with an {@link IOException} ("stopped after n redirects"), the
         * redirect response drained and closed; so 0 makes every redirect an error (R13). Go's default policy counts
         * requests, not redirects: it stops at the redirect that answers its 10th request, having followed 9. With
         * the default, this client follows one redirect more than a Go client (11 requests; a chain of exactly 10
         * redirects succeeds here and fails in Go); {@code maxRedirects(9)} sends as many requests as Go's default
         * before it stops. To get a redirect response itself instead, use a
         * {@link #checkRedirect(RedirectCheck)} that returns false (Go's {@code ErrUseLastResponse}).
         *
         * @param n the most redirects followed
         * @return this builder
         * @throws IllegalArgumentException if n is negative
         */
        public Builder maxRedirects(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxRedirects must be >= 0");
            }
            this.maxRedirects = n;
            return this;
        }

        /**
         * Bounds each send, redirects and body included, until the final body's end is read or the body is
         * closed (default: none). Zero or negative is none too, as Go's {@code Client.Timeout} (P48).
         *
         * @param timeout the bound, or null, zero or negative for none
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout == null || timeout.isPositive() ? timeout : null;
            return this;
        }

        /** {@return a new client with these settings} */
        public HttpClient build() {
            return new HttpClient(this);
        }
    }
}
