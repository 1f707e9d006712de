package io.gochan.http.internal.codec;

import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes a gzip-encoded response body (RFC 1952) for the transport's transparent gzip (P25), as Go's
 * {@code compress/gzip} reader does: one member after another until the body ends exactly at the end of
 * one (an empty body is an empty body), each member's header, data, CRC-32 and length checked. Anything
 * else fails with {@link Reason#BAD_CONTENT_ENCODING} naming what was wrong (P30): a bad header, corrupt
 * data, a wrong checksum or length, a body cut short, and bytes after the last member.
 * {@link java.util.zip.GZIPInputStream} instead ignores what follows a member when it is not another
 * member (trailing garbage read as a complete body), and throws exceptions that do not say they concern
 * the response body.
 *
 * <p>Failures of {@code source} itself (the framing, the connection) pass through unchanged. Not thread-safe:
 * one reader at a time, as any response body; but {@link #close()} may come from another thread while a read is
 * under way (it closes {@code source}, which ends that read). A read after the close throws, whatever the
 * decoder still holds (E43); the inflater's native memory is freed by the close, or, if a read is under way
 * then, as that read leaves, never under it.
 */
public final class GzipDecodingStream extends BulkInputStream {
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    /** The longest file name or comment of a member header, its NUL included: Go's {@code compress/gzip} buffer (P83). */
    private static final int MAX_HEADER_STRING = 512;

    private final InputStream source;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    /** Whether a member's data is being inflated (false: a header, or the end, is next). */
    private boolean inMember;
    private int members;
    private boolean done;
    /**
     * The inflater finished a member in a read that produced bytes: its trailer is read and checked by the next read
     * (P75), so a trailer that is missing, wrong or slow to come neither loses nor holds back the member's last bytes.
     */
    private boolean memberEndPending;
    private HttpProtocolException failed;
    private volatile boolean closed;
    /** Held by a read: the inflater is ended by the close only when no read uses it, else by the read as it leaves. */
    private final ReentrantLock reading = new ReentrantLock();

    /**
     * Decodes {@code source}.
     *
     * @param source the body as framed on the connection (it ends where the body ends)
     */
    public GzipDecodingStream(InputStream source) {
        this.source = source;
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
        Objects.checkFromIndexSize(off, len, b.length);
        // Not a reader's turn: the transport's reader (ResponseReader.GzipBody) serializes reads with a turn of its
        // own, taken interruptibly (P78), so this lock is met uncontended (but for the close's tryLock, never held
        // across a wait) and its lock() never parks a reader that an interrupt should free.
        reading.lock();
        try {
            return decode(b, off, len);
        } finally {
            reading.unlock();
            if (closed) {
                endInflaterIfIdle(); // closed during this read: the close left the inflater to it
            }
        }
    }

    private int decode(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("response body is closed");
        }
        if (failed != null) {
            throw failed;
        }
        if (len == 0) {
            return 0;
        }
        try {
            if (memberEndPending) {
                endMember();
                memberEndPending = false;
            }
            while (!done) {
                if (!inMember) {
                    if (!startMember()) {
                        done = true;
                        inflater.end();
                        return -1;
                    }
                    continue;
                }
                int n = inflate(b, off, len);
                if (n > 0) {
                    return n;
                }
            }
            return -1;
        } catch (HttpProtocolException e) {
            if (e.reason() == Reason.BAD_CONTENT_ENCODING) {
                failed = e;
                inflater.end();
            }
            throw e;
        }
    }

    /** Reads the next member's header; false if the body ended cleanly instead (before a first byte). */
    private boolean startMember() throws IOException {
        int first = nextByte();
        if (first < 0) {
            return false; // the body ends between members (or is empty): its end
        }
        crc.reset();
        crc.update(first);
        if (first != 0x1f || headerByte() != 0x8b) {
            throw bad(members == 0 ? "not gzip data (bad magic bytes)" : "bytes after the last gzip member that do not start another one");
        }
        if (headerByte() != 8) {
            throw bad("gzip compression method other than deflate");
        }
        int flags = headerByte();
        for (int i = 0; i < 6; i++) {
            headerByte(); // modification time, extra flags, operating system
        }
        if ((flags & FEXTRA) != 0) {
            int xlen = headerByte() | headerByte() << 8;
            for (int i = 0; i < xlen; i++) {
                headerByte();
            }
        }
        if ((flags & FNAME) != 0) {
            skipHeaderString("file name");
        }
        if ((flags & FCOMMENT) != 0) {
            skipHeaderString("comment");
        }
        if ((flags & FHCRC) != 0) {
            int expected = (int) (crc.getValue() & 0xffff);
            int got = nextByteOrFail() | nextByteOrFail() << 8;
            if (got != expected) {
                throw bad("gzip header checksum mismatch");
            }
        }
        crc.reset();
        inflater.reset();
        inMember = true;
        members++;
        return true;
    }

    /**
     * Inflates into {@code b}; at the member's end checks its trailer. Returns the bytes produced (maybe 0).
     * Input is given only when the inflater produced nothing and asks for it (as InflaterInputStream
     * does): with all input taken in, it may still hold the member's last output and its end, so asking
     * the source first could meet the body's end and call a complete member cut short.
     */
    private int inflate(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = inflater.inflate(b, off, len);
        } catch (DataFormatException e) {
            throw new HttpProtocolException(Reason.BAD_CONTENT_ENCODING,
                    "gzip-encoded response body is corrupt: " + e.getMessage() + " (Content-Encoding: gzip)", e);
        }
        crc.update(b, off, n);
        if (inflater.finished()) {
            pos = limit - inflater.getRemaining();
            if (n > 0) {
                memberEndPending = true; // return the bytes now; the next read checks the trailer (P75)
            } else {
                endMember();
            }
        } else if (n == 0) {
            if (inflater.needsDictionary()) {
                throw bad("gzip data needs a preset dictionary");
            }
            if (inflater.needsInput()) {
                if (pos == limit && !fill()) {
                    throw bad("gzip data cut short: the response body ended inside a gzip member");
                }
                inflater.setInput(buf, pos, limit - pos);
                pos = limit; // handed to the inflater: what it leaves is given back when the member ends
            }
        }
        return n;
    }

    /** The member's trailer: CRC-32 and length (mod 2^32) of the uncompressed data, little-endian. */
    private void endMember() throws IOException {
        long expectedCrc = readLittleEndianInt();
        long expectedSize = readLittleEndianInt();
        if (expectedCrc != crc.getValue()) {
            throw bad("gzip checksum mismatch (CRC-32 of the decoded body differs from the member's trailer)");
        }
        if (expectedSize != (inflater.getBytesWritten() & 0xffffffffL)) {
            throw bad("gzip length mismatch (decoded " + inflater.getBytesWritten() + " bytes, the member's trailer says "
                    + expectedSize + " mod 2^32)");
        }
        inMember = false;
    }

    private long readLittleEndianInt() throws IOException {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) nextByteOrFail() << (8 * i);
        }
        return v;
    }

    /**
     * Skips a member header's zero-terminated file name or comment, of at most {@link #MAX_HEADER_STRING} bytes with
     * its NUL, as Go's reader holds one (P83): a longer one is a bad header. Unbounded, a header whose name never ended
     * kept one read consuming the body for as long as it came (for ever, chunked or read to the close), returning
     * nothing and failing nothing, where Go fails at the 512th byte.
     */
    private void skipHeaderString(String what) throws IOException {
        for (int length = 0; headerByte() != 0; ) {
            if (++length >= MAX_HEADER_STRING) {
                throw bad("gzip header " + what + " longer than " + (MAX_HEADER_STRING - 1) + " bytes (no NUL within "
                        + MAX_HEADER_STRING + " bytes)");
            }
        }
    }

    private int headerByte() throws IOException {
        int c = nextByteOrFail();
        crc.update(c);
        return c;
    }

    private int nextByteOrFail() throws IOException {
        int c = nextByte();
        if (c < 0) {
            throw bad("gzip data cut short: the response body ended inside a gzip header or trailer");
        }
        return c;
    }

    private int nextByte() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    private boolean fill() throws IOException {
        int n;
        do {
            n = source.read(buf, 0, buf.length);
        } while (n == 0); // a stream must not answer 0 to a non-empty read; asked again rather than misread
        if (n < 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    private static HttpProtocolException bad(String what) {
        return new HttpProtocolException(Reason.BAD_CONTENT_ENCODING, what + " (Content-Encoding: gzip)");
    }

    /**
     * Closes {@code source} (ending a read under way on another thread) and frees the inflater unless a read is
     * using it (that read frees it as it leaves). Reads from then on throw, even where decoded bytes or the
     * end could still be given from what the decoder holds (P15, E43).
     */
    @Override
    public void close() throws IOException {
        closed = true;
        try {
            source.close();
        } finally {
            endInflaterIfIdle();
        }
    }

    /** Ends the inflater (again: {@link Inflater#end()} is idempotent) if no read holds it. */
    private void endInflaterIfIdle() {
        if (reading.tryLock()) {
            try {
                inflater.end();
            } finally {
                reading.unlock();
            }
        }
    }
}
