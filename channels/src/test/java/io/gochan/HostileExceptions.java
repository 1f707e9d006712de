package io.gochan;

/**
 * Throwables of a caller's code (a goroutine's body, a future's task, an error group's goroutine, a drop callback)
 * whose own text is hostile: their {@code getMessage()} or {@code toString()} throws, or overflows the stack. What they
 * say never takes the place of the failure it belongs to, nor leaves a send, a report or a description half way (CH7,
 * EG15, JF12); the tests of those rules throw these and look for the very instance in what comes out.
 *
 * <p>Each factory makes a new instance of a class of its own kind, so that a test can name the class the library's
 * text must name ({@link #typeOf}). What a text throws says it is the test's. Never format one of these in an
 * assertion (AssertJ asks a value's {@code toString()} to describe a failure): compare by identity, and name classes.
 * The http-transport module has its own copy of this helper: modules share no test code.
 */
final class HostileExceptions {
    private HostileExceptions() {}

    /** A {@link RuntimeException} whose {@code getMessage()} and {@code toString()} throw an {@link IllegalStateException}. */
    static RuntimeException runtime() {
        return new TextThrowsRuntimeException();
    }

    /**
     * A {@link Throwable} that is neither an {@link Exception} nor an {@link Error} (sneaky code throws one), whose
     * {@code getMessage()} and {@code toString()} throw an {@link IllegalStateException}.
     */
    static Throwable throwable() {
        return new TextThrowsThrowable();
    }

    /**
     * A {@link RuntimeException} whose {@code getMessage()} throws an {@link IllegalStateException} (a message computed
     * from a field that is null, say); its {@code toString()} is {@link Throwable}'s, which asks that message and so
     * throws the same.
     */
    static RuntimeException runtimeWhoseMessageThrows() {
        return new MessageThrowsRuntimeException();
    }

    /**
     * A {@link RuntimeException} whose text overflows the stack, as a {@code toString()} that calls itself does (the
     * {@link StackOverflowError} is thrown at once, not recursed into). The JDK's console log handler lets that
     * {@link Error} out of a log call, where it catches an {@link Exception}.
     */
    static RuntimeException overflowing() {
        return new TextOverflowsRuntimeException();
    }

    /** Its class, never its text: safe to put in an assertion's description. */
    static String typeOf(Object o) {
        return o == null ? "nothing" : o.getClass().getName();
    }

    /** What a refusing text throws: an {@link IllegalStateException} that names the method and says it is the test's. */
    private static IllegalStateException refused(String method) {
        return new IllegalStateException(method + " says no (test)");
    }

    private static final class TextThrowsRuntimeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw refused("getMessage()");
        }

        @Override
        public String toString() {
            throw refused("toString()");
        }
    }

    private static final class TextThrowsThrowable extends Throwable {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw refused("getMessage()");
        }

        @Override
        public String toString() {
            throw refused("toString()");
        }
    }

    private static final class MessageThrowsRuntimeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw refused("getMessage()");
        }
    }

    private static final class TextOverflowsRuntimeException extends RuntimeException {
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
}
