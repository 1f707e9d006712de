package io.gochan;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/** The implementations behind {@link Context}. */
final class Contexts {
    static final Background BACKGROUND = new Background();

    private Contexts() {}

    /**
     * A child of {@code parent}, with {@code deadline} if not null (capped by the parent's). Everything
     * that can fail happens before the child is registered with its parent (rule CX3).
     */
    static CancelContext newChild(Context parent, Instant deadline) {
        Optional<Instant> pd = parent.deadline();
        // Only a deadline of our own needs a timer: an earlier parent deadline reaches us by propagation.
        boolean own = deadline != null && (pd.isEmpty() || deadline.isBefore(pd.get()));
        Instant effective = own || pd.isEmpty() ? deadline : pd.get();
        long delay = own ? nanosUntil(deadline) : 0L;
        CancelContext child = new CancelContext(parent, effective, own);
        if (parent instanceof CancelContext p) {
            CancellationException already = p.adopt(child);
            if (already != null) {
                child.cancel(already);
                return child;
            }
        }
        if (own) {
            child.armDeadline(delay);
        }
        return child;
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

    /** The root: done() is a nil channel, never cancelled. */
    static final class Background implements Context {
        private final ReceiveChan<Object> never = Chan.nil().receiveOnly();

        @Override
        public ReceiveChan<Object> done() {
            return never;
        }

        @Override
        public CancellationException err() {
            return null;
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "context.Background";
        }
    }

    /** A cancellable context; see {@link CancellableContext}. */
    static final class CancelContext implements CancellableContext {
        private final ReentrantLock lock = new ReentrantLock();
        private final Context parent;
        private final Instant deadline;
        private final Chan<Object> done = Chan.make();
        private final ReceiveChan<Object> doneView = done.receiveOnly();
        /**
         * Written under lock just before done closes, and read by err() only once done is closed: so
         * err() is null exactly while done() is open (rule CX1; Go sets both under one lock).
         */
        private volatile CancellationException err;
        private Set<CancelContext> children = new HashSet<>(); // guarded by lock; null once cancelled
        /** The deadline timer, if this context has a deadline of its own; guarded by lock. */
        private final TimerEntry deadlineTimer;
        /** Where the deadline timer runs: the system's, or the virtual-time bubble's it was made in. */
        private final TimerScheduler scheduler;

        CancelContext(Context parent, Instant deadline, boolean ownDeadline) {
            this.parent = parent;
            this.deadline = deadline;
            this.scheduler = ownDeadline ? TimerScheduler.current() : null;
            this.deadlineTimer = ownDeadline ? scheduler.actionEntry(this::deadlinePassed) : null;
        }

        /** Registers a child; returns this context's error instead if it is already done. */
        CancellationException adopt(CancelContext child) {
            lock.lock();
            try {
                if (children == null) {
                    return err;
                }
                children.add(child);
                return null;
            } finally {
                lock.unlock();
            }
        }

        void orphan(CancelContext child) {
            lock.lock();
            try {
                if (children != null) {
                    children.remove(child);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Arms the deadline timer (cannot fail: the delay was computed before registration). */
        void armDeadline(long delayNanos) {
            if (delayNanos <= 0) {
                cancel(new DeadlineExceededException());
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

        /** On the timer thread, which must not wait: the cancel (of a whole tree, maybe) runs elsewhere. */
        private void deadlinePassed() {
            if (scheduler.runsInline()) {
                // A bubble's driver: a thread the bubble cannot see must not close its channels (BB4).
                cancel(new DeadlineExceededException());
                return;
            }
            Thread.ofVirtual().name("gochan-context-deadline").start(() -> cancel(new DeadlineExceededException()));
        }

        @Override
        public void cancel() {
            cancel(new ContextCanceledException());
        }

        /**
         * Cancels this context and every descendant with {@code cause}, iteratively (rule CX4: any depth,
         * no recursion), then leaves the parent. A descendant cancelled here need not leave its own
         * parent: that parent is cancelled too and has dropped its set of children.
         */
        void cancel(CancellationException cause) {
            Set<CancelContext> kids = markCancelled(cause);
            if (kids == null) {
                return; // already cancelled
            }
            ArrayDeque<CancelContext> work = new ArrayDeque<>(kids);
            for (CancelContext c; (c = work.poll()) != null; ) {
                Set<CancelContext> grandchildren = c.markCancelled(cause);
                if (grandchildren != null) {
                    work.addAll(grandchildren);
                }
            }
            if (parent instanceof CancelContext p) {
                p.orphan(this);
            }
        }

        /** Sets err, closes done, stops the deadline timer; returns the children, or null if already done. */
        private Set<CancelContext> markCancelled(CancellationException cause) {
            lock.lock();
            try {
                Set<CancelContext> kids = children;
                if (kids == null) {
                    return null;
                }
                children = null;
                err = cause; // before done closes: see the field
                done.close();
                if (deadlineTimer != null) {
                    scheduler.unschedule(deadlineTimer);
                }
                return kids;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public ReceiveChan<Object> done() {
            return doneView;
        }

        @Override
        public CancellationException err() {
            // Closed => err was written before the close (happens-before through the channel's
            // volatile closed flag); open => null even if a cancel is half-way (CX1).
            return done.isClosed() ? err : null;
        }

        @Override
        public Optional<Instant> deadline() {
            return Optional.ofNullable(deadline);
        }

        /** Number of registered live children (for tests). */
        int childCount() {
            lock.lock();
            try {
                return children == null ? 0 : children.size();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String toString() {
            CancellationException e = err();
            return "Context[" + (e == null ? "live" : e.getMessage()) + (deadline != null ? ", deadline " + deadline : "") + "]";
        }
    }
}
