package io.gochan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The registry of live goroutines, and what happens to their uncaught exceptions.
 *
 * <p>{@link #live()} lists every goroutine started with {@link Go} whose task has not yet finished
 * (including reporting its exception). It is what leak checkers and {@link #dump()} read. Start-site
 * capture (where {@code go(...)} was called) is off by default because it costs a stack walk per
 * start; turn it on with {@link #setStartSiteCapture(boolean)} or the system property
 * {@code gochan.goroutine.startSites=true}.
 */
public final class Goroutines {
    /**
     * The handler set by {@link #setUncaughtExceptionHandler}, or null for the default
     * ({@link LogUncaught#INSTANCE}): so the default's class is loaded only when a goroutine first
     * fails or the handler is asked for, not on a fresh JVM's first {@code Go.go} (cold start, B8).
     */
    private static volatile BiConsumer<Goroutine, Throwable> handler;

    private Goroutines() {}

    /**
     * The live goroutines, oldest first, in an immutable list. Weakly consistent, as an iteration of a concurrent map
     * is, not one moment's picture (G16): every goroutine listed from before the call until after it is in the list;
     * one that starts or ends during the call may or may not be. So a goroutine that ended while the list was being
     * made may be listed beside one that started after it (two of an {@code ErrGroup} limited to one, EG7); a list
     * taken once nothing starts or ends (a test's end, a leak check) is exact. Go's own listing stops the world; this
     * one costs the goroutines that start and end meanwhile nothing.
     *
     * @return the live goroutines
     */
    public static List<Goroutine> live() {
        List<Goroutine> list = new ArrayList<>(Go.LIVE.values());
        if (Go.GC_LEAKS) {
            GcLeakTracking.addLive(list); // only those still reachable (LK10)
        }
        list.sort(Comparator.comparingLong(Goroutine::id));
        return List.copyOf(list);
    }

    /**
     * Creates an owner for goroutines (see {@link GoroutineOwner}): a long-lived object such as a
     * pool or a transport creates one, starts its goroutines with {@link GoroutineOwner#go(String, Task)},
     * and closes it once it has told them to end.
     *
     * @param name a name for reports (for example {@code "http-transport"})
     * @return a new, open owner
     */
    public static GoroutineOwner owner(String name) {
        return new GoroutineOwner(name);
    }

    /**
     * {@return how many goroutines were started since the JVM started (the id of the newest one); a
     * leak checker compares it with thread ids to tell whether any other thread was created}
     */
    public static long startedCount() {
        return Go.lastId();
    }

    /** {@return number of live goroutines} */
    public static int count() {
        return Go.GC_LEAKS ? live().size() : Go.LIVE.size();
    }

    /**
     * The goroutines the garbage collector found blocked forever (rule LK10): each was collected before it
     * ended, so nothing live could reach it any more, not even a channel it waited on. Reported only when
     * the JVM runs with {@code -Dgochan.goroutine.gcLeaks=true} and {@code -Djdk.trackAllThreads=false}
     * (otherwise the JDK holds every virtual thread and none is collected); then the registry holds
     * goroutines weakly, and a collection is noticed on the next call here, to {@link #live()}, or to a
     * goroutine start, after a GC ran. Each is also logged once, as a WARNING.
     *
     * @return every goroutine found so far, oldest report first; empty when the detection is off
     */
    public static List<CollectedGoroutine> collectedWhileBlocked() {
        return Go.GC_LEAKS ? GcLeakTracking.collected() : List.of();
    }

    /**
     * {@return whether the garbage-collector-based leak detection is on ({@code -Dgochan.goroutine.gcLeaks=true})}
     */
    public static boolean gcLeakDetection() {
        return Go.GC_LEAKS;
    }

    /**
     * {@return a readable dump of all live goroutines (like Go's on SIGQUIT): id, name, state, what
     * each is blocked on, its stack, and its start site if captured}
     */
    public static String dump() {
        StringBuilder b = new StringBuilder();
        for (Goroutine g : live()) {
            describe(g, b);
        }
        return b.toString();
    }

    /**
     * Appends one goroutine's description (used by {@link #dump()} and leak reports).
     *
     * @param g the goroutine to describe
     * @param b where the description is appended
     * @throws NullPointerException if g or b is null
     */
    public static void describe(Goroutine g, StringBuilder b) {
        Objects.requireNonNull(g, "g");
        Objects.requireNonNull(b, "b");
        Thread t = g.thread();
        b.append("goroutine ").append(g.id()).append(" \"").append(g.name()).append("\" [")
                .append(t.getState().toString().toLowerCase());
        // The blocker may be the caller's object (LockSupport.park(blocker), a FutureTask printing its Callable): its
        // text read so that a toString() that throws cannot fail the dump or a leak report (G17, as CH7).
        g.blockedOn().ifPresent(o -> b.append(", blocked on ").append(io.gochan.spi.SafeText.of(o)));
        b.append("]");
        g.owner().ifPresent(o -> b.append(" owned by \"").append(o.name()).append('"')
                .append(o.isOpen() ? "" : " (closed)")
                .append(g.ownerInherited() ? " (inherited by the thread that started it)" : ""));
        b.append('\n');
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("    at ").append(e).append('\n');
        }
        appendStartSite(g, b);
        b.append('\n');
    }

    /** Appends {@code g}'s start site, if captured, as {@link #describe} shows it (also in a bubble's deadlock dump, BB36). */
    static void appendStartSite(Goroutine g, StringBuilder b) {
        g.startSite().ifPresent(site -> {
            b.append("  started at:\n");
            for (StackTraceElement e : site) {
                b.append("    at ").append(e).append('\n');
            }
        });
    }

    /**
     * Turns start-site capture on or off for goroutines started from now on.
     *
     * @param on true to capture start sites from now on
     */
    public static void setStartSiteCapture(boolean on) {
        Go.startSites = on;
    }

    /** {@return whether start sites are being captured now} */
    public static boolean startSiteCapture() {
        return Go.startSites;
    }

    /**
     * Sets the process-wide handler for exceptions thrown by goroutine tasks. For a plain goroutine it
     * runs on the failing goroutine's thread, before the goroutine leaves the registry. A failure of a
     * goroutine of a virtual-time {@link Bubble} that {@link Bubble#run} reports does not reach it
     * (rule BB17). A failure that was
     * handed to a {@link GoFuture} or an {@link ErrGroup} reaches the handler only once nobody can observe it
     * any more (rule GF2): then it runs on the goroutine that ended after its handle was dropped, or, when the
     * handle was found garbage collected, on a goroutine of its own ({@code gochan-unobserved-failure}), never on the
     * cleaner's thread that watches every handle of the JVM, so a handler that blocks holds up only that report
     * (rule TM22).
     *
     * @param h the handler; null restores the default (which logs the failure through {@link System.Logger})
     * @return the previous handler
     */
    public static BiConsumer<Goroutine, Throwable> setUncaughtExceptionHandler(BiConsumer<Goroutine, Throwable> h) {
        BiConsumer<Goroutine, Throwable> old = handler;
        handler = h;
        return old != null ? old : LogUncaught.INSTANCE;
    }

    /**
     * The default handler: logs through System.Logger.
     *
     * @return the handler used when none was set
     */
    public static BiConsumer<Goroutine, Throwable> defaultUncaughtExceptionHandler() {
        return LogUncaught.INSTANCE;
    }

    /**
     * Logs through System.Logger: {@link Go#logUncaught}. A class rather than {@code Go::logUncaught},
     * and holding its own instance, so that a fresh JVM's first {@code Go.go} neither bootstraps a
     * lambda nor loads this class (cold start, B8).
     */
    private static final class LogUncaught implements BiConsumer<Goroutine, Throwable> {
        static final LogUncaught INSTANCE = new LogUncaught();

        @Override
        public void accept(Goroutine g, Throwable t) {
            Go.logUncaught(g, t);
        }
    }

    /**
     * Hands goroutine {@code g}'s failure {@code t} to the handler; if the handler throws, logs what it threw with
     * {@code t} attached, or, if that cannot keep {@code t} (made with suppression disabled), {@code t} on its own
     * first (rule G13).
     */
    static void report(Goroutine g, Throwable t) {
        BiConsumer<Goroutine, Throwable> h = handler;
        try {
            (h != null ? h : LogUncaught.INSTANCE).accept(g, t);
        } catch (Throwable handlerFailure) {
            if (handlerFailure != t) { // a handler that rethrows, or the JVM's preallocated OutOfMemoryError
                handlerFailure.addSuppressed(t);
                if (handlerFailure.getSuppressed().length == 0) {
                    // Made with suppression disabled (a lightweight exception, an OutOfMemoryError the JVM had
                    // ready): it kept nothing, and the goroutine's failure would be lost with it (G13).
                    Go.logUncaught(g, t);
                }
            }
            Go.logUncaught(g, handlerFailure);
        }
    }
}
