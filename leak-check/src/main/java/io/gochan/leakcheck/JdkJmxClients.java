package io.gochan.leakcheck;

import java.util.List;

/**
 * LK59: the heartbeat of a JMX client ({@code javax.management.remote.JMXConnector}, over RMI), told by its loop. It runs
 * the JDK's code only ({@code com.sun.jmx.remote.internal}), so LK11 took it for one of the JDK's own; but the JDK starts
 * one for each connected client, and it ends only when the client is closed (or its server goes away): one created while
 * a test ran is a client the test left open. The client's notification fetcher ({@code "ClientNotifForwarder-N"}) is not
 * judged: after {@code close()} it may still wait for the server to answer its pending fetch, longer than a grace
 * period, so a closed client would fail its test; the heartbeat, which every client has, ends at once.
 */
final class JdkJmxClients {
    /** The heartbeat's loop ({@code "JMX client heartbeat N"}, JDK 21 to 25): its entry. */
    private static final String HEARTBEAT = "com.sun.jmx.remote.internal.ClientCommunicatorAdmin$Checker.run";

    private JdkJmxClients() {}

    /** {@return whether a thread with these functions (innermost first) is a JMX client's heartbeat} */
    static boolean isClientThread(List<String> functions) {
        return Frames.entry(functions).equals(HEARTBEAT);
    }

    /**
     * {@return what a JMX client's heartbeat is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(List<String> functions, String ran) {
        if (!isClientThread(functions)) {
            return "";
        }
        return "the heartbeat of a JMX client (javax.management.remote.JMXConnector) connected while " + ran
                + " and never closed: close it with connector.close() (JMXConnector is AutoCloseable); until then it"
                + " pings its server for ever (LK59)";
    }
}
