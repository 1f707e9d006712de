package io.gochan.http.internal.conn;

import io.gochan.Timer;
import io.gochan.Timers;
import io.gochan.http.internal.ThrowableText;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Bounds one step of a dial as a whole (R28): a proxy's {@code CONNECT} or SOCKS5 answer, a TLS handshake.
 * A socket's read timeout bounds each read only, and a peer trickling its answer a byte at a time never
 * trips it; so a timer closes the TCP socket under every layer when the time is up, which ends whatever
 * read or write the step is blocked in, and the step's failure is then reported as the timeout it is.
 *
 * <p>One mechanism for every step and layer: reads and writes, plain or inside TLS, in the JDK's code or ours.
 */
final class DialGuard {
    private static final System.Logger LOG = System.getLogger(DialGuard.class.getName());

    /** A step of a dial: may block on the socket, fails with an {@link IOException}. */
    @FunctionalInterface
    interface Step {
        /**
         * Runs the step.
         *
         * @throws IOException the step's failure
         */
        void run() throws IOException;
    }

    private DialGuard() {}

    /**
     * Runs {@code step} with {@code tcp} closed if it has not returned within {@code timeout}.
     *
     * @param timeout the bound; zero, negative or null: none
     * @param tcp the TCP socket under the step's socket, closed when the time is up
     * @param what the step, for the timeout's message ("the handshake", "the proxy's answer")
     * @param step the step
     * @throws SocketTimeoutException if the time was up before the step returned, whatever the step threw
     *     (the closed socket's failure is its cause); the socket is then closed
     * @throws IOException the step's own failure, as it is
     */
    static void bounded(Duration timeout, Socket tcp, String what, Step step) throws IOException {
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            step.run();
            return;
        }
        Timer guard = Timers.afterFunc(timeout, () -> closeOnTimeout(tcp));
        try {
            step.run();
        } catch (Error e) {
            // User code's (a trust manager's assertion), thrown as it is (E77); the timer goes with the step, and the
            // caller closes the socket (E87). Before, the timer stayed armed until it closed a socket long given up.
            guard.stop();
            throw e;
        } catch (Throwable e) {
            // An IOException, an unchecked exception, or a checked exception a Dialer's socket lets out undeclared (E109;
            // Kotlin, a sneaky throw), maybe its word for the close of the timer above: all judged alike (E124). Before,
            // the last went past the catches: a step the time had ended failed as that exception, never as its
            // timeout, and one that failed before left the timer armed.
            if (!guard.stop()) { // the timer fired: the failure is the socket it closed
                throw (SocketTimeoutException) timedOut(what, timeout).initCause(e);
            }
            throw e; // precise rethrow: the IOException, or what was let out unchecked or undeclared, as it is
        }
        if (!guard.stop()) {
            // Done just as the timer fired: the socket is closed, or about to be; nothing more can use it.
            throw timedOut(what, timeout);
        }
    }

    private static SocketTimeoutException timedOut(String what, Duration timeout) {
        return new SocketTimeoutException(what + " timed out after " + timeout);
    }

    private static void closeOnTimeout(Socket tcp) {
        try {
            tcp.close();
        } catch (IOException | RuntimeException e) { // a Dialer's socket may fail its close unchecked (E84)
            // The step blocked on this socket fails anyway once its timer is seen to have fired. Printing the Dialer's
            // exception may throw too: never out of the timer's goroutine (E105).
            ThrowableText.log(LOG, System.Logger.Level.DEBUG, "closing a timed-out dial's socket failed", e);
        } catch (Throwable e) {
            // An Error, or a checked exception let out undeclared, is logged as every close of a Dialer's socket logs it
            // (E84, E125), never the death of the timer's goroutine: its uncaught-exception handler may end the program
            // (G1) or fail a bubble (BB17). The step still fails as its timeout.
            ThrowableText.log(LOG, System.Logger.Level.ERROR, "closing a timed-out dial's socket failed", e);
        }
    }
}
