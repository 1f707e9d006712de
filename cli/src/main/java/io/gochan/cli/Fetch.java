package io.gochan.cli;

import io.gochan.Go;
import io.gochan.WaitGroup;
import io.gochan.http.Dialer;
import io.gochan.http.HttpRequest;
import io.gochan.http.Proxies;
import io.gochan.http.HttpResponse;
import io.gochan.http.Transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * {@code fetch [-i] [-o FILE|-] [--timeout DURATION] [--max-spool SIZE] [--parallel-max N] [--unix-socket PATH] URL...}:
 * fetches the URLs concurrently (one goroutine each, at most {@code N} at once, default 50, R100) through one
 * {@link Transport}, prints each status line (and headers with -i), the body to stdout
 * (or to FILE for a single URL: written as it arrives and moved over FILE only once whole, so a failed fetch
 * leaves no file, R49; a FILE that is no regular file, such as {@code /dev/null} or a FIFO, is written in place, R97;
 * {@code -o -}, or a FILE that is fetch's own stdout or stderr, through that stream, R101, R102),
 * and a summary on stderr. Memory stays bounded whatever the bodies' size (R53): a single
 * URL's body is streamed to stdout as it arrives; several URLs' bodies, printed in argument order, wait in a
 * {@link Spool} each (a temporary file beyond 1 MiB), of at most 256 MiB ({@code --max-spool}, R63): a larger
 * body fails that URL's fetch, so an endless one cannot fill the disk. {@code --timeout} ({@code 500ms}, {@code 10s},
 * {@code 2m} or an ISO-8601 duration such as {@code PT1M}) bounds each fetch, body included, as curl's
 * {@code --max-time}; without it, the wait for the response head and each silence of the body are bounded by 30 s
 * (R99), so a stalled server ends in "timed out" rather than a hang and a long download that keeps arriving is not
 * cut. The proxy environment ({@code HTTP_PROXY}, {@code HTTPS_PROXY}, {@code NO_PROXY}, or their lower-case forms) is
 * honoured with Go's rules; {@code --unix-socket PATH} sends every request over that Unix socket instead (R11).
 */
final class Fetch {
    private Fetch() {}

    private static final System.Logger LOG = System.getLogger(Fetch.class.getName());

    /**
     * Without {@code --timeout}: the longest wait for a response's head, and for the next bytes of its body (R99). Not a
     * bound of the whole fetch: a download over a slow link takes as long as it takes while its bytes keep arriving.
     */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * How many URLs are fetched at once unless {@code --parallel-max} says otherwise (R100): curl's default for
     * {@code --parallel-max}. Each fetch in flight holds a connection (a file descriptor) and a goroutine.
     */
    static final int DEFAULT_PARALLEL = 50;

    /**
     * The longest base name a part file takes from FILE, in UTF-8 bytes (R49): with the dot, the counter and
     * {@code .part} around it (at most 23 bytes), a part file's name stays within the 255 bytes most file systems allow
     * a name, whatever FILE's (a name of 233 to 255 bytes made a part name too long to create).
     */
    static final int MAX_PART_STEM_BYTES = 200;

    /** How many symbolic links a dangling {@code -o} link is followed through, as Linux's {@code ELOOP} limit. */
    private static final int MAX_LINKS = 40;

    /**
     * How many characters of a URL fetch's messages show at most (R103), as the transport's messages show a URI
     * ({@code RedactedUri.shortened}): a URL may be a megabyte long, and each line naming it would repeat it.
     */
    static final int SHOWN_LENGTH = 200;

    /** What a fetch whose body goes to stderr ({@code -o /dev/stderr}, R102) says when stderr failed. */
    private static final String STDERR_FAILED = "could not write to stderr (closed?)";

    /**
     * One fetch: its head and body still to print ({@code spool}), or null when they were already written (to the
     * {@code -o} file or streamed to stdout); {@code length} counts the body's bytes either way.
     */
    record Result(URI uri, String head, Spool spool, long length, Throwable error, long nanos) {
        static Result failed(URI uri, Throwable error, long nanos) {
            return new Result(uri, "", null, 0, error, nanos);
        }
    }

    /** Where a fetch's body goes. */
    private sealed interface Sink {
        /** The {@code -o} file (R49). */
        record ToFile(Path file) implements Sink {}

