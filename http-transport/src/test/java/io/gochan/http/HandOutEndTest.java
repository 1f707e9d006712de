package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E90: a request that ends (its context cancelled, its deadline passed, its thread interrupted) as the pool hands it
 * a connection sends nothing and gives the connection back. The moment is held by the {@code gotConn} listener, which
 * runs on the caller's thread after the pool handed the connection over and before the request is sent; the request
 * ends there. Reviewer transport26's finding 2.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class HandOutEndTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A keep-alive server that answers every request with {@code 200 ok} and records each request line. */
    private static RawServer recording(List<String> lines) throws java.io.IOException {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                lines.add(head.split("\r\n", 2)[0]);
                c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
    }

    /**
     * The idle hand-out has no wait, so nothing there looks at the request's end: the request whose context the
     * {@code gotConn} listener cancels was written anyway, and its cancellation, seen by the first select of
     * {@code awaitResponse}, closed the healthy pooled connection. Before: "the idle connection given back" failed (0),
     * or, when the write's report and the 200 won the selects, the cancelled request returned "ok" and the server saw
     * {@code GET /cancelled}. Go's {@code getConn} gives such a connection back ({@code wantConn.cancel}). The refused
     * request used nothing of the connection, so it counts no reuse: before, it was counted as it was handed over, and
     * "reuses counted for the refused request" failed (1), "the one reuse" too (2).
     */
    @Test
    void E90_aRequestWhoseContextEndsAsItIsHandedAnIdleConnectionSendsNothingAndGivesItBack() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        List<Boolean> cancelledToldReused = new CopyOnWriteArrayList<>();
        CancellableContext ctx = Context.withCancel(Context.background());
        try (RawServer server = recording(lines);
             Transport t = Transport.builder().listener(new RequestListener() {
                 @Override
                 public void gotConn(HttpRequest request, boolean reused) {
                     if (request.uri().getPath().equals("/cancelled")) {
                         cancelledToldReused.add(reused);
                         ctx.cancel(); // the request's context ends exactly as the pool hands it its connection
                     }
                 }
             }).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/first")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().idle()).isEqualTo(1);
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.newBuilder(server.uri("/cancelled")).build(), ctx))
                    .isInstanceOf(RequestCancelledException.class)
                    .hasMessageContaining("while waiting for a connection to");
            assertThat(t.stats().idle()).as("the idle connection given back").isEqualTo(1);
            // Told of the idle connection as the pool handed it over, as Go's GotConn is (its Reused true), but the
            // request sent nothing on it: no reuse is counted for it.
            assertThat(cancelledToldReused).as("gotConn's reused for the refused request").containsExactly(true);
            assertThat(t.stats().reused()).as("reuses counted for the refused request").isZero();
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/after")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().reused()).as("the request sent on it is the one reuse").isEqualTo(1);
            assertThat(server.accepted()).as("one connection served both requests that were sent").isEqualTo(1);
            assertThat(lines).containsExactly("GET /first HTTP/1.1", "GET /after HTTP/1.1");
        }
    }

    /**
     * The same for a connection dialed for the request, and for each way a request ends: its context cancelled, its
     * thread interrupted, its own deadline passed, each in {@code gotConn}. The request fails as the top of its
     * attempt would have failed it a moment earlier (the same exception, the same words), nothing of it is written,
     * and the new connection is pooled, not closed: the next request reuses it. Before: the request was written (or
     * aborted as it was), its end closed the new connection ("the new connection pooled" failed: 0), and the
     * interrupt and the deadline said "awaiting the response".
     */
    @ParameterizedTest
    @ValueSource(strings = {"cancel", "interrupt", "deadline"})
    void E90_aRequestThatEndsAsItIsHandedANewConnectionSendsNothingAndTheConnectionIsPooled(String end) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        CancellableContext ctx = Context.withCancel(Context.background());
        Duration timeout = Duration.ofSeconds(1);
        try (RawServer server = recording(lines);
             Transport t = Transport.builder().listener(new RequestListener() {
                 @Override
                 public void gotConn(HttpRequest request, boolean reused) {
                     if (!request.uri().getPath().equals("/ended")) {
                         return;
                     }
                     switch (end) {
                         case "cancel" -> ctx.cancel();
                         case "interrupt" -> Thread.currentThread().interrupt(); // gotConn runs on the caller's thread
                         default -> {
                             // The request's deadline began before this callback: waiting its whole timeout from here
                             // passes it (a wait for the clock, not an ordering of threads).
                             long until = System.nanoTime() + timeout.toNanos();
                             for (long left; (left = until - System.nanoTime()) > 0; ) {
                                 LockSupport.parkNanos(left);
                             }
                         }
                     }
                 }
             }).build()) {
            HttpRequest ended = HttpRequest.newBuilder(server.uri("/ended")).timeout(timeout).build();
            Class<? extends Exception> expected = switch (end) {
                case "cancel" -> RequestCancelledException.class;
                case "interrupt" -> InterruptedException.class;
                default -> HttpTimeoutException.class;
            };
            String words = end.equals("interrupt")
                    ? "interrupted while starting the request; the thread was interrupted before anything was sent"
                    : "while waiting for a connection to";
            try {
                assertThatThrownBy(() -> t.roundTrip(ended, ctx)).isInstanceOf(expected).hasMessageContaining(words);
            } finally {
                // The thrown InterruptedException cleared it; before, the interrupt could stay set (E39's path).
                assertThat(Thread.interrupted()).as("the caller's interrupt status").isFalse();
            }
            assertThat(t.stats().dialed()).isEqualTo(1);
            assertThat(t.stats().idle()).as("the new connection pooled, not closed").isEqualTo(1);
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/after")).build())) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().reused()).as("the next request reused it").isEqualTo(1);
            assertThat(server.accepted()).as("one connection in all").isEqualTo(1);
            assertThat(lines).as("what the server received").containsExactly("GET /after HTTP/1.1");
        }
    }

    /**
     * E127 (E8): a connection that waited in the pool without ever serving a request (dialed for a request that ended
     * as it was handed it, E90) is a reused one to the next request that takes it: when the server's idle timeout
     * answers that request with its {@code 408} and closes (its timer fired as the request arrived), a replayable
     * request is retried on a new connection and succeeds, as on a connection that had served one. Before, the read
     * loop counted as reused only a connection that had served a response, while the transport counted the one taken
     * from the pool: the 408 was the GET's answer, for a connection another request had left.
     */
    @Test
    void E127_a408OnAnIdleConnectionThatNeverServedARequestRetriesAReplayableRequest() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        CancellableContext ctx = Context.withCancel(Context.background());
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     lines.add(c.index + " " + head.split("\r\n", 2)[0]);
                     if (c.index == 0) {
                         // The idle connection's timer fired as the request came: the 408 answers nothing sent.
                         c.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                         return;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().listener(new RequestListener() {
                 @Override
                 public void gotConn(HttpRequest request, boolean reused) {
                     if (request.uri().getPath().equals("/ended")) {
                         ctx.cancel(); // E90: the new connection goes to the pool, never used
                     }
                 }
             }).build()) {
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.newBuilder(server.uri("/ended")).build(), ctx))
                    .isInstanceOf(RequestCancelledException.class);
            assertThat(t.stats().idle()).as("the unused connection pooled").isEqualTo(1);
            try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/get")).build())) {
                assertThat(r.status()).as("the GET's answer").isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(t.stats().retries()).as("retried once").isEqualTo(1);
            assertThat(lines).containsExactly("0 GET /get HTTP/1.1", "1 GET /get HTTP/1.1");
        }
    }
}
