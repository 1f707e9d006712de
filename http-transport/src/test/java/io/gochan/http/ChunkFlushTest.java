package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E19 by the body's kind, as E91: each chunk of a chunked request body not read from memory is flushed as it is
 * written, whatever its stream's {@code available()} says.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ChunkFlushTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * A body of unknown length whose first read returns one chunk's bytes ({@code "hello"}), while {@code available()}
     * says more are ready, and whose next read blocks until {@link #release} opens (a close opens it too, and the
     * read then fails).
     */
    private static final class OneChunkThenStall extends ReadByBulk {
        private static final byte[] FIRST = "hello".getBytes(StandardCharsets.ISO_8859_1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger closes = new AtomicInteger();
        final AtomicInteger availableAsked = new AtomicInteger();
        private int sent;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (sent < FIRST.length) {
                int n = Math.min(len, FIRST.length - sent);
                System.arraycopy(FIRST, sent, b, off, n);
                sent += n;
                return n;
            }
            try {
                release.await(); // released by the test, or by the close of the request's connection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted in the stall");
            }
            if (closes.get() > 0) {
                throw new IOException("the body's stream was closed during its stall (test)");
            }
            return -1;
        }

        /** Says bytes are ready, always: before the first chunk, and as the read that blocks is about to come. */
        @Override
        public int available() {
            availableAsked.incrementAndGet();
            return 100;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            release.countDown();
        }
    }

    /**
     * E19: a chunked body whose stream returns one chunk ({@code hello}) with {@code available()} saying more is ready,
     * then blocks; a server that answers once it has read that first chunk, without waiting for the rest. The chunk is
     * flushed as it is written, so the server has it and answers while the source still blocks, and the caller gets
     * the answer. The answer closes the connection ({@code Connection: close}), which closes the body's stream and so
     * ends the write loop's read; nothing is left. The transport never asks {@code available()}.
     * Before (a flush only before a read of a source whose {@code available()} was 0): the head went out (E91), but
     * the first chunk stayed in the connection's buffer while the source blocked, the server waited for it, and so
     * did the caller: "the answer reached the caller" failed after 15 s (Lifecycle.BOUND).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void E19_aChunkIsFlushedAsItIsWrittenWhenTheSourceSaysBytesAreReadyAndThenBlocks() throws Exception {
        OneChunkThenStall source = new OneChunkThenStall();
        CountDownLatch firstChunkRead = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 ByteArrayOutputStream body = new ByteArrayOutputStream();
                 for (int b; !body.toString(StandardCharsets.ISO_8859_1).equals("5\r\nhello\r\n") && (b = c.in.read()) >= 0; ) {
                     body.write(b);
                 }
                 if (body.toString(StandardCharsets.ISO_8859_1).equals("5\r\nhello\r\n")) {
                     firstChunkRead.countDown();
                     // On the first chunk alone: the rest of the body is not waited for.
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                 }
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/stream"))
                    .POST(RequestBody.ofStreamOnce(source, -1, "application/octet-stream")).build();
            Caller<String> caller = Caller.virtual("E19-chunked-post", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status() + " " + r.body().string();
                }
            });
            boolean answered = caller.join(Lifecycle.BOUND);
            boolean chunkSeen = firstChunkRead.getCount() == 0;
            source.release.countDown(); // whatever happened: a source still blocked goes on now
            caller.abandon(t::close);
            assertThat(answered).as("the answer reached the caller while the body's source blocked (the server had the"
                    + " first chunk: %s)", chunkSeen).isTrue();
            assertThat(caller.error()).as("the caller's failure").isNull();
            assertThat(caller.value()).isEqualTo("200 ok");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed (Connection: close), not pooled");
            Leaks.awaitTrue(() -> source.closes.get() > 0, "the body's stream closed");
            assertThat(t.stats().idle()).isZero();
            assertThat(t.stats().retries()).isZero();
            assertThat(server.accepted()).isEqualTo(1);
            assertThat(server.failures()).isEmpty();
        }
        assertThat(source.closes.get()).as("closes of the body's stream").isEqualTo(1);
        assertThat(source.availableAsked.get()).as("the transport asked the body's available()").isZero();
    }
}
