package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * E68 (docs/spec/transport-lifecycle.md): a {@link RequestListener} callback may call back into its transport, on
 * whichever thread it runs (the caller's, a connection's read or write loop): {@code stats()},
 * {@code closeIdleConnections()} or {@code close()} from each callback of a request on a reused connection returns,
 * the request ends with one outcome (its answer, or, after {@code close()}, a {@code TRANSPORT_CLOSED}
 * cancellation), reports exactly one {@code done()}, and the next request is served or refused as the transport's
 * state says; nothing is left running. Go's trace hooks may call {@code CloseIdleConnections} the same way.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerReentryProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    @ParameterizedTest(name = "{0} calls {1}")
    @CsvSource({"getConn,stats", "gotConn,stats", "wroteHeaders,stats", "wroteRequest,stats", "gotFirstResponseByte,stats",
            "done,stats", "getConn,closeIdle", "gotConn,closeIdle", "wroteHeaders,closeIdle", "wroteRequest,closeIdle",
            "gotFirstResponseByte,closeIdle", "done,closeIdle", "gotConn,close", "wroteHeaders,close", "wroteRequest,close",
            "gotFirstResponseByte,close", "done,close"})
    void E68_aListenerThatCallsBackIntoItsTransportNeitherHangsNorBreaksIt(String callback, String call) throws Exception {
        AtomicReference<Transport> transport = new AtomicReference<>();
        List<String> called = new CopyOnWriteArrayList<>();
        Dones dones = new Dones();
        RequestListener listener = new RequestListener() {
            private void maybeCall(String name, HttpRequest request) {
                if (!name.equals(callback) || !request.uri().getPath().equals("/2")) {
                    return;
                }
                Transport t = transport.get();
                switch (call) {
                    case "stats" -> t.stats();
                    case "closeIdle" -> t.closeIdleConnections();
                    default -> t.close();
                }
                called.add(name);
            }

            @Override
            public void getConn(HttpRequest request, String hostPort) {
                maybeCall("getConn", request);
            }

            @Override
            public void gotConn(HttpRequest request, boolean reused) {
                maybeCall("gotConn", request);
            }

            @Override
            public void wroteHeaders(HttpRequest request) {
                maybeCall("wroteHeaders", request);
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable error) {
                maybeCall("wroteRequest", request);
            }

            @Override
            public void gotFirstResponseByte(HttpRequest request) {
                maybeCall("gotFirstResponseByte", request);
            }

            @Override
            public void done(HttpRequest request, Throwable error) {
                dones.done(request, error);
                maybeCall("done", request);
            }
        };
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().listener(listener).build()) {
            transport.set(t);
            boolean closes = call.equals("close");
            for (String path : List.of("/1", "/2", "/3")) {
                HttpRequest request = HttpRequest.get(server.uri(path).toString());
                AtomicReference<Object> outcome = new AtomicReference<>();
                Thread caller = Thread.ofVirtual().name("E68-caller").start(() -> {
                    try (HttpResponse r = t.roundTrip(request)) {
                        if (path.equals("/2") && (callback.equals("wroteHeaders") || callback.equals("wroteRequest"))) {
                            // A write loop's event may come after the answer reached the caller (E91), and not at all
                            // once the body's end reported done() (E27): awaited before the body is read.
                            Leaks.awaitTrue(() -> called.contains(callback), callback + " of " + path);
                        }
                        outcome.set(r.body().string());
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                });
                assertThat(caller.join(Duration.ofSeconds(20))).as("%s ended", path).isTrue();
                if (closes && path.equals("/3")) {
                    assertCancelledByClose(outcome.get());
                } else if (closes && path.equals("/2") && !callback.equals("done") && !"ok".equals(outcome.get())) {
                    // Closed under its own exchange: cancelled, unless its answer was read first (the close ran on a
                    // loop while the caller read on).
                    assertCancelledByClose(outcome.get());
                } else {
                    assertThat(outcome.get()).as(path).isEqualTo("ok");
                }
                assertThat(dones.done.get(request)).as("the done() of %s", path).hasSize(1);
            }
            assertThat(called).containsExactly(callback);
            if (closes) {
                TransportStats s = t.stats();
                assertThat(s.open() + s.dialing() + s.waiting()).isZero();
            }
        }
    }

    private static void assertCancelledByClose(Object outcome) {
        assertThat(outcome).isInstanceOfSatisfying(RequestCancelledException.class,
                e -> assertThat(e.reason()).isEqualTo(RequestCancelledException.Reason.TRANSPORT_CLOSED));
    }
}
