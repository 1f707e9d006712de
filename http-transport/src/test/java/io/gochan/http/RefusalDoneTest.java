package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E61 (docs/spec/transport-lifecycle.md): every request {@code roundTrip} refuses before anything of it happens
 * reports its one {@code done()} (E22), with the very exception {@code roundTrip} throws, and no {@code getConn}
 * unless it looked for a connection. Each way of refusing is tried: its own head over {@code maxRequestHeaderBytes}
 * (E12), its head as forwarded to a proxy or its {@code CONNECT} head over it (R56), a closed transport (E28), an
 * interrupted caller (R29), a context already ended, a body source that fails to open or opens null (E59), a
 * single-use body sent again (E60), a failed proxy choice (R30). Before, the E12 refusal alone reported nothing: a
 * listener counting requests by their {@code done()} (as {@code RequestListener}'s contract allows) never heard of it.
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RefusalDoneTest {
    private static final int LIMIT = 1024;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Records each event of every request, with done()'s error by identity. */
    private static final class Recorder implements RequestListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Throwable> doneErrors = new CopyOnWriteArrayList<>();

        @Override
        public void getConn(HttpRequest request, String hostPort) {
            events.add("getConn");
        }

        @Override
        public void gotConn(HttpRequest request, boolean reused) {
            events.add("gotConn");
        }

        @Override
        public void wroteHeaders(HttpRequest request) {
            events.add("wroteHeaders");
        }

        @Override
        public void done(HttpRequest request, Throwable error) {
            events.add("done");
            doneErrors.add(error);
        }
    }

    private interface Call {
        HttpResponse call() throws Exception;
    }

    /** Runs {@code call}, which must fail as {@code type}, and checks its one done() carries that very exception. */
    private static Throwable assertRefusedWithOneDone(Recorder rec, Call call, Class<? extends Throwable> type,
            String... eventsBeforeDone) {
        Throwable thrown = catchThrowable(call::call);
        assertThat(thrown).isInstanceOf(type);
        List<String> expected = new java.util.ArrayList<>(List.of(eventsBeforeDone));
        expected.add("done");
        assertThat(rec.events).as("the refused request's events").containsExactlyElementsOf(expected);
        assertThat(rec.doneErrors).as("done() carries the exception roundTrip threw").hasSize(1);
        assertThat(rec.doneErrors.get(0)).isSameAs(thrown);
        return thrown;
    }

    private static HttpRequest bigHead(java.net.URI uri) {
        return HttpRequest.newBuilder(uri).header("X-Pad", "v".repeat(2 * LIMIT)).build();
    }

    @Test
    void E61_aRequestHeadOverTheLimitReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxRequestHeaderBytes(LIMIT).listener(rec).build()) {
            assertRefusedWithOneDone(rec, () -> t.roundTrip(bigHead(server.uri("/big"))), IllegalArgumentException.class);
            assertThat(server.accepted()).as("nothing dialled").isZero();
            // The transport goes on: the next request is served, with its own events.
            rec.events.clear();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/").toString()))) {
                // wroteHeaders comes from the write loop after the head's flush, not before the answer reaches the
                // caller (E91); the body's end is done(), after which no event is reported (E22, E27): awaited first.
                Leaks.awaitTrue(() -> rec.events.contains("wroteHeaders"), "wroteHeaders");
                r.body().string();
            }
            assertThat(rec.events).containsExactly("getConn", "gotConn", "wroteHeaders", "done");
        }
    }

    @Test
    void E61_aForwardedHeadOverTheLimitReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        String user = "user-" + "u".repeat(LIMIT);
        try (RawServer proxy = RawServer.start(RawServer.Conn::readUntilClosed);
             Transport t = Transport.builder().maxRequestHeaderBytes(LIMIT).listener(rec)
                     .proxy(r -> Optional.of(java.net.URI.create("http://" + user + ":pw@127.0.0.1:" + proxy.port())))
                     .build()) {
            assertRefusedWithOneDone(rec, () -> t.roundTrip(HttpRequest.get("http://origin.test/")),
                    IllegalArgumentException.class);
        }
    }

    @Test
    void E61_aConnectHeadOverTheLimitReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (RawServer proxy = RawServer.start(RawServer.Conn::readUntilClosed);
             Transport t = Transport.builder().maxRequestHeaderBytes(LIMIT).listener(rec)
                     .dialTimeout(Duration.ofSeconds(10))
                     .proxy(r -> Optional.of(java.net.URI.create("http://127.0.0.1:" + proxy.port())))
                     .proxyConnectHeaders(Headers.of("X-Token", "t".repeat(2 * LIMIT))).build()) {
            // It looked for a connection (the CONNECT head is the dial's), so its getConn came first.
            assertRefusedWithOneDone(rec, () -> t.roundTrip(HttpRequest.get("https://origin.test/")),
                    IllegalArgumentException.class, "getConn");
            assertThat(t.stats().open()).isZero();
        }
    }

    @Test
    void E61_aClosedTransportsRefusalReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (RawServer server = RawServer.answeringOk()) {
            Transport t = Transport.builder().listener(rec).build();
            t.close();
            assertRefusedWithOneDone(rec, () -> t.roundTrip(HttpRequest.get(server.uri("/").toString())),
                    RequestCancelledException.class);
        }
    }

    @Test
    void E61_anInterruptedCallersRefusalReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().listener(rec).build()) {
            assertRefusedWithOneDone(rec, () -> {
                Thread.currentThread().interrupt();
                return t.roundTrip(HttpRequest.get(server.uri("/").toString()));
            }, InterruptedException.class);
            assertThat(Thread.interrupted()).as("consumed by the InterruptedException").isFalse();
        }
    }

    @Test
    void E61_anEndedContextsRefusalReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().listener(rec).build()) {
            io.gochan.CancellableContext ctx = Context.withCancel(Context.background());
            ctx.cancel();
            assertRefusedWithOneDone(rec, () -> t.roundTrip(HttpRequest.get(server.uri("/").toString()), ctx),
                    RequestCancelledException.class);
        }
    }

    @Test
    void E61_aBodyThatFailsToOpenReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().listener(rec).build()) {
            HttpRequest nullBody = HttpRequest.newBuilder(server.uri("/")).POST(RequestBody.ofStream(() -> null, 3, null))
                    .build();
            assertRefusedWithOneDone(rec, () -> t.roundTrip(nullBody), IOException.class);
            rec.events.clear();
            rec.doneErrors.clear();
            HttpRequest failing = HttpRequest.newBuilder(server.uri("/")).POST(RequestBody.ofStream(() -> {
                throw new UncheckedIOException(new IOException("cannot open"));
            }, 3, null)).build();
            assertRefusedWithOneDone(rec, () -> t.roundTrip(failing), UncheckedIOException.class);
            rec.events.clear();
            rec.doneErrors.clear();
            HttpRequest once = HttpRequest.newBuilder(server.uri("/"))
                    .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, null)).build();
            try (HttpResponse r = t.roundTrip(once)) {
                r.body().string();
            }
            rec.events.clear();
            rec.doneErrors.clear();
            assertRefusedWithOneDone(rec, () -> t.roundTrip(once), IOException.class);
            assertThat(server.accepted()).as("only the single-use body's first request dialled").isEqualTo(1);
        }
    }

    @Test
    void E61_aFailedProxyChoiceReportsItsOneDone() throws Exception {
        Recorder rec = new Recorder();
        try (Transport t = Transport.builder().listener(rec)
                .proxy(r -> {
                    throw new UncheckedIOException(new IOException("no proxy today"));
                }).build()) {
            assertRefusedWithOneDone(rec, () -> t.roundTrip(HttpRequest.get("http://origin.test/")), IOException.class);
        }
    }
}
