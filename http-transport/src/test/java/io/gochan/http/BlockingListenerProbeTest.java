package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E67 (docs/spec/transport-lifecycle.md): a {@link RequestListener} callback that blocks on a connection's loop
 * ({@code gotFirstResponseByte} on the read loop, {@code wroteHeaders} on the write loop), against its contract,
 * does not hang its request: the request ends as it would without it (its deadline, the transport's close, an
 * interrupt of its caller, or its answer read to the end), within a bound; its one {@code done()} is still its last
 * event, reported by the blocked callback as it returns; and once it returned nothing is left open or running and
 * the transport serves the next request. Before, the request's {@code done()} reporter waited for the callback
 * without a bound (E27), so the caller hung for as long as the callback blocked, past its deadline, past
 * {@code Transport.close()} (which returned) and past an interrupt.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BlockingListenerProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Where the callback blocks, and what ends the request meanwhile. */
    enum Case {
        FIRST_BYTE_THEN_TIMEOUT, FIRST_BYTE_THEN_TRANSPORT_CLOSE, FIRST_BYTE_THEN_INTERRUPT, WROTE_HEADERS_THEN_ANSWER_READ
    }

    /** Blocks the chosen callback of the request to {@code /blocked} until released; records every event. */
    private static final class BlockingListener implements RequestListener {
        final String blocking;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(1);
        final List<String> events = new CopyOnWriteArrayList<>();

        BlockingListener(String blocking) {
            this.blocking = blocking;
        }

        private void event(String name, HttpRequest request) {
            if (!request.uri().getPath().equals("/blocked")) {
                return;
            }
            events.add(name);
            if (name.equals(blocking)) {
                entered.countDown();
                try {
                    release.await(); // against the contract: a callback that blocks
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                events.add(name + " returned");
            }
        }

        @Override
        public void wroteHeaders(HttpRequest request) {
            event("wroteHeaders", request);
        }

        @Override
        public void gotFirstResponseByte(HttpRequest request) {
            event("gotFirstResponseByte", request);
        }

        @Override
        public void done(HttpRequest request, Throwable error) {
            event("done", request);
            if (request.uri().getPath().equals("/blocked")) {
                done.countDown();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void E67_aListenerCallbackThatBlocksOnALoopDoesNotHangItsRequest(Case c) throws Exception {
        BlockingListener listener = new BlockingListener(c == Case.WROTE_HEADERS_THEN_ANSWER_READ ? "wroteHeaders"
                : "gotFirstResponseByte");
        AtomicReference<Object> outcome = new AtomicReference<>();
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().listener(listener).build()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/blocked"));
            if (c == Case.FIRST_BYTE_THEN_TIMEOUT) {
                b.timeout(Duration.ofMillis(300));
            }
            HttpRequest request = b.build();
            Thread caller = Thread.ofVirtual().name("E67-caller").start(() -> {
                try (HttpResponse r = t.roundTrip(request)) {
                    if (c == Case.WROTE_HEADERS_THEN_ANSWER_READ) {
                        // wroteHeaders may come after the answer reached the caller (E91), and not at all once the body's
                        // end reported done() (E27): the callback is let block before the body is read.
                        listener.entered.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    outcome.set(r.body().string());
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            try {
                assertThat(listener.entered.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                switch (c) {
                    case FIRST_BYTE_THEN_TRANSPORT_CLOSE -> t.close();
                    case FIRST_BYTE_THEN_INTERRUPT -> caller.interrupt();
                    default -> { }
                }
                // The callback still blocks: the request ends all the same (its done() waits at most a bound).
                assertThat(caller.join(Duration.ofSeconds(20))).as("the request ended while its listener blocked; events %s",
                        listener.events).isTrue();
                assertThat(listener.events).as("done() is still the request's last event").doesNotContain("done");
            } finally {
                listener.release.countDown();
            }
            switch (c) {
                case FIRST_BYTE_THEN_TIMEOUT -> assertThat(outcome.get()).isInstanceOfSatisfying(HttpTimeoutException.class,
                        e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
                case FIRST_BYTE_THEN_TRANSPORT_CLOSE -> assertThat(outcome.get()).isInstanceOfSatisfying(
                        RequestCancelledException.class,
                        e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
                case FIRST_BYTE_THEN_INTERRUPT -> assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
                case WROTE_HEADERS_THEN_ANSWER_READ -> assertThat(outcome.get()).isEqualTo("ok");
            }
            // Reported by the callback as it returns: once, after it.
            assertThat(listener.done.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            String blocked = listener.blocking;
            assertThat(listener.events).containsSubsequence(blocked, blocked + " returned", "done");
            assertThat(listener.events.stream().filter("done"::equals)).hasSize(1);
            assertThat(listener.events.getLast()).isEqualTo("done");
            if (c != Case.FIRST_BYTE_THEN_TRANSPORT_CLOSE) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            t.close();
            TransportStats s = t.stats();
            assertThat(s.open() + s.inUse() + s.idle() + s.dialing() + s.waiting()).isZero();
        }
    }
}
