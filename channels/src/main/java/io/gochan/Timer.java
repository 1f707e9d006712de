package io.gochan;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A one-shot timer or a ticker made by {@link Timers}, with Go 1.23 semantics.
 *
 * <p>{@link #c()} receives the time when the timer fires (a ticker: every period; a receiver that
 * falls behind misses ticks, at most one is ever pending). The channel is never closed. After
 * {@link #stop()} or {@link #reset(Duration)} returns, no value from the earlier schedule can be
 * received: a pending one is discarded. Thread-safe; {@code stop} and {@code reset} never block on a
 * receiver.
 */
public final class Timer {
    /*
     * Implementation notes. The channel has one slot so the scheduler thread can deliver with a
     * trySend that never blocks (Go 1.23 reports cap 0 for its synchronous timer channels; ours reports
     * 1). Each schedule has a generation number; the firing task delivers only if its generation is
     * still current, checked under `lock`, and stop/reset bump the generation and drain the slot under
     * the same lock: so no stale value can be received after they return.
     */
    private final ReentrantLock lock = new ReentrantLock();
    private final Chan<Instant> channel = Chan.make(1);
    private final ReceiveChan<Instant> view;
    private final long periodNanos; // 0 for one-shot
    private final Task func;        // non-null for afterFunc timers
    // Guarded by lock.
    private long generation;
    private ScheduledFuture<?> future;
    private boolean active;

    Timer(long periodNanos, Task func) {
        this.periodNanos = periodNanos;
        this.func = func;
        this.view = func == null ? channel.receiveOnly() : Chan.<Instant>nil().receiveOnly();
    }

    /**
     * {@return the channel on which the timer delivers (a nil channel for {@code afterFunc}
     * timers)}
     */
    public ReceiveChan<Instant> c() {
        return view;
    }

    /**
     * Stops the timer. Returns true if this call prevented a delivery (the timer was scheduled, or its
     * value was not yet received); false if it had already fired and been received, or was stopped.
     *
     * @return true if this call prevented a delivery (the timer was scheduled, or its value was not
     *     yet received); false if it had already fired and been received, or was stopped
     */
    public boolean stop() {
        lock.lock();
        try {
            return cancelLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Re-arms the timer to fire after {@code d} (a ticker: every {@code d}), discarding any pending
     * value of the old schedule. Returns what {@link #stop()} would have returned.
     *
     * @param d the new delay (a ticker: the new period)
     * @return true if the timer had been active (as Go's {@code Reset}); the new schedule applies
     *     either way
     * @throws IllegalArgumentException for a ticker with a non-positive period
     */
    public boolean reset(Duration d) {
        long nanos = periodNanos > 0 ? Timers.positiveNanos(d) : Timers.nanos(d);
        lock.lock();
        try {
            boolean was = cancelLocked();
            long gen = generation;
            active = true;
            future = periodNanos > 0
                    ? Timers.scheduleAtFixedRate(() -> fire(gen), nanos)
                    : Timers.schedule(() -> fire(gen), nanos);
            return was;
        } finally {
            lock.unlock();
        }
    }

    private boolean cancelLocked() {
        boolean prevented = active;
        generation++;
        active = false;
        if (future != null) {
            future.cancel(false);
            future = null;
        }
        if (channel.tryReceive().ok()) {
            prevented = true;
        }
        return prevented;
    }

    private void fire(long gen) {
        lock.lock();
        try {
            if (gen != generation) {
                return; // stopped or reset since this task was scheduled
            }
            if (periodNanos == 0) {
                active = false;
                future = null;
            }
            if (func == null) {
                channel.trySend(Instant.now()); // full: a slow ticker receiver misses this tick
                return;
            }
        } finally {
            lock.unlock();
        }
        Go.go("gochan-afterfunc", func);
    }

    @Override
    public String toString() {
        return (periodNanos > 0 ? "Ticker" : "Timer") + "[" + (active ? "active" : "stopped") + "]";
    }
}
