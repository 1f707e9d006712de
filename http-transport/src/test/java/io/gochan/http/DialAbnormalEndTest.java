package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A dial that ends abnormally, on what user code or a bad setting throws, ends with an outcome and leaves nothing
 * open: the happy-eyeballs racers (E86), the sockets of a dial that an {@link Error} of user code ends (E87), a
 * proxy function's port (R85), and a bounded step ended by its timeout whatever the closed socket throws (E124, E125).
 */
@NoGoroutineLeaks
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DialAbnormalEndTest {
    /** Generous: each wait below ends at once when the code is right, and only a defect makes a test wait it out. */
    private static final long BOUND_SECONDS = 20;

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Runs {@code call} on its own thread; its outcome (a value or what it threw), or fails if it hangs. */
    private static Object outcome(Callable<?> call) throws InterruptedException {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread th = Thread.ofVirtual().start(() -> {
            try {
                out.set(call.call());
            } catch (Throwable e) {
                out.set(e);
            }
        });
        boolean ended = th.join(Duration.ofSeconds(BOUND_SECONDS));
        if (!ended) {
            th.interrupt(); // ends an interruptible hang, so the test's leak check sees what is left
            th.join(Duration.ofSeconds(BOUND_SECONDS));
        }
        assertThat(ended).as("the call ended on its own; it hung: " + out.get()).isTrue();
        return out.get();
    }

    private static Resolver dualStack() {
        return host -> List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1"));
    }

    /**
     * A racer of a dual-stack dial that fails unchecked reports that failure: the dial ends with it, as the same
     * failure ends a single-family dial. Before, the racer's goroutine died of it without a word to the dial, which
     * waited for that word for ever (no dial timeout bounds it): its request hung and held its host's slot.
     */
    @Test
    void E86_aRacerThatFailsUncheckedEndsItsDial() throws Exception {
        Dialer d = Dialer.tcp(dualStack(), Duration.ofMillis(1));
        Object o = outcome(() -> d.dial("dual.test", 70_000, Duration.ofSeconds(5))); // InetSocketAddress refuses it
        assertThat(o).isInstanceOf(IllegalArgumentException.class);
        assertThat(((Throwable) o).getMessage()).contains("port out of range");
    }

    /**
     * A proxy function's choice whose port is no number from 1 to 65535 is refused before anything is dialed, as
     * {@link Proxies#fixed} refuses it and as a request's own URI is (R60). Before, it was dialed: through a
     * dual-stack name the request hung (E86), otherwise it failed with the socket layer's bare "port out of range".
     */
    @Test
    void R85_aProxyFunctionsPortOutOfRangeIsRefusedBeforeAnyDial() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        for (String port : List.of("70000", "0")) {
            try (Transport t = Transport.builder().resolver(dualStack())
                    .proxy(r -> Optional.of(URI.create("http://alice:s3cret@proxy.test:" + port)))
                    .dialer((host, p, timeout) -> {
                        dials.incrementAndGet();
                        throw new IOException("no dial expected (test)");
                    }).build()) {
                Object o = outcome(() -> t.roundTrip(HttpRequest.get("http://origin.test/")));
                assertThat(o).as(port).isInstanceOf(IllegalArgumentException.class);
                assertThat(((Throwable) o).getMessage()).contains("port is not a number from 1 to 65535")
                        .contains("proxy.test").doesNotContain("s3cret");
                assertThat(t.stats().dialing()).isZero();
            }
        }
        assertThat(dials).as("nothing dialed").hasValue(0);
    }

    /** A proxy that reads whatever comes until the client closes, and counts each close it sees. */
    private static RawServer closeCountingProxy(CountDownLatch closed) throws IOException {
        return RawServer.start(c -> {
            try {
                c.readUntilClosed();
            } catch (SocketException e) {
                // reset by the client: closed as well
            }
            closed.countDown();
        });
    }

    /**
     * An {@link Error} of the {@code CONNECT} fields' function reaches the request (E77) and the connection to the
     * proxy is closed. Before, the socket was left open (the proxy kept a silent connection until the garbage
     * collector found the socket).
     */
    @Test
    void E87_anErrorOfTheConnectFieldsFunctionClosesTheConnectionToTheProxy() throws Exception {
        AssertionError thrown = new AssertionError("the fields function's own assertion (test)");
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer proxy = closeCountingProxy(closed);
             Transport t = Transport.builder().proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port())))
                     .proxyConnectHeaders((p, target) -> {
                         throw thrown;
                     }).build()) {
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(URI.create("https://origin.test/"))
                    .timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(o).isSameAs(thrown);
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the proxy saw its connection closed").isTrue();
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialing()).isZero();
        }
    }

    /**
     * An {@link Error} of the TLS configuration (its trust manager's assertion) during the handshake reaches the
     * request and the TCP connection is closed at once, not when the handshake's timeout fires. Before, the socket was
     * left open until the handshake timeout's timer closed it (never with none) or the collector found it.
     */
    @Test
    void E87_anErrorOfTheTlsConfigurationClosesTheConnection() throws Exception {
        AssertionError thrown = new AssertionError("the trust manager's own assertion (test)");
        X509TrustManager tm = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw thrown;
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                throw thrown;
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {tm}, null);
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 try (SSLSocket tls = JdkServer.serverTls(c.socket)) {
                     tls.startHandshake();
                     tls.getInputStream().read(); // until the client closes
                 } catch (IOException e) {
                     // the client went away during or after the handshake
                 }
                 try {
                     c.readUntilClosed();
                 } catch (IOException e) {
                     // reset: closed as well
                 }
                 closed.countDown();
             });
             Transport t = Transport.builder().sslContext(ctx).tlsHandshakeTimeout(Duration.ofHours(1)).build()) {
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/"))
                    .timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(o).isSameAs(thrown);
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the server saw the connection closed").isTrue();
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialing()).isZero();
        }
    }

    /**
     * An {@link Error} of a {@link Dialer}'s socket as its connection starts (its stream cannot be had) reaches the
     * request (E77) and the socket is closed. Before, only an {@link IOException} or unchecked exception closed it.
     */
    @Test
    void E87_anErrorOfADialersSocketAsItsConnectionStartsClosesIt() throws Exception {
        AssertionError thrown = new AssertionError("the socket's own assertion (test)");
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer server = closeCountingProxy(closed);
             Transport t = Transport.builder().dialer((host, port, timeout) -> new java.net.Socket("127.0.0.1", port) {
                 @Override
                 public java.io.InputStream getInputStream() {
                     throw thrown;
                 }
             }).build()) {
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(server.uri("/"))
                    .timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(o).isSameAs(thrown);
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the server saw the connection closed").isTrue();
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * E87 for a checked exception the {@code CONNECT} fields' function lets out undeclared (Kotlin, a sneaky throw): the
     * connection to the proxy is closed as for an {@code Error}, and the request fails with it as its cause (E109).
     * Before, only an {@link IOException}, an unchecked exception or an {@code Error} closed it.
     */
    @Test
    void E87_anUndeclaredCheckedExceptionOfTheConnectFieldsFunctionClosesTheConnectionToTheProxy() throws Exception {
        Exception thrown = new Exception("the fields function's own checked exception, let out undeclared (test)");
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer proxy = closeCountingProxy(closed);
             Transport t = Transport.builder().proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + proxy.port())))
                     .proxyConnectHeaders((p, target) -> {
                         throw HostileExceptions.<RuntimeException>undeclared(thrown);
                     }).build()) {
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(URI.create("https://origin.test/"))
                    .timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(((Throwable) o).getCause()).isSameAs(thrown);
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the proxy saw its connection closed").isTrue();
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialing()).isZero();
        }
    }

    /**
     * E87 for a checked exception a {@link Dialer}'s socket lets out undeclared as its connection starts: the socket is
     * closed as for an {@code Error}, and the request fails with it as its cause (E109). Before, it was left open.
     */
    @Test
    void E87_anUndeclaredCheckedExceptionOfADialersSocketAsItsConnectionStartsClosesIt() throws Exception {
        Exception thrown = new Exception("the socket's own checked exception, let out undeclared (test)");
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer server = closeCountingProxy(closed);
             Transport t = Transport.builder().dialer((host, port, timeout) -> new java.net.Socket("127.0.0.1", port) {
                 @Override
                 public java.io.InputStream getInputStream() {
                     throw HostileExceptions.<RuntimeException>undeclared(thrown);
                 }
             }).build()) {
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(server.uri("/"))
                    .timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(((Throwable) o).getCause()).isSameAs(thrown);
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the server saw the connection closed").isTrue();
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * E124: a step of a dial that its timeout bounds (R28), the proxy's answer to {@code CONNECT} or a TLS handshake,
     * ends as that timeout when the time is up, also when the {@link Dialer}'s socket, closed under the step by the
     * timer, lets a checked exception out undeclared (a Kotlin socket's "closed", a sneaky throw): the request fails
     * with {@link HttpTimeoutException} of its kind ({@code CONNECT}, {@code TLS_HANDSHAKE}), that exception its
     * cause, as for the {@link SocketException} of a JDK socket. Before, the exception went past the timer's catches
     * as it was, and the request failed with an {@link HttpConnectionException} around it, no word of the timeout;
     * thrown before the time was up it left the timer armed, to close the socket again when it fired.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"proxy CONNECT answer", "TLS handshake"})
    void E124_aBoundedDialStepEndsAsItsTimeoutWhateverTheClosedSocketThrows(String step) throws Exception {
        Exception thrown = new Exception("the socket's own checked exception once closed, let out undeclared (test)");
        AtomicInteger thrownCount = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        boolean connect = step.startsWith("proxy");
        Dialer dialer = HookedSocket.dialer(() -> new HookedSocket() {
            @Override
            protected int readFrom(java.io.InputStream raw, byte[] b, int off, int len) throws IOException {
                try {
                    return raw.read(b, off, len);
                } catch (IOException e) {
                    if (isClosed()) { // closed under the read: its own word for it
                        thrownCount.incrementAndGet();
                        throw HostileExceptions.<RuntimeException>undeclared(thrown);
                    }
                    throw e;
                }
            }
        });
        try (RawServer silent = closeCountingProxy(closed);
             Transport t = Transport.builder().dialer(dialer)
                     .dialTimeout(Duration.ofMillis(connect ? 300 : 20_000))
                     .tlsHandshakeTimeout(Duration.ofMillis(connect ? 20_000 : 300))
                     .proxy(r -> connect ? Optional.of(URI.create("http://127.0.0.1:" + silent.port())) : Optional.empty())
                     .build()) {
            URI uri = connect ? URI.create("https://origin.test/") : URI.create("https://127.0.0.1:" + silent.port() + "/");
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(thrownCount).as("the socket let its exception out").hasValue(1);
            assertThat(o).as("the request's failure: %s", HostileExceptions.typeOf(o))
                    .isInstanceOfSatisfying(HttpTimeoutException.class, e -> assertThat(e.kind())
                            .isEqualTo(connect ? HttpTimeoutException.Kind.CONNECT : HttpTimeoutException.Kind.TLS_HANDSHAKE));
            assertThat(HostileExceptions.isOrCausedBy(o, thrown)).as("the socket's exception is its cause").isTrue();
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the peer saw the connection closed").isTrue();
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialing()).isZero();
        }
    }

    /**
     * E125: the close with which a dial step's timer ends that step (R28) keeps what a {@link Dialer}'s socket throws
     * from its {@code close()}, as every other close of such a socket does (E84): an {@link Error} or a checked
     * exception let out undeclared is logged, the timer's goroutine ends normally, and the step still fails as its
     * timeout. Before, only an {@link IOException} or an unchecked exception was caught: the rest ended the timer's
     * goroutine with it, reported to the goroutines' uncaught-exception handler, which ends the program where it is
     * set to exit as Go's runtime does on a panic (G1), and fails a virtual-time bubble (BB17).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Error", "undeclared checked exception"})
    void E125_theDialTimersCloseKeepsWhatTheSocketsCloseThrows(String kind) throws Exception {
        Throwable thrown = kind.equals("Error") ? new AssertionError("the socket's close failed (test)")
                : new Exception("the socket's close failed, let out undeclared (test)");
        java.util.Queue<String> uncaught = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.function.BiConsumer<io.gochan.Goroutine, Throwable> previous = io.gochan.Goroutines.setUncaughtExceptionHandler((g, e) -> {
            if (HostileExceptions.isOrCausedBy(e, thrown)) {
                uncaught.add(g.name() + ": " + HostileExceptions.typeOf(e));
            } else {
                io.gochan.Goroutines.defaultUncaughtExceptionHandler().accept(g, e);
            }
        });
        AtomicInteger closes = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        try (RawServer silent = closeCountingProxy(closed);
             Transport t = Transport.builder()
                     .dialer((host, port, timeout) -> new java.net.Socket(host, port) {
                         @Override
                         public synchronized void close() throws IOException {
                             super.close();
                             closes.incrementAndGet();
                             throw HostileExceptions.<RuntimeException>undeclared(thrown);
                         }
                     })
                     .dialTimeout(Duration.ofMillis(300))
                     .proxy(r -> Optional.of(URI.create("http://127.0.0.1:" + silent.port())))
                     .build()) {
            Object o = outcome(() -> t.roundTrip(HttpRequest.newBuilder(URI.create("https://origin.test/"))
                    .timeout(Duration.ofSeconds(BOUND_SECONDS)).build()));
            assertThat(o).as("the request's failure: %s", HostileExceptions.typeOf(o))
                    .isInstanceOfSatisfying(HttpTimeoutException.class,
                            e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.CONNECT));
            assertThat(closed.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the proxy saw the connection closed").isTrue();
            assertThat(closes.get()).as("the socket was closed").isPositive();
            assertThat(t.stats().open()).isZero();
            assertThat(t.stats().dialing()).isZero();
            // The timer's goroutine has ended, its failure (if any) reported: a goroutine leaves the registry only
            // after that report (G1).
            Leaks.awaitTrue(() -> io.gochan.Goroutines.live().stream().noneMatch(g -> g.name().equals("gochan-afterfunc")),
                    "the dial timer's goroutine ended");
        } finally {
            io.gochan.Goroutines.setUncaughtExceptionHandler(previous);
        }
        assertThat(uncaught).as("goroutines that died of the socket's close").isEmpty();
    }
}
