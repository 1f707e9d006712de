package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The desk review of {@link HttpClient} in session 27 (rv-client27): the send's own context at a body read to exactly
 * its length (E44 with E49), a redirect to an IPv6 zone of other case (R14 with R90), and what the redirect limit
 * counts against Go's default policy (R13).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class HttpClientReview27Test {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** How the final body of {@link #E44_theSendsContextEndsAtTheReadThatReturnsTheBodysLastBytes} arrives. */
    enum Shape {
        /** {@code Content-Length}, whole with its head: held in memory (E40). */
        IN_MEMORY,
        /** {@code Content-Length}, its bytes sent once the caller has the response: streamed. */
        STREAMED,
        /**
         * Chunked, its one chunk and the last chunk in one write once the caller has the response, read once the client's
         * TCP stack has all of it.
         */
        CHUNKED
    }

    /**
     * E44 with E49: a client with an overall timeout, a final body read to exactly its end by {@code readNBytes(2)},
     * which never reads a -1 (its loop ends with a read of zero bytes). The transport took the read that returned the
     * last bytes for the body's end (E49): the connection is back in the pool. The send's own context ends at that
     * read too, as at a -1, as Go's {@code cancelTimerBody} stops at the {@code io.EOF} its body returns with those
     * bytes. Before: the wrapper ended it only at a -1, and the context (its five-minute timer, its registration with
     * the caller's context) lived on until the close: "the send's own context ended" failed (false), for each shape.
     */
    @ParameterizedTest
    @EnumSource(Shape.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E44_theSendsContextEndsAtTheReadThatReturnsTheBodysLastBytes(Shape shape) throws Exception {
        CountDownLatch responseHeld = new CountDownLatch(1);
        CountDownLatch chunksArrived = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 while (c.readRequest() != null) {
                     switch (shape) {
                         case IN_MEMORY -> c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                         case STREAMED -> {
                             c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
                             if (responseHeld.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                                 c.write("ok");
                             }
                         }
                         case CHUNKED -> {
                             c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                             if (responseHeld.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                                 c.write("2\r\nok\r\n0\r\n\r\n"); // the last chunk buffered with the chunk (E49)
                                 // E49 holds when the last chunk is buffered with the chunk: one write is one segment on
                                 // loopback, but nothing promises it. Once the client's TCP stack has acknowledged every
                                 // byte, the body's first read takes them all in one fill, however they were cut.
                                 c.awaitSentBytesAcknowledged(Lifecycle.BOUND);
                                 chunksArrived.countDown();
                             }
                         }
                     }
                 }
             });
             Transport t = Transport.builder().build()) {
            CancellableContext parent = Context.withCancel(Context.background());
            try {
                List<Context> seen = new CopyOnWriteArrayList<>();
                HttpClient client = HttpClient.builder((req, ctx) -> {
                    seen.add(ctx);
                    return t.roundTrip(req, ctx);
                }).timeout(Duration.ofMinutes(5)).build();
                HttpResponse r = client.send(HttpRequest.get(server.uri("/").toString()), parent);
                responseHeld.countDown(); // the streamed shapes' bytes come now: the caller has the response
                if (shape == Shape.CHUNKED) {
                    assertThat(chunksArrived.await(Lifecycle.BOUND.toMillis(), TimeUnit.MILLISECONDS))
                            .as("the chunks in the client's socket").isTrue();
                }
                InputStream in = r.body().stream();
                assertThat(new String(in.readNBytes(2), StandardCharsets.ISO_8859_1)).isEqualTo("ok");
                // The read that returned the last bytes was the body's end for the transport (E49).
                Lifecycle.await(() -> t.stats().idle() == 1 && t.stats().inUse() == 0, Lifecycle.BOUND,
                        "the connection back in the pool at the body's end");
                assertThat(seen).hasSize(1);
                assertThat(seen.get(0)).as("the send runs under a context of its own (it has a timeout)").isNotSameAs(parent);
                assertThat(seen.get(0).isDone()).as("the send's own context ended at the read of the body's last bytes")
                        .isTrue();
                assertThat(parent.isDone()).as("the caller's context").isFalse();
                assertThat(in.read()).as("a read after the end").isEqualTo(-1);
                r.close();
                idle.assertIdle(t, 1); // the connection stays pooled after the close (or E138 closed it at the end)
            } finally {
                parent.cancel();
            }
            assertThat(server.failures()).isEmpty();
        }
    }

    /** A 302 from {@code from} to {@code location}, its body empty. */
    private static HttpResponse redirect(HttpRequest from, String location) {
        return new HttpResponse(from, "HTTP/1.1", 302, "Found", Headers.of("Location", location),
                new ResponseBody(InputStream.nullInputStream(), null), Headers::empty);
    }

    /**
     * R14 with R90: an IPv6 zone keeps its case, {@code %eth0} and {@code %ETH0} may be two interfaces, and the pool
     * dials them as two hosts; so a redirect from one to the other leaves the origin, and the credentials stay behind.
     * The address itself is compared ignoring case, as before. Go compares the two hosts exactly and drops them too.
     * Before: {@code sameOrigin} compared the whole host ignoring case, and the redirect to {@code %25ETH0} kept
     * {@code Authorization} and {@code Cookie}: "Authorization dropped" failed (true).
     */
    @Test
    void R90_aRedirectToAZoneOfOtherCaseDropsTheCredentialsAndOneToTheAddressInOtherCaseKeepsThem() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://[fe80::1%25eth0]:8080/a"))
                .basicAuth("alice", "secret").header("Cookie", "s=1").build();

        HttpRequest otherZone = HttpClient.redirectFor(req, redirect(req, "http://[fe80::1%25ETH0]:8080/b"));
        assertThat(otherZone).isNotNull();
        assertThat(otherZone.uri().getHost()).isEqualTo("[fe80::1%25ETH0]");
        assertThat(otherZone.headers().contains("Authorization")).as("Authorization dropped").isFalse();
        assertThat(otherZone.headers().contains("Cookie")).as("Cookie dropped").isFalse();

        HttpRequest sameZone = HttpClient.redirectFor(req, redirect(req, "http://[FE80::1%25eth0]:8080/c"));
        assertThat(sameZone).isNotNull();
        assertThat(sameZone.headers().contains("Authorization")).as("Authorization kept: the same address and zone")
                .isTrue();
        assertThat(sameZone.headers().contains("Cookie")).as("Cookie kept: the same address and zone").isTrue();
    }

    /** Answers its requests in order: the first {@code redirects} with a 302 to the next path, the others "ok". */
    private static RawServer chain(int redirects, AtomicInteger requests) throws IOException {
        return RawServer.start(c -> {
            while (c.readRequest() != null) {
                int k = requests.incrementAndGet(); // this is request k, 1-based
                if (k <= redirects) {
                    c.write("HTTP/1.1 302 Found\r\nLocation: /r" + k + "\r\nContent-Length: 0\r\n\r\n");
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    /**
     * R13: {@code maxRedirects(n)} counts redirects followed, as its javadoc and R13 now say: with the default 10, a
     * chain of exactly 10 redirects is followed (11 requests), and a chain of 11 fails at its 11th redirect with
     * "stopped after 10 redirects", 11 requests sent. Go's default policy stops at the redirect that answers its 10th
     * request ({@code len(via) >= 10}): {@code maxRedirects(9)} sends as many. A documentation fix: the count is as
     * before, so this test passes on the code before it too; it pins what the documents now promise (the builder
     * said it stopped "as Go's default policy does", one redirect earlier than it does).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R13_theLimitCountsRedirectsFollowedOneMoreThanGosDefaultPolicy() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        try (RawServer server = chain(10, requests); Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/").toString()))) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(requests.get()).as("requests for a chain of exactly 10 redirects, default limit").isEqualTo(11);
        }
        AtomicInteger more = new AtomicInteger();
        try (RawServer server = chain(11, more); Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).build();
            assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/").toString())).close())
                    .isInstanceOf(IOException.class).hasMessageContaining("stopped after 10 redirects");
            assertThat(more.get()).as("requests for a chain of 11 redirects, default limit").isEqualTo(11);
            Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "nothing in use after the refused redirect");
        }
        AtomicInteger asGo = new AtomicInteger();
        try (RawServer server = chain(10, asGo); Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).maxRedirects(9).build();
            assertThatThrownBy(() -> client.send(HttpRequest.get(server.uri("/").toString())).close())
                    .isInstanceOf(IOException.class).hasMessageContaining("stopped after 9 redirects");
            assertThat(asGo.get()).as("requests with maxRedirects(9), as many as Go's default policy sends").isEqualTo(10);
        }
    }
}
