package io.gochan.http;

import io.gochan.http.internal.RedactedUri;
import io.gochan.http.internal.UriHost;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable HTTP request. Build with {@link #newBuilder(URI)} or {@link #newBuilder(String)}; everything is
 * validated when built, so an invalid method, URI or header never reaches the wire.
 *
 * <p>The URI must be absolute {@code http} or {@code https} with a host. A fragment is dropped (it
 * is never sent, as browsers and Go do). A per-request {@link #timeout()} bounds the whole exchange
 * of one {@code roundTrip}, from its call to the end of the response body: waiting for a connection,
 * dialing, writing, awaiting the head and reading the body (E11, P35); sent through {@link HttpClient},
 * the whole send, its redirects included (E46).
 */
public final class HttpRequest {
    private final String method;
    private final URI uri;
    private final String host;
    private final Headers headers;
    private final RequestBody body;
    private final Duration timeout;

    private HttpRequest(Builder b) {
        this.method = b.method;
        this.uri = b.uri;
        this.host = b.host;
        this.headers = b.headers.build();
        this.body = b.body;
        this.timeout = b.timeout;
    }

    /**
     * A builder for a GET of {@code uri}.
     *
     * @param uri the absolute http or https URI
     * @return a new builder for a GET of {@code uri}
     * @throws NullPointerException if uri is null
     */
    public static Builder newBuilder(URI uri) {
        return new Builder(uri);
    }

    /**
     * A builder for a GET of {@code uri}, given as text: {@link #newBuilder(URI)} of it, parsed as {@link #get(String)}
     * parses it (R84), so {@code HttpRequest.newBuilder("http://app.test/login").POST(body).build()} needs no
     * {@code URI.create}, whose exception would quote the text whole, password included.
     *
     * @param uri the absolute http or https URI
     * @return a new builder for a GET of {@code uri}
     * @throws NullPointerException if uri is null
     * @throws IllegalArgumentException if {@code uri} is no URI, or not an absolute http or https one; the message
     *     names the reason and the text with its password written {@code xxxxx} (R81), and carries no cause that
     *     would quote it whole
     */
    public static Builder newBuilder(String uri) {
        return new Builder(parse(uri));
    }

    /**
     * A GET of {@code uri}.
     *
     * @param uri the absolute http or https URI
     * @return the request
     * @throws NullPointerException if uri is null
     * @throws IllegalArgumentException if {@code uri} is no URI, or not an absolute http or https one; the message
     *     names the reason and the text with its password written {@code xxxxx} (R81), and carries no cause that
     *     would quote it whole
     */
    public static HttpRequest get(String uri) {
        return newBuilder(uri).build();
    }

    /** {@code uri} as a {@link URI}, refused as {@link #get(String)} says (R81). */
    private static URI parse(String uri) {
        Objects.requireNonNull(uri, "uri");
        try {
            // User info ends at the authority's last '@', as Go's url.Parse reads it (R111): "http://u:p@ss@host/" is
            // the password "p@ss" at "host", where URI finds no host.
            return new URI(io.gochan.http.internal.UriHost.escapeUserInfoAts(uri));
        } catch (URISyntaxException escaped) {
            try {
                // A blank or another character Go's url.Parse takes and sends escaped ("/a b" as "/a%20b"), which URI
                // refuses: escaped here (R115). Control characters stay, refused below: they could split the head.
                return new URI(RedirectLocation.escapeRequestText(uri));
            } catch (URISyntaxException stillRefused) {
                // refused as the caller's text has it
            }
            URISyntaxException e = escaped;
            try {
                new URI(uri); // the failure as the caller's text has it: its index counts the caller's characters
            } catch (URISyntaxException asWritten) {
                e = asWritten;
            }
            // Not URI.create: its exception's message quotes the whole text, password included (R81). The reason
            // and index are all the JDK's exception says beyond the text, so it is not kept as the cause.
            throw new IllegalArgumentException("not a URI (" + e.getReason() + " at index " + e.getIndex() + "): "
                    + RedactedUri.shortenedText(uri));
        }
    }

    /** {@return the method, e.g. {@code GET}} */
    public String method() {
        return method;
    }

    /** {@return the absolute http or https URI} */
    public URI uri() {
        return uri;
    }

    /**
     * {@return the {@code Host} field this request sends instead of its URI's authority, if one was set} Go's
     * {@code Request.Host}: the value as {@link Builder#host(String)} normalised it (R116).
     */
    public Optional<String> host() {
        return Optional.ofNullable(host);
    }

    /**
     * {@return the header fields set on the request} The transport adds {@code Host} and the framing
     * fields, replacing or dropping the caller's {@code Host}, {@code Content-Length},
     * {@code Transfer-Encoding} and {@code Trailer}; it sends one {@code User-Agent}: the first one set,
     * none if that one is empty, {@code gochan-http/0.1} if none is set.
     */
    public Headers headers() {
        return headers;
    }

    /** {@return the body; {@link RequestBody#none()} if there is none} */
    public RequestBody body() {
        return body;
    }

    /** {@return the per-request timeout, if any} */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /**
     * A builder starting from this request.
     *
     * @return a new builder holding this request
     */
    public Builder toBuilder() {
        Builder b = new Builder(uri);
        b.host = host;
        b.method = method;
        b.headers = headers.toBuilder();
        b.body = body;
        b.timeout = timeout;
        return b;
    }

    /**
     * {@return true if the request may be sent again after a failure that might have reached the
     * server: GET, HEAD, OPTIONS, TRACE, or any method with an {@code Idempotency-Key} header, and
     * a body that can be replayed (Go's rule; PUT is deliberately not included)}
     */
    public boolean isReplayable() {
        boolean idempotent = switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE" -> true;
            default -> headers.contains("Idempotency-Key") || headers.contains("X-Idempotency-Key");
        };
        return idempotent && (body.isEmpty() || body.replayable());
    }

    /**
     * {@return the method and the URI, as messages name the request: the URI's password hidden (R17), and a URI
     * longer than 200 characters cut there, with its length; then {@code (Host: value)} if {@link #host()} is set}
     */
    @Override
    public String toString() {
        return method + " " + io.gochan.http.internal.RedactedUri.shortened(uri) + (host == null ? "" : " (Host: " + host + ")");
    }

    /** Builds an {@link HttpRequest}; not thread-safe. */
    public static final class Builder {
        private String method = "GET";
        private URI uri;
        private String host;
        private Headers.Builder headers = Headers.builder();
        private RequestBody body = RequestBody.none();
        private Duration timeout;

        private Builder(URI uri) {
            uri(uri);
        }

        /**
         * Sets the URI given as text, parsed and refused as {@link HttpRequest#get(String)} parses and refuses it
         * (R84), then taken as {@link #uri(URI)} takes it.
         *
         * @param uri the absolute http or https URI
         * @return this builder
         * @throws NullPointerException if uri is null
         * @throws IllegalArgumentException if {@code uri} is no URI, or {@link #uri(URI)} refuses it; the message
         *     writes its password {@code xxxxx} (R81)
         */
        public Builder uri(String uri) {
            return uri(parse(uri));
        }

        /**
         * Sets the URI (absolute http/https with a host; a fragment is dropped). A host name with
         * non-ASCII characters is replaced by its IDNA ASCII form ({@code xn--} labels), which is what
         * the {@code Host} header, the resolver, the pool and the cookie jar then see, as Go does (R18).
         * A host name with {@code _} ({@code http://my_service:8080/}, a Compose service name), which
         * {@link URI} reads as a registry authority with no host, is accepted as Go accepts it (R40).
         * A port must be from 1 to 65535 (R60).
         *
         * @param uri the absolute http or https URI
         * @return this builder
         * @throws IllegalArgumentException if the scheme is not http or https, the URI has no host, its port is 0
         *     or above 65535, or IDNA refuses its host name
         * @throws NullPointerException if uri is null
         */
        public Builder uri(URI uri) {
            Objects.requireNonNull(uri, "uri");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("unsupported URI scheme (need http or https): " + io.gochan.http.internal.RedactedUri.shortened(uri));
            }
            if (uri.getHost() == null && uri.getRawAuthority() != null) {
                uri = withAsciiHost(uri);
            }
            String host = UriHost.host(uri);
            if (host == null || host.isEmpty()) {
                String why = UriHost.whyNoHost(uri);
                throw new IllegalArgumentException("URI has no host"
                        + (why == null || why.equals("no host") ? "" : " (" + why + ")") + ": " + io.gochan.http.internal.RedactedUri.shortened(uri));
            }
            if (uri.getPort() == 0 || uri.getPort() > 65535) {
                // java.net.URI takes any digits as a port: refused here, naming the URI, as R40 refuses them for a name
                // with '_', not at the dial with a bare "port out of range" (R60).
                throw new IllegalArgumentException("URI's port is not a number from 1 to 65535: "
                        + io.gochan.http.internal.RedactedUri.shortened(uri));
            }
            if (uri.getRawFragment() != null) {
                String s = uri.toString();
                uri = URI.create(s.substring(0, s.indexOf('#')));
            }
            this.uri = uri;
            return this;
        }

        /**
         * {@code uri} with an internationalized host name in its IDNA ASCII form; {@code uri} itself if its
         * authority holds no such name ({@link URI} reads a non-ASCII host as a registry authority, with
         * no host). A name written as percent-escaped UTF-8 is that name (R112).
         */
        static URI withAsciiHost(URI uri) {
            String authority = uri.getRawAuthority();
            int at = authority.lastIndexOf('@');
            String userInfo = at < 0 ? null : authority.substring(0, at);
            String hostPort = authority.substring(at + 1);
            String host = hostPort;
            String port = "";
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0 && hostPort.indexOf(']') < 0) {
                host = hostPort.substring(0, colon);
                port = hostPort.substring(colon);
            }
            if (host.indexOf('%') >= 0 && !host.startsWith("[")) {
                // Percent-escaped UTF-8 of a name (b%C3%BCcher.example): its bytes, as Go's url.Parse and the WHATWG
                // parser decode a host, then IDNA below (R112). An escape of an ASCII byte (%65) Go refuses: left as
                // it is, a host URI does not read, refused for no host as before.
                String decoded = io.gochan.http.internal.UriHost.decodedHostEscapes(host);
                if (decoded == null) {
                    return uri;
                }
                if (decoded.isEmpty()) {
                    throw new IllegalArgumentException("URI host is not a valid internationalized name (its escapes are no UTF-8): "
                            + io.gochan.http.internal.RedactedUri.shortened(uri));
                }
                host = decoded;
            }
            if (host.chars().allMatch(c -> c < 0x80)) {
                return uri;
            }
            String ascii;
            try {
                ascii = java.net.IDN.toASCII(host, java.net.IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("URI host is not a valid internationalized name: " + io.gochan.http.internal.RedactedUri.shortened(uri), e);
            }
            StringBuilder sb = new StringBuilder(uri.getScheme()).append("://");
            if (userInfo != null) {
                sb.append(userInfo).append('@');
            }
            sb.append(ascii).append(port).append(uri.getRawPath() == null ? "" : uri.getRawPath());
            if (uri.getRawQuery() != null) {
                sb.append('?').append(uri.getRawQuery());
            }
            if (uri.getRawFragment() != null) {
                sb.append('#').append(uri.getRawFragment());
            }
            try {
                return new URI(sb.toString());
            } catch (java.net.URISyntaxException e) {
                // Not kept as the cause: its message quotes the rebuilt text whole, user info and password included (R81).
                throw new IllegalArgumentException("URI host is not a valid internationalized name (" + e.getReason() + " at index "
                        + e.getIndex() + "): " + io.gochan.http.internal.RedactedUri.shortened(uri));
            }
        }

        /**
         * Sets the {@code Host} field to send instead of the URI's authority, or, with null, goes back to the URI's (Go's
         * {@code Request.Host}, R116). The connection still goes where the URI says: its host is dialled, resolved,
         * pooled, chosen a proxy for and, over TLS, named in SNI and checked against the certificate; only the field
         * (and, through an HTTP proxy that the request is forwarded to, the request target's authority, R121) carries
         * this value. {@code host[:port]}: a name of letters, digits, {@code -} and {@code _} between dots, an IPv4
         * address, or an IPv6 literal in brackets (its zone left out, R20); a name with non-ASCII characters is sent in
         * its IDNA ASCII form (as Go's {@code cleanHost}), a port of 1 to 65535 as written, an empty port dropped.
         * {@link HttpClient} keeps it on a redirect whose {@code Location} is a path (no scheme, no authority) and drops
         * it on any other (R120).
         *
         * @param host the {@code host[:port]} to send, or null for the URI's
         * @return this builder
         * @throws IllegalArgumentException if {@code host} is empty, holds a control character (CR, LF, NUL included),
         *     a blank, {@code /}, {@code @}, {@code ?} or {@code #}, or is no {@code host[:port]} as above; the message
         *     names the value, its control characters written {@code \xN}
         */
        public Builder host(String host) {
            this.host = host == null ? null : HostOverride.checked(host);
            return this;
        }

        /**
         * Sets the method (an RFC 9110 token such as GET, POST; case-sensitive).
         *
         * @param method the method token, e.g. GET or POST
         * @param body the body
         * @return this builder
         * @throws IllegalArgumentException if method is empty or no token
         * @throws NullPointerException if method or body is null
         */
        public Builder method(String method, RequestBody body) {
            Objects.requireNonNull(method, "method");
            if (method.isEmpty() || !method.chars().allMatch(Headers::isTokenChar)) {
                throw new IllegalArgumentException("invalid HTTP method '" + Headers.printable(method) + "'"); // R129
            }
            Objects.requireNonNull(body, "body"); // before the method is set: a refused call changes nothing (R72)
            this.method = method;
            this.body = body;
            return this;
        }

        /**
         * Sets the method to GET, with no body.
         *
         * @return this builder
         */
        public Builder GET() {
            return method("GET", RequestBody.none());
        }

        /**
         * Sets the method to HEAD, with no body.
         *
         * @return this builder
         */
        public Builder HEAD() {
            return method("HEAD", RequestBody.none());
        }

        /**
         * Sets the method to POST with {@code body}.
         *
         * @param body the body to send
         * @return this builder
         * @throws NullPointerException if body is null
         */
        public Builder POST(RequestBody body) {
            return method("POST", body);
        }

        /**
         * Sets the method to PUT with {@code body}.
         *
         * @param body the body to send
         * @return this builder
         * @throws NullPointerException if body is null
         */
        public Builder PUT(RequestBody body) {
            return method("PUT", body);
        }

        /**
         * Sets the method to DELETE, with no body.
         *
         * @return this builder
         */
        public Builder DELETE() {
            return method("DELETE", RequestBody.none());
        }

        /**
         * Adds a header (validated: see {@link Headers}).
         *
         * @param name the field name (an RFC 9110 token; matched ignoring case)
         * @param value the field value (no CR, LF or NUL)
         * @return this builder
         * @throws NullPointerException if name or value is null
         */
        public Builder header(String name, String value) {
            headers.add(name, value);
            return this;
        }

        /**
         * Replaces a header (validated).
         *
         * @param name the field name (an RFC 9110 token; matched ignoring case)
         * @param value the field value (no CR, LF or NUL)
         * @return this builder
         * @throws NullPointerException if name or value is null
         */
        public Builder setHeader(String name, String value) {
            headers.set(name, value);
            return this;
        }

        /**
         * Sets {@code Authorization: Basic} with {@code user} and {@code password} (RFC 7617: UTF-8,
         * {@code user:password} in base64), replacing any Authorization header. {@link HttpClient} drops
         * it on a redirect to another origin (R14).
         *
         * @param user the user-id; no colon and no control character (CR, LF, NUL included)
         * @param password the password; no control character
         * @return this builder
         * @throws IllegalArgumentException if {@code user} has a colon or either has a control character
         * @throws NullPointerException if user or password is null
         */
        public Builder basicAuth(String user, String password) {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            if (user.indexOf(':') >= 0) {
                throw new IllegalArgumentException("basic auth user-id must not contain ':' (RFC 7617)");
            }
            if (hasControl(user) || hasControl(password)) {
                // RFC 7617 forbids control characters; a CR or LF would also be a header injection attempt.
                throw new IllegalArgumentException("basic auth user-id or password contains a control character");
            }
            String token = java.util.Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return setHeader("Authorization", "Basic " + token);
        }

        private static boolean hasControl(String s) {
            return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
        }

        /**
         * Removes a header.
         *
         * @param name the field name (an RFC 9110 token; matched ignoring case)
         * @return this builder
         * @throws NullPointerException if name is null
         */
        public Builder removeHeader(String name) {
            headers.remove(name);
            return this;
        }

        /**
         * Bounds the whole exchange of one {@code roundTrip}, from its call to the end of the response body, in
         * every phase (E11); through {@link HttpClient}, the whole send, its redirects included (E46); null for
         * none. When it passes the request, or the body's read, fails with {@link HttpTimeoutException} of kind
         * {@code REQUEST}.
         *
         * @param timeout the bound, or null for none
         * @return this builder
         * @throws IllegalArgumentException if timeout is zero or negative
         */
        public Builder timeout(Duration timeout) {
            if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * The URI as {@link #build()} will hold it: normalised when it was set (IDNA host, no fragment), so a caller in
         * this package can judge the next request before building it (HttpClient's redirect step, R113).
         */
        URI normalisedUri() {
            return uri;
        }

        /** {@return the request} */
        public HttpRequest build() {
            return new HttpRequest(this);
        }
    }
}
