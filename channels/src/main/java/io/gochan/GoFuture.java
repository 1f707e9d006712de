package io.gochan;

import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A goroutine that yields a value: started with {@link Go#future(Callable)}, it runs its callable on a
 * virtual thread, and {@link #join()} returns the value or rethrows the failure as itself (rule GF1).
 *
 * <p>A failure belongs to whoever can observe it (rule GF2): it is rethrown by {@code join}, and goes
 * to the uncaught-exception handler ({@link Goroutines#setUncaughtExceptionHandler}) only if this
 * handle becomes unreachable without a {@code join} having returned it, detected when the handle is
 * garbage collected. Everything the callable did happens-before {@code join} returns or throws.
 *
 * @param <T> the type of the value
 */
public final class GoFuture<T> {
    private final Goroutine goroutine;
    private final Outcome<T> outcome;

    private GoFuture(Goroutine goroutine, Outcome<T> outcome) {
        this.goroutine = goroutine;
        this.outcome = outcome;
    }

    /** The goroutine's body: runs the callable into the outcome, and tells the goroutine's end what it caught (JF5). */
    private static final class Body<T> extends Go.SelfTask {
        private final Outcome<T> outcome;
        private final Callable<? extends T> body;

        Body(Outcome<T> outcome, Callable<? extends T> body) {
            this.outcome = outcome;
            this.body = body;
        }

        @Override
        void run(Goroutine self) {
            outcome.run(body);
        }

        @Override
        Throwable caught() {
            return outcome.failure; // written by run, on this thread
        }
    }

    static <T> GoFuture<T> start(String name, Callable<? extends T> body) {
        Outcome<T> outcome = new Outcome<>();
        // done closes once the goroutine has left the registry (GF4): a leak check right after a select
        // on done() sees nothing.
        Goroutine g = Go.start(name, new Body<>(outcome, body), null, outcome::close, null);
        outcome.goroutine = g;
        GoFuture<T> f = new GoFuture<>(g, outcome);
        Failures.CLEANER.register(f, outcome::abandon);
        return f;
    }

    /**
     * Waits until the goroutine has ended, then returns its value or throws its failure. Inside a
     * virtual-time {@link Bubble}, waiting for a future of the caller's bubble is durable blocking
     * (rule BB19): the bubble's clock moves meanwhile.
     *
     * @return the callable's value (may be null)
     * @throws Exception the callable's failure, as itself (checked or not; an {@link Error} as itself
     *     too; any other {@code Throwable} in an {@code ExecutionException} made once: GF5), the same
     *     instance on every call
     * @throws InterruptedException if the calling thread is interrupted while waiting (the goroutine
     *     runs on); never once {@link #done()} is closed, also for a join already waiting then: the outcome is
     *     returned or thrown and an interrupt is kept in the flag (rules GF7, I9). A callable that failed with an {@code InterruptedException}
     *     (its answer to {@link #interrupt()}) is thrown as itself too: then the caller was not interrupted (GF10)
     * @throws IllegalStateException if called from this future's own goroutine (in its callable), which would
     *     wait for its own end for ever; nothing was changed, the interrupt status neither. Not caught, it is the
     *     future's failure (rule GF8). A receive on {@link #done()} there, and a join cycle through other
     *     goroutines, are not detected: they wait (GF9)
     */
    public T join() throws Exception {
        try {
            if (isDone()) {
                goroutine.joinFinished(); // the outcome is known: no InterruptedException for its last steps (GF7)
            } else {
                try {
                    goroutine.join(); // durable in the caller's bubble for a goroutine of it (BB2, BB19); refuses a self-join (GF8)
                } catch (InterruptedException e) {
                    finishDecided(e);
                }
            }
            return outcome.observe();
        } finally {
            Reference.reachabilityFence(this); // the cleaner must not see this handle as dropped mid-join
        }
    }

    /**
     * Waits at most {@code timeout}, then as {@link #join()}.
     *
     * @param timeout how long to wait at most
     * @return the callable's value (may be null)
     * @throws TimeoutException if the goroutine is still running when the time runs out; it runs on, and a
     *     later join returns its outcome (rule GF10). Never once {@link #done()} is closed, even for a zero
     *     timeout (rule GF7)
     * @throws Exception the callable's failure, as itself
     * @throws InterruptedException if the calling thread is interrupted while waiting; never once
     *     {@link #done()} is closed, also for a join already waiting then (the flag is kept, rules GF7, I9)
     * @throws IllegalStateException as {@link #join()} throws it, for any timeout, zero included (rule GF8)
     * @throws NullPointerException if timeout is null, also once the goroutine has ended
     */
    public T join(Duration timeout) throws Exception {
        Objects.requireNonNull(timeout, "timeout");
        try {
            if (isDone()) {
                goroutine.joinFinished(); // known outcome: neither a timeout nor an interrupt for its last steps (GF7)
            } else {
                boolean ended;
                try {
                    ended = goroutine.join(timeout);
                } catch (InterruptedException e) {
                    finishDecided(e);
                    ended = true;
                }
                if (!ended) {
                    if (!isDone()) {
                        throw new TimeoutException("goroutine " + goroutine.name() + " still running after " + timeout);
                    }
                    // The time ran out during the goroutine's last steps, after done() closed: decided (GF7, I9).
                    goroutine.joinFinished();
                }
            }
            return outcome.observe();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * After a join that waited was interrupted: rethrows {@code e} unless {@link #done()} closed meanwhile. Once it
     * has, the outcome is decided and an interrupt that came after (or at the same moment) does not replace it
     * (rules GF7, I9): the join waits out the goroutine's last steps and the interrupt flag is set again for the
     * caller. {@code Thread.join} has no such notion: interrupted while the thread took its last steps, or after it
     * ended but before the joiner ran again, it throws, and the outcome was lost to an {@code InterruptedException}.
     */
    private void finishDecided(InterruptedException e) throws InterruptedException {
        if (!isDone()) {
            throw e; // nothing decided yet: the interrupt is the answer (I1), the flag cleared
        }
        goroutine.joinFinished();
        Thread.currentThread().interrupt();
    }

    /**
     * A channel closed when the callable has returned or thrown and its goroutine has left
     * {@link Goroutines#live()} (rules GF3, GF4; Go's {@code Done()} idiom):
     * nothing is ever sent on it, so it serves a {@code select} waiting for this future next to other
     * channels. Everything the callable did, and its value or failure, happens-before a receive that
     * observes the channel closed; {@link #join()} after that returns or throws without waiting for more
     * than the goroutine's last steps. As with a context's done channel, select it with a
     * {@code receiveOk} case (a plain receive case on it is refused, rule L10). Received from the future's
     * own goroutine it is an ordinary channel that nobody closes before that goroutine ends: not refused as
     * {@link #join()} is, a receive there waits for ever (in a virtual-time bubble, a deadlock: GF9).
     *
     * @return the done channel; the same object on every call
     */
    public ReceiveChan<Object> done() {
        return outcome.doneView;
    }

    /**
     * {@return true once the callable has returned or thrown and the goroutine has left {@link Goroutines#live()}:
     * exactly when {@link #done()} is closed (rule GF6), so a thread that saw that channel closed finds this true.
     * The goroutine's thread may still be taking its last steps; {@link #join()} waits for them}
     */
    public boolean isDone() {
        // Not the thread's liveness: it outlives the close of done by the goroutine's last steps (GF6).
        return outcome.done.isClosed();
    }

    /** {@return the goroutine running the callable} */
    public Goroutine goroutine() {
        return goroutine;
    }

    /**
     * Interrupts the goroutine (Java's cancellation; the callable decides what it means). This is not a
     * {@code Future.cancel}: the future is done only once the callable has ended (rule GF10). A callable that
     * answers by throwing {@link InterruptedException} makes {@link #join()} throw that very instance: it is the
     * callable's failure, not an interrupt of the joining thread, whose interrupt status is left as it was. One
     * that catches the interrupt and returns gives its value.
     */
    public void interrupt() {
        goroutine.interrupt();
    }

    @Override
    public String toString() {
        return "GoFuture[" + goroutine + "]";
    }

    /** The result, shared by the running task and the handle; never refers to the handle. */
    static final class Outcome<T> {
        private static final int DONE = 1;
        private static final int ABANDONED = 2;

        private final AtomicInteger state = new AtomicInteger();
        private T value;             // written before DONE is set, read after join
        private Throwable failure;   // ditto
        private Throwable thrown;    // ditto: what join throws, made once (a wrapper too: GF5)
        private volatile boolean observed;
        volatile Goroutine goroutine;
        /** Closed (never sent on) once value or failure is written: GF3. */
        final Chan<Object> done = Chan.signal();
        final ReceiveChan<Object> doneView = done.receiveOnly();

        void run(Callable<? extends T> body) {
            try {
                value = body.call();
            } catch (Throwable t) {
                failure = t;
                thrown = Failures.asThrown(t);
            }
            int before = state.getAndUpdate(s -> s | DONE);
            if ((before & ABANDONED) != 0) {
                reportIfUnobserved();
            }
        }

        /** The goroutine has left the registry: publish value/failure to whoever sees done closed (GF3, GF4). */
        void close() {
            done.close();
        }

        T observe() throws Exception {
            observed = true;
            if (thrown != null) {
                throw Failures.rethrow(thrown); // the same object on every call (GF1, GF5)
            }
            return value;
        }

        /**
         * The cleaner's action: the handle is gone, nobody can join any more. A failure nobody observed is reported on a
         * goroutine of its own, never on the cleaner's thread (TM22); the usual case, a value or an observed failure,
         * starts nothing.
         */
        void abandon() {
            int before = state.getAndUpdate(s -> s | ABANDONED);
            if ((before & DONE) != 0 && failure != null && !observed) {
                Failures.reportOffCleaner(this::reportIfUnobserved);
            }
        }

        private void reportIfUnobserved() {
            Throwable t = failure;
            if (t != null && !observed) {
                Goroutines.report(goroutine, t);
            }
        }
    }
}
