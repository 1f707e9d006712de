package io.gochan.http.internal.conn;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.ReceiveChan;
import io.gochan.http.internal.ThrowableText;
import io.gochan.http.internal.codec.BodySourceException;
import io.gochan.http.internal.codec.RequestWriter;
import io.gochan.select.Select;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * The look at the first byte of a body of unknown length sent with a method that usually has none (E133), as Go's
 * {@code probeRequestBody}: one byte is read before the head is written, and a body found empty goes without any
 * framing field (a {@code GET} with {@code Transfer-Encoding: chunked} is refused by some servers); one that yields a
 * byte, fails, or has said nothing within the wait is sent chunked, starting with what the look read.
 *
 * <p>The look costs a goroutine and a timer only when nothing can be learned without blocking: a body read from memory
 * is read at once on the write loop (such a read never blocks), and so is a stream whose {@code available()} is
 * positive (a read then returns without blocking, by that method's contract; asked only here, where it decides where
 * the one byte is read, never what is sent); a wait of zero makes no other look.
 * Otherwise the read runs on a goroutine of its own, so that a source that waits (a pipe fed once the answer's head
 * arrives, Go's issue 17480) holds the head back no longer than the wait; the write loop's wait also ends when the
 * connection closes (a cancelled request), so a source that ignores its close never holds the loop. The goroutine ends
 * when its read returns, at the latest when the body's stream is closed (the request's end or the connection's close,
 * E18), as the write loop's own read of the source would.
 */
final class BodyProbe {
    private static final Logger LOG = System.getLogger(BodyProbe.class.getName());
    /** The look's outcome while it has not answered: its wait ran out, the connection closed, or it never waited. */
    private static final Object PENDING = new Object();
    private final InputStream source;
    /** The goroutine's answer, or null if the look was made on the write loop. */
    private final Chan<Object> result;
    /** The byte (0-255), -1 for the end, a {@link BodySourceException} for what the source threw, or PENDING. */
    private Object taken;

    private BodyProbe(InputStream source, Chan<Object> result, Object taken) {
        this.source = source;
        this.result = result;
        this.taken = taken;
    }

    /**
     * Looks at the first byte of {@code body}, waiting at most {@code wait} for it.
     *
     * @param body the body's stream (the connection's wrapper of it)
     * @param fromMemory whether the stream the body opened is read from memory: then read at once, on this thread
     * @param wait the longest wait for a read that may block; zero or negative: no such read, no goroutine
     * @param closed closed when the connection closes: the wait ends then
     * @param name the goroutine's name, if one is needed
     * @return the look, whose {@link #isEmpty()} says whether the body was found empty
     * @throws InterruptedException if this thread is interrupted while it waits
     */
    static BodyProbe look(InputStream body, boolean fromMemory, Duration wait, ReceiveChan<Object> closed, String name)
            throws InterruptedException {
        if (fromMemory) {
            return new BodyProbe(body, null, readFirst(body));
        }
        int available;
        try {
            available = body.available();
        } catch (IOException | RuntimeException e) {
            // Only a hint was asked for, which Go never asks: the read, on the goroutine, says what the body is, and
            // fails the request if the stream is broken (E5).
            ThrowableText.log(LOG, Level.DEBUG, "available() of a request body failed; its first byte is looked at by"
                    + " a read", e);
            available = 0;
        } catch (Throwable e) {
            // An Error (or a checked exception let out undeclared) from the caller's stream is never passed over: the
            // request fails with it after the head, as with a failed first read (E48).
            return new BodyProbe(body, null, new BodySourceException(e));
        }
        if (available > 0) {
            return new BodyProbe(body, null, readFirst(body)); // a read that does not block: no goroutine
        }
        if (!wait.isPositive()) {
            return new BodyProbe(body, null, PENDING); // read by the body's write, as any chunked body
        }
        Chan<Object> result = Chan.make(1);
        Go.go(name, () -> result.trySend(readFirst(body))); // one send to a channel of one slot: never blocks
        Object r = Select.<Object>cases()
                .receive(result, x -> x)
                .timeout(wait, () -> PENDING)
                .receiveOk(closed, x -> PENDING) // the write that follows fails on the closed connection
                .select();
        return new BodyProbe(body, result, r);
    }

    private static Object readFirst(InputStream source) {
        try {
            return RequestWriter.readFirstByte(source);
        } catch (BodySourceException e) {
            return e;
        }
    }

    /** @return true if the body was found empty: it is then sent with no framing and no bytes */
    boolean isEmpty() {
        return taken instanceof Integer b && b < 0;
    }

    /**
     * The body to write: the byte the look read (waiting for the look's goroutine if it had not answered within its
     * wait), then the rest of the source. What the look's read threw is thrown by the first read, as it was (the writer
     * wraps it as the body's failure, E5). The source itself if the look read nothing.
     *
     * @return the stream
     */
    InputStream body() {
        if (taken == PENDING && result == null) {
            return source;
        }
        return new InputStream() {
            private boolean first = true;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!first) {
                    return source.read(b, off, len);
                }
                Object r = taken;
                if (r == PENDING) {
                    try {
                        r = result.receive(); // the look's read ends with the source's close at the latest (E18)
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted waiting for the look at the request body's first byte");
                    }
                    taken = r;
                }
                first = false;
                if (r instanceof BodySourceException failed) {
                    throw BodyProbe.<IOException>sneaky(failed.sourceFailure()); // as the source threw it
                }
                int v = (Integer) r;
                if (v < 0) {
                    return -1;
                }
                b[off] = (byte) v;
                return 1;
            }
        };
    }

    /** Throws {@code t} as it is, checked or not (a source may throw a checked exception it does not declare). */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
