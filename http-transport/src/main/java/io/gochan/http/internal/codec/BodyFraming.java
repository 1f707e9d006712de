package io.gochan.http.internal.codec;

import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;

/**
 * How a response body is delimited (RFC 9112 §6.3), decided from the request method, the status and
 * the headers, with the response-smuggling defences: Content-Length together with
 * Transfer-Encoding, differing Content-Length values, a Content-Length that is a list, and any transfer
 * coding other than a lone {@code chunked} are rejected; a Transfer-Encoding in an HTTP/1.0 response is
 * ignored (as Go) and its connection never reused.
 *
 * @param kind the framing
 * @param length the Content-Length for {@link Kind#FIXED}, else -1
 */
public record BodyFraming(Kind kind, long length) {
    /** The kinds of framing. */
    public enum Kind {
        /** No body (HEAD, 1xx, 204, 304, or Content-Length: 0). */
        NONE,
        /** Exactly {@code length} bytes. */
        FIXED,
        /** Chunked transfer coding. */
        CHUNKED,
        /** Everything until the server closes: the connection cannot be reused. */
        UNTIL_CLOSE
    }

    private static final BodyFraming NONE = new BodyFraming(Kind.NONE, 0);

    /**
     * Decides the framing of a response to a request with {@code method}. A 1xx is held to the same checks (P79): it
     * never has a body, but framing fields that would make a final answer refused make it refused too.
     *
     * <p>Stricter than Go, which lets Transfer-Encoding win and drops Content-Length: RFC 9112 §6.3
     * says such a message "ought to be handled as an error", and docs/spec/transport.md rejects it (ADR 0006).
     * Transfer-Encoding in an HTTP/1.0 response is ignored, as Go 1.19 ignores it: the body is framed by
     * Content-Length or read to the close (P41); {@link #ignoresTransferEncoding} keeps its connection from
     * being reused (RFC 9112 §6.1).
     */
    public static BodyFraming of(String method, ResponseHead head) throws HttpProtocolException {
        Headers headers = head.headers();
        int status = head.status();
        if (method.equals("CONNECT") && status / 100 == 2) {
            // A tunnel (RFC 9110 §9.3.6, RFC 9112 §6.3 rule 2): what follows the head is the peer's, until it closes,
            // and a client "MUST ignore any Content-Length or Transfer-Encoding header fields" in the answer (R65).
            // Go 1.19 frames it as any response, and pools the connection after a Content-Length: 0. A transfer coding
            // the client cannot read is refused all the same, as Go's parseTransferEncoding refuses it before anything
            // looks at the method or the status (P82).
            requireReadableTransferCoding(head);
            return new BodyFraming(Kind.UNTIL_CLOSE, -1);
        }
        // HTTP/1.0 has no transfer codings: the field is ignored, whatever it says (P41, as Go).
        boolean hasTe = !head.isHttp10() && headers.contains("Transfer-Encoding");
        boolean hasCl = headers.contains("Content-Length");
        if (hasTe && hasCl) {
            throw new HttpProtocolException(Reason.CONFLICTING_FRAMING,
                    "response has both Content-Length and Transfer-Encoding");
        }
        if (hasTe) {
            // A transfer coding the client cannot decode is refused whatever the status, as Go's
            // parseTransferEncoding does before it looks at the status (P38): a 304 or an answer to HEAD
            // declaring one is as wrong as a 200 doing so, and so is a 1xx, the 101 included (P79).
            requireLoneChunked(headers);
            requireNoFramingTrailers(headers);
        }
        if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) {
            if (hasCl) {
                // No body follows, but differing lengths still mean a response that two parsers could read
                // two ways: rejected whatever the status, as Go does.
                requireOneContentLength(headers);
                if (method.equals("HEAD")) {
                    // The length an answer to HEAD announces is the one a GET would get: Go parses it (for
                    // its ContentLength) and refuses bad syntax (P38), whatever the status, a 1xx included: Go 1.19's
                    // readTransfer parses it for every response to HEAD, and its transport reads each 1xx with
                    // ReadResponse (P87). To any other method, a 1xx's, 204's or 304's length is not parsed (Go neither).
                    parseLength(headers.get("Content-Length").trim());
                }
            }
            return NONE;
        }
        if (hasTe) {
            return new BodyFraming(Kind.CHUNKED, -1);
        }
        if (hasCl) {
            requireIdenticalFields(headers);
            long length = parseLength(headers.get("Content-Length").trim());
            return length == 0 ? NONE : new BodyFraming(Kind.FIXED, length);
        }
        return new BodyFraming(Kind.UNTIL_CLOSE, -1);
    }

    /**
     * Refuses a transfer coding the client cannot read (anything but a lone {@code chunked}: another coding, a list,
     * {@code chunked} twice) on a 2xx to {@code CONNECT}, whose framing fields are otherwise ignored (R55, R65), as on
     * every other response (P38, P79): Go's {@code parseTransferEncoding} refuses it on every response before its
     * transport looks at the method or the status (P82). A lone {@code chunked} is tolerated there and frames nothing;
     * an HTTP/1.0 answer's field is ignored, as everywhere (P41).
     *
     * @param head the response's head
     * @throws HttpProtocolException {@code UNSUPPORTED_TRANSFER_ENCODING}, naming the field and its value
     */
    public static void requireReadableTransferCoding(ResponseHead head) throws HttpProtocolException {
        if (!head.isHttp10() && head.headers().contains("Transfer-Encoding")) {
            requireLoneChunked(head.headers());
        }
    }

    /**
     * Whether a response switches protocols (R67): a 101 whose {@code Upgrade} field names a protocol and whose
     * {@code Connection} field holds {@code upgrade} (Go's {@code isProtocolSwitchResponse}), to a request that asked
     * for one the same way (RFC 9110 §7.8: a server switches only when asked; Go looks at the response alone). What
     * follows its head is the new protocol's, until the connection ends; any other 101 stays a response without a
     * body that ends its connection (R64).
     *
     * @param request the request's header fields
     * @param head the response's head
     * @return true if the connection now carries the protocol the request asked for
     */
    public static boolean switchesProtocols(Headers request, ResponseHead head) {
        return head.status() == 101 && asksToUpgrade(request) && asksToUpgrade(head.headers());
    }

    /**
     * Whether a response turns its connection into a tunnel: a 2xx to a {@code CONNECT} (R65) or a switch of
     * protocols the request asked for (R67). The one place that decides it: its framing ({@link #tunnel()}), no
     * decoding, the caller's output and a connection never pooled all follow from it.
     *
     * @param method the request's method
     * @param request the request's header fields
     * @param head the response's head
     * @return true if what follows the head is the tunnel's
     */
    public static boolean opensTunnel(String method, Headers request, ResponseHead head) {
        return method.equals("CONNECT") && head.status() / 100 == 2 || switchesProtocols(request, head);
    }

    /**
     * Whether a request's response may turn its connection into a tunnel ({@link #opensTunnel}): a {@code CONNECT},
     * or a request that asks to upgrade.
     *
     * @param method the request's method
     * @param request the request's header fields
     * @return true if the request may get a tunnel
     */
    public static boolean mayOpenTunnel(String method, Headers request) {
        return method.equals("CONNECT") || asksToUpgrade(request);
    }

    /**
     * Whether header fields ask to switch protocols (Go's {@code isProtocolSwitchHeader}): an {@code Upgrade} field that
     * names a protocol and {@code upgrade} among the {@code Connection} tokens.
     *
     * @param h a request's or a response's header fields
     * @return true if they ask for an upgrade
     */
    public static boolean asksToUpgrade(Headers h) {
        String upgrade = h.get("Upgrade");
        return upgrade != null && !upgrade.isBlank() && h.hasToken("Connection", "upgrade");
    }

    /**
     * A tunnel's framing: what follows the head is the peer's until it closes (R65, R67).
     *
     * @return {@link Kind#UNTIL_CLOSE}
     */
    public static BodyFraming tunnel() {
        return new BodyFraming(Kind.UNTIL_CLOSE, -1);
    }

    /**
     * A 204 that declares a body all the same: a {@code Transfer-Encoding} (RFC 9112 §6.1: never sent with a
     * 204) or a {@code Content-Length} other than 0 (RFC 9110 §8.6: likewise). It is read without a body, as
     * every 204 (as Go), but such a server may well send the body it declared, and those bytes, if they
     * arrive after the head, would be read as the next response on the connection: so its connection is not
     * reused (P29; Go reuses it). A 304 or an answer to HEAD may carry both headers legitimately
     * (they describe the representation) and is not affected.
     */
    public static boolean declaresAForbiddenBody(ResponseHead head) {
        if (head.status() != 204) {
            return false;
        }
        Headers headers = head.headers();
        if (headers.contains("Transfer-Encoding")) {
            return true;
        }
        for (String v : headers.all("Content-Length")) {
            for (String part : v.split(",", -1)) {
                String p = part.trim();
                if (p.isEmpty() || !p.chars().allMatch(c -> c == '0')) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * An HTTP/1.0 response with a Transfer-Encoding, which {@link #of} ignores (P41): its connection is not
     * reused, even with keep-alive and a Content-Length (RFC 9112 §6.1: "close the connection after processing
     * the message"; Go reuses it), since a peer that honoured the coding would see other message boundaries.
     */
    public static boolean ignoresTransferEncoding(ResponseHead head) {
        return head.isHttp10() && head.headers().contains("Transfer-Encoding");
    }

    /** A lone {@code chunked}, any case, blanks around it (P34); anything else is a coding we cannot read. */
    private static void requireLoneChunked(Headers headers) throws HttpProtocolException {
        for (String v : headers.all("Transfer-Encoding")) {
            if (!v.trim().equalsIgnoreCase("chunked")) {
                throw new HttpProtocolException(Reason.UNSUPPORTED_TRANSFER_ENCODING,
                        "unsupported Transfer-Encoding '" + ResponseHeadReader.shorten(v) + "' (only a lone 'chunked' is accepted)");
            }
        }
        if (headers.all("Transfer-Encoding").size() > 1) {
            throw new HttpProtocolException(Reason.UNSUPPORTED_TRANSFER_ENCODING, "Transfer-Encoding: chunked given more than once");
        }
    }

    /**
     * A chunked response may not announce {@code Content-Length}, {@code Transfer-Encoding} or {@code Trailer}
     * as a trailer (P42; RFC 9110 §6.5.1 forbids framing fields there; Go's {@code fixTrailer}: "bad trailer
     * key"). Only for a chunked body, as Go: elsewhere the {@code Trailer} field announces nothing.
     */
    private static void requireNoFramingTrailers(Headers headers) throws HttpProtocolException {
        for (String v : headers.all("Trailer")) {
            for (String name : v.split(",")) {
                String n = name.trim();
                if (n.equalsIgnoreCase("Content-Length") || n.equalsIgnoreCase("Transfer-Encoding") || n.equalsIgnoreCase("Trailer")) {
                    throw new HttpProtocolException(Reason.MALFORMED_HEADER, "response announces '"
                            + ResponseHeadReader.shorten(n) + "' as a trailer (a framing field cannot be one)");
                }
            }
        }
    }

    /**
     * Every Content-Length field is the same text once trimmed (Go's {@code fixLength}: {@code 02} and
     * {@code 2} differ), and so is every comma-separated part of each (stricter than Go, which does not look
     * inside a field of a response without a body; a list is no length anyway, see {@link #parseLength}).
     */
    private static void requireOneContentLength(Headers headers) throws HttpProtocolException {
        requireIdenticalFields(headers);
        String first = null;
        for (String v : headers.all("Content-Length")) {
            for (String part : v.split(",", -1)) {
                String p = part.trim();
                if (first == null) {
                    first = p;
                } else if (!first.equals(p)) {
                    throw new HttpProtocolException(Reason.CONFLICTING_CONTENT_LENGTH, "response has differing Content-Length values ('"
                            + ResponseHeadReader.shorten(first) + "' and '" + ResponseHeadReader.shorten(p) + "')");
                }
            }
        }
    }

    /** Every Content-Length field is the same text once trimmed, as Go's {@code fixLength} requires (P40). */
    private static void requireIdenticalFields(Headers headers) throws HttpProtocolException {
        String firstField = null;
        for (String v : headers.all("Content-Length")) {
            String f = v.trim();
            if (firstField == null) {
                firstField = f;
            } else if (!firstField.equals(f)) {
                throw new HttpProtocolException(Reason.CONFLICTING_CONTENT_LENGTH, "response has differing Content-Length fields ('"
                        + ResponseHeadReader.shorten(firstField) + "' and '" + ResponseHeadReader.shorten(f) + "')");
            }
        }
    }

    /**
     * ASCII digits only, leading zeros allowed, at most {@code Long.MAX_VALUE} (2^63-1): Go's
     * {@code strconv.ParseUint(v, 10, 63)} (P39). A list is not a length (P40; Go: "bad Content-Length"):
     * one of differing values is {@code CONFLICTING_CONTENT_LENGTH}, one of equal values ({@code 2, 2})
     * {@code INVALID_CONTENT_LENGTH}, a bad part of either {@code INVALID_CONTENT_LENGTH}.
     */
    private static long parseLength(String s) throws HttpProtocolException {
        if (s.indexOf(',') < 0) {
            return parseNumber(s);
        }
        long first = -1;
        for (String part : s.split(",", -1)) {
            long n = parseNumber(part.trim());
            if (first >= 0 && n != first) {
                throw new HttpProtocolException(Reason.CONFLICTING_CONTENT_LENGTH,
                        "response has differing Content-Length values (" + first + " and " + n + ")");
            }
            first = n;
        }
        throw new HttpProtocolException(Reason.INVALID_CONTENT_LENGTH,
                "invalid Content-Length '" + ResponseHeadReader.shorten(s) + "' (a list, not one length)");
    }

    /** One length: {@link #parseLength} without lists. */
    private static long parseNumber(String s) throws HttpProtocolException {
        if (s.isEmpty()) {
            throw new HttpProtocolException(Reason.INVALID_CONTENT_LENGTH, "invalid Content-Length '' (empty)");
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new HttpProtocolException(Reason.INVALID_CONTENT_LENGTH,
                        "invalid Content-Length '" + ResponseHeadReader.shorten(s) + "'");
            }
            int d = c - '0';
            if (n > (Long.MAX_VALUE - d) / 10) {
                throw new HttpProtocolException(Reason.INVALID_CONTENT_LENGTH,
                        "invalid Content-Length '" + ResponseHeadReader.shorten(s) + "' (too large)");
            }
            n = n * 10 + d;
        }
        return n;
    }
}
