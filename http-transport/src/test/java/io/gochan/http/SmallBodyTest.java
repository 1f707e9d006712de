package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.util.List;
import java.io.InputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A response whose whole body arrives with its head is handed over in memory (no round trip with the
 * read loop), yet its connection still obeys the pool rule of T5/T6: read to EOF = reused, closed
 * earlier = closed, dropped = reclaimed. The raw server writes head and body in one write, so the
 * client sees them together.
 */
@NoGoroutineLeaks
class SmallBodyTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static RawServer keepAliveServer(String body, String extraHeaders) throws IOException {
        return RawServer.start(c -> {
            while (c.readRequest() != null) {
                c.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n" + extraHeaders + "\r\n" + body);
            }
        });
    }

    @Test
    void T5_readToEofPoolsTheConnectionBeforeTheEofReadReturns() throws Exception {
        try (RawServer server = keepAliveServer("hello", "");
             Transport t = Transport.builder().build()) {
            for (int i = 0; i < 5; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                    assertThat(r.body().string()).isEqualTo("hello");
                }
                // No waiting: the EOF read itself pooled the connection.
                assertThat(t.stats().idle()).isEqualTo(1);
                assertThat(t.stats().inUse()).isZero();
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(4);
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    @Test
    void T6_closedBeforeEofClosesTheConnection() throws Exception {
        try (RawServer server = keepAliveServer("hello", "");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().stream().read(new byte[2])).isEqualTo(2);
            }
            assertThat(t.stats().open()).as("closed at once, on the closing thread").isZero();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("hello");
            }
            assertThat(t.stats().dialed()).isEqualTo(2);
            assertThat(t.stats().reused()).isZero();
        }
    }

    @Test
    void everyByteReadThenClosedWithoutSeeingEofStillCountsAsReadToTheEnd() throws Exception {
        try (RawServer server = keepAliveServer("hello", "");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().stream().readNBytes(5)).hasSize(5);
            }
            idle.assertIdle(t, 1); // pooled, or closed for E138's reason: never closed as a body closed before its end
        }
    }

    @Test
    void readingAfterCloseFails() throws Exception {
        try (RawServer server = keepAliveServer("hello", "");
             Transport t = Transport.builder().build()) {
            HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()));
            InputStream in = r.body().stream();
            r.close();
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void connectionCloseResponseIsNeverPooled() throws Exception {
        try (RawServer server = keepAliveServer("bye", "Connection: close\r\n");
             Transport t = Transport.builder().build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("bye");
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
            assertThat(t.stats().idle()).isZero();
        }
    }

    /**
     * P22, the request's side (Go's {@code req.Close}): a request that says {@code Connection: close} itself never
     * pools its connection, whatever the response says (here keep-alive, the server keeping the connection open),
     * streamed or in memory, with a body or without one; the next request dials a new connection.
     */
    @Test
    void P22_aRequestThatAsksToCloseNeverPoolsItsConnection() throws Exception {
        for (String path : List.of("/small", "/streamed", "/none")) {
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequestHead()) != null; ) {
                         if (head.startsWith("GET /streamed ")) {
                             c.write("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nab");
                             c.out.flush();
                             c.write("cd");
                         } else if (head.startsWith("GET /none ")) {
                             c.write("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
                         } else {
                             c.write("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nabcd");
                         }
                     }
                 });
                 Transport t = Transport.builder().build()) {
                for (int i = 0; i < 2; i++) {
                    HttpRequest req = HttpRequest.newBuilder(server.uri(path)).header("Connection", "close").build();
                    try (HttpResponse r = t.roundTrip(req)) {
                        assertThat(r.body().string()).isIn("abcd", "");
                    }
                    assertThat(t.stats().open()).as(path + ": open after request " + i).isZero();
                    assertThat(t.stats().idle()).as(path + ": idle after request " + i).isZero();
                }
                assertThat(server.accepted()).as(path + ": connections").isEqualTo(2);
            }
        }
    }

    @Test
    void aDroppedSmallBodyIsReclaimedWhenGarbageCollected() throws Exception {
        try (RawServer server = keepAliveServer("hello", "");
             Transport t = Transport.builder().build()) {
            Leaks.assertDroppedBodyIsReclaimed(t, server.uri("/"));
        }
    }
}
