package io.gochan.http.internal.codec;

import io.gochan.http.Headers;
import io.gochan.http.HttpProtocolException;
import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.internal.BodyLength;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The chunked transfer coding: chunk sizes in ASCII hex (overflow and anything else rejected),
 * extensions ignored but bounded by {@link HttpLimits#maxChunkLineLength()} per line and, across
 * chunks, by the ratio of framing to data (see {@link #checkOverhead}), each chunk followed by
 * CRLF (checked by the read that returns the chunk's last bytes when it is already buffered, else by the next read:
 * the data is never held back for it, P49; a CRLF that read finds wrong fails the next read, the data returned first,
 * P75), then trailers bounded by the limits. A read that completes a chunk also
 * reads the last chunk when it is
 * already buffered whole in its common shape, without trailers (E49: {@link #framingEnded()}); it never waits
 * for it.
 */
final class ChunkedInputStream extends BulkInputStream implements FramingEnd, BodyLength {
    private final ConnInput in;
    private final HttpLimits limits;
    /** Overhead allowed per chunk, beyond twice its data, before it counts as excess (Go's value). */
    private static final int OVERHEAD_PER_CHUNK = 16;
    /** What a chunk-size line is called in messages (P60, P86). */
    private static final String CHUNK_SIZE_LINE = "a chunk-size line of the chunked body";
    /** Excess overhead tolerated in total (Go's value, CVE-2023-39326). */
    private static final int MAX_EXCESS = 16 * 1024;
    private long chunkRemaining;
    /** Chunk-size lines and CRLFs read beyond what the data so far pays for; never negative. */
    private long excess;
    private boolean done;
    /** The CRLF after the last chunk's data is still to be read and checked (P49): the next read does it first. */
    private boolean lineEndPending;
    private volatile Headers trailers = Headers.empty();
    /**
     * A framing error found after a chunk's data by the read that returned that data: thrown by the next read (P75),
     * so the data is not lost and the outcome does not depend on whether the bytes after it had arrived (P49).
     */
    private HttpProtocolException deferred;

    ChunkedInputStream(ConnInput in, HttpLimits limits) {
        this.in = in;
        this.limits = limits;
    }

    /** The trailer fields, once the last chunk was read. */
    Headers trailers() {
        return trailers;
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (done) {
            return -1;
        }
        if (deferred != null) {
            throw deferred;
        }
        if (lineEndPending) {
            expectLineEnd();
            lineEndPending = false;
        }
        if (chunkRemaining == 0) {
            chunkRemaining = readChunkSize();
            if (chunkRemaining == 0) {
                readTrailers();
                done = true;
                return -1;
            }
        }
        int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
        if (n < 0) {
            throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed inside a chunk of the response body");
        }
        chunkRemaining -= n;
        if (chunkRemaining == 0) {
            if (in.buffered() < 2) {
                // The data is here, its CRLF not yet: return the data now and check the CRLF on the next read (P49),
                // as Go's chunked reader does; waiting for it held a stream whose server sends the CRLF with its next
                // chunk (or its next event) until then.
                lineEndPending = true;
                return n;
            }
            try {
                expectLineEnd();
                endIfLastChunkBuffered();
            } catch (HttpProtocolException e) {
                // The data is good and already in the caller's array: return it; the next read fails (P75), as
                // Go's chunked reader returns (n, err). Not done: the framing has not ended (E49).
                deferred = e;
            }
        }
        return n;
    }

    @Override
    public boolean framingEnded() {
        return done;
    }

    /**
     * The rest of the chunk under way, as its size line declared it: at least that much is still to come (P95); -1
     * between chunks. Asked by the thread that reads, between its reads.
     */
    @Override
    public long remainingLength() {
        return chunkRemaining > 0 ? chunkRemaining : -1;
    }

    /**
     * After a chunk's data and CRLF: if the last chunk ({@code 0}, 1 to 16 zeros, without an extension) and the
     * empty line that ends an empty trailer section are already in the buffer, reads them now, so the read that
     * returns the body's last bytes is its end (E49), as Go's chunked reader reads a chunk header it already has
     * after the data. Only from the buffer, never waiting for the socket; any other shape (an extension,
     * trailers, a line not all here) is left to the next read, which reads and checks it as always.
     */
    private void endIfLastChunkBuffered() throws IOException {
        if (in.bufferedByte(0) != '0') {
            return; // the common case: another chunk follows, or nothing is buffered yet
        }
        int zeros = 1;
        while (zeros < 16 && in.bufferedByte(zeros) == '0') {
            zeros++;
        }
        if (in.bufferedByte(zeros) != '\r' || in.bufferedByte(zeros + 1) != '\n'
                || in.bufferedByte(zeros + 2) != '\r' || in.bufferedByte(zeros + 3) != '\n') {
            return;
        }
        chunkRemaining = readChunkSize(); // 0: all from the buffer, checked as any chunk-size line
        readTrailers(); // the empty line: from the buffer
        done = true;
    }

    /**
     * Chunk data must be followed by CR LF, exactly (P26; Go has always required it): a bare LF here is a
     * framing error, not a tolerated line end.
     */
    private void expectLineEnd() throws IOException {
        int cr = in.read();
        int lf = cr == '\r' ? in.read() : cr;
        if (cr == '\r' && lf == '\n') {
            return;
        }
        if (lf < 0) {
            throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed after a chunk, before its CRLF");
        }
        throw new HttpProtocolException(Reason.BAD_CHUNK, cr == '\n'
                ? "chunk data followed by a bare LF instead of CRLF" : "chunk data not followed by CRLF");
    }

    /**
     * A line of the chunked coding (chunk size, trailer, the empty line that ends the trailers) must end in
     * CR LF (P26): RFC 9112 lets a recipient take a bare LF as a line end in the head, but not in chunked
     * framing (erratum 7633), and Go rejects it there since CVE-2025-22871. A peer that reads a bare LF as
     * part of a chunk extension would see other chunk boundaries than we do.
     */
    private void requireCrLf(String what) throws HttpProtocolException {
        if (!in.lastLineEndedInCrLf()) {
            throw new HttpProtocolException(Reason.BAD_CHUNK, what + " of the chunked response body ends in a bare LF, not CRLF");
        }
    }

    private long readChunkSize() throws IOException {
        String line;
        try {
            line = in.readLine(limits.maxChunkLineLength(), Reason.CHUNK_EXTENSION_TOO_LONG, CHUNK_SIZE_LINE);
        } catch (HttpProtocolException e) {
            if (e.reason() != Reason.INVALID_CHARACTER) {
                throw e;
            }
            // The line reader refuses a NUL or a bare CR before this method sees the line: in the chunked coding they
            // are control characters in its framing like any other (P27), so the same reason (P60).
            throw new HttpProtocolException(Reason.BAD_CHUNK, e.getMessage(), e); // the message names the line (P86)
        }
        if (line == null) {
            throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed before the next chunk");
        }
        requireCrLf("a chunk-size line");
        int end = line.indexOf(';');
        if (end < 0) {
            end = line.length();
        } else {
            checkExtensions(line, end);
        }
        // Only spaces and tabs before the extension or the line end (RFC 9112's BWS): not String.strip(), which also
        // removed leading blanks and control characters such as \x0b or \x1f. Go trims them at the line end but
        // refuses them before a ';' ("invalid byte in chunk length"); the RFC allows them there, and a reader that
        // takes them reads the same size, so they are taken.
        while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
            end--;
        }
        String hex = line.substring(0, end);
        if (hex.isEmpty()) {
            throw new HttpProtocolException(Reason.BAD_CHUNK, "empty chunk size");
        }
        // Up to 16 digits, as Go's parseHexUint (so "000000000000000a" is ten); a value above a long's
        // range is refused as too large (Go's uint64 would take it, and then wait for exabytes).
        if (hex.length() > 16) {
            throw chunkSizeTooLarge(hex);
        }
        long size = 0;
        for (int i = 0; i < hex.length(); i++) {
            int d = hexDigit(hex.charAt(i));
            if (d < 0) {
                throw new HttpProtocolException(Reason.BAD_CHUNK, "chunk size is not hexadecimal: '" + ResponseHeadReader.shorten(hex) + "'");
            }
            if (size > (Long.MAX_VALUE - d) >>> 4) {
                throw chunkSizeTooLarge(hex);
            }
            size = size * 16 + d;
        }
        checkOverhead(line.length() + 4, size);
        return size;
    }

    /**
     * Bounds the ratio of framing to data, as Go does (CVE-2023-39326): one byte per chunk costs 5
     * bytes of framing and is fine, but 4 KiB of extension per byte of data, chunk after chunk, would
     * make the reader consume without end for almost nothing. Each chunk may spend 16 bytes plus
     * twice its data on framing; beyond that, overhead accumulates, and more than 16 KiB of it is an
     * error.
     *
     * @param framing the chunk-size line with its CRLF and the CRLF after the data
     */
    private void checkOverhead(int framing, long size) throws HttpProtocolException {
        long allowance = OVERHEAD_PER_CHUNK + 2 * Math.min(size, MAX_EXCESS);
        excess = Math.max(0, excess + framing - allowance);
        if (excess > MAX_EXCESS) {
            throw new HttpProtocolException(Reason.CHUNK_EXTENSION_TOO_LONG,
                    "chunked body has too much non-data (chunk extensions) for its data (more than " + MAX_EXCESS + " bytes of excess)");
        }
    }

    /**
     * Chunk extensions are ignored, as in Go, but two things in them are rejected (P27) because they
     * leave the line's extent open to interpretation: a control character (other than a tab), and a
     * quoted string that the line ends inside (RFC 9112 §7.1.1: a quoted string never holds CR or LF,
     * so a peer that read one across the line end would take other bytes as the chunk data).
     *
     * @param from the index of the first ';'
     */
    private static void checkExtensions(String line, int from) throws HttpProtocolException {
        for (int i = from; i < line.length(); i++) {
            char c = line.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new HttpProtocolException(Reason.BAD_CHUNK,
                        "control character 0x" + Integer.toHexString(c) + " in a chunk extension");
            }
        }
        // Quoted strings read as a Content-Type's parameters are (P66): one reader of them.
        for (int i = from; i < line.length(); ) {
            if (line.charAt(i) != '"') {
                i++;
            } else if ((i = HeaderParameters.quotedStringEnd(line, i, null)) < 0) {
                throw new HttpProtocolException(Reason.BAD_CHUNK,
                        "chunk extension with a quoted string the line ends inside: '" + ResponseHeadReader.shorten(line) + "'");
            }
        }
    }

    private static HttpProtocolException chunkSizeTooLarge(String hex) {
        return new HttpProtocolException(Reason.BAD_CHUNK, "chunk size too large: '" + ResponseHeadReader.shorten(hex) + "'");
    }

    /** The value of an ASCII hex digit, else -1 (Character.digit would also accept non-ASCII digits). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private void readTrailers() throws IOException {
        List<String> fields = new ArrayList<>();
        long start = in.bytesRead();
        // A trailer section is a header section (RFC 9110 §6.5): held to the header limits as well as its own, so
        // a caller who lowered those (responseLimits) is not sent more in trailers than in headers (P51).
        int maxBytes = Math.min(limits.maxTrailerBytes(), limits.maxHeaderBytes());
        while (true) {
            int length = in.readLineBytes(limits.maxLineLength(), Reason.TRAILERS_TOO_LARGE, "a trailer line");
            if (length < 0) {
                throw new HttpProtocolException(Reason.PREMATURE_EOF, "connection closed inside the trailers");
            }
            if (in.bytesRead() - start > maxBytes + 2L) { // long: maxBytes may be Integer.MAX_VALUE (P74)
                throw new HttpProtocolException(Reason.TRAILERS_TOO_LARGE, "trailers larger than " + maxBytes + " bytes");
            }
            if (length > 0 && fields.size() / 2 >= limits.maxHeaderCount()) {
                throw new HttpProtocolException(Reason.TOO_MANY_HEADERS,
                        "more than " + limits.maxHeaderCount() + " trailer fields");
            }
            requireCrLf(length == 0 ? "the empty line that ends the trailers" : "a trailer line");
            if (length == 0) {
                break;
            }
            // The header parser itself: a trailer is held to exactly the rules of a header (T10).
            ResponseHeadReader.parseField(in.lineBytes(), length, fields, "trailer");
        }
        trailers = ResponseHeadReader.toHeaders(fields);
    }
}
