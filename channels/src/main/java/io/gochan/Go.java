package io.gochan;

import io.gochan.jfr.GoroutineEvent;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts goroutines: Go's {@code go f()} as {@code Go.go(() -> f())}, on a new virtual thread.
 *
 * <pre>{@code
 * Chan<Integer> results = Chan.make();
 * Go.go("worker", () -> results.send(compute()));
 * int r = results.receive();
 * }</pre>
 *
 * <p>An exception thrown by a task is never lost: it goes to the handler set with
 * {@link Goroutines#setUncaughtExceptionHandler}, by default logged through {@link System.Logger}
 * (logger {@code io.gochan.Go}) at ERROR with the goroutine's name, or at DEBUG for an
 * {@link InterruptedException} (interrupting is how Java code stops a goroutine). Every goroutine is
 * listed by {@link Goroutines#live()} while it runs; starting and ending cost one map insertion and one
 * removal, and nothing is added to channel operations.
 */
public final class Go {
    private static final AtomicLong IDS = new AtomicLong();

    private Go() {}

    /**
     * Starts {@code task} on a new virtual thread named {@code goroutine-<id>}.
     *
     * @param task the body to run
     * @return the started goroutine
     */
    public static Goroutine go(Task task) {
        return start(null, task);
    }

    /**
     * Starts {@code task} on a new virtual thread with the given name (like a Go pprof label).
     *
     * @param name the goroutine's name (also its virtual thread's)
     * @param task the body to run
     * @return the started goroutine
     */
    public static Goroutine go(String name, Task task) {
        return start(Objects.requireNonNull(name, "name"), task);
    }

    private static Goroutine start(String name, Task task) {
        Objects.requireNonNull(task, "task");
        long id = IDS.incrementAndGet();
        StackTraceElement[] site = Goroutines.captureStartSites() ? new Throwable().getStackTrace() : null;
        Goroutine g = new Goroutine(id, name != null ? name : "goroutine-" + id, Instant.now(), site);
        // Inside a virtual-time bubble the goroutine joins it (ADR 0013); else body is the plain run.
        Runnable body = Bubbles.inherit(g, () -> run(g, task));
        Thread t = Thread.ofVirtual().name(g.name()).unstarted(body);
        g.thread = t;
        Goroutines.register(g);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            Bubbles.startFailed(body);
            Goroutines.unregister(g);
            throw e;
        }
        return g;
    }

    private static void run(Goroutine g, Task task) {
        GoroutineEvent event = new GoroutineEvent();
        event.begin();
        Throwable failure = null;
        try {
            task.run();
        } catch (Throwable t) {
            failure = t;
            Goroutines.report(g, t);
        } finally {
            event.end();
            if (event.shouldCommit()) {
                event.id = g.id();
                event.name = g.name();
                event.failure = failure == null ? null : failure.toString();
                event.commit();
            }
            Goroutines.unregister(g);
        }
    }

    /** The default report: log, never swallow. */
    static void logUncaught(Goroutine g, Throwable t) {
        System.Logger log = System.getLogger(Go.class.getName());
        if (t instanceof InterruptedException) {
            log.log(Level.DEBUG, () -> "goroutine " + g.name() + " ended by interrupt", t);
        } else {
            log.log(Level.ERROR, "goroutine " + g.name() + " (id " + g.id() + ") failed", t);
        }
    }
}
