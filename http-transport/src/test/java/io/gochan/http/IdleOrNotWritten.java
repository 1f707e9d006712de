package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The tests' one way to say "the connection went idle" where the pooling is incidental to what they test: rule E138 lets a
 * response's end close its connection instead of pooling it when the write loop's word that the request went out whole
 * did not come within 50 ms, which a loaded machine legitimately causes. {@link #assertIdle} accepts exactly that, and
 * nothing else: every connection missing from the pool must have been closed with E138's reason, as the flight
 * recorder's "closed" Connection event names it (E136: {@code KeepAlive}'s reason, the only place the E138 close is
 * told apart from any other). Register with {@code @RegisterExtension final IdleOrNotWritten idle = new
 * IdleOrNotWritten();}: each test runs under a recording of the Connection events, started before its first
 * connection exists (a connection made with no recording on never records its close).
 */
final class IdleOrNotWritten implements BeforeEachCallback, AfterEachCallback {
    /** The text of the E138 close's reason (KeepAlive.NOT_WRITTEN): the helper's own test pins it. */
    static final String NOT_WRITTEN = "its request was not reported written whole within 50 ms (E138)";
    private static final String CONNECTION_EVENT = "io.gochan.http.Connection";

    private Recording recording;
    /** How many of the recording's E138 closes earlier assertions already counted for missing connections. */
    private int accounted;

    @Override
    public void beforeEach(ExtensionContext context) {
        recording = new Recording();
        recording.enable(CONNECTION_EVENT);
        recording.start();
        accounted = 0;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (recording != null) {
            recording.close();
            recording = null;
        }
    }

    /**
     * Asserts that {@code expected} connections are idle, or that each one missing was closed for E138's reason since
     * the test began (and not already counted by an earlier call); any other close of a connection that should be idle
     * fails, with every close reason recorded so far. Only the pool's count is looked at when it is what was expected.
     *
     * @param t the transport
     * @param expected how many connections should be idle now
     * @return how many of them were closed for E138 instead (0 when all are idle), for a test that must retry
     */
    int assertIdle(Transport t, int expected) {
        TransportStats s = t.stats();
        if (s.idle() == expected) {
            return 0;
        }
        List<String> reasons = closeReasons();
        int notWritten = (int) reasons.stream().filter(r -> r.contains(NOT_WRITTEN)).count() - accounted;
        int missing = expected - s.idle();
        assertThat(missing > 0 && missing <= notWritten)
                .as("%d idle connection(s) expected, %s; E138 closes not yet counted: %d; every close reason: %s",
                        expected, s, notWritten, reasons)
                .isTrue();
        accounted += missing;
        return missing;
    }

    /** A request made and read to its end, its connection left for the pool. */
    @FunctionalInterface
    interface Warm {
        /**
         * Makes the request and reads its response to its end.
         *
         * @throws Exception whatever the request throws
         */
        void run() throws Exception;
    }

    /** How many times {@link #warmUntilIdle} makes its request when E138 closes its connection each time. */
    static final int WARM_ATTEMPTS = 5;

    /**
     * For a test whose scenario needs one pooled connection (its next request takes it): runs {@code warm}, and runs it
     * again, up to {@link #WARM_ATTEMPTS} times in all, only while E138 closed the connection instead of pooling it;
     * fails as {@link #assertIdle} does on any other close. Each retry dials a new connection: a test that counts
     * dials or the server's connections cannot use it.
     *
     * @param t the transport, with no idle connection before
     * @param warm the request, read to its end
     * @return how many times E138 closed the connection before one was pooled
     * @throws Exception whatever {@code warm} throws
     */
    int warmUntilIdle(Transport t, Warm warm) throws Exception {
        for (int attempt = 0; attempt < WARM_ATTEMPTS; attempt++) {
            warm.run();
            if (assertIdle(t, 1) == 0) {
                return attempt;
            }
        }
        throw new AssertionError("E138 closed the connection of each of " + WARM_ATTEMPTS + " attempts: " + t.stats());
    }

    /** The reasons of the "closed" Connection events recorded so far, in the order they were recorded. */
    List<String> closeReasons() {
        if (recording == null) {
            throw new IllegalStateException("IdleOrNotWritten is not registered: use @RegisterExtension");
        }
        try {
            Path file = Files.createTempFile("idle-or-not-written", ".jfr");
            try {
                // A running recording's dump takes every event committed before it: a connection's "closed" event is
                // committed before its close returns (E36), so before the body's end that closed it returns.
                recording.dump(file);
                return RecordingFile.readAllEvents(file).stream()
                        .filter(e -> e.getEventType().getName().equals(CONNECTION_EVENT))
                        .filter(e -> "closed".equals(e.getString("action")))
                        .sorted(Comparator.comparing(RecordedEvent::getEndTime))
                        .map(e -> e.getString("reason"))
                        .toList();
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
