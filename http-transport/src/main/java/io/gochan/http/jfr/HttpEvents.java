package io.gochan.http.jfr;

import io.gochan.http.internal.ThrowableText;

/**
 * The code that creates and commits the transport's events: the only class outside the event
 * classes that names them. The transport calls it only when {@code io.gochan.http.internal.JfrGate.active()},
 * so a runtime without {@code jdk.jfr} never loads it. Events travel as {@code Object} so that the
 * callers' own bytecode names no event type.
 */
public final class HttpEvents {
    private HttpEvents() {}

    /**
     * Begins a {@link RequestEvent}.
     *
     * @return the begun event
     */
    public static Object requestBegin() {
        RequestEvent e = new RequestEvent();
        e.begin();
        return e;
    }

    /**
     * Records one attempt's connection: time spent getting it (or trying to, JF11), whether it was reused, which retry.
     * Each attempt's call replaces the flags of the one before: the event describes the request's last attempt, the
     * one that answered or failed for good (JF13). An earlier attempt is retried only after it failed on a reused
     * connection (E37), so {@code retries} says how many did; the time of every attempt is added up.
     *
     * @param event a {@link RequestEvent} from {@link #requestBegin()}
     * @param connectionNanos nanoseconds this attempt spent obtaining its connection (added up)
     * @param reused whether the connection came from the idle pool
     * @param retries how many retries preceded this attempt
     */
    public static void requestConnection(Object event, long connectionNanos, boolean reused, int retries) {
        RequestEvent e = (RequestEvent) event;
        e.connectionNanos += connectionNanos;
        e.reused = reused;
        e.retries = retries;
    }

    /**
     * Ends the request's event and commits it if a recording enabled it.
     *
     * @param event a {@link RequestEvent} from {@link #requestBegin()}
     * @param method the request's method
     * @param url the request's URI as messages name it: its password hidden, cut to its first 200 characters (JF14)
     * @param status the response status, or 0 if it failed
     * @param failure the failure, or null
     */
    public static void requestEnd(Object event, String method, Object url, int status, Throwable failure) {
        RequestEvent e = (RequestEvent) event;
        e.end();
        if (e.shouldCommit()) {
            e.method = method;
            e.url = text(url);
            e.status = status;
            e.error = failure == null ? null : text(failure);
            e.commit();
        }
    }

    /**
     * Commits an instant {@link ConnectionEvent} ("opened" or "reused") if a recording enabled it.
     *
     * @param action what happened
     * @param connection the connection, described only if committed
     */
    public static void connection(String action, Object connection) {
        ConnectionEvent e = new ConnectionEvent();
        if (e.shouldCommit()) {
            e.action = action;
            e.connection = text(connection);
            e.commit();
        }
    }

    /**
     * Begins a connection's lifetime event, committed as "closed" by {@link #connectionClosed}.
     *
     * @return the begun event
     */
    public static Object connectionBegin() {
        ConnectionEvent e = new ConnectionEvent();
        e.begin();
        return e;
    }

    /**
     * Ends a connection's lifetime event and commits it as "closed" if a recording enabled it.
     *
     * @param event a {@link ConnectionEvent} from {@link #connectionBegin()}
     * @param connection the connection, described only if committed
     * @param reason why it closed (never null: JF8)
     */
    public static void connectionClosed(Object event, Object connection, String reason) {
        ConnectionEvent e = (ConnectionEvent) event;
        e.end();
        if (e.shouldCommit()) {
            e.action = "closed";
            e.connection = text(connection);
            e.reason = reason;
            e.commit();
        }
    }

    /**
     * {@code String.valueOf(o)}, or, if its {@code toString()} throws, its type and what it threw (JF12). A request's
     * failure may be any exception of the caller's code (a listener's {@code Error}, a body source's exception), and
     * its event ends in {@code roundTrip}'s {@code finally}: what a broken {@code toString()} throws there would
     * replace the request's own exception. Logged at DEBUG, as its text is in the event.
     *
     * @param o the object to describe, maybe null
     * @return its text, never throwing
     */
    static String text(Object o) {
        if (o instanceof Throwable t) {
            return ThrowableText.of(t); // one fallback text for the loops' messages and the events (JF12)
        }
        try {
            return String.valueOf(o);
        } catch (Throwable x) {
            System.getLogger(HttpEvents.class.getName()).log(System.Logger.Level.DEBUG,
                    "toString() of a " + o.getClass().getName() + " threw; its JFR event records its type", x);
            return o.getClass().getName() + " (toString() threw " + x.getClass().getName() + ")";
        }
    }
}
