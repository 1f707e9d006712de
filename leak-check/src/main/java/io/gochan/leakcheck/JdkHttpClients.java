package io.gochan.leakcheck;

import java.util.List;
import java.util.regex.Pattern;

/**
 * LK44: the threads of the JDK's {@code java.net.http.HttpClient}, told by their shape. Its selector thread runs the
 * JDK's code only ({@code jdk.internal.net.http.HttpClientImpl$SelectorManager.run}), so LK11 took it for one of the
 * JDK's own threads; but the JDK starts one for each client, as the client is built, and it ends only when the client
 * is closed (or, later, collected): one created while a test ran is a client the test left open, with its connection
 * pool. The workers of the client's default executor were reported already (LK16), under names that said nothing of a
 * client and only until they idled out; a client given an executor of virtual threads left nothing reported at all.
 */
final class JdkHttpClients {
    /** The selector thread's loop (JDK 21 to 25): the first frame from the bottom outside {@code java.*}. */
    private static final String SELECTOR = "jdk.internal.net.http.HttpClientImpl$SelectorManager.run";
    /** The names the client's default executor gives its workers (JDK 21 to 25). */
    private static final Pattern WORKER = Pattern.compile("HttpClient-\\d+-Worker-\\d+");

    private JdkHttpClients() {}

    /** {@return whether a thread with these functions (innermost first) is an {@code HttpClient}'s selector thread} */
    static boolean isSelector(List<String> functions) {
        return Frames.entry(functions).equals(SELECTOR);
    }

    /**
     * {@return what a thread of a JDK {@code HttpClient} is, and how to end it, for the report; empty for any other
     * thread} A worker is told by its name and by running a pool's worker loop (a thread of the user's named so is
     * described as a client's too: the name is the JDK's).
     *
     * @param ran while what the thread was made, {@code "the test ran"} or a class's own callbacks (LK41)
     */
    static String role(Thread t, List<String> functions, String ran) {
        if (isSelector(functions)) {
            return "the selector thread of a JDK HttpClient (java.net.http) built while " + ran + " and never closed:"
                    + " close it with client.close() (HttpClient is AutoCloseable), which also closes its pooled"
                    + " connections (LK44)";
        }
        if (WORKER.matcher(t.getName()).matches() && functions.contains("java.util.concurrent.ThreadPoolExecutor$Worker.run")) {
            return "a worker of the default executor of a JDK HttpClient (java.net.http) built while " + ran
                    + " and never closed: close the client with client.close() (LK44)";
        }
        return "";
    }
}
