package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.Goroutines;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Finds goroutines that outlived a baseline, waiting for those still finishing. Usable without JUnit:
 * {@code LeakFinder.awaitQuiet(Set.of(), List.of(), Duration.ofSeconds(5))} after a block of code.
 */
public final class LeakFinder {
    private LeakFinder() {}

    /**
     * Waits up to {@code grace} for every live goroutine not in {@code baseline} and not matching
     * {@code allow} to end, and returns those still alive. Waiting joins the goroutines' threads, so it
     * returns as soon as they have ended.
     *
     * @param baseline ids of the goroutines that were running before the test
     * @param allow name patterns of goroutines never reported
     * @param grace how long to wait at most, in total
     * @return the goroutines still running after {@code grace} (empty if none), oldest first
     * @throws InterruptedException if the calling thread is interrupted while waiting
     * @throws NullPointerException if an argument is null
     */
    public static List<Goroutine> awaitQuiet(Set<Long> baseline, List<Pattern> allow, Duration grace)
            throws InterruptedException {
        // Checked up front: with no suspect live, a null baseline or allow list was never read, and the call
        // passed, to fail in a later test (LK22).
        Objects.requireNonNull(baseline, "baseline");
        Objects.requireNonNull(allow, "allow");
        // Saturating, and time left counted from the start (I7): a deadline of now + Long.MAX_VALUE wraps
        // and read as passed, so such a grace waited not at all; Duration.toNanos() threw for a longer one.
        long graceNanos = Math.max(0L, TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(grace, "grace")));
        long start = System.nanoTime();
        while (true) {
            List<Goroutine> suspects = suspects(baseline, allow);
            long left = graceNanos - (System.nanoTime() - start);
            if (suspects.isEmpty() || left <= 0) {
                return suspects;
            }
            // Join the oldest suspect until it ends or time runs out, then look again (a goroutine may
            // have started another on its way out).
            suspects.get(0).join(Duration.ofNanos(left));
        }
    }

    static List<Goroutine> suspects(Set<Long> baseline, List<Pattern> allow) {
        return Goroutines.live().stream()
                .filter(g -> !baseline.contains(g.id()))
                .filter(g -> g.isAlive())
                .filter(g -> allow.stream().noneMatch(p -> p.matcher(g.name()).matches()))
                .toList();
    }

    /**
     * {@return the failure message: one block per leaked goroutine, as in Go's goroutine dump}
     *
     * @param leaked the goroutines still running
     * @param graceMillis how long was waited, in milliseconds
     * @throws NullPointerException if leaked is null
     */
    public static String report(List<Goroutine> leaked, long graceMillis) {
        Objects.requireNonNull(leaked, "leaked");
        StringBuilder b = new StringBuilder();
        b.append(leaked.size()).append(" goroutine").append(leaked.size() == 1 ? "" : "s")
                .append(" still running ").append(graceMillis).append(" ms after the test ended:\n\n");
        for (Goroutine g : leaked) {
            Goroutines.describe(g, b);
        }
        return b.toString();
    }
}
