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
    /** The owner current on this thread; inherited by every thread this thread creates. */
    private static final InheritableThreadLocal<GoroutineOwner> CURRENT = new InheritableThreadLocal<>();

    private final long id;
    private final String name;
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
        return Go.start(Objects.requireNonNull(name, "name"), task, this, null);
    }

    /**
     * Starts {@code task} as a goroutine named {@code goroutine-<id>} owned by this owner.
     *
     * @param task the body to run
     * @return the started goroutine
     */
    public Goroutine go(Task task) {
        Go.ownersInUse = true;
        return Go.start(null, task, this, null);
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
        GoroutineOwner previous = CURRENT.get();
        CURRENT.set(this);
        return new Scope(Thread.currentThread(), previous);
    }

    /** {@return the live goroutines owned by this owner, oldest first; a snapshot} */
    public List<Goroutine> live() {
        return Goroutines.live().stream().filter(g -> g.owner == this).toList();
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
        return Go.ownersInUse ? CURRENT.get() : null;
    }

    /** On a goroutine's own thread, before its task: its owner becomes current there (for its children). */
    static void bind(GoroutineOwner owner) {
        if (CURRENT.get() != owner) {
            CURRENT.set(owner);
        }
    }

    /** The calling thread's attribution to an owner; close it to restore the previous one. */
    public static final class Scope implements AutoCloseable {
        private final Thread thread;
        private final GoroutineOwner previous;
        private boolean closed;

        private Scope(Thread thread, GoroutineOwner previous) {
            this.thread = thread;
            this.previous = previous;
        }

        /**
         * Restores the owner that was current before {@link #enter()}. Idempotent.
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
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
