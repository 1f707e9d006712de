package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * P54 (docs/spec/transport.md): {@code TransportStats.retries} counts a retry as it begins, with its {@code getConn}:
 * a GET whose reused connection the server closes as the request arrives is to be retried (E37), but before the retry
 * begins (its failed attempt's {@code wroteRequest} is still running on the write loop, which the caller waits for,
 * E33) the transport is closed, the request's context cancelled or its thread interrupted. The retry is refused
 * (E28, R29), the request fails with that, and nothing counts it as retried: {@code retries} stays 0, as many as the
 * {@code getConn} events beyond the request's first. A retry that does begin is counted once. Before, the count was
 * taken when the retry was decided, so a refused one counted as a retry that never happened.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetryCountProbeTest {
    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    enum Before {
        NOTHING, TRANSPORT_CLOSED, CONTEXT_CANCELLED, INTERRUPTED
    }

    @ParameterizedTest
    @EnumSource(Before.class)
    void P54_aRetryRefusedBeforeItBeginsIsNotCounted(Before how) throws Exception {
        AtomicInteger getConns = new AtomicInteger();
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicReference<Transport> transport = new AtomicReference<>();
        CancellableContext ctx = Context.withCancel(Context.background());
        List<String> listenerFailures = new CopyOnWriteArrayList<>();
        RequestListener listener = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                if (request.uri().getPath().equals("/stale")) {
                    getConns.incrementAndGet();
                }
            }

            @Override
            public void wroteRequest(HttpRequest request, Throwable error) {
                if (!request.uri().getPath().equals("/stale") || getConns.get() != 1) {
                    return;
                }
                // The first attempt's last loop event: its caller, whose attempt failed, waits for it to end (E33)
                // before the retry begins. That is the moment to end the request.
                if (!Lifecycle.within(() -> inAwaitEvents(caller.get()), Duration.ofSeconds(20))) {
                    listenerFailures.add("the caller never waited for this event");
                    return;
                }
                switch (how) {
                    case NOTHING -> { }
                    case TRANSPORT_CLOSED -> transport.get().close();
                    case CONTEXT_CANCELLED -> ctx.cancel();
                    case INTERRUPTED -> caller.get().interrupt();
                }
            }
        };
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequestHead()) != null; ) {
                     if (head.startsWith("GET /stale") && c.index == 0) {
                         return; // the reused connection: closed as the request arrives, no answer
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = Transport.builder().listener(listener).build()) {
            transport.set(t);
            try (HttpResponse warm = t.roundTrip(HttpRequest.get(server.uri("/warm").toString()))) {
                assertThat(warm.body().string()).isEqualTo("ok");
            }
            Caller<String> call = Caller.virtual("retried", () -> {
                caller.set(Thread.currentThread());
                try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/stale").toString()), ctx)) {
                    return r.body().string();
                }
            });
            boolean ended = call.join(Duration.ofSeconds(30));
            call.abandon(t::close);
            assertThat(ended).isTrue();
            assertThat(listenerFailures).isEmpty();
            if (how == Before.NOTHING) {
                assertThat(call.value()).isEqualTo("ok");
                assertThat(getConns).as("getConn events").hasValue(2);
                assertThat(t.stats().retries()).as("the one retry that began").isEqualTo(1);
            } else {
                assertThat(call.error()).isInstanceOfAny(RequestCancelledException.class, InterruptedException.class);
                assertThat(getConns).as("getConn events: the retry never began").hasValue(1);
                assertThat(t.stats().retries()).as("retries counted for a retry that never began").isZero();
            }
            ctx.cancel();
        }
    }

    private static boolean inAwaitEvents(Thread t) {
        return t != null && Lifecycle.inMethod(t, "RequestScope", "awaitEventsRunning");
    }
}
