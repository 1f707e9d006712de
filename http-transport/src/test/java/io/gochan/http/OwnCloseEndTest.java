package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E98 (docs/spec/transport-lifecycle.md): a response body delimited by the connection's end (no Content-Length, not
 * chunked) whose read finds that end after this side closed the connection (the request's context cancelled, the
 * transport closed, the body closed by another thread, the upload cut short by the caller's code: E94) fails with why
 * the connection was closed, never ends as if it were whole. The server of each case sends the head and five bytes and
 * then keeps the connection open, so the only end the client can see is its own close. Over plain sockets the JDK's
 * read of a closed socket throws; the JDK's {@code SSLSocket} answers a plain end of stream once it is closed, and so
 * may a {@link Dialer}'s socket: the plain cases use a dialer whose sockets behave so, the TLS case the real stack.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class OwnCloseEndTest {
    /** A head whose body ends only where the connection does. */
    private static final String UNTIL_CLOSE = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How this side closes the connection under the body's read. */
    enum Closer {
        CONTEXT_CANCEL, TRANSPORT_CLOSE, BODY_CLOSE
    }

    /**
     * A dialer whose sockets answer a read with the end of the stream once they are closed, whether the read began
     * before the close (it was blocked in the socket) or after it, as the JDK's {@code SSLSocket} answers once closed
     * (its input shut or depleted). Each read of the socket made once {@code armed} is set counts {@code entered} down
     * first: then only the body's reader reads the socket (the read loop waits for the body's end).
     */
    private static Dialer endOfStreamOnceClosed(AtomicBoolean armed, CountDownLatch entered) {
        return HookedSocket.dialer(() -> new HookedSocket() {
            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                if (armed.get()) {
                    entered.countDown();
                }
                return readEndingAtClose(raw, b, off, len);
            }
        });
    }

    /** A server that answers each connection's request head with {@link #UNTIL_CLOSE} and "first", then only reads. */
    private static RawServer neverEnding() throws IOException {
        return RawServer.start(c -> {
            if (c.readRequestHead() == null) {
                return;
            }
            c.write(UNTIL_CLOSE + "first");
            c.readUntilClosed(); // the body never ends on this side: only the client's close ends the connection
        });
    }

    /**
     * The body's reader has read "first" and is in the socket for the next byte when this side closes the connection:
     * the request's context is cancelled, the transport closed, or the body closed by another thread. The read fails
     * with the close's own exception: the context's {@link RequestCancelledException} (reason {@code CONTEXT}), the
     * transport's (reason {@code TRANSPORT_CLOSED}), "response body is closed"; the connection is closed. Before, the
     * socket's end of stream ended the body as if whole: the read returned -1 (the outcome was "first-1"), and the
     * request reported {@code done()} as a success.
     */
    @ParameterizedTest
    @EnumSource(Closer.class)
    void E98_aBodyReadToTheCloseFailsWhenOurCloseEndsItUnderTheRead(Closer closer) throws Exception {
        AtomicBoolean armed = new AtomicBoolean();
        CountDownLatch entered = new CountDownLatch(1);
        Dones dones = new Dones();
        try (RawServer server = neverEnding();
             CancellableContext ctx = Context.withCancel(Context.background());
             Transport t = Transport.builder().dialer(endOfStreamOnceClosed(armed, entered)).listener(dones).build()) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/until-close")).build();
            try (HttpResponse r = t.roundTrip(get, ctx)) {
                assertThat(r.status()).isEqualTo(200);
                InputStream body = r.body().stream();
                Thread closing = Thread.ofVirtual().name("closer").start(() -> {
                    try {
                        if (!entered.await(10, TimeUnit.SECONDS)) {
                            return; // the read never reached the socket: the outcome's assertion says so
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                    switch (closer) {
                        case CONTEXT_CANCEL -> ctx.cancel();
                        case TRANSPORT_CLOSE -> t.close();
                        case BODY_CLOSE -> r.close();
                    }
                });
                Object outcome = Leaks.outcomeWithin10s("the body read", () -> {
                    String first = new String(body.readNBytes(5), StandardCharsets.ISO_8859_1);
                    armed.set(true); // the next read needs the socket: the buffer holds nothing more
                    return first + body.read();
                });
                assertThat(closing.join(java.time.Duration.ofSeconds(10))).as("the closer ended").isTrue();
                assertThat(outcome).as("the read cut by our own close fails, never ends the body as if whole")
                        .isInstanceOf(IOException.class);
                switch (closer) {
                    case CONTEXT_CANCEL -> assertThat(outcome).isInstanceOfSatisfying(RequestCancelledException.class,
                            e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
                    case TRANSPORT_CLOSE -> assertThat(outcome).isInstanceOfSatisfying(RequestCancelledException.class,
                            e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
                    case BODY_CLOSE -> assertThat((Throwable) outcome).hasMessage("response body is closed");
                }
                if (closer != Closer.BODY_CLOSE) {
                    assertThat(dones.done.get(get)).as("the request's one done(), with that failure")
                            .containsExactly((Throwable) outcome);
                }
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed: " + t.stats());
            assertThat(t.stats().retries()).isZero();
        }
    }

    /**
     * The upload of a request answered with a body read to the close is cut short by its own source (E94) while the
     * caller holds the answer; the caller has read "first", and its next read begins once the write loop's close is
     * done. That read fails with E94's {@link HttpConnectionException} saying the upload failed, whose cause is the
     * source's own exception. Before, the closed socket's end of stream ended the body as if whole: the outcome was
     * "first-1".
     */
    @Test
    void E98_aBodyReadToTheCloseFailsWithTheUploadsFailureWhenTheUploadWasCutShort() throws Exception {
        UploadCutShortTest.BreakingSource source = new UploadCutShortTest.BreakingSource(true);
        try (RawServer server = neverEnding();
             Transport t = Transport.builder().dialer(endOfStreamOnceClosed(new AtomicBoolean(), new CountDownLatch(1)))
                     .build()) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/echo"))
                    .POST(RequestBody.ofStream(() -> source, -1, "application/octet-stream")).build();
            try (HttpResponse r = t.roundTrip(post)) { // answered on its head while the upload waits in its source (T4)
                InputStream body = r.body().stream();
                assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
                source.breakNow.countDown(); // the upload breaks: the write loop closes the connection (E94)
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the write loop closed the connection: " + t.stats());
                Object outcome = Leaks.outcomeWithin10s("the body read after the close", () -> "first" + body.read());
                assertThat(outcome).as("the read after our own close fails, never ends the body as if whole")
                        .isInstanceOfSatisfying(HttpConnectionException.class, e -> {
                            assertThat(e).hasMessageContaining("upload failed");
                            assertThat(e.getCause()).as("the source's own exception").isSameAs(source.thrown);
                        });
            }
            assertThat(source.closes).as("the source closed exactly once").hasValue(1);
            assertThat(t.stats().retries()).isZero();
        }
    }

    /**
     * The same over TLS, with the JDK's own TLS stack (no dialer of the test's): the read that begins after the write
     * loop closed the connection fails with the upload's failure. A guard: whether the JDK's closed {@code SSLSocket}
     * answers such a read with an exception or with a plain end of stream depends on its state at the close (its
     * TCP socket is closed first, so most often an exception, which passed before too); with a plain end of stream the
     * body read as whole before.
     */
    @Test
    void E98_overTlsABodyReadToTheCloseFailsWithTheUploadsFailureWhenTheUploadWasCutShort() throws Exception {
        UploadCutShortTest.BreakingSource source = new UploadCutShortTest.BreakingSource(true);
        try (RawServer server = RawServer.start(raw -> {
                 RawServer.Conn c = raw.over(JdkServer.serverTls(raw.socket));
                 if (c.readRequestHead() == null) {
                     return;
                 }
                 c.write(UNTIL_CLOSE + "first");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().sslContext(JdkServer.clientTls()).build()) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/echo"))
                    .POST(RequestBody.ofStream(() -> source, -1, "application/octet-stream")).build();
            try (HttpResponse r = t.roundTrip(post)) {
                InputStream body = r.body().stream();
                assertThat(new String(body.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("first");
                source.breakNow.countDown();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the write loop closed the connection: " + t.stats());
                Object outcome = Leaks.outcomeWithin10s("the body read after the close", () -> "first" + body.read());
                assertThat(outcome).as("the read after our own close fails, never ends the body as if whole")
                        .isInstanceOfSatisfying(HttpConnectionException.class, e -> {
                            assertThat(e).hasMessageContaining("upload failed");
                            assertThat(e.getCause()).as("the source's own exception").isSameAs(source.thrown);
                        });
            }
            assertThat(t.stats().retries()).isZero();
        }
    }
}
