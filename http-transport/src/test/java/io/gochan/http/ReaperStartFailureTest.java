package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E120 (docs/spec/transport-lifecycle.md): the idle reaper's goroutine failing to start (its thread refused: an
 * {@code OutOfMemoryError}; made here with {@code io.gochan.Go.startFault}, reached by reflection as
 * {@code LoopStartFailureTest} does) is the pool's own failure, never that of the request whose connection became
 * idle, nor of the request that takes that connection next. Found by hunter h-hunt2-30 (its third suspicion).
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReaperStartFailureTest {
    private static final String REAPER = "http-idle-reaper";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    private static Field startFault() throws Exception {
        Field fault = Class.forName("io.gochan.Go").getDeclaredField("startFault");
        fault.setAccessible(true);
        return fault;
    }

    /** Answers "/chunked" with a chunked (streamed) body, anything else with a 2-byte body held in memory. */
    private static RawServer server() throws Exception {
        return RawServer.start(c -> {
            for (String head; (head = c.readRequest()) != null; ) {
                if (head.startsWith("GET /chunked")) {
                    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
                } else {
                    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        });
    }

    /** Records every done() as its error (or the string "ok"). */
    private static final class Recorder implements RequestListener {
        final List<Object> dones = new CopyOnWriteArrayList<>();
        final CountDownLatch reusedTaken = new CountDownLatch(1);

        @Override
        public void gotConn(HttpRequest request, boolean reused) {
            if (reused && request.uri().getPath().equals("/next")) {
                reusedTaken.countDown();
            }
        }

        @Override
        public void done(HttpRequest request, Throwable error) {
            dones.add(error == null ? "ok" : error);
        }
    }

    /**
     * A body held in memory puts its connection back on its reader's thread: the reaper's refusal there was thrown out
     * of that read in the body's place, and the request's done() was never reported (E22). Now the read returns the
     * body, done() is reported once, and the idle connection the reaper cannot watch is closed (as E85's reaper that
     * ends abnormally closes those it watched), so none stays open unwatched past its idle timeout.
     */
    @Test
    void E120_aReaperThatCannotStartFailsNotTheRequestWhoseBodyEndPutTheConnectionBack() throws Exception {
        Field fault = startFault();
        IllegalStateException refused = new IllegalStateException("the idle reaper's thread refused (test)");
        AtomicBoolean armed = new AtomicBoolean(true);
        Consumer<String> refuseReaperOnce = name -> {
            if (name.equals(REAPER) && armed.compareAndSet(true, false)) {
                throw refused;
            }
        };
        Recorder listener = new Recorder();
        try (RawServer server = server(); Transport t = Transport.builder().idleConnTimeout(Duration.ofSeconds(30))
                .listener(listener).build()) {
            HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/small").toString()));
            Object read;
            fault.set(null, refuseReaperOnce);
            try {
                read = Leaks.outcomeWithin10s("the body's read", () -> r.body().string());
            } finally {
                fault.set(null, null);
                r.close();
            }
            assertThat(armed.get()).as("the reaper's start was refused").isFalse();
            assertThat(read).as("the body, not the reaper's refusal").isEqualTo("ok");
            assertThat(listener.dones).as("its one done()").containsExactly("ok");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the idle connection nobody watches is closed: " + t.stats());
            try (HttpResponse next = t.roundTrip(HttpRequest.get(server.uri("/again").toString()))) {
                assertThat(next.body().string()).isEqualTo("ok");
            }
        }
    }

    /**
     * A streamed body's end puts its connection back on the read loop; a request takes it from the idle list at once,
     * and only then is the reaper's start refused. Before, the refusal ended that read loop, which closed the connection
     * under the request that had taken it: it failed, or was sent again on a new connection. Now that request is served
     * on the connection it took, and no other is dialed.
     */
    @Test
    void E120_aReaperThatCannotStartClosesNoConnectionAnotherRequestTook() throws Exception {
        Field fault = startFault();
        IllegalStateException refused = new IllegalStateException("the idle reaper's thread refused (test)");
        AtomicBoolean armed = new AtomicBoolean(true);
        Recorder listener = new Recorder();
        try (RawServer server = server(); Transport t = Transport.builder().idleConnTimeout(Duration.ofSeconds(30))
                .listener(listener).build()) {
            CompletableFuture<Object> next = new CompletableFuture<>();
            Consumer<String> refuseReaperOnceTaken = name -> {
                if (name.equals(REAPER) && armed.compareAndSet(true, false)) {
                    // The connection is on the idle list (the reaper starts after that): another request takes it first.
                    Thread.ofVirtual().start(() -> {
                        try (HttpResponse n = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                            next.complete(n.body().string());
                        } catch (Throwable e) {
                            next.complete(e);
                        }
                    });
                    try {
                        assertThat(listener.reusedTaken.await(10, TimeUnit.SECONDS)).as("the next request took it").isTrue();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw refused;
                }
            };
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/chunked").toString()))) {
                fault.set(null, refuseReaperOnceTaken);
                try {
                    assertThat(r.body().string()).isEqualTo("ok");
                    assertThat(next.get(10, TimeUnit.SECONDS)).as("the request that took the connection").isEqualTo("ok");
                } finally {
                    fault.set(null, null);
                }
            }
            assertThat(armed.get()).as("the reaper's start was refused").isFalse();
            assertThat(t.stats().dialed()).as("no other connection dialed: " + t.stats()).isEqualTo(1);
            assertThat(listener.dones).containsExactly("ok", "ok");
        }
    }
}
