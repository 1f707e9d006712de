package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E94 (docs/spec/transport-lifecycle.md): a request whose upload the caller's own code cuts short after its answer is
 * in the caller's hands (its body's source throws or ends short of its declared length, or a {@code wroteHeaders}
 * listener throws an {@link Error}) has its connection closed, and the streamed answer's body read fails, promptly,
 * with an exception that says the upload failed and carries what the caller's code threw; never a clean end. Found by
 * reviewer rv-races27 (its first finding): the write loop let such a connection be, so a server that ends its answer
 * with the upload (an echo, a relay, a duplex service) waited for the rest of the upload while the caller read the
 * answer for ever.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS) // before E94 a cut-short upload hung roundTrip for ever: a bound, not a speed
class UploadCutShortTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the caller's own code cuts the upload short. */
    enum Cut {
        SOURCE_THROWS, SOURCE_ENDS_SHORT, LISTENER_ERROR
    }

    /**
     * A body source with 10 bytes ready, then nothing until {@link #breakNow} (or its close, which ends a read as a
     * pipe's close does: E18): then it throws {@link #thrown}, or ends.
     */
    static final class BreakingSource extends ReadByBulk {
        final CountDownLatch breakNow = new CountDownLatch(1);
        final IOException thrown = new IOException("the upload's file could not be read (test)");
        final AtomicInteger closes = new AtomicInteger();
        private final boolean throwsAtBreak;
        private int sent;

        BreakingSource(boolean throwsAtBreak) {
            this.throwsAtBreak = throwsAtBreak;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (sent < 10) {
                int n = Math.min(len, 10 - sent);
                Arrays.fill(b, off, off + n, (byte) 'u');
                sent += n;
                return n;
            }
            try {
                breakNow.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
            }
            if (throwsAtBreak) {
                throw thrown;
            }
            return -1;
        }

        @Override
        public int available() {
            return sent < 10 ? 10 - sent : 0;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            breakNow.countDown();
        }
    }

    /**
     * The server answers on the head at once with a chunked answer it would end with the upload (it never ends it
     * here); the caller has that answer, and only then does its upload break. The
     * body read then fails within a bound with an {@link HttpConnectionException} saying the upload failed, whose cause
     * is what the caller's code threw (the source's own exception, the listener's {@code Error}) or the
     * {@link ContentLengthMismatchException}; the request's one {@code done()} carries that failure; the source is
     * closed once and the connection is closed, never pooled. Before: the write loop reported the failure to nobody
     * still listening and left the connection open; the server waited for the rest of the upload, and "the body read
     * ended" failed after 10 s, the reader parked in the socket read under the chunked body (with the defaults there is
     * no deadline, so for ever). Go's write loop closes its connection on any failed write.
     */
    @ParameterizedTest
    @EnumSource(Cut.class)
    void E94_anUploadCutShortAfterItsStreamedAnswerFailsTheBodyReadSayingSo(Cut cut) throws Exception {
        Dones dones = new Dones();
        BreakingSource source = new BreakingSource(cut == Cut.SOURCE_THROWS);
        AssertionError listenerFailure = new AssertionError("the wroteHeaders listener fails after the answer (test)");
        RequestListener listener = new RequestListener() {
            @Override
            public void wroteHeaders(HttpRequest request) {
                if (cut != Cut.LISTENER_ERROR) {
                    return;
                }
                try {
                    source.breakNow.await(); // the head is out (E91): the server answers it meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw listenerFailure;
            }

            @Override
            public void done(HttpRequest request, Throwable error) {
                dones.done(request, error);
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 // An answer that streams for as long as the upload goes on (an echo, a relay, a duplex service): its
                 // head and first chunk now, then nothing while the upload waits. Its end is never sent: a terminator
                 // written once our close reached the server could still arrive while that close is under way, and
                 // complete the body by the server's own framing (a race the test must not depend on).
                 c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().listener(listener).build()) { // the defaults: no deadline of any kind
            long declared = cut == Cut.SOURCE_ENDS_SHORT ? 100 : -1;
            HttpRequest post = HttpRequest.newBuilder(server.uri("/echo"))
                    .POST(RequestBody.ofStream(() -> source, declared, "application/octet-stream")).build();
            try (HttpResponse r = t.roundTrip(post)) { // answered while the upload waits in its source (T4)
                assertThat(r.status()).isEqualTo(200);
                source.breakNow.countDown(); // the upload breaks now, its answer in the caller's hands
                Object outcome = Leaks.outcomeWithin10s("the body read", () -> r.body().string());
                assertThat(outcome).as("the body read fails, never ends as if whole")
                        .isInstanceOf(HttpConnectionException.class);
                HttpConnectionException failure = (HttpConnectionException) outcome;
                assertThat(failure).hasMessageContaining("upload failed");
                switch (cut) {
                    case SOURCE_THROWS -> assertThat(failure.getCause()).as("the source's own exception")
                            .isSameAs(source.thrown);
                    case LISTENER_ERROR -> assertThat(failure.getCause()).as("the listener's Error")
                            .isSameAs(listenerFailure);
                    case SOURCE_ENDS_SHORT -> assertThat(failure.getCause()).as("the broken length")
                            .isInstanceOf(ContentLengthMismatchException.class);
                }
                assertThat(dones.done.get(post)).as("the request's one done(), with that failure")
                        .containsExactly(failure);
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, never pooled: " + t.stats());
            assertThat(source.closes).as("the source closed exactly once").hasValue(1);
            assertThat(t.stats().retries()).isZero();
        }
    }
}
