package io.gochan;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The opt-in garbage-collector-based leak detection (rule LK10, ADR 0012 amendment), on when the JVM
 * starts with {@code -Dgochan.goroutine.gcLeaks=true}. Then the goroutine registry holds goroutines
 * weakly: a goroutine stays registered only while something live can reach it (its running thread,
 * its {@link Goroutine} handle, a channel or queue its waiter is on that is itself reachable). A parked
 * virtual thread that nothing reaches is collected by the next GC, and with it its goroutine, whose
 * weak reference is then enqueued: if it had not ended, it was blocked forever, and it is reported.
 *
 * <p>It needs {@code -Djdk.trackAllThreads=false}: with the JDK's default every virtual thread is held
 * by its thread container, so none is ever collected (a warning says so once). That flag also hides
 * raw virtual threads from the JDK's thread dump, which the leak checker's LK6 relies on, hence opt-in.
 * Off (the default) it costs one read of a static final field per goroutine start and end
 * ({@link Go#GC_LEAKS}), and this class is never loaded.
 */
final class GcLeakTracking {
    private static final ReferenceQueue<Goroutine> QUEUE = new ReferenceQueue<>();
    private static final ConcurrentHashMap<Long, Tracked> TRACKED = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<CollectedGoroutine> COLLECTED = new ConcurrentLinkedQueue<>();
    private static final System.Logger LOG = System.getLogger(Goroutines.class.getName());
    private static final AtomicLong SCANS = new AtomicLong();
    private static volatile boolean warned;

    private GcLeakTracking() {}

    /** A goroutine's weak registration, with what is reported if it is collected before it ends. */
    private static final class Tracked extends WeakReference<Goroutine> {
        final long id;
        final String name;
        final Instant started;
        final StackTraceElement[] site;

        Tracked(Goroutine g) {
            super(g, QUEUE);
            this.id = g.id();
            this.name = g.name();
            this.started = g.startedAt();
            this.site = g.startSite().orElse(new StackTraceElement[0]);
        }
    }

    static void register(Goroutine g) {
        if (!warned && !"false".equals(System.getProperty("jdk.trackAllThreads"))) {
            warned = true;
            LOG.log(System.Logger.Level.WARNING, "gochan.goroutine.gcLeaks is on, but without -Djdk.trackAllThreads=false "
                    + "the JDK holds every virtual thread, so no leaked goroutine can ever be collected and reported");
        }
        // Only the queue: a scan of every registration per start would make n starts cost n^2 / 2 steps.
        // The queue announces every collection in time; the readers below also scan, for a GC just run.
        drainQueue();
        TRACKED.put(g.id(), new Tracked(g));
    }

    static void unregister(Goroutine g) {
        TRACKED.remove(g.id());
    }

    /** Adds the registered goroutines that are still reachable. */
    static void addLive(List<Goroutine> into) {
        drain();
        for (Tracked t : TRACKED.values()) {
            Goroutine g = t.get();
            if (g != null) {
                into.add(g);
            }
        }
    }

    static List<CollectedGoroutine> collected() {
        drain();
        return List.copyOf(new ArrayList<>(COLLECTED));
    }

    /**
     * Reports every goroutine collected while still registered: those the queue announced, and those
     * whose reference the GC has cleared but the JDK's reference handler has not enqueued yet (clearing
     * is part of the collection, enqueuing comes later on another thread), so a caller that just ran a
     * GC sees its result at once.
     */
    private static void drain() {
        drainQueue();
        SCANS.incrementAndGet();
        for (Tracked t : TRACKED.values()) {
            if (t.refersTo(null)) {
                report(t);
            }
        }
    }

    /** Reports the collected goroutines the queue has announced. */
    private static void drainQueue() {
        for (Object r; (r = QUEUE.poll()) != null; ) {
            report((Tracked) r);
        }
    }

    /** How many scans of every registration have run (for tests: a goroutine's start costs none, LK10). */
    static long scans() {
        return SCANS.get();
    }

    private static void report(Tracked t) {
        if (TRACKED.remove(t.id, t)) { // still registered: it never ended
            CollectedGoroutine c = new CollectedGoroutine(t.id, t.name, t.started, List.of(t.site));
            COLLECTED.add(c);
            LOG.log(System.Logger.Level.WARNING, c.toString());
        }
    }
}
