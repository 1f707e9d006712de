package io.gochan;

import io.gochan.spi.JfrGate;
import io.gochan.spi.ParkHook;
import io.gochan.spi.SafeText;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
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
 * {@link InterruptedException} (interrupting is how Java code stops a goroutine). Inside a
 * virtual-time {@link Bubble} it fails the bubble instead: {@link Bubble#run} throws it (rule BB17). Every goroutine is
 * listed by {@link Goroutines#live()} while it runs; starting and ending cost one map insertion and one
 * removal, and nothing is added to channel operations.
 *
 * <p>Two departures from Go (rule G1). A failing task does not end the program: Go ends the whole program on a
 * goroutine's unrecovered panic, here the failure is reported as above and the program carries on; install a
 * handler that calls {@link System#exit} with {@link Goroutines#setUncaughtExceptionHandler} for Go's behaviour.
 * And a program whose goroutines are all blocked is not stopped: Go's runtime fails it with "all goroutines are
 * asleep - deadlock!", but a JVM also runs threads gochan does not know (platform threads, JDK pools, I/O), so
 * outside a bubble such a program waits for ever; inside a {@link Bubble} it is a
 * {@link BubbleDeadlockException} (rule BB5), and {@link Goroutines#live()} shows what each goroutine waits on.
 */
public final class Go {
    private static final AtomicLong IDS = new AtomicLong();
    /**
     * The live goroutines by id, unless {@link #GC_LEAKS} (the registry {@link Goroutines} answers from).
     * Kept here, where every goroutine starts and ends, not in {@link Goroutines}: a fresh JVM's first
     * {@code Go.go} then loads no class for queries it never asks (cold start, benchmark B8).
     */
    static final ConcurrentHashMap<Long, Goroutine> LIVE = new ConcurrentHashMap<>();
    /**
     * Whether the opt-in GC-based leak detection is on (LK10). Read here, not in {@link GcLeakTracking},
     * so that a JVM without it never loads that class (its logger would cost a fresh JVM's first
     * {@code Go.go} ~15 ms: benchmark B8).
     */
    static final boolean GC_LEAKS = Boolean.getBoolean("gochan.goroutine.gcLeaks");
    /** Whether {@code go(...)} records where it was called ({@link Goroutines#setStartSiteCapture}). */
    static volatile boolean startSites = Boolean.getBoolean("gochan.goroutine.startSites");
    /**
     * Set once any {@link GoroutineOwner} is entered or starts a goroutine. Until then a goroutine's
     * start reads no thread-local (reading an unset one would create a thread-local map on every thread
     * that starts a goroutine) and does not load {@code GoroutineOwner} (cold start, B8). Here rather
     * than in {@code GoroutineOwner} for that reason.
     */
    static volatile boolean ownersInUse;
    /**
     * Tests only: if not null, called with a goroutine's name just before its thread starts; what it throws is
     * that start's failure, as an {@code OutOfMemoryError} ("unable to create native thread") or a
     * {@code RejectedExecutionException} of the scheduler would be, which no test can provoke safely.
     */
    static volatile java.util.function.Consumer<String> startFault;

    private Go() {}

    /** {@return the id of the last goroutine started so far (0 if none): how many were started} */
    static long lastId() {
        return IDS.get();
    }

    /**
     * Starts {@code task} on a new virtual thread named {@code goroutine-<id>}.
     *
     * @param task the body to run
     * @return the started goroutine
     */
    public static Goroutine go(Task task) {
        return start(null, task, null, null, null);
    }

    /**
     * Starts {@code task} on a new virtual thread with the given name (like a Go pprof label).
     *
     * @param name the goroutine's name (also its virtual thread's)
     * @param task the body to run
     * @return the started goroutine
     */
    public static Goroutine go(String name, Task task) {
        return start(Objects.requireNonNull(name, "name"), task, null, null, null);
    }

    /**
     * Starts {@code body} on a new virtual thread and returns a handle whose {@link GoFuture#join()}
     * yields its value or rethrows its failure as itself (rule GF1). The failure goes to the
     * uncaught-exception handler only if nobody can observe it any more: the handle was garbage
     * collected before a {@code join} returned it (GF2).
     *
     * @param <T> the type of the value
     * @param body the computation
     * @return the handle
     * @throws NullPointerException if body is null
     */
    public static <T> GoFuture<T> future(Callable<? extends T> body) {
        return GoFuture.start(null, Objects.requireNonNull(body, "body"));
    }

    /**
     * {@link #future(Callable)} with a goroutine name.
     *
     * @param <T> the type of the value
     * @param name the goroutine's name (also its virtual thread's)
     * @param body the computation
     * @return the handle
     * @throws NullPointerException if name or body is null
     */
    public static <T> GoFuture<T> future(String name, Callable<? extends T> body) {
        return GoFuture.start(Objects.requireNonNull(name, "name"), Objects.requireNonNull(body, "body"));
    }

    /**
     * The calling thread's attribution (its current owner, and whether the thread only inherited it), or null;
     * {@code GoroutineOwner} is not loaded until an owner was used (cold start, B8). What a goroutine started
     * now, or later on another thread for this caller (an afterFunc), belongs to (LK1, LK17).
     */
    static Object currentAttribution() {
        return ownersInUse ? GoroutineOwner.attribution() : null;
    }

    /**
     * Starts a goroutine attributed to {@code attribution} (an owner, or what {@link #currentAttribution()}
     * returned), or as the calling thread's current attribution says if null (one
     * method, not overloads: it is the top frame of a captured start site). {@code ended}, if not null,
     * runs on the goroutine's thread once it has left the registry (so {@link Goroutines#live()} no
     * longer lists it), and, in a bubble, while it is still a member: what {@link ErrGroup} and
     * {@link GoFuture} publish as "ended" is then complete (a leak check right after sees nothing, EG7,
     * GF4), and a bubble does not count the goroutine gone before what it publishes can wake a member
     * (that would look like a deadlock). It must not block or throw. If the start fails, it does not run.
     * {@code handler}, if not null, is the thread's uncaught-exception handler: only what escapes {@code ended}
     * reaches it (the task's failures are reported as G1 says), and it lets the starter recognize its goroutines'
     * threads with one field read ({@link WaitGroup}, rule G7) without anything allocated per start.
     */
    static Goroutine start(String name, Task task, Object attribution, Runnable ended, Thread.UncaughtExceptionHandler handler) {
        Objects.requireNonNull(task, "task");
        long id = IDS.incrementAndGet();
        StackTraceElement[] site = startSites ? new Throwable().getStackTrace() : null;
        // No string-concatenation or lambda bootstrap on this path: each spins a hidden class the first
        // time, which a fresh JVM's first Go.go would pay (benchmark B8).
        Goroutine g = new Goroutine(id, name != null ? name : "goroutine-".concat(Long.toString(id)), Instant.now(), site);
        // Inside a virtual-time bubble the goroutine joins it (ADR 0013); else its body is the plain run.
        // Bubbles is asked only while a bubble runs (a park hook is active), so that a fresh JVM's
        // first Go.go does not load it (cold start, B8).
        Runnable body = ended == null ? new Body(g, task) : new EndingBody(g, task, ended);
        if (ParkHook.active() != null) {
            body = Bubbles.inherit(g, body);
        }
        Thread.Builder builder = Thread.ofVirtual().name(g.name());
        if (handler != null) {
            builder.uncaughtExceptionHandler(handler);
        }
        Thread t = builder.unstarted(body);
        g.thread = t;
        // GoroutineOwner is loaded only once an owner was used (cold start, B8); until then no
        // goroutine has one to inherit, and nothing is written here.
        if (attribution == null && ownersInUse) {
            attribution = GoroutineOwner.attribution();
        }
        if (attribution != null) {
            GoroutineOwner.attribute(g, attribution);
        }
        register(g);
        try {
            java.util.function.Consumer<String> fault = startFault;
            if (fault != null) {
                fault.accept(g.name());
            }
            t.start();
        } catch (RuntimeException | Error e) {
            g.startFailed = true; // before it leaves the registry: a join waiting through the start returns (G12)
            Bubbles.startFailed(body);
            unregister(g);
            throw e;
        }
        return g;
    }

    /** Lists {@code g} as live until {@link #unregister}. */
    static void register(Goroutine g) {
        if (GC_LEAKS) {
            GcLeakTracking.register(g); // weakly: a goroutine nothing live reaches can be collected (LK10)
        } else {
            LIVE.put(g.id(), g);
        }
    }

    /** Removes {@code g} from the live goroutines; its task has ended and its failure was reported. */
    static void unregister(Goroutine g) {
        if (GC_LEAKS) {
            GcLeakTracking.unregister(g);
        } else {
            LIVE.remove(g.id());
        }
    }

    private static final class Body implements Runnable {
        private final Goroutine g;
        private final Task task;

        Body(Goroutine g, Task task) {
            this.g = g;
            this.task = task;
        }

        @Override
        public void run() {
            Go.run(g, task, null);
        }
    }

    /**
     * A task that is handed the goroutine running it: {@link ErrGroup}'s, which records the goroutine of a failure
     * without looking for it in the registry (EG14). Only a start with an end hook ({@link EndingBody}) looks for
     * one, and only the group, {@link GoFuture} and {@link WaitGroup} start with one: a plain {@code Go.go} neither
     * checks for it nor loads this class (cold start, B8).
     */
    abstract static class SelfTask implements Task {
        /**
         * Runs the body on {@code self}'s thread.
         *
         * @param self the goroutine running it
         * @throws Exception any failure of the body, reported as {@link Task#run()}'s is
         */
        abstract void run(Goroutine self) throws Exception;

        /**
         * {@return the failure the body caught and published itself (a future's, a group member's), or null if it
         * returned or let its failure escape} Read after {@link #run(Goroutine)} on the same thread, for the
         * goroutine's flight-recorder event (JF5): such a goroutine ended by its failure, though none escaped.
         */
        Throwable caught() {
            return null;
        }

        /**
         * Refused: a goroutine's start calls {@link #run(Goroutine)}; only a start with an end hook runs this task.
         *
         * @throws UnsupportedOperationException always
         */
        @Override
        public final void run() {
            throw new UnsupportedOperationException("a SelfTask runs only as a goroutine started with an end hook");
        }
    }

    /** A goroutine's thread body with an end hook (see {@link #start}). */
    private static final class EndingBody implements Runnable {
        private final Goroutine g;
        private final Task task;
        private final Runnable ended;

        EndingBody(Goroutine g, Task task, Runnable ended) {
            this.g = g;
            this.task = task;
            this.ended = ended;
        }

        @Override
        public void run() {
            try {
                Go.run(g, task, task instanceof SelfTask self ? self : null);
            } finally {
                ended.run(); // after Go.run's unregister; Bubbles' wrapper leaves the bubble after this
            }
        }
    }

    /**
     * Runs {@code task} as goroutine {@code g}: {@code selfTask} (the task itself, or null) is handed {@code g}.
     * Its failure is reported, then its flight-recorder event ends, and whatever that event does, the goroutine
     * leaves the registry (JF12).
     */
    private static void run(Goroutine g, Task task, SelfTask selfTask) {
        if (g.owner != null) {
            GoroutineOwner.bind(g); // the goroutines it starts are its owner's too
        }
        Object event = JfrGate.goroutineBegin(); // null unless the flight recorder is initialized
        Throwable failure = null;
        try {
            if (selfTask != null) {
                selfTask.run(g);
            } else {
                task.run();
            }
        } catch (Throwable t) {
            failure = t;
            // Inside a virtual-time bubble the failure is Bubble.run's caller's to see (BB17), not the
            // handler's; Bubbles is asked only while a bubble runs, so a fresh JVM never loads it (B8).
            if (ParkHook.active() == null || !Bubbles.goroutineFailed(g, t)) {
                Goroutines.report(g, t);
            }
        } finally {
            try {
                // JF5: a future's or a group member's failure is caught to be published, yet it ended the goroutine.
                JfrGate.goroutineEnd(event, g.id(), g.name(), failure != null || selfTask == null ? failure : selfTask.caught());
            } finally {
                // Whatever the event's end throws: a goroutine that stayed registered would be a false leak for
                // ever, and its join, group or future would say it ended while live() still listed it (JF12).
                unregister(g);
            }
        }
    }

    /**
     * The default report: log, never swallow. The failure is the task's, its text too: a logger whose printing of it
     * throws (a {@code toString()} that recurses, under the JDK's console handler) gets the line again without it
     * (CH7); before, the printing's exception left the goroutine in the failure's place, and the failure was never
     * logged.
     */
    static void logUncaught(Goroutine g, Throwable t) {
        System.Logger log = System.getLogger(Go.class.getName());
        if (t instanceof InterruptedException) {
            if (log.isLoggable(Level.DEBUG)) {
                SafeText.log(log, Level.DEBUG, "goroutine " + g.name() + " ended by interrupt", t);
            }
        } else {
            SafeText.log(log, Level.ERROR, "goroutine " + g.name() + " (id " + g.id() + ") failed", t);
        }
    }
}
