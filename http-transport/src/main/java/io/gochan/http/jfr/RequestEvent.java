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

    /**
     * The request's URI as the transport's messages name it: the password of its user info written {@code xxxxx},
     * and a URI longer than 200 characters cut there, its whole length said (JF14).
     */
    @Label("URL")
    @Description("The request's URI, its password hidden, cut to its first 200 characters")
    public String url;

    /** The response status, or 0 if the request failed. */
    @Label("Status")
    @Description("The response status, or 0 if the request failed")
    public int status;

    /**
     * True if the request's last attempt, the one that answered or failed for good, went over a pooled (reused)
     * connection (JF13): a request retried on a new connection after its reused one failed says false, and
     * {@link #retries} says that it was retried.
     */
    @Label("Reused Connection")
    public boolean reused;

    /** Nanoseconds spent obtaining a connection: idle, dialled, or waiting for a per-host slot. */
    @Label("Get Connection")
    @Description("Time spent obtaining a connection (idle, dialled, or waiting for a per-host slot)")
    @Timespan(Timespan.NANOSECONDS)
    public long connectionNanos;

    /**
     * How often the request was retried on another connection after an attempt failed on a reused one (E37): the
     * number of its last attempt, a retry that failed before it got a connection included (JF13).
     */
    @Label("Retries")
    public int retries;

    /**
     * The failure's {@code toString()}, or null if response headers arrived; if that {@code toString()} throws, the
     * failure's type and what it threw (JF12).
     */
    @Label("Error")
    public String error;
}
