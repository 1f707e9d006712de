package io.gochan.http.internal.codec;

/**
 * Security limits on what a server may send; on by default.
 *
 * @param maxLineLength longest status, header, chunk-size or trailer line, in bytes
 * @param maxHeaderBytes all response header lines together
 * @param maxHeaderCount number of header fields
 * @param maxTrailerBytes all trailer lines together
 * @param maxInformational 1xx responses tolerated before the final one
 */
public record HttpLimits(int maxLineLength, int maxHeaderBytes, int maxHeaderCount, int maxTrailerBytes,
        int maxInformational) {
    /** 8 KiB lines, 256 KiB of headers (as the Java peers), 100 fields, 16 KiB of trailers, 5 1xx. */
    public static final HttpLimits DEFAULTS = new HttpLimits(8 * 1024, 256 * 1024, 100, 16 * 1024, 5);

    public HttpLimits {
        if (maxLineLength < 64 || maxHeaderBytes < maxLineLength || maxHeaderCount < 1 || maxTrailerBytes < 0
                || maxInformational < 0) {
            throw new IllegalArgumentException("implausible HTTP limits: " + this);
        }
    }
}
