package io.gochan.http;

import java.io.IOException;

/**
 * The server's response broke HTTP/1.1 (or a limit): the {@link #reason()} names what was wrong,
 * the message shows where. The connection that carried it is closed, never pooled.
 */
public class HttpProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What was wrong with the response. */
    public enum Reason {
        /** Not an HTTP/1.x status line (including HTTP/0.9-style bodies and other protocols such as ICY). */
        MALFORMED_STATUS_LINE,
        /** The status code is missing, not three digits, or below 100. */
        BAD_STATUS_CODE,
        /**
         * A version that is not {@code HTTP/DIGIT.DIGIT}, or whose major version is not 1 (for example HTTP/2.0 over
         * HTTP/1 framing). An HTTP/1.x version with a minor above 1 is read as HTTP/1.1.
         */
        UNSUPPORTED_VERSION,
        /** A status or header line over {@code maxLineLength}. */
        LINE_TOO_LONG,
        /** The heads of one response over {@code maxHeaderBytes}: its 1xx heads and its final head together (P92). */
        HEADERS_TOO_LARGE,
        /** More header fields than {@code maxHeaderCount}. */
        TOO_MANY_HEADERS,
        /** A header line without a colon, with an empty name, or with whitespace before the colon. */
        MALFORMED_HEADER,
        /** A header line starting with whitespace (obs-fold, RFC 9112 §5.2): a smuggling vector. */
        OBSOLETE_LINE_FOLDING,
        /**
         * NUL, a bare CR or another control character in a head or trailer line, or a non-token character in a
         * header name (in a chunk-size line: {@link #BAD_CHUNK}).
         */
        INVALID_CHARACTER,
        /** Both Content-Length and Transfer-Encoding, or Transfer-Encoding in an HTTP/1.0 response. */
        CONFLICTING_FRAMING,
        /** Content-Length given with differing values. */
        CONFLICTING_CONTENT_LENGTH,
        /** Content-Length not a non-negative decimal number that fits in a long. */
        INVALID_CONTENT_LENGTH,
        /** A transfer coding other than a single {@code chunked}. */
        UNSUPPORTED_TRANSFER_ENCODING,
        /**
         * A chunk size that is not hexadecimal or too large, chunk data not followed by CRLF, a line of the
         * chunked coding (chunk size, trailer) ended by a bare LF, a control character in a chunk-size line
         * (a NUL or bare CR included), or a chunk extension with an unterminated quoted string.
         */
        BAD_CHUNK,
        /** A chunk-size line (size and extensions) over {@code maxChunkLineLength}. */
        CHUNK_EXTENSION_TOO_LONG,
        /** Trailer lines over {@code maxTrailerBytes}. */
        TRAILERS_TOO_LARGE,
        /** The connection ended inside a head or before the end of a body. */
        PREMATURE_EOF,
        /**
         * No longer thrown: a response's 1xx heads were once counted (at most 5, P79); since P92 they count against the
         * header bytes instead, and too many are {@link #HEADERS_TOO_LARGE}. Kept so that code naming it compiles.
         */
        TOO_MANY_INFORMATIONAL_RESPONSES,
        /**
         * A body the transport decodes itself ({@code Content-Encoding: gzip} it asked for) is not valid gzip:
         * a bad header, corrupt data, a wrong checksum or length, data cut short, or bytes after the last
         * member (P30).
         */
        BAD_CONTENT_ENCODING,
        /**
         * A body larger than the limit of {@link ResponseBody#bytes()} or {@link ResponseBody#string()}
         * ({@code maxBufferedBodyBytes}, or the limit given to the call): {@link ResponseBodyTooLargeException} (P65).
         */
        BODY_TOO_LARGE,
        /** Bytes after the end of a response, or on an idle connection: nothing asked for them. */
        UNSOLICITED_RESPONSE,
        /** The server closed or reset the connection after the request was sent, before a byte of response (E128). */
        SERVER_CLOSED_BEFORE_RESPONSE,
        /**
         * A redirect's {@code Location} that {@link HttpClient} cannot follow: not a URI reference, no
         * host, or a scheme other than http and https (R16).
         */
        BAD_LOCATION,
    }

    /** What was wrong with the response. */
    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason what was wrong
     * @param message the details: what was read, and where
     */
    public HttpProtocolException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * With the lower-level failure that revealed the problem (for example the socket's EOF or reset).
     *
     * @param reason what was wrong
     * @param message the detail message
     * @param cause the underlying failure
     */
    public HttpProtocolException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** {@return what was wrong} */
    public Reason reason() {
        return reason;
    }
}
