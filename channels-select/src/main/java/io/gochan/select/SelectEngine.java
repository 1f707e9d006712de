package io.gochan.select;

import io.gochan.ChannelClosedException;
import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import io.gochan.spi.JfrGate;
import io.gochan.spi.ParkHook;
import io.gochan.spi.WaitNode;
import io.gochan.spi.Waiter;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The select protocol, shared by {@link Select} and {@link SelectStatement}. Not thread-safe: one
 * engine belongs to one builder, used by one thread at a time (it may be run many times). A run that
 * overlaps another, and adding a case during a run, are refused (rule L12): see {@link #enter()}.
 */
final class SelectEngine implements ParkHook.Cases {
    /*
     * Implementation notes (Go's selectgo, on gochan's spi; see ADR 0002).
     *
     * 0. Fast path: if some cases look ready without locks, pick one of them uniformly and lock only its
     *    channel; if it really is ready, that case fires. Otherwise (nothing looks ready, or the hint
     *    was stale) continue with 1.
     * 1. Lock every distinct enabled channel in increasing ChannelCore.id() order. A global order means
     *    two selects over the same channels never deadlock; locking the same channel once lets a
     *    select name a channel in several cases (L7).
     * 2. Poll the enabled cases in a fresh uniformly random order (L2) and complete the first ready
     *    one with pollReceiveLocked/pollSendLocked. While we hold every lock and have registered
     *    nothing, no other party can complete "us", so a ready case needs no claim of our own.
     * 3. Nothing ready: take the default if any (L3). Else register one Waiter through one WaitNode per
     *    enabled case, still under all locks, so registration is atomic with the poll, then unlock. The
     *    nodes are queued in step 2's random order (Go's lockorder, seeded from pollorder), so cases on
     *    one channel in one direction are completed by a partner with equal probability (L21).
     * 4. Park until a channel claims the waiter (exactly one can: the Waiter's CAS, L6), the deadline
     *    passes or the thread is interrupted (then the cancel CAS decides; a claim that won the race
     *    still counts, I2).
     * 5. Unlink every node from its channel (the winner's is already unlinked; the others are dead),
     *    so nothing of this select stays reachable (I3).
     */
    /**
     * The most spins any spinning case's channel (unbuffered or one-slot) grants the current thread before it
     * parks (the spin policy decides, per channel); 0 for none. Asks every such channel: each counts its waits for its probe.
     */
    private int spinBudget() {
        int budget = 0;
        for (int i = 0; i < size; i++) {
            if (chans[i] != null && chans[i].spinsBeforeWaiting()) {
                budget = Math.max(budget, chans[i].spinBudget()); // no short cut, see above
            }
        }
        return budget;
    }

    static final int RECEIVE = 0;
    static final int RECEIVE_OK = 1;
    static final int SEND = 2;
    /** A context's done case: a receive on ctx.done() that fires once it is closed; sendValues holds the context. */
    static final int DONE = 3;
    /** The handler of a done case that throws the context's error when chosen. */
    static final Object THROW_ERR = new Object();

    private int size;
    private int[] kinds = new int[4];
    private ChannelCore[] chans = new ChannelCore[4];
    private Object[] sendValues = new Object[4];
    private Object[] handlers = new Object[4];
    private long timeoutNanos = -1; // -1: no timeout case
    private Object timeoutHandler;
    private Object defaultHandler;
    private RandomGenerator random;

    // Scratch, reused across runs.
    private int[] order = new int[4];
    /** How many enabled cases pollReady() put into order (all of them, shuffled, when none was ready). */
    private int polled;
    private ChannelCore[] lockOrder = new ChannelCore[4];

    /**
     * The thread between {@link #enter()} and {@link #exit()}, else null (L12). The run's scratch arrays
     * and its result fields (chosen, received) are shared by every run of this engine: a second thread
     * running at the same time handled the other's value (one value twice, another never) and could
     * unlock channels it had not locked. Read and written with opaque accesses, never a CAS: see enter().
     */
    @SuppressWarnings("unused") // through RUNNER
    private Thread runner;
    private static final VarHandle RUNNER;

    static {
        try {
            RUNNER = MethodHandles.lookup().findVarHandle(SelectEngine.class, "runner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Claims the engine for the calling thread before a run (L12), refusing with IllegalStateException, before any
     * channel is touched, a run that finds another run's claim (another thread's, or this thread's from a callback
     * inside its own run). Best effort, as a collection's ConcurrentModificationException: opaque accesses, no CAS.
     * A CAS here is a full fence at the start of every run, which waits for the previous run's stores to shared
     * channel lines to drain: measured 1.36x the time of a two-case select on two carriers (B4). Two runs that start
     * at the same instant may both pass; that is the misuse the contract forbids, not a supported use.
     */
    void enter() {
        Thread me = Thread.currentThread();
        Object other = RUNNER.getOpaque(this);
        if (other != null) {
            throw new IllegalStateException((other == me ? "select re-entered from inside its own run"
                    : "select already running on " + other) + ": a select is run by one thread at a time "
                    + "(build one per thread; a handler may run it again, its run is over then): " + this);
        }
        RUNNER.setOpaque(this, me);
    }

    /** Releases the engine after a run has read its result, before the chosen handler runs (L12). */
    void exit() {
        RUNNER.setRelease(this, (Thread) null);
    }

    /** What a caller does with a run's outcome, after the claim is released (a handler may run the select again). */
    @FunctionalInterface
    interface Dispatch<T, X extends Exception> {
        T handle(SelectEngine engine, int chosen, Object handler, Object received) throws InterruptedException, X;
    }

    /**
     * Runs once under the one-run claim (L12) and hands the outcome to {@code dispatch} once the claim is released:
     * the chosen case, its handler and the value received, read while the claim is held and the value moved out, so a
     * select kept for its next run keeps no value it handed over (I4).
     */
    <T, X extends Exception> T runOnce(Dispatch<T, X> dispatch) throws InterruptedException, X {
        enter();
        int i;
        Object h;
        Object v;
        try {
            run();
            i = chosen;
            h = handler(i);
            v = received;
            received = null;
        } finally {
            exit();
        }
        return dispatch.handle(this, i, h, v);
    }

    /** Result of the last run: chosen case index, or TIMEOUT / DEFAULT. */
    static final int TIMEOUT = -1;
    static final int DEFAULT = -2;
    int chosen;
    /** For receive cases: the value, or ChannelCore.CLOSED. */
    Object received;

    int add(int kind, Object channel, Object sendValue, Object handler) {
        checkNotRunning();
        if (size == kinds.length) {
            int n = size * 2;
            kinds = Arrays.copyOf(kinds, n);
            chans = Arrays.copyOf(chans, n);
            sendValues = Arrays.copyOf(sendValues, n);
            handlers = Arrays.copyOf(handlers, n);
            order = new int[n];
            lockOrder = new ChannelCore[n];
        }
        // A null channel is a disabled case (Go's nil channel); so is a nil Chan.
        ChannelCore core = channel == null ? null : ChannelCores.of(channel);
        if (kind == RECEIVE && core != null && core.isSignal()) {
            // L10, GF3: it would throw ChannelClosedException exactly when the context or future is done. Both kinds
            // of done channel are signals, and a future has no context to pass: the message names both ways out.
            throw new IllegalArgumentException("a plain receive case on a done() channel (a context's or a future's: "
                    + "only ever closed, never sent on) would throw ChannelClosedException exactly when it is done; "
                    + "use receiveOk(channel, handler), or done(ctx, handler) for a context");
        }
        kinds[size] = kind;
        chans[size] = core != null && core.isNil() ? null : core;
        sendValues[size] = sendValue;
        handlers[size] = handler;
        return size++;
    }

    /** Building while a run is in progress is refused (L12): the run reads the case arrays without a lock. */
    private void checkNotRunning() {
        Object r = RUNNER.getOpaque(this);
        if (r != null) {
            throw new IllegalStateException("cannot add a case to a select while it runs (on " + r + ")");
        }
    }

    void timeout(long nanos, Object handler) {
        checkNotRunning();
        long n = Math.max(0, nanos); // clamped before comparing: every zero-or-negative timeout ties, the first counts (L18)
        if (timeoutNanos < 0 || n < timeoutNanos) {
            timeoutNanos = n;
            timeoutHandler = handler;
        }
    }

    void orElse(Object handler) {
        checkNotRunning();
        if (defaultHandler != null) {
            throw new IllegalStateException("a select has at most one default case");
        }
        defaultHandler = handler;
    }

    void random(RandomGenerator r) {
        checkNotRunning();
        this.random = r;
    }

    int kind(int i) {
        return kinds[i];
    }

    /** The send value of case {@code i}, or the context of a done case. */
    Object sendValue(int i) {
        return sendValues[i];
    }

    Object handler(int i) {
        return i == TIMEOUT ? timeoutHandler : i == DEFAULT ? defaultHandler : handlers[i];
    }

    /** The channel of case {@code i} (null for a nil case): named by a refusal of the case (K6). */
    ChannelCore channel(int i) {
        return chans[i];
    }

    /** The channels of the cases (nil cases as null), for a virtual-time bubble deciding durability (BB2). */
    @Override
    public ChannelCore[] channels() {
        return Arrays.copyOf(chans, size);
    }

    /**
     * Whether every enabled case (the polled ones, all locked) receives from a timer's channel that can never get a value
     * (rule BB52). Stops at the first other case, so an ordinary select pays one look at its first case.
     */
    private boolean onlyTimersThatNeverDeliverLocked() {
        for (int k = 0; k < polled; k++) {
            int i = order[k];
            if (kinds[i] == SEND || kinds[i] == DONE || !chans[i].neverReadyLocked()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the select once: sets {@link #chosen} and {@link #received}.
     *
     * @throws ChannelClosedException if a send case on a closed channel is chosen
     * @throws InterruptedException if interrupted while blocked (nothing happened)
     */
    void run() throws InterruptedException {
        received = null;
        if (pollLikelyReadyCase()) {
            return;
        }
        int locks = sortedDistinctChannels();
        long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : ChannelCore.deadlineAfter(timeoutNanos);
        lockAll(locks);
        Waiter waiter;
        boolean spinning = false; // a case whose channel spins before waiting (SpinPolicy)
        ChannelCore sentOn = null; // the channel of a send case completed under all locks: unlocked last (L13)
        try {
            if (pollReady()) {
                if (kinds[chosen] == SEND) {
                    sentOn = chans[chosen];
                }
                return;
            }
            if (defaultHandler != null) {
                chosen = DEFAULT;
                return;
            }
            if (timeoutNanos == 0 || timeoutNanos > 0 && ChannelCore.expired(deadline)) {
                // No time left before it would wait: a timed call whose time is up reports the timeout without
                // waiting, so an interrupt flag already set does not stop it (I5, L14), and nothing is queued.
                chosen = TIMEOUT;
                return;
            }
            ChannelCore.throwIfInterrupted(); // before any case is queued: no partner may complete it (I1)
            ParkHook.checkMayWait(this, "select on"); // a bubble refuses before any case is queued (BB6, BB24, I3)
            if (timeoutNanos < 0 && polled > 0 && onlyTimersThatNeverDeliverLocked()) {
                // Every case receives from a timer of an ended bubble, whose clock never moves again: the select
                // would wait for ever (BB52, as BB51 refuses the plain receive). Nothing is queued yet (I3).
                throw new IllegalStateException("select on channels of timers made in virtual-time bubbles that have"
                        + " ended, and on nothing else: their clocks never move again, so it would wait for ever (BB52)");
            }
            waiter = Waiter.acquire(); // the thread's reusable waiter: every node is unlinked before run() returns
            // Queued in the poll's random order, not in case order (L21): every partner (a send, a receive, a close,
            // a ring's settle) takes the head of a channel's queue, so two cases of this select waiting on one
            // channel in one direction must sit there in random order, or the first-added one would always fire.
            // Go does the same: selectgo queues in lockorder, which it builds from pollorder "to permute cases on the
            // same channel". Nothing ready means pollReady() shuffled every enabled case into order[0..polled);
            // cases on different channels sit in different queues, and the locks are already held (lockOrder),
            // so only the relative order of one channel's cases changes.
            for (int k = 0; k < polled; k++) {
                int i = order[k];
                ChannelCore c = chans[i];
                spinning |= c.spinsBeforeWaiting();
                // The thread's reusable node for this case (ADR 0015): a blocking select allocates nothing.
                c.enqueueLocked(waiter.caseNode(i, c, kinds[i] == SEND, kinds[i] == SEND ? sendValues[i] : null));
            }
        } finally {
            unlockAll(locks, sentOn);
        }
        Object event = JfrGate.selectBlockedBegin(); // null unless the flight recorder is initialized
        int spins = spinning ? spinBudget() : 0;
        if (spins > 0) {
            boolean met = waiter.spin(spins);
            for (int i = 0; i < size; i++) {
                if (chans[i] != null && chans[i].spinsBeforeWaiting()) {
                    chans[i].recordSpin(met);
                }
            }
        }
        WaitNode won;
        try {
            won = waiter.await(deadline, this);
        } catch (Throwable t) {
            // A refusal the early check did not see, or an Error: no case may stay queued (I3) nor keep its value.
            waiter.tryCancel(false);
            unlinkAll(waiter, null);
            waiter.release();
            throw t;
        }
        if (event != null) {
            // Said apart (JF6): chosen is -1 both for the timeout and for an interrupt, which ends a select without
            // a timeout too; a context's done case fires as "context done", not as a closed channel.
            JfrGate.selectBlockedEnd(event, size, won == null ? -1 : won.caseIndex(), this,
                    won == null ? (waiter.wasInterrupted() ? "interrupted" : "timed out")
                            : kinds[won.caseIndex()] == DONE ? "context done" : won.closedOnWin() ? "closed" : "completed");
        }
        try {
            unlinkAll(waiter, won);
            if (won == null) {
                if (waiter.wasInterrupted()) {
                    throw new InterruptedException();
                }
                chosen = TIMEOUT;
                return;
            }
            chosen = won.caseIndex();
            if (kinds[chosen] == SEND) {
                if (won.closedOnWin()) {
                    throw chans[chosen].refusal("send on closed channel (closed while the select waited)");
                }
            } else {
                received = won.closedOnWin() ? ChannelCore.CLOSED : won.item();
            }
        } finally {
            // Every node is unlinked (or was claimed): the thread's waiter keeps nothing of this select (I4).
            waiter.release();
        }
    }

    /** Unlinks every node of this run but {@code won} (I3); no lock held. */
    private void unlinkAll(Waiter waiter, WaitNode won) {
        for (int i = 0; i < size; i++) {
            if (chans[i] != null) {
                WaitNode n = waiter.boundCaseNode(i); // the waiter keeps them by case index
                if (n != won) {
                    chans[i].remove(n);
                }
            }
        }
    }

    /**
     * Polls enabled cases in random order; completes the first ready one. Locks held. When none is ready,
     * {@code order[0..polled)} holds every enabled case in a uniformly random order: run() queues them in it (L21).
     */
    private boolean pollReady() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (chans[i] != null) {
                order[n++] = i;
            }
        }
        polled = n;
        RandomGenerator r = random();
        for (int k = 0; k < n; k++) {
            // Incremental Fisher-Yates: order[k] becomes a uniform pick among the cases not yet polled.
            int j = k + r.nextInt(n - k);
            int i = order[j];
            order[j] = order[k];
            order[k] = i;
            if (pollCaseLocked(i)) {
                return true;
            }
        }
        return false;
    }

    /** The injected generator (tests), else this thread's. */
    private RandomGenerator random() {
        return random != null ? random : ThreadLocalRandom.current();
    }

    /** Completes case {@code i} if it is ready now (its channel's lock held): sets chosen and received. */
    private boolean pollCaseLocked(int i) {
        ChannelCore c = chans[i];
        if (kinds[i] == SEND) {
            if (c.pollSendLocked(sendValues[i])) {
                chosen = i;
                return true;
            }
            return false;
        }
        Object v = c.pollReceiveLocked();
        if (v == ChannelCore.NOT_READY) {
            return false;
        }
        chosen = i;
        received = v;
        return true;
    }

    /**
     * The fast path: picks uniformly among the cases that look ready without any lock
     * ({@link ChannelCore#looksReady}) and locks only that case's channel to complete it. When no case
     * looks ready, or the pick was stale, the full protocol runs (all locks, a fresh random poll), so a
     * stale hint costs one extra lock and never changes what may happen.
     */
    private boolean pollLikelyReadyCase() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            ChannelCore c = chans[i];
            if (c != null && c.looksReady(kinds[i] == SEND)) {
                order[n++] = i;
            }
        }
        if (n == 0) {
            return false;
        }
        int i = order[n == 1 ? 0 : random().nextInt(n)];
        ChannelCore c = chans[i];
        c.lock();
        try {
            return pollCaseLocked(i);
        } finally {
            c.unlock();
        }
    }

    /** Up to this many enabled cases, lockOrder is built by insertion sort (no allocation, fast for small selects). */
    private static final int INSERTION_SORT_MAX = 32;

    /** Fills lockOrder with the distinct enabled channels sorted by id; returns how many. */
    private int sortedDistinctChannels() {
        if (size > INSERTION_SORT_MAX) { // only then can more than that many be enabled: small selects count nothing
            int enabled = 0;
            for (int i = 0; i < size && enabled <= INSERTION_SORT_MAX; i++) {
                enabled += chans[i] == null ? 0 : 1;
            }
            if (enabled > INSERTION_SORT_MAX) {
                return sortedDistinctChannelsLarge();
            }
        }
        int n = 0;
        for (int i = 0; i < size; i++) {
            ChannelCore c = chans[i];
            if (c == null) {
                continue;
            }
            // Insertion sort: selects are small.
            int j = n;
            boolean dup = false;
            while (j > 0 && lockOrder[j - 1].id() >= c.id()) {
                if (lockOrder[j - 1] == c) {
                    dup = true;
                    break;
                }
                j--;
            }
            if (dup) {
                continue;
            }
            System.arraycopy(lockOrder, j, lockOrder, j + 1, n - j);
            lockOrder[j] = c;
            n++;
        }
        return n;
    }

    /**
     * {@link #sortedDistinctChannels()} for many cases (L16): a merge sort, then the duplicates (adjacent once
     * sorted, ids being unique) dropped. The insertion sort is quadratic: 20,000 cases added in the reverse order
     * of their channels' making took 0.7 s a run, 200,000 took 2 min 19 s, where the order of making took 20 ms.
     */
    private int sortedDistinctChannelsLarge() {
        int m = 0;
        for (int i = 0; i < size; i++) {
            if (chans[i] != null) {
                lockOrder[m++] = chans[i];
            }
        }
        // The comparator is made here, not in a static field: its method reference bootstraps a hidden class,
        // which every JVM's first select would pay in SelectEngine's initializer (cold start, B8), not only
        // the rare select of this many cases.
        Arrays.sort(lockOrder, 0, m, Comparator.comparingLong(ChannelCore::id));
        int n = 0;
        for (int i = 0; i < m; i++) {
            if (n == 0 || lockOrder[n - 1] != lockOrder[i]) {
                lockOrder[n++] = lockOrder[i];
            }
        }
        Arrays.fill(lockOrder, n, m, null); // the duplicates' slots: keep no stale reference past the distinct ones
        return n;
    }

    private void lockAll(int n) {
        for (int i = 0; i < n; i++) {
            lockOrder[i].lock();
        }
    }

    /**
     * Releases every lock taken by {@link #lockAll}, {@code last} (if not null) after all the others. A send on a
     * channel with a drop policy hands the values it dropped to the channel's callback when that channel's lock is
     * released (OV3): released last, the callback runs with none of this select's channels locked (L13), so a
     * callback that waits, or uses one of them, stalls no other thread.
     */
    private void unlockAll(int n, ChannelCore last) {
        for (int i = n - 1; i >= 0; i--) {
            if (lockOrder[i] != last) {
                lockOrder[i].unlock();
            }
        }
        if (last != null) {
            last.unlock();
        }
    }

    void setSendValue(int i, Object v) {
        sendValues[i] = v;
    }

    /** How many cases {@link #toString()} names; the rest it counts (L19). */
    static final int DESCRIBED_CASES = 16;

    /**
     * The select's cases, its timeout and its default (L19). It is part of every refusal's message (L12), so a select
     * of thousands of cases names its first {@link #DESCRIBED_CASES} and counts the others.
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("select {");
        String separator = " "; // "; " once something is named: a select without cases has no leading "; "
        for (int i = 0; i < Math.min(size, DESCRIBED_CASES); i++) {
            b.append(separator).append(kinds[i] == SEND ? "send on " : kinds[i] == DONE ? "done of context " : "receive from ")
                    .append(chans[i] == null ? "disabled" : chans[i].describe());
            separator = "; ";
        }
        if (size > DESCRIBED_CASES) {
            b.append(separator).append("and ").append(size - DESCRIBED_CASES).append(" more cases");
        }
        if (timeoutNanos >= 0) {
            b.append(separator).append("timeout ").append(timeoutNanos).append("ns");
            separator = "; ";
        }
        if (defaultHandler != null) {
            b.append(separator).append("default");
        }
        return b.append(" }").toString();
    }
}
