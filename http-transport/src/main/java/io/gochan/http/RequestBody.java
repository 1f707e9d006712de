package io.gochan.http;

import io.gochan.http.internal.ThrowableText;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A request body: its bytes (opened as a stream each time it is written), its length if known, and
 * whether it can be written again for a retry.
 *
 * <p>A known length is sent as {@code Content-Length}; an unknown one ({@code -1}) as
 * {@code Transfer-Encoding: chunked}. A stream that yields more or fewer bytes than its declared
 * length fails the request with a {@link ContentLengthMismatchException} (never retried) and the
 * connection is closed. The content type is validated like a header value
 * ({@link IllegalArgumentException} for CR, LF, NUL or other control characters).
 */
public final class RequestBody {
    private static final RequestBody NONE = new RequestBody(null, 0, true, "");
    private static final System.Logger LOG = System.getLogger(RequestBody.class.getName());

    private final Supplier<InputStream> opener;
    private final long length;
    private final boolean replayable;
    private final String contentType;
    /** A single-use body's stream (the caller's, open already), or null: closed by {@link #closeUnsent(Throwable)} (E92). */
    private final InputStream once;
    /** Whether a single-use body's stream was handed out (E60), or closed unsent (E92); null for any other body. */
    private final AtomicBoolean opened;

    private RequestBody(Supplier<InputStream> opener, long length, boolean replayable, String contentType) {
        this(opener, length, replayable, contentType, null, null);
    }

    private RequestBody(Supplier<InputStream> opener, long length, boolean replayable, String contentType,
            InputStream once, AtomicBoolean opened) {
        this.once = once;
        this.opened = opened;
        this.opener = opener;
        this.length = length;
        this.replayable = replayable;
        // Sent as a header: validated like one, so CR or LF cannot inject a header (request smuggling).
        this.contentType = contentType == null ? null : Headers.checkValue("Content-Type", contentType);
    }

    /**
     * No body.
     *
     * @return the empty body
     */
    public static RequestBody none() {
        return NONE;
    }

    /**
     * A body of these bytes (copied), replayable.
     *
     * @param bytes the bytes (copied)
     * @param contentType the Content-Type to send, or null for none
     * @return the body
     * @throws NullPointerException if bytes is null
     */
    public static RequestBody of(byte[] bytes, String contentType) {
        byte[] copy = Objects.requireNonNull(bytes, "bytes").clone();
        return new RequestBody(() -> new ByteArrayInputStream(copy), copy.length, true, contentType);
    }

