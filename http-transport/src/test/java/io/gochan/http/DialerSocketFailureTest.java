package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * E114, E115, E116, E123: what a {@link Dialer}'s socket throws where the transport holds state (the pool's lock, a slot
 * counted, a connection's loops, a body being read) never leaks the connection, its slot or a loop, never hangs a
 * request or {@code Transport.close()}, and reaches the request that met it (or the log). Each test runs against a
 * real loopback server with {@code maxConnsPerHost(1)}: a slot lost for good would make the next request wait for
 * ever, which {@link Leaks#outcomeWithin10s} turns into a failure.
 */
@NoGoroutineLeaks
@Timeout(120)
class DialerSocketFailureTest {
    /** Tells a connection E138 closed from one that should have been pooled (its pooling incidental here). */
    @RegisterExtension
    final IdleOrNotWritten idle = new IdleOrNotWritten();


    @AfterEach
    void noLeaks() {
        Leaks.assertNoTransportGoroutines();
    }

    /**
     * One failure to throw, once: by the thread {@code who} accepts, and only while the transport's method {@code frame}
     * ("SimpleClassName.method") is on its stack (null: anywhere), so the test says which of the transport's calls
     * meets it. A test whose fault is never thrown fails on its count.
     */
    private record Fault(Throwable thrown, Predicate<Thread> who, String frame) {
        boolean applies() {
            return who.test(Thread.currentThread()) && (frame == null || StackWalker.getInstance()
                    .walk(s -> s.anyMatch(f -> f.getClassName().startsWith("io.gochan.http.internal")
                            && (f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "."
                                    + f.getMethodName()).equals(frame))));
        }
    }

    /** The faults the sockets of {@link #dialer} throw from their streams, each once; and how many were thrown. */
    private static final class Faults {
        final AtomicReference<Fault> look = new AtomicReference<>();
        final AtomicReference<Fault> read = new AtomicReference<>();
        final AtomicReference<Fault> write = new AtomicReference<>();
        final AtomicReference<Fault> shutdownOutput = new AtomicReference<>();
        final AtomicInteger thrown = new AtomicInteger();
        /** Steps run once, each by the first socket call of its kind: how a test orders the loops (E150). */
        final AtomicReference<Runnable> beforeRead = new AtomicReference<>();
        final AtomicReference<Runnable> beforeWrite = new AtomicReference<>();
        final AtomicReference<Runnable> afterClose = new AtomicReference<>();
        final AtomicReference<Runnable> beforeShutdownOutput = new AtomicReference<>();
        /** Run once by the write loop's first {@code isClosed()}: the look at the socket as each write begins. */
        final AtomicReference<Runnable> writeLoopLooksAtClosed = new AtomicReference<>();

        void maybeThrow(AtomicReference<Fault> which) {
            Fault f = which.get();
            if (f != null && f.applies() && which.compareAndSet(f, null)) {
                thrown.incrementAndGet();
                throw HostileExceptions.<RuntimeException>undeclared(f.thrown());
            }
        }
    }

    /**
     * A dialer whose plain loopback sockets throw {@code faults} from {@code available()}, {@code read}, {@code write}
     * and {@code shutdownOutput()}.
     */
    private static Dialer dialer(Faults faults) {
        return HookedSocket.dialer(() -> new HookedSocket() {
            @Override
            protected int availableIn(InputStream raw) throws IOException {
                faults.maybeThrow(faults.look);
                return raw.available();
            }

            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                runOnce(faults.beforeRead);
                faults.maybeThrow(faults.read);
                return raw.read(b, off, len);
            }

            @Override
            protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
                runOnce(faults.beforeWrite);
                faults.maybeThrow(faults.write);
                raw.write(b, off, len);
            }

            @Override
            public void shutdownOutput() throws IOException {
                runOnce(faults.beforeShutdownOutput);
                faults.maybeThrow(faults.shutdownOutput);
                super.shutdownOutput();
            }

            @Override
            public void close() throws IOException {
                super.close();
                runOnce(faults.afterClose);
            }

            @Override
            public boolean isClosed() {
                if (Thread.currentThread().getName().startsWith("http-write-loop")) {
                    runOnce(faults.writeLoopLooksAtClosed);
                }
                return super.isClosed();
            }
        });
    }

    private static Transport transport(Faults faults) {
        return Transport.builder().maxConnsPerHost(1).dialer(dialer(faults)).build();
    }

    private static Object get(Transport t, RawServer server, String what) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(server.uri("/")).build();
        return Leaks.outcomeWithin10s(what, () -> {
            try (HttpResponse r = t.roundTrip(req)) {
                return r.body().string();
            }
        });
    }

    private static List<Throwable> chain(Object o) {
        List<Throwable> out = new ArrayList<>();
        for (Throwable e = o instanceof Throwable t ? t : null; e != null && !out.contains(e); e = e.getCause()) {
            out.add(e);
        }
        return out;
    }

    /** The next request to the host is served (its one slot is free), and the transport ends with nothing open. */
    private static void hostStillServedAndNothingLeft(Transport t, RawServer server) throws InterruptedException {
        assertThat(get(t, server, "the next request")).as("the host's one slot is free").isEqualTo("ok");
        t.closeIdleConnections();
        Leaks.awaitTrue(() -> t.stats().open() == 0, "no connection counted open");
        assertThat(t.stats().dialing()).isZero();
        assertThat(Leaks.outcomeWithin10s("Transport.close()", () -> {
            t.close();
            return "closed";
        })).isEqualTo("closed");
    }

    /**
     * E114: an {@link Error} from the {@code available()} of an idle connection's socket, asked as a request takes the
     * connection (under the pool's lock until E122), fails that request with it as it is; the connection is closed and
     * its slot freed.
     * Before, the Error left the pool's lock with the connection off the idle list and on no other: counted open for
     * good, and with {@code maxConnsPerHost(1)} the host's next request waited for ever.
     */
    @Test
    void E114_anErrorFromAnIdleConnectionsLookUnderThePoolsLockFailsItsRequestAndFreesTheSlot() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            // The scenario needs the connection pooled: its request is made again only if E138 closed it instead.
            idle.warmUntilIdle(t, () -> assertThat(get(t, server, "the first request")).isEqualTo("ok"));
            AssertionError thrown = new AssertionError("the socket's own assertion in available() (test)");
            faults.look.set(new Fault(thrown, th -> true, "ConnectionPool.unreadWhileIdle"));
            assertThat(get(t, server, "the request that takes the idle connection")).isSameAs(thrown);
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E114: an {@link Error} from the {@code available()} of a reused connection's socket, asked on the caller's thread
     * just before the request is sent (P37), fails the request with it as it is, and the connection it took is closed.
     * Before, it was left counted in use for good: its slot never freed.
     */
    @Test
    void E114_anErrorFromTheLookBeforeSendingOnAReusedConnectionFailsItsRequestAndFreesTheSlot() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            assertThat(get(t, server, "the first request")).isEqualTo("ok");
            StackOverflowError thrown = new StackOverflowError("the socket's available() recursed (test)");
            faults.look.set(new Fault(thrown, th -> true, "PersistConn.roundTrip"));
            assertThat(get(t, server, "the request on the reused connection")).isSameAs(thrown);
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /** E114 as above, on a new connection: its look for bytes its server sent before it was asked (P52). */
    @Test
    void E114_anErrorFromTheLookBeforeSendingOnANewConnectionFailsItsRequestAndFreesTheSlot() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            AssertionError thrown = new AssertionError("the socket's own assertion in available() (test)");
            faults.look.set(new Fault(thrown, th -> true, "PersistConn.roundTrip"));
            assertThat(get(t, server, "the request on a new connection")).isSameAs(thrown);
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E114: a checked exception the {@code available()} of an idle connection's socket lets out undeclared counts as
     * "nothing waiting", as an unchecked one does (E84): the request is served. Before, it left the pool's lock as it
     * was, past every catch of the transport: the request failed with it, its body's stream unclosed and no
     * {@code done()} reported, and the connection kept its slot for good.
     */
    @Test
    void E114_anUndeclaredCheckedExceptionFromAnIdleConnectionsLookCountsAsNothingWaiting() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            assertThat(get(t, server, "the first request")).isEqualTo("ok");
            faults.look.set(new Fault(new Exception("the socket's checked exception, let out undeclared (test)"),
                    th -> true, "ConnectionPool.unreadWhileIdle"));
            assertThat(get(t, server, "the request that takes the idle connection")).isEqualTo("ok");
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E115: a checked exception a socket's {@code write} lets out undeclared on the write loop fails the request being
     * written, with it as the cause, and the connection closes. Before, it ended the write loop past its catches,
     * without the request's report and without closing the connection: the request waited for an answer to a head that
     * never went out, for ever without a deadline, holding the host's slot.
     */
    @Test
    void E115_anUndeclaredCheckedExceptionFromASocketWriteOnTheWriteLoopFailsItsRequestWithIt() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            Exception thrown = new Exception("the socket's checked exception in write, let out undeclared (test)");
            faults.write.set(new Fault(thrown, th -> th.getName().startsWith("http-write-loop"), null));
            Object o = get(t, server, "the request whose write fails");
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(chain(o)).contains(thrown);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E115: a checked exception a socket's {@code read} lets out undeclared on the read loop (the response head) fails
     * the request with it as the cause. Before, the read loop ended past its catches and closed the connection with a
     * bare "read loop ended": the request's failure did not carry what the socket threw.
     */
    @Test
    void E115_anUndeclaredCheckedExceptionFromASocketReadOnTheReadLoopFailsItsRequestWithIt() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            Exception thrown = new Exception("the socket's checked exception in read, let out undeclared (test)");
            faults.read.set(new Fault(thrown, th -> th.getName().startsWith("http-read-loop"), null));
            Object o = get(t, server, "the request whose response head read fails");
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(chain(o)).contains(thrown);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E150: a write that fails because the read loop closed the connection (here for what its socket's read threw, as
     * in the E115 test above) fails its request with the read loop's cause, not with the "Socket closed" the close left
     * the write. The order is forced, the one a loaded machine once gave the E115 test: the caller waits for its
     * answer, the write loop is inside its write, the read loop's read fails and closes the socket, the write fails,
     * and its report reaches the caller (parked in the grace a failed write gives the answer) before the close is
     * complete. Before, the request failed with "write failed: Socket closed", the socket's exception nowhere in it.
     */
    @Test
    void E150_aWriteCutByTheReadLoopsCloseFailsItsRequestWithTheReadLoopsCause() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            Exception thrown = new Exception("the socket's checked exception in read, let out undeclared (test)");
            AtomicReference<Thread> caller = new AtomicReference<>();
            CountDownLatch writing = new CountDownLatch(1);
            CountDownLatch socketClosed = new CountDownLatch(1);
            CountDownLatch reported = new CountDownLatch(1);
            List<String> missed = new java.util.concurrent.CopyOnWriteArrayList<>();
            // The write loop's write, once the caller waits for its answer: lets the read loop fail, then goes on to the
            // socket once the read loop's close has closed it.
            faults.beforeWrite.set(() -> {
                step(() -> caller.get() != null && Lifecycle.parkedIn(caller.get(), "awaitResponse"),
                        "the caller waiting for its answer", missed);
                writing.countDown();
                step(socketClosed, "the read loop's close of the socket", missed);
            });
            // The read loop's first read fails only once the write is under way.
            faults.beforeRead.set(() -> step(writing, "the write under way", missed));
            faults.read.set(new Fault(thrown, th -> th.getName().startsWith("http-read-loop"), null));
            // The read loop's close holds, the socket closed, until the write's report is in the caller's hands: the
            // write loop shuts its output after the report, once the caller is parked in the failed write's grace.
            faults.afterClose.set(() -> {
                socketClosed.countDown();
                step(reported, "the write's report in the caller's hands", missed);
            });
            faults.beforeShutdownOutput.set(() -> {
                step(() -> Lifecycle.parkedIn(caller.get(), "writeFailed"), "the caller in the failed write's grace",
                        missed);
                reported.countDown();
            });
            Object o = Leaks.outcomeWithin10s("the request whose write the read loop's close cuts", () -> {
                caller.set(Thread.currentThread());
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build())) {
                    return r.body().string();
                }
            });
            assertThat(missed).as("the order the test forces").isEmpty();
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(chain(o)).as("the request's failure: %s", chain(o)).contains(thrown);
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E150 as above, the order the E115 test met under load (4 of 301 runs, each "nothing written: Socket closed"): the
     * write loop has taken the request, and its first write finds the socket the read loop's close has closed already,
     * so not a byte is handed over; the caller takes the write's report before the close is complete. The request fails
     * with the read loop's cause (as "nothing written", a new connection's request, not retried). Before, it failed with
     * "nothing written: Socket closed".
     */
    @Test
    void E150_aWriteThatFindsTheSocketTheReadLoopClosedFailsItsRequestWithTheReadLoopsCause() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.answeringOk(); Transport t = transport(faults)) {
            Exception thrown = new Exception("the socket's checked exception in read, let out undeclared (test)");
            AtomicReference<Thread> caller = new AtomicReference<>();
            CountDownLatch taken = new CountDownLatch(1);
            CountDownLatch socketClosed = new CountDownLatch(1);
            List<String> missed = new java.util.concurrent.CopyOnWriteArrayList<>();
            // The write loop has the request, the caller waits for its answer: the read loop may fail now; the write
            // goes on once the read loop's close has closed the socket.
            faults.writeLoopLooksAtClosed.set(() -> {
                step(() -> caller.get() != null && Lifecycle.parkedIn(caller.get(), "awaitResponse"),
                        "the caller waiting for its answer", missed);
                taken.countDown();
                step(socketClosed, "the read loop's close of the socket", missed);
            });
            faults.beforeRead.set(() -> step(taken, "the request taken by the write loop", missed));
            faults.read.set(new Fault(thrown, th -> th.getName().startsWith("http-read-loop"), null));
            // The read loop's close holds, the socket closed, until the caller, which took the write's report, waits for
            // that close to complete as its request's abort closes the connection too.
            faults.afterClose.set(() -> {
                socketClosed.countDown();
                step(() -> Lifecycle.parkedIn(caller.get(), "awaitClosech"), "the caller closing after the write's report",
                        missed);
            });
            Object o = Leaks.outcomeWithin10s("the request whose write finds the socket closed", () -> {
                caller.set(Thread.currentThread());
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/")).build())) {
                    return r.body().string();
                }
            });
            assertThat(missed).as("the order the test forces").isEmpty();
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(chain(o)).as("the request's failure: %s", chain(o)).contains(thrown);
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /** One forced step of a test's order: waits (bounded) for {@code latch}, noting {@code what} in {@code missed} if not. */
    private static void step(CountDownLatch latch, String what, List<String> missed) {
        try {
            if (!latch.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                missed.add(what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            missed.add(what + " (interrupted)");
        }
    }

    /** One forced step of a test's order: waits (bounded) for {@code c}, noting {@code what} in {@code missed} if not. */
    private static void step(java.util.function.BooleanSupplier c, String what, List<String> missed) {
        if (!Lifecycle.within(c, Duration.ofSeconds(10))) {
            missed.add(what);
        }
    }

    /**
     * E116: an {@link Error} from a socket's {@code read} as the caller reads a streamed body reaches the caller as it
     * is, and the body fails first: its exchange is aborted and its connection closed at once, and a later read fails
     * with the Error as its cause. Before, the body stayed readable mid-framing and the connection open and counted,
     * its slot held, until the body was closed (for ever if it never was).
     */
    @Test
    void E116_anErrorFromABodyReadFailsTheBodyAndClosesItsConnection() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /partial ")) {
                         c.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"); // the rest never comes
                         c.readUntilClosed();
                         return;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = transport(faults)) {
            AssertionError thrown = new AssertionError("the socket's own assertion in read (test)");
            Object o = Leaks.outcomeWithin10s("the body read that fails", () -> {
                try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(server.uri("/partial")).build())) {
                    Thread reader = Thread.currentThread();
                    faults.read.set(new Fault(thrown, th -> th == reader, null));
                    InputStream body = r.body().stream();
                    byte[] b = new byte[10];
                    Throwable failed = null;
                    try {
                        while (body.read(b) >= 0) {
                            // the bytes that came with the head, then the socket's read
                        }
                    } catch (Throwable e) {
                        failed = e;
                    }
                    assertThat(failed).isSameAs(thrown);
                    // The connection is closed by the failed read, not by the body's close below.
                    Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed by the failed read");
                    Throwable again = null;
                    try {
                        body.read(b);
                    } catch (IOException e) {
                        again = e;
                    }
                    assertThat(chain(again)).as("a later read fails with the Error as its cause").contains(thrown);
                    return "checked";
                }
            });
            assertThat(o).isEqualTo("checked");
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E115: a checked exception a socket's {@code write} lets out undeclared under a tunnel's write (its goroutine, E80)
     * fails that write with it as the cause. Before, it ended the write's goroutine past its catches, and the caller,
     * waiting for that goroutine's outcome, waited for ever.
     */
    @Test
    void E115_anUndeclaredCheckedExceptionFromATunnelWriteFailsThatWriteWithIt() throws Exception {
        Faults faults = new Faults();
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /chat ")) {
                         c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n");
                         c.readUntilClosed();
                         return;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = transport(faults)) {
            Exception thrown = new Exception("the socket's checked exception in a tunnel write, let out undeclared (test)");
            HttpRequest req = HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade")
                    .header("Upgrade", "test").build();
            Object o = Leaks.outcomeWithin10s("the tunnel write that fails", () -> {
                try (HttpResponse r = t.roundTrip(req)) {
                    assertThat(r.status()).isEqualTo(101);
                    OutputStream out = r.tunnelOutput().orElseThrow();
                    faults.write.set(new Fault(thrown, th -> th.getName().startsWith("http-tunnel-write"), null));
                    try {
                        out.write(new byte[] {'p', 'i', 'n', 'g'});
                        return "written";
                    } catch (IOException e) {
                        return e;
                    }
                }
            });
            assertThat(o).isInstanceOf(HttpConnectionException.class);
            assertThat(chain(o)).contains(thrown);
            assertThat(faults.thrown).hasValue(1);
            hostStillServedAndNothingLeft(t, server);
        }
    }

    /**
     * E123: a checked exception a socket's {@code shutdownOutput()} lets out undeclared as a plain tunnel's output is
     * closed (our half-close, E74, run on the caller's thread) fails that close with an {@link HttpConnectionException}
     * whose cause it is, as the TLS half-close (its goroutine, E113, E115) and a tunnel's write (E115) fail; the
     * output is over all the same, and closing the response closes the connection. Before, the exception went out of
     * {@code OutputStream.close()} as it was, a checked exception that method does not declare, past the caller's
     * catch of {@code IOException} (here, out of the caller's code as its outcome).
     */
    @Test
    void E123_anUndeclaredCheckedExceptionFromAPlainTunnelsHalfCloseFailsThatCloseWithIt() throws Exception {
        Faults faults = new Faults();
        java.util.concurrent.CountDownLatch peerEnded = new java.util.concurrent.CountDownLatch(1);
        try (RawServer server = RawServer.start(c -> {
                 for (String head; (head = c.readRequest()) != null; ) {
                     if (head.startsWith("GET /chat ")) {
                         c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n");
                         c.readUntilClosed();
                         peerEnded.countDown();
                         return;
                     }
                     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 }
             });
             Transport t = transport(faults)) {
            Exception thrown = new Exception("the socket's checked exception in a tunnel's half-close, let out undeclared (test)");
            HttpRequest req = HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade")
                    .header("Upgrade", "test").build();
            Object o = Leaks.outcomeWithin10s("the tunnel's half-close that fails", () -> {
                try (HttpResponse r = t.roundTrip(req)) {
                    assertThat(r.status()).isEqualTo(101);
                    OutputStream out = r.tunnelOutput().orElseThrow();
                    out.write(new byte[] {'p', 'i', 'n', 'g'});
                    faults.shutdownOutput.set(new Fault(thrown, th -> true, "PersistConn.shutdownTunnelOutput"));
                    IOException failed;
                    try {
                        out.close();
                        return "closed";
                    } catch (IOException e) {
                        failed = e;
                    }
                    try {
                        out.write('x');
                        return "written after the failed close";
                    } catch (IOException e) {
                        return failed; // the output is over all the same
                    }
                }
            });
            assertThat(o).as("what the output's close threw: %s", HostileExceptions.typeOf(o))
                    .isInstanceOf(HttpConnectionException.class);
            assertThat(chain(o)).contains(thrown);
            assertThat(faults.thrown).hasValue(1);
            assertThat(peerEnded.await(10, java.util.concurrent.TimeUnit.SECONDS))
                    .as("the response's close closed the connection").isTrue();
            hostStillServedAndNothingLeft(t, server);
        }
    }
}
