package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * E138: the tests' helper {@link IdleOrNotWritten} accepts a connection that went idle or was closed for E138's reason
 * (its write loop's word held past 50 ms, as {@code LateWriteWordTest} holds it), and fails on a connection closed for
 * any other reason, or on an E138 close already counted for an earlier missing connection.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class IdleOrNotWrittenTest {
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static RawServer server(String extraHeaders) throws Exception {
        return RawServer.start(c -> {
            while (c.readRequest() != null) {
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + extraHeaders + "\r\nok");
            }
        });
    }

    private static String get(Transport t, RawServer server, String path) throws Exception {
        try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri(path).toString()))) {
            return r.body().string();
        }
    }

    @Test
    void E138_helperAcceptsAPooledConnection() throws Exception {
        try (RawServer server = server("");
             Transport t = Transport.builder().build()) {
            assertThat(get(t, server, "/")).isEqualTo("ok");
            assertThat(idle.assertIdle(t, 1)).as("all idle: no E138 close counted").isZero();
        }
    }

    @Test
    void E138_helperAcceptsAConnectionClosedBecauseItsWriteLoopsWordCameLate_onceOnly() throws Exception {
        HeldWriteWord holdingTheWriteLoop = new HeldWriteWord("/held");
        try (RawServer server = server("");
             Transport t = Transport.builder().listener(holdingTheWriteLoop).build()) {
            try {
                assertThat(get(t, server, "/held")).isEqualTo("ok");
            } finally {
                holdingTheWriteLoop.release();
            }
            assertThat(holdingTheWriteLoop.held()).as("the write loop was held in its listener").isTrue();
            assertThat(t.stats().idle()).as("closed by E138, not pooled").isZero();
            assertThat(idle.assertIdle(t, 1)).as("the one E138 close counted").isEqualTo(1);
            assertThat(idle.closeReasons()).singleElement().asString().contains(IdleOrNotWritten.NOT_WRITTEN);
            // The same E138 close cannot excuse a second missing connection.
            assertThatThrownBy(() -> idle.assertIdle(t, 1)).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("E138 closes not yet counted: 0");
        }
    }

    @Test
    void E138_helperFailsOnAConnectionClosedForAnotherReason() throws Exception {
        try (RawServer server = server("Connection: close\r\n");
             Transport t = Transport.builder().build()) {
            assertThat(get(t, server, "/")).isEqualTo("ok");
            assertThatThrownBy(() -> idle.assertIdle(t, 1)).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("the response said Connection: close (P22)");
        }
    }
}
