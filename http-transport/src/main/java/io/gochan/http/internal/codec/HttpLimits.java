package io.gochan.http.internal.codec;

/**
 * Security limits on what a server may send; on by default. Each one bounds a hostile server that
 * sends without end: a longer line, more lines, more 1xx responses than these fail the response
 * with an {@link io.gochan.http.HttpProtocolException} naming the limit.
 *
 * @param maxLineLength longest status, header or trailer line, in bytes
 * @param maxHeaderBytes all response header lines together
 * @param maxHeaderCount number of header fields
 * @param maxTrailerBytes all trailer lines together
 * @param maxInformational 1xx responses tolerated before the final one
 * @param maxChunkLineLength longest chunk-size line (size and extensions), in bytes
 */
public record HttpLimits(int maxLineLength, int maxHeaderBytes, int maxHeaderCount, int maxTrailerBytes,
        int maxInformational, int maxChunkLineLength) {
    /**
     * 8 KiB lines, 256 KiB of headers (as the Java peers), 100 fields, 16 KiB of trailers, 5 1xx
     * (Go's max1xxResponses), 4 KiB chunk-size lines (Go's chunked reader's maxLineLength).
     */
    public static final HttpLimits DEFAULTS = new HttpLimits(8 * 1024, 256 * 1024, 100, 16 * 1024, 5, 4 * 1024);

    public HttpLimits {
        if (maxLineLength < 64 || maxHeaderBytes < maxLineLength || maxHeaderCount < 1 || maxTrailerBytes < 0
                || maxInformational < 0 || maxChunkLineLength < 32) {
            // Named from the parameters: in a compact constructor the fields (and so toString()) are not set yet (P70).
            throw new IllegalArgumentException("implausible HTTP limits (a line limit of at least 64, header bytes at "
                    + "least the line limit, at least 1 field): maxLineLength=" + maxLineLength + ", maxHeaderBytes="
                    + maxHeaderBytes + ", maxHeaderCount=" + maxHeaderCount + ", maxTrailerBytes=" + maxTrailerBytes
                    + ", maxInformational=" + maxInformational + ", maxChunkLineLength=" + maxChunkLineLength);
        }
    }
}
