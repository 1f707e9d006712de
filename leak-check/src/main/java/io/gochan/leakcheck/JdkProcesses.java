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
 * thread would be. The pool's threads outlive their children and are reused, so a reaper is judged by the child it waits
 * for, not by when it was made: a child waited for when the test began is not the test's.
 */
final class JdkProcesses {
    private static final Pattern REAPER = Pattern.compile("process reaper \\(pid (\\d+)\\)");
    private static final String INNOCUOUS = "jdk.internal.misc.InnocuousThread";

    private JdkProcesses() {}

    /** A reaper and the child it waits for. */
    record Waited(Thread reaper, long pid) {}

    /**
     * {@return the children the JDK's reapers wait for now} Cheap: it lists the platform threads, without their stacks,
     * which a test's start can afford.
     */
    static Set<Long> waitedPids() {
        Set<Long> pids = new HashSet<>();
        for (Waited w : waited()) {
            pids.add(w.pid());
        }
        return pids;
    }

    /** {@return the reapers that wait for a child now, and the children's pids} */
    static List<Waited> waited() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n = root.enumerate(threads, true);
        List<Waited> found = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = threads[i];
            pid(t).ifPresent(pid -> found.add(new Waited(t, pid)));
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
        return "the JDK's reaper of child process " + pid + command + ", started while " + ran + " and still running:"
                + " end it (process.destroy(), then waitFor()) or wait for it before the test ends (LK53)";
    }
}
