package io.gochan.leakcheck;

import io.gochan.GoroutineOwner;
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
        Instant horizon = Instant.now().plusMillis(graceMillis);
        List<GoroutineOwner.ScheduledTimer> left = new ArrayList<>();
        for (GoroutineOwner.ScheduledTimer t : owner.scheduledTimers()) {
            if (t.due().isAfter(horizon)) {
                left.add(t);
            }
        }
        if (left.isEmpty()) {
            return null;
        }
        Instant now = Instant.now();
        StringBuilder b = new StringBuilder();
        b.append('\n').append(who).append(" left ").append(left.size()).append(left.size() == 1 ? " timer" : " timers")
                .append(" scheduled (an afterFunc never stopped, a context never cancelled; LK32): each fires later, in")
                .append(" whatever runs then. Stop it, or cancel its context, before the test ends\n\n");
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
                b.append(t.due()).append(" (in ").append(Duration.between(now, t.due()).truncatedTo(ChronoUnit.MILLIS)).append(')');
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
