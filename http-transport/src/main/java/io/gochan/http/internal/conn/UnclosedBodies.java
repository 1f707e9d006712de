package io.gochan.http.internal.conn;

import io.gochan.Go;
import io.gochan.http.HttpConnectionException;
import io.gochan.http.HttpRequest;
import io.gochan.http.internal.ThrowableText;

import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * Reports a response body that became garbage without being closed, and reclaims its connection (as
 * OkHttp does): without this, the connection's read loop would wait for that body forever. What is
 * watched is the stream the caller reads ({@code ResponseBody.stream()}), since that is what a caller
 * may keep while dropping the response and its {@code ResponseBody}: a body still reachable is never
 * closed under its reader. The action holds only the exchange, which never references the stream.
 * Where the response was obtained is captured only when the logger is at DEBUG, since a stack trace per
 * request is not free.
 */
final class UnclosedBodies {
    private static final System.Logger LOG = System.getLogger(UnclosedBodies.class.getName());
    /**
     * Makes the cleaner's thread, on the thread of the first response whose body is watched; it then serves every
     * body of the JVM, so it takes nothing from that thread (rule TM17, as channels' own threads): a group of its own
     * under the JVM's root group, the normal priority, the system class loader, no inherited thread-locals
     * ({@link ServiceThreads}, which the Unix poller's thread shares).
     */
    static final ThreadFactory CLEANER_THREADS = r -> ServiceThreads.unstarted("gochan-body-cleaner",
            new ThreadGroup(ServiceThreads.rootGroup(), "gochan-body-cleaner"), r);
    private static final Cleaner CLEANER = Cleaner.create(CLEANER_THREADS);

    private UnclosedBodies() {}

    /**
     * Watches {@code stream}, the object handed to the caller; when it becomes garbage while its
     * exchange is still live, the exchange is aborted (its connection closed); and then, unless the request's one
     * {@code done()} (E22) was already reported, {@code onDone} is told the body was never closed: also when its
     * exchange is over without that report (its read loop or its watch aborted it for the request's end as it was
     * collected, P94; a decoded body dropped between its framing's end and its own, E50). {@code onDone} must not reach
     * the stream.
     */
    static void watch(Object stream, Exchange ex, Consumer<Throwable> onDone) {
        // The request, not its text: the text is made only for the rare body never closed, never for each response
        // (E83). The exchange, which the action holds anyway, holds the request.
        HttpRequest request = ex.scope().request();
        Throwable where = LOG.isLoggable(Level.DEBUG) ? new Throwable("response obtained here") : null;
        CLEANER.register(stream, () -> {
            // Runs for every watched body once it is garbage, closed or not: the usual case, an exchange over and its
            // done() reported, must allocate nothing (an exception per request was ~800 B on H2's every request).
            if (ex.isOver() && !ex.scope().doneUnclaimed()) {
                return;
            }
            // The rest runs user code (the request's done() listener; the close of a Dialer's socket), never on this
            // thread, the JVM's one cleaner of every transport's bodies: a done() that blocked there held up every
            // other reclaim for good, each dropped body's connection open with its per-host slot (E121).
            Runnable reclaim = () -> reclaim(ex, request, where, onDone);
            try {
                Go.go("http-unclosed-body", reclaim::run);
            } catch (Throwable e) { // its thread refused (an OutOfMemoryError): reclaimed here all the same
                ThrowableText.log(LOG, Level.ERROR, "the reclaim of an unclosed response body could not start on a thread"
                        + " of its own; reclaimed on the cleaner's", e);
                reclaim.run();
            }
        });
    }

    /**
     * Reclaims a body that became garbage: aborts its exchange if still live (its connection closed), then reports the
     * request's {@code done()} unless it was reported already. What that {@code done()} throws is logged, never lost.
     */
    private static void reclaim(Exchange ex, HttpRequest request, Throwable where, Consumer<Throwable> onDone) {
        try {
            HttpConnectionException never = null;
            // Aborted first, and only then said: between a look at whether the exchange is over and the abort, the
            // read loop or the exchange's watch may abort it for the request's end (its context, its deadline), and the
            // loser must still report below.
            if (!ex.isOver() && ex.abort(never = neverClosed(request))) {
                LOG.log(Level.WARNING, "the response body of " + request + " was never closed; closed its connection"
                        + (where == null ? " (enable DEBUG logging for " + UnclosedBodies.class.getName()
                                + " to see where it was obtained)" : ""), where);
            }
            if (ex.scope().doneUnclaimed()) {
                // Nobody can read or close this body any more, so nobody else will report the request's one done()
                // (E22): not the read loop or the exchange's watch, whose abort for the request's end leaves the report
                // to the body's reader; not a decoded body dropped after its framing's end, before the decoded end
                // (E50). Reported now, as never closed; the claim inside onDone keeps it to one.
                onDone.accept(never != null ? never : neverClosed(request));
            }
        } catch (Throwable e) { // a done() listener's Error, or a checked exception it let out undeclared (E118)
            ThrowableText.log(LOG, Level.ERROR, "reclaiming the unclosed response body of " + request + " failed", e);
        }
    }

    private static HttpConnectionException neverClosed(HttpRequest what) {
        return new HttpConnectionException("response body of " + what + " was never closed", null);
    }
}
