package io.gochan.http.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One {@code Transport.roundTrip}, from its start until the response headers arrived (or it failed),
 * with its phases: waiting for a connection, then for the response headers. Off by default.
 */
@Name("io.gochan.http.Request")
@Label("HTTP Request")
@Category({"gochan", "HTTP"})
@Description("An HTTP request up to its response headers")
@Enabled(false)
@StackTrace(false)
public final class RequestEvent extends Event {
    /** An event to {@code begin()}; the transport fills its fields before {@code commit()}. */
    public RequestEvent() {}

    /** The request's method. */
    @Label("Method")
    public String method;

    /** The request's URI. */
    @Label("URL")
    public String url;

    /** The response status, or 0 if the request failed. */
    @Label("Status")
    @Description("The response status, or 0 if the request failed")
    public int status;

    /** True if the request went over a pooled (reused) connection. */
    @Label("Reused Connection")
    public boolean reused;

    /** Nanoseconds spent obtaining a connection: idle, dialled, or waiting for a per-host slot. */
    @Label("Get Connection")
    @Description("Time spent obtaining a connection (idle, dialled, or waiting for a per-host slot)")
    @Timespan(Timespan.NANOSECONDS)
    public long connectionNanos;

    /** How often the request was retried on a fresh connection. */
    @Label("Retries")
    public int retries;

    /**
     * The failure's {@code toString()}, or null if response headers arrived; if that {@code toString()} throws, the
     * failure's type and what it threw (JF12).
     */
    @Label("Error")
    public String error;
}
