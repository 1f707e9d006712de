package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * Finds goroutines that outlived a baseline, waiting for those still finishing. Usable without JUnit:
 * {@code LeakFinder.awaitQuiet(Set.of(), List.of(), Duration.ofSeconds(5))} after a block of code. Timers a block left
 * scheduled are found through the owner it ran in ({@link #timersLeft}, rule LK34), as
 * {@code @NoGoroutineLeaks(timers = true)} finds a test's.
 */
public final class LeakFinder {
    /** How long a wait for a goroutine still being started pauses before it looks again. */
    private static final long STARTING_PAUSE = TimeUnit.MILLISECONDS.toNanos(1);

    private LeakFinder() {}

    /**
     * Waits up to {@code grace} for every live goroutine not in {@code baseline} and not matching
     * {@code allow} to end, and returns those still alive. Waiting joins the goroutines' threads, so it
     * returns as soon as they have ended. The grace is real time, also when a goroutine of a virtual-time
     * {@link io.gochan.Bubble} calls this: its wait is not durable, so the bubble's clock stands still while it waits
     * (let the clock move first, with {@link io.gochan.Bubble#await()} or {@link io.gochan.Timers#sleep}, for goroutines
     * that end only once it has): rule LK28.
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
            joinInRealTime(suspects.get(0), left);
        }
    }

    /**
     * Waits at most {@code nanos} of real time for goroutine {@code g} to end (rule LK28). Not
     * {@link Goroutine#join(Duration)}: called by a member of a virtual-time bubble, its timeout is on the bubble's
     * clock (BB4), which stands still while a goroutine waits on anything but the bubble's own (a grace that never ran
     * out), and which the wait moves when every goroutine is durably blocked (a check that made the bubble's time jump).
     * The grace is real time wherever the check runs: the thread is joined, a wait no bubble counts as durable.
     */
    static void joinInRealTime(Goroutine g, long nanos) throws InterruptedException {
        Thread t = g.thread();
        if (t.getState() == Thread.State.NEW) {
            // Listed before its thread starts (G12), for its starter's next few steps: Thread.join would not wait (or
            // throw, timed); look again shortly.
            LockSupport.parkNanos(Math.min(nanos, STARTING_PAUSE));
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for a goroutine to end");
            }
            return;
        }
        t.join(Duration.ofNanos(nanos));
    }

    static List<Goroutine> suspects(Set<Long> baseline, List<Pattern> allow) {
        return Goroutines.live().stream()
                .filter(g -> !baseline.contains(g.id()))
                .filter(g -> g.isAlive())
                .filter(g -> allow.stream().noneMatch(p -> p.matcher(g.name()).matches()))
                .toList();
    }

    /**
     * {@return the failure message: one block per leaked goroutine still running, as in Go's goroutine dump, for the
     * first 50 of them; the rest are counted on one line with the range of their ids (rule LK29)} A goroutine of
     * {@code leaked} that has ended by the time it is described (after {@link #awaitQuiet} found it) is left out, and
     * out of the count at the head of the message ({@code 0 goroutines} if all have), as in the extension's report
     * (rule LK31).
     *
     * @param leaked the goroutines still running
     * @param graceMillis how long was waited, in milliseconds
     * @throws NullPointerException if leaked is null
     */
    public static String report(List<Goroutine> leaked, long graceMillis) {
        Objects.requireNonNull(leaked, "leaked");
        // LK31: written by the code that writes the check's report (LK29), which leaves out what ended (LK30).
        StringBuilder goroutines = new StringBuilder();
        int running = Report.goroutines(goroutines, leaked);
        StringBuilder b = new StringBuilder();
        b.append(running).append(" goroutine").append(running == 1 ? "" : "s")
                .append(" still running ").append(graceMillis).append(" ms after the test ended:\n\n");
        return b.append(goroutines).toString();
    }

    /**
     * {@return the timers {@code owner}'s code left scheduled and due more than {@code grace} from now, soonest first
     * (empty if none)} What {@code @NoGoroutineLeaks(timers = true)} fails a test for (rules LK32, LK34): an
     * {@link io.gochan.Timers#afterFunc afterFunc} timer never stopped and a context's own deadline never cancelled,
     * made on a thread attributed to {@code owner} ({@link GoroutineOwner#scheduledTimers()}: inside
     * {@link GoroutineOwner#enter()}, or in a goroutine of the owner's); one due within {@code grace} fires on its own
     * and is left out, so that what is found depends on due times only, never on how late the timer thread runs. Call
     * it once the block's goroutines have ended ({@link #awaitQuiet}), as the extension does: a timer a goroutine stops
     * as it ends is then not found. Where each was made is known only if start sites were captured when it was made
     * ({@link Goroutines#setStartSiteCapture(boolean)}). A grace beyond the clock's range leaves out every timer but
     * those due never; a negative one counts as zero.
     *
     * @param owner the owner the checked code ran in
     * @param grace how far ahead a due timer is excused
     * @throws NullPointerException if an argument is null
     */
    public static List<GoroutineOwner.ScheduledTimer> timersLeft(GoroutineOwner owner, Duration grace) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(grace, "grace");
        return TimerLeaks.left(owner, grace);
    }

    /**
     * {@return the failure message for timers {@link #timersLeft} found, as the extension writes it (rules LK32, LK34):
     * a head naming {@code who} and the count, then each timer's kind, due instant, time left as Go writes a duration
     * ({@code 59m59.996s}, rule LK37) and the frames where it was made, for the first 50 of them}
     *
     * @param left the timers left scheduled
     * @param who what left them, for the head of the message (for example {@code "the import job"})
     * @throws NullPointerException if an argument is null
     */
    public static String timerReport(List<GoroutineOwner.ScheduledTimer> left, String who) {
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(who, "who");
        return TimerLeaks.report(left, who);
    }
}
