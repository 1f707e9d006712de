package io.gochan.http.internal;

/**
 * A response body the transport decodes itself (transparent gzip, P25), whose {@code Content-Length} it removed
 * from the headers the caller sees: the length the response declared for its encoded body is still known here,
 * for {@code HttpClient}'s decision to read a redirect's body or close it unread (P31, E45).
 */
public interface DecodedBody {
    /**
     * {@return the encoded body's declared length (its {@code Content-Length}), or -1 if it had none}
     */
    long declaredEncodedLength();
}
