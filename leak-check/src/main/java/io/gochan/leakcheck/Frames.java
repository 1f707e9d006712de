package io.gochan.leakcheck;

import java.util.ArrayList;
import java.util.List;

/**
 * Stack frames as functions, {@code fully.qualified.Class.method}, and the top function (LK7): the
 * first frame outside the JDK and gochan's channel machinery, which is where a blocked goroutine or
 * thread is from the user's point of view (every parked thread's first frame is the JDK's park).
 */
final class Frames {
    private static final List<String> JDK = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.");
    /** The packages of the JDK's own runtime code, which a thread of the JDK's that runs nothing of the user's stays in. */
    private static final List<String> RUNTIME = List.of("java.", "jdk.", "sun.");
    /** The class the thread that drives a virtual-time bubble starts in (LK27). */
    private static final String BUBBLE_STATE = "io.gochan.BubbleState.";
    private static final List<String> MACHINERY_PACKAGES = List.of("io.gochan", "io.gochan.spi", "io.gochan.select");

    private Frames() {}

    static List<String> functions(StackTraceElement[] stack) {
        List<String> list = new ArrayList<>(stack.length);
        for (StackTraceElement e : stack) {
            list.add(e.getClassName() + "." + e.getMethodName());
        }
        return list;
    }

    /** {@code java.base/java.lang.Thread.run(Thread.java:1474)} to {@code java.lang.Thread.run}. */
    static List<String> functions(List<String> dumpFrames) {
        List<String> list = new ArrayList<>(dumpFrames.size());
        for (String f : dumpFrames) {
            int paren = f.indexOf('(');
            String s = paren < 0 ? f : f.substring(0, paren);
            list.add(s.substring(s.lastIndexOf('/') + 1));
        }
        return list;
    }

    /**
     * {@return whether every function of a stack is in {@code java.*}, {@code jdk.*} or {@code sun.*}} A JDK thread told
     * by its name (LK45, LK48) must run only such code: the name alone, on a thread running anything else, could be any
     * thread's. An empty stack (a thread not yet started, or just ended) passes.
     */
    static boolean runsRuntimeCodeOnly(List<String> functions) {
        for (String f : functions) {
            if (RUNTIME.stream().noneMatch(f::startsWith)) {
                return false;
            }
        }
        return true;
    }

    /** {@return the first function outside the JDK and gochan's channels, or "" if none} */
    static String top(List<String> functions) {
        for (String f : functions) {
            if (!isMachinery(f)) {
                return f;
            }
        }
        return "";
    }

    /**
     * {@return whether a thread is one of the JDK's own: the first frame from the bottom of its stack
     * outside {@code java.*} is in {@code sun.*}, {@code jdk.*} or {@code com.sun.*} (JDK 25 runs NIO's
     * sub-pollers, {@code sun.nio.ch.Poller}, on virtual threads it starts on first use; user code can
     * not start a thread there), and no frame of it is outside the JDK and gochan's channel machinery}
     * A thread the JDK started that runs code of the user's (a handler of the JDK's {@code HttpServer}, on its
     * dispatcher thread or on the executor it was given) is the user's (rule LK35), as a common-pool worker
     * running a task of the user's is (LK13); so is one whose entry is a task submitted to an executor (LK57).
     */
    static boolean isJdkInternal(List<String> functions) {
        String f = entry(functions);
        return (f.startsWith("sun.") || f.startsWith("jdk.") || f.startsWith("com.sun.")) && top(functions).isEmpty()
                && !runsSubmittedTask(functions);
    }

    /**
     * {@return whether the thread's entry ({@link #entry}) is a task someone handed an executor with {@code submit},
     * {@code invokeAll} or {@code schedule}: a {@code FutureTask}'s frame lies below it} Such a task is its submitter's
     * code, not a loop the JDK started for itself, even when it is a method of the JDK's internals reached through a
     * method reference ({@code executor.submit(server::accept)}): the thread dump leaves out the frames of the lambda
     * classes a method reference makes, so nothing of the user's is left on that stack (LK57). The JDK starts its own
     * threads' loops directly ({@code execute}, a thread's {@code Runnable}), never as a future.
     */
    static boolean runsSubmittedTask(List<String> functions) {
        for (int i = functions.size() - 1; i >= 0; i--) {
            String f = functions.get(i);
            if (!f.startsWith("java.")) {
                return false;
            }
            if (f.equals("java.util.concurrent.FutureTask.run") || f.equals("java.util.concurrent.FutureTask.runAndReset")) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@return whether a thread drives a virtual-time bubble (rule LK27)} The first frame from the bottom of its stack
     * outside {@code java.*} is in {@code io.gochan.BubbleState}, gochan's own bubble class, which the driver's thread
     * starts in and user code cannot: a goroutine of a bubble starts in {@code io.gochan.Bubbles}, and is judged as a
     * goroutine anyway.
     */
    static boolean isBubbleDriver(List<String> functions) {
        return entry(functions).startsWith(BUBBLE_STATE);
    }

    /**
     * {@return the thread's entry: the first function from the bottom of its stack outside {@code java.*} (where the
     * code that started the thread begins: {@code Thread.run} and a pool's loop are the JDK's), or "" if none}
     */
    static String entry(List<String> functions) {
        for (int i = functions.size() - 1; i >= 0; i--) {
            String f = functions.get(i);
            if (!f.startsWith("java.")) {
                return f;
            }
        }
        return "";
    }

    static boolean isMachinery(String function) {
        for (String p : JDK) {
            if (function.startsWith(p)) {
                return true;
            }
        }
        int method = function.lastIndexOf('.');
        int cls = method <= 0 ? -1 : function.lastIndexOf('.', method - 1);
        String pkg = cls < 0 ? "" : function.substring(0, cls);
        return MACHINERY_PACKAGES.contains(pkg);
    }
}
