package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.cli.FetchHostileTest.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The commands with odd input: numbers beyond what they can do (R70), a stdout closed early (R71). */
@NoGoroutineLeaks
class CliOddInputTest {
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Runs with stdout a pipe whose reader went away after {@code accepted} bytes ({@code | head -c N}). */
    int runClosedAfter(int accepted, String... args) throws Exception {
        OutputStream pipe = new OutputStream() {
            int written;

            @Override
            public void write(int b) throws IOException {
                if (written++ >= accepted) {
                    throw new IOException("Broken pipe");
                }
            }
        };
        return Main.run(args, new PrintStream(pipe, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    int run(ByteArrayOutputStream out, String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @AfterEach
    void noGoroutineLeft() {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Goroutines.count() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        assertThat(Goroutines.live()).as(Goroutines.dump()).isEmpty();
    }

    /**
     * R70: a number a command cannot do is a usage error naming the limit (exit 2, no stack trace). Before, {@code sieve
     * 2000000000} and {@code demo 2000000000} threw an OutOfMemoryError from {@code main} (the demo's server thread then
     * kept the JVM alive: a hang), and {@code demo 10 2000000000} started goroutines for ever.
     */
    @Test
    void R70_numbersBeyondWhatACommandCanDoAreUsageErrors() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String[] args : new String[][] {
                {"sieve", "2000000000"}, {"sieve", "10001"}, {"sieve", "99999999999"},
                {"demo", "2000000000"}, {"demo", "10", "2000000000"}, {"demo", "10", "100001"}}) {
            err.reset();
            assertThat(run(out, args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", args)).startsWith(args[0] + ": expected a number <= ")
                    .contains("usage:").doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(out.size()).as("nothing started, nothing printed").isZero();
        err.reset();
        assertThat(run(out, "sieve", "10000x")).isEqualTo(2);
        assertThat(err()).startsWith("sieve: expected a whole number, got '10000x'");
    }

    /**
     * R71: fetch's stdout closed while the body streams ({@code fetch URL | head -1}) fails the fetch at once (exit 1,
     * said on stderr). Before, the body went on being read into nothing until its end or the timeout: an endless one
     * ran until "timed out".
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R71_aClosedStdoutEndsAStreamingFetchAtOnce() throws Exception {
        try (RawServer server = new RawServer(CliOddInputTest::endless)) {
            // The timeout is the bound of the old behaviour: only the closed stdout can end the fetch before it.
            assertThat(runClosedAfter(100, "fetch", "--timeout", "8s", server.url("/endless"))).isEqualTo(1);
            assertThat(err()).contains("fetch " + server.url("/endless") + ": java.io.IOException: could not write to stdout")
                    .doesNotContain("timed out");
        }
    }

    /** R71: several URLs, or the sieve, printed to a closed stdout exit 1 saying so. Before, they exited 0. */
    @Test
    void R71_outputToAClosedStdoutIsAFailure() throws Exception {
        try (RawServer server = new RawServer(FetchHostileTest.answering(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"))) {
            assertThat(runClosedAfter(10, "fetch", server.url("/a"), server.url("/b"))).isEqualTo(1);
            assertThat(err()).contains("fetch: could not write to stdout (closed?)");
        }
        err.reset();
        assertThat(runClosedAfter(10, "sieve", "20")).isEqualTo(1);
        assertThat(err()).contains("sieve: could not write to stdout (closed?)");
    }

    /** Sends a head and then a body without end, until the client goes away. */
    private static void endless(Socket s) {
        try {
            FetchHostileTest.readHead(s);
            OutputStream o = s.getOutputStream();
            o.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = "e".repeat(16 * 1024).getBytes(StandardCharsets.ISO_8859_1);
            while (true) {
                o.write(chunk);
            }
        } catch (IOException gone) {
            // the client went away
        }
    }
}
