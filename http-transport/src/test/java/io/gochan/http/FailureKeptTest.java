package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E77: what user code throws on a request's way (its {@link Dialer}, the close of the socket it returned, the
 * listener's {@code done} of a failed request) reaches the caller, never lost, and never replaces the request's own
 * failure: one that comes after it is added to it as suppressed, or, an {@link Error} the caller must see (E20),
 * carries it as suppressed.
 */
@NoGoroutineLeaks
class FailureKeptTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A real loopback connection whose streams cannot be had and whose close fails after closing it. */
    private static final class BrokenSocket extends Socket {
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
}
