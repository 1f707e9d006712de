package io.gochan.leakcheck;

import java.util.List;

/**
 * LK52: the thread of a {@link java.lang.ref.Cleaner} the code made, told by its shape. {@code Cleaner.create()} starts
 * an {@code InnocuousThread} named {@code "Cleaner-N"} (or a thread of the factory it is given) that runs the JDK's
 * {@code jdk.internal.ref.CleanerImpl} only, so LK11 took it for one of the JDK's own threads; but it runs until the
 * cleaner is unreachable and every object registered with it has been cleaned: one made while a test ran is a cleaner
 * the test left. The JDK's own {@code "Common-Cleaner"} starts with the JVM, before any test, and is not one of these.
 */
final class JdkCleaners {
    /** The cleaner's loop, on whatever thread its factory made. */
    private static final String LOOP = "jdk.internal.ref.CleanerImpl.run";
    /** The name the JDK's default factory gives (JDK 21 to 25), for a thread that has not entered its loop yet. */
    private static final java.util.regex.Pattern DEFAULT_NAME = java.util.regex.Pattern.compile("Cleaner-\\d+");
    private static final String INNOCUOUS = "jdk.internal.misc.InnocuousThread";

    private JdkCleaners() {}

    /**
     * {@return whether a thread with these functions (innermost first) is a {@code Cleaner}'s thread} Its loop on the
     * stack tells it on any thread; a thread of the default factory just started, not yet in its loop, is told by its
     * class and name, on a stack of the JDK's code only.
     */
    static boolean isCleanerThread(Thread t, List<String> functions) {
        if (t.getName().equals("Common-Cleaner")) {
            return false; // the JDK's own, started with the JVM
        }
        if (functions.contains(LOOP)) {
            return Frames.runsRuntimeCodeOnly(functions);
        }
        return t.getClass().getName().equals(INNOCUOUS) && DEFAULT_NAME.matcher(t.getName()).matches()
                && Frames.runsRuntimeCodeOnly(functions);
    }

    /**
     * {@return what a cleaner's thread is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(Thread t, List<String> functions, String ran) {
        return isCleanerThread(t, functions)
                ? "the thread of a java.lang.ref.Cleaner made while " + ran + " and still reachable, or with objects"
                        + " registered that are not yet collected: it runs until both are gone (the check asked for one"
                        + " garbage collection before reporting it); a Cleaner meant to serve the whole run (a static one made at its first"
                        + " use) is excused by its thread's name with @NoGoroutineLeaks(allow = ...) (LK52)"
                : "";
    }
}
