package io.gochan.leakcheck;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LK53: child processes a test started and left running, told by the JDK's process reapers. The JDK waits for each child
 * it starts ({@code ProcessBuilder.start()}, {@code Runtime.exec}) on a pooled thread of its own, an
 * {@code InnocuousThread} that it names {@code "process reaper (pid N)"} while it waits (JDK 25); the thread is the
 * runtime's (LK11), but the child it waits for is the test's: one still running when the test ends is its leak, as a
 * thread would be. The children are listed (a child alive at the test's end and not at its start is the test's)
 * whenever a reaper thread exists, so never in a JVM that started no process; the reapers are reused and rename
 * themselves only once they wait, so the child, not its reaper, is what is judged.
 */
final class JdkProcesses {
    private static final Pattern REAPER = Pattern.compile("process reaper \\(pid (\\d+)\\)");
    private static final String INNOCUOUS = "jdk.internal.misc.InnocuousThread";

    private JdkProcesses() {}

    /** A reaper and the child it waits for. */
    record Waited(Thread reaper, long pid) {}

    /**
     * {@return the children of this JVM alive now, or none at all if no JDK reaper thread exists} Every child the JDK
     * starts has a reaper waiting for it until it ends, and the reapers' pool keeps its threads a while after: with no
     * reaper thread there is no child, and the costly listing of the children (about a millisecond, a walk of the
     * system's processes) is skipped, which is what most tests get.
     */
    static Set<Long> children() {
        List<Thread> reapers = reapers();
        if (reapers.isEmpty()) {
            return Set.of();
        }
        Set<Long> pids = new HashSet<>();
        ProcessHandle.current().children().filter(ProcessHandle::isAlive).forEach(h -> pids.add(h.pid()));
        for (Thread r : reapers) {
            pid(r).ifPresent(pids::add); // a process that is no child, waited for through ProcessHandle.onExit()
        }
        return pids;
    }

    /**
     * {@return the children alive now that were not in {@code before}, each with the reaper that waits for it} A reaper
     * names itself after its child only once it has begun to wait, a moment after the child started: until then the
     * child is shown with a reaper of the pool that is not (yet) named after it.
     */
    static List<Waited> startedSince(Set<Long> before) {
        List<Thread> reapers = reapers();
        if (reapers.isEmpty()) {
            return List.of();
        }
        List<Waited> found = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        ProcessHandle.current().children().filter(h -> h.isAlive() && !before.contains(h.pid())).forEach(h -> {
            Thread reaper = reapers.get(0);
            for (Thread r : reapers) {
                if (pid(r).filter(p -> p == h.pid()).isPresent()) {
                    reaper = r;
                }
            }
            seen.add(h.pid());
            found.add(new Waited(reaper, h.pid()));
        });
        // A process that is no child of this JVM, which the test waits for (ProcessHandle.onExit()): its reaper names it.
        for (Thread r : reapers) {
            pid(r).filter(p -> !before.contains(p) && seen.add(p) && ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false))
                    .ifPresent(p -> found.add(new Waited(r, p)));
        }
        return found;
    }

    /** How long a judgement waits at most for a reaper that has been handed a process and not yet named itself. */
    private static final long SETTLE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    /**
     * {@return the JDK's process reaper threads alive now, once each has either named itself after its process or is
     * idle in its pool} The JDK hands a reaper its process ({@code ProcessBuilder.start()}, {@code onExit()}) as a pool
     * task that names the thread only when it runs: a moment later, and on a loaded machine long after the test that
     * asked returned. Judged in that moment, a process that is no child (told by its reaper's name alone) was missed,
     * and the test passed (LK53; seen on CI). So a reaper still under its pool's name and not idle in the pool (not
     * taking its next task) is waited for, parked, for at most {@link #SETTLE_NANOS}; with none such, nothing waits.
     */
    private static List<Thread> reapers() {
        long deadline = System.nanoTime() + SETTLE_NANOS;
        while (true) {
            List<Thread> reapers = listReapers();
            boolean starting = false;
            for (Thread r : reapers) {
                starting |= r.getName().equals("process reaper") && !idleInPool(r);
            }
            if (!starting || System.nanoTime() - deadline > 0) {
                return reapers;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
    }

    /**
     * Whether a reaper waits in its pool for its next task (or has ended): parked in {@code getTask}. One that is
     * runnable there may have just been handed a process (the pool hands a task to an idle worker by unparking it,
     * before it leaves {@code getTask}), so it is not idle yet.
     */
    private static boolean idleInPool(Thread r) {
        if (!r.isAlive()) {
            return true;
        }
        Thread.State state = r.getState();
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement f : r.getStackTrace()) {
            if (f.getClassName().equals("java.util.concurrent.ThreadPoolExecutor") && f.getMethodName().equals("getTask")) {
                return true;
            }
        }
        return false;
    }

    /** {@return the JDK's process reaper threads alive now, waiting for a child or idle in their pool} */
    private static List<Thread> listReapers() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n = root.enumerate(threads, true);
        List<Thread> found = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = threads[i];
            if (t.getClass().getName().equals(INNOCUOUS) && t.getName().startsWith("process reaper")) {
                found.add(t);
            }
        }
        return found;
    }

    /** {@return the child a JDK reaper thread waits for, or empty if the thread is not one waiting} */
    static Optional<Long> pid(Thread t) {
        if (!t.getClass().getName().equals(INNOCUOUS)) {
            return Optional.empty(); // a user's thread that takes the name is judged as any thread of the user's
        }
        Matcher m = REAPER.matcher(t.getName());
        return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    }

    /**
     * {@return what a reaper waits for, and how to end it, for the report}
     *
     * @param ran while what the child was started, {@code "the test ran"}
     */
    static String role(long pid, String ran) {
        String command = ProcessHandle.of(pid).flatMap(h -> h.info().commandLine().or(() -> h.info().command()))
                .map(c -> " (" + (c.length() > 200 ? c.substring(0, 200) + "..." : c) + ")").orElse("");
        boolean child = ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(p -> p.pid() == ProcessHandle.current().pid())
                .orElse(false);
        return child ? "the JDK's reaper of child process " + pid + command + ", started while " + ran + " and still running:"
                        + " end it (process.destroy(), then waitFor()) or wait for it before the test ends (LK53)"
                : "the JDK's reaper of process " + pid + command + ", no child of this JVM, waited for (ProcessHandle.onExit())"
                        + " since " + ran + " and still running: end it (ProcessHandle.destroy()) before the test ends (LK53)";
    }
}
