package io.gochan;

import java.time.Instant;
import java.util.List;

/**
 * A goroutine that the garbage collector found blocked forever: it was collected before it ended,
 * which happens only when nothing live could reach it any more, neither its thread nor its
 * {@link Goroutine} handle nor any channel, lock or queue it waited on (Go 1.27's
 * {@code goroutineleak} profile reports the same kind of leak). Reported by
 * {@link Goroutines#collectedWhileBlocked()} when the opt-in detection is on (rule LK10, ADR 0012).
 * Its stack is gone with it: what is left is what was recorded when it started.
 *
 * @param id the goroutine's id
 * @param name its name
 * @param startedAt when it was started
 * @param startSite the stack of the code that started it, oldest call last; empty unless start
 *     sites are captured ({@link Goroutines#setStartSiteCapture(boolean)})
 */
public record CollectedGoroutine(long id, String name, Instant startedAt, List<StackTraceElement> startSite) {
    /**
     * A report.
     *
     * @throws NullPointerException if name, startedAt or startSite is null
     */
    public CollectedGoroutine {
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(startedAt, "startedAt");
        startSite = List.copyOf(java.util.Objects.requireNonNull(startSite, "startSite"));
    }

    /**
     * {@return the report: its id and name, then its start site as a leak report shows a live goroutine's
     * ({@code started at:} once, then one {@code at} line per frame, innermost first)}
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("goroutine ").append(id).append(" \"").append(name)
                .append("\" was collected while blocked: nothing live could ever wake it");
        if (!startSite.isEmpty()) {
            b.append("\n  started at:");
            for (StackTraceElement e : startSite) {
                b.append("\n    at ").append(e);
            }
        }
        return b.toString();
    }
}
