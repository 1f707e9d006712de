package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What {@link HttpClient} carries from one hop of a redirect chain to the next (session 31): the fields that describe
 * a request body go when a redirect drops the body (R108), and an interrupt that ends the drain of a redirect's body
 * is never lost, whatever {@link RoundTripper} made that body (R109).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class RedirectHopTest {

    @RegisterExtension
    final OpenedTransports transports = new OpenedTransports();

    private static String path(String head) {
        int a = head.indexOf(' ') + 1;
        return head.substring(a, head.indexOf(' ', a));
    }

    /**
     * R108: a 301, 302 or 303 that turns a POST into a GET without body drops, with the body, every field that
     * describes it: {@code Content-Type} (as before), {@code Content-Encoding}, {@code Content-Language},
     * {@code Content-Location} and the {@code Expect: 100-continue} that RFC 9110 (10.1.1) forbids on a request without
     * content; any other field follows. A 307 and a 308 keep the body and so every one of them. Before, the GET after
     * a 303 went out with {@code Content-Encoding: gzip} and {@code Expect: 100-continue} for a body it did not have.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R108_aRedirectThatDropsTheBodyDropsTheFieldsThatDescribeIt() throws Exception {
        List<String> heads = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     String p = path(head);
                     int n = 0;
                     for (String line : head.split("\r\n")) {
                         if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                             n = Integer.parseInt(line.substring(15).trim());
                         }
                     }
                     if (head.toLowerCase(java.util.Locale.ROOT).contains("\r\nexpect: 100-continue\r\n")) {
                         c.write("HTTP/1.1 100 Continue\r\n\r\n");
                     }
                     c.readBody(n);
                     if (p.startsWith("/s")) {
                         c.write("HTTP/1.1 " + p.substring(2) + " Redirect\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n");
                     } else {
                         heads.add(head);
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n" + "x".repeat(n));
                     }
                 }
             })) {
            Transport t = transports.open(Transport.builder());
            HttpClient client = HttpClient.builder(t).build();
            List<String> described = List.of("content-type:", "content-encoding:", "content-language:", "content-location:",
                    "expect:");
            for (int status : new int[] {301, 302, 303, 307, 308}) {
                heads.clear();
                HttpRequest req = HttpRequest.newBuilder(server.uri("/s" + status))
                        .header("Content-Type", "application/json")
                        .header("Content-Encoding", "gzip")
                        .header("Content-Language", "en")
                        .header("Content-Location", "/draft/1")
                        .header("Expect", "100-continue")
                        .header("X-Trace", "t-1")
                        .POST(RequestBody.of(new byte[] {1, 2, 3}, null))
                        .build();
                try (HttpResponse r = client.send(req)) {
                    assertThat(r.status()).isEqualTo(200);
                    r.body().bytes();
                }
                assertThat(heads).hasSize(1);
                String head = heads.get(0).toLowerCase(java.util.Locale.ROOT);
                assertThat(head).as("%d: %s", status, head).contains("\r\nx-trace: t-1\r\n");
                if (status == 307 || status == 308) {
                    assertThat(head).as("%d keeps the body", status).startsWith("post /end ").contains("\r\ncontent-length: 3\r\n");
                    for (String field : described) {
                        assertThat(head).as("%d keeps %s", status, field).contains("\r\n" + field);
                    }
                } else {
                    assertThat(head).as("%d drops the body", status).startsWith("get /end ").doesNotContain("content-length:");
                    for (String field : described) {
                        assertThat(head).as("%d drops %s: %s", status, field, head).doesNotContain("\r\n" + field);
                    }
                }
            }
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
            assertThat(server.failures()).isEmpty();
        }
    }

    /** How the body of a redirect answers the interrupt of its drain. */
    enum DrainEnd {
        /** A {@link PipedInputStream}: {@link InterruptedIOException}, the interrupt flag cleared (the JDK's streams). */
        PIPE_INTERRUPTED,
        /** {@link RequestCancelledException} of reason {@code INTERRUPT}, the flag cleared. */
        CANCELLED_BY_INTERRUPT,
        /** A read timeout ({@link SocketTimeoutException}, an {@link InterruptedIOException} too): no interrupt. */
        TIMED_OUT
    }

    /**
     * R109: a send whose caller is interrupted while the client drains a redirect's body ends with
     * {@link InterruptedException}, whatever the {@link RoundTripper} that made the body does with the interrupt flag:
     * a body that clears it (a {@link PipedInputStream}, JDK streams that throw {@link InterruptedIOException}, a
     * {@link RequestCancelledException} of reason {@code INTERRUPT}) has it set again, so the next hop ends on it as it
     * does over a {@link Transport}, whose bodies leave it set. A drain that ends by a read timeout, an
     * {@link InterruptedIOException} too, is no interrupt: the redirect is followed. Before, the drain's exception was
     * dropped with the interrupt in it, the next hop was sent, and the send succeeded with the caller's interrupt lost.
     */
    @ParameterizedTest
    @EnumSource(DrainEnd.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R109_anInterruptThatEndsARedirectsDrainIsNeverLost(DrainEnd end) throws Exception {
        for (boolean virtual : new boolean[] {true, false}) {
            try (RawServer server = RawServer.answeringOk()) {
                Transport t = transports.open(Transport.builder().maxConnsPerHost(1));
                CountDownLatch draining = new CountDownLatch(1);
                CountDownLatch never = new CountDownLatch(1);
                List<String> sent = new CopyOnWriteArrayList<>();
                RoundTripper redirecting = (req, ctx) -> {
                    sent.add(req.uri().getPath());
                    if (!req.uri().getPath().equals("/moved")) {
                        return t.roundTrip(req, ctx);
                    }
                    PipedInputStream pipe = new PipedInputStream();
                    PipedOutputStream writer = new PipedOutputStream(pipe); // never written: a read waits
                    InputStream body = new ReadByBulk() {
                        @Override
                        public int read(byte[] b, int off, int len) throws IOException {
                            draining.countDown();
                            switch (end) {
                                case PIPE_INTERRUPTED -> {
                                    return pipe.read(b, off, len);
                                }
                                case CANCELLED_BY_INTERRUPT -> {
                                    try {
                                        never.await();
                                        return -1;
                                    } catch (InterruptedException e) {
                                        throw new RequestCancelledException(RequestCancelledException.Reason.INTERRUPT,
                                                "the redirect's body read was cancelled by an interrupt (test)", e);
                                    }
                                }
                                default -> throw new SocketTimeoutException("read timed out (test)");
                            }
                        }

                        @Override
                        public void close() throws IOException {
                            writer.close();
                            pipe.close();
                        }
                    };
                    return new HttpResponse(req, "HTTP/1.1", 302, "Found", Headers.of("Location", "/final"),
                            new ResponseBody(body, null), Headers::empty);
                };
                HttpClient client = HttpClient.builder(redirecting).build();
                Caller<String> caller = Caller.start(virtual, "sender", () -> {
                    try {
                        try (HttpResponse r = client.send(HttpRequest.get(server.uri("/moved").toString()))) {
                            return r.body().string();
                        }
                    } finally {
                        if (Thread.interrupted()) {
                            throw new AssertionError("the send returned with the interrupt flag still set");
                        }
                    }
                });
                assertThat(draining.await(10, TimeUnit.SECONDS)).as("the drain began").isTrue();
                if (end != DrainEnd.TIMED_OUT) {
                    caller.thread.interrupt();
                }
                boolean ended = caller.join(Lifecycle.BOUND);
                if (!ended) {
                    caller.abandon(() -> { });
                }
                assertThat(ended).as("the send ended").isTrue();
                String what = end + (virtual ? " virtual" : " platform");
                if (end == DrainEnd.TIMED_OUT) {
                    assertThat(caller.error()).as(what).isNull();
                    assertThat(caller.value()).as(what).isEqualTo("ok");
                    assertThat(sent).as(what).containsExactly("/moved", "/final");
                } else {
                    assertThat(caller.error()).as("%s: the send ends with the interrupt (got %s, value %s)", what,
                            caller.error(), caller.value()).isInstanceOf(InterruptedException.class);
                }
                Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use");
            }
        }
    }
}
