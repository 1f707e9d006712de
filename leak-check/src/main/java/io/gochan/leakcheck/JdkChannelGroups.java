package io.gochan.leakcheck;

import java.util.List;
import java.util.regex.Pattern;

/**
 * LK46: the threads of an {@code java.nio.channels.AsynchronousChannelGroup} the user made, told by their shape. A group
 * made with {@code withFixedThreadPool} runs its event loop ({@code sun.nio.ch.EPollPort$EventHandlerTask.run} on Linux,
 * {@code KQueuePort} on macOS, {@code Iocp} on Windows) on threads of the user's own thread factory, and that loop is the
 * JDK's code only, so LK11 took them for the JDK's own threads; but they end only when the group is shut down: one created
 * while a test ran is a group the test left open. The JVM-wide default group (channels opened without a group) runs the
 * same loop on {@code InnocuousThread}s, which stay excused as the JDK's (LK11): it serves every test, not one.
 */
final class JdkChannelGroups {
    /** The event loop's task (JDK 21 to 25, every platform's port). */
    private static final Pattern LOOP = Pattern.compile("sun\\.nio\\.ch\\.\\w+\\$EventHandlerTask\\.run");
    /**
     * The group's own wrapper around each task it hands its pool ({@code bindToGroup}: it binds the thread to the group,
     * then runs the task), below the event loop on the stack. A thread sampled after its pool began the task but before
     * the loop itself began (the group made and the test returned at once) has this frame as its entry and no loop frame
     * yet: told by the loop alone, it was excused as one of the JDK's own threads, and the group's leak went unseen.
     */
    private static final String BINDING = "sun.nio.ch.AsynchronousChannelGroupImpl$";

    private JdkChannelGroups() {}

    /**
     * {@return whether a thread with these functions (innermost first) runs an asynchronous channel group's event loop, or
     * is on its way into it ({@link #BINDING})}
     */
    static boolean isEventLoop(List<String> functions) {
        return functions.stream().anyMatch(f -> f.startsWith(BINDING) || LOOP.matcher(f).matches());
    }

    /**
     * {@return what a thread of a user's asynchronous channel group is, and how to end it, for the report; empty for any
     * other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(List<String> functions, String ran) {
        return isEventLoop(functions)
                ? "a thread of a JDK AsynchronousChannelGroup (java.nio.channels) made while " + ran + " and never shut"
                        + " down: end it with group.shutdownNow() (or shutdown() once its channels are closed), then"
                        + " group.awaitTermination (LK46)"
                : "";
    }
}
