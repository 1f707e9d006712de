package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E93: {@code TunnelOutput.close()} cut by an interrupt while it waits for the request's write (a CONNECT whose body,
 * the tunnel's upstream, R66, is still being produced) throws {@link InterruptedIOException} and ends nothing: the
 * output stays open, and a later close ends it (the peer reads our end, E74, E75). Before, the close marked the output
 * closed before the wait and told the read loop the output had ended: every later close returned at once, the peer
 * never read our end, and, the body read to its end, the read loop closed the tunnel as soon as the interrupted close
 * threw; through {@link HttpClient} the half was counted as ended too, and the client's context cancelled.
 * {@code TunnelTest.E75_...} interrupts a close only after the request was written. From review streams26, finding 3.
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunnelInterruptedCloseTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** A request body fed by the test (as TunnelTest's): each {@link #feed} is one read; {@link #end} is EOF. */
    private static final class FedBody extends ReadByBulk {
        private static final byte[] EOF = new byte[0];
        private final LinkedBlockingQueue<byte[]> parts = new LinkedBlockingQueue<>();
        private byte[] current;
        private int pos;

        void feed(String s) {
            parts.add(ascii(s));
        }

        void end() {
            parts.add(EOF);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (current == null || pos == current.length) {
                try {
                    current = parts.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                }
                pos = 0;
                if (current == EOF) {
                    parts.add(EOF);
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            end();
        }
    }

    /**
     * A CONNECT whose body (the tunnel's upstream, R66) is still being written when the 2xx opens the tunnel. The
     * output's close on an interrupted thread waits for that write and is cut by the interrupt: it throws, the
     * interrupt kept. Once the upstream ended, a close on a thread not interrupted must end our half: the peer reads
     * the upstream and then the end of the stream. Today the first close left the output marked closed without
     * shutting it down, the second does nothing, and the peer waits until the response is closed.
     */
    @Test
    void E93_anOutputCloseCutByAnInterruptCanStillEndTheOutput() throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 received.add(ascii(c.in.readAllBytes())); // the upstream, until the client's end of stream
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            FedBody up = new FedBody();
            // No timeout: a tunnel's life is its caller's (E73); nothing but our end may end the peer's read.
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.ofStreamOnce(up, -1, null)).build();
            try (HttpResponse r = t.roundTrip(req)) { // answered while the body has not a byte yet
                assertThat(r.status()).isEqualTo(200);
                OutputStream out = r.tunnelOutput().orElseThrow();
                Thread.currentThread().interrupt();
                try {
                    assertThatThrownBy(out::close).as("the wait for the request's write is interruptible")
                            .isInstanceOf(InterruptedIOException.class);
                    assertThat(Thread.currentThread().isInterrupted()).as("the interrupt kept").isTrue();
                } finally {
                    Thread.interrupted();
                }
                up.feed("abc");
                up.end(); // the request's write ends
                out.close();
                assertThat(received.poll(20, TimeUnit.SECONDS)).as("the peer read the upstream and our end")
                        .isEqualTo("abc");
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed with its response");
        }
    }

    /**
     * The same once the body was read to its end (the peer's end of stream, E74): the interrupted close must not end
     * the tunnel. The upstream then goes out, and a later close ends our half, which ends the tunnel. Through
     * {@link HttpClient} (with a timeout, so that its context counts the halves) the same: the interrupted close is not
     * counted as the output's end. Before, the read loop took the interrupted close's signal for the output's end and
     * closed the connection, so the peer read nothing of the upstream; through the client, its context was cancelled.
     */
    @ParameterizedTest(name = "via client {0}")
    @ValueSource(booleans = {false, true})
    void E93_anInterruptedCloseAfterTheBodysEndLeavesTheTunnelOpen(boolean viaClient) throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 200 Connection established\r\n\r\n");
                 c.socket.shutdownOutput(); // the peer's end of stream: the body's end
                 received.add(ascii(c.in.readAllBytes())); // the upstream, until the client's end of stream
             });
             Transport t = Transport.builder().build()) {
            // A timeout far beyond the test's, so that only the halves' count could end the client's context.
            HttpClient client = HttpClient.builder(t).timeout(Duration.ofMinutes(5)).build();
            FedBody up = new FedBody();
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()))
                    .method("CONNECT", RequestBody.ofStreamOnce(up, -1, null)).build();
            try (HttpResponse r = viaClient ? client.send(req) : t.roundTrip(req)) {
                assertThat(r.status()).isEqualTo(200);
                OutputStream out = r.tunnelOutput().orElseThrow();
                assertThat(r.body().stream().readAllBytes()).as("the peer's end of stream").isEmpty();
                Thread.currentThread().interrupt();
                try {
                    assertThatThrownBy(out::close).as("the wait for the request's write is interruptible")
                            .isInstanceOf(InterruptedIOException.class);
                    assertThat(Thread.currentThread().isInterrupted()).as("the interrupt kept").isTrue();
                } finally {
                    Thread.interrupted();
                }
                up.feed("abc");
                up.end(); // the request's write ends
                out.close();
                assertThat(received.poll(20, TimeUnit.SECONDS)).as("the peer read the upstream and our end")
                        .isEqualTo("abc");
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel closed once both halves ended");
            }
        }
    }
}
