package io.gochan.cli;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.WaitGroup;
import io.gochan.http.Dialer;
import io.gochan.http.HttpRequest;
import io.gochan.http.Proxies;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fetch [-i] [-o FILE] [--timeout DURATION] [--unix-socket PATH] URL...}: fetches every URL concurrently (one goroutine
 * each) through one {@link Transport}, prints each status line (and headers with -i), the body to stdout
 * (or to FILE for a single URL: written as it arrives and moved over FILE only once whole, so a failed fetch
 * leaves no file, R49), and a summary on stderr. Each fetch is bounded, body included, by the
 * timeout (default 30 s; {@code 500ms}, {@code 10s}, {@code 2m} or an ISO-8601 duration such as
 * {@code PT1M}), so a stalled server ends in "timed out" rather than a hang. The proxy environment
 * ({@code HTTP_PROXY}, {@code HTTPS_PROXY}, {@code NO_PROXY}, or their lower-case forms) is honoured with
 * Go's rules; {@code --unix-socket PATH} sends every request over that Unix socket instead (R11).
 */
final class Fetch {
    private Fetch() {}

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** One fetch: the body in memory, or only its length when it went to the {@code -o} file. */
    record Result(URI uri, String head, byte[] body, long length, Throwable error, long nanos) {}

    static int run(List<String> args, PrintStream out, PrintStream err) throws InterruptedException {
        return run(args, out, err, System::getenv);
    }

    /**
     * As {@link #run(List, PrintStream, PrintStream)} with the environment {@code getenv} gives: the
     * proxy variables are read from it as curl and Go programs do (R11).
     */
    static int run(List<String> args, PrintStream out, PrintStream err, java.util.function.Function<String, String> getenv)
            throws InterruptedException {
        boolean headers = false;
        Path unixSocket = null;
        Path file = null;
        Duration timeout = DEFAULT_TIMEOUT;
        List<URI> uris = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-i" -> headers = true;
                case "--unix-socket" -> {
                    if (i + 1 >= args.size()) {
                        err.println("fetch: --unix-socket needs a path");
                        return 2;
                    }
                    unixSocket = Path.of(args.get(++i));
                }
                case "-o" -> {
                    if (i + 1 >= args.size()) {
                        err.println("fetch: -o needs a file name");
                        return 2;
                    }
                    file = Path.of(args.get(++i));
                }
                case "--timeout" -> {
                    if (i + 1 >= args.size()) {
                        err.println("fetch: --timeout needs a duration (500ms, 10s, 2m, PT1M)");
                        return 2;
                    }
                    try {
                        timeout = parseDuration(args.get(++i));
                    } catch (IllegalArgumentException e) {
                        err.println("fetch: " + e.getMessage());
                        return 2;
                    }
                }
                default -> {
                    try {
                        uris.add(HttpRequest.newBuilder(URI.create(a)).build().uri());
                    } catch (IllegalArgumentException e) {
                        err.println("fetch: not an http(s) URL: " + a + " (" + e.getMessage() + ")");
                        return 2;
                    }
                }
            }
        }
        if (uris.isEmpty() || (file != null && uris.size() != 1)) {
            err.println("usage: fetch [-i] [-o FILE] [--timeout DURATION] [--unix-socket PATH] URL...   (-o needs exactly one URL)");
            return 2;
        }
        boolean withHeaders = headers;
        Duration perFetch = timeout;
        Path target = file;
        LoadSummary summary = new LoadSummary(uris.size());
        int status = 0;
        // As curl: --unix-socket connects every URL to that socket (no proxy); otherwise the proxy
        // environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, lower case too) applies with Go's rules.
        Transport.Builder builder = Transport.builder();
        if (unixSocket != null) {
            builder.dialer(Dialer.unixSocket(unixSocket));
        } else {
            builder.proxy(Proxies.fromEnvironment(getenv));
        }
        try (Transport transport = builder.build()) {
            // Results come back on a channel in completion order; output is printed in argument order.
            Chan<Integer> done = Chan.make(uris.size());
            Result[] results = new Result[uris.size()];
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < uris.size(); i++) {
                int index = i;
                wg.add(1);
                Go.go("fetch-" + i, () -> {
                    try {
                        results[index] = fetchOne(transport, uris.get(index), withHeaders, perFetch, summary, target);
                    } catch (Throwable e) { // an Error too: every URL gets a result to print, never a null
                        results[index] = new Result(uris.get(index), "", new byte[0], 0, e, 0);
                    } finally {
                        done.send(index);
                        wg.done();
                    }
                });
            }
            wg.await();
            for (int i = 0; i < results.length; i++) {
                Result r = results[i];
                if (uris.size() > 1) {
                    out.println("==> " + r.uri() + " <==");
                }
                if (r.error() != null) {
                    err.println("fetch " + r.uri() + ": " + r.error());
                    status = 1;
                    continue;
                }
                out.print(r.head());
                if (file != null) {
                    err.println("wrote " + r.length() + " bytes to " + file);
                } else {
                    out.write(r.body(), 0, r.body().length);
                    out.println();
                }
            }
            err.println(summary.render(transport.stats()));
        }
        return status;
    }

    /**
     * {@code 500ms}, {@code 10s}, {@code 2m}, or an ISO-8601 duration; positive.
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    static Duration parseDuration(String s) {
        Duration d;
        try {
            if (s.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            } else {
                d = Duration.parse(s);
            }
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("not a duration: " + s + " (use 500ms, 10s, 2m or PT1M)");
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("--timeout must be positive: " + s);
        }
        return d;
    }

    /**
     * Fetches {@code uri}; with a {@code file} the body is written to it as it arrives (R49): into a temporary
     * file beside it, moved over it once the whole body was read, so memory stays bounded whatever the size and a
     * fetch that fails leaves no file and an existing one untouched.
     */
    private static Result fetchOne(Transport t, URI uri, boolean headers, Duration timeout, LoadSummary summary, Path file) {
        long start = System.nanoTime();
        try (HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).timeout(timeout).build())) {
            StringBuilder head = new StringBuilder(r.version() + " " + r.status() + " " + r.reason() + "\n");
            if (headers) {
                for (int i = 0; i < r.headers().size(); i++) {
                    head.append(r.headers().name(i)).append(": ").append(r.headers().value(i)).append('\n');
                }
                head.append('\n');
            }
            byte[] body = new byte[0];
            long length;
            if (file == null) {
                body = r.body().bytes();
                length = body.length;
            } else {
                length = toFile(r.body().stream(), file);
            }
            summary.record(System.nanoTime() - start, length);
            return new Result(uri, head.toString(), body, length, null, System.nanoTime() - start);
        } catch (IOException | RuntimeException e) {
            summary.failed();
            return new Result(uri, "", new byte[0], 0, e, System.nanoTime() - start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            summary.failed();
            return new Result(uri, "", new byte[0], 0, e, System.nanoTime() - start);
        }
    }

    /** Streams {@code in} into a temporary file beside {@code file}, then moves it over {@code file}; none is left on failure. */
    private static long toFile(InputStream in, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new IOException("cannot write " + file + ": it is a directory");
        }
        // A name of its own beside the file (same file system, so the move is a rename), created as the file would
        // be, with the default permissions (a temporary file's are the owner's only).
        Path part = abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".part");
        boolean moved = false;
        try {
            long n;
            try (OutputStream sink = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                n = drain(in, sink);
            }
            try {
                Files.move(part, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            return n;
        } finally {
            if (!moved) {
                Files.deleteIfExists(part);
            }
        }
    }

    static long drain(InputStream in, OutputStream sink) throws IOException {
        return in.transferTo(sink);
    }
}
