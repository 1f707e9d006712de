package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a send ends with when its {@link RedirectCheck} fails or stops it (R136), and which redirects the check is never
 * asked about (R137), held against Go 1.19.8's {@code Client.do} on the same scripts: where this client differs, the
 * rule says so and why. Every outcome leaves the redirect's connection back in the pool or closed, never in use.
 */
@NoGoroutineLeaks
@Timeout(60)
class RedirectCheckOutcomeTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Answers {@code /a} with a 302 to {@code location} ({@code PORT}: its own port) and the body {@code body},
     * anything else with 200 {@code ok}; records each request's connection and target.
     */
    private static RawServer redirecting(String location, String body, List<String> seen) throws IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                String target = head.split(" ")[1];
                seen.add(c.index + " " + target);
                c.write(target.equals("/a")
                        ? "HTTP/1.1 302 Found\r\nLocation: " + location.replace("PORT", String.valueOf(c.socket.getLocalPort()))
                                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                        : RawServer.OK);
            }
        });
    }

    static Stream<Supplier<Throwable>> failures() {
        return Stream.of(() -> new IOException("no redirects please"), () -> new IllegalStateException("policy"),
                () -> new AssertionError("policy"));
    }

    /**
     * R136: the check's exception, of any type, is the send's, the very instance (Go wraps it in a {@code url.Error}
     * naming the Location); the redirect was drained and closed first, so its connection is idle and serves the next
     * send (Go 1.19.8: one connection too).
     */
    @ParameterizedTest
    @MethodSource("failures")
    void R136_theChecksOwnExceptionFailsTheSendAsThrownAndTheConnectionIsPooled(Supplier<Throwable> failure) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        Throwable thrown = failure.get();
        try (RawServer server = redirecting("/end", "moved", seen);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> {
                assertThat(next.uri().getPath()).isEqualTo("/end"); // the Location it refuses is the request it is shown
                throw sneaky(thrown);
            }).build();
            assertThat(catchThrowable(() -> client.send(HttpRequest.get(server.uri("/a").toString())))).isSameAs(thrown);
            assertThat(t.stats().inUse()).isZero();
            assertThat(t.stats().idle()).isEqualTo(1);
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly("0 /a", "0 /next");
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /** R136: a refused redirect whose body declares more than 2 KiB is closed unread, its connection with it. */
    @Test
    void R136_aRefusedRedirectDeclaringALargeBodyClosesItsConnection() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        IOException refusal = new IOException("no");
        try (RawServer server = redirecting("/end", "x".repeat(5000), seen);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> {
                throw refusal;
            }).build();
            assertThat(catchThrowable(() -> client.send(HttpRequest.get(server.uri("/a").toString())))).isSameAs(refusal);
            assertThat(t.stats().open()).isZero();
            assertThat(seen).containsExactly("0 /a");
        }
    }

    /**
     * R136: a check that interrupts the sending thread and follows: the next hop is not sent (the send ends with
     * {@link InterruptedException}), and the redirect's connection is not left in use.
     */
    @Test
    void R136_anInterruptTheCheckSetsEndsTheSendBeforeTheNextHop() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = redirecting("/end", "moved", seen);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> {
                Thread.currentThread().interrupt();
                return true;
            }).build();
            Throwable thrown = catchThrowable(() -> client.send(HttpRequest.get(server.uri("/a").toString())));
            Thread.interrupted(); // whatever the send left, the test's thread goes on clear
            assertThat(thrown).isInstanceOf(InterruptedException.class);
            assertThat(t.stats().inUse()).isZero();
            assertThat(seen).containsExactly("0 /a");
        }
    }

    /**
     * R136: a check that returns false hands the redirect over, its body unread (Go's {@code ErrUseLastResponse});
     * read and closed, its connection goes back to the pool.
     */
    @Test
    void R136_aCheckThatStopsHandsOverTheRedirectUnread() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RawServer server = redirecting("/end", "moved", seen);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> false).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.status()).isEqualTo(302);
                assertThat(r.body().string()).isEqualTo("moved");
            }
            assertThat(t.stats().inUse()).isZero();
            assertThat(t.stats().idle()).isEqualTo(1);
            assertThat(seen).containsExactly("0 /a");
        }
    }

    /**
     * R137: a {@code Location} the client cannot send (a scheme other than http and https, no host) fails the send
     * with {@code BAD_LOCATION} before the check is asked, the redirect drained and its connection reused. Go 1.19.8
     * asks its {@code CheckRedirect} first (one returning {@code ErrUseLastResponse} gets the 302) and fails only at
     * the send ("unsupported protocol scheme", "no Host in request URL").
     */
    @ParameterizedTest
    @ValueSource(strings = {"ftp://127.0.0.1:PORT/x", "mailto:a@b.c", "myapp://cb?code=1", "http:///y", "http:/y"})
    void R137_aLocationTheClientCannotSendIsRefusedBeforeTheCheck(String location) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicInteger asked = new AtomicInteger();
        try (RawServer server = redirecting(location, "moved", seen);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> {
                asked.incrementAndGet();
                return false;
            }).build();
            Throwable thrown = catchThrowable(() -> client.send(HttpRequest.get(server.uri("/a").toString())));
            assertThat(thrown).isInstanceOf(HttpProtocolException.class)
                    .satisfies(e -> assertThat(((HttpProtocolException) e).reason()).isEqualTo(HttpProtocolException.Reason.BAD_LOCATION))
                    .hasMessageContaining("302");
            assertThat(asked).hasValue(0);
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(seen).containsExactly("0 /a", "0 /next");
        }
    }

    /**
     * R137: the next request has no fragment ({@link HttpRequest} drops it), so the check and the final response's
     * request never show the {@code Location}'s; neither client sends it (Go 1.19.8 keeps it in {@code Request.URL}).
     */
    @Test
    void R137_theNextRequestHasNoFragment() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        List<String> shown = new CopyOnWriteArrayList<>();
        try (RawServer server = redirecting("/end?x=1#frag", "moved", seen);
             Transport t = Transport.builder().build()) {
            HttpClient client = HttpClient.builder(t).checkRedirect((next, via) -> shown.add(next.uri().toString())).build();
            try (HttpResponse r = client.send(HttpRequest.get(server.uri("/a").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
                assertThat(r.request().uri().toString()).isEqualTo(server.uri("/end?x=1").toString());
            }
            assertThat(shown).containsExactly(server.uri("/end?x=1").toString());
            assertThat(seen).containsExactly("0 /a", "0 /end?x=1");
        }
    }
}
