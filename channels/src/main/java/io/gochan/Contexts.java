package io.gochan;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;

/** The implementations behind {@link Context}. */
final class Contexts {
    static final Background BACKGROUND = new Background();

    private Contexts() {}

    static CancelContext newChild(Context parent, Instant deadline) {
        Instant effective = deadline;
        Optional<Instant> pd = parent.deadline();
        if (pd.isPresent() && (effective == null || pd.get().isBefore(effective))) {
            effective = pd.get();
        }
        CancelContext child = new CancelContext(parent, effective);
        if (parent instanceof CancelContext p) {
            CancellationException already = p.adopt(child);
            if (already != null) {
                child.cancel(already);
                return child;
            }
        }
        if (deadline != null && (pd.isEmpty() || deadline.isBefore(pd.get()))) {
            // Only a deadline of our own needs a task: an earlier parent deadline reaches us by propagation.
            child.armDeadline(deadline);
        }
        return child;
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
        private volatile CancellationException err; // written under lock, before done closes
        private Set<CancelContext> children = new HashSet<>(); // guarded by lock; null once cancelled
        private ScheduledFuture<?> deadlineTask; // guarded by lock

        CancelContext(Context parent, Instant deadline) {
            this.parent = parent;
            this.deadline = deadline;
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

        void armDeadline(Instant at) {
            long nanos = Duration.between(Instant.now(), at).toNanos();
            if (nanos <= 0) {
                cancel(new DeadlineExceededException());
                return;
            }
            lock.lock();
            try {
                if (children != null) {
                    deadlineTask = Timers.schedule(() -> cancel(new DeadlineExceededException()), nanos);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            cancel(new ContextCanceledException());
        }

        void cancel(CancellationException cause) {
            List<CancelContext> kids;
            lock.lock();
            try {
                if (children == null) {
                    return; // already cancelled
                }
                err = cause;
                done.close();
                kids = List.copyOf(children);
                children = null;
                if (deadlineTask != null) {
                    deadlineTask.cancel(false);
                    deadlineTask = null;
                }
            } finally {
                lock.unlock();
            }
            for (CancelContext k : kids) {
                k.cancel(cause);
            }
            if (parent instanceof CancelContext p) {
                p.orphan(this);
            }
        }

        @Override
        public ReceiveChan<Object> done() {
            return doneView;
        }

        @Override
        public CancellationException err() {
            return err;
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
            CancellationException e = err;
            return "Context[" + (e == null ? "live" : e.getMessage()) + (deadline != null ? ", deadline " + deadline : "") + "]";
        }
    }
}
