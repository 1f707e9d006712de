package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.cli.FetchHostileTest.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The commands with odd input: numbers beyond what they can do (R70), a stdout closed early or a kill (R71). */
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
     * R74: an argument a command does not take, or an option fetch does not know, is a usage error naming it. Before,
     * {@code sieve 5 6} printed five primes and exited 0, and {@code fetch -x URL} said "-x" was not a URL.
     */
    @Test
    void R74_whatACommandWouldIgnoreIsAUsageError() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String[] args : new String[][] {{"sieve", "5", "6"}, {"demo", "10", "5", "x"}, {"help", "me"}}) {
            err.reset();
            assertThat(run(out, args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", args))
                    .startsWith(args[0] + ": unexpected argument '" + args[args.length - 1] + "'").contains("usage:");
        }
        err.reset();
        assertThat(run(out, "fetch", "-x", "http://127.0.0.1:9/")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: unknown option -x").contains("usage:");
        assertThat(out.size()).as("nothing started, nothing printed").isZero();
    }

    /**
     * R86: every value of {@code --timeout} either bounds the fetch or is a usage error (exit 2, no stack trace).
     * Before, {@code 9223372036854775807m} threw an ArithmeticException out of {@code main} (exit 1, a trace), and an
     * ISO-8601 duration written in lower case ({@code pt1s}, which {@code Duration.parse} reads) was "not a duration"
     * because its last letter was taken for the {@code s} or {@code m} unit.
     */
    @Test
    void R86_everyTimeoutIsADurationOrAUsageError() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String big : new String[] {"9223372036854775807m", "153722867280912931m", "PT9999999999999999H"}) {
            err.reset();
            assertThat(run(out, "fetch", "--timeout", big, "http://127.0.0.1:9/")).as(big).isEqualTo(2);
            assertThat(err()).as(big).startsWith("fetch: ").contains(big)
                    .doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(out.size()).as("nothing started, nothing printed").isZero();
        assertThat(Fetch.parseDuration("pt1s")).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(Fetch.parseDuration("pt2m")).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(Fetch.parseDuration("PT1M")).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(Fetch.parseDuration("500ms")).isEqualTo(java.time.Duration.ofMillis(500));
        assertThat(Fetch.parseDuration("9223372036854775807s")).isEqualTo(java.time.Duration.ofSeconds(Long.MAX_VALUE));
    }

    /**
     * R88: {@code -h} or {@code --help} after a command prints the usage on stdout and exits 0, as the bare {@code --help}
     * does. Before, {@code fetch --help} was "unknown option --help" and {@code sieve --help} "expected a whole number"
     * (exit 2, on stderr).
     */
    @Test
    void R88_helpAfterACommandPrintsTheUsage() throws Exception {
        for (String[] args : new String[][] {{"fetch", "--help"}, {"fetch", "-h"}, {"fetch", "-i", "--help"},
                {"sieve", "--help"}, {"demo", "-h"}, {"--help"}}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            err.reset();
            assertThat(run(out, args)).as(String.join(" ", args)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).as(String.join(" ", args)).startsWith("usage:");
            assertThat(err()).as(String.join(" ", args)).isEmpty();
        }
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

    /**
     * R71: a fetch killed midway (SIGTERM, which ends the JVM as Ctrl-C's SIGINT does: shutdown hooks, no finally
     * blocks) leaves neither its {@code -o} part file nor the spool files of several URLs. Before, both stayed: the
     * spools in the temporary directory, up to {@code --max-spool} bytes each.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R71_aKilledFetchLeavesNoPartFileAndNoSpool(@TempDir Path tmp) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RawServer server = new RawServer(s -> {
                 try {
                     FetchHostileTest.readHead(s);
                     OutputStream o = s.getOutputStream();
                     // More than a spool keeps in memory (1 MiB), then nothing: the fetch is midway when it is killed.
                     o.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                     o.write(new byte[2 << 20]);
                     o.flush();
                     release.await();
                 } catch (IOException | InterruptedException gone) {
                     // the client went away, or the test ended
                 }
             })) {
            try {
                Path dir = Files.createDirectory(tmp.resolve("out"));
                Path temp = Files.createDirectory(tmp.resolve("temp"));
                killMidway(temp, dir, "fetch", "-o", dir.resolve("body").toString(), server.url("/one"));
                killMidway(temp, temp, "fetch", server.url("/a"), server.url("/b"));
            } finally {
                release.countDown(); // the server's handlers end, also when an assertion failed
            }
        }
    }

    /**
     * Runs Main in a child JVM (its temporary directory {@code temp}) until a file appears in {@code watched}, kills it
     * (SIGTERM), and asserts that nothing is left in either directory.
     */
    private static void killMidway(Path temp, Path watched, String... args) throws Exception {
        String cp = System.getProperty("java.class.path");
        String mp = System.getProperty("jdk.module.path"); // surefire may put the modules here
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Djava.io.tmpdir=" + temp, "-cp", mp == null ? cp : cp + File.pathSeparator + mp, Main.class.getName()));
        cmd.addAll(List.of(args));
        Path log = temp.getParent().resolve("child.log");
        // To a file, not a pipe: a hung child then fails the bounded wait instead of blocking a read.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (list(watched).isEmpty()) {
                assertThat(p.isAlive()).as("the child runs: %s", Files.readString(log)).isTrue();
                assertThat(System.nanoTime()).as("a file appeared in %s", watched).isLessThan(deadline);
                LockSupport.parkNanos(10_000_000);
            }
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the killed child ended").isTrue();
            assertThat(list(watched)).as("left in %s after %s", watched, String.join(" ", args)).isEmpty();
            assertThat(list(temp)).as("left in the temporary directory").isEmpty();
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
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
