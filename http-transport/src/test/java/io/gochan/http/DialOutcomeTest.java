package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.HostileExceptions;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E109 (docs/spec/transport-lifecycle.md) through the transport: a {@link Dialer} whose wait lets its
 * {@code InterruptedException} out undeclared, as a Kotlin dialer's does, when {@link Transport#close()} interrupts
 * it. The pool's own cases (a checked exception at once, E110's goroutine that cannot start) are in
 * {@code ConnectionPoolTest}.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class DialOutcomeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * The request's dial blocks until interrupted; {@code Transport.close()} interrupts it and the dialer lets the
     * {@code InterruptedException} out undeclared. close() returns, the request fails as cancelled by the transport's
     * close, nothing is left open or dialing. Before, the exception ended the dial goroutine before the dial's outcome
     * was recorded: close() waited for that dial for ever ("Transport.close() ended" fails after 10 s), and the request
     * waited for ever too.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E109_transportCloseEndsADialWhoseInterruptEscapesUndeclared() throws Exception {
        CountDownLatch dialing = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        Transport t = Transport.builder().dialer((host, port, timeout) -> {
            dialing.countDown();
            try {
                never.await();
            } catch (InterruptedException e) {
                throw HostileExceptions.<RuntimeException>undeclared(e); // as a Kotlin dialer's wait lets it out
            }
            throw new IOException("the dial was let through (test)");
        }).build();
        try {
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get("http://127.0.0.1:9/"))) {
                    outcome.set(r.status());
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            assertThat(dialing.await(10, TimeUnit.SECONDS)).as("the dial started").isTrue();
            Object closed = Leaks.outcomeWithin10s("Transport.close()", () -> {
                t.close();
                return "closed";
            });
            assertThat(closed).isEqualTo("closed");
            assertThat(caller.join(Duration.ofSeconds(10))).as("the request ended").isTrue();
            assertThat(outcome.get()).isInstanceOf(RequestCancelledException.class);
            assertThat(((RequestCancelledException) outcome.get()).reason())
                    .isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED);
            TransportStats s = t.stats();
            assertThat(s.open()).as("%s", s).isZero();
            assertThat(s.dialing()).as("%s", s).isZero();
        } finally {
            never.countDown(); // a dial the close did not end returns now, so this close does not hang the run
            t.close();
        }
    }
}
