package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.JdkServer;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * R64 and E69: response shapes at the edges of RFC 9110/9112 (HTTP/1.0 with and without keep-alive, close-delimited
 * bodies, 103 Early Hints, six of them (read: no count of them since P92), an unasked 101, HEAD/204/304 declaring a
 * body or followed by stray bytes, Content-Length with Transfer-Encoding, differing lengths, chunk extensions and trailers, a chunk size overflow,
 * obs-fold, {@code Expect: 100-continue} answered every way) read through a plain HTTP proxy (absolute-form), in
 * CONNECT tunnels and through an https proxy, exactly as direct; each also ended mid-way (context, interrupt, request
 * timeout, header or body stall timeout, an early close of the body) while the server holds the rest, which it sends
 * after the end. After each, the next request on the pool gets its own answer, never the shape's bytes, and every
 * request reports one {@code done()}. An audit found no defect here; this pins it.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EdgeShapeProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Route {
        DIRECT, PROXY, TUNNEL, TLS_PROXY, TLS_TUNNEL;

        boolean tlsToProxy() {
            return this == TLS_PROXY || this == TLS_TUNNEL;
        }

        boolean tunnel() {
            return this == TUNNEL || this == TLS_TUNNEL;
        }
    }

    /** The streams the script speaks HTTP on, after the proxy's TLS and the tunnel's set-up, if any. */
    record Streams(InputStream in, OutputStream out, Socket sock) {}

    private Streams open(Route route, RawServer.Conn c) throws Exception {
        InputStream in = c.in;
        OutputStream out = c.out;
        Socket sock = c.socket;
        if (route.tlsToProxy()) {
            var tls = JdkServer.serverTls(sock);
            tls.startHandshake();
            in = tls.getInputStream();
            out = tls.getOutputStream();
            sock = tls;
        }
        if (route.tunnel()) {
            String head = readHead(in);
            if (head == null) {
                return null;
            }
            requestLines.add(head.substring(0, head.indexOf("\r\n")));
            out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            var tls = JdkServer.serverTls(sock);
            tls.startHandshake();
            in = tls.getInputStream();
            out = tls.getOutputStream();
            sock = tls;
        }
        return new Streams(in, out, sock);
    }

    static String origin(Route route, RawServer server) {
        return switch (route) {
            case DIRECT -> "http://127.0.0.1:" + server.port();
            case PROXY, TLS_PROXY -> "http://origin.test";
            case TUNNEL, TLS_TUNNEL -> "https://localhost";
        };
    }

    static URI proxyOf(Route route, RawServer server) {
        return URI.create((route.tlsToProxy() ? "https://localhost:" : "http://127.0.0.1:") + server.port());
    }

    /** A shape: the method, the server's bytes, the outcome the caller sees, whether the connection is kept. */
    record Shape(String name, String method, String response, boolean closeAfter, String outcome, boolean reused) {}

    static final String NEXT = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";

    static final List<Shape> SHAPES = List.of(
            new Shape("h10", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, "200 ok", false),
            new Shape("h10ka", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, "200 ok", true),
            new Shape("h10kaclose", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nuntil close", true, "200 until close", false),
            new Shape("h10close", "GET", "HTTP/1.0 200 OK\r\n\r\nuntil close", true, "200 until close", false),
            new Shape("h10chunkedka", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 12\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                    false, "200 2\r\nok\r\n0\r\n\r\n", false),
            new Shape("hints", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(3) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                    false, "200 ok", true),
            new Shape("hints5", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(5) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                    false, "200 ok", true),
            new Shape("hints6", "GET", "HTTP/1.1 103 Early Hints\r\n\r\n".repeat(6) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                    false, "200 ok", true),
            new Shape("switch", "GET", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n" + NEXT,
                    false, "101 ", false),
            new Shape("switchbare", "GET", "HTTP/1.1 101 Switching Protocols\r\n\r\n" + NEXT, false, "101 ", false),
            new Shape("headcl", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, "200 ", true),
            new Shape("headchunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, "200 ", true),
            new Shape("headstray", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, "200 ", false),
            new Shape("204cl", "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", false, "204 ", false),
            new Shape("204stray", "GET", "HTTP/1.1 204 No Content\r\n\r\nhello", false, "204 ", false),
            new Shape("304cl", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", false, "304 ", true),
            new Shape("304stray", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello", false, "304 ", false),
            new Shape("clte", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                    false, "CONFLICTING_FRAMING", false),
            new Shape("cl2", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk", false,
                    "CONFLICTING_CONTENT_LENGTH", false),
            new Shape("ext", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"
                    + "2;a=b;c=\"d;e\"\r\nok\r\n0;z\r\nX-T: 1\r\n\r\n", false, "200 ok X-T=1", true),
            new Shape("overflow", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nok", false,
                    "BAD_CHUNK", false),
            new Shape("fold", "GET", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok", false,
                    "OBSOLETE_LINE_FOLDING", false));

    static List<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        // Direct, these shapes are pinned by HostileServerTest, HostileFramingTest and HostileProbeTest: here through a
        // plain HTTP proxy (absolute-form) and in a CONNECT tunnel through an https proxy (TLS in TLS).
        for (Route r : List.of(Route.PROXY, Route.TLS_TUNNEL)) {
            for (Shape s : SHAPES) {
                all.add(Arguments.of(r, s.name(), s));
            }
        }
        return all;
    }

    final List<String> requestLines = new CopyOnWriteArrayList<>();

    private void serve(Route route, RawServer.Conn c, Shape shape) throws Exception {
        Streams st = open(route, c);
        if (st == null) {
            return;
        }
        InputStream in = st.in();
        OutputStream out = st.out();
        Socket sock = st.sock();
        try {
            for (String head; (head = readHead(in)) != null; ) {
                String line = head.substring(0, head.indexOf("\r\n"));
                requestLines.add(line);
                String answer = line.contains("/next ") ? NEXT : shape.response();
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (!line.contains("/next ") && shape.closeAfter()) {
                    sock.close();
                    return;
                }
            }
        } catch (IOException e) {
            // the client closed the connection
        } finally {
            sock.close();
        }
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int state = 0;
        while (state < 4) {
            int ch = in.read();
            if (ch < 0) {
                return b.isEmpty() ? null : b.toString();
            }
            b.append((char) ch);
            state = (ch == '\r' && (state == 0 || state == 2)) || (ch == '\n' && (state == 1 || state == 3)) ? state + 1
                    : ch == '\r' ? 1 : 0;
        }
        return b.toString();
    }

    static String outcome(Transport t, HttpRequest req) throws Exception {
        try (HttpResponse r = t.roundTrip(req)) {
            String s = r.status() + " " + r.body().string();
            for (int i = 0; i < r.trailers().size(); i++) {
                s += " " + r.trailers().name(i) + "=" + r.trailers().value(i);
            }
            return s;
        } catch (HttpProtocolException e) {
            return e.reason().toString();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void R64_anEdgeShapeThroughAProxyOrATunnelIsReadAsDirectAndTheNextRequestGetsItsOwnAnswer(Route route, String name, Shape shape) throws Exception {
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> serve(route, c, shape))) {
            URI proxy = proxyOf(route, server);
            String origin = origin(route, server);
            try (Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).sslContext(JdkServer.clientTls())
                    .proxy(r -> route == Route.DIRECT ? Optional.empty() : Optional.of(proxy)).build()) {
                HttpRequest req = HttpRequest.newBuilder(URI.create(origin + "/shape")).method(shape.method(), RequestBody.none())
                        .timeout(Duration.ofSeconds(20)).build();
                assertThat(outcome(t, req)).isEqualTo(shape.outcome());
                long dialed = t.stats().dialed();
                HttpRequest next = HttpRequest.newBuilder(URI.create(origin + "/next")).timeout(Duration.ofSeconds(20)).build();
                assertThat(outcome(t, next)).as("the next request's own response").isEqualTo("200 next");
                assertThat(t.stats().dialed() - dialed == 0).as("reused").isEqualTo(shape.reused());
                Leaks.awaitTrue(() -> dones.done.size() == 2, "two done()");
                assertThat(dones.done.values()).allSatisfy(l -> assertThat(l).hasSize(1));
                if (route == Route.PROXY || route == Route.TLS_PROXY) {
                    assertThat(requestLines).allSatisfy(l -> assertThat(l).contains(" http://origin.test/"));
                } else if (route.tunnel()) {
                    assertThat(requestLines).allSatisfy(l -> assertThat(l).matches("CONNECT localhost:443 HTTP/1.1|\\w+ /\\w+ HTTP/1.1"));
                }
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ Expect: 100-continue

    enum Expect {
        CONTINUE, FINAL_417, FINAL_200, SILENT, CONTINUE_THEN_417_EARLY
    }

    static List<Arguments> expectCases() {
        List<Arguments> all = new ArrayList<>();
        for (Route r : Route.values()) {
            for (Expect e : Expect.values()) {
                all.add(Arguments.of(r, e));
            }
        }
        return all;
    }

    final List<String> bytesAfterFinal = new CopyOnWriteArrayList<>();

    /** Plays the origin (or the proxy with its tunnel) for the Expect probes. */
    private void serveExpect(Route route, RawServer.Conn c, Expect how) throws Exception {
        Streams st = open(route, c);
        if (st == null) {
            return;
        }
        InputStream in = st.in();
        OutputStream out = st.out();
        Socket sock = st.sock();
        try {
            for (String head; (head = readHead(in)) != null; ) {
                requestLines.add(head.substring(0, head.indexOf("\r\n")));
                if (!head.contains("Expect: 100-continue")) {
                    out.write(NEXT.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    continue;
                }
                String answer = switch (how) {
                    case CONTINUE -> {
                        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        yield "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + new String(in.readNBytes(5), StandardCharsets.ISO_8859_1)
                                .substring(0, 4);
                    }
                    case FINAL_417 -> "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n";
                    case FINAL_200 -> "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnope";
                    case SILENT -> "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + new String(in.readNBytes(5), StandardCharsets.ISO_8859_1)
                            .substring(0, 4);
                    case CONTINUE_THEN_417_EARLY -> "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n";
                };
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (how == Expect.CONTINUE_THEN_417_EARLY) {
                    in.readNBytes(5); // the body, sent after the 100 whatever the final status said (as Go)
                }
                if (how == Expect.FINAL_417 || how == Expect.FINAL_200) {
                    // What comes after a final status that skipped the body: the client's close, never the body.
                    byte[] rest = in.readAllBytes();
                    bytesAfterFinal.add(new String(rest, StandardCharsets.ISO_8859_1));
                    return;
                }
            }
        } catch (IOException e) {
            // the client closed the connection
        } finally {
            sock.close();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("expectCases")
    void R64_expectContinueThroughAProxyOrATunnelIsAsDirect(Route route, Expect how) throws Exception {
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> serveExpect(route, c, how))) {
            URI proxy = proxyOf(route, server);
            String origin = origin(route, server);
            try (Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).sslContext(JdkServer.clientTls())
                    .expectContinueTimeout(how == Expect.SILENT ? Duration.ofMillis(200) : Duration.ofSeconds(30))
                    .proxy(r -> route == Route.DIRECT ? Optional.empty() : Optional.of(proxy)).build()) {
                // The connection first serves a GET, so the Expect request runs on a reused one.
                assertThat(outcome(t, HttpRequest.newBuilder(URI.create(origin + "/next")).build())).isEqualTo("200 next");
                HttpRequest req = HttpRequest.newBuilder(URI.create(origin + "/expect")).header("Expect", "100-continue")
                        .POST(RequestBody.of("hello")).timeout(Duration.ofSeconds(20)).build();
                String expected = switch (how) {
                    case CONTINUE, SILENT -> "200 hell";
                    case FINAL_417 -> "417 ";
                    case FINAL_200 -> "200 nope";
                    case CONTINUE_THEN_417_EARLY -> "413 ";
                };
                assertThat(outcome(t, req)).isEqualTo(expected);
                long dialed = t.stats().dialed();
                HttpRequest next = HttpRequest.newBuilder(URI.create(origin + "/next")).timeout(Duration.ofSeconds(20)).build();
                assertThat(outcome(t, next)).as("the next request's own response").isEqualTo("200 next");
                assertThat(t.stats().dialed() - dialed == 0).as("reused").isEqualTo(how == Expect.CONTINUE || how == Expect.CONTINUE_THEN_417_EARLY);
                Leaks.awaitTrue(() -> dones.done.size() == 3, "three done()");
                assertThat(dones.done.values()).allSatisfy(l -> assertThat(l).hasSize(1));
            }
            if (how == Expect.FINAL_417 || how == Expect.FINAL_200) {
                // The server's thread records what followed once the transport's close reached it: wait for it (read
                // at once, the list was still empty on a loaded CI, and the record arrived while the failure printed).
                Leaks.awaitTrue(() -> !bytesAfterFinal.isEmpty(), "the server saw the connection end");
                assertThat(bytesAfterFinal).as("the skipped body never sent").containsExactly("");
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ ended mid-way

    /** A shape cut in two: the bytes sent first, then (after the request ended) the late ones. */
    enum MidWay {
        HINT("GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"),
        HINT_THEN_HEAD("GET", "HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Le", "ngth: 4\r\n\r\nlate"),
        HEAD_METHOD("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "\r\n"),
        UNTIL_CLOSE("GET", "HTTP/1.0 200 OK\r\n\r\nunt", "il close"),
        H10_KEEP_ALIVE("GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nla", "te"),
        CHUNK_TRAILER("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n", "\r\n"),
        CHUNK_EXT("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\nok\r\n", "0;c\r\n\r\n"),
        EXPECT_WAIT("POST", "", "HTTP/1.1 100 Continue\r\n\r\n"),
        EXPECT_AFTER_100("POST", "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate");

        final String method;
        final String part;
        final String late;

        MidWay(String method, String part, String late) {
            this.method = method;
            this.part = part;
            this.late = late;
        }
    }

    static List<Arguments> midWayCases() {
        List<Arguments> all = new ArrayList<>();
        for (Route r : List.of(Route.DIRECT, Route.PROXY, Route.TLS_TUNNEL)) {
            for (MidWay m : MidWay.values()) {
                for (String how : List.of("context", "interrupt", "timeout", "stall", "closeBody")) {
                    boolean body = m == MidWay.UNTIL_CLOSE || m == MidWay.H10_KEEP_ALIVE || m == MidWay.CHUNK_TRAILER
                            || m == MidWay.CHUNK_EXT;
                    if ((how.equals("stall") && m == MidWay.EXPECT_WAIT) || (how.equals("closeBody") && !body)) {
                        continue;
                    }
                    // The request timeout costs its second: on one route, one shape of each phase (the head, the body,
                    // the wait for 100); an interrupt on one route (E62 covers the phases direct).
                    if (how.equals("timeout") && (r != Route.TLS_TUNNEL
                            || !(m == MidWay.HINT || m == MidWay.CHUNK_TRAILER || m == MidWay.EXPECT_WAIT))) {
                        continue;
                    }
                    if (how.equals("interrupt") && r != Route.TLS_TUNNEL) {
                        continue;
                    }
                    all.add(Arguments.of(r, m, how));
                }
            }
        }
        return all;
    }

    private final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    private void serveMidWay(Route route, RawServer.Conn c, MidWay m) throws Exception {
        Streams st = open(route, c);
        if (st == null) {
            return;
        }
        InputStream in = st.in();
        OutputStream out = st.out();
        Socket sock = st.sock();
        try {
            for (String head; (head = readHead(in)) != null; ) {
                if (head.contains("/next ")) {
                    out.write(NEXT.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    continue;
                }
                out.write(m.part.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (m == MidWay.EXPECT_AFTER_100) {
                    in.readNBytes(5);
                }
                reached.countDown();
                release.await(30, TimeUnit.SECONDS);
                out.write(m.late.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (m == MidWay.EXPECT_WAIT) {
                    in.readNBytes(5);
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                if (m == MidWay.UNTIL_CLOSE) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client closed the connection
        } finally {
            sock.close();
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("midWayCases")
    void E69_anEdgeShapeEndedMidWayEndsOnceAndItsLateBytesAnswerNothing(Route route, MidWay m, String how) throws Exception {
        Dones dones = new Dones();
        try (RawServer server = RawServer.start(c -> serveMidWay(route, c, m))) {
            URI proxy = proxyOf(route, server);
            String origin = origin(route, server);
            Transport t = Transport.builder().listener(dones).maxConnsPerHost(1).sslContext(JdkServer.clientTls())
                    .expectContinueTimeout(Duration.ofSeconds(30))
                    .responseHeaderTimeout(how.equals("stall") ? Duration.ofMillis(500) : Duration.ZERO)
                    .bodyReadTimeout(how.equals("stall") ? Duration.ofMillis(500) : Duration.ZERO)
                    .proxy(r -> route == Route.DIRECT ? Optional.empty() : Optional.of(proxy)).build();
            io.gochan.CancellableContext ctx = io.gochan.Context.withCancel(io.gochan.Context.background());
            HttpRequest req = HttpRequest.newBuilder(URI.create(origin + "/shape"))
                    .method(m.method, m.method.equals("POST") ? RequestBody.of("hello") : RequestBody.none())
                    .header("Expect", m.method.equals("POST") ? "100-continue" : "nothing")
                    .timeout(how.equals("timeout") ? Duration.ofSeconds(1) : Duration.ofSeconds(30)).build();
            Lifecycle.Caller<String> caller = Lifecycle.Caller.start(false, "caller", () -> {
                try (HttpResponse r = t.roundTrip(req, ctx)) {
                    if (how.equals("closeBody")) {
                        InputStream b = r.body().stream();
                        String first = new String(b.readNBytes(2), StandardCharsets.ISO_8859_1);
                        b.close();
                        return r.status() + " " + first;
                    }
                    return r.status() + " " + r.body().string();
                }
            });
            try {
                if (how.equals("timeout")) {
                    // Its own second may pass before the phase on a loaded machine (a TLS-in-TLS dial): it then times
                    // out in an earlier one, which ends the same way.
                    Lifecycle.await(() -> reached.getCount() == 0 || !caller.thread.isAlive(), Lifecycle.BOUND, "the phase or the timeout");
                } else {
                    assertThat(reached.await(20, TimeUnit.SECONDS)).as("the server sent its first part").isTrue();
                }
                switch (how) {
                    case "context" -> ctx.cancel();
                    case "interrupt" -> caller.thread.interrupt();
                    default -> { }
                }
                assertThat(caller.join(Duration.ofSeconds(20))).as("the request ended").isTrue();
                Throwable e = caller.error();
                if (how.equals("closeBody")) {
                    assertThat(e).isNull();
                    assertThat(caller.value()).isIn("200 un", "200 la", "200 ok");
                } else {
                    assertThat(e).as("outcome %s", caller.value()).isNotNull();
                }
                switch (how) {
                    case "closeBody" -> { }
                    case "context" -> assertThat(e).isInstanceOf(RequestCancelledException.class);
                    case "interrupt" -> assertThat(e).isInstanceOfAny(InterruptedException.class, java.io.InterruptedIOException.class);
                    default -> assertThat(e).isInstanceOf(HttpTimeoutException.class);
                }
                Leaks.awaitTrue(() -> dones.done.containsKey(req), "done()");
                assertThat(dones.done.get(req)).hasSize(1);
                release.countDown();
                HttpRequest next = HttpRequest.newBuilder(URI.create(origin + "/next")).timeout(Duration.ofSeconds(20)).build();
                assertThat(outcome(t, next)).as("the next request's own response").isEqualTo("200 next");
                assertThat(dones.done.get(next)).hasSize(1);
                t.close();
                TransportStats s = t.stats();
                assertThat(List.of(s.open(), s.idle(), s.inUse(), s.dialing(), s.waiting())).as("%s", s).containsOnly(0);
            } finally {
                release.countDown();
                caller.abandon(t::close);
                t.close();
            }
        }
    }
}
