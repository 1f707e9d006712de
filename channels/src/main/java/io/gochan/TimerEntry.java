package io.gochan;

import io.gochan.spi.ChannelCore;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;

/**
 * One timer's place in a {@link TimerScheduler}'s heap. A channel timer's entry refers to its channel
 * only <em>weakly</em> (this is the weak reference): the heap keeps the fire action, never the
 * channel's owner, so a timer nobody references is collected and its entry purged (rule TM2). A
 * receiver blocked on the channel keeps it reachable (its wait node refers to the channel), so a timer
 * someone waits for always fires; and while one waits, the entry holds the channel strongly too, so
 * that the waiter is reachable from the heap even if nothing else reaches it (rule TM8). An action
 * entry (afterFunc, a context deadline) has no referent and holds its action strongly, as Go does: it
 * runs unless stopped.
 *
 * <p>Fields are guarded by the scheduler's lock; {@code generation} and {@code armed} of a channel
 * timer are written with both the channel's lock and the scheduler's lock held, so either lock is
 * enough to read them (see {@link Timer} for why).
 */
final class TimerEntry extends WeakReference<ChannelCore> implements ChannelCore.DueTimer {
    final TimerScheduler scheduler;
    /** Null for a channel timer; else what runs (on the timer thread, so it must not block) when due. */
    final Runnable action;
    /**
     * The action starts a goroutine (an afterFunc's): if it throws, no goroutine started and the start is tried
     * again later, not lost (rule TM13).
     */
    final boolean startsGoroutine;
    /** When it is due, in the scheduler's clock (nanoseconds since its origin). */
    long when;
    /** 0 for a one-shot timer; else the ticker's period in nanoseconds. */
    long period;
    /** Position in the heap; -1 when not scheduled. */
    int index = -1;
    /** Bumped by every stop and reset: a firing that read an older value delivers nothing. */
    int generation;
    /** Scheduled and not yet delivered (one-shot) or stopped; what stop() reports as "prevented". */
    boolean armed;
    /**
     * A ticker out of the heap because its last tick is still unreceived (rule TM6): it goes back on its
     * grid when that value is taken. Guarded by the scheduler's lock.
     */
    boolean dozing;
    /**
     * Armed, and out of the heap because no receiver waits on its channel (rule TM29, a lazy scheduler's one-shot
     * channel timers only): {@link #when} still says when it is due, and a look at the channel delivers it then (TM7).
     * Guarded by the scheduler's lock.
     */
    boolean unwatched;
    /**
     * A ticker's delivery handed off (its channel's lock was busy: TimerScheduler#fire, rule TM9) that has not run yet,
     * live or voided by a later tick delivered around it (rule TM20); null when none is. Set by the round's thread,
     * cleared by the hand-off once it has run (delivered, found void, or failed; or by the round if it could not hand
     * off). While it is set, a later tick of its schedule that finds the lock busy is dropped, not handed off too: a
     * ticker keeps at most one hand-off queued (rules TM19, TM20).
     */
    @SuppressWarnings("unused") // through HANDOFF
    private volatile TimerScheduler.TickHandOff handoff;
    /**
     * A round took a due firing of the current schedule and has not delivered it yet (rule TM7: a look at
     * the channel then delivers it itself). Set by the round under the scheduler's lock, cleared under the
     * channel's lock by the delivery or under both by stop, reset and a look; volatile because the round
     * and a hand-off delivery share no lock.
     */
    volatile boolean firing;
    /** When the firing a round took last was due: the time it delivers, also from a look or a retry (TM14). */
    long firingDue;
    /**
     * Back in the heap only for the retry of a firing whose hand-off could not start (TM12): the round that takes
     * it delivers {@link #firingDue}, not its own time. Cleared by that round, a look, stop and reset.
     */
    boolean retrying;
    /**
     * A channel timer's channel, held strongly while a receiver waits on it (rule TM8), else null. A
     * waiting goroutine may be reachable only through the channel it waits on; the entry is reachable
     * from the heap while scheduled, so the waiter is too, and a collection (with leak detection, LK10)
     * never takes a goroutine that the timer will wake. Written under the channel's lock; read by the garbage
     * collector, and by a lazy scheduler under that lock ({@link #receiverWaits()}, TM29).
     */
    private ChannelCore pinned;
    /**
     * Who made an afterFunc timer's or a context deadline's entry, and where ({@link #traceOrigin}), for a leak check's
     * list of what an owner left scheduled (rule LK32); null for every other entry, and while no goroutine owner is in
     * use. Written before the entry is first scheduled, read under the scheduler's lock.
     */
    Origin origin;

