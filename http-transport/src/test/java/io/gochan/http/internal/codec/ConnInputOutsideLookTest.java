package io.gochan.http.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * E101: a look at a connection's buffer from a thread that does not read it (the pool's look at an idle connection, a
 * request's at a new one) sees the bounds of one fill (an optimistic read since E112, a turn before), and never
 * waits for it. The race it removes (a look beside the read loop's fill, combining the buffer's new start with its stale
 * end) cannot be made to happen on demand; this is a guard of what the change must keep: the look never waits behind a
 * fill that waits on the peer, and sees a fill's bytes, whole, once it is done. E112: a read notes what of the requests
 * had been written when it took its bytes, whatever happens after it.
 */
class ConnInputOutsideLookTest {

    /**
     * E101 (a guard: the look's answers are those a plain look gave when no fill was under way). While the reader's fill
     * waits in the stream, the look from another thread answers at once that nothing is buffered; once the fill took
     * the bytes, it sees them, and their text.
     */
    @Test
    void E101_aLookFromAnotherThreadNeverWaitsForAFillAndSeesItsBytesOnceItIsDone() throws Exception {
        byte[] arrived = "HTTP/1.1 408 Request Timeout\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch bytesNow = new CountDownLatch(1);
        InputStream socket = new InputStream() {
            private boolean given;

            @Override
            public int read() {
                throw new AssertionError("the input reads its stream by ranges only");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (given) {
                    return -1;
                }
                inRead.countDown();
                try {
                    bytesNow.await(); // the peer is silent until the test says
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted (test)");
                }
                given = true;
                int n = Math.min(len, arrived.length);
                System.arraycopy(arrived, 0, b, off, n);
                return n;
            }
        };
        ConnInput in = new ConnInput(socket);
        AtomicReference<Object> peeked = new AtomicReference<>();
        Thread reader = Thread.ofVirtual().name("e101-reader").start(() -> {
            try {
                peeked.set(in.peek()); // the read loop's wait for the next response
            } catch (Throwable e) {
                peeked.set(e);
            }
        });
        try {
            assertThat(inRead.await(10, TimeUnit.SECONDS)).as("the reader's fill waits in the stream").isTrue();
            assertThat(in.hasBufferedSeenFromOutside()).as("nothing buffered while the fill waits").isFalse();
            assertThat(in.bufferedAsciiSeenFromOutside(40)).as("no text while the fill waits").isEmpty();
        } finally {
            bytesNow.countDown();
        }
        assertThat(reader.join(Duration.ofSeconds(10))).as("the reader ended").isTrue();
        assertThat(peeked.get()).as("the first byte").isEqualTo((int) 'H');
        assertThat(in.hasBufferedSeenFromOutside()).as("the fill's bytes, seen from this thread").isTrue();
        assertThat(in.bufferedAsciiSeenFromOutside(12)).isEqualTo("HTTP/1.1 408");
        assertThat(in.bufferedAsciiSeenFromOutside(100)).isEqualTo("HTTP/1.1 408 Request Timeout\r\n\r\n");
        assertThat(in.buffered()).as("nothing consumed by the looks").isEqualTo(arrived.length);
    }

    /**
     * E112: the count of request bytes written is noted by the read that takes bytes, at once, not when the reader gets
     * round to judging them: request bytes written after the read returned (the request that took an idle connection
     * while its read loop was about to judge bytes that arrived while it was idle) never make the bytes look like its
     * answer. A read that takes no bytes (the end) notes nothing.
     */
    @Test
    void E112_aReadNotesTheRequestBytesWrittenWhenItTookItsBytes() throws Exception {
        AtomicLong written = new AtomicLong();
        byte[] arrived = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1);
        InputStream socket = new InputStream() {
            private int reads;

            @Override
            public int read() {
                throw new AssertionError("the input reads its stream by ranges only");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (reads++ > 0) {
                    return -1;
                }
                written.set(17); // what had gone out when the bytes were taken
                System.arraycopy(arrived, 0, b, off, arrived.length);
                return arrived.length;
            }
        };
        ConnInput in = new ConnInput(socket, () -> null, () -> null, written::get);
        assertThat(in.writtenWhenLastTaken()).as("before any read").isZero();
        assertThat(in.peek()).isEqualTo('H');
        written.set(90); // the next request's head, written after the read returned
        assertThat(in.writtenWhenLastTaken()).as("noted by the read, not now").isEqualTo(17);
        assertThat(in.read(new byte[64], 0, 64)).as("the bytes taken").isEqualTo(arrived.length);
        assertThat(in.peek()).as("the end").isEqualTo(-1);
        assertThat(in.writtenWhenLastTaken()).as("the end took no bytes").isEqualTo(17);
    }
}
