package io.gochan;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Something that owns goroutines for as long as it is open: a connection pool, an HTTP transport, a
 * server, or a test (leak-check uses one per test). Every goroutine is attributed to at most one
 * owner, read with {@link Goroutine#owner()}:
 *
 * <ul>
 *   <li>a goroutine started with {@link #go(String, Task)} belongs to this owner;
 *   <li>a goroutine started with {@link Go#go(Task)} belongs to the owner of the goroutine that started
 *       it, transitively; from any other thread, to the owner {@linkplain #enter() entered} on that
 *       thread, or on the thread that created it (the attribution is an inheritable thread-local, so a
 *       virtual thread or executor started inside {@code enter()} carries it too);
 *   <li>otherwise to no owner.
 * </ul>
 *
 * <p>Closing an owner neither interrupts nor waits for its goroutines: the object that owns them ends
 * them its own way (a transport closes its connections) and closes its owner last. A leak checker
 * then expects them to end soon; one still running a grace period after {@link #close()} is a leak.
 * Who answers for that is recorded: {@link #createdIn()} is the owner that was current when this one
 * was created, {@link #closedIn()} the one current when it was closed.
 *
 * <pre>{@code
 * try (GoroutineOwner pool = Goroutines.owner("worker-pool")) {
 *     Chan<Integer> done = Chan.make();
 *     pool.go("worker", () -> done.send(1));
 *     done.receive();
 * }
 * }</pre>
 *
 * <p>Cost: while no owner was ever entered or used to start a goroutine, {@link Go#go(Task)} reads one
 * volatile flag; afterwards, it reads one inheritable thread-local.
 */
public final class GoroutineOwner implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();
    /**
     * The attribution of this thread: the owner entered (or bound, on a goroutine's thread) on it, or the
     * {@link Inherited} form of the one current on the thread that created it; inherited by every thread
     * this thread creates, always in the inherited form (LK1, LK17).
     */
    private static final InheritableThreadLocal<Object> CURRENT = new InheritableThreadLocal<>() {
        @Override
        protected Object childValue(Object parent) {
            // A thread created under an owner carries it without having asked for it: a pool's worker made in
            // @BeforeAll runs tasks that later tests submit. Marking it lets a leak check tell the two apart.
            return parent instanceof GoroutineOwner o ? o.inherited : parent;
        }
    };

    private final long id;
    private final String name;
    /** This owner as carried by threads created while it was current (one object per owner: no allocation per thread). */
    final Inherited inherited = new Inherited(this, 0);
    private final GoroutineOwner createdIn;
    private volatile GoroutineOwner closedIn;
    private volatile boolean closed;

    GoroutineOwner(String name) {
        this.name = Objects.requireNonNull(name, "name");
        this.id = IDS.incrementAndGet();
        this.createdIn = current();
    }

    /** {@return the name given at creation} */
    public String name() {
        return name;
    }

    /** {@return a process-wide unique number, in creation order} */
    public long id() {
        return id;
    }

    /**
     * Starts {@code task} as a goroutine owned by this owner, as {@link Go#go(String, Task)} does;
     * goroutines it starts belong to this owner too. An owner that is already closed still starts it:
     * refusing is the owning object's business, and a goroutine started after close is reported by a
     * leak checker like any other that outlives the close.
     *
     * @param name the goroutine's name
     * @param task the body to run
     * @return the started goroutine
     */
    public Goroutine go(String name, Task task) {
        Go.ownersInUse = true;
        return Go.start(Objects.requireNonNull(name, "name"), task, this, null, null);
    }

    /**
     * Starts {@code task} as a goroutine named {@code goroutine-<id>} owned by this owner.
     *
     * @param task the body to run
     * @return the started goroutine
     */
    public Goroutine go(Task task) {
        Go.ownersInUse = true;
        return Go.start(null, task, this, null, null);
    }

    /**
     * Makes this the current owner of the calling thread until the returned scope is closed (which
     * restores the previous one): goroutines started by this thread in between, and by threads it
     * creates in between, belong to this owner.
     *
     * @return the scope to close, on the same thread, to restore the previous owner
     */
    public Scope enter() {
        Go.ownersInUse = true;
        Object previous = CURRENT.get();
        CURRENT.set(this);
        Scope scope = new Scope(Thread.currentThread(), previous, Scope.INNERMOST.get());
        Scope.INNERMOST.set(scope);
        return scope;
    }

    /** {@return the live goroutines owned by this owner, oldest first; a snapshot} */
    public List<Goroutine> live() {
        return Goroutines.live().stream().filter(g -> g.owner == this).toList();
    }

    /**
     * The timers this owner's code left scheduled (rule LK32 of the repository's {@code docs/spec/leak-check.md}): each
     * {@link Timers#afterFunc afterFunc} timer and each context's own deadline ({@link Context#withDeadline},
     * {@link Context#withTimeout}) made on a thread attributed to this owner (as a goroutine it starts would be) that is
     * still scheduled on the system clock. Such a timer stays scheduled, referenced or not, until it fires or is stopped
     * (its timer stopped, its context cancelled): an afterFunc's function then runs, a context is cancelled, whatever
     * runs by then. Not listed: channel timers and tickers (nobody referencing them, they are garbage, TM2), timers of
     * virtual-time bubbles (they never fire after their bubble, BB27), a context's deadline taken from its parent (it
     * has no timer of its own), and timers made while no owner was current. A snapshot, soonest first; one that fires
     * or is stopped after it was taken is still in it.
     *
     * @return the scheduled timers, soonest first; where each was made only while goroutine start sites were captured
     *     ({@link Goroutines#setStartSiteCapture(boolean)}) when it was made
     */
    public List<ScheduledTimer> scheduledTimers() {
        return TimerScheduler.SYSTEM.scheduledBy(this);
    }

    /**
     * A timer an owner's code left scheduled ({@link #scheduledTimers()}).
     *
     * @param kind {@code "afterFunc"} or {@code "context deadline"}
     * @param due when it fires on the system clock ({@link java.time.Instant#MAX} for never)
     * @param createdAt the stack where it was made, innermost frame first (gochan's own frames included), or empty if
     *     start sites were not captured then
     */
    public record ScheduledTimer(String kind, java.time.Instant due, List<StackTraceElement> createdAt) {
        /**
         * The fields as given.
         *
         * @param kind {@code "afterFunc"} or {@code "context deadline"}
         * @param due when it fires
         * @param createdAt where it was made, or empty
         * @throws NullPointerException if any is null
         */
        public ScheduledTimer {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(due, "due");
            createdAt = List.copyOf(Objects.requireNonNull(createdAt, "createdAt")); // named, as C5 asks
        }
    }

    /** {@return true until {@link #close()} is called} */
    public boolean isOpen() {
        return !closed;
    }

    /** {@return the owner that was current on the thread that created this one, if any} */
    public Optional<GoroutineOwner> createdIn() {
        return Optional.ofNullable(createdIn);
    }

    /** {@return the owner that was current on the thread that closed this one, if closed and any} */
    public Optional<GoroutineOwner> closedIn() {
        return Optional.ofNullable(closedIn);
    }

    /**
     * Marks the owner closed: its goroutines are expected to end now. Neither interrupts nor waits for
     * them. Idempotent; only the first call records {@link #closedIn()}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closedIn = current();
        closed = true;
    }

    @Override
    public String toString() {
        return "GoroutineOwner[" + id + " " + name + (closed ? ", closed" : "") + "]";
    }

    /**
     * {@return the calling thread's current owner, or null; cheap while no owner is in use
     * ({@link Go#ownersInUse}, kept in {@code Go} so that starting a goroutine need not load this class)}
     */
    static GoroutineOwner current() {
        return Go.ownersInUse ? ownerOf(CURRENT.get()) : null;
    }

    /**
     * {@return the calling thread's attribution as stored: an owner entered or bound on it, the {@link Inherited}
     * form of one it carries from the thread that created it, or null} What {@link Go#start} takes.
     */
    static Object attribution() {
        return CURRENT.get();
    }

    static GoroutineOwner ownerOf(Object attribution) {
        return attribution instanceof Inherited i ? i.owner : (GoroutineOwner) attribution;
    }

    /** Sets a new goroutine's owner from an attribution (not null), before the goroutine is registered. */
    static void attribute(Goroutine g, Object attribution) {
        if (attribution instanceof Inherited i) {
            // Published by the volatile write of the owner below. The first goroutine of the chain is its root.
            g.ownerInheritedRoot = i.root != 0 ? i.root : g.id();
            g.owner = i.owner;
        } else {
            g.owner = (GoroutineOwner) attribution;
        }
    }

    /**
     * On a goroutine's own thread, before its task: its owner becomes current there (for its children), in the
     * form the goroutine got it: a goroutine whose owner was inherited passes that on to what it starts (LK17).
     */
    static void bind(Goroutine g) {
        GoroutineOwner owner = g.owner;
        long root = g.ownerInheritedRoot;
        Object current = CURRENT.get();
        if (root == 0) {
            if (current != owner) {
                CURRENT.set(owner);
            }
        } else if (!(current instanceof Inherited i && i.owner == owner && i.root == root)) {
            // The root of an inherited chain (its thread inherited the owner's plain form): what it starts names it.
            CURRENT.set(new Inherited(owner, root));
        }
    }

    /**
     * An owner as carried by a thread created while it was current, rather than entered on that thread (LK17):
     * whoever hands that thread work (a pool's worker) need not be that owner's.
     */
    static final class Inherited {
        final GoroutineOwner owner;
        /** The id of the first goroutine started under this inherited attribution, 0 on the thread that inherited it. */
        final long root;

        private Inherited(GoroutineOwner owner, long root) {
            this.owner = owner;
            this.root = root;
        }
    }

    /**
     * The calling thread's attribution to an owner; close it to restore the previous one. Scopes nest: one closed while a
     * scope entered after it is still open leaves that inner scope's owner current until the inner one closes, which
     * then restores what was current before the outermost of them that are closed (LK49). So closing them out of order
     * never leaves the thread attributed to an owner whose scope is closed.
     */
    public static final class Scope implements AutoCloseable {
        /** The innermost scope entered on this thread and not yet restored: not inherited (a scope is its thread's). */
        static final ThreadLocal<Scope> INNERMOST = new ThreadLocal<>();

        private final Thread thread;
        private final Object previous;
        /** The scope that was innermost when this one was entered, or null. */
        private final Scope outer;
        private boolean closed;

        private Scope(Thread thread, Object previous, Scope outer) {
            this.thread = thread;
            this.previous = previous;
            this.outer = outer;
        }

        /**
         * Restores the owner that was current before {@link #enter()}, or, if a scope entered after this one on the
         * same thread is still open, leaves that one's owner current until it is closed (LK49). Idempotent.
         *
         * @throws IllegalStateException if called on another thread than the one that entered
         */
        @Override
        public void close() {
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("a scope is closed on the thread that entered it, " + thread
                        + ", not on " + Thread.currentThread());
            }
            if (closed) {
                return;
            }
            closed = true;
            if (INNERMOST.get() != this) {
                return; // an inner scope is still open: its owner stays current; its close skips this one
            }
            // The innermost closed: back past every closed scope to the nearest one still open, or to before them all.
            Object restored = previous;
            Scope open = outer;
            while (open != null && open.closed) {
                restored = open.previous;
                open = open.outer;
            }
            if (open == null) {
                INNERMOST.remove();
            } else {
                INNERMOST.set(open);
            }
            if (restored == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(restored);
            }
        }
    }
}
