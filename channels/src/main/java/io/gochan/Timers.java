package io.gochan;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Go's {@code time.After}, {@code time.NewTimer}, {@code time.NewTicker} and {@code time.AfterFunc},
 * with Go 1.23 semantics: timer channels are never closed, report {@code len} and {@code cap} 0, and
 * once {@link Timer#stop()} or {@link Timer#reset(Duration)} returns, no value from the old schedule
 * can be received.
 *
 * <pre>{@code
 * Received<Instant> r = Timers.after(Duration.ofSeconds(1)).receiveOk();   // waits about a second
 * }</pre>
 *
 * <p>All timers share one daemon platform thread ({@code gochan-timer}) that never waits for anyone:
 * no timer, however slow its receiver or short its period, delays another (rules TM3, TM4). A stopped
 * timer leaves nothing scheduled, and so does one that nothing references any more, stopped or not
 * (TM2). Every duration is accepted; sums saturate (TM5).
 * Work that must not wait for a carrier of the virtual-thread scheduler (a context's deadline, a
 * delivery that found its channel busy) runs on a few daemon platform threads
 * ({@code gochan-timer-handoff-N}, ended after a second idle: rules CX11, TM9), so goroutines that never
 * block cannot keep a deadline from firing. See ADR 0003.
 */
public final class Timers {
    private Timers() {}

    /**
     * A channel that receives the time once, after {@code delay} (Go's {@code time.After}): the instant the
     * timer was due, however late it is received (rule TM14). The
     * timer cannot be stopped; use {@link #newTimer(Duration)} when it may need to be. If the channel is
     * dropped before it fires, the timer is collected with it (Go 1.23).
     *
     * @param delay how long to wait; zero or negative: fire at once
     * @return the timer's channel
     * @throws NullPointerException if delay is null
     */
    public static ReceiveChan<Instant> after(Duration delay) {
        return newTimer(delay).c();
    }

    /**
     * A started one-shot timer (Go's {@code time.NewTimer}).
     *
     * @param delay how long to wait; zero or negative: fire at once
     * @return the timer
     * @throws NullPointerException if delay is null
     */
    public static Timer newTimer(Duration delay) {
        long nanos = nanos(delay, "delay");
        Timer t = new Timer(TimerScheduler.current(), false);
        t.resetNanos(nanos);
        return t;
    }

    /**
     * A started ticker (Go's {@code time.NewTicker}): its channel receives the time every
     * {@code period}; a receiver that falls behind misses ticks instead of queuing them, and periods
     * missed while nobody received are dropped, not replayed in a burst (TM3). Go's {@code time.Tick(d)} is
     * {@code newTicker(d).c()}, collected once unreferenced as Go 1.23's (TM2); Go's nil channel for a non-positive
     * {@code d} is refused here instead (TM27).
     *
     * @param period the time between ticks
     * @return the ticker
     * @throws IllegalArgumentException if period is not positive
     * @throws NullPointerException if period is null
     */
    public static Timer newTicker(Duration period) {
        long nanos = positiveNanos(period, "period");
        Timer t = new Timer(TimerScheduler.current(), true);
        t.resetNanos(nanos);
        return t;
    }

    /**
     * Runs {@code task} in its own goroutine after {@code delay} (Go's {@code time.AfterFunc}); the
     * returned timer's {@code stop()} prevents it if it has not started. Its channel is a nil channel.
     * The timer holds the task until it runs or is stopped, referenced or not (as in Go). Inside a
     * virtual-time {@link Bubble}, a task due at the clock's instant (zero or negative delay, or a
     * {@code reset} to such) starts at once, without waiting for the bubble to be idle, and a task still
     * pending when the bubble ends never runs (rule BB27).
     *
     * @param delay how long to wait; zero or negative: at once
     * @param task what to run
     * @return the timer
     * @throws NullPointerException if delay or task is null
     */
    public static Timer afterFunc(Duration delay, Task task) {
        Objects.requireNonNull(task, "task");
        long nanos = nanos(delay, "delay");
        Timer t = new Timer(TimerScheduler.current(), task);
        t.resetNanos(nanos);
        return t;
    }

    /**
     * Go's {@code time.Now}: the system's clock, or inside a virtual-time {@link Bubble} the bubble's
     * fake clock (which starts at 2000-01-01T00:00:00Z and moves only when every goroutine of the
     * bubble is durably blocked, rule BB3).
     *
     * @return the current instant on the calling goroutine's clock
     */
    public static Instant now() {
        return TimerScheduler.current().instant();
    }

    /**
     * Go's {@code time.Now} as a {@link java.time.Clock} in UTC, for code that takes a clock (or an
     * {@link java.time.InstantSource}): each read returns {@link #now()} of the thread that reads it, the system's
     * clock outside bubbles and, for a member of a virtual-time {@link Bubble}, the bubble's fake clock (rule BB38). The
     * clock holds no bubble, so one made anywhere (a static, a constructor's default) serves every bubble: code given it
     * reads 2000-01-01T00:00:00Z at a bubble's start, and after a {@link #sleep sleep} of an hour an hour later, as its
     * timers see it. A thread that is no member of the bubble (a plain {@code Thread}, an executor's) reads the system's
     * clock, as a goroutine outside a bubble reads Go's real time. {@link java.time.Clock#withZone} keeps that; clocks
     * of one zone are equal.
     *
     * @return the clock, in UTC
     */
    public static java.time.Clock clock() {
        return GoClock.UTC;
    }

    /**
     * Go's {@code time.Sleep}: blocks for {@code d}, on the calling goroutine's clock (inside a
     * {@link Bubble}, virtual time: the sleep is durable blocking and ends when the bubble's clock
     * reaches it). Returns at once for zero or a negative duration. A sleep beyond about 292 years never
     * returns on the system clock; in a bubble it returns once the clock jumps to its last instant (rule
     * BB23). A sleep ended by an interrupt leaves no timer behind (TM10).
     *
     * @param d how long to sleep
     * @throws InterruptedException if the thread is interrupted while sleeping
     * @throws NullPointerException if d is null
     */
    public static void sleep(Duration d) throws InterruptedException {
        long nanos = nanos(d, "d");
        if (nanos <= 0) {
            return;
        }
        if (Bubbles.currentScheduler() == null) {
            TimeUnit.NANOSECONDS.sleep(nanos);
            return;
        }
        Timer t = new Timer(TimerScheduler.current(), false);
        t.resetNanos(nanos);
        boolean slept = false;
        try {
            t.c().receive();
            slept = true;
        } finally {
            if (!slept) {
                // Interrupted (or failed): the timer must not outlive the sleep (rule TM10). Left in the
                // bubble's heap it would be a pending timer nobody waits for: the clock would jump to it
                // instead of a deadlock being reported at once (BB3, BB5).
                t.stopUnchecked(); // its own timer: BB44 does not apply
            }
        }
    }

    /**
     * Number of timers in the system scheduler's heap right now, not counting those already collected: afterFunc
     * timers, context deadlines, and channel timers a receiver waits on (a channel timer nobody waits on is out of
     * the heap, armed or not: TM29). For tests (TM2: nothing
     * stopped or unreferenced stays scheduled): this package's, and other modules' through
     * {@code io.gochan.testing.TimerDiagnostics}. Not public: an exported "for tests" method would be API
     * to keep from the first release on.
     *
     * @return the number of timers, tickers and context deadlines in the heap
     */
    static int pendingTasks() {
        return TimerScheduler.SYSTEM.pending();
    }

    /**
     * Nanoseconds of {@code d}, saturating at the long range (any Duration is accepted); {@code name} is
     * the caller's parameter, for the exception (rule C5: the NPE names the parameter the user passed).
     */
    static long nanos(Duration d, String name) {
        return TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(d, name));
    }

    static long positiveNanos(Duration d, String name) {
        long n = nanos(d, name);
        if (n <= 0) {
            throw new IllegalArgumentException("non-positive " + name + " for a ticker: " + d);
        }
        return n;
    }
}
