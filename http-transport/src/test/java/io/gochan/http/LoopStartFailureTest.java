package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * E96 (docs/spec/transport-lifecycle.md): a connection whose read loop cannot start (its thread refused: an
 * {@code OutOfMemoryError}) is closed, so the write loop already started ends with it. Found by reviewer rv-races27
 * (its fourth finding). The refusal is made with {@code io.gochan.Go.startFault}, the channels module's
 * package-private hook that every goroutine start consults (ADR 0003), reached by reflection: the tests run on the
 * class path, where nothing is encapsulated, so no {@code --add-opens} is needed.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class LoopStartFailureTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** The transport goroutines of connections to {@code port}. */
    private static List<Goroutine> loopsTo(int port) {
        return Leaks.transportGoroutines().stream().filter(g -> g.name().endsWith(":" + port)).toList();
    }

    /** {@code t} and its causes, outermost first. */
    private static List<Throwable> chain(Object t) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable e = t instanceof Throwable th ? th : null; e != null && !chain.contains(e); e = e.getCause()) {
            chain.add(e);
        }
        return chain;
    }

    /**
     * The write loop starts, then the read loop's start is refused: the dial fails with that refusal (E77), and the
     * connection is closed at once, so its write loop ends (and its flight-recorder "closed" event follows its
     * "opened"). Before: only its TCP socket was closed; the connection was never closed, its write loop waited on it
     * for good (past {@code Transport.close()}), and "the write loop of the connection that could not start" timed out
     * naming an {@code http-write-loop#...} goroutine. The transport then serves the next request.
     */
    @Test
    void E96_aConnectionWhoseReadLoopCannotStartIsClosedAndItsWriteLoopEnds() throws Exception {
        Field fault = Class.forName("io.gochan.Go").getDeclaredField("startFault");
        fault.setAccessible(true);
        IllegalStateException refused = new IllegalStateException("the read loop's thread refused (test)");
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().build()) {
            String ofThisServer = ":" + server.port();
            Consumer<String> refuseReadLoops = name -> {
                if (name.startsWith("http-read-loop") && name.endsWith(ofThisServer)) {
                    throw refused;
                }
            };
            Object outcome;
            fault.set(null, refuseReadLoops);
            try {
                outcome = Leaks.outcomeWithin10s("the request",
                        () -> t.roundTrip(HttpRequest.get(server.uri("/").toString())));
            } finally {
                fault.set(null, null);
            }
            assertThat(chain(outcome)).as("the request failed with the refusal (%s)", outcome).contains(refused);
            Leaks.awaitTrue(() -> loopsTo(server.port()).isEmpty(),
                    "the write loop of the connection that could not start ended: " + loopsTo(server.port()));
            assertThat(t.stats().open()).as("nothing open: " + t.stats()).isZero();
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
        }
    }
}
