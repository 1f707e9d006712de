package io.gochan.leakcheck;

import io.gochan.GoroutineOwner;
import io.gochan.spi.GoDurations;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Timers a test left scheduled (rule LK32, opt-in with {@link NoGoroutineLeaks#timers()}): its afterFunc timers and
 * context deadlines still in the system scheduler's heap, beyond the grace period.
 */
final class TimerLeaks {
    /** Frames shown of where each timer was made, from the first one outside gochan and the JDK. */
    private static final int FRAMES = 8;

    private TimerLeaks() {}

    /**
     * {@return the report of the timers {@code owner} left scheduled and due more than {@code graceMillis} from now, or
     * null if none} One due sooner fires on its own before long, whatever the check says: left out, so that a timer's
     * fate never depends on how late the timer thread runs under load, only on its due time.
     */
    static String report(GoroutineOwner owner, String who, long graceMillis) {
        List<GoroutineOwner.ScheduledTimer> left = left(owner, Duration.ofMillis(graceMillis));
        return left.isEmpty() ? null : report(left, who);
    }

    /**
     * {@return the timers {@code owner} lists as scheduled ({@link GoroutineOwner#scheduledTimers()}) and due more than
     * {@code grace} from now, soonest first} The horizon saturates at {@link Instant#MAX}: a grace beyond the clock's
     * range excuses every timer but one due never.
     */
    static List<GoroutineOwner.ScheduledTimer> left(GoroutineOwner owner, Duration grace) {
        Instant horizon = horizon(Instant.now(), grace);
        List<GoroutineOwner.ScheduledTimer> left = new ArrayList<>();
        for (GoroutineOwner.ScheduledTimer t : owner.scheduledTimers()) {
            if (t.due().isAfter(horizon)) {
                left.add(t);
            }
        }
        return left;
    }

    private static Instant horizon(Instant now, Duration grace) {
        if (grace.isNegative()) {
            return now;
        }
        try {
            return now.plus(grace);
        } catch (java.time.DateTimeException | ArithmeticException beyond) {
            return Instant.MAX;
        }
    }

    /** {@return the report of the timers {@code left}, made by {@code who} (LK32), their time left as Go writes it (LK37)} */
    static String report(List<GoroutineOwner.ScheduledTimer> left, String who) {
        Instant now = Instant.now();
        StringBuilder b = new StringBuilder();
        b.append('\n').append(who).append(" left ").append(left.size()).append(left.size() == 1 ? " timer" : " timers")
                .append(" scheduled (an afterFunc never stopped, a context never cancelled; LK32): each fires later, in")
                // LK38: the end is who's, a test's or the LeakFinder caller's code's, not always a test's.
                .append(" whatever runs then. Stop ").append(left.size() == 1 ? "it" : "each")
                .append(", or cancel its context, before ").append(who).append(" ends\n\n");
        int shown = 0;
        for (GoroutineOwner.ScheduledTimer t : left) {
            if (shown++ == Report.SHOWN) {
                b.append("... and ").append(left.size() - Report.SHOWN).append(" more timers\n");
                break;
            }
            b.append(t.kind()).append(" due ");
            if (t.due().equals(Instant.MAX)) {
                b.append("never (beyond the clock's range)");
            } else {
                // LK37: Go's form (59m59.996s, 1h0m0s), not ISO's PT59M59.996S; to the millisecond, as it was.
                b.append(t.due()).append(" (in ")
                        .append(GoDurations.format(Duration.between(now, t.due()).truncatedTo(ChronoUnit.MILLIS))).append(')');
            }
            b.append(site(t.createdAt())).append('\n');
        }
        return b.toString();
    }

    /** {@return where a timer was made, from its first frame outside gochan and the JDK, or a hint if unknown} */
    private static String site(List<StackTraceElement> stack) {
        if (stack.isEmpty()) {
            return ", made at an unknown place (start-site capture was off)\n";
        }
        int first = 0;
        while (first < stack.size() && Frames.isMachinery(stack.get(first).getClassName() + "."
                + stack.get(first).getMethodName())) {
            first++;
        }
        if (first == stack.size()) {
            first = 0; // made by gochan itself on behalf of nothing outside: show it all
        }
        StringBuilder b = new StringBuilder(", made here:\n");
        for (int i = first; i < Math.min(stack.size(), first + FRAMES); i++) {
            b.append("    at ").append(stack.get(i)).append('\n');
        }
        return b.toString();
    }
}
