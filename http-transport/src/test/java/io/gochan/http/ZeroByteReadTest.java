package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * P80 end to end: the socket a {@link Dialer} returns whose input stream breaks {@code InputStream.read}'s contract by
 * returning 0 bytes. A few such reads are read past, and the response arrives whole; reads that return 0 for ever fail
 * the request with an exception that says the stream made no progress, in bounded time, the connection closed.
 */
@NoGoroutineLeaks
class ZeroByteReadTest {
    private static final String HELLO = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static HttpRequest bounded(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofSeconds(10)).build();
    }

    /** The messages of {@code e} and of its causes. */
    private static List<String> messages(Throwable e) {
        List<String> m = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            m.add(String.valueOf(t.getMessage()));
        }
        return m;
    }

    /**
     * P80: every read of the socket that gives bytes comes after 3 reads that give 0, the first read of the connection
     * (the read loop's wait for a response) included. Both responses arrive whole and the connection is reused.
     * Before, the read loop's first read took the 0 for the server's close: the request failed as
     * {@code SERVER_CLOSED_BEFORE_RESPONSE} ("server closed the connection before it was used" or "... before sending a
     * response").
     */
    @Test
    void P80_aSocketWhoseReadsReturnZeroBytesAtTimesStillDeliversWholeResponses() throws Exception {
        AtomicInteger zerosGiven = new AtomicInteger();
        Dialer zeros = HookedSocket.dialer(() -> new HookedSocket() {
            private final AtomicInteger sinceBytes = new AtomicInteger();

            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                if (len > 0 && sinceBytes.get() < 3) {
                    sinceBytes.incrementAndGet();
                    zerosGiven.incrementAndGet();
                    return 0;
                }
                sinceBytes.set(0);
                return raw.read(b, off, len);
            }
        });
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     c.write(HELLO);
                 }
             });
             Transport t = Transport.builder().dialer(zeros).build()) {
            for (int i = 0; i < 2; i++) {
                Object body = Leaks.outcomeWithin10s("request " + i, () -> {
                    try (HttpResponse r = t.roundTrip(bounded(server))) {
                        return r.body().string();
                    }
                });
                assertThat(body).as("request %d", i).isEqualTo("hello world");
            }
            assertThat(t.stats().dialed()).as("the connection was reused").isEqualTo(1);
            assertThat(zerosGiven.get()).as("reads that returned 0 bytes").isGreaterThanOrEqualTo(3);
        }
    }

    /**
     * P80: the socket's reads give the response's first bytes (its head and half its body, in one write) and then 0
     * bytes for ever. The request fails within 10 s with an {@link IOException} that says the stream made no progress
     * (the head's read or the body's, whichever met it), and the connection is closed. Before, the 0 was the end of the
     * stream: {@code PREMATURE_EOF} ("connection closed with 6 bytes of the response body still to come", or "...
     * in the middle of a line"), a server's close that never happened.
     */
    @Test
    void P80_aSocketWhoseReadsMakeNoProgressFailsTheRequestSayingSo() throws Exception {
        Dialer stalls = HookedSocket.dialer(() -> new HookedSocket() {
            private volatile boolean gaveBytes;

            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                if (gaveBytes) {
                    return 0;
                }
                int n = raw.read(b, off, len);
                gaveBytes = n > 0;
                return n;
            }
        });
        try (RawServer server = RawServer.start(c -> {
                 c.readRequest();
                 c.write(HELLO.substring(0, HELLO.length() - 6)); // the head and "hello"
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().dialer(stalls).build()) {
            Object outcome = Leaks.outcomeWithin10s("a request whose socket makes no progress", () -> {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    return r.body().bytes();
                }
            });
            assertThat(outcome).isInstanceOf(IOException.class);
            assertThat(messages((Throwable) outcome)).as("the failure and its causes")
                    .anyMatch(m -> m.contains("made no progress"));
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(t.stats().idle()).isZero();
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * P80: the socket's reads return 0 bytes from the first one, for ever. The read loop's first read meets it before
     * any response: the request fails within 10 s with an {@link HttpConnectionException} (the stream's failure; if
     * the request's write raced the close, its "Socket closed"), never as the server's close, and is not retried. Before,
     * the 0 was the server's close of a connection never used: {@code SERVER_CLOSED_BEFORE_RESPONSE}.
     */
    @Test
    void P80_aSocketThatNeverGivesAByteIsNoServerClose() throws Exception {
        Dialer never = HookedSocket.dialer(() -> new HookedSocket() {
            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) {
                return 0;
            }
        });
        try (RawServer server = RawServer.start(c -> c.readUntilClosed());
             Transport t = Transport.builder().dialer(never).build()) {
            Object outcome = Leaks.outcomeWithin10s("a request whose socket never gives a byte", () -> {
                try (HttpResponse r = t.roundTrip(bounded(server))) {
                    return r.status();
                }
            });
            assertThat(outcome).isInstanceOf(HttpConnectionException.class);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            assertThat(t.stats().dialed()).as("not retried").isEqualTo(1);
        }
    }
}
