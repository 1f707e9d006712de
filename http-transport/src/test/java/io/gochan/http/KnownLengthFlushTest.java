package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E132 (docs/spec/transport-lifecycle.md): a request body of a known length that is not read from memory reaches the
 * server as it is produced, each read's bytes flushed before the source is read again, as E19 does for a chunked
 * body's chunks and as Go's transport writes such a body's reads straight to its connection.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class KnownLengthFlushTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * A body whose reads give one piece each: piece {@code i} only once {@link #produce} allows it (the test's
     * producer), then the end; a read waiting for its piece ends with a failure when the stream is closed.
     */
    private static final class Pieces extends ReadByBulk {
        private final byte[][] pieces;
        final java.util.concurrent.Semaphore produce = new java.util.concurrent.Semaphore(0);
        final AtomicInteger closes = new AtomicInteger();
        private int next;

        Pieces(String... pieces) {
            this.pieces = new byte[pieces.length][];
            for (int i = 0; i < pieces.length; i++) {
                this.pieces[i] = pieces[i].getBytes(StandardCharsets.ISO_8859_1);
            }
        }

        long length() {
            long n = 0;
            for (byte[] p : pieces) {
                n += p.length;
            }
            return n;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (next == pieces.length) {
                return -1;
            }
            try {
                produce.acquire(); // the producer's word, or the close of the request's connection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted waiting for the next piece");
            }
            if (closes.get() > 0) {
                throw new IOException("the body's stream was closed while it waited for its next piece (test)");
            }
            byte[] p = pieces[next++];
            if (p.length > len) {
                throw new IllegalStateException("the test's pieces are smaller than any read");
            }
            System.arraycopy(p, 0, b, off, p.length);
            return p.length;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            produce.release(1_000);
        }
    }

    /**
     * E132: a body of declared length 10 whose stream gives {@code hello} and then waits (a slow producer, a relayed
     * stream); a server that answers once it has read those first 5 bytes (it refuses the upload on its start, as a
     * check of a file's magic does), without waiting for the rest. The 5 bytes are flushed as they are written, so the
     * server has them and answers while the source still waits, and the caller gets the answer; the answer closes the
     * connection ({@code Connection: close}), which closes the body's stream and ends the write loop's read; nothing
     * is left. Before, the head went out on its own (E91) but the 5 bytes stayed in the connection's 8 KiB buffer
     * while the source waited: the server waited for them, and so did the caller ("the answer reached the caller"
     * failed after 15 s, Lifecycle.BOUND).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void E132_aKnownLengthBodysBytesAreFlushedAsTheyAreWrittenWhileItsSourceWaits() throws Exception {
        Pieces source = new Pieces("hello", "world");
        source.produce.release(); // the first piece only
        CountDownLatch startRead = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 byte[] start = c.readBody(5);
                 if (new String(start, StandardCharsets.ISO_8859_1).equals("hello")) {
                     startRead.countDown();
                     // On the body's start alone: the rest is not waited for.
                     c.write("HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno");
                 }
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStreamOnce(source, source.length(), "application/octet-stream")).build();
            Caller<String> caller = Caller.virtual("E132-known-length-post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status() + " " + r.body().string();
                }
            });
            boolean answered = caller.join(Lifecycle.BOUND);
            boolean startSeen = startRead.getCount() == 0;
            source.close(); // whatever happened: a source still waiting goes on now
            caller.abandon(t::close);
            assertThat(answered).as("the answer reached the caller while the body's source waited (the server had the"
                    + " body's first bytes: %s)", startSeen).isTrue();
            assertThat(caller.error()).as("the caller's failure").isNull();
            assertThat(caller.value()).isEqualTo("415 no");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed (Connection: close), not pooled");
            assertThat(t.stats().idle()).isZero();
            assertThat(t.stats().retries()).isZero();
            assertThat(server.accepted()).isEqualTo(1);
            assertThat(server.failures()).isEmpty();
        }
        assertThat(source.closes.get()).as("the body's stream was closed").isPositive();
    }

    /**
     * E132: a body of a known length produced in lockstep with the server, each piece only once the server has read
     * the one before (an interactive upload, a relay of a stream that comes as slowly as the peer takes it): every
     * piece reaches the server as it is produced, the last one with the end of the body confirmed (the transport
     * still looks for a byte too many before it writes the last bytes), the request is answered and the next one
     * served. Before, the first piece stayed in the connection's buffer and the lockstep stopped there.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void E132_aKnownLengthBodyProducedInLockstepWithTheServerReachesItPieceByPiece() throws Exception {
        Pieces source = new Pieces("one-", "two-", "three-", "four");
        AtomicReference<String> received = new AtomicReference<>("");
        source.produce.release(); // the first piece; the server's reads allow each next one
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (head.startsWith("GET ")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         continue;
                     }
                     StringBuilder got = new StringBuilder();
                     for (String piece : new String[] {"one-", "two-", "three-", "four"}) {
                         got.append(new String(c.readBody(piece.length()), StandardCharsets.ISO_8859_1));
                         received.set(got.toString());
                         source.produce.release(); // the next piece (or the end) once this one arrived
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: " + got.length() + "\r\n\r\n" + got);
                 }
             });
             Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/lockstep"))
                    .POST(RequestBody.ofStreamOnce(source, source.length(), "text/plain")).build();
            Caller<String> caller = Caller.virtual("E132-lockstep-post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status() + " " + r.body().string();
                }
            });
            boolean answered = caller.join(Lifecycle.BOUND);
            source.close(); // whatever happened: a source still waiting goes on now
            caller.abandon(t::close);
            assertThat(answered).as("the lockstep upload was answered (the server had received %s)", received.get())
                    .isTrue();
            assertThat(caller.error()).as("the caller's failure").isNull();
            assertThat(caller.value()).isEqualTo("200 one-two-three-four");
            assertThat(received.get()).isEqualTo("one-two-three-four");
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/after")).build())) {
                assertThat(r.body().string()).as("the next request is served").isEqualTo("ok");
            }
            assertThat(t.stats().retries()).isZero();
            assertThat(server.failures()).isEmpty();
        }
    }
}
