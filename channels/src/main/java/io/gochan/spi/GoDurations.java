package io.gochan.spi;

import java.time.Duration;

/**
 * Durations written as Go writes a {@code time.Duration} (rules LK37, CX27): hours, minutes and seconds with the
 * fraction's trailing zeros dropped ({@code 1h0m0s}, {@code 59m59.996s}, {@code 4m5s}, {@code 3.3s}), below a second in the
 * largest unit that keeps the number at least one ({@code 2.2ms}, {@code 1.1µs}, {@code 1ns}), zero as {@code 0s}, a
 * negative one with a leading {@code -}. Java's {@link Duration#toString()} ({@code PT59M59.996S}) is ISO 8601, which
 * a reader of a leak report or of a context's description has to decode; Go's form is the one its users know from
 * {@code go test}, goleak and Go's own {@code context.WithDeadline(...)} text.
 *
 * <p>Internal, not API: public only so that {@code io.gochan} (a context's {@code toString()}) and
 * {@code io.gochan.leakcheck} (a timer leak report) share one formatter; {@code io.gochan.spi} is exported to
 * {@code io.gochan.select} and {@code io.gochan.leakcheck} alone.
 */
public final class GoDurations {
    private static final int NANOS_PER_MICRO = 1_000;
    private static final int NANOS_PER_MILLI = 1_000_000;

    private GoDurations() {}

    /**
     * {@return {@code d} as Go's {@code Duration.String} writes it; beyond Go's range (about 292 years) too}
     *
     * @param d the duration, negative or zero too
     * @throws NullPointerException if {@code d} is null
     */
    public static String format(Duration d) {
        long seconds = d.getSeconds();
        int nanos = d.getNano(); // 0 to 999,999,999, added to seconds (which may be negative)
        StringBuilder b = new StringBuilder();
        if (seconds < 0) {
            b.append('-');
            // The magnitude, as an unsigned number: -Long.MIN_VALUE wraps to 2^63, which is right read unsigned.
            if (nanos == 0) {
                seconds = -seconds;
            } else {
                seconds = -(seconds + 1);
                nanos = 1_000_000_000 - nanos;
            }
        }
        if (seconds == 0) {
            if (nanos == 0) {
                return "0s";
            } else if (nanos < NANOS_PER_MICRO) {
                b.append(nanos).append("ns");
            } else if (nanos < NANOS_PER_MILLI) {
                fraction(b, nanos, 3).append("µs");
            } else {
                fraction(b, nanos, 6).append("ms");
            }
            return b.toString();
        }
        long hours = Long.divideUnsigned(seconds, 3600);
        long minutes = Long.remainderUnsigned(seconds, 3600) / 60;
        if (hours != 0) {
            b.append(Long.toUnsignedString(hours)).append('h');
        }
        if (hours != 0 || minutes != 0) {
            b.append(minutes).append('m');
        }
        b.append(Long.remainderUnsigned(seconds, 60));
        if (nanos != 0) {
            appendDigits(b.append('.'), nanos, 9);
        }
        return b.append('s').toString();
    }

    /** Appends {@code value / 10^digits}, then its last {@code digits} digits as a fraction without trailing zeros. */
    private static StringBuilder fraction(StringBuilder b, int value, int digits) {
        int scale = (int) Math.pow(10, digits);
        b.append(value / scale);
        if (value % scale != 0) {
            appendDigits(b.append('.'), value % scale, digits);
        }
        return b;
    }

    /** Appends {@code value} (non-zero) as {@code digits} digits with leading zeros, its trailing zeros dropped. */
    private static void appendDigits(StringBuilder b, int value, int digits) {
        String s = Integer.toString(value);
        b.append("0".repeat(digits - s.length()));
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        b.append(s, 0, end);
    }
}
