package io.gochan;

import io.gochan.spi.GoDurations;
import io.gochan.spi.ParkHook;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/** The implementations behind {@link Context}. */
final class Contexts {
    static final Background BACKGROUND = new Background();
    /** {@link Context#todo()}: a root of its own, so that it prints as Go's does and is told apart from the background. */
    static final Background TODO = new Background("context.TODO");
    /** The done channel of every context that is never cancelled: a nil channel. */
    static final ReceiveChan<Object> NEVER = Chan.nil().receiveOnly();

    private Contexts() {}

    /**
     * A child of {@code parent}, with {@code deadline} if not null (capped by the parent's), and
     * {@code deadlineCause} as its cause when that deadline passes. Everything that can fail happens
     * before the child is registered with its parent (rule CX3).
     */
    static CancelContext newChild(Context parent, Instant deadline, Throwable deadlineCause) {
        return newChild(parent, deadline, deadlineCause, TimerScheduler.current());
    }

    /** As above, a deadline of its own on {@code scheduler} (tests: one whose thread cannot start, TM23). */
    static CancelContext newChild(Context parent, Instant deadline, Throwable deadlineCause, TimerScheduler scheduler) {
        Optional<Instant> pd = parent.deadline();
        // Only a deadline of our own needs a timer: a strictly earlier parent deadline reaches us by propagation.
        // An equal one is ours, as in Go's WithDeadline (CX12): made after that instant, the child is done at once
        // with its own cause, even while the parent's timer has not yet cancelled the parent.
        boolean own = deadline != null && (pd.isEmpty() || !deadline.isAfter(pd.get()));
        Instant effective = own || pd.isEmpty() ? deadline : pd.get();
        long delay = own ? nanosUntil(deadline) : 0L;
        if (delay > 0) {
            // The deadline's timer needs the timer thread: started here, before the registration, so that a thread that
            // cannot start fails this call with the parent unchanged (rules CX3, TM23), not after it.
            scheduler.ensureThread();
        }
        CancelContext anchor = cancelAncestor(parent);
        CancelContext child = new CancelContext(parent, anchor, effective, own ? scheduler : null, deadlineCause);
        if (anchor != null) {
            if (child.bubble != null && anchor.bubble != child.bubble) {
                // Made in a bubble under a context made outside it: the bubble's end takes it out again (BB30).
                // Before the registration, which must come last (CX3); a child found done at once is skipped then.
                child.bubble.adoptedOutside(child);
            }
            CancelContext.Outcome already = anchor.adopt(child);
            if (already != null) {
                child.cancel(already.err, already.cause);
                return child;
            }
        }
        if (own) {
            child.armDeadline(delay);
        }
        return child;
    }

    /**
     * The nearest context up the chain whose cancellation reaches {@code c}: itself if it is
     * cancellable, through value contexts; none above a detached context or the background.
     */
    static CancelContext cancelAncestor(Context c) {
        while (true) {
            if (c instanceof CancelContext cc) {
                return cc;
            } else if (c instanceof ValueContext v) {
                c = v.parent;
            } else {
                return null; // a root (background, TODO), Detached: never cancelled
            }
        }
    }

    /** Go's valueCtx lookup, iteratively: the nearest binding of {@code key} up the chain. */
    static <T> Optional<T> lookup(Context c, ContextKey<T> key) {
        Objects.requireNonNull(key, "key");
        while (true) {
            if (c instanceof ValueContext v) {
                if (v.key == key) {
                    return Optional.of(key.cast(v.value));
                }
                c = v.parent;
            } else if (c instanceof CancelContext cc) {
                c = cc.parent;
            } else if (c instanceof Detached d) {
                c = d.parent;
            } else {
                return Optional.empty();
            }
        }
    }

    /** Registers {@code f} to run in a goroutine once {@code ctx} is done; see {@link Context#afterFunc}. */
    static AfterFunc afterFunc(Context ctx, Runnable f) {
        AfterFunc a = new AfterFunc(f);
        CancelContext anchor = cancelAncestor(ctx);
        if (anchor == null) {
            return a; // never done: f never runs, stop() succeeds once
        }
        a.registeredWith = anchor;
        if (anchor.adopt(a) != null) {
            a.fire();
        }
        return a;
    }

