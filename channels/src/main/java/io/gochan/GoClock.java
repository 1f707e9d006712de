package io.gochan;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * {@link Timers#clock()}: Go's {@code time.Now} as a {@link Clock} (rule BB38). It holds no bubble: each read asks the
 * reading thread's clock, as Go's {@code time.Now} does the calling goroutine's, so one instance made anywhere (a static,
 * a constructor's default) reads virtual time in every bubble and real time outside.
 */
final class GoClock extends Clock {
    static final GoClock UTC = new GoClock(ZoneOffset.UTC);

    private final ZoneId zone;

    private GoClock(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        return zone.equals(this.zone) ? this : new GoClock(zone);
    }

    @Override
    public Instant instant() {
        return Timers.now();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GoClock c && c.zone.equals(zone);
    }

    @Override
    public int hashCode() {
        return zone.hashCode() + 1;
    }

    @Override
    public String toString() {
        return "Timers.clock[" + zone + "]";
    }
}
