package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule G13 (docs/spec/context-timers.md): when the uncaught-exception handler throws an exception made with
 * suppression disabled, the goroutine's failure cannot be attached to it, and is logged on its own. The records of
 * logger {@code io.gochan.Go} are read through {@code java.util.logging}, System.Logger's default backend (ERROR is
 * its SEVERE), as BubbleUnattachedFailureRulesTest reads {@code io.gochan.Bubble}'s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoNewGoroutines.class)
class HandlerFailureRulesTest {

    /** A lightweight exception: made with suppression disabled, it keeps nothing attached (Throwable's contract). */
    static final class Lightweight extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Lightweight(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * G13: the handler throws a lightweight exception; both it and the goroutine's failure are logged at ERROR. Before,
     * only the handler's exception was logged (the failure was attached to nothing): no record carried the failure.
     */
    @Test
    void G13_aFailureTheHandlersLightweightExceptionCannotKeepIsLoggedOnItsOwn() throws Exception {
        Goroutine g = Go.go("g13-reported", () -> { });
        g.join();
        IllegalStateException failure = new IllegalStateException("g13-failure");
        Lightweight handlerFailure = new Lightweight("g13-the-handler-fails");
        ConcurrentLinkedQueue<LogRecord> logged = new ConcurrentLinkedQueue<>();
        Logger goLog = Logger.getLogger(Go.class.getName()); // held: JUL keeps its loggers weakly
        Handler recording = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getThrown() == failure || record.getThrown() == handlerFailure) {
                    logged.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Level oldLevel = goLog.getLevel();
        boolean oldUseParents = goLog.getUseParentHandlers();
        goLog.setLevel(Level.ALL); // whatever a configuration says: a record at any level reaches the handler
        goLog.setUseParentHandlers(false); // the expected records are not printed on the console
        goLog.addHandler(recording);
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler((who, t) -> {
            throw handlerFailure;
        });
        try {
            Goroutines.report(g, failure);
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
            goLog.removeHandler(recording);
            goLog.setUseParentHandlers(oldUseParents);
            goLog.setLevel(oldLevel);
        }
        assertThat(handlerFailure.getSuppressed()).as("suppression disabled: nothing was kept").isEmpty();
        assertThat(logged).as("the failure on its own, then what the handler threw, each once at ERROR")
                .extracting(LogRecord::getThrown).containsExactly(failure, handlerFailure);
        assertThat(logged).extracting(LogRecord::getLevel).containsOnly(Level.SEVERE);
    }
}
