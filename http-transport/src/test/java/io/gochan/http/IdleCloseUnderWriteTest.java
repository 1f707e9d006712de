package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * E145 (docs/spec/transport-lifecycle.md): a write that met only the close the read loop made for the server's end of
 * the connection, nothing of it written, fails with that end as its cause, not the "Socket closed" the close left it.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleCloseUnderWriteTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * Plain loopback sockets of which the first is held so: its read loop waits at its look for the next response
     * until the test opens the gate; once {@link #holdWrite} is armed, the write loop's first look at whether the
     * socket is closed (as its first write begins, before a byte counts) waits until the read loop has closed the
     * socket; and the read loop's close, its socket closed, waits until the request's caller has taken the write's
     * failure (it waits for the close, or has returned) before the connection's close goes on.
     */
    private static final class HeldWire {
        final ReadLoopGate gate = new ReadLoopGate(OK.length());
        final AtomicBoolean holdWrite = new AtomicBoolean();
        final CountDownLatch writeHeld = new CountDownLatch(1);
        final CountDownLatch socketClosed = new CountDownLatch(1);
        final AtomicReference<Thread> caller = new AtomicReference<>();
        final CountDownLatch callerDone = new CountDownLatch(1);
        final AtomicReference<HookedSocket> first = new AtomicReference<>();

        Dialer dialer() {
            return HookedSocket.dialer(() -> new HookedSocket() {
                {
                    first.compareAndSet(null, this);
                }

                @Override
                protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                    return this == first.get() ? gate.read(raw, b, off, len) : raw.read(b, off, len);
                }

                @Override
                public boolean isClosed() {
                    if (this == first.get() && Thread.currentThread().getName().startsWith("http-write-loop")
                            && holdWrite.getAndSet(false)) {
                        writeHeld.countDown();
                        Lifecycle.awaitUninterruptibly(socketClosed);
                    }
                    return super.isClosed();
                }

                @Override
                public void close() throws IOException {
                    super.close();
                    if (this == first.get() && Thread.currentThread().getName().startsWith("http-read-loop")
                            && socketClosed.getCount() > 0) {
                        socketClosed.countDown();
                        // The caller has the write's failure when it waits for this close (its abort closes the
                        // connection too) or has returned: till then closech stays open, so it cannot pick the close.
                        Leaks.awaitTrue(() -> callerDone.getCount() == 0 || waitsForClose(caller.get()),
                                "the caller past the write's failure");
                    }
                }
            });
        }

        private static boolean waitsForClose(Thread t) {
            return t != null && Arrays.stream(t.getStackTrace()).anyMatch(e -> e.getMethodName().equals("awaitClosech"));
        }
    }

    /**
     * The server resets a connection idle after a response; a POST with a single-use body takes it, and its write loop
     * begins its first write just as the read loop, meeting the reset with the request counted, closes the connection
     * ("server reset the connection before sending a response"). Not a byte went out, so the POST fails as "nothing
     * written" (not retried: its body cannot be sent again), and its failure, which the caller takes from the write
     * before the close completes, carries the server's reset as its root cause, the write's "Socket closed" suppressed.
     * Before, its causes ended at "Socket closed": the reset that made the read loop close the connection was lost.
     */
    @Test
    void E145_aWriteThatMetOnlyTheReadLoopsCloseCarriesTheServersReset() throws Exception {
        HeldWire wire = new HeldWire();
        BlockingQueue<Object> resetNow = new LinkedBlockingQueue<>();
        CountDownLatch reset = new CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 if (c.index == 0) {
                     if (c.readRequest() != null) {
                         c.write(OK);
                     }
                     if (resetNow.poll(30, TimeUnit.SECONDS) != null) {
                         c.reset();
                         reset.countDown();
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
                             if (request.uri().getPath().equals("/post")) {
                                 wire.holdWrite.set(true); // the write loop waits idle for this request till now
                             }
                         }
                     }).build()) {
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/first").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(wire.gate.held.await(20, TimeUnit.SECONDS)).as("the read loop at its gate").isTrue();
            Leaks.awaitTrue(() -> t.stats().idle() == 1, "the connection idle in the pool");
            resetNow.add(Boolean.TRUE);
            assertThat(reset.await(20, TimeUnit.SECONDS)).isTrue();
            HttpRequest post = HttpRequest.newBuilder(server.uri("/post"))
                    .POST(RequestBody.ofStreamOnce(new ByteArrayInputStream("abc".getBytes(StandardCharsets.UTF_8)), 3,
                            "text/plain"))
                    .timeout(Duration.ofSeconds(20)).build();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    t.roundTrip(post).close();
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    wire.callerDone.countDown();
                }
            }, "test-post");
            wire.caller.set(caller);
            caller.start();
            assertThat(wire.writeHeld.await(20, TimeUnit.SECONDS)).as("the write loop at its first write").isTrue();
            wire.gate.release.countDown(); // the read loop meets the reset now, the request counted
            caller.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(caller.isAlive()).isFalse();
            Throwable e = failure.get();
            assertThat(e).as("the POST's failure").isInstanceOf(HttpProtocolException.class);
            assertThat(((HttpProtocolException) e).reason())
                    .isEqualTo(HttpProtocolException.Reason.SERVER_CLOSED_BEFORE_RESPONSE);
            assertThat(e).hasMessageContaining("server reset the connection before sending a response")
                    .hasRootCauseInstanceOf(java.net.SocketException.class)
                    .hasRootCauseMessage("Connection reset");
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the reset connection closed");
            try (HttpResponse r = t.roundTrip(HttpRequest.get(server.uri("/next").toString()))) {
                assertThat(r.body().string()).isEqualTo("ok");
            }
            assertThat(server.accepted()).isEqualTo(2);
        }
    }
}
