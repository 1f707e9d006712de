package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E64 (docs/spec/transport-lifecycle.md): a response body closed on another thread while a read of it is blocked
 * (the server sent part of it and stalls), whatever its framing (length, chunked, until the connection's close) and
 * on a virtual or a platform reader: the blocked read ends promptly with an {@link IOException}, never an EOF that
 * would pass a cut body off as complete, nor a hang; the connection is closed, never pooled; the request reports
 * exactly one {@code done()}; a read after the close throws, a second close does nothing; and the next request is
 * served on a new connection.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BodyCloseRaceProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Framing {
        LENGTH("Content-Length: 100\r\n\r\nab"),
        CHUNKED("Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n"),
        UNTIL_CLOSE("Connection: close\r\n\r\nab");

        final String rest;

        Framing(String rest) {
            this.rest = rest;
        }
    }

    static List<Arguments> cases() {
        List<Arguments> all = new java.util.ArrayList<>();
        for (Framing f : Framing.values()) {
            all.add(Arguments.of(f, true));
            all.add(Arguments.of(f, false));
        }
        return all;
    }

    @ParameterizedTest(name = "{0}, virtual reader: {1}")
    @MethodSource("cases")
    void E64_aBodyClosedOnAnotherThreadEndsItsBlockedReadWithAFailure(Framing framing, boolean virtual) throws Exception {
        Dones listener = new Dones();
        Map<HttpRequest, List<Throwable>> done = listener.done;
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 if (c.answerGet(head, "/next")) {
                     c.readUntilClosed();
                     return;
                 }
                 c.write("HTTP/1.1 200 OK\r\n" + framing.rest);
                 release.await(30, TimeUnit.SECONDS);
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().listener(listener).build()) {
            HttpRequest req = HttpRequest.newBuilder(server.uri("/stall")).header("Accept-Encoding", "identity").build();
            HttpResponse r = t.roundTrip(req);
            InputStream in = r.body().stream();
            assertThat(in.readNBytes(2)).hasSize(2);
            Caller<Integer> reader = Caller.start(virtual, "blocked-reader", in::read);
            Lifecycle.await(() -> !reader.thread.isAlive() || Lifecycle.inSocketRead(reader.thread), Duration.ofSeconds(20),
                    "the reader blocked in the body's read");
            Caller<Void> closer = Caller.virtual("closer", () -> {
                r.close();
                return null;
            });
            boolean closed = closer.join(Lifecycle.BOUND);
            boolean ended = reader.join(Lifecycle.BOUND);
            reader.abandon(t::close);
            closer.abandon(t::close);
            release.countDown();
            assertThat(closed).as("close() returned within %s", Lifecycle.BOUND).isTrue();
            assertThat(closer.error()).isNull();
            assertThat(ended).as("the blocked read ended within %s of the close", Lifecycle.BOUND).isTrue();
            assertThat(reader.value()).as("the blocked read answered, never an EOF of a cut body").isNull();
            assertThat(reader.error()).isInstanceOf(IOException.class);
            assertThatThrownBy(in::read).as("a read after the close").isInstanceOf(IOException.class);
            r.close(); // a second close does nothing
            Leaks.awaitTrue(() -> done.containsKey(req), "the request's done()");
            assertThat(done.get(req)).as("done() of the closed body's request").hasSize(1);
            TransportStats s = t.stats();
            assertThat(s.open()).as("open in %s", s).isZero();
            try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(next.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the next request on a new connection").isEqualTo(2);
            assertThat(done.values()).allSatisfy(l -> assertThat(l).hasSize(1));
        }
    }
}