        /** Stdout, as it arrives: the only URL (R53). */
        record ToStdout(PrintStream out) implements Sink {}

        /**
         * The body alone into {@code body}, one of the standard streams, as it arrives: {@code -o -} or a FILE that is
         * that stream's file (R101, R102). The head goes to {@code heads}, the other stream, so that {@code body} gets
         * the body's bytes as a FILE would; {@code name} is what the "wrote" line names, {@code failure} what a write
         * that did not arrive says (R71).
         */
        record ToStream(PrintStream body, PrintStream heads, String name, String failure) implements Sink {}

        /**
         * A spool each, printed in argument order once every fetch ended (R53); together they keep at most
         * {@code memoryBudget} bytes in memory (R131).
         */
        record ToSpool(int memoryLimit, long diskLimit, java.util.concurrent.atomic.AtomicLong memoryBudget) implements Sink {}
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws InterruptedException {
        return run(args, out, err, System::getenv);
    }

    /**
     * As {@link #run(List, PrintStream, PrintStream)} with the environment {@code getenv} gives: the
     * proxy variables are read from it as curl and Go programs do (R11).
     */
    static int run(List<String> args, PrintStream out, PrintStream err, java.util.function.Function<String, String> getenv)
            throws InterruptedException {
        return run(args, out, err, getenv, DEFAULT_TIMEOUT);
    }

