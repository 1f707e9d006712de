package io.gochan.http;

import static io.gochan.http.testing.HostileExceptions.isOrCausedBy;
import static io.gochan.http.testing.HostileExceptions.typeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Context;
import io.gochan.Goroutine;
import io.gochan.Goroutines;
import io.gochan.http.testing.HostileExceptions;
import io.gochan.http.testing.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * E105: a throwable of the caller's code whose own text throws ({@code toString()} and {@code getMessage()}) changes
 * nothing on the caller's thread either, nor where the transport logs it: the caller gets its request's own outcome,
 * and the throwable goes where it belongs, as it is. The transport's logging is printed here as a console logger
 * prints (the JDK's simple one, used when {@code java.util.logging} is not in the runtime): the throwable's trace,
 * which asks its {@code toString()}, and whatever that throws goes out of the log call. The throwables come from
 * {@link HostileExceptions}. No assertion formats such a throwable (AssertJ would ask its text to describe a
 * failure): they compare by identity and name classes.
 */
@NoGoroutineLeaks(graceMillis = 20_000)
class CallerTextTest {
    private final Logger gochanHttp = Logger.getLogger("io.gochan.http"); // held: JUL keeps its loggers weakly
    /** The records the printing handler printed in full (one whose printing threw is not among them). */
    private final List<LogRecord> printed = new CopyOnWriteArrayList<>();
    private final Handler printing = new Handler() {
        @Override
        public void publish(LogRecord r) {
            Throwable thrown = r.getThrown();
            if (thrown != null) {
                thrown.printStackTrace(new PrintWriter(new StringWriter())); // asks its toString(), lets out what that throws
            }
            printed.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private Level levelBefore;

    @BeforeEach
    void printLikeAConsoleLogger() {
        levelBefore = gochanHttp.getLevel();
        printing.setLevel(Level.ALL);
        gochanHttp.setLevel(Level.ALL); // DEBUG lines too: a failed close is logged at DEBUG
        gochanHttp.addHandler(printing);
    }

    @AfterEach
    void restoreLoggingAndCheckLeaks() {
        gochanHttp.removeHandler(printing);
        gochanHttp.setLevel(levelBefore);
        Leaks.assertNoTransportGoroutines();
    }

    /** Something that may throw anything. */
    interface Action {
        void run() throws Exception;
    }

    /** What {@code a} threw, or null if it returned. */
    private static Throwable thrownBy(Action a) {
        try {
            a.run();
        } catch (Throwable t) {
            return t;
        }
        return null;
    }

    /** Whether a line was logged, printed in full, without a throwable, that contains every one of {@code words}. */
    private boolean loggedWithout(String... words) {
        return printed.stream().anyMatch(r -> r.getThrown() == null && r.getMessage() != null
                && List.of(words).stream().allMatch(r.getMessage()::contains));
    }

    /** Records every goroutine that dies of an uncaught throwable, by name and type; {@link #close()} puts the old handler back. */
    private static final class Deaths implements AutoCloseable {
        final Queue<String> deaths = new ConcurrentLinkedQueue<>();
        private final BiConsumer<Goroutine, Throwable> previous;

        Deaths() {
            previous = Goroutines.setUncaughtExceptionHandler(
                    (g, e) -> deaths.add((g == null ? "a goroutine" : g.name()) + " died of a " + typeOf(e)));
        }

        @Override
        public void close() {
            Goroutines.setUncaughtExceptionHandler(previous);
        }
    }

    /** What the sockets of {@link #rigged} do besides being sockets; set by the test, read by the transport's threads. */
    private static final class Rig {
        /** Once a read of the socket has given bytes, every later read throws this; null: reads as a socket's. */
        volatile IOException readFailure;
        /** While set, every write of the socket throws this. */
        volatile IOException writeFailure;
        /** Thrown by the socket's close once it has closed the socket; null: closes as a socket does. */
        volatile IOException closeFailure;
    }

    /** A {@link Dialer} whose sockets connect to the origin and fail as {@code rig} says: a Dialer's socket is the caller's code. */
    private static Dialer rigged(Rig rig) {
        return HookedSocket.dialer(() -> new HookedSocket() {
            private volatile boolean gaveBytes;

            @Override
            protected int readFrom(InputStream raw, byte[] b, int off, int len) throws IOException {
                IOException failure = rig.readFailure;
                if (failure != null && gaveBytes) {
                    throw failure;
                }
                int n = raw.read(b, off, len);
                if (n > 0) {
                    gaveBytes = true;
                }
                return n;
            }

            @Override
            protected void writeTo(OutputStream raw, byte[] b, int off, int len) throws IOException {
                IOException failure = rig.writeFailure;
                if (failure != null) {
                    throw failure;
                }
                raw.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                super.close();
                IOException failure = rig.closeFailure;
                if (failure != null) {
                    throw failure;
                }
            }
        });
    }

    /** An empty stream (a caller's) whose close marks {@code closed} and then throws {@code failure}. */
    private static InputStream emptyClosingWith(IOException failure, AtomicBoolean closed) {
        return new InputStream() {
            @Override
            public int read() {
                return -1;
            }

            @Override
            public void close() throws IOException {
                closed.set(true);
                throw failure;
            }
        };
    }

    private static HttpRequest get(RawServer server) {
        return HttpRequest.newBuilder(server.uri("/")).timeout(Duration.ofMinutes(1)).build();
    }

    /**
     * E105: a {@link ResponseBody} whose stream (the caller's: its constructor is public) fails its close throws an
     * {@link UncheckedIOException} whose cause is the stream's exception, its message that exception's class. Before,
     * {@code new UncheckedIOException(e)} asked {@code e.toString()} for its message, and close threw that
     * {@code toString()}'s {@link IllegalStateException} instead (got a java.lang.IllegalStateException).
     */
    @Test
    void E105_aResponseBodysFailedCloseThrowsUncheckedWithTheStreamsException() {
        IOException bug = HostileExceptions.io();
        ResponseBody body = new ResponseBody(emptyClosingWith(bug, new AtomicBoolean()), null);
        Throwable got = thrownBy(body::close);
        assertThat(got instanceof UncheckedIOException && got.getCause() == bug)
                .as("an UncheckedIOException caused by the stream's own exception (got a %s)", typeOf(got)).isTrue();
        assertThat(got.getMessage()).isEqualTo(typeOf(bug) + " (toString() threw java.lang.IllegalStateException)");
    }

    /**
     * E105 (E134): a body opener (the caller's supplier) that throws an {@link IllegalStateException} whose
     * {@code getMessage()} throws fails {@link RequestBody#open()} with that very exception, its text never asked.
     * Before E105, an IOException's message asked it: open threw the {@code getMessage()}'s own
     * IllegalStateException, the opener's exception lost; before E134 it came wrapped in an IOException.
     */
    @Test
    void E105_E134_aBodyOpenersExceptionWhoseMessageThrowsFailsTheOpenAsItself() {
        IllegalStateException bug = HostileExceptions.illegalState();
        RequestBody body = RequestBody.ofStream(() -> {
            throw bug;
        }, 3, "text/plain");
        Throwable got = thrownBy(body::open);
        assertThat(got == bug).as("the opener's own exception (got a %s)", typeOf(got)).isTrue();
    }

    /**
     * E105 (E20, E83): a {@code getConn} listener's ignored {@link RuntimeException} whose {@code toString()} throws
     * is still ignored: the request is answered, and the line is logged without it, naming its class. Before, printing
     * it threw out of the listener's guard on the caller's thread, and the request failed with the printing's
     * {@link IllegalStateException} ("the request was answered" failed).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E105_aListenersIgnoredExceptionWhosePrintingThrowsIsStillIgnored() throws Exception {
        RuntimeException bug = HostileExceptions.runtime();
        AtomicBoolean thrown = new AtomicBoolean();
        RequestListener listener = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                if (thrown.compareAndSet(false, true)) {
                    throw bug;
                }
            }
        };
        try (RawServer server = RawServer.answeringOk(); Transport t = Transport.builder().listener(listener).build()) {
            Object outcome = Leaks.outcomeWithin10s("a request whose getConn listener threw", () -> {
                try (HttpResponse r = t.roundTrip(get(server))) {
                    return r.body().string();
                }
            });
            assertThat("ok".equals(outcome)).as("the request was answered (got a %s)", typeOf(outcome)).isTrue();
            assertThat(loggedWithout("a RequestListener callback for", "failed; ignored", typeOf(bug)))
                    .as("the ignored exception's line").isTrue();
            assertThat(server.failures()).isEmpty();
        }
    }

    /**
     * E105 (E20, E92): the body stream of a request that got no connection (its {@code getConn} listener threw an
     * {@link Error}) is closed, and a close that fails with an exception whose {@code toString()} throws is logged
     * without it: the caller gets the listener's own Error. Before, printing the close's exception (DEBUG) threw out
     * of the quiet close, and the caller got the printing's {@link IllegalStateException} instead ("the listener's own
     * Error" failed).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E105_aFailedCloseOfAnUnsentBodyLeavesTheRequestsOwnFailure() throws Exception {
        AssertionError bug = new AssertionError("getConn fails (test)");
        IOException closeFailure = HostileExceptions.io();
        AtomicBoolean closed = new AtomicBoolean();
        RequestListener listener = new RequestListener() {
            @Override
            public void getConn(HttpRequest request, String hostPort) {
                throw bug;
            }
        };
        RequestBody body = RequestBody.ofStream(() -> emptyClosingWith(closeFailure, closed), 3, "text/plain");
        try (Transport t = Transport.builder().listener(listener).build()) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/never-dialed")).POST(body).build();
            Object outcome = Leaks.outcomeWithin10s("a request whose getConn listener failed", () -> {
                try (HttpResponse r = t.roundTrip(post)) {
                    return r.status();
                }
            });
            assertThat(outcome == bug).as("the caller got the listener's own Error (got a %s)", typeOf(outcome)).isTrue();
            assertThat(closed.get()).as("the body's stream was closed").isTrue();
            assertThat(loggedWithout("closing an unsent request body failed", typeOf(closeFailure)))
                    .as("the close's line").isTrue();
        }
    }

    /**
     * E105 (E92): a single-use body's stream is closed when its request is refused before anything of it happened (a
     * null context), and a close that fails with an exception whose {@code toString()} throws is logged without it:
     * the caller gets the refusal. Before, printing the close's exception threw out of the close, and the caller got
     * the printing's {@link IllegalStateException} instead of the {@link NullPointerException} ("the refusal"
     * failed).
     */
    @Test
    void E105_aFailedCloseOfARefusedSingleUseBodyLeavesTheRefusal() throws Exception {
        IOException closeFailure = HostileExceptions.io();
        AtomicBoolean closed = new AtomicBoolean();
        InputStream stream = emptyClosingWith(closeFailure, closed);
        try (Transport t = Transport.builder().build()) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/never-sent"))
                    .POST(RequestBody.ofStreamOnce(stream, 3, "text/plain")).build();
            Throwable got = thrownBy(() -> t.roundTrip(post, (Context) null));
            assertThat(got instanceof NullPointerException && "ctx".equals(got.getMessage()))
                    .as("the refusal, a NullPointerException naming ctx (got a %s)", typeOf(got)).isTrue();
            assertThat(closed.get()).as("the caller's stream was closed").isTrue();
            assertThat(loggedWithout("closing an unsent single-use request body failed", typeOf(closeFailure)))
                    .as("the close's line").isTrue();
        }
    }

    /** Where the socket's read fails, and what has to fail of it there. */
    enum ReadFailure {
        /**
         * In the middle of the response head, on the read loop (E48): the request fails with an IOException caused by
         * it. Before, the read loop asked the message for its failure's words, and the request failed with the read
         * loop's end, its cause the {@code getMessage()}'s {@link IllegalStateException}: the socket's exception was
         * nowhere in it ("caused by the socket's own exception" failed).
         */
        IN_THE_HEAD("a request whose socket fails in its response head", IOException.class,
                "HTTP/1.1 200 OK\r\n"), // half a head: the rest is read from the socket, whose read then fails
        /**
         * In the response body, on the caller's thread (P61): that read throws an {@link HttpConnectionException}
         * caused by it. Before, the body's read asked the message for its failure's words and threw the
         * {@code getMessage()}'s {@link IllegalStateException} (not an IOException), its exchange not even aborted
         * ("an HttpConnectionException" failed).
         */
        IN_THE_BODY("a body read whose socket fails", HttpConnectionException.class,
                // In one write, read at once: the head and half the body; the rest is read when the caller asks.
                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");

        final String what;
        final Class<? extends IOException> fails;
        final String answer;

        ReadFailure(String what, Class<? extends IOException> fails, String answer) {
            this.what = what;
            this.fails = fails;
            this.answer = answer;
        }
    }

    /**
     * E105 (E48, P61): the socket (a Dialer's) fails a read with an exception whose {@code getMessage()} throws: what
     * read fails with an exception of the {@link ReadFailure}'s type caused by that exception, the connection is
     * closed, and no goroutine dies. Each {@link ReadFailure} says what failed there before.
     */
    @ParameterizedTest(name = "E105: a socket read failing {0} whose message throws is the cause")
    @EnumSource(ReadFailure.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E105_aSocketReadFailureWhoseMessageThrowsIsTheCauseOfWhatReadIt(ReadFailure where) throws Exception {
        IOException bug = HostileExceptions.io();
        Rig rig = new Rig();
        rig.readFailure = bug;
        try (Deaths deaths = new Deaths()) {
            try (RawServer server = RawServer.start(c -> {
                     c.readRequestHead();
                     c.write(where.answer);
                     c.readUntilClosed();
                 });
                 Transport t = Transport.builder().dialer(rigged(rig)).build()) {
                Object outcome = Leaks.outcomeWithin10s(where.what, () -> {
                    try (HttpResponse r = t.roundTrip(get(server))) {
                        if (where == ReadFailure.IN_THE_HEAD) {
                            return r.status();
                        }
                        return r.body().stream().readNBytes(10);
                    }
                });
                assertThat(where.fails.isInstance(outcome) && isOrCausedBy(outcome, bug))
                        .as("an %s caused by the socket's own exception (got a %s)", where.fails.getSimpleName(),
                                typeOf(outcome))
                        .isTrue();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
            }
            assertThat(deaths.deaths).as("goroutines that died").isEmpty();
        }
    }

    /**
     * E105 (R67): a write to a tunnel (an asked switch of protocols) whose socket (a Dialer's) fails with an exception
     * whose {@code getMessage()} throws throws an {@link HttpConnectionException} caused by it. Before, the write's
     * failure asked the message for its words, and the caller's write threw the {@code getMessage()}'s
     * {@link IllegalStateException} ("an HttpConnectionException" failed).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E105_aTunnelWriteFailureWhoseMessageThrowsIsTheWritesCause() throws Exception {
        IOException bug = HostileExceptions.io();
        Rig rig = new Rig();
        try (RawServer server = RawServer.start(c -> {
                 c.readRequestHead();
                 c.write("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
                 c.readUntilClosed();
             });
             Transport t = Transport.builder().dialer(rigged(rig)).build()) {
            HttpRequest upgrade = HttpRequest.newBuilder(server.uri("/chat")).header("Connection", "Upgrade")
                    .header("Upgrade", "websocket").timeout(Duration.ofMinutes(1)).build();
            Object outcome = Leaks.outcomeWithin10s("a tunnel write whose socket fails", () -> {
                try (HttpResponse r = t.roundTrip(upgrade)) {
                    OutputStream out = r.tunnelOutput().orElseThrow();
                    rig.writeFailure = bug; // the head went out (the server answered it): from here every write fails
                    out.write("ping".getBytes(StandardCharsets.US_ASCII));
                    return r.status();
                }
            });
            assertThat(outcome instanceof HttpConnectionException && isOrCausedBy(outcome, bug))
                    .as("an HttpConnectionException caused by the socket's own exception (got a %s)", typeOf(outcome))
                    .isTrue();
            Leaks.awaitTrue(() -> t.stats().open() == 0, "the tunnel's connection closed");
        }
    }

    /**
     * E105 (E84): a connection whose socket (a Dialer's) fails its close with an exception whose {@code toString()}
     * throws closes all the same (its slot freed) and logs the close's failure without it, and no loop dies. Before,
     * printing the close's exception (DEBUG) threw out of the connection's close half way, before its slot was
     * released: the connection stayed counted open ("the connection closed" timed out), and the thread that closed it
     * (the body's reader at its end, or the read loop) got the printing's {@link IllegalStateException}.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E105_aSocketWhoseFailedCloseCannotBePrintedStillClosesItsConnection() throws Exception {
        IOException bug = HostileExceptions.io();
        Rig rig = new Rig();
        rig.closeFailure = bug;
        try (Deaths deaths = new Deaths()) {
            try (RawServer server = RawServer.start(c -> {
                     c.readRequestHead();
                     c.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                     c.readUntilClosed();
                 });
                 Transport t = Transport.builder().dialer(rigged(rig)).build()) {
                Object outcome = Leaks.outcomeWithin10s("a request whose connection closes after it", () -> {
                    try (HttpResponse r = t.roundTrip(get(server))) {
                        return r.body().string();
                    }
                });
                assertThat("ok".equals(outcome)).as("the response read (got a %s)", typeOf(outcome)).isTrue();
                Leaks.awaitTrue(() -> t.stats().open() == 0, "the connection closed");
                assertThat(loggedWithout("socket of", typeOf(bug))).as("the close's line").isTrue();
            }
            assertThat(deaths.deaths).as("goroutines that died").isEmpty();
        }
    }

    /**
     * E105 (R28, E84): a TLS handshake that times out closes the dialed socket (a Dialer's) from the handshake's timer,
     * and a close that fails with an exception whose {@code toString()} throws is logged without it: the request fails
     * as a handshake timeout and no goroutine dies. Before, printing the close's exception threw out of the timer's
     * goroutine, which died of the printing's {@link IllegalStateException} ("goroutines that died" failed).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void E105_aTimedOutHandshakesSocketWhoseFailedCloseCannotBePrintedEndsNoGoroutine() throws Exception {
        IOException bug = HostileExceptions.io();
        Rig rig = new Rig();
        rig.closeFailure = bug;
        try (Deaths deaths = new Deaths()) {
            try (RawServer server = RawServer.start(c -> c.readUntilClosed()); // takes the ClientHello, never answers
                 Transport t = Transport.builder().dialer(rigged(rig)).tlsHandshakeTimeout(Duration.ofMillis(300)).build()) {
                HttpRequest get = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/"))
                        .timeout(Duration.ofMinutes(1)).build();
                Object outcome = Leaks.outcomeWithin10s("a request whose TLS handshake times out", () -> {
                    try (HttpResponse r = t.roundTrip(get)) {
                        return r.status();
                    }
                });
                assertThat(outcome instanceof HttpTimeoutException).as("a timeout (got a %s)", typeOf(outcome)).isTrue();
                // The timer's goroutine reports its failure, if any, before it leaves the registry.
                Leaks.awaitTrue(() -> Goroutines.live().stream().noneMatch(g -> g.name().equals("gochan-afterfunc")),
                        "the handshake's timer goroutine ended");
            }
            assertThat(deaths.deaths).as("goroutines that died").isEmpty();
        }
    }
}
