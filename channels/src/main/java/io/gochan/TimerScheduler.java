package io.gochan;

import io.gochan.spi.ChannelCore;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * The clock and the timer heap behind {@link Timers}, {@link Timer} and context deadlines: the one
 * seam through which time enters gochan (ADR 0003). {@link #SYSTEM} runs on the system clock with its
 * own daemon thread; a scheduler made with another {@link Clock} and no thread is driven by calling
 * {@link #runDue()}, which is how tests (and, later, virtual-time "bubbles") control time.
 *
 * <p>Why it cannot be held up (rules TM3, TM4):
 * <ul>
 *   <li>One round fires every entry due at the round's start exactly once. A ticker is re-armed at the
 *       first point of its period grid <em>after</em> now, so it never replays missed periods and, at
 *       any period (even 1 ns), cannot come round again before every other due entry has fired.</li>
 *   <li>The timer thread never waits for anyone: a channel timer delivers with a send into its
 *       channel's one slot under {@link ChannelCore#tryLock()}; if that lock is busy the delivery is
 *       handed to a platform thread of {@link HandOff} (rule TM9). Action entries only start a
 *       goroutine or hand work off.</li>
 * </ul>
 * Why a dropped timer leaves nothing (TM2): a channel timer's entry refers to its channel weakly;
 * once the channel is collected the entry is purged from the heap by the timer thread, at least every second while it
 * waits and a batch at a time, taken off the reference queue with no lock held (TM28), and before any look at the whole
 * heap.
 *
 * <p>Times are nanoseconds since the scheduler's origin, so they start at 0 and every sum saturates at
 * {@code Long.MAX_VALUE} ("never", about 292 years away) instead of overflowing (TM5).
 */
final class TimerScheduler {
    /** Where a scheduler reads time. The system one is monotonic nanoTime plus the wall clock for values. */
    interface Clock {
        /** Monotonic nanoseconds; only differences matter. */
        long nanoTime();

        /** The time a timer delivers when it fires. */
        Instant instant();

        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Instant instant() {
                return Instant.now();
            }
        };
    }

    static final TimerScheduler SYSTEM = new TimerScheduler(Clock.SYSTEM, true);

    private static final System.Logger LOG = System.getLogger("io.gochan.timers");
    /** Entries fired per round at most, so the lock is never held long; the rest come next round. */
    private static final int BATCH = 256;
    /** Longest wait of an idle timer thread with timers pending, so collected entries get purged. */
    private static final long PURGE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long a round waits for {@link #lock} as any caller does before it closes the round gate (TM24). */
    private static final long ROUND_PATIENCE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int MIN_HEAP = 16;
    /**
     * How long a firing whose hand-off thread could not start waits before it is tried again (TM12): long
     * enough that a JVM out of native threads is not flooded with attempts and their ERROR logs.
     */
    static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Attempts at a busy channel lock before the delivery is handed off (~1 µs; {@link HandOff}). */
    private static final int LOCK_TRIES = 32;
    /** Beyond the powers of two, the least time between two log lines about interrupts of the timer thread (TM25). */
    private static final long INTERRUPT_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Clock clock;
    private final long origin;
    private final boolean ownThread;
    /**
     * Deliveries and actions run on the thread calling {@link #runDue()} (a bubble's driver, ADR 0013):
     * a channel's lock is waited for instead of handed to another thread, which the bubble could not see.
     */
    private final boolean inline;
    /**
     * One-shot channel timers are in the heap only while a receiver waits on their channel (rule TM29, Go 1.23's
     * channel timers): the system scheduler's. A bubble's keeps every armed timer in its heap, as Go keeps a bubble's fake
     * timers (its clock jumps to them), and a hand-driven one (tests of the heap) fires only what its driver runs.
     */
    private final boolean lazy;
    /**
     * Set once the bubble whose clock this scheduler runs has ended (a bubble's scheduler only): from then on its
     * timers may be stopped from anywhere (rule BB44).
     */
    private volatile boolean retired;
    /** Where deliveries whose channel's lock is busy go: {@link HandOff}, or a test's executor. */
    private final Executor handOff;
    /**
     * Tests only: run just before this scheduler's thread is started, to make that start fail as a JVM out of native
     * threads does (rule TM23). Null in production.
     */
    static volatile Runnable threadStartFault;
    /** See {@link #onActionDueNow}; null but for a bubble's scheduler. */
    private volatile Runnable dueNow;
    /** See {@link #onStartOwed}; null but for a bubble's scheduler. */
    private volatile BiConsumer<Runnable, Throwable> startOwed;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Held by whoever runs a round (the timer thread) while it waits for {@link #lock}, once it has waited
     * {@link #ROUND_PATIENCE_NANOS} as any caller does ({@link #lockForRound()}); every other caller waits here
     * first while it is held, so that a storm of stops, resets and new timers, whose callers would otherwise take the
     * (barging) lock again and again ahead of the waiting round, never holds up the due timers: the round comes after
     * those already in the lock's queue only (rule TM24). Never taken while {@link #lock} is held, except again by its
     * holder.
     */
    private final ReentrantLock roundGate = new ReentrantLock();
    private final ReferenceQueue<ChannelCore> collected = new ReferenceQueue<>();
    // Guarded by lock.
    /** A new earliest entry was armed: the timer thread is woken when the lock is let go (see {@link #wakeThread()}). */
    private boolean wakePending;
    /** The timer thread has looked at the heap and parks (or is about to) until its earliest entry is due. */
    private boolean parked;
    private TimerEntry[] heap = new TimerEntry[MIN_HEAP];
    private int size;
    /**
     * The scheduler's own thread once started; written under lock, once, and volatile so that {@link #ensureThread}
     * (every deadline a context arms) needs no lock once it runs.
     */
    private volatile Thread thread;
    // Used only by the one thread running rounds.
    private final TimerEntry[] due = new TimerEntry[BATCH];
    private final int[] dueGenerations = new int[BATCH];
    /**
     * When each firing the round took was due (scheduler time): its value is that instant on the wall clock, read
     * with the monotonic clock as one pair when the round delivers (TM14, TM26).
     */
    private final long[] dueWhen = new long[BATCH];
    /** Interrupts seen by the thread running rounds (TM25); written by that thread only. */
    private volatile long interrupts;
    /** When that thread saw its first interrupt (TM25); that thread's only. */
    private Instant firstInterrupt;
    /** {@link System#nanoTime()} of the last line logged for those interrupts (TM25); that thread's only. */
    private long lastInterruptLogNanos;

    TimerScheduler(Clock clock, boolean ownThread) {
        this(clock, ownThread, false);
    }

    TimerScheduler(Clock clock, boolean ownThread, boolean inline) {
        this(clock, ownThread, inline, HandOff::execute);
    }

    /** As above, with the deliveries that find their channel's lock busy handed to {@code handOff} (tests). */
    TimerScheduler(Clock clock, boolean ownThread, boolean inline, Executor handOff) {
        this.clock = clock;
        this.origin = clock.nanoTime();
        this.ownThread = ownThread;
        this.inline = inline;
        this.lazy = ownThread && !inline;
        this.handOff = handOff;
    }

    /** The scheduler of the calling thread: its virtual-time bubble's, else {@link #SYSTEM}. */
    static TimerScheduler current() {
        TimerScheduler s = Bubbles.currentScheduler(); // null outside bubbles
        return s == null ? SYSTEM : s;
    }

    /** Whether actions run on the thread calling {@link #runDue()} (a bubble's scheduler). */
    boolean runsInline() {
        return inline;
    }

    /** Marks a bubble's scheduler as that of a bubble that has ended (rule BB44). */
    void retire() {
        retired = true;
    }

    /** Whether this is the scheduler of a bubble that has ended: its clock never moves again (rules BB39, BB51). */
    boolean ofEndedBubble() {
        return inline && retired;
    }

    /**
     * Whether a timer of this scheduler is refused to the calling thread while its bubble runs (rule BB44): the
     * scheduler is a running bubble's and the caller is not a goroutine of that bubble.
     */
    boolean foreignWhileRunning() {
        return inline && !retired && this != current();
    }

    /** The instant this scheduler's clock reads now. */
    Instant instant() {
        return clock.instant();
    }

    /** When the earliest entry is due (scheduler time), or -1 if none is scheduled. */
    long nextDue() {
        List<TimerEntry> gone = drainCollected(Integer.MAX_VALUE);
        lockYieldingToRound();
        try {
            removeLocked(gone);
            return size == 0 ? -1L : heap[0].when;
        } finally {
            unlock();
        }
    }

    /** Now, in this scheduler's time (nanoseconds since its origin). */
    long now() {
        return clock.nanoTime() - origin;
    }

    /** An entry for a timer delivering into {@code channel}, which it refers to weakly. */
    TimerEntry channelEntry(ChannelCore channel) {
        return new TimerEntry(this, channel, collected);
    }

    /** An entry that runs {@code action} on the timer thread when due; it must not block. */
    TimerEntry actionEntry(Runnable action) {
        return new TimerEntry(this, action, false);
    }

    /**
     * An entry that starts a goroutine when due ({@code start} throws if it could not): an afterFunc timer's.
     * A start that fails is tried again {@link #RETRY_NANOS} later (rule TM13).
     */
    TimerEntry startEntry(Runnable start) {
        return new TimerEntry(this, start, true);
    }

    /**
     * A goroutine's start ({@code start}, which threw {@code failure}) that must not be lost: an afterFunc's whose
     * {@code stop()} can no longer prevent it (rules CX15, TM13). Logs the failure and tries {@code start} again
     * {@link #RETRY_NANOS} from now, and again after every failure, until it starts. Never throws. On a bubble's
     * scheduler the bubble takes it ({@link #onStartOwed}): the wait is real time and its driver starts it (CX20, BB29).
     */
    void startLater(Runnable start, Throwable failure) {
        logStartRetry(failure);
        BiConsumer<Runnable, Throwable> bubble = startOwed;
        if (bubble != null) {
            // Not an entry of this heap: the 100 ms are for a JVM out of threads to recover, which takes real time,
            // while a bubble's clock moves only when every member is durably blocked, and its end does not wait
            // for a pending entry (BB27): the function, whose stop() already returned false, would be lost.
            bubble.accept(start, failure); // the failure too: if the bubble cannot owe it, its run() reports both (BB31)
        } else {
            scheduleOwed(startEntry(start), RETRY_NANOS);
        }
    }

    /**
     * Arms {@code e}, a start that is owed (its {@code stop()} already returned false), even if the timer thread cannot
     * start now: then the failure is logged, never thrown (rules CX15, TM13), and the entry waits in the heap for the
     * next call that arms a timer to start the thread. Failing whole (TM23) is for a caller who can be told.
     */
    private void scheduleOwed(TimerEntry e, long delayNanos) {
        Throwable noThread = null;
        lockYieldingToRound();
        try {
            armLocked(e, delayNanos, 0L); // armed first: owed whether or not the thread starts now
            try {
                startThreadLocked();
            } catch (RuntimeException | Error t) {
                noThread = t;
            }
        } finally {
            unlock();
        }
        if (noThread != null) {
            report(System.Logger.Level.ERROR, "the gochan timer thread could not start; an owed afterFunc start waits"
                    + " for the next timer to start it", noThread);
        }
    }

    /** Logs a goroutine start that failed and is tried again {@link #RETRY_NANOS} later (CX15, TM13, BB29). */
    static void logStartRetry(Throwable failure) {
        // Never throws (TM18): a throw here would lose the start it announces (startLater logs first).
        report(System.Logger.Level.ERROR, "an afterFunc's goroutine could not start; it is tried again in 100 ms", failure);
    }

    /**
     * (Re)schedules {@code e} to be due after {@code delayNanos} (negative: at once), then every
     * {@code periodNanos} if positive. Any earlier schedule of {@code e} is void. For a channel timer
     * the caller holds the channel's lock.
     *
     * @return whether {@code e} was armed before (what Go's Reset returns)
     */
    boolean schedule(TimerEntry e, long delayNanos, long periodNanos) {
        boolean was;
        boolean dueAlready;
        lockYieldingToRound();
        try {
            // First, before anything of e changes: a thread that cannot start fails the call whole (rule TM23).
            startThreadLocked();
            was = e.armed;
            dueAlready = armLocked(e, delayNanos, periodNanos);
        } finally {
            unlock();
        }
        Runnable hook = dueNow;
        if (dueAlready && hook != null && e.action != null) {
            // A bubble's action due at the instant its clock stands at (afterFunc(0), a reset to zero): its
            // driver runs it now, not once the bubble is idle (BB27). Channel timers need no call: a look at
            // the channel delivers them (TM7, BB21). Called with no lock of this scheduler held.
            hook.run();
        }
        return was;
    }

    /**
     * Arms {@code e} anew, lock held: any earlier schedule (a firing under way included) is void by the generation, due
     * after {@code delayNanos}, then every {@code periodNanos} if positive. Returns whether it is due already.
     */
    private boolean armLocked(TimerEntry e, long delayNanos, long periodNanos) {
        e.generation++;
        e.dozing = false;
        e.unwatched = false;
        e.firing = false; // a firing under way belongs to the old schedule: void by the generation
        e.retrying = false;
        if (e.index >= 0) {
            removeAt(e.index);
        }
        long now = now();
        e.when = later(now, delayNanos);
        e.period = periodNanos;
        e.armed = true;
        placeLocked(e);
        return e.when <= now;
    }

    /**
     * Puts armed entry {@code e}, out of the heap, where its schedule says (lock held): in the heap, the thread woken
     * if it is the new earliest; or, a one-shot channel timer on a lazy scheduler that no receiver waits on, left out
     * and noted {@code unwatched} (rule TM29): a look at its channel delivers it when due (TM7), and a receiver that
     * comes to wait puts it in ({@link #receiverWaitsLocked}). Go 1.23 so keeps a channel timer out of its heap while
     * no goroutine is blocked on the channel: a timer nobody waits on costs no heap operation and, dropped, leaves
     * nothing for the collector to clear (before, the heap held every one until the GC had cleared it, TM28). A
     * ticker keeps its place on its grid: its receiver comes back every period, and taking it out and putting it back
     * at each receive woke the timer thread once more per tick (B9 {@code tickerReceive} 1.15x the time); one whose
     * tick is left unreceived leaves the heap as before (TM6).
     */
    private void placeLocked(TimerEntry e) {
        if (lazy && e.action == null && e.period == 0 && !e.receiverWaits()) {
            e.unwatched = true;
            return;
        }
        e.unwatched = false;
        add(e);
        if (e.index == 0) {
            wakeThread(); // a new earliest entry: the thread may be waiting for a later one
        }
    }

    /**
     * A receiver now waits on channel timer {@code e}'s channel ({@code waits}), or none does any more (rule TM29):
     * on a lazy scheduler the armed one-shot timer enters the heap, or leaves it (a ticker stays: see
     * {@link #placeLocked}). Called with the channel's lock held, when
     * its receive queue becomes non-empty and empty again (lock order: channel, then heap, as stop and reset). A
     * firing under way stays as it is (the round took it out already), and so does an entry back in the heap for a
     * retry of its firing (TM12): that retry delivers whoever waits.
     */
    void receiverWaitsLocked(TimerEntry e, boolean waits) {
        if (!lazy || e.period > 0) {
            return; // a ticker stays on its grid; its period is written under the channel's lock too, held here
        }
        lockYieldingToRound();
        try {
            if (waits) {
                if (e.unwatched) {
                    placeLocked(e);
                }
            } else if (e.index >= 0 && !e.retrying) {
                removeAt(e.index);
                e.unwatched = true;
            }
        } finally {
            unlock();
        }
    }

    /**
     * Starts this scheduler's own thread if it has one and it is not running yet; throws what the start threw, having
     * changed nothing. Whoever arms a timer calls it first (rule TM23): a context's deadline before the context is
     * registered with its parent (CX3).
     */
    void ensureThread() {
        if (!ownThread || thread != null) {
            return; // the usual case: started long ago, never stopped
        }
        lockYieldingToRound();
        try {
            startThreadLocked();
        } finally {
            unlock();
        }
    }

    /** {@link #ensureThread()}, the lock held. */
    private void startThreadLocked() {
        if (thread == null && ownThread) {
            // The thread serves every timer and owner (LK1) of the JVM, whoever's timer starts it: it takes nothing
            // from this caller (TM17). Kept only once started: a start that fails is tried again by the next call.
            Runnable fault = threadStartFault;
            if (fault != null) {
                fault.run();
            }
            Thread t = timerThread(this::loop);
            t.start();
            thread = t;
        }
    }

    /**
     * Called (with no lock of this scheduler held) when an action entry is scheduled already due: a
     * bubble's driver, which otherwise runs due entries only when the bubble is idle (BB27). Set once,
     * before the scheduler is used.
     */
    void onActionDueNow(Runnable hook) {
        dueNow = hook;
    }

    /**
     * Where {@link #startLater} hands an owed start instead of this heap: a bubble, which waits for it in real time,
     * counts it as a running member meanwhile and has its driver start it (rules CX20, BB29). The hook is called with
     * the start and the failure that made it owed, with no lock of this scheduler held, and must neither block nor
     * throw (BB31). Set once, before the scheduler is used.
     */
    void onStartOwed(BiConsumer<Runnable, Throwable> hook) {
        startOwed = hook;
    }

    /**
     * Stops {@code e}: a firing of its current schedule that has not yet delivered will not. For a
     * channel timer the caller holds the channel's lock.
     *
     * @return whether {@code e} was armed (what Go's Stop returns, before draining the channel)
     */
    boolean unschedule(TimerEntry e) {
        lockYieldingToRound();
        try {
            boolean was = e.armed;
            e.generation++;
            e.armed = false;
            e.dozing = false;
            e.unwatched = false;
            e.firing = false;
            e.retrying = false;
            if (e.index >= 0) {
                removeAt(e.index);
            }
            return was;
        } finally {
            unlock();
        }
    }

    /**
     * The afterFunc timers and context deadlines made under {@code owner} (directly or inherited) that are scheduled
     * now, soonest first (rule LK32). A scan of the heap: for a leak check, once per test.
     */
    List<GoroutineOwner.ScheduledTimer> scheduledBy(GoroutineOwner owner) {
        List<GoroutineOwner.ScheduledTimer> found = new ArrayList<>();
        List<TimerEntry> gone = drainCollected(Integer.MAX_VALUE);
        lockYieldingToRound();
        try {
            removeLocked(gone);
            long now = now();
            Instant at = clock.instant();
            for (int i = 0; i < size; i++) {
                TimerEntry e = heap[i];
                TimerEntry.Origin o = e.origin;
                if (o != null && GoroutineOwner.ownerOf(o.attribution()) == owner) {
                    Instant due = e.when == Long.MAX_VALUE ? Instant.MAX : at.plusNanos(e.when - now);
                    found.add(new GoroutineOwner.ScheduledTimer(o.kind(), due, o.site() == null ? List.of() : List.of(o.site())));
                }
            }
        } finally {
            unlock();
        }
        found.sort(Comparator.comparing(GoroutineOwner.ScheduledTimer::due));
        return found;
    }

    /** Entries in the heap, after purging those whose channel was collected. */
    int pending() {
        List<TimerEntry> gone = drainCollected(Integer.MAX_VALUE);
        lockYieldingToRound();
        try {
            removeLocked(gone);
            return size;
        } finally {
            unlock();
        }
    }

    /**
     * One round: fires every entry due now (at most {@link #BATCH}). Called by one thread at a time:
     * this scheduler's own thread, or whoever drives a scheduler that has none.
     *
     * @return how many entries were due
     */
    int runDue() {
        int n = 0;
        lockForRound();
        try {
            long now = now();
            while (n < BATCH && size > 0 && heap[0].when <= now) {
                TimerEntry e = heap[0];
                if (e.action == null && e.refersTo(null)) {
                    removeAt(0); // its channel was collected: nobody can receive
                    continue;
                }
                // The value is the time the firing was due, however late the round (Go 1.23 sends
                // now - (now - when)); a firing retried after a failed hand-off keeps its first due time (TM14).
                long dueAt = e.retrying ? e.firingDue : e.when;
                e.retrying = false;
                due[n] = e;
                dueGenerations[n] = e.generation;
                dueWhen[n] = dueAt;
                n++;
                if (e.action == null) {
                    e.firing = true; // until delivered, a look at the channel may deliver it instead (TM7)
                    e.firingDue = dueAt;
                }
                if (e.period > 0) {
                    e.when = nextTick(e.when, e.period, now);
                    siftDown(0, e);
                } else {
                    removeAt(0);
                    if (e.action != null) {
                        e.armed = false; // a channel timer is disarmed when it delivers, under its channel's lock
                    }
                }
            }
        } finally {
            unlock();
        }
        if (inline && n > 1) {
            shuffleDue(n);
        }
        Instant roundAt = null;
        long roundNow = 0L;
        for (int i = 0; i < n; i++) {
            TimerEntry e = due[i];
            due[i] = null;
            // One failing firing (the clock, a delivery, a hand-off thread that cannot start: even an Error)
            // costs that firing only, logged; the rest of the round and every later timer go on (TM11).
            try {
                if (roundAt == null) {
                    // Both clocks read here, side by side (TM26): the wall clock's instant less how long ago, on the
                    // monotonic clock, the firing was due. With the monotonic time the round read under the lock
                    // instead, whatever held this thread up since (a descheduled timer thread, the lock's release,
                    // the deliveries before this one) was added to the stamp: values stamped late, a ticker's going
                    // back in time against a tick a look stamped exactly.
                    // Monotonic first: a hold-up between the two reads can only make the value later, never earlier
                    // than the firing was due (an earlier one would pass for an older schedule's value, TM14, G10).
                    roundNow = now();
                    roundAt = clock.instant();
                }
                fire(e, dueGenerations[i], roundAt.minusNanos(roundNow - dueWhen[i]));
            } catch (RuntimeException | Error t) {
                report(System.Logger.Level.ERROR, "a timer's firing failed; the other timers go on", t);
            }
        }
        return n;
    }

    /**
     * A bubble's round (BB37): the entries due at the instant its clock reached fire in a random order, as Go's
     * synctest fires a bubble's timers of one instant, so that a test cannot come to rely on an order that real time
     * never promises (the heap, ordered by due time only, would give the same order every run). Only the driver of a
     * bubble's scheduler calls this, on its own round's arrays.
     */
    private void shuffleDue(int n) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            TimerEntry e = due[i];
            due[i] = due[j];
            due[j] = e;
            int g = dueGenerations[i];
            dueGenerations[i] = dueGenerations[j];
            dueGenerations[j] = g;
            long when = dueWhen[i];
            dueWhen[i] = dueWhen[j];
            dueWhen[j] = when;
        }
    }

    private void fire(TimerEntry e, int generation, Instant at) {
        if (e.action != null) {
            try {
                e.action.run();
            } catch (RuntimeException | Error t) {
                if (e.startsGoroutine) {
                    retryStartLater(e, generation, t);
                } else {
                    report(System.Logger.Level.ERROR, "timer action failed", t);
                }
            }
            return;
        }
        ChannelCore channel = e.get();
        if (channel == null) {
            return;
        }
        if (inline) {
            channel.lock();
            deliverLocked(e, generation, channel, at);
            return;
        }
        // A ticker's earlier tick of this schedule handed off and not run yet (its thread may wait behind other
        // channels' locks, held for long): read here, as only this thread hands ticks off.
        TickHandOff queued = e.period > 0 ? e.handoff() : null;
        if (queued != null && queued.generation != generation) {
            queued = null; // an old schedule's, void (TM15): it holds up none of the new schedule's ticks (TM19)
        }
        for (int i = 0; i < LOCK_TRIES; i++) {
            if (channel.tryLock()) {
                if (queued != null) {
                    // This tick is later than the queued one: delivered now, the queued one must never be delivered
                    // after it (TM19), so it is void, dropped as a tick a slow receiver missed (TM3). Voided under
                    // the lock that hand-off delivers under. Dropping this tick instead would silence the ticker
                    // for as long as that hand-off waits for a thread (TM20).
                    queued.voided = true;
                }
                deliverLocked(e, generation, channel, at);
                return;
            }
            Thread.onSpinWait();
        }
        if (queued != null) {
            // Its lock busy again and a hand-off of this schedule still queued (live, or void): this tick is dropped,
            // as a tick that finds the receiver behind is (TM3), so a ticker keeps at most one hand-off queued and a
            // hyperactive one cannot flood the hand-off threads. The next tick that finds the lock free is
            // delivered (TM20).
            return;
        }
        // Someone holds the channel's lock (a descheduled thread, or a receiver hammering it): never make
        // the other timers wait for it (TM4); hand it to a platform thread, which needs no carrier (TM9).
        // A one-shot fires once per schedule, so its hand-offs are bounded.
        TickHandOff tick = null;
        Runnable work;
        if (e.period > 0) {
            tick = new TickHandOff(e, generation, channel, at);
            e.handoffStarted(tick);
            work = tick;
        } else {
            work = () -> {
                channel.lock();
                deliverLocked(e, generation, channel, at);
            };
        }
        try {
            handOff.execute(work);
        } catch (RuntimeException | Error t) {
            // No hand-off is in flight (no thread could start for it): a ticker whose hand-off stayed noted would
            // drop every later tick that finds its lock busy. The failure costs this firing only (TM11). A ticker's
            // next tick comes anyway; a one-shot's firing is its only one, so it is tried again (TM12).
            if (tick != null) {
                e.handoffEnded(tick);
            } else {
                retryLater(e, generation);
            }
            throw t;
        }
    }

    /**
     * A ticker's tick handed off (rules TM9, TM19, TM20): delivered by a hand-off thread once it has the channel's
     * lock, unless a later tick was delivered meanwhile ({@link #voided}) or the schedule changed (its generation).
     */
    static final class TickHandOff implements Runnable {
        private final TimerEntry entry;
        /** The schedule whose tick this is. */
        final int generation;
        private final ChannelCore channel;
        private final Instant at;
        /**
         * A later tick of the schedule was delivered around this one: delivering this one now would put time back for
         * the receiver (TM19). Written under the channel's lock, read under it to decide; volatile so that a void
         * hand-off ends without waiting for a lock it no longer needs.
         */
        volatile boolean voided;

        TickHandOff(TimerEntry entry, int generation, ChannelCore channel, Instant at) {
            this.entry = entry;
            this.generation = generation;
            this.channel = channel;
            this.at = at;
        }

        @Override
        public void run() {
            boolean locked = false;
            try {
                if (!voided) {
                    channel.lock();
                    locked = true;
                    if (!voided) {
                        deliverHeldLocked(entry, generation, channel, at);
                    }
                }
            } finally {
                // Ended also if the lock could not be taken (an Error): a hand-off left noted would make every later
                // tick that finds the lock busy be dropped. Under the lock when taken, so that a tick that finds no
                // hand-off queued comes after this delivery.
                entry.handoffEnded(this);
                if (locked) {
                    channel.unlock();
                }
            }
        }
    }

    /**
     * Hands {@code work} to a thread that needs no carrier of the virtual-thread scheduler ({@link HandOff},
     * or a test's executor): a passed context deadline's cancel (CX11). Throws if no thread could start.
     */
    void handOff(Runnable work) {
        handOff.execute(work);
    }

    /**
     * Puts one-shot entry {@code e}, whose firing of schedule {@code generation} was taken from the heap but
     * could not be handed off, back in the heap {@link #RETRY_NANOS} from now (TM12): unless a stop, a reset
     * or a look (TM7) has voided that firing since. The round that takes it again fires the same schedule.
     */
    void retryLater(TimerEntry e, int generation) {
        lockYieldingToRound();
        try {
            if (e.generation != generation || e.index >= 0 || !e.armed) {
                return; // stopped, reset or delivered since: nothing to retry
            }
            e.when = later(now(), RETRY_NANOS);
            e.retrying = true; // the retry delivers the time the firing was due, not its own (TM14)
            add(e);
            if (e.index == 0) {
                wakeThread();
            }
        } finally {
            unlock();
        }
    }

    /**
     * Goroutine-starting entry {@code e}, whose firing of schedule {@code generation} was taken from the heap but
     * whose goroutine could not start ({@code failure}, logged), is started again {@link #RETRY_NANOS} later
     * (rule TM13). Unless a stop or reset came since, the entry itself goes back in the heap, armed: the function
     * never started, so a {@code stop()} now prevents it and returns true. A stop or reset that came since found
     * the firing under way and returned false, which promises the function runs (Go: "f has been started"): then
     * its start is retried on an entry of its own, which nothing stops ({@link #startLater}: a bubble's owes it, BB29).
     */
    private void retryStartLater(TimerEntry e, int generation, Throwable failure) {
        boolean rearmed = false;
        lockYieldingToRound();
        try {
            if (e.generation == generation && e.index < 0) {
                e.armed = true;
                e.when = later(now(), RETRY_NANOS);
                add(e);
                if (e.index == 0) {
                    wakeThread();
                }
                rearmed = true;
            }
        } finally {
            unlock();
        }
        if (rearmed) {
            // Still this timer's entry, armed: a stop() prevents it, and in a bubble it stays on the bubble's clock
            // and, pending at the end, never runs (BB27). Nothing is owed yet.
            logStartRetry(failure);
        } else {
            startLater(e.action, failure); // logs it; owed, so a bubble's takes it (BB29)
        }
    }

    /**
     * Where the timer thread hands off work that may wait: a delivery whose channel's lock was busy, a
     * passed context deadline's cancel (rules TM9, CX11). Daemon platform threads, started when needed
     * and ended after a second without work, so that the work never waits for a carrier of the
     * virtual-thread scheduler: a virtual thread is never preempted, and goroutines that never block
     * (polling a context in a loop, as Go code polls {@code ctx.Err()}) on every carrier would keep a
     * virtual thread doing it from ever running, where Go preempts them. A hand-off waits for one channel's
     * lock, which its holder may keep for long (a virtual thread inside a select's registration, waiting for a
     * carrier those goroutines keep): so the pool grows, one thread per hand-off that finds every thread busy,
     * up to {@link #MOST_THREADS}, and one held lock delays only the deliveries to its own channel (rule TM21).
     * Before, a fixed {@code min(4, cores)} threads with a queue: as many held locks stopped every hand-off of
     * the JVM behind them, every context's deadline among them.
     */
    static final class HandOff {
        /**
         * Makes the hand-off threads, which the pool makes on whichever thread hands it work: they take nothing from
         * it (rule TM17), as they work for every owner and every test alike.
         */
        static final ThreadFactory THREADS = ServiceThreads.factory("gochan-timer-handoff-");
        /**
         * The most hand-off threads at once (rule TM21): each waits for one held channel lock, so this many locks held
         * at once for long are needed before a hand-off is refused; a refused one is handled as one whose thread could
         * not start (TM11, TM12: a one-shot's firing and a deadline's cancel are tried again a little later).
         */
        static final int MOST_THREADS = 64;
        private static final ThreadPoolExecutor POOL = pool();

        private HandOff() {}

        /**
         * Runs {@code work} on a hand-off thread, a new one if every thread is busy; never blocks the caller.
         *
         * @throws java.util.concurrent.RejectedExecutionException if {@link #MOST_THREADS} are busy, or no thread
         *     could start (the caller's failure handling: TM11, TM12)
         */
        static void execute(Runnable work) {
            POOL.execute(work);
        }

        private static ThreadPoolExecutor pool() {
            int n = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
            // No queue: a hand-off that finds every thread busy (each may wait for a lock held for long) gets a thread
            // of its own, never a place behind them (TM21).
            ThreadPoolExecutor pool = new ThreadPoolExecutor(n, MOST_THREADS, 1, TimeUnit.SECONDS, new SynchronousQueue<>(),
                    THREADS) {
                @Override
                protected void afterExecute(Runnable r, Throwable t) {
                    if (t != null) {
                        report(System.Logger.Level.ERROR, "a timer hand-off failed", t);
                    }
                }
            };
            pool.allowCoreThreadTimeOut(true);
            return pool;
        }
    }

    /** Delivers if the schedule is still current; unlocks the channel. */
    private static void deliverLocked(TimerEntry e, int generation, ChannelCore channel, Instant at) {
        try {
            deliverHeldLocked(e, generation, channel, at);
        } finally {
            channel.unlock();
        }
    }

    /** Delivers if the schedule is still current. Channel lock held (and kept). */
    private static void deliverHeldLocked(TimerEntry e, int generation, ChannelCore channel, Instant at) {
        if (e.generation != generation) {
            return; // stopped or reset since this firing was taken from the heap, or a look delivered it (TM7)
        }
        e.firing = false;
        if (e.period == 0) {
            e.armed = false;
        }
        if (!channel.pollSendLocked(at) && e.period > 0) {
            // The slot is full: a slow receiver misses this tick, and every tick until it takes the
            // pending one would be dropped too. Stop firing until then (TM6), as Go 1.23 keeps a
            // ticker nobody waits on out of its heap: a fast ticker nobody reads costs nothing.
            e.scheduler.doze(e, generation, channel);
        }
    }

    /**
     * Whether channel timer {@code e} looks due (a hint, no lock): its time has come and it is still in
     * the heap, or a round took it and has not delivered yet. The system scheduler and a bubble's run
     * timers on a look (rules TM7, BB21: a bubble's clock stands still while its members run, so "due" is
     * exactly the timers due at the instant it reached, which its driver is delivering one by one); a
     * hand-driven scheduler (tests of the heap) fires them only when its driver says.
     */
    boolean looksDue(TimerEntry e) {
        return runsOnLook() && (e.firing || (e.index >= 0 || e.unwatched) && e.when <= now());
    }

    private boolean runsOnLook() {
        return ownThread || inline;
    }

    /**
     * Go 1.23's maybeRunChan (rule TM7): a receive or select found channel timer {@code e}'s channel empty;
     * if the timer's time has come, deliver its value now instead of when the timer thread gets round to
     * it. A round that already took the firing finds its generation changed and delivers nothing, so the
     * value comes once. The channel's lock is held (lock order: channel, then heap, as stop and reset).
     */
    void deliverIfDueLocked(TimerEntry e, ChannelCore channel) {
        if (!runsOnLook()) {
            return;
        }
        int generation;
        long due;
        lockYieldingToRound();
        try {
            long now = now();
            // Scheduled: in the heap, or out of it while nobody waits on the channel (TM29).
            boolean dueInHeap = (e.index >= 0 || e.unwatched) && e.when <= now;
            if (!dueInHeap && !e.firing) {
                return; // not due, stopped, dozing (its tick is in the channel), or delivered
            }
            // A firing the round took (under way, or waiting for its retry, TM12) was due at firingDue (TM14).
            due = dueInHeap && !e.retrying ? e.when : e.firingDue;
            if (dueInHeap) {
                if (e.period > 0) {
                    e.when = nextTick(e.when, e.period, now); // as a round re-arms it: next grid point ahead
                    siftDown(e.index, e); // a ticker is never unwatched (TM29): in the heap while scheduled
                } else {
                    if (e.index >= 0) {
                        removeAt(e.index);
                    }
                    e.unwatched = false;
                }
            } else if (e.period == 0 && e.index >= 0) {
                removeAt(e.index); // a firing waiting for its retry (TM12): this look delivers it instead
            }
            e.firing = false;
            e.retrying = false;
            generation = ++e.generation; // voids a delivery a round has under way: this one replaces it
        } finally {
            unlock();
        }
        // The time it was due, as Go 1.23 sends when a look runs a late timer (sendTime subtracts the delay): both
        // clocks read side by side (TM26), not the wall clock now against the monotonic time read under the lock.
        long late = Math.max(0L, now() - due); // monotonic first, as a round reads them (TM26)
        Instant at = clock.instant();
        deliverHeldLocked(e, generation, channel, at.minusNanos(late));
    }

    /** Takes ticker {@code e} out of the heap until its channel's pending value is taken. Channel lock held. */
    private void doze(TimerEntry e, int generation, ChannelCore channel) {
        lockYieldingToRound();
        try {
            if (e.generation != generation || e.index < 0) {
                return; // stopped or reset since (its new schedule stands), or dozing already
            }
            removeAt(e.index); // a ticker (only tickers doze) is never unwatched (TM29)
            e.dozing = true;
        } finally {
            unlock();
        }
        // Nobody can take the value before the hook is set: the channel's lock is held.
        channel.onTimerValueTakenLocked(() -> wake(e, generation));
    }

    /**
     * Puts dozing ticker {@code e} back on its grid: the next tick is the first grid point still ahead,
     * as if the ticks meanwhile had been dropped one by one. Channel lock held (the value was just taken).
     */
    private void wake(TimerEntry e, int generation) {
        lockYieldingToRound();
        try {
            if (e.generation != generation || !e.dozing) {
                return; // stopped or reset while dozing (their drain ran this hook): nothing to resume
            }
            e.dozing = false;
            long now = now();
            if (e.when <= now) {
                e.when = nextTick(e.when, e.period, now);
            }
            placeLocked(e);
        } finally {
            unlock();
        }
    }

    /** The timer thread of a scheduler with its own, not started: it takes nothing from the calling thread (TM17). */
    static Thread timerThread(Runnable loop) {
        return ServiceThreads.unstarted("gochan-timer", loop);
    }

    private void loop() {
        for (;;) {
            turn();
        }
    }

    /**
     * One turn of the timer thread: waits for the earliest entry, then runs a round. Never throws: this thread
     * serves every timer in the JVM and nobody would start another, so whatever escapes a round is logged and the
     * next round runs (TM11), even when that log fails too (TM18).
     */
    void turn() {
        try {
            awaitDue();
            runDue();
        } catch (RuntimeException | Error t) {
            report(System.Logger.Level.ERROR, "the gochan timer thread's round failed; it goes on", t);
        }
    }

    /**
     * Logs {@code failure} through {@link #LOG}, and never throws (rule TM18). The log itself can fail: a logger
     * that throws, or no memory left for its record under the very pressure that made {@code failure} (an
     * {@code OutOfMemoryError}). Thrown, that would end the timer thread, which serves every timer in the JVM and
     * which nobody restarts, or cut short a round whose other firings are already out of the heap. So a log that
     * fails hands {@code failure}, the log's failure suppressed in it, to the calling thread's uncaught-exception
     * handler, where the failure of a dying thread goes; and the caller goes on. What that handler throws in turn
     * is dropped, as the JVM drops it for a dying thread ({@link Thread.UncaughtExceptionHandler}): nothing is left
     * to report it to.
     */
    private static void report(System.Logger.Level level, String message, Throwable failure) {
        try {
            LOG.log(level, message, failure);
        } catch (RuntimeException | Error logFailure) {
            try {
                if (logFailure != failure) { // the JVM may throw one preallocated OutOfMemoryError again
                    failure.addSuppressed(logFailure);
                }
                Thread self = Thread.currentThread();
                self.getUncaughtExceptionHandler().uncaughtException(self, failure);
            } catch (RuntimeException | Error handlerFailure) {
                // Dropped as the JVM drops it (see above): the thread must go on, and no report is left to try.
            }
        }
    }

    private void awaitDue() {
        for (;;) {
            boolean empty;
            long wait;
            // Taken off the reference queue before the lock (TM28): the JDK's reference handler holds the queue's monitor
            // while it enqueues what a collection cleared (millions of dropped timers at once), and a poll under the
            // scheduler's lock made every timer call wait for it too.
            List<TimerEntry> gone = drainCollected(BATCH);
            lockForRound();
            try {
                parked = false;
                removeLocked(gone);
                if (gone.size() == BATCH) {
                    // More may wait: a batch per hold of the lock, so that the calls waiting for it, each holding its
                    // channel's lock, get it between batches (TM28).
                    continue;
                }
                empty = size == 0;
                wait = empty ? 0L : heap[0].when - now();
                if (!empty && wait <= 0) {
                    return;
                }
                parked = true; // from now on a new earliest entry wakes it (wakeThread), as a condition's signal would
            } finally {
                unlock();
            }
            // Parked with no lock held, so that coming back goes through the gate (TM24), as a condition's wait would
            // not: it takes the lock again in the lock's own queue, where a storm of callers can overtake it without
            // end. A wakeThread() between the unlock and the park leaves a permit: the park returns at once.
            if (empty) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, Math.min(wait, PURGE_NANOS));
            }
            if (Thread.interrupted()) {
                // Nobody owns this thread but the scheduler: an interrupt carries no request, and
                // stopping would stop every timer in the JVM. Keep the flag clear and go on.
                noteInterrupt();
            }
        }
    }

    /**
     * Counts an interrupt of the thread running rounds, and logs it without flooding the log (rule TM25): whoever
     * interrupts it can do so again and again (a probe did, 4,466 times), and one WARNING each would bury every other
     * record. The first is logged at WARNING, saying it is ignored and how the later ones are logged; then a WARNING
     * with the count so far and the instant of the first at the 2nd, 4th, 8th, ... interrupt (powers of two), and
     * also at any interrupt that comes {@link #INTERRUPT_LOG_NANOS} or more after the previous line: at most
     * 1 + log2(n) lines for n interrupts in a burst, and one a minute beyond that. None is dropped from the count,
     * which {@link #interruptsSeen()} reads at any time.
     */
    private void noteInterrupt() {
        long n = interrupts + 1;
        interrupts = n; // written by this thread only: volatile for readers elsewhere
        long nowNanos = System.nanoTime(); // real time whatever this scheduler's clock: it paces a log that people read
        if (n == 1) {
            firstInterrupt = Instant.now();
            lastInterruptLogNanos = nowNanos;
            LOG.log(System.Logger.Level.WARNING, "the gochan timer thread was interrupted; ignored, it goes on (an"
                    + " interrupt asks nothing of it). Later interrupts are counted, and logged at the 2nd, 4th, 8th, ..."
                    + " and at most once a minute besides");
        } else if ((n & (n - 1)) == 0 || nowNanos - lastInterruptLogNanos >= INTERRUPT_LOG_NANOS) {
            lastInterruptLogNanos = nowNanos;
            LOG.log(System.Logger.Level.WARNING, "the gochan timer thread was interrupted " + n + " times since "
                    + firstInterrupt + "; each ignored, it goes on");
        }
    }

    /** How many interrupts the thread running this scheduler's rounds has seen (and ignored) so far (TM25). */
    long interruptsSeen() {
        return interrupts;
    }

    /** This scheduler's own thread, or null while it has none (tests). */
    Thread threadOrNull() {
        return thread;
    }

    /**
     * Takes {@link #lock} to run a round; after {@link #ROUND_PATIENCE_NANOS} of waiting for it, ahead of every caller
     * not yet queued for it (TM24). The gate is closed only then: closed for every round, it made each timer's make,
     * stop and reset wait behind the timer thread woken by the previous one (B9: {@code newTimer(1h)} plus {@code stop}
     * 440–510 → 780–1,150 ns, {@code after(0)} plus its receive 650–680 → 1,010–1,120 ns).
     */
    private void lockForRound() {
        if (lock.tryLock()) {
            return;
        }
        try {
            if (lock.tryLock(ROUND_PATIENCE_NANOS, TimeUnit.NANOSECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // seen, logged and cleared where the timer thread parks (awaitDue)
        }
        roundGate.lock();
        try {
            lock.lock();
        } finally {
            roundGate.unlock();
        }
    }

    /**
     * Takes {@link #lock} for anything but a round: after a round that waits for it (TM24). Its holder (a call made with
     * the lock held) never waits for the gate, whose holder waits for that lock.
     */
    private void lockYieldingToRound() {
        if (roundGate.isLocked() && !lock.isHeldByCurrentThread()) {
            roundGate.lock(); // the round goes first: queued for the lock before this caller
            roundGate.unlock();
        }
        lock.lock();
    }

    /**
     * A new earliest entry, lock held: the timer thread may be parked until a later one (or with nothing due). Woken
     * once the lock is let go ({@link #unlock()}), as a condition's signal wakes its waiter: woken now, it would find
     * the lock held, park in the lock's queue and be woken a second time by the unlock (B9).
     */
    private void wakeThread() {
        if (parked) { // a thread that is not parked looks at the heap before it parks: an unpark then is a wasted turn
            parked = false;
            wakePending = true;
        }
    }

    /** Releases {@link #lock}; the last release wakes the timer thread if a new earliest entry was armed meanwhile. */
    private void unlock() {
        boolean wake = wakePending && lock.getHoldCount() == 1;
        if (wake) {
            wakePending = false;
        }
        lock.unlock();
        if (wake) {
            Thread t = thread;
            if (t != null && t != Thread.currentThread()) { // the thread itself looks at the heap before it parks
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * Takes up to {@code max} entries whose channel the GC collected off the reference queue, with no lock of this
     * scheduler held (rule TM28): the queue's own monitor may be held a long while by the JDK's reference handler.
     */
    private List<TimerEntry> drainCollected(int max) {
        List<TimerEntry> gone = new ArrayList<>();
        for (Reference<? extends ChannelCore> r; gone.size() < max && (r = collected.poll()) != null; ) {
            gone.add((TimerEntry) r);
        }
        return gone;
    }

    /** Removes from the heap the collected entries {@code gone} still in it (a round may have removed some). Lock held. */
    private void removeLocked(List<TimerEntry> gone) {
        for (TimerEntry e : gone) {
            if (e.index >= 0) {
                removeAt(e.index);
            }
        }
    }

    /** Whether {@code e} is in the heap now (tests: TM29). */
    boolean inHeap(TimerEntry e) {
        lockYieldingToRound();
        try {
            return e.index >= 0;
        } finally {
            unlock();
        }
    }

    /** Entries in the heap, collected ones not yet purged included (tests: TM28). */
    int heapSize() {
        lockYieldingToRound();
        try {
            return size;
        } finally {
            unlock();
        }
    }

    /** {@code now + delay}, a negative delay counting as 0, saturating at "never". */
    static long later(long now, long delayNanos) {
        long w = now + Math.max(0L, delayNanos);
        return w < 0 ? Long.MAX_VALUE : w; // now >= 0, so a negative sum is an overflow
    }

    /** The first point of the ticker's grid ({@code when + k * period}) after {@code now} (Go's rule). */
    static long nextTick(long when, long period, long now) {
        long k = (now - when) / period + 1;
        if (k > (Long.MAX_VALUE - when) / period) {
            return Long.MAX_VALUE;
        }
        return when + k * period;
    }

    // ---------------------------------------------------------------- binary min-heap on `when`

    private void add(TimerEntry e) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        siftUp(size++, e);
    }

    private void removeAt(int i) {
        TimerEntry removed = heap[i];
        removed.index = -1;
        int last = --size;
        TimerEntry moved = heap[last];
        heap[last] = null;
        if (i != last) {
            siftDown(i, moved);
            if (heap[i] == moved) {
                siftUp(i, moved);
            }
        }
        if (heap.length > MIN_HEAP && size < heap.length / 4) {
            heap = Arrays.copyOf(heap, heap.length / 2); // give back what a burst of timers took
        }
    }

    private void siftUp(int i, TimerEntry e) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            TimerEntry p = heap[parent];
            if (p.when <= e.when) {
                break;
            }
            heap[i] = p;
            p.index = i;
            i = parent;
        }
        heap[i] = e;
        e.index = i;
    }

    private void siftDown(int i, TimerEntry e) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            TimerEntry c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].when < c.when) {
                child = right;
                c = heap[child];
            }
            if (e.when <= c.when) {
                break;
            }
            heap[i] = c;
            c.index = i;
            i = child;
        }
        heap[i] = e;
        e.index = i;
    }
}
