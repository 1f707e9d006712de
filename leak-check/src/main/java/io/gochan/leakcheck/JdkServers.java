package io.gochan.leakcheck;

import java.util.List;

/**
 * LK39: the threads of the JDK's {@code com.sun.net.httpserver.HttpServer}, told by their shape. Its dispatcher runs the
 * JDK's code only ({@code sun.net.httpserver.ServerImpl$Dispatcher.run}), so LK11 took it for one of the JDK's own
 * threads; but the JDK starts it only in {@code HttpServer.start()}, and it ends only in {@code stop}: one created while a
 * test ran is a server the test left running. Its idle-connection timers ({@code java.util.Timer} threads that
 * {@code HttpServer.create} starts) were reported already, under names that say nothing of a server.
 */
final class JdkServers {
    /** The dispatcher's loop (JDK 21 to 25): the first frame from the bottom outside {@code java.*}. */
    private static final String DISPATCHER = "sun.net.httpserver.ServerImpl$Dispatcher.run";
    /** The names of the server's {@code java.util.Timer} threads (JDK 21 to 25). */
    private static final List<String> TIMERS = List.of("idle-timeout-task", "req-rsp-timeout-task");

    private JdkServers() {}

    /** {@return whether a thread with these functions (innermost first) is an {@code HttpServer}'s dispatcher} */
    static boolean isDispatcher(List<String> functions) {
        return Frames.entry(functions).equals(DISPATCHER);
    }

    /**
     * {@return what a thread of a JDK {@code HttpServer} is, and how to end it, for the report; empty for any other
     * thread} A timer is told by its name and the JDK's timer class (a {@code java.util.Timer} of the user's named so is
     * described as a server's too: the name is the JDK's, and the advice names what starts it).
     *
     * @param ran while what the thread was made, {@code "the test ran"} or, for a class's window (LK41), its own
     *            callbacks: the report names who started the server
     */
    static String role(Thread t, List<String> functions, String ran) {
        if (isDispatcher(functions)) {
            String role = "the dispatcher of a JDK HttpServer (com.sun.net.httpserver) started while " + ran
                    + " and never stopped";
            return role + (Frames.top(functions).isEmpty()
                    ? ": stop it with server.stop(0) (LK39)"
                    : ", stuck in a handler (with no executor set, handlers run on this thread): let the handler return,"
                            + " then stop the server with server.stop(0), which waits for this thread (LK39)");
        }
        if (TIMERS.contains(t.getName()) && t.getClass().getName().equals("java.util.TimerThread")) {
            return "a timer of a JDK HttpServer (com.sun.net.httpserver) created while " + ran + " (HttpServer.create"
                    + " starts it, started or not) and never stopped: stop it with server.stop(0) (LK39)";
        }
        return "";
    }
}
