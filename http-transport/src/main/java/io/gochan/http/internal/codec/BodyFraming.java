package io.gochan.http.internal.codec;

import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;

/**
 * How a response body is delimited (RFC 9112 §6.3), decided from the request method, the status and
 * the headers, with the response-smuggling defences: Content-Length together with
 * Transfer-Encoding, differing Content-Length values, and any transfer coding other than a lone
 * {@code chunked} are rejected.
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
     * Decides the framing of a response to a request with {@code method}.
     *
     * <p>Stricter than Go, which lets Transfer-Encoding win and drops Content-Length: RFC 9112 §6.3
     * says such a message "ought to be handled as an error", and docs/spec/transport.md rejects it (ADR 0006).
     * Transfer-Encoding in an HTTP/1.0 response is rejected too (RFC 9112 §6.3: "MUST treat the
     * message as if the framing is faulty").
     */
    public static BodyFraming of(String method, ResponseHead head) throws HttpProtocolException {
        Headers headers = head.headers();
        int status = head.status();
        boolean hasTe = headers.contains("Transfer-Encoding");
        boolean hasCl = headers.contains("Content-Length");
        if (hasTe && hasCl) {
            throw new HttpProtocolException(Reason.CONFLICTING_FRAMING,
                    "response has both Content-Length and Transfer-Encoding");
        }
        if (hasTe && head.isHttp10()) {
            throw new HttpProtocolException(Reason.CONFLICTING_FRAMING,
                    "HTTP/1.0 response with Transfer-Encoding (faulty framing, RFC 9112 §6.3)");
        }
        if (hasTe && status >= 200) {
            // A transfer coding the client cannot decode is refused whatever the status, as Go's
            // parseTransferEncoding does before it looks at the status (P38): a 304 or an answer to HEAD
            // declaring one is as wrong as a 200 doing so.
            requireLoneChunked(headers);
        }
        if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) {
            if (hasCl) {
                // No body follows, but differing lengths still mean a response that two parsers could read
                // two ways: rejected whatever the status, as Go does.
                requireOneContentLength(headers);
                if (method.equals("HEAD") && status >= 200) {
                    // The length an answer to HEAD announces is the one a GET would get: Go parses it (for
                    // its ContentLength) and refuses bad syntax (P38). After a 1xx, 204 or 304 it does not.
                    for (String v : headers.all("Content-Length")) {
                        for (String part : v.split(",", -1)) {
                            parseLength(part.trim());
                        }
                    }
                }
            }
            return NONE;
        }
        if (hasTe) {
            return new BodyFraming(Kind.CHUNKED, -1);
        }
        if (hasCl) {
            long length = -1;
            for (String v : headers.all("Content-Length")) {
                for (String part : v.split(",", -1)) {
                    long n = parseLength(part.trim());
                    if (length >= 0 && n != length) {
                        throw new HttpProtocolException(Reason.CONFLICTING_CONTENT_LENGTH,
                                "response has differing Content-Length values (" + length + " and " + n + ")");
                    }
                    length = n;
                }
            }
            return length == 0 ? NONE : new BodyFraming(Kind.FIXED, length);
        }
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

    /** Every Content-Length value (each field, each comma-separated part) is the same text once trimmed. */
    private static void requireOneContentLength(Headers headers) throws HttpProtocolException {
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

    /**
     * ASCII digits only, leading zeros allowed, at most {@code Long.MAX_VALUE} (2^63-1): Go's
     * {@code strconv.ParseUint(v, 10, 63)} (P39).
     */
    private static long parseLength(String s) throws HttpProtocolException {
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
