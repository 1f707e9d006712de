package io.gochan.leakcheck;

import io.gochan.Goroutine;
import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Decides which live goroutines, virtual threads and platform threads are a window's leaks (LK3-LK8, LK11-LK15),
 * waiting up to the
 * grace period for them to end: goroutines are joined (so the wait ends as soon as they end), other
 * virtual threads, which cannot be joined by id, are looked for again with a growing pause (1 ms
 * doubling up to 100 ms) between thread dumps. With functions to ignore by stack, a goroutine also
 * stops counting when it parks in one of them, so it is joined in slices growing the same way.
 */
final class Judge {
    /** What a window leaves running. */
    record Finding(List<Goroutine> goroutines, List<ThreadDump.VirtualThread> threads,
            List<PlatformThreads.Suspect> platform, Set<String> notes) {
        boolean isEmpty() {
            return goroutines.isEmpty() && threads.isEmpty() && platform.isEmpty();
        }
    }

    /**
     * BY_START (LK17): the goroutine's owner is a window's only because the thread that started it (or its inherited
     * root's) was created under it: it is the leak of whichever window ran when that root started.
     */
    private enum Verdict { MINE, NOT_MINE, UNATTRIBUTED, BY_START }

    private static final System.Logger LOG = System.getLogger(Judge.class.getName());
    private static final long MAX_PAUSE = TimeUnit.MILLISECONDS.toNanos(100);

    private final Window window;
    private final Config config;
    private final long goroutineEndMark;
    private final long threadEndMark;
    private boolean dumpNeeded;
    private final boolean checkPlatform;
    /** Whether a goroutine or thread can be excused by the functions on its stack (LK7). */
    private final boolean byStack;
    /** Whether this check has asked for a garbage collection, for a cleaner's thread (LK52). */
    private boolean collected;
    /** How many thread dumps this check took (for the cost tests). */
    int dumps;

    /**
     * LK21: what is reported when JUnit runs tests in parallel and the finding carries no owner of the window's own
     * (tests without the check are not known: no window lists them as having run beside this one).
     */
    static final String PARALLEL_NOTE = "JUnit ran tests in parallel, and tests without @NoGoroutineLeaks are not known to"
            + " the check: what is reported here without this %s's own owner (a goroutine started outside any owner or by a"
            + " thread that only inherited one, a virtual or platform thread) is judged by when it started or was created,"
            + " and may have been started by one of them (LK21)";

    private final boolean parallel;

    /**
     * Tests only (LK30): run, when not null, with what a check found, after its last look and before the report is
     * written, so that a test can end goroutines and threads exactly there rather than at a time it guesses. Package
     * private, and Judge is not public: no user can set it.
     */
    static volatile Consumer<Finding> afterLastLook;

    /**
     * @param parallel whether JUnit runs tests in parallel ({@code junit.jupiter.execution.parallel.enabled}, LK21)
     */
    Judge(Window window, Config config, boolean parallel) {
        this.window = window;
        this.config = config;
        this.parallel = parallel;
        this.goroutineEndMark = Goroutines.startedCount();
        this.threadEndMark = window.threadEndMark == Long.MAX_VALUE ? Window.newThreadId() : window.threadEndMark;
        long threadsCreated = threadEndMark - window.threadMark - 1;
        long goroutinesCreated = goroutineEndMark - window.goroutineMark;
        // LK9: each goroutine is one thread, so more threads than goroutines and live platform threads
        // (a carrier, a pool's worker: listed without a dump) means a virtual thread that is not a
        // goroutine was created (this test's, or one running in parallel): only then is a dump worth
        // its cost. A platform thread that came and went while the test ran costs one needless dump.
        // LK14: a class window counts only what its own callbacks created, outside its tests' windows.
        boolean test = window.kind == Window.Kind.TEST;
        boolean check = config.virtualThreads();
        this.checkPlatform = config.platformThreads();
        this.byStack = !config.ignoreTopFunction().isEmpty() || !config.ignoreAnyFunction().isEmpty();
        long others = test ? threadsCreated - goroutinesCreated : window.threadsOtherThanGoroutinesCreatedOutsideChildren();
        this.dumpNeeded = check && (test && !config.ignoreCurrent()
                || others > 0 && others > window.platformThreadsCreatedBefore(threadEndMark));
    }

