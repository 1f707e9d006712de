package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.StalledListener;
import io.gochan.http.testing.UnixHttpServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dialing (R1–R4, docs/spec/transport-reach.md): every resolved address, the dual-stack race, a
 * pluggable resolver and dialer, Unix domain sockets. Only loopback addresses: 127.0.0.1, 127.0.0.2 and
 * ::1 (a closed port or a {@link StalledListener} plays the unreachable address).
 */
@NoGoroutineLeaks
class DialTest {
    private static final InetAddress V4 = address("127.0.0.1");
    private static final InetAddress V4_OTHER = address("127.0.0.2");
    private static final InetAddress V6 = address("::1");

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static JdkServer server() throws Exception {
        return JdkServer.http(ex -> JdkServer.respond(ex, 200, "hello from " + ex.getLocalAddress().getAddress().getHostAddress()));
    }

    /** A resolver that answers {@code name} with {@code addresses} and records what it was asked. */
    private static Resolver table(String name, List<String> asked, InetAddress... addresses) {
        return host -> {
            asked.add(host);
            if (!host.equals(name)) {
                throw new UnknownHostException(host);
            }
            return List.of(addresses);
        };
    }

    private static String get(Transport t, URI uri) throws Exception {
        try (HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()))) {
            assertThat(r.status()).isEqualTo(200);
            return r.body().string();
        }
    }

    @Test
    void R1_aRefusedFirstAddressFallsBackToTheNext() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        try (JdkServer server = server();
             Transport t = Transport.builder().resolver(table("two.test", asked, V4_OTHER, V4)).build()) {
            // 127.0.0.2:port is closed (the server listens on 127.0.0.1 only): refused at once.
            assertThat(get(t, URI.create("http://two.test:" + server.port() + "/"))).isEqualTo("hello from 127.0.0.1");
            assertThat(asked).containsExactly("two.test");
        }
    }

    @Test
    void R1_aStalledFirstAddressGetsItsShareOfTheDialTimeoutThenTheNextIsTried() throws Exception {
        try (JdkServer server = server();
             StalledListener stalled = StalledListener.on(new InetSocketAddress(V4_OTHER, server.port()));
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(6))
                     .resolver(table("two.test", new CopyOnWriteArrayList<>(), V4_OTHER, V4)).build()) {
            long t0 = System.nanoTime();
            assertThat(get(t, URI.create("http://two.test:" + server.port() + "/"))).isEqualTo("hello from 127.0.0.1");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // Go's partialDeadline: 6 s over two addresses = 3 s for the first; the whole 6 s would have failed.
            // (3 s of slack after the share: the second dial and the request on a loaded machine.)
            assertThat(ms).as("waited for the first address's share, then connected to the second")
                    .isBetween(2_900L, 5_900L);
        }
    }

    @Test
    void R1_everyAddressFailingReportsTheFirstFailure() throws Exception {
        try (JdkServer server = server()) {
            int closedPort = server.port();
            server.close(); // now nothing listens on either address
            try (Transport t = Transport.builder().resolver(table("two.test", new CopyOnWriteArrayList<>(), V4_OTHER, V4)).build()) {
                assertThatThrownBy(() -> get(t, URI.create("http://two.test:" + closedPort + "/")))
                        .isInstanceOf(ConnectException.class)
                        .satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));
            }
        }
    }

    @Test
    void R2_theOtherFamilyWinsWhenTheFirstStalls() throws Exception {
        try (JdkServer server = server();
             StalledListener stalled = StalledListener.on(new InetSocketAddress(V6, server.port()));
             Transport t = Transport.builder().dialTimeout(Duration.ofSeconds(60))
                     .resolver(table("dual.test", new CopyOnWriteArrayList<>(), V6, V4)).build()) {
            long t0 = System.nanoTime();
            assertThat(get(t, URI.create("http://dual.test:" + server.port() + "/"))).isEqualTo("hello from 127.0.0.1");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // One address after the other would wait 30 s (half of 60) on ::1 before trying 127.0.0.1.
            assertThat(ms).as("IPv4 raced after the 300 ms fallback delay").isBetween(250L, 20_000L);
            assertThat(t.stats().dialed()).isEqualTo(1);
        }
        // @AfterEach: the stalled IPv6 attempt's goroutine was interrupted and ended.
    }

    @Test
    void R2_theOtherFamilyStartsAtOnceWhenTheFirstFails() throws Exception {
        try (JdkServer server = server();
             Transport t = Transport.builder().fallbackDelay(Duration.ofSeconds(60))
                     .resolver(table("dual.test", new CopyOnWriteArrayList<>(), V6, V4)).build()) {
            long t0 = System.nanoTime();
            // [::1]:port is closed: refused at once, so IPv4 does not wait for the 60 s fallback delay.
            assertThat(get(t, URI.create("http://dual.test:" + server.port() + "/"))).isEqualTo("hello from 127.0.0.1");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(30_000L);
        }
    }

    @Test
    void R2_bothFamiliesFailingReportsTheFirstFamilysFailure() throws Exception {
        try (JdkServer server = server()) {
            int closedPort = server.port();
            server.close();
            try (Transport t = Transport.builder().resolver(table("dual.test", new CopyOnWriteArrayList<>(), V6, V4)).build()) {
                assertThatThrownBy(() -> get(t, URI.create("http://dual.test:" + closedPort + "/")))
                        .isInstanceOf(ConnectException.class)
                        .satisfies(e -> assertThat(e.getSuppressed()).isNotEmpty());
            }
        }
    }

    @Test
    void R82_aRefusedConnectionNamesTheAddressItTried() throws Exception {
        int closedPort;
        try (JdkServer server = server()) {
            closedPort = server.port();
        }
        // An IP literal: the message names it, as Go's "dial tcp 127.0.0.1:port: connect: connection refused".
        try (Transport t = Transport.builder().build()) {
            assertThatThrownBy(() -> get(t, URI.create("http://127.0.0.1:" + closedPort + "/")))
                    .isInstanceOf(ConnectException.class)
                    .hasMessage("connect to 127.0.0.1:" + closedPort + " failed: Connection refused")
                    .cause().isInstanceOf(ConnectException.class);
        }
        // A name with two addresses: the host and each address tried, the second in the suppressed failure.
        try (Transport t = Transport.builder().resolver(table("two.test", new CopyOnWriteArrayList<>(), V4_OTHER, V4)).build()) {
            assertThatThrownBy(() -> get(t, URI.create("http://two.test:" + closedPort + "/")))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageStartingWith("connect to two.test (127.0.0.2):" + closedPort + " failed: ")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement().extracting(Throwable::getMessage)
                            .asString().startsWith("connect to two.test (127.0.0.1):" + closedPort + " failed: "));
        }
        // Both families: each names its own address (IPv6 in brackets).
        try (Transport t = Transport.builder().resolver(table("dual.test", new CopyOnWriteArrayList<>(), V6, V4)).build()) {
            assertThatThrownBy(() -> get(t, URI.create("http://dual.test:" + closedPort + "/")))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageStartingWith("connect to dual.test ([0:0:0:0:0:0:0:1]):" + closedPort + " failed: ");
        }
    }

    @Test
    void R2_closingTheTransportEndsARaceInProgress() throws Exception {
        try (JdkServer server = server();
             StalledListener v6 = StalledListener.on(new InetSocketAddress(V6, server.port()));
             StalledListener v4 = StalledListener.on(new InetSocketAddress(V4_OTHER, server.port()));
             Transport t = Transport.builder().fallbackDelay(Duration.ofMillis(1))
                     .resolver(table("dual.test", new CopyOnWriteArrayList<>(), V6, V4_OTHER)).build()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    get(t, URI.create("http://dual.test:" + server.port() + "/"));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().stream().filter(g -> g.name().startsWith("http-dial-race")).count() == 2,
                    "both families dialing");
            t.close();
            assertThat(caller.join(Duration.ofSeconds(20))).isTrue();
            assertThat(failure.get()).isInstanceOf(RequestCancelledException.class);
        }
    }

    @Test
    void R3_aCustomDialerOpensEveryConnection() throws Exception {
        List<String> dialed = new CopyOnWriteArrayList<>();
        Dialer tcp = Dialer.tcp(Resolver.system(), Duration.ofMillis(300));
        try (JdkServer server = server();
             Transport t = Transport.builder().disableKeepAlives(true).dialer((host, port, timeout) -> {
                 dialed.add(host + ":" + port + " " + timeout);
                 return tcp.dial(host, port, timeout);
             }).dialTimeout(Duration.ofSeconds(7)).build()) {
            get(t, server.uri("/"));
            get(t, server.uri("/"));
            assertThat(dialed).containsExactly("127.0.0.1:" + server.port() + " PT7S", "127.0.0.1:" + server.port() + " PT7S");
        }
    }

    @Test
    void R3_aResolverThatKnowsNoAddressIsAnUnknownHost() throws Exception {
        try (Transport t = Transport.builder().resolver(host -> List.of()).build()) {
            assertThatThrownBy(() -> get(t, URI.create("http://nowhere.test/")))
                    .isInstanceOf(UnknownHostException.class).hasMessageContaining("nowhere.test");
        }
    }

    /**
     * R3: a dialer's failure of a type the {@link Dialer} contract does not keep (a plain {@link IOException}, a
     * channel's {@link java.nio.channels.ClosedChannelException}) reaches the caller as the contract says, an
     * {@link HttpConnectionException} naming the peer, the dialer's exception its cause. Before, only a
     * {@link java.net.SocketException} was wrapped: any other {@link IOException} came through as it was, naming
     * no peer, past a caller's {@code catch (HttpConnectionException e)}.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"IOException", "ClosedChannelException"})
    void R3_aDialersOtherFailureIsAnHttpConnectionExceptionNamingThePeer(String type) throws Exception {
        java.io.IOException failure = type.equals("IOException") ? new java.io.IOException("no route to the database network (test)")
                : new java.nio.channels.ClosedChannelException();
        try (Transport t = Transport.builder().dialer((host, port, timeout) -> {
                 throw failure;
             }).build()) {
            assertThatThrownBy(() -> get(t, URI.create("http://db.test:5984/")))
                    .isInstanceOf(HttpConnectionException.class)
                    .hasMessageContaining("db.test:5984")
                    .hasCause(failure);
        }
    }

    @ParameterizedTest(name = "zone written as {0}")
    @ValueSource(strings = {"%25lo", "%lo"})
    void R20_anIpv6ZoneChoosesTheInterfaceButIsNeverSentInTheHostField(String zone) throws Exception {
        List<String> hosts = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (JdkServer server = JdkServer.httpOn(V6, ex -> {
                 hosts.add(ex.getRequestHeaders().getFirst("Host"));
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().build()) {
            URI uri = URI.create("http://[::1" + zone + "]:" + server.port() + "/z");
            assertThat(get(t, uri)).isEqualTo("ok");
            assertThat(hosts).containsExactly("[::1]:" + server.port());
        }
    }

    @Test
    void R4_roundTripsOverAUnixSocketReusingTheConnection() throws Exception {
        try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                 String[] lines = head.split("\r\n");
                 String host = List.of(lines).stream().filter(l -> l.startsWith("Host:")).findFirst().orElse("none");
                 UnixHttpServer.ok(out, lines[0] + " | " + host);
             });
             Transport t = Transport.builder().dialer(Dialer.unixSocket(server.path())).build()) {
            URI uri = URI.create("http://docker/v1.43/version");
            assertThat(get(t, uri)).isEqualTo("GET /v1.43/version HTTP/1.1 | Host: docker");
            assertThat(get(t, uri)).isEqualTo("GET /v1.43/version HTTP/1.1 | Host: docker");
            assertThat(server.connections()).isEqualTo(1);
            assertThat(t.stats().reused()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "virtual thread: {0}")
    @ValueSource(booleans = {true, false})
    void R4_aRequestTimeoutEndsAStalledBodyOnAUnixSocket(boolean virtual) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (UnixHttpServer server = UnixHttpServer.start((head, out) -> {
                 out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab".getBytes(StandardCharsets.US_ASCII));
                 out.flush();
                 release.await(); // the rest never comes
             });
             Transport t = Transport.builder().dialer(Dialer.unixSocket(server.path())).build()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Runnable read = () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(URI.create("http://local/stall"))
                        .timeout(Duration.ofMillis(500)).build());
                     InputStream in = r.body().stream()) {
                    in.readAllBytes();
                } catch (Throwable e) {
                    failure.set(e);
                }
            };
            Thread reader = virtual ? Thread.ofVirtual().start(read) : Thread.ofPlatform().start(read);
            assertThat(reader.join(Duration.ofSeconds(20))).as("the body read ended").isTrue();
            assertThat(failure.get()).isInstanceOf(HttpTimeoutException.class);
            assertThat(((HttpTimeoutException) failure.get()).kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST);
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the stalled connection closed");
            release.countDown();
        }
    }

    @Test
    void R4_aSocketThatGoesAwayFailsTheNextRequestCleanlyAndLeavesNothingOpen() throws Exception {
        // The server stops and its socket file is deleted while a connection to it idles in the pool: the
        // next request finds the pooled connection dead, dials again, and fails naming the path; nothing
        // stays open or dialling, and a server back at the path is used again by the same transport.
        UnixHttpServer server = UnixHttpServer.start((head, out) -> UnixHttpServer.ok(out, "one"));
        Path path = server.path();
        try (Transport t = Transport.builder().dialer(Dialer.unixSocket(path)).build()) {
            assertThat(get(t, URI.create("http://local/a"))).isEqualTo("one");
            server.close();
            assertThat(Files.exists(path)).isFalse();
            assertThatThrownBy(() -> get(t, URI.create("http://local/b"))).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining(path.toString());
            Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "nothing open or dialling");
        } finally {
            server.close();
        }
    }

    @Test
    void R4_aUnixSocketWhoseBacklogIsFullFailsAtOnceNamingThePath() throws Exception {
        // A wedged server that no longer accepts: once its backlog is full, a blocking connect to a Unix
        // socket from a platform thread waits (Linux) until it accepts again, ignoring any timeout. The
        // dial runs on a virtual thread, where the JDK connects without blocking: EAGAIN at once, a
        // ConnectException naming the path, as Go's "resource temporarily unavailable". Never a wait.
        Path dir = Files.createTempDirectory("gochan-wedged");
        Path path = dir.resolve("s.sock");
        List<java.nio.channels.SocketChannel> fillers = new java.util.ArrayList<>();
        try (java.nio.channels.ServerSocketChannel wedged = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            wedged.bind(java.net.UnixDomainSocketAddress.of(path), 1); // never accepts
            while (fillers.size() < 1000) {
                java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                fillers.add(c);
                try {
                    c.connect(java.net.UnixDomainSocketAddress.of(path));
                } catch (java.io.IOException full) {
                    break; // the backlog is full: a blocking connect now waits
                }
            }
            try (Transport t = Transport.builder().dialer(Dialer.unixSocket(path)).dialTimeout(Duration.ofMillis(500)).build()) {
                HttpRequest req = HttpRequest.newBuilder(URI.create("http://local/")).timeout(Duration.ofSeconds(20)).build();
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> t.roundTrip(req).close()).isInstanceOf(ConnectException.class)
                        .hasMessageContaining(path.toString());
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not the request's 20 s").isLessThan(Duration.ofSeconds(15));
                Leaks.awaitTrue(() -> t.stats().open() == 0 && t.stats().dialing() == 0, "the dial ended");
            }
        } finally {
            for (java.nio.channels.SocketChannel c : fillers) {
                c.close();
            }
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void R4_nothingListeningOnTheSocketIsAConnectException() throws Exception {
        Path missing = Path.of(System.getProperty("java.io.tmpdir"), "gochan-no-such-" + System.nanoTime() + ".sock");
        try (Transport t = Transport.builder().dialer(Dialer.unixSocket(missing)).build()) {
            assertThatThrownBy(() -> get(t, URI.create("http://local/"))).isInstanceOf(ConnectException.class)
                    .hasMessageContaining(missing.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"my_service", "a_b.localhost", "_http._tcp.example"})
    void R40_aHostNameWithAnUnderscoreIsResolvedDialledAndSentInTheHostField(String name) throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        List<String> raw = new CopyOnWriteArrayList<>();
        try (io.gochan.http.testing.RawServer server = io.gochan.http.testing.RawServer.start(c -> {
                 raw.add(c.readRawRequest());
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
             });
             Transport t = Transport.builder().resolver(table(name, asked, InetAddress.getLoopbackAddress())).build()) {
            URI uri = URI.create("http://" + name + ":" + server.port() + "/x");
            assertThat(uri.getHost()).as("java.net.URI reads it as a registry authority").isNull();
            assertThat(get(t, uri)).isEqualTo("ok");
            assertThat(asked).containsExactly(name);
            assertThat(raw).hasSize(1);
            assertThat(raw.get(0)).startsWith("GET /x HTTP/1.1\r\n").contains("\r\nHost: " + name + ":" + server.port() + "\r\n");
        }
    }

    @Test
    void R40_aCustomDialerIsAskedForTheUnderscoreHost() throws Exception {
        List<String> dialed = new CopyOnWriteArrayList<>();
        try (JdkServer server = server();
             Transport t = Transport.builder().disableKeepAlives(true).dialer((host, port, timeout) -> {
                 dialed.add(host + ":" + port);
                 return new java.net.Socket("127.0.0.1", server.port());
             }).build()) {
            get(t, URI.create("http://my_service/"));
            get(t, URI.create("http://My_Service.internal:8080/"));
            assertThat(dialed).containsExactly("my_service:80", "my_service.internal:8080"); // in lower case, as any name (the pool key)
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://my_service:99999/", "http://my_service:0/", "http://my_service:80a/", "http://my_service:/",
            "http://user@my_service/", "http://user:pw@my_service:8080/", "http://my__service%41/", "http://a_b..example/",
            "http://[my_service]/", "http://my_service:8080:80/"})
    void R40_anUnderscoreHostWithABadAuthorityIsStillRefused(String uri) {
        assertThatThrownBy(() -> HttpRequest.get(uri))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void R40_aBadPortOfAnUnderscoreHostIsNamedInTheMessage() {
        assertThatThrownBy(() -> HttpRequest.get("http://my_service:99999/"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("URI has no host (port is not a number from 1 to 65535): http://my_service:99999/");
        assertThatThrownBy(() -> HttpRequest.get("http://a b/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpRequest.get("http://user@my_service/"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("URI has no host");
    }

    @Test
    void R40_anUnderscoreProxyFromTheEnvironmentIsTheHostDialled() throws Exception {
        List<String> dialed = new CopyOnWriteArrayList<>();
        List<String> raw = new CopyOnWriteArrayList<>();
        try (io.gochan.http.testing.RawServer proxy = io.gochan.http.testing.RawServer.start(c -> {
                 raw.add(c.readRawRequest());
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
             });
             Transport t = Transport.builder()
                     .proxy(Proxies.fromEnvironment(java.util.Map.of("HTTP_PROXY", "http://my_proxy:3128", "NO_PROXY", "my_service")::get))
                     .dialer((host, port, timeout) -> {
                         dialed.add(host + ":" + port);
                         return new java.net.Socket("127.0.0.1", proxy.port());
                     }).build()) {
            assertThat(get(t, URI.create("http://origin_1.example/a"))).isEqualTo("ok");
            assertThat(get(t, URI.create("http://my_service:8080/b"))).isEqualTo("ok"); // NO_PROXY: direct
            assertThat(dialed).containsExactly("my_proxy:3128", "my_service:8080");
            assertThat(raw).hasSize(2);
            assertThat(raw.get(0)).startsWith("GET http://origin_1.example/a HTTP/1.1\r\n").contains("\r\nHost: origin_1.example\r\n");
            assertThat(raw.get(1)).startsWith("GET /b HTTP/1.1\r\n").contains("\r\nHost: my_service:8080\r\n");
        }
    }

    @Test
    void R40_httpsToAnUnderscoreHostChecksItsCertificateAsGoDoes() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        // keytool (the JDK's DNSName) refuses '_' in a certificate name; a wildcard covers it, as in Go.
        try (JdkServer server = JdkServer.httpsFor("*.localhost", ex -> JdkServer.respond(ex, 200, "ok"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("*.localhost"))
                     .resolver(host -> {
                         asked.add(host);
                         return List.of(InetAddress.getLoopbackAddress());
                     }).build()) {
            assertThat(get(t, URI.create("https://a_b.localhost:" + server.port() + "/"))).isEqualTo("ok");
            assertThat(get(t, URI.create("https://A_B.localhost.:" + server.port() + "/"))).isEqualTo("ok");
            // One label only: x.a_b.localhost is not *.localhost, and a lone name matches no wildcard.
            for (String host : List.of("x.a_b.localhost", "my_service")) {
                assertThatThrownBy(() -> get(t, URI.create("https://" + host + ":" + server.port() + "/")))
                        .isInstanceOf(javax.net.ssl.SSLHandshakeException.class).hasMessageContaining(host);
            }
            Leaks.awaitTrue(() -> t.stats().open() == 2, "only the two verified connections open");
        }
        try (JdkServer server = JdkServer.httpsFor("other.example", ex -> JdkServer.respond(ex, 200, "wrong host"));
             Transport t = Transport.builder().sslContext(JdkServer.clientTlsFor("other.example"))
                     .resolver(host -> List.of(InetAddress.getLoopbackAddress())).build()) {
            assertThatThrownBy(() -> get(t, URI.create("https://my_service.other.example:" + server.port() + "/")))
                    .isInstanceOf(javax.net.ssl.SSLHandshakeException.class).hasMessageContaining("my_service.other.example");
            assertThat(t.stats().open()).isZero();
        }
    }
}
