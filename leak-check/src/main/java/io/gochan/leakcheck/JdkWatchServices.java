package io.gochan.leakcheck;

import java.util.List;

/**
 * LK45: the thread of a JDK {@code java.nio.file.WatchService}, told by its shape. The JDK starts one for each watch
 * service (its poller, an {@code InnocuousThread} named {@code "FileSystemWatchService"} that runs
 * {@code sun.nio.fs.*} code only), so LK11 took it for one of the JDK's innocuous system threads; but it ends only when
 * that watch service is closed, and, as it holds the service, never otherwise: one created while a test ran is a
 * watch service the test left open.
 */
final class JdkWatchServices {
    /** The poller's name (JDK 21 to 25). */
    private static final String NAME = "FileSystemWatchService";
    private JdkWatchServices() {}

    /**
     * {@return whether a thread with these functions (innermost first) is a {@code WatchService}'s poller} Its loop (in
     * {@code sun.nio.fs}, under the innocuous thread's own {@code run}) is not required: a poller just started may not
     * have entered it when the check samples it (a test that opens a service and returns at once), and its name alone,
     * on a thread that runs the JDK's code only, is the JDK's poller.
     */
    static boolean isPoller(Thread t, List<String> functions) {
        return t.getName().equals(NAME) && Frames.runsRuntimeCodeOnly(functions);
    }

    /**
     * {@return what a watch service's poller is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(Thread t, List<String> functions, String ran) {
        return isPoller(t, functions)
                ? "the poller of a JDK WatchService (java.nio.file) opened while " + ran + " and never closed: close it"
                        + " with watchService.close(); until then it runs, and keeps the service, for ever (LK45)"
                : "";
    }
}
