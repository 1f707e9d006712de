package io.gochan.cli;

import static io.gochan.cli.FetchHostileTest.answering;
import static io.gochan.cli.FetchHostileTest.partFiles;
import static io.gochan.cli.FetchHostileTest.readHead;
import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.cli.FetchHostileTest.RawServer;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * fetch's {@code -o} target as curl treats it (a device or FIFO written in place, R97; a read-only file refused, R98;
 * a dangling link written through, R89; a name near the file system's limit, R49; {@code -} and fetch's own stdout or
 * stderr, R101, R102), a password {@code java.net.URI} reads as no user info (R93, R104), a long URL shown cut (R103),
 * the default timeout (R99) and how many URLs are fetched at once (R100).
 */
@NoGoroutineLeaks
class FetchTargetTest {
    /** A body of the bytes a text conversion would change or add to: NUL, 0xFF, 0x80, CR LF, and no final newline. */
    static final byte[] BODY = {0, (byte) 0xFF, (byte) 0x80, 'a', '\r', '\n', 'b'};
    /** An answer carrying {@link #BODY}. */
    static final String ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n" + new String(BODY, StandardCharsets.ISO_8859_1);

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** {@code fetch ARGS} with {@code waitBound} in place of the 30 s default of R99, no proxy environment. */
    int runBounded(Duration waitBound, String... args) throws Exception {
        out.reset();
        err.reset();
        return Fetch.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), name -> null, waitBound);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
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

    /** Whether {@code command} ran and exited 0 (false when it is not there to run). */
    private static boolean succeeds(String... command) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException notThere) {
            return false;
        }
        try {
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } finally {
            p.destroyForcibly();
        }
    }

    /** Waits {@code d}: a server's pace, never the order of two threads. */
    private static void pause(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        for (long left; (left = until - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    /**
     * R97: {@code -o /dev/null} writes the body into the device, as curl does, and /dev/null stays a device. Before, the
     * body went to a part file beside it, in /dev: created by root and moved over /dev/null, which became a plain file;
     * refused to anyone else, so the fetch failed naming the hidden part file ({@code /dev/.null.<n>.part}). Where this
     * user may create files in /dev (root), the test is skipped, so that a regression cannot replace the machine's
     * /dev/null; the FIFO test below covers that case.
     */
    @Test
    void R97_dashOIntoDevNullWritesIntoTheDevice() throws Exception {
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull) && !Files.isRegularFile(devNull), "no /dev/null device here");
        Assumptions.assumeFalse(Files.isWritable(devNull.getParent()), "this user may create files in /dev (root)");
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"))) {
            assertThat(run("fetch", "-o", devNull.toString(), server.url("/n"))).as(err()).isZero();
            assertThat(err()).contains("wrote 4 bytes to /dev/null").doesNotContain(".part");
            assertThat(out()).isEqualTo("HTTP/1.1 200 OK\n");
        }
        assertThat(Files.isRegularFile(devNull)).as("/dev/null is no plain file").isFalse();
        assertThat(Files.readAttributes(devNull, BasicFileAttributes.class).isOther()).as("still a device").isTrue();
    }

    /**
     * R97: {@code -o FIFO} writes the body into the FIFO, for the process reading it (curl's {@code -o >(...)} and
     * named-pipe use), and the FIFO stays one. Before, the body went to a part file moved over the FIFO at the end: the
     * FIFO was replaced by a plain file and its reader waited for ever; here the bounded wait for the reader fails.
     * Skipped where {@code mkfifo} cannot make one (Java cannot).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R97_dashOIntoAFifoWritesIntoItForItsReader(@TempDir Path tmp) throws Exception {
        Path fifo = tmp.resolve("pipe");
        Assumptions.assumeTrue(succeeds("mkfifo", fifo.toString()), "mkfifo cannot make a FIFO here");
        Path got = tmp.resolve("got.txt");
        // The reader is a child process: a thread of ours blocked opening a FIFO that no writer opens could not be ended.
        Process reader = new ProcessBuilder("cat", fifo.toString()).redirectOutput(got.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nthrough a"))) {
            assertThat(run("fetch", "-o", fifo.toString(), server.url("/f"))).as(err()).isZero();
            assertThat(reader.waitFor(30, TimeUnit.SECONDS)).as("the reader saw the body and its end").isTrue();
            assertThat(got).hasContent("through a");
            assertThat(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther())
                    .as("still a FIFO").isTrue();
            assertThat(partFiles(tmp)).isEmpty();
        } finally {
            reader.destroyForcibly();
            reader.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * R89: {@code -o LINK} where LINK is a dangling symbolic link creates the file it names, as curl's open does, and
     * LINK stays a link; a link into a directory that does not exist is refused naming LINK and that directory. Before,
     * the part file was moved over LINK itself: the link became a plain file (also for the second, exit 0).
     */
    @Test
    void R89_dashOThroughADanglingLinkCreatesItsTarget(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "symbolic links");
        Path data = Files.createDirectory(tmp.resolve("data"));
        Path link = Files.createSymbolicLink(tmp.resolve("link.txt"), Path.of("data", "new.txt"));
        // A chain: hop.txt names link.txt, which names data/new.txt.
        Path hop = Files.createSymbolicLink(tmp.resolve("hop.txt"), Path.of("link.txt"));
        Path nowhere = Files.createSymbolicLink(tmp.resolve("nowhere.txt"), Path.of("missing", "x.txt"));
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"))) {
            assertThat(run("fetch", "-o", hop.toString(), server.url("/d"))).as(err()).isZero();
            assertThat(Files.isSymbolicLink(hop)).as("hop.txt still a link").isTrue();
            assertThat(Files.isSymbolicLink(link)).as("link.txt still a link").isTrue();
            assertThat(data.resolve("new.txt")).hasContent("new");
            assertThat(partFiles(tmp)).isEmpty();
            assertThat(partFiles(data)).isEmpty();

            assertThat(run("fetch", "-o", nowhere.toString(), server.url("/m"))).isEqualTo(1);
            assertThat(err()).contains("cannot write " + nowhere + ": no such directory " + tmp.resolve("missing"))
                    .doesNotContain(".part");
            assertThat(Files.isSymbolicLink(nowhere)).as("nowhere.txt still a link").isTrue();
            assertThat(tmp.resolve("missing")).doesNotExist();
        }
    }

    /**
     * R98: {@code -o} over a read-only file is refused, naming it, and the file is left as it was, as curl fails to
     * open it; so is a new file in a directory this user may not write in (named as the user's file, not as the hidden
     * part file). Before, the part file was moved over the read-only file (a rename ignores the file's permissions):
     * exit 0, the content replaced; and the directory's refusal named {@code .new.txt.<n>.part}. Skipped for a user
     * who may write read-only files (root), as curl would then write it too.
     */
    @Test
    void R98_dashOOverAReadOnlyFileIsRefused(@TempDir Path tmp) throws Exception {
        Path ro = Files.writeString(tmp.resolve("ro.txt"), "old");
        Path roDir = Files.createDirectory(tmp.resolve("ro-dir"));
        try {
            assertThat(ro.toFile().setWritable(false, false)).isTrue();
            assertThat(roDir.toFile().setWritable(false, false)).isTrue();
            Assumptions.assumeFalse(Files.isWritable(ro) || Files.isWritable(roDir), "this user writes read-only files (root)");
            try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"))) {
                assertThat(run("fetch", "-o", ro.toString(), server.url("/r"))).isEqualTo(1);
                assertThat(err()).contains("cannot write " + ro + ": permission denied").doesNotContain(".part");
                assertThat(ro).hasContent("old");
                assertThat(Files.isWritable(ro)).as("still read-only").isFalse();
                assertThat(partFiles(tmp)).isEmpty();

                Path inRoDir = roDir.resolve("new.txt");
                assertThat(run("fetch", "-o", inRoDir.toString(), server.url("/d"))).isEqualTo(1);
                assertThat(err()).contains("cannot write " + inRoDir + ": cannot create a file in " + roDir)
                        .doesNotContain(".part");
                assertThat(inRoDir).doesNotExist();
            }
        } finally {
            ro.toFile().setWritable(true, true);
            roDir.toFile().setWritable(true, true);
        }
    }

    /**
     * R49: a FILE whose name is 250 bytes, within the 255 a file system allows, is written as any other: its part
     * file's name is cut to fit. Before, the part name ({@code .} + 250 + {@code .<n>.part}, up to 273 bytes) could not
     * be created: exit 1, "File name too long" naming the hidden part file.
     */
    @Test
    void R49_aFileNameNearTheLimitStillGetsItsPartFile(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("n".repeat(246) + ".bin");
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlong"))) {
            assertThat(run("fetch", "-o", f.toString(), server.url("/l"))).as(err()).isZero();
            assertThat(f).hasContent("long");
            assertThat(partFiles(tmp)).isEmpty();
        }
        // The part name's stem: the name itself when short; else cut, in whole characters, to at most 200 UTF-8 bytes,
        // with the whole name's hash, so two long names of one beginning still differ.
        assertThat(Fetch.partStem("short.txt")).isEqualTo("short.txt");
        for (String longName : List.of("a".repeat(300), "é".repeat(150), "\uD83D\uDE00".repeat(80))) {
            String stem = Fetch.partStem(longName);
            assertThat(stem.getBytes(StandardCharsets.UTF_8).length).as(longName).isLessThanOrEqualTo(Fetch.MAX_PART_STEM_BYTES);
            String kept = stem.substring(0, stem.lastIndexOf('~'));
            assertThat(longName).startsWith(kept);
            assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 1))).as("no character cut in half").isFalse();
        }
        assertThat(Fetch.partStem("a".repeat(300))).isNotEqualTo(Fetch.partStem("a".repeat(301)));
    }

    /**
     * R93: a password with an unescaped {@code #}, {@code /} or {@code ?} never reaches fetch's output. Before, the
     * refusal ("not an http(s) URL: ... (URI has no host ...: ...)") printed the URL whole, twice: the redaction ended the
     * user info at that character, found no {@code @} before it, and hid nothing.
     */
    @Test
    void R93_aPasswordWithSlashQueryOrHashIsNeverPrinted() throws Exception {
        for (String url : List.of("http://alice:s3cr#t9@example.com/", "http://alice:s3cr/t9@example.com/",
                "http://alice:s3cr?t9@example.com/x", "http:alice:s3cr/t9@example.com/")) {
            assertThat(run("fetch", url)).as(url).isEqualTo(2);
            assertThat(out() + err()).as(url).contains("alice:xxxxx@example.com").doesNotContain("s3cr").doesNotContain("t9");
        }
        assertThat(Fetch.shown("http://alice:a/b@c@example.com/p?mail=x@y")).isEqualTo("http://alice:xxxxx@y");
        assertThat(Fetch.shown("http://example.com:8080/p?mail=x@y")).isEqualTo("http://example.com:8080/p?mail=x@y");
    }

    /**
     * R99: without {@code --timeout}, a download that keeps arriving is not cut, however long it takes: the default
     * bounds the wait for the head and each silence of the body, not the whole. Here the bound is 2 s (30 s in use) and
     * the body takes 3 s, a byte every 250 ms. Before, the default bounded the whole fetch, body included: this fetch
     * failed "timed out after" the bound, and any download longer than 30 s failed so.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R99_withoutTimeoutADownloadThatKeepsArrivingIsNotCut(@TempDir Path tmp) throws Exception {
        Duration bound = Duration.ofSeconds(2);
        int pieces = 12;
        try (RawServer server = new RawServer(s -> {
                 try {
                     readHead(s);
                     OutputStream o = s.getOutputStream();
                     o.write(("HTTP/1.1 200 OK\r\nContent-Length: " + pieces + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                     o.flush();
                     for (int i = 0; i < pieces; i++) {
                         pause(Duration.ofMillis(250));
                         o.write('x');
                         o.flush();
                     }
                     s.close();
                 } catch (IOException gone) {
                     // the client went away
                 }
             })) {
            Path f = tmp.resolve("slow.bin");
            long t0 = System.nanoTime();
            assertThat(runBounded(bound, "-o", f.toString(), server.url("/slow"))).as(err()).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("longer than the bound, whole").isGreaterThan(bound);
            assertThat(f).hasContent("x".repeat(pieces));
        }
    }

    /**
     * R99: without {@code --timeout}, a server that stops answering still ends in "timed out", before its head and in
     * the middle of its body (the bound here 500 ms, 30 s in use), never a hang. A guard: the old whole-fetch default
     * ended both too.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R99_withoutTimeoutAStalledServerStillTimesOut() throws Exception {
        CountDownLatch released = new CountDownLatch(1);
        try (RawServer server = new RawServer(s -> {
                 try {
                     java.io.InputStream in = s.getInputStream();
                     StringBuilder line = new StringBuilder();
                     for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
                         line.append((char) b);
                     }
                     readHead(s);
                     if (line.toString().contains("/body ")) {
                         OutputStream o = s.getOutputStream();
                         o.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
                         o.flush();
                     }
                     released.await(60, TimeUnit.SECONDS); // then nothing more
                 } catch (IOException | InterruptedException gone) {
                     // the client went away, or the test ended
                 }
             })) {
            try {
                for (String path : List.of("/head", "/body")) {
                    long t0 = System.nanoTime();
                    assertThat(runBounded(Duration.ofMillis(500), server.url(path))).as(path).isEqualTo(1);
                    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("bounded, not a hang").isLessThan(Duration.ofSeconds(30));
                    assertThat(err()).as(path).contains("fetch " + server.url(path) + ": ").contains("timed out");
                }
                assertThat(out()).as("the head and what came of the body, then the failure").startsWith("HTTP/1.1 200 OK\nabc");
            } finally {
                released.countDown();
            }
        }
    }

    /**
     * R100: {@code --parallel-max N} bounds how many URLs are fetched at once; without it, at most 50 (curl's default).
     * The server holds each answer until three requests are in flight at once, or for 2 s: five URLs with
     * {@code --parallel-max 2} never have a third in flight, the same five without the option have. Before, every URL
     * was fetched at once whatever their number: a connection (a file descriptor) and a goroutine each.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R100_parallelMaxBoundsTheFetchesInFlight() throws Exception {
        assertThat(mostInFlight("--parallel-max", "2")).as("in flight at once, --parallel-max 2").isEqualTo(2);
        assertThat(mostInFlight()).as("in flight at once, five URLs under the default 50").isGreaterThanOrEqualTo(3);
        for (String bad : List.of("0", "-1", "two", "99999999999")) {
            assertThat(run("fetch", "--parallel-max", bad, "http://127.0.0.1:9/")).as(bad).isEqualTo(2);
            assertThat(err()).as(bad).startsWith("fetch: --parallel-max needs a whole number from 1").contains(bad);
        }
        assertThat(run("fetch", "http://127.0.0.1:9/", "--parallel-max")).isEqualTo(2);
        assertThat(err()).contains("--parallel-max needs a number of fetches at once");
    }

    /** The most requests one server had in flight at once while {@code fetch OPTIONS} fetched five URLs from it. */
    private int mostInFlight(String... options) throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(1);
        try (RawServer server = new RawServer(s -> {
                 try {
                     readHead(s);
                     int now = inFlight.incrementAndGet();
                     most.accumulateAndGet(now, Math::max);
                     if (now >= 3) {
                         third.countDown();
                     }
                     // Unbounded, the five arrive together and the third opens the latch at once; bounded by two, no
                     // third can arrive before an answer, so each pair is held the whole 2 s.
                     third.await(2, TimeUnit.SECONDS);
                     inFlight.decrementAndGet(); // before the answer: the client's next fetch starts only after it
                     OutputStream o = s.getOutputStream();
                     o.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                     o.flush();
                     s.close();
                 } catch (IOException | InterruptedException gone) {
                     // the client went away
                 }
             })) {
            List<String> args = new ArrayList<>(List.of("fetch", "--timeout", "60s"));
            args.addAll(List.of(options));
            for (int i = 1; i <= 5; i++) {
                args.add(server.url("/" + i));
            }
            assertThat(run(args.toArray(String[]::new))).as(err()).isZero();
            assertThat(err()).contains("5 requests (0 failed)");
            return most.get();
        }
    }

    /**
     * R101: {@code -o -} writes the body alone to stdout, byte for byte (NUL, 0xFF, CR LF, no newline added): the status
     * line (with {@code -i} the headers too) and the "wrote" line go to stderr; no file named "-", no part file. Several
     * URLs with {@code -o -} (whatever {@code --parallel-max}), and {@code -o} given twice, are usage errors (exit 2,
     * nothing fetched), never bodies mixed on one stream. Before, {@code -o -} wrote a file named "-" in the working
     * directory and printed the status line on stdout; a second {@code -o} silently replaced the first.
     */
    @Test
    void R101_dashODashWritesTheBodyAloneToStdout() throws Exception {
        Path dash = Path.of("-").toAbsolutePath();
        boolean there = Files.exists(dash, LinkOption.NOFOLLOW_LINKS);
        try (RawServer server = new RawServer(answering(ANSWER))) {
            assertThat(run("fetch", "-o", "-", server.url("/b"))).as(err()).isZero();
            assertThat(out.toByteArray()).isEqualTo(BODY);
            assertThat(err()).startsWith("HTTP/1.1 200 OK\n").contains("wrote 7 bytes to stdout");
            assertThat(run("fetch", "-i", "-o", "-", server.url("/i"))).as(err()).isZero();
            assertThat(out.toByteArray()).isEqualTo(BODY);
            assertThat(err()).startsWith("HTTP/1.1 200 OK\nContent-Length: 7\n\n");
            assertThat(Files.exists(dash, LinkOption.NOFOLLOW_LINKS)).as("a file named - was made").isEqualTo(there);
        } finally {
            if (!there) {
                Files.deleteIfExists(dash); // the old code's, not to be left in the module's directory
            }
        }
        for (String[] args : new String[][] {{"fetch", "-o", "-", "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"},
                {"fetch", "-o", "-", "--parallel-max", "1", "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"}}) {
            assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", args)).contains("-o needs exactly one URL, got 2");
            assertThat(out.size()).as(String.join(" ", args)).isZero();
        }
        assertThat(run("fetch", "-o", "a.txt", "-o", "-", "http://127.0.0.1:9/")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: -o given twice");
        assertThat(out.size()).isZero();
    }

    /**
     * R102: {@code -o /dev/stdout} with stdout a regular file opened for appending ({@code >> out.txt}) writes the body
     * through stdout itself, after what the file held, as {@code -o -} does (R101, also checked here); {@code -o
     * /dev/stderr} likewise through stderr. Before, FILE was taken for a regular file: the body went to a part file moved
     * over out.txt, which lost what it held, and what the stream got next (the status line, the summary) went into the
     * replaced, unlinked file; and {@code -o -} made a file named "-". Run in a child JVM, whose stdout and stderr are
     * files; skipped where there is no /dev/fd.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void R102_dashOIntoItsOwnStdoutWritesThroughIt(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/dev/fd")) && Files.exists(Path.of("/dev/stdout"))
                && Files.exists(Path.of("/dev/stderr")), "no /dev/fd, /dev/stdout or /dev/stderr here");
        byte[] old = "old\n".getBytes(StandardCharsets.ISO_8859_1);
        String body = new String(BODY, StandardCharsets.ISO_8859_1);
        try (RawServer server = new RawServer(answering(ANSWER))) {
            for (String target : List.of("/dev/stdout", "-")) {
                Path stdout = Files.write(tmp.resolve("stdout.txt"), old);
                Path stderr = Files.write(tmp.resolve("stderr.txt"), old);
                int rc = runChild(tmp, stdout, stderr, "fetch", "-o", target, server.url("/s"));
                String errText = Files.readString(stderr, StandardCharsets.ISO_8859_1);
                assertThat(rc).as(errText).isZero();
                assertThat(Files.readAllBytes(stdout)).as(target).isEqualTo(concat(old, BODY));
                assertThat(errText).as(target).startsWith("old\n").contains("HTTP/1.1 200 OK\n")
                        .contains("wrote 7 bytes to " + (target.equals("-") ? "stdout" : target));
                assertThat(tmp.resolve("-")).doesNotExist();
                assertThat(partFiles(tmp)).isEmpty();
            }
            Path stdout = Files.write(tmp.resolve("stdout.txt"), old);
            Path stderr = Files.write(tmp.resolve("stderr.txt"), old);
            int rc = runChild(tmp, stdout, stderr, "fetch", "-o", "/dev/stderr", server.url("/e"));
            String errText = Files.readString(stderr, StandardCharsets.ISO_8859_1);
            assertThat(rc).as(errText).isZero();
            // What stderr held, the body, then fetch's own lines after it: nothing overwritten.
            assertThat(errText).startsWith("old\n").contains(body + "wrote 7 bytes to /dev/stderr");
            assertThat(Files.readString(stdout, StandardCharsets.ISO_8859_1)).isEqualTo("old\nHTTP/1.1 200 OK\n");
            assertThat(partFiles(tmp)).isEmpty();
        }
    }

    /**
     * Runs {@code Main ARGS} in a child JVM working in {@code dir}, its stdout and stderr appended to {@code stdout}
     * and {@code stderr} (opened as a shell's {@code >>} opens them), and returns its exit code.
     */
    private static int runChild(Path dir, Path stdout, Path stderr, String... args) throws Exception {
        String mp = System.getProperty("jdk.module.path"); // surefire may put the modules here
        String path = System.getProperty("java.class.path") + (mp == null ? "" : File.pathSeparator + mp);
        // Absolute entries: the child works in dir, where a relative one would name nothing.
        String cp = Stream.of(path.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
        // The running JDK's java. Its unified-logging warnings (CDS, -Xshare:auto, ...) go to stdout by default, which the
        // test compares byte for byte: -Xlog:disable drops that default, and warnings go to stderr instead.
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Xlog:disable", "-Xlog:all=warning:stderr", "-cp", cp, Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
        // The loopback server is reached directly, whatever proxy the environment names.
        pb.environment().keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).endsWith("_proxy"));
        Process p = pb.start();
        try {
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the child ended").isTrue();
            return p.exitValue();
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * R103: a URL is shown cut to its first 200 characters, with its length, as the transport's messages show a URI: in
     * the failure line, the {@code ==>} line of several URLs and the refusal of a text that is no URL; its password is
     * hidden before the cut. Before, each of these lines printed the URL whole (a megabyte URL flooded the terminal).
     */
    @Test
    void R103_aLongUrlIsShownCut() throws Exception {
        try (RawServer closing = new RawServer(answering(""))) {
            String url = closing.url("/" + "a".repeat(10_000));
            String cut = url.substring(0, Fetch.SHOWN_LENGTH) + "... (" + url.length() + " characters)";
            assertThat(run("fetch", url, closing.url("/b"))).isEqualTo(1);
            assertThat(out()).contains("==> " + cut + " <==").doesNotContain(url);
            assertThat(err()).contains("fetch " + cut + ": ");
        }
        String bad = "http://exa mple.com/" + "a".repeat(10_000);
        assertThat(run("fetch", bad)).isEqualTo(2);
        assertThat(err()).startsWith("fetch: not an http(s) URL: " + bad.substring(0, 200) + "... (" + bad.length() + " characters) (");
        assertThat(err().length()).as(err()).isLessThan(1_000);
        // Hidden, then cut: a password longer than the cut shows none of its characters.
        assertThat(Fetch.shown("http://alice:" + "p".repeat(300) + "@example.com/")).isEqualTo("http://alice:xxxxx@example.com/");
        String redacted = "http://alice:xxxxx@example.com/" + "x".repeat(300);
        assertThat(Fetch.shown("http://alice:pw@example.com/" + "x".repeat(300)))
                .isEqualTo(redacted.substring(0, 200) + "... (" + redacted.length() + " characters)");
    }

    /**
     * R104: after a {@code :} followed by no port at all, the text is a server's URL to every parser, and an {@code @}
     * in its query is the server's: {@code http://host:/p?m=a@b} is shown as it is. Before, R93's rule took the empty
     * port for a password cut short and hid everything up to the query's last {@code @} ({@code http://host:xxxxx@b}).
     * R93's cases stay hidden: a password that starts with {@code /} or {@code #} ends at the last {@code @} before the
     * query (or in the fragment).
     */
    @Test
    void R104_anAtInTheQueryAfterAnEmptyPortIsNoPassword() {
        for (String kept : List.of("http://example.com:/p?m=a@b", "http://example.com:?mail=a@b.example",
                "http:example.com:/p?m=a@b", "https://example.com:/x/y?next=u@h/p&z=1")) {
            assertThat(Fetch.shown(kept)).as(kept).isEqualTo(kept);
        }
        assertThat(Fetch.shown("http://alice:/pw@example.com/p?m=a@b")).isEqualTo("http://alice:xxxxx@example.com/p?m=a@b");
        assertThat(Fetch.shown("http://alice:/pw@example.com/")).isEqualTo("http://alice:xxxxx@example.com/");
        assertThat(Fetch.shown("http://alice:#x/y?z@[::1]:8080/p")).isEqualTo("http://alice:xxxxx@[::1]:8080/p");
    }
}
