package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutines;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fetch against hostile servers: malformed answers, redirects, failures with -o, URLs without scheme or host. */
@NoGoroutineLeaks
class FetchHostileTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
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
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        assertThat(Goroutines.live()).as(Goroutines.dump()).isEmpty();
    }

    /** A server that answers every connection with {@code answer} (after reading the request head). */
    static final class RawServer implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<Socket> accepted = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        RawServer(Consumer<Socket> answer) throws IOException {
            acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket s = socket.accept();
                        accepted.add(s);
                        Thread.ofVirtual().start(() -> answer.accept(s));
                    }
                } catch (IOException closed) {
                    // the test closed the listening socket
                }
            });
        }

        String url(String path) {
            return "http://127.0.0.1:" + socket.getLocalPort() + path;
        }

        @Override
        public void close() throws Exception {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
            assertThat(acceptor.join(java.time.Duration.ofSeconds(10))).isTrue();
        }
    }

    static void readHead(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        int state = 0;
        for (int b; state < 4 && (b = in.read()) >= 0; ) {
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
    }

    static Consumer<Socket> answering(String raw) {
        return s -> {
            try {
                readHead(s);
                OutputStream o = s.getOutputStream();
                o.write(raw.getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
                s.close();
            } catch (IOException gone) {
                // the client went away
            }
        };
    }

    /** An answer of {@code 2 * half} bytes: {@code half} of 'a' at once, {@code half} of 'b' once {@code released} opens. */
    static Consumer<Socket> inTwoHalves(int half, CountDownLatch released) {
        return s -> {
            try {
                readHead(s);
                OutputStream o = s.getOutputStream();
                o.write(("HTTP/1.1 200 OK\r\nContent-Length: " + 2 * half + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                o.write("a".repeat(half).getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
                released.await(30, TimeUnit.SECONDS);
                o.write("b".repeat(half).getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
                s.close();
            } catch (IOException | InterruptedException gone) {
                // the client went away
            }
        };
    }

    /** A fetch run on a virtual thread of its own; its exit code is in {@code rc} once the thread ended. */
    record Background(Thread thread, java.util.concurrent.atomic.AtomicInteger rc) {}

    Background startFetch(String... args) {
        java.util.concurrent.atomic.AtomicInteger rc = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                rc.set(run(args));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        return new Background(t, rc);
    }

    static List<Path> partFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".part")).toList();
        }
    }

    /**
     * R49: {@code -o FILE} writes the body as it arrives, into a file beside FILE that is moved over it at the
     * end: half a body is on disk while the server holds the other half. Before, the whole body was held in memory
     * and written at the end (a body larger than the heap failed the fetch with an OutOfMemoryError).
     */
    @Test
    void R49_dashOWritesTheBodyAsItArrives(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("big.bin");
        int half = 256 * 1024;
        CountDownLatch released = new CountDownLatch(1);
        try (RawServer server = new RawServer(inTwoHalves(half, released))) {
            Background fetch = startFetch("fetch", "--timeout", "60s", "-o", f.toString(), server.url("/big"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            long written = 0;
            while (written < half && System.nanoTime() < deadline) {
                List<Path> parts = partFiles(tmp);
                written = parts.isEmpty() ? 0 : Files.size(parts.get(0));
                LockSupport.parkNanos(5_000_000);
            }
            boolean targetEarly = Files.exists(f);
            released.countDown();
            assertThat(fetch.thread().join(java.time.Duration.ofSeconds(60))).isTrue();
            assertThat(written).as("bytes on disk while the server held the rest").isGreaterThanOrEqualTo(half);
            assertThat(targetEarly).as("FILE appears only whole").isFalse();
            assertThat(fetch.rc().get()).isZero();
            assertThat(Files.size(f)).isEqualTo(2L * half);
            assertThat(partFiles(tmp)).isEmpty();
            assertThat(err()).contains("wrote " + 2 * half + " bytes to " + f);
        }
    }

    /**
     * R53: a single URL's body goes to stdout as it arrives, after its head: half a body is printed while the server
     * holds the other half. Before, the whole body was held in memory and printed at the end.
     */
    @Test
    void R53_aSingleUrlStreamsItsBodyToStdout() throws Exception {
        int half = 256 * 1024;
        CountDownLatch released = new CountDownLatch(1);
        try (RawServer server = new RawServer(inTwoHalves(half, released))) {
            Background fetch = startFetch("fetch", "--timeout", "60s", server.url("/big"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (out.size() < half && System.nanoTime() < deadline) {
                LockSupport.parkNanos(5_000_000);
            }
            int printedEarly = out.size();
            released.countDown();
            assertThat(fetch.thread().join(java.time.Duration.ofSeconds(60))).isTrue();
            assertThat(printedEarly).as("bytes printed while the server held the rest").isGreaterThanOrEqualTo(half);
            assertThat(fetch.rc().get()).isZero();
            assertThat(out()).isEqualTo("HTTP/1.1 200 OK\n" + "a".repeat(half) + "b".repeat(half) + "\n");
        }
    }

    /**
     * R53: several URLs' bodies larger than what a spool keeps in memory (1 MiB) are printed whole, each after its
     * own head, in argument order, and no spool file is left behind.
     */
    @Test
    void R53_severalLargeBodiesArePrintedWholeInArgumentOrder() throws Exception {
        int size = Spool.DEFAULT_MEMORY_LIMIT * 2 + 7;
        try (RawServer server = new RawServer(s -> {
                 try {
                     InputStream in = s.getInputStream();
                     StringBuilder line = new StringBuilder();
                     for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
                         line.append((char) b);
                     }
                     readHead(s);
                     String fill = line.toString().contains("/x ") ? "x" : "y";
                     OutputStream o = s.getOutputStream();
                     o.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                     o.write(fill.repeat(size).getBytes(StandardCharsets.ISO_8859_1));
                     o.flush();
                     s.close();
                 } catch (IOException gone) {
                     // the client went away
                 }
             })) {
            List<Path> spoolsBefore = spoolFiles();
            assertThat(run("fetch", "--timeout", "60s", server.url("/x"), server.url("/y"))).isZero();
            assertThat(out()).isEqualTo("==> " + server.url("/x") + " <==\nHTTP/1.1 200 OK\n" + "x".repeat(size) + "\n"
                    + "==> " + server.url("/y") + " <==\nHTTP/1.1 200 OK\n" + "y".repeat(size) + "\n");
            assertThat(spoolFiles()).isSubsetOf(spoolsBefore);
        }
    }

    /**
     * R63: with several URLs, a body sent without end fails its own fetch once it passes {@code --max-spool}, long
     * before the timeout, with a message naming the limit; the other URL is printed, and no spool file stays. Before,
     * it was written to the temporary directory at loopback speed until the timeout (1 to 3.4 GB in 5 s).
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 120, unit = TimeUnit.SECONDS)
    void R63_anEndlessBodyBesideOthersStopsAtTheSpoolLimit() throws Exception {
        try (RawServer server = new RawServer(s -> {
                 try {
                     InputStream in = s.getInputStream();
                     StringBuilder line = new StringBuilder();
                     for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
                         line.append((char) b);
                     }
                     readHead(s);
                     OutputStream o = s.getOutputStream();
                     if (line.toString().contains("/small ")) {
                         o.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nsmall".getBytes(StandardCharsets.ISO_8859_1));
                     } else {
                         o.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                         byte[] chunk = "e".repeat(64 * 1024).getBytes(StandardCharsets.ISO_8859_1);
                         while (true) {
                             o.write(chunk); // until the client goes away
                         }
                     }
                     o.flush();
                     s.close();
                 } catch (IOException gone) {
                     // the client went away
                 }
             })) {
            List<Path> spoolsBefore = spoolFiles();
            // A timeout far beyond the test's own bound: only the spool's limit can end the endless fetch in time.
            assertThat(run("fetch", "--timeout", "10m", "--max-spool", "4M", server.url("/endless"), server.url("/small"))).isEqualTo(1);
            assertThat(err()).contains("fetch " + server.url("/endless") + ": ")
                    .contains("larger than the " + (4 << 20) + " bytes").contains("--max-spool");
            assertThat(out()).contains("==> " + server.url("/small") + " <==\nHTTP/1.1 200 OK\nsmall\n");
            assertThat(spoolFiles()).isSubsetOf(spoolsBefore);
        }
    }

    /**
     * R49: {@code -o} into a directory that does not exist exits 1 naming the file the user gave and the missing
     * directory, never the hidden part file. Before, the message was a {@code NoSuchFileException} for
     * {@code .out.<n>.part}.
     */
    @Test
    void R49_dashOIntoAMissingDirectoryNamesTheUsersFile(@TempDir Path tmp) throws Exception {
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))) {
            Path target = tmp.resolve("missing").resolve("out.txt");
            assertThat(run("fetch", "-o", target.toString(), server.url("/"))).isEqualTo(1);
            assertThat(err()).contains("cannot write " + target).contains("no such directory " + target.getParent())
                    .doesNotContain(".part");
            assertThat(Files.exists(tmp.resolve("missing"))).isFalse();
        }
    }

    /**
     * R89: {@code -o} over an existing file keeps what the file was: its permissions (a file only its owner may read
     * stays so) and, for a symbolic link, the link, the body written to the file it points to, as curl writes through
     * it. Before, the body was moved over FILE as a new file with the default permissions ({@code rw-------} became
     * {@code rw-r--r--}, readable by every user) and a link was replaced by a plain file, its target left as it was.
     */
    @Test
    void R89_dashOOverAnExistingFileKeepsItsPermissionsAndItsLink(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
        java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly =
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"))) {
            Path secret = Files.writeString(tmp.resolve("secret.txt"), "old");
            Files.setPosixFilePermissions(secret, ownerOnly);
            assertThat(run("fetch", "-o", secret.toString(), server.url("/s"))).isZero();
            assertThat(secret).hasContent("new");
            assertThat(Files.getPosixFilePermissions(secret)).isEqualTo(ownerOnly);

            Path real = Files.createDirectory(tmp.resolve("data")).resolve("real.txt");
            Files.writeString(real, "old");
            Path link = Files.createSymbolicLink(tmp.resolve("link.txt"), Path.of("data", "real.txt"));
            assertThat(run("fetch", "-o", link.toString(), server.url("/l"))).isZero();
            assertThat(Files.isSymbolicLink(link)).as("still a link").isTrue();
            assertThat(real).hasContent("new");
            assertThat(partFiles(tmp)).isEmpty();
            assertThat(partFiles(real.getParent())).isEmpty();
        }
    }

    @Test
    void R63_aBadSpoolSizeIsAUsageError() throws Exception {
        assertThat(run("fetch", "--max-spool", "lots", "http://127.0.0.1:1/")).isEqualTo(2);
        assertThat(err()).contains("not a size");
        assertThat(run("fetch", "http://127.0.0.1:1/", "--max-spool")).isEqualTo(2);
        assertThat(err()).contains("--max-spool needs a size");
    }

    static List<Path> spoolFiles() throws IOException {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(f -> f.getFileName().toString().startsWith("gochan-fetch-")).toList();
        }
    }

    /**
     * R49: a fetch with {@code -o} that fails midway (a body cut short) exits 1 with the reason and leaves no file:
     * none where there was none, an existing one untouched (curl would leave the partial bytes), no part file.
     */
    @Test
    void R49_aFailedFetchLeavesNoPartialFile(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("o.bin");
        try (RawServer server = new RawServer(answering("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"))) {
            assertThat(run("fetch", "-o", f.toString(), server.url("/t"))).isEqualTo(1);
            assertThat(err()).contains("fetch " + server.url("/t") + ": ").contains("91 bytes of the response body still to come");
            assertThat(f).doesNotExist();
            Files.writeString(f, "old");
            assertThat(run("fetch", "-o", f.toString(), server.url("/t"))).isEqualTo(1);
            assertThat(f).hasContent("old");
            assertThat(partFiles(tmp)).isEmpty();
            assertThat(out()).isEmpty();
        }
    }

    /**
     * R49: as curl without {@code -f} and {@code -L}: an error status is a response (exit 0, body written); a
     * redirect is printed, not followed, so a redirect loop ends at its first answer.
     */
    @Test
    void R49_anErrorStatusIsWrittenAndARedirectIsNotFollowed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("o.bin");
        try (RawServer server = new RawServer(answering("HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfail"))) {
            assertThat(run("fetch", "-o", f.toString(), server.url("/t"))).isZero();
            assertThat(f).hasContent("fail");
            assertThat(out()).isEqualTo("HTTP/1.1 500 Oops\n");
        }
        try (RawServer loop = new RawServer(answering("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"))) {
            assertThat(run("fetch", "-i", loop.url("/loop"))).isZero();
            assertThat(out()).startsWith("HTTP/1.1 302 Found\n").contains("Location: /loop");
            assertThat(err()).contains("1 requests (0 failed)");
        }
    }

    /** R49: a malformed response exits 1 naming the fault on stderr, no stack trace, nothing on stdout. */
    @Test
    void R49_aMalformedResponseExits1WithAMessage() throws Exception {
        try (RawServer server = new RawServer(answering("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok"))) {
            assertThat(run("fetch", server.url("/bad"))).isEqualTo(1);
            assertThat(out()).isEmpty();
            assertThat(err()).contains("fetch " + server.url("/bad") + ": ").contains("status code is not three digits")
                    .doesNotContain("\tat ").contains("1 requests (1 failed)");
        }
    }

    /** R49: a URL without scheme or host is a usage error (exit 2) that says so; nothing is fetched. */
    @Test
    void R49_aUrlWithoutSchemeOrHostIsAUsageError() throws Exception {
        for (String u : new String[] {"example.com", "example.com/x", "//example.com/", "localhost:8080", "/path", "http://", "http:///x", "http:x", "http://a b/", "http://[::1/"}) {
            assertThat(run("fetch", u)).as(u).isEqualTo(2);
            assertThat(err()).as(u).startsWith("fetch: not an http(s) URL: " + u + " (");
            assertThat(out()).as(u).isEmpty();
        }
    }

    /**
     * R62: a URL's password never reaches fetch's output: a failure names the URL with {@code xxxxx} in its place, and
     * so does the {@code ==>} line of several URLs, as the transport's messages (R17). Before, both printed it.
     */
    @Test
    void R62_aUrlsPasswordIsNeverPrinted() throws Exception {
        try (RawServer closing = new RawServer(answering(""))) {
            String url = closing.url("/p").replace("http://", "http://alice:s3cret@");
            assertThat(run("fetch", url)).isEqualTo(1);
            assertThat(err()).contains("fetch " + url.replace(":s3cret@", ":xxxxx@") + ": ")
                    .contains("server closed the connection").doesNotContain("s3cret");
            assertThat(run("fetch", url, closing.url("/q"))).isEqualTo(1);
            assertThat(out() + err()).contains("==> " + url.replace(":s3cret@", ":xxxxx@") + " <==")
                    .contains("alice:xxxxx@").doesNotContain("s3cret");
        }
        // R81: nor a URL refused as no URL at all (the JDK's refusal quoted it whole), nor one with no host.
        for (String bad : new String[] {"http://alice:s3cret@exa mple.com/", "http://alice:s3cret%zz@example.com/",
                "http://alice:s3cret@@example.com:8o/"}) {
            assertThat(run("fetch", bad)).as(bad).isEqualTo(2);
            assertThat(err()).as(bad).startsWith("fetch: not an http(s) URL: http://alice:xxxxx@").doesNotContain("s3cret");
        }
        // R93: nor one written without "//" (an opaque URI to java.net.URI, refused for no host); before, both fetch's
        // text and the transport's "URI has no host" quoted it whole.
        assertThat(run("fetch", "http:alice:s3cret@example.com/")).isEqualTo(2);
        assertThat(err()).startsWith("fetch: not an http(s) URL: http:alice:xxxxx@example.com/ (URI has no host")
                .doesNotContain("s3cret");
    }
}
