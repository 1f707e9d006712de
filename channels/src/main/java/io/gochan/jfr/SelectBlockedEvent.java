package io.gochan.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** A select that blocked longer than the threshold (default 10 ms); off by default. */
@Name("io.gochan.SelectBlocked")
@Label("Select Blocked")
@Category({"gochan", "Channels"})
@Description("A select that waited longer than the threshold")
@Enabled(false)
@Threshold("10 ms")
@StackTrace(true)
public final class SelectBlockedEvent extends Event {
    /** An event to {@code begin()}; gochan fills its fields before {@code commit()}. */
    public SelectBlockedEvent() {}

    /** The number of cases, disabled ones included. */
    @Label("Cases")
    public int cases;

    /** The index of the case that fired, or -1 if none did (the timeout fired, or an interrupt ended the wait). */
    @Label("Chosen Case")
    @Description("Index of the case that fired, -1 if none did (timed out or interrupted: see Outcome)")
    public int chosen;

    /**
     * How the wait ended: completed (a case fired), closed (the chosen case's channel was closed), context done
     * (a context's done case fired), timed out, or interrupted.
     */
    @Label("Outcome")
    @Description("completed, closed, context done, timed out or interrupted")
    public String outcome;

    /** The select's {@code toString()}: its cases and their channels. */
    @Label("Select")
    public String select;
}
