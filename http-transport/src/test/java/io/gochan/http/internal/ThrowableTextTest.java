package io.gochan.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * E105 (E48, JF12): the transport's one way to ask a caller's throwable for its text never throws, whatever that text
 * does: throws a {@link RuntimeException}, overflows the stack (a {@code toString()} that recurses), returns null, or
 * the throwable is null. No assertion here formats a hostile throwable (AssertJ would ask its text to describe a
 * failure): results are compared as strings.
 */
class ThrowableTextTest {

    /** Text that throws an {@link IllegalStateException}. */
    static final class Throwing extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("getMessage() says no (test)");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("toString() says no (test)");
        }
    }

    /** Text that overflows the stack, as a {@code toString()} that calls itself does (thrown here, not recursed). */
    static final class Recursing extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new StackOverflowError("getMessage() recursed (test)");
        }

        @Override
        public String toString() {
            throw new StackOverflowError("toString() recursed (test)");
        }
    }

    /** Text that is null. */
    static final class NullText extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            return null;
        }

        @Override
        public String toString() {
            return null;
        }
    }

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
        String throwing = Throwing.class.getName();
        assertThat(ThrowableText.of(new Throwing()))
                .isEqualTo(throwing + " (toString() threw java.lang.IllegalStateException)");
        assertThat(ThrowableText.message(new Throwing()))
                .isEqualTo(throwing + " (getMessage() threw java.lang.IllegalStateException)");
        assertThat(ThrowableText.messageOrType(new Throwing()))
                .isEqualTo(throwing + " (getMessage() threw java.lang.IllegalStateException)");

        String recursing = Recursing.class.getName();
        assertThat(ThrowableText.of(new Recursing()))
                .isEqualTo(recursing + " (toString() threw java.lang.StackOverflowError)");
        assertThat(ThrowableText.messageOrType(new Recursing()))
                .isEqualTo(recursing + " (getMessage() threw java.lang.StackOverflowError)");

        assertThat(ThrowableText.of(new NullText())).isEqualTo("null");
        assertThat(ThrowableText.message(new NullText())).isNull();
        assertThat(ThrowableText.messageOrType(new NullText())).isEqualTo(NullText.class.getName());
    }

    /**
     * E105 (guard): a logger whose printing of the throwable throws (as the JDK's simple console logger lets it out)
     * gets the line once more without it, naming its class: {@code log} itself never throws, and the line is not lost.
     */
    @Test
    void E105_aLoggerWhosePrintingThrowsGetsTheLineWithoutTheThrowable() {
        PrintingLogger logger = new PrintingLogger();
        ThrowableText.log(logger, System.Logger.Level.WARNING, "something failed", new Recursing());
        assertThat(logger.lines).containsExactly("WARNING something failed: " + Recursing.class.getName()
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
