package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.Goroutines;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/** The failure message of a check: one block per goroutine, virtual thread and platform thread, as in Go's dump. */
final class Report {
    /**
     * LK29: how many goroutines, virtual threads and platform threads (each kind) a report shows in full, with their
     * stacks; the rest are counted on one line. A test that left ten thousand goroutines made a message of about 180 MB
     * (each goroutine's stack and start site), which JUnit keeps, and the runner writes to its reports, whole.
     */
    static final int SHOWN = 50;

    /** Writes one of a kind in full; returns false, having written nothing, if it has ended (LK30). */
    @FunctionalInterface
    private interface Writer<T> {
        boolean write(T one, StringBuilder b);
    }

    /**
     * How a report writes one kind of what a check found, for {@link #section}: what it is called, the prefix of its
     * ids, how one is written in full, whether one past the first {@link #SHOWN} is still running, and its id.
     */
    private record Kind<T>(String what, String idPrefix, Writer<T> writer, Predicate<T> running, ToLongFunction<T> id) {}

    private static final Kind<Goroutine> GOROUTINES = new Kind<>("goroutine", "goroutine ", (g, b) -> {
        StringBuilder one = new StringBuilder();
        Goroutines.describe(g, one); // reads its state: once it says terminated, isAlive() says so too
        if (!g.isAlive()) {
            return false;
        }
        b.append(one);
        return true;
    }, Goroutine::isAlive, Goroutine::id);

    /** A dump's virtual thread has no state to read again: each is written as the dump saw it. */
    private static final Kind<ThreadDump.VirtualThread> VIRTUAL_THREADS = new Kind<>("virtual thread", "#", (t, b) -> {
        b.append("virtual thread #").append(t.tid()).append(" \"").append(t.name()).append("\" [")
                .append(t.state().toLowerCase()).append("], not a goroutine (container ").append(t.container())
                .append(")\n");
        for (String frame : t.stack()) {
            b.append("    at ").append(frame).append('\n');
        }
        b.append('\n');
        return true;
    }, t -> true, ThreadDump.VirtualThread::tid);

    private static final Kind<PlatformThreads.Suspect> PLATFORM_THREADS = new Kind<>("platform thread", "#", (p, b) -> {
        Thread t = p.thread();
        Thread.State state = t.getState(); // read once: the state written is the one that let it in
        if (state == Thread.State.TERMINATED) {
            return false;
        }
        b.append("platform thread #").append(t.threadId()).append(" \"").append(t.getName()).append("\" [")
                .append(state.toString().toLowerCase()).append(t.isDaemon() ? ", daemon" : "").append("]")
                .append(p.commonPoolTask() ? ", running a task of the common pool the test left running (LK13)" : "").append('\n');
        if (!p.role().isEmpty()) {
            b.append("    (").append(p.role()).append(")\n"); // LK39: what it is and how to end it, above its stack
        }
        for (String frame : p.stack()) {
            b.append("    at ").append(frame).append('\n');
        }
        b.append('\n');
        return true;
    }, p -> p.thread().getState() != Thread.State.TERMINATED, p -> p.thread().threadId());

    private Report() {}

    /**
     * {@return the failure message for what a check found, or null if all of it ended meanwhile} LK30: a goroutine or
     * platform thread that ended after the check's last look, before it was described here, is left out (it is not
     * "still running"): its state is read as it is described, and one described as terminated is dropped.
     */
    static String of(Judge.Finding f, long graceMillis, String ended) {
        StringBuilder goroutines = new StringBuilder();
        int goroutineCount = goroutines(goroutines, f.goroutines());
        StringBuilder threads = new StringBuilder();
        int threadCount = section(threads, f.threads(), VIRTUAL_THREADS);
        StringBuilder platform = new StringBuilder();
        int platformCount = section(platform, f.platform(), PLATFORM_THREADS);
        if (goroutineCount == 0 && threadCount == 0 && platformCount == 0) {
            return null;
        }
        List<String> counts = new ArrayList<>();
        if (goroutineCount > 0) {
            counts.add(count(goroutineCount, "goroutine"));
        }
        if (threadCount > 0) {
            counts.add(count(threadCount, "virtual thread"));
        }
        if (platformCount > 0) {
            counts.add(count(platformCount, "platform thread"));
        }
        StringBuilder b = new StringBuilder();
        b.append(String.join(" and ", counts)).append(" still running ").append(graceMillis)
                .append(" ms after ").append(ended).append(" ended:\n\n");
        b.append(goroutines).append(threads).append(platform);
        for (String note : f.notes()) {
            b.append("note: ").append(note).append('\n');
        }
        return b.toString();
    }

    /**
     * The goroutines' part of a report, the check's ({@link #of}) and {@link LeakFinder#report}'s alike (LK29-LK31):
     * see {@link #section}.
     *
     * @return how many of {@code all} are still running
     */
    static int goroutines(StringBuilder b, List<Goroutine> all) {
        return section(b, all, GOROUTINES);
    }

    /**
     * LK29, LK30: writes one kind's part of a report to {@code b}: the first {@link #SHOWN} of {@code all} that are
     * still running, in full, then one line counting the rest still running, with the range of their ids. One that
     * ended after the check's last look is left out: among the first it gives its place to the next, past them it is
     * not counted.
     *
     * @return how many of {@code all} are still running
     */
    private static <T> int section(StringBuilder b, List<T> all, Kind<T> kind) {
        int shown = 0;
        List<Long> more = new ArrayList<>();
        for (T one : all) {
            if (shown < SHOWN) {
                if (kind.writer().write(one, b)) {
                    shown++;
                }
            } else if (kind.running().test(one)) {
                more.add(kind.id().applyAsLong(one));
            }
        }
        notShown(b, more, kind.what(), kind.idPrefix());
        return shown + more.size();
    }

    /** LK29: one line for those of a kind past the first {@link #SHOWN}: how many, and the range of their ids. */
    private static void notShown(StringBuilder b, List<Long> ids, String what, String idPrefix) {
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
