package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.http.testing.TestProxy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * User code that misbehaves inside one request, by a bad value or by its thread's interrupt, costs that request
 * alone and says so: a cookie jar's null answer (E147); the dial's user code that interrupts its own thread
 * costs nothing (E148). The other requests of the same transport, to the same host and to another, go on, and
 * nothing is left in use.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserCodeIsolationTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * A jar whose {@code cookies()} answers null sends no cookie, as Go's nil slice; one whose list holds a null
     * cookie fails that send with an {@link IllegalStateException} naming the jar, and the client's next send,
     * over the same connection, is served. Before, both failed with a bare {@link NullPointerException} from inside
     * the client ("because cookies is null", "because c is null") that named neither the jar nor the request.
     */
    @Test
    void E147_aCookieJarsNullAnswerIsNoCookieAndANullCookieFailsOnlyItsSendNamingTheJar() throws Exception {
        AtomicInteger answer = new AtomicInteger();
        CookieJar jar = new CookieJar() {
            @Override
            public void setCookies(URI uri, List<Cookie> cookies) {}

            @Override
            public List<Cookie> cookies(URI uri) {
                return switch (answer.get()) {
                    case 1 -> null;
                    case 2 -> {
                        List<Cookie> l = new ArrayList<>();
                        l.add(null);
                        yield l;
                    }
                    default -> List.of();
                };
            }
        };
        Queue<String> heads = new ConcurrentLinkedQueue<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRawRequest()) != null; ) {
                     heads.add(head);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().maxConnsPerHost(1).build()) {
            HttpClient client = HttpClient.builder(t).cookieJar(jar).build();
            answer.set(1);
            assertThat(send(client, server.uri("/null-list"))).isEqualTo("ok");
            assertThat(heads).singleElement().asString().doesNotContainIgnoringCase("cookie:");
            answer.set(2);
            Object failed = send(client, server.uri("/null-cookie"));
            assertThat(failed).isInstanceOf(IllegalStateException.class);
            assertThat(((Throwable) failed).getMessage()).contains("CookieJar").contains(jar.getClass().getName())
                    .contains("null cookie");
            answer.set(0);
            assertThat(send(client, server.uri("/next"))).isEqualTo("ok");
            assertThat(heads).hasSize(2); // the refused send wrote nothing
            assertThat(t.stats().inUse()).isZero();
            assertThat(t.stats().dialed()).as("one connection served every send").isEqualTo(1);
        }
    }

    /** User code that runs on the pool's dial goroutine. */
    enum DialStep {
        RESOLVER, DIALER, CONNECT_FIELDS
    }

    /**
     * User code run on the pool's dial goroutine (a resolver, a {@link Dialer}, the {@code CONNECT} fields' function)
     * that sets its own thread's interrupt and returns as usual costs nothing: the flag is cleared as it returns, the
     * dial goes on and the request is served, as are the same host's next request and another host's. That thread's
     * interrupt is the transport's, how its close and a request giving up end a dial. Before, the request failed:
     * the resolver's with an {@link InterruptedIOException} "dial interrupted: the transport closed during name
     * resolution" while the transport was open and its caller never interrupted; the dialer's and the fields
     * function's with the TLS handshake's or the {@code CONNECT}'s "Closed by interrupt".
     */
    @ParameterizedTest
    @EnumSource(DialStep.class)
    void E148_userCodeThatInterruptsTheDialsThreadCostsNothingAndNeverSaysTheTransportClosed(DialStep step)
            throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        AtomicBoolean interruptOnce = new AtomicBoolean(true);
        Runnable flag = () -> {
            if (interruptOnce.getAndSet(false)) {
                Thread.currentThread().interrupt(); // user code that leaves the dial's thread interrupted
            }
        };
        Transport.Builder b = Transport.builder().sslContext(JdkServer.clientTls());
        switch (step) {
            case RESOLVER -> b.resolver(host -> {
                flag.run();
                return List.of(loopback);
            });
            case DIALER -> b.dialer((host, port, timeout) -> {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(loopback, port));
                } catch (java.io.IOException e) {
                    s.close();
                    throw e;
                }
                flag.run();
                return s;
            });
            case CONNECT_FIELDS -> b.proxyConnectHeaders((proxy, target) -> {
                flag.run();
                return null;
            });
        }
        try (JdkServer server = JdkServer.https(ex -> JdkServer.respond(ex, 200, "ok"));
             TestProxy proxy = TestProxy.start()) {
            if (step == DialStep.CONNECT_FIELDS) {
                b.proxy(r -> Optional.of(proxy.uri()));
            }
            try (Transport t = b.maxConnsPerHost(1).build()) {
                URI probed = step == DialStep.CONNECT_FIELDS ? server.uri("/")
                        : URI.create("https://localhost:" + server.port() + "/");
                assertThat(get(t, probed)).as("the request whose dial's user code set the flag").isEqualTo("ok");
                assertThat(interruptOnce).as("the flag was set").isFalse();
                assertThat(get(t, probed)).as("the same host's next request").isEqualTo("ok");
                assertThat(get(t, step == DialStep.CONNECT_FIELDS ? server.localhostUri("/other") : server.uri("/other"))).as("another host's request").isEqualTo("ok");
                assertThat(t.stats().inUse()).isZero();
                assertThat(t.stats().dialing()).isZero();
            }
        }
    }

    private static Object send(HttpClient client, URI uri) throws InterruptedException {
        return Leaks.outcomeWithin10s("send " + uri, () -> {
            try (HttpResponse r = client.send(HttpRequest.get(uri.toString()))) {
                return r.body().string();
            }
        });
    }

    private static Object get(Transport t, URI uri) throws InterruptedException {
        return Leaks.outcomeWithin10s("get " + uri, () -> {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()))) {
                return r.body().string();
            }
        });
    }
}
