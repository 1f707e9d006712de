package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E92: the stream of a single-use body ({@link RequestBody#ofStreamOnce}) is the caller's own, open already. A request
 * refused before its body is opened (E12, E28, R29, R30, R56, an ended context, user info the client cannot send, a
 * null context) closes it, exactly once, as Go's {@code RoundTrip} closes {@code req.Body} on every early error.
 * Before, it stayed open until collected (a pipe's writer waited for ever). {@code RefusalDoneTest} and
 * {@code ClosedTransportTest} use {@link RequestBody#ofStream}, whose stream a refusal never opens. From review
 * streams26, finding 2.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class SingleUseBodyRefusalCloseTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A body stream that counts its closes: exactly one is the rule. */
    private static final class CountedStream extends ByteArrayInputStream {
        final AtomicInteger closes = new AtomicInteger();

        CountedStream() {
            super(new byte[] {1, 2, 3});
        }

        @Override
        public void close() throws IOException {
            closes.incrementAndGet();
            super.close();
        }
    }

    private static HttpRequest postOnce(RawServer server, InputStream stream) {
        return HttpRequest.newBuilder(server.uri("/")).POST(RequestBody.ofStreamOnce(stream, 3, null)).build();
    }

    @Test
    void E92_aSingleUseBodysStreamIsClosedOnceWhenTheTransportRefusesItsRequestBeforeItIsSent() throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            try (Transport t = Transport.builder().build()) {
                // A context already ended.
                CountedStream cancelled = new CountedStream();
                CancellableContext ctx = Context.withCancel(Context.background());
                ctx.cancel();
                HttpRequest refused = postOnce(server, cancelled);
                assertThatThrownBy(() -> t.roundTrip(refused, ctx)).isInstanceOf(RequestCancelledException.class);
                assertThat(cancelled.closes.get()).as("closed once: its request was refused (ended context)").isEqualTo(1);
                // The body is used up, as after any failed send: sent again, it is refused as single-use, and its
                // stream is not closed a second time.
                assertThatThrownBy(() -> t.roundTrip(refused)).isInstanceOf(IOException.class)
                        .hasMessageContaining("single-use");
                assertThat(cancelled.closes.get()).as("closed exactly once").isEqualTo(1);

                // An interrupted caller (R29).
                CountedStream interrupted = new CountedStream();
                Thread.currentThread().interrupt();
                try {
                    assertThatThrownBy(() -> t.roundTrip(postOnce(server, interrupted)))
                            .isInstanceOf(InterruptedException.class);
                } finally {
                    Thread.interrupted();
                }
                assertThat(interrupted.closes.get()).as("closed once: its request was refused (interrupted caller)")
                        .isEqualTo(1);

                // A null context: refused before anything, as Go's RoundTrip closes the body of a request it rejects.
                CountedStream noContext = new CountedStream();
                assertThatThrownBy(() -> t.roundTrip(postOnce(server, noContext), null))
                        .isInstanceOf(NullPointerException.class);
                assertThat(noContext.closes.get()).as("closed once: its request was refused (null context)").isEqualTo(1);
            }

            // A head over maxRequestHeaderBytes (E12).
            try (Transport t = Transport.builder().maxRequestHeaderBytes(4096).build()) {
                CountedStream tooLarge = new CountedStream();
                HttpRequest big = HttpRequest.newBuilder(server.uri("/")).header("X-Big", "x".repeat(8192))
                        .POST(RequestBody.ofStreamOnce(tooLarge, 3, null)).build();
                assertThatThrownBy(() -> t.roundTrip(big)).isInstanceOf(IllegalArgumentException.class);
                assertThat(tooLarge.closes.get()).as("closed once: its request was refused (head too large)").isEqualTo(1);
            }

            // A failed proxy choice (R30).
            try (Transport t = Transport.builder().proxy(r -> {
                throw new UncheckedIOException(new IOException("no proxy today"));
            }).build()) {
                CountedStream noProxy = new CountedStream();
                assertThatThrownBy(() -> t.roundTrip(postOnce(server, noProxy))).isInstanceOf(IOException.class);
                assertThat(noProxy.closes.get()).as("closed once: its request was refused (proxy choice failed)")
                        .isEqualTo(1);
            }

            // A closed transport (E28).
            Transport closed = Transport.builder().build();
            closed.close();
            CountedStream afterClose = new CountedStream();
            assertThatThrownBy(() -> closed.roundTrip(postOnce(server, afterClose)))
                    .isInstanceOf(RequestCancelledException.class);
            assertThat(afterClose.closes.get()).as("closed once: its request was refused (transport closed)").isEqualTo(1);

            assertThat(server.accepted()).as("nothing of any of them was sent").isZero();
        }
    }

    @Test
    void E92_aSingleUseBodysStreamIsClosedWhenTheClientRefusesItsUserInfo() throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            HttpClient c = HttpClient.builder(t).build();
            CountedStream stream = new CountedStream();
            // A control character in the password (R14, R17): the client refuses before the transport sees it.
            HttpRequest req = HttpRequest.newBuilder(java.net.URI.create("http://u:pw%00@127.0.0.1:" + server.port() + "/"))
                    .POST(RequestBody.ofStreamOnce(stream, 3, null)).build();
            assertThatThrownBy(() -> c.send(req)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot be sent as basic auth");
            assertThat(stream.closes.get()).as("closed once: the client refused its user info").isEqualTo(1);
            assertThat(server.accepted()).as("nothing of it was sent").isZero();
        }
    }

    /** A body stream whose close throws an {@link Error}, as a caller's stream with a failed assertion in it does. */
    private static final class ErrorOnClose extends ByteArrayInputStream {
        final AssertionError thrown = new AssertionError("the caller's stream failed in close()");
        final AtomicInteger closes = new AtomicInteger();

        ErrorOnClose() {
            super(new byte[] {1, 2, 3});
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            throw thrown;
        }
    }

    /**
     * E92: an Error from the stream's close, when its request is refused, goes with the refusal as suppressed; the
     * caller gets the refusal, and the request's one done() is reported with it (E22, E61). Before, closeUnsent caught
     * only IOException and RuntimeException: the AssertionError escaped roundTrip's failure handling in place of the
     * refusal, before done(), which was never called.
     */
    @Test
    void E92_anErrorFromTheStreamsCloseGoesWithTheRefusalAndItsDoneIsReported() throws Exception {
        List<Throwable> done = new CopyOnWriteArrayList<>();
        RequestListener listener = new RequestListener() {
            @Override
            public void done(HttpRequest request, Throwable error) {
                done.add(error);
            }
        };
        try (RawServer server = RawServer.answeringOk()) {
            // A context already ended.
            try (Transport t = Transport.builder().listener(listener).build()) {
                ErrorOnClose stream = new ErrorOnClose();
                CancellableContext ctx = Context.withCancel(Context.background());
                ctx.cancel();
                Throwable thrown = catchThrowable(() -> t.roundTrip(postOnce(server, stream), ctx));
                // Before: the AssertionError itself, and no done().
                assertThat(thrown).isInstanceOf(RequestCancelledException.class);
                assertThat(thrown.getSuppressed()).contains(stream.thrown);
                assertThat(stream.closes.get()).as("closed once").isEqualTo(1);
                assertThat(done).as("its one done(), with the refusal").containsExactly(thrown);
            }

            // A closed transport (E28).
            done.clear();
            Transport closed = Transport.builder().listener(listener).build();
            closed.close();
            ErrorOnClose afterClose = new ErrorOnClose();
            Throwable refused = catchThrowable(() -> closed.roundTrip(postOnce(server, afterClose)));
            assertThat(refused).isInstanceOf(RequestCancelledException.class);
            assertThat(refused.getSuppressed()).contains(afterClose.thrown);
            assertThat(done).containsExactly(refused);

            // HttpClient refusing the URI's user info (R17) before the transport sees it: the same, without a done()
            // (no request of the transport's began).
            try (Transport t = Transport.builder().build()) {
                ErrorOnClose userInfo = new ErrorOnClose();
                HttpRequest req = HttpRequest.newBuilder(java.net.URI.create("http://u:pw%00@127.0.0.1:" + server.port() + "/"))
                        .POST(RequestBody.ofStreamOnce(userInfo, 3, null)).build();
                Throwable byClient = catchThrowable(() -> HttpClient.builder(t).build().send(req));
                assertThat(byClient).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be sent as basic auth");
                assertThat(byClient.getSuppressed()).contains(userInfo.thrown);
            }
            assertThat(server.accepted()).as("nothing of any of them was sent").isZero();
        }
    }

    /**
     * E92: a body opened for an attempt that gets no connection (its dial refused) is closed by the transport; an
     * Error from that close goes with the dial's failure as suppressed, which stays what the caller and done() get.
     * Before, the AssertionError replaced the ConnectException.
     */
    @Test
    void E92_anErrorFromClosingABodyOpenedForAnAttemptWithoutAConnectionGoesWithItsFailure() throws Exception {
        List<Throwable> done = new CopyOnWriteArrayList<>();
        try (Transport t = Transport.builder()
                .dialer((host, port, timeout) -> {
                    throw new ConnectException("refused by the test's dialer");
                })
                .listener(new RequestListener() {
                    @Override
                    public void done(HttpRequest request, Throwable error) {
                        done.add(error);
                    }
                }).build()) {
            ErrorOnClose stream = new ErrorOnClose();
            HttpRequest req = HttpRequest.newBuilder(java.net.URI.create("http://origin.test:8080/"))
                    .POST(RequestBody.ofStreamOnce(stream, 3, null)).build();
            Throwable thrown = catchThrowable(() -> t.roundTrip(req));
            // Before: the AssertionError itself.
            assertThat(thrown).isInstanceOf(ConnectException.class);
            assertThat(thrown.getSuppressed()).contains(stream.thrown);
            assertThat(stream.closes.get()).as("closed once").isEqualTo(1);
            assertThat(done).containsExactly(thrown);
        }
    }

    /** A request that is sent still closes its stream once, by the write, and closeUnsent is a no-op after it. */
    @Test
    void E92_aSentSingleUseBodysStreamIsClosedOnceByItsWrite() throws Exception {
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            CountedStream stream = new CountedStream();
            HttpRequest req = postOnce(server, stream);
            try (HttpResponse r = t.roundTrip(req)) {
                r.body().string();
            }
            req.body().closeUnsent(new IOException("a refusal that never came"));
            assertThat(stream.closes.get()).as("closed once, by the request that took it").isEqualTo(1);
        }
    }
}
