package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule E158 (docs/spec/transport-lifecycle.md), with E26 and E40: every party that loses the race to end an exchange
 * reports only once the winner's close is complete. Here the body held in memory (it came whole with its head, so no
 * loop waits for it) whose exchange the watch of its request's end aborts (the context's cancel, the request's own
 * deadline) while the caller reads it: the read's failure, its end and {@code done()} must find the connection closed,
 * never still counted open and in use by nobody. Found by session 44's race audit: the read threw, and reported
 * {@code done()}, while the watch's close was still under way; an end-of-body read racing the abort (its completion the
 * loser) returned its bytes then too.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class AbortLoserWaitsTest {
    @RegisterExtension // closes the transports after each test, then finds no transport goroutine left
    final OpenedTransports transports = new OpenedTransports();

    /** A socket whose close, once armed, says so and waits to be released: a close under way, held. */
    static final class HeldCloseSocket extends HookedSocket {
        static final AtomicReference<CountDownLatch[]> GATE = new AtomicReference<>();

        @Override
        public void close() throws IOException {
            CountDownLatch[] g = GATE.getAndSet(null);
            if (g != null) {
                g[0].countDown();
                Lifecycle.awaitUninterruptibly(g[1]);
            }
            super.close();
        }
    }

    /** Records the transport's counters at each done(). */
    static final class StatsAtDone implements RequestListener {
        final AtomicReference<Transport> transport = new AtomicReference<>();
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void done(HttpRequest request, Throwable error) {
            Transport t = transport.get();
            if (t != null) {
                seen.add("done(" + error + ") with " + t.stats());
            }
        }
    }

    /** How the caller reads the body. */
    enum Read { STRING, ONE_BYTE, AVAILABLE_THEN_STRING }

    /** Who aborts the exchange while the body is in the caller's hands. */
    enum Aborter { CONTEXT_CANCEL, OWN_DEADLINE }

    @ParameterizedTest
    @EnumSource(Read.class)
    void E158_aBodyInMemorysReadAfterTheContextsAbortReportsOnlyOnceThatCloseIsComplete(Read read) throws Exception {
        readWhileTheAbortersCloseIsHeld(Aborter.CONTEXT_CANCEL, read);
    }

    @Test
    void E158_aBodyInMemorysReadAfterItsDeadlinesAbortReportsOnlyOnceThatCloseIsComplete() throws Exception {
        readWhileTheAbortersCloseIsHeld(Aborter.OWN_DEADLINE, Read.STRING);
    }

    /**
     * The aborter's socket close is held open; the caller then reads. The read must wait for that close (it parks), not
     * end: whatever it ends with, the counters it sees then, and those done() saw, show the connection closed.
     */
    private void readWhileTheAbortersCloseIsHeld(Aborter aborter, Read read) throws Exception {
        try (RawServer server = RawServer.answeringOk()) { // "ok" with Content-Length: held in memory
            StatsAtDone done = new StatsAtDone();
            Transport t = transports.open(Transport.builder().listener(done)
                    .dialer(HookedSocket.dialer(HeldCloseSocket::new)));
            done.transport.set(t);
            CountDownLatch closing = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CancellableContext ctx = Context.withCancel(Context.background());
            HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/x"));
            if (aborter == Aborter.OWN_DEADLINE) {
                request.timeout(Duration.ofMillis(200));
            }
            HttpResponse r = t.roundTrip(request.build(), ctx);
            HeldCloseSocket.GATE.set(new CountDownLatch[] {closing, release});
            if (aborter == Aborter.CONTEXT_CANCEL) {
                ctx.cancel();
            }
            try {
                assertThat(closing.await(Lifecycle.BOUND.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                        .as("the watch's abort began closing the connection").isTrue();
                Caller<List<Object>> reader = Caller.virtual("reader", () -> {
                    Object outcome;
                    try {
                        outcome = switch (read) {
                            case STRING -> r.body().string();
                            case ONE_BYTE -> r.body().stream().read();
                            case AVAILABLE_THEN_STRING -> r.body().stream().available() + "/" + r.body().string();
                        };
                    } catch (IOException e) {
                        outcome = e;
                    }
                    return List.of(outcome, t.stats());
                });
                // Until the reader ends (the defect: it ended during the close) or waits (for the close, as it must).
                Lifecycle.await(() -> switch (reader.thread.getState()) {
                    case WAITING, TIMED_WAITING, TERMINATED -> true;
                    default -> false;
                }, Lifecycle.BOUND, "the reader ends or waits");
                release.countDown();
                assertThat(reader.join(Lifecycle.BOUND)).as("the read ended once the close did").isTrue();
                List<Object> result = reader.value();
                assertThat(result.get(0)).as("what the read ended with").isInstanceOf(aborter == Aborter.CONTEXT_CANCEL
                        ? RequestCancelledException.class : HttpTimeoutException.class);
                assertThat(result.get(1).toString()).as("the counters when the read ended")
                        .contains("open=0", "inUse=0");
                assertThat(done.seen).hasSize(1).allMatch(s -> s.contains("open=0") && s.contains("inUse=0"));
            } finally {
                release.countDown();
                r.close();
                ctx.cancel();
            }
        }
    }

    /**
     * The end-of-body read racing the context's abort over a swept gap, every socket close taking a moment (as on a
     * loaded machine): whichever wins, when the read returns (all the bytes, or the cancellation) and when done() is
     * reported, the connection is back in the pool or closed, never in use by nobody. (Session 44's audit: ~0.6 % of
     * the reads ended with inUse=1 before the completion's loser waited.)
     */
    @Test
    void E158_E40_aBodyInMemorysEndRacingTheContextsAbortFindsItsConnectionPooledOrClosed() throws Exception {
        try (RawServer server = RawServer.answeringOk()) {
            StatsAtDone done = new StatsAtDone();
            Transport t = transports.open(Transport.builder().listener(done)
                    .dialer(HookedSocket.dialer(() -> new HookedSocket() {
                        @Override
                        public void close() throws IOException {
                            Lifecycle.spin(20_000);
                            super.close();
                        }
                    })));
            done.transport.set(t);
            List<String> violations = new ArrayList<>();
            for (int i = 0; i < 1_000 && violations.size() < 10; i++) {
                CancellableContext ctx = Context.withCancel(Context.background());
                HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/x").toString()), ctx);
                long cancelSpin = (i * 7_919L) % 60_000;
                Thread canceller = Thread.ofPlatform().daemon().start(() -> {
                    Lifecycle.spin(cancelSpin);
                    ctx.cancel();
                });
                Lifecycle.spin((i * 104_729L) % 60_000);
                Object outcome;
                try {
                    outcome = r.body().string();
                } catch (IOException e) {
                    outcome = e;
                }
                TransportStats s = t.stats();
                r.close();
                canceller.join();
                if (s.inUse() != 0 || s.open() != s.idle()) {
                    violations.add(i + ": the read ended (" + outcome + ") with " + s);
                }
                Lifecycle.await(() -> t.stats().inUse() == 0, Lifecycle.BOUND, "settled");
            }
            for (String d : done.seen) {
                if (!d.contains("inUse=0")) {
                    violations.add(d);
                }
            }
            assertThat(violations).isEmpty();
        }
    }
}
