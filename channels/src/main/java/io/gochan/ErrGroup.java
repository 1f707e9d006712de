package io.gochan;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Go's {@code golang.org/x/sync/errgroup}, structured: goroutines started with {@link #go(Task)} run
 * under a context derived from the parent, the first failure cancels that context (with the failure as
 * its {@link Context#cause()}), and {@link #await()} waits for all of them, then returns normally or
 * throws the first failure as itself, every later one attached to it as suppressed (rules EG1–EG3).
 *
 * <pre>{@code
 * try (ErrGroup g = ErrGroup.withContext(ctx)) {
 *     for (String url : urls) {
 *         g.go(() -> pages.send(fetch(g.context(), url)));
 *     }
 *     g.await();   // the first failure, as itself; the others are in its getSuppressed()
 * }
 * }</pre>
 *
 * <p>A group is used for one round: {@code go}/{@code tryGo} (also from inside its goroutines), then
 * {@code await}; after {@code await} has returned or thrown, or after {@code close}, starting more
 * throws {@link IllegalStateException}. {@link #setLimit(int)} bounds how many goroutines run at once
 * ({@code go} waits for a slot, {@code tryGo} does not; EG4). The group's own goroutines may start more, but not
 * {@code await} or {@code close} it: they would wait for themselves, so they get {@link IllegalStateException}
 * (EG11).
 *
 * <p>{@link #close()} makes try-with-resources structured (EG5): no goroutine of the group outlives
 * the block. If {@code await} already ran, it only releases the context. Otherwise (the block was left
 * by an exception, a {@code return} or a {@code break} before {@code await}) it cancels the context,
 * interrupts the goroutines still running, waits for all of them (uninterruptibly, keeping the caller's
 * interrupt status), and throws what {@code await} would have thrown; failures that are only the
 * goroutines' answer to that stop ({@link InterruptedException}, {@link ChannelInterruptedException},
 * the context's own error {@code context().err()} (EG18: another {@link CancellationException}, such as a deadline
 * of the goroutine's own, is a real failure), or this group's {@link IllegalStateException} refusing a {@code go} or
 * {@code tryGo} once the close began: EG9) are attached to the first real failure, or dropped if there is none.
 * Go has no such method; ADR 0009 explains the choice.
 *
 * <p>A failure nobody can observe any more, because the group was garbage collected without
 * {@code await} or {@code close}, goes to the uncaught-exception handler (rule GF2); the first failure still cancels
 * the context then (EG16). The failures after the first go there too when the first was made with suppression
 * disabled: it keeps nothing attached to it (rule GF11).
 */
public final class ErrGroup implements AutoCloseable {
    private final State state;

    private ErrGroup(State state) {
        this.state = state;
    }

    /**
     * A group whose goroutines share a context derived from {@code parent}: cancelled with the first
     * failure as its cause, or when the parent is, or when {@link #await()} returns, whichever comes
     * first (Go's {@code errgroup.WithContext}).
     *
     * @param parent the parent context
     * @return a new group with no limit
     * @throws NullPointerException if parent is null
     */
    public static ErrGroup withContext(Context parent) {
        ErrGroup g = new ErrGroup(new State(Context.withCancel(Objects.requireNonNull(parent, "parent"))));
        Failures.CLEANER.register(g, g.state::abandon);
        return g;
    }

    /**
     * {@code withContext(Context.background())}: a group whose context is cancelled only by a failure
     * or by {@link #await()} (Go's zero {@code errgroup.Group}, plus that context).
     *
     * @return a new group with no limit
     */
    public static ErrGroup create() {
        return withContext(Context.background());
    }

    /**
     * {@return the group's derived context: pass it to the goroutines so they stop cooperatively after
     * the first failure}
     */
    public Context context() {
        return state.ctx;
    }

    /**
     * Starts {@code task} in a new goroutine of the group. With a limit, waits for a free slot first
     * (Go's {@code Group.Go}); the waiting calls take freed slots in the order they came, before any later call
     * (rule EG4). As in Go, it does not look at {@link #context()}: the task starts also after the
     * first failure or the parent's cancel, and a wait for a slot goes on when the context is done (rule EG12);
     * the task, or a producer calling this in a loop, checks the context itself.
     *
     * @param task the task; a failure it throws is the group's (the first one cancels the context)
     * @throws InterruptedException if interrupted while waiting for a slot, or interrupted when it calls
     *     this and no slot is free (only with a limit); nothing was started. With a free slot it starts the
     *     task and leaves the interrupt status set (G6)
     * @throws IllegalStateException if the group was awaited or closed (in a goroutine of the group that
     *     close() is stopping, this is an answer to that stop, not a failure of the group: EG9), or if it
     *     belongs to a virtual-time {@link Bubble} that runs and the caller is not in it (rule BB25); nothing
     *     was started
     * @throws NullPointerException if task is null
     */
    public void go(Task task) throws InterruptedException {
        Objects.requireNonNull(task, "task");
        try {
            state.acquire(true);
            state.launch(null, task);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #go(Task)}, and the goroutine (and its virtual thread) is named {@code name}, as
     * {@link Go#go(String, Task)} names it, so thread dumps, {@link Goroutines#live()} and leak reports
     * show it (rule EG6).
     *
     * @param name the goroutine's name
     * @param task the task; a failure it throws is the group's (the first one cancels the context)
     * @throws InterruptedException if interrupted while waiting for a slot, or interrupted when it calls
     *     this and no slot is free (only with a limit); nothing was started. With a free slot it starts the
     *     task and leaves the interrupt status set (G6)
     * @throws IllegalStateException if the group was awaited or closed, or if it belongs to a virtual-time
     *     {@link Bubble} that runs and the caller is not in it (rule BB25); nothing was started
     * @throws NullPointerException if name or task is null
     */
    public void go(String name, Task task) throws InterruptedException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(task, "task");
        try {
            state.acquire(true);
            state.launch(name, task);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #tryGo(Task)}, with the goroutine named {@code name} as {@link #go(String, Task)} does
     * (rule EG6).
     *
     * @param name the goroutine's name
     * @param task the task
     * @return true if it was started, false if the limit was reached
     * @throws IllegalStateException if the group was awaited or closed, or if it belongs to a virtual-time
     *     {@link Bubble} that runs and the caller is not in it (rule BB25); nothing was started
     * @throws NullPointerException if name or task is null
     */
    public boolean tryGo(String name, Task task) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(task, "task");
        try {
            if (!state.tryAcquire()) {
                return false;
            }
            state.launch(name, task);
            return true;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Starts {@code task} in a new goroutine only if that can be done without waiting for a slot (Go's
     * {@code Group.TryGo}); as {@link #go(Task)}, whatever {@link #context()} says (rule EG12).
     *
     * @param task the task
     * @return true if it was started, false if the limit was reached or a {@code go} waits for a slot (the next
     *     free slot is that call's, EG4)
     * @throws IllegalStateException if the group was awaited or closed, or if it belongs to a virtual-time
     *     {@link Bubble} that runs and the caller is not in it (rule BB25); nothing was started
     * @throws NullPointerException if task is null
     */
    public boolean tryGo(Task task) {
        Objects.requireNonNull(task, "task");
        try {
            if (!state.tryAcquire()) {
                return false;
            }
            state.launch(null, task);
            return true;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Limits the number of goroutines of the group running at once to {@code n}; a negative value
     * means no limit, 0 means none may start (Go's {@code Group.SetLimit}; EG4). A negative value is
     * accepted at any time, as Go accepts it: the running goroutines go on, and {@code go} calls waiting
     * for a slot start at once (EG10).
     *
     * @param n the limit, or negative for none
     * @throws IllegalStateException if {@code n >= 0} and goroutines of the group are running (Go panics
     *     when they were started under a limit; without one before, Go would miscount them); the limit is
     *     left unchanged
     */
    public void setLimit(int n) {
        state.setLimit(n);
    }

    /**
     * Waits until every goroutine of the group has ended (left {@link Goroutines#live()}: EG7), cancels
     * the context, then returns normally if
     * none failed or throws the first failure as itself, with every other failure attached as
     * suppressed (EG1, EG2). Calling it again, or from several threads at once, gives the same outcome (EG13);
     * an unchecked exception or an {@link Error} of a task is a failure like any other, where Go's panic would
     * end the program. Inside a virtual-time
     * {@link Bubble}, waiting for a group first started in the caller's bubble is durable blocking (rule
     * BB19): the bubble's clock moves meanwhile.
     *
     * @throws Exception the first failure of a goroutine, as itself (checked or not; an {@link Error}
     *     as itself too)
     * @throws InterruptedException if the calling thread is interrupted while waiting, or is interrupted
     *     when it calls this and a goroutine is still running; the goroutines keep running (close the group
     *     to stop them). With every goroutine ended there is nothing to wait for: the outcome is returned or
     *     thrown, and the interrupt status is left set (EG8)
     * @throws IllegalStateException if called from one of the group's own goroutines (one started by its
     *     {@code go} or {@code tryGo}), which would wait for itself for ever (Go's {@code Wait} deadlocks); nothing
     *     was changed, the interrupt status neither. A goroutine that such a goroutine started is not the group's:
     *     its wait is not refused (EG11)
     */
    public void await() throws Exception {
        try {
            Throwable first = state.await();
            if (first != null) {
                throw Failures.rethrow(first);
            }
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Ends the group's scope: see the class comment (EG5). Idempotent; only the first call can throw.
     *
     * @throws Exception the first failure, if {@link #await()} had not been called (it was not seen); a context's own
     *     error (the one instance a cancelled context, its descendants and every operation that ended for it share,
     *     which a goroutine answering {@code context().err()} recorded) as a copy: same class, message and cause, so
     *     that a try-with-resources block leaving with that very instance gets the copy attached to it, not an
     *     {@code IllegalArgumentException} for self-suppression (EG17). A block that leaves with any other instance
     *     a goroutine threw (sent over a channel and thrown again) meets that Java rule: call {@link #await()} before
     *     leaving it
     * @throws IllegalStateException if it is the first call and comes from one of the group's own goroutines,
     *     which it would wait for, uninterruptibly, for ever; nothing was changed: the group is not closed and its
     *     context not cancelled (EG11). A later call returns at once, also there
     */
    @Override
    public void close() throws Exception {
        try {
            Throwable first = state.close();
            if (first != null) {
                // EG17: a context's shared err() as a copy: the block may be leaving with that very instance (its own
                // receive(context()) threw it), and Java's try-with-resources cannot attach an exception to itself.
                throw Failures.rethrow(Failures.ownedCopy(first));
            }
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public String toString() {
        return state.toString();
    }

    /** The state the goroutines share, which never refers to this handle: what a test watches once the handle is gone. */
    State state() {
        return state;
    }

    /**
     * What {@code go}/{@code tryGo} throw once {@link #close()} began: an {@link IllegalStateException} that
     * knows its group, so that the group's own goroutines meeting it while close() stops them count it as an
     * answer to that stop, not as a failure (EG9).
     */
    private static final class ClosedGroupException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final transient State group;

        ClosedGroupException(State group) {
            super("ErrGroup is closed");
            this.group = group;
        }
    }

    /** Everything the goroutines share; never refers to the handle, so the handle can be collected. */
    static final class State {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        final CancellableContext ctx;
        // All guarded by lock.
        private int active;
        private int limit = -1;
        private Throwable first;
        /** What await() and close() throw for {@code first}, made once so every call throws it (GF5). */
        private Throwable thrown;
        private Goroutine firstGoroutine;
        // Every failure but the first, attached to it when the outcome is collected. Until a first exists
        // only answers to close()'s stop land here: attached to a real failure recorded after them, dropped
        // if none comes, so the outcome does not depend on which was recorded first (EG5).
        private final List<Throwable> others = new ArrayList<>();
        /**
         * The goroutine of each failure in {@code others}, at the same index, or null for an answer to close()'s stop:
         * reported if the first failure cannot keep it, dropped then (GF11).
         */
        private final List<Goroutine> otherGoroutines = new ArrayList<>();
        private final Set<Thread> running = new HashSet<>();
        private boolean finished;   // await() or close() has collected the outcome: no more goroutines
        private boolean observed;   // the outcome was returned to a caller
        private boolean stopping;   // close() is stopping the goroutines
        private boolean closed;
        private boolean abandoned;
        // Guarded by lock: whether a goroutine was started yet, and the bubble of the first start (BB19).
        private boolean associated;
        private BubbleState bubble;
        /** Bumped with every signal of {@code changed}: how a bubble tells a woken waiter (BB19). */
        private volatile long version;
        /** Guarded by lock: members of {@link #bubble} waiting durably (they park, not on {@code changed}: BB20). */
        private DurableWaiters durable;
        /** Guarded by lock: the go() calls waiting for a slot, longest-waiting first (EG4, Go's FIFO semaphore). */
        private final java.util.ArrayDeque<Object> slotWaiters = new java.util.ArrayDeque<>();

        State(CancellableContext ctx) {
            this.ctx = ctx;
        }

        void acquire(boolean wait) throws InterruptedException {
            // Not lockInterruptibly (the lock is only ever held briefly): a go() that finds a free slot need not
            // wait, so it starts whatever the interrupt flag says and keeps the flag (G6, as EG8). Only a wait
            // for a slot checks the flag, and then throws at once having started nothing (EG4).
            lock.lock();
            try {
                requireOpen();
                associate();
                if (limit < 0 || active < limit && slotWaiters.isEmpty()) {
                    active++;
                    return;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                // Go's Go blocked at the limit is a sender queued on the semaphore: a freed slot goes to the
                // longest-waiting go(), never to a tryGo or a later go() that comes meanwhile (FIFO hand-off).
                Object me = new Object();
                slotWaiters.addLast(me);
                try {
                    while (true) {
                        awaitChange();
                        requireOpen();
                        if (limit < 0 || active < limit && slotWaiters.peekFirst() == me) {
                            active++;
                            return;
                        }
                    }
                } finally {
                    slotWaiters.remove(me);
                    signal(); // the next waiter may be first now
                }
            } finally {
                lock.unlock();
            }
        }

        boolean tryAcquire() {
            lock.lock();
            try {
                requireOpen();
                if (limit >= 0 && (active >= limit || !slotWaiters.isEmpty())) {
                    return false; // a free slot is a waiting go()'s (Go: its token is moved in at once)
                }
                associate();
                active++;
                return true;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Lock held: the first start binds the group to the caller's bubble, or to none (BB19, as Go 1.25
         * binds a wait group at its first Add; one bubble lookup per group, not per start).
         */
        private void associate() {
            if (!associated) {
                associated = true;
                BubbleState.Member m = Bubbles.current();
                bubble = m == null ? null : m.bubble;
            } else if (bubble != null) {
                BubbleState.requireInside(bubble, "ErrGroup.go"); // before a slot is taken (BB25)
            }
        }

        /** Lock held: wakes every waiter on {@code changed}. */
        private void signal() {
            version++; // under lock: one writer at a time; before the unparks, which look at it
            changed.signalAll();
            if (durable != null) {
                durable.unparkAll();
            }
        }

        /**
         * Lock held: waits for a signal of {@code changed}. A member of the group's bubble waits durably
         * (BB19): the goroutines it waits for are the bubble's, so the clock may move, and a group that can
         * never end is a deadlock, not a hang. It parks rather than waiting on the condition, so that an
         * interrupt makes it count as running at once (BB20). Anyone else waits as before (time waits for it).
         */
        private void awaitChange() throws InterruptedException {
            BubbleState.Member m = Bubbles.current(); // null outside bubbles
            if (m == null || m.bubble != bubble) {
                changed.await();
                return;
            }
            long seen = version;
            if (durable == null) {
                durable = new DurableWaiters();
            }
            durable.await(m, lock, this, () -> version == seen);
        }

        private void requireOpen() {
            if (closed) {
                throw new ClosedGroupException(this);
            }
            if (finished) {
                throw new IllegalStateException("ErrGroup was already awaited");
            }
        }

        /**
         * Starts the goroutine for a slot already taken; gives the slot back if the start fails. The
         * goroutine counts as ended (its slot free, await() and close() released: EG1, EG4, EG5) only
         * once it has left the goroutine registry, so that a leak check right after await() or
         * close(), or a goroutine of a limited group looking at the registry, never sees it.
         */
        void launch(String name, Task task) {
            try {
                Go.start(name, new Member(task), null, this::ended, null);
            } catch (RuntimeException | Error e) {
                ended();
                throw e;
            }
        }

        /**
         * A goroutine's body: the group's task, handed the goroutine that runs it (by {@link Go}'s start, which
         * knows it), so that a failure names its goroutine without a scan of the registry (EG14).
         */
        private final class Member extends Go.SelfTask {
            private final Task task;
            private Throwable caught; // written and read on the member's own thread

            Member(Task task) {
                this.task = task;
            }

            @Override
            void run(Goroutine self) {
                caught = runTask(self, task);
            }

            @Override
            Throwable caught() {
                return caught; // the goroutine's flight-recorder event (JF5)
            }
        }

        /** {@return the task's failure, recorded for the group, or null if it returned} */
        private Throwable runTask(Goroutine self, Task task) {
            Thread me = Thread.currentThread();
            lock.lock();
            try {
                running.add(me);
                if (stopping) {
                    me.interrupt(); // close() took its snapshot before this goroutine was listed
                }
            } finally {
                lock.unlock();
            }
            try {
                task.run();
                return null;
            } catch (Throwable t) {
                failed(self, t);
                return t;
            } finally {
                lock.lock();
                try {
                    running.remove(me); // close() need not interrupt it any more; it still counts as active
                } finally {
                    lock.unlock();
                }
            }
        }

        /**
         * Records {@code t}, a failure of goroutine {@code self}, in one lock section: the first cancels the context
         * (EG3), also once the group was abandoned (EG16); any once the group was abandoned goes to the handler with
         * its goroutine (GF2); the others are kept for the first (EG2). Constant time: the goroutine comes from its
         * start, never from a scan of the registry, which made a group of n goroutines that all fail cost n^2 (EG14).
         */
        private void failed(Goroutine self, Throwable t) {
            boolean cancel = false;
            boolean report = false;
            lock.lock();
            try {
                boolean stopAnswer = stopping && isStopSignal(t);
                if (first == null && !stopAnswer) {
                    first = t;
                    firstGoroutine = self;
                    cancel = true;
                    // Abandoned (the handle collected), the group still cancels its context with its first failure,
                    // as Go's does whether or not anyone waits: its goroutines hold the context, not the handle (EG16).
                    report = abandoned;
                } else if (abandoned) {
                    report = true;
                } else {
                    // The goroutine first: whatever an OutOfMemoryError cuts short, otherGoroutines is never the
                    // shorter list, which attachOthers indexes by others' positions.
                    otherGoroutines.add(stopAnswer ? null : self);
                    others.add(t);
                }
            } finally {
                lock.unlock();
            }
            if (cancel) {
                ctx.cancel(t); // EG3: the first failure is the context's cause
                if (!(t instanceof Exception || t instanceof Error)) {
                    // What await() and close() throw for it, a wrapper made once (GF5) whose message is t.toString():
                    // the task's code, which may block. Made here, on the failing goroutine and outside the lock, after
                    // the cancel, as a future makes it on its own goroutine; collect() finds it, since it runs only once
                    // this goroutine has ended. Made there, under the lock, it held up the group's description
                    // (Goroutines.dump(), a bubble's report) and every other call on the group for as long as it ran
                    // (EG15).
                    Throwable wrapper = Failures.asThrown(t);
                    lock.lock();
                    try {
                        thrown = wrapper;
                    } finally {
                        lock.unlock();
                    }
                }
            }
            if (report) {
                Goroutines.report(self, t);
            }
        }

        private boolean isStopSignal(Throwable t) {
            // This group's own refusal to start more once close() began is an answer to the stop as much as an
            // interrupt is (EG9): a goroutine starting work in a loop meets it when close() stops it. Another
            // group's refusal is a real failure of this one. So is a cancellation that is not the group context's
            // own error (EG18): a goroutine's deadline of its own expiring is its failure, whatever close() does
            // meanwhile; the context's error is the one instance the context, its descendants and the operations that
            // ended for it share (CX18), so identity tells the two apart.
            return t instanceof InterruptedException || t instanceof ChannelInterruptedException
                    || (t instanceof CancellationException && t == ctx.err())
                    || (t instanceof ClosedGroupException c && c.group == this);
        }

        /** A goroutine of the group has left the registry (or never started): its slot is free. */
        private void ended() {
            lock.lock();
            try {
                active--;
                signal();
            } finally {
                lock.unlock();
            }
        }

        void setLimit(int n) {
            lock.lock();
            try {
                // Lifting the limit is safe at any time, as in Go, whose SetLimit panics only for n >= 0 (EG10): the
                // running goroutines go on, and go() calls waiting for a slot start at once. Setting a limit while
                // goroutines run is refused, also where Go does not panic (no limit before): Go's count of them
                // would then go wrong.
                if (active > 0 && n >= 0) {
                    throw new IllegalStateException("ErrGroup: cannot change the limit while " + active + " goroutines are running");
                }
                limit = n < 0 ? -1 : n;
                signal();
            } finally {
                lock.unlock();
            }
        }

        Throwable await() throws InterruptedException {
            Throwable f;
            Throwable cause;
            List<Unattached> orphans;
            // Not lockInterruptibly (the lock is only ever held briefly): a group whose goroutines have all
            // ended has nothing to wait for, so its outcome is returned whatever the interrupt flag says, and
            // the flag is kept (EG8, as Thread.join and GoFuture.join do). Only a wait checks the flag.
            lock.lock();
            try {
                refuseSelfWait("await()");
                if (active > 0 && Thread.interrupted()) {
                    throw new InterruptedException();
                }
                while (active > 0) {
                    awaitChange();
                }
                orphans = attachOthers();
                f = collect();
                cause = first; // the failure itself, not a wrapper of it (GF5)
            } finally {
                lock.unlock();
            }
            ctx.cancel(cause);
            report(orphans);
            return f;
        }

        /**
         * Lock held: refuses a wait for the group from one of its own goroutines, which would wait for itself for
         * ever (EG11), before anything changed. Only goroutines in their task are listed in {@code running}: a
         * goroutine they started with {@link Go#go} is not the group's, and waits as any thread does. One lookup,
         * in a set empty once every goroutine of the group has ended.
         */
        private void refuseSelfWait(String call) {
            if (!running.isEmpty() && running.contains(Thread.currentThread())) {
                throw new IllegalStateException("ErrGroup." + call + " called from one of the group's own goroutines: it"
                        + " would wait for that goroutine, itself, to end");
            }
        }

        /**
         * Lock held: attaches the others to the first (EG2), in linear time (EG14), and forgets them (without a first
         * they are only answers to the stop: dropped). Returns those a first failure made with suppression disabled
         * could not keep (made by Throwable's four-argument constructor with {@code enableSuppression} false, as
         * lightweight exceptions are: its {@code addSuppressed} does nothing), each with its goroutine, for the
         * handler once the lock is released: nobody can observe them otherwise (GF11); answers to close()'s stop
         * among them are no news and stay dropped (EG5). Usually empty.
         */
        private List<Unattached> attachOthers() {
            List<Unattached> orphans = List.of();
            if (first != null && !Failures.suppressAll(first, others)) {
                Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
                seen.add(first);
                orphans = new ArrayList<>();
                for (int i = 0; i < others.size(); i++) {
                    Goroutine g = otherGoroutines.get(i);
                    Throwable t = others.get(i);
                    if (g != null && seen.add(t)) { // each instance once, as it would have been attached (EG2)
                        orphans.add(new Unattached(g, t));
                    }
                }
            }
            others.clear();
            otherGoroutines.clear();
            return orphans;
        }

        /** A failure the first could not keep, and its goroutine (GF11). */
        private record Unattached(Goroutine goroutine, Throwable failure) {}

        /** Lock not held: hands each failure the first could not keep to the handler (GF11), every one of them. */
        private static void report(List<Unattached> orphans) {
            for (Unattached u : orphans) {
                reportQuietly(u.goroutine(), u.failure());
            }
        }

        /**
         * {@link Goroutines#report}, which catches what the handler throws but not what logging that then throws (a
         * failure whose toString throws, printed by a logger that catches nothing): such a throw must neither keep
         * the failures after it from the handler nor take the place of what await() or close() return or throw.
         */
        private static void reportQuietly(Goroutine g, Throwable t) {
            try {
                Goroutines.report(g, t);
            } catch (Throwable ignored) {
                // the handler had it, failed, and that could not be logged either: nothing more to tell anyone
            }
        }

        /** Marks the outcome collected and observed, the others attached or taken ({@link #attachOthers}). Lock held. */
        private Throwable collect() {
            finished = true;
            observed = true;
            signal(); // go() calls waiting for a slot now fail
            if (first != null && thrown == null) {
                // An Exception or an Error is thrown as itself: nothing of its code runs here. A failure of another kind
                // was wrapped by failed() outside the lock (EG15); only if that could not finish (an OutOfMemoryError
                // cut it short) is it wrapped here.
                thrown = Failures.asThrown(first);
            }
            return thrown;
        }

        Throwable close() {
            List<Thread> toInterrupt;
            boolean stop;
            Throwable recorded;
            lock.lock();
            try {
                if (closed) {
                    return null;
                }
                refuseSelfWait("close()");
                closed = true;
                stop = !finished;
                stopping = stop;
                toInterrupt = stop ? List.copyOf(running) : List.of();
                recorded = first;
                signal();
            } finally {
                lock.unlock();
            }
            if (!stop) {
                ctx.cancel();
                return null;
            }
            // A failure recorded before the stop may not have cancelled the context yet (failed() cancels
            // after releasing the lock): cancel with it, so that it is the cause whichever cancel lands
            // first (EG3); with none recorded, the stop itself is the first reason.
            ctx.cancel(recorded);
            for (Thread t : toInterrupt) {
                t.interrupt();
            }
            Throwable f;
            List<Unattached> orphans;
            boolean interrupted = false;
            lock.lock();
            try {
                while (active > 0) {
                    try {
                        awaitChange(); // the goroutines were interrupted: they end soon, or a bubble's clock moves
                    } catch (InterruptedException e) {
                        interrupted = true; // close() waits for every goroutine regardless (EG5)
                    }
                }
                orphans = attachOthers();
                f = collect();
            } finally {
                lock.unlock();
            }
            report(orphans);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return f;
        }

        /** The cleaner's action: the handle is gone; an outcome nobody collected goes to the handler. */
        void abandon() {
            Throwable f;
            Goroutine g;
            List<Unattached> orphans;
            lock.lock();
            try {
                abandoned = true;
                if (observed || first == null) {
                    return;
                }
                orphans = attachOthers();
                observed = true;
                f = first;
                g = firstGoroutine;
            } finally {
                lock.unlock();
            }
            // On a goroutine of its own: the handler is the caller's code, and this is the cleaner's thread, which every
            // future and group of the JVM is registered with (TM22).
            Failures.reportOffCleaner(() -> {
                reportQuietly(g, f); // never throws: the orphans still go (GF11)
                report(orphans);
            });
        }

        /** {@return whether the cleaner found the handle collected ({@link #abandon}); for tests} */
        boolean isAbandoned() {
            lock.lock();
            try {
                return abandoned;
            } finally {
                lock.unlock();
            }
        }

        /**
         * The group as {@link ErrGroup#toString()} shows it, and as a bubble's deadlock report and
         * {@link Goroutines#dump()} name what a member waiting on it is blocked on. The first failure by its class,
         * never its own {@code toString}: that is the task's code (a message made from a null field, a cyclic
         * graph), which may throw or block, and this runs under the group's lock, also on a bubble's driver
         * while it writes a deadlock report (EG15).
         */
        @Override
        public String toString() {
            lock.lock();
            try {
                return "ErrGroup[" + active + " running" + (limit >= 0 ? ", limit " + limit : "")
                        + (first != null ? ", failed: " + first.getClass().getName() : "")
                        + (closed ? ", closed" : finished ? ", awaited" : "") + "]";
            } finally {
                lock.unlock();
            }
        }
    }
}
