package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
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
 * Rule BB33 (docs/spec/bubbles.md): what {@code Bubble.run} throws keeps nothing attached when it was made with
 * suppression disabled, so the failures BB17 attaches to it go elsewhere: a goroutine's to the uncaught-exception
 * handler with its goroutine, one no goroutine threw (what the body threw) to the log. Before, they were attached to
 * nothing and lost (as GF11's were for an error group).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoNewGoroutines.class)
class BubbleUnattachedFailureRulesTest {

    /** A lightweight exception: made with suppression disabled, it keeps nothing attached (Throwable's contract). */
    static final class Lightweight extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Lightweight(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * BB33: a goroutine failure that stops the bubble is lightweight; a goroutine that turns the bubble's interrupt
     * into a failure fails later (BB17 attaches it). Before, addSuppressed kept nothing and the handler saw nothing:
     * the list below was empty.
     */
    @Test
    void BB33_laterFailuresThatALightweightGoroutineFailureCannotKeepGoToTheHandler() throws Exception {
        Lightweight first = new Lightweight("bb33-first");
        IllegalStateException later = new IllegalStateException("bb33-later");
        ConcurrentLinkedQueue<String> reported = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler(recorder(reported));
        try {
            Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
                Chan<Integer> never = Chan.make();
                Go.go("bb33-turns-the-interrupt-into-a-failure", () -> {
                    try {
                        never.receive();
                    } catch (InterruptedException e) {
                        throw later; // no cause: not recognisable as an answer to the interrupt (BB17)
                    }
                });
                Bubble.await(); // it is blocked: the failure below comes while the bubble is live
                Go.go("bb33-fails", () -> {
                    throw first;
                });
            }));
            assertThat(thrown).isSameAs(first);
            assertThat(first.getSuppressed()).as("suppression disabled: nothing was kept").isEmpty();
            assertThat(reported).as("the later failure, with its goroutine")
                    .containsExactly("bb33-turns-the-interrupt-into-a-failure: bb33-later");
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /**
     * BB33 when the body's own failure is lightweight: a goroutine stopped by it fails, and that failure goes to the
     * handler. Before, it was lost (the list below was empty).
     */
    @Test
    void BB33_aGoroutineFailureThatTheBodysLightweightFailureCannotKeepGoesToTheHandler() throws Exception {
        Lightweight bodyFailure = new Lightweight("bb33-body");
        IllegalStateException later = new IllegalStateException("bb33-later");
        ConcurrentLinkedQueue<String> reported = new ConcurrentLinkedQueue<>();
        BiConsumer<Goroutine, Throwable> old = Goroutines.setUncaughtExceptionHandler(recorder(reported));
        try {
            Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
                Chan<Integer> never = Chan.make();
                Go.go("bb33-stopped", () -> {
                    try {
                        never.receive();
                    } catch (InterruptedException e) {
                        throw later; // the body's failure stopped the bubble: a later failure (BB17)
                    }
                });
                Bubble.await(); // it is blocked: it fails only once the body's failure has stopped the bubble
                throw bodyFailure;
            }));
            assertThat(thrown).isSameAs(bodyFailure);
            assertThat(bodyFailure.getSuppressed()).isEmpty();
            assertThat(reported).as("the goroutine's failure, with its goroutine")
                    .containsExactly("bb33-stopped: bb33-later");
        } finally {
            Goroutines.setUncaughtExceptionHandler(old);
        }
    }

    /**
     * BB33 for a failure no goroutine threw: the body turns the bubble's interrupt into a failure of its own, which a
     * lightweight goroutine failure cannot keep; it has no goroutine to hand the handler, so it is logged at ERROR
     * (java.util.logging's SEVERE, the default backend of System.Logger). Before, nothing was logged: it was lost.
     */
    @Test
    void BB33_whatTheBodyThrewIsLoggedWhenALightweightGoroutineFailureCannotKeepIt() throws Exception {
        Lightweight first = new Lightweight("bb33-first");
        AssertionError bodyFailure = new AssertionError("bb33-body");
        ConcurrentLinkedQueue<LogRecord> logged = new ConcurrentLinkedQueue<>();
        Logger bubbleLog = Logger.getLogger(Bubble.class.getName()); // held: JUL keeps its loggers weakly
        Handler recording = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getThrown() == bodyFailure) {
                    logged.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Level oldLevel = bubbleLog.getLevel();
        boolean oldUseParents = bubbleLog.getUseParentHandlers();
        bubbleLog.setLevel(Level.ALL); // whatever a configuration says: a record at any level reaches the handler
        bubbleLog.setUseParentHandlers(false); // the expected record is not printed on the console
        bubbleLog.addHandler(recording);
        try {
            Throwable thrown = catchThrowable(() -> Bubble.run(() -> {
                Chan<Integer> result = Chan.make();
                Go.go("bb33-computes", () -> {
                    Timers.sleep(Duration.ofSeconds(3));
                    throw first; // while the body waits: the bubble is live, this is its failure (BB17)
                });
                try {
                    result.receive(); // never sent: the goroutine fails, and the bubble interrupts the body
                } catch (InterruptedException e) {
                    throw bodyFailure; // no cause: a failure of the body's own, attached (BB17)
                }
            }));
            assertThat(thrown).isSameAs(first);
            assertThat(first.getSuppressed()).as("suppression disabled: nothing was kept").isEmpty();
            assertThat(logged).as("the body's failure, logged once").singleElement()
                    .satisfies(r -> assertThat(r.getLevel()).isEqualTo(Level.SEVERE));
        } finally {
            bubbleLog.removeHandler(recording);
            bubbleLog.setUseParentHandlers(oldUseParents);
            bubbleLog.setLevel(oldLevel);
        }
    }

    /** A handler that records "goroutine: message" for this class's goroutines, and ignores any other. */
    private static BiConsumer<Goroutine, Throwable> recorder(ConcurrentLinkedQueue<String> reported) {
        return (g, t) -> {
            if (g != null && g.name().startsWith("bb33-")) {
                reported.add(g.name() + ": " + t.getMessage());
            }
        };
    }
}
