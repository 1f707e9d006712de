package io.gochan.http.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A connection of a {@code Transport}: "opened" (instant, after dial and TLS), "reused" (instant, taken
 * from the idle pool) and "closed" (spanning the connection's life). Off by default.
 */
@Name("io.gochan.http.Connection")
@Label("HTTP Connection")
@Category({"gochan", "HTTP"})
@Description("An HTTP/1.1 connection opened, reused from the pool, or closed")
@Enabled(false)
@StackTrace(false)
public final class ConnectionEvent extends Event {
    /** An event to {@code begin()}; the transport fills its fields before {@code commit()}. */
    public ConnectionEvent() {}

    /** What happened: {@code "opened"}, {@code "reused"} or {@code "closed"}. */
    @Label("Action")
    public String action;

    /** The connection's number and {@code scheme://host:port}. */
    @Label("Connection")
    @Description("The connection's number and scheme://host:port")
    public String connection;

    /** Why the connection was closed; null for the other actions. */
    @Label("Reason")
    @Description("Why it was closed")
    public String reason;
}
