package io.gochan.leakcheck;

import java.util.List;
import java.util.regex.Pattern;

/**
 * LK48: the threads the JDK's RMI runtime ({@code java.rmi}) runs for objects exported on it, told by their names. An
 * object exported on a port of its own ({@code LocateRegistry.createRegistry(port)},
 * {@code UnicastRemoteObject.exportObject(obj, port)}, a JMX connector server's) makes the runtime listen on that port
 * with an accept thread ({@code "RMI TCP Accept-<port>"}), and a non-permanent object (not a registry), on any port,
 * starts the object table's reaper ({@code "RMI Reaper"}, not a daemon: it keeps the JVM from exiting). Both are in the
 * JVM's own {@code system} thread group, which LK11 excused, and run the JDK's code only; but the accept thread ends
 * only when the last object exported on its port is unexported (its server socket closed), and the reaper when the last
 * non-permanent object is: one created while a test ran is an export the test left. The accept thread of the anonymous
 * port ({@code "RMI TCP Accept-0"}: every export on port 0 shares it) is never closed by the JDK, unexports or not, and
 * serves the JVM's life, as the runtime's other threads do (its scheduler {@code "RMI Scheduler(N)"}, its GC latency
 * daemon, a client's {@code "RMI RenewClean-..."}): those stay excused.
 */
final class JdkRmiExports {
    /**
     * The accept thread's name for a port asked for (JDK 21 to 25). Not port 0: the JDK never closes the anonymous port's
     * server socket ({@code TCPTransport} closes one only when its endpoint's listen port is not 0), so that thread runs
     * for the JVM's life once anything was exported on port 0, unexported since or not.
     */
    private static final Pattern ACCEPT = Pattern.compile("RMI TCP Accept-[1-9]\\d*");
    /** The reaper's name (JDK 21 to 25). */
    private static final String REAPER = "RMI Reaper";
    private JdkRmiExports() {}

    /**
     * {@return whether a thread with these functions (innermost first) is an RMI export's accept thread or reaper} Its
     * loop ({@code sun.rmi.transport}) is not required: a thread just started may not have entered it when the check
     * samples it, and its name alone, on a thread that runs the JDK's code only, is the runtime's.
     */
    static boolean isExportThread(Thread t, List<String> functions) {
        return (isAccept(t) || t.getName().equals(REAPER)) && Frames.runsRuntimeCodeOnly(functions);
    }

    private static boolean isAccept(Thread t) {
        return ACCEPT.matcher(t.getName()).matches();
    }

    /**
     * {@return what an RMI export's thread is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(Thread t, List<String> functions, String ran) {
        if (!isExportThread(t, functions)) {
            return "";
        }
        return isAccept(t)
                ? "the accept thread of a JDK RMI port (java.rmi), listening since an object (a registry, a remote"
                        + " object, a JMX connector server) was exported on that port while " + ran + " and never unexported:"
                        + " unexport it with UnicastRemoteObject.unexportObject(obj, true) (a JMXConnectorServer: stop());"
                        + " until the last object on its port is, it listens (LK48)"
                : "the reaper of the JDK's RMI object table (java.rmi), not a daemon, running since a remote object was"
                        + " exported while " + ran + " and never unexported: unexport it with"
                        + " UnicastRemoteObject.unexportObject(obj, true); until the last one is, it keeps the JVM alive"
                        + " (LK48)";
    }
}
