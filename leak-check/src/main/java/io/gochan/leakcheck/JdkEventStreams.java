package io.gochan.leakcheck;

import java.util.List;
import java.util.regex.Pattern;

/**
 * LK47: the thread of a JDK Flight Recorder event stream ({@code jdk.jfr.consumer.RecordingStream} or
 * {@code EventStream.openRepository}) started with {@code startAsync()}, told by its shape. It runs the JDK's code only
 * ({@code jdk.jfr.internal.consumer}), so LK11 took it for one of the JDK's own threads; but the JDK starts one for each
 * stream, in {@code startAsync()}, and it ends only when the stream is closed: one created while a test ran is a stream
 * the test left open (and, not a daemon, it keeps the JVM from exiting). The recorder's own threads ({@code JFR Recorder
 * Thread}, {@code JFR Periodic Tasks}) serve every recording of the JVM and stay excused.
 */
final class JdkEventStreams {
    /** The stream thread's name (JDK 21 to 25). */
    private static final Pattern NAME = Pattern.compile("JFR Event Stream \\d+");
    /** The package its loop runs in (JDK 21 to 25). */
    private static final String PACKAGE = "jdk.jfr.internal.consumer.";

    private JdkEventStreams() {}

    /** {@return whether a thread with these functions (innermost first) is an event stream's thread} */
    static boolean isStreamThread(Thread t, List<String> functions) {
        return NAME.matcher(t.getName()).matches() && functions.stream().anyMatch(f -> f.startsWith(PACKAGE));
    }

    /**
     * {@return what an event stream's thread is, and how to end it, for the report; empty for any other thread}
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(Thread t, List<String> functions, String ran) {
        return isStreamThread(t, functions)
                ? "the thread of a JDK Flight Recorder event stream (jdk.jfr.consumer) started with startAsync() while "
                        + ran + " and never closed: close it with stream.close() (LK47)"
                : "";
    }
}
