package io.gochan.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
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
    private final InputStream stream;
    private final String contentType;

    /**
     * Wraps a stream (the transport passes one that reports EOF and early close to its connection).
     *
     * @param stream the stream to read the body from (closed after the write)
     * @param contentType the Content-Type to send, or null for none
     * @throws NullPointerException if stream is null
     */
    public ResponseBody(InputStream stream, String contentType) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.contentType = contentType;
    }

    /** {@return the body's bytes as they arrive} */
    public InputStream stream() {
        return stream;
    }

    /**
     * Reads the whole body and closes it.
     *
     * @return the whole body
     * @throws IOException if reading the body failed (the body is closed either way)
     */
    public byte[] bytes() throws IOException {
        try (this) {
            return stream.readAllBytes();
        }
    }

    /**
     * Reads the whole body as text and closes it. The charset is the {@code charset} parameter of the
     * Content-Type (its name and value in any case, quoted or not); without one, or when the JDK does not know
     * the charset or its name is not legal, UTF-8 (as the JDK's {@code BodyHandlers.ofString()}). Bytes that are
     * not valid in the charset become U+FFFD, as {@link String#String(byte[], Charset)} decodes them (P64).
     *
     * @return the whole body, decoded
     * @throws IOException if reading the body failed (the body is closed either way)
     */
    public String string() throws IOException {
        return new String(bytes(), charset());
    }

    private Charset charset() {
        if (contentType != null) {
            for (String part : contentType.split(";")) {
                String p = part.trim().toLowerCase(Locale.ROOT);
                if (p.startsWith("charset=")) {
                    try {
                        return Charset.forName(p.substring(8).replace("\"", "").trim());
                    } catch (RuntimeException e) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** Closes the body; if it was not read to the end, the connection is closed. */
    @Override
    public void close() {
        try {
            stream.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
