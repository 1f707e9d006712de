package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.Lifecycle.Caller;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules E34 and E35 (docs/spec/transport-lifecycle.md): {@link Transport#closeIdleConnections()} returns only
 * once the connections it is about have closed, also those the idle reaper was closing at that moment; and
 * {@link TransportStats#reused()} counts what the flight recorder's "reused" event describes, never a pooled
 * connection that turned out closed.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class IdleCloseOrderTest {

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /** Makes {@code n} connections idle: {@code n} requests at once, each holding its response until all have one. */
    private static void fillWithIdleConnections(Transport t, java.net.URI uri, int n) throws Exception {
        CyclicBarrier allHaveOne = new CyclicBarrier(n);
        List<Caller<String>> callers = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            callers.add(Caller.virtual("get-" + k, () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.get(uri.toString()))) {
                    allHaveOne.await(20, TimeUnit.SECONDS);
                    return r.body().string();
                }
            }));
        }
        for (Caller<String> c : callers) {
            assertThat(c.join(Lifecycle.BOUND)).isTrue();
            assertThat(c.error()).isNull();
        }
    }

    /**
     * E34: sixteen connections are idle and the idle reaper has just taken them all off the idle list to close
     * them (the test calls as soon as {@code idle} reads zero) when {@code closeIdleConnections()} is called:
     * when it returns, every socket the transport dialed is closed and nothing is counted open. Before the fix
     * it closed only what was still on the idle list (nothing) and returned while the reaper was still
     * closing sockets.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E34_closeIdleConnectionsReturnsOnlyOnceConnectionsTheReaperTookAreClosed() throws Exception {
        int idle = 16;
        int iterations = 20;
        List<String> failures = new ArrayList<>();
        try (RawServer server = RawServer.answeringOk()) {
            for (int i = 0; i < iterations; i++) {
                List<Socket> made = new CopyOnWriteArrayList<>();
                Transport t = Transport.builder().maxIdleConnsPerHost(idle).idleConnTimeout(Duration.ofMillis(50))
                        .dialer((host, port, timeout) -> {
                            Socket s = new Socket();
                            made.add(s);
                            s.connect(new InetSocketAddress(host, port));
                            return s;
                        }).build();
                try {
                    fillWithIdleConnections(t, server.uri("/"), idle);
                    Leaks.awaitTrue(() -> t.stats().idle() == 0, "the reaper took the idle connections");
                    t.closeIdleConnections();
                    long open = made.stream().filter(s -> !s.isClosed()).count();
                    TransportStats s = t.stats();
                    if (open != 0 || s.open() != 0) {
                        failures.add(i + ": after closeIdleConnections(): sockets open " + open + ", " + s);
                    }
                } finally {
                    t.close();
                }
            }
        }
        assertThat(failures).as("%d of %d calls", failures.size(), iterations).isEmpty();
    }

    /**
     * E34: closing idle connections while nothing else closes them: when the call returns, each of their
     * sockets is closed and none is counted (what held before; pinned with the reaper variant).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E34_closeIdleConnectionsReturnsWithEveryIdleSocketClosed() throws Exception {
        List<Socket> made = new CopyOnWriteArrayList<>();
        try (RawServer server = RawServer.answeringOk();
             Transport t = Transport.builder().maxIdleConnsPerHost(8).dialer((host, port, timeout) -> {
                 Socket s = new Socket();
                 made.add(s);
                 s.connect(new InetSocketAddress(host, port));
                 return s;
             }).build()) {
            fillWithIdleConnections(t, server.uri("/"), 8);
            assertThat(t.stats().idle()).isEqualTo(8);
            t.closeIdleConnections();
            assertThat(made).hasSize(8).allMatch(Socket::isClosed);
            assertThat(t.stats().open()).isZero();
        }
    }

    /**
     * E35: the server closes each connection a random few microseconds after answering, as the next request
     * (sequential, or waiting for the one connection a host may have) takes it from the pool: {@code reused}
     * equals the number of flight-recorder "reused" events, each of which describes a request handed to an
     * open connection. Before the fix a connection taken from the pool that had closed before the request was
     * handed to it was counted as reused (its "reused" event was skipped) and the request went to a new one.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void E35_reusedCountsOnlyRequestsHandedToAnOpenPooledConnection(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("reuse.jfr");
        Random serverRnd = new Random(7);
        int requests = 1200;
        long counted;
        try (RawServer server = RawServer.start(c -> {
                 if (c.readRequest() == null) {
                     return;
                 }
                 c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 long until = System.nanoTime() + serverRnd.nextInt(150_000);
                 while (System.nanoTime() < until) {
                     Thread.onSpinWait();
                 }
                 // and close, no Connection: close: the next request on this connection races it
             });
             Recording rec = new Recording()) {
            rec.enable("io.gochan.http.Connection");
            rec.start();
            try (Transport t = Transport.builder().maxConnsPerHost(1).build()) {
                List<Caller<Integer>> callers = new ArrayList<>();
                for (int k = 0; k < 2; k++) {
                    int who = k;
                    callers.add(Caller.virtual("gets-" + k, () -> {
                        for (int i = 0; i < requests / 2; i++) {
                            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/" + who + "/" + i).toString()))) {
                                r.body().string();
                            } catch (HttpProtocolException | HttpConnectionException e) {
                                // every retry met a connection the server closed too: the race, not what is checked
                            }
                        }
                        return 0;
                    }));
                }
                for (Caller<Integer> c : callers) {
                    assertThat(c.join(Duration.ofSeconds(100))).isTrue();
                    assertThat(c.error()).isNull();
                }
                counted = t.stats().reused();
            }
            Leaks.awaitTrue(() -> Leaks.transportGoroutines().isEmpty(), "loops ended");
            rec.stop();
            rec.dump(file);
        }
        long events = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("io.gochan.http.Connection") && e.getString("action").equals("reused")) {
                events++;
            }
        }
        assertThat(events).as("reuses (the race was run)").isPositive();
        assertThat(counted).as("TransportStats.reused against %d \"reused\" events", events).isEqualTo(events);
    }
}
