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
    @Label("Operation")
    @Description("send or receive")
    public String operation;

    @Label("Channel")
    @Description("The channel: capacity, length, state and waiters when the wait ended")
    public String channel;

    @Label("Capacity")
    public int capacity;

    @Label("Outcome")
    @Description("completed, closed, timed out or interrupted")
    public String outcome;
}
