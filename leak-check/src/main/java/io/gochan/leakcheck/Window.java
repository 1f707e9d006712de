package io.gochan.leakcheck;

import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One test's (or one test class's callbacks') run: the goroutine owner it runs inside (LK3), the
 * marks that tell what started after it began (LK5), and the other tests that ran at the same time.
 */
final class Window {
    enum Kind { TEST, CLASS }

    private static final AtomicLong SEQ = new AtomicLong();
    private static final ReentrantLock LOCK = new ReentrantLock();
    /** Every window's owner, while the owner is reachable: how a goroutine's owner is told to be a test. */
    private static final Map<GoroutineOwner, Window> BY_OWNER = Collections.synchronizedMap(new WeakHashMap<>());
    private static final Set<Window> RUNNING_TESTS = new HashSet<>(); // guarded by LOCK
    /** LK14: the class windows open now; each learns of every window inside it that ends while it is open. */
    private static final Set<Window> OPEN_CLASSES = new HashSet<>(); // guarded by LOCK
    private static final Runnable NOTHING = () -> { };

    final String name;
    final Kind kind;
    final GoroutineOwner owner;
    final long startSeq;
    final long goroutineMark;
    final long threadMark;
    /**
     * LK13, LK15: the tasks the common pool's workers were already running when the window began, each known by its
     * worker and its entry (the frames from the bottom of the stack up to the first of user code).
     */
    final Map<Thread, List<String>> busyCommonWorkers;
    /** LK53: the child processes alive when a test began (none for a class's window, or with no reaper thread). */
    final Set<Long> children;
    /** The window of the class enclosing this one's class or test (LK14), or null. */
    final Window parent;
    /** LK20: the test (a {@code @TestFactory}) whose dynamic test this window is, or null. */
    final Window container;
    /**
     * LK14: the marks of the windows that ended inside this class window (its tests', its nested classes'; not another
     * class's that ran in parallel), not the windows, which would keep their owners reachable until the class ends.
     */
    private final List<Marks> endedInside = new ArrayList<>(); // guarded by LOCK

    /** A window's thread and goroutine marks, at its start and end. */
    private record Marks(long threadMark, long threadEndMark, long goroutineMark, long goroutineEndMark) {}
    /** The thread and goroutine marks taken when the window ended. */
    volatile long threadEndMark = Long.MAX_VALUE;
    volatile long goroutineEndMark = Long.MAX_VALUE;
    private final Thread thread;
    private final GoroutineOwner.Scope scope;
    private final Set<String> overlapped = new TreeSet<>(); // guarded by LOCK
    private volatile long endSeq = Long.MAX_VALUE;

    private Window(String name, Kind kind, Window parent, Long threadMark, Window container) {
        this.name = name;
        this.kind = kind;
        this.parent = parent;
        this.container = container;
        this.owner = Goroutines.owner(name);
        this.thread = Thread.currentThread();
        this.goroutineMark = Goroutines.startedCount();
        this.threadMark = threadMark != null ? threadMark : newThreadId();
        this.startSeq = SEQ.incrementAndGet();
        this.busyCommonWorkers = kind == Kind.TEST ? PlatformThreads.busyCommonPoolWorkers() : Map.of();
        this.children = kind == Kind.TEST ? JdkProcesses.children() : Set.of();
        BY_OWNER.put(owner, this);
        this.scope = owner.enter();
    }

    /**
     * Opens a window on the calling thread: from now on, what this thread starts is attributed to it.
     *
     * @param parent the window of the enclosing class (LK14), or null
     * @param threadMark the thread mark taken before the test's instance was constructed (LK14), or null for now
     * @param container the test whose dynamic test this window is (LK20), or null
     */
    static Window open(String name, Kind kind, Window parent, Long threadMark, Window container) {
        Window w = new Window(name, kind, parent, threadMark, container);
        LOCK.lock();
        try {
            if (kind == Kind.TEST) {
                for (Window other : RUNNING_TESTS) {
                    if (other == container || other.container == w) {
                        continue; // LK20: a factory does not run "in parallel" with its own dynamic tests
                    }
                    other.overlapped.add(name);
                    w.overlapped.add(other.name);
                }
                RUNNING_TESTS.add(w);
            } else {
                // LK14: a test cannot enclose a class, so every running test ran beside this class (parallel execution)
                for (Window other : RUNNING_TESTS) {
                    other.overlapped.add(name);
                    w.overlapped.add(other.name);
                }
            }
            // LK14: a class open now that does not enclose this window ran beside it: a thread it makes has an id in
            // both ranges, and each that reports it names the other.
            for (Window c : OPEN_CLASSES) {
                if (!w.encloses(c)) {
                    c.overlapped.add(name);
                    w.overlapped.add(c.name);
                }
            }
            if (kind == Kind.CLASS) {
                OPEN_CLASSES.add(w);
            }
        } finally {
            LOCK.unlock();
        }
        return w;
    }

    /**
     * Ends the window: what the thread starts from now on is not the test's. Its owner stays open
     * until {@link #close()} (after the check), so that reports show it as the test, not a closed owner.
     */
    void end() {
        threadEndMark = newThreadId();
        goroutineEndMark = Goroutines.startedCount();
        endSeq = SEQ.incrementAndGet();
        LOCK.lock();
        try {
            RUNNING_TESTS.remove(this);
            OPEN_CLASSES.remove(this);
            Marks marks = new Marks(threadMark, threadEndMark, goroutineMark, goroutineEndMark);
            // LK14: only the classes enclosing this window leave its range to it; another class running in parallel
            // still judges what was created in its range while this window ran (both report it, naming each other).
            for (Window c = parent; c != null; c = c.parent) {
                if (OPEN_CLASSES.contains(c)) {
                    c.endedInside.add(marks);
                }
            }
            if (container != null) {
                container.endedInside.add(marks); // LK20: the dynamic test is judged itself, not its factory
            }
            if (kind == Kind.CLASS) {
                // LK14: what is still running now and is not an enclosing class ran beside this class (parallel
                // execution): a thread it started while this class was open is in this class's id range too.
                for (Window other : RUNNING_TESTS) {
                    overlapped.add(other.name);
                }
                for (Window other : OPEN_CLASSES) {
                    if (!encloses(other)) {
                        overlapped.add(other.name);
                    }
                }
            }
        } finally {
            LOCK.unlock();
        }
        if (Thread.currentThread() == thread) {
            scope.close();
        }
    }

