package io.gochan.spi;

/**
 * The text of an object of the caller's code (a goroutine's failure, a drop callback's exception, a channel's or a
 * select's description), for a message, a log line or a flight-recorder event gochan builds. That object's
 * {@code toString()} is the caller's code too, and may throw (anything: a {@link StackOverflowError} from a
 * {@code toString()} that recurses) or return null; asked where something is ending (a goroutine leaving the registry,
 * a send handing its dropped values over, a future recording its outcome), its exception took the place of what was
 * being reported, or left the caller half way (JF12, CH7). Here a text that cannot be had falls back to the object's
 * class name and what its {@code toString()} threw. The transport has its twin for its own module
 * ({@code io.gochan.http.internal.ThrowableText}), in the same fallback form.
 *
 * <p>Internal, not API: public only so that this module's other packages ({@code io.gochan}, {@code io.gochan.jfr})
 * reach it; {@code io.gochan.spi} is exported to {@code io.gochan.select} alone, which does not use it. No static
 * logger: a program that never meets such a text initialises no logging machinery (B8).
 */
public final class SafeText {
    private SafeText() {}

    /**
     * {@code o.toString()}, or, if that throws (anything, an {@link Error} too), {@code o}'s class name and what its
     * {@code toString()} threw, as {@code com.example.Broken (toString() threw java.lang.IllegalStateException)}; the
     * throw is logged at DEBUG, by its type only (its own text is the caller's code as well).
     *
     * @param o the object to describe, maybe null
     * @return its text: {@code "null"} for null or for a {@code toString()} that returned null; never null, never
     *     throwing
     */
    public static String of(Object o) {
        if (o == null) {
            return "null";
        }
        try {
            return String.valueOf(o.toString()); // a toString() that returned null: "null", as string concatenation
        } catch (Throwable x) {
            String type = o.getClass().getName(); // getClass is final: never the caller's code
            String threw = x.getClass().getName();
            System.getLogger(SafeText.class.getName()).log(System.Logger.Level.DEBUG, () -> "the toString() of a "
                    + type + " threw a " + threw + "; its class name stands for it");
            return type + " (toString() threw " + threw + ")";
        }
    }

    /**
     * Logs {@code message} with {@code thrown}, a throwable of the caller's code. A logger that prints it calls its
     * {@code toString()}, which may throw, and not every logger catches that: the JDK's simple console logger (no
     * {@code java.logging} in the runtime) catches nothing, and {@code java.util.logging}'s console handler catches an
     * {@link Exception} but lets an {@link Error} out (a {@code toString()} that recurses). Then the line is logged
     * once more, without the throwable, its text as {@link #of(Object)} gives it.
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
}
