package io.gochan;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Go's {@code time.After}, {@code time.NewTimer}, {@code time.NewTicker} and {@code time.AfterFunc},
 * with Go 1.23 semantics: timer channels are never closed, and once {@link Timer#stop()} or
 * {@link Timer#reset(Duration)} returns, no value from the old schedule can be received.
 *
 * <pre>{@code
 * Received<Instant> r = Timers.after(Duration.ofSeconds(1)).receiveOk();   // waits about a second
 * }</pre>
 *
 * <p>All timers share one daemon platform thread ({@code gochan-timer}) that only ever performs
 * non-blocking {@code trySend}s (or starts a goroutine for {@code afterFunc}), so a slow receiver can
 * never delay other timers. A stopped timer's task is removed from the scheduler at once: it leaves no
 * thread and no scheduled task behind ({@link #pendingTasks()} shows the count).
 */
public final class Timers {
    private static final ScheduledThreadPoolExecutor SCHEDULER = createScheduler();

    private Timers() {}

    private static ScheduledThreadPoolExecutor createScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gochan-timer");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return s;
    }

    /**
     * A channel that receives the current time once, after {@code delay} (Go's {@code time.After}). The
     * timer cannot be stopped; use {@link #newTimer(Duration)} when it may need to be.
     *
     * @param delay how long to wait before firing
     * @return a channel that receives the time once, after {@code delay}
     */
    public static ReceiveChan<Instant> after(Duration delay) {
        return newTimer(delay).c();
    }

    /**
     * A started one-shot timer (Go's {@code time.NewTimer}).
     *
     * @param delay how long to wait before firing
     * @return the started timer
     */
    public static Timer newTimer(Duration delay) {
        Timer t = new Timer(0L, null);
        t.reset(delay);
        return t;
    }

    /**
     * A started ticker (Go's {@code time.NewTicker}): its channel receives the time every
     * {@code period}; a receiver that falls behind misses ticks instead of queuing them.
     *
     * @param period the time between ticks (positive)
     * @return the started ticker; stop it when done
     * @throws IllegalArgumentException if period is not positive
     */
    public static Timer newTicker(Duration period) {
        long p = positiveNanos(period);
        Timer t = new Timer(p, null);
        t.reset(period);
        return t;
    }

    /**
     * Runs {@code task} in its own goroutine after {@code delay} (Go's {@code time.AfterFunc}); the
     * returned timer's {@code stop()} prevents it if it has not started. Its channel is a nil channel.
     *
     * @param delay how long to wait before firing
     * @param task the body to run
     * @return a timer whose {@link Timer#stop()} cancels the task if it has not started
     */
    public static Timer afterFunc(Duration delay, Task task) {
        Objects.requireNonNull(task, "task");
        Timer t = new Timer(0L, task);
        t.reset(delay);
        return t;
    }

    /** {@return number of timer tasks scheduled right now (for tests and diagnostics)} */
    public static int pendingTasks() {
        return SCHEDULER.getQueue().size();
    }

    /** Schedules a non-blocking action; used by timers and context deadlines. */
    static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return SCHEDULER.schedule(action, Math.max(0L, delayNanos), TimeUnit.NANOSECONDS);
    }

    static ScheduledFuture<?> scheduleAtFixedRate(Runnable action, long periodNanos) {
        return SCHEDULER.scheduleAtFixedRate(action, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    static long nanos(Duration d) {
        return TimeUnit.NANOSECONDS.convert(Objects.requireNonNull(d, "duration"));
    }

    static long positiveNanos(Duration d) {
        long n = nanos(d);
        if (n <= 0) {
            throw new IllegalArgumentException("non-positive interval for ticker: " + d);
        }
        return n;
    }
}
