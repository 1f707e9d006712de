package io.gochan.http;

import static io.gochan.http.testing.HostileExceptions.isOrCausedBy;
import static io.gochan.http.testing.HostileExceptions.typeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E48, E20, E77: a throwable of the caller's code whose own text is code that throws ({@code toString()} and
 * {@code getMessage()} fail) reaches the request it belongs to as it is, and no loop of the transport dies of it. The
 * transport put that text into its messages inside the handling of the very failure, and its exception took the
 * failure's place. The throwables come from {@link HostileExceptions}. No assertion here formats such a throwable
 * (AssertJ would call its {@code toString()} to describe a failure): they compare by identity and name classes.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ThrowingTextTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Answers every request "ok" but a {@code POST /silent}, which it reads and leaves unanswered: that request's
     * outcome is its write path's alone.
     */
    private static RawServer answeringAllButSilent() throws java.io.IOException {
        return RawServer.start(c -> {
            for (String raw; (raw = c.readRawRequest()) != null; ) {
                if (!raw.startsWith("POST /silent ")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    /** Records the transport goroutines that die of an uncaught throwable; {@link #close()} puts the old handler back. */
    private static final class LoopDeaths implements AutoCloseable {
        final Queue<String> deaths = new ConcurrentLinkedQueue<>();
        private final BiConsumer<Goroutine, Throwable> previous;

        LoopDeaths() {
            // Recorded by name and type only: the throwable may be one whose text throws.
            previous = Goroutines.setUncaughtExceptionHandler((g, e) -> {
                if (g.name().startsWith("http-")) {
                    deaths.add(g.name() + " died of a " + typeOf(e));
                }
            });
        }

        @Override
        public void close() {
            Goroutines.setUncaughtExceptionHandler(previous);
        }
    }

    /** The next request on the same transport is served: nothing of the failed one is left in its way. */
    private static void nextRequestServed(Transport t, RawServer server) throws Exception {
        try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
            assertThat(next.body().string()).isEqualTo("ok");
        }
        Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
    }

    /**
     * E48 (E6): a body source whose read throws a {@link RuntimeException} whose {@code toString()} throws. The caller
     * gets that very exception (thrown as it is, E6, E48; the transport's internal {@code BodySourceException} that
     * carries it on the write loop never reaches a caller), promptly; its body is opened once (not retried) and
     * closed; the connection is closed, the next request served, no loop dies. Before: the carrier's message asked
     * the exception's {@code toString()}, whose {@code IllegalStateException} left the write loop's catch in its
     * place; it was taken for the connection failing after bytes went out, and the caller got an
     * {@code HttpConnectionException} after the early-response grace: "the caller got the source's own exception"
     * failed.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E48_aBodySourceExceptionWhoseTextThrowsReachesTheCallerAsItIs() throws Exception {
        RuntimeException bug = HostileExceptions.runtime();
        AtomicInteger opened = new AtomicInteger();
        AtomicBoolean closed = new AtomicBoolean();
        try (LoopDeaths loops = new LoopDeaths()) {
            try (RawServer server = answeringAllButSilent(); Transport t = Transport.builder().build()) {
                RequestBody body = RequestBody.ofStream(() -> {
                    opened.incrementAndGet();
                    return new InputStream() {
                        @Override
                        public int read() {
                            throw bug;
                        }

                        @Override
                        public int read(byte[] b, int off, int len) {
                            throw bug;
                        }

                        @Override
                        public void close() {
                            closed.set(true);
                        }
                    };
                }, 10, "application/octet-stream");
                HttpRequest post = HttpRequest.newBuilder(server.uri("/silent")).POST(body).build();
                Caller<Integer> caller = Caller.virtual("E48-hostile-source", () -> {
                    try (HttpResponse r = t.roundTrip(post)) {
                        return r.status();
                    }
                });
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("the request ended within %s", Lifecycle.BOUND).isTrue();
                Throwable got = caller.error();
                assertThat(got == bug).as("the caller got the source's own exception (got a %s)", typeOf(got)).isTrue();
                assertThat(opened.get()).as("the body opened once: never retried").isEqualTo(1);
                assertThat(closed.get()).as("the body's stream closed").isTrue();
                nextRequestServed(t, server);
                assertThat(server.failures()).isEmpty();
            }
            assertThat(loops.deaths).as("connection loops that died").isEmpty();
        }
    }

    /** Where the listener throws its {@link HostileExceptions#error() hostile Error}. */
    enum Callback {
        /** On the write loop, once the head is flushed (E91). */
        WROTE_HEADERS,
        /** On the write loop, once the request is written. */
        WROTE_REQUEST,
        /** On the read loop, at the response's first byte. */
        GOT_FIRST_RESPONSE_BYTE
    }

    /**
     * E20, E48: a {@code RequestListener} callback on a connection's loop throws an {@link Error} whose
     * {@code toString()} throws. On the write loop ({@code wroteHeaders}, {@code wroteRequest}) the caller gets that
     * very Error (the server never answers it); on the read loop ({@code gotFirstResponseByte}) the request fails with
     * it as the cause (E20). Either way the request body's stream is closed, the next request served, and no loop
     * dies of the text. Before: the write loop's carrier, or the read loop's end, asked the Error's
     * {@code toString()}: from {@code wroteHeaders} the caller got an {@code HttpConnectionException} after the
     * early-response grace; from {@code wroteRequest} the write loop died before it reported, the connection closed
     * under the request (a recorded loop death, and not the caller's Error); from {@code gotFirstResponseByte} the
     * read loop died and the request failed with a bare "connection closed (read loop ended)", the Error nowhere in it.
     */
    @ParameterizedTest
    @EnumSource(Callback.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E20_aListenersErrorWhoseTextThrowsReachesItsRequestAndNoLoopDies(Callback where) throws Exception {
        AssertionError bug = HostileExceptions.error();
        String path = where == Callback.GOT_FIRST_RESPONSE_BYTE ? "/upload" : "/silent";
        RequestListener listener = new RequestListener() {
            @Override
            public void wroteHeaders(HttpRequest request) {
                if (where == Callback.WROTE_HEADERS && request.uri().getPath().equals(path)) {
                    throw bug;
                }
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable err) {
                if (where == Callback.WROTE_REQUEST && request.uri().getPath().equals(path)) {
                    throw bug;
                }
            }

            @Override
            public void gotFirstResponseByte(HttpRequest request) {
                if (where == Callback.GOT_FIRST_RESPONSE_BYTE && request.uri().getPath().equals(path)) {
                    throw bug;
                }
            }
        };
        try (LoopDeaths loops = new LoopDeaths()) {
            try (RawServer server = answeringAllButSilent(); Transport t = Transport.builder().listener(listener).build()) {
                TrackedStream body = new TrackedStream("abc".getBytes(StandardCharsets.ISO_8859_1));
                HttpRequest post = HttpRequest.newBuilder(server.uri(path))
                        .POST(RequestBody.ofStreamOnce(body, 3, "text/plain")).build();
                Caller<String> caller = Caller.virtual("E20-hostile-listener", () -> {
                    try (HttpResponse r = t.roundTrip(post)) {
                        return r.body().string();
                    }
                });
                boolean ended = caller.join(Lifecycle.BOUND);
                caller.abandon(t::close);
                assertThat(ended).as("the request ended within %s", Lifecycle.BOUND).isTrue();
                Throwable got = caller.error();
                if (where == Callback.GOT_FIRST_RESPONSE_BYTE) {
                    assertThat(isOrCausedBy(got, bug))
                            .as("the request failed with the listener's Error as its cause (got a %s)", typeOf(got)).isTrue();
                } else {
                    assertThat(got == bug).as("the caller got the listener's own Error (got a %s)", typeOf(got)).isTrue();
                }
                Leaks.awaitTrue(() -> body.closed.get(), "the request body's stream closed");
                nextRequestServed(t, server);
                assertThat(server.failures()).isEmpty();
            }
            assertThat(loops.deaths).as("connection loops that died").isEmpty();
        }
    }

    /** What the {@link Dialer} throws. */
    enum Thrown {
        /** A {@link HostileExceptions#runtime() hostile RuntimeException}: the request fails with it as the cause. */
        RUNTIME_EXCEPTION,
        /** A {@link HostileExceptions#error() hostile Error}: the request fails with it, as it is (E77). */
        ERROR
    }

    /**
     * E77, E48: a {@link Dialer} throws an exception whose {@code toString()} throws. The request that dialed gets it,
     * promptly (its own timeout is a minute): an {@link Error} as it is, a {@link RuntimeException} as the cause of the
     * dial's failure. Before: the dial goroutine built its message from the exception's {@code toString()}, whose
     * {@code IllegalStateException} ended the goroutine before it reported the dial's outcome, and the request waited
     * for it until its own timeout: "ended" failed after 10 s.
     */
    @ParameterizedTest
    @EnumSource(Thrown.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E77_whatADialerThrowsReachesItsRequestAlsoWhenItsTextThrows(Thrown kind) throws Exception {
        Throwable bug = kind == Thrown.ERROR ? HostileExceptions.error() : HostileExceptions.runtime();
        try (LoopDeaths loops = new LoopDeaths()) {
            try (RawServer server = RawServer.answeringOk();
                 Transport t = Transport.builder().dialer((host, port, timeout) -> {
                     if (bug instanceof Error e) {
                         throw e;
                     }
                     throw (RuntimeException) bug;
                 }).build()) {
                HttpRequest get = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofMinutes(1)).build();
                Object outcome = Leaks.outcomeWithin10s("the request whose dial failed", () -> {
                    try (HttpResponse r = t.roundTrip(get)) {
                        return r.status();
                    }
                });
                assertThat(outcome instanceof Throwable).as("the request failed (got a %s)", typeOf(outcome)).isTrue();
                Throwable f = (Throwable) outcome;
                if (kind == Thrown.ERROR) {
                    assertThat(f == bug).as("the dialer's own Error (got a %s)", typeOf(f)).isTrue();
                } else {
                    assertThat(f instanceof HttpConnectionException && f.getCause() == bug)
                            .as("an HttpConnectionException caused by the dialer's exception (got a %s)", typeOf(f)).isTrue();
                }
                Lifecycle.await(() -> t.stats().open() == 0 && t.stats().dialing() == 0, Lifecycle.BOUND,
                        "no connection or dial left");
            }
            assertThat(loops.deaths).as("transport goroutines that died").isEmpty();
        }
    }
}
