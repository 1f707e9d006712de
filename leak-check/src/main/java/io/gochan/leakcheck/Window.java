package io.gochan.leakcheck;

import io.gochan.GoroutineOwner;
import io.gochan.Goroutines;

import java.util.Collections;
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
    private static final Runnable NOTHING = () -> { };

    final String name;
    final Kind kind;
    final GoroutineOwner owner;
    final long startSeq;
    final long goroutineMark;
    final long threadMark;
    /** LK13: the common pool's workers already running a task when the window began (not its tasks). */
    final Set<Thread> busyCommonWorkers;
    private final Thread thread;
    private final GoroutineOwner.Scope scope;
    private final Set<String> overlapped = new TreeSet<>(); // guarded by LOCK
    private volatile long endSeq = Long.MAX_VALUE;

    private Window(String name, Kind kind) {
        this.name = name;
        this.kind = kind;
        this.owner = Goroutines.owner(name);
        this.thread = Thread.currentThread();
        this.goroutineMark = Goroutines.startedCount();
        this.threadMark = newThreadId();
        this.startSeq = SEQ.incrementAndGet();
        this.busyCommonWorkers = kind == Kind.TEST ? PlatformThreads.busyCommonPoolWorkers() : Set.of();
        BY_OWNER.put(owner, this);
        this.scope = owner.enter();
    }

    /** Opens a window on the calling thread: from now on, what this thread starts is attributed to it. */
    static Window open(String name, Kind kind) {
        Window w = new Window(name, kind);
        if (kind == Kind.TEST) {
            LOCK.lock();
            try {
                for (Window other : RUNNING_TESTS) {
                    other.overlapped.add(name);
                    w.overlapped.add(other.name);
                }
                RUNNING_TESTS.add(w);
            } finally {
                LOCK.unlock();
            }
        }
        return w;
    }

    /**
     * Ends the window: what the thread starts from now on is not the test's. Its owner stays open
     * until {@link #close()} (after the check), so that reports show it as the test, not a closed owner.
     */
    void end() {
        endSeq = SEQ.incrementAndGet();
        LOCK.lock();
        try {
            RUNNING_TESTS.remove(this);
        } finally {
            LOCK.unlock();
        }
        if (Thread.currentThread() == thread) {
            scope.close();
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
            if (id > threadMark && id < endMark) {
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
