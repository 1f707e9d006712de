package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Probes of {@link HttpClient}'s redirects (session 31), each against real loopback servers: request bodies under a
 * redirect that comes before the body was all sent (R48), with {@code Expect: 100-continue} (R48, R108), a redirect's
 * body that stalls while the send is ended four ways (E18) or is malformed (R16), user code that lets a checked
 * exception out undeclared (E118), the requests a {@link RedirectCheck} is shown (R13) and over-long locations (R16).
 * Every stream a body opened is closed exactly once, nothing is left in use, and one connection per host then serves
 * the next request. They found R108; the rest held.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RedirectReplayProbeTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @RegisterExtension
    final OpenedTransports transports = new OpenedTransports();

    static final int BIG = 4 << 20;

    /** Counts the opens and closes of a body's streams. */
    static final class Streams {
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();

        InputStream wrap(InputStream in) {
            opens.incrementAndGet();
            return new FilterInputStream(in) {
                @Override
                public void close() throws IOException {
                    closes.incrementAndGet();
                    super.close();
                }
            };
        }

        RequestBody replayable(int n) {
            return RequestBody.ofStream(() -> wrap(new ByteArrayInputStream(new byte[n])), n, "application/octet-stream");
        }

        RequestBody once(int n) {
            return RequestBody.ofStreamOnce(wrap(new ByteArrayInputStream(new byte[n])), n, "application/octet-stream");
        }
    }

    private static String path(String head) {
        int a = head.indexOf(' ') + 1;
        return head.substring(a, head.indexOf(' ', a));
    }

    /**
     * Answers /early* with the given redirect at once, before reading the body, saying {@code Connection: close} (as a
     * server that will not read the body says, Go's among them), then never reads; others read the body. Without the
     * close a client that managed to write the whole body into the socket buffers (4 MiB fit on loopback) may rightly
     * pool the connection, which this server would never serve again.
     */
    private static RawServer earlyRedirecting(int status, List<String> heads) throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequestHead()) != null; ) {
                heads.add(head);
                if (path(head).startsWith("/early")) {
                    c.write("HTTP/1.1 " + status + " X\r\nLocation: /next\r\nConnection: close\r\nContent-Length: 5\r\n\r\nmoved");
                    c.holdWithoutReading();
                    return;
                }
                int n = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        n = Integer.parseInt(line.substring(15).trim());
                    }
                }
                if (head.toLowerCase().contains("expect: 100-continue")) {
                    c.write("HTTP/1.1 100 Continue\r\n\r\n");
                }
                int got = c.readBody(n).length;
                String body = Integer.toString(got);
                c.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
        });
    }

    /**
     * R48: a 307 or 303 that comes at once, before a 4 MiB body was sent, to a server that then reads nothing: a
     * replayable body is sent again whole on a 307, a one-shot one gets the 307 itself, a 303 is a GET without body;
     * each stream opened is closed once, and one connection per host serves the next request.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R48_anEarlyRedirectWhileABigBodyIsSentClosesEachStreamOnceAndFreesTheConnection() throws Exception {
        for (int status : new int[] {307, 303}) {
            for (boolean once : new boolean[] {false, true}) {
                String what = status + (once ? " once" : " replayable");
                List<String> heads = new CopyOnWriteArrayList<>();
                try (RawServer server = earlyRedirecting(status, heads)) {
                    Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
                    HttpClient c = HttpClient.builder(t).build();
                    Streams s = new Streams();
                    RequestBody body = once ? s.once(BIG) : s.replayable(BIG);
                    Object out = Leaks.outcomeWithin10s(what, () -> {
                        try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/early")).POST(body).build())) {
                            return r.status() + " " + r.body().string();
                        }
                    });
                    String expected = status == 303 ? "200 0" : once ? "307 moved" : "200 " + BIG;
                    assertThat(out).as(what).isEqualTo(expected);
                    Lifecycle.await(() -> s.closes.get() == s.opens.get(), Lifecycle.BOUND, what + ": every stream closed");
                    assertThat(s.closes.get()).as(what + " closes").isEqualTo(s.opens.get());
                    Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, what + ": nothing in use");
                    Object next = Leaks.outcomeWithin10s(what + " next", () -> {
                        try (HttpResponse r = c.send(HttpRequest.get(server.uri("/after").toString()))) {
                            return r.status();
                        }
                    });
                    assertThat(next).as(what + " next").isEqualTo(200);
                    if (status == 303) {
                        assertThat(heads.get(1)).as(what).startsWith("GET /next ").doesNotContainIgnoringCase("content-type")
                                .doesNotContainIgnoringCase("content-length");
                    }
                    assertThat(server.failures()).isEmpty();
                }
            }
        }
    }

    /**
     * R48, R108: an {@code Expect: 100-continue} request answered by a 307 or 303 without {@code 100 Continue}: its
     * body follows a 307 if it can be sent again (else the 307 is the response), a 303's GET has neither body nor
     * expectation; every stream closed once, nothing in use.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R48_anExpectContinueRequestAnsweredByARedirectWithoutA100() throws Exception {
        for (int status : new int[] {307, 303}) {
            for (boolean once : new boolean[] {false, true}) {
                String what = status + (once ? " once" : " replayable");
                List<String> heads = new CopyOnWriteArrayList<>();
                try (RawServer server = earlyRedirecting(status, heads)) {
                    Transport t = transports.open(Transport.builder().maxConnsPerHost(1).expectContinueTimeout(Duration.ofSeconds(30)));
                    HttpClient c = HttpClient.builder(t).build();
                    Streams s = new Streams();
                    RequestBody body = once ? s.once(1000) : s.replayable(1000);
                    Object out = Leaks.outcomeWithin10s(what, () -> {
                        try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/early")).header("Expect", "100-continue")
                                .POST(body).build())) {
                            return r.status() + " " + r.body().string();
                        }
                    });
                    String expected = status == 303 ? "200 0" : once ? "307 moved" : "200 1000";
                    assertThat(out).as(what).isEqualTo(expected);
                    Lifecycle.await(() -> s.closes.get() == s.opens.get(), Lifecycle.BOUND, what + ": every stream closed");
                    Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, what + ": nothing in use");
                    if (heads.size() > 1) {
                        assertThat(heads.get(1)).as(what + " second head").satisfies(h -> {
                            if (h.startsWith("GET")) {
                                assertThat(h).doesNotContainIgnoringCase("expect");
                            }
                        });
                    }
                    assertThat(server.failures()).isEmpty();
                }
            }
        }
    }

    enum Ender { CANCEL, INTERRUPT, CLIENT_TIMEOUT, OWN_TIMEOUT }

    /**
     * E18 at the client layer: a redirect whose chunked body stalls after its first chunk, the send ended during the
     * drain by a cancel, an interrupt, the client's timeout or the request's own: one outcome of the ender's kind, on
     * virtual and platform callers, nothing in use, and one connection per host serves the next request.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E18_aSendEndedWhileARedirectsBodyStallsEndsOnceAndLeavesNothingInUse() throws Exception {
        for (Ender ender : Ender.values()) {
            for (boolean virtual : new boolean[] {true, false}) {
                String what = ender + (virtual ? " virtual" : " platform");
                CountDownLatch stalled = new CountDownLatch(1);
                try (RawServer server = RawServer.start(c -> {
                         for (String head; (head = c.readRequest()) != null; ) {
                             if (path(head).startsWith("/stall")) {
                                 c.write("HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nmoved\r\n");
                                 stalled.countDown();
                                 c.holdWithoutReading();
                                 return;
                             }
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         }
                     })) {
                    Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
                    HttpClient c = HttpClient.builder(t).timeout(ender == Ender.CLIENT_TIMEOUT ? Duration.ofMillis(700) : null).build();
                    CancellableContext parent = Context.withCancel(Context.background());
                    HttpRequest.Builder rb = HttpRequest.newBuilder(server.uri("/stall"));
                    if (ender == Ender.OWN_TIMEOUT) {
                        rb.timeout(Duration.ofMillis(700));
                    }
                    HttpRequest req = rb.build();
                    Caller<String> caller = Caller.start(virtual, "sender", () -> {
                        try (HttpResponse r = c.send(req, parent)) {
                            return r.body().string();
                        }
                    });
                    assertThat(stalled.await(10, TimeUnit.SECONDS)).isTrue();
                    // the drain is under way once the redirect's first chunk is sent; which read it is in does not matter
                    switch (ender) {
                        case CANCEL -> parent.cancel();
                        case INTERRUPT -> caller.thread.interrupt();
                        default -> { }
                    }
                    boolean ended = caller.join(Lifecycle.BOUND);
                    if (!ended) {
                        caller.abandon(parent::cancel);
                    }
                    assertThat(ended).as(what + " ended").isTrue();
                    Throwable e = caller.error();
                    boolean right = switch (ender) {
                        case CANCEL -> e instanceof RequestCancelledException rc && rc.reason() == RequestCancelledException.Reason.CONTEXT;
                        case INTERRUPT -> e instanceof InterruptedException;
                        case CLIENT_TIMEOUT -> e instanceof HttpTimeoutException te && String.valueOf(te.getMessage()).contains("client timeout");
                        case OWN_TIMEOUT -> e instanceof HttpTimeoutException te && String.valueOf(te.getMessage()).contains("PT0.7S");
                    };
                    assertThat(right).as("%s: %s", what, e).isTrue();
                    Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, what + ": nothing in use");
                    try (HttpResponse r = c.send(HttpRequest.get(server.uri("/after").toString()))) {
                        assertThat(r.body().string()).isEqualTo("ok");
                    }
                    parent.cancel();
                }
            }
        }
    }

    /** R16: a redirect whose chunked body is malformed is followed all the same; its connection is closed, not pooled. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R16_aRedirectWithAMalformedChunkedBodyIsFollowed() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (path(head).startsWith("/bad")) {
                         c.write("HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nmoved\r\n0\r\n\r\n");
                         continue;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             })) {
            Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
            HttpClient c = HttpClient.builder(t).build();
            for (int i = 0; i < 3; i++) {
                Object out = Leaks.outcomeWithin10s("bad " + i, () -> {
                    try (HttpResponse r = c.send(HttpRequest.get(server.uri("/bad").toString()))) {
                        return r.body().string();
                    }
                });
                assertThat(out).isEqualTo("ok");
            }
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
        }
    }

    static final class UserChecked extends Exception {
        private static final long serialVersionUID = 1L;

        UserChecked(String m) {
            super(m);
        }
    }

    /**
     * E118 at the client layer: a {@link RedirectCheck}, and a replayable body's second open, that let a checked
     * exception out undeclared fail the send with that very exception; the check sees the first request, the
     * redirect's connection is pooled, the body's one stream closed once.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E118_userCodeThrowingUndeclaredAcrossARedirectFailsTheSendWithIt() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (path(head).startsWith("/r")) {
                         c.write("HTTP/1.1 307 X\r\nLocation: /next\r\nContent-Length: 5\r\n\r\nmoved");
                         continue;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             })) {
            Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
            // checkRedirect throwing undeclared
            UserChecked thrown = new UserChecked("check");
            List<List<HttpRequest>> vias = new CopyOnWriteArrayList<>();
            HttpClient c = HttpClient.builder(t).checkRedirect((next, via) -> {
                vias.add(via);
                throw HostileExceptions.<RuntimeException>undeclared(thrown);
            }).build();
            HttpRequest first = HttpRequest.newBuilder(server.uri("/r")).POST(RequestBody.of("x")).build();
            Object out = Leaks.outcomeWithin10s("check", () -> {
                try (HttpResponse r = c.send(first)) {
                    return r.status();
                }
            });
            assertThat(out).isSameAs(thrown);
            assertThat(vias).hasSize(1);
            assertThat(vias.get(0)).containsExactly(first);
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
            idle.assertIdle(t, 1); // the redirect's connection pooled (or closed by E138)
            // a replayable body whose second open throws undeclared
            HttpClient plain = HttpClient.builder(t).build();
            Streams s = new Streams();
            UserChecked second = new UserChecked("second open");
            AtomicInteger n = new AtomicInteger();
            RequestBody body = RequestBody.ofStream(() -> {
                if (n.incrementAndGet() == 2) {
                    throw HostileExceptions.<RuntimeException>undeclared(second);
                }
                return s.wrap(new ByteArrayInputStream(new byte[3]));
            }, 3, null);
            Object out2 = Leaks.outcomeWithin10s("open", () -> {
                try (HttpResponse r = plain.send(HttpRequest.newBuilder(server.uri("/r")).POST(body).build())) {
                    return r.status();
                }
            });
            assertThat(out2).isSameAs(second);
            assertThat(s.closes.get()).isEqualTo(s.opens.get()).isEqualTo(1);
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
            try (HttpResponse r = plain.send(HttpRequest.get(server.uri("/after").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }

    /** R13: the check is shown each next request (method and body of a 308 kept) and the requests sent, oldest first. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R13_theCheckSeesTheNextRequestAndTheRequestsSentInOrder() throws Exception {
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     String p = path(head);
                     int k = p.length() > 2 ? p.charAt(2) - '0' : 0;
                     if (k > 0) {
                         c.write("HTTP/1.1 308 X\r\nLocation: /h" + (k - 1) + "\r\nContent-Length: 0\r\n\r\n");
                         continue;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             })) {
            Transport t = transports.open(Transport.builder());
            List<String> seen = new CopyOnWriteArrayList<>();
            HttpClient c = HttpClient.builder(t).maxRedirects(3).checkRedirect((next, via) -> {
                seen.add(next.uri().getPath() + " " + via.stream().map(r -> r.uri().getPath()).toList() + " " + next.method()
                        + " " + next.body().length());
                return true;
            }).build();
            try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/h3")).method("PUT", RequestBody.of("abc")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly("/h2 [/h3] PUT 3", "/h1 [/h3, /h2] PUT 3", "/h0 [/h3, /h2, /h1] PUT 3");
        }
    }

    /**
     * R48: a 307 that comes before a 4 MiB body was sent, from a server that then reads the body and keeps the
     * connection: the next hop's request is never mixed into the first one's body, whichever connection it takes.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R48_anEarlyRedirectFromAServerThatReadsOnKeepsTheHopsApart() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     heads.add(head);
                     int n = 0;
                     for (String line : head.split("\r\n")) {
                         if (line.toLowerCase().startsWith("content-length:")) {
                             n = Integer.parseInt(line.substring(15).trim());
                         }
                     }
                     if (path(head).startsWith("/early")) {
                         c.write("HTTP/1.1 307 X\r\nLocation: /next\r\nContent-Length: 5\r\n\r\nmoved");
                         c.readBody(n);
                         continue;
                     }
                     int got = c.readBody(n).length;
                     String body = Integer.toString(got);
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                 }
             })) {
            Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
            HttpClient c = HttpClient.builder(t).build();
            for (int i = 0; i < 4; i++) {
                heads.clear();
                Streams s = new Streams();
                Object out = Leaks.outcomeWithin10s("early " + i, () -> {
                    try (HttpResponse r = c.send(HttpRequest.newBuilder(server.uri("/early")).POST(s.replayable(BIG)).build())) {
                        return r.status() + " " + r.body().string();
                    }
                });
                assertThat(out).isEqualTo("200 " + BIG);
                assertThat(heads).hasSize(2);
                assertThat(heads.get(1)).startsWith("POST /next ");
                Lifecycle.await(() -> s.closes.get() == 2, Lifecycle.BOUND, "both streams closed");
                assertThat(s.opens.get()).isEqualTo(2);
            }
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * R16: a long {@code Location} within the response's line limit is followed; one over it fails the send with
     * {@link HttpProtocolException}, a short message; nothing in use after either, and the next request is served.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R16_overLongLocations() throws Exception {
        for (int len : new int[] {5_000, 70_000, 900_000}) {
            String loc = "/" + "a".repeat(len);
            try (RawServer server = RawServer.start(c -> {
                     for (String head; (head = c.readRequest()) != null; ) {
                         if (path(head).startsWith("/long")) {
                             c.write("HTTP/1.1 302 X\r\nLocation: " + loc + "\r\nContent-Length: 0\r\n\r\n");
                             continue;
                         }
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                     }
                 })) {
                Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
                HttpClient c = HttpClient.builder(t).build();
                Object out = Leaks.outcomeWithin10s("long " + len, () -> {
                    try (HttpResponse r = c.send(HttpRequest.get(server.uri("/long").toString()))) {
                        return r.status() + " " + r.body().string();
                    }
                });
                if (len < 8000) {
                    assertThat(out).as("%d", len).isEqualTo("200 ok");
                } else {
                    assertThat(out).as("%d", len).isInstanceOf(HttpProtocolException.class);
                    assertThat(((Throwable) out).getMessage()).hasSizeLessThan(500);
                }
                Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
                try (HttpResponse r = c.send(HttpRequest.get(server.uri("/after").toString()))) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            }
        }
    }
}
