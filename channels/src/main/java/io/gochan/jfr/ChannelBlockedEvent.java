package io.gochan.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * A channel operation that blocked (parked) longer than the threshold (default 10 ms). Off by
 * default; enable it in a recording ({@code jdk.jfr} settings: {@code io.gochan.ChannelBlocked#enabled=true}).
 * Only operations that actually park can emit it, so the non-blocking fast path costs nothing.
 */
@Name("io.gochan.ChannelBlocked")
@Label("Channel Operation Blocked")
@Category({"gochan", "Channels"})
@Description("A send or receive that waited longer than the threshold")
@Enabled(false)
@Threshold("10 ms")
@StackTrace(true)
public final class ChannelBlockedEvent extends Event {
    /** An event to {@code begin()}; gochan fills its fields before {@code commit()}. */
    public ChannelBlockedEvent() {}

    /** The blocked operation: {@code "send"} or {@code "receive"}. */
    @Label("Operation")
    @Description("send or receive")
    public String operation;

    /** The channel's {@code toString()} when the wait ended. */
    @Label("Channel")
    @Description("The channel: capacity, length, state and waiters when the wait ended")
    public String channel;

    /** The channel's capacity as {@code cap()} reports it (0: unbuffered or a timer's; {@code Integer.MAX_VALUE}: unlimited). */
    @Label("Capacity")
    public int capacity;

    /**
     * How the wait ended: completed, closed (the channel), timed out, interrupted, or context done (an
     * operation given a {@code Context} whose context ended the wait).
     */
    @Label("Outcome")
    @Description("completed, closed, timed out, interrupted or context done")
    public String outcome;
}
