package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E102–E104 (docs/spec/transport-lifecycle.md): what a read takes from the socket after this side closed the connection
 * is that close's, never the server's. E102: a body with a length or chunked whose read needs the socket after a close
 * of ours that is no cancellation, deadline, transport close or upload failure (here: the connection's write loop
 * interrupted, as a stopping bubble or {@code Goroutine.interrupt()} does) fails saying this side closed the connection,
 * with the close's cause, over plain sockets and TLS alike; never "Socket closed", never the server's
 * {@code PREMATURE_EOF}. E103: bytes that arrive while our close runs never complete the body (a read in flight then),
 * bytes buffered before it are read to the end. E104: a {@link Dialer}'s socket that an interrupt of the reading thread
 * closed, and that answers a plain end of stream, never ends a body read to the close as whole. Found by the reviewers
 * of session 27 (left open there).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a bound, not a speed: each case waits 10-20 s at most
class OwnCloseBlameTest {
    private static final String LENGTH_HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    private static final String CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    private static final String UNTIL_CLOSE_HEAD = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * What the next read of a {@link #scripted} socket does once {@link #armed} is set (only one read, the first after
     * the arming, is the script's). Before it is armed, and after, the socket reads as a JDK socket, except that a
     * closed one answers a plain end of stream, as the JDK's closed {@code SSLSocket} may.
     */
    static final class Script {
        /** Set: the next read is the script's. */
        final AtomicBoolean armed = new AtomicBoolean();
        /** Counted down when the script's read begins. */
        final CountDownLatch entered = new CountDownLatch(1);
        /** Counted down when the socket's close has closed it (whoever closed it: the connection, an interrupt). */
        final CountDownLatch closed = new CountDownLatch(1);
        /**
         * The script's read waits for the socket's close and then answers these bytes: bytes that arrived while this
         * side's close ran, delivered to a read in flight (a JDK socket does so when they beat the close's wakeup).
         * Null: no such answer.
         */
        volatile byte[] afterClose;
        /** The script's read gathers this many bytes from the socket before it answers (0: it reads as usual). */
        volatile int gather;
    }

    /** A dialer whose sockets follow {@code script}. */
    static Dialer scripted(Script script) {
        return HookedSocket.dialer(() -> new HookedSocket() {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    script.closed.countDown();
                }
            }

            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                if (script.armed.compareAndSet(true, false)) {
                    script.entered.countDown();
                    byte[] late = script.afterClose;
                    if (late != null) {
                        awaitClose(script);
                        int n = Math.min(len, late.length);
                        System.arraycopy(late, 0, b, off, n);
                        return n;
                    }
                    int want = Math.min(len, script.gather);
                    if (want > 0) {
                        int got = 0;
                        while (got < want) {
                            int r = raw.read(b, off + got, want - got);
                            if (r < 0) {
                                break;
                            }
                            got += r;
                        }
                        return got > 0 ? got : -1;
                    }
                }
                return readEndingAtClose(raw, b, off, len);
            }
        });
    }

    private static void awaitClose(Script script) throws IOException {
        try {
            if (!script.closed.await(10, TimeUnit.SECONDS)) {
                throw new IOException("test: the socket was not closed within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("test: interrupted waiting for the socket's close");
        }
    }

    /**
     * Interrupts this test's connection's write loop once it waits for its next request (its request went out whole and
     * was reported), as {@code Goroutine.interrupt()} or a stopping bubble does: the loop ends and closes its connection
     * with a cause of its own (E85), a close of ours that is no cancellation, deadline, transport close or upload failure.
     */
    private static void interruptIdleWriteLoop(int port) throws InterruptedException {
        AtomicReference<Goroutine> loop = new AtomicReference<>();
        Lifecycle.await(() -> {
            for (Goroutine g : Leaks.transportGoroutines()) {
                if (g.name().startsWith("http-write-loop") && g.name().endsWith(":" + port)
                        && waitsForItsNextRequest(g.thread())) {
                    loop.set(g);
                    return true;
                }
            }
            return false;
        }, Lifecycle.BOUND, "the write loop waiting for its next request");
        loop.get().interrupt();
        assertThat(loop.get().join(Duration.ofSeconds(10))).as("the interrupted write loop ended").isTrue();
    }

    /** Parked with the write loop's own frame the first of the connection's: its select, not a write under way. */
    private static boolean waitsForItsNextRequest(Thread t) {
        if (t == null) {
            return false;
        }
        if (!Lifecycle.waiting(t)) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().endsWith("PersistConn")) {
                return e.getMethodName().equals("writeLoop");
            }
        }
        return false;
    }

    /** A framing and the wire under it. */
    enum Case {
        LENGTH_PLAIN, LENGTH_PLAIN_END_OF_STREAM, LENGTH_TLS, CHUNKED_PLAIN, CHUNKED_PLAIN_END_OF_STREAM, CHUNKED_TLS;

        boolean chunked() {
            return name().startsWith("CHUNKED");
        }

        boolean tls() {
            return name().endsWith("TLS");
        }

        /** A plain socket that answers a plain end of stream once closed, as a closed SSLSocket may (a Dialer's). */
        boolean endOfStream() {
            return name().endsWith("END_OF_STREAM");
        }
    }

    /**
     * The server sends the head and "first", half the body (10 bytes declared, or a first chunk), and then nothing;
     * the caller has read "first" when this side closes the connection for a reason of its own (its write loop
     * interrupted). The next read needs the socket: it fails with an {@link HttpConnectionException} that says this side
     * closed the connection, whose cause is the close's cause (the write loop's interrupt); the request's one
     * {@code done()} carries it. Before: over a JDK socket "connection failed while reading the response body: Socket
     * closed" (cause: the {@code SocketException}), and where the closed socket answers a plain end of stream (a closed
     * {@code SSLSocket}, a Dialer's) an {@link HttpProtocolException} {@code PREMATURE_EOF} that blamed the server for
     * our own close: the cause assertion fails for each.
     */
    @ParameterizedTest
    @EnumSource(Case.class)
    void E102_aFramedBodyReadAfterAnOwnCloseSaysThisSideClosedIt(Case how) throws Exception {
        String answer = how.chunked() ? CHUNKED_HEAD + "5\r\nfirst\r\n" : LENGTH_HEAD + "first";
        Dones dones = new Dones();
        Transport.Builder builder = Transport.builder().listener(dones);
        if (how.tls()) {
            builder.sslContext(JdkServer.clientTls());
        }
        if (how.endOfStream()) {
            builder.dialer(scripted(new Script()));
        }
        try (RawServer server = RawServer.start(raw -> {
                 RawServer.Conn c = how.tls() ? raw.over(JdkServer.serverTls(raw.socket)) : raw;
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write(answer);
                 c.readUntilClosed(); // the rest never comes: only our close ends the connection
             });
             Transport t = builder.build()) {
            URI uri = how.tls() ? URI.create("https://127.0.0.1:" + server.port() + "/half") : server.uri("/half");
            HttpRequest get = HttpRequest.newBuilder(uri).build();
            try (HttpResponse r = t.roundTrip(get)) {
                assertThat(r.status()).isEqualTo(200);
                InputStream body = r.body().stream();
                assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
                interruptIdleWriteLoop(server.port());
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the write loop's end closed the connection: " + t.stats());
                Object outcome = Leaks.outcomeWithin10s("the body read after our close", () -> "first" + body.read());
                assertThat(outcome).as("the read our close cut says so, never the socket's words nor the server's end")
                        .isInstanceOfSatisfying(HttpConnectionException.class, e -> {
                            assertThat(e).hasMessageContaining("closed by this side");
                            assertThat(e.getCause()).as("the close's own cause").isNotNull()
                                    .hasMessageContaining("write loop").hasMessageContaining("interrupted");
                        });
                assertThat(dones.done.get(get)).as("the request's one done(), with that failure")
                        .containsExactly((Throwable) outcome);
            }
            assertThat(t.stats().retries()).isZero();
        }
    }

    /**
     * E94's race, made to happen: the server streams a chunked answer while the upload waits in its source; the caller
     * has read the first chunk and its next read is in the socket when the upload breaks and the write loop closes the
     * connection (E94). That read is answered with the answer's last chunk ({@code 0}, the end), as a server that ends
     * its answer when it sees the upload stop gets it to a read in flight while our close runs. The read fails with
     * E94's {@link HttpConnectionException} (the upload failed, its cause the source's own exception), never completes
     * the body. Before: the bytes taken after our close completed the body by the server's framing, the read returned
     * -1 and the failed upload's answer passed for whole.
     */
    @Test
    void E103_bytesThatArriveWhileOurCloseRunsNeverCompleteTheBody() throws Exception {
        Script script = new Script();
        script.afterClose = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        UploadCutShortTest.BreakingSource source = new UploadCutShortTest.BreakingSource(true);
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write(CHUNKED_HEAD + "5\r\nfirst\r\n"); // on the head (T4), in one write
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().dialer(scripted(script)).listener(dones).build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/echo"))
                    .POST(RequestBody.ofStream(() -> source, -1, "application/octet-stream")).build();
            try (HttpResponse r = t.roundTrip(post)) { // answered while the upload waits in its source (T4)
                assertThat(r.status()).isEqualTo(200);
                InputStream body = r.body().stream();
                assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
                script.armed.set(true); // the next read needs the socket: only the body's reader reads it now
                AtomicReference<Object> outcome = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().name("e103-reader").start(() -> {
                    try {
                        outcome.set(body.read());
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                });
                assertThat(script.entered.await(10, TimeUnit.SECONDS)).as("the body's read is in the socket").isTrue();
                source.breakNow.countDown(); // the upload breaks: the write loop closes the connection under the read
                assertThat(reader.join(Duration.ofSeconds(15))).as("the body's read ended").isTrue();
                assertThat(outcome.get()).as("the read that took the end after our close fails, never ends the body")
                        .isInstanceOfSatisfying(HttpConnectionException.class, e -> {
                            assertThat(e).hasMessageContaining("upload failed");
                            assertThat(e.getCause()).as("the source's own exception").isSameAs(source.thrown);
                        });
                assertThat(dones.done.get(post)).as("the request's one done(), with that failure")
                        .containsExactly((Throwable) outcome.get());
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed, never pooled: " + t.stats());
            assertThat(source.closes).as("the source closed exactly once").hasValue(1);
            assertThat(t.stats().retries()).isZero();
        }
    }

    /**
     * A guard (the old code passed it too): the other half of E103. The whole chunked answer arrived in one read with its
     * head (the script gathers it), so the rest of the body and its end are in the connection's buffer when this side
     * closes the connection for a reason of its own (its write loop interrupted) after the caller read "first". Bytes
     * buffered before the close are read (E66), and the read that completes the framing from them completes the body
     * normally, whatever the close did before it: "rest!", then the end, and a {@code done()} without an error.
     */
    @Test
    void E103_aBodyWhoseRestWasBufferedBeforeOurCloseIsReadToItsEnd() throws Exception {
        String answer = CHUNKED_HEAD + "5\r\nfirst\r\n5\r\nrest!\r\n0\r\n\r\n";
        Script script = new Script();
        script.gather = answer.length(); // ISO-8859-1: one byte a char
        script.armed.set(true); // the connection's first read: the read loop's, for the head
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write(answer);
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().dialer(scripted(script)).listener(dones).build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/whole")).build();
            try (HttpResponse r = t.roundTrip(get)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(script.entered.getCount()).as("the answer was gathered in one read").isZero();
                InputStream body = r.body().stream();
                assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
                interruptIdleWriteLoop(server.port());
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the write loop's end closed the connection: " + t.stats());
                Object outcome = Leaks.outcomeWithin10s("the rest of the body after our close",
                        () -> new String(body.readAllBytes(), StandardCharsets.ISO_8859_1));
                assertThat(outcome).as("bytes buffered before our close are the server's").isEqualTo("rest!");
                assertThat(dones.done.get(get)).as("the request's one done(), a success").singleElement()
                        .satisfies(e -> assertThat(e).hasMessage("ok"));
            }
            assertThat(t.stats().retries()).isZero();
        }
    }

    /**
     * A body read to the connection's close, its reader (a virtual thread) in the socket of a {@link Dialer}'s that
     * answers a plain end of stream once closed, when the reader is interrupted: the JDK closes a socket a virtual
     * thread is interrupted in, and this one then answers the end. The read fails as an interrupted read does
     * ({@link RequestCancelledException} of reason {@code INTERRUPT}, the status kept), the connection is closed and the
     * request's one {@code done()} carries it. Before: the connection was open (our close had not come, so E98 did not
     * apply) and the end ended the body as whole: the outcome was "first-1" and {@code done()} said success.
     */
    @Test
    void E104_aSocketAnInterruptClosedNeverEndsABodyReadToTheClose() throws Exception {
        Script script = new Script();
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write(UNTIL_CLOSE_HEAD + "first");
                 c.readUntilClosed(); // the body never ends on this side
             });
             Transport t = Transport.builder().dialer(scripted(script)).listener(dones).build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/until-close")).build();
            try (HttpResponse r = t.roundTrip(get)) {
                assertThat(r.status()).isEqualTo(200);
                InputStream body = r.body().stream();
                AtomicReference<Object> outcome = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().name("e104-reader").start(() -> {
                    try {
                        String first = new String(body.readNBytes(5), StandardCharsets.ISO_8859_1);
                        script.armed.set(true); // the next read needs the socket: the script's reads as usual
                        outcome.set(first + body.read());
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                });
                assertThat(script.entered.await(10, TimeUnit.SECONDS)).as("the body's read is in the socket").isTrue();
                reader.interrupt(); // closes the socket under the read (a virtual thread's), which answers the end
                assertThat(reader.join(Duration.ofSeconds(10))).as("the interrupted read ended").isTrue();
                assertThat(outcome.get()).as("the end of a socket an interrupt closed is no end of the server's")
                        .isInstanceOfSatisfying(RequestCancelledException.class,
                                e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.INTERRUPT));
                assertThat(dones.done.get(get)).as("the request's one done(), with that failure")
                        .containsExactly((Throwable) outcome.get());
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed: " + t.stats());
            assertThat(t.stats().retries()).isZero();
        }
    }
}
