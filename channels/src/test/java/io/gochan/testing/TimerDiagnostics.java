package io.gochan.testing;

import io.gochan.Timers;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The timer count of {@code Timers.pendingTasks()} for the other modules' tests (channels-select's), which cannot call
 * it: it is package-private, so that no "for tests" method is API of the released {@code io.gochan}. This tests jar
 * holds only {@code io.gochan.testing.*} (no split package with {@code io.gochan}), hence reflection, which works
 * where those tests run: on the class path.
 */
public final class TimerDiagnostics {
    private static final Method PENDING_TASKS;

    static {
        try {
            PENDING_TASKS = Timers.class.getDeclaredMethod("pendingTasks");
            PENDING_TASKS.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TimerDiagnostics() {}

    /**
     * {@return the number of timers, tickers and context deadlines in the system scheduler's heap right now (a channel
     * timer only while a receiver waits on it: TM29)}
     */
    public static int pendingTasks() {
        try {
            return (int) PENDING_TASKS.invoke(null);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("Timers.pendingTasks() could not be called", e);
        }
    }
}
