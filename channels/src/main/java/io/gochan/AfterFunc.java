package io.gochan;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A function registered with {@link Context#afterFunc(Context, Runnable)}: it runs in its own goroutine
 * once the context is done, unless {@link #stop()} came first (Go's {@code context.AfterFunc} and the
 * {@code stop} function it returns; rule CX8). It is {@link AutoCloseable}: {@link #close()} is {@link #stop()}, so
 * {@code try (AfterFunc cleanup = Context.afterFunc(ctx, f)) { ... }} registers {@code f} for the block only, as Go's
 * {@code defer stop()} (rule TM16).
 */
public final class AfterFunc implements AutoCloseable {
    private static final int PENDING = 0;
    private static final int STARTED = 1;
    private static final int STOPPED = 2;

    private final Runnable f;
    /** The attribution current where it was registered (an owner, maybe inherited by that thread), or null. */
    private final Object owner;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    /** The cancellable context this registration lives in, or null if the context is never done. */
    Contexts.CancelContext registeredWith;

    AfterFunc(Runnable f) {
        this.f = f;
        // Its goroutine belongs to the owner current where it was registered (LK1), not to the thread that
        // cancels the context (another test's, a deadline's hand-off thread).
        this.owner = Go.currentAttribution();
    }

    /** Starts the function's goroutine unless it was stopped or started already. */
    void fire() {
        if (claim()) {
            start();
        }
    }

    /**
     * Marks the function started, so {@link #stop()} fails from now on, unless it was stopped or
     * started already; the caller then {@link #start()}s it (a cancel does, once it holds no lock).
     *
     * @return true if this call claimed it
     */
    boolean claim() {
        return state.compareAndSet(PENDING, STARTED);
    }

    /**
     * Starts the goroutine of a function this thread {@link #claim()}ed. Never throws: a start that fails (no
     * thread could start) is logged and tried again later (rule CX15), since {@code stop()} already reports the
     * function started; whoever is cancelling the context (a {@code cancel()}, a deadline, a parent's cancel)
     * completes its cancellation regardless. The goroutine is the canceller's (Go's {@code go f()} in {@code cancel}):
     * when the canceller is a member of a virtual-time bubble (or its driver, firing a deadline), so is the retry
     * (rule CX20): the bubble waits 100 ms of real time, counts the start as a running member meanwhile, and has
     * its driver start it, so the goroutine joins the bubble and {@code Bubble.run} waits for it (BB29).
     */
    void start() {
        Runnable start = () -> Go.start("context-afterfunc", f::run, owner, null, null);
        try {
            start.run();
        } catch (RuntimeException | Error t) {
            // The canceller's scheduler: the system's, or its bubble's, which hands the start to the bubble (CX20).
            TimerScheduler.current().startLater(start, t);
        }
    }

    /**
     * Stops the function from being run, and removes the registration from the context (so many
     * stopped registrations do not make the context grow). Never waits for a running function.
     *
     * @return true if this call stopped the function; false if it had already been started (the
     *     context was done) or stopped
     */
    public boolean stop() {
        if (!state.compareAndSet(PENDING, STOPPED)) {
            return false;
        }
        Contexts.CancelContext c = registeredWith;
        if (c != null) {
            c.orphan(this);
        }
        return true;
    }

    /**
     * Stops the function, as {@link #stop()} does (rule TM16): once it returns, the function is not started unless it
     * had been already. It never waits for a running function, never throws, and declares no checked exception; a
     * second close, or a close after {@code stop()}, changes nothing.
     */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "AfterFunc[" + switch (state.get()) {
            case PENDING -> "pending";
            case STARTED -> "started";
            default -> "stopped";
        } + "]";
    }
}
