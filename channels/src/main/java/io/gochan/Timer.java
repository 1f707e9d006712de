package io.gochan;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.time.Instant;

/**
 * A one-shot timer or a ticker made by {@link Timers}, with Go 1.23 semantics.
 *
 * <p>{@link #c()} receives the time the timer was due, however late it fired (Go 1.23; rule TM14) (a
 * ticker: every period, the grid point it fired for; a receiver that
 * falls behind misses ticks, at most one is ever pending, and missed periods are never replayed: rule
 * TM3). The channel is never closed, and its {@code len()} and {@code cap()} are 0 as in Go 1.23 (TM1).
 * After {@link #stop()} or {@link #reset(Duration)} returns, no value from the earlier schedule can
 * be received: a pending one is discarded. A timer or ticker that nothing references any more (not
 * this object, not its channel, no receiver blocked on it) is garbage, even if never stopped (TM2);
 * an {@link Timers#afterFunc afterFunc} timer is kept until it runs or is stopped. Thread-safe;
 * {@code stop} and {@code reset} never block on a receiver.
 *
 * <p>A timer is {@link AutoCloseable}: {@link #close()} is {@link #stop()}, so try-with-resources stops a ticker
 * when its block ends, as Go's {@code defer ticker.Stop()} does (rule TM16):
 *
 * <pre>{@code
 * try (Timer ticker = Timers.newTicker(Duration.ofMillis(100))) {   // stopped when the block ends
 *     for (int i = 0; i < 3; i++) {
 *         ticks.add(ticker.c().receive());
 *     }
 * }
 * }</pre>
 *
 * <p>Closing is never required: a timer nobody references is garbage, stopped or not (TM2).
 */
public final class Timer implements AutoCloseable {
    /*
     * Implementation notes. The channel has one slot so the timer thread delivers with a send that
     * never blocks. Each schedule of the entry has a generation number; a firing delivers only if its
     * generation is still current, checked under the channel's lock, and stop/reset bump the generation
     * (under the scheduler's lock too, atomically with taking the entry out of the heap) and drain the
     * slot under the same channel lock: so no stale value can be received after they return. This
     * object and the channel's views hold the channel strongly; the scheduler's entry holds it weakly, and the system
     * scheduler's heap holds the entry only while a receiver waits on the channel (TM29).
     */
    private final Chan<Instant> channel; // null for afterFunc timers
    private final ChannelCore core;      // null for afterFunc timers
    private final ReceiveChan<Instant> view;
    private final TimerEntry entry;
    private final boolean ticker;

    /** A channel timer (one-shot or ticker) on {@code scheduler}, not yet scheduled. */
    Timer(TimerScheduler scheduler, boolean ticker) {
        this.channel = Chan.timerChannel();
        this.core = ChannelCores.of(channel);
        this.view = channel.receiveOnly();
        this.entry = scheduler.channelEntry(core);
        core.attachTimer(entry); // a look at the channel runs the timer if it is due (TM7)
        this.ticker = ticker;
    }

    /** An afterFunc timer on {@code scheduler} running {@code func} in a goroutine, not yet scheduled. */
    Timer(TimerScheduler scheduler, Task func) {
        this.channel = null;
        this.core = null;
        this.view = Chan.<Instant>nil().receiveOnly();
        // The goroutine belongs to the owner current where afterFunc was called (LK1), not to whatever the
        // thread that fires it (the timer thread, a hand-off thread) happens to carry.
        Object owner = Go.currentAttribution(); // inherited or not, as there (LK17)
        // A start that fails (no thread could start) is tried again later, not lost (TM13).
        this.entry = scheduler.startEntry(() -> Go.start("gochan-afterfunc", func, owner, null, null));
        entry.traceOrigin("afterFunc", owner); // listed as the owner's until it runs or is stopped (LK32)
        this.ticker = false;
    }

    /** This timer's entry in its scheduler (tests: TM29). */
    TimerEntry entry() {
        return entry;
    }

    /**
     * The channel on which the timer delivers (a nil channel for {@code afterFunc} timers).
     *
     * @return the receive side of the timer's channel; the same object on every call
     */
    public ReceiveChan<Instant> c() {
        return view;
    }

