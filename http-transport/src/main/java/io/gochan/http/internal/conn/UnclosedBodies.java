package io.gochan.http.internal.conn;

import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;

/**
 * Reports a response body that became garbage without being closed, and reclaims its connection (as
 * OkHttp does): without this, the connection's read loop would wait for that body forever. Where the
 * response was obtained is captured only when the logger is at DEBUG, since a stack trace per
 * request is not free.
 */
final class UnclosedBodies {
    private static final System.Logger LOG = System.getLogger(UnclosedBodies.class.getName());
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "gochan-body-cleaner");
        t.setDaemon(true);
        return t;
    });

    private UnclosedBodies() {}

    /** Watches {@code body} (the object handed to the caller); the action must not reference it. */
    static void watch(Object body, ConnectionBoundBody signal, String what) {
        Throwable where = LOG.isLoggable(Level.DEBUG) ? new Throwable("response obtained here") : null;
        CLEANER.register(body, () -> {
            if (!signal.isDone()) {
                LOG.log(Level.WARNING, "the response body of " + what + " was never closed; closing its connection"
                        + (where == null ? " (enable DEBUG logging for " + UnclosedBodies.class.getName()
                                + " to see where it was obtained)" : ""), where);
                signal.close();
            }
        });
    }
}
