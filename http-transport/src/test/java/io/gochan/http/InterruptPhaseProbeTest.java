package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;

/**
 * E62 (docs/spec/transport-lifecycle.md): an interrupt of the calling thread, Java's own cancellation, ends the
 * request in whichever phase it waits, on a virtual or a platform caller: waiting for a slot under
 * {@code maxConnsPerHost}, dialing (a TLS handshake the server never answers), its body's write blocked on a server
 * that stopped reading, awaiting the response head, reading a stalled body. {@code roundTrip} throws an
 * {@link InterruptedException} (its status cleared, as Java's convention for a thrown interrupt), a body read an
 * {@link java.io.InterruptedIOException} (its status kept: {@code read} cannot throw the checked one); the request
 * reports exactly one {@code done()}, with that exception; its connection (or its dial) is closed, its body source
 * closed, the counters exact ({@code open}, {@code inUse}, {@code dialing}, {@code waiting}); and the next request
 * on the same transport is served. E63: a request that gives up while its own dial is under way fails only once
 * that dial has ended.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterruptPhaseProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Phase {
        POOL_SLOT, DIAL, BODY_WRITE, HEAD, BODY_READ
    }

    static List<Arguments> cases() {
        List<Arguments> all = new java.util.ArrayList<>();
        for (Phase p : Phase.values()) {
            all.add(Arguments.of(p, true));
            all.add(Arguments.of(p, false));
        }
        return all;
    }

    /** What the interrupted caller saw: its exception and its interrupt status right after. */
    private record Outcome(Throwable error, boolean interruptedAfter) {}

    @ParameterizedTest(name = "{0}, virtual caller: {1}")
    @MethodSource("cases")
    void E62_anInterruptEndsTheRequestInEveryPhase(Phase phase, boolean virtual) throws Exception {
        Dones dones = new Dones();
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean sourceClosed = new AtomicBoolean();
        try (RawServer server = RawServer.start(c -> {
                 String head = c.readRequestHead();
                 if (head == null) {
                     return;
                 }
                 if (c.answerGet(head, "/next") || c.answerGet(head, "/hold")) {
                     for (String h; (h = c.readRequestHead()) != null; ) { // the next request reuses it
                         c.write(RawServer.OK);
                     }
                     return;
                 }
                 if (head.startsWith("GET /stall-body")) {
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
                 }
                 release.await(30, TimeUnit.SECONDS); // POST /upload: not read; GET /stall-head: never answered
                 c.readUntilClosed();
             });
             SilentTlsServer silentTls = new SilentTlsServer();
             Transport t = Transport.builder().listener(dones).maxConnsPerHost(phase == Phase.POOL_SLOT ? 1 : 0)
                     .tlsHandshakeTimeout(Duration.ofSeconds(30)).build()) {
            HttpResponse held = null;
            if (phase == Phase.POOL_SLOT) {
                held = t.roundTrip(HttpRequest.get(server.uri("/hold").toString())); // holds the one slot, body unread
            }
            HttpRequest req = switch (phase) {
                case POOL_SLOT -> HttpRequest.get(server.uri("/next").toString());
                case DIAL -> HttpRequest.get(silentTls.uri());
                case BODY_WRITE -> HttpRequest.newBuilder(server.uri("/upload")).POST(RequestBody.ofStream(() ->
                        new java.io.ByteArrayInputStream(new byte[64 << 20]) {
                            @Override
                            public void close() {
                                sourceClosed.set(true);
                            }
                        }, 64 << 20, "application/octet-stream")).build();
                case HEAD -> HttpRequest.get(server.uri("/stall-head").toString());
                case BODY_READ -> HttpRequest.get(server.uri("/stall-body").toString());
            };
            Caller<Outcome> caller = Caller.start(virtual, "interrupted-caller", () -> {
                try {
                    HttpResponse r = t.roundTrip(req);
                    try (r) {
                        InputStream in = r.body().stream();
                        in.readNBytes(2);
                        in.read(); // stalls: the server sent 2 of 10 bytes
                        return new Outcome(null, Thread.currentThread().isInterrupted());
                    }
                } catch (Throwable e) {
                    return new Outcome(e, Thread.currentThread().isInterrupted());
                }
            });
            Lifecycle.await(() -> !caller.thread.isAlive() || switch (phase) {
                case POOL_SLOT -> t.stats().waiting() == 1;
                case DIAL -> t.stats().dialing() == 1 && silentTls.acceptedAny() && Lifecycle.waiting(caller.thread);
                case BODY_WRITE -> Lifecycle.writeLoopBlockedInSocketWrite() && Lifecycle.parkedIn(caller.thread, "awaitResponse");
                case HEAD -> Lifecycle.parkedIn(caller.thread, "awaitResponse");
                case BODY_READ -> Lifecycle.inSocketRead(caller.thread);
            }, Duration.ofSeconds(20), "the caller waiting in phase " + phase);
            caller.thread.interrupt();
            boolean ended = caller.join(Lifecycle.BOUND);
            caller.abandon(t::close);
            release.countDown();
            assertThat(ended).as("the interrupted request ended within %s", Lifecycle.BOUND).isTrue();
            Outcome o = caller.value();
            if (phase == Phase.BODY_READ) {
                assertThat(o.error()).isInstanceOf(java.io.InterruptedIOException.class);
                assertThat(o.interruptedAfter()).as("a body read keeps the interrupt set").isTrue();
            } else {
                assertThat(o.error()).isInstanceOf(InterruptedException.class);
                assertThat(o.error().getMessage()).isNotBlank();
                assertThat(o.interruptedAfter()).as("a thrown InterruptedException clears the status").isFalse();
            }
            Leaks.awaitTrue(() -> dones.done.containsKey(req), "the interrupted request's done()");
            assertThat(dones.done.get(req)).as("done() of the interrupted request").hasSize(1);
            if (phase != Phase.BODY_READ) {
                assertThat(dones.done.get(req).get(0)).isSameAs(o.error());
            }
            if (phase == Phase.BODY_WRITE) {
                assertThat(sourceClosed).as("the body's source closed").isTrue();
            }
            if (held != null) {
                assertThat(t.stats().waiting()).isZero();
                assertThat(held.body().string()).isEqualTo("ok");
                held.close();
            }
            TransportStats s = t.stats();
            assertThat(s.dialing()).as("dialing in %s", s).isZero();
            assertThat(s.waiting()).as("waiting in %s", s).isZero();
            assertThat(s.inUse()).as("in use in %s", s).isZero();
            assertThat(s.open()).as("open in %s", s).isEqualTo(phase == Phase.POOL_SLOT ? 1 : 0);
            // The transport goes on: the next request is served (with the held connection, for POOL_SLOT).
            try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(next.body().string()).isEqualTo("ok");
            }
            if (phase == Phase.POOL_SLOT) {
                assertThat(t.stats().dialed()).as("the slot's connection reused").isEqualTo(1);
            }
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            silentTls.close();
        }
    }

    enum GiveUp {
        INTERRUPT, CONTEXT, DEADLINE
    }

    /**
     * E63: a request that gives up while its own dial is under way (a TLS handshake the server never answers), by
     * each way of giving up, fails only once that dial has ended: when {@code roundTrip} throws, nothing is counted
     * {@code dialing} or open and the host's only slot under {@code maxConnsPerHost(1)} is free, so the next request
     * dials at once without waiting. Before, the request failed as soon as it had interrupted its dial, which was
     * still counted ({@code dialing=1}) and held the slot until it ended a moment later.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(GiveUp.class)
    void E63_aRequestThatGivesUpWhileDialingFailsOnceItsDialEnded(GiveUp how) throws Exception {
        Dones dones = new Dones();
        try (SilentTlsServer silentTls = new SilentTlsServer();
             Transport t = Transport.builder().listener(dones).maxConnsPerHost(1)
                     .tlsHandshakeTimeout(Duration.ofSeconds(30)).build()) {
            String uri = silentTls.uri();
            io.gochan.CancellableContext ctx = io.gochan.Context.withCancel(io.gochan.Context.background());
            HttpRequest req = how == GiveUp.DEADLINE
                    ? HttpRequest.newBuilder(java.net.URI.create(uri)).timeout(Duration.ofMillis(300)).build()
                    : HttpRequest.get(uri);
            Caller<TransportStats> caller = Caller.virtual("giving-up", () -> {
                try {
                    t.roundTrip(req, ctx).close();
                    return null;
                } catch (Exception e) {
                    return t.stats(); // taken the moment the request failed
                }
            });
            Lifecycle.await(() -> !caller.thread.isAlive() || t.stats().dialing() == 1 && silentTls.acceptedAny()
                    && Lifecycle.waiting(caller.thread), Duration.ofSeconds(20), "the request waiting for its dial");
            if (how == GiveUp.INTERRUPT) {
                caller.thread.interrupt();
            } else if (how == GiveUp.CONTEXT) {
                ctx.cancel();
            }
            boolean ended = caller.join(Duration.ofSeconds(20));
            caller.abandon(t::close);
            assertThat(ended).isTrue();
            TransportStats atFailure = caller.value();
            assertThat(atFailure).as("the request failed").isNotNull();
            assertThat(atFailure.dialing()).as("dialing when the request failed: %s", atFailure).isZero();
            assertThat(atFailure.open()).as("open when the request failed: %s", atFailure).isZero();
            assertThat(dones.done.get(req)).hasSize(1);
            silentTls.close();
        }
    }
}
