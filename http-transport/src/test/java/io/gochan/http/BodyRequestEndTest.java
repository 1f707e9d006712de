package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/**
 * P93: the end of a request (its context cancelled, its own timeout, an {@link HttpClient}'s overall timeout) that
 * comes while its response body is unread closes the connection at that moment, whatever the body's shape: streamed,
 * or held in memory because it arrived whole with its head. Go's read loop waits for every body on its request's
 * context and closes the connection when it ends; a body held in memory was only looked at by its next read, so its
 * connection stayed open and in use (a slot of {@code maxConnsPerHost} taken) until the caller read or closed it, or
 * for ever while the caller kept the response.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class BodyRequestEndTest {
    private static final long WAIT_SECONDS = 20;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the request ends while its body lies unread. */
    enum End { CONTEXT_CANCELLED, REQUEST_TIMEOUT, CLIENT_TIMEOUT }

    /** The body's shape: arrived whole with the head (held in memory), or streamed (chunked, the control). */
    enum Shape { HELD_IN_MEMORY, STREAMED }

    @ParameterizedTest(name = "{0}, {1}")
    @org.junit.jupiter.params.provider.MethodSource("cases")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P93_theRequestsEndClosesTheConnectionOfItsUnreadBody(End end, Shape shape) throws Exception {
        CountDownLatch serverSawClose = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write(shape == Shape.HELD_IN_MEMORY ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                         : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
                 if (c.in.read() < 0) {
                     serverSawClose.countDown();
                 }
             });
             Transport t = Transport.builder().build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/"));
            if (end == End.REQUEST_TIMEOUT) {
                b.timeout(Duration.ofMillis(300));
            }
            HttpResponse r = end == End.CLIENT_TIMEOUT
                    ? HttpClient.builder(t).timeout(Duration.ofMillis(300)).build().send(b.build())
                    : t.roundTrip(b.build(), ctx);
            try (r) {
                if (end == End.CONTEXT_CANCELLED) {
                    ctx.cancel();
                }
                // The body is neither read nor closed: the request's end alone must close its connection.
                assertThat(serverSawClose.await(WAIT_SECONDS, TimeUnit.SECONDS))
                        .as("the connection was closed when the request ended").isTrue();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "no connection open or in use");
                assertThatThrownBy(() -> r.body().stream().read()).isInstanceOf(IOException.class)
                        .satisfies(e -> assertThat(e).isInstanceOfAny(RequestCancelledException.class,
                                HttpTimeoutException.class));
            } finally {
                ctx.cancel();
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(server.failures()).isEmpty();
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return java.util.stream.Stream.of(End.values()).flatMap(e -> java.util.stream.Stream.of(Shape.values())
                .map(s -> org.junit.jupiter.params.provider.Arguments.of(e, s)));
    }

    /**
     * P93, E22: the watch of the request's end holds no reference to the body, so a body held in memory that the caller
     * drops unread, under a context that lives on and with a timeout far off, is still reclaimed by the collector's
     * watch, its connection closed.
     */
    @org.junit.jupiter.api.Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P93_aDroppedBodyUnderALiveContextIsStillReclaimed() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
                 }
             });
             Transport t = Transport.builder().build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            try {
                dropResponse(t, HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofMinutes(10)).build(), ctx);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
                while (t.stats().open() != 0 && System.nanoTime() < deadline) {
                    System.gc();
                    Thread.yield();
                }
                assertThat(t.stats().open()).as("connection of the dropped body reclaimed").isZero();
            } finally {
                ctx.cancel();
            }
        }
    }

    private static void dropResponse(Transport t, HttpRequest request, Context ctx) throws Exception {
        HttpResponse r = t.roundTrip(request, ctx);
        assertThat(r.status()).isEqualTo(200); // and then forget r without closing it: its frame ends here
    }
}
