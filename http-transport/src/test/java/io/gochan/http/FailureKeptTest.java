package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * E77: what user code throws on a request's way (its {@link Dialer}, the close of the socket it returned, the
 * listener's {@code done} of a failed request) reaches the caller, never lost, and never replaces the request's own
 * failure: one that comes after it is added to it as suppressed, or, an {@link Error} the caller must see (E20),
 * carries it as suppressed.
 */
@NoGoroutineLeaks
class FailureKeptTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A real loopback connection whose streams cannot be had and whose close fails after closing it. */
    private static class BrokenSocket extends Socket {
        BrokenSocket(int port) throws IOException {
            super("127.0.0.1", port);
        }

        @Override
        public InputStream getInputStream() throws IOException {
            throw new IOException("the input stream is gone (test)");
        }

        @Override
        public synchronized void close() throws IOException {
            super.close();
            throw new IOException("close failed too (test)");
        }
    }

    /** The outcome of one request on its own thread, bounded so a hang fails the test instead of stalling it. */
    private static Object outcome(Transport t, RawServer server) throws InterruptedException {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread th = Thread.ofVirtual().start(() -> {
            // A timeout of its own: a request that never hears of its dial fails by it, not by hanging the test.
            HttpRequest req = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            try (HttpResponse r = t.roundTrip(req)) {
                out.set(r.status());
            } catch (Throwable e) {
                out.set(e);
            }
        });
        boolean ended = th.join(Duration.ofSeconds(20));
        if (!ended) {
            th.interrupt();
            th.join(Duration.ofSeconds(20));
        }
        assertThat(ended).as("the request ended").isTrue();
        return out.get();
    }

    @Test
    void E77_aDialersErrorReachesItsRequest() throws Exception {
        AssertionError thrown = new AssertionError("the dialer's own assertion (test)");
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().dialer((host, port, timeout) -> {
                 throw thrown;
             }).build()) {
            Object o = outcome(t, server);
            assertThat(o).isInstanceOf(Throwable.class);
            Throwable f = (Throwable) o;
            assertThat(f == thrown || f.getCause() == thrown).as("the dialer's Error, or its cause: " + f).isTrue();
        }
    }

    @Test
    void E77_aDialedSocketsFailedCloseIsSuppressedNotInPlaceOfTheFailure() throws Exception {
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().dialer((host, port, timeout) -> new BrokenSocket(port)).build()) {
            Object o = outcome(t, server);
            assertThat(o).isInstanceOf(IOException.class);
            Throwable f = (Throwable) o;
            assertThat(f).hasMessageContaining("the input stream is gone");
            assertThat(f.getSuppressed()).extracting(Throwable::getMessage).contains("close failed too (test)");
        }
    }

    @Test
    void E77_aDoneListenersErrorCarriesTheRequestsOwnFailure() throws Exception {
        AssertionError thrown = new AssertionError("the listener's own assertion in done (test)");
        RequestListener listener = new RequestListener() {
            @Override
            public void done(HttpRequest request, Throwable err) {
                throw thrown;
            }
        };
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().listener(listener).dialer((host, port, timeout) -> {
                 throw new java.net.ConnectException("refused (test)");
             }).build()) {
            Object o = outcome(t, server);
            assertThat(o).isSameAs(thrown);
            assertThat(thrown.getSuppressed()).extracting(Throwable::getMessage).anyMatch(m -> m.contains("refused (test)"));
        }
    }

    /** As {@link BrokenSocket}, but its close fails unchecked, as a wrapper library's socket may. */
    private static final class UncheckedBrokenSocket extends BrokenSocket {
        UncheckedBrokenSocket(int port) throws IOException {
            super(port);
        }

        @Override
        public synchronized void close() {
            try {
                super.close();
            } catch (IOException expected) {
                // BrokenSocket's own failure: this one fails unchecked instead
            }
            throw new IllegalStateException("close failed unchecked (test)");
        }
    }

    /**
     * E84, E77: a dialed socket whose streams cannot be had is closed, and an unchecked failure of that close is added
     * to the connection's failure as suppressed, as an {@code IOException} is. Before, it was thrown in its place.
     */
    @Test
    void E84_aDialedSocketsUncheckedCloseFailureIsSuppressedNotInPlaceOfTheFailure() throws Exception {
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().dialer((host, port, timeout) -> new UncheckedBrokenSocket(port)).build()) {
            Object o = outcome(t, server);
            assertThat(o).isInstanceOf(IOException.class);
            Throwable f = (Throwable) o;
            assertThat(f).hasMessageContaining("the input stream is gone");
            assertThat(f.getSuppressed()).extracting(Throwable::getMessage).contains("close failed unchecked (test)");
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * E84, E2: a pooled connection whose socket fails unchecked when asked whether bytes wait on it (its input's
     * {@code available()}, looked at as a request takes it from the pool) is neither lost nor fatal to the request: the
     * look counts as "nothing waiting" (the request's write or the read loop then says whether the socket works), the
     * request is served, and the connection is counted until it closes. Before, the exception left the pool's lock with
     * the connection taken off the idle list and on no other: the request failed with it, and the connection kept its
     * slot for good.
     */
    @Test
    void E84_aPooledSocketWhoseLookFailsUncheckedIsNeitherLostNorFatal() throws Exception {
        AtomicBoolean lookFails = new AtomicBoolean();
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().dialer(HookedSocket.dialer(() -> new HookedSocket() {
                 @Override
                 protected int availableIn(InputStream raw) throws IOException {
                     if (lookFails.get()) {
                         throw new IllegalStateException("available() failed unchecked (test)");
                     }
                     return raw.available();
                 }
             })).build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
            // The scenario needs the connection pooled: its request is made again only if E138 closed it instead.
            idle.warmUntilIdle(t, () -> assertThat(Leaks.outcomeWithin10s("first request", () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    return r.body().string();
                }
            })).isEqualTo("ok"));
            lookFails.set(true);
            assertThat(Leaks.outcomeWithin10s("request on the pooled connection", () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    return r.body().string();
                }
            })).isEqualTo("ok");
            t.closeIdleConnections();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection was closed and no longer counted");
        }
    }

    /**
     * E84: a socket the user's {@link Dialer} returned whose {@code close()} closes it and then throws an unchecked
     * exception (a wrapper library's {@code UncheckedIOException}, a test's assertion). {@code PersistConn.closeSockets()}
     * caught only {@code IOException}, so the connection's first close stopped half-way: {@code closed} was set, but its
     * slot was never released and {@code closech} never closed. Every later close of it waited for closech without end
     * ({@code awaitClosech}, not interruptible): the read loop's final close (a goroutine left for good), a body read
     * at its end (the caller's thread hangs in {@code body().string()}), and {@code Transport.close()}. With
     * maxConnsPerHost(1) the host's one slot was never freed: every later request waited for good.
     */
    @Test
    void E84_aDialedSocketWhoseCloseThrowsUncheckedStillEndsItsConnectionAndNothingHangs() throws Exception {
        AtomicInteger throwsLeft = new AtomicInteger(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() != null) {
                     c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder()
                     .maxConnsPerHost(1)
                     .dialer((host, port, timeout) -> {
                         Socket s = new Socket() {
                             @Override
                             public void close() throws IOException {
                                 super.close();
                                 if (throwsLeft.getAndDecrement() > 0) {
                                     throw new IllegalStateException("the socket closed, then its close failed (test)");
                                 }
                             }
                         };
                         s.connect(new InetSocketAddress(host, port));
                         return s;
                     })
                     .build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(5)).build();
            // "ok", or the close's own failure if the caller's thread closed first: either, but it must end.
            Leaks.outcomeWithin10s("first request", () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    return r.body().string();
                }
            });
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the failed close still freed the connection's slot");
            assertThat(Leaks.outcomeWithin10s("second request", () -> {
                try (HttpResponse r = t.roundTrip(get)) {
                    return r.body().string();
                }
            })).isEqualTo("ok");
            assertThat(Leaks.outcomeWithin10s("Transport.close()", () -> {
                t.close();
                return "closed";
            })).isEqualTo("closed");
        }
    }

}
