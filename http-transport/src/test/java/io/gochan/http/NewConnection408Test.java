package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.CancellableContext;
import io.gochan.Context;
import io.gochan.http.HttpProtocolException.Reason;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * E140 (docs/spec/transport-lifecycle.md): the idle timeout's {@code 408} a server sends on a new connection before it
 * was asked anything is its close before the connection was used, whichever of the connection's looks meets it first.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NewConnection408Test {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Plain loopback sockets whose read loop waits at its first read until the test opens the gate, or, once
     * {@link #openAtLook} is set, until a look at the socket ({@code available()}) from another thread has found bytes
     * and is done with them (it closed the socket, or waits in a select): so the request's look before sending meets
     * the 408 while it is still in the socket, unread by the read loop.
     */
    private static final class GatedWire {
        final ReadLoopGate gate = new ReadLoopGate(0);
        final CountDownLatch firstClosed = new CountDownLatch(1);
        final AtomicReference<Socket> first = new AtomicReference<>();
        final AtomicBoolean openAtLook = new AtomicBoolean();
        final AtomicReference<Thread> watcher = new AtomicReference<>();

        Dialer dialer() {
            return HookedSocket.dialer(() -> new HookedSocket() {
                {
                    first.compareAndSet(null, this);
                }

                @Override
                protected int availableIn(InputStream raw) throws IOException {
                    int n = raw.available();
                    if (n > 0 && !Thread.currentThread().getName().startsWith("http-read-loop")
                            && openAtLook.getAndSet(false)) {
                        // The look saw the bytes first. The read loop may take them once the look has done with them:
                        // closed the connection for them, or waits (in a select) for the read loop's word on them.
                        Thread look = Thread.currentThread();
                        Socket self = this;
                        Thread watch = new Thread(() -> {
                            Leaks.awaitTrue(() -> self.isClosed() || (Leaks.inside(look, "Select")
                                    && (look.getState() == Thread.State.WAITING
                                            || look.getState() == Thread.State.TIMED_WAITING)), "the look done");
                            gate.release.countDown();
                        }, "test-look-watch");
                        watcher.set(watch);
                        watch.start();
                    }
                    return n;
                }

                @Override
                protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                    return gate.read(raw, b, off, len);
                }

                @Override
                public void close() throws IOException {
                    super.close();
                    if (this == first.get()) {
                        firstClosed.countDown();
                    }
                }
            });
        }
    }

    /**
     * A new connection waits in the pool, never used (E90); its server sends its idle timeout's {@code 408} (and
     * nothing else); a POST with a single-use body takes the connection. Whether the POST's look before sending finds
     * the 408 still in the socket ({@code lookFirst}) or the read loop has read it and closed the connection as the
     * POST held it (in its {@code gotConn}), the POST fails alike: not retried (its body cannot be sent again), with
     * {@code SERVER_CLOSED_BEFORE_RESPONSE} saying the server closed the connection before it was used (408 Request
     * Timeout), as E130's factory words it; the next request is served on a new connection. Before, the look's order
     * failed it with "unsolicited bytes before the request was sent on a new connection" (the look judged bytes it had
     * not seen), the read loop's with E130's words.
     */
    @ParameterizedTest(name = "look first: {0}")
    @ValueSource(booleans = {true, false})
    void E140_a408BeforeANewConnectionIsUsedIsTheServersCloseWhicheverLookMeetsItFirst(boolean lookFirst)
            throws Exception {
        GatedWire wire = new GatedWire();
        BlockingQueue<Object> sendNow = new LinkedBlockingQueue<>();
        CountDownLatch sent = new CountDownLatch(1);
        AtomicReference<CancellableContext> unusedContext = new AtomicReference<>();
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     if (sendNow.poll(30, TimeUnit.SECONDS) != null) {
                         c.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                         sent.countDown();
                         c.readUntilClosed();
                     }
                     return;
                 }
                 while (c.readRequest() != null) {
                     c.write(OK);
                 }
             });
             Transport t = Transport.builder().dialer(wire.dialer()).maxConnsPerHost(1)
                     .listener(new RequestListener() {
                         @Override
                         public void gotConn(HttpRequest request, boolean reused) {
                             if (request.uri().getPath().equals("/unused")) {
                                 unusedContext.get().cancel(); // ends it as the pool hands it the connection: put back unused (E90)
                             } else if (request.uri().getPath().equals("/post") && !lookFirst) {
                                 // The read loop takes the 408 now and closes the connection this request holds, before
                                 // its look.
                                 wire.gate.release.countDown();
                                 Lifecycle.awaitUninterruptibly(wire.firstClosed);
                             }
                         }
                     }).build()) {
            CancellableContext ctx = Context.withCancel(Context.background());
            unusedContext.set(ctx);
            assertThatThrownBy(() -> t.roundTrip(HttpRequest.get(server.uri("/unused").toString()), ctx))
                    .isInstanceOf(RequestCancelledException.class);
            assertThat(wire.gate.held.await(20, TimeUnit.SECONDS)).as("the read loop at its gate").isTrue();
            Leaks.awaitTrue(() -> t.stats().idle() == 1, "the connection idle in the pool");
            sendNow.add(Boolean.TRUE);
            assertThat(sent.await(20, TimeUnit.SECONDS)).isTrue();
            Socket first = wire.first.get();
            Leaks.awaitTrue(() -> {
                try {
                    return first.getInputStream().available() > 0;
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, "the 408 in the client's socket");
            wire.openAtLook.set(lookFirst);
            HttpRequest post = HttpRequest.newBuilder(server.uri("/post"))
                    .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream("abc".getBytes(StandardCharsets.UTF_8)), 3,
                            "text/plain"))
                    .timeout(Duration.ofSeconds(20)).build();
            assertThatThrownBy(() -> t.roundTrip(post).close())
                    .isInstanceOfSatisfying(HttpProtocolException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.SERVER_CLOSED_BEFORE_RESPONSE))
                    .hasMessageStartingWith("server closed the connection before it was used (408 Request Timeout)")
                    .hasMessageNotContaining("unsolicited");
            assertThat(wire.gate.release.getCount()).as("the read loop let through").isZero();
            Thread watch = wire.watcher.get();
            assertThat(watch != null).as("the look met the 408 in the socket").isEqualTo(lookFirst);
            if (watch != null) {
                watch.join(TimeUnit.SECONDS.toMillis(20));
                assertThat(watch.isAlive()).isFalse();
            }
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }
}
