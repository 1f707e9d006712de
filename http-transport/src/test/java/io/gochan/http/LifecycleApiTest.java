package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The E rules that need the redesign's exported API (docs/spec/transport-lifecycle.md):
 * {@link HttpTimeoutException} with its kind, {@link RequestCancelledException} with its reason,
 * and {@code Transport.Builder.maxRequestHeaderBytes}: E9, E10, E12.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class LifecycleApiTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Paths: {@code /stall-head} never answers; {@code /stall-body} sends a head for 100,000 bytes and
     * ten of them; {@code /ok} answers "ok". Each stalls until the client goes.
     */
    private static RawServer stallingServer(CountDownLatch requestArrived) throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                requestArrived.countDown();
                if (head.contains(" /stall-head ")) {
                    break;
                } else if (head.contains(" /stall-body ")) {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789");
                    break;
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
            while (c.in.read() >= 0) {
                // stall until the client goes
            }
        });
    }

    /** Runs {@code work} on a caller thread and returns its failure (bounded; a hung caller fails the test). */
    private static Throwable failureOf(boolean virtual, Transport t, Lifecycle.Work<Object> work) throws Exception {
        Caller<Object> c = Caller.start(virtual, "caller", work);
        boolean ended = c.join(Lifecycle.BOUND.plus(Duration.ofSeconds(2)));
        c.abandon(t::close);
        assertThat(ended).as("ended within the bound").isTrue();
        assertThat(c.error()).as("failed (got %s)", c.value()).isNotNull();
        return c.error();
    }

    private static byte[] readBody(HttpResponse r) throws IOException {
        try (r) {
            return r.body().bytes();
        }
    }

    /** Where a deadline passes. */
    enum TimeoutCase {
        REQUEST_TIMEOUT_WAITING_FOR_A_CONNECTION(HttpTimeoutException.Kind.REQUEST),
        REQUEST_TIMEOUT_AWAITING_HEADERS(HttpTimeoutException.Kind.REQUEST),
        REQUEST_TIMEOUT_READING_THE_BODY(HttpTimeoutException.Kind.REQUEST),
        CONTEXT_DEADLINE_AWAITING_HEADERS(HttpTimeoutException.Kind.REQUEST),
        CONTEXT_DEADLINE_READING_THE_BODY(HttpTimeoutException.Kind.REQUEST),
        CLIENT_TIMEOUT_AWAITING_HEADERS(HttpTimeoutException.Kind.REQUEST),
        CLIENT_TIMEOUT_READING_THE_BODY(HttpTimeoutException.Kind.REQUEST),
        RESPONSE_HEADER_TIMEOUT(HttpTimeoutException.Kind.RESPONSE_HEADERS),
        BODY_READ_TIMEOUT(HttpTimeoutException.Kind.BODY_READ),
        TLS_HANDSHAKE_TIMEOUT(HttpTimeoutException.Kind.TLS_HANDSHAKE);

        final HttpTimeoutException.Kind kind;

        TimeoutCase(HttpTimeoutException.Kind kind) {
            this.kind = kind;
        }
    }

    /**
     * Every deadline that passes is an {@link HttpTimeoutException} of its kind, saying "timed out":
     * the request's own timeout and its context's deadline (REQUEST, in every phase), the client's
     * overall timeout (REQUEST, never "cancelled"), the response-header, body-read and TLS-handshake
     * timeouts.
     */
    @ParameterizedTest
    @EnumSource(TimeoutCase.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E10_everyDeadlineIsAnHttpTimeoutExceptionOfItsKind(TimeoutCase tc) throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        try (RawServer server = stallingServer(arrived)) {
            Transport.Builder tb = Transport.builder();
            switch (tc) {
                case REQUEST_TIMEOUT_WAITING_FOR_A_CONNECTION -> tb.maxConnsPerHost(1);
                case RESPONSE_HEADER_TIMEOUT -> tb.responseHeaderTimeout(SHORT);
                case BODY_READ_TIMEOUT -> tb.bodyReadTimeout(SHORT);
                case TLS_HANDSHAKE_TIMEOUT -> tb.tlsHandshakeTimeout(SHORT);
                default -> { }
            }
            Transport t = tb.build();
            try {
                URI head = server.uri("/stall-head");
                URI body = server.uri("/stall-body");
                HttpClient client = HttpClient.builder(t).timeout(SHORT).build();
                CancellableContext deadline = Context.withTimeout(Context.background(), SHORT);
                HttpResponse holder = tc == TimeoutCase.REQUEST_TIMEOUT_WAITING_FOR_A_CONNECTION
                        ? t.roundTrip(HttpRequest.newBuilder(body).build()) : null; // holds the only connection
                Throwable e = failureOf(true, t, () -> switch (tc) {
                    case REQUEST_TIMEOUT_WAITING_FOR_A_CONNECTION -> t.roundTrip(HttpRequest.newBuilder(server.uri("/ok")).timeout(SHORT).build());
                    case REQUEST_TIMEOUT_AWAITING_HEADERS -> t.roundTrip(HttpRequest.newBuilder(head).timeout(SHORT).build());
                    case REQUEST_TIMEOUT_READING_THE_BODY -> readBody(t.roundTrip(HttpRequest.newBuilder(body).timeout(SHORT).build()));
                    case CONTEXT_DEADLINE_AWAITING_HEADERS -> t.roundTrip(HttpRequest.newBuilder(head).build(), deadline);
                    case CONTEXT_DEADLINE_READING_THE_BODY -> readBody(t.roundTrip(HttpRequest.newBuilder(body).build(), deadline));
                    case CLIENT_TIMEOUT_AWAITING_HEADERS -> client.send(HttpRequest.newBuilder(head).build());
                    case CLIENT_TIMEOUT_READING_THE_BODY -> readBody(client.send(HttpRequest.newBuilder(body).build()));
                    case RESPONSE_HEADER_TIMEOUT -> t.roundTrip(HttpRequest.newBuilder(head).build());
                    case BODY_READ_TIMEOUT -> readBody(t.roundTrip(HttpRequest.newBuilder(body).build()));
                    case TLS_HANDSHAKE_TIMEOUT -> t.roundTrip(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/")).build());
                });
                deadline.cancel();
                if (holder != null) {
                    holder.close();
                }
                Lifecycle.assertExportedType(e);
                assertThat(e).as("%s", tc).isInstanceOfSatisfying(HttpTimeoutException.class,
                        h -> assertThat(h.kind()).isEqualTo(tc.kind)).hasMessageContaining("timed out");
            } finally {
                t.close();
            }
        }
    }

    /** How a request is cancelled. */
    enum CancelCase {
        CONTEXT_AWAITING_HEADERS(RequestCancelledException.Reason.CONTEXT),
        CONTEXT_READING_THE_BODY(RequestCancelledException.Reason.CONTEXT),
        TRANSPORT_CLOSED_WHILE_DIALING(RequestCancelledException.Reason.TRANSPORT_CLOSED),
        TRANSPORT_CLOSED_READING_THE_BODY(RequestCancelledException.Reason.TRANSPORT_CLOSED),
        INTERRUPT_READING_THE_BODY_VIRTUAL(RequestCancelledException.Reason.INTERRUPT),
        INTERRUPT_READING_THE_BODY_PLATFORM(RequestCancelledException.Reason.INTERRUPT);

        final RequestCancelledException.Reason reason;

        CancelCase(RequestCancelledException.Reason reason) {
            this.reason = reason;
        }
    }

    /**
     * Every cancellation is a {@link RequestCancelledException} with its reason, saying "cancelled":
     * the context (its error as the cause), closing the transport (while dialing, or under a body
     * being read: never a bare "Socket closed"), an interrupt of a body read (either thread kind).
     */
    @ParameterizedTest
    @EnumSource(CancelCase.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E10_everyCancellationIsARequestCancelledExceptionWithItsReason(CancelCase cc) throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        try (RawServer server = stallingServer(arrived)) {
            Transport t = Transport.builder().build();
            CancellableContext ctx = Context.withCancel(Context.background());
            try {
                URI head = server.uri("/stall-head");
                URI body = server.uri("/stall-body");
                Throwable e;
                switch (cc) {
                    case CONTEXT_AWAITING_HEADERS -> {
                        Caller<Object> c = Caller.virtual("caller", () -> t.roundTrip(HttpRequest.newBuilder(head).build(), ctx));
                        assertThat(arrived.await(20, TimeUnit.SECONDS)).isTrue();
                        ctx.cancel();
                        e = endedWith(c, t);
                    }
                    case CONTEXT_READING_THE_BODY -> {
                        HttpResponse r = t.roundTrip(HttpRequest.newBuilder(body).build(), ctx);
                        InputStream in = r.body().stream();
                        in.readNBytes(10);
                        Caller<Object> c = Caller.virtual("reader", in::readAllBytes);
                        ctx.cancel();
                        e = endedWith(c, t);
                    }
                    case TRANSPORT_CLOSED_WHILE_DIALING -> {
                        Caller<Object> c = Caller.virtual("caller", () -> t.roundTrip(
                                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/")).build()));
                        Lifecycle.await(() -> server.accepted() == 1, Duration.ofSeconds(20), "dial under way");
                        t.close();
                        e = endedWith(c, t);
                    }
                    case TRANSPORT_CLOSED_READING_THE_BODY -> {
                        HttpResponse r = t.roundTrip(HttpRequest.newBuilder(body).build());
                        InputStream in = r.body().stream();
                        in.readNBytes(10);
                        Caller<Object> c = Caller.virtual("reader", in::readAllBytes);
                        t.close();
                        e = endedWith(c, t);
                    }
                    default -> {
                        HttpResponse r = t.roundTrip(HttpRequest.newBuilder(body).build());
                        InputStream in = r.body().stream();
                        in.readNBytes(10);
                        Caller<Object> c = Caller.start(cc == CancelCase.INTERRUPT_READING_THE_BODY_VIRTUAL, "reader", in::readAllBytes);
                        Lifecycle.await(() -> Lifecycle.inSocketRead(c.thread), Duration.ofSeconds(20), "reader blocked");
                        c.thread.interrupt();
                        e = endedWith(c, t);
                    }
                }
                Lifecycle.assertExportedType(e);
                assertThat(e).as("%s", cc).isInstanceOfSatisfying(RequestCancelledException.class,
                        rc -> assertThat(rc.reason()).isEqualTo(cc.reason)).hasMessageContaining("cancelled");
                if (cc.reason == RequestCancelledException.Reason.CONTEXT) {
                    assertThat(e.getCause()).isSameAs(ctx.err());
                }
            } finally {
                ctx.cancel();
                t.close();
            }
        }
    }

    private static Throwable endedWith(Caller<Object> c, Transport t) throws InterruptedException {
        boolean ended = c.join(Lifecycle.BOUND);
        c.abandon(t::close);
        assertThat(ended).as("ended within %s", Lifecycle.BOUND).isTrue();
        assertThat(c.error()).isNotNull();
        return c.error();
    }

    /** An interrupt while {@code roundTrip} waits is an {@link InterruptedException} that says what it interrupted. */
    @ParameterizedTest(name = "virtual caller: {0}")
    @ValueSource(booleans = {true, false})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E10_anInterruptedRoundTripThrowsInterruptedExceptionWithAMessage(boolean virtual) throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        try (RawServer server = stallingServer(arrived); Transport t = Transport.builder().build()) {
            Caller<Object> c = Caller.start(virtual, "caller", () -> t.roundTrip(HttpRequest.newBuilder(server.uri("/stall-head")).build()));
            assertThat(arrived.await(20, TimeUnit.SECONDS)).isTrue();
            c.thread.interrupt();
            Throwable e = endedWith(c, t);
            assertThat(e).isInstanceOf(InterruptedException.class);
            assertThat(e.getMessage()).as("message of %s", e).isNotBlank();
        }
    }

    /**
     * No failure type from an internal package escapes {@code roundTrip}: an upload reset by the server
     * on a new connection, a body source failing on a new connection.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E10_noInternalExceptionTypeEscapes() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.reset();
             });
             Transport t = Transport.builder().build()) {
            Throwable upload = failureOf(true, t, () -> t.roundTrip(HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.of(new byte[16 << 20], "application/octet-stream")).build()));
            Lifecycle.assertExportedType(upload);
            Throwable source = failureOf(true, t, () -> t.roundTrip(HttpRequest.newBuilder(server.uri("/upload"))
                    .POST(RequestBody.ofStream(() -> new InputStream() {
                        @Override
                        public int read() throws IOException {
                            throw new IOException("body source failed");
                        }
                    }, 10, "text/plain")).build()));
            Lifecycle.assertExportedType(source);
        }
    }

    /**
     * A request whose head was partly written when its connection (a reused one) broke reached the
     * server in part: it is sent again only if it is replayable, so a POST (with a replayable body,
     * with none, or with a one-shot body) is never sent twice. The head (8 MiB, under a raised head
     * limit) is far larger than what the socket buffers hold, so its write is still blocked when
     * the server resets the connection after reading its request line.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void E9_aPartlySentRequestIsNeverSentAgainUnlessReplayable() throws Exception {
        Map<String, AtomicInteger> requestLines = new ConcurrentHashMap<>();
        try (RawServer server = RawServer.start(c -> {
                 BufferedInputStream in = new BufferedInputStream(c.in, 1 << 16);
                 String first = readHead(in);
                 if (first == null) {
                     return;
                 }
                 if (first.startsWith("GET /warm")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     byte[] part = in.readNBytes(1024); // the next request's line and a little of its head
                     String line = new String(part, StandardCharsets.ISO_8859_1).split("\r\n", 2)[0];
                     requestLines.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                     c.reset();
                     return;
                 }
                 requestLines.computeIfAbsent(first.split("\r\n", 2)[0], k -> new AtomicInteger()).incrementAndGet();
                 for (String l : first.split("\r\n")) {
                     if (l.toLowerCase().startsWith("content-length:")) {
                         in.readNBytes(Integer.parseInt(l.substring(15).trim()));
                     }
                 }
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
             });
             Transport t = Transport.builder().maxRequestHeaderBytes(16 << 20).build()) {
            String pad = "p".repeat(64 * 1024);
            RequestBody[] bodies = {
                RequestBody.of("x"),
                RequestBody.none(),
                RequestBody.ofStreamOnce(new java.io.ByteArrayInputStream(new byte[] {'x'}), 1, "text/plain"),
            };
            for (int i = 0; i < bodies.length; i++) {
                t.closeIdleConnections();
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/warm")).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                HttpRequest.Builder post = HttpRequest.newBuilder(server.uri("/once-" + i)).POST(bodies[i]);
                for (int h = 0; h < 128; h++) {
                    post.header("X-Pad-" + h, pad);
                }
                HttpRequest req = post.build();
                Caller<Object> c = Caller.virtual("post", () -> {
                    try (HttpResponse r = t.roundTrip(req)) {
                        return r.body().string();
                    }
                });
                assertThat(c.join(Duration.ofSeconds(30))).as("POST ended").isTrue();
                AtomicInteger sent = requestLines.get("POST /once-" + i + " HTTP/1.1");
                assertThat(sent == null ? 0 : sent.get()).as("times POST %d (%s) reached the server; outcome %s", i,
                        i == 0 ? "replayable body" : i == 1 ? "no body" : "one-shot body",
                        c.error() != null ? c.error() : c.value()).isLessThanOrEqualTo(1);
            }
        }
    }

    /** Reads a request head through a buffer (large heads), or null at EOF. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int ch = in.read();
            if (ch < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(ch);
            state = (ch == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (ch == '\n' && (state == 1 || state == 3)) ? state + 1 : (ch == '\r' ? 1 : 0);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** {@code maxRequestHeaderBytes} sets the request-head limit: over it, nothing is sent. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E12_theRequestHeadLimitIsConfigurable() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (RawServer server = DeadlineTest.recording(lines);
             Transport t = Transport.builder().maxRequestHeaderBytes(4096).build()) {
            assertThatThrownBy(() -> t.roundTrip(DeadlineTest.getWithHead(server, "/big", 6)))
                    .isInstanceOf(IllegalArgumentException.class);
            try (HttpResponse r = t.roundTrip(DeadlineTest.getWithHead(server, "/fits", 2))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(lines).as("request lines the server read").containsExactly("GET /fits HTTP/1.1");
        }
    }
}