    /**
     * As {@link #run(List, PrintStream, PrintStream, java.util.function.Function)}, with {@code waitBound} in place of
     * {@link #DEFAULT_TIMEOUT}: the bound of each wait of a fetch run without {@code --timeout} (R99), shorter in tests.
     */
    static int run(List<String> args, PrintStream out, PrintStream err, java.util.function.Function<String, String> getenv,
            Duration waitBound) throws InterruptedException {
        boolean headers = false;
        Path unixSocket = null;
        Path file = null;
        boolean dashO = false; // -o -: the body to stdout (R101)
        int outputs = 0; // how many -o were given: one at most (R101)
        Duration timeout = null; // none given: each wait is bounded by waitBound, not the whole fetch (R99)
        long maxSpool = Spool.DEFAULT_DISK_LIMIT;
        int parallelMax = DEFAULT_PARALLEL;
        List<URI> uris = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String needs = switch (a) { // what an option's value is, for the one "needs" message
                case "--unix-socket" -> "a path";
                case "-o" -> "a file name";
                case "--max-spool" -> "a size (bytes, or with K, M or G)";
                case "--timeout" -> "a duration (500ms, 10s, 2m, PT1M)";
                case "--parallel-max" -> "a number of fetches at once";
                default -> null;
            };
            if (needs != null && i + 1 >= args.size()) {
                err.println("fetch: " + a + " needs " + needs);
                return 2;
            }
            try {
                switch (a) {
                    case "-h", "--help" -> { // asked for, so on stdout and a success, as the bare --help (R88)
                        out.println(Main.USAGE);
                        return Main.wrote("fetch", 0, out, err); // a stdout that took none of it: a failure (R132)
                    }
                    case "-i" -> headers = true;
                    case "--unix-socket" -> unixSocket = Path.of(args.get(++i));
                    case "-o" -> {
                        if (outputs++ > 0) { // the second would silently replace the first (R101, R74)
                            err.println("fetch: -o given twice (fetch writes one URL's body to one FILE)\n" + Main.USAGE);
                            return 2;
                        }
                        String name = args.get(++i);
                        // "-" is stdout, as curl reads it (R101); a file named "-" is written as "./-".
                        dashO = name.equals("-");
                        file = dashO ? null : Path.of(name);
                    }
                    case "--max-spool" -> maxSpool = parseSize(args.get(++i));
                    case "--timeout" -> timeout = parseDuration(args.get(++i));
                    case "--parallel-max" -> parallelMax = parseParallel(args.get(++i));
                    default -> {
                        if (a.startsWith("-")) { // not a URL either: say what it is (R74)
                            err.println("fetch: unknown option " + a + "\n" + Main.USAGE);
                            return 2;
                        }
                        try {
                            // HttpRequest.get, not URI.create: the JDK's refusal quotes the text, password included (R81).
                            uris.add(HttpRequest.get(a).uri());
                        } catch (IllegalArgumentException e) {
                            err.println("fetch: not an http(s) URL: " + shown(a) + " (" + e.getMessage() + ")");
                            return 2;
                        }
                    }
                }
            } catch (IllegalArgumentException e) { // a value parseSize, parseDuration or parseParallel refused, naming it
                err.println("fetch: " + e.getMessage());
                return 2;
            }
        }
        if (uris.isEmpty() || (outputs > 0 && uris.size() != 1)) {
            // Several URLs with -o, "-" included, are refused rather than interleaved or concatenated into one stream
            // (R101): without -o they are printed to stdout one after the other, each after its "==>" line.
            // The remark says what is wrong: no URL at all, or -o with other than one (R132: it blamed -o when none was given).
            err.println("usage: fetch [-i] [-o FILE|-] [--timeout DURATION] [--max-spool SIZE] [--parallel-max N] [--unix-socket PATH] URL..."
                    + (uris.isEmpty() ? "   (no URL given)" : "   (-o needs exactly one URL" + (uris.size() > 1 ? ", got " + uris.size()
                    + "; without -o several URLs are printed to stdout in turn" : "") + ")"));
            return 2;
        }
        boolean withHeaders = headers;
        Duration perFetch = timeout;
        PrintStream own = file == null ? null : standardStream(file, out, err);
        Sink sink = dashO ? new Sink.ToStream(out, err, "stdout", Main.STDOUT_FAILED)
                : own == out ? new Sink.ToStream(out, err, file.toString(), Main.STDOUT_FAILED)
                : own == err ? new Sink.ToStream(err, out, file.toString(), STDERR_FAILED)
                : file != null ? new Sink.ToFile(file)
                : uris.size() == 1 ? new Sink.ToStdout(out)
                : new Sink.ToSpool(Spool.DEFAULT_MEMORY_LIMIT, maxSpool, Spool.sharedMemoryBudget());
        LoadSummary summary = new LoadSummary(uris.size());
        int status = 0;
        // As curl: --unix-socket connects every URL to that socket (no proxy); otherwise the proxy
        // environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, lower case too) applies with Go's rules.
        Transport.Builder builder = Transport.builder();
        if (timeout == null) {
            // No --timeout: as curl, no bound on the whole download, which may be large over a slow link; but a server
            // that stops answering, before its head or in the middle of its body, still ends in "timed out" (R99).
            builder.responseHeaderTimeout(waitBound).bodyReadTimeout(waitBound);
        }
        if (unixSocket != null) {
            builder.dialer(Dialer.unixSocket(unixSocket));
        } else {
            builder.proxy(Proxies.fromEnvironment(getenv));
        }
        try (Transport transport = builder.build()) {
            // One goroutine per URL, at most parallelMax at once (R100): each holds a connection, and the command line
            // may name thousands of URLs. A URL's goroutine starts once a permit is free, in argument order, so its
            // --timeout counts from its own start, not from the queue's. Output is printed in argument order once all
            // ended.
            Result[] results = new Result[uris.size()];
            WaitGroup wg = new WaitGroup();
            Semaphore permits = new Semaphore(parallelMax);
            for (int i = 0; i < uris.size(); i++) {
                int index = i;
                permits.acquire();
                wg.add(1);
                Go.go("fetch-" + i, () -> {
                    try {
                        results[index] = fetchOne(transport, uris.get(index), withHeaders, perFetch, summary, sink);
                    } catch (Throwable e) { // an Error too: every URL gets a result to print, never a null
                        results[index] = Result.failed(uris.get(index), e, 0);
                    } finally {
                        permits.release();
                        wg.done();
                    }
                });
            }
            wg.await();
            try {
                for (Result r : results) {
                    if (uris.size() > 1) {
                        out.println("==> " + shown(r.uri()) + " <==");
                    }
                    if (r.error() != null) {
                        err.println("fetch " + shown(r.uri()) + ": " + r.error());
                        status = 1;
                        continue;
                    }
                    switch (sink) {
                        case Sink.ToFile f -> {
                            out.print(r.head());
                            err.println("wrote " + r.length() + " bytes to " + f.file());
                        }
                        case Sink.ToStdout s -> out.println();
                        case Sink.ToStream s -> err.println("wrote " + r.length() + " bytes to " + s.name());
                        case Sink.ToSpool s -> {
                            out.print(r.head());
                            if (!copy(r.spool(), out, r.uri(), err)) {
                                status = 1;
                            }
                            out.println();
                        }
                    }
                    if (out.checkError()) { // closed (| head -1): the rest would go nowhere (R71)
                        err.println("fetch: " + Main.STDOUT_FAILED);
                        status = 1;
                        break;
                    }
                }
            } finally {
                for (Result r : results) {
                    delete(r.spool(), err);
                }
            }
            err.println(summary.render(transport.stats()));
        }
        return status;
    }

