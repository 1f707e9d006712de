package io.gochan;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ParkHook;
import io.gochan.spi.SafeText;
import io.gochan.spi.WaitNode;
import io.gochan.spi.Waiter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One virtual-time bubble: its members, its fake clock and timer heap, and the driver thread that
 * moves the clock when every member is durably blocked (ADR 0013).
 *
 * <p>How "every member is durably blocked" is known. A member about to park durably (on the bubble's
 * channels, a select of them, a sleep, a wait group, {@link Bubble#await()}) records what it waits
 * for and counts itself blocked, under {@link #lock}; when it wakes it takes the lock again to clear
 * the record. When the count reaches the number of members, the driver takes the lock and checks each
 * record's {@code stillBlocked} predicate (a waiter not yet claimed, a wait group whose counter has
 * not reached zero since): a member that was woken but has not run yet fails it. While the driver
 * holds the lock, no member can leave its blocked section (leaving needs the lock), so no member runs
 * user code during the check, and the check is a consistent snapshot: all records pass only if
 * nothing in the bubble can make progress. Every predicate is monotonic (once false, false for good),
 * and a member that failed it will take the lock to leave, which changes {@link #epoch} and wakes the
 * driver again; so no idle moment is missed and no false one is acted on.
 *
 * <p>No member waits on a {@link Condition} (rule BB20): a condition wait has its interrupt status
 * cleared by the JDK when it wakes, and then re-acquires a lock before it can leave its record, so the
 * driver would see an interrupted member as durably blocked. A member parks with {@link LockSupport}
 * instead ({@link #parkWhile}); the interrupt status, set by {@link Thread#interrupt()} before it unparks
 * the thread, stays set until the member has left its record, and whoever ends a wait (a wait group's
 * zero, an error group's signal, a goroutine leaving, the driver releasing {@code Bubble.await()}, a
 * timeout) makes the record's predicate false before it unparks the member. The member's leaving then
 * changes the epoch, which is what makes the driver look again.
 */
final class BubbleState {
    /** Go's synctest epoch: 2000-01-01 00:00:00 UTC. */
    static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    private static final AtomicLong IDS = new AtomicLong();
    /** How long a bubble that failed waits for its interrupted goroutines before giving up on them. */
    private static final long FAILED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** What a member in {@link Bubble#await()} waits on (its park blocker, and in a deadlock's dump). */
    private static final String AWAIT = "Bubble.await()";
    /** What the root waits on once its body has returned (BB7). */
    private static final String END = "the end of the bubble's other goroutines";
    /** A step of the bubble's own machinery, as {@link #machineryFault} names it: the driver's thread starts (BB32). */
    static final String DRIVER_START = "driver-start";
    /** A step of the bubble's own machinery: an owed start's real-time wait is arranged on the system timer (BB31). */
    static final String RETRY_WAIT = "retry-wait";
    /**
     * Tests only: if not null, called with the name of a step of the bubble's own machinery ({@link #DRIVER_START},
     * {@link #RETRY_WAIT}) just before it; what it throws is that step's failure, as an {@code OutOfMemoryError}
     * ("unable to create native thread") of the thread it starts would be, which no test can provoke safely.
     */
    static volatile Consumer<String> machineryFault;

    final long id = IDS.incrementAndGet();
    final FakeClock clock = new FakeClock();
    final TimerScheduler scheduler = new TimerScheduler(clock, false, true);
    final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change of {@link #epoch} and of the member list. */
    private final Condition changed = lock.newCondition();
    /** Guarded by lock: an action was scheduled due at the clock's instant; the driver runs it at once (BB27). */
    private boolean actionDueNow;
    /** Guarded by lock: the driver runs due entries with the lock released ({@link #runDueUnlocked}). */
    private boolean firing;
    /**
     * Guarded by lock: afterFunc starts that failed and are owed (their {@code stop()} returned false) and have not
     * started yet: each counts as a running member until its goroutine has joined (BB29). Only the driver's start
     * lowers it.
     */
    private int startsOwed;
    /** Guarded by lock: owed starts whose real-time wait is over, for the driver to make ({@link #startDueUnlocked}). */
    private final List<Runnable> startsDue = new ArrayList<>();

    {
        scheduler.onActionDueNow(this::actionDueNow);
        scheduler.onStartOwed(this::owe);
    }
    /**
     * Guarded by lock: contexts made by members and registered with a context made outside the bubble (BB30); done
     * ones are dropped as the list grows ({@link #adoptedOutside}). The end takes the others out of those contexts.
     */
    private final List<Contexts.CancelContext> outsideChildren = new ArrayList<>();
    private int pruneOutsideAt = 64; // guarded by lock
    /** Guarded by lock: the end has taken the bubble's contexts out of outside ones; later ones stay (BB30). */
    private boolean contextsLeft;
    // Guarded by lock.
    private final List<Member> members = new ArrayList<>();
    /**
     * Threads of members that have left, which may still be finishing their last steps: run() joins
     * them, so that when it returns every goroutine of the bubble has ended, thread and all (BB7).
     * Pruned of ended threads as it grows, so a bubble of many short goroutines does not hold them all.
     */
    private final List<Thread> leaving = new ArrayList<>();
    private int pruneLeavingAt = 64;
    private int blocked;
    private long epoch;
    private Member awaiting; // the member in Bubble.await(), if any
    /** The driver told {@code awaiting} that all others are blocked; read by it without the lock. */
    private volatile boolean released;
    private RuntimeException failure; // the deadlock (BB5)
    /**
     * The first uncaught failure of a member while the bubble was live, or of the bubble's own machinery (an owed
     * start it could not arrange): it fails the bubble (BB17, BB31).
     */
    private Throwable goroutineFailure;
    /** Members' uncaught failures after the bubble began to stop: reported with its outcome (BB17). */
    private final List<Failed> laterFailures = new ArrayList<>();

    /**
     * A failure that came after the bubble began to stop, and the goroutine that threw it: null for the bubble's own
     * machinery (BB31). Kept for the handler in case the outcome cannot keep the failure attached (BB33).
     */
    private record Failed(Goroutine goroutine, Throwable failure) {}

    /**
     * The bubble has begun to stop its members (a deadlock, a member's failure, a failing body, an
     * interrupt of the root at the end): it is no longer live, and what the members throw from now on
     * may be their answer to its interrupts (BB17).
     */
    private boolean stopping;
    private boolean outcomeTaken; // run() has collected its outcome: later failures are the handler's
    private boolean closing;
    private boolean rootEnding; // the root waits for the others to end: a deadlock interrupts only them
    private boolean rootParks; // the root is in that wait: every bump() unparks it to look again
    private Member root;
    private boolean rootInterrupted; // the bubble's failure interrupted the root (BB5)
    private Thread driver;
    /** Set once run() is over: the bubble's channels are ordinary channels from then on (BB6). */
    volatile boolean ended;
    /**
     * Go's {@code t.Context()} of {@code synctest.Test} (BB40): made by the root in the bubble before the body, so its
     * {@code done()} channel is the bubble's; cancelled by the root when the body returns, before the cleanups.
     */
    private volatile CancellableContext context;
    /** Guarded by lock: Go's {@code t.Cleanup} functions (BB41), run last first by the root after the body. */
    private final List<Task> cleanups = new ArrayList<>();
    /** Guarded by lock: the root found no cleanup left: one registered later would never run, so it is refused. */
    private boolean cleanupsRun;
    /**
     * Guarded by lock: the body or a cleanup threw while the bubble was live. A goroutine's failure after it is a later
     * one (attached to what run() throws), as it was when a body's throw stopped the bubble at once, before cleanups
     * ran between the two (BB17, BB41): the first failure the bubble saw still wins.
     */
    private boolean rootFailed;

    /** A member of the bubble: its root thread or one of its goroutines. */
    static final class Member {
        final BubbleState bubble;
        final Goroutine goroutine; // null for the root
        volatile Thread thread;    // set when its thread runs
        Blocked interruptedIn;     // lock held: the blocked section already interrupted (BB5)
        // Guarded by bubble.lock.
        Blocked blockedOn;
        /** Members' threads parked in a join of this member ({@link #awaitLeft}); null when none. */
        List<Thread> joiners;
        /** Set (under bubble.lock) when it has left the bubble; read by its joiners without the lock. */
        volatile boolean left;
        /**
         * Set by the member, without the lock, when it has woken from a durable wait and goes to take the
         * lock to leave its record; cleared under the lock. Taking a {@link ReentrantLock} that is held
         * clears the interrupt status while the thread waits for it (the JDK restores it once the lock is
         * taken), so an interrupted member contending with the driver for the lock would look durably
         * blocked without this (BB20).
         */
        volatile boolean leaving;

        Member(BubbleState bubble, Goroutine goroutine, Thread thread) {
            this.bubble = bubble;
            this.goroutine = goroutine;
            this.thread = thread;
        }

        String name() {
            return goroutine != null ? "goroutine " + goroutine.id() + " \"" + goroutine.name() + "\""
                    : "bubble root \"" + (thread == null ? "?" : thread.getName()) + "\"";
        }
    }

    /** What a durably blocked member waits for. */
    record Blocked(Object what, BooleanSupplier stillBlocked) {}

    /** The virtual clock: nanoseconds since {@link #EPOCH}, moved only by the driver. */
    static final class FakeClock implements TimerScheduler.Clock {
        private volatile long nanos;

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public Instant instant() {
            return EPOCH.plusNanos(nanos);
        }

        void advanceTo(long when) {
            if (when > nanos) {
                nanos = when;
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** Runs {@code body} as the bubble's root on the calling thread; see {@link Bubble#run(Task)}. */
    void run(Task body) throws Exception {
        Member root = new Member(this, null, Thread.currentThread());
        lock.lock();
        try {
            this.root = root;
            members.add(root);
        } finally {
            lock.unlock();
        }
        Bubbles.started();
        // The driver acts for the bubble (timers, afterFunc goroutines) but is not a member of it.
        Member acting = new Member(this, null, null);
        try {
            Consumer<String> fault = machineryFault;
            if (fault != null) {
                fault.accept(DRIVER_START);
            }
            driver = Thread.ofVirtual().name("gochan-bubble-" + id).start(() -> {
                Bubbles.bind(acting);
                drive();
            });
        } catch (RuntimeException | Error e) {
            // No driver, no bubble (BB32): the body has not run; undo what began it, or the park hook would stay
            // installed for the JVM's life (BB9) and this bubble would count as running for ever.
            lock.lock();
            try {
                members.remove(root);
                closing = true;
            } finally {
                lock.unlock();
            }
            ended = true;
            scheduler.retire(); // its timers may be stopped from anywhere now (BB44)
            Bubbles.ended();
            throw e;
        }
        Bubbles.bind(root);
        Throwable bodyFailure = null;
        try {
            context = Context.withCancel(Context.background()); // by the root, bound: its done() is the bubble's (BB40)
            body.run();
        } catch (Throwable t) {
            bodyFailure = t;
            rootFailed();
        }
        // Go's order (testing's runCleanup): the context is cancelled, then the cleanups run, last first, in the bubble
        // while its clock still moves, and only then does the end-wait judge what is left (BB40, BB41, BB39).
        List<Throwable> cleanupFailures = new ArrayList<>();
        bodyFailure = endBody(bodyFailure, cleanupFailures);
        InterruptedException endInterrupted = null;
        try {
            awaitOthersEnded(root, bodyFailure != null);
        } catch (InterruptedException e) {
            endInterrupted = e; // BB15: the others were interrupted and waited for
        } finally {
            Bubbles.unbind();
            lock.lock();
            try {
                members.remove(root);
                closing = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                joinUninterruptibly(driver);
                for (Runnable start : takeStartsDue()) {
                    startOutside(start); // owed, and the driver is gone: the root gave up on a stopping bubble (BB29)
                }
                for (Thread t : leftThreads()) {
                    joinUninterruptibly(t); // it has left the bubble: only its thread's last steps remain
                }
                leaveOutsideContexts(); // every member has ended: nothing of the bubble stays registered outside (BB30)
            } finally {
                // Whatever the teardown met (an OutOfMemoryError), the bubble ends: a park hook left installed would
                // cost every park of the JVM for its life (BB9, BB32).
                ended = true;
                scheduler.retire(); // its timers may be stopped from anywhere now (BB44)
                Bubbles.ended();
            }
        }
        RuntimeException f;
        Throwable g;
        List<Failed> later;
        boolean rootInterruptedByBubble;
        lock.lock();
        try {
            outcomeTaken = true; // a member still running (it ignored the interrupts) reports to the handler
            f = failure;
            g = goroutineFailure;
            later = List.copyOf(laterFailures);
            rootInterruptedByBubble = rootInterrupted;
        } finally {
            lock.unlock();
        }
        if (rootInterruptedByBubble) {
            // The bubble's own interrupt of the root is not the caller's: a body that restored it (an
            // iterator's ChannelInterruptedException does) must not leave it set when run() reports (BB5).
            Thread.interrupted();
        }
        List<Throwable> suppressed = new ArrayList<>();
        Throwable outcome = outcome(bodyFailure, endInterrupted, f, g, suppressed);
        suppressed.addAll(cleanupFailures); // after the first of the body's and cleanups' failures, as Go runs on (BB41)
        for (Failed l : later) {
            suppressed.add(l.failure());
        }
        if (outcome == null && !suppressed.isEmpty()) {
            outcome = suppressed.remove(0); // cannot happen: a later failure means the bubble was stopping
        }
        if (outcome == null) {
            return;
        }
        if (!Failures.suppressAll(outcome, suppressed)) { // linear in the failures (EG14)
            reportUnattached(outcome, suppressed, later); // an outcome made with suppression disabled kept none (BB33)
        }
        throw Failures.rethrow(outcome);
    }

    /**
     * The root, bound, once the body has returned or thrown {@code failure} (null if it returned): cancels the bubble's
     * context (BB40), then runs the cleanups, the last registered first, one registered meanwhile (by a cleanup or a
     * goroutine) included, until none is left (BB41), as Go's {@code runCleanup} does. Each runs even if one before it
     * threw. Returns the root's failure: {@code failure}, else the first thing that threw here; the others go to
     * {@code later}, to be attached to what run() throws.
     */
    private Throwable endBody(Throwable failure, List<Throwable> later) {
        Throwable first = failure;
        try {
            CancellableContext c = context;
            if (c != null) { // null only if making it failed, which is then the body's failure
                c.cancel();
            }
        } catch (Throwable t) {
            first = rootThrew(first, t, later);
        }
        while (true) {
            Task next;
            lock.lock();
            try {
                if (cleanups.isEmpty()) {
                    cleanupsRun = true; // in the section that found none: a later one is refused, never lost
                    return first;
                }
                next = cleanups.remove(cleanups.size() - 1);
            } finally {
                lock.unlock();
            }
            try {
                next.run();
            } catch (Throwable t) {
                first = rootThrew(first, t, later);
            }
        }
    }

    /** {@code t} was thrown by the root's cancel or a cleanup: the root's failure if it had none, else a later one. */
    private Throwable rootThrew(Throwable first, Throwable t, List<Throwable> later) {
        if (first == null) {
            rootFailed();
            return t;
        }
        later.add(t);
        return first;
    }

    /** The body or a cleanup threw: a goroutine's failure from now on is attached, not the outcome (BB17, BB41). */
    private void rootFailed() {
        lock.lock();
        try {
            rootFailed = true;
        } finally {
            lock.unlock();
        }
    }

    /** The bubble's context, for {@link Bubble#context()} (BB40). */
    Context context() {
        return context;
    }

    /**
     * Registers {@code cleanup} for {@link Bubble#cleanup} (BB41).
     *
     * @throws IllegalStateException if the root has already run the cleanups (the end-wait has begun)
     */
    void addCleanup(Task cleanup) {
        lock.lock();
        try {
            if (cleanupsRun) {
                throw new IllegalStateException("Bubble.cleanup after the bubble's cleanups have run: the body and its"
                        + " cleanups have returned, nothing would run it (BB41)");
            }
            cleanups.add(cleanup);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Rule BB33: {@code outcome}, what run() throws, was made with suppression disabled ({@code Throwable}'s
     * four-argument constructor with {@code enableSuppression} false, as lightweight exceptions are) and kept none of
     * {@code failures}: nobody could observe them otherwise (GF2, as GF11 for an error group). Each instance once, as
     * it would have been attached: a goroutine's failure goes to the uncaught-exception handler with its goroutine;
     * one no goroutine threw (what the body threw, the deadlock, BB15's interrupt, a failure of the bubble's own
     * machinery) has no goroutine to hand the handler, and is logged: at ERROR, at DEBUG if an interrupt caused it
     * (the body's answer to the bubble's stop, the caller's own interrupt), as Go logs a goroutine's answer to one.
     * Never throws: a report that fails must neither keep the others from being reported nor take the place of
     * {@code outcome}.
     */
    private static void reportUnattached(Throwable outcome, List<Throwable> failures, List<Failed> later) {
        Map<Throwable, Goroutine> threwIn = new IdentityHashMap<>();
        for (Failed l : later) {
            if (l.goroutine() != null) {
                threwIn.putIfAbsent(l.failure(), l.goroutine());
            }
        }
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(outcome);
        for (Throwable t : failures) {
            if (!seen.add(t)) {
                continue; // the outcome itself, or an instance already reported (Failures.suppressAll skips them too)
            }
            Goroutine goroutine = threwIn.get(t);
            try {
                if (goroutine != null) {
                    Goroutines.report(goroutine, t);
                } else {
                    SafeText.log(System.getLogger(Bubble.class.getName()),
                            causedByInterrupt(t) ? System.Logger.Level.DEBUG : System.Logger.Level.ERROR,
                            "Bubble.run throws a " + outcome.getClass().getName() + " made with suppression disabled,"
                                    + " which cannot keep this failure of the bubble attached", t);
                }
            } catch (Throwable ignored) {
                // The handler failed and logging that failed too (Goroutines.report), or the logger itself failed
                // twice (SafeText.log): there is nobody left to tell; the other failures and the outcome still go.
            }
        }
    }

    /**
     * What run() throws, or null; {@code suppressed} receives what is attached to it. The first failure
     * the bubble saw wins: a member's failure while the bubble was live (BB17) came before anything
     * that stopped the bubble; then a deadlock over the body's answer to the bubble's interrupt (BB5),
     * the body's own failure over a deadlock found after it, a deadlock over the caller's interrupt (BB15).
     */
    private static Throwable outcome(Throwable bodyFailure, InterruptedException endInterrupted, RuntimeException deadlock,
            Throwable goroutineFailure, List<Throwable> suppressed) {
        if (goroutineFailure != null) {
            // The body, a deadlock and an interrupt of the root all came after it (the bubble stopped at
            // once): often they are its consequence, the body waiting for a result that never came.
            for (Throwable t : new Throwable[] {bodyFailure, deadlock, endInterrupted}) {
                if (t != null) {
                    suppressed.add(t);
                }
            }
            return goroutineFailure;
        }
        if (endInterrupted != null) {
            if (deadlock != null) {
                suppressed.add(endInterrupted); // the bubble's own outcome says more than the interrupt
                return deadlock;
            }
            return endInterrupted;
        }
        if (bodyFailure != null) {
            if (deadlock != null && causedByInterrupt(bodyFailure)) {
                // The bubble's failure interrupted the body: report the failure, not the symptom, even
                // when the body turned the interrupt into something else (an iterator's
                // ChannelInterruptedException, a wrapped InterruptedException): BB5.
                suppressed.add(bodyFailure);
                return deadlock;
            }
            if (deadlock != null) {
                suppressed.add(deadlock);
            }
            return bodyFailure;
        }
        return deadlock;
    }

    /**
     * A member's task threw {@code t} (called on its thread, before it leaves the bubble): rule BB17.
     * While the bubble is live and neither the body nor a cleanup has thrown (BB41), the first such failure fails the
     * bubble at once, as a deadlock does:
     * every other member is interrupted (the root too, unless it already waits for the end), and
     * run() throws it once they have ended. After the bubble began to stop, a failure is attached to
     * what run() throws. The answer to an interrupt is not a failure.
     *
     * @return true if run() reports {@code t}; false if the uncaught-exception handler must
     */
    boolean goroutineFailed(Member m, Throwable t) {
        if (causedByInterrupt(t)) {
            return false; // how a goroutine answers being stopped (the bubble's teardown, or the test's own)
        }
        CancellableContext c = context;
        if (c != null && t == c.err()) {
            // BB50: the bubble's own context's end (BB40), thrown by an operation bound to it (a ticker loop's
            // receive(Bubble.context())): how a goroutine that runs until the body ends does end, as Go's
            // <-t.Context().Done() is. The very error the context holds, never a wrapper or another of its kind.
            return true;
        }
        lock.lock();
        try {
            if (outcomeTaken) {
                return false; // a member that outlived run() (it ignored the interrupts): nobody else will see it
            }
            if (!stopping && !rootFailed) {
                goroutineFailure = t;
                interruptOthers(rootEnding ? root : null, m);
            } else {
                laterFailures.add(new Failed(m.goroutine, t));
            }
            bump(); // the root may wait for the end: it now waits with the failed bubble's grace
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code t} or one of its causes is an InterruptedException (a bounded walk: causes may cycle). */
    private static boolean causedByInterrupt(Throwable t) {
        for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * After the body: wait until every goroutine of the bubble has ended (Go's synctest.Test does),
     * counted as durably blocked, so a deadlock is still found (BB7); the clock has stopped, so members left
     * durably blocked, sleeping ones too, are that deadlock, while running ones are waited for (BB39). If the body
     * failed, the goroutines are interrupted at once. An action due now that the driver has not run yet
     * (or is running) is waited for as a member is: its goroutine joins the bubble (BB18, BB27). Sets
     * {@link #closing} in the lock section that found nothing left.
     */
    private void awaitOthersEnded(Member root, boolean bodyFailed) throws InterruptedException {
        boolean callerInterrupted = false;
        lock.lock();
        try {
            if (bodyFailed) {
                interruptOthers(root, null);
            }
            rootEnding = true;
            rootParks = true; // from now on bump() unparks the root
            root.leaving = false;
            root.blockedOn = new Blocked(END, this::othersPending);
            blocked++;
            bump();
            long graceDeadline = 0;
            try {
                while (othersPending()) {
                    // The interrupt status is read and cleared under the lock, in the same section as the
                    // bump that announces it: the driver sees the status set or the new epoch, never a
                    // root whose interrupt was consumed but not yet handled (BB20).
                    if (Thread.interrupted()) {
                        if (!stopping) {
                            // Rule BB15: the caller (JUnit's @Timeout, a shutdown) gives up on the bubble.
                            // Ignoring it would wait for ever on a goroutine blocked outside the bubble;
                            // leaving at once would orphan the goroutines: stop them as a failed body does.
                            callerInterrupted = true;
                            interruptOthers(root, null);
                        }
                        // else the bubble has failed: this is its own interrupt of the root (a deadlock
                        // interrupts every member), not the caller's; waiting for the others goes on.
                        bump(); // its interrupt is handled: it counts as blocked again
                        continue;
                    }
                    long left = 0;
                    if (stopping) { // the bubble failed, the body threw, or the caller interrupted
                        if (graceDeadline == 0) {
                            graceDeadline = System.nanoTime() + FAILED_GRACE_NANOS;
                        }
                        left = graceDeadline - System.nanoTime();
                        if (left <= 0) {
                            break; // they ignore interrupts: the failure says who they are
                        }
                    }
                    lock.unlock();
                    try {
                        if (left > 0) {
                            LockSupport.parkNanos(END, left);
                        } else {
                            LockSupport.park(END);
                        }
                    } finally {
                        root.leaving = true; // its interrupt status may be hidden while it waits for the lock
                        lock.lock();
                        root.leaving = false;
                        // A driver that looked while it was leaving counted it as running and waits for the
                        // next change; parking again is one (BB7): announce it, without unparking the root
                        // (bump() would, and every wake-up would then wake it again).
                        announce();
                    }
                }
                // In the section that found nothing pending: no start can join between that look and
                // the end (BB18); one that comes later is refused (the bubble has ended).
                closing = true;
            } finally {
                rootParks = false;
                root.blockedOn = null;
                blocked--;
                bump();
            }
        } finally {
            lock.unlock();
        }
        if (callerInterrupted) {
            throw new InterruptedException("interrupted while Bubble.run waited for the bubble's goroutines to end;"
                    + " they were interrupted (BB15)");
        }
    }

    /**
     * Lock held: what the root's end-wait waits for: another member, or an action the driver has still to
     * run or is running (an afterFunc due now, scheduled as the body's or a goroutine's last act, whose
     * goroutine has not joined yet): BB18, BB27; or an afterFunc's start that failed and is owed (BB29).
     */
    private boolean othersPending() {
        return members.size() > 1 || actionDueNow || firing || startsOwed > 0;
    }

    /**
     * The scheduler's {@link TimerScheduler#startLater} (any thread, no lock held; see
     * {@link TimerScheduler#onStartOwed}): an afterFunc's goroutine, started by a member or the driver, could not
     * start, and its {@code stop()} already returned false. Go would have it running in the bubble now, so it counts
     * as a running member (the end-wait waits, the clock stands, no deadlock, {@code Bubble.await()} is not
     * released) until the driver has started it, after {@link TimerScheduler#RETRY_NANOS} of real time (BB29, CX20).
     * {@code failure} is why it is owed. Never throws: a cancel that owes a start completes (CX15), also when the
     * wait cannot be arranged, which fails the bubble instead (BB31).
     */
    private void owe(Runnable start, Throwable failure) {
        boolean counted;
        lock.lock();
        try {
            // Not closing: the caller is a member, or the driver in a round, so the end-wait cannot have found
            // nothing pending before this count (closing is set in that same section).
            counted = !closing;
            if (counted) {
                startsOwed++;
            }
        } finally {
            lock.unlock();
        }
        if (counted) {
            waitToRetry(start, failure);
        } else {
            // A member that outlived its bubble: nothing of the bubble will start it; the system's retry does, as
            // for a start that failed outside bubbles (CX15).
            TimerScheduler.SYSTEM.schedule(TimerScheduler.SYSTEM.startEntry(start), TimerScheduler.RETRY_NANOS, 0L);
        }
    }

    /**
     * Hands owed {@code start} to the driver {@link TimerScheduler#RETRY_NANOS} of real time from now: the wait is
     * for a JVM out of threads to recover, which the bubble's clock, standing while members run, would not measure.
     * {@code failure} is why it is owed (its last start's). Never throws: if the wait cannot be arranged (the system
     * timer's thread cannot start: the JVM is out of threads), the bubble fails at once instead ({@link #cannotOwe}).
     */
    private void waitToRetry(Runnable start, Throwable failure) {
        try {
            Consumer<String> fault = machineryFault;
            if (fault != null) {
                fault.accept(RETRY_WAIT);
            }
            TimerScheduler.SYSTEM.schedule(TimerScheduler.SYSTEM.actionEntry(() -> startDue(start)),
                    TimerScheduler.RETRY_NANOS, 0L);
        } catch (RuntimeException | Error e) {
            cannotOwe(e, failure);
        }
    }

    /**
     * Rule BB31: the real-time wait of an owed start could not be arranged ({@code failure}; {@code startFailure} is
     * why the start was owed). Nothing would ever start the function, and the bubble, counting it as a running
     * member, would wait for it until its caller gave up: so it stops counting, and the bubble fails with
     * {@code failure}, the start's failure attached, as with a goroutine's failure (BB17): the first while the bubble
     * is live stops it at once (every member interrupted, the root too unless its body has returned) and is what
     * run() throws; a later one is attached to what run() throws. Lock not held on entry; never throws.
     */
    private void cannotOwe(Throwable failure, Throwable startFailure) {
        if (startFailure != null && startFailure != failure) {
            failure.addSuppressed(startFailure);
        }
        boolean taken;
        lock.lock();
        try {
            startsOwed--;
            taken = !outcomeTaken;
            if (taken && !stopping) {
                goroutineFailure = failure;
                interruptOthers(rootEnding ? root : null, null);
            } else if (taken) {
                laterFailures.add(new Failed(null, failure)); // no goroutine threw it: the bubble's machinery (BB31)
            }
            bump(); // the root may wait for the end: the start no longer counts, and the bubble may be stopping
        } finally {
            lock.unlock();
        }
        if (!taken) {
            // run() has reported already (the caller outlived a stopping bubble's grace): as a late goroutine failure
            // (BB17), it goes to the handler of the thread that met it.
            Thread me = Thread.currentThread();
            try {
                me.getUncaughtExceptionHandler().uncaughtException(me, failure);
            } catch (RuntimeException | Error ignored) {
                // a handler that throws must not make the cancel that owed the start throw (CX15)
            }
        }
    }

    /**
     * On the system timer thread, once an owed start's wait is over: queues it for the driver (the lock is held
     * briefly, never across a wait: the timer thread must not be held up, TM4). If the bubble is closing (its root
     * gave up on a stopping bubble after its grace), the start is made outside it instead: owed all the same.
     */
    private void startDue(Runnable start) {
        lock.lock();
        try {
            if (!closing) {
                startsDue.add(start);
                changed.signalAll(); // the driver takes it in its next turn (drive)
                return;
            }
        } finally {
            lock.unlock();
        }
        startOutside(start);
    }

    /**
     * An owed start the bubble can no longer make: the system timer thread starts it, a thread of no bubble and of
     * no owner (the start names its own), and retries it as outside bubbles if it fails again (TM13, CX15).
     */
    private static void startOutside(Runnable start) {
        TimerScheduler.SYSTEM.schedule(TimerScheduler.SYSTEM.startEntry(start), 0L, 0L);
    }

    /** The owed starts queued for the driver, taken (run() calls it once the driver has ended). */
    private List<Runnable> takeStartsDue() {
        lock.lock();
        try {
            List<Runnable> starts = List.copyOf(startsDue);
            startsDue.clear();
            return starts;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Rule BB30: context {@code c}, made by a member, is about to be registered with a context made outside this
     * bubble (in none, or in another): the end takes it out again ({@link #leaveOutsideContexts}). Called before the
     * registration, since it may fail and the registration comes last (CX3). Done ones are dropped as the list grows,
     * so a bubble that makes and cancels many such contexts keeps only those still pending.
     */
    void adoptedOutside(Contexts.CancelContext c) {
        lock.lock();
        try {
            if (contextsLeft) {
                return; // a member that outlived its bubble: its contexts are ordinary ones now
            }
            outsideChildren.add(c);
            if (outsideChildren.size() >= pruneOutsideAt) {
                outsideChildren.removeIf(Contexts.CancelContext::isDone); // a volatile read each: no lock taken here
                pruneOutsideAt = Math.max(64, 2 * outsideChildren.size());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Rule BB30, at the end, once every member has ended: each context made in the bubble and still pending leaves
     * the context made outside it that it was registered with, so that nothing there refers to the ended bubble (its
     * deadline timer, its heap, its channels). Such a context is frozen as the end left it (CX21). Not when members
     * outlived a stopping bubble's grace (BB18): they run on, and may still wait for an outside cancel to reach them.
     * Lock not held: a context's lock is never taken under the bubble's.
     */
    private void leaveOutsideContexts() {
        List<Contexts.CancelContext> pending;
        lock.lock();
        try {
            contextsLeft = true;
            pending = members.isEmpty() ? List.copyOf(outsideChildren) : List.<Contexts.CancelContext>of();
            outsideChildren.clear();
        } finally {
            lock.unlock();
        }
        for (Contexts.CancelContext c : pending) {
            c.leaveOutsideParent();
        }
    }

    /**
     * Rule BB25: refuses a start on a wait group or error group bound to {@code bound} (a running bubble) by a
     * caller outside it: a thread of no bubble or a goroutine of another bubble. Its goroutine, or the
     * count it adds, would be invisible to that bubble's driver, which would take a member waiting on the
     * group for durably blocked while the work runs (a false deadlock, or the clock moving under it). Go's
     * runtime fails an {@code Add} of a bubble's wait group from outside the bubble. Nothing to check for a
     * group of no bubble or of one that has ended.
     *
     * @param bound the bubble the group is bound to, or null
     * @param what the refused call, for the message
     */
    static void requireInside(BubbleState bound, String what) {
        if (bound == null || bound.ended) {
            return;
        }
        Member m = Bubbles.current();
        if (m == null || m.bubble != bound) {
            throw new IllegalStateException(what + " from outside the virtual-time bubble its group belongs to ("
                    + (m == null ? "a thread of no bubble" : "a goroutine of another bubble")
                    + "): its work would be invisible to that bubble, whose goroutines waiting on the group would"
                    + " count as durably blocked (BB25)");
        }
    }

    /**
     * Rule BB42: refuses an add, from a member of another bubble, to a wait group still bound to {@code bound},
     * a bubble that has ended, with its counter above zero (at zero it is bound again instead, BB26). Go's
     * runtime fails such an {@code Add} ("called from multiple synctest bubbles"): the count left over from the
     * ended bubble would be taken into the caller's, whose waits on the group would then not be durable (BB16)
     * while its members believe they own it. Called only for a group bound to a bubble (BB9: nothing while none
     * is involved); a caller of no bubble is not refused (nothing of a bubble's is at stake then).
     *
     * @param bound the ended bubble the group is bound to
     * @param count the group's counter (above zero)
     * @param what the refused call, for the message
     */
    static void requireSameBubble(BubbleState bound, long count, String what) {
        Member m = Bubbles.current();
        if (m != null && m.bubble != bound) {
            throw new IllegalStateException(what + " called from multiple virtual-time bubbles: the wait group belongs"
                    + " to " + bound.label() + ", which has ended with the counter at " + count + ", and the caller"
                    + " is in " + m.bubble.label() + " (BB42, as Go's synctest fails such an Add); a wait group moves"
                    + " to another bubble only with its counter at zero (BB26)");
        }
    }

    /** {@return this bubble, for a message: its number and the thread of its root} */
    String label() {
        Member r = root; // set when run() begins, before any member can bind a group to the bubble
        String thread = r == null || r.thread == null ? "?" : r.thread.getName();
        return "bubble #" + id + " (root thread \"" + thread + "\")";
    }

    /** A goroutine starts inside the bubble (called by its starter, before its thread starts). */
    Member join(Goroutine g) {
        Member m = new Member(this, g, null);
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("goroutine started in a virtual-time bubble that has ended");
            }
            members.add(m);
            bump();
            return m;
        } finally {
            lock.unlock();
        }
    }

    private List<Thread> leftThreads() {
        lock.lock();
        try {
            return List.copyOf(leaving);
        } finally {
            lock.unlock();
        }
    }

    /** A goroutine of the bubble ended (or never started). */
    void leave(Member m) {
        lock.lock();
        try {
            if (m.blockedOn != null) {
                m.blockedOn = null;
                blocked--;
            }
            if (m.thread != null) {
                leaving.add(m.thread);
                if (leaving.size() >= pruneLeavingAt) {
                    leaving.removeIf(t -> !t.isAlive());
                    pruneLeavingAt = Math.max(64, 2 * leaving.size());
                }
            }
            members.remove(m);
            m.left = true;
            if (m.goroutine != null) {
                m.goroutine.leftBubble = true; // before its joiners look: a later join knows it is at its last steps
            }
            if (m.joiners != null) {
                for (Thread j : m.joiners) {
                    LockSupport.unpark(j); // after `left`: their predicate is false when they look (BB20)
                }
                m.joiners = null;
            }
            bump();
        } finally {
            lock.unlock();
        }
    }

    /** Lock held: a new epoch, and the driver told to look again (the root is not woken). */
    private void announce() {
        epoch++;
        changed.signalAll();
    }

    /** Lock held: something changed; wake the driver and the root if it waits for the end. */
    private void bump() {
        announce();
        if (rootParks) {
            LockSupport.unpark(root.thread);
        }
    }

    // ---------------------------------------------------------------- blocking

    /** Marks {@code m} durably blocked on {@code what}. */
    void block(Member m, Object what, BooleanSupplier stillBlocked) {
        lock.lock();
        try {
            m.leaving = false;
            m.blockedOn = new Blocked(what, stillBlocked);
            blocked++;
            bump();
        } finally {
            lock.unlock();
        }
    }

    /** {@code m} runs again: it counts as running from the first line on (see {@link Member#leaving}). */
    void unblock(Member m) {
        m.leaving = true;
        lock.lock();
        try {
            if (m.blockedOn != null) {
                m.blockedOn = null;
                blocked--;
                bump();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A bubble other than {@code mine} that one of the channels a park blocker waits on belongs to, or null (BB6,
     * BB24, BB47): {@code mine} is the waiting thread's bubble, null for a thread of no bubble. A member of another
     * bubble is as much outside a bubble as a thread of none: its wait could never be seen by that bubble's driver,
     * which would move the clock or declare a deadlock while it waits. A channel of an ended bubble is ordinary for a
     * thread of no bubble (BB6), but never for a member of another bubble that waits on it (BB47, {@code wait}): that
     * wait could never be durable, so its bubble would hang where Go's runtime fails.
     *
     * @param wait true for a wait (a blocking operation), false for a close (BB43)
     */
    static Object foreignBubbleOf(Object blocker, BubbleState mine, boolean wait) {
        if (blocker instanceof WaitNode n) {
            return foreign(n.channel().bubble(), mine, wait);
        }
        if (blocker instanceof ChannelCore c) { // asked before a plain operation queues (ParkHook.checkWait)
            return foreign(c.bubble(), mine, wait);
        }
        if (blocker instanceof ParkHook.Cases cases) {
            for (ChannelCore c : cases.channels()) {
                Object b = c == null ? null : foreign(c.bubble(), mine, wait);
                if (b != null) {
                    return b;
                }
            }
        }
        return null;
    }

    /**
     * {@code bubble} unless it is null or {@code mine}, or has ended and is asked about by a thread of no bubble or for
     * a close (BB6, BB47).
     */
    private static Object foreign(Object bubble, BubbleState mine, boolean wait) {
        return bubble instanceof BubbleState b && b != mine && (!b.ended || wait && mine != null) ? b : null;
    }

    /** Whether this bubble has ended (BB47's refusal says so). */
    boolean hasEnded() {
        return ended;
    }

    /** Whether every channel {@code blocker} waits on belongs to this bubble (BB2); a nil channel's wait does. */
    private boolean durable(Object blocker) {
        if (blocker instanceof WaitNode n) {
            return n.channel().bubble() == this;
        }
        if (blocker instanceof ParkHook.Cases cases) {
            for (ChannelCore c : cases.channels()) {
                if (c != null && c.bubble() != this) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A member's channel wait (see {@link ParkHook}): durable if all its channels are the bubble's;
     * a deadline is a timer on the bubble's clock that cancels the waiter.
     */
    WaitNode await(Member m, Waiter waiter, long deadlineNanos, Object blocker) {
        TimerEntry timeout = null;
        if (deadlineNanos != Long.MAX_VALUE) {
            Thread t = waiter.thread();
            // tryCancel(false) from the driver: the CAS decides against a concurrent claim or interrupt.
            timeout = scheduler.actionEntry(() -> {
                if (waiter.tryCancel(false)) {
                    LockSupport.unpark(t);
                }
            });
            // BB48: Long.MAX_VALUE - 1 is where ChannelCore.deadlineAfter puts a deadline that saturated at the clock's
            // end (Long.MAX_VALUE means "none"): it is the clock's last instant, where a far sleep or timer lands too,
            // not the nanosecond before it.
            long delay = deadlineNanos == Long.MAX_VALUE - 1 ? Long.MAX_VALUE : deadlineNanos - scheduler.now();
            scheduler.schedule(timeout, delay, 0L);
        }
        boolean durable = durable(blocker);
        if (durable) {
            block(m, blocker, () -> !waiter.isCompleted());
        }
        try {
            while (true) {
                if (waiter.isCompleted()) {
                    return waiter.winner();
                }
                // The interrupt status is cleared only after the waiter is decided: the driver reads it
                // (allStillBlocked), and a status cleared while the waiter is still undecided would
                // look durably blocked for a moment (a false deadlock, a false jump of the clock).
                if (Thread.currentThread().isInterrupted()) {
                    if (waiter.tryCancel(true)) {
                        Thread.interrupted();
                        return null;
                    }
                    return waiter.winner(); // claimed first: the operation happened, the interrupt stays set
                }
                LockSupport.park(blocker);
            }
        } finally {
            if (durable) {
                unblock(m);
            }
            if (timeout != null) {
                scheduler.unschedule(timeout);
            }
        }
    }

    /**
     * Member {@code m} waits durably on {@code what} while {@code stillBlocked} holds (BB2), parked
     * (see {@link #parkWhile}); whoever makes it false must unpark the thread afterwards. No lock may
     * be held by the caller: {@link DurableWaiters#await} releases its owner's first.
     *
     * @throws InterruptedException if the thread was interrupted while {@code stillBlocked} held; its
     *     status is cleared only after the record is gone (BB20)
     */
    void parkDurably(Member m, Object what, BooleanSupplier stillBlocked) throws InterruptedException {
        block(m, what, stillBlocked);
        boolean interrupted;
        try {
            interrupted = parkWhile(stillBlocked, what);
        } finally {
            unblock(m);
        }
        if (interrupted) {
            Thread.interrupted();
            throw new InterruptedException();
        }
    }

    /**
     * Parks the calling member while {@code stillBlocked} holds and its thread is not interrupted;
     * returns whether it stopped for an interrupt. The interrupt status is never cleared here: the
     * driver reads it (allStillBlocked), so the member counts as running from the moment it was
     * interrupted until its caller has left the record and only then clears it (BB20). A wake-up
     * that finds the predicate still true (a spurious one, a permit left by an earlier wait) parks again.
     */
    private static boolean parkWhile(BooleanSupplier stillBlocked, Object blocker) {
        Thread me = Thread.currentThread();
        while (stillBlocked.getAsBoolean()) {
            if (me.isInterrupted()) {
                return true;
            }
            LockSupport.park(blocker);
        }
        return false;
    }

    /**
     * Runs {@code action} on the driver when the bubble's clock has moved {@code nanos} on (a timed wait
     * that is not a channel's, such as {@link WaitGroup#await(java.time.Duration)}); the action runs
     * with no lock of the bubble held. Undo with {@link #cancelTimeout}.
     */
    TimerEntry timeoutAfter(long nanos, Runnable action) {
        TimerEntry e = scheduler.actionEntry(action);
        scheduler.schedule(e, nanos, 0L);
        return e;
    }

    /** Cancels a {@link #timeoutAfter} action that has not run (a no-op once it has). */
    void cancelTimeout(TimerEntry e) {
        scheduler.unschedule(e);
    }

    /**
     * Member {@code m} waits for goroutine {@code g} to leave this bubble ({@link Goroutine#join()}):
     * durable while {@code g} is a member (BB2), for at most {@code nanos} on the bubble's clock
     * (negative: no limit; {@code Long.MAX_VALUE}: the clock's last instant, BB49). A goroutine leaves the bubble as the last step of its thread,
     * so the caller then joins the thread itself, which has nothing left to wait for.
     *
     * @return {@link Left#LEFT} once {@code g} has left (at once if it left a bubble before); {@link Left#NOT_A_MEMBER}
     *     at once if it is a goroutine of no bubble or of another bubble still running it (BB4);
     *     {@link Left#TIMED_OUT} if the time ran out first
     */
    Left awaitLeft(Member m, Goroutine g, long nanos) throws InterruptedException {
        Thread me = Thread.currentThread();
        Member target = null;
        lock.lock();
        try {
            for (Member x : members) {
                if (x.goroutine == g) {
                    target = x;
                    break;
                }
            }
            if (target == null) {
                // One that left a bubble (this one, or another) has only its thread's last steps left.
                return g.leftBubble ? Left.LEFT : Left.NOT_A_MEMBER;
            }
            if (target.joiners == null) {
                target.joiners = new ArrayList<>(2);
            }
            target.joiners.add(me); // leave(target) sets target.left, then unparks it
        } finally {
            lock.unlock();
        }
        Member t = target;
        AtomicBoolean expired = new AtomicBoolean();
        // BB49: a negative nanos is the untimed join's "no limit"; a timed one saturated at Long.MAX_VALUE is a timer at
        // the clock's last instant (BB23), never "no limit", which would make a far join a false deadlock.
        TimerEntry timeout = nanos < 0 ? null : timeoutAfter(nanos, () -> {
            expired.set(true); // before the unpark: the joiner's predicate is false when the driver looks
            LockSupport.unpark(me);
        });
        try {
            // Read by the driver under the lock, by this member without it: both fields are volatile.
            parkDurably(m, new Joining(t), () -> !t.left && !expired.get());
            return t.left ? Left.LEFT : Left.TIMED_OUT;
        } finally {
            if (timeout != null) {
                cancelTimeout(timeout);
            }
            if (!t.left) { // timed out or interrupted: no longer a joiner
                lock.lock();
                try {
                    if (t.joiners != null) {
                        t.joiners.remove(me);
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** How {@link #awaitLeft} ended. */
    enum Left {
        /** The goroutine was a member and has left the bubble: only its thread's last steps remain. */
        LEFT,
        /** The goroutine is of no bubble, or of another still running it: nothing was waited for. */
        NOT_A_MEMBER,
        /** The time on the bubble's clock ran out first. */
        TIMED_OUT
    }

    /** What a member waiting in {@link #awaitLeft} is blocked on, as a deadlock report names it. */
    private record Joining(Member target) {
        @Override
        public String toString() {
            return "join of " + target.name();
        }
    }

    /** Go's synctest.Wait for member {@code m}; see {@link Bubble#await()}. */
    void awaitOthersBlocked(Member m) throws InterruptedException {
        BooleanSupplier notReleased = () -> !released;
        lock.lock();
        try {
            if (awaiting != null) {
                throw new IllegalStateException("Bubble.await() called by two goroutines of one bubble at once");
            }
            awaiting = m;
            released = false;
            m.leaving = false;
            m.blockedOn = new Blocked(AWAIT, notReleased);
            blocked++;
            bump();
        } finally {
            lock.unlock();
        }
        boolean interrupted = true;
        try {
            interrupted = parkWhile(notReleased, AWAIT); // the driver sets released, then unparks (BB20)
        } finally {
            m.leaving = true; // running from here on (BB20)
            lock.lock();
            try {
                awaiting = null;
                m.blockedOn = null;
                blocked--;
                bump();
            } finally {
                lock.unlock();
            }
        }
        if (interrupted) {
            Thread.interrupted(); // only now that the record is gone (BB20)
            throw new InterruptedException();
        }
    }

    // ---------------------------------------------------------------- the driver

    /** The driver thread: moves time or reports a deadlock whenever the whole bubble is idle. */
    private void drive() {
        lock.lock();
        try {
            long checked = -1;
            while (!closing) {
                if (actionDueNow) {
                    // An afterFunc or timeout due at this instant runs now, while members run, as Go runs a
                    // bubble's timer that is already due (BB27); the clock does not move for it.
                    actionDueNow = false;
                    runDueUnlocked();
                    checked = -1;
                    continue;
                }
                if (!startsDue.isEmpty()) {
                    startDueUnlocked(); // owed afterFunc starts whose real-time wait is over, whatever members do (BB29)
                    checked = -1;
                    continue;
                }
                // An owed start counts as a running member (BB29): Go's goroutine would be running, so neither
                // the clock moves nor the await is released nor a deadlock found until it has started and joined.
                if (checked == epoch || members.isEmpty() || blocked < members.size() || startsOwed > 0) {
                    changed.awaitUninterruptibly();
                    continue;
                }
                checked = epoch;
                if (!allStillBlocked()) {
                    continue; // someone was woken: its leaving the blocked state changes the epoch
                }
                if (awaiting != null) {
                    long next = scheduler.nextDue();
                    if (next >= 0 && next <= clock.nanoTime()) {
                        // A timer due at this very instant (a channel timer reset to now while its receiver
                        // waited: nothing looks at its channel again) runs before the await is released, as
                        // Go wakes the root for a due timer before the Wait-er (BB10, BB21). A fired entry
                        // leaves the heap or moves strictly later (a dozing ticker is out of it): no spin.
                        runDueUnlocked();
                        checked = -1;
                        continue;
                    }
                    released = true; // Bubble.await(): every other member is durably blocked
                    LockSupport.unpark(awaiting.thread);
                    continue;
                }
                long next = usableTimer();
                if (next < 0) {
                    if (failure == null && !describeDeadlock()) {
                        checked = -1; // something moved while it was described: look again
                        continue;
                    }
                    interruptOthers(rootEnding ? root : null, null); // fail the bubble (BB5), once per section
                    continue;
                }
                clock.advanceTo(next);
                runDueUnlocked();
                checked = -1; // a timer that woke nobody: look again (next timer, or a deadlock)
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lock held on entry and on return: runs every entry due at the clock's instant, with the lock released. */
    private void runDueUnlocked() {
        // Until the round is over, the root's end-wait must not take the bubble for finished: an afterFunc
        // fired in it has not joined yet while a member it woke may already have left (BB18, BB27).
        firing = true;
        lock.unlock(); // timers deliver into channels and start goroutines: never under our lock
        try {
            while (scheduler.runDue() > 0) {
                // every entry due at this instant, however many rounds it takes
            }
        } finally {
            lock.lock();
            firing = false;
            bump(); // the root may wait for the end: the round's goroutines are members now, or none came
        }
    }

    /**
     * Lock held on entry and on return: makes the owed starts whose wait is over ({@link #owe}), with the lock
     * released, on the driver, which is bound to the bubble: each goroutine joins it, as the start that failed would
     * have made it join (BB1, BB29). The count falls only once the goroutine is a member, so the end-wait sees the
     * one or the other at every moment. One that fails again waits again, still counted.
     */
    private void startDueUnlocked() {
        List<Runnable> starts = List.copyOf(startsDue);
        startsDue.clear();
        int started = 0;
        lock.unlock(); // a start joins the bubble (this lock): never under it
        try {
            for (Runnable start : starts) {
                try {
                    start.run();
                    started++;
                } catch (RuntimeException | Error t) {
                    TimerScheduler.logStartRetry(t);
                    waitToRetry(start, t); // never throws: a wait it cannot arrange fails the bubble (BB31)
                }
            }
        } finally {
            lock.lock();
            startsOwed -= started;
            bump(); // the root may wait for the end: the goroutines are members now
        }
    }

    /** The scheduler's call when an action is scheduled already due (any thread, no scheduler lock held). */
    private void actionDueNow() {
        lock.lock();
        try {
            actionDueNow = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lock held: every member's record still says blocked. A member whose thread is interrupted is
     * not (BB2): the interrupt ends its wait as soon as it runs, though its waiter is not claimed yet
     * (an interrupt by another member, by the test's thread, or the bubble's own when it stops). Within
     * a channel wait the interrupt status stays set until the member wakes and leaves the section
     * (which changes the epoch), so the predicate stays monotonic; every other durable wait parks the
     * same way and clears the status only after it left its record (BB20). A member that has woken and
     * waits for this lock to leave its record says so first ({@code leaving}): waiting for a lock hides
     * its interrupt status for that moment. So the status is read before the mark: a member sets the
     * mark before its lock wait can clear the status, so a status read as clear means the mark, if the
     * member is on its way out, is already visible. Read the other way round, a member interrupted
     * during the look could be read unmarked (not yet woken) and then clear (queued for the lock), and
     * count as blocked: the clock moved before it ran (seen once on a loaded CI machine). The root's wait for the
     * end, which handles an interrupt without leaving its section, clears it under the lock and announces
     * that with a new epoch in the same step (BB15). A section the bubble itself interrupted is also
     * remembered ({@code interruptedIn}) and never counts as blocked again.
     */
    private boolean allStillBlocked() {
        for (Member m : members) {
            Blocked b = m.blockedOn;
            Thread t = m.thread;
            if (b == null || b == m.interruptedIn || t != null && t.isInterrupted() || m.leaving
                    || !b.stillBlocked().getAsBoolean()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code t} (the driver once closing is set, or a member that has left) ends at once: its join must
     * not be cut short by a stray interrupt of the root, or run() would throw that instead of the
     * bubble's own outcome.
     */
    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // the caller's interrupt is kept for it to see
        }
    }

    /**
     * Lock held, all blocked, no timer, no failure yet: records the deadlock (BB5) and returns true, or
     * returns false if the bubble moved meanwhile. The message is written with the lock released: it
     * calls the toString of what members wait on (a wait group's takes the wait group's lock, which a
     * member leaving its wait holds while it waits for this lock) and reads their stacks; so it is
     * written from a snapshot, and kept only if nothing changed while it was written (the epoch, and
     * every record's monotonic predicate).
     */
    private boolean describeDeadlock() {
        long seen = epoch;
        List<Member> snapshot = List.copyOf(members);
        List<Object> blockedOn = new ArrayList<>();
        for (Member m : snapshot) {
            blockedOn.add(m.blockedOn == null ? "?" : m.blockedOn.what());
        }
        Instant at = clock.instant();
        long nanos = clock.nanoTime();
        long pending = scheduler.nextDue();
        // Only a stopped clock with a timer left explains why members that merely sleep count as stuck (BB39); with no
        // timer pending the deadlock is BB5's plain one, whether the body has returned or not.
        boolean clockStopped = rootEnding && pending >= 0;
        lock.unlock();
        String message;
        try {
            StringBuilder b = new StringBuilder(clockStopped ? stoppedClockHeadline(pending) : "all goroutines in the"
                    + " virtual-time bubble are durably blocked and no timer is pending");
            b.append(" - deadlock! (at ").append(at).append(", ").append(Duration.ofNanos(nanos))
                    .append(" of virtual time)\n\n");
            for (int i = 0; i < snapshot.size(); i++) {
                describe(snapshot.get(i), blockedOn.get(i), b);
            }
            message = b.toString();
        } finally {
            lock.lock();
        }
        if (closing || failure != null || epoch != seen || awaiting != null || startsOwed > 0 || !allStillBlocked()
                || usableTimer() >= 0) {
            return failure != null;
        }
        failure = new BubbleDeadlockException(message);
        return true;
    }

    /**
     * Lock held: the due time of the earliest timer that can still fire, or -1. Once the root waits for the end
     * (the body returned or threw), the clock has stopped (BB39, as Go 1.25's runtime does: "time stops advancing when
     * the root goroutine of the bubble exits"): only a timer due at the clock's instant can fire; a later one never
     * will, so members waiting for it are as stuck as members waiting on a channel nobody will send on.
     */
    private long usableTimer() {
        long next = scheduler.nextDue();
        return rootEnding && next > clock.nanoTime() ? -1 : next;
    }

    /**
     * The deadlock's first line when the clock has stopped (BB39): it says why a member that merely sleeps, or loops
     * on a ticker, counts as blocked for ever, which a user of the clock that kept moving (BB7 before) would not guess.
     */
    private static String stoppedClockHeadline(long pendingTimer) {
        return "the body of Bubble.run and its cleanups have returned, so the bubble's clock has stopped (BB39, as Go's"
                + " synctest stops time when the bubble's root goroutine exits; a timer due at " + EPOCH.plusNanos(pendingTimer)
                + " will never fire), and every goroutine left in the bubble is durably blocked";
    }

    /** One paragraph of the deadlock's dump (lock not held). */
    private static void describe(Member m, Object blockedOn, StringBuilder b) {
        Thread t = m.thread;
        b.append(m.name()).append(" [durably blocked on ").append(textOf(blockedOn)).append("]\n");
        if (t != null) {
            for (StackTraceElement e : t.getStackTrace()) {
                b.append("    at ").append(e).append('\n');
            }
        }
        if (m.goroutine != null) {
            // BB36: where it was started, as Go's report says "created by" and as the leak check's report of the same
            // goroutine outside a bubble does; a @Synctest test's leak is reported by this dump, not by the leak check.
            Goroutines.appendStartSite(m.goroutine, b);
        }
        b.append('\n');
    }

    /**
     * What a member is blocked on, for the deadlock's dump: its {@code toString()}, or, if that throws (anything, a
     * {@link StackOverflowError} too), its class name and what it threw. This runs on the driver: a throw escaping
     * here would end the driver's thread, and with it the report, the clock and {@code Bubble.run} (EG15's case, for
     * any blocker). {@link SafeText#of} is that fallback, in that form (it also logs the throw at DEBUG).
     */
    private static String textOf(Object blockedOn) {
        return SafeText.of(blockedOn);
    }

    /**
     * Lock held: the bubble stops: interrupts every member but {@code spared} and {@code alsoSpared},
     * each blocked section once: the driver may see the same sections again before the interrupted
     * members ran (a deadlock found twice, or after the body's failure interrupted them), and a second
     * interrupt would then land after the first was handled (a stray interrupt status, e.g. on the
     * root's wait for the others). A member that blocks again after handling it is in a new section and
     * is interrupted again. The section interrupted is remembered: it no longer counts as blocked.
     */
    private void interruptOthers(Member spared, Member alsoSpared) {
        stopping = true;
        for (Member m : members) {
            Thread t = m.thread;
            Blocked section = m.blockedOn;
            if (m != spared && m != alsoSpared && t != null && (section == null || section != m.interruptedIn)) {
                m.interruptedIn = section;
                rootInterrupted |= m == root;
                t.interrupt();
            }
        }
    }

    /**
     * Called by member {@code m}'s own thread as it starts running, once {@link Member#thread} is set: if the bubble
     * began stopping before (its {@link #interruptOthers} found no thread to interrupt for {@code m}, and skipped it),
     * the thread interrupts itself, so that a goroutine started just before the stop obeys it as the others do
     * (BB5, BB34). Under the lock: a stop that comes after sees the thread and interrupts it itself.
     */
    void interruptIfStopping(Member m) {
        lock.lock();
        try {
            if (stopping) {
                m.interruptedIn = m.blockedOn; // as interruptOthers notes it (null: not blocked yet)
                Thread.currentThread().interrupt();
            }
        } finally {
            lock.unlock();
        }
    }

    /** What {@code m} is durably blocked on right now, or null if it counts as running (for tests). */
    Object durablyBlockedOn(Member m) {
        lock.lock();
        try {
            return m.blockedOn == null ? null : m.blockedOn.what();
        } finally {
            lock.unlock();
        }
    }

    /** How many contexts made in the bubble under outside ones it keeps track of (for tests: BB30's pruning). */
    int outsideContexts() {
        lock.lock();
        try {
            return outsideChildren.size();
        } finally {
            lock.unlock();
        }
    }

    /** Lock held by the caller or not: the members not ended (for leak reports). */
    List<Member> membersSnapshot() {
        lock.lock();
        try {
            return List.copyOf(members);
        } finally {
            lock.unlock();
        }
    }
}
