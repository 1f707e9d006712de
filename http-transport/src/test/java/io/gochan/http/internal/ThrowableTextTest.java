package io.gochan.http.internal;

import static io.gochan.http.testing.HostileExceptions.typeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.HostileExceptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * E105 (E48, JF12): the transport's one way to ask a caller's throwable for its text never throws, whatever that text
 * does: throws a {@link RuntimeException}, overflows the stack (a {@code toString()} that recurses), returns null, or
 * the throwable is null ({@link HostileExceptions} makes those throwables). No assertion here formats a hostile
 * throwable (AssertJ would ask its text to describe a failure): results are compared as strings.
 */
class ThrowableTextTest {

    /**
     * E105: {@code message(null)} and {@code messageOrType(null)} answer as {@code of(null)} does, never throwing. Before,
     * both threw a {@link NullPointerException} (the only fails-before assertions here: the rest guard the fallbacks).
     */
    @Test
    void E105_aNullThrowableHasATextToo() {
        assertThat(ThrowableText.of(null)).isEqualTo("null");
        assertThat(ThrowableText.message(null)).isNull();
        assertThat(ThrowableText.messageOrType(null)).isEqualTo("null");
    }

    /** E105 (guard): a text that throws, anything, is the class name and what it threw; a null text stays harmless. */
    @Test
    void E105_aTextThatThrowsOrIsNullNeverThrows() {
        RuntimeException throwing = HostileExceptions.runtime();
        assertThat(ThrowableText.of(throwing))
                .isEqualTo(typeOf(throwing) + " (toString() threw java.lang.IllegalStateException)");
        assertThat(ThrowableText.message(throwing))
                .isEqualTo(typeOf(throwing) + " (getMessage() threw java.lang.IllegalStateException)");
        assertThat(ThrowableText.messageOrType(throwing))
                .isEqualTo(typeOf(throwing) + " (getMessage() threw java.lang.IllegalStateException)");

        RuntimeException recursing = HostileExceptions.overflowing();
        assertThat(ThrowableText.of(recursing))
                .isEqualTo(typeOf(recursing) + " (toString() threw java.lang.StackOverflowError)");
        assertThat(ThrowableText.messageOrType(recursing))
                .isEqualTo(typeOf(recursing) + " (getMessage() threw java.lang.StackOverflowError)");

        RuntimeException nullText = HostileExceptions.nullText();
        assertThat(ThrowableText.of(nullText)).isEqualTo("null");
        assertThat(ThrowableText.message(nullText)).isNull();
        assertThat(ThrowableText.messageOrType(nullText)).isEqualTo(typeOf(nullText));
    }

    /**
     * E105 (guard): a logger whose printing of the throwable throws (as the JDK's simple console logger lets it out)
     * gets the line once more without it, naming its class: {@code log} itself never throws, and the line is not lost.
     */
    @Test
    void E105_aLoggerWhosePrintingThrowsGetsTheLineWithoutTheThrowable() {
        PrintingLogger logger = new PrintingLogger();
        RuntimeException recursing = HostileExceptions.overflowing();
        ThrowableText.log(logger, System.Logger.Level.WARNING, "something failed", recursing);
        assertThat(logger.lines).containsExactly("WARNING something failed: " + typeOf(recursing)
                + " (toString() threw java.lang.StackOverflowError) (not printed: printing it threw"
                + " java.lang.StackOverflowError)");
        ThrowableText.log(logger, System.Logger.Level.ERROR, "plain", new IllegalStateException("words"));
        assertThat(logger.lines.get(logger.lines.size() - 1)).startsWith("ERROR plain java.lang.IllegalStateException: words");
    }

    /**
     * A {@link System.Logger} that prints as a console logger does: the message, then the throwable's trace (which asks
     * its {@code toString()}), letting out whatever that throws. Records the lines it printed in full.
     */
    static final class PrintingLogger implements System.Logger {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public String getName() {
            return "printing";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            StringWriter trace = new StringWriter();
            if (thrown != null) {
                thrown.printStackTrace(new PrintWriter(trace));
            }
            lines.add(level + " " + msg + (thrown == null ? "" : " " + trace));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(level + " " + format);
        }
    }
}
