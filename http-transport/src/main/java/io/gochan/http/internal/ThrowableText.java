package io.gochan.http.internal;

/**
 * The text of a throwable that came from the caller's code (a body source, a listener, a dialer, a socket or context of
 * its own), for a message the transport builds, on one of a connection's loops or the pool's dial goroutine (E48) or
 * on the caller's own thread (E105). That throwable's {@code toString()} and {@code getMessage()} are the caller's
 * code too, and may throw; thrown inside the transport's handling of that very failure, their exception replaced the
 * caller's failure with its own, or left the loop before it reported (a dial that never finished, its request waiting
 * for ever). Here a text that cannot be had falls back to the throwable's class name, so the failure itself still goes
 * where it belongs.
 */
public final class ThrowableText {
    private static final System.Logger LOG = System.getLogger(ThrowableText.class.getName());

    private ThrowableText() {}

    /**
     * {@code t.toString()}, or, if that throws (anything, an {@link Error} too), {@code t}'s class name and what its
     * {@code toString()} threw.
     *
     * @param t a throwable, or null
     * @return its text; {@code "null"} for null, never null
     */
    public static String of(Throwable t) {
        if (t == null) {
            return "null";
        }
        try {
            return String.valueOf(t.toString());
        } catch (Throwable e) {
            return fallback(t, "toString()", e);
        }
    }

    /**
     * {@code t.getMessage()}, or, if that throws (anything, an {@link Error} too), {@code t}'s class name and what its
     * {@code getMessage()} threw.
     *
     * @param t a throwable, or null
     * @return its message; null if it has none, or if {@code t} is null (never a NullPointerException: E105)
     */
    public static String message(Throwable t) {
        if (t == null) {
            return null;
        }
        try {
            return t.getMessage();
        } catch (Throwable e) {
            return fallback(t, "getMessage()", e);
        }
    }

    /**
     * {@link #message(Throwable)}, or {@code t}'s class name if it has no message.
     *
     * @param t a throwable, or null
     * @return its message or its class name; {@code "null"} for null; never null
     */
    public static String messageOrType(Throwable t) {
        if (t == null) {
            return "null";
        }
        String message = message(t);
        return message != null ? message : t.getClass().getName();
    }

    /**
     * Logs {@code message} with {@code thrown}, a throwable of the caller's code. A logger that prints it calls its
     * {@code toString()}, which may throw, and not every logger catches that: the JDK's simple console logger (what
     * {@link System#getLogger} gives when {@code java.logging} is not in the runtime) does not, and the exception
     * left the loop's handling of the very failure it was logging. Then it is logged once more, without the throwable,
     * its text as {@link #of(Throwable)} gives it.
     *
     * @param logger the logger
     * @param level the level
     * @param message the message
     * @param thrown the caller's throwable
     */
    public static void log(System.Logger logger, System.Logger.Level level, String message, Throwable thrown) {
        try {
            logger.log(level, message, thrown);
        } catch (Throwable e) {
            logger.log(level, message + ": " + of(thrown) + " (not printed: printing it threw "
                    + e.getClass().getName() + ")");
        }
    }

    /**
     * The class name (never the caller's code: {@code getClass} is final) and the type of what the caller's method threw.
     * What it threw is not lost: named in the text, and logged at {@code DEBUG} by its type; not handed to the logger
     * itself, whose printing would ask its text in turn, which is the caller's code as well.
     */
    private static String fallback(Throwable t, String method, Throwable failure) {
        String type = t.getClass().getName();
        String threw = failure.getClass().getName();
        LOG.log(System.Logger.Level.DEBUG, () -> "the " + method + " of a " + type + " threw a " + threw
                + "; its class name stands for it in the transport's message");
        // The form the flight recorder events are to record for such an object ("com.example.Broken (toString() threw
        // java.lang.IllegalStateException)"), so that one helper can serve both.
        return type + " (" + method + " threw " + threw + ")";
    }
}