    /**
     * A UTF-8 text body, replayable, with content type {@code text/plain; charset=utf-8}.
     *
     * @param text the text
     * @return the body
     * @throws NullPointerException if text is null
     */
    public static RequestBody of(String text) {
        return of(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    }

    /**
     * A body read from streams the supplier opens; replayable, since a retry opens a fresh stream.
     * Every stream opened is closed once by the transport: after it was sent, or as soon as its
     * request ends without a response, which may be while the transport's writer is blocked in a read
     * of it on another thread (the close should then end that read, as a pipe's or a socket's does). A request
     * answered before its body was all sent has the stream closed when its connection closes, by whoever closes it
     * ({@link Transport#close()} included), which waits for that close (E32): it must not block.
     *
     * @param opener opens a fresh stream of the body on each call (a null fails the request with an
     *     {@link IOException} before anything of it is sent)
     * @param length the exact length, or -1 if unknown (sent chunked)
     * @param contentType the Content-Type to send, or null for none
     * @return the body
     * @throws NullPointerException if opener is null
     */
    public static RequestBody ofStream(Supplier<InputStream> opener, long length, String contentType) {
        return new RequestBody(Objects.requireNonNull(opener, "opener"), checkLength(length), true, contentType);
    }

    /**
     * A body read once from {@code stream}: it cannot be replayed, so a request with it is never
     * retried after a byte of it was read. It is single-use: the stream is handed out once, to exactly one
     * request, even when several requests with this body are sent at once on different threads (E60); every
     * other attempt to send it (a second request, a retry, a redirect) fails with an {@link IOException}
     * saying that the body is single-use, before anything of that request is sent.
     *
     * @param stream the stream to read the body from (closed after the write, or as soon as the request
     *     ends without a response, possibly during a read of it on another thread; also when the request is refused
     *     before anything of it is sent, E92; by whoever closes the connection of a request answered before its body
     *     was all sent, {@link Transport#close()} included, which waits for it, E32: its close must not block)
     * @param length the exact length, or -1 if unknown (sent chunked)
     * @param contentType the Content-Type to send, or null for none
     * @return the body
     * @throws NullPointerException if stream is null
     */
    public static RequestBody ofStreamOnce(InputStream stream, long length, String contentType) {
        Objects.requireNonNull(stream, "stream");
        // Handed out by a compare-and-set (E60): two requests sending this body at once (a retry racing a
        // redirect, a caller reusing the request on two threads) must not both get the stream; a plain flag let
        // both read it, each sending a part of it.
        AtomicBoolean opened = new AtomicBoolean();
        return new RequestBody(() -> {
            if (!opened.compareAndSet(false, true)) {
                throw new SingleUseRefusal();
            }
            return stream;
        }, checkLength(length), false, contentType, stream, opened);
    }

    /**
     * Closes a single-use body's stream if no request took it (E92): its request was refused before the body was
     * opened (an ended context or deadline, an interrupted caller, a closed transport, an oversized head, a failed
     * proxy choice, user info that cannot be sent). The stream is the caller's, open already, and its
     * {@link #ofStreamOnce} contract closes it as soon as the request ends without a response, as Go's
     * {@code RoundTrip} closes the body on every error. By the same compare-and-set as the hand-out (E60), so the
     * stream is closed exactly once: by this, or by the request that took it. The body is then used up, as after any
     * failed send. A no-op for any other body (nothing of it was opened), and never throws: a failed close is
     * logged at DEBUG, as for any unsent body's stream; an {@link Error} from it (the caller's stream: a failed
     * assertion, a {@link StackOverflowError}) is added to {@code refusal} as suppressed, so the caller gets the
     * refusal with it and the request's end is still reported (E92, E22). Before, the Error escaped: it replaced the
     * refusal, and {@code done()} was never called.
     *
     * @param refusal the exception the request is refused with, which the caller gets
     */
    void closeUnsent(Throwable refusal) {
        if (once == null || !opened.compareAndSet(false, true)) {
            return;
        }
        try {
            once.close();
        } catch (IOException | RuntimeException e) {
            // The caller's stream's exception: its printing may throw, never in the refusal's place (E105).
            ThrowableText.log(LOG, System.Logger.Level.DEBUG, "closing an unsent single-use request body failed", e);
        } catch (Throwable e) {
            // Never lost, never in the refusal's place: the caller learns of both, as the write loop keeps a caller's
            // own failure first and an Error from the body's close beside it (E48).
            if (e != refusal) {
                refusal.addSuppressed(e);
            }
        }
    }

    /**
     * A single-use body's second opening (E60), thrown inside its opener and turned into an {@link IOException} by
     * {@link #open()}: its own type, so that a caller's opener throwing an {@link IllegalStateException} is not
     * mistaken for it (E134).
     */
    private static final class SingleUseRefusal extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        SingleUseRefusal() {
            super(SINGLE_USE);
        }
    }

    /** What a second opening of a single-use body is told (E60). */
    static final String SINGLE_USE = "the request body is single-use (RequestBody.ofStreamOnce): its stream was"
            + " already handed to a request, and cannot be sent again (by a retry, a redirect, or another request)";

    private static long checkLength(long length) {
        if (length < -1) {
            throw new IllegalArgumentException("body length must be >= 0, or -1 for unknown: " + length);
        }
        return length;
    }

    /** {@return true if there is no body} */
    public boolean isEmpty() {
        return opener == null;
    }

    /** {@return the length in bytes, or -1 if unknown} */
    public long length() {
        return length;
    }

    /** {@return true if the body can be written again (a fresh stream each time)} */
    public boolean replayable() {
        return replayable;
    }

    /** {@return the content type to send if the request sets none; may be null} */
    public String contentType() {
        return contentType;
    }

    /**
     * Opens the body's bytes for writing.
     *
     * @return a fresh stream of the body; the caller closes it
     * @throws IOException if the stream cannot be opened, the opener returned null instead of a stream (E59), or a
     *     single-use body was already opened (E60)
     * @throws RuntimeException whatever unchecked exception the body's opener throws, as itself (E6, E134)
     */
    public InputStream open() throws IOException {
        if (opener == null) {
            return InputStream.nullInputStream();
        }
        InputStream stream;
        try {
            stream = opener.get();
        } catch (SingleUseRefusal e) {
            // Only this library's own refusal becomes the IOException: a caller's opener that throws an unchecked
            // exception, an IllegalStateException included, fails the request with that very exception (E6, E134).
            throw new IOException(SINGLE_USE, e);
        }
        if (stream == null) {
            // Never "no body": the head declares one (its Content-Length, or chunked), so a request sent without
            // it would leave the server waiting for the bytes (or, chunked, read the next request as them): E59.
            throw new IOException("the request body's opener returned null instead of a stream (length "
                    + (length < 0 ? "unknown" : length) + ")");
        }
        return stream;
    }
}
