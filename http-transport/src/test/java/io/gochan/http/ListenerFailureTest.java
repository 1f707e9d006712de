package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.gochan.http.testing.JdkServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E20: a {@link RequestListener} callback that throws never costs more than its own request. A
 * {@link RuntimeException} is logged and ignored; an {@link Error} (a test's failed assertion, most often)
 * is not swallowed: thrown on the caller's thread it reaches the caller, thrown on a connection's read loop it
 * ends that connection (reported as the loop's failure) and the request fails with it as the cause or has
 * already got what it needed, thrown on its write loop it is the request's own failure (E48). Either way nothing hangs, the body stream is closed, no loop or connection is
 * left, and the next request on the same transport works.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class ListenerFailureTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** A listener whose {@code callback} throws {@code failure} the first time it runs. */
    private static RequestListener throwingIn(String callback, RuntimeException runtime, Error error) {
        AtomicBoolean thrown = new AtomicBoolean();
        return new RequestListener() {
            private void maybeThrow(String name) {
                if (name.equals(callback) && thrown.compareAndSet(false, true)) {
                    if (error != null) {
                        throw error;
                    }
                    throw runtime;
                }
            }

            @Override
            public void getConn(HttpRequest request, String hostPort) {
                maybeThrow("getConn");
            }

            @Override
            public void gotConn(HttpRequest request, boolean reused) {
                maybeThrow("gotConn");
            }

            @Override
            public void wroteHeaders(HttpRequest request) {
                maybeThrow("wroteHeaders");
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable err) {
                maybeThrow("wroteRequest");
            }

            @Override
            public void gotFirstResponseByte(HttpRequest request) {
                maybeThrow("gotFirstResponseByte");
            }

            @Override
            public void done(HttpRequest request, Throwable err) {
                maybeThrow("done");
            }
        };
    }


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"getConn", "gotConn", "wroteHeaders", "wroteRequest", "gotFirstResponseByte", "done"})
    void E20_anErrorThrownByAListenerReleasesTheRequestAndLeavesTheTransportUsable(String callback) throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 JdkServer.body(ex);
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().listener(throwingIn(callback, null, new AssertionError("listener says no"))).build()) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                TrackedStream body = new TrackedStream("abc".getBytes());
                HttpRequest post = HttpRequest.newBuilder(server.uri("/p"))
                        .POST(RequestBody.ofStreamOnce(body, 3, "text/plain")).build();
                Throwable failure = null;
                try (HttpResponse r = t.roundTrip(post)) {
                    r.body().string();
                } catch (Throwable e) {
                    failure = e;
                }
                if (failure != null) {
                    // The listener's Error is what the caller sees (itself, or as the cause of the failure).
                    Throwable root = failure;
                    while (!(root instanceof AssertionError) && root.getCause() != null) {
                        root = root.getCause();
                    }
                    assertThat(root).isInstanceOf(AssertionError.class).hasMessage("listener says no");
                }
                assertThat(body.closed).as("the request body stream is closed").isTrue();
                try (HttpResponse again = t.roundTrip(HttpRequest.get(server.uri("/again").toString()))) {
                    assertThat(again.body().string()).isEqualTo("ok");
                }
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"getConn", "gotConn", "wroteHeaders", "wroteRequest", "gotFirstResponseByte", "done"})
    void E20_aRuntimeExceptionThrownByAListenerIsIgnored(String callback) throws Exception {
        try (JdkServer server = JdkServer.http(ex -> {
                 JdkServer.body(ex);
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().listener(throwingIn(callback, new IllegalStateException("listener bug"), null)).build()) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                TrackedStream body = new TrackedStream("abc".getBytes());
                HttpRequest post = HttpRequest.newBuilder(server.uri("/p"))
                        .POST(RequestBody.ofStreamOnce(body, 3, "text/plain")).build();
                try (HttpResponse r = t.roundTrip(post)) {
                    assertThat(r.body().string()).isEqualTo("ok");
                }
                assertThat(body.closed).isTrue();
            });
        }
    }

    /**
     * E83: the log line of a listener's ignored {@link RuntimeException} names the request it was for (and, from a
     * connection's loop, the connection), with the exception itself: a user with many requests in flight can tell
     * which one. Captured through {@code java.util.logging}, System.Logger's default backend.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"getConn", "gotConn", "wroteHeaders", "wroteRequest", "gotFirstResponseByte", "done"})
    void E83_aListenersIgnoredRuntimeExceptionIsLoggedOnceNamingItsRequest(String callback) throws Exception {
        Logger gochanHttp = Logger.getLogger("io.gochan.http"); // held: JUL keeps its loggers weakly
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        capture.setLevel(Level.ALL);
        gochanHttp.addHandler(capture);
        IllegalStateException bug = new IllegalStateException("listener bug");
        try (JdkServer server = JdkServer.http(ex -> {
                 JdkServer.body(ex);
                 JdkServer.respond(ex, 200, "ok");
             });
             Transport t = Transport.builder().listener(throwingIn(callback, bug, null)).build()) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                HttpRequest post = HttpRequest.newBuilder(server.uri("/p"))
                        .POST(RequestBody.of("abc")).build();
                try (HttpResponse r = t.roundTrip(post)) {
                    if (callback.startsWith("wrote")) {
                        // A write loop's event may come after the answer reached the caller (E91), and not at all once
                        // the body's end reported done() (E27): awaited before the body is read.
                        Leaks.awaitTrue(() -> records.stream().anyMatch(rec -> rec.getThrown() == bug), callback + "'s log");
                    }
                    assertThat(r.body().string()).isEqualTo("ok");
                }
            });
            // Logged before the event returns, and done() is reported before the body's end returns (E22).
            assertThat(records).filteredOn(r -> r.getThrown() == bug).singleElement().satisfies(r -> {
                assertThat(r.getLevel()).isEqualTo(Level.WARNING);
                assertThat(r.getMessage()).contains("POST " + server.uri("/p"));
            });
        } finally {
            gochanHttp.removeHandler(capture);
        }
    }
}
