package io.gochan.http.testing;

import java.io.IOException;

/**
 * Throwables of a caller's code (a listener, a dialer's socket, a body source) whose own text is hostile: their
 * {@code getMessage()} or {@code toString()} throws, overflows the stack, or answers null. The transport never lets
 * such text take the place of the failure it belongs to, nor out of a log call (E105, E48, E20, E77, JF12); the tests
 * of those rules throw these and look for the very instance in what comes out.
 *
 * <p>Each factory makes a new instance of a class of its own kind, so that a test can name the class the transport's
 * text must name ({@link #typeOf}). What a text throws says it is the test's. Never format one of these in an
 * assertion (AssertJ asks a value's {@code toString()} to describe a failure): compare by identity
 * ({@link #isOrCausedBy}), and name classes.
 */
public final class HostileExceptions {
    private HostileExceptions() {}

    /**
     * Throws {@code t} whatever its type, as code whose checked exceptions the compiler does not see can (Kotlin, a
     * sneaky throw): a checked exception out of a method that declares none (E114, E118). Never returns; declared to
     * return an exception so a caller can write {@code throw undeclared(e)}.
     */
    @SuppressWarnings("unchecked")
    public static <T extends Throwable> RuntimeException undeclared(Throwable t) throws T {
        throw (T) t;
    }

    /** A {@link RuntimeException} (a listener's, a body source's) whose {@code getMessage()} and {@code toString()} throw. */
    public static RuntimeException runtime() {
        return new TextThrowsRuntimeException();
    }

    /** An {@link IOException} (a socket's, a stream's) whose {@code getMessage()} and {@code toString()} throw. */
    public static IOException io() {
        return new TextThrowsIOException();
    }

    /** An {@link IllegalStateException} (a body opener's) whose {@code getMessage()} and {@code toString()} throw. */
    public static IllegalStateException illegalState() {
        return new TextThrowsIllegalStateException();
    }

    /** An {@link Error} (a test's failed assertion, say, in a listener) whose {@code getMessage()} and {@code toString()} throw. */
    public static AssertionError error() {
        return new TextThrowsError();
    }

    /**
     * An {@link IOException} (a close cause) whose {@code getMessage()} throws; its {@code toString()} is
     * {@link Throwable}'s, which asks that message and so throws the same.
     */
    public static IOException ioWhoseMessageThrows() {
        return new MessageThrowsIOException();
    }

    /**
     * A {@link RuntimeException} whose text overflows the stack, as a {@code toString()} that calls itself does (the
     * {@link StackOverflowError} is thrown at once, not recursed into).
     */
    public static RuntimeException overflowing() {
        return new TextOverflowsRuntimeException();
    }

    /** A {@link RuntimeException} whose {@code getMessage()} and {@code toString()} answer null. */
    public static RuntimeException nullText() {
        return new NullTextRuntimeException();
    }

    /** Its class, never its text: safe to put in an assertion's description. */
    public static String typeOf(Object o) {
        return o == null ? "nothing" : o.getClass().getName();
    }

    /** Whether {@code bug} is {@code failure} or one of its first 20 causes, by identity (never by text). */
    public static boolean isOrCausedBy(Object failure, Throwable bug) {
        Throwable t = failure instanceof Throwable f ? f : null;
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (t == bug) {
                return true;
            }
        }
        return false;
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

    private static final class TextThrowsIOException extends IOException {
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

    private static final class TextThrowsIllegalStateException extends IllegalStateException {
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

    private static final class TextThrowsError extends AssertionError {
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

    private static final class MessageThrowsIOException extends IOException {
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

    private static final class NullTextRuntimeException extends RuntimeException {
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
}
