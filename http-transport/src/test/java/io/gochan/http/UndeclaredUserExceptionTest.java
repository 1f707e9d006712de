package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E118 (docs/spec/transport-lifecycle.md): a checked exception that user code run for a request lets out undeclared
 * (Kotlin, a sneaky throw) costs that request alone, as an {@link Error} does (E20, E48, E77): it reaches the caller as
 * it is, once the request has given back what it holds (the connection it took, its body's stream), and the request's
 * one {@code done()} reports it (E22).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class UndeclaredUserExceptionTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A checked exception no signature of the transport declares. */
    static final class UserChecked extends Exception {
        private static final long serialVersionUID = 1L;

        UserChecked(String message) {
            super(message);
        }
    }

    /** Where user code, run for the probed request, lets the checked exception out. */
    enum Where {
        GET_CONN, GOT_CONN, WROTE_HEADERS, WROTE_REQUEST, BODY_OPENER, PROXY_FUNCTION, BODY_READ, BODY_CLOSE
    }

    private static RequestListener throwingIn(Where where, Exception thrown, List<Throwable> dones) {
        AtomicBoolean once = new AtomicBoolean();
        return new RequestListener() {
            private void maybeThrow(Where at, HttpRequest request) {
                if (at == where && probed(request) && once.compareAndSet(false, true)) {
                    throw HostileExceptions.<RuntimeException>undeclared(thrown);
                }
            }

            @Override
            public void getConn(HttpRequest request, String hostPort) {
                maybeThrow(Where.GET_CONN, request);
            }

            @Override
            public void gotConn(HttpRequest request, boolean reused) {
                maybeThrow(Where.GOT_CONN, request);
            }

            @Override
            public void wroteHeaders(HttpRequest request) {
                maybeThrow(Where.WROTE_HEADERS, request);
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable err) {
                maybeThrow(Where.WROTE_REQUEST, request);
            }

            @Override
            public void done(HttpRequest request, Throwable err) {
                if (probed(request)) {
                    dones.add(err == null ? new Throwable("done() without an error") : err);
                }
            }
        };
    }

    private static boolean probed(HttpRequest request) {
        return request.uri().getPath().equals("/probed");
    }

    /** Reads every request; answers all but the probed one, whose outcome is then its write path's alone. */
    private static RawServer server() throws java.io.IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRawRequest()) != null; ) {
                if (!head.startsWith("POST /probed ")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    /**
     * An undeclared checked exception of a listener on the caller's thread ({@code getConn}, {@code gotConn}), of one
     * on the write loop ({@code wroteHeaders}, {@code wroteRequest}), of the body's opener or of the proxy function
     * fails its request with that very exception; its body's stream is closed, its one {@code done()} reports it, the
     * connection it took is given back (under {@code maxConnsPerHost(1)} the next request gets one at once), and no
     * loop dies of it. So too from the body's stream, its {@code read} or its {@code close} on the write loop (E48:
     * the request's own failure, thrown as it is), whose {@code done()} was never reported before. Before: from
     * {@code gotConn} it went past the catch of {@code Error} with the connection taken,
     * which stayed counted in use for good, and the host's next request waited for it for ever; from {@code getConn},
     * the opener or the proxy function it went past every catch of {@code roundTrip}: no {@code done()}, and (getConn)
     * the opened body's stream left open; from {@code wroteRequest} it ended the write loop before its report, the
     * connection closed under the request, which failed as that connection's failure; from {@code wroteHeaders} the
     * request failed as an {@link HttpConnectionException} around it.
     */
    @ParameterizedTest
    @EnumSource(Where.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E118_anUndeclaredCheckedExceptionOfUserCodeFailsItsRequestWithItAndReleasesWhatItHolds(Where where)
            throws Exception {
        UserChecked thrown = new UserChecked("user code's checked exception, let out undeclared (test, " + where + ")");
        List<Throwable> dones = new CopyOnWriteArrayList<>();
        AtomicBoolean proxyThrown = new AtomicBoolean();
        java.util.Queue<String> loopDeaths = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.function.BiConsumer<io.gochan.Goroutine, Throwable> previous = io.gochan.Goroutines.setUncaughtExceptionHandler((g, e) -> {
            if (g.name().startsWith("http-")) {
                loopDeaths.add(g.name() + ": " + e);
            }
            io.gochan.Goroutines.defaultUncaughtExceptionHandler().accept(g, e);
        });
        try (RawServer server = server();
             Transport t = Transport.builder().maxConnsPerHost(1)
                     .listener(throwingIn(where, thrown, dones))
                     .proxy(r -> {
                         if (where == Where.PROXY_FUNCTION && probed(r) && proxyThrown.compareAndSet(false, true)) {
                             throw HostileExceptions.<RuntimeException>undeclared(thrown);
                         }
                         return Optional.<URI>empty();
                     })
                     .build()) {
            // A first request: the probed one then takes its idle connection, the host's only one.
            try (HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                assertThat(warm.body().string()).isEqualTo("ok");
            }
            TrackedStream stream = new TrackedStream("abc".getBytes());
            AtomicBoolean opened = new AtomicBoolean();
            RequestBody body = RequestBody.ofStream(() -> {
                opened.set(true);
                if (where == Where.BODY_OPENER) {
                    throw HostileExceptions.<RuntimeException>undeclared(thrown);
                }
                if (where == Where.BODY_READ || where == Where.BODY_CLOSE) {
                    return new java.io.FilterInputStream(stream) {
                        @Override
                        public int read(byte[] b, int off, int len) throws java.io.IOException {
                            if (where == Where.BODY_READ) {
                                throw HostileExceptions.<RuntimeException>undeclared(thrown);
                            }
                            return super.read(b, off, len);
                        }

                        @Override
                        public void close() throws java.io.IOException {
                            super.close();
                            if (where == Where.BODY_CLOSE) {
                                throw HostileExceptions.<RuntimeException>undeclared(thrown);
                            }
                        }
                    };
                }
                return stream;
            }, 3, "text/plain");
            HttpRequest post = HttpRequest.newBuilder(server.uri("/probed")).POST(body).build();
            Caller<Integer> caller = Caller.virtual("probed", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            assertThat(ended).as("request ended within %s", Lifecycle.BOUND).isTrue();
            assertThat(caller.error()).as("the request's failure").isSameAs(thrown);
            if (opened.get() && where != Where.BODY_OPENER) {
                assertThat(stream.closed.get()).as("the body's stream is closed").isTrue();
            }
            assertThat(dones).as("the request's one done()").containsExactly(thrown);
            // The connection the request took is given back: the host's next request gets one at once.
            Caller<String> next = Caller.virtual("next", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                    return r.body().string();
                }
            });
            boolean nextEnded = next.join(Lifecycle.BOUND);
            next.abandon(t::close);
            assertThat(nextEnded).as("the host's next request ended within %s (stats %s)", Lifecycle.BOUND, t.stats())
                    .isTrue();
            assertThat(next.error()).as("the next request's failure").isNull();
            assertThat(next.value()).isEqualTo("ok");
            Leaks.awaitTrue(() -> t.stats().inUse() == 0, "no connection in use");
        } finally {
            io.gochan.Goroutines.setUncaughtExceptionHandler(previous);
        }
        assertThat(loopDeaths).as("connection loops that died of it").isEmpty();
    }

    /**
     * E118 through {@link HttpClient}: a cookie jar whose {@code cookies()} lets a checked exception out undeclared fails
     * the send with it as it is, and a single-use body's stream, the caller's and open already, is closed (E92). Before,
     * it went past the catch of unchecked throwables, and the stream was left open.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E118_aCookieJarsUndeclaredCheckedExceptionClosesTheSingleUseBody() throws Exception {
        UserChecked thrown = new UserChecked("the jar's checked exception, let out undeclared (test)");
        CookieJar jar = new CookieJar() {
            @Override
            public void setCookies(URI uri, List<Cookie> cookies) {}

            @Override
            public List<Cookie> cookies(URI uri) {
                throw HostileExceptions.<RuntimeException>undeclared(thrown);
            }
        };
        try (RawServer server = server(); Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).cookieJar(jar).build();
            TrackedStream stream = new TrackedStream("abc".getBytes());
            HttpRequest post = HttpRequest.newBuilder(server.uri("/probed"))
                    .POST(RequestBody.ofStreamOnce(stream, 3, "text/plain")).build();
            Throwable failure = null;
            try (HttpResponse r = client.send(post)) {
                r.body().string();
            } catch (Throwable e) {
                failure = e;
            }
            assertThat(failure).as("the send's failure").isSameAs(thrown);
            assertThat(stream.closed.get()).as("the single-use body's stream is closed").isTrue();
        }
    }
}
