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
        MALFORMED_STATUS_LINE,
        BAD_STATUS_CODE,
        UNSUPPORTED_VERSION,
        LINE_TOO_LONG,
        HEADERS_TOO_LARGE,
        TOO_MANY_HEADERS,
        MALFORMED_HEADER,
        OBSOLETE_LINE_FOLDING,
        INVALID_CHARACTER,
        CONFLICTING_FRAMING,
        CONFLICTING_CONTENT_LENGTH,
        INVALID_CONTENT_LENGTH,
        UNSUPPORTED_TRANSFER_ENCODING,
        BAD_CHUNK,
        CHUNK_EXTENSION_TOO_LONG,
        TRAILERS_TOO_LARGE,
        PREMATURE_EOF,
        TOO_MANY_INFORMATIONAL_RESPONSES,
        UNSOLICITED_RESPONSE,
        SERVER_CLOSED_BEFORE_RESPONSE,
    }

    private final Reason reason;

    public HttpProtocolException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** What was wrong. */
    public Reason reason() {
        return reason;
    }
}