    /**
     * A size in bytes: digits, optionally followed by {@code K}, {@code M} or {@code G} (powers of 1024); positive.
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    static long parseSize(String s) {
        int shift = 0;
        String digits = s;
        if (!s.isEmpty()) {
            switch (Character.toUpperCase(s.charAt(s.length() - 1))) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                default -> { }
            }
        }
        if (shift > 0) {
            digits = s.substring(0, s.length() - 1);
        }
        long n;
        try {
            n = digits.chars().allMatch(c -> c >= '0' && c <= '9') ? Long.parseLong(digits) : -1;
        } catch (NumberFormatException e) {
            n = -1; // empty or too large
        }
        if (n <= 0 || n > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("not a size (bytes, or with K, M or G, positive): " + s);
        }
        return n << shift;
    }

    /**
     * {@code --parallel-max}'s value: a whole number from 1 (R100).
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    static int parseParallel(String s) {
        int n;
        try {
            n = s.chars().allMatch(c -> c >= '0' && c <= '9') ? Integer.parseInt(s) : -1;
        } catch (NumberFormatException e) {
            n = -1; // empty or too large
        }
        if (n <= 0) {
            throw new IllegalArgumentException("--parallel-max needs a whole number from 1 to " + Integer.MAX_VALUE + ": " + s);
        }
        return n;
    }

    /**
     * {@code 500ms}, {@code 10s}, {@code 2m}, or an ISO-8601 duration; positive.
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    static Duration parseDuration(String s) {
        Duration d;
        try {
            // An ISO-8601 duration, in either case (Duration.parse reads "pt1s"): tried first, or its last letter would be
            // taken for the s or m unit below (R86).
            if (s.matches("[+-]?[Pp].*")) {
                d = Duration.parse(s);
            } else if (s.endsWith("ms")) {
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
        } catch (ArithmeticException e) {
            // More minutes than a Duration holds (its seconds are a long): a usage error, not a trace out of main (R86).
            throw new IllegalArgumentException("--timeout too large: " + s + " (at most " + Long.MAX_VALUE + "s)");
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("--timeout must be positive: " + s);
        }
        return d;
    }

    /**
     * The request fetch sends for {@code uri}: its user info, if any, as {@code Authorization: Basic} of the
     * percent-decoded user and password, as curl and Go's client send it (R134, R17); the transport alone sends none.
     *
     * @throws IllegalArgumentException if the user info cannot be sent as basic auth (a {@code :} in the user, a control
     *     character); the message names neither the user nor the password
     */
    static HttpRequest request(URI uri, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout);
        String info = uri.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            b.basicAuth(percentDecoded(colon < 0 ? info : info.substring(0, colon)),
                    colon < 0 ? "" : percentDecoded(info.substring(colon + 1)));
        }
        return b.build();
    }

    /**
     * {@code raw} with each {@code %XX} replaced by the byte it names, the whole read as UTF-8; {@code +} stays itself.
     * {@link URI} has checked that every {@code %} is followed by two hex digits.
     */
    private static String percentDecoded(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        int i = 0;
        while (i < raw.length()) {
            int start = i;
            while (i < raw.length() && raw.charAt(i) != '%') {
                i++;
            }
            bytes.writeBytes(raw.substring(start, i).getBytes(StandardCharsets.UTF_8));
            if (i < raw.length()) {
                bytes.write(Integer.parseInt(raw, i + 1, i + 3, 16));
                i += 3;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Fetches {@code uri} into {@code sink}: with a file the body is written to it as it arrives (R49): into a
     * temporary file beside it, moved over it once the whole body was read, so a fetch that fails leaves no file
     * and an existing one untouched; to stdout the head and then the body as it arrives; to a standard stream
     * ({@code -o -}, R101, R102) the head to the other one and the body alone as it arrives; to a spool, kept for the
     * caller to print. Memory stays bounded whatever the body's size (R53). {@code timeout} bounds the whole fetch, or
     * is null for none (the transport then bounds each wait, R99).
     */
    private static Result fetchOne(Transport t, URI uri, boolean headers, Duration timeout, LoadSummary summary, Sink sink) {
        long start = System.nanoTime();
        Spool spool = null;
        try (HttpResponse r = t.roundTrip(request(uri, timeout))) {
            StringBuilder head = new StringBuilder(r.version() + " " + r.status() + " " + r.reason() + "\n");
            if (headers) {
                for (int i = 0; i < r.headers().size(); i++) {
                    head.append(r.headers().name(i)).append(": ").append(r.headers().value(i)).append('\n');
                }
                head.append('\n');
            }
            long length;
            switch (sink) {
                case Sink.ToFile f -> length = toFile(r.body().stream(), f.file());
                case Sink.ToStdout s -> {
                    s.out().print(head);
                    length = r.body().stream().transferTo(checked(s.out(), Main.STDOUT_FAILED));
                }
                case Sink.ToStream s -> {
                    // The head on the other stream, first (a long download shows its status at once); the body's bytes
                    // alone, as they arrive, each write flushed, nothing added (R101, R102).
                    s.heads().print(head);
                    length = r.body().stream().transferTo(checked(s.body(), s.failure()));
                }
                case Sink.ToSpool s -> {
                    spool = new Spool(s.memoryLimit(), s.diskLimit(), s.memoryBudget());
                    spool.fill(r.body().stream());
                    length = spool.length();
                }
            }
            summary.record(System.nanoTime() - start, length);
            Result done = new Result(uri, head.toString(), spool, length, null, System.nanoTime() - start);
            spool = null; // the caller's now
            return done;
        } catch (IOException | RuntimeException e) {
            summary.failed(e);
            return Result.failed(uri, e, System.nanoTime() - start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            summary.failed(e);
            return Result.failed(uri, e, System.nanoTime() - start);
        } finally {
            if (spool != null) { // the fetch failed: what was spooled is not printed
                try {
                    spool.close();
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "fetch " + shown(uri) + ": could not delete " + spool.file(), e);
                }
            }
        }
    }

    /**
     * {@code uri} as fetch prints it: the password of its user info replaced by {@code xxxxx}, as the transport's
     * messages and Go's {@code URL.Redacted} show it (R62, R17); the user name stays, so the URL is still recognized.
     * Cut as {@link #shown(String)} says (R103).
     */
    static String shown(URI uri) {
        return shown(uri.toString());
    }

    /**
     * {@code text} (a URL as given, perhaps refused as no URL) as fetch prints it: its password hidden as
     * {@link #redacted} says, then cut to its first {@value #SHOWN_LENGTH} characters with its whole length, as the
     * transport's {@code RedactedUri.shortenedText} shows a text (R103): a URL of a megabyte printed whole in each
     * failure line and {@code ==>} line flooded the terminal. The password is hidden before the cut, so a cut inside
     * it cannot show its beginning as something else.
     */
    static String shown(String text) {
        String s = redacted(text);
        return s.length() <= SHOWN_LENGTH ? s : s.substring(0, SHOWN_LENGTH) + "... (" + s.length() + " characters)";
    }

    /**
     * {@code text} with the password between the first
     * {@code :} of the authority and the {@code @} that ends its user info replaced by {@code xxxxx}, by the text (R62,
     * R81). The authority follows the {@code //} right after the scheme's {@code :} (or at the text's start), or, in a
     * text without it ({@code http:alice:pw@host/}), an http(s) or socks5(h) scheme's {@code :}, else the text's start
     * (R93). It ends at its first {@code /}, {@code ?} or {@code #}, and its last {@code @} ends the user info; an
     * authority cut short by one of them before any {@code @}, and holding a {@code :} followed by no port
     * ({@code http://alice:p#ss@host/}, {@code http://alice:a/b@host/}), is a password with that character unescaped:
     * its user info ends at the text's last {@code @}, so no character of the password is printed (R93); but when that
     * {@code :} is followed by no port at all ({@code http://host:/p?m=a@b}, a server's authority to every parser), an
     * {@code @} in the query is a server's, not the user info's end (R104).
     * The transport's {@code RedactedUri.ofText} does the same; its package is not exported, and a qualified export to
     * this module fails {@code jdeps --check} (.ci/jdeps.sh analyses the library modules only).
     */
    static String redacted(String text) {
        int slashes = text.indexOf("//");
        int start = 0;
        if (slashes >= 0 && (slashes == 0 || slashes == text.indexOf(':') + 1) && text.lastIndexOf('@', slashes) < 0) {
            start = slashes + 2;
        } else {
            int schemeEnd = text.indexOf(':');
            String scheme = schemeEnd < 0 ? "" : text.substring(0, schemeEnd).toLowerCase(java.util.Locale.ROOT);
            if (scheme.equals("http") || scheme.equals("https") || scheme.equals("socks5") || scheme.equals("socks5h")) {
                start = schemeEnd + 1; // "http:alice:pw@host/": no "//", yet the same user info (R93)
            }
        }
        while (start < text.length() && text.charAt(start) == '/') {
            start++;
        }
        int end = text.length();
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        int at = text.lastIndexOf('@', end - 1);
        if (at < start && cutShort(text, start, end)) {
            // The password ran on past a '/', '?' or '#' (R93); after an empty port the text is a server's URL as it is,
            // so its query's '@'s are left to it (R104).
            at = text.indexOf(':', start) == end - 1 ? lastAtOutsideQuery(text, end) : text.lastIndexOf('@');
        }
        int colon = at < start ? -1 : text.indexOf(':', start);
        return colon >= 0 && colon < at ? text.substring(0, colon) + ":xxxxx" + text.substring(at) : text;
    }

    /**
     * The last {@code @} of {@code text} that is not in its query as the text reads with its authority ending at
     * {@code end} (R104): the query begins at the first {@code ?} from {@code end} unless a {@code #} comes first, and
     * ends at the next {@code #}. {@code http://alice:/pw@host/p?m=a@b} ends its user info at {@code pw@};
     * {@code http://host:/p?m=a@b} has none. -1 when there is no such {@code @}.
     */
    private static int lastAtOutsideQuery(String text, int end) {
        int hash = text.indexOf('#', end);
        int fragment = hash < 0 ? text.length() : hash;
        int query = text.indexOf('?', end);
        int at = text.lastIndexOf('@');
        if (query >= 0 && query < fragment && at > query && at < fragment) {
            at = text.lastIndexOf('@', query - 1); // the last '@' before the query, if any
        }
        return at;
    }

    /**
     * Whether the authority {@code text[start, end)}, which holds no {@code @}, is user info cut short by a {@code /},
     * {@code ?} or {@code #} of its password (R93): a character follows it, it is no IPv6 literal, and it holds a
     * {@code :} not followed by a port (digits to its end). {@code host:8080/a@b} is a server's and stays as it is.
     */
    private static boolean cutShort(String text, int start, int end) {
        if (end >= text.length() || start >= end || text.charAt(start) == '[') {
            return false;
        }
        int colon = text.indexOf(':', start);
        if (colon < 0 || colon >= end) {
            return false;
        }
        if (colon + 1 == end) {
            return true; // "alice:" then the password's '/', '?' or '#': no port is empty
        }
        for (int i = colon + 1; i < end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return true;
            }
        }
        return false;
    }

    /** Prints a spooled body; a spool file that cannot be read again is reported (false), not hidden. */
    private static boolean copy(Spool spool, PrintStream out, URI uri, PrintStream err) {
        try {
            spool.copyTo(out);
            return true;
        } catch (IOException e) {
            err.println("fetch " + shown(uri) + ": could not read back the body spooled to " + spool.file() + ": " + e);
            return false;
        }
    }

    /** Deletes a spool's file; a file that cannot be deleted is reported. */
    private static void delete(Spool spool, PrintStream err) {
        if (spool == null) {
            return;
        }
        try {
            spool.close();
        } catch (IOException e) {
            err.println("fetch: could not delete " + spool.file() + ": " + e);
        }
    }

    /**
     * Streams {@code in} into a temporary file beside {@code file}, then moves it over {@code file}; none is left on
     * failure (R49). A FILE that exists but is no regular file ({@code /dev/null}, a FIFO, a terminal) is written in
     * place instead (R97); one this user may not write is refused (R98); a symbolic link, dangling or not, is written
     * through (R89).
     */
    private static long toFile(InputStream in, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.exists(abs) && !Files.isRegularFile(abs) && !Files.isDirectory(abs)) {
            // A device, a FIFO, a terminal: written in place, as curl writes it (R97). A part file moved over it would
            // replace /dev/null by a plain file (as root), or fail creating the part file in /dev; and a FIFO's reader
            // would wait for bytes that went elsewhere. Nothing here to leave half written or to keep whole. Opened as
            // named, before toRealPath: /dev/fd/63 (bash's >(...)) names a pipe through /proc/self/fd, which has no real
            // path. (FILE that is our own stdout or stderr never comes here: it is written through that stream, R102.)
            try (OutputStream sink = Files.newOutputStream(abs, StandardOpenOption.WRITE)) {
                return drain(in, sink);
            }
        }
        if (Files.exists(abs)) {
            // An existing FILE is overwritten as curl overwrites it (R89): through a symbolic link, into the file it
            // names (the part file beside that one, so the move stays a rename), and keeping its permissions below.
            abs = abs.toRealPath();
        } else {
            // A dangling link: curl opens FILE, which creates the file the link names, and the link stays (R89). The
            // move below would replace the link itself by a plain file.
            abs = linkTarget(abs, file);
        }
        if (Files.isDirectory(abs)) {
            throw new IOException("cannot write " + file + ": it is a directory");
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            // A rename ignores the file's own permissions: a read-only FILE would be replaced without a word, where curl
            // fails to open it (R98).
            throw new IOException("cannot write " + file + ": permission denied (the file is read-only)");
        }
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            // Named here: the part file's creation below would fail naming the hidden part file, not the user's (R49).
            throw new IOException("cannot write " + file + ": no such directory " + dir);
        }
        // A name of its own beside the file (same file system, so the move is a rename), created as the file would
        // be, with the default permissions (a temporary file's are the owner's only); its base cut to fit a name's
        // 255 bytes (R49).
        Path part = abs.resolveSibling("." + partStem(abs.getFileName().toString()) + "." + Long.toHexString(System.nanoTime()) + ".part");
        // Created before the try below: one that failed made no file of ours to delete (the name may be another's).
        // Ctrl-C (or a kill) ends the JVM without running the catch below: the shutdown deletes the part file then,
        // or an interrupted fetch would leave it hidden beside FILE (R71).
        ExitCleanup cleanup = ExitCleanup.run();
        OutputStream created = cleanup.create(() -> createPart(part, file, dir), made -> part);
        try {
            long n;
            try (OutputStream sink = created) {
                keepPermissions(abs, part);
                n = drain(in, sink);
            }
            try {
                Files.move(part, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            cleanup.forget(part); // FILE now: never the shutdown's to delete
            return n;
        } catch (Throwable failed) {
            // A delete that fails too is added to the failure, never thrown in its place (the user sees why the
            // fetch failed, not only that the partial file could not be removed).
            try {
                Files.deleteIfExists(part);
                cleanup.forget(part);
            } catch (IOException deleteFailure) {
                failed.addSuppressed(deleteFailure);
            }
            throw failed;
        }
    }

    /**
     * {@code out} if {@code file}, its links followed, is the file this process's standard output is (file descriptor
     * 1: {@code /dev/stdout}, {@code /dev/fd/1}, or the file stdout was redirected to), {@code err} if it is standard
     * error's (2), else null (R102). Such a FILE is written through that stream, into its open file description: opened
     * by its name again it would be another description, at offset 0 of a regular file, so the body overwrote what
     * stdout held ({@code >>}) and what stdout wrote next overwrote the body; and R49's part file, moved over it,
     * replaced the file, leaving stdout writing into the unlinked one. {@code out} and {@code err} stand for this
     * process's streams (as {@link Main#main} passes them). By the file's identity (device and inode, through
     * {@code /dev/fd}, which Linux and the BSDs have); where there is no {@code /dev/fd}, or no FILE yet, none is.
     */
    private static PrintStream standardStream(Path file, PrintStream out, PrintStream err) {
        Path abs = file.toAbsolutePath();
        if (!Files.exists(abs)) {
            return null;
        }
        if (isSameFile(abs, Path.of("/dev/fd/1"))) {
            return out;
        }
        return isSameFile(abs, Path.of("/dev/fd/2")) ? err : null;
    }

    /** Whether {@code a} and {@code b} are one file; false when either cannot be looked at (no {@code /dev/fd} here). */
    private static boolean isSameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException | SecurityException notOneFile) {
            // No such descriptor (a stream closed by the caller) or no /dev/fd on this system: FILE is then written as
            // any other file, as before R102; nothing was written yet, so nothing is lost by asking.
            LOG.log(System.Logger.Level.DEBUG, "fetch: cannot compare " + a + " with " + b, notOneFile);
            return false;
        }
    }

    /**
     * The path a dangling symbolic link {@code abs} names, through every link of a chain (R89); {@code abs} itself when
     * it is no link (FILE does not exist yet). A relative target is relative to its link's directory.
     */
    private static Path linkTarget(Path abs, Path file) throws IOException {
        Path p = abs;
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == MAX_LINKS) {
                throw new IOException("cannot write " + file + ": too many levels of symbolic links");
            }
            p = p.resolveSibling(Files.readSymbolicLink(p));
        }
        return p;
    }

    /**
     * The part of a part file's name taken from FILE's {@code name} (R49): the name itself, or, beyond
     * {@link #MAX_PART_STEM_BYTES} UTF-8 bytes, its longest beginning of whole characters that leaves room for {@code ~}
     * and the name's hash in 8 hex digits, so two long names with one beginning still make different part names. The
     * counter after it keeps each fetch's part file its own.
     */
    static String partStem(String name) {
        int length = 0;
        for (int i = 0; i < name.length(); i += Character.charCount(name.codePointAt(i))) {
            length += utf8Length(name.codePointAt(i));
        }
        if (length <= MAX_PART_STEM_BYTES) {
            return name;
        }
        String hash = String.format("~%08x", name.hashCode());
        int room = MAX_PART_STEM_BYTES - hash.length();
        int end = 0;
        for (int bytes = 0; end < name.length(); ) {
            int cp = name.codePointAt(end);
            if (bytes + utf8Length(cp) > room) {
                break;
            }
            bytes += utf8Length(cp);
            end += Character.charCount(cp);
        }
        return name.substring(0, end) + hash;
    }

    /** How many bytes UTF-8 takes for {@code cp} (a lone surrogate counted as the 3 bytes of U+FFFD, its stand-in). */
    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    /**
     * Creates the part file; a directory this user may not write in (or a read-only file system) is named with FILE,
     * not as the hidden part file the user never named (R98).
     */
    private static OutputStream createPart(Path part, Path file, Path dir) throws IOException {
        try {
            return Files.newOutputStream(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileSystemException e) {
            String why = e instanceof AccessDeniedException ? "permission denied" : e.getReason();
            throw new IOException("cannot write " + file + ": cannot create a file in " + dir + (why == null ? "" : " (" + why + ")"), e);
        }
    }

    /**
     * Gives {@code part}, before any byte is written to it, the POSIX permissions of {@code file} if it exists: the
     * move replaces FILE by the part file, which was created with the default permissions, so a file only its owner
     * could read became readable by every user (R89). Nothing to keep on a file system without POSIX permissions.
     */
    private static void keepPermissions(Path file, Path part) throws IOException {
        try {
            Files.setPosixFilePermissions(part, Files.getPosixFilePermissions(file));
        } catch (java.nio.file.NoSuchFileException | UnsupportedOperationException none) {
            // no FILE yet (the default permissions are a new file's), or no POSIX permissions here
        }
    }

    /**
     * {@code out} as a stream that throws once {@code out} failed (stdout closed: {@code fetch URL | head -1}), with
     * {@code failure} as the message. A {@link PrintStream} keeps its errors to itself, so the body went on being read,
     * into nothing, until its end or the timeout, and the run exited 0; now the fetch fails at the first write that did
     * not arrive (R71). Each write is flushed ({@code checkError} flushes), so the body leaves as it arrives (R101).
     */
    private static OutputStream checked(PrintStream out, String failure) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                check();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                check();
            }

            private void check() throws IOException {
                if (out.checkError()) { // flushes: a closed stdout shows at this write, not at the end
                    throw new IOException(failure);
                }
            }
        };
    }

    static long drain(InputStream in, OutputStream sink) throws IOException {
        return in.transferTo(sink);
    }
}
