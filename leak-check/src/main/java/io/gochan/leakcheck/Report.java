package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.Goroutines;

import java.util.ArrayList;
import java.util.List;

/** The failure message of a check: one block per goroutine, virtual thread and platform thread, as in Go's dump. */
final class Report {
    /**
     * LK29: how many goroutines, virtual threads and platform threads (each kind) a report shows in full, with their
     * stacks; the rest are counted on one line. A test that left ten thousand goroutines made a message of about 180 MB
     * (each goroutine's stack and start site), which JUnit keeps, and the runner writes to its reports, whole.
     */
    static final int SHOWN = 50;

    private Report() {}

    /**
     * {@return the failure message for what a check found, or null if all of it ended meanwhile} LK30: a goroutine or
     * platform thread that ended after the check's last look, before it was described here, is left out (it is not
     * "still running"): its state is read as it is described, and one described as terminated is dropped.
     */
    static String of(Judge.Finding f, long graceMillis, String ended) {
        StringBuilder goroutines = new StringBuilder();
        List<Long> moreGoroutines = new ArrayList<>();
        int shownGoroutines = 0;
        for (Goroutine g : f.goroutines()) {
            if (shownGoroutines < SHOWN) {
                StringBuilder one = new StringBuilder();
                Goroutines.describe(g, one); // reads its state: once it says terminated, isAlive() says so too
                if (g.isAlive()) {
                    goroutines.append(one);
                    shownGoroutines++;
                }
            } else if (g.isAlive()) {
                moreGoroutines.add(g.id());
            }
        }
        StringBuilder platform = new StringBuilder();
        List<Long> morePlatform = new ArrayList<>();
        int shownPlatform = 0;
        for (PlatformThreads.Suspect p : f.platform()) {
            Thread t = p.thread();
            Thread.State state = t.getState();
            if (state == Thread.State.TERMINATED) {
                continue;
            }
            if (shownPlatform == SHOWN) {
                morePlatform.add(t.threadId());
                continue;
            }
            shownPlatform++;
            platform.append("platform thread #").append(t.threadId()).append(" \"").append(t.getName()).append("\" [")
                    .append(state.toString().toLowerCase()).append(t.isDaemon() ? ", daemon" : "").append("]")
                    .append(p.commonPoolTask() ? ", running a task of the common pool the test left running (LK13)" : "").append('\n');
            for (String frame : p.stack()) {
                platform.append("    at ").append(frame).append('\n');
            }
            platform.append('\n');
        }
        int goroutineCount = shownGoroutines + moreGoroutines.size();
        int platformCount = shownPlatform + morePlatform.size();
        if (goroutineCount == 0 && f.threads().isEmpty() && platformCount == 0) {
            return null;
        }
        List<String> counts = new ArrayList<>();
        if (goroutineCount > 0) {
            counts.add(count(goroutineCount, "goroutine"));
        }
        if (!f.threads().isEmpty()) {
            counts.add(count(f.threads().size(), "virtual thread"));
        }
        if (platformCount > 0) {
            counts.add(count(platformCount, "platform thread"));
        }
        StringBuilder b = new StringBuilder();
        b.append(String.join(" and ", counts)).append(" still running ").append(graceMillis)
                .append(" ms after ").append(ended).append(" ended:\n\n");
        b.append(goroutines);
        notShown(b, moreGoroutines, "goroutine", "goroutine ");
        for (ThreadDump.VirtualThread t : shown(f.threads())) {
            b.append("virtual thread #").append(t.tid()).append(" \"").append(t.name()).append("\" [")
                    .append(t.state().toLowerCase()).append("], not a goroutine (container ").append(t.container())
                    .append(")\n");
            for (String frame : t.stack()) {
                b.append("    at ").append(frame).append('\n');
            }
            b.append('\n');
        }
        notShown(b, f.threads().stream().skip(SHOWN).map(ThreadDump.VirtualThread::tid).toList(), "virtual thread", "#");
        b.append(platform);
        notShown(b, morePlatform, "platform thread", "#");
        for (String note : f.notes()) {
            b.append("note: ").append(note).append('\n');
        }
        return b.toString();
    }

    /** {@return the first {@link #SHOWN} of {@code all}, which the report shows in full (LK29)} */
    private static <T> List<T> shown(List<T> all) {
        return all.size() <= SHOWN ? all : all.subList(0, SHOWN);
    }

    /** LK29: one line for those of a kind past the first {@link #SHOWN}: how many, and the range of their ids. */
    static void notShown(StringBuilder b, List<Long> ids, String what, String idPrefix) {
        if (ids.isEmpty()) {
            return;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long id : ids) {
            min = Math.min(min, id);
            max = Math.max(max, id);
        }
        b.append("... and ").append(count(ids.size(), "more " + what)).append(" not shown (").append(idPrefix)
                .append(min).append(" to ").append(idPrefix).append(max).append("): the first ").append(SHOWN)
                .append(" are shown in full (LK29)\n\n");
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
