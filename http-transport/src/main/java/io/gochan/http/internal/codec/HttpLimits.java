package io.gochan.http.internal.codec;

/**
 * Security limits on what a server may send; on by default. Each one bounds a hostile server that
 * sends without end: a longer line, more lines than these fail the response with an
 * {@link io.gochan.http.HttpProtocolException} naming the limit. A response's 1xx heads and its final head share
 * {@code maxHeaderBytes} (P92); their number has no limit of its own.
 *
 * @param maxLineLength longest status, header or trailer line, in bytes
 * @param maxHeaderBytes all the heads of one response together: its 1xx heads and its final head (P92)
 * @param maxHeaderCount number of header fields
 * @param maxTrailerBytes all trailer lines together
 * @param maxChunkLineLength longest chunk-size line (size and extensions), in bytes
 */
public record HttpLimits(int maxLineLength, int maxHeaderBytes, int maxHeaderCount, int maxTrailerBytes,
        int maxChunkLineLength) {
    /**
     * 8 KiB lines, 256 KiB of headers (as the Java peers), 100 fields, 16 KiB of trailers, 4 KiB chunk-size lines
     * (Go's chunked reader's maxLineLength).
     */
    public static final HttpLimits DEFAULTS = new HttpLimits(8 * 1024, 256 * 1024, 100, 16 * 1024, 4 * 1024);

    public HttpLimits {
        if (maxLineLength < 64 || maxHeaderBytes < maxLineLength || maxHeaderCount < 1 || maxTrailerBytes < 0
                || maxChunkLineLength < 32) {
            // Named from the parameters: in a compact constructor the fields (and so toString()) are not set yet (P70).
            throw new IllegalArgumentException("implausible HTTP limits (a line limit of at least 64, header bytes at "
                    + "least the line limit, at least 1 field): maxLineLength=" + maxLineLength + ", maxHeaderBytes="
                    + maxHeaderBytes + ", maxHeaderCount=" + maxHeaderCount + ", maxTrailerBytes=" + maxTrailerBytes
                    + ", maxChunkLineLength=" + maxChunkLineLength);
        }
    }
}