    /** {@return whether {@code other} is a class window enclosing this one} */
    private boolean encloses(Window other) {
        for (Window p = parent; p != null; p = p.parent) {
            if (p == other) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@return whether the thread with id {@code tid} was created while this window ran} For a class window
     * (LK14), only while its own callbacks ran: not while a window that ended inside it ran (its tests, its
     * nested classes, which are judged themselves).
     */
    boolean created(long tid) {
        if (tid <= threadMark || tid >= threadEndMark) {
            return false;
        }
        for (Marks w : endedInside()) {
            if (tid >= w.threadMark() && tid <= w.threadEndMark()) {
                return false;
            }
        }
        return true;
    }

    /**
     * LK20: {@return whether the thread with id {@code tid} was created while a window that ended inside this one ran (a
     * dynamic test of this factory), which judges it}
     */
    boolean createdInside(long tid) {
        for (Marks w : endedInside()) {
            if (tid >= w.threadMark() && tid <= w.threadEndMark()) {
                return true;
            }
        }
        return false;
    }

    /** LK20: {@return whether the goroutine with id {@code gid} was started while a window that ended inside this one ran} */
    boolean startedInside(long gid) {
        for (Marks w : endedInside()) {
            if (gid > w.goroutineMark() && gid <= w.goroutineEndMark()) {
                return true;
            }
        }
        return false;
    }

    /**
     * LK17: {@return whether the goroutine with id {@code gid} was started while this window ran} For a class
     * window, only while its own callbacks ran, not while a window that ended inside it ran (as {@link #created}).
     *
     * @param endMark the goroutine mark at the window's end, or at the check if it has not ended
     */
    boolean started(long gid, long endMark) {
        if (gid <= goroutineMark || gid > Math.min(endMark, goroutineEndMark)) {
            return false;
        }
        for (Marks w : endedInside()) {
            if (gid > w.goroutineMark() && gid <= w.goroutineEndMark()) {
                return false;
            }
        }
        return true;
    }

    /**
     * LK9, LK14: {@return about how many threads other than goroutines a class window's own callbacks created} The
     * ids of the window's range outside the windows that ended inside it, less the goroutines started outside them
     * (a goroutine is one thread): more than zero means one may be a virtual thread that only a dump lists.
     */
    long threadsOtherThanGoroutinesCreatedOutsideChildren() {
        List<Marks> inside = endedInside();
        long threads = threadEndMark - threadMark - 1;
        long goroutines = goroutineEndMark - goroutineMark;
        List<long[]> ids = new ArrayList<>();
        List<long[]> gids = new ArrayList<>();
        for (Marks w : inside) {
            ids.add(new long[] {Math.max(w.threadMark(), threadMark + 1), Math.min(w.threadEndMark(), threadEndMark - 1)});
            gids.add(new long[] {Math.max(w.goroutineMark() + 1, goroutineMark + 1), Math.min(w.goroutineEndMark(), goroutineEndMark)});
        }
        return threads - covered(ids) - (goroutines - covered(gids));
    }

    /** {@return how many integers the closed ranges cover together} */
    private static long covered(List<long[]> ranges) {
        ranges.sort(java.util.Comparator.comparingLong(r -> r[0]));
        long n = 0;
        long end = Long.MIN_VALUE;
        for (long[] r : ranges) {
            long from = Math.max(r[0], end + 1);
            if (r[1] >= from) {
                n += r[1] - from + 1;
                end = r[1];
            }
        }
        return n;
    }

    private List<Marks> endedInside() {
        LOCK.lock();
        try {
            return List.copyOf(endedInside);
        } finally {
            LOCK.unlock();
        }
    }

    /** Closes the window's owner, once the check is done. */
    void close() {
        owner.close();
    }

    /**
     * {@return how many platform threads created while the window ran are alive: created after the
     * window began and before {@code endMark}} Reads thread ids only, no stacks.
     */
    long platformThreadsCreatedBefore(long endMark) {
        long n = 0;
        for (long id : java.lang.management.ManagementFactory.getThreadMXBean().getAllThreadIds()) {
            if (id > threadMark && id < endMark && created(id)) {
                n++;
            }
        }
        return n;
    }

    /** {@return whether this window ended before {@code other} began} */
    boolean endedBefore(Window other) {
        return endSeq < other.startSeq;
    }

    /** {@return the tests that ran while this one ran, by name} */
    Set<String> overlapped() {
        LOCK.lock();
        try {
            return Set.copyOf(overlapped);
        } finally {
            LOCK.unlock();
        }
    }

    /** {@return the window whose owner {@code o} is, or null if {@code o} is not a window's owner} */
    static Window of(GoroutineOwner o) {
        return BY_OWNER.get(o);
    }

    /**
     * {@return the id the next thread will get, about: thread ids are handed out in creation order, so
     * every thread with a larger id was created later} Costs one unstarted thread object.
     */
    static long newThreadId() {
        return Thread.ofVirtual().inheritInheritableThreadLocals(false).unstarted(NOTHING).threadId();
    }
}
