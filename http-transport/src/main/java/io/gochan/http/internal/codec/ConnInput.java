package io.gochan.http.internal.codec;

import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.internal.ThrowableText;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A connection's buffered input: lines for heads and chunk sizes (bounded), raw bytes for bodies,
 * and a blocking {@link #peek()} for the read loop. Owned by one thread at a time (the read loop,
 * then the body's reader; the hand-over is ordered by the response channel).
 *
 * <p>What the socket answers is judged when this input takes it (E103): bytes and an end taken before this side closed
 * the connection ({@link #markClosedHere}) are the server's and stay so, whatever the close does afterwards (bytes
 * already buffered stay readable, E66); whatever a read takes after it (bytes that arrived while the close ran, the end
 * or the failure a closed socket answers) is the close's, and the read fails with its cause (E98, E102).
 */
public final class ConnInput {
    /**
     * Go's bufio bound (maxConsecutiveEmptyReads): reads in a row that may return 0 bytes before the input fails (P80);
     * a SOCKS5 handshake's reads keep the same bound (R33).
     */
    public static final int MAX_CONSECUTIVE_EMPTY_READS = 100;

    private final InputStream in;
    /** Why the stream ended badly, or null (asked after an EOF: see {@link #requireCleanEnd}). */
    private final Supplier<String> endedBadly;
    /**
     * Asked after the socket answered its end while this side had not closed the connection: why its socket was closed
     * on this side all the same, or null (E104).
     */
    private final Supplier<String> socketClosedHere;
    /**
     * Why this side closed the connection, or null until it did (E103): written by {@link #markClosedHere} on the
     * closing thread before the sockets are closed, read by the reading thread each time the socket answered a read.
     */
    private volatile IOException closedHere;
    private final byte[] buf = new byte[16 * 1024];
    /** Holds the last line of {@link #readLineBytes}; grows up to the line limit, kept for the connection's life. */
    private byte[] scratch = new byte[256];
    private int pos;
    private int limit;
    /**
     * Orders a fill's bounds ({@link #pos}, {@link #limit}) for a look from another thread (E101): a fill takes its write
     * lock while it sets them, never held over a read of the socket; a look reads them optimistically and validates, so
     * it never waits for a fill and a fill never waits for it (E112: a fill that parked behind a look's lock let the
     * request that took the connection meanwhile count as written before the fill's bytes were judged).
     */
    private final StampedLock bounds = new StampedLock();
    /** The request bytes written so far on this connection, asked as the socket answers bytes (E112); 0 without one. */
    private final LongSupplier writtenSoFar;
    /** {@link #writtenSoFar} when the last read took bytes from the socket (E112): the reading thread's only. */
    private long writtenWhenLastTaken;
    /** Whether the last line read ended in CR LF (see {@link #lastLineEndedInCrLf}). */
    private boolean lastLineHadCr;
    private long bytesRead;
    /** Whether the last read from the socket went straight to a caller's array, past the buffer (P37). */
    private boolean lastReadBypassed;
    /** Consulted when a read times out (SO_TIMEOUT); null: the timeout is thrown to the caller. */
    private volatile WaitGuard guard;

    /**
     * Decides, each time a blocking read has waited one socket timeout without a byte, whether to wait
     * on: it returns to go on waiting, or throws to stop (an interrupt, a deadline, a cancelled
     * exchange). This is how a read on a platform thread, which {@link Thread#interrupt()} does not
     * wake, still ends within one slice of an interrupt or a deadline.
     */
    @FunctionalInterface
    public interface WaitGuard {
        /**
         * The read has waited {@code timeouts} socket timeouts in a row without a byte.
         *
         * @param timeouts how many socket timeouts this read has seen so far (1 at the first)
         * @param timeout the socket timeout that just passed
         * @throws IOException to end the read with this failure
         */
        void stillWaiting(int timeouts, SocketTimeoutException timeout) throws IOException;

        /**
         * Asked before each read of the socket (P90), whether or not bytes are already on their way: throws to take no
         * more of the connection (its thread's interrupt). A read whose bytes keep coming never waits one socket
         * timeout, so {@link #stillWaiting} alone never sees an interrupt while a server trickles a line, a frame or a
         * body a byte at a time. Bytes already buffered are never asked about: they are returned as they are.
         *
         * @throws IOException to end the read with this failure, before it reads
         */
        default void beforeRead() throws IOException {
        }
    }

    /**
     * Wraps a connection's input stream.
     *
     * @param in the socket's input stream
     */
    public ConnInput(InputStream in) {
        this(in, () -> null, () -> null);
    }

    /**
     * Wraps a connection's input stream whose end may be an unclean one that the stream itself reports
     * as a plain EOF (TLS cut inside a record, P33).
     *
     * @param in the socket's input stream
     * @param endedBadly asked after {@code in} returned EOF: why that end was not a proper one, or null
     */
    public ConnInput(InputStream in, Supplier<String> endedBadly) {
        this(in, endedBadly, () -> null);
    }

    /**
     * Wraps a connection's input stream as {@link #ConnInput(InputStream, Supplier)} does, for a connection whose socket
     * may be closed on this side without {@link #markClosedHere}: a virtual thread's interrupt closes the socket it
     * reads, and a {@code Dialer}'s socket so closed may answer a plain end of stream, which is no end the server gave
     * (E104).
     *
     * @param in the socket's input stream
     * @param endedBadly asked after {@code in} returned EOF: why that end was not a proper one, or null
     * @param socketClosedHere asked after {@code in} returned EOF while this side had not closed the connection: why
     *     its socket was closed on this side all the same, or null
     */
    public ConnInput(InputStream in, Supplier<String> endedBadly, Supplier<String> socketClosedHere) {
        this(in, endedBadly, socketClosedHere, () -> 0);
    }

    /**
     * Wraps a connection's input stream as {@link #ConnInput(InputStream, Supplier, Supplier)} does, and notes, each
     * time a read takes bytes from the socket, how many request bytes had been written on the connection then
     * ({@link #writtenWhenLastTaken()}, E112).
     *
     * @param in the socket's input stream
     * @param endedBadly asked after {@code in} returned EOF: why that end was not a proper one, or null
     * @param socketClosedHere asked after {@code in} returned EOF while this side had not closed the connection: why
     *     its socket was closed on this side all the same, or null
     * @param writtenSoFar the request bytes written on the connection so far (any thread's writes; asked by the reading
     *     thread right after a read returned bytes)
     */
    public ConnInput(InputStream in, Supplier<String> endedBadly, Supplier<String> socketClosedHere,
            LongSupplier writtenSoFar) {
        this.in = in;
        this.endedBadly = endedBadly;
        this.socketClosedHere = socketClosedHere;
        this.writtenSoFar = writtenSoFar;
    }

    /**
     * How many request bytes had been written on the connection when the last read took bytes from the socket
     * (E112): taken right after the read returned, before the bytes are buffered or judged, so that nothing this side
     * does afterwards (a fill's bookkeeping, the reading thread parked or descheduled) can make bytes that arrived
     * before a request look as if they came after it. A request whose count before it is at least this value had not
     * handed a byte to the socket when these bytes were taken: they cannot answer it. For the reading thread.
     *
     * @return the count of the constructor's {@code writtenSoFar} then; 0 before any read took bytes
     */
    public long writtenWhenLastTaken() {
        return writtenWhenLastTaken;
    }

    /**
     * This side closes the connection (E103): from now on whatever the socket answers a read with (bytes, its end, a
     * failure) was taken after the close, none of it the server's answer to the exchange the close ended, and the read
     * fails with an {@link HttpConnectionException} whose cause is {@code why}. Bytes already buffered stay readable
     * (E66). Called once, by the closing thread (any thread), before it closes the sockets: a read the close ends then
     * always finds it.
     *
     * @param why why this side closed the connection
     */
    public void markClosedHere(IOException why) {
        if (why == null) {
            throw new NullPointerException("why");
        }
        closedHere = why;
    }

    /**
     * After a read returned EOF where EOF ends the message (a body read to the connection's end): fails
     * if the stream's end was not a proper one, so a body cut short is never taken for a complete one: its TLS stream
     * ended inside a record (P33). An end taken after this side closed the connection, or from a socket closed on this
     * side, never gets here: that read failed already (E98, E103, E104); an end taken before our close stands, whatever
     * the close does afterwards (E103). Elsewhere an EOF is an error already ({@code PREMATURE_EOF}).
     *
     * @throws HttpProtocolException with PREMATURE_EOF, naming how the stream ended
     */
    public void requireCleanEnd() throws IOException {
        String why = endedBadly.get();
        if (why != null) {
            throw new HttpProtocolException(Reason.PREMATURE_EOF, "response body cut short: " + why);
        }
    }

    /**
     * Sets the guard for the reads that follow (null: a socket timeout is thrown as it is). Set by the
     * thread that hands the input over (the read loop, before it delivers a response), so the hand-over
     * orders it before the reader's first read.
     *
     * @param guard the guard, or null
     */
    public void guard(WaitGuard guard) {
        this.guard = guard;
    }

    /**
     * The one place that reads the socket: retries a timed-out read for as long as the guard allows, and a read that
     * returned 0 bytes up to {@link #MAX_CONSECUTIVE_EMPTY_READS} times in a row (P80). Never returns 0 for a
     * non-empty range: every caller takes a count below 1 for the stream's end. What the socket answered is taken here,
     * and judged against this side's close here (E103).
     */
    private int rawRead(byte[] b, int off, int len) throws IOException {
        // Nothing but the read itself while bytes arrive: no clock is read on this path (the guard counts
        // timeouts; it knows the socket's timeout), one volatile read per answer.
        WaitGuard first = guard;
        if (first != null) {
            // Every read of the socket, not only one that timed out (P90): a line or a body that trickles in a byte at a
            // time never lets the socket time out, and each of its reads is one of these.
            first.beforeRead();
        }
        for (int timeouts = 1; ; timeouts++) {
            int n;
            try {
                n = readSome(in, b, off, len);
            } catch (SocketTimeoutException e) {
                WaitGuard g = guard;
                if (g == null) {
                    throw e;
                }
                // A SocketTimeoutException leaves the socket usable and consumed nothing: reading again is safe.
                g.stillWaiting(timeouts, e);
                continue;
            } catch (StreamContractException e) {
                throw e; // the stream broke its contract (P80), whoever closed what: said as it is
            } catch (IOException e) {
                IOException ours = closedHere;
                if (ours != null) {
                    // Our close failed the read ("Socket closed", a closed SSLSocket's alert): its cause says why, never
                    // the socket's words; what the socket said is kept.
                    throw cutByOurClose(ours, e);
                }
                throw e;
            }
            return taken(n);
        }
    }

    /**
     * The socket answered {@code n} (bytes, or -1 for its end), taken now: judged against this side's close (E103) and,
     * at the end, against a socket closed on this side without it (E104).
     */
    private int taken(int n) throws IOException {
        if (n > 0) {
            writtenWhenLastTaken = writtenSoFar.getAsLong(); // first: the nearest this side gets to the bytes' arrival
        }
        IOException ours = closedHere;
        if (ours != null) {
            // Taken after this side closed the connection: bytes that arrived while the close ran (a read in flight when
            // it came: a server that answers our close, or the upload's end, with the end of its answer), or the end a
            // closed socket answers (a closed SSLSocket's, a Dialer's). None of it may complete an answer the close ended,
            // nor pass a cut body off as whole: the read fails with the close's cause. Bytes taken before the close are
            // in the buffer and stay readable (E66).
            throw cutByOurClose(ours, null);
        }
        if (n < 0) {
            String why = socketClosedHere.get();
            if (why != null) {
                throw new HttpConnectionException("response cut short: " + why + ", not ended by the server", null);
            }
        }
        return n;
    }

    /** A read that took the socket's answer after this side closed the connection: it fails with the close's cause. */
    private static HttpConnectionException cutByOurClose(IOException ours, IOException answered) {
        HttpConnectionException cut = new HttpConnectionException("response cut short: the connection was closed by this side ("
                + ThrowableText.messageOrType(ours) + "), not ended by the server", ours);
        if (answered != null) {
            cut.addSuppressed(answered);
        }
        return cut;
    }

    /**
     * One read of {@code in} held to {@code InputStream.read}'s contract (P80), for every reader of a connection's raw
     * stream (this input; a proxy handshake, R33): a read that returned 0 bytes for a non-empty range (a
     * {@code Dialer}'s socket may) is asked again, as Go's bufio asks a reader that returned nothing
     * (io.ErrNoProgress after 100 such reads in a row), never taken for the end, which would cut a response short
     * or make an answer look like the server's close; a count past the range or below -1 is never trusted (the
     * buffer would hold bytes nobody wrote, or the end be taken for one).
     *
     * @param in the stream
     * @param b the buffer
     * @param off where the bytes go
     * @param len at most this many bytes
     * @return the count read, at least 1 unless {@code len} is 0, or -1 at the stream's end
     * @throws StreamContractException if the stream returned a count outside -1..len, or 0 bytes
     *     {@link #MAX_CONSECUTIVE_EMPTY_READS} times in a row
     * @throws IOException if the read failed
     */
    public static int readSome(InputStream in, byte[] b, int off, int len) throws IOException {
        for (int empty = 0; ; ) {
            int n = in.read(b, off, len);
            if ((n > 0 && n <= len) || n == -1 || (n == 0 && len == 0)) {
                return n;
            }
            if (n != 0) {
                throw new StreamContractException("the connection's input stream (" + in.getClass().getName()
                        + ") returned " + n + " from a read of at most " + len
                        + " bytes (InputStream.read returns -1, or the count of bytes it read)");
            }
            if (++empty >= MAX_CONSECUTIVE_EMPTY_READS) {
                throw new StreamContractException("the connection's input stream (" + in.getClass().getName()
                        + ") made no progress: its read returned 0 bytes " + empty + " times in a row"
                        + " (InputStream.read blocks until a byte is available)");
            }
        }
    }

    /** Blocks until a byte is available; returns it without consuming it, or -1 at EOF. */
    public int peek() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos] & 0xff;
    }

    /**
     * Blocks until {@code n} bytes are buffered or the connection is at EOF, and returns up to
     * {@code n} buffered bytes (ISO-8859-1) without consuming them; empty at EOF.
     *
     * @param n at most the buffer size (16 KiB)
     */
    public String peekAscii(int n) throws IOException {
        if (n > buf.length) {
            throw new IllegalArgumentException("cannot peek " + n + " bytes");
        }
        if (limit - pos < n) {
            System.arraycopy(buf, pos, buf, 0, limit - pos); // compact: room for the rest at the end
            limit -= pos;
            pos = 0;
            while (limit < n) {
                int r = rawRead(buf, limit, buf.length - limit);
                if (r <= 0) {
                    break;
                }
                limit += r;
            }
        }
        return ascii(pos, pos + Math.min(n, limit - pos));
    }

    /** Up to {@code max} of the buffered bytes (ISO-8859-1), not consumed; never reads. For messages. */
    public String bufferedAscii(int max) {
        return ascii(pos, pos + Math.min(max, limit - pos));
    }

    /**
     * The buffered byte {@code i} places past the next one to be consumed, not consumed; never reads.
     *
     * @param i 0 for the next byte
     * @return the byte (0 to 255), or -1 if fewer than {@code i + 1} bytes are buffered
     */
    public int bufferedByte(int i) {
        return i < limit - pos ? buf[pos + i] & 0xff : -1;
    }

    /** Bytes buffered and not yet consumed. */
    public int buffered() {
        return limit - pos;
    }

    /**
     * Whether bytes are buffered and not consumed, asked by a thread that does not read this input: the look at an idle
     * or new connection (P37, P52), made while its read loop waits for the next response and may be filling the empty
     * buffer. A fill sets the buffer's start and then its end, and nothing orders those writes for another thread, so
     * {@link #buffered()} there could add a stale end to a new start, or the reverse (E101). So the bounds are read
     * optimistically and validated: a look that overlaps a fill answers true at once (the fill has just read bytes,
     * which are buffered by now); it never waits, and never makes a fill wait (E112).
     *
     * @return true if bytes are buffered, or being buffered right now
     */
    public boolean hasBufferedSeenFromOutside() {
        long stamp = bounds.tryOptimisticRead();
        if (stamp == 0) {
            return true; // a fill is setting the bounds of the bytes it just read
        }
        boolean has = limit > pos;
        return has || !bounds.validate(stamp); // not valid: a fill of bytes ran under the look
    }

    /**
     * {@link #bufferedAscii(int)} asked by a thread that does not read this input, as
     * {@link #hasBufferedSeenFromOutside()} is (E101): the bounds and the bytes between them are those of one fill. Only
     * while the reader's one possible change is a fill of the empty buffer (its read loop waits for a response): bytes
     * buffered are then never overwritten under the look, and a fill under the look makes it answer empty (it never
     * waits for a fill, nor makes one wait).
     *
     * @param max at most this many bytes
     * @return up to {@code max} of the buffered bytes, not consumed; empty if none, or if a fill is setting the bounds
     */
    public String bufferedAsciiSeenFromOutside(int max) {
        long stamp = bounds.tryOptimisticRead();
        if (stamp == 0) {
            return "";
        }
        int start = pos;
        int end = limit;
        if (!bounds.validate(stamp) || end <= start) {
            return ""; // bounds of no one fill, or none buffered
        }
        String text = ascii(start, start + Math.min(max, end - start));
        return bounds.validate(stamp) ? text : ""; // a fill under the copy may have overwritten the bytes
    }

    /**
     * Bytes that can be had without blocking: those buffered, or else those the socket already holds,
     * which are then read into the buffer (a read that cannot block) so that they can be looked at
     * ({@link #bufferedAscii}). Asked where a response has ended and nothing may follow it (P37): a body
     * whose last bytes came straight from the socket (a large read bypasses the buffer) left whatever
     * followed it there, unseen by {@link #buffered()}.
     *
     * @return the bytes now buffered; 0 if none are ready, or if the socket failed (its next read says so)
     */
    public int pendingWithoutBlocking() {
        if (pos < limit) {
            return limit - pos;
        }
        if (!lastReadBypassed && limit < buf.length) {
            // The last fill took all the socket held then: what followed the response in the same arrival is
            // buffered; later bytes race any look, so none is worth a system call (~1.4 µs). A fill that filled the
            // whole buffer may have left more in the socket: that is looked at as after a bypassing read (P37).
            return 0;
        }
        try {
            if (in.available() > 0) {
                fill();
            }
        } catch (IOException e) {
            return 0;
        }
        return limit - pos;
    }

    /** Total bytes consumed from the socket so far. */
    public long bytesRead() {
        return bytesRead;
    }

    private boolean fill() throws IOException {
        int n = rawRead(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        // Under the write lock: a look from another thread sees both bounds of this fill, or knows it overlapped one
        // (E101). Looks never take it, so this never waits (E112).
        long stamp = bounds.writeLock();
        try {
            pos = 0;
            limit = n;
        } finally {
            bounds.unlockWrite(stamp);
        }
        lastReadBypassed = false;
        return true;
    }

    /** Reads one byte, or -1 at EOF. */
    public int read() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        bytesRead++;
        return buf[pos++] & 0xff;
    }

    /** Reads up to len bytes; -1 at EOF. */
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == limit) {
            if (len >= buf.length) {
                int n = rawRead(b, off, len); // large read: bypass the buffer
                if (n > 0) {
                    bytesRead += n;
                    lastReadBypassed = true;
                }
                return n;
            }
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        bytesRead += n;
        return n;
    }

    /**
     * Fills {@code b} from the buffer and then the socket.
     *
     * @throws HttpProtocolException with PREMATURE_EOF if the connection ends first
     */
    public void readFully(byte[] b) throws IOException {
        for (int off = 0; off < b.length; ) {
            int n = read(b, off, b.length - off);
            if (n < 0) {
                throw new HttpProtocolException(Reason.PREMATURE_EOF,
                        "connection closed with " + (b.length - off) + " bytes of the response body still to come");
            }
            off += n;
        }
    }

    /**
     * Reads a line ending in CRLF or a bare LF (tolerated, as browsers and Go do), without the ending.
     * Returns null on EOF before the first byte.
     *
     * @param maxLength longest line accepted
     * @param tooLong the reason reported when the line is longer
     * @param what the line's kind, for the messages ("the status line", "a trailer line"): every refusal of a line
     *     names the line (P86)
     * @throws HttpProtocolException on a too-long line, a CR not followed by LF (refused as the byte after it arrives,
     *     P97), or a NUL byte
     * @throws HttpProtocolException with PREMATURE_EOF on EOF inside the line
     */
    public String readLine(int maxLength, Reason tooLong, String what) throws IOException {
        int length = readLineBytes(maxLength, tooLong, what);
        return length < 0 ? null : new String(scratch, 0, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * Like {@link #readLine}, but leaves the line's bytes (without CR LF) in a scratch array, valid
     * until the next call, instead of making a String: the header parser makes one String per field
     * from them. Returns the line's length, or -1 on EOF before the first byte.
     *
     * @throws HttpProtocolException as {@link #readLine} does
     */
    public int readLineBytes(int maxLength, Reason tooLong, String what) throws IOException {
        int length = 0;
        // Whether the byte before this one was a CR: a CR that anything but LF follows is refused as that byte
        // arrives (P97), not when the line's LF comes, which a server that stalls after it never sends.
        boolean afterCr = false;
        while (true) {
            if (pos == limit && !fill()) {
                if (length == 0) {
                    return -1;
                }
                throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed in the middle of " + what);
            }
            int start = pos;
            while (pos < limit) {
                byte c = buf[pos];
                if (c == '\n') {
                    appendToScratch(length, start, pos);
                    length += pos - start;
                    pos++;
                    bytesRead += pos - start;
                    lastLineHadCr = length > 0 && scratch[length - 1] == '\r';
                    if (lastLineHadCr) {
                        length--;
                    }
                    if (length > maxLength) {
                        // The check below allows one byte more for the CR: a line ended by a bare LF must not
                        // use that byte for content (P28).
                        throw new HttpProtocolException(tooLong, what + " longer than " + maxLength + " bytes");
                    }
                    // No CR is left in the line: one that anything but this LF followed was refused as it came (P97).
                    return length;
                }
                if (c == 0) {
                    throw new HttpProtocolException(Reason.INVALID_CHARACTER, "NUL byte in " + what);
                }
                if (afterCr) {
                    throw new HttpProtocolException(Reason.INVALID_CHARACTER, "bare CR in " + what);
                }
                afterCr = c == '\r';
                pos++;
                // +1 for the CR; in long, as maxLength may be Integer.MAX_VALUE ("no limit", P74)
                if ((long) length + (pos - start) > maxLength + 1L) {
                    throw new HttpProtocolException(tooLong, what + " longer than " + maxLength + " bytes");
                }
            }
            appendToScratch(length, start, pos);
            length += pos - start;
            bytesRead += pos - start;
        }
    }

    /**
     * Whether the line {@link #readLineBytes} read last ended in CR LF (false: a bare LF). Inside a chunked
     * body every line must end in CR LF (P26); the head tolerates a bare LF.
     */
    public boolean lastLineEndedInCrLf() {
        return lastLineHadCr;
    }

    /** The bytes of the line {@link #readLineBytes} read last. */
    public byte[] lineBytes() {
        return scratch;
    }

    private void appendToScratch(int at, int from, int to) {
        int n = to - from;
        if (at + n > scratch.length) {
            scratch = java.util.Arrays.copyOf(scratch, Math.max(scratch.length * 2, at + n));
        }
        System.arraycopy(buf, from, scratch, at, n);
    }

    private String ascii(int from, int to) {
        return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }
}
