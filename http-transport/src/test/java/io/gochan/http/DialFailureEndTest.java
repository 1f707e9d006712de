package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * E131 (docs/spec/transport-lifecycle.md): a request that has ended by the time its dial's failure is mapped fails with
 * its end, the dial's failure kept suppressed. The test's dialer (or the socket it returns, at the first read of a TLS
 * handshake or of a proxy's answer to {@code CONNECT}) ends the request and then lets the dial fail, so both are ready
 * as the caller looks. Before, the pool's wait picked one at random (an interrupt lost to a ready failure always, its
 * status left set), and the request failed with "Connection refused", an {@code SSLException} or the proxy's refusal.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DialFailureEndTest {
    /** Enough rounds that the old coin toss, 1 in 2 a round where both were ready, fails the test with near certainty. */
    private static final int ROUNDS = 50;

    /** The request's own timeout for {@link End#DEADLINE}: the dialer waits until it has passed, then fails. */
    private static final Duration DEADLINE = Duration.ofMillis(15);

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Failure {
        /** The dialer's connect to a port nothing listens on. */
        CONNECT_REFUSED,
        /** The dialer's own exception. */
        DIALER_THROWS,
        /** The TLS handshake meets a server that answers in plain HTTP. */
        TLS_HANDSHAKE,
        /** The proxy refuses the {@code CONNECT}. */
        PROXY_REFUSES
    }

    enum End {
        CONTEXT, DEADLINE, INTERRUPT, TRANSPORT_CLOSE
    }

    static List<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Failure f : Failure.values()) {
            for (End e : End.values()) {
                all.add(Arguments.of(f, e));
            }
        }
        return all;
    }

    /** One round's request: how it ends, from inside its dial. */
    private static final class Round {
        final CancellableContext ctx = Context.withCancel(Context.background());
        final AtomicReference<Thread> caller = new AtomicReference<>();
        /** When the caller asked for a connection: its request's own deadline is at most {@link #DEADLINE} after. */
        final AtomicLong getConnAt = new AtomicLong();
        final Dones dones = new Dones();
        volatile Transport transport;

        RequestListener listener() {
            return new RequestListener() {
                @Override
                public void getConn(HttpRequest request, String hostPort) {
                    getConnAt.set(System.nanoTime());
                }

                @Override
                public void done(HttpRequest request, Throwable error) {
                    dones.done(request, error);
                }
            };
        }

        /** Ends the request as {@code how} says; run on the dial's thread, before its failure. */
        void end(End how) {
            switch (how) {
                case CONTEXT -> ctx.cancel();
                case INTERRUPT -> caller.get().interrupt();
                case TRANSPORT_CLOSE -> transport.close();
                case DEADLINE -> {
                    long passed = getConnAt.get() + DEADLINE.toNanos(); // the request's deadline is no later
                    while (System.nanoTime() - passed < 0) {
                        Thread.onSpinWait(); // a bound, not an order: the failure must come once the deadline passed
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void E131_aRequestThatEndedBeforeItsDialFailureIsMappedFailsWithItsEnd(Failure failure, End end) throws Exception {
        int refusedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedPort = s.getLocalPort(); // closed below: a connect to it is refused
        }
        try (RawServer plain = RawServer.start(c -> {
                 c.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"); // no TLS: the handshake fails
                 c.readUntilClosed();
             });
             RawServer proxy = RawServer.start(c -> {
                 if (c.readRequestHead() != null) {
                     c.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
                     c.readUntilClosed();
                 }
             })) {
            for (int i = 0; i < ROUNDS; i++) {
                Round round = new Round();
                Dialer dialer = switch (failure) {
                    case CONNECT_REFUSED -> (host, port, timeout) -> {
                        round.end(end);
                        Socket s = new Socket();
                        try {
                            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), refusedPort));
                        } finally {
                            s.close();
                        }
                        throw new AssertionError("a connect to a closed port was accepted");
                    };
                    case DIALER_THROWS -> (host, port, timeout) -> {
                        round.end(end);
                        throw new IllegalStateException("the test's dialer fails");
                    };
                    case TLS_HANDSHAKE, PROXY_REFUSES -> HookedSocket.dialer(() -> new HookedSocket() {
                        private boolean ended;

                        @Override
                        protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                            if (!ended) {
                                ended = true;
                                round.end(end); // before the server's answer, which fails the dial, is read
                            }
                            return raw.read(b, off, len);
                        }
                    });
                };
                Transport.Builder b = Transport.builder().listener(round.listener()).dialer(dialer);
                String uri = "https://127.0.0.1:" + plain.port() + "/";
                if (failure == Failure.PROXY_REFUSES) {
                    URI via = URI.create("http://127.0.0.1:" + proxy.port());
                    b.proxy(r -> Optional.of(via));
                }
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(uri));
                if (end == End.DEADLINE) {
                    rb.timeout(DEADLINE);
                }
                HttpRequest req = rb.build();
                try (Transport t = b.build()) {
                    round.transport = t;
                    Caller<Throwable[]> caller = Caller.virtual("dial-end", () -> {
                        round.caller.set(Thread.currentThread());
                        try {
                            t.roundTrip(req, round.ctx).close();
                            return new Throwable[] {null, null};
                        } catch (Throwable e) {
                            // The interrupt is reported by the InterruptedException, its status cleared.
                            return new Throwable[] {e, Thread.interrupted() ? new Throwable("interrupt still set") : null};
                        }
                    });
                    // round.caller is read only from the dial, which starts after the caller set it.
                    boolean returned = caller.join(Lifecycle.BOUND);
                    caller.abandon(t::close);
                    assertThat(returned).as("round %d returned", i).isTrue();
                    Throwable e = caller.value()[0];
                    assertThat(e).as("round %d failed", i).isNotNull();
                    String what = "round " + i + ": " + e + " (suppressed " + List.of(e.getSuppressed()) + ")";
                    switch (end) {
                        case CONTEXT -> assertThat(e).as(what).isInstanceOfSatisfying(RequestCancelledException.class,
                                c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.CONTEXT));
                        case DEADLINE -> assertThat(e).as(what).isInstanceOfSatisfying(HttpTimeoutException.class,
                                x -> assertThat(x.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST));
                        case INTERRUPT -> assertThat(e).as(what).isInstanceOf(InterruptedException.class);
                        case TRANSPORT_CLOSE -> assertThat(e).as(what).isInstanceOfSatisfying(RequestCancelledException.class,
                                c -> assertThat(c.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
                    }
                    assertThat(caller.value()[1]).as("round %d: the interrupt status", i).isNull();
                    // The dial's failure, when it was ready as the request ended, is kept under the end, never its cause.
                    assertThat(e.getSuppressed()).as(what).allSatisfy(x -> assertThat(x).isNotInstanceOfAny(
                            RequestCancelledException.class, HttpTimeoutException.class, InterruptedException.class));
                    Leaks.awaitTrue(() -> round.dones.done.containsKey(req), "round " + i + "'s done()");
                    assertThat(round.dones.done.get(req)).as(what).hasSize(1);
                    assertThat(round.dones.done.get(req).get(0)).as(what).isSameAs(e);
                    assertThat(t.stats().open()).as(what).isZero();
                    assertThat(t.stats().dialing()).as(what).isZero();
                }
            }
            assertThat(plain.failures()).isEmpty();
            assertThat(proxy.failures()).isEmpty();
        }
    }
}
