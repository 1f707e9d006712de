package io.gochan.leakcheck;

import java.util.List;

/**
 * LK59: the threads of a JMX client ({@code javax.management.remote.JMXConnector}, over RMI), told by their loops. Both
 * run the JDK's code only ({@code com.sun.jmx.remote.internal}), so LK11 took them for the JDK's own; but the JDK starts
 * the heartbeat for each connected client and the notification fetcher for a client with a listener, and both end only
 * when the client is closed (or its server goes away): one created while a test ran is a client the test left open.
 */
final class JdkJmxClients {
    /** The heartbeat's loop ({@code "JMX client heartbeat N"}, JDK 21 to 25): its entry. */
    private static final String HEARTBEAT = "com.sun.jmx.remote.internal.ClientCommunicatorAdmin$Checker.run";
    /** The notification fetcher's thread ({@code "ClientNotifForwarder-N"}, JDK 21 to 25): its entry's class. */
    private static final String FETCHER = "com.sun.jmx.remote.internal.ClientNotifForwarder$LinearExecutor";

    private JdkJmxClients() {}

    /** {@return whether a thread with these functions (innermost first) is a JMX client's heartbeat or fetcher} */
    static boolean isClientThread(List<String> functions) {
        String entry = Frames.entry(functions);
        return entry.equals(HEARTBEAT) || entry.startsWith(FETCHER);
    }

    /**
     * {@return what a thread of a JMX client is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(List<String> functions, String ran) {
        String entry = Frames.entry(functions);
        if (entry.equals(HEARTBEAT)) {
            return "the heartbeat of a JMX client (javax.management.remote.JMXConnector) connected while " + ran
                    + " and never closed: close it with connector.close() (JMXConnector is AutoCloseable); until then it"
                    + " pings its server for ever (LK59)";
        }
        if (entry.startsWith(FETCHER)) {
            return "the notification fetcher of a JMX client (javax.management.remote.JMXConnector) connected while " + ran
                    + " and never closed: close it with connector.close() (LK59)";
        }
        return "";
    }
}
