package io.gochan.spi;

/**
 * The seam through which virtual-time "bubbles" ({@code io.gochan.Bubble}, ADR 0013) see the channel
 * machinery park and read the clock. At most one hook is active, and only while at least one bubble
 * runs; outside bubbles {@link #active} is null and every use below costs one read of it, on the park
 * path or on a timed operation's deadline computation only, never on a handoff that completes without
 * parking (rule BB9).
 *
 * <p>For gochan's own modules only (the package is exported to them alone).
 */
public abstract class ParkHook {
    /** Returned by {@link #await} when the calling thread is not in a bubble: wait as usual. */
    protected static final Object PASS = new Object();

    /** The active hook, or null when no bubble runs (the common case). */
    static volatile ParkHook active;

    /** For subclasses. */
    protected ParkHook() {}

    /**
     * Installs {@code hook} as the active hook.
     *
     * @param hook the hook; null uninstalls
     */
    public static void setActive(ParkHook hook) {
        active = hook;
    }

    /**
     * {@return the active hook, or null when no bubble runs}
     */
    public static ParkHook active() {
        return active;
    }

    /**
     * {@return the calling thread's clock in nanoseconds: a bubble's virtual clock inside a bubble,
     * {@link System#nanoTime()} elsewhere}
     */
    protected abstract long nanoTime();

    /**
     * {@return the bubble a channel made by the calling thread now belongs to, or null}
     */
    protected abstract Object bubbleOfCurrentThread();

    /**
     * Waits for {@code waiter} as {@link Waiter#await} does, for a thread in a bubble: the wait is
     * durable if every channel it waits on belongs to the thread's bubble, and its deadline (on the
     * bubble's clock) is a timer of the bubble.
     *
     * @param waiter the waiter of the calling thread, already marked as parking
     * @param deadlineNanos the deadline on the caller's clock ({@link #nanoTime()}), or {@code Long.MAX_VALUE}
     * @param blocker the park blocker: a {@link WaitNode}, a {@link Cases}, or a description
     * @return the winning node, null if cancelled, or {@link #PASS} if the calling thread is in no
     *     bubble (the caller then waits as usual)
     * @throws IllegalStateException if the wait is refused (see {@link #checkWait}); the waiter is cancelled
     *     first, and the caller must unlink its nodes as for any other throw from {@link Waiter#await}
     */
    protected abstract Object await(Waiter waiter, long deadlineNanos, Object blocker);

    /**
     * Refuses, before anything is queued, a wait that {@link #await} would refuse for the calling thread
     * (a bubble's channel used from outside the bubble: rules BB6, BB24), so that a refused operation leaves
     * no node on any channel (rule I3). The default refuses nothing.
     *
     * @param blocker the channel about to be waited on (a {@link ChannelCore}), or a {@link Cases}
     * @param operation what the caller was doing, for the message: "send on", "receive from", "select on"
     * @throws IllegalStateException if the wait is refused
     */
    protected void checkWait(Object blocker, String operation) {}

    /**
     * Called by an operation that found nothing ready and is about to queue its node(s) and wait: throws
     * the refusal the active hook's {@link #await} would throw, if any. One volatile read when no bubble
     * runs (BB9).
     *
     * @param blocker the channel about to be waited on (a {@link ChannelCore}), or a {@link Cases}
     * @param operation what the caller was doing, for the message
     * @throws IllegalStateException if a bubble refuses the wait (BB6, BB24)
     */
    public static void checkMayWait(Object blocker, String operation) {
        ParkHook h = active;
        if (h != null) {
            h.checkWait(blocker, operation);
        }
    }

    /**
     * Called by a {@code close} of a channel by user code: throws if the channel belongs to a running bubble the
     * calling thread is not a goroutine of (rule BB43). One volatile read when no bubble runs (BB9).
     *
     * @param channel the channel about to be closed
     * @throws IllegalStateException if a bubble refuses the close (BB43)
     */
    public static void checkMayClose(ChannelCore channel) {
        ParkHook h = active;
        if (h != null && channel.bubble() != null) {
            h.checkWait(channel, CLOSE);
        }
    }

    /** The operation {@link #checkMayClose} passes to {@link #checkWait}. */
    protected static final String CLOSE = "close of";

    /** {@return the current time on the calling thread's clock, with the active hook if any} */
    static long now() {
        ParkHook h = active;
        return h == null ? System.nanoTime() : h.nanoTime();
    }

    /**
     * Implemented by a park blocker that waits on several channels (a select), so that a bubble can
     * tell whether all of them belong to it.
     */
    public interface Cases {
        /**
         * {@return the channels waited on; null elements (nil channels) are allowed}
         */
        ChannelCore[] channels();
    }
}
