package io.gochan.http;

import static io.gochan.http.HostileServerTest.awaitClientClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a TLS connection ends under a response body (P33): a server that cuts the TCP stream in the middle of
 * a TLS record has cut the body short, whatever the body's framing says; one that closes at a record
 * boundary without {@code close_notify} is read as a clean end, as Go's {@code crypto/tls} reads it. The
 * server speaks TLS through a {@link RawServer} connection ({@link JdkServer#serverTls}) so it can cut the
 * TCP stream exactly where it wants. Nothing is left running, no connection stays open.
 */
@NoGoroutineLeaks
class HostileTlsEndTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The head of a body delimited by the connection's end (no Content-Length, no Transfer-Encoding). */
    private static final String UNTIL_CLOSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the server ends the TCP stream after its response. */
    private enum End {
        /** close_notify, then FIN: the proper end of a TLS stream. */
        CLOSE_NOTIFY,
        /** FIN right after a complete record, no close_notify (common; Go and the JDK take it as the end). */
        FIN_AT_RECORD_BOUNDARY,
        /** The header and part of one more application-data record, then FIN: the stream was cut. */
        FIN_INSIDE_A_RECORD,
        /** Three bytes of one more record header, then FIN. */
        FIN_INSIDE_A_RECORD_HEADER
    }

    /**
     * A TLS server that reads one request, writes {@code response} through TLS, and ends the TCP stream as
     * {@code end} says; then it waits for the client to close.
     */
    private static RawServer tlsServer(String response, End end, CountDownLatch clientClosed) throws IOException {
        return RawServer.start(c -> {
            SSLSocket tls = JdkServer.serverTls(c.socket);
            readHead(tls.getInputStream());
            tls.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
            tls.getOutputStream().flush();
            switch (end) {
                case CLOSE_NOTIFY -> tls.shutdownOutput(); // sends close_notify, keeps the TCP socket
                case FIN_AT_RECORD_BOUNDARY -> { }
                // application_data, TLS 1.2 framing, 100 bytes announced, 10 sent: a record cut short
                case FIN_INSIDE_A_RECORD -> c.write(new byte[] {23, 3, 3, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
                case FIN_INSIDE_A_RECORD_HEADER -> c.write(new byte[] {23, 3, 3});
            }
            c.socket.shutdownOutput(); // FIN on the TCP stream
            awaitClientClose(c, clientClosed);
        });
    }

    private static void readHead(InputStream in) throws IOException {
        for (int state = 0, b; state < 4; ) {
            if ((b = in.read()) < 0) {
                throw new IOException("EOF inside the request head");
            }
            state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : b == '\r' ? 1 : 0;
        }
    }

    private static Transport tlsTransport() throws Exception {
        return Transport.builder().sslContext(JdkServer.clientTls()).build();
    }

    private static HttpRequest get(RawServer server) {
        return HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + server.port() + "/"))
                .timeout(Duration.ofSeconds(10)).build();
    }

    private static void assertClosed(Transport t, CountDownLatch clientClosed) throws InterruptedException {
        assertThat(clientClosed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("client closed the connection").isTrue();
        Leaks.awaitTrue(() -> t.stats().open() == 0, "connection closed");
        assertThat(t.stats().idle()).isZero();
    }

    /**
     * A body read to the connection's end, cut inside a TLS record (or its header): the JDK's TLS layer
     * reports a plain end of stream for it (it treats any EOF without close_notify as one), so the body
     * read as complete, its tail silently lost. As Go ({@code io.ErrUnexpectedEOF} from {@code crypto/tls}
     * when the stream ends with a partial record) the read fails: {@code PREMATURE_EOF}.
     */
    @Test
    void P33_aBodyReadToTheCloseThatEndsInsideATlsRecordIsCutShort() throws Exception {
        for (End end : new End[] {End.FIN_INSIDE_A_RECORD, End.FIN_INSIDE_A_RECORD_HEADER}) {
            CountDownLatch clientClosed = new CountDownLatch(1);
            try (RawServer server = tlsServer(UNTIL_CLOSE + "all of it?", end, clientClosed);
                 Transport t = tlsTransport()) {
                try (HttpResponse r = t.roundTrip(get(server))) {
                    assertThat(r.status()).isEqualTo(200);
                    assertThatThrownBy(() -> r.body().bytes()).as(end.name())
                            .isInstanceOfSatisfying(HttpProtocolException.class,
                                    e -> assertThat(e.reason()).isEqualTo(Reason.PREMATURE_EOF))
                            .hasMessageContaining("inside a TLS record");
                }
                assertClosed(t, clientClosed);
                assertThat(server.failures()).isEmpty();
            }
        }
    }

    /**
     * The same body ended by close_notify, or by a FIN at a record boundary without one, is complete (as Go:
     * "popular web sites" end so, RFC 8446 §6.1 notwithstanding), and the connection is closed, not pooled.
     */
    @Test
    void P33_aBodyReadToTheCloseThatEndsAtARecordBoundaryIsComplete() throws Exception {
        for (End end : new End[] {End.CLOSE_NOTIFY, End.FIN_AT_RECORD_BOUNDARY}) {
            CountDownLatch clientClosed = new CountDownLatch(1);
            try (RawServer server = tlsServer(UNTIL_CLOSE + "all of it", end, clientClosed);
                 Transport t = tlsTransport()) {
                try (HttpResponse r = t.roundTrip(get(server))) {
                    assertThat(r.body().string()).as(end.name()).isEqualTo("all of it");
                }
                assertClosed(t, clientClosed);
                assertThat(server.failures()).isEmpty();
            }
        }
    }

    /**
     * Bodies that carry their own length were never at risk (a short one is {@code PREMATURE_EOF} however the
     * stream ends); they still are, when the stream is cut inside a record, and the message says how it ended.
     */
    @Test
    void P33_aFramedBodyCutInsideATlsRecordIsPrematureEof() throws Exception {
        for (String response : new String[] {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nten bytes.",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nten bytes.\r\n"}) {
            CountDownLatch clientClosed = new CountDownLatch(1);
            try (RawServer server = tlsServer(response, End.FIN_INSIDE_A_RECORD, clientClosed);
                 Transport t = tlsTransport()) {
                try (HttpResponse r = t.roundTrip(get(server))) {
                    assertThatThrownBy(() -> r.body().bytes())
                            .isInstanceOfSatisfying(HttpProtocolException.class,
                                    e -> assertThat(e.reason()).isEqualTo(Reason.PREMATURE_EOF));
                }
                assertClosed(t, clientClosed);
            }
        }
    }
}
