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
 * Not thread-safe: one reader.
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
     * Reads the whole body as text (charset from Content-Type, default UTF-8) and closes it.
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