    /**
     * Stops the timer. Never blocks on a receiver.
     *
     * <p>A timer made in a virtual-time bubble is stopped only by a goroutine of that bubble while the bubble
     * runs; once {@code Bubble.run} has returned anyone may stop it (rule BB44).
     *
     * @return true if this call prevented a delivery (the timer was scheduled, or its value was not
     *     yet received); false if it had already fired and been received, or was stopped
     * @throws IllegalStateException if the timer was made in a virtual-time bubble that still runs and the caller
     *     is not a goroutine of that bubble (a thread of no bubble, a goroutine of another bubble: rule BB44, as
     *     Go's runtime fails a stop of a bubble's timer from outside it); the timer is left as it was
     */
    public boolean stop() {
        // Rule BB44: a stop from outside a running bubble would race its clock (fire first or not, by real-time
        // luck) and leave a member waiting on the channel for ever; after the end it is harmless cleanup.
        if (entry.scheduler.foreignWhileRunning()) {
            throw new IllegalStateException("stop of a timer made in a virtual-time bubble, from outside that bubble"
                    + " while it runs: only its goroutines may stop it until Bubble.run has returned (BB44)");
        }
        return stopUnchecked();
    }

    /** {@link #stop()} without BB44's check: the owner's own clean-up of a timer it made (a sleep's). */
    boolean stopUnchecked() {
        if (core == null) {
            return entry.scheduler.unschedule(entry);
        }
        core.lock();
        try {
            boolean prevented = entry.scheduler.unschedule(entry);
            return drainLocked() || prevented;
        } finally {
            core.unlock();
        }
    }

    /**
     * Stops the timer, as {@link #stop()} does (rule TM16): after it returns no value of the timer's schedule can be
     * received, until a {@link #reset(Duration)} arms it again. It never blocks on a receiver, throws nothing but
     * {@code stop()}'s refusal from outside a running bubble (BB44), and declares no checked exception; a second
     * close, or a close after {@code stop()}, changes nothing. An
     * {@link Timers#afterFunc afterFunc} timer's function that has already started is neither waited for nor
     * interrupted, as with {@code stop()} (Go's {@code Stop} does not wait either).
     *
     * @throws IllegalStateException as {@link #stop()} does, from outside the running bubble the timer was made in
     */
    @Override
    public void close() {
        stop();
    }

    /**
     * Re-arms the timer to fire after {@code d} (a ticker: every {@code d}, its grid starting now; a stopped
     * ticker starts again: rule TM15), discarding any pending value of the old schedule. Any duration is accepted: a negative one means "at once" for a timer,
     * one beyond about 292 years means "never" (TM5).
     *
     * @param d the new delay (a ticker: the new period)
     * @return what {@link #stop()} would have returned
     * @throws IllegalArgumentException for a ticker with a non-positive period
     * @throws NullPointerException if d is null
     * @throws IllegalStateException if the timer was made in a virtual-time bubble and the caller is
     *     not a goroutine of that bubble (rule BB22: its clock moves only inside it, so the timer would
     *     never fire; Go's runtime fails the same way)
     */
    public boolean reset(Duration d) {
        long nanos = ticker ? Timers.positiveNanos(d, "d") : Timers.nanos(d, "d");
        TimerScheduler own = entry.scheduler;
        // Rule BB22: a bubble's scheduler is driven only by its bubble while it runs; a reset from
        // anywhere else (outside, another bubble, after the end) would arm a timer that never fires.
        if (own.runsInline() && own != TimerScheduler.current()) {
            throw new IllegalStateException("reset of a timer made in a virtual-time bubble, from outside that bubble"
                    + " (or after it ended): it runs on the bubble's clock and would never fire (BB22)");
        }
        return resetNanos(nanos);
    }

    /** {@link #reset(Duration)} with the duration in nanoseconds, already checked. */
    boolean resetNanos(long nanos) {
        if (core == null) {
            return entry.scheduler.schedule(entry, nanos, 0L);
        }
        core.lock();
        try {
            boolean prevented = entry.scheduler.schedule(entry, nanos, ticker ? nanos : 0L);
            return drainLocked() || prevented;
        } finally {
            core.unlock();
        }
    }

    /** Takes a pending value of the old schedule; never runs the new one (TM7 is for receivers only). */
    private boolean drainLocked() {
        return core.drainTimerLocked();
    }

    /**
     * True if a fired value waits in the channel (for tests: {@code len()} reports 0 by design), after a look at the
     * channel as a receive's or a select's (TM7): a due timer nobody waited on is out of the heap and delivers only so
     * (TM29), as a select's look leaves it in the channel when it takes another ready case.
     */
    boolean hasPendingValue() {
        if (core == null) {
            return false;
        }
        core.lock();
        try {
            if (core.len() == 0) {
                entry.deliverIfDueLocked(core);
            }
            return core.len() > 0;
        } finally {
            core.unlock();
        }
    }

    @Override
    public String toString() {
        return (ticker ? "Ticker" : "Timer") + "[" + (entry.index >= 0 || entry.dozing || entry.unwatched ? "scheduled" : "not scheduled") + "]";
    }
}
