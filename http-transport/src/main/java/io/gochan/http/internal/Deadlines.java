package io.gochan.http.internal;

import java.time.Duration;

/**
 * {@link System#nanoTime()} deadlines for the transport. Its own copy of the rule that channels use,
 * so that this module needs nothing from {@code io.gochan.spi} (gochan's own machinery, for
 * {@code io.gochan.select} and leak-check).
 */
public final class Deadlines {
    /** The deadline value that means "none". */
    public static final long NONE = Long.MAX_VALUE;

    private Deadlines() {}

    /**
     * Converts a timeout into a deadline, saturating at {@link #NONE} - 1 so that a finite timeout never
     * reads as "no deadline".
     */
    public static long after(Duration timeout) {
        long nanos;
        try {
            nanos = Math.max(0L, timeout.toNanos());
        } catch (ArithmeticException tooLong) {
            // Longer than ~292 years: as good as no deadline, but still a finite one.
            return NONE - 1;
        }
        // Deadlines are compared as (deadline - now), wrap-safe for any timeout below 2^63.
        long d = System.nanoTime() + nanos;
        return d == NONE ? NONE - 1 : d;
    }
}
