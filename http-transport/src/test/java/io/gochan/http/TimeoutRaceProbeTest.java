package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Probes of the transport's timeouts against the outcomes they bound: the body-read timeout, the
 * response-header timeout, the request's deadline and the TLS handshake timeout, each at its edges (a
 * duration below a millisecond, a non-positive one) and racing what it bounds. Each javadoc says what a
 * failure would mean.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class TimeoutRaceProbeTest {

    /** Closed after each test even when an assertion failed first. */
    @RegisterExtension
    final OpenedTransports transports = new OpenedTransports();

    private Transport open(Transport.Builder b) {
        return transports.open(b);
    }

    /**
     * P47: a {@code bodyReadTimeout} below one millisecond still bounds a stalled body, on a virtual and on a
     * platform reader: the read fails with {@link HttpTimeoutException} of kind {@code BODY_READ} and the
     * connection is closed. A failure (the read hung) means the timeout was rounded down to a socket timeout of
     * zero, which is "no timeout" to a socket: the body-read timeout, and on a platform thread the slices that
     * watch its interrupt, were off.
     */
    @ParameterizedTest(name = "virtual reader: {0}")
    @ValueSource(booleans = {true, false})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P47_aBodyReadTimeoutBelowOneMillisecondStillFires(boolean virtual) throws Exception {
        try (RawServer server = DeadlineTest.stallingMidBody()) {
            Transport t = open(Transport.builder().bodyReadTimeout(Duration.ofNanos(300_000)));
            HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build());
            InputStream body = r.body().stream();
            Caller<byte[]> reader = Caller.start(virtual, "body-reader", () -> {
                try (body) {
                    return body.readAllBytes();
                }
            });
            boolean ended = reader.join(Lifecycle.BOUND);
            reader.abandon(t::close);
            assertThat(ended).as("a stalled body read ended within %s of a 300 µs bodyReadTimeout", Lifecycle.BOUND).isTrue();
            assertThat(reader.error()).isInstanceOfSatisfying(HttpTimeoutException.class,
                    e -> assertThat(e.kind()).isEqualTo(HttpTimeoutException.Kind.BODY_READ));
            assertThat(reader.error()).hasMessageContaining("timed out");
            Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "the timed-out connection closed");
        }
    }

    /**
     * P48: a negative {@code responseHeaderTimeout} is no timeout, as zero is (Go's
     * {@code ResponseHeaderTimeout > 0}): requests are answered. A failure (every request failing at once with
     * "timed out awaiting response headers after PT-1S") means a timer was started with the negative duration,
     * which fires at once.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P48_aNegativeResponseHeaderTimeoutIsNone() throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            Transport t = open(Transport.builder().responseHeaderTimeout(Duration.ofSeconds(-1)));
            for (int i = 0; i < 3; i++) {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/" + i)).build())) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
            assertThat(t.stats().reused()).as("the connection was reused").isEqualTo(2);
        }
    }

    /**
     * P48: an {@link HttpClient} timeout of zero, or a negative one, is no timeout, as Go's {@code Client.Timeout}
     * ({@code Timeout > 0}): the send is answered, its body read. A failure (the send failing at once with "request
     * timed out after PT0S (client timeout)") means the client made a context whose deadline had already passed.
     */
    @ParameterizedTest(name = "timeout {0} ms")
    @ValueSource(longs = {0, -1000})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void P48_anHttpClientTimeoutOfZeroOrLessIsNone(long millis) throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            Transport t = open(Transport.builder());
            HttpClient client = HttpClient.builder(t).timeout(Duration.ofMillis(millis)).build();
            try (HttpResponse r = client.send(HttpRequest.newBuilder(server.uri("/")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    /**
     * E11, E22, E26, E38, P15: a request's deadline racing the last bytes of its body (a length, chunked), swept
     * from before the deadline to after it, one connection per host, callers on virtual and platform threads. Each
     * request ends with its whole body or with an {@link HttpTimeoutException} of kind {@code REQUEST} (from
     * {@code roundTrip} or the body's read), never another error; the moment its read returns or throws, nothing
     * is in use and every open connection is idle (the body's connection back in the pool or closed); its
     * {@code done()} comes once; and the next request, without a deadline, gets its own answer on the same
     * transport: a connection a timeout left with bytes unread is never reused. A failure means a timeout that
     * left a connection in use by nobody or pooled with the rest of a body in it, a second outcome, or the wrong
     * exception. Both outcomes must be met (the race was run): a loaded machine can push every body's end past the
     * deadline, so the rounds go on until both were met (at most ten times as many, within 60 s; timeout 150 s,
     * was 90), every one checked; a race never met still fails.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void E11_aDeadlineRacingABodysLastBytesEndsWithOneOutcomeAndLeavesThePoolClean() throws Exception {
        Map<Integer, Long> answerAt = new ConcurrentHashMap<>();
        String body = "0123456789".repeat(20);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (c.answerGet(head, "/next")) {
                         continue;
                     }
                     int q = head.indexOf('?');
                     int n = Integer.parseInt(head.substring(q + 1, head.indexOf(' ', q)));
                     if (n % 2 == 0) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 150));
                         Lifecycle.spin(answerAt.get(n) - System.nanoTime());
                         c.write(body.substring(150));
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n96\r\n" + body.substring(0, 150) + "\r\n");
                         Lifecycle.spin(answerAt.get(n) - System.nanoTime());
                         c.write("32\r\n" + body.substring(150) + "\r\n0\r\n\r\n");
                     }
                 }
             })) {
            StormRaceProbeTest.Events events = new StormRaceProbeTest.Events();
            Transport t = open(Transport.builder().maxConnsPerHost(1).listener(events));
            Duration deadline = Duration.ofMillis(20);
            List<String> violations = new ArrayList<>();
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            int rounds = 250;
            long extraUntil = Lifecycle.nanosFromNow(Duration.ofSeconds(60));
            for (int i = 0; Lifecycle.goOn(i, rounds,
                    outcomes.containsKey("response") && outcomes.containsKey("HttpTimeoutException"), extraUntil)
                    && violations.size() < 10; i++) {
                int n = i;
                boolean virtual = (i / 2) % 2 == 0;
                // The last bytes go out around the deadline: swept from 3 ms before it to 3 ms after.
                answerAt.put(n, System.nanoTime() + deadline.toNanos() - 3_000_000 + (i * 15_013L) % 6_000_000);
                HttpRequest req = HttpRequest.newBuilder(server.uri("/r?" + n)).timeout(deadline).build();
                Caller<String> caller = Caller.start(virtual, "caller-" + n, () -> {
                    try (HttpResponse r = t.roundTrip(req)) {
                        String b = r.body().string();
                        TransportStats s = t.stats(); // at once: the body's end decided its connection's fate (P15, E26)
                        if (s.inUse() != 0 || s.open() != s.idle()) {
                            violations.add(n + ": the body's read returned with its connection still in use: " + s);
                        }
                        return b;
                    } catch (IOException e) {
                        TransportStats s = t.stats();
                        if (s.inUse() != 0 || s.open() != s.idle()) {
                            violations.add(n + ": failed (" + e + ") with its connection still in use: " + s);
                        }
                        throw e;
                    }
                });
                if (!caller.join(Lifecycle.BOUND)) {
                    violations.add(n + ": the caller hung: " + t.stats());
                    caller.abandon(t::close);
                    break;
                }
                String kind;
                Throwable e = caller.error();
                if (e == null) {
                    kind = "response";
                    if (!body.equals(caller.value())) {
                        violations.add(n + ": a body that is not the one sent: " + caller.value());
                    }
                } else {
                    kind = e.getClass().getSimpleName();
                    if (!(e instanceof HttpTimeoutException h && h.kind() == HttpTimeoutException.Kind.REQUEST
                            && h.getMessage().contains("timed out"))) {
                        violations.add(n + ": failed with " + e + ", not its deadline");
                    }
                }
                outcomes.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                if (!Lifecycle.within(() -> events.doneCount(req) >= 1, Lifecycle.BOUND) || events.doneCount(req) != 1) {
                    violations.add(n + " (" + kind + "): done() reported " + events.doneCount(req) + " times");
                }
                try (HttpResponse next = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).build())) {
                    String b = next.body().string();
                    if (!"ok".equals(b)) {
                        violations.add(n + " (" + kind + "): the next request got '" + b + "'");
                    }
                } catch (IOException ex) {
                    violations.add(n + " (" + kind + "): the next request failed: " + ex);
                }
            }
            assertThat(violations).as("outcomes %s", outcomes).isEmpty();
            assertThat(outcomes).as("both outcomes met (the race was run): %s", outcomes)
                    .containsKeys("response", "HttpTimeoutException");
        }
    }

    /**
     * R28, E10: a TLS handshake the server answers around the moment the {@code tlsHandshakeTimeout} passes
     * (swept across it), and one it never answers. Each request ends with a response or with
     * {@link HttpTimeoutException} of kind {@code TLS_HANDSHAKE} saying "timed out"; the moment it fails nothing is
     * open or dialing (the timed-out connection never counted, never pooled); a connection that made it is reused
     * by the next request. A request whose own deadline is shorter than a handshake that never comes fails at its
     * deadline ({@code REQUEST}), promptly. A failure means a handshake that timed out yet handed its connection
     * out, a connection counted after its dial failed, or a request held past its deadline by a dial. Both outcomes
     * must be met (the race was run): a loaded machine can slow every handshake past the timeout, so the rounds go
     * on until both were met (at most ten times as many, within 60 s; timeout 150 s, was 90), every one checked; a
     * race never met still fails.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void E10_aTlsHandshakeRacingItsTimeoutEndsWithOneOutcomeAndCountsNothingLeft() throws Exception {
        Map<Integer, Long> answerAt = new ConcurrentHashMap<>();
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 Long at = answerAt.get(c.index);
                 if (at == null) {
                     never.await(); // never answers the ClientHello
                     return;
                 }
                 Lifecycle.spin(at - System.nanoTime());
                 try (javax.net.ssl.SSLSocket tls = io.gochan.http.testing.JdkServer.serverTls(c.socket)) {
                     tls.startHandshake();
                     java.io.InputStream in = tls.getInputStream();
                     java.io.OutputStream out = tls.getOutputStream();
                     java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
                     for (int state = 0, ch; state < 4 && (ch = in.read()) >= 0; ) {
                         head.write(ch);
                         state = (ch == '\r' || ch == '\n') ? state + 1 : 0;
                         if (state == 4) {
                             out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                             out.flush();
                             head.reset();
                             state = 0;
                         }
                     }
                 } catch (IOException e) {
                     // the client gave up on the handshake: expected
                 }
             })) {
            // The server's side of a handshake takes some milliseconds of CPU (more on a loaded machine): in even rounds
            // it starts at once (a response, unless the machine is very slow), in odd ones its start is swept from 60 ms
            // to about 3 ms before the timeout: the handshake's own tens of milliseconds put its end on both sides of the
            // timeout (a sweep reaching past the timeout gave only timeouts).
            Duration handshake = Duration.ofMillis(300);
            List<String> violations = new ArrayList<>();
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            java.net.URI uri = java.net.URI.create("https://localhost:" + server.port() + "/");
            int rounds = 20;
            long extraUntil = Lifecycle.nanosFromNow(Duration.ofSeconds(60));
            for (int i = 0; Lifecycle.goOn(i, rounds, outcomes.containsKey("response") && outcomes.containsKey("timeout"),
                    extraUntil) && violations.size() < 10; i++) {
                Transport t = Transport.builder().sslContext(io.gochan.http.testing.JdkServer.clientTls())
                        .tlsHandshakeTimeout(handshake).build();
                try {
                    int index = server.accepted();
                    answerAt.put(index, System.nanoTime() + (i % 2 == 0 ? 0 : handshake.toNanos() - 60_000_000 + (i * 2_999_999L) % 80_000_000));
                    String kind;
                    try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).build())) {
                        kind = "response";
                        String b = r.body().string();
                        if (!"ok".equals(b)) {
                            violations.add(i + ": body '" + b + "'");
                        }
                    } catch (HttpTimeoutException e) {
                        kind = "timeout";
                        TransportStats s = t.stats();
                        if (e.kind() != HttpTimeoutException.Kind.TLS_HANDSHAKE || !e.getMessage().contains("timed out")) {
                            violations.add(i + ": " + e + " (kind " + e.kind() + ")");
                        }
                        if (s.open() != 0 || s.dialing() != 0) {
                            violations.add(i + ": a timed-out handshake left counters " + s);
                        }
                    } catch (IOException e) {
                        kind = e.getClass().getSimpleName();
                        violations.add(i + ": failed with " + e + ", not a handshake timeout");
                    }
                    outcomes.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                    if (kind.equals("response")) {
                        int before = server.accepted();
                        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).build())) {
                            r.body().string();
                        }
                        if (server.accepted() != before || t.stats().reused() != 1) {
                            violations.add(i + ": the connection that made it was not reused: " + t.stats());
                        }
                    }
                } finally {
                    t.close();
                }
                TransportStats s = t.stats();
                if (s.open() != 0 || s.dialing() != 0) {
                    violations.add(i + ": close() left " + s);
                }
            }
            // A deadline shorter than a handshake that never comes: the request ends at its deadline, not the dial's.
            Transport t = open(Transport.builder().sslContext(io.gochan.http.testing.JdkServer.clientTls()));
            long t0 = System.nanoTime();
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(200)).build())) {
                violations.add("a handshake never answered gave a response " + r.status());
            } catch (HttpTimeoutException e) {
                if (e.kind() != HttpTimeoutException.Kind.REQUEST || !e.getMessage().contains("timed out")) {
                    violations.add("deadline during a handshake: " + e + " (kind " + e.kind() + ")");
                }
            }
            long took = System.nanoTime() - t0;
            if (took > Lifecycle.BOUND.toNanos()) {
                violations.add("deadline during a handshake ended after " + Duration.ofNanos(took));
            }
            t.close();
            never.countDown();
            assertThat(violations).as("outcomes %s", outcomes).isEmpty();
            assertThat(outcomes).as("both outcomes met (the race was run): %s", outcomes).containsKeys("response", "timeout");
        }
    }

    /**
     * P21: the expect-continue timeout racing the server's {@code 100 Continue}, and racing a final status sent
     * without one (swept across the timeout). With a 100 the body is sent once and answered, and the connection is
     * reused; with a final status first the response is the caller's and the connection is never reused, whether
     * the body was skipped or the timeout had sent it, so the next request never reads what was left on it. A
     * failure means a body sent twice or lost, a response that is not the server's, or a next request answered
     * from a connection out of step with the server.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void P21_theExpectContinueTimeoutRacingTheServersAnswerNeverDesynchronisesTheConnection() throws Exception {
        Map<Integer, Long> answerAt = new ConcurrentHashMap<>();
        String payload = "p".repeat(3000);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (c.answerGet(head, "/next")) {
                         continue;
                     }
                     int q = head.indexOf('?');
                     int n = Integer.parseInt(head.substring(q + 1, head.indexOf(' ', q)));
                     Lifecycle.spin(answerAt.get(n) - System.nanoTime());
                     if (head.startsWith("POST /final")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
                         c.readUntilClosed(); // the body may come (the timeout sent it) or not: never read as a request
                         return;
                     }
                     c.write("HTTP/1.1 100 Continue\r\n\r\n");
                     byte[] got = c.readBody(payload.length());
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: " + got.length + "\r\n\r\n");
                     c.write(got);
                 }
             })) {
            Duration expect = Duration.ofMillis(15);
            Transport t = open(Transport.builder().expectContinueTimeout(expect));
            List<String> violations = new ArrayList<>();
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            for (int i = 0; i < 120 && violations.size() < 10; i++) {
                boolean fin = i % 2 == 1;
                answerAt.put(i, System.nanoTime() + expect.toNanos() - 2_000_000 + (i * 37_199L) % 4_000_000);
                HttpRequest req = HttpRequest.newBuilder(server.uri((fin ? "/final?" : "/continue?") + i))
                        .header("Expect", "100-continue").POST(RequestBody.of(payload)).build();
                int before = server.accepted();
                try (HttpResponse r = t.roundTrip(req)) {
                    String b = r.body().string();
                    String want = fin ? "final" : payload;
                    if (!want.equals(b)) {
                        violations.add(i + ": body of " + b.length() + " chars, not the " + want.length() + " expected");
                    }
                } catch (IOException e) {
                    violations.add(i + (fin ? " final" : " continue") + ": failed: " + e);
                }
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/next")).build())) {
                    String b = r.body().string();
                    if (!"ok".equals(b)) {
                        violations.add(i + ": the next request got '" + b + "'");
                    }
                } catch (IOException e) {
                    violations.add(i + ": the next request failed: " + e);
                }
                int dials = server.accepted() - before;
                outcomes.computeIfAbsent((fin ? "final" : "continue") + " dials " + dials, k -> new AtomicInteger()).incrementAndGet();
                if (fin && dials == 0 && i > 0) {
                    violations.add(i + ": a final status without 100 Continue, yet its connection was reused");
                }
            }
            assertThat(violations).as("outcomes %s", outcomes).isEmpty();
        }
    }

    /**
     * R28, E10: a proxy that takes the {@code CONNECT} and never answers it. Without a deadline the request fails
     * with {@link HttpTimeoutException} of kind {@code CONNECT} when the dial timeout passes, and at that moment
     * nothing is open or dialing; with a deadline shorter than the dial timeout it fails at its deadline, kind
     * {@code REQUEST}, promptly, and the dial it leaves ends with the transport's close. A failure means a
     * request held past its deadline by its dial, the wrong kind, or a tunnel counted after its dial failed.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E10_aProxyThatNeverAnswersTheConnectEndsAtTheDialTimeoutOrTheDeadline() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer proxy = RawServer.start(c -> {
                 c.readRequestHead();
                 never.await();
             })) {
            java.net.URI target = java.net.URI.create("https://origin.example:443/");
            java.util.function.Function<HttpRequest, java.util.Optional<java.net.URI>> via =
                    r -> java.util.Optional.of(java.net.URI.create("http://127.0.0.1:" + proxy.port()));
            Transport dialBound = open(Transport.builder().proxy(via).dialTimeout(Duration.ofMillis(200)));
            try (HttpResponse r = dialBound.roundTrip(HttpRequest.newBuilder(target).build())) {
                throw new AssertionError("a CONNECT never answered gave a response " + r.status());
            } catch (HttpTimeoutException e) {
                TransportStats s = dialBound.stats();
                assertThat(e.kind()).as("%s", e).isEqualTo(HttpTimeoutException.Kind.CONNECT);
                assertThat(e).hasMessageContaining("timed out");
                assertThat(s.open() + s.dialing()).as("counters the moment the dial failed: %s", s).isZero();
            }
            Transport deadlineBound = open(Transport.builder().proxy(via).dialTimeout(Duration.ofSeconds(30)));
            long t0 = System.nanoTime();
            try (HttpResponse r = deadlineBound.roundTrip(HttpRequest.newBuilder(target).timeout(Duration.ofMillis(200)).build())) {
                throw new AssertionError("a CONNECT never answered gave a response " + r.status());
            } catch (HttpTimeoutException e) {
                assertThat(e.kind()).as("%s", e).isEqualTo(HttpTimeoutException.Kind.REQUEST);
                assertThat(e).hasMessageContaining("timed out");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("ended at its deadline").isLessThan(Lifecycle.BOUND);
            deadlineBound.close();
            TransportStats s = deadlineBound.stats();
            assertThat(s.open() + s.dialing() + s.waiting()).as("after close: %s", s).isZero();
            never.countDown();
        }
    }

    /**
     * E46: a request's own timeout bounds the whole {@code HttpClient.send}, its redirects included: two redirecting
     * hops of 1 s each under a 1.5 s timeout fail with {@link HttpTimeoutException} of kind {@code REQUEST} naming
     * the 1.5 s the caller set, and leave nothing in use; the last hop, which answers at once, is answered under the
     * same timeout. A failure (the send answered after about 2 s) means each redirect started the timeout again. Only
     * the redirects are slow, so that the answered request has the whole timeout to spare on a loaded machine (with
     * three 250 ms hops under 600 ms, the answered hop had to come within 350 ms of its server's delay).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E46_aRequestsOwnTimeoutBoundsTheWholeSendItsRedirectsIncluded() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /a")) {
                         Thread.sleep(1_000); // a slow redirect: the load the timeout bounds, no order
                         c.write("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n");
                     } else if (head.startsWith("GET /b")) {
                         Thread.sleep(1_000);
                         c.write("HTTP/1.1 302 Found\r\nLocation: /c\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 }
             })) {
            StormRaceProbeTest.Events events = new StormRaceProbeTest.Events();
            Transport t = open(Transport.builder().listener(events));
            HttpClient client = HttpClient.builder(t).build();
            Duration timeout = Duration.ofMillis(1_500);
            long t0 = System.nanoTime();
            Throwable e = null;
            try (HttpResponse r = client.send(HttpRequest.newBuilder(server.uri("/a")).timeout(timeout).build())) {
                r.body().string();
            } catch (IOException ex) {
                e = ex;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(e).as("a send through two 1 s redirects under a 1.5 s timeout (took %s)", took)
                    .isInstanceOfSatisfying(HttpTimeoutException.class,
                            h -> assertThat(h.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST))
                    .hasMessageContaining("timed out after " + timeout);
            assertThat(took).isLessThan(Lifecycle.BOUND);
            TransportStats s = t.stats();
            assertThat(s.inUse()).as("nothing in use once the send failed: %s", s).isZero();
            try (HttpResponse r = client.send(HttpRequest.newBuilder(server.uri("/c")).timeout(timeout).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    /**
     * E46: the final body of a send that followed a redirect is read under the request's own timeout too, and when it
     * passes there the read fails naming the timeout the caller set, as the hops do: the last hop was sent with what
     * was left of it, which the transport names. A failure (a message naming 0.99 s, what was left for the last hop)
     * means the caller read of a timeout it never set.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E46_aBodyStalledAfterARedirectTimesOutNamingTheCallersTimeout() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /a")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"); // then stalls: 8 bytes never come
                     }
                 }
             })) {
            Transport t = open(Transport.builder());
            HttpClient client = HttpClient.builder(t).build();
            Duration timeout = Duration.ofMillis(1_000);
            Throwable e = null;
            try (HttpResponse r = client.send(HttpRequest.newBuilder(server.uri("/a")).timeout(timeout).build())) {
                assertThat(r.status()).isEqualTo(200);
                r.body().string();
            } catch (IOException ex) {
                e = ex;
            }
            assertThat(e).isInstanceOfSatisfying(HttpTimeoutException.class,
                            h -> assertThat(h.kind()).isEqualTo(HttpTimeoutException.Kind.REQUEST))
                    .hasMessageContaining("timed out after " + timeout + " ")
                    .hasMessageContaining("reading the response body");
            Lifecycle.await(() -> t.stats().open() == 0, Lifecycle.BOUND, "the timed-out connection closed");
        }
    }
}
