package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.testing.TimerDiagnostics;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * P94: while a response body held in memory is in the caller's hands, its request's end (P93) is watched by one watch
 * of its exchange (a streamed body's, by its read loop's select, which registers nothing): at most one registration with the request's context and, only for an own deadline that
 * comes before the context's, one timer; and all of it is gone once the exchange ends, however it ends: the body read to
 * its end, closed, failed by a read after the transport's close (the body never closed), or dropped and reclaimed by
 * the collector. Counted where they live: the context's registrations ({@code childCount}, as the channels module's
 * context tests count them) and the scheduled timers ({@link TimerDiagnostics}). Before, a body held in memory armed a
 * timer for its request's own deadline even when the context's came first, and its watch stayed registered with the
 * context and in the timers, holding its exchange and connection, when the body ended without a read to its end or a
 * close.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RequestEndWatchTest {
    private static final long WAIT_SECONDS = 20;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** The body's shape: arrived whole with the head (held in memory), or streamed (chunked). */
    enum Shape { HELD_IN_MEMORY, STREAMED }

    /** How the body ends while the request goes on. */
    enum BodyEnd { READ_TO_ITS_END, CLOSED, FAILED_AFTER_THE_TRANSPORTS_CLOSE }

    /** Which deadline of the request comes first: its context's, or its own (under a context without one). */
    enum FirstDeadline { THE_CONTEXTS, ITS_OWN }

    @ParameterizedTest(name = "{0}, {1}, {2}")
    @MethodSource("cases")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P94_oneWatchPerExchangeGoneWhenTheBodyEnds(Shape shape, BodyEnd end, FirstDeadline first) throws Exception {
        try (RawServer server = answering(shape); Transport t = Transport.builder().build()) {
            CancellableContext ctx = first == FirstDeadline.THE_CONTEXTS
                    ? Context.withTimeout(Context.background(), Duration.ofMinutes(10))
                    : Context.withCancel(Context.background());
            try {
                int timersBefore = TimerDiagnostics.pendingTasks(); // the context's own deadline counted already
                Duration own = first == FirstDeadline.THE_CONTEXTS ? Duration.ofMinutes(20) : Duration.ofMinutes(10);
                HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).timeout(own).build(), ctx);
                assertThat(r.status()).isEqualTo(200);
                if (shape == Shape.HELD_IN_MEMORY) {
                    // The body lies unread: one watch, armed by the read loop after the hand-over: once its
                    // registration with the context is there, its timer, armed first, is too.
                    Leaks.awaitTrue(() -> registrations(ctx) >= 1, "the request's end watched");
                    assertThat(registrations(ctx)).as("registrations with the request's context").isEqualTo(1);
                    assertThat(TimerDiagnostics.pendingTasks() - timersBefore).as("timers for the request's end")
                            .isLessThanOrEqualTo(first == FirstDeadline.THE_CONTEXTS ? 0 : 1);
                } else {
                    // A streamed body's read loop waits on the request's end in its select (Go's readLoop): nothing
                    // registered with the context, no timer.
                    assertThat(registrations(ctx)).as("registrations with the request's context").isZero();
                    assertThat(TimerDiagnostics.pendingTasks()).as("timers").isLessThanOrEqualTo(timersBefore);
                }
                switch (end) {
                    case READ_TO_ITS_END -> assertThat(r.body().stream().readAllBytes()).hasSize(5);
                    case CLOSED -> r.close();
                    case FAILED_AFTER_THE_TRANSPORTS_CLOSE -> {
                        t.close();
                        assertThatThrownBy(() -> r.body().stream().read()).isInstanceOf(IOException.class);
                    }
                }
                // The response is still held (and, but for CLOSED, its body open): nothing of the watch is left.
                Leaks.awaitTrue(() -> registrations(ctx) == 0, "nothing registered with the context");
                Leaks.awaitTrue(() -> TimerDiagnostics.pendingTasks() <= timersBefore, "no timer left");
                assertThat(ctx.err()).as("the context lives on").isNull();
                r.close();
            } finally {
                ctx.cancel();
            }
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(Shape.values()).flatMap(s -> Stream.of(BodyEnd.values()).flatMap(e -> Stream.of(
                FirstDeadline.values()).map(f -> Arguments.of(s, e, f))));
    }

    /**
     * P94, E22: a body dropped unread under a context that lives on, with its own timeout far off, is reclaimed by the
     * collector's watch, and its exchange's watch of the request's end goes with it: nothing stays registered with the
     * context or in the timers until the context or the timeout ends.
     */
    @ParameterizedTest
    @EnumSource(Shape.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P94_aReclaimedBodyLeavesNoWatchBehind(Shape shape) throws Exception {
        try (RawServer server = answering(shape); Transport t = Transport.builder().build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            try {
                int timersBefore = TimerDiagnostics.pendingTasks();
                dropResponse(t, HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofMinutes(10)).build(), ctx);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
                while ((t.stats().open() != 0 || registrations(ctx) != 0 || TimerDiagnostics.pendingTasks() > timersBefore)
                        && System.nanoTime() < deadline) {
                    System.gc();
                    Thread.yield();
                }
                assertThat(t.stats().open()).as("connection of the dropped body reclaimed").isZero();
                assertThat(registrations(ctx)).as("registrations with the context").isZero();
                assertThat(TimerDiagnostics.pendingTasks()).as("timers").isLessThanOrEqualTo(timersBefore);
            } finally {
                ctx.cancel();
            }
        }
    }

    /** P94: a request under a context that never ends and without a timeout of its own arms nothing at all. */
    @ParameterizedTest
    @EnumSource(Shape.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P94_nothingToWatchArmsNothing(Shape shape) throws Exception {
        try (RawServer server = answering(shape); Transport t = Transport.builder().build()) {
            int timersBefore = TimerDiagnostics.pendingTasks();
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build(), Context.background())) {
                assertThat(TimerDiagnostics.pendingTasks()).as("timers").isLessThanOrEqualTo(timersBefore);
                assertThat(r.body().stream().readAllBytes()).hasSize(5);
            }
        }
    }

    private static RawServer answering(Shape shape) throws IOException {
        String response = shape == Shape.HELD_IN_MEMORY ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        return RawServer.start(c -> {
            while (c.readRequest() != null) {
                c.write(response);
            }
        });
    }

    private static void dropResponse(Transport t, HttpRequest request, Context ctx) throws Exception {
        HttpResponse r = t.roundTrip(request, ctx);
        assertThat(r.status()).isEqualTo(200); // and then forget r without closing it: its frame ends here
    }

    /** The registrations with {@code ctx} (children and afterFuncs): package-private in io.gochan, asked reflectively. */
    private static int registrations(Context ctx) {
        try {
            Method childCount = Class.forName("io.gochan.Contexts$CancelContext").getDeclaredMethod("childCount");
            childCount.setAccessible(true);
            return (int) childCount.invoke(ctx);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the context's registrations could not be counted", e);
        }
    }
}
