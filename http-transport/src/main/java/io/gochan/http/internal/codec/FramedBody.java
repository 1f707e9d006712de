package io.gochan.http.internal.codec;

import io.gochan.http.Headers;

import java.io.InputStream;
import java.util.function.Supplier;

/**
 * A response body's raw stream for its framing (returns -1 exactly at the end of the body, throws
 * {@link io.gochan.http.HttpProtocolException} on a framing error) and its trailers.
 */
public record FramedBody(InputStream stream, Supplier<Headers> trailers) {
    /** Opens the body stream for {@code framing} over the connection's input. */
    public static FramedBody open(ConnInput in, BodyFraming framing, HttpLimits limits) {
        return switch (framing.kind()) {
            case NONE -> new FramedBody(InputStream.nullInputStream(), Headers::empty);
            case FIXED -> new FramedBody(new FixedLengthInputStream(in, framing.length()), Headers::empty);
            case UNTIL_CLOSE -> new FramedBody(new UntilCloseInputStream(in), Headers::empty);
            case CHUNKED -> {
                ChunkedInputStream c = new ChunkedInputStream(in, limits);
                yield new FramedBody(c, c::trailers);
            }
        };
    }
}
