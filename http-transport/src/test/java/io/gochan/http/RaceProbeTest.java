package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Races a hostile tester would probe, each made deterministic: the moment that matters is held open by
 * a {@link RequestListener} callback (which runs on the caller's thread between the transport's steps)
 * until the other party has acted, and the test then checks what the request and its resources became.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RaceProbeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A request body stream that records whether it was closed. */
    private static final class TrackedStream extends ByteArrayInputStream {
        final AtomicBoolean closed = new AtomicBoolean();

        TrackedStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public void close() throws IOException {
            closed.set(true);
            super.close();
        }
    }

    private static boolean writeLoopsAlive() {
        return Leaks.transportGoroutines().stream().anyMatch(g -> g.name().startsWith("http-write-loop"));
    }

    /**
     * E17: the server closes a pooled connection just after a POST took it from the pool, and the
     * connection's write loop ends before the POST is handed to it. The POST fails (it is not replayable,
     * so it is not retried), and the body stream the transport opened for it is closed all the same:
     * before the fix it stayed in the dead connection's write queue, open for good (a file handle, for a
     * body read from a file).
     */
    @Test
    void E17_aBodyOpenedForAConnectionThatDiedBeforeItsWriteLoopTookItIsClosed() throws Exception {
        CountDownLatch closeIdle = new CountDownLatch(1);
        List<TrackedStream> opened = new CopyOnWriteArrayList<>();
        RequestListener holdPostUntilTheConnectionIsDead = new RequestListener() {
            @Override
            public void gotConn(HttpRequest request, boolean reused) {
                if (request.method().equals("POST")) {
                    assertThat(reused).isTrue();
                    closeIdle.countDown(); // the server closes the connection the POST just took
                    Leaks.awaitTrue(() -> !writeLoopsAlive(), "the dead connection's write loop ended");
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 closeIdle.await(); // then close, with no request read: an idle close
             });
             Transport t = Transport.builder().listener(holdPostUntilTheConnectionIsDead).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            HttpRequest post = HttpRequest.newBuilder(server.uri("/")).POST(RequestBody.ofStream(() -> {
                TrackedStream s = new TrackedStream("abc".getBytes());
                opened.add(s);
                return s;
            }, 3, "text/plain")).build();
            assertThatThrownBy(() -> t.roundTrip(post)).isInstanceOf(IOException.class);
            assertThat(opened).hasSize(1);
            assertThat(opened.get(0).closed).as("the request body stream closed").isTrue();
            assertThat(server.accepted()).as("a POST is not retried").isEqualTo(1);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        }
    }
}