    /**
     * Go's {@code contextName} chain (rule CX13): the root's name, then one segment per context down to
     * {@code c} ({@code .WithCancel}, {@code .WithDeadline(...)}, {@code .WithValue(key)},
     * {@code .WithoutCancel}), as Go's {@code String} methods print them. Built iteratively, so a chain of
     * any depth prints without overflowing the stack (CX14, as lookups and cancellation: CX4, CX9).
     */
    static String name(Context c) {
        ArrayDeque<String> segments = new ArrayDeque<>();
        while (true) {
            if (c instanceof ValueContext v) {
                segments.push(v.segment());
                c = v.parent;
            } else if (c instanceof CancelContext cc) {
                segments.push(cc.segment());
                c = cc.parent;
            } else if (c instanceof Detached d) {
                segments.push(".WithoutCancel");
                c = d.parent;
            } else {
                segments.push(c.toString()); // a root: the background or TODO
                break;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String s : segments) {
            sb.append(s);
        }
        return sb.toString();
    }

    /**
     * Go's {@code time.Time.String} layout ({@code 2006-01-02 15:04:05.999999999 -0700 MST}) in UTC, the only zone an
     * {@link Instant} has, after the year: the fraction's trailing zeros dropped, none written for a whole second (rule
     * CX27). Go's monotonic suffix ({@code m=+3600.000194030}) has no counterpart in an Instant and is not written.
     */
    private static final DateTimeFormatter GO_TIME_AFTER_YEAR = new DateTimeFormatterBuilder()
            .appendPattern("-MM-dd HH:mm:ss")
            .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .appendLiteral(" +0000 UTC")
            .toFormatter(Locale.ROOT);

    /** Seconds in 400 Gregorian years (146,097 days): the calendar repeats after them, to the second. */
    private static final long SECONDS_PER_400_YEARS = 146_097L * 86_400L;
    /** The range of instants Java's calendar types hold; an Instant reaches a year further either way (CX29). */
    private static final long LAST_CALENDAR_SECOND = LocalDateTime.MAX.toEpochSecond(ZoneOffset.UTC);
    private static final long FIRST_CALENDAR_SECOND = LocalDateTime.MIN.toEpochSecond(ZoneOffset.UTC);

    /**
     * {@return {@code t} as Go's {@code time.Time.String} writes a UTC time: the year as Go's {@code appendInt(year, 4)}
     * writes it (at least four digits, a minus sign before a negative one, a year past 9999 whole), then
     * {@link #GO_TIME_AFTER_YEAR}} Any instant: one in the first or last year of the Instant range, which
     * {@link LocalDateTime} cannot hold, is formatted 400 years inward and its year moved back (rule CX29).
     */
    static String goTime(Instant t) {
        long shiftYears = 0;
        Instant inside = t;
        if (t.getEpochSecond() > LAST_CALENDAR_SECOND) {
            inside = t.minusSeconds(SECONDS_PER_400_YEARS);
            shiftYears = 400;
        } else if (t.getEpochSecond() < FIRST_CALENDAR_SECOND) {
            inside = t.plusSeconds(SECONDS_PER_400_YEARS);
            shiftYears = -400;
        }
        LocalDateTime d = LocalDateTime.ofEpochSecond(inside.getEpochSecond(), inside.getNano(), ZoneOffset.UTC);
        long year = d.getYear() + shiftYears;
        StringBuilder b = new StringBuilder(40);
        if (year < 0) {
            b.append('-');
        }
        String digits = Long.toString(Math.abs(year));
        b.append("0".repeat(Math.max(0, 4 - digits.length()))).append(digits);
        GO_TIME_AFTER_YEAR.formatTo(d, b);
        return b.toString();
    }

    /** Go's {@code Duration} range, at which its {@code time.Until} saturates (CX29). */
    private static final Duration GO_MAX_DURATION = Duration.ofNanos(Long.MAX_VALUE);
    private static final Duration GO_MIN_DURATION = Duration.ofNanos(Long.MIN_VALUE);

    /** {@return the time from now until {@code deadline}, saturated at Go's Duration range as Go's {@code time.Until}} */
    static Duration goUntil(Instant deadline) {
        Duration left = Duration.between(now(), deadline);
        if (left.compareTo(GO_MAX_DURATION) > 0) {
            return GO_MAX_DURATION;
        }
        return left.compareTo(GO_MIN_DURATION) < 0 ? GO_MIN_DURATION : left;
    }

    /** {@code now + timeout}, saturating at {@link Instant#MAX} / {@link Instant#MIN} (rule CX2). */
    static Instant plusSaturating(Instant now, Duration timeout) {
        try {
            return now.plus(timeout);
        } catch (DateTimeException | ArithmeticException beyondInstantRange) {
            return timeout.isNegative() ? Instant.MIN : Instant.MAX;
        }
    }

    /** Now on the calling thread's clock: its virtual-time bubble's (rule BB4), else the system's. */
    static Instant now() {
        return TimerScheduler.current().instant();
    }

    /** Nanoseconds from now until {@code deadline}, saturating at the long range (CX2). */
    static long nanosUntil(Instant deadline) {
        // Duration.between cannot overflow for any two Instants; convert saturates where toNanos throws.
        return TimeUnit.NANOSECONDS.convert(Duration.between(now(), deadline));
    }

    /**
     * A context that is never cancelled and has no deadline: done() is a nil channel. The root and
     * {@code withoutCancel} differ only in where their values come from.
     */
    abstract static sealed class NeverCancelled implements Context permits Background, Detached {
        @Override
        public ReceiveChan<Object> done() {
            return NEVER;
        }

        @Override
        public CancellationException err() {
            return null;
        }

        @Override
        public Throwable cause() {
            return null;
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.empty();
        }

        @Override
        public <T> Optional<T> value(ContextKey<T> key) {
            return lookup(this, key);
        }
    }

    /** A root: never cancelled, no values; the background, or TODO under its own name (CX25). */
    static final class Background extends NeverCancelled {
        private final String name;

        Background() {
            this("context.Background");
        }

        Background(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Go's valueCtx: one binding, everything else from the parent. */
    static final class ValueContext implements Context {
        final Context parent;
        final ContextKey<?> key;
        final Object value;
        /**
         * The nearest ancestor that is not a value context: done, err, cause and deadline are its, whatever
         * the bindings between. Asked directly rather than through the parent, so a chain of any depth
         * answers in one step, never by recursion (rule CX14).
         */
        private final Context base;

        ValueContext(Context parent, ContextKey<?> key, Object value) {
            this.parent = parent;
            this.key = key;
            this.value = value;
            this.base = parent instanceof ValueContext v ? v.base : parent;
        }

        @Override
        public ReceiveChan<Object> done() {
            return base.done();
        }

        @Override
        public CancellationException err() {
            return base.err();
        }

        @Override
        public Throwable cause() {
            return base.cause();
        }

        @Override
        public boolean isDone() {
            return base.isDone();
        }

        @Override
        public Optional<Instant> deadline() {
            return base.deadline();
        }

        @Override
        public <T> Optional<T> value(ContextKey<T> key) {
            return lookup(this, key);
        }

        @Override
        public String toString() {
            return name(this);
        }

        String segment() {
            return ".WithValue(" + key + ")";
        }
    }

    /** Go's withoutCancelCtx: the parent's values, never cancelled, no deadline. */
    static final class Detached extends NeverCancelled {
        final Context parent;

        Detached(Context parent) {
            this.parent = parent;
        }

        @Override
        public String toString() {
            return name(this);
        }
    }

    /** A cancellable context; see {@link CancellableContext}. */
    static final class CancelContext implements CancellableContext {
        /**
         * Why a context is done: the error err() reports and the cause cause() reports; one per cancellation, shared by
         * every context its walk marks.
         */
        static final class Outcome {
            final CancellationException err;
            final Throwable cause;
            /**
             * Descendants whose cancellation this walk did not do itself and did not wait for: met under way or done by
             * another (rule CX23), or cancelled children that left a context unsettled. Its contexts are seen done only
             * once these are settled too ({@link CancelContext#awaitSettled}). Null while there is none (the usual
             * case), and again once {@link #settled}: then nobody needs them, and a cancelled context keeps no
             * descendant reachable, as Go's drops its children (rule CX24). Written by the walking thread while it holds
             * every context it marks, read once their locks are free.
             */
            volatile List<CancelContext> awaited;
            /**
             * Set once this walk is over and so is every cancellation it passed by ({@link #awaited}, and what theirs
             * passed by): the cancellation is seen whole, for good. Whoever finds it set needs to look at nothing else,
             * so an {@code err()}, {@code cause()} or losing {@code cancel()} of any context this walk marked costs one
             * volatile read from then on, however many cancellations the walk met (rule CX24). Written after the wait
             * that found it so: a reader that sees it sees everything that wait saw.
             */
            volatile boolean settled;

            Outcome(CancellationException err, Throwable cause) {
                this.err = err;
                this.cause = cause;
            }

            void await(CancelContext c) {
                List<CancelContext> a = awaited;
                if (a == null) {
                    a = new ArrayList<>(2);
                    awaited = a;
                }
                a.add(c);
            }

            /**
             * Says this cancellation is seen whole for good, then lets go of what it passed by (rule CX24). Only once it
             * is: the order makes a reader that finds the list gone also find the flag, and what the settler saw.
             */
            void settle() {
                settled = true;
                awaited = null;
            }
        }

        /** Below this many registrations at once a set's table is small enough to keep (CX16). */
        private static final int SHRINK_FROM = 64;
        /**
         * How long a wait for a busy lock that a cancellation under way may hold waits between looks at whether one
         * is (rule CX22); a lock held briefly (an adopt, an orphan) is taken as soon as it is released.
         */
        private static final long LOOK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

        private final ReentrantLock lock = new ReentrantLock();
        final Context parent;
        /** The cancellable ancestor this context is registered with, if any. */
        private final CancelContext anchor;
        private final Instant deadline;
        private final Throwable deadlineCause;
        private final Chan<Object> done = Chan.signal();
        private final ReceiveChan<Object> doneView = done.receiveOnly();
        /**
         * Written under lock just before done closes, and read by err() and cause() only once done is
         * closed: so both are null exactly while done() is open (rules CX1, CX5; Go sets them under one
         * lock).
         */
        private volatile Outcome outcome;
        /**
         * Child contexts and afterFunc registrations; guarded by lock; null once cancelled. Volatile so that a deadline's
         * cancel and a context leaving its parent see, without the lock, that a cancellation is under way (rule CX22).
         */
        private volatile Set<Object> children = new HashSet<>();
        /**
         * The most registrations {@link #children} has held since it was made; guarded by lock. A hash set never
         * shrinks its table: once it holds a quarter of this, it is made anew, so a long-lived context gives back
         * what a burst of children took (rule CX16), at a cost amortized over the removals that preceded it.
         */
        private int peak;
        /**
         * Cancelled children that left this context before their cancellation was settled: a deadline's cancel that
         * passed by a descendant's cancellation under way (CX22) leaves at once. This context's own cancellation waits
         * for them as for its children (rule CX23). Guarded by lock; null while empty; settled ones are dropped at every
         * leave, so it holds only what may still be under way.
         */
        private List<CancelContext> unsettled;
        /** The deadline timer, if this context has a deadline of its own; guarded by lock. */
        private final TimerEntry deadlineTimer;
        /** Where the deadline timer runs: the system's, or the virtual-time bubble's it was made in. */
        private final TimerScheduler scheduler;
        /**
         * The virtual-time bubble this context was made in, or null: registered with a context made outside it, it
         * leaves that one when the bubble ends (rules BB30, CX21).
         */
        final BubbleState bubble;

        /**
         * A context under {@code parent}, which the caller registers with {@code anchor}; its own deadline (if
         * {@code scheduler} is not null) on {@code scheduler}.
         */
        CancelContext(Context parent, CancelContext anchor, Instant deadline, TimerScheduler scheduler, Throwable deadlineCause) {
            boolean ownDeadline = scheduler != null;
            this.parent = parent;
            this.anchor = anchor;
            this.deadline = deadline;
            this.deadlineCause = deadlineCause;
            this.scheduler = scheduler;
            this.deadlineTimer = ownDeadline ? scheduler.actionEntry(this::deadlinePassed) : null;
            if (ownDeadline) {
                // Listed as the owner's until it fires or the context is cancelled (LK32).
                deadlineTimer.traceOrigin("context deadline", Go.currentAttribution());
            }
            // Bubbles is asked only while a bubble runs, so that code outside bubbles does not load it (B8, BB9).
            BubbleState.Member m = ParkHook.active() == null ? null : Bubbles.current();
            this.bubble = m == null ? null : m.bubble;
        }

        /**
         * Registers a child context or an afterFunc; returns this context's outcome instead if it is
         * already done.
         */
        Outcome adopt(Object child) {
            lock.lock();
            try {
                if (children == null) {
                    return outcome;
                }
                children.add(child);
                peak = Math.max(peak, children.size());
                return null;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Rule BB30: the bubble this context was made in has ended with it pending: it leaves its anchor, made outside
         * that bubble, which then refers to nothing of the ended bubble. It stays as it is: not done, its deadline
         * never coming, reached by no later cancel of that anchor; its own cancel still works (CX21). A cancel of the
         * anchor racing this either reaches it first or finds it gone; both are a cancellation seen whole (CX4).
         */
        void leaveOutsideParent() {
            if (anchor != null && !isDone()) {
                anchor.orphan(this);
            }
        }

        /** Removes a registration; true if it was there (so this context has not fired it). */
        boolean orphan(Object child) {
            lock.lock();
            try {
                return removeLocked(child);
            } finally {
                lock.unlock();
            }
        }

        /** {@link #orphan}, the lock held. */
        private boolean removeLocked(Object child) {
            Set<Object> kids = children;
            if (kids == null || !kids.remove(child)) {
                return false;
            }
            if (peak > SHRINK_FROM && kids.size() < peak / 4) {
                children = new HashSet<>(kids); // a table sized for what is left (CX16)
                peak = kids.size();
            }
            return true;
        }

        /** Arms the deadline timer (cannot fail: the delay was computed before registration). */
        void armDeadline(long delayNanos) {
            if (delayNanos <= 0) {
                cancelForDeadline(false);
                return;
            }
            lock.lock();
            try {
                if (children != null) {
                    scheduler.schedule(deadlineTimer, delayNanos, 0L);
                }
            } finally {
                lock.unlock();
            }
        }

        /**
         * On the timer thread, which must not wait: the cancel (of a whole tree, maybe) runs elsewhere,
         * on a hand-off platform thread (rule CX11): a virtual thread could wait forever for a carrier
         * that goroutines polling this very context never give up.
         */
        private void deadlinePassed() {
            if (scheduler.runsInline()) {
                // A bubble's driver: a thread the bubble cannot see must not close its channels (BB4).
                cancelForDeadline(false);
                return;
            }
            if (children == null) {
                return; // cancelled, or its cancellation under way, since a retry was armed (TM12): nothing to do
            }
            try {
                scheduler.handOff(() -> cancelForDeadline(true));
            } catch (RuntimeException | Error t) {
                // No thread could start for the cancel: try again later rather than never end this context (TM12).
                // A cancel racing this may leave the retry armed; it then finds the context done and does nothing.
                scheduler.schedule(deadlineTimer, TimerScheduler.RETRY_NANOS, 0L);
                throw t; // logged by the round (TM11)
            }
        }

        /**
         * Cancels with the deadline's error and cause. {@code passBy} on a hand-off thread (rule CX22): it never waits
         * behind a cancellation already under way, of this context, of a descendant or of the parent it leaves, which
         * may itself wait, for as long as it likes, for one channel's lock held by a goroutine (TM21). That
         * cancellation does what this one would have done; waiting for it would only take a hand-off thread of the
         * JVM's few, and a deadline for each of a cancelled parent's children would take them all: every timer
         * delivery and deadline of the JVM refused.
         */
        private void cancelForDeadline(boolean passBy) {
            if (passBy ? outcome != null : cancelledAlready()) {
                return; // lost to a cancel that came first (its timer taken from the heap already): nothing built (CX26)
            }
            DeadlineExceededException e = new DeadlineExceededException(true);
            if (deadlineCause != null) {
                e.initCause(deadlineCause); // so a thrown err() carries the cause in its trace
            }
            cancel(e, deadlineCause != null ? deadlineCause : e, passBy);
        }

        @Override
        public void cancel() {
            if (cancelledAlready()) {
                return;
            }
            ContextCanceledException e = new ContextCanceledException(true);
            cancel(e, e);
        }

        @Override
        public void cancel(Throwable cause) {
            if (cancelledAlready()) {
                return;
            }
            ContextCanceledException e = new ContextCanceledException(true);
            if (cause != null) {
                e.initCause(cause); // so a thrown err() carries the cause in its trace
            }
            cancel(e, cause != null ? cause : e);
        }

        /**
         * A cancel that finds this context cancelled already (by a cancel, its parent's or its deadline) loses before it
         * builds anything (rule CX26): an exception's stack trace is a walk of the caller's stack, paid by every losing
         * call (a server cancelling one context from several paths), for an outcome the first cancel already fixed. It
         * returns as the losing path of {@link #cancel(CancellationException, Throwable, boolean)} does, once that
         * cancellation is seen whole (CX4, CX23): {@link #awaitSettled()} waits for the lock the walk holds to its end,
         * as that path's lock does, and for whatever it passed by; once settled, a volatile read (CX24). The outcome is
         * written, under the lock, before {@code done} closes: a cancel that reads null here takes the full path, where
         * a race with another cancel is settled under the lock (CX1, first cancel wins).
         *
         * @return true if this context was cancelled already, the cancellation now seen whole
         */
        private boolean cancelledAlready() {
            if (outcome == null) {
                return false;
            }
            awaitSettled();
            return true;
        }

        /**
         * Cancels this context and every descendant with {@code err} and {@code cause}, iteratively
         * (rule CX4: any depth, no recursion), then leaves the parent. A descendant cancelled here need
         * not leave its own parent: that parent is cancelled too and has dropped its set of children.
         * AfterFunc registrations met on the way start their goroutines once the walk is over (CX8).
         *
         * <p>Every context this marks stays locked until the whole subtree is marked, as Go holds each
         * context's mutex while it cancels the children: so a concurrent {@code cancel}, {@code err()} or
         * {@code cause()} of any of them returns only once the subtree is done (CX4). Locks are taken
         * parent before child only, and released before the parent is left: no cycle.
         */
        void cancel(CancellationException err, Throwable cause) {
            cancel(err, cause, false);
        }

        /**
         * As {@link #cancel(CancellationException, Throwable)}; {@code passBy}: a deadline's cancel on a hand-off
         * thread (rule CX22), which does not wait for a context whose cancellation is under way: this one, a
         * descendant (that cancellation marks the descendant's subtree), which it skips, or the parent it leaves.
         */
        private void cancel(CancellationException err, Throwable cause, boolean passBy) {
            Outcome why = new Outcome(err, cause);
            if (!lockToCancel(passBy)) {
                return; // a cancellation under way will mark this context and its subtree
            }
            Set<Object> kids = markCancelledLocked(why);
            if (kids == null) {
                lock.unlock();
                if (!passBy) {
                    awaitSettled(); // already cancelled; a deadline's walk may have passed a descendant by (CX23)
                }
                return;
            }
            ArrayDeque<CancelContext> held = new ArrayDeque<>();
            held.push(this);
            List<AfterFunc> toFire = null;
            try {
                ArrayDeque<Object> work = new ArrayDeque<>(kids);
                for (Object o; (o = work.poll()) != null; ) {
                    if (o instanceof CancelContext c) {
                        if (!c.lockToCancel(passBy)) {
                            // Its own cancellation, under way, marks it and its subtree (CX22): not waited for here, but
                            // by whoever sees this cancellation (CX23).
                            why.await(c);
                            continue;
                        }
                        held.push(c);
                        Set<Object> grandchildren = c.markCancelledLocked(why);
                        if (grandchildren != null) {
                            work.addAll(grandchildren);
                        } else {
                            why.await(c); // cancelled by another, not yet gone: what it passed by, if anything (CX23)
                        }
                    } else if (((AfterFunc) o).claim()) { // stop() fails from here on, as in Go
                        if (toFire == null) {
                            toFire = new ArrayList<>();
                        }
                        toFire.add((AfterFunc) o);
                    }
                }
            } finally {
                for (CancelContext c; (c = held.poll()) != null; ) {
                    c.lock.unlock();
                }
            }
            // Claimed under the locks (a stop() after the walk fails, as in Go), started with no context
            // locked: starting a goroutine takes the registry's (and a bubble's) locks, which must never
            // nest inside a context's. Go starts them with `go f()`: when f begins is not observable.
            if (toFire != null) {
                for (AfterFunc a : toFire) {
                    a.start();
                }
            }
            if (why.awaited != null && !passBy) {
                // A descendant's cancellation under way was met: as in Go, cancel returns, and leaves the parent, only
                // once it is over (CX4, CX23). A deadline's walk (passBy) waits for nothing: it leaves unsettled, and
                // the parent keeps it in mind.
                awaitSettled();
            }
            if (anchor != null) {
                anchor.leave(this);
            }
        }

        /** Takes this context's lock to cancel it; with {@code passBy}, as {@link #lockUnlessCancelling()} (CX22). */
        private boolean lockToCancel(boolean passBy) {
            if (passBy) {
                return lockUnlessCancelling();
            }
            lock.lock();
            return true;
        }

        /**
         * Takes this context's lock, unless a cancellation of it is under way (its set of children is gone): a
         * cancellation holds the lock until its whole walk is over, which may wait for as long as a goroutine holds
         * one channel's lock (TM21). Then returns false at once, without the lock. A lock held otherwise (an adopt, an
         * orphan) is waited for, looking again every {@link #LOOK_NANOS}. An interrupt never ends the wait: it is kept
         * for the caller. Rule CX22.
         */
        private boolean lockUnlessCancelling() {
            boolean interrupted = false;
            try {
                // A timed wait in the lock's own queue, not a nap: a lock held briefly is taken as it is released.
                while (true) {
                    try {
                        if (lock.tryLock(LOOK_NANOS, TimeUnit.NANOSECONDS)) {
                            break;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true; // a cancel never fails for it: kept for the caller, below
                    }
                    if (children == null) {
                        return false;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            if (children == null) {
                lock.unlock();
                return false;
            }
            return true;
        }

        /**
         * A cancelled child {@code child} leaves this context: unless this context's own cancellation is under way,
         * which drops every registration and holds the lock until its walk ends, however long (rule CX22).
         */
        private void leave(CancelContext child) {
            if (!lockUnlessCancelling()) {
                return;
            }
            try {
                if (removeLocked(child)) {
                    keepInMindLocked(child);
                }
            } finally {
                lock.unlock();
            }
        }

        /**
         * Rule CX23: {@code child}, cancelled and just removed, may leave before its cancellation is settled (a deadline's
         * passed a descendant's under way by, CX22); then this context's own cancellation must still wait for it, as it
         * would have had the child stayed. Drops those settled since. Lock held.
         */
        private void keepInMindLocked(CancelContext child) {
            if (unsettled != null) {
                unsettled.removeIf(CancelContext::settledNow);
                if (unsettled.isEmpty()) {
                    unsettled = null;
                }
            }
            if (!child.settledNow()) {
                if (unsettled == null) {
                    unsettled = new ArrayList<>(2);
                }
                unsettled.add(child);
            }
        }

        /**
         * Sets the outcome, closes done, stops the deadline timer; returns the children, or null if
         * already done. The caller holds the lock.
         */
        private Set<Object> markCancelledLocked(Outcome why) {
            Set<Object> kids = children;
            if (kids == null) {
                return null;
            }
            children = null;
            if (unsettled != null) {
                for (CancelContext c : unsettled) {
                    why.await(c); // children that left unsettled are waited for as children are (CX23)
                }
                unsettled = null;
            }
            outcome = why; // before done closes: see the field
            done.closeFromCancel(); // from outside the bubble too: an outside ancestor, a deadline (BB28, BB43)
            if (deadlineTimer != null) {
                scheduler.unschedule(deadlineTimer);
            }
            return kids;
        }

        /**
         * Once done is closed, waits for the cancellation under way to have reached every descendant:
         * Go's {@code Err} takes the same mutex (CX4). The canceller holds this lock from closing done to
         * the end of its walk, so a free lock (one volatile read) means the walk is over; a lock held
         * briefly by adopt/orphan instead only costs a short wait. A walk that did not do a descendant's
         * cancellation itself (a deadline's, which passes a cancellation under way by, CX22; or one that met a
         * descendant cancelled by another) recorded it in its outcome: that one is waited for the same way, and
         * what its own walk recorded, so the cancellation is seen whole all the same (rule CX23).
         */
        private void awaitSettled() {
            settle(true);
        }

        /**
         * Whether this context's cancellation is settled now, as {@link #awaitSettled} would find it, without waiting:
         * a lock held for any reason counts as not settled (rule CX23).
         */
        boolean settledNow() {
            return settle(false);
        }

        /**
         * Looks at this context and at every cancellation its own passed by (CX23), iteratively as the walk (CX4): a
         * chain of cancellations each passed by another needs no stack. {@code wait}: waits for each lock found held
         * (a walk under way holds it to its end) and returns true; else returns false at the first one.
         */
        private boolean settle(boolean wait) {
            Outcome mine = outcome;
            if (mine != null && mine.settled) {
                return true; // found so before: the walk's and what it passed by are over for good (CX24)
            }
            Pending todo = null;
            for (CancelContext c = this; c != null; c = todo == null ? null : todo.next()) {
                Outcome known = c.outcome;
                if (known != null && known.settled) {
                    continue; // its walk and what that passed by are over: nothing to look at (CX24)
                }
                if (c.lock.isLocked()) {
                    if (!wait) {
                        return false;
                    }
                    c.lock.lock();
                    c.lock.unlock();
                }
                // What its cancellation passed by: cancellations under way of descendants, each holding its own lock
                // until its walk is over. Visible here: written before the lock just found free.
                Outcome o = c.outcome;
                List<CancelContext> passed = o == null ? null : o.awaited;
                if (passed != null) {
                    if (todo == null) {
                        todo = new Pending();
                    }
                    todo.add(o, passed);
                }
            }
            // Every context looked at was marked before it was looked at (this one is done; the others were found
            // cancelled by the walks that passed them by), so a lock found free meant its walk was over, and every
            // outcome read is that of a walk over whose passed-by cancellations were all looked at since. Settled for
            // good: said once, so that no later look repeats this one (rule CX24), and what they passed by let go.
            if (todo != null) {
                todo.settleAll();
            }
            if (mine != null) {
                mine.settle();
            }
            return true;
        }

        /**
         * The cancellations still to look at in {@link #awaitSettled} and {@link #settledNow}: each outcome's list is
         * taken once and each context queued once, however many of the contexts looked at share an outcome (every
         * context a walk marks does) or name the same one; otherwise contexts passed by a walk that many others met
         * would be looked at again for each of them, a cost that multiplies down a chain.
         */
        private static final class Pending {
            private final ArrayDeque<CancelContext> queue = new ArrayDeque<>();
            private final Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            private final List<Outcome> outcomes = new ArrayList<>();

            /** Queues what {@code o} passed by, {@code passed} (its list, read once: it is dropped when settled). */
            void add(Outcome o, List<CancelContext> passed) {
                if (seen.add(o)) {
                    outcomes.add(o);
                    for (CancelContext c : passed) {
                        if (seen.add(c)) {
                            queue.add(c);
                        }
                    }
                }
            }

            /** Every outcome whose list was queued is settled: each of its contexts has been looked at (CX24). */
            void settleAll() {
                for (Outcome o : outcomes) {
                    o.settle();
                }
            }

            CancelContext next() {
                return queue.poll();
            }
        }

        @Override
        public ReceiveChan<Object> done() {
            return doneView;
        }

        @Override
        public CancellationException err() {
            // Closed => outcome was written before the close (happens-before through the channel's
            // volatile closed flag); open => null even if a cancel is half-way (CX1).
            if (!done.isClosed()) {
                return null;
            }
            awaitSettled();
            return outcome.err;
        }

        @Override
        public Throwable cause() {
            if (!done.isClosed()) {
                return null;
            }
            awaitSettled();
            return outcome.cause;
        }

        @Override
        public boolean isDone() {
            return done.isClosed();
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.ofNullable(deadline);
        }

        @Override
        public <T> Optional<T> value(ContextKey<T> key) {
            return lookup(this, key);
        }

        /** Number of registered live children and afterFuncs (for tests). */
        int childCount() {
            lock.lock();
            try {
                return children == null ? 0 : children.size();
            } finally {
                lock.unlock();
            }
        }

        /** Go's form: see {@link Contexts#name} (rules CX13, CX14). */
        @Override
        public String toString() {
            return name(this);
        }

        /**
         * {@code .WithCancel}, or for a deadline of its own {@code .WithDeadline(<deadline> [<time left>])}; a
         * child whose deadline is its parent's earlier one is a {@code .WithCancel}, as Go's {@code WithDeadline}
         * returns {@code WithCancel(parent)} then. Whether the context is done is not part of it (nor of Go's),
         * so it never waits for a cancellation under way.
         */
        String segment() {
            if (deadlineTimer == null) {
                return ".WithCancel";
            }
            // Go's timerCtx.String: the deadline as time.Time.String, the time left as time.Duration.String (CX27).
            return ".WithDeadline(" + goTime(deadline) + " [" + GoDurations.format(goUntil(deadline)) + "])";
        }
    }
}