    /**
     * What an entry is ({@code "afterFunc"}, {@code "context deadline"}), the owner attribution current where it was
     * made ({@link Go#currentAttribution()}), and the stack there while start sites are captured, else null (LK32).
     */
    record Origin(String kind, Object attribution, StackTraceElement[] site) {}

    private static final VarHandle HANDOFF;

    static {
        try {
            HANDOFF = MethodHandles.lookup()
                    .findVarHandle(TimerEntry.class, "handoff", TimerScheduler.TickHandOff.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A channel timer's entry. */
    TimerEntry(TimerScheduler scheduler, ChannelCore channel, ReferenceQueue<ChannelCore> queue) {
        super(channel, queue);
        this.scheduler = scheduler;
        this.action = null;
        this.startsGoroutine = false;
    }

    /** An action timer's entry; {@code startsGoroutine} if the action is a goroutine's start. */
    TimerEntry(TimerScheduler scheduler, Runnable action, boolean startsGoroutine) {
        super(null);
        this.scheduler = scheduler;
        this.action = action;
        this.startsGoroutine = startsGoroutine;
    }

    /**
     * Notes who made this action entry and where (rule LK32): an afterFunc timer or a context's own deadline, which
     * the heap keeps until it fires or is stopped, whoever references it (TM2). Costs nothing while no goroutine
     * owner is in use; the stack only while start sites are captured. Before the entry is first scheduled.
     */
    void traceOrigin(String what, Object owner) {
        if (owner != null) {
            origin = new Origin(what, owner, Go.startSites ? new Throwable().getStackTrace() : null);
        }
    }

    /** This ticker's hand-off that has not run yet (of any schedule), or null (rules TM19, TM20). */
    TimerScheduler.TickHandOff handoff() {
        return (TimerScheduler.TickHandOff) HANDOFF.getVolatile(this);
    }

    /** Notes that {@code h} is handed off and has not run yet (rules TM19, TM20). The round's thread only. */
    void handoffStarted(TimerScheduler.TickHandOff h) {
        HANDOFF.setVolatile(this, h);
    }

    /**
     * Notes that hand-off {@code h} has ended (delivered, void, or never started). A hand-off noted since (of a newer
     * schedule) stays noted: only {@code h} is cleared.
     */
    void handoffEnded(TimerScheduler.TickHandOff h) {
        HANDOFF.compareAndSet(this, h, null);
    }

    @Override
    public boolean looksDue() {
        return scheduler.looksDue(this);
    }

    @Override
    public boolean neverDelivers() {
        return scheduler.ofEndedBubble(); // its bubble's clock never moves again, and a reset is refused (BB51, BB22)
    }

    @Override
    public void deliverIfDueLocked(ChannelCore channel) {
        scheduler.deliverIfDueLocked(this, channel);
    }

    /** Whether a receiver waits on this channel timer's channel (TM8, TM29). The channel's lock held. */
    boolean receiverWaits() {
        return pinned != null;
    }

    @Override
    public void receiverWaitsLocked(ChannelCore channel, boolean waits) {
        pinned = waits ? channel : null;
        scheduler.receiverWaitsLocked(this, waits);
    }
}