    /**
     * Waits up to the grace period for the window's goroutines, virtual threads and (if checked) platform
     * threads to end.
     *
     * @return those still running, and notes for the report
     * @throws InterruptedException if interrupted while waiting
     */
    Finding await() throws InterruptedException {
        // Saturating, time left counted from the start (I7): graceMillis = Long.MAX_VALUE threw
        // ArithmeticException from Duration.toNanos(), even for a test that left nothing running.
        long graceNanos = Math.max(0L, TimeUnit.NANOSECONDS.convert(config.grace())); // negative: no wait, and no wrap below
        long start = System.nanoTime();
        long pause = TimeUnit.MILLISECONDS.toNanos(1);
        while (true) {
            Set<String> notes = new LinkedHashSet<>();
            List<Goroutine> goroutines = goroutines(notes);
            long left = graceNanos - (System.nanoTime() - start);
            if (!goroutines.isEmpty() && left > 0) {
                if (!byStack) {
                    LeakFinder.joinInRealTime(goroutines.get(0), left); // real time, never a bubble's clock (LK28)
                    continue;
                }
                // A goroutine can stop counting without ending, once it parks in an ignored function: a
                // join until the grace period ends would notice that only then (a check begun before the
                // goroutine got there lasted the whole grace period), so join in growing slices.
                LeakFinder.joinInRealTime(goroutines.get(0), Math.min(pause, left));
                pause = Math.min(pause * 2, MAX_PAUSE);
                continue;
            }
            List<PlatformThreads.Suspect> platform = platformThreads(notes);
            left = graceNanos - (System.nanoTime() - start);
            if (!platform.isEmpty() && left > 0) {
                if (!collected && platform.stream().anyMatch(p -> JdkCleaners.isCleanerThread(p.thread(), Frames.functions(
                        p.thread().getStackTrace())))) {
                    // LK52: a cleaner the test dropped ends only once it is collected; ask once, not at every look.
                    collected = true;
                    System.gc();
                }
                platform.get(0).thread().join(java.time.Duration.ofNanos(Math.min(pause, left))); // LK11
                pause = Math.min(pause * 2, MAX_PAUSE);
                continue;
            }
            List<ThreadDump.VirtualThread> threads = dumpNeeded ? virtualThreads(notes) : List.of();
            left = graceNanos - (System.nanoTime() - start);
            if (threads.isEmpty() || left <= 0) {
                Finding found = new Finding(goroutines, threads, platform, notes);
                Consumer<Finding> hook = afterLastLook;
                if (hook != null) {
                    hook.accept(found);
                }
                return found;
            }
            LockSupport.parkNanos(Math.min(pause, left));
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for the test's virtual threads to end");
            }
            pause = Math.min(pause * 2, MAX_PAUSE);
        }
    }

    private List<Goroutine> goroutines(Set<String> notes) {
        List<Goroutine> found = new ArrayList<>();
        for (Goroutine g : Goroutines.live()) {
            if (!g.isAlive()) {
                continue;
            }
            Verdict v = verdict(g);
            // An unattributed goroutine is judged by when it started (LK5): during the test, not after it.
            boolean mine = v == Verdict.MINE
                    || v == Verdict.UNATTRIBUTED && window.kind == Window.Kind.TEST && g.id() <= goroutineEndMark
                            && (!config.ignoreCurrent() || g.id() > window.goroutineMark) && !window.startedInside(g.id())
                    || v == Verdict.BY_START && window.started(g.ownerInheritedRoot(), goroutineEndMark);
            if (!mine || ignored(g)) {
                continue;
            }
            found.add(g);
            if (v == Verdict.BY_START) {
                notes.add(inheritedNote(g));
                parallelNote(notes);
            }
            GoroutineOwner o = g.owner().orElse(null);
            if (v == Verdict.MINE && o != null && o != window.owner && o.isOpen()) { // not an owner it only ran beside (LK17)
                notes.add("owner \"" + o.name() + "\" was created by this " + what() + " and is still open: close it when done"
                        + " (an owner made in @BeforeAll and closed in @AfterAll is the class's, not a test's)");
            }
            if (v == Verdict.UNATTRIBUTED) {
                overlapNote(notes, "goroutine " + g.id() + " was started outside any goroutine owner");
            }
        }
        return found;
    }

    /**
     * LK11: the platform threads created while the test ran that are still alive, unless the runtime's own
     * or excused; the stacks are taken only if the thread ids say such a thread is alive.
     */
    private List<PlatformThreads.Suspect> platformThreads(Set<String> notes) {
        if (!checkPlatform) {
            return List.of();
        }
        PlatformThreads.Ignore excused = (name, functions) -> Config.anyMatches(config.allow(), name) || ignoredByFunctions(functions);
        // LK13: a task still running on the common pool, whose workers are the runtime's and often older than the test
        // (a class's callbacks are not checked for them: such a task carries nothing that tells it from a test's).
        List<PlatformThreads.Suspect> found = window.kind == Window.Kind.TEST
                ? new ArrayList<>(PlatformThreads.commonPoolTasks(window.busyCommonWorkers, excused)) : new ArrayList<>();
        if (window.kind == Window.Kind.TEST) {
            // LK53: a child process the test started and left running; its reaper is the JDK's, and maybe older.
            for (JdkProcesses.Waited w : JdkProcesses.startedSince(window.children)) {
                if (!excused.test(w.reaper().getName(), List.of())) {
                    found.add(new PlatformThreads.Suspect(w.reaper(), PlatformThreads.lines(w.reaper().getStackTrace()), false,
                            JdkProcesses.role(w.pid(), "the test ran")));
                }
            }
        }
        if (window.platformThreadsCreatedBefore(threadEndMark) > 0) {
            for (PlatformThreads.Suspect p : PlatformThreads.createdBetween(window.threadMark, threadEndMark, excused,
                // LK41: a class's server was started by its own callbacks, not by a test, and the report says so.
                window.kind == Window.Kind.TEST ? "the test ran" : "the test class's @BeforeAll or @AfterAll methods ran")) {
                if (window.created(p.thread().threadId())) { // LK14, LK20: not its tests', not its dynamic tests'
                    found.add(p);
                }
            }
        }
        if (!found.isEmpty()) {
            overlapNote(notes, "platform threads carry no attribution the check can read");
        }
        return found;
    }

    private List<ThreadDump.VirtualThread> virtualThreads(Set<String> notes) {
        Set<Long> goroutineThreads = goroutineThreadIds();
        List<ThreadDump.VirtualThread> dumped;
        try {
            dumped = ThreadDump.virtualThreads();
            dumps++;
        } catch (UncheckedIOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.WARNING, "leak check: cannot list virtual threads, checking goroutines only", e);
            dumpNeeded = false;
            return List.of();
        }
        goroutineThreads.addAll(goroutineThreadIds()); // a goroutine started during the dump is one too
        List<ThreadDump.VirtualThread> found = new ArrayList<>();
        for (ThreadDump.VirtualThread t : dumped) {
            boolean duringWindow = window.kind == Window.Kind.CLASS ? window.created(t.tid()) // LK14: not its tests'
                    : (!config.ignoreCurrent() || t.tid() > window.threadMark) && t.tid() < threadEndMark
                            && !window.createdInside(t.tid()); // LK20: not its dynamic tests'
            if (!duringWindow || goroutineThreads.contains(t.tid()) || ignored(t)) {
                continue;
            }
            found.add(t);
            overlapNote(notes, "virtual threads carry no attribution the check can read");
        }
        return found;
    }

    /**
     * LK17: what is known of a goroutine judged by when it started: the thread's owner says who made the thread,
     * not who handed it the task, and with tests in parallel the check cannot tell which of them did.
     */
    private String inheritedNote(Goroutine g) {
        long root = g.ownerInheritedRoot();
        String b = "goroutine " + g.id() + (root == g.id() ? " was" : " descends from goroutine " + root + ", which was")
                + " started while this " + what() + " ran, by a thread that carries the owner \""
                + g.owner().map(GoroutineOwner::name).orElse("") + "\" only because it was created under that owner"
                + " (a pool's worker, say), so it is judged by when that goroutine started (LK17)";
        Set<String> others = window.overlapped();
        if (others.isEmpty()) {
            return b;
        }
        return b + "; this " + what() + " ran in parallel with " + String.join(", ", others) + ", and which of them handed"
                + " that thread the task is not known: each that ran when it started reports it (LK18)";
    }

    private void overlapNote(Set<String> notes, String why) {
        Set<String> others = window.overlapped();
        if (!others.isEmpty()) {
            notes.add("this " + what() + " ran in parallel with " + String.join(", ", others) + " and " + why
                    + ": it may be theirs (LK6)");
        }
        parallelNote(notes);
    }

    /** LK21: the tests that ran beside this one are listed only if they were checked too; say so, once. */
    private void parallelNote(Set<String> notes) {
        if (parallel) {
            notes.add(String.format(PARALLEL_NOTE, what()));
        }
    }

    private static Set<Long> goroutineThreadIds() {
        Set<Long> ids = new HashSet<>();
        for (Goroutine g : Goroutines.live()) {
            ids.add(g.thread().threadId());
        }
        return ids;
    }

    /** LK3, LK4: whose leak a goroutine would be, from this window's point of view. */
    private Verdict verdict(Goroutine g) {
        GoroutineOwner o = g.owner().orElse(null);
        if (o == null) {
            return Verdict.UNATTRIBUTED;
        }
        Window carried = g.ownerInherited() ? Window.of(o) : null;
        if (carried != null) {
            // LK17: its thread was merely created under a test's or class's owner (a pool made in @BeforeAll, or
            // by another test) and runs whatever it is handed: who handed it the task, the JDK does not record.
            // With ignoreCurrent = false, an ended test's owner counts as none, as below (LK5).
            return !config.ignoreCurrent() && carried.endedBefore(window) ? Verdict.UNATTRIBUTED : Verdict.BY_START;
        }
        for (int depth = 0; depth < 64; depth++) {
            Window w = Window.of(o);
            if (w != null) {
                if (w == window) {
                    return Verdict.MINE;
                }
                // A test that ended before this one began was judged already: a thread that merely
                // inherited its owner (a pooled thread made during that test) starts unattributed work.
                return w.endedBefore(window) ? Verdict.UNATTRIBUTED : Verdict.NOT_MINE;
            }
            GoroutineOwner next = o.isOpen() ? null : o.closedIn().orElse(null); // whoever closed it answers for the rest
            if (next == null || next == o) {
                next = o.createdIn().orElse(null); // whoever made it must close it
            }
            if (next == null || next == o) {
                return Verdict.NOT_MINE; // a long-lived owner made, or closed, outside any test
            }
            o = next;
        }
        return Verdict.NOT_MINE;
    }

    private boolean ignored(Goroutine g) {
        if (Config.anyMatches(config.allow(), g.name())) {
            return true;
        }
        if (g.owner().map(o -> Config.anyMatches(config.ignoreOwners(), o.name())).orElse(false)) {
            return true;
        }
        if (!config.ignoreCreatedBy().isEmpty()) {
            String creator = g.startSite().map(s -> Frames.top(Frames.functions(s))).orElse("");
            if (Config.anyMatches(config.ignoreCreatedBy(), creator)) {
                return true;
            }
        }
        // LK30: a stack only when a function could excuse it: taken for each of the window's goroutines at each look,
        // it made a look at ten thousand goroutines last seconds, and what ended meanwhile was reported as running.
        return byStack && ignoredByFunctions(Frames.functions(g.thread().getStackTrace()));
    }

    private boolean ignored(ThreadDump.VirtualThread t) {
        List<String> functions = Frames.functions(t.stack());
        // LK27: a bubble's driver ends before its Bubble.run returns; while it runs, that run's caller and the bubble's
        // goroutines, which the check judges, are what keeps it: it is never a leak of its own.
        return Frames.isJdkInternal(functions) || Frames.isBubbleDriver(functions) || Config.anyMatches(config.allow(), t.name())
                || ignoredByFunctions(functions);
    }

    private boolean ignoredByFunctions(List<String> functions) {
        if (Config.anyMatches(config.ignoreTopFunction(), Frames.top(functions))) {
            return true;
        }
        for (String f : functions) {
            if (Config.anyMatches(config.ignoreAnyFunction(), f)) {
                return true;
            }
        }
        return false;
    }

    private String what() {
        return window.kind == Window.Kind.TEST ? "test" : "test class";
    }
}
