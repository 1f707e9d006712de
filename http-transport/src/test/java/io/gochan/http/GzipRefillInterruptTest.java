package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * P89: a read of a body the transport un-gzips (P25) that takes bytes from the connection without decoding any (a
 * deflate stream of empty stored blocks, or gzip members that hold nothing, without end) is left by its thread's
 * interrupt, as a read of a stalled body is (E62). The socket is never silent, so the slice that looks at the interrupt
 * of a blocked read never comes; before, such a read kept taking the server's bytes and never returned, whatever
 * interrupted its thread (a request without a deadline: for as long as the server liked).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GzipRefillInterruptTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    /** A gzip member's header: magic, deflate, no flags, no time, no extra flags, Unix. */
    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    /** A deflate stored block that is not the last and holds nothing (RFC 1951 §3.2.4): LEN 0, NLEN 0xffff. */
    private static final byte[] EMPTY_STORED_BLOCK = {0, 0, 0, (byte) 0xff, (byte) 0xff};
    /** A whole gzip member that decodes to nothing: its header, a last empty fixed block, CRC-32 0 and length 0. */
    private static final byte[] EMPTY_MEMBER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * The server answers with a chunked gzip body and, once the caller's read has begun, sends without a pause what
     * decodes to nothing: empty stored blocks inside one member, or empty members one after the other. The reader's
     * thread, seen inside the decoder, is interrupted: the read fails with a {@link RequestCancelledException} of reason
     * {@code INTERRUPT}, its interrupt kept, the body's connection is closed (the server's writes fail), the request
     * reports that failure in its one {@code done()}, and the next request is served. No request timeout: nothing but
     * the interrupt may end the read.
     */
    @ParameterizedTest(name = "empty members: {0}")
    @ValueSource(booleans = {false, true})
    void P89_aGzipReadThatDecodesNothingWhileBytesFlowIsLeftByItsInterrupt(boolean members) throws Exception {
        byte[] unit = members ? EMPTY_MEMBER : EMPTY_STORED_BLOCK;
        byte[] chunk = new byte[(16 * 1024 / unit.length) * unit.length];
        for (int i = 0; i < chunk.length; i += unit.length) {
            System.arraycopy(unit, 0, chunk, i, unit.length);
        }
        byte[] chunkBytes = (Integer.toHexString(chunk.length) + "\r\n" + new String(chunk, StandardCharsets.ISO_8859_1) + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        CountDownLatch reading = new CountDownLatch(1);
        AtomicInteger chunksSent = new AtomicInteger();
        CountDownLatch writesFailed = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 for (int i = 0; c.readRequest() != null; i++) {
                     if (c.index == 0 && i == 0) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
                         if (!members) {
                             c.write("a\r\n" + new String(GZIP_HEADER, StandardCharsets.ISO_8859_1) + "\r\n");
                         }
                         try {
                             if (!reading.await(20, TimeUnit.SECONDS)) {
                                 return;
                             }
                             while (true) { // never a pause the body's read slice could see; ends when the client closes
                                 c.write(chunkBytes);
                                 chunksSent.incrementAndGet();
                             }
                         } catch (SocketException e) {
                             writesFailed.countDown(); // the client closed the connection
                             return;
                         }
                     }
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().listener(dones).build()) {
            HttpRequest req = HttpRequest.get(server.uri("/").toString());
            try (HttpResponse r = t.roundTrip(req)) {
                InputStream in = r.body().stream();
                AtomicBoolean interruptKept = new AtomicBoolean();
                Lifecycle.Caller<Integer> reader = Lifecycle.Caller.start(false, "gzip-reader", () -> {
                    try {
                        reading.countDown();
                        return in.read(new byte[8]);
                    } finally {
                        interruptKept.set(Thread.currentThread().isInterrupted());
                    }
                });
                int sentBefore = chunksSent.get();
                Leaks.awaitTrue(() -> chunksSent.get() > sentBefore + 4 && Leaks.inside(reader.thread, "GzipDecodingStream"),
                        "the reader takes the server's bytes inside the decoder");
                reader.thread.interrupt();
                boolean ended = reader.join(Duration.ofSeconds(20));
                if (!ended) {
                    reader.abandon(() -> {
                        try {
                            in.close();
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    });
                }
                assertThat(ended).as("the interrupted read ended").isTrue();
                assertThat(reader.error()).isInstanceOfSatisfying(RequestCancelledException.class,
                        e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.INTERRUPT));
                assertThat(interruptKept.get()).as("the interrupt status is kept").isTrue();
                assertThat(writesFailed.await(20, TimeUnit.SECONDS)).as("the body's connection was closed").isTrue();
                assertThat(dones.done.get(req)).as("the request's one done()").singleElement()
                        .isSameAs(reader.error());
            }
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().dialed()).as("the interrupted body's connection was not reused").isEqualTo(2);
        }
    }
}
