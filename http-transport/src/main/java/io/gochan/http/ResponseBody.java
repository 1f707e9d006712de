package io.gochan.http;

import io.gochan.http.internal.BodyLength;
import io.gochan.http.internal.RedactedUri;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.HeaderParameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A response body, read once as a stream. Close it when done: reading it to the end returns the
 * connection to the pool; closing it before the end closes the connection (cheap: nothing is
 * drained). Closing twice is harmless; reading after close throws {@link IOException}.
 *
 * <p>The {@linkplain #stream() stream} keeps {@link InputStream}'s contract: a read with bounds outside its array
 * throws {@link IndexOutOfBoundsException} and reads nothing, a read of zero bytes returns 0, mark and reset are not
 * supported. A read that fails (the server broke the framing, the request was cancelled or timed out, the transport
 * was closed) leaves the body failed: every later read throws that same exception, never more bytes or an end
 * (P61). It may be read on any thread, one read after another; reads from several threads at once are taken in
 * turn, each byte by exactly one read, in order, so nothing is lost, doubled or corrupted, but which thread gets
 * which part is not defined (P62). {@link #close()} may be called from any thread, also while a read blocks: that
 * read then ends with an {@link IOException} and the connection is closed.
 */
public final class ResponseBody implements AutoCloseable {
    /**
     * The default limit of {@link #bytes()} and {@link #string()}: 64 MiB (P65). Large enough for any document a
     * caller means to hold in memory, small enough that a server sending without end fails the call long before the
     * heap is gone; {@link Transport.Builder#maxBufferedBodyBytes(long)} sets another.
     */
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 64L * 1024 * 1024;
    /** The most a Java array holds (as {@code InputStream.readAllBytes} allocates). */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final InputStream stream;
    private final String contentType;
    private final long maxBufferedBytes;
    private final URI uri;
    /** The transport's own stream, below HttpClient's wrapper, which reads through it: its length (P95). */
    private final InputStream lengthSource;

    /**
     * Wraps a stream (the transport passes one that reports EOF and early close to its connection), with the default
     * limit of {@link #bytes()} and {@link #string()} ({@link #DEFAULT_MAX_BUFFERED_BYTES}) and no URI to name.
     *
     * @param stream the stream to read the body from; closing the body closes it
     * @param contentType the response's Content-Type, or null for none
     * @throws NullPointerException if stream is null
     */
    public ResponseBody(InputStream stream, String contentType) {
        this(stream, contentType, DEFAULT_MAX_BUFFERED_BYTES, null);
    }

    /**
     * Wraps a stream, with the limit of {@link #bytes()} and {@link #string()} and the URI their failure names (P65).
     *
     * @param stream the stream to read the body from
     * @param contentType the response's Content-Type, or null for none
     * @param maxBufferedBytes the most bytes {@link #bytes()} and {@link #string()} read, positive
     * @param uri the URI of the request this body answers, named when the body is over the limit; or null
     * @throws NullPointerException if stream is null
     * @throws IllegalArgumentException if maxBufferedBytes is not positive
     */
    public ResponseBody(InputStream stream, String contentType, long maxBufferedBytes, URI uri) {
        this(stream, contentType, maxBufferedBytes, uri, stream);
    }

    private ResponseBody(InputStream stream, String contentType, long maxBufferedBytes, URI uri, InputStream lengthSource) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.contentType = contentType;
        this.maxBufferedBytes = positive(maxBufferedBytes);
        this.uri = uri;
        this.lengthSource = lengthSource;
    }

    /** The same body read through {@code wrapped} (HttpClient's), with this body's limit and length. */
    ResponseBody wrapping(InputStream wrapped, URI requestUri) {
        return new ResponseBody(wrapped, contentType, maxBufferedBytes, requestUri, lengthSource);
    }

    private static long positive(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("the limit of a buffered body must be positive: " + limit);
        }
        return limit;
    }

    /** {@return the body's bytes as they arrive; not limited (P65)} */
    public InputStream stream() {
        return stream;
    }

    /**
     * Reads the whole body and closes it. At most the transport's {@code maxBufferedBodyBytes} (default
     * {@link #DEFAULT_MAX_BUFFERED_BYTES}) are read: a larger body fails with {@link ResponseBodyTooLargeException}
     * (P65), see {@link #bytes(long)}.
     *
     * @return the whole body
     * @throws ResponseBodyTooLargeException if the body is larger than the limit
     * @throws IOException if reading the body failed (the body is closed either way), or closing it did; an interrupt as
     *     {@link #bytes(long)}
     */
    public byte[] bytes() throws IOException {
        return bytes(maxBufferedBytes);
    }

    /**
     * Reads the whole body, if it has at most {@code maxBytes}, and closes it. A larger body fails with
     * {@link ResponseBodyTooLargeException}, naming the limit and the request's URI, as soon as the byte past the
     * limit is read: the body is closed there, before its end, so its connection is closed and never pooled, and
     * nothing more of it is read (P65). (Should that byte be the body's last, the body was read whole, and its
     * connection is reused as for any body read to its end.) A body of the transport whose framing declares more
     * than {@code maxBytes} left to read (its {@code Content-Length}, or the size of the chunk under way; not decoded
     * by the transport) fails so as soon as that is known, before those bytes are read, and its connection is closed
     * (P95). A limit above what a Java array holds is that size.
     *
     * @param maxBytes the most bytes to read, positive
     * @return the whole body
     * @throws ResponseBodyTooLargeException if the body is larger than {@code maxBytes}
     * @throws IOException if reading the body failed (the body is closed either way), or closing it did (P77); an
     *     {@link java.io.InterruptedIOException} if the thread was interrupted while the read waited, its interrupt
     *     flag left set and the connection closed (E62, E80)
     * @throws IllegalArgumentException if maxBytes is not positive (the body is left as it is)
     */
    public byte[] bytes(long maxBytes) throws IOException {
        int limit = (int) Math.min(positive(maxBytes), MAX_ARRAY);
        // The stream closed itself, not through close(): a close that fails is the IOException this method declares,
        // not close()'s UncheckedIOException past the caller's catch (P77).
        try (InputStream stream = this.stream) {
            byte[] body = readAtMost(stream, limit);
            // One byte more tells a body of exactly the limit (its end) from a larger one, which is closed unread.
            if (body.length == limit && stream.read() >= 0) {
                throw tooLarge(limit);
            }
            return body;
        }
    }

    /**
     * Reads up to {@code limit} bytes, to the end of {@code stream} if it comes first. A body of the transport whose
     * framing declares, before or between reads, more than the bytes the limit has left (the rest of its
     * {@code Content-Length}, or of the chunk under way) is refused then (P95): the outcome is already this failure,
     * and reading on only waited on the server (for ever, if it sent no more) and buffered up to the limit for nothing.
     * The caller's close then closes the connection, as at the byte past the limit.
     */
    private byte[] readAtMost(InputStream stream, int limit) throws IOException {
        byte[] buf = new byte[Math.min(limit, 8192)];
        int n = 0;
        while (true) {
            if (lengthSource instanceof BodyLength known && known.remainingLength() > limit - n) {
                throw tooLarge(limit);
            }
            if (n == buf.length) {
                if (n == limit) {
                    return buf;
                }
                buf = Arrays.copyOf(buf, (int) Math.min(limit, 2L * n));
            }
            int read = stream.read(buf, n, buf.length - n);
            if (read < 0) {
                return n == buf.length ? buf : Arrays.copyOf(buf, n);
            }
            n += read;
        }
    }

    private ResponseBodyTooLargeException tooLarge(long limit) {
        String of = uri == null ? "" : " of " + RedactedUri.of(uri);
        return new ResponseBodyTooLargeException("response body" + of + " is larger than the limit of a buffered body ("
                + limit + " bytes, maxBufferedBodyBytes or the call's own); read it through stream() instead", limit, uri);
    }

    /**
     * Reads the whole body as text and closes it. The charset is the {@code charset} parameter of the
     * Content-Type (its name and value in any case, quoted or not), its parameters read as RFC 9110 §5.6.6 writes
     * them (a quoted value may hold {@code ;} and {@code =}; the first {@code charset} counts) (P66); without one, or when the JDK does not know
     * the charset or its name is not legal, UTF-8 (as the JDK's {@code BodyHandlers.ofString()}). Bytes that are
     * not valid in the charset become U+FFFD, as {@link String#String(byte[], Charset)} decodes them (P64).
     *
     * @return the whole body, decoded
     * @throws ResponseBodyTooLargeException if the body is larger than the transport's {@code maxBufferedBodyBytes}
     * @throws IOException if reading the body failed (the body is closed either way), or closing it did; an interrupt as
     *     {@link #bytes(long)}
     */
    public String string() throws IOException {
        return string(maxBufferedBytes);
    }

    /**
     * {@link #string()} with the limit of {@link #bytes(long)}.
     *
     * @param maxBytes the most bytes to read, positive
     * @return the whole body, decoded
     * @throws ResponseBodyTooLargeException if the body is larger than {@code maxBytes} (P65)
     * @throws IOException if reading the body failed (the body is closed either way), or closing it did; an interrupt as
     *     {@link #bytes(long)}
     * @throws IllegalArgumentException if maxBytes is not positive (the body is left as it is)
     */
    public String string(long maxBytes) throws IOException {
        return new String(bytes(maxBytes), charset());
    }

    private Charset charset() {
        String name = contentType == null ? null : HeaderParameters.parameter(contentType, "charset");
        if (name != null) {
            try {
                return Charset.forName(name.trim());
            } catch (RuntimeException e) {
                return StandardCharsets.UTF_8; // unknown, not legal or empty: as the JDK's BodyHandlers.ofString()
            }
        }
        return StandardCharsets.UTF_8;
    }

    /**
     * Closes the body; if it was not read to the end, the connection is closed.
     *
     * @throws UncheckedIOException if the stream's close failed (a transport's body never fails to close)
     */
    @Override
    public void close() {
        try {
            stream.close();
        } catch (IOException e) {
            // As new UncheckedIOException(e), whose message is e.toString(), but asked safely: the stream may be the
            // caller's (this constructor is public), its exception's text too; what that threw replaced it (E105).
            throw new UncheckedIOException(ThrowableText.of(e), e);
        }
    }
}
